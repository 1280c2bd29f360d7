//! The terminal pane against fake sessions (`TerminalSession::from_channels`): opening tabs
//! from the sandboxes pane, typing (every key to the program, Ctrl-] back), switching and
//! closing tabs, resizes, the end of a session, pastes, scrollback, the one-wake-up-per-
//! frame rule and synchronized updates. Waits poll with a generous deadline: the reader
//! tasks run on the test's runtime, and a loaded machine may be slow to schedule them.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use tokio::sync::mpsc;

use super::snapshots::text;
use super::*;
use crate::sandbox::{
    SessionEnd, SessionInput, SessionKind, SessionOutput, TermSize, TerminalSession,
};
use crate::tui::app::{Focus, Overlay};
use crate::tui::event::{AppEvent, Intent};
use crate::tui::panes::Component;
use crate::tui::panes::terminal::TabHandle;
use crate::tui::render_to_buffer;

const DEADLINE: Duration = Duration::from_secs(60);

/// The far side of a fake session.
pub struct FakeSession {
    pub input: mpsc::Receiver<SessionInput>,
    pub output: mpsc::Sender<SessionOutput>,
}

impl FakeSession {
    /// The next thing the UI sent (panics after the deadline).
    pub async fn next(&mut self) -> SessionInput {
        match tokio::time::timeout(DEADLINE, self.input.recv()).await {
            Ok(Some(i)) => i,
            other => panic!("no input from the UI: {other:?}"),
        }
    }

    /// The next input that is not a resize.
    pub async fn next_non_resize(&mut self) -> SessionInput {
        loop {
            match self.next().await {
                SessionInput::Resize(_) => {}
                other => return other,
            }
        }
    }

    pub async fn write(&self, bytes: &[u8]) {
        if self
            .output
            .send(SessionOutput::Bytes(bytes.to_vec()))
            .await
            .is_err()
        {
            panic!("the tab's reader is gone");
        }
    }
}

/// A tab over a fake session (must run inside a tokio runtime).
pub fn fake_tab(
    sandbox: &SandboxInfo,
    kind: SessionKind,
    size: TermSize,
    notify: mpsc::UnboundedSender<AppEvent>,
) -> (TabHandle, FakeSession) {
    let (in_tx, in_rx) = mpsc::channel(64);
    let (out_tx, out_rx) = mpsc::channel(64);
    let session = TerminalSession::from_channels(sandbox.clone(), kind, in_tx, out_rx);
    (
        TabHandle::spawn(session, size, notify),
        FakeSession {
            input: in_rx,
            output: out_tx,
        },
    )
}

