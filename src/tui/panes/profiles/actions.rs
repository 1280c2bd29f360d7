//! The keys of the list, text, review and history screens and of the prompts, and what a
//! confirmed question or an accepted prompt does. (The form's keys are in `form`.)

use crossterm::event::{KeyCode, KeyEvent};

use super::editor::TextEditor;
use super::msg::{ProfileRequest, SourceKind};
use super::{Confirm, HistoryState, ProfilesPane, Prompt, Purpose, View, with_name};
use crate::tui::event::Intent;
use crate::tui::panes::{Handled, TextInput};

impl ProfilesPane {
    pub(super) fn list_key(&mut self, key: KeyEvent, out: &mut Vec<Intent>) -> Handled {
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected = (self.selected + 1).min(self.rows.len().saturating_sub(1));
            }
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Enter | KeyCode::Char('e') | KeyCode::Char('t') => {
                if let Some(row) = self.selected_row() {
                    let view = if key.code == KeyCode::Char('t') {
                        View::Text
                    } else {
                        View::Form
                    };
                    let name = row.name.clone();
                    self.open(name, view, out);
                }
            }
            KeyCode::Char('n') => {
                self.prompt = Some(Prompt::Input {
                    purpose: Purpose::NewName,
                    input: TextInput::default(),
                });
            }
            KeyCode::Char('d') => match self.selected_row() {
                Some(row) if row.kind == SourceKind::User => {
                    self.prompt = Some(Prompt::Confirm {
                        question: format!(
                            "Delete the user profile {}? (its history keeps a copy)",
                            row.name
                        ),
                        action: Confirm::Delete(row.name.clone()),
                    });
                }
                Some(row) => {
                    self.error = Some(format!(
                        "{} is a {} profile: only user profiles (LASSO_HOME/profiles) can be \
                         deleted here",
                        row.name,
                        row.kind.label()
                    ));
                }
                None => {}
            },
            KeyCode::Char('h') => {
                if let Some(row) = self.selected_row() {
                    let name = row.name.clone();
                    self.show_history(name, false, out);
                }
            }
            KeyCode::Char('r') => self.load(out),
            _ => return Handled::No,
        }
        Handled::Yes
    }

    pub(super) fn show_history(&mut self, name: String, back_to_form: bool, out: &mut Vec<Intent>) {
        self.error = None;
        self.history = Some(HistoryState {
            name: name.clone(),
            data: None,
            selected: 0,
            back_to_form,
        });
        self.view = View::History;
        out.push(Intent::Profile(ProfileRequest::History { name }));
    }

    pub(super) fn history_key(&mut self, key: KeyEvent) -> Handled {
        let Some(h) = &mut self.history else {
            self.view = View::List;
            return Handled::Yes;
        };
        let n = h.data.as_ref().map_or(0, |d| d.versions.len());
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => {
                h.selected = (h.selected + 1).min(n.saturating_sub(1))
            }
            KeyCode::Up | KeyCode::Char('k') => h.selected = h.selected.saturating_sub(1),
            KeyCode::Char('R') | KeyCode::Enter => {
                if let Some(v) = h.data.as_ref().and_then(|d| d.versions.get(h.selected)) {
                    self.prompt = Some(Prompt::Confirm {
                        question: format!(
                            "Roll {} back to v{}? (the current file is archived first)",
                            h.name, v.entry.version
                        ),
                        action: Confirm::Rollback(h.name.clone(), v.entry.version),
                    });
                }
            }
            KeyCode::Esc => {
                self.view = if h.back_to_form && self.doc.is_some() {
                    View::Form
                } else {
                    View::List
                };
                self.history = None;
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    pub(super) fn review_key(&mut self, key: KeyEvent, out: &mut Vec<Intent>) -> Handled {
        match key.code {
            KeyCode::Char('y') | KeyCode::Enter => {
                let Some(doc) = &self.doc else {
                    return Handled::Yes;
                };
                let ok = doc.check.as_ref().is_some_and(|c| c.problem.is_none());
                if doc.checking {
                    self.notice = Some("still checking; try again in a moment".into());
                } else if !ok {
                    self.error = Some(
                        "the profile has errors; fix them before saving (Ctrl-E shows the first)"
                            .into(),
                    );
                    self.view = View::Form;
                } else {
                    self.notice = Some(format!("saving {}…", doc.name));
                    out.push(Intent::Profile(ProfileRequest::Save {
                        name: doc.name.clone(),
                        text: doc.text(),
                    }));
                }
            }
            KeyCode::Char('n') | KeyCode::Esc => self.view = View::Form,
            _ => return Handled::No,
        }
        Handled::Yes
    }

    pub(super) fn text_key(&mut self, key: KeyEvent, out: &mut Vec<Intent>) -> Handled {
        if key.code == KeyCode::Esc {
            self.view = View::Form;
            return Handled::Yes;
        }
        if let Some(doc) = &mut self.doc
            && doc.editor.handle(key)
        {
            self.edited(out);
        }
        Handled::Yes
    }

    pub(super) fn prompt_key(&mut self, key: KeyEvent, out: &mut Vec<Intent>) {
        let Some(prompt) = self.prompt.take() else {
            return;
        };
        match prompt {
            Prompt::Confirm { question, action } => match key.code {
                KeyCode::Char('y') | KeyCode::Enter => self.confirmed(action, out),
                KeyCode::Char('n') | KeyCode::Esc => {}
                _ => self.prompt = Some(Prompt::Confirm { question, action }),
            },
            Prompt::Input { purpose, mut input } => match key.code {
                KeyCode::Esc => {}
                KeyCode::Enter => self.submitted(purpose, input.value, out),
                _ => {
                    input.edit(key);
                    self.prompt = Some(Prompt::Input { purpose, input });
                }
            },
        }
    }

    pub(super) fn confirmed(&mut self, action: Confirm, out: &mut Vec<Intent>) {
        match action {
            Confirm::Delete(name) => out.push(Intent::Profile(ProfileRequest::Delete { name })),
            Confirm::Rollback(name, version) => {
                out.push(Intent::Profile(ProfileRequest::Rollback { name, version }));
            }
            Confirm::Discard => {
                self.doc = None;
                self.view = View::List;
            }
        }
    }

    pub(super) fn submitted(&mut self, purpose: Purpose, value: String, out: &mut Vec<Intent>) {
        let value_trim = value.trim().to_string();
        match purpose {
            Purpose::NewName | Purpose::SaveAsName => {
                if let Err(e) = crate::config::check_profile_name(&value_trim) {
                    self.error = Some(format!("{value_trim:?} is not a profile name: {e}"));
                    self.prompt = Some(Prompt::Input {
                        purpose,
                        input: TextInput { value },
                    });
                    return;
                }
                if self.rows.iter().any(|r| r.name == value_trim) {
                    self.error = Some(format!(
                        "a profile named {value_trim} exists; choose another name"
                    ));
                    self.prompt = Some(Prompt::Input {
                        purpose,
                        input: TextInput { value },
                    });
                    return;
                }
                self.error = None;
                if purpose == Purpose::NewName {
                    let parent = self.selected_row().map(|r| r.name.clone());
                    self.new_doc(value_trim, parent, out);
                } else if let Some(doc) = &mut self.doc {
                    let text = with_name(&doc.text(), &value_trim);
                    doc.name = value_trim;
                    doc.kind = SourceKind::User;
                    doc.is_new = true;
                    doc.saved = None;
                    doc.saved_text = String::new();
                    doc.editor = TextEditor::new(&text);
                    doc.inherited_for = None;
                    self.view = View::Review;
                    self.edited(out);
                }
            }
            Purpose::Field(i) => self.set_scalar(i, &value, out),
            Purpose::Item(index) => self.set_item(index, value, out),
        }
    }
}
