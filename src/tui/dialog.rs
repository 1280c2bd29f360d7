//! Modal overlays that take every key while open: the create dialog (profile list, working
//! directory, optional name, isolation) and the yes/no confirmation of destructive actions.
//!
//! In the working-directory field Tab completes directory names (dircomplete.rs); a Tab that
//! changes nothing and has already shown the candidates moves to the next field, so Tab still
//! walks the form. A directory that does not exist is refused in the dialog, before any
//! engine work.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap};

use super::event::{CreateForm, Intent};
use super::panes::{KeyHelp, TextInput};
use super::style::Styles;
use crate::config::{Isolation, ProfileInfo};

/// The fields of the create dialog, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Profile,
    WorkingDir,
    Name,
    Isolation,
}

#[derive(Debug, Clone)]
pub struct CreateDialog {
    /// `None` while loading; `Err` when the profiles could not be listed.
    pub profiles: Option<Result<Vec<ProfileInfo>, String>>,
    pub profile: usize,
    pub working_dir: TextInput,
    pub name: TextInput,
    pub isolation: Isolation,
    pub field: Field,
    pub error: Option<String>,
    /// Directory names the last Tab in the working-directory field matched (several).
    pub candidates: Vec<String>,
    /// `$HOME`, for `~` in the working directory.
    pub home: Option<PathBuf>,
}

pub const CREATE_KEYS: &[KeyHelp] = &[
    ("Tab / Shift-Tab", "next / previous field"),
    ("Tab", "complete the working directory (~ is $HOME)"),
    ("↑/↓", "choose the profile (profile field)"),
    ("←/→", "choose the isolation (isolation field)"),
    ("Enter", "create the sandbox"),
    ("Esc", "cancel"),
];

pub const CONFIRM_KEYS: &[KeyHelp] = &[("y / Enter", "yes, do it"), ("n / Esc", "no, cancel")];

/// What a dialog wants after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogOutcome {
    Open,
    Cancel,
    Submit(Intent),
}

