//! The sandboxes pane: every sandbox of this `LASSO_HOME`, sortable and filterable, with the
//! actions on the selection. Stop and remove ask for confirmation (the App shows the dialog);
//! the list itself is replaced wholesale by each refresh, keeping the selection by id.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{Component, Handled, KeyHelp, TextInput, age, clip, fit_columns, pane_block};
use crate::sandbox::{SandboxInfo, SessionKind, TermSize};
use crate::tui::event::{Intent, SandboxStats};
use crate::tui::style::Styles;

/// Sort orders, cycled with `s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Created,
    Name,
    State,
    Profile,
    Blocked,
}

impl SortKey {
    fn next(self) -> SortKey {
        match self {
            SortKey::Created => SortKey::Name,
            SortKey::Name => SortKey::State,
            SortKey::State => SortKey::Profile,
            SortKey::Profile => SortKey::Blocked,
            SortKey::Blocked => SortKey::Created,
        }
    }
    fn label(self) -> &'static str {
        match self {
            SortKey::Created => "age",
            SortKey::Name => "name",
            SortKey::State => "state",
            SortKey::Profile => "profile",
            SortKey::Blocked => "blocked",
        }
    }
}

/// A confirmation the App must show before an intent is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub question: String,
    pub intent: Intent,
}

#[derive(Debug, Clone)]
pub struct SandboxesPane {
    pub all: Vec<SandboxInfo>,
    pub blocked: HashMap<String, u64>,
    pub sort: SortKey,
    pub reverse: bool,
    pub filter: TextInput,
    pub filtering: bool,
    pub selected: usize,
    /// Set by a key that needs confirmation; the App takes it.
    pub confirm: Option<Confirm>,
    /// Set by `n`: the App opens the create dialog.
    pub want_create: bool,
    /// The list failed to load (shown instead of an empty table).
    pub error: Option<String>,
    pub loaded: bool,
    /// CPU and memory by sandbox id (only for the sandboxes being sampled: those on screen).
    pub stats: HashMap<String, SandboxStats>,
    /// Table rows the last frame had room for (0 when the pane was not drawn); decides
    /// which sandboxes are on screen and so sampled.
    pub body_rows: std::cell::Cell<u16>,
    /// The containers last asked to be sampled.
    stats_sent: Vec<String>,
}

impl Default for SandboxesPane {
    fn default() -> Self {
        SandboxesPane {
            all: Vec::new(),
            blocked: HashMap::new(),
            sort: SortKey::Created,
            reverse: false,
            filter: TextInput::default(),
            filtering: false,
            selected: 0,
            confirm: None,
            want_create: false,
            error: None,
            loaded: false,
            stats: HashMap::new(),
            body_rows: std::cell::Cell::new(0),
            stats_sent: Vec::new(),
        }
    }
}

const KEYS: &[KeyHelp] = &[
    ("↑/↓ j/k", "move the selection"),
    ("Home/End g/G", "first / last sandbox"),
    ("n", "new sandbox (create dialog)"),
    ("x", "stop the selected sandbox (asks first)"),
    ("d", "remove the selected sandbox (asks first)"),
    (
        "R",
        "restart the selected sandbox: same id, name, audit log, mode (asks first)",
    ),
    ("a / Enter", "open its audit log in the audit browser"),
    ("t", "open a gated REPL in it (a terminal tab)"),
    ("T", "open a raw shell in it (where its profile allows one)"),
    ("s / S", "cycle the sort column / reverse the order"),
    (
        "/",
        "filter by name, profile, state, id (Enter keeps, Esc clears)",
    ),
    ("r", "refresh now"),
];

impl SandboxesPane {
    /// Replaces the list, keeping the selected sandbox selected.
    pub fn set(&mut self, list: Vec<SandboxInfo>) {
        let keep = self.selected_info().map(|s| s.id.clone());
        self.all = list;
        self.loaded = true;
        self.error = None;
        if let Some(id) = keep
            && let Some(i) = self.visible().iter().position(|s| s.id == id)
        {
            self.selected = i;
        }
        self.clamp();
    }

