//! The `creating` state across processes, against a real engine (LASSO_RUNTIME picks Docker
//! or Podman).
//!
//! A create is held half-way without any test hook: its last audit append goes to
//! `LASSO_HOME/audit/system.jsonl`, under an exclusive `flock` (the audit writer's
//! cross-process lock), so while this test holds that lock the create in another `lasso`
//! process has started its container, run its probes and written the sandbox's own log, and
//! waits there. Meanwhile every listing from yet another process must say `creating` and
//! exec/restart/mode must refuse with the specific error; once the lock is released the
//! create returns and the sandbox is `running` and usable. A create killed half-way leaves a
//! sandbox that lists with a problem, refuses exec and is removable with `lasso stop`.
//!
//! Nothing here is timed: waits poll with generous deadlines that only bound a broken build.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use common::pty::{Pty, WAIT};
use common::{Lasso, assert_ok, code, text};
use serde_json::Value;

const DEADLINE: Duration = Duration::from_secs(240);
const CREATING_ERROR: &str = "is still being created; try again in a moment";

/// Holds the system audit log's lock; released on drop (declared after the `Lasso`, so it is
/// released before the `Lasso`'s own `stop all`, which appends to that log).
struct SystemLogLock(std::fs::File);

impl SystemLogLock {
    fn take(home: &Path) -> SystemLogLock {
        let path = home.join("audit").join("system.jsonl");
        let f = std::fs::File::options()
            .read(true)
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
        f.lock().unwrap();
        SystemLogLock(f)
    }
}

impl Drop for SystemLogLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// A `lasso create` child, killed on drop if it is still running.
struct Creating(Child);

