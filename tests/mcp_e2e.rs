//! End to end with an independent client: the official Python MCP SDK (tests/mcp/e2e_client.py)
//! spawns `lasso mcp --profile minimal --dir <workspace>` over stdio against a real engine and
//! exercises every tool, blocked commands and file confinement; this test prepares the
//! workspace, then checks what only the host can see: the audit log (entries with the client's
//! actor, refusals recorded as blocked, a valid chain), that nothing escaped the workspace, and
//! that the session's sandboxes were stopped when the client exited.
//!
//! The interpreter comes from LASSO_MCP_PYTHON (scripts/test.sh makes a venv with `mcp`); when
//! it is unset the test is skipped loudly, or fails with LASSO_REQUIRE_MCP_CLIENT=1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{Lasso, assert_ok, text};
use serde_json::Value;

fn python(test: &str) -> Option<PathBuf> {
    match std::env::var("LASSO_MCP_PYTHON") {
        Ok(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            if std::env::var("LASSO_REQUIRE_MCP_CLIENT").as_deref() == Ok("1") {
                panic!(
                    "{test}: LASSO_REQUIRE_MCP_CLIENT=1 but LASSO_MCP_PYTHON is unset; point it at \
                     a Python with the `mcp` package (scripts/test.sh makes target/mcp-venv)"
                );
            }
            eprintln!(
                "SKIPPED {test}: LASSO_MCP_PYTHON is unset (a Python with `pip install mcp`); set \
                 LASSO_REQUIRE_MCP_CLIENT=1 to fail instead"
            );
            None
        }
    }
}

fn audit_entries(path: &str) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn python_sdk_client_end_to_end() {
    let test = "python_sdk_client_end_to_end";
    let Some(python) = python(test) else { return };
    let Some(l) = Lasso::with_engine(test) else {
        return;
    };
    let work = l.work_path().to_path_buf();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.txt");
    std::fs::write(&secret, "host secret\n").unwrap();
    std::fs::write(work.join("hello.txt"), "hello from the host\n").unwrap();
    std::fs::write(work.join(".env"), "TOKEN=hunter2\n").unwrap();
    std::os::unix::fs::symlink(&secret, work.join("link-out")).unwrap();
    std::os::unix::fs::symlink(outside.path(), work.join("dir-out")).unwrap();
    common::write_project_profile(
        &work,
        "mcp-hidden",
        "extends = \"minimal\"\n[filesystem]\nhidden_paths_add = [\"/workspace/.env\"]\n",
    );
    let report = work.join("e2e-report.json");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mcp/e2e_client.py");
    let mut cmd = Command::new(&python);
    cmd.arg(script)
        .arg(env!("CARGO_BIN_EXE_lasso"))
        .arg(&work)
        .arg(&secret)
        .arg(&report)
        .env("LASSO_HOME", l.home_path())
        .env_remove("LASSO_PROFILE_DIR")
        .env_remove("LASSO_BASE_IMAGE");
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "the Python MCP client failed ({:?})\nstdout: {}\nstderr: {}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("every check passed"));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let ids: Vec<String> = report["sandboxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2, "{report}");

    // The client exited: the session's sandboxes are gone.
    let (status, list) = l.json(&["status", "--json"]);
    assert_ok(&["status", "--json"], &status);
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(0),
        "left running: {list}"
    );

    // Nothing outside the workspace changed; the symlink targets are intact.
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "host secret\n");
    assert!(!outside.path().join("new.txt").exists());
    assert!(!work.parent().unwrap().join("escape.txt").exists());
    assert_eq!(
        std::fs::read_to_string(work.join(".env")).unwrap(),
        "TOKEN=hunter2\n"
    );
    assert_eq!(
        std::fs::read_to_string(work.join("notes/a.txt")).unwrap(),
        "written by python\n"
    );

    // The audit log: what the client did, under its name, refusals as blocked.
    let actor = "mcp:lasso-e2e";
    let audit = l.home_path().join("audit");
    let default_log = audit.join(format!("{}.jsonl", ids[0]));
    let entries = audit_entries(&default_log.display().to_string());
    let by = |kind: &str, action: &str, outcome: &str| {
        entries
            .iter()
            .filter(|e| {
                e["actor"] == actor
                    && e["type"] == kind
                    && e["action"] == action
                    && e["outcome"] == outcome
            })
            .count()
    };
    assert!(by("command", "exec", "success") >= 2, "{entries:#?}");
    assert_eq!(by("violation", "exec", "blocked"), 2, "{entries:#?}");
    assert_eq!(by("file", "write", "success"), 2, "{entries:#?}");
    assert_eq!(by("file", "read", "success"), 2, "{entries:#?}");
    // ../x, notes/../../etc/passwd, an absolute path outside, /etc/passwd, link-out,
    // dir-out/secret.txt; writes: ../escape.txt, /tmp/escape.txt, link-out, dir-out/new.txt.
    assert_eq!(by("file", "read", "blocked"), 6, "{entries:#?}");
    assert_eq!(by("file", "write", "blocked"), 4, "{entries:#?}");
    assert!(
        entries
            .iter()
            .any(|e| e["type"] == "lifecycle" && e["action"] == "stop" && e["actor"] == actor),
        "the stop at session end is not in the log"
    );
    let blocked_read = entries.iter().find(|e| {
        e["type"] == "file" && e["outcome"] == "blocked" && e["target"] == "/workspace/link-out"
    });
    assert!(
        blocked_read.is_some_and(|e| e["detail"]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("symbolic link")),
        "{entries:#?}"
    );
    let hidden_log = audit.join(format!("{}.jsonl", ids[1]));
    let hidden = audit_entries(&hidden_log.display().to_string());
    let hidden_refusals = hidden
        .iter()
        .filter(|e| e["type"] == "file" && e["outcome"] == "blocked" && e["actor"] == actor)
        .count();
    assert_eq!(hidden_refusals, 2, "{hidden:#?}");
    assert!(hidden.iter().any(|e| e["type"] == "violation"
        && e["detail"]["rule"] == "hidden-path"
        && e["actor"] == actor));

    // And the logs still verify.
    for log in [&default_log, &hidden_log] {
        let log = log.display().to_string();
        let out = l.run(&["audit", "verify", &log]);
        assert_ok(&["audit", "verify", &log], &out);
    }
}
