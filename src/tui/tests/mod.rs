//! Tests of the whole UI without a terminal: key handling per pane (keys in, state and
//! intents out) and insta snapshots of every pane rendered into ratatui's `TestBackend`.
//! The fixtures are built the way the service builds them (container labels), with a fixed
//! clock so ages are stable.

mod audit_tools;
mod dialog_complete;
mod docs;
mod keys;
mod mouse;
mod profiles;
mod replay;
mod snapshots;
mod terminal;

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::App;
use super::event::{Alert, Connection};
use super::style::Styles;
use crate::audit::{AuditEntry, EntryKind, Outcome};
use crate::sandbox::SandboxInfo;

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

pub fn styles(theme: &str) -> Styles {
    match crate::config::load_theme(theme, None) {
        Ok(t) => Styles::from_theme(&t),
        Err(e) => panic!("{e}"),
    }
}

pub fn app() -> App {
    App::new(styles("dark"), PathBuf::from("/home/dev/project"), now())
}

pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

pub fn ch(c: char) -> KeyEvent {
    key(KeyCode::Char(c))
}

/// A sandbox as `SandboxService::list` reports it.
pub fn sandbox(i: usize, state: &str, profile: &str, age_secs: i64) -> SandboxInfo {
    let id = format!("{:064x}", 0xabc0_0000u64 + i as u64);
    let toml = format!("name = \"{profile}\"\n");
    let mut labels = BTreeMap::new();
    for (k, v) in [
        ("lasso.id", id.clone()),
        ("lasso.name", format!("agent-{i:03}")),
        ("lasso.profile", profile.to_string()),
        ("lasso.profile.hash", {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(toml.as_bytes()))
        }),
        ("lasso.profile.toml", toml),
        ("lasso.working_dir", format!("/work/p{i}")),
        (
            "lasso.created_at",
            (now() - Duration::seconds(age_secs)).to_rfc3339(),
        ),
        ("lasso.audit_log", format!("/h/audit/{id}.jsonl")),
        (
            "lasso.isolation",
            if i % 4 == 3 { "gvisor" } else { "container" }.to_string(),
        ),
        ("lasso.guard", "00".repeat(32)),
        ("lasso.run_dir", format!("/h/run/{i}")),
    ] {
        labels.insert(k.to_string(), v);
    }
    let mut info = SandboxInfo::from_labels(
        &format!("c{i:011}"),
        &format!("lasso-{i}"),
        "lasso/base:1",
        state,
        "docker",
        labels,
    );
    info.mode = ["autonomous", "assist", "observe"][i % 3].to_string();
    info
}

pub fn sandboxes(n: usize) -> Vec<SandboxInfo> {
    (0..n)
        .map(|i| {
            let state = match i % 7 {
                5 => "exited",
                6 => "paused",
                _ => "running",
            };
            let profile = ["development", "strict", "minimal", "offline"][i % 4];
            sandbox(i, state, profile, (i as i64 + 1) * 977)
        })
        .collect()
}

pub fn alert(i: u64, sandbox: &SandboxInfo) -> Alert {
    Alert {
        ts: now() - Duration::seconds(60 - i as i64),
        sandbox_id: sandbox.id.clone(),
        kind: if i.is_multiple_of(2) {
            EntryKind::Violation
        } else {
            EntryKind::Exec
        },
        command: if i.is_multiple_of(2) {
            format!("rm -rf /tmp/x{i}")
        } else {
            "/usr/bin/curl".into()
        },
        rule: "not-whitelisted".into(),
        reason: "the program is not in the profile's allowed commands".into(),
        log: PathBuf::from(&sandbox.audit_log),
        seq: 10 + i,
    }
}

pub fn entry(seq: u64, kind: EntryKind, outcome: Outcome, target: &str) -> AuditEntry {
    let mut detail = serde_json::Map::new();
    detail.insert("exit_code".into(), serde_json::json!(0));
    AuditEntry {
        seq,
        ts: now() - Duration::seconds(1000 - seq as i64),
        sandbox_id: Some("abc".into()),
        kind,
        actor: "cli".into(),
        action: "exec".into(),
        target: target.into(),
        outcome,
        detail,
        prev: "0".repeat(64),
        sig: "f".repeat(64),
    }
}

pub fn connected(app: &mut App) {
    app.connection = Connection::Connected {
        runtime: "docker".into(),
    };
}
