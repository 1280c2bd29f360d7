//! The panes: components with their own state, key handling, key help and rendering. A pane
//! never does I/O; it pushes [`Intent`]s and is fed data by [`super::App`] when the answers
//! arrive.

pub mod alerts;
pub mod audit;
pub mod check;
pub mod profiles;
pub mod sandboxes;
pub mod terminal;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

use super::event::Intent;
use super::style::Styles;

/// One line of the help overlay.
pub type KeyHelp = (&'static str, &'static str);

/// Whether a pane used a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Yes,
    No,
}

/// What every pane can do.
pub trait Component {
    /// Handles a key; engine work goes to `out`.
    fn handle_key(&mut self, key: KeyEvent, out: &mut Vec<Intent>) -> Handled;
    /// The pane is editing text: every key goes to it (global keys are off).
    fn captures_input(&self) -> bool {
        false
    }
    /// Every key of the pane, for the help overlay.
    fn keys(&self) -> &'static [KeyHelp];
    /// The short hint shown in the status bar when the pane has focus.
    fn hint(&self) -> &'static str;
    fn render(&self, f: &mut Frame, area: Rect, focused: bool, styles: &Styles, now: DateTime<Utc>);
}

/// The bordered block of a pane, highlighted when focused.
pub fn pane_block<'a>(title: Vec<Span<'a>>, focused: bool, styles: &Styles) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(if focused {
            styles.border_focused
        } else {
            styles.border
        })
        .title(Line::from(title))
}

/// Column widths for a table `avail` cells wide: left to right each column gets its wanted
/// width while room remains (the rest get what is left, possibly nothing) and column `grow`
/// also gets any room left over. Only exact lengths whose sum fits: an over-constrained
/// layout would let the solver pick among equal solutions, and the screen would change from
/// run to run.
pub fn fit_columns(avail: u16, want: &[u16], grow: usize, spacing: u16) -> Vec<Constraint> {
    let mut left = avail;
    let mut widths = Vec::with_capacity(want.len());
    for (i, w) in want.iter().enumerate() {
        if i > 0 {
            left = left.saturating_sub(spacing);
        }
        let got = (*w).min(left);
        left -= got;
        widths.push(got);
    }
    if let Some(g) = widths.get_mut(grow) {
        *g += left;
    }
    widths.into_iter().map(Constraint::Length).collect()
}

/// `3d 4h`, `5m 2s`: a compact duration since `since`.
pub fn age(since: &str, now: DateTime<Utc>) -> String {
    let Ok(t) = DateTime::parse_from_rfc3339(since) else {
        return "?".into();
    };
    let secs = (now - t.with_timezone(&Utc)).num_seconds().max(0);
    let (d, h, m, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {s}s")
    } else {
        format!("{s}s")
    }
}

/// `text` cut to `width` characters with an ellipsis.
pub fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else if width == 0 {
        String::new()
    } else {
        let mut s: String = text.chars().take(width - 1).collect();
        s.push('…');
        s
    }
}

/// A single-line text input (filter fields, dialog fields).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    pub value: String,
}

impl TextInput {
    /// Applies an editing key; `true` when it was one.
    pub fn edit(&mut self, key: KeyEvent) -> bool {
        use crossterm::event::{KeyCode, KeyModifiers};
        match key.code {
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.value.clear();
                true
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.value.push(c);
                true
            }
            KeyCode::Backspace => {
                self.value.pop();
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_and_clip() {
        let now = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(age("2026-01-02T03:04:00Z", now), "5s");
        assert_eq!(age("2026-01-02T02:00:00Z", now), "1h 4m");
        assert_eq!(age("2025-12-30T00:00:00Z", now), "3d 3h");
        assert_eq!(age("garbage", now), "?");
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
        let len = |c: Vec<Constraint>| {
            c.into_iter()
                .map(|c| match c {
                    Constraint::Length(n) => n,
                    _ => u16::MAX,
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(len(fit_columns(30, &[5, 10, 5], 1, 1)), vec![5, 18, 5]);
        assert_eq!(len(fit_columns(12, &[5, 10, 5], 1, 1)), vec![5, 6, 0]);
        assert_eq!(len(fit_columns(0, &[5, 10], 0, 1)), vec![0, 0]);
    }
}
