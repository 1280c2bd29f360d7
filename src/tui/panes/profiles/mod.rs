//! The profile editor pane: the list of built-in, user, project and team profiles; a form
//! over the field catalogue (`config::fields`) and a TOML text view of the open profile;
//! validation as you type through `ProfileStore::check_text` (the save path's own checks);
//! a review of the effective and line changes before saving; history with rollback; new and
//! delete for user profiles.
//!
//! Shape: like every pane it does no I/O. File work is a [`msg::ProfileRequest`] in an
//! `Intent::Profile`, done by the worker (`tui::profile_work`) and answered with a
//! [`msg::ProfileEvent`]. Every edit sends a check with a new generation and answers to older
//! generations are dropped, so typing never waits for a check and a slow one never overwrites
//! a newer result. Submodules: `msg` (requests and answers), `editor` (the multi-line text
//! editor), `form` (the form's keys and list editing), `review` (line diff and the save
//! review), `render`.

mod actions;
pub mod editor;
mod form;
pub mod msg;
mod render;
mod review;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use self::editor::TextEditor;
use self::msg::{HistoryView, OpenedProfile, ProfileEvent, ProfileRequest, ProfileRow, SourceKind};
use super::{Component, Handled, KeyHelp, TextInput};
use crate::config::fields::{self, FIELDS};
use crate::config::{Profile, TextCheck};
use crate::tui::event::Intent;

/// Which screen of the pane is showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    List,
    Form,
    Text,
    /// The changes a save would make, waiting for confirmation.
    Review,
    History,
}

/// The profile being edited.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    /// The name it saves as (a save-as changes it).
    pub name: String,
    pub kind: SourceKind,
    /// Not saved yet (new, or a save-as copy).
    pub is_new: bool,
    /// The text as saved, for the line diff (empty for a new profile).
    pub saved_text: String,
    pub saved: Option<Profile>,
    pub inherited: serde_json::Value,
    /// The `extends` the inherited values were asked for.
    pub inherited_for: Option<Option<String>>,
    pub editor: TextEditor,
    /// The latest check of the current text (`None` until it arrives).
    pub check: Option<TextCheck>,
    /// A check of the current text is under way.
    pub checking: bool,
    /// Selected field (index into `FIELDS`).
    pub field: usize,
    /// The list editor of a list field, when open.
    pub list: Option<ListEdit>,
}

impl Doc {
    pub fn text(&self) -> String {
        self.editor.text()
    }

    pub fn dirty(&self) -> bool {
        self.is_new || self.editor.text() != self.saved_text
    }
}

/// Editing the items of a list field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEdit {
    pub field: usize,
    pub items: Vec<String>,
    pub selected: usize,
}

/// What a text prompt is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    NewName,
    SaveAsName,
    /// The value of a scalar field.
    Field(usize),
    /// A list item: a new one, or the one at this index.
    Item(Option<usize>),
}

/// What a yes/no question does on yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    Delete(String),
    Rollback(String, u32),
    /// Leave the editor, dropping unsaved changes.
    Discard,
}

/// A prompt over the pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    Input { purpose: Purpose, input: TextInput },
    Confirm { question: String, action: Confirm },
}

/// The history screen.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistoryState {
    pub name: String,
    pub data: Option<HistoryView>,
    pub selected: usize,
    /// The view to return to.
    pub back_to_form: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProfilesPane {
    pub rows: Vec<ProfileRow>,
    pub selected: usize,
    /// A list request is under way.
    pub loading: bool,
    /// The list was asked for at least once.
    pub requested: bool,
    pub view: View,
    pub doc: Option<Doc>,
    /// An open request is under way (for this name).
    pub opening: Option<String>,
    pub history: Option<HistoryState>,
    pub prompt: Option<Prompt>,
    /// The last failure, shown in the pane until the next action.
    pub error: Option<String>,
    /// The last success.
    pub notice: Option<String>,
    generation: u64,
}

impl Default for ProfilesPane {
    fn default() -> Self {
        ProfilesPane {
            rows: Vec::new(),
            selected: 0,
            loading: false,
            requested: false,
            view: View::List,
            doc: None,
            opening: None,
            history: None,
            prompt: None,
            error: None,
            notice: None,
            generation: 0,
        }
    }
}