    fn blocked_of(&self, s: &SandboxInfo) -> u64 {
        self.blocked.get(&s.id).copied().unwrap_or(0)
    }

    /// The rows shown: filtered, sorted.
    pub fn visible(&self) -> Vec<&SandboxInfo> {
        let needle = self.filter.value.to_lowercase();
        let mut rows: Vec<&SandboxInfo> = self
            .all
            .iter()
            .filter(|s| {
                needle.is_empty()
                    || [&s.name, &s.profile, &s.state, &s.id, &s.mode]
                        .iter()
                        .any(|f| f.to_lowercase().contains(&needle))
            })
            .collect();
        match self.sort {
            SortKey::Created => rows.sort_by(|a, b| a.created_at.cmp(&b.created_at)),
            SortKey::Name => rows.sort_by(|a, b| a.name.cmp(&b.name)),
            SortKey::State => rows.sort_by(|a, b| a.state.cmp(&b.state).then(a.name.cmp(&b.name))),
            SortKey::Profile => {
                rows.sort_by(|a, b| a.profile.cmp(&b.profile).then(a.name.cmp(&b.name)))
            }
            SortKey::Blocked => rows.sort_by(|a, b| {
                self.blocked_of(b)
                    .cmp(&self.blocked_of(a))
                    .then(a.name.cmp(&b.name))
            }),
        }
        if self.reverse {
            rows.reverse();
        }
        rows
    }

    pub fn selected_info(&self) -> Option<&SandboxInfo> {
        self.visible().get(self.selected).copied()
    }

    /// The running sandboxes in the rows the last frame showed (the table scrolls so the
    /// selection is visible, like ratatui's own offset rule).
    pub fn on_screen_running(&self) -> Vec<SandboxInfo> {
        let height = usize::from(self.body_rows.get());
        if height == 0 || self.error.is_some() {
            return Vec::new();
        }
        let rows = self.visible();
        let offset = (self.selected + 1).saturating_sub(height);
        rows.into_iter()
            .skip(offset)
            .take(height)
            .filter(|s| s.state == "running")
            .cloned()
            .collect()
    }

    /// After a frame: the sampling request when the running sandboxes on screen changed.
    pub fn stats_intent(&mut self) -> Option<Intent> {
        let on_screen = self.on_screen_running();
        // By container: a restarted sandbox keeps its id but has a new container to sample.
        let ids: Vec<String> = on_screen.iter().map(|s| s.container_id.clone()).collect();
        if ids == self.stats_sent {
            return None;
        }
        self.stats_sent = ids;
        Some(Intent::SampleStats(on_screen))
    }

    fn clamp(&mut self) {
        let n = self.visible().len();
        self.selected = if n == 0 { 0 } else { self.selected.min(n - 1) };
    }
}

impl Component for SandboxesPane {
    fn captures_input(&self) -> bool {
        self.filtering
    }

