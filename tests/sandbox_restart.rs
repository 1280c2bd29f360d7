//! `lasso restart` against a real engine (LASSO_RUNTIME picks Docker or Podman): the
//! identity survives (id, name, audit log, working dir, isolation, mode), the audit chain
//! continues and verifies, and a restart whose working directory is gone is refused while
//! the old sandbox keeps running. Each test has its own LASSO_HOME; `Lasso`'s drop stops
//! whatever is left.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{Lasso, assert_ok, code, text};
use serde_json::Value;

/// A workspace of its own (so it can be deleted), owned by the sandbox user.
fn project(l: &Lasso, name: &str) -> PathBuf {
    let dir = l.work_path().join(name);
    std::fs::create_dir(&dir).unwrap();
    let _ = std::os::unix::fs::chown(&dir, Some(1000), Some(1000));
    dir
}

fn create(l: &Lasso, dir: &Path, name: &str) -> Value {
    let dir = dir.to_str().unwrap();
    let args = ["create", "minimal", "--dir", dir, "--name", name, "--json"];
    let (out, v) = l.json(&args);
    assert_ok(&args, &out);
    v
}

fn status(l: &Lasso, q: &str) -> Value {
    let (out, v) = l.json(&["status", q, "--json"]);
    assert_ok(&["status", q], &out);
    match v {
        Value::Array(mut a) if a.len() == 1 => a.remove(0),
        other => other,
    }
}

fn entries(log: &str) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn lifecycle(entries: &[Value]) -> Vec<(String, String)> {
    entries
        .iter()
        .filter(|e| e["type"] == "lifecycle")
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_string(),
                e["outcome"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn restart_keeps_identity_and_continues_the_audit_chain() {
    let Some(l) = Lasso::with_engine("restart_keeps_identity_and_continues_the_audit_chain") else {
        return;
    };
    let dir = project(&l, "proj");
    let before = create(&l, &dir, "keeper");
    let id = before["id"].as_str().unwrap().to_string();
    assert_ok(&["mode"], &l.run(&["mode", "keeper", "observe"]));

    let args = ["restart", "keeper", "--json"];
    let (out, after) = l.json(&args);
    assert_ok(&args, &out);
    for field in [
        "id",
        "name",
        "working_dir",
        "audit_log",
        "isolation",
        "profile",
        "profile_hash",
    ] {
        assert_eq!(after[field], before[field], "{field} changed: {after}");
    }
    assert_eq!(after["mode"], "observe", "the mode survives: {after}");
    assert_ne!(after["container_id"], before["container_id"]);

    // Another process sees the new container under the same identity, usable.
    let seen = status(&l, &id[..8]);
    assert_eq!(seen["state"], "running", "{seen}");
    assert_eq!(seen["container_id"], after["container_id"]);
    assert_eq!(seen["mode"], "observe");
    assert_eq!(seen["problems"], serde_json::json!([]), "{seen}");
    let out = l.run(&["exec", "keeper", "--", "ls", "/"]);
    assert_ok(&["exec"], &out);

    // The chain continues in the same log: stop, create (marked as a restart), restart.
    let log = before["audit_log"].as_str().unwrap();
    let all = entries(log);
    let life = lifecycle(&all);
    let tail: Vec<(&str, &str)> = life
        .iter()
        .rev()
        .take(3)
        .rev()
        .map(|(a, o)| (a.as_str(), o.as_str()))
        .collect();
    assert_eq!(
        tail,
        vec![
            ("stop", "success"),
            ("create", "success"),
            ("restart", "success")
        ],
        "{life:?}"
    );
    let create_again = all.iter().rev().find(|e| e["action"] == "create").unwrap();
    assert_eq!(create_again["detail"]["restart"], true);
    let restart = all.iter().rev().find(|e| e["action"] == "restart").unwrap();
    assert_eq!(
        restart["detail"]["old_container_id"],
        before["container_id"]
    );
    assert_eq!(restart["detail"]["container_id"], after["container_id"]);
    let seqs: Vec<u64> = all.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "one chain: {seqs:?}"
    );
    let out = l.run(&["audit", "verify", log]);
    assert_ok(&["audit", "verify"], &out);
    assert_ok(
        &["audit", "verify", "--all"],
        &l.run(&["audit", "verify", "--all"]),
    );
}

#[test]
fn restart_is_refused_when_the_working_dir_is_gone_and_the_sandbox_keeps_running() {
    let Some(l) = Lasso::with_engine(
        "restart_is_refused_when_the_working_dir_is_gone_and_the_sandbox_keeps_running",
    ) else {
        return;
    };
    let dir = project(&l, "doomed");
    let before = create(&l, &dir, "stays");
    std::fs::remove_dir_all(&dir).unwrap();

    let out = l.run(&["restart", "stays"]);
    assert_ne!(code(&out), 0, "refused: {}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(err.contains("restarting sandbox `stays` failed"), "{err}");
    assert!(err.contains("working directory"), "{err}");
    assert!(err.contains("keeps running"), "{err}");

    // Untouched: same container, still running.
    let seen = status(&l, "stays");
    assert_eq!(seen["state"], "running", "{seen}");
    assert_eq!(seen["container_id"], before["container_id"]);

    // Audited as a failed restart, with no stop before it; the chain verifies.
    let log = before["audit_log"].as_str().unwrap();
    let all = entries(log);
    let life = lifecycle(&all);
    assert_eq!(
        life.last().map(|(a, o)| (a.as_str(), o.as_str())),
        Some(("restart", "error")),
        "{life:?}"
    );
    assert!(!life.iter().any(|(a, _)| a == "stop"), "{life:?}");
    let reason = all.last().unwrap()["detail"]["error"].as_str().unwrap();
    assert!(reason.contains("keeps running"), "{reason}");
    assert_ok(&["audit", "verify"], &l.run(&["audit", "verify", log]));

    // A restart of something that does not exist is a plain not-found.
    let out = l.run(&["restart", "no-such-sandbox"]);
    assert_ne!(code(&out), 0);
    assert!(text(&out.stderr).contains("no sandbox matches"));
}
