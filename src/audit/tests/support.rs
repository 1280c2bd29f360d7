//! Helpers shared by the audit tests.

use std::fs;
use std::path::{Path, PathBuf};

use crate::audit::{AuditKey, AuditLog, EntryDraft, EntryKind, Outcome};

pub(crate) use crate::audit::tests_support_key as key;

pub fn other_key() -> AuditKey {
    AuditKey::from_bytes([0xa5; 32])
}

/// A varied, deterministic draft.
pub fn draft(i: u64) -> EntryDraft {
    let kind = EntryKind::ALL[(i % 7) as usize];
    let outcome = Outcome::ALL[(i % 3) as usize];
    EntryDraft::new(
        kind,
        "cli",
        "exec",
        format!("echo {i}, \"quoted\""),
        outcome,
    )
    .sandbox("sb1")
    .detail("i", i)
    .detail("note", if i.is_multiple_of(2) { "even" } else { "odd" })
}

/// A log in a fresh temp dir with `n` entries.
pub fn log_with(n: u64) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sb1.jsonl");
    let log = AuditLog::open(&path, &key()).unwrap();
    for i in 0..n {
        log.append(draft(i)).unwrap();
    }
    (dir, path)
}

/// The log's lines (without newlines).
pub fn lines(path: &Path) -> Vec<Vec<u8>> {
    let data = fs::read(path).unwrap();
    let mut out: Vec<Vec<u8>> = data.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    if data.ends_with(b"\n") {
        out.pop();
    }
    out
}

/// Writes `lines` back, each with a newline.
pub fn write_lines(path: &Path, lines: &[Vec<u8>]) {
    let mut data = Vec::new();
    for l in lines {
        data.extend_from_slice(l);
        data.push(b'\n');
    }
    fs::write(path, data).unwrap();
}

pub fn seal_of(path: &Path) -> PathBuf {
    crate::audit::seal::seal_path(path)
}