    fn handle_key(&mut self, key: KeyEvent, out: &mut Vec<Intent>) -> Handled {
        if self.filtering {
            match key.code {
                KeyCode::Enter => self.filtering = false,
                KeyCode::Esc => {
                    self.filtering = false;
                    self.filter.value.clear();
                }
                _ => {
                    self.filter.edit(key);
                }
            }
            self.clamp();
            return Handled::Yes;
        }
        let n = self.visible().len();
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => {
                if n > 0 {
                    self.selected = (self.selected + 1).min(n - 1);
                }
            }
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Home | KeyCode::Char('g') => self.selected = 0,
            KeyCode::End | KeyCode::Char('G') => self.selected = n.saturating_sub(1),
            KeyCode::Char('/') => self.filtering = true,
            KeyCode::Char('s') => {
                self.sort = self.sort.next();
                self.clamp();
            }
            KeyCode::Char('S') => self.reverse = !self.reverse,
            KeyCode::Char('r') => out.push(Intent::Refresh),
            KeyCode::Char('n') => self.want_create = true,
            KeyCode::Char('x') | KeyCode::Char('d') => {
                let remove = key.code == KeyCode::Char('d');
                if let Some(s) = self.selected_info() {
                    let (id, name) = (s.id.clone(), s.name.clone());
                    self.confirm = Some(if remove {
                        Confirm {
                            question: format!(
                                "Remove sandbox {name} ({})? Its container is deleted; its audit log stays.",
                                s.short_id()
                            ),
                            intent: Intent::Remove { id, name },
                        }
                    } else {
                        Confirm {
                            question: format!(
                                "Stop sandbox {name} ({})? Its processes end and the container is removed; its audit log stays.",
                                s.short_id()
                            ),
                            intent: Intent::Stop { id, name },
                        }
                    });
                }
            }
            KeyCode::Char('R') => {
                if let Some(s) = self.selected_info() {
                    self.confirm = Some(Confirm {
                        question: format!(
                            "Restart sandbox {} ({})? Its processes end and a fresh container starts with the same id, name, working dir, mode and stored profile; its audit log continues.",
                            s.name,
                            s.short_id()
                        ),
                        intent: Intent::Restart {
                            id: s.id.clone(),
                            name: s.name.clone(),
                        },
                    });
                }
            }
            KeyCode::Char('t') | KeyCode::Char('T') => {
                if let Some(s) = self.selected_info() {
                    out.push(Intent::OpenTerminal {
                        id: s.id.clone(),
                        name: s.name.clone(),
                        kind: if key.code == KeyCode::Char('t') {
                            SessionKind::Repl
                        } else {
                            SessionKind::Shell
                        },
                        // The App sets the terminal pane's size.
                        size: TermSize { cols: 80, rows: 24 },
                    });
                }
            }
            KeyCode::Char('a') | KeyCode::Enter => {
                if let Some(s) = self.selected_info() {
                    out.push(Intent::OpenAudit {
                        label: s.name.clone(),
                        path: s.audit_log.clone().into(),
                    });
                }
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn keys(&self) -> &'static [KeyHelp] {
        KEYS
    }

    fn hint(&self) -> &'static str {
        "n new · t/T terminal · R restart · x stop · a audit · / filter"
    }

    fn render(&self, f: &mut Frame, area: Rect, focused: bool, st: &Styles, now: DateTime<Utc>) {
        let rows = self.visible();
        let mut title = vec![Span::styled(" Sandboxes ", st.title)];
        title.push(Span::styled(
            format!("{}/{} ", rows.len(), self.all.len()),
            st.muted,
        ));
        title.push(Span::styled(
            format!(
                "sort:{}{} ",
                self.sort.label(),
                if self.reverse { "↑" } else { "" }
            ),
            st.muted,
        ));
        if self.filtering || !self.filter.value.is_empty() {
            title.push(Span::styled(
                format!(
                    "/{}{} ",
                    self.filter.value,
                    if self.filtering { "▏" } else { "" }
                ),
                st.accent,
            ));
        }
        let block = pane_block(title, focused, st);
        self.body_rows.set(0);
        if let Some(err) = &self.error {
            let p = Paragraph::new(vec![
                Line::styled("Cannot list sandboxes:", st.danger),
                Line::raw(err.clone()),
                Line::styled("Retrying automatically; r retries now.", st.muted),
            ])
            .wrap(Wrap { trim: true })
            .block(block);
            f.render_widget(p, area);
            return;
        }
        if rows.is_empty() {
            let msg = if !self.loaded {
                "Loading sandboxes…".to_string()
            } else if self.all.is_empty() {
                "No sandboxes yet. Press n to create one.".to_string()
            } else {
                format!("No sandbox matches /{}", self.filter.value)
            };
            f.render_widget(
                Paragraph::new(Line::styled(msg, st.muted)).block(block),
                area,
            );
            return;
        }
        // Most important first: narrow panes drop columns from the right.
        let header = Row::new([
            "NAME", "STATE", "BLK", "CPU", "MEM", "UP", "PROFILE", "MODE", "ISOL",
        ])
        .style(st.muted);
        let table_rows: Vec<Row> = rows
            .iter()
            .map(|s| {
                let state_style = if s.state == "running" && s.problems.is_empty() {
                    st.ok
                } else if s.state == "running" || s.is_creating() {
                    st.warn
                } else {
                    st.danger
                };
                let blocked = self.blocked_of(s);
                let (cpu, mem) = stats_cells(self.stats.get(&s.id), s.state == "running");
                Row::new(vec![
                    Cell::from(clip(&s.name, 24)),
                    Cell::from(Span::styled(
                        if s.problems.is_empty() {
                            s.state.clone()
                        } else {
                            format!("{}!", s.state)
                        },
                        state_style,
                    )),
                    Cell::from(Span::styled(
                        blocked.to_string(),
                        if blocked > 0 { st.danger } else { st.muted },
                    )),
                    Cell::from(Span::styled(cpu, st.muted)),
                    Cell::from(Span::styled(mem, st.muted)),
                    Cell::from(age(&s.created_at, now)),
                    Cell::from(clip(&s.profile, 16)),
                    Cell::from(clip(&s.mode, 10)),
                    Cell::from(clip(&s.isolation, 9)),
                ])
            })
            .collect();
        // Inside the borders, minus the highlight symbol.
        let avail = area.width.saturating_sub(4);
        let widths = fit_columns(avail, &[12, 9, 4, 5, 5, 7, 12, 10, 9], 0, 1);
        // Borders and the header row.
        self.body_rows.set(area.height.saturating_sub(3));
        let table = Table::new(table_rows, widths)
            .header(header)
            .block(block)
            .row_highlight_style(if focused {
                st.selected
            } else {
                Style::default()
            })
            .highlight_symbol("▶ ")
            .highlight_spacing(ratatui::widgets::HighlightSpacing::Always);
        let mut state = TableState::default().with_selected(Some(self.selected));
        f.render_stateful_widget(table, area, &mut state);
    }
}

