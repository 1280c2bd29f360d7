//! The directory index (`<dir>/index.jsonl`) and whole-directory verification.
//!
//! A seal reveals a deleted log only while the seal itself survives. The index closes that
//! gap: it is an ordinary chained, sealed log (same format, same writer) with one `lifecycle`
//! entry per log, `{"log": "<name>", "first_sig": "<sig of seq 1>"}`, written right after a
//! log's first entry under both locks (log lock, then index lock — never the other way).
//! [`verify_dir`] then notices logs that vanished with their seal, logs that were replaced by
//! another valid chain, and logs the index never heard of.
//!
//! Crash windows are handled, not ignored: a crash after a log's first entry but before its
//! index record leaves a one-entry unindexed log, which the next `AuditLog::open` records
//! and [`verify_dir`] reports as a warning; every other inconsistency is a problem.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::entry::{AuditEntry, EntryDraft, EntryKind, Outcome};
use super::lines::{ForwardLines, Line};
use super::parse::parse_line;
use super::verify::{Problem, ProblemKind, VerifyReport, verify};
use super::writer::{AuditLog, Durability, DurabilityPolicy, Role, Session, parent_dir};
use super::{AuditError, AuditKey, INDEX_LOG, MAX_LINE_LEN, Result};

fn open_index(dir: &Path, key: &AuditKey) -> Result<AuditLog> {
    AuditLog::open_role(
        &dir.join(INDEX_LOG),
        key,
        DurabilityPolicy::all(Durability::Fsync),
        Role::Index,
    )
}

fn record_draft(name: &str, sandbox_id: Option<String>, first_sig: &str) -> EntryDraft {
    let mut draft = EntryDraft::new(
        EntryKind::Lifecycle,
        "lasso",
        "log-created",
        name,
        Outcome::Success,
    )
    .detail("log", name)
    .detail("first_sig", first_sig);
    draft.sandbox_id = sandbox_id;
    draft
}

/// First append to a log (its lock held): refuse to restart a log the index already knows,
/// write the entry, then record the log in the index.
pub(crate) fn record_first(s: &mut Session<'_>, draft: EntryDraft) -> Result<AuditEntry> {
    let log = s.log();
    let dir = parent_dir(log.path());
    let index = open_index(&dir, log.key())?;
    index.with_lock(|ix| {
        if listed(ix, log.name())? {
            return Err(AuditError::AlreadyIndexed {
                path: log.path().to_owned(),
                index: index.path().to_owned(),
            });
        }
        if ix.tail.seq == 0 {
            refuse_if_other_logs(&dir, log)?;
        }
        let sandbox_id = draft.sandbox_id.clone();
        let entry = s.append(draft)?;
        let record = record_draft(log.name(), sandbox_id, &entry.sig);
        if let Err(e) = ix.append(record.clone()) {
            // The entry is in the log; its record must follow before anything else is.
            s.set_unindexed(record);
            return Err(e);
        }
        Ok(entry)
    })
}

/// Retries an index record whose first attempt failed (log lock held).
pub(crate) fn record_pending(s: &mut Session<'_>, record: EntryDraft) -> Result<()> {
    let log = s.log();
    let written = open_index(&parent_dir(log.path()), log.key()).and_then(|index| {
        index.with_lock(|ix| {
            if !listed(ix, log.name())? {
                ix.append(record.clone())?;
            }
            Ok(())
        })
    });
    if written.is_err() {
        s.set_unindexed(record);
    }
    written
}

