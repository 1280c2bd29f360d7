//! The terminal emulator behind a tab: alacritty's terminal model (`alacritty_terminal`, the
//! grid, parser and modes of the Alacritty terminal) with a bounded scrollback.
//!
//! Why alacritty's model rather than a smaller crate: a terminal tab must keep up with a
//! program that prints as fast as it can (`cat` of a large log, `yes`), and the grid is where
//! that time goes. Alacritty's grid rotates a ring of rows when the screen scrolls instead of
//! allocating and clearing a fresh row per line, so a 200-column tab scrolls at hundreds of
//! MB/s; vt100 0.16 (used before) needed about a second for 50 MB of mixed output and six
//! seconds for 50 MB of `y` lines (docs/performance.md). It also brings what full-screen
//! programs need: the alternate screen, scroll regions, wide and combining characters, reflow
//! on resize, and synchronized updates (DEC mode 2026).
//!
//! The pane, its tests and the benchmark use only this type's few operations, so the model
//! stays replaceable. Everything the model would say back to the host is dropped on purpose
//! (the listener is `VoidListener`): clipboard writes (OSC 52, also disabled in the config),
//! title changes, and answers to terminal queries — a sandboxed program must not reach the
//! user's clipboard, and answers written into a gated REPL's input would be typed as a line.

use std::time::Instant;

use alacritty_terminal::Term;
use alacritty_terminal::event::VoidListener;
use alacritty_terminal::grid::{Dimensions, Scroll};
use alacritty_terminal::index::{Column, Line};
use alacritty_terminal::term::cell::{Cell, Flags};
use alacritty_terminal::term::{Config, Osc52, TermMode};
use alacritty_terminal::vte::ansi::Processor;

use crate::sandbox::TermSize;

/// A size as the model wants it: the screen, without the scrollback.
struct ScreenSize(TermSize);

impl Dimensions for ScreenSize {
    fn total_lines(&self) -> usize {
        self.screen_lines()
    }

    fn screen_lines(&self) -> usize {
        usize::from(self.0.rows.max(1))
    }

    fn columns(&self) -> usize {
        usize::from(self.0.cols.max(1))
    }
}

/// A terminal screen with scrollback, fed with a program's output.
pub struct Emulator {
    term: Term<VoidListener>,
    parser: Processor,
}

impl Emulator {
    /// A blank screen of `size` (rows and columns at least 1) keeping `scrollback` lines.
    pub fn new(size: TermSize, scrollback: usize) -> Emulator {
        let config = Config {
            scrolling_history: scrollback,
            osc52: Osc52::Disabled,
            ..Config::default()
        };
        Emulator {
            term: Term::new(config, &ScreenSize(size), VoidListener),
            parser: Processor::new(),
        }
    }

    /// Feeds program output. Output inside a synchronized update (DEC mode 2026) is held
    /// until the program ends the update, or until [`Emulator::sync_deadline`] passes and
    /// [`Emulator::flush_sync`] releases it.
    pub fn process(&mut self, bytes: &[u8]) {
        self.parser.advance(&mut self.term, bytes);
        if self.sync_deadline().is_some_and(|d| d <= Instant::now()) {
            self.flush_sync();
        }
    }

    /// When held output of an unfinished synchronized update must be shown at the latest.
    pub fn sync_deadline(&self) -> Option<Instant> {
        self.parser.sync_timeout().sync_timeout()
    }

    /// Applies output held by an unfinished synchronized update.
    pub fn flush_sync(&mut self) {
        if self.sync_deadline().is_some() {
            self.parser.stop_sync(&mut self.term);
        }
    }

    /// Resizes the screen (rows and columns at least 1); the main screen's lines reflow.
    pub fn resize(&mut self, size: TermSize) {
        self.term.resize(ScreenSize(size));
    }

    /// The screen's size.
    pub fn size(&self) -> TermSize {
        let clamp = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
        TermSize {
            rows: clamp(self.term.screen_lines()),
            cols: clamp(self.term.columns()),
        }
    }

    /// Scrolls the view `delta` lines into the scrollback (negative: back towards the live
    /// screen); clamped to what there is.
    pub fn scroll(&mut self, delta: isize) {
        let delta = i32::try_from(delta).unwrap_or(if delta < 0 { i32::MIN } else { i32::MAX });
        self.term.scroll_display(Scroll::Delta(delta));
    }

    /// Back to the live screen.
    pub fn scroll_to_bottom(&mut self) {
        self.term.scroll_display(Scroll::Bottom);
    }

    /// How many lines the view is scrolled back (0: the live screen).
    pub fn scrollback(&self) -> usize {
        self.term.grid().display_offset()
    }

    /// The program switched cursor keys to application mode (`ESC O A` instead of `ESC [ A`).
    pub fn application_cursor(&self) -> bool {
        self.term.mode().contains(TermMode::APP_CURSOR)
    }

    /// The program asked for pastes to be bracketed.
    pub fn bracketed_paste(&self) -> bool {
        self.term.mode().contains(TermMode::BRACKETED_PASTE)
    }

    /// The alternate screen (vim, less, htop) is showing.
    pub fn alternate_screen(&self) -> bool {
        self.term.mode().contains(TermMode::ALT_SCREEN)
    }

