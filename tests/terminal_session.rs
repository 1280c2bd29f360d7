//! Terminal sessions through the service against a real engine: the gated REPL runs allowed
//! lines on a TTY and refuses blocked ones inline (with a `violation` entry), a raw shell is
//! refused where the profile does not permit one and works (with guard denials recorded)
//! where it does, the time limit ends a program, and closing a session kills what runs.
//!
//! Sandboxes are created with the `lasso` binary in a per-test LASSO_HOME (`common::Lasso`,
//! which stops them on drop, also when a test fails); sessions are opened in-process.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Lasso, assert_ok, write_project_profile};
use lasso::sandbox::{
    SandboxError, SandboxService, ServiceOptions, SessionEnd, SessionInput, SessionKind,
    SessionOutput, TermSize, TerminalSession,
};
use serde_json::Value;

/// Only a broken build waits this long.
const DEADLINE: Duration = Duration::from_secs(90);
const SIZE: TermSize = TermSize {
    cols: 100,
    rows: 30,
};

/// `Lasso::with_engine` runs its own runtime: call it off this one's worker.
fn with_engine(test: &str) -> Option<Lasso> {
    tokio::task::block_in_place(|| Lasso::with_engine(test))
}

fn service(l: &Lasso) -> Arc<SandboxService> {
    let home = lasso::config::LassoHome::at(l.home_path()).unwrap();
    let settings = lasso::config::Settings::load(&home).unwrap();
    let connect = lasso::runtime::ConnectOptions::from_env().unwrap();
    Arc::new(SandboxService::new(ServiceOptions {
        home,
        settings,
        connect,
    }))
}

fn create(l: &Lasso, profile: &str, name: &str) -> Value {
    let dir = l.work_path().to_str().unwrap().to_string();
    let args = ["create", profile, "--dir", &dir, "--name", name, "--json"];
    let (out, v) = l.json(&args);
    assert_ok(&args, &out);
    v
}

fn entries(log: &str) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn verify(l: &Lasso, log: &str) {
    let args = ["audit", "verify", log];
    let out = l.run(&args);
    assert_ok(&args, &out);
}

/// Everything the session printed, and how it ended once it did.
struct Screen {
    s: TerminalSession,
    out: Vec<u8>,
    end: Option<SessionEnd>,
}

impl Screen {
    fn new(s: TerminalSession) -> Screen {
        Screen {
            s,
            out: Vec::new(),
            end: None,
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.out).into_owned()
    }

    async fn send(&self, bytes: &[u8]) {
        self.s
            .input
            .send(SessionInput::Bytes(bytes.to_vec()))
            .await
            .unwrap();
    }

    /// Reads until `needle` appears after byte `from`; returns the end of the match.
    async fn expect_from(&mut self, from: usize, needle: &str) -> usize {
        let found = tokio::time::timeout(DEADLINE, async {
            loop {
                if let Some(i) = find(&self.out[from.min(self.out.len())..], needle) {
                    return from + i + needle.len();
                }
                match self.s.output.recv().await {
                    Some(SessionOutput::Bytes(b)) => self.out.extend_from_slice(&b),
                    Some(SessionOutput::Ended(e)) => {
                        panic!(
                            "session ended ({e:?}) before {needle:?}; got {:?}",
                            self.text()
                        )
                    }
                    None => panic!("session output closed before {needle:?}"),
                }
            }
        })
        .await;
        found.unwrap_or_else(|_| panic!("{needle:?} did not arrive; got {:?}", self.text()))
    }