/// Polls `cond` until it holds (panics with `what` after the deadline).
pub async fn until(what: &str, cond: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited {DEADLINE:?} for {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn screen_of(a: &App) -> String {
    a.terminal
        .active_tab()
        .map(|t| t.emulator().contents())
        .unwrap_or_default()
}

fn bytes(i: SessionInput) -> Vec<u8> {
    match i {
        SessionInput::Bytes(b) => b,
        other => panic!("expected bytes, got {other:?}"),
    }
}

/// An app with three sandboxes listed, laid out on a 120×40 screen.
fn listed() -> (App, Vec<SandboxInfo>) {
    let mut a = app();
    connected(&mut a);
    let list = sandboxes(3);
    a.on_event(AppEvent::Sandboxes(list.clone()));
    a.sync_layout(Rect::new(0, 0, 120, 40));
    (a, list)
}

#[tokio::test]
async fn t_opens_a_repl_tab_that_gets_every_key_until_ctrl_bracket() {
    let (mut a, list) = listed();
    let (tx, _rx) = mpsc::unbounded_channel();
    let sel = a
        .sandboxes
        .selected_info()
        .cloned()
        .unwrap_or_else(|| panic!("selection"));
    let out = a.handle_key(ch('t'));
    let [
        Intent::OpenTerminal {
            id,
            name,
            kind,
            size,
        },
    ] = out.as_slice()
    else {
        panic!("{out:?}")
    };
    assert_eq!((id, name, *kind), (&sel.id, &sel.name, SessionKind::Repl));
    // Sized as the pane will be in the upper-right slot of a 120×40 screen.
    assert_eq!(*size, TermSize { cols: 52, rows: 21 });
    assert!(
        a.terminal
            .opening
            .as_deref()
            .is_some_and(|w| w.contains("REPL in"))
    );
    assert_eq!(
        (a.focus, a.front),
        (Focus::Terminal, Focus::Terminal),
        "the pane shows the session opening"
    );
    assert!(text(&render_to_buffer(&a, 120, 40)).contains("opening REPL in agent-"));

    let (tab, mut far) = fake_tab(&sel, SessionKind::Repl, *size, tx.clone());
    a.on_event(AppEvent::TerminalOpened {
        what: format!("REPL in {}", sel.name),
        result: Ok(tab),
    });
    assert_eq!((a.focus, a.front), (Focus::Terminal, Focus::Terminal));
    assert!(a.terminal.typing && a.terminal.opening.is_none());
    assert!(
        a.status
            .as_ref()
            .is_some_and(|(m, _)| m.contains("opened a REPL"))
    );

    // q, Tab, digits, Ctrl-C and arrows are the program's now.
    for (k, want) in [
        (ch('q'), b"q".to_vec()),
        (key(KeyCode::Tab), b"\t".to_vec()),
        (ch('1'), b"1".to_vec()),
        (ctrl('c'), vec![3]),
        (key(KeyCode::Up), b"\x1b[A".to_vec()),
        (key(KeyCode::Enter), b"\r".to_vec()),
    ] {
        assert!(a.handle_key(k).is_empty());
        assert_eq!(bytes(far.next_non_resize().await), want, "{k:?}");
    }
    assert!(!a.quit && a.focus == Focus::Terminal);
    let shot = text(&render_to_buffer(&a, 120, 40));
    assert!(shot.contains("Ctrl-] gives the keys back"), "{shot}");

    // The program switched to application cursor mode: arrows follow.
    far.write(b"\x1b[?1hready").await;
    until("the mode switch", || screen_of(&a).contains("ready")).await;
    a.handle_key(key(KeyCode::Up));
    assert_eq!(bytes(far.next_non_resize().await), b"\x1bOA");

    // Ctrl-] gives the keys back: q quits the UI again.
    a.handle_key(ctrl(']'));
    assert!(!a.terminal.typing);
    a.handle_key(ch('3'));
    assert_eq!((a.focus, a.front), (Focus::Audit, Focus::Audit));
    a.handle_key(ch('5'));
    assert_eq!(a.front, Focus::Terminal);
    a.handle_key(key(KeyCode::Enter));
    assert!(a.terminal.typing, "Enter types again");
    a.handle_key(ctrl('5'));
    assert!(!a.terminal.typing, "0x1d as crossterm reports it");
    assert_eq!(a.handle_key(ch('q')), vec![Intent::Quit]);
    drop(list);
}

#[tokio::test]
async fn tabs_switch_close_and_show_why_a_session_ended() {
    let (mut a, list) = listed();
    let (tx, _rx) = mpsc::unbounded_channel();
    let size = a.terminal.size;
    let (t1, mut s1) = fake_tab(&list[0], SessionKind::Repl, size, tx.clone());
    let (t2, mut s2) = fake_tab(&list[1], SessionKind::Shell, size, tx.clone());
    for (what, t) in [("REPL in a", t1), ("shell in b", t2)] {
        a.on_event(AppEvent::TerminalOpened {
            what: what.into(),
            result: Ok(t),
        });
    }
    assert_eq!(a.terminal.tabs.len(), 2);
    assert_eq!(a.terminal.active, 1, "the new tab is active");
    s1.write(b"one").await;
    s2.write(b"two").await;
    until("output in tab 2", || screen_of(&a).contains("two")).await;
    // ←/→ switch only when not typing; while typing they go to the program.
    a.handle_key(key(KeyCode::Left));
    assert_eq!(a.terminal.active, 1);
    assert_eq!(bytes(s2.next_non_resize().await), b"\x1b[D");
    a.handle_key(ctrl(']'));
    a.handle_key(key(KeyCode::Left));
    assert_eq!(a.terminal.active, 0);
    until("output in tab 1", || screen_of(&a).contains("one")).await;
    a.handle_key(key(KeyCode::Right));
    assert_eq!(a.terminal.active, 1);
    let shot = text(&render_to_buffer(&a, 120, 40));
    assert!(
        shot.contains("1:agent-000 repl") && shot.contains("2:agent-001 shell"),
        "{shot}"
    );

    // The shell exits: the tab says why and the keys are lasso's again.
    a.handle_key(key(KeyCode::Enter));
    assert!(a.terminal.typing);
    let end = SessionEnd {
        reason: "exited with status 3".into(),
        exit_code: Some(3),
    };
    if s2.output.send(SessionOutput::Ended(end)).await.is_err() {
        panic!("reader gone");
    }
    until("the end", || {
        a.terminal.active_tab().is_some_and(|t| t.ended().is_some())
    })
    .await;
    assert!(
        !a.terminal.captures_input(),
        "an ended session takes no keys"
    );
    let shot = text(&render_to_buffer(&a, 120, 40));
    assert!(shot.contains("ended: exited with status 3"), "{shot}");
    assert!(shot.contains("2:agent-001 shell ✗"), "{shot}");

    // x closes the tab and ends its program.
    a.handle_key(ch('x'));
    assert_eq!(a.terminal.tabs.len(), 1);
    assert_eq!(a.terminal.active, 0);
    a.handle_key(ch('x'));
    assert_eq!(s1.next_non_resize().await, SessionInput::Close);
    assert!(a.terminal.tabs.is_empty());
    let shot = text(&render_to_buffer(&a, 120, 40));
    assert!(shot.contains("No terminal open."), "{shot}");
}

#[tokio::test]
async fn quitting_closes_every_session() {
    let (mut a, list) = listed();
    let (tx, _rx) = mpsc::unbounded_channel();
    let mut fars = Vec::new();
    for s in &list[..2] {
        let (t, far) = fake_tab(s, SessionKind::Repl, a.terminal.size, tx.clone());
        a.terminal.add(t);
        fars.push(far);
    }
    let tabs = a.terminal.close_all();
    assert_eq!(tabs.len(), 2);
    for far in &mut fars {
        assert_eq!(far.next_non_resize().await, SessionInput::Close);
    }
    // The service answers Close with the end; the tab sees it.
    for far in &fars {
        let _ = far
            .output
            .send(SessionOutput::Ended(SessionEnd {
                reason: "closed".into(),
                exit_code: None,
            }))
            .await;
    }
    until("both readers finished", || {
        tabs.iter().all(TabHandle::finished)
    })
    .await;
}

#[tokio::test]
async fn refused_and_impossible_terminals_are_explained() {
    let (mut a, list) = listed();
    // An exited sandbox (index 5 of the fixtures is exited).
    let mut with_exited = list.clone();
    with_exited.push(sandbox(5, "exited", "minimal", 10));
    a.on_event(AppEvent::Sandboxes(with_exited));
    a.handle_key(ch('G'));
    assert_eq!(
        a.sandboxes.selected_info().map(|s| s.state.as_str()),
        Some("exited")
    );
    assert!(
        a.handle_key(ch('T')).is_empty(),
        "nothing to open in an exited sandbox"
    );
    assert!(
        a.status
            .as_ref()
            .is_some_and(|(m, err)| *err && m.contains("needs a running sandbox"))
    );
    // The service refuses (a profile without a shell): its message is shown in full.
    a.handle_key(ch('g'));
    let out = a.handle_key(ch('T'));
    assert!(matches!(
        out.as_slice(),
        [Intent::OpenTerminal {
            kind: SessionKind::Shell,
            ..
        }]
    ));
    a.on_event(AppEvent::TerminalOpened {
        what: "shell in agent-000".into(),
        result: Err(
            "opening a shell in agent-000: the profile minimal does not permit a raw shell".into(),
        ),
    });
    assert!(
        matches!(&a.overlay, Overlay::Message { title, text } if title == "Cannot open a shell in agent-000" && text.contains("does not permit"))
    );
    assert!(a.terminal.opening.is_none() && a.terminal.tabs.is_empty());
}

#[tokio::test]
async fn the_pane_resizes_its_sessions_with_the_layout() {
    let (mut a, list) = listed();
    let (tx, _rx) = mpsc::unbounded_channel();
    let (t, mut far) = fake_tab(
        &list[0],
        SessionKind::Repl,
        TermSize { cols: 80, rows: 24 },
        tx,
    );
    a.on_event(AppEvent::TerminalOpened {
        what: "REPL".into(),
        result: Ok(t),
    });
    let first = TermSize { cols: 52, rows: 21 };
    assert_eq!(far.next().await, SessionInput::Resize(first));
    let size_of = |a: &App| {
        a.terminal.active_tab().map(|t| {
            let s = t.emulator().size();
            (s.rows, s.cols)
        })
    };
    assert_eq!(size_of(&a), Some((21, 52)));
    // Moving the split and zooming resize it; an unchanged layout sends nothing.
    a.handle_key(ctrl(']'));
    a.handle_key(ch('<'));
    a.sync_layout(Rect::new(0, 0, 120, 40));
    let SessionInput::Resize(second) = far.next().await else {
        panic!("resize")
    };
    assert!(
        second.cols > first.cols && second.rows == first.rows,
        "{second:?}"
    );
    a.handle_key(ch('z'));
    a.sync_layout(Rect::new(0, 0, 120, 40));
    assert_eq!(
        far.next().await,
        SessionInput::Resize(TermSize {
            cols: 118,
            rows: 37
        })
    );
    a.sync_layout(Rect::new(0, 0, 120, 40));
    a.handle_key(key(KeyCode::Enter));
    a.handle_key(ch('k'));
    assert_eq!(
        far.next().await,
        SessionInput::Bytes(b"k".to_vec()),
        "no resize in between"
    );
    assert_eq!(size_of(&a), Some((37, 118)));
    // Hidden (another pane in front), it keeps its size.
    a.handle_key(ctrl(']'));
    a.handle_key(ch('z'));
    a.handle_key(ch('3'));
    a.sync_layout(Rect::new(0, 0, 200, 60));
    assert_eq!(size_of(&a), Some((37, 118)));
}

#[tokio::test]
async fn output_wakes_the_ui_once_per_frame_however_much_arrives() {
    let (mut a, list) = listed();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (t, far) = fake_tab(&list[0], SessionKind::Shell, a.terminal.size, tx);
    a.terminal.add(t);
    for i in 0..500 {
        far.write(format!("line {i}\r\n").as_bytes()).await;
    }
    until("the last line", || screen_of(&a).contains("line 499")).await;
    let mut wakes = 0;
    while let Ok(ev) = rx.try_recv() {
        assert!(matches!(ev, AppEvent::TerminalOutput));
        wakes += 1;
    }
    assert_eq!(wakes, 1, "500 chunks before a frame: one wake-up");
    // A frame is drawn (flags cleared); the next output wakes the UI again.
    assert!(a.terminal.take_dirty());
    assert!(!a.terminal.take_dirty());
    far.write(b"more").await;
    until("the next wake-up", || !rx.is_empty()).await;
    assert!(matches!(rx.try_recv(), Ok(AppEvent::TerminalOutput)));
}

#[tokio::test]
async fn a_synchronized_update_left_open_is_shown_after_its_deadline() {
    let (mut a, list) = listed();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (t, far) = fake_tab(&list[0], SessionKind::Shell, a.terminal.size, tx);
    a.terminal.add(t);
    far.write(b"before\r\n").await;
    until("the first line", || screen_of(&a).contains("before")).await;
    assert!(a.terminal.take_dirty());
    while rx.try_recv().is_ok() {}
    // The program begins an update and goes quiet: the held text is not drawn yet, and the
    // reader releases it by itself (and wakes the UI) once the update's deadline passes.
    far.write(b"\x1b[?2026hheld back").await;
    until("the held text", || screen_of(&a).contains("held back")).await;
    until("the wake-up for it", || !rx.is_empty()).await;
    assert!(matches!(rx.try_recv(), Ok(AppEvent::TerminalOutput)));
}

#[tokio::test]
async fn pastes_scrollback_and_typing_back_to_the_bottom() {
    let (mut a, list) = listed();
    let (tx, _rx) = mpsc::unbounded_channel();
    let (t, mut far) = fake_tab(&list[0], SessionKind::Shell, a.terminal.size, tx);
    a.on_event(AppEvent::TerminalOpened {
        what: "shell".into(),
        result: Ok(t),
    });
    a.handle_paste("echo a\necho b\n");
    assert_eq!(bytes(far.next_non_resize().await), b"echo a\recho b\r");
    far.write(b"\x1b[?2004h$ ").await;
    until("bracketed paste on", || {
        a.terminal
            .active_tab()
            .is_some_and(|t| t.emulator().bracketed_paste())
    })
    .await;
    a.handle_paste("ls\n");
    assert_eq!(
        bytes(far.next_non_resize().await),
        b"\x1b[200~ls\r\x1b[201~"
    );

    let lines: String = (0..200).map(|i| format!("row {i}\r\n")).collect();
    far.write(lines.as_bytes()).await;
    until("200 rows", || screen_of(&a).contains("row 199")).await;
    let back = |a: &App| {
        a.terminal
            .active_tab()
            .map_or(0, |t| t.emulator().scrollback())
    };
    a.handle_key(KeyEvent::new(KeyCode::PageUp, KeyModifiers::SHIFT));
    assert_eq!(back(&a), 20, "a page is the pane's height less one");
    assert!(text(&render_to_buffer(&a, 120, 40)).contains("↑20"));
    a.handle_key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::SHIFT));
    assert_eq!(back(&a), 0);
    for _ in 0..3 {
        a.handle_key(KeyEvent::new(KeyCode::PageUp, KeyModifiers::SHIFT));
    }
    assert_eq!(back(&a), 60);
    assert!(screen_of(&a).contains("row 120"));
    // Typing jumps back to the live screen.
    a.handle_key(ch('y'));
    assert_eq!(back(&a), 0);
    assert_eq!(bytes(far.next_non_resize().await), b"y");
}
