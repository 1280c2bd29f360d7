//! Snapshots of every pane and overlay, rendered into ratatui's `TestBackend`. Text
//! snapshots are what docs/tui.md shows; the theme snapshots keep the styles too (a theme
//! that stops colouring something shows up as a diff).

use std::path::PathBuf;

use crossterm::event::KeyCode;
use ratatui::buffer::Buffer;

use super::*;
use crate::audit::{EntryKind, Outcome};
use crate::config::{ProfileInfo, ProfileSource};
use crate::sandbox::{CheckItem, CheckReport, CheckStatus};
use crate::tui::event::{
    AppEvent, AuditPageData, BrowsedEntry, ChainStatus, Connection, Intent, SandboxStats,
};
use crate::tui::render_to_buffer;

/// The buffer as plain text, one line per row, trailing blanks trimmed. A wide character
/// covers the cell after it (as on a terminal), so that cell is not printed.
pub fn text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        let mut covered = 0;
        for x in 0..area.width {
            if covered > 0 {
                covered -= 1;
                continue;
            }
            if let Some(cell) = buf.cell((x, y)) {
                line.push_str(cell.symbol());
                covered = ratatui::text::Span::raw(cell.symbol())
                    .width()
                    .saturating_sub(1);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn shot(app: &App, w: u16, h: u16) -> String {
    text(&render_to_buffer(app, w, h))
}

fn audit_page() -> AuditPageData {
    let rows = [
        (EntryKind::Violation, Outcome::Blocked, "rm -rf /"),
        (EntryKind::Command, Outcome::Success, "cargo test"),
        (EntryKind::Exec, Outcome::Blocked, "/usr/bin/curl"),
        (EntryKind::Command, Outcome::Error, "make"),
        (EntryKind::Lifecycle, Outcome::Success, "agent-000"),
    ];
    AuditPageData {
        entries: rows
            .iter()
            .enumerate()
            .map(|(i, (k, o, t))| BrowsedEntry {
                log: PathBuf::from("/h/audit/abc.jsonl"),
                entry: entry(50 - i as u64, *k, *o, t),
            })
            .collect(),
        next: None,
    }
}

/// A busy screen: many sandboxes, alerts, an audit page, a check report.
fn busy(n: usize) -> App {
    let mut a = app();
    connected(&mut a);
    let list = sandboxes(n);
    a.on_event(AppEvent::Alerts {
        new: (0..4)
            .map(|i| alert(i, &list[i as usize % list.len()]))
            .collect(),
        blocked: vec![
            (list[0].id.clone(), 3),
            (list[list.len() - 1].id.clone(), 12),
        ],
    });
    // CPU and memory of the running sandboxes on screen; the first has only one sample yet.
    let stats = list
        .iter()
        .rev()
        .filter(|s| s.state == "running")
        .take(8)
        .enumerate()
        .map(|(i, s)| {
            let st = SandboxStats {
                cpu_percent: (i > 0).then_some(i as f64 * 3.7),
                memory_bytes: (i as u64 + 1) * 3_500_000,
            };
            (s.id.clone(), st)
        })
        .collect();
    a.on_event(AppEvent::Sandboxes(list));
    a.on_event(AppEvent::Stats(stats));
    a.start();
    let g = a.audit.generation;
    a.on_event(AppEvent::AuditPage {
        generation: g,
        result: Ok(audit_page()),
        select_seq: None,
    });
    a.on_event(AppEvent::Verified {
        generation: g,
        status: ChainStatus::Valid { entries: 50 },
    });
    a.on_event(AppEvent::Check(CheckReport {
        ok: false,
        items: vec![
            CheckItem {
                name: "engine".into(),
                status: CheckStatus::Ok,
                detail: "docker 20.10 (API 1.41)".into(),
                remediation: None,
            },
            CheckItem {
                name: "gvisor".into(),
                status: CheckStatus::Warn,
                detail: "runsc is not registered".into(),
                remediation: Some("add --add-runtime runsc=/usr/bin/runsc".into()),
            },
            CheckItem {
                name: "landlock".into(),
                status: CheckStatus::Fail,
                detail: "not available".into(),
                remediation: Some("boot a kernel with landlock enabled".into()),
            },
        ],
    }));
    a
}

#[test]
fn empty_state() {
    let mut a = app();
    connected(&mut a);
    a.on_event(AppEvent::Sandboxes(Vec::new()));
    insta::assert_snapshot!("empty", shot(&a, 110, 24));
}

#[test]
fn loading_state() {
    let a = app();
    insta::assert_snapshot!("loading", shot(&a, 110, 24));
}

#[test]
fn many_sandboxes() {
    let a = busy(30);
    insta::assert_snapshot!("many_sandboxes", shot(&a, 140, 40));
}

#[test]
fn zoomed_sandboxes_sorted_and_filtered() {
    let mut a = busy(30);
    a.handle_key(ch('z'));
    a.handle_key(ch('s'));
    a.handle_key(ch('s'));
    a.handle_key(ch('/'));
    for c in "runn".chars() {
        a.handle_key(ch(c));
    }
    insta::assert_snapshot!("sandboxes_zoom_filter", shot(&a, 120, 20));
}

#[test]
fn engine_down() {
    let mut a = app();
    a.on_event(AppEvent::Connection(Connection::Down {
        error:
            "cannot connect to the Docker daemon at unix:///var/run/docker.sock: connection refused"
                .into(),
        retry_secs: 8,
    }));
    insta::assert_snapshot!("engine_down", shot(&a, 110, 24));
}

#[test]
fn errors_in_panes_and_dialogs() {
    let mut a = app();
    connected(&mut a);
    a.on_event(AppEvent::Sandboxes(sandboxes(3)));
    a.start();
    let g = a.audit.generation;
    a.on_event(AppEvent::AuditPage {
        generation: g,
        result: Err("cannot read audit log /h/audit/x.jsonl: permission denied".into()),
        select_seq: None,
    });
    a.on_event(AppEvent::Verified {
        generation: g,
        status: ChainStatus::Broken {
            at: "seq 17: mac-mismatch".into(),
        },
    });
    insta::assert_snapshot!("pane_errors", shot(&a, 110, 24));
    a.on_event(AppEvent::Done(Err("creating a sandbox of profile strict: the sandbox failed its self-test and was removed: seccomp is not filtering".into())));
    insta::assert_snapshot!("action_failed", shot(&a, 110, 24));
}

#[test]
fn help_overlays() {
    let mut a = busy(3);
    a.handle_key(ch('?'));
    insta::assert_snapshot!("help_sandboxes", shot(&a, 110, 30));
    a.handle_key(key(KeyCode::Esc));
    a.handle_key(ch('3'));
    a.handle_key(ch('?'));
    insta::assert_snapshot!("help_audit", shot(&a, 110, 30));
    a.handle_key(key(KeyCode::Esc));
    a.handle_key(ch('2'));
    a.handle_key(ch('?'));
    insta::assert_snapshot!("help_alerts", shot(&a, 110, 30));
    a.handle_key(key(KeyCode::Esc));
    a.handle_key(ch('4'));
    a.handle_key(ch('?'));
    insta::assert_snapshot!("help_check", shot(&a, 110, 30));
    a.handle_key(key(KeyCode::Esc));
    a.handle_key(ch('5'));
    a.handle_key(ch('?'));
    insta::assert_snapshot!("help_terminal", shot(&a, 110, 32));
}

/// The terminal pane in the upper-right slot with two tabs, the second typing.
#[tokio::test]
async fn terminal_in_front() {
    let mut a = busy(3);
    a.handle_key(ch('5'));
    insta::assert_snapshot!("terminal_empty", shot(&a, 110, 24));
    let list = sandboxes(3);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let size = crate::sandbox::TermSize { cols: 47, rows: 12 };
    let (t1, _f1) = super::terminal::fake_tab(
        &list[0],
        crate::sandbox::SessionKind::Repl,
        size,
        tx.clone(),
    );
    let (t2, _f2) =
        super::terminal::fake_tab(&list[2], crate::sandbox::SessionKind::Shell, size, tx);
    for t in [t1, t2] {
        a.on_event(AppEvent::TerminalOpened {
            what: "REPL in agent-000".into(),
            result: Ok(t),
        });
    }
    a.sync_layout(ratatui::layout::Rect::new(0, 0, 110, 24));
    if let Some(t) = a.terminal.active_tab() {
        t.emulator().process(
            b"lasso shell in agent-002\r\n$ ls\r\n\x1b[01;34msrc\x1b[0m  Cargo.toml\r\n$ ",
        );
    }
    insta::assert_snapshot!("terminal_front", shot(&a, 110, 24));
}

#[test]
fn create_and_confirm_dialogs() {
    let mut a = busy(3);
    a.handle_key(ch('n'));
    a.on_event(AppEvent::Profiles(Ok(vec![
        ProfileInfo {
            name: "development".into(),
            source: ProfileSource::Builtin,
            description: "General development".into(),
            shadows: None,
            problem: None,
        },
        ProfileInfo {
            name: "strict".into(),
            source: ProfileSource::Builtin,
            description: "Locked down".into(),
            shadows: None,
            problem: None,
        },
        ProfileInfo {
            name: "team".into(),
            source: ProfileSource::File("/h/profiles/team.toml".into()),
            description: "Our team".into(),
            shadows: None,
            problem: Some("unknown key commands.alow".into()),
        },
    ])));
    insta::assert_snapshot!("create_dialog", shot(&a, 110, 30));
    a.handle_key(key(KeyCode::Esc));
    a.handle_key(ch('1'));
    a.handle_key(ch('x'));
    insta::assert_snapshot!("confirm_stop", shot(&a, 110, 30));
}

#[test]
fn confirm_restart_dialog() {
    let mut a = busy(3);
    a.handle_key(ch('1'));
    a.handle_key(ch('R'));
    insta::assert_snapshot!("confirm_restart", shot(&a, 110, 30));
}

#[test]
fn alerts_focused_and_audit_detail() {
    let mut a = busy(5);
    a.handle_key(ch('2'));
    a.handle_key(ch('z'));
    insta::assert_snapshot!("alerts_zoom", shot(&a, 120, 14));
    a.handle_key(ch('z'));
    a.handle_key(ch('3'));
    a.handle_key(ch('z'));
    a.handle_key(ch('t'));
    a.handle_key(key(KeyCode::Enter));
    insta::assert_snapshot!("audit_detail", shot(&a, 120, 24));
}

#[test]
fn check_view() {
    let mut a = busy(1);
    a.handle_key(ch('4'));
    a.handle_key(ch('z'));
    insta::assert_snapshot!("check", shot(&a, 100, 12));
}

#[test]
fn every_theme_styles_the_screen() {
    for theme in crate::config::builtin_theme_names() {
        let mut a = busy(3);
        a.styles = styles(theme);
        a.handle_key(ch('2'));
        let buf = render_to_buffer(&a, 100, 16);
        insta::assert_snapshot!(format!("theme_{theme}"), format!("{buf:?}"));
    }
    // The themes really differ on screen.
    let dark = render_to_buffer(
        &{
            let mut a = busy(3);
            a.styles = styles("dark");
            a
        },
        100,
        16,
    );
    let light = render_to_buffer(
        &{
            let mut a = busy(3);
            a.styles = styles("light");
            a
        },
        100,
        16,
    );
    assert_eq!(text(&dark), text(&light));
    assert_ne!(dark, light);
}

/// A sandbox whose create has not finished (here or in another lasso process): listed as
/// `creating` in the theme's warn colour; `t` on it says so instead of trying to open.
#[test]
fn creating_sandbox() {
    let mut a = app();
    connected(&mut a);
    let mut list = sandboxes(2);
    list.push(sandbox(2, crate::sandbox::CREATING, "strict", 3));
    assert!(list[2].is_usable() && list[2].is_creating());
    a.on_event(AppEvent::Sandboxes(list));
    // Not selected (the highlight would restyle it): the state cell is in the warn colour.
    let buf = render_to_buffer(&a, 110, 24);
    let cell = (0..buf.area.height)
        .flat_map(|y| (0..buf.area.width).map(move |x| (x, y)))
        .find(|&(x, y)| {
            let word: String = (x..x + 8)
                .filter_map(|cx| buf.cell((cx, y)).map(|c| c.symbol().to_string()))
                .collect();
            word == "creating"
        });
    let Some((x, y)) = cell else {
        panic!("no `creating` cell:\n{}", text(&buf))
    };
    assert_eq!(buf.cell((x, y)).map(|c| c.fg), styles("dark").warn.fg);
    // Oldest first: the one being created is the last row.
    a.handle_key(ch('G'));
    let out = a.handle_key(ch('t'));
    assert!(
        !out.iter().any(|i| matches!(i, Intent::OpenTerminal { .. })),
        "no terminal is opened on a sandbox being created: {out:?}"
    );
    let screen = shot(&a, 110, 24);
    assert!(
        screen.contains("sandbox agent-002 is still being created; try again in a moment"),
        "{screen}"
    );
    insta::assert_snapshot!("sandboxes_creating", screen);
}