/// On open of a log with entries: it must be in the index. A one-entry log that is not is
/// the trace of a crash between the first entry and its record, and gets recorded now.
pub(crate) fn ensure_listed(s: &mut Session<'_>) -> Result<()> {
    let log = s.log();
    let dir = parent_dir(log.path());
    let index = open_index(&dir, log.key())?;
    let seq = s.tail.seq;
    let sig = s.tail.sig;
    index.with_lock(|ix| {
        if listed(ix, log.name())? {
            return Ok(());
        }
        if seq != 1 {
            return Err(AuditError::Tampered {
                path: log.path().to_owned(),
                reason: format!(
                    "it has {seq} entries but the directory index {} does not record it: the \
                     index was replaced or rolled back",
                    index.path().display()
                ),
            });
        }
        if ix.tail.seq == 0 {
            refuse_if_other_logs(&dir, log)?;
        }
        let first = first_entry(log)?;
        ix.append(record_draft(
            log.name(),
            first.sandbox_id,
            &hex::encode(sig),
        ))?;
        Ok(())
    })
}

fn first_entry(log: &AuditLog) -> Result<AuditEntry> {
    let read_err = |e| AuditError::io("read audit log", log.path(), e);
    let mut lines = ForwardLines::new(
        PreadReader {
            file: log.file(),
            pos: 0,
        },
        MAX_LINE_LEN,
    );
    while let Some(at) = lines.next_line().map_err(read_err)? {
        if let Line::Text { bytes, .. } = at.line
            && parse_line(bytes).is_ok()
        {
            return serde_json::from_slice(bytes).map_err(AuditError::from);
        }
    }
    Err(AuditError::Tampered {
        path: log.path().to_owned(),
        reason: "its seq 1 entry cannot be read back".into(),
    })
}

/// Whether the index (locked in `ix`) records a log named `name`.
fn listed(ix: &Session<'_>, name: &str) -> Result<bool> {
    let wanted = serde_json::to_vec(name)?;
    let index = ix.log();
    let read_err = |e| AuditError::io("read audit index", index.path(), e);
    let reader = PreadReader {
        file: index.file(),
        pos: 0,
    };
    let mut lines = ForwardLines::new(io::Read::take(reader, ix.tail.len), MAX_LINE_LEN);
    while let Some(at) = lines.next_line().map_err(read_err)? {
        if let Line::Text { bytes, .. } = at.line
            && let Ok(raw) = parse_line(bytes)
            && raw.target == wanted.as_slice()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Starting a new index is only legitimate in a directory without logs.
fn refuse_if_other_logs(dir: &Path, log: &AuditLog) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|e| AuditError::io("list audit directory", dir, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".jsonl") || name == INDEX_LOG || name == log.name() {
            continue;
        }
        if entry.metadata().map(|m| m.len() > 0).unwrap_or(false) {
            return Err(AuditError::Tampered {
                path: log.path().to_owned(),
                reason: format!(
                    "the directory index {} is missing or empty although {} holds the log \
                     {name}: the index was deleted",
                    dir.join(INDEX_LOG).display(),
                    dir.display()
                ),
            });
        }
    }
    Ok(())
}

/// `Read` over a file with `pread`, leaving the descriptor's offset alone.
pub(crate) struct PreadReader<'f> {
    pub file: &'f File,
    pub pos: u64,
}

impl io::Read for PreadReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = std::os::unix::fs::FileExt::read_at(self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// A problem that concerns a log as a member of the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DirProblem {
    /// File name of the log concerned.
    pub log: String,
    pub kind: ProblemKind,
    pub message: String,
}

/// The result of [`verify_dir`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DirReport {
    #[schema(value_type = String)]
    pub dir: PathBuf,
    /// The index's own report (`None` when the directory has no index).
    pub index: Option<VerifyReport>,
    /// Every log found (or known from a seal), by file name, with its report.
    /// Each element is a pair `[file name, report]`.
    #[schema(value_type = Vec<Vec<serde_json::Value>>)]
    pub logs: Vec<(String, VerifyReport)>,
    /// Cross-checks between logs and index that failed.
    pub problems: Vec<DirProblem>,
    /// Crash traces at directory level.
    pub warnings: Vec<String>,
}