pub const LIST_KEYS: &[KeyHelp] = &[
    ("↑/↓ j/k", "move the selection"),
    ("Enter / e", "open in the form view"),
    ("t", "open in the TOML text view"),
    ("n", "new user profile extending the selected one"),
    ("d", "delete the selected user profile (asks first)"),
    ("h", "version history (user profiles)"),
    ("r", "reload the list"),
];

pub const FORM_KEYS: &[KeyHelp] = &[
    ("↑/↓ j/k", "move between fields (PgUp/PgDn by ten)"),
    (
        "Enter / Space",
        "toggle a bool, cycle an enum, edit a value or a list",
    ),
    ("x", "unset the field (inherit it again)"),
    ("t", "switch to the TOML text view"),
    (
        "Ctrl-S / s",
        "review the changes and save (save-as for read-only profiles)",
    ),
    ("Ctrl-E", "jump to the first error"),
    ("h", "version history"),
    (
        "Esc",
        "back to the list (asks when there are unsaved changes)",
    ),
];

pub const LIST_EDIT_KEYS: &[KeyHelp] = &[
    ("↑/↓ j/k", "move between items"),
    ("a", "add an item"),
    ("Enter / e", "edit the item"),
    ("d / Delete", "remove the item"),
    ("Esc", "back to the fields"),
];

pub const TEXT_KEYS: &[KeyHelp] = &[
    (
        "arrows Home End",
        "move the cursor (PgUp/PgDn by ten lines)",
    ),
    ("typing, Enter, Tab", "insert text, a new line, two spaces"),
    ("Backspace / Delete", "delete before / at the cursor"),
    ("Ctrl-S", "review the changes and save"),
    ("Ctrl-E", "jump to the first error"),
    ("Esc", "back to the form view"),
];

pub const REVIEW_KEYS: &[KeyHelp] = &[
    ("y / Enter", "save (the replaced version is archived)"),
    ("n / Esc", "back to editing"),
    ("↑/↓ j/k", "scroll"),
];

pub const HISTORY_KEYS: &[KeyHelp] = &[
    ("↑/↓ j/k", "choose a version (its changes are shown)"),
    ("R / Enter", "roll back to the version (asks first)"),
    ("Esc", "back"),
];

pub const PROMPT_KEYS: &[KeyHelp] = &[
    ("Enter", "accept"),
    ("Esc", "cancel"),
    ("y / n", "answer a question"),
];

/// `name = "..."` set on the first top-level `name` line (or added at the top), keeping
/// every other line and comment as it was.
pub fn with_name(text: &str, name: &str) -> String {
    let mut out = Vec::new();
    let mut done = false;
    let mut in_table = false;
    for line in text.lines() {
        let t = line.trim_start();
        in_table |= t.starts_with('[');
        let is_name = t
            .strip_prefix("name")
            .is_some_and(|r| r.trim_start().starts_with('='));
        if !done && !in_table && is_name {
            out.push(format!("name = {name:?}"));
            done = true;
        } else {
            out.push(line.to_string());
        }
    }
    if !done {
        out.insert(0, format!("name = {name:?}"));
    }
    let mut s = out.join("\n");
    s.push('\n');
    s
}

impl ProfilesPane {
    /// The name of the open profile when it has unsaved changes (quitting asks first).
    pub fn unsaved(&self) -> Option<&str> {
        self.doc
            .as_ref()
            .filter(|d| d.dirty())
            .map(|d| d.name.as_str())
    }

    /// Asks for the list (first focus, `r`, after a write).
    pub fn load(&mut self, out: &mut Vec<Intent>) {
        self.requested = true;
        self.loading = true;
        out.push(Intent::Profile(ProfileRequest::List));
    }

    fn open(&mut self, name: String, view: View, out: &mut Vec<Intent>) {
        self.error = None;
        self.opening = Some(name.clone());
        self.view = view;
        out.push(Intent::Profile(ProfileRequest::Open { name }));
    }

