//! The tamper-evident audit log: one HMAC-SHA256 signed, hash-chained JSONL file per sandbox.
//!
//! Layout on disk (one directory, normally `<LASSO_HOME>/audit/`):
//!
//! * `<sandbox-id>.jsonl` — one entry per line; `system.jsonl` for events of no sandbox.
//! * `<log>.seal` — a fixed-size record rewritten in place after every append (last seq, last
//!   sig, file length, MAC), so a truncated tail or a deleted log is detectable.
//! * `index.jsonl` (+ seal) — a chained log recording every log's creation and first
//!   signature, so a log deleted together with its seal is detectable too.
//!
//! Each line is the canonical serialisation of an entry with `sig` as the last member; `sig`
//! is the HMAC of the line's bytes up to `,"sig":"` plus `}` and `prev` is the previous
//! entry's `sig`. That shape lets the verifier check a line's MAC over its raw bytes without
//! re-serialising it (`parse` still checks the signed part is a well-formed entry), which is
//! what makes streaming verification fast.
//!
//! The module is split by concern: [`key`] (the secret), [`entry`] (types and canonical
//! encoding), `parse` (the strict line grammar), `lines` (forward and backward line
//! readers), `seal`, [`writer`] (cross-process appends), `index`, [`mod@verify`], [`mod@query`] and
//! [`export`]. Nothing here is async: callers on an async runtime run appends on a blocking
//! thread or accept the (short, bounded) blocking write.
//!
//! Known limit: an attacker who can write the directory and kept an old copy of a log and its
//! seal can roll both back to that state undetected; only shipping entries off the machine
//! (export, webhooks) closes that gap.

pub mod entry;
mod error;
pub mod export;
mod index;
pub mod key;
mod lines;
mod parse;
pub mod query;
mod seal;
pub mod verify;
pub mod writer;

#[cfg(test)]
mod tests;

/// The key the audit tests sign with.
#[cfg(test)]
pub(crate) fn tests_support_key() -> AuditKey {
    AuditKey::from_bytes([0x5a; 32])
}

use std::path::{Path, PathBuf};

pub use entry::{AuditEntry, EntryDraft, EntryKind, Outcome};
pub use error::AuditError;
pub use export::{
    CsvWriter, JsonArrayWriter, export_csv, export_csv_many, export_json, export_jsonl_many,
};
pub use index::{DirProblem, DirReport, verify_dir};
pub use key::AuditKey;
pub use query::{Filter, Page, PageResult, query};
pub use verify::{Problem, ProblemKind, SealStatus, TornLine, VerifyReport, verify};
pub use writer::{AuditLog, Durability, DurabilityPolicy};

/// Result type of this module.
pub type Result<T, E = AuditError> = std::result::Result<T, E>;

/// Longest line (entry) the writer produces, in bytes. Longer entries are refused so that
/// readers can work with bounded memory; a longer line in a file is malformed.
pub const MAX_LINE_LEN: usize = 1 << 20;

/// Deepest nesting of `detail` the writer accepts (objects and arrays).
pub const MAX_DETAIL_DEPTH: usize = 64;

/// File name of the log for events that belong to no sandbox.
pub const SYSTEM_LOG: &str = "system.jsonl";

/// File name of the directory index.
pub const INDEX_LOG: &str = "index.jsonl";

/// Path of the log for `sandbox_id` (or the system log for `None`) inside `dir`.
///
/// The id becomes a file name, so it is checked: 1–128 characters from `[A-Za-z0-9_.-]`, not
/// starting with `.`, and not one of the reserved names `system` and `index`.
pub fn log_path(dir: &Path, sandbox_id: Option<&str>) -> Result<PathBuf> {
    let Some(id) = sandbox_id else {
        return Ok(dir.join(SYSTEM_LOG));
    };
    let bad = |reason: &'static str| AuditError::InvalidSandboxId {
        id: id.to_owned(),
        reason,
    };
    if id.is_empty() || id.len() > 128 {
        return Err(bad("it must be 1 to 128 characters long"));
    }
    if id.starts_with('.') {
        return Err(bad("it must not start with '.'"));
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    {
        return Err(bad("only letters, digits, '_', '.' and '-' are allowed"));
    }
    if id == "system" || id == "index" {
        return Err(bad("'system' and 'index' are reserved log names"));
    }
    Ok(dir.join(format!("{id}.jsonl")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod path_tests {
    use super::*;

    #[test]
    fn log_path_accepts_ids_and_maps_none_to_system() {
        let dir = Path::new("/x");
        assert_eq!(
            log_path(dir, Some("ab12-cd.3_x")).ok(),
            Some(PathBuf::from("/x/ab12-cd.3_x.jsonl"))
        );
        assert_eq!(
            log_path(dir, None).ok(),
            Some(PathBuf::from("/x/system.jsonl"))
        );
    }

    #[test]
    fn log_path_rejects_ids_that_escape_or_collide() {
        let dir = Path::new("/x");
        for id in ["", "../a", "a/b", ".hidden", "system", "index", "a b", "é"] {
            let err = log_path(dir, Some(id)).err();
            assert!(
                matches!(err, Some(AuditError::InvalidSandboxId { .. })),
                "{id:?} accepted"
            );
        }
        assert!(log_path(dir, Some(&"a".repeat(129))).is_err());
    }
}
