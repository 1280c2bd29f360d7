//! The alerts pane: command-gate violations and in-sandbox guard denials, newest first, as
//! the audit-log tail finds them (so they come from every lasso process). A badge counts the
//! alerts that arrived since the pane last had focus; Enter jumps to the entry in the audit
//! browser.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::{Component, Handled, KeyHelp, clip, fit_columns, pane_block};
use crate::audit::EntryKind;
use crate::tui::event::{Alert, Intent};
use crate::tui::style::Styles;

/// Most alerts kept (the audit log keeps them all).
pub const MAX_ALERTS: usize = 1000;

#[derive(Debug, Clone, Default)]
pub struct AlertsPane {
    /// Newest first.
    pub alerts: Vec<Alert>,
    pub unseen: usize,
    pub selected: usize,
    /// Sandbox id → name, for display.
    pub names: HashMap<String, String>,
}

const KEYS: &[KeyHelp] = &[
    ("↑/↓ j/k", "move the selection"),
    ("Enter", "show the entry in the audit browser"),
    ("c", "clear the list (the audit log keeps every entry)"),
];

impl AlertsPane {
    /// Adds alerts (any order); they count as unseen unless the pane has focus.
    pub fn push(&mut self, mut new: Vec<Alert>, focused: bool) {
        if new.is_empty() {
            return;
        }
        new.sort_by_key(|a| std::cmp::Reverse(a.ts));
        if !focused {
            self.unseen += new.len();
        } else if !self.alerts.is_empty() {
            // Keep the same alert selected as rows arrive above it.
            self.selected += new.len();
        }
        new.extend(std::mem::take(&mut self.alerts));
        new.truncate(MAX_ALERTS);
        self.alerts = new;
        self.selected = self.selected.min(self.alerts.len().saturating_sub(1));
        self.unseen = self.unseen.min(self.alerts.len());
    }

    pub fn mark_seen(&mut self) {
        self.unseen = 0;
    }

    fn name_of<'a>(&'a self, id: &'a str) -> &'a str {
        self.names
            .get(id)
            .map_or_else(|| id.get(..12).unwrap_or(id), String::as_str)
    }
}

impl Component for AlertsPane {
    fn handle_key(&mut self, key: KeyEvent, out: &mut Vec<Intent>) -> Handled {
        let n = self.alerts.len();
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => {
                if n > 0 {
                    self.selected = (self.selected + 1).min(n - 1);
                }
            }
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Char('c') => {
                self.alerts.clear();
                self.selected = 0;
                self.unseen = 0;
            }
            KeyCode::Enter => {
                if let Some(a) = self.alerts.get(self.selected) {
                    out.push(Intent::JumpToEntry {
                        log: a.log.clone(),
                        seq: a.seq,
                        label: self.name_of(&a.sandbox_id).to_string(),
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
        "Enter show in audit · c clear"
    }

    fn render(&self, f: &mut Frame, area: Rect, focused: bool, st: &Styles, _now: DateTime<Utc>) {
        let mut title = vec![Span::styled(" Alerts ", st.title)];
        if self.unseen > 0 {
            title.push(Span::styled(format!("[{} new] ", self.unseen), st.danger));
        }
        let block = pane_block(title, focused, st);
        if self.alerts.is_empty() {
            f.render_widget(
                Paragraph::new(Line::styled(
                    "No violations since the TUI started.",
                    st.muted,
                ))
                .block(block),
                area,
            );
            return;
        }
        let rows: Vec<Row> = self
            .alerts
            .iter()
            .map(|a| {
                let what = if a.kind == EntryKind::Exec {
                    "guard"
                } else {
                    "gate"
                };
                Row::new(vec![
                    Cell::from(Span::styled(a.ts.format("%H:%M:%S").to_string(), st.muted)),
                    Cell::from(clip(self.name_of(&a.sandbox_id), 16)),
                    Cell::from(Span::styled(what, st.warn)),
                    Cell::from(Span::styled(clip(&a.command, 40), st.danger)),
                    Cell::from(format!("{}: {}", a.rule, a.reason)),
                ])
            })
            .collect();
        let widths = fit_columns(area.width.saturating_sub(2), &[8, 16, 5, 30, 10], 4, 1);
        let table = Table::new(rows, widths)
            .block(block)
            .row_highlight_style(if focused {
                st.selected
            } else {
                Style::default()
            });
        let mut state = TableState::default().with_selected(Some(self.selected));
        f.render_stateful_widget(table, area, &mut state);
    }
}