    /// After every edit: a new check (older answers are then dropped), and new inherited
    /// values when `extends` changed.
    fn edited(&mut self, out: &mut Vec<Intent>) {
        self.generation += 1;
        let generation = self.generation;
        let Some(doc) = &mut self.doc else { return };
        doc.checking = true;
        let text = doc.text();
        let extends = fields::parse_doc(&text).ok().and_then(|t| {
            t.get("extends")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        });
        if doc.inherited_for.as_ref() != Some(&extends) {
            doc.inherited_for = Some(extends.clone());
            out.push(Intent::Profile(ProfileRequest::Inherited {
                name: doc.name.clone(),
                extends,
            }));
        }
        out.push(Intent::Profile(ProfileRequest::Check {
            generation,
            name: doc.name.clone(),
            text,
        }));
    }

    /// Applies the worker's answer.
    pub fn on_event(&mut self, event: ProfileEvent, out: &mut Vec<Intent>) {
        match event {
            ProfileEvent::Listed(Ok(rows)) => {
                self.loading = false;
                self.rows = rows;
                self.selected = self.selected.min(self.rows.len().saturating_sub(1));
            }
            ProfileEvent::Listed(Err(e)) => {
                self.loading = false;
                self.error = Some(e);
            }
            ProfileEvent::Opened(result) => {
                self.opening = None;
                match result {
                    Ok(p) => self.set_doc(p, out),
                    Err(e) => {
                        self.error = Some(e);
                        if self.doc.is_none() {
                            self.view = View::List;
                        }
                    }
                }
            }
            ProfileEvent::Checked { generation, check } => {
                if generation == self.generation
                    && let Some(doc) = &mut self.doc
                {
                    doc.check = Some(check);
                    doc.checking = false;
                }
            }
            ProfileEvent::Inherited { extends, result } => {
                if let Some(doc) = &mut self.doc
                    && doc.inherited_for.as_ref() == Some(&extends)
                {
                    doc.inherited = result.unwrap_or(serde_json::Value::Null);
                }
            }
            ProfileEvent::History(result) => match (result, &mut self.history) {
                (Ok(data), Some(h)) if data.name == h.name => {
                    h.selected = 0;
                    h.data = Some(data);
                }
                (Err(e), Some(_)) => self.error = Some(e),
                _ => {}
            },
            ProfileEvent::Written { result, reopen } => {
                match result {
                    Ok(m) => {
                        self.notice = Some(m);
                        self.error = None;
                        match reopen {
                            Some(name) => {
                                let view = match self.view {
                                    View::Text => View::Text,
                                    _ => View::Form,
                                };
                                self.history = None;
                                self.open(name, view, out);
                            }
                            None => {
                                self.doc = None;
                                self.view = View::List;
                            }
                        }
                    }
                    Err(e) => {
                        self.error = Some(e);
                        if self.view == View::Review {
                            self.view = View::Form;
                        }
                    }
                }
                self.load(out);
            }
        }
    }

    fn set_doc(&mut self, p: OpenedProfile, out: &mut Vec<Intent>) {
        let extends = fields::parse_doc(&p.text).ok().and_then(|t| {
            t.get("extends")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        });
        self.doc = Some(Doc {
            name: p.name,
            kind: p.kind,
            is_new: false,
            editor: TextEditor::new(&p.text),
            saved_text: TextEditor::new(&p.text).text(),
            saved: p.saved,
            inherited: p.inherited,
            inherited_for: Some(extends),
            check: None,
            checking: false,
            field: 0,
            list: None,
        });
        if !matches!(self.view, View::Form | View::Text) {
            self.view = View::Form;
        }
        self.edited(out);
    }

    /// A new user profile extending `parent` (unsaved until reviewed and saved).
    fn new_doc(&mut self, name: String, parent: Option<String>, out: &mut Vec<Intent>) {
        let mut text = format!("name = {name:?}\n");
        if let Some(p) = &parent {
            text.push_str(&format!("extends = {p:?}\n"));
        }
        self.doc = Some(Doc {
            name,
            kind: SourceKind::User,
            is_new: true,
            editor: TextEditor::new(&text),
            saved_text: String::new(),
            saved: None,
            inherited: serde_json::Value::Null,
            inherited_for: None,
            check: None,
            checking: false,
            field: 0,
            list: None,
        });
        self.view = View::Form;
        self.edited(out);
    }