    /// The program has not hidden the cursor.
    pub fn cursor_visible(&self) -> bool {
        self.term.mode().contains(TermMode::SHOW_CURSOR)
    }

    /// The cursor's (row, column) on the live screen.
    pub fn cursor_position(&self) -> (u16, u16) {
        let point = self.term.grid().cursor.point;
        let clamp = |n: i64| u16::try_from(n.max(0)).unwrap_or(u16::MAX);
        (clamp(i64::from(point.line.0)), clamp(point.column.0 as i64))
    }

    /// The cell shown at (`row`, `col`) of the view (scrolled back or live); `None` outside
    /// the screen.
    pub fn cell(&self, row: u16, col: u16) -> Option<&Cell> {
        let grid = self.term.grid();
        if usize::from(row) >= grid.screen_lines() || usize::from(col) >= grid.columns() {
            return None;
        }
        let offset = i32::try_from(grid.display_offset()).ok()?;
        let line = Line(i32::from(row) - offset);
        Some(&grid[line][Column(usize::from(col))])
    }

    /// The text of the view, a line per row with trailing blanks removed and trailing empty
    /// rows dropped; wide characters once, combining marks kept.
    pub fn contents(&self) -> String {
        let size = self.size();
        let mut rows: Vec<String> = (0..size.rows)
            .map(|r| {
                let mut row = String::new();
                for c in 0..size.cols {
                    let Some(cell) = self.cell(r, c) else { break };
                    if cell
                        .flags
                        .intersects(Flags::WIDE_CHAR_SPACER | Flags::LEADING_WIDE_CHAR_SPACER)
                    {
                        continue;
                    }
                    row.push(cell.c);
                    row.extend(cell.zerowidth().unwrap_or_default());
                }
                row.truncate(row.trim_end().len());
                row
            })
            .collect();
        while rows.last().is_some_and(String::is_empty) {
            rows.pop();
        }
        rows.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emu(rows: u16, cols: u16) -> Emulator {
        Emulator::new(TermSize { rows, cols }, 100)
    }

    #[test]
    fn a_cell_is_24_bytes() {
        // docs/performance.md sizes a tab's scrollback from this.
        assert_eq!(std::mem::size_of::<Cell>(), 24);
    }

    #[test]
    fn text_and_cursor() {
        let mut e = emu(5, 20);
        e.process(b"hello\r\nworld");
        assert_eq!(e.contents(), "hello\nworld");
        assert_eq!(e.cursor_position(), (1, 5));
    }

    #[test]
    fn scrollback_is_bounded_and_clamped() {
        let mut e = emu(5, 20);
        for i in 0..300 {
            e.process(format!("line {i}\r\n").as_bytes());
        }
        e.scroll(1000);
        assert_eq!(e.scrollback(), 100, "clamped to the configured scrollback");
        assert!(e.contents().starts_with("line 196"), "{}", e.contents());
        e.scroll(-40);
        assert_eq!(e.scrollback(), 60);
        e.scroll_to_bottom();
        assert_eq!(e.scrollback(), 0);
        assert!(e.contents().starts_with("line 296"), "{}", e.contents());
    }

    #[test]
    fn modes_follow_the_program() {
        let mut e = emu(5, 20);
        assert!(!e.application_cursor() && !e.bracketed_paste() && !e.alternate_screen());
        assert!(e.cursor_visible());
        e.process(b"\x1b[?1h\x1b[?2004h\x1b[?1049h\x1b[?25l");
        assert!(e.application_cursor() && e.bracketed_paste() && e.alternate_screen());
        assert!(!e.cursor_visible());
        e.process(b"\x1b[?1l\x1b[?2004l\x1b[?1049l\x1b[?25h");
        assert!(!e.application_cursor() && !e.bracketed_paste() && !e.alternate_screen());
        assert!(e.cursor_visible());
    }

    #[test]
    fn wide_and_combining_characters() {
        let mut e = emu(3, 10);
        e.process("日本e\u{301}".as_bytes());
        assert_eq!(e.contents(), "日本e\u{301}");
        assert_eq!(e.cursor_position(), (0, 5));
        assert!(
            e.cell(0, 0)
                .is_some_and(|c| c.flags.contains(Flags::WIDE_CHAR))
        );
        assert!(e.cell(0, 10).is_none() && e.cell(3, 0).is_none());
    }

    #[test]
    fn an_unfinished_synchronized_update_is_released_by_flush() {
        let mut e = emu(3, 20);
        e.process(b"\x1b[?2026hheld");
        assert!(e.sync_deadline().is_some());
        assert_eq!(e.contents(), "", "held until the update ends");
        e.flush_sync();
        assert_eq!(e.contents(), "held");
        assert!(e.sync_deadline().is_none());
        e.process(b"\x1b[?2026h more\x1b[?2026l");
        assert_eq!(e.contents(), "held more");
    }

    #[test]
    fn resize_reflows_the_main_screen() {
        let mut e = emu(5, 10);
        e.process(b"abcdefghij");
        e.resize(TermSize { rows: 5, cols: 5 });
        assert_eq!(e.size(), TermSize { rows: 5, cols: 5 });
        // The cursor's line stays at the bottom of the text; the start moved up.
        assert_eq!(e.contents(), "fghij");
        e.scroll(1);
        assert_eq!(e.contents(), "abcde\nfghij");
    }
}