impl Drop for Creating {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Creating {
    fn start(l: &Lasso, name: &str) -> Creating {
        let dir = l.work_path().to_str().unwrap().to_string();
        let child = l
            .cmd()
            .args(["create", "minimal", "--dir", &dir, "--name", name, "--json"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Creating(child)
    }

    /// Panics with the child's output if it has exited (it must not, while it is held).
    fn assert_still_running(&mut self) {
        if let Some(status) = self.0.try_wait().unwrap() {
            let (out, err) = self.drain();
            panic!("lasso create exited early ({status}):\nstdout: {out}\nstderr: {err}");
        }
    }

    fn drain(&mut self) -> (String, String) {
        let mut out = String::new();
        let mut err = String::new();
        if let Some(s) = self.0.stdout.as_mut() {
            let _ = s.read_to_string(&mut out);
        }
        if let Some(s) = self.0.stderr.as_mut() {
            let _ = s.read_to_string(&mut err);
        }
        (out, err)
    }

    /// Waits for the child to exit; its status, stdout and stderr.
    fn finish(&mut self) -> (bool, String, String) {
        let start = Instant::now();
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                let (out, err) = self.drain();
                return (status.success(), out, err);
            }
            assert!(start.elapsed() < DEADLINE, "lasso create never returned");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// `lasso status --json` from its own process: the entry named `name`, if listed.
fn listed(l: &Lasso, name: &str) -> Option<Value> {
    let (out, v) = l.json(&["status", "--json"]);
    assert_ok(&["status", "--json"], &out);
    v.as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .cloned()
}

/// A full create and stop first: builds the profile image and starts the system log, whose
/// lock then holds the next create just before its end.
fn warm_up(l: &Lasso) {
    let dir = l.work_path().to_str().unwrap().to_string();
    let args = [
        "create", "minimal", "--dir", &dir, "--name", "warm", "--json",
    ];
    let (out, v) = l.json(&args);
    assert_ok(&args, &out);
    assert_eq!(v["state"], "running", "{v}");
    let out = l.run(&["stop", "warm"]);
    assert_ok(&["stop", "warm"], &out);
    assert!(l.home_path().join("audit/system.jsonl").exists());
}

/// Polls the listing (another process) until the held create's sandbox appears; every
/// listing that has it must say `creating`, with no problems. Returns that entry.
fn wait_listed_creating(l: &Lasso, child: &mut Creating, name: &str) -> Value {
    let start = Instant::now();
    loop {
        child.assert_still_running();
        if let Some(s) = listed(l, name) {
            assert_eq!(s["state"], "creating", "listed before create returned: {s}");
            assert_eq!(s["problems"], Value::Array(Vec::new()), "{s}");
            return s;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "the sandbox being created was never listed"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Waits until the held create has written its `lifecycle/create` entry into the sandbox's
/// own log: then it is past its container start and probes, waiting for the system log.
fn wait_create_entry(child: &mut Creating, sandbox: &Value) {
    let log = sandbox["audit_log"].as_str().unwrap().to_string();
    let start = Instant::now();
    loop {
        child.assert_still_running();
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let done = text.lines().any(|line| {
            serde_json::from_str::<Value>(line)
                .is_ok_and(|e| e["type"] == "lifecycle" && e["action"] == "create")
        });
        if done {
            return;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "the held create never wrote its create entry to {log}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn refused(out: &Output, what: &str, want: &str) {
    assert_ne!(code(out), 0, "{what} succeeded: {}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains(want),
        "{what}: expected `{want}` in stderr: {}",
        text(&out.stderr)
    );
}

#[test]
fn a_sandbox_is_listed_as_creating_until_its_create_returns_and_refuses_use_meanwhile() {
    let Some(l) = Lasso::with_engine(
        "a_sandbox_is_listed_as_creating_until_its_create_returns_and_refuses_use_meanwhile",
    ) else {
        return;
    };
    warm_up(&l);
    let lock = SystemLogLock::take(&l.home_path());
    let mut child = Creating::start(&l, "mid");
    let seen = wait_listed_creating(&l, &mut child, "mid");
    // Past its probes and its own log's entries (what `t` in the TUI used to trip over),
    // waiting for the lock this test holds: still `creating`, with no problem (its log
    // existing or not is no problem while it is being created).
    wait_create_entry(&mut child, &seen);
    let s = listed(&l, "mid").expect("still listed");
    assert_eq!(s["state"], "creating", "{s}");
    assert_eq!(s["problems"], Value::Array(Vec::new()), "{s}");
    let (out, one) = l.json(&["status", "mid", "--json"]);
    assert_ok(&["status", "mid"], &out);
    assert_eq!(one[0]["state"], "creating", "{one}");

    let want = format!("sandbox mid {CREATING_ERROR}");
    refused(&l.run(&["exec", "mid", "--", "echo", "hi"]), "exec", &want);
    refused(&l.run(&["restart", "mid"]), "restart", &want);
    refused(&l.run(&["mode", "mid", "observe"]), "mode", &want);
    // `attach` needs a terminal: the same answer through the terminal-session path.
    let mut attach = Pty::lasso(&l, &["attach", "mid"], 120, 30);
    attach.wait_screen(&want, WAIT);
    assert_ne!(
        attach.wait(WAIT),
        0,
        "attach to a sandbox being created exited 0"
    );
    drop(attach);
    child.assert_still_running();

    drop(lock);
    let (ok, stdout, stderr) = child.finish();
    assert!(ok, "create failed:\nstdout: {stdout}\nstderr: {stderr}");
    let created: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(created["state"], "running", "{created}");
    assert_eq!(created["id"], seen["id"]);

    // After it returned, every listing says `running`, and the sandbox is usable.
    let s = listed(&l, "mid").expect("listed after create");
    assert_eq!(s["state"], "running", "{s}");
    assert_eq!(s["problems"], Value::Array(Vec::new()), "{s}");
    let out = l.run(&["exec", "mid", "--", "echo", "hi"]);
    assert_ok(&["exec", "mid"], &out);
    assert_eq!(text(&out.stdout), "hi\n");
    assert_ok(&["stop", "mid"], &l.run(&["stop", "mid"]));
}

#[test]
fn a_create_killed_half_way_leaves_a_sandbox_that_refuses_use_and_can_be_removed() {
    let Some(l) = Lasso::with_engine(
        "a_create_killed_half_way_leaves_a_sandbox_that_refuses_use_and_can_be_removed",
    ) else {
        return;
    };
    warm_up(&l);
    let lock = SystemLogLock::take(&l.home_path());
    let mut child = Creating::start(&l, "half");
    let seen = wait_listed_creating(&l, &mut child, "half");
    // Killed with its container running and probed, just before its last step.
    wait_create_entry(&mut child, &seen);
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    drop(lock);

    // Its creator is gone: not `creating` any more, but not usable either.
    let s = listed(&l, "half").expect("the half-made sandbox is still listed");
    assert_eq!(s["state"], "running", "{s}");
    let problems = s["problems"].to_string();
    assert!(
        problems.contains("its create did not finish") && problems.contains("lasso stop half"),
        "{s}"
    );
    refused(
        &l.run(&["exec", "half", "--", "echo", "hi"]),
        "exec",
        "its create did not finish",
    );

    // Removable like any sandbox.
    assert_ok(&["stop", "half"], &l.run(&["stop", "half"]));
    assert!(listed(&l, "half").is_none(), "still listed after stop");
}

/// The TUI of another process shows the held create as `creating`, refuses `t` on it with the
/// specific message (not "audit log is missing"), and shows it `running` once the create
/// returns, without a key press (no engine event marks the end of a create: the TUI re-lists
/// by itself while a sandbox is creating).
#[test]
fn the_tui_shows_another_process_create_as_creating_then_running() {
    let Some(l) =
        Lasso::with_engine("the_tui_shows_another_process_create_as_creating_then_running")
    else {
        return;
    };
    warm_up(&l);
    let lock = SystemLogLock::take(&l.home_path());
    let mut tui = Pty::lasso(&l, &["tui"], 160, 40);
    tui.wait_screen("No sandboxes yet", WAIT);
    // Only the sandboxes pane on screen (the audit pane would name the sandbox too).
    tui.send("z");
    let mut child = Creating::start(&l, "tuic");
    let seen = wait_listed_creating(&l, &mut child, "tuic");
    wait_create_entry(&mut child, &seen);
    let row = |state: &'static str| {
        move |s: &str| {
            s.lines()
                .any(|line| line.contains("tuic") && line.contains(state))
        }
    };
    tui.wait_screen_for(row("creating"), "tuic listed as creating", WAIT);
    tui.send("t");
    tui.wait_screen(&format!("sandbox tuic {CREATING_ERROR}"), WAIT);
    child.assert_still_running();

    drop(lock);
    let (ok, stdout, stderr) = child.finish();
    assert!(ok, "create failed:\nstdout: {stdout}\nstderr: {stderr}");
    tui.wait_screen_for(row("running"), "tuic listed as running", WAIT);
    tui.send("q");
    assert_eq!(tui.wait(WAIT), 0);
}