/// The CPU and MEM cells: `·` while the first samples are on their way (CPU needs two), `-`
/// for a sandbox that is not running.
fn stats_cells(stats: Option<&SandboxStats>, running: bool) -> (String, String) {
    if !running {
        return ("-".into(), "-".into());
    }
    match stats {
        None => ("·".into(), "·".into()),
        Some(s) => (
            s.cpu_percent.map_or_else(
                || "·".to_string(),
                |c| {
                    if c >= 99.95 {
                        format!("{c:.0}%")
                    } else {
                        format!("{c:.1}%")
                    }
                },
            ),
            human_bytes(s.memory_bytes),
        ),
    }
}

/// `812K`, `3.4M`, `512M`, `1.2G`: compact, at most 5 characters below 1000 GiB.
pub fn human_bytes(b: u64) -> String {
    const K: f64 = 1024.0;
    let f = b as f64;
    let scaled = |v: f64, unit: char| {
        if v < 99.95 {
            format!("{v:.1}{unit}")
        } else {
            format!("{v:.0}{unit}")
        }
    };
    if f < K {
        format!("{b}B")
    } else if f < K * K {
        format!("{:.0}K", f / K)
    } else if f < K * K * K {
        scaled(f / (K * K), 'M')
    } else {
        scaled(f / (K * K * K), 'G')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_cells_say_what_is_known() {
        assert_eq!(stats_cells(None, false), ("-".into(), "-".into()));
        assert_eq!(stats_cells(None, true), ("·".into(), "·".into()));
        let s = SandboxStats {
            cpu_percent: Some(12.345),
            memory_bytes: 3 << 20,
        };
        assert_eq!(stats_cells(Some(&s), true), ("12.3%".into(), "3.0M".into()));
        let first = SandboxStats {
            cpu_percent: None,
            memory_bytes: 900,
        };
        assert_eq!(stats_cells(Some(&first), true), ("·".into(), "900B".into()));
        assert_eq!(human_bytes(812 * 1024), "812K");
        assert_eq!(human_bytes(3 << 30), "3.0G");
        assert_eq!(human_bytes(1000 << 20), "1000M");
        assert_eq!(human_bytes(512 << 20), "512M");
        let busy = SandboxStats {
            cpu_percent: Some(199.96),
            memory_bytes: 0,
        };
        assert_eq!(stats_cells(Some(&busy), true).0, "200%");
    }
}