    /// Ctrl-S: the review, or first a new name for a read-only profile.
    fn start_save(&mut self) {
        let Some(doc) = &self.doc else { return };
        if doc.kind.read_only() && !doc.is_new {
            self.prompt = Some(Prompt::Input {
                purpose: Purpose::SaveAsName,
                input: TextInput {
                    value: format!("my-{}", doc.name),
                },
            });
        } else if !doc.dirty() {
            self.notice = Some("no changes to save".into());
        } else {
            self.view = View::Review;
        }
    }

    /// Ctrl-E: the first error's field (form) or position (text).
    fn jump_to_error(&mut self) {
        let Some(doc) = &mut self.doc else { return };
        let Some(problem) = doc.check.as_ref().and_then(|c| c.problem.clone()) else {
            self.notice = Some("no errors".into());
            return;
        };
        let field = problem
            .key
            .as_deref()
            .and_then(fields::field_for_key)
            .and_then(|f| FIELDS.iter().position(|x| x.path == f.path));
        match (self.view, field, problem.location) {
            (View::Form, Some(i), _) => {
                doc.list = None;
                doc.field = i;
            }
            (_, _, Some(loc)) => {
                self.view = View::Text;
                doc.editor.goto(loc.line, loc.column);
            }
            (_, Some(i), None) => {
                self.view = View::Form;
                doc.field = i;
            }
            _ => self.error = Some(problem.message),
        }
    }

    fn selected_row(&self) -> Option<&ProfileRow> {
        self.rows.get(self.selected)
    }
}

#[cfg(test)]
impl ProfilesPane {
    pub fn captures_input_for_test(&self) -> bool {
        self.captures_input()
    }
}

impl Component for ProfilesPane {
    fn handle_key(&mut self, key: KeyEvent, out: &mut Vec<Intent>) -> Handled {
        if self.prompt.is_some() {
            self.prompt_key(key, out);
            return Handled::Yes;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let editing = matches!(self.view, View::Form | View::Text) && self.doc.is_some();
        if ctrl && editing {
            match key.code {
                KeyCode::Char('s') => {
                    self.start_save();
                    return Handled::Yes;
                }
                KeyCode::Char('e') => {
                    self.jump_to_error();
                    return Handled::Yes;
                }
                _ => {}
            }
        }
        match self.view {
            View::List => self.list_key(key, out),
            View::Form => self.form_key(key, out),
            View::Text => self.text_key(key, out),
            View::Review => self.review_key(key, out),
            View::History => self.history_key(key),
        }
    }

    fn captures_input(&self) -> bool {
        self.prompt.is_some() || (self.view == View::Text && self.doc.is_some())
    }

    fn keys(&self) -> &'static [KeyHelp] {
        if self.prompt.is_some() {
            return PROMPT_KEYS;
        }
        match self.view {
            View::List => LIST_KEYS,
            View::Form if self.doc.as_ref().is_some_and(|d| d.list.is_some()) => LIST_EDIT_KEYS,
            View::Form => FORM_KEYS,
            View::Text => TEXT_KEYS,
            View::Review => REVIEW_KEYS,
            View::History => HISTORY_KEYS,
        }
    }

    fn hint(&self) -> &'static str {
        match self.view {
            View::List => "Enter edit · n new · d delete · h history",
            View::Form => "Enter edit · x unset · t text · ^S save · ^E error",
            View::Text => "^S save · ^E error · Esc form",
            View::Review => "y save · n back",
            View::History => "R roll back · Esc back",
        }
    }

    fn render(
        &self,
        f: &mut ratatui::Frame,
        area: ratatui::layout::Rect,
        focused: bool,
        st: &crate::tui::style::Styles,
        _now: chrono::DateTime<chrono::Utc>,
    ) {
        render::render(self, f, area, focused, st);
    }
}
