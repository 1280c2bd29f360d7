//! The terminal pane: live sessions into sandboxes, one tab each (a gated REPL from `t`, a
//! raw shell from `T` in the sandboxes pane).
//!
//! Two modes. *Typing* (entered when a tab opens, or with Enter): every key goes to the
//! program, `q`, Tab and Ctrl-C included, encoded as an xterm would (`keys`); only Ctrl-]
//! (and Shift-PgUp/PgDn, the scrollback) stay with lasso. *Not typing*: ←/→ switch tabs, `x`
//! closes one, and the global keys work. The parsing happens in each tab's reader task
//! (`tab`); this pane only draws the current screen (`render`) and sends keys, pastes and
//! resizes, so nothing here waits on a session.

pub mod emulator;
pub mod keys;
pub mod render;
pub mod tab;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Component, Handled, KeyHelp, clip, pane_block};
use crate::sandbox::{SessionInput, TermSize};
use crate::tui::event::Intent;
use crate::tui::style::Styles;
pub use tab::{Emulator, SCROLLBACK, TabHandle};

/// Lines one mouse-wheel step scrolls.
pub const WHEEL_LINES: isize = 3;

#[derive(Debug, Clone)]
pub struct TerminalPane {
    pub tabs: Vec<TabHandle>,
    pub active: usize,
    /// Keys go to the program.
    pub typing: bool,
    next_id: u64,
    /// A session being opened: "REPL in agent-001" (shown until it opens or fails).
    pub opening: Option<String>,
    /// The pane's inner size at the last layout; sessions open at this size.
    pub size: TermSize,
}

impl Default for TerminalPane {
    fn default() -> Self {
        TerminalPane {
            tabs: Vec::new(),
            active: 0,
            typing: false,
            next_id: 1,
            opening: None,
            size: TermSize { cols: 80, rows: 24 },
        }
    }
}

const KEYS: &[KeyHelp] = &[
    (
        "t / T",
        "(in Sandboxes) open a gated REPL / a raw shell in the selected sandbox",
    ),
    ("Enter / i", "type into the program: every key goes to it"),
    ("Ctrl-]", "give the keys back to lasso (stop typing)"),
    ("←/→ h/l", "previous / next tab"),
    ("x", "close the tab (ends the program)"),
    (
        "Shift-PgUp/PgDn",
        "scroll back / forward, 2000 lines (also while typing)",
    ),
    ("mouse wheel", "scroll back / forward"),
];

impl TerminalPane {
    /// Adds an opened session as the active tab and starts typing into it. (The next
    /// layout sizes it to the pane.)
    pub fn add(&mut self, mut tab: TabHandle) {
        tab.id = self.next_id;
        self.next_id += 1;
        self.tabs.push(tab);
        self.active = self.tabs.len() - 1;
        self.typing = true;
        self.opening = None;
    }

    pub fn active_tab(&self) -> Option<&TabHandle> {
        self.tabs.get(self.active)
    }

    fn live_tab(&self) -> Option<&TabHandle> {
        self.active_tab().filter(|t| t.ended().is_none())
    }

    /// Closes the active tab: the program is ended (`Close`) and the tab removed.
    pub fn close_active(&mut self) {
        if self.active < self.tabs.len() {
            let tab = self.tabs.remove(self.active);
            tab.send(SessionInput::Close);
            self.active = self.active.min(self.tabs.len().saturating_sub(1));
        }
        self.typing = false;
    }

    /// Ends every session (the TUI is quitting); returns the tabs so the caller can wait a
    /// moment for their sessions to wind down.
    pub fn close_all(&mut self) -> Vec<TabHandle> {
        let tabs = std::mem::take(&mut self.tabs);
        for t in &tabs {
            t.send(SessionInput::Close);
        }
        self.active = 0;
        self.typing = false;
        tabs
    }

    /// The pane's inner size changed: resize every tab's emulator and session.
    pub fn set_size(&mut self, size: TermSize) {
        if size.cols == 0 || size.rows == 0 {
            return;
        }
        self.size = size;
        for t in &mut self.tabs {
            t.resize(size);
        }
    }

    /// Clears every tab's dirty flag (a frame is about to be drawn).
    pub fn take_dirty(&self) -> bool {
        // Every flag is cleared (no short-circuit).
        self.tabs
            .iter()
            .map(TabHandle::take_dirty)
            .filter(|d| *d)
            .count()
            > 0
    }

    /// Scrolls the active tab's view `delta` lines back (negative: forward).
    pub fn scroll(&mut self, delta: isize) {
        if let Some(t) = self.active_tab() {
            t.emulator().scroll(delta);
        }
    }

    fn page(&self) -> isize {
        self.size.rows.saturating_sub(1).max(1) as isize
    }

