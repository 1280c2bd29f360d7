//! `lasso mcp` through the real binary over stdio, speaking raw JSON-RPC lines: stdout carries
//! protocol messages only, long commands send progress, `timeout_seconds` shortens the limit,
//! and the session's sandboxes are stopped when stdin closes or on SIGTERM. `lasso mcp config`
//! needs no engine.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use common::{Lasso, assert_ok, text};
use serde_json::{Value, json};

struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// Every line seen on stdout, to check that each was a JSON-RPC message.
    seen: Vec<Value>,
    stderr: tempfile::NamedTempFile,
}

impl Server {
    fn start(l: &Lasso, args: &[&str]) -> Server {
        let stderr = tempfile::NamedTempFile::new().unwrap();
        let mut cmd: Command = l.cmd();
        let mut child = cmd
            .arg("mcp")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr.reopen().unwrap()))
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Server {
            child,
            stdin,
            lines,
            seen: Vec::new(),
            stderr,
        }
    }

    fn send(&mut self, msg: Value) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{msg}").unwrap();
        stdin.flush().unwrap();
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.stderr.path()).unwrap_or_default()
    }

    /// Reads messages until the response to `id`; returns it and the notifications before it.
    fn response(&mut self, id: u64, within: Duration) -> (Value, Vec<Value>) {
        let deadline = Instant::now() + within;
        let mut notes = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match self.lines.recv_timeout(left) {
                Ok(l) => l,
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "no response to {id} within {within:?}; stderr:\n{}",
                        self.stderr()
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("lasso mcp closed stdout; stderr:\n{}", self.stderr())
                }
            };
            let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
                panic!(
                    "stdout line is not JSON ({e}): {line}\nstderr:\n{}",
                    self.stderr()
                )
            });
            assert_eq!(v["jsonrpc"], "2.0", "not JSON-RPC: {line}");
            self.seen.push(v.clone());
            if v["id"] == json!(id) {
                return (v, notes);
            }
            notes.push(v);
        }
    }

    fn initialize(&mut self, client: &str) {
        self.send(
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": client, "version": "0.1"}}}),
        );
        let (r, _) = self.response(1, Duration::from_secs(20));
        assert_eq!(r["result"]["serverInfo"]["name"], "lasso", "{r}");
        self.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    }

    fn call(
        &mut self,
        id: u64,
        tool: &str,
        args: Value,
        progress: Option<&str>,
    ) -> (Value, Vec<Value>) {
        let mut params = json!({"name": tool, "arguments": args});
        if let Some(token) = progress {
            params["_meta"] = json!({"progressToken": token});
        }
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params}));
        let (r, notes) = self.response(id, Duration::from_secs(180));
        (r["result"].clone(), notes)
    }

    fn wait_exit(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "lasso mcp did not exit within {within:?}; stderr:\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A project profile: minimal plus `sleep`, for commands that take a while.
fn sleepy_profile(l: &Lasso) -> String {
    common::write_project_profile(
        l.work_path(),
        "mcp-sleepy",
        "extends = \"minimal\"\n[commands]\nwhitelist_add = [\"sleep\"]\nmax_execution_seconds = 30\n",
    )
}

fn sandboxes(l: &Lasso) -> Vec<Value> {
    let (out, v) = l.json(&["status", "--json"]);
    assert_ok(&["status", "--json"], &out);
    v.as_array().cloned().unwrap_or_default()
}

#[test]
fn stdio_session_progress_timeouts_and_stop_on_eof() {
    let Some(l) = Lasso::with_engine("stdio_session_progress_timeouts_and_stop_on_eof") else {
        return;
    };
    let profile = sleepy_profile(&l);
    let dir = l.work_path().display().to_string();
    let mut s = Server::start(&l, &["--profile", &profile, "--dir", &dir]);
    s.initialize("stdio-test");

    // The first call creates the default sandbox; a long command reports progress.
    let (r, notes) = s.call(
        2,
        "sandbox_exec",
        json!({"command": "sleep 6"}),
        Some("tok-6"),
    );
    assert_eq!(r["isError"], false, "{r}");
    assert_eq!(r["structuredContent"]["exit_code"], 0, "{r}");
    let beats: Vec<&Value> = notes
        .iter()
        .filter(|n| {
            n["method"] == "notifications/progress" && n["params"]["progressToken"] == "tok-6"
        })
        .collect();
    assert!(!beats.is_empty(), "no progress notifications: {notes:?}");
    assert!(beats.iter().any(|n| {
        n["params"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("is running"))
    }));

    // timeout_seconds shortens the profile's limit (30 s) and the command is killed.
    let started = Instant::now();
    let (r, _) = s.call(
        3,
        "sandbox_exec",
        json!({"command": "sleep 20", "timeout_seconds": 2}),
        None,
    );
    assert_eq!(r["structuredContent"]["timed_out"], true, "{r}");
    assert_eq!(r["structuredContent"]["timeout_seconds"], 2, "{r}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    // ... but never lengthens it.
    let (r, _) = s.call(
        4,
        "sandbox_exec",
        json!({"command": "echo hi", "timeout_seconds": 999}),
        None,
    );
    assert_eq!(r["structuredContent"]["timeout_seconds"], 30, "{r}");

    let id = r["structuredContent"]["sandbox"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(sandboxes(&l).iter().any(|x| x["id"] == id.as_str()));

    // stdin closes: the session ends and its sandbox is stopped.
    s.stdin = None;
    let status = s.wait_exit(Duration::from_secs(30));
    assert!(status.success(), "{status:?}\n{}", s.stderr());
    assert!(sandboxes(&l).is_empty(), "{:?}", sandboxes(&l));
    assert!(s.stderr().contains("stopped sandbox"), "{}", s.stderr());
    // Nothing but protocol messages ever reached stdout (checked line by line above), and
    // every reply was one.
    assert!(
        s.seen
            .iter()
            .all(|v| v.get("result").is_some() || v.get("method").is_some())
    );

    // The stop is audited with the client's actor.
    let log = std::fs::read_to_string(l.home_path().join("audit/system.jsonl")).unwrap();
    assert!(
        log.lines()
            .any(|x| x.contains("\"action\":\"stop\"") && x.contains("mcp:stdio-test")),
        "{log}"
    );
}

#[test]
fn sigterm_ends_the_session_and_stops_its_sandboxes() {
    let Some(l) = Lasso::with_engine("sigterm_ends_the_session_and_stops_its_sandboxes") else {
        return;
    };
    let dir = l.work_path().display().to_string();
    let mut s = Server::start(&l, &["--profile", "minimal", "--dir", &dir]);
    s.initialize("sigterm-test");
    let (r, _) = s.call(2, "sandbox_exec", json!({"command": "pwd"}), None);
    assert_eq!(r["structuredContent"]["stdout"], "/workspace\n", "{r}");
    assert_eq!(sandboxes(&l).len(), 1);
    let pid = i32::try_from(s.child.id()).unwrap();
    // SAFETY: signalling our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = s.wait_exit(Duration::from_secs(30));
    assert!(status.success(), "{status:?}\n{}", s.stderr());
    assert!(sandboxes(&l).is_empty(), "{:?}", sandboxes(&l));
    assert!(s.stderr().contains("signal received"), "{}", s.stderr());
}

#[test]
fn config_prints_snippets_with_the_absolute_binary() {
    let l = Lasso::new();
    let dir = l.work_path().display().to_string();
    let home = l.home_path().display().to_string();
    let binary = std::fs::canonicalize(env!("CARGO_BIN_EXE_lasso")).unwrap();
    let binary = binary.display().to_string();
    for client in ["claude-desktop", "cursor", "vscode"] {
        let out = l.run(&[
            "mcp",
            "config",
            "--profile",
            "minimal",
            "--dir",
            &dir,
            "--client",
            client,
        ]);
        assert_ok(&["mcp", "config"], &out);
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{client}: {e}: {}", text(&out.stdout)));
        let server = if client == "vscode" {
            &v["servers"]["lasso"]
        } else {
            &v["mcpServers"]["lasso"]
        };
        assert_eq!(server["command"], binary.as_str(), "{client}");
        assert_eq!(
            server["args"],
            json!(["mcp", "--profile", "minimal", "--dir", dir.as_str()]),
            "{client}"
        );
        assert_eq!(server["env"]["LASSO_HOME"], home.as_str(), "{client}");
    }
    let out = l.run(&[
        "mcp",
        "config",
        "--client",
        "claude-code",
        "--profile",
        "strict",
    ]);
    assert_ok(&["mcp", "config"], &out);
    let line = text(&out.stdout);
    assert!(
        line.starts_with("claude mcp add --transport stdio --env LASSO_HOME="),
        "{line}"
    );
    assert!(
        line.trim_end()
            .ends_with(&format!("lasso -- {binary} mcp --profile strict")),
        "{line}"
    );
    // A --dir that does not exist is an error naming it.
    let out = l.run(&["mcp", "config", "--dir", "/no/such/dir"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("/no/such/dir"),
        "{}",
        text(&out.stderr)
    );
    let out = l.run(&["mcp", "config", "--client", "emacs"]);
    assert_eq!(out.status.code(), Some(2));
}