    async fn ended(&mut self) -> SessionEnd {
        if let Some(e) = &self.end {
            return e.clone();
        }
        let end = tokio::time::timeout(DEADLINE, async {
            loop {
                match self.s.output.recv().await {
                    Some(SessionOutput::Bytes(b)) => self.out.extend_from_slice(&b),
                    Some(SessionOutput::Ended(e)) => return e,
                    None => panic!("output closed without an Ended"),
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("the session did not end; got {:?}", self.text()));
        self.end = Some(end.clone());
        end
    }
}

fn find(hay: &[u8], needle: &str) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repl_runs_allowed_lines_and_refuses_blocked_ones() {
    let Some(l) = with_engine("repl_runs_allowed_lines_and_refuses_blocked_ones") else {
        return;
    };
    let info = create(&l, "minimal", "repl");
    let log = info["audit_log"].as_str().unwrap().to_string();
    let svc = service(&l);
    let s = svc
        .open_terminal("repl", SessionKind::Repl, "test", SIZE)
        .await
        .unwrap();
    let mut t = Screen::new(s);
    let mut at = t.expect_from(0, "lasso:repl$ ").await;
    t.send(b"echo hello-\x7f-repl\r").await;
    // The echo of the typed line, then the program's own output on its own line.
    at = t.expect_from(at, "\r\nhello-repl\r\n").await;
    at = t.expect_from(at, "lasso:repl$ ").await;
    t.send(b"rm -rf /workspace\r").await;
    at = t.expect_from(at, "blocked by ").await;
    let line_end = t.expect_from(at, "\r\n").await;
    let reason = String::from_utf8_lossy(&t.out[at..line_end]).into_owned();
    assert!(reason.contains("rm"), "{reason:?}");
    at = t.expect_from(line_end, "lasso:repl$ ").await;
    // Ctrl-C clears a half-typed line; it never runs.
    t.send(b"echo never\x03").await;
    at = t.expect_from(at, "^C\r\nlasso:repl$ ").await;
    t.send(b"\x04").await;
    let end = t.ended().await;
    assert!(end.reason.contains("Ctrl-D"), "{end:?}");
    assert!(!t.text()[at..].contains("never"));

    let all = entries(&log);
    let cmd = all
        .iter()
        .find(|e| e["type"] == "command" && e["target"] == "echo hello-repl")
        .unwrap_or_else(|| panic!("no command entry: {all:?}"));
    assert_eq!(cmd["detail"]["tty"], true, "{cmd}");
    assert_eq!(cmd["detail"]["exit_code"], 0, "{cmd}");
    assert_eq!(cmd["outcome"], "success", "{cmd}");
    let v = all
        .iter()
        .find(|e| e["type"] == "violation" && e["target"] == "rm -rf /workspace")
        .unwrap_or_else(|| panic!("no violation entry: {all:?}"));
    assert_eq!(v["detail"]["tty"], true, "{v}");
    assert!(!all.iter().any(|e| e["target"] == "echo never"));
    for action in ["session_start", "session_end"] {
        assert!(
            all.iter().any(|e| e["action"] == action),
            "no {action}: {all:?}"
        );
    }
    verify(&l, &log);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_shell_is_refused_on_minimal() {
    let Some(l) = with_engine("raw_shell_is_refused_on_minimal") else {
        return;
    };
    let info = create(&l, "minimal", "noshell");
    let log = info["audit_log"].as_str().unwrap().to_string();
    let svc = service(&l);
    let err = svc
        .open_terminal("noshell", SessionKind::Shell, "test", SIZE)
        .await
        .unwrap_err();
    assert!(matches!(err, SandboxError::SessionRefused(_)), "{err}");
    assert!(err.to_string().contains("raw_shell"), "{err}");
    let all = entries(&log);
    let refused = all
        .iter()
        .find(|e| e["type"] == "violation" && e["target"] == "shell")
        .unwrap_or_else(|| panic!("refusal not audited: {all:?}"));
    assert_eq!(refused["outcome"], "blocked");
    verify(&l, &log);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_program_is_killed_at_the_time_limit_and_close_kills_too() {
    let Some(l) = with_engine("a_program_is_killed_at_the_time_limit_and_close_kills_too") else {
        return;
    };
    let profile = write_project_profile(
        l.work_path(),
        "short",
        "extends = \"minimal\"\n[commands]\nwhitelist_add = [\"sleep\"]\n\
         max_execution_seconds = 600\n\
         [terminal]\nmax_session_seconds = 2\n",
    );
    let info = create(&l, &profile, "short");
    let log = info["audit_log"].as_str().unwrap().to_string();
    let svc = service(&l);
    let s = svc
        .open_terminal("short", SessionKind::Repl, "test", SIZE)
        .await
        .unwrap();
    let mut t = Screen::new(s);
    let mut at = t.expect_from(0, "lasso:short$ ").await;
    t.send(b"sleep 300\r").await;
    at = t.expect_from(at, "time limit reached").await;
    t.expect_from(at, "lasso:short$ ").await;
    // Close while a program runs: it is killed and the session ends.
    t.send(b"sleep 299\r").await;
    // Wait until the sleep's command line has been echoed, then close.
    t.expect_from(at, "sleep 299\r\n").await;
    t.s.input.send(SessionInput::Close).await.unwrap();
    let end = t.ended().await;
    assert!(end.reason.contains("closed"), "{end:?}");

    let all = entries(&log);
    let timed = all
        .iter()
        .find(|e| e["type"] == "command" && e["target"] == "sleep 300")
        .unwrap_or_else(|| panic!("no entry for the timed-out sleep: {all:?}"));
    assert_eq!(timed["detail"]["timed_out"], true, "{timed}");
    assert_eq!(timed["detail"]["tty"], true, "{timed}");
    let closed = all
        .iter()
        .find(|e| e["type"] == "command" && e["target"] == "sleep 299")
        .unwrap_or_else(|| panic!("no entry for the closed sleep: {all:?}"));
    assert_eq!(closed["detail"]["closed_by_user"], true, "{closed}");
    let ended = all
        .iter()
        .find(|e| e["action"] == "session_end")
        .unwrap_or_else(|| panic!("no session_end: {all:?}"));
    assert_eq!(ended["detail"]["closed_by_user"], true, "{ended}");
    // Nothing of either sleep is left running.
    let left = svc.exec("short", "ls /proc", "test").await.unwrap();
    let lasso::sandbox::ExecOutcome::Ran(r) = left else {
        panic!("ls blocked")
    };
    for pid in r
        .stdout
        .split_whitespace()
        .filter(|p| p.parse::<u32>().is_ok())
    {
        let out = svc
            .exec("short", &format!("cat /proc/{pid}/cmdline"), "test")
            .await
            .unwrap();
        if let lasso::sandbox::ExecOutcome::Ran(r) = out {
            assert!(
                !r.stdout.starts_with("sleep"),
                "pid {pid} still runs {:?}",
                r.stdout
            );
        }
    }
    verify(&l, &log);
}

/// The guard-enforcement tests' Debian image and whitelist (shared image), with a raw shell.
fn shell_profile() -> String {
    "extends = \"minimal\"\n[image]\npackages = [\"jq\"]\n[commands]\nmode = \"whitelist\"\n\
     whitelist = [\"sh\", \"bash\", \"ls\", \"cat\", \"echo\", \"cp\", \"ln\", \"jq\", \"true\"]\n\
     allow_shell_operators = true\nmax_execution_seconds = 30\n\
     [terminal]\nraw_shell = true\nmax_session_seconds = 600\n"
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_shell_runs_under_the_guard_and_denials_are_recorded() {
    let Some(l) = with_engine("raw_shell_runs_under_the_guard_and_denials_are_recorded") else {
        return;
    };
    let profile = write_project_profile(l.work_path(), "guarded", &shell_profile());
    let info = create(&l, &profile, "sh");
    let log = info["audit_log"].as_str().unwrap().to_string();
    std::fs::write(l.work_path().join("victim"), "x").unwrap();
    let svc = service(&l);
    let s = svc
        .open_terminal("sh", SessionKind::Shell, "test", SIZE)
        .await
        .unwrap();
    let mut t = Screen::new(s);
    t.send(b"rm -f victim; echo \"rm=$?\"; ls victim; echo \"ls=$?\"\n")
        .await;
    let at = t.expect_from(0, "ls=0").await;
    assert!(!t.text().contains("rm=0"), "rm ran: {:?}", t.text());
    assert!(
        l.work_path().join("victim").exists(),
        "the guard let rm run"
    );
    let _ = at;
    t.send(b"exit 3\n").await;
    let end = t.ended().await;
    assert_eq!(end.exit_code, Some(3), "{end:?}");

    let all = entries(&log);
    assert!(
        all.iter().any(|e| e["type"] == "exec"
            && e["outcome"] == "blocked"
            && e.to_string().contains("rm")),
        "no guard denial of rm: {all:?}"
    );
    let ended = all
        .iter()
        .find(|e| e["action"] == "session_end" && e["target"] == "shell")
        .unwrap_or_else(|| panic!("no session_end: {all:?}"));
    assert_eq!(ended["detail"]["exit_code"], 3, "{ended}");
    verify(&l, &log);
}

/// A profile with `sleep`, so a program can run for a while without reading its terminal,
/// and `env`.
fn sleep_profile(l: &Lasso) -> String {
    write_project_profile(
        l.work_path(),
        "typeahead",
        "extends = \"minimal\"\n[commands]\nwhitelist_add = [\"sleep\", \"env\"]\n",
    )
}

fn command_entries(all: &[Value]) -> Vec<String> {
    all.iter()
        .filter(|e| e["type"] == "command" || e["type"] == "violation")
        .map(|e| {
            format!(
                "{} {}",
                e["type"].as_str().unwrap(),
                e["target"].as_str().unwrap()
            )
        })
        .collect()
}

/// Keys typed while a program runs that it never reads come back to the REPL after it ends,
/// like a real terminal's typeahead: a whole line runs (gated, audited, after the program),
/// a blocked one is refused with a violation, a half-typed one is still being edited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_ahead_lines_come_back_gated_and_audited() {
    let Some(l) = with_engine("typed_ahead_lines_come_back_gated_and_audited") else {
        return;
    };
    let profile = sleep_profile(&l);
    let info = create(&l, &profile, "typea");
    let log = info["audit_log"].as_str().unwrap().to_string();
    std::fs::write(l.work_path().join("victim"), "x").unwrap();
    let svc = service(&l);
    let s = svc
        .open_terminal("typea", SessionKind::Repl, "test", SIZE)
        .await
        .unwrap();
    let mut t = Screen::new(s);
    let mut at = t.expect_from(0, "lasso:typea$ ").await;
    // Typed right after the line: whatever the timing, these reach the sleep's terminal
    // (or the REPL once the sleep is over), never a program that reads them.
    t.send(b"sleep 2\r").await;
    t.send(b"echo ahead-free-marker\r").await;
    t.send(b"rm -rf /workspace\r").await;
    t.send(b"echo half-").await;
    // The typed-ahead line runs after the sleep, from a fresh prompt, with its own output.
    // (Each program's terminal echoes the keys still queued when it starts, as it passes
    // them on; none of those contains the marker.)
    at = t
        .expect_from(at, "lasso:typea$ echo ahead-free-marker\r\n")
        .await;
    at = t.expect_from(at, "ahead-free-marker\r\n").await;
    at = t
        .expect_from(at, "lasso:typea$ rm -rf /workspace\r\n")
        .await;
    at = t.expect_from(at, "blocked by ").await;
    // The half-typed line is back in the editor: finish it.
    at = t.expect_from(at, "lasso:typea$ echo half-").await;
    t.send(b"done\r").await;
    at = t.expect_from(at, "done\r\n").await;
    at = t.expect_from(at, "half-done\r\n").await;
    at = t.expect_from(at, "lasso:typea$ ").await;
    // The key that authenticates the hand-back never reaches the program.
    t.send(b"env\r").await;
    at = t.expect_from(at, "LASSO_EXEC_ID=").await;
    t.expect_from(at, "lasso:typea$ ").await;
    t.send(b"\x04").await;
    t.ended().await;
    assert!(
        !t.text().contains("lasso-typeahead"),
        "a hand-back frame reached the screen: {:?}",
        t.text()
    );
    assert!(l.work_path().join("victim").exists(), "rm ran");

    let all = entries(&log);
    assert_eq!(
        command_entries(&all),
        vec![
            "command sleep 2",
            "command echo ahead-free-marker",
            "violation rm -rf /workspace",
            "command echo half-done",
            "command env",
        ],
        "{all:?}"
    );
    let ahead = all
        .iter()
        .find(|e| e["type"] == "command" && e["target"] == "echo ahead-free-marker")
        .unwrap();
    assert_eq!(ahead["outcome"], "success", "{ahead}");
    assert_eq!(ahead["detail"]["tty"], true, "{ahead}");
    assert!(
        ahead["detail"]["output"]
            .as_str()
            .unwrap()
            .contains("ahead-free-marker"),
        "{ahead}"
    );
    // The sleep's own output excerpt holds the echo of the keys, never a frame.
    let sleep = all
        .iter()
        .find(|e| e["type"] == "command" && e["target"] == "sleep 2")
        .unwrap();
    assert_eq!(sleep["detail"]["exit_code"], 0, "{sleep}");
    assert!(!sleep.to_string().contains("lasso-typeahead"), "{sleep}");
    let env = all
        .iter()
        .find(|e| e["type"] == "command" && e["target"] == "env")
        .unwrap();
    let out = env["detail"]["output"].as_str().unwrap();
    assert!(
        out.contains("LASSO_EXEC_ID=") && !out.contains("LASSO_TYPEAHEAD_KEY"),
        "{env}"
    );
    verify(&l, &log);
}

/// A program that reads its terminal consumes what it reads: that line is not replayed,
/// while the line after it (which it left unread) is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_a_program_reads_is_not_handed_back() {
    let Some(l) = with_engine("input_a_program_reads_is_not_handed_back") else {
        return;
    };
    let info = create(&l, "minimal", "reads");
    let log = info["audit_log"].as_str().unwrap().to_string();
    let svc = service(&l);
    let s = svc
        .open_terminal("reads", SessionKind::Repl, "test", SIZE)
        .await
        .unwrap();
    let mut t = Screen::new(s);
    let mut at = t.expect_from(0, "lasso:reads$ ").await;
    t.send(b"head -n1\r").await;
    t.send(b"read-by-head\r").await;
    t.send(b"echo after-head\r").await;
    at = t.expect_from(at, "lasso:reads$ echo after-head\r\n").await;
    at = t.expect_from(at, "after-head\r\n").await;
    t.expect_from(at, "lasso:reads$ ").await;
    t.send(b"\x04").await;
    t.ended().await;
    let all = entries(&log);
    // head printed the line it read, after its terminal's echo of it.
    let head = all
        .iter()
        .find(|e| e["type"] == "command" && e["target"] == "head -n1")
        .unwrap_or_else(|| panic!("no head entry: {all:?}"));
    let out = head["detail"]["output"].as_str().unwrap();
    assert_eq!(out.matches("read-by-head").count(), 2, "{head}");
    assert_eq!(
        command_entries(&all),
        vec!["command head -n1", "command echo after-head"],
        "{all:?}"
    );
    verify(&l, &log);
}