    /// A paste while typing: sent as one piece, bracketed when the program asked for it.
    pub fn paste(&mut self, text: &str) -> bool {
        if !self.captures_input() {
            return false;
        }
        if let Some(t) = self.live_tab() {
            let bracketed = {
                let mut emu = t.emulator();
                emu.scroll_to_bottom();
                emu.bracketed_paste()
            };
            t.send(SessionInput::Bytes(keys::encode_paste(text, bracketed)));
        }
        true
    }

    fn switch(&mut self, forward: bool) {
        let n = self.tabs.len();
        if n > 1 {
            self.active = if forward {
                (self.active + 1) % n
            } else {
                (self.active + n - 1) % n
            };
        }
    }

    /// The line under the tabs: what the keys do now, or why the session ended.
    fn footer(&self, st: &Styles) -> Span<'static> {
        match self.active_tab() {
            None => Span::raw(""),
            Some(t) => match t.ended() {
                Some(end) => Span::styled(
                    format!(" ended: {} · x closes the tab ", end.reason),
                    st.danger,
                ),
                None if self.typing => {
                    Span::styled(" typing · Ctrl-] gives the keys back to lasso ", st.accent)
                }
                None => Span::styled(
                    " Enter types · ←/→ tabs · x closes · Shift-PgUp scrolls ",
                    st.muted,
                ),
            },
        }
    }
}

impl Component for TerminalPane {
    fn captures_input(&self) -> bool {
        self.typing && self.live_tab().is_some()
    }

    fn handle_key(&mut self, key: KeyEvent, _out: &mut Vec<Intent>) -> Handled {
        let shift = key.modifiers.contains(KeyModifiers::SHIFT);
        match key.code {
            KeyCode::PageUp if shift || !self.captures_input() => {
                self.scroll(self.page());
                return Handled::Yes;
            }
            KeyCode::PageDown if shift || !self.captures_input() => {
                self.scroll(-self.page());
                return Handled::Yes;
            }
            _ => {}
        }
        if self.captures_input() {
            if keys::is_release(&key) {
                self.typing = false;
                return Handled::Yes;
            }
            if let Some(t) = self.live_tab() {
                let app_cursor = {
                    let mut emu = t.emulator();
                    emu.scroll_to_bottom();
                    emu.application_cursor()
                };
                if let Some(bytes) = keys::encode(&key, app_cursor) {
                    t.send(SessionInput::Bytes(bytes));
                }
            }
            return Handled::Yes;
        }
        match key.code {
            KeyCode::Left | KeyCode::Char('h') => self.switch(false),
            KeyCode::Right | KeyCode::Char('l') => self.switch(true),
            KeyCode::Char('x') => self.close_active(),
            KeyCode::Enter | KeyCode::Char('i') if self.live_tab().is_some() => {
                self.typing = true;
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn keys(&self) -> &'static [KeyHelp] {
        KEYS
    }

    fn hint(&self) -> &'static str {
        if self.captures_input() {
            "typing: keys go to the program · Ctrl-] gives them back to lasso"
        } else if self.tabs.is_empty() {
            "open one with t (REPL) or T (shell) in Sandboxes"
        } else {
            "Enter type · ←/→ tab · x close · Shift-PgUp/PgDn scroll"
        }
    }

    fn render(&self, f: &mut Frame, area: Rect, focused: bool, st: &Styles, _now: DateTime<Utc>) {
        let mut title = vec![Span::styled(" Terminal ", st.title)];
        for (i, t) in self.tabs.iter().enumerate() {
            let ended = if t.ended().is_some() { " ✗" } else { "" };
            let label = format!(
                " {}:{} {}{ended} ",
                t.id,
                clip(&t.sandbox_name, 16),
                t.kind_label()
            );
            let style = match (i == self.active, focused) {
                (true, true) => st.selected,
                (true, false) => st.accent,
                _ => st.muted,
            };
            title.push(Span::styled(label, style));
        }
        let scrolled = self
            .active_tab()
            .map(|t| t.emulator().scrollback())
            .unwrap_or(0);
        if scrolled > 0 {
            title.push(Span::styled(format!(" ↑{scrolled} "), st.warn));
        }
        if let Some(what) = &self.opening {
            title.push(Span::styled(format!(" opening {what}… "), st.muted));
        }
        let block = pane_block(title, focused, st).title_bottom(Line::from(self.footer(st)));
        let inner = block.inner(area);
        match self.active_tab() {
            None => {
                let lines = vec![
                    Line::styled("No terminal open.", st.muted),
                    Line::raw(""),
                    Line::raw(
                        "Select a running sandbox in Sandboxes (1) and press t for a gated REPL \
                         (every line is checked and audited) or T for a shell (where its \
                         profile allows one).",
                    ),
                    Line::raw(""),
                    Line::styled(
                        "While typing, every key goes to the program; Ctrl-] gives the keys back.",
                        st.muted,
                    ),
                ];
                f.render_widget(
                    Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
                    area,
                );
            }
            Some(t) => {
                f.render_widget(block, area);
                let emu = t.emulator();
                render::draw_screen(&emu, f.buffer_mut(), inner, st.base, focused && self.typing);
            }
        }
    }
}