impl DirReport {
    /// The index, every log and every cross-check passed (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
            && self.index.as_ref().is_none_or(VerifyReport::is_valid)
            && self.logs.iter().all(|(_, r)| r.is_valid())
    }

    /// Every problem: the index's, each log's, and the cross-checks', with the log's name.
    pub fn all_problems(&self) -> Vec<(String, Problem)> {
        let mut out = Vec::new();
        if let Some(p) = self.index.as_ref().and_then(|r| r.problem.clone()) {
            out.push((INDEX_LOG.to_owned(), p));
        }
        for (name, report) in &self.logs {
            if let Some(p) = &report.problem {
                out.push((name.clone(), p.clone()));
            }
        }
        for p in &self.problems {
            let problem = Problem {
                kind: p.kind,
                line: None,
                seq: None,
                message: p.message.clone(),
            };
            out.push((p.log.clone(), problem));
        }
        out
    }
}

/// Verifies every log in `dir` and cross-checks them against the directory index.
pub fn verify_dir(dir: impl AsRef<Path>, key: &AuditKey) -> Result<DirReport> {
    let dir = dir.as_ref();
    let index_path = dir.join(INDEX_LOG);
    let index = match verify(&index_path, key) {
        Ok(report) => Some(report),
        Err(AuditError::NotFound { .. }) => None,
        Err(e) => return Err(e),
    };
    let mut report = DirReport {
        dir: dir.to_owned(),
        index,
        logs: Vec::new(),
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    let recorded = read_records(&index_path, key, &mut report)?;

    let mut names = std::collections::BTreeSet::new();
    let listing = fs::read_dir(dir).map_err(|e| AuditError::io("list audit directory", dir, e))?;
    for entry in listing {
        let entry = entry.map_err(|e| AuditError::io("list audit directory", dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let log_name = name.strip_suffix(".seal").unwrap_or(&name);
        if log_name.ends_with(".jsonl") && log_name != INDEX_LOG {
            names.insert(log_name.to_owned());
        }
    }
    names.extend(recorded.keys().cloned());

    for name in names {
        let path = dir.join(&name);
        let log_report = match verify(&path, key) {
            Ok(r) => r,
            Err(AuditError::NotFound { .. }) => {
                // Only reachable for names the index recorded.
                report.problems.push(DirProblem {
                    log: name.clone(),
                    kind: ProblemKind::LogMissing,
                    message: format!(
                        "{name} is recorded in the index but the log and its seal are gone: \
                         they were deleted"
                    ),
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        cross_check(
            &name,
            &log_report,
            recorded.get(&name),
            report.index.is_some(),
            &mut report,
        );
        report.logs.push((name, log_report));
    }
    Ok(report)
}

fn cross_check(
    name: &str,
    log: &VerifyReport,
    recorded_first_sig: Option<&String>,
    have_index: bool,
    report: &mut DirReport,
) {
    let problem = |kind, message| DirProblem {
        log: name.to_owned(),
        kind,
        message,
    };
    match recorded_first_sig {
        None if log.entries == 0 && log.last_seq == 0 => {}
        None if log.entries == 1 && log.is_valid() => report.warnings.push(format!(
            "{name} has one entry but is not in the index yet (lasso stopped between writing \
             it and recording the log; the next open records it)"
        )),
        None if !have_index => report.problems.push(problem(
            ProblemKind::NotIndexed,
            format!("{name} has entries but the directory has no index: the index was deleted"),
        )),
        None => report.problems.push(problem(
            ProblemKind::NotIndexed,
            format!(
                "{name} has entries but the index does not record it: the index was rolled back \
                 or the log was planted"
            ),
        )),
        Some(_) if log.first_sig.is_none() && log.is_valid() => report.problems.push(problem(
            ProblemKind::LogMissing,
            format!("{name} is recorded in the index but has no entries: it was emptied"),
        )),
        Some(first) => {
            if let Some(actual) = &log.first_sig
                && actual != first
            {
                report.problems.push(problem(
                    ProblemKind::Replaced,
                    format!(
                        "{name} does not start with the entry the index recorded when it was \
                         created: the log was replaced by another one"
                    ),
                ));
            }
        }
    }
}

/// Log name → first sig, from the index's good entries. Duplicates are problems.
fn read_records(
    index_path: &Path,
    key: &AuditKey,
    report: &mut DirReport,
) -> Result<BTreeMap<String, String>> {
    let mut recorded = BTreeMap::new();
    let file = match File::open(index_path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(recorded),
        Err(e) => return Err(AuditError::io("open audit index", index_path, e)),
    };
    let mut lines = ForwardLines::new(file, MAX_LINE_LEN);
    while let Some(at) = lines
        .next_line()
        .map_err(|e| AuditError::io("read audit index", index_path, e))?
    {
        let Line::Text { bytes, .. } = at.line else {
            continue;
        };
        let Ok(raw) = parse_line(bytes) else { continue };
        if !raw.sig_valid(bytes, key) {
            continue;
        }
        let Ok(entry) = serde_json::from_slice::<AuditEntry>(bytes) else {
            continue;
        };
        let (Some(name), Some(first)) = (
            entry.detail.get("log").and_then(|v| v.as_str()),
            entry.detail.get("first_sig").and_then(|v| v.as_str()),
        ) else {
            continue;
        };
        if recorded.insert(name.to_owned(), first.to_owned()).is_some() {
            report.problems.push(DirProblem {
                log: name.to_owned(),
                kind: ProblemKind::Replaced,
                message: format!(
                    "{name} is recorded twice in the index: the log was deleted and started again"
                ),
            });
        }
    }
    Ok(recorded)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::audit::tests_support_key as key;

    /// A one-entry log copied into `dst` without its index (as if its record failed).
    fn unindexed_copy(dst: &Path) -> PathBuf {
        let src = tempfile::tempdir().unwrap();
        let path = src.path().join("x.jsonl");
        AuditLog::open(&path, &key())
            .unwrap()
            .append(EntryDraft::new(
                EntryKind::Command,
                "a",
                "b",
                "c",
                Outcome::Success,
            ))
            .unwrap();
        for name in ["x.jsonl", "x.jsonl.seal"] {
            fs::copy(src.path().join(name), dst.join(name)).unwrap();
        }
        dst.join("x.jsonl")
    }

    fn mark_unindexed(log: &AuditLog) {
        log.with_lock(|s| {
            let sig = crate::audit::entry::hex32(&s.tail.sig);
            s.set_unindexed(record_draft("x.jsonl", None, &sig));
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn a_failed_index_record_is_retried_before_the_next_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = unindexed_copy(dir.path());
        let log =
            AuditLog::open_role(&path, &key(), DurabilityPolicy::default(), Role::Log).unwrap();
        mark_unindexed(&log);
        assert_eq!(
            log.append(EntryDraft::new(
                EntryKind::Api,
                "a",
                "b",
                "c",
                Outcome::Success
            ))
            .unwrap()
            .seq,
            2
        );
        let report = verify_dir(dir.path(), &key()).unwrap();
        assert!(
            report.is_valid() && report.warnings.is_empty(),
            "{report:?}"
        );
        assert_eq!(report.index.unwrap().entries, 1);
    }

    #[test]
    fn appends_stop_while_the_index_record_cannot_be_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = unindexed_copy(dir.path());
        // An index whose only line is garbage: the writer refuses to extend it.
        fs::write(dir.path().join(INDEX_LOG), b"garbage\n").unwrap();
        let log =
            AuditLog::open_role(&path, &key(), DurabilityPolicy::default(), Role::Log).unwrap();
        mark_unindexed(&log);
        let before = fs::read(&path).unwrap();
        for _ in 0..2 {
            let err = log
                .append(EntryDraft::new(
                    EntryKind::Api,
                    "a",
                    "b",
                    "c",
                    Outcome::Success,
                ))
                .unwrap_err();
            assert!(err.to_string().contains(INDEX_LOG), "{err}");
        }
        assert_eq!(
            fs::read(&path).unwrap(),
            before,
            "the log must not grow unindexed"
        );
    }
}
