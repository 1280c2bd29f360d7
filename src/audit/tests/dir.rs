//! The directory index and `verify_dir`.

use std::fs;
use std::path::Path;

use super::support::{draft, key, seal_of};
use crate::audit::{
    AuditError, AuditLog, INDEX_LOG, ProblemKind, Result, log_path, verify, verify_dir,
};

fn fill(dir: &Path, id: Option<&str>, n: u64) -> Result<()> {
    let log = AuditLog::open(log_path(dir, id)?, &key())?;
    for i in 0..n {
        let mut d = draft(i);
        d.sandbox_id = id.map(str::to_owned);
        log.append(d)?;
    }
    Ok(())
}

fn kinds(report: &crate::audit::DirReport) -> Vec<(String, ProblemKind)> {
    report
        .all_problems()
        .into_iter()
        .map(|(log, p)| (log, p.kind))
        .collect()
}

#[test]
fn index_records_every_log_and_a_clean_directory_verifies() {
    let dir = tempfile::tempdir().unwrap();
    fill(dir.path(), Some("a"), 3).unwrap();
    fill(dir.path(), Some("b"), 1).unwrap();
    fill(dir.path(), None, 2).unwrap();
    fill(dir.path(), Some("a"), 2).unwrap(); // reopening does not record again
    // A log opened but never written needs no record.
    AuditLog::open(dir.path().join("idle.jsonl"), &key()).unwrap();

    let index = verify(dir.path().join(INDEX_LOG), &key()).unwrap();
    assert!(index.is_valid(), "{index:?}");
    assert_eq!(index.entries, 3);
    let report = verify_dir(dir.path(), &key()).unwrap();
    assert!(report.is_valid(), "{:?}", report.all_problems());
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let names: Vec<_> = report.logs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a.jsonl", "b.jsonl", "idle.jsonl", "system.jsonl"]);
    assert_eq!(report.logs[0].1.entries, 5);
}

#[test]
fn log_deleted_together_with_its_seal_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    fill(dir.path(), Some("a"), 3).unwrap();
    fill(dir.path(), Some("b"), 3).unwrap();
    let a = dir.path().join("a.jsonl");
    fs::remove_file(&a).unwrap();
    fs::remove_file(seal_of(&a)).unwrap();
    let report = verify_dir(dir.path(), &key()).unwrap();
    assert!(!report.is_valid());
    assert_eq!(
        kinds(&report),
        [("a.jsonl".to_string(), ProblemKind::LogMissing)]
    );
    // lasso will not quietly start it again.
    let err = fill(dir.path(), Some("a"), 1).unwrap_err();
    assert!(matches!(err, AuditError::AlreadyIndexed { .. }), "{err}");
    assert!(!a.exists() || fs::metadata(&a).unwrap().len() == 0);
}

#[test]
fn log_deleted_but_seal_kept_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    fill(dir.path(), Some("a"), 2).unwrap();
    fs::remove_file(dir.path().join("a.jsonl")).unwrap();
    let report = verify_dir(dir.path(), &key()).unwrap();
    assert_eq!(
        kinds(&report),
        [("a.jsonl".to_string(), ProblemKind::LogMissing)]
    );
}

#[test]
fn log_emptied_or_replaced_by_another_valid_chain_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    fill(dir.path(), Some("a"), 3).unwrap();
    let a = dir.path().join("a.jsonl");
    fs::write(&a, b"").unwrap();
    fs::remove_file(seal_of(&a)).unwrap();
    let report = verify_dir(dir.path(), &key()).unwrap();
    assert_eq!(
        kinds(&report),
        [("a.jsonl".to_string(), ProblemKind::LogMissing)]
    );

    // Replace a.jsonl with a genuine chain written in another directory under the same name.
    let elsewhere = tempfile::tempdir().unwrap();
    fill(elsewhere.path(), Some("a"), 3).unwrap();
    fs::copy(elsewhere.path().join("a.jsonl"), &a).unwrap();
    fs::copy(seal_of(&elsewhere.path().join("a.jsonl")), seal_of(&a)).unwrap();
    assert!(
        verify(&a, &key()).unwrap().is_valid(),
        "the copy is a valid log on its own"
    );
    let report = verify_dir(dir.path(), &key()).unwrap();
    assert_eq!(
        kinds(&report),
        [("a.jsonl".to_string(), ProblemKind::Replaced)]
    );
}

