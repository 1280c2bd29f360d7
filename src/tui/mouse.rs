//! The mouse: a left click focuses the pane under the pointer (and selects the row clicked in
//! the sandboxes, alerts and audit lists; in the terminal pane it starts typing), the wheel
//! scrolls the pane under the pointer (list selections, the check report, a terminal's
//! scrollback). Hit-testing uses [`App::pane_rects`], the same rectangles the frame is drawn
//! in, and the same first-visible-row rule as ratatui's table, so the row under the pointer
//! is the row that gets selected.

use crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::app::{App, Focus, Overlay};
use super::event::Intent;
use super::panes::Component;
use super::panes::terminal::WHEEL_LINES;

/// The index of the list row at screen row `y` of a bordered list drawn in `rect` (with a
/// header line when `header`), given the current selection: ratatui draws a table from row
/// 0 unless the selection is below the last visible row, in which case the selection is the
/// last visible row.
pub fn list_row_at(rect: Rect, header: bool, selected: usize, len: usize, y: u16) -> Option<usize> {
    let first_y = rect.y + 1 + u16::from(header);
    let visible = usize::from(rect.height.saturating_sub(2 + u16::from(header)));
    if y < first_y || visible == 0 {
        return None;
    }
    let offset = selected.saturating_sub(visible - 1);
    let i = offset + usize::from(y - first_y);
    (usize::from(y - first_y) < visible && i < len).then_some(i)
}

fn step(selected: &mut usize, len: usize, down: bool) {
    if down {
        if len > 0 {
            *selected = (*selected + 1).min(len - 1);
        }
    } else {
        *selected = selected.saturating_sub(1);
    }
}

impl App {
    /// Handles one mouse event; returns the work it asks for.
    pub fn handle_mouse(&mut self, ev: MouseEvent) -> Vec<Intent> {
        let mut out = Vec::new();
        if !matches!(self.overlay, Overlay::None) {
            return out;
        }
        let at = Position {
            x: ev.column,
            y: ev.row,
        };
        let Some((focus, rect)) = self
            .pane_rects(self.area)
            .into_iter()
            .find(|(_, r)| r.contains(at))
        else {
            return out;
        };
        match ev.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                if self.focus != focus {
                    self.set_focus(focus, &mut out);
                }
                match focus {
                    Focus::Sandboxes if !self.sandboxes.filtering => {
                        let len = self.sandboxes.visible().len();
                        if let Some(i) =
                            list_row_at(rect, true, self.sandboxes.selected, len, ev.row)
                        {
                            self.sandboxes.selected = i;
                        }
                    }
                    Focus::Alerts => {
                        let len = self.alerts.alerts.len();
                        if let Some(i) = list_row_at(rect, false, self.alerts.selected, len, ev.row)
                        {
                            self.alerts.selected = i;
                        }
                    }
                    Focus::Audit if !self.audit.detail => {
                        let len = self.audit.entries.len();
                        if let Some(i) = list_row_at(rect, true, self.audit.selected, len, ev.row) {
                            self.audit.selected = i;
                        }
                    }
                    Focus::Terminal
                        if self
                            .terminal
                            .active_tab()
                            .is_some_and(|t| t.ended().is_none()) =>
                    {
                        self.terminal.typing = true;
                    }
                    _ => {}
                }
            }
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                let down = ev.kind == MouseEventKind::ScrollDown;
                match focus {
                    Focus::Sandboxes => {
                        let len = self.sandboxes.visible().len();
                        step(&mut self.sandboxes.selected, len, down);
                    }
                    Focus::Alerts => {
                        step(&mut self.alerts.selected, self.alerts.alerts.len(), down)
                    }
                    Focus::Audit => step(&mut self.audit.selected, self.audit.entries.len(), down),
                    Focus::Check => {
                        self.check.scroll = if down {
                            self.check.scroll.saturating_add(1)
                        } else {
                            self.check.scroll.saturating_sub(1)
                        };
                    }
                    Focus::Terminal => {
                        self.terminal
                            .scroll(if down { -WHEEL_LINES } else { WHEEL_LINES })
                    }
                    // The editor's views (list, form, text, history) each move with ↑/↓.
                    Focus::Profiles => {
                        let code = if down { KeyCode::Down } else { KeyCode::Up };
                        self.profiles.handle_key(KeyEvent::from(code), &mut out);
                    }
                }
            }
            _ => {}
        }
        out
    }
}
