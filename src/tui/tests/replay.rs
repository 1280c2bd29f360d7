//! Byte-replay tests of the terminal pane: escape sequences as programs write them (several
//! recorded from `less` and `ls --color` in a real terminal) are fed into a tab's emulator
//! and the pane is rendered into a `TestBackend` and snapshotted. Text snapshots check the
//! screen; the style snapshot checks colours and attributes cell by cell.

use ratatui::layout::Rect;
use tokio::sync::mpsc;

use super::snapshots::text;
use super::terminal::fake_tab;
use super::*;
use crate::sandbox::{SessionKind, TermSize};
use crate::tui::event::AppEvent;
use crate::tui::render_to_buffer;

const W: u16 = 60;
const H: u16 = 14;

/// The terminal pane zoomed on a `W`×`H` screen with one tab fed `chunks` (each processed
/// as one read of the session).
fn replay(chunks: &[&[u8]]) -> App {
    let mut a = app();
    connected(&mut a);
    let list = sandboxes(1);
    a.on_event(AppEvent::Sandboxes(list.clone()));
    let (tx, _rx) = mpsc::unbounded_channel();
    let (t, _far) = fake_tab(
        &list[0],
        SessionKind::Repl,
        TermSize { cols: 58, rows: 11 },
        tx,
    );
    a.on_event(AppEvent::TerminalOpened {
        what: "REPL".into(),
        result: Ok(t),
    });
    a.handle_key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char(']'),
        crossterm::event::KeyModifiers::CONTROL,
    ));
    a.handle_key(ch('z'));
    a.sync_layout(Rect::new(0, 0, W, H));
    if let Some(t) = a.terminal.active_tab() {
        let mut emu = t.emulator();
        for c in chunks {
            emu.process(c);
        }
    }
    a
}

fn shot(a: &App) -> String {
    text(&render_to_buffer(a, W, H))
}

#[tokio::test]
async fn colours_and_attributes() {
    let a = replay(&[
        b"\x1b[31mred\x1b[0m \x1b[1;32mbold green\x1b[0m \x1b[4munder\x1b[0m \x1b[7mrev\x1b[0m\r\n",
        b"\x1b[38;5;208m256\x1b[0m \x1b[38;2;10;20;30;48;2;200;200;200mrgb\x1b[0m \x1b[2mdim\x1b[22m \x1b[3mital\x1b[23m\r\n",
        // Recorded: `ls --color=always /usr` (directories bold blue).
        b"\x1b[0m\x1b[01;34mbin\x1b[0m    \x1b[01;34minclude\x1b[0m  \x1b[01;34mlib\x1b[0m\r\n$ ",
    ]);
    insta::assert_snapshot!("term_colours", shot(&a));
    let buf = render_to_buffer(&a, W, H);
    insta::assert_snapshot!("term_colours_styles", format!("{buf:?}"));
    use ratatui::style::{Color, Modifier};
    let at = |x: u16, y: u16| buf.cell((x, y)).cloned().unwrap_or_default();
    // Inside the border: column 1, row 1 is the screen's top-left.
    assert_eq!(at(1, 1).fg, Color::Red);
    assert!(at(5, 1).modifier.contains(Modifier::BOLD) && at(5, 1).fg == Color::Green);
    assert!(at(16, 1).modifier.contains(Modifier::UNDERLINED));
    assert!(at(22, 1).modifier.contains(Modifier::REVERSED));
    assert_eq!(at(1, 2).fg, Color::Indexed(208));
    assert_eq!(
        (at(5, 2).fg, at(5, 2).bg),
        (Color::Rgb(10, 20, 30), Color::Rgb(200, 200, 200))
    );
    assert!(at(9, 2).modifier.contains(Modifier::DIM));
    assert!(at(13, 2).modifier.contains(Modifier::ITALIC));
    assert_eq!(at(1, 3).fg, Color::Blue);
}

#[tokio::test]
async fn cursor_movement_and_erasing() {
    let a = replay(&[
        b"0123456789\r\nabcdefghij\r\n",
        // Absolute moves, relative moves, erase to end of line, insert over old text.
        b"\x1b[5;10Hat 5,10\x1b[1;3HXY\x1b[2;1H\x1b[Knew line 2",
        b"\x1b[3B\x1b[4Cdown 3 right 4\x1b[8;1H\x1b[1mprompt$\x1b[0m ",
    ]);
    insta::assert_snapshot!("term_cursor", shot(&a));
}

#[tokio::test]
async fn alternate_screen_enter_and_leave() {
    let main: &[u8] = b"$ less notes.txt\r\n";
    // Recorded from `less -R` in a 40-column terminal (entering, drawing, leaving).
    let enter: &[u8] = b"\x1b[?1049h\x1b[22;0;0t\x1b[?1h\x1b=\rline one\x1b[m\r\nline two\x1b[m\r\n\x1b[1mbold\x1b[0m\x1b[m\r\n\x1b[7mnotes.txt (END)\x1b[27m\x1b[K";
    let leave: &[u8] = b"\r\x1b[K\x1b[?1l\x1b>\x1b[?1049l\x1b[23;0;0t$ ";
    let a = replay(&[main, enter]);
    insta::assert_snapshot!("term_alt_screen", shot(&a));
    assert!(
        a.terminal
            .active_tab()
            .is_some_and(|t| t.emulator().alternate_screen() && t.emulator().application_cursor())
    );
    let a = replay(&[main, enter, leave]);
    insta::assert_snapshot!("term_alt_screen_left", shot(&a));
}

#[tokio::test]
async fn long_lines_wrap_and_the_screen_scrolls() {
    let long: String = (0..150)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let many: String = (0..20).map(|i| format!("scrolled {i}\r\n")).collect();
    let a = replay(&[long.as_bytes(), b"\r\n", many.as_bytes(), long.as_bytes()]);
    insta::assert_snapshot!("term_wrap_scroll", shot(&a));
}

#[tokio::test]
async fn clear_screen_and_wide_characters() {
    let a = replay(&[
        b"junk junk junk\r\nmore junk\r\n",
        b"\x1b[H\x1b[2J",
        "clean: 日本語 ok\r\n\x1b[32m✓\x1b[0m done\r\n".as_bytes(),
    ]);
    insta::assert_snapshot!("term_clear_wide", shot(&a));
}

#[tokio::test]
async fn cursor_shows_while_typing_only() {
    let mut a = replay(&[b"$ echo hi"]);
    let cursor = |a: &App| {
        let buf = render_to_buffer(a, W, H);
        buf.cell((10, 1))
            .is_some_and(|c| c.modifier.contains(ratatui::style::Modifier::REVERSED))
    };
    assert!(!cursor(&a), "not typing: no cursor");
    a.handle_key(key(crossterm::event::KeyCode::Enter));
    assert!(cursor(&a), "typing: the cursor cell is reversed");
    if let Some(t) = a.terminal.active_tab() {
        t.emulator().process(b"\x1b[?25l");
    }
    assert!(!cursor(&a), "the program hid it");
    insta::assert_snapshot!("term_typing", shot(&a));
}
