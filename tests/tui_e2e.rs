//! End-to-end: the real `lasso` binary's TUI in a real pseudo-terminal against a real engine
//! (LASSO_RUNTIME picks Docker or Podman). From an empty LASSO_HOME: create a sandbox from
//! the dialog, open a gated REPL tab, run a command and see its output in the pane, run a
//! blocked command and see the reason inline and the alert badge, give the keys back with
//! Ctrl-], quit, and find the terminal restored and everything in the audit log.
//!
//! Every wait polls with a generous deadline (a loaded 2-core CI machine may take long to
//! build an image or start a container); nothing asserts how fast anything is.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::pty::Pty;
use common::{Lasso, assert_ok};
use serde_json::Value;

/// Creating the first sandbox may build the profile's image.
const CREATE_WAIT: Duration = Duration::from_secs(300);
const WAIT: Duration = Duration::from_secs(90);

const DOWN: &str = "\x1b[B";
const CTRL_U: &str = "\x15";
/// Ctrl-]: gives the keys back to lasso.
const CTRL_BRACKET: &str = "\x1d";

/// Prints the TUI's log (LASSO_HOME/tui.log) when the test fails, so a failure on CI says
/// what the TUI saw (engine calls, errors), not only what the screen showed.
struct LogOnFailure(std::path::PathBuf);

impl Drop for LogOnFailure {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.0).unwrap_or_else(|e| format!("({e})"));
            eprintln!("--- {} ---\n{log}", self.0.display());
        }
    }
}

/// Whether the REPL waits for a line: the last prompt on the screen has nothing typed after
/// it. Lines typed while a command still runs go to that command (as on any terminal), so
/// the test types only at an idle prompt.
fn idle_prompt(screen: &str) -> bool {
    screen
        .lines()
        .filter_map(|l| {
            let at = l.find("lasso:")?;
            let rest = &l[at..];
            let end = rest.find(['┃', '│']).unwrap_or(rest.len());
            let seg = rest[..end].trim();
            seg.contains('$').then_some(seg)
        })
        .next_back()
        .is_some_and(|seg| seg.ends_with('$'))
}

/// A line of the screen that shows `needle` and not `unless` (so the typed command line,
/// which contains the same text, does not count as its output).
fn shows_line(screen: &str, needle: &str, unless: &str) -> bool {
    screen
        .lines()
        .any(|l| l.contains(needle) && !l.contains(unless))
}

#[test]
fn tui_create_repl_block_alert_quit_restores_the_terminal() {
    let Some(l) = Lasso::with_engine("tui_create_repl_block_alert_quit_restores_the_terminal")
    else {
        return;
    };
    let work = l.work_path().to_str().unwrap().to_string();
    let _log = LogOnFailure(l.home_path().join("tui.log"));
    // The TUI, then its exit status and the terminal's settings, in the same terminal.
    let mut pty = Pty::script(
        &l,
        "\"$LASSO\"; echo \"TUI-EXIT=$?\"; stty -a; echo STTY-DONE",
        160,
        48,
    );
    pty.wait_screen("No sandboxes yet", WAIT);
    // The engine the test asked for is the one the TUI talks to.
    if let Ok(runtime) = std::env::var("LASSO_RUNTIME") {
        pty.wait_screen(&format!("● {runtime}"), WAIT);
    }

    // n: the create dialog; choose minimal, type the working directory, Enter.
    pty.send("n");
    pty.wait_screen("minimal", WAIT);
    let mut tries = 0;
    while !pty.screen().contains("▶ minimal") {
        tries += 1;
        assert!(
            tries < 40,
            "minimal is not in the profile list:\n{}",
            pty.screen()
        );
        let before = pty.screen();
        pty.send(DOWN);
        pty.wait_screen_for(|s| s != before, "the selection to move", WAIT);
    }
    pty.send("\t");
    pty.send(CTRL_U);
    pty.send(&work);
    pty.wait_screen(&work, WAIT);
    pty.send("\r");
    // The sandbox appears running in the list, and the create finishes (the list shows a
    // container as soon as it runs, before its self-test and audit log are done, and a
    // terminal cannot be opened before).
    pty.wait_screen_for(
        |s| {
            s.lines()
                .any(|l| l.contains("running") && l.contains("minimal"))
                && s.contains("│ created minimal-")
        },
        "a running minimal sandbox, created",
        CREATE_WAIT,
    );

    // t: a gated REPL tab; a command's output shows in the pane.
    pty.send("t");
    pty.wait_screen_for(idle_prompt, "the REPL's prompt", WAIT);
    pty.send("echo hello-e2e\r");
    pty.wait_screen_for(
        |s| shows_line(s, "hello-e2e", "echo") && idle_prompt(s),
        "the output of echo hello-e2e and the next prompt",
        WAIT,
    );

    // A blocked command: the reason inline, and the alert badge in the status bar.
    pty.send("cat /etc/shadow\r");
    pty.wait_screen("blocked by hidden-path", WAIT);
    pty.wait_screen("⚑ 1", WAIT);

    // Ctrl-] gives the keys back; q quits with status 0.
    pty.send(CTRL_BRACKET);
    pty.wait_screen_for(
        |s| !s.contains("typing: keys go to the program"),
        "the keys back with lasso",
        WAIT,
    );
    pty.send("q");
    let after = pty.expect_from(0, "STTY-DONE", WAIT);
    let out = pty.output();
    assert!(out.contains("TUI-EXIT=0"), "exit status:\n{out}");
    assert_eq!(pty.wait(WAIT), 0);

    // The terminal is restored: cooked mode with echo, the main screen, no mouse reporting.
    let tail = &out[out.find("TUI-EXIT=").unwrap()..after.min(out.len())];
    let words: Vec<&str> = tail.split_whitespace().collect();
    for setting in ["icanon", "echo", "isig", "icrnl"] {
        assert!(
            words.contains(&setting),
            "stty shows {setting} off after the TUI:\n{tail}"
        );
    }
    let entered = out
        .rfind("\x1b[?1049h")
        .expect("the TUI used the alternate screen");
    let left = out
        .rfind("\x1b[?1049l")
        .expect("the TUI left the alternate screen");
    assert!(
        left > entered,
        "the last alternate-screen switch is the leave"
    );
    let mouse_on = out.rfind("\x1b[?1000h").expect("mouse capture was on");
    let mouse_off = out
        .rfind("\x1b[?1000l")
        .expect("mouse capture was turned off");
    assert!(mouse_off > mouse_on);

    // The audit log has the TUI's create, the command and the violation.
    let (out, list) = l.json(&["status", "--json"]);
    assert_ok(&["status", "--json"], &out);
    let log = list[0]["audit_log"].as_str().unwrap().to_string();
    let (out, page) = l.json(&["audit", "view", &log, "--json", "--limit", "200"]);
    assert_ok(&["audit", "view"], &out);
    let entries = page["entries"].as_array().unwrap();
    let has = |kind: &str, actor: Option<&str>, target: &str| {
        entries.iter().any(|e: &Value| {
            e["type"] == kind
                && actor.is_none_or(|a| e["actor"] == a)
                && e["target"].as_str().is_some_and(|t| t.contains(target))
        })
    };
    assert!(
        has("lifecycle", Some("tui"), ""),
        "no create by the TUI: {entries:#?}"
    );
    assert!(has("command", None, "echo hello-e2e"), "{entries:#?}");
    assert!(has("violation", None, "cat /etc/shadow"), "{entries:#?}");
    assert_ok(&["audit", "verify"], &l.run(&["audit", "verify", &log]));
}
