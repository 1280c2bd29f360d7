//! The mouse: clicks focus and select what is drawn under the pointer (checked against the
//! rendered frame, so hit-testing and drawing cannot drift apart), the wheel scrolls the pane
//! under the pointer.

use crossterm::event::{KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use tokio::sync::mpsc;

use super::snapshots::text;
use super::terminal::fake_tab;
use super::*;
use crate::sandbox::SessionKind;
use crate::tui::app::Focus;
use crate::tui::event::AppEvent;
use crate::tui::panes::Component;
use crate::tui::render_to_buffer;

fn mouse(kind: MouseEventKind, column: u16, row: u16) -> MouseEvent {
    MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }
}

fn click(a: &mut App, x: u16, y: u16) {
    a.handle_mouse(mouse(MouseEventKind::Down(MouseButton::Left), x, y));
}

fn rect_of(a: &App, f: Focus) -> Rect {
    a.pane_rects(a.area)
        .into_iter()
        .find(|(g, _)| *g == f)
        .map(|(_, r)| r)
        .unwrap_or_else(|| panic!("{f:?} is not shown"))
}

const W: u16 = 120;
const H: u16 = 30;

fn laid_out(n: usize) -> App {
    let mut a = app();
    connected(&mut a);
    let list = sandboxes(n);
    a.on_event(AppEvent::Alerts {
        new: (0..6).map(|i| alert(i, &list[0])).collect(),
        blocked: Vec::new(),
    });
    a.on_event(AppEvent::Sandboxes(list));
    a.sync_layout(Rect::new(0, 0, W, H));
    a
}

#[test]
fn a_click_focuses_the_pane_drawn_there() {
    let mut a = laid_out(3);
    for f in [Focus::Alerts, Focus::Check, Focus::Audit, Focus::Sandboxes] {
        let r = rect_of(&a, f);
        click(&mut a, r.x + r.width / 2, r.y + r.height / 2);
        assert_eq!(a.focus, f);
    }
    // With the terminal in front, the upper-right slot is the terminal.
    a.handle_key(ch('5'));
    a.handle_key(ch('1'));
    let r = rect_of(&a, Focus::Terminal);
    click(&mut a, r.x + 2, r.y + 2);
    assert_eq!(a.focus, Focus::Terminal);
    // The status bar is no pane.
    click(&mut a, 3, H - 1);
    assert_eq!(a.focus, Focus::Terminal);
    // Zoomed, the whole screen is the focused pane.
    a.handle_key(ch('1'));
    a.handle_key(ch('z'));
    click(&mut a, W - 3, H - 3);
    assert_eq!(a.focus, Focus::Sandboxes);
}

/// The sandbox name on screen row `y` of the rendered frame.
fn name_on_row(a: &App, y: u16) -> String {
    let shot = text(&render_to_buffer(a, W, H));
    let line = shot.lines().nth(usize::from(y)).unwrap_or_default();
    line.split_whitespace()
        .find(|w| w.starts_with("agent-"))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_click_selects_the_row_under_the_pointer_even_when_scrolled() {
    let mut a = laid_out(40);
    let r = rect_of(&a, Focus::Sandboxes);
    // Rows start under the border and the header.
    click(&mut a, r.x + 5, r.y + 4);
    assert_eq!(a.sandboxes.selected, 2);
    assert_eq!(
        a.sandboxes.selected_info().map(|s| s.name.clone()),
        Some(name_on_row(&a, r.y + 4))
    );
    // Scroll the table: the selection at the bottom, the first rows out of view.
    a.handle_key(ch('G'));
    let before = a.sandboxes.selected;
    let y = r.y + 5;
    let drawn = name_on_row(&a, y);
    click(&mut a, r.x + 5, y);
    assert!(a.sandboxes.selected < before);
    assert_eq!(
        a.sandboxes.selected_info().map(|s| s.name.clone()),
        Some(drawn)
    );
    // A click on the header or border selects nothing.
    let sel = a.sandboxes.selected;
    click(&mut a, r.x + 5, r.y + 1);
    click(&mut a, r.x + 5, r.y);
    assert_eq!(a.sandboxes.selected, sel);
    // Alerts have no header row.
    let r = rect_of(&a, Focus::Alerts);
    click(&mut a, r.x + 3, r.y + 3);
    assert_eq!((a.focus, a.alerts.selected), (Focus::Alerts, 2));
}

#[test]
fn the_wheel_scrolls_the_pane_under_the_pointer() {
    let mut a = laid_out(10);
    let alerts = rect_of(&a, Focus::Alerts);
    let down = mouse(MouseEventKind::ScrollDown, alerts.x + 2, alerts.y + 2);
    a.handle_mouse(down);
    a.handle_mouse(down);
    assert_eq!(a.alerts.selected, 2);
    assert_eq!(
        a.focus,
        Focus::Sandboxes,
        "the wheel does not move the focus"
    );
    a.handle_mouse(mouse(MouseEventKind::ScrollUp, alerts.x + 2, alerts.y + 2));
    assert_eq!(a.alerts.selected, 1);
    let sb = rect_of(&a, Focus::Sandboxes);
    a.handle_mouse(mouse(MouseEventKind::ScrollDown, sb.x + 2, sb.y + 2));
    assert_eq!(a.sandboxes.selected, 1);
    let check = rect_of(&a, Focus::Check);
    a.handle_mouse(mouse(MouseEventKind::ScrollDown, check.x + 2, check.y + 2));
    assert_eq!(a.check.scroll, 1);
    // An open dialog takes the mouse away from the panes.
    a.handle_key(ch('n'));
    a.handle_mouse(down);
    assert_eq!(a.alerts.selected, 1);
    a.handle_key(key(KeyCode::Esc));
}

#[tokio::test]
async fn the_wheel_scrolls_a_terminal_back_and_a_click_types() {
    let mut a = laid_out(2);
    let (tx, _rx) = mpsc::unbounded_channel();
    let list = sandboxes(2);
    let (t, far) = fake_tab(&list[0], SessionKind::Shell, a.terminal.size, tx);
    a.on_event(AppEvent::TerminalOpened {
        what: "shell".into(),
        result: Ok(t),
    });
    let lines: String = (0..100).map(|i| format!("row {i}\r\n")).collect();
    far.write(lines.as_bytes()).await;
    super::terminal::until("rows", || {
        a.terminal
            .active_tab()
            .is_some_and(|t| t.emulator().contents().contains("row 99"))
    })
    .await;
    let r = rect_of(&a, Focus::Terminal);
    let back = |a: &App| {
        a.terminal
            .active_tab()
            .map_or(0, |t| t.emulator().scrollback())
    };
    a.handle_mouse(mouse(MouseEventKind::ScrollUp, r.x + 3, r.y + 3));
    a.handle_mouse(mouse(MouseEventKind::ScrollUp, r.x + 3, r.y + 3));
    assert_eq!(back(&a), 6);
    a.handle_mouse(mouse(MouseEventKind::ScrollDown, r.x + 3, r.y + 3));
    assert_eq!(back(&a), 3);
    a.handle_key(crossterm::event::KeyEvent::new(
        KeyCode::Char(']'),
        KeyModifiers::CONTROL,
    ));
    click(&mut a, 2, 2);
    assert_eq!(a.focus, Focus::Sandboxes);
    click(&mut a, r.x + 3, r.y + 3);
    assert_eq!(a.focus, Focus::Terminal);
    assert!(
        a.terminal.captures_input(),
        "a click into a live terminal types"
    );
}