#[test]
fn crash_between_first_entry_and_index_record_is_a_warning_then_repaired() {
    // Reproduce the state: a one-entry log whose index record was never written.
    let src = tempfile::tempdir().unwrap();
    fill(src.path(), Some("a"), 1).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.jsonl", "a.jsonl.seal"] {
        fs::copy(src.path().join(name), dir.path().join(name)).unwrap();
    }
    let report = verify_dir(dir.path(), &key()).unwrap();
    assert!(report.is_valid(), "{:?}", report.all_problems());
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    // The next open records it; appends go on.
    fill(dir.path(), Some("a"), 1).unwrap();
    let report = verify_dir(dir.path(), &key()).unwrap();
    assert!(
        report.is_valid() && report.warnings.is_empty(),
        "{report:?}"
    );
}

#[test]
fn unindexed_logs_and_a_deleted_index_are_detected() {
    let src = tempfile::tempdir().unwrap();
    fill(src.path(), Some("planted"), 3).unwrap();
    let dir = tempfile::tempdir().unwrap();
    fill(dir.path(), Some("a"), 2).unwrap();
    for name in ["planted.jsonl", "planted.jsonl.seal"] {
        fs::copy(src.path().join(name), dir.path().join(name)).unwrap();
    }
    let report = verify_dir(dir.path(), &key()).unwrap();
    assert_eq!(
        kinds(&report),
        [("planted.jsonl".to_string(), ProblemKind::NotIndexed)]
    );
    let err = AuditLog::open(dir.path().join("planted.jsonl"), &key()).unwrap_err();
    assert!(err.to_string().contains("does not record it"), "{err}");

    // Index and its seal deleted: every log with entries is unindexed, and no new log starts.
    let dir = tempfile::tempdir().unwrap();
    fill(dir.path(), Some("a"), 2).unwrap();
    fs::remove_file(dir.path().join(INDEX_LOG)).unwrap();
    fs::remove_file(seal_of(&dir.path().join(INDEX_LOG))).unwrap();
    let report = verify_dir(dir.path(), &key()).unwrap();
    assert!(report.index.is_none());
    assert_eq!(
        kinds(&report),
        [("a.jsonl".to_string(), ProblemKind::NotIndexed)]
    );
    let err = fill(dir.path(), Some("new"), 1).unwrap_err();
    assert!(err.to_string().contains("index was deleted"), "{err}");
}

#[test]
fn tampered_index_is_reported_as_the_index_problem() {
    let dir = tempfile::tempdir().unwrap();
    fill(dir.path(), Some("a"), 1).unwrap();
    fill(dir.path(), Some("b"), 1).unwrap();
    let index = dir.path().join(INDEX_LOG);
    let text = fs::read_to_string(&index).unwrap();
    let first_line_len = text.find('\n').unwrap() + 1;
    fs::write(&index, &text[first_line_len..]).unwrap();
    let report = verify_dir(dir.path(), &key()).unwrap();
    assert!(!report.is_valid());
    assert_eq!(
        kinds(&report),
        [(INDEX_LOG.to_string(), ProblemKind::BrokenChain)]
    );
    // With its record gone, the one-entry log a.jsonl looks like a crash trace: the index's
    // own broken chain is what reveals the removal.
    assert!(
        report.warnings.iter().any(|w| w.starts_with("a.jsonl")),
        "{:?}",
        report.warnings
    );
}