impl CreateDialog {
    pub fn new(working_dir: PathBuf) -> CreateDialog {
        CreateDialog {
            profiles: None,
            profile: 0,
            working_dir: TextInput {
                value: working_dir.display().to_string(),
            },
            name: TextInput::default(),
            isolation: Isolation::Container,
            field: Field::Profile,
            error: None,
            candidates: Vec::new(),
            home: std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|h| h.is_absolute()),
        }
    }

    /// Tab in the working-directory field: complete, list, or (nothing left to do) move on.
    fn complete_dir(&mut self) -> bool {
        let before = self.working_dir.value.clone();
        let c = super::dircomplete::complete(&before, self.home.as_deref());
        let changed = c.value != before;
        let shown_again = !c.candidates.is_empty() && c.candidates == self.candidates;
        self.working_dir.value = c.value;
        self.candidates = c.candidates;
        changed || !(self.candidates.is_empty() || shown_again)
    }

    fn usable(&self) -> Vec<&ProfileInfo> {
        match &self.profiles {
            Some(Ok(p)) => p.iter().collect(),
            _ => Vec::new(),
        }
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> DialogOutcome {
        let fields = [
            Field::Profile,
            Field::WorkingDir,
            Field::Name,
            Field::Isolation,
        ];
        let at = fields.iter().position(|f| *f == self.field).unwrap_or(0);
        match key.code {
            KeyCode::Esc => return DialogOutcome::Cancel,
            KeyCode::Tab if self.field == Field::WorkingDir && self.complete_dir() => {}
            KeyCode::Tab => {
                self.candidates.clear();
                self.field = fields[(at + 1) % fields.len()];
            }
            KeyCode::BackTab => self.field = fields[(at + fields.len() - 1) % fields.len()],
            KeyCode::Enter => return self.submit(),
            KeyCode::Up if self.field == Field::Profile => {
                self.profile = self.profile.saturating_sub(1)
            }
            KeyCode::Down if self.field == Field::Profile => {
                let n = self.usable().len();
                if n > 0 {
                    self.profile = (self.profile + 1).min(n - 1);
                }
            }
            KeyCode::Left | KeyCode::Right if self.field == Field::Isolation => {
                let all = Isolation::ALL;
                let i = all.iter().position(|x| *x == self.isolation).unwrap_or(0);
                let n = all.len();
                let j = if key.code == KeyCode::Right {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.isolation = all.get(j).copied().unwrap_or(Isolation::Container);
            }
            _ => {
                if key.modifiers.contains(KeyModifiers::CONTROL) && key.code != KeyCode::Char('u') {
                    return DialogOutcome::Open;
                }
                match self.field {
                    Field::WorkingDir if self.working_dir.edit(key) => self.candidates.clear(),
                    Field::Name => {
                        self.name.edit(key);
                    }
                    _ => {}
                }
            }
        }
        DialogOutcome::Open
    }

    fn submit(&mut self) -> DialogOutcome {
        let Some(profile) = self
            .usable()
            .get(self.profile)
            .map(|p| (p.name.clone(), p.problem.clone()))
        else {
            self.error = Some("no profile to choose (see the error above)".into());
            return DialogOutcome::Open;
        };
        if let (name, Some(problem)) = &profile {
            self.error = Some(format!("profile {name} cannot be used: {problem}"));
            return DialogOutcome::Open;
        }
        let typed = self.working_dir.value.trim();
        let dir = super::dircomplete::expand_tilde(typed, self.home.as_deref());
        if dir.is_empty() || !std::path::Path::new(&dir).is_absolute() {
            self.error = Some("the working directory must be an absolute path".into());
            self.field = Field::WorkingDir;
            return DialogOutcome::Open;
        }
        let Some(dir) = super::dircomplete::existing_dir(&dir, None) else {
            self.error = Some(format!(
                "the working directory {dir} does not exist or is not a directory \
                 (Tab completes directory names)"
            ));
            self.field = Field::WorkingDir;
            return DialogOutcome::Open;
        };
        let name = self.name.value.trim();
        DialogOutcome::Submit(Intent::Create(CreateForm {
            profile: profile.0,
            working_dir: dir,
            name: (!name.is_empty()).then(|| name.to_string()),
            isolation: self.isolation,
        }))
    }

    pub fn render(&self, f: &mut Frame, area: Rect, st: &Styles) {
        let area = centered(area, 70, 22);
        f.render_widget(Clear, area);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(st.border_focused)
            .title(Span::styled(" New sandbox ", st.title));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let [plist, dir, name, iso, msg] = Layout::vertical([
            Constraint::Fill(1),
            Constraint::Length(2),
            Constraint::Length(2),
            Constraint::Length(2),
            Constraint::Length(4),
        ])
        .areas(inner);
        let label = |field: Field, text: &'static str| {
            Span::styled(
                text,
                if self.field == field {
                    st.key
                } else {
                    st.muted
                },
            )
        };
        match &self.profiles {
            None => f.render_widget(
                Paragraph::new(Line::styled("Loading profiles…", st.muted)),
                plist,
            ),
            Some(Err(e)) => f.render_widget(
                Paragraph::new(vec![
                    Line::styled("Cannot list profiles:", st.danger),
                    Line::raw(e.clone()),
                ])
                .wrap(Wrap { trim: true }),
                plist,
            ),
            Some(Ok(list)) => {
                let items: Vec<ListItem> = list
                    .iter()
                    .map(|p| {
                        let mut spans = vec![
                            Span::raw(format!("{:<16}", p.name)),
                            Span::styled(
                                match p.source {
                                    crate::config::ProfileSource::Builtin => "built-in ",
                                    crate::config::ProfileSource::File(_) => "user     ",
                                },
                                st.muted,
                            ),
                            Span::raw(p.description.clone()),
                        ];
                        if let Some(problem) = &p.problem {
                            spans.push(Span::styled(format!("  ✗ {problem}"), st.danger));
                        }
                        ListItem::new(Line::from(spans))
                    })
                    .collect();
                let list = List::new(items)
                    .block(Block::default().title(label(Field::Profile, "Profile (↑/↓)")))
                    .highlight_style(if self.field == Field::Profile {
                        st.selected
                    } else {
                        st.accent
                    })
                    .highlight_symbol("▶ ");
                let mut state = ListState::default().with_selected(Some(self.profile));
                f.render_stateful_widget(list, plist, &mut state);
            }
        }
        let cursor = |field: Field| if self.field == field { "▏" } else { "" };
        f.render_widget(
            Paragraph::new(vec![
                Line::from(label(Field::WorkingDir, "Working directory")),
                Line::raw(format!(
                    "{}{}",
                    self.working_dir.value,
                    cursor(Field::WorkingDir)
                )),
            ]),
            dir,
        );
        f.render_widget(
            Paragraph::new(vec![
                Line::from(label(Field::Name, "Name (optional)")),
                Line::raw(format!("{}{}", self.name.value, cursor(Field::Name))),
            ]),
            name,
        );
        let iso_line: Vec<Span> = Isolation::ALL
            .iter()
            .map(|i| {
                if *i == self.isolation {
                    Span::styled(format!("[{i}] "), st.accent)
                } else {
                    Span::styled(format!(" {i}  "), st.muted)
                }
            })
            .collect();
        f.render_widget(
            Paragraph::new(vec![
                Line::from(label(Field::Isolation, "Isolation (←/→)")),
                Line::from(iso_line),
            ]),
            iso,
        );
        let mut lines = Vec::new();
        if let Some(e) = &self.error {
            lines.push(Line::styled(e.clone(), st.danger));
        }
        if !self.candidates.is_empty() {
            let shown = self.candidates.iter().take(12);
            let mut text: String = shown.map(|c| format!("{c}/  ")).collect();
            if self.candidates.len() > 12 {
                text.push_str(&format!("… {} more", self.candidates.len() - 12));
            }
            lines.push(Line::styled(text, st.accent));
        }
        lines.push(Line::styled(
            "Enter create · Tab next field · Esc cancel",
            st.muted,
        ));
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), msg);
    }
}

/// A yes/no question before a destructive intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmDialog {
    pub question: String,
    pub intent: Intent,
}

impl ConfirmDialog {
    pub fn handle_key(&self, key: KeyEvent) -> DialogOutcome {
        match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => {
                DialogOutcome::Submit(self.intent.clone())
            }
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => DialogOutcome::Cancel,
            _ => DialogOutcome::Open,
        }
    }

    pub fn render(&self, f: &mut Frame, area: Rect, st: &Styles) {
        let area = centered(area, 60, 7);
        f.render_widget(Clear, area);
        let p = Paragraph::new(vec![
            Line::raw(self.question.clone()),
            Line::raw(""),
            Line::from(vec![
                Span::styled("y", st.key),
                Span::raw(" yes   "),
                Span::styled("n", st.key),
                Span::raw(" no"),
            ]),
        ])
        .wrap(Wrap { trim: true })
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(st.warn)
                .title(Span::styled(" Confirm ", st.warn)),
        );
        f.render_widget(p, area);
    }
}

/// A `w`×`h` rectangle centred in `area` (clipped to it).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}
