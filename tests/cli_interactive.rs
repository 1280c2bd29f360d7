//! `lasso interactive` and `lasso attach` end to end, in a real pseudo-terminal against a
//! real engine: allowed lines print their output, blocked lines their reason, Ctrl-D ends
//! the session and stops the sandbox (or keeps it with `--keep`), the terminal is back in
//! cooked mode afterwards, a raw shell is refused on `minimal`, and without a terminal both
//! commands exit 2.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::pty::Pty;
use common::{Lasso, code, text};

/// Creating a sandbox on a loaded machine can take a while; only a broken build waits this long.
const SLOW: Duration = Duration::from_secs(180);
const WAIT: Duration = Duration::from_secs(90);

fn dir(l: &Lasso) -> String {
    l.work_path().to_str().unwrap().to_string()
}

fn sandbox_names(l: &Lasso) -> Vec<String> {
    let (out, v) = l.json(&["status", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn without_a_terminal_both_commands_exit_2() {
    let l = Lasso::new();
    for args in [
        vec!["interactive", "minimal", "--dir", &dir(&l)],
        vec!["attach", "nothing"],
    ] {
        let out = l.cmd().args(&args).stdin(Stdio::null()).output().unwrap();
        assert_eq!(code(&out), 2, "{args:?}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("needs a terminal"),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn repl_runs_allowed_lines_blocks_others_and_ctrl_d_stops_the_sandbox() {
    let Some(l) = Lasso::with_engine("repl_runs_allowed_lines_blocks_others_and_ctrl_d_stops")
    else {
        return;
    };
    let d = dir(&l);
    let mut p = Pty::lasso(
        &l,
        &["interactive", "minimal", "--dir", &d, "--name", "ia"],
        100,
        30,
    );
    let mut at = p.expect_from(0, "lasso:ia$ ", SLOW);
    p.send("echo hi-from-cli\r");
    at = p.expect_from(at, "\r\nhi-from-cli\r\n", WAIT);
    at = p.expect_from(at, "lasso:ia$ ", WAIT);
    p.send("rm -rf /workspace\r");
    at = p.expect_from(at, "blocked by ", WAIT);
    at = p.expect_from(at, "lasso:ia$ ", WAIT);
    p.send("\x04");
    p.expect_from(at, "stopped sandbox ia", WAIT);
    assert_eq!(p.wait(WAIT), 0, "{}", p.output());
    assert!(
        !sandbox_names(&l).contains(&"ia".to_string()),
        "the sandbox is still there"
    );
}

#[test]
fn keep_keeps_the_sandbox_and_attach_reopens_it_but_no_raw_shell_on_minimal() {
    let Some(l) = Lasso::with_engine("keep_keeps_the_sandbox_and_attach_reopens_it") else {
        return;
    };
    let d = dir(&l);
    let mut p = Pty::lasso(
        &l,
        &[
            "interactive",
            "minimal",
            "--dir",
            &d,
            "--name",
            "kept",
            "--keep",
        ],
        100,
        30,
    );
    let at = p.expect_from(0, "lasso:kept$ ", SLOW);
    p.send("\x04");
    p.expect_from(at, "keeps running", WAIT);
    assert_eq!(p.wait(WAIT), 0, "{}", p.output());
    assert!(sandbox_names(&l).contains(&"kept".to_string()));

    let mut a = Pty::lasso(&l, &["attach", "kept"], 100, 30);
    let mut at = a.expect_from(0, "lasso:kept$ ", WAIT);
    a.send("echo again\r");
    at = a.expect_from(at, "\r\nagain\r\n", WAIT);
    // Keys typed while a program runs are that program's input: wait for the prompt.
    at = a.expect_from(at, "lasso:kept$ ", WAIT);
    a.send("exit\r");
    a.expect_from(at, "session ended", WAIT);
    assert_eq!(a.wait(WAIT), 0, "{}", a.output());
    // attach never stops the sandbox.
    assert!(sandbox_names(&l).contains(&"kept".to_string()));

    let mut s = Pty::lasso(&l, &["attach", "kept", "--shell"], 100, 30);
    s.expect_from(0, "raw_shell", WAIT);
    assert_ne!(s.wait(WAIT), 0, "{}", s.output());
    let (_, v) = l.json(&["status", "kept", "--json"]);
    let log = std::fs::read_to_string(v[0]["audit_log"].as_str().unwrap()).unwrap();
    assert!(
        log.lines()
            .any(|e| e.contains("\"violation\"") && e.contains("session_start")),
        "the refused shell is not in the log: {log}"
    );
}

#[test]
fn the_terminal_is_back_in_cooked_mode_after_the_session() {
    let Some(l) = Lasso::with_engine("the_terminal_is_back_in_cooked_mode_after_the_session")
    else {
        return;
    };
    let d = dir(&l);
    let script = format!(
        "\"$LASSO\" interactive minimal --dir '{d}' --name cooked; echo \"rc=$?\"; stty -a; \
         echo stty-done"
    );
    let mut p = Pty::script(&l, &script, 120, 30);
    let at = p.expect_from(0, "lasso:cooked$ ", SLOW);
    p.send("\x04");
    let at = p.expect_from(at, "rc=0", WAIT);
    let end = p.expect_from(at, "stty-done", WAIT);
    let out = p.output();
    let stty = &out[at..end];
    let words: Vec<&str> = stty.split_whitespace().collect();
    for flag in ["icanon", "echo", "isig"] {
        assert!(
            words.contains(&flag),
            "{flag} is off after the session: {stty}"
        );
    }
    assert_eq!(p.wait(WAIT), 0);
}

#[test]
fn sigterm_and_sighup_end_the_session_and_stop_the_sandbox() {
    let Some(l) = Lasso::with_engine("sigterm_and_sighup_end_the_session_and_stop_the_sandbox")
    else {
        return;
    };
    let d = dir(&l);
    for (name, sig) in [("term", libc::SIGTERM), ("hup", libc::SIGHUP)] {
        // `exec` keeps the shell's pid, so `$$` is lasso's.
        let script = format!(
            "echo \"pid=$$.\"; exec \"$LASSO\" interactive minimal --dir '{d}' --name {name}"
        );
        let mut p = Pty::script(&l, &script, 100, 30);
        let start = p.expect_from(0, "pid=", WAIT);
        let end = p.expect_from(start, ".", WAIT);
        let pid: i32 = p.output()[start..end - 1].parse().unwrap();
        let at = p.expect_from(end, &format!("lasso:{name}$ "), SLOW);
        // SAFETY: signalling the child this test spawned.
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
        p.expect_from(at, &format!("stopped sandbox {name}"), WAIT);
        p.wait(WAIT);
        assert!(
            !sandbox_names(&l).contains(&name.to_string()),
            "sandbox {name} survived the signal"
        );
    }
}
