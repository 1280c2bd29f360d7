//! The system check view: `SandboxService::check` rendered as a list with each problem's
//! remedy. Run when the pane is first shown and again with `r`.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Component, Handled, KeyHelp, pane_block};
use crate::sandbox::{CheckReport, CheckStatus};
use crate::tui::event::Intent;
use crate::tui::style::Styles;

#[derive(Debug, Clone, Default)]
pub struct CheckPane {
    pub report: Option<CheckReport>,
    pub running: bool,
    pub scroll: u16,
}

const KEYS: &[KeyHelp] = &[("r", "run the checks again"), ("↑/↓ j/k", "scroll")];

impl CheckPane {
    /// Asks for a run unless one is under way.
    pub fn run(&mut self, out: &mut Vec<Intent>) {
        if !self.running {
            self.running = true;
            out.push(Intent::RunCheck);
        }
    }

    pub fn set(&mut self, report: CheckReport) {
        self.report = Some(report);
        self.running = false;
    }
}

impl Component for CheckPane {
    fn handle_key(&mut self, key: KeyEvent, out: &mut Vec<Intent>) -> Handled {
        match key.code {
            KeyCode::Char('r') => self.run(out),
            KeyCode::Down | KeyCode::Char('j') => self.scroll = self.scroll.saturating_add(1),
            KeyCode::Up | KeyCode::Char('k') => self.scroll = self.scroll.saturating_sub(1),
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn keys(&self) -> &'static [KeyHelp] {
        KEYS
    }

    fn hint(&self) -> &'static str {
        "r re-run checks"
    }

    fn render(&self, f: &mut Frame, area: Rect, focused: bool, st: &Styles, _now: DateTime<Utc>) {
        let mut title = vec![Span::styled(" System check ", st.title)];
        let mut lines = Vec::new();
        match &self.report {
            None => lines.push(Line::styled(
                if self.running {
                    "Running checks…"
                } else {
                    "Not run yet (r runs it)."
                },
                st.muted,
            )),
            Some(report) => {
                title.push(if report.ok {
                    Span::styled("ready ", st.ok)
                } else {
                    Span::styled("NOT ready ", st.danger)
                });
                if self.running {
                    title.push(Span::styled("(re-running) ", st.muted));
                }
                for item in &report.items {
                    let (mark, style) = match item.status {
                        CheckStatus::Ok => ("ok  ", st.ok),
                        CheckStatus::Warn => ("warn", st.warn),
                        CheckStatus::Fail => ("FAIL", st.danger),
                    };
                    lines.push(Line::from(vec![
                        Span::styled(format!("[{mark}] "), style),
                        Span::styled(format!("{}: ", item.name), st.accent),
                        Span::raw(item.detail.clone()),
                    ]));
                    if let Some(fix) = &item.remediation {
                        lines.push(Line::from(vec![
                            Span::styled("       fix: ", st.muted),
                            Span::raw(fix.clone()),
                        ]));
                    }
                }
            }
        }
        let p = Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((self.scroll, 0))
            .block(pane_block(title, focused, st));
        f.render_widget(p, area);
    }
}
