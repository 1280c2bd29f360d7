//! The writer's chain: across instances and restarts, torn writes, seal lag, refusals.

use std::fs;
use std::io::Write;

use super::support::{draft, key, lines, log_with, other_key, seal_of, write_lines};
use crate::audit::{
    AuditError, AuditLog, Durability, DurabilityPolicy, EntryKind, Filter, Page, SealStatus, query,
    verify,
};

#[test]
fn audit_log_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<AuditLog>();
}

#[test]
fn chain_continues_across_instances_and_restarts() {
    let (_dir, path) = log_with(3);
    let second = AuditLog::open(&path, &key()).unwrap();
    let e = second.append(draft(3)).unwrap();
    assert_eq!(e.seq, 4);
    // A third instance alive at the same time: each must see the other's appends.
    let third = AuditLog::open(&path, &key()).unwrap();
    for i in 4..10 {
        let log = if i % 2 == 0 { &second } else { &third };
        assert_eq!(log.append(draft(i)).unwrap().seq, i + 1);
    }
    let report = verify(&path, &key()).unwrap();
    assert!(report.is_valid(), "{report:?}");
    assert_eq!((report.entries, report.last_seq), (10, 10));
    assert_eq!(report.seal, SealStatus::Matches);
    assert!(!report.has_warnings());
}

#[test]
fn appended_entry_is_exactly_what_is_read_back() {
    let (_dir, path) = log_with(2);
    let log = AuditLog::open(&path, &key()).unwrap();
    let written = log.append(draft(2)).unwrap();
    let page = query(
        &path,
        &Filter::default(),
        Page {
            limit: 1,
            ..Page::default()
        },
    )
    .unwrap();
    assert_eq!(page.entries, vec![written.clone()]);
    let last_line = lines(&path).pop().unwrap();
    assert_eq!(serde_json::to_vec(&written).unwrap(), last_line);
    let first = query(
        &path,
        &Filter::default(),
        Page {
            limit: 3,
            offset: 0,
            newest_first: false,
        },
    )
    .unwrap();
    assert_eq!(first.entries[0].prev, "0".repeat(64));
    assert_eq!(first.entries[1].prev, first.entries[0].sig);
    assert_eq!(written.prev, first.entries[1].sig);
}

#[test]
fn torn_last_line_is_reported_as_torn_and_appends_continue() {
    let (_dir, path) = log_with(3);
    let log = AuditLog::open(&path, &key()).unwrap();
    log.append(draft(3)).unwrap();
    // Simulate a crash mid-append: a prefix of what would be the next line, no newline.
    let model = lines(&path).pop().unwrap();
    let torn = String::from_utf8(model)
        .unwrap()
        .replacen("\"seq\":4", "\"seq\":5", 1);
    fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(&torn.as_bytes()[..60])
        .unwrap();

    let report = verify(&path, &key()).unwrap();
    assert!(report.is_valid(), "{report:?}");
    assert_eq!(report.entries, 4);
    assert_eq!(report.torn_lines.len(), 1);
    assert_eq!(
        (report.torn_lines[0].line, report.torn_lines[0].seq),
        (5, Some(5))
    );
    assert_eq!(report.seal, SealStatus::Matches);
    assert!(report.has_warnings());

    // The same instance (cached tail, now stale) and a fresh one both continue the chain.
    assert_eq!(log.append(draft(4)).unwrap().seq, 5);
    let fresh = AuditLog::open(&path, &key()).unwrap();
    assert_eq!(fresh.append(draft(5)).unwrap().seq, 6);
    let report = verify(&path, &key()).unwrap();
    assert!(report.is_valid(), "{report:?}");
    assert_eq!((report.entries, report.last_seq), (6, 6));
    assert_eq!(report.torn_lines.len(), 1);
    assert_eq!(report.torn_lines[0].line, 5);
    assert_eq!(lines(&path).len(), 7);
}

#[test]
fn nul_filled_tail_after_power_loss_counts_as_torn() {
    let (_dir, path) = log_with(2);
    fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(&[0u8; 40])
        .unwrap();
    let report = verify(&path, &key()).unwrap();
    assert!(report.is_valid(), "{report:?}");
    assert_eq!(report.torn_lines.len(), 1);
    AuditLog::open(&path, &key())
        .unwrap()
        .append(draft(2))
        .unwrap();
    let report = verify(&path, &key()).unwrap();
    assert!(report.is_valid() && report.entries == 3, "{report:?}");
}

#[test]
fn seal_lagging_by_one_is_a_warning_and_the_next_append_reseals() {
    let (_dir, path) = log_with(2);
    let old_seal = fs::read(seal_of(&path)).unwrap();
    AuditLog::open(&path, &key())
        .unwrap()
        .append(draft(2))
        .unwrap();
    fs::write(seal_of(&path), &old_seal).unwrap(); // crash before the seal write
    let report = verify(&path, &key()).unwrap();
    assert!(report.is_valid(), "{report:?}");
    assert_eq!(report.seal, SealStatus::Lagging { seal_seq: 2 });
    assert!(report.has_warnings());
    AuditLog::open(&path, &key())
        .unwrap()
        .append(draft(3))
        .unwrap();
    assert_eq!(verify(&path, &key()).unwrap().seal, SealStatus::Matches);
}

#[test]
fn missing_seal_of_a_one_entry_log_is_a_crash_trace() {
    for empty_file in [false, true] {
        let (_dir, path) = log_with(1);
        fs::remove_file(seal_of(&path)).unwrap();
        if empty_file {
            fs::write(seal_of(&path), b"").unwrap(); // created, never written
        }
        let report = verify(&path, &key()).unwrap();
        assert!(report.is_valid(), "{report:?}");
        assert_eq!(report.seal, SealStatus::Lagging { seal_seq: 0 });
        AuditLog::open(&path, &key())
            .unwrap()
            .append(draft(1))
            .unwrap();
        assert_eq!(verify(&path, &key()).unwrap().seal, SealStatus::Matches);
    }
}

#[test]
fn writer_refuses_logs_whose_tail_or_seal_shows_tampering() {
    // Seal two entries behind: rolled back, or a cut tail hidden by an old seal.
    let (_dir, path) = log_with(2);
    let old_seal = fs::read(seal_of(&path)).unwrap();
    let log = AuditLog::open(&path, &key()).unwrap();
    log.append(draft(2)).unwrap();
    log.append(draft(3)).unwrap();
    fs::write(seal_of(&path), &old_seal).unwrap();
    let err = AuditLog::open(&path, &key()).unwrap_err();
    assert!(matches!(err, AuditError::Tampered { .. }), "{err}");
    assert!(err.to_string().contains("rolled back"), "{err}");
    // The instance that was already open notices too once the file changed under it.
    fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(b"{\"seq\"")
        .unwrap();
    assert!(matches!(
        log.append(draft(4)),
        Err(AuditError::Tampered { .. })
    ));

    // Removed tail: the seal records more than the log holds.
    let (_dir, path) = log_with(4);
    let mut l = lines(&path);
    l.pop();
    write_lines(&path, &l);
    let err = AuditLog::open(&path, &key()).unwrap_err();
    assert!(err.to_string().contains("removed from the end"), "{err}");

    // Forged last entry.
    let (_dir, path) = log_with(3);
    let mut l = lines(&path);
    let last = String::from_utf8(l.pop().unwrap())
        .unwrap()
        .replacen("echo 2", "echo 9", 1);
    l.push(last.into_bytes());
    write_lines(&path, &l);
    let err = AuditLog::open(&path, &key()).unwrap_err();
    assert!(err.to_string().contains("does not verify"), "{err}");

    // Garbage after the last entry is not a torn write.
    let (_dir, path) = log_with(2);
    fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(b"hello\n")
        .unwrap();
    let err = AuditLog::open(&path, &key()).unwrap_err();
    assert!(err.to_string().contains("neither an audit entry"), "{err}");

    // Deleted seal of a multi-entry log.
    let (_dir, path) = log_with(3);
    fs::remove_file(seal_of(&path)).unwrap();
    let err = AuditLog::open(&path, &key()).unwrap_err();
    assert!(
        err.to_string().contains("seal") && err.to_string().contains("missing"),
        "{err}"
    );
}

#[test]
fn writer_refuses_to_recreate_a_deleted_log_or_use_another_key() {
    let (_dir, path) = log_with(2);
    fs::remove_file(&path).unwrap();
    let err = AuditLog::open(&path, &key()).unwrap_err();
    assert!(matches!(err, AuditError::LogMissing { .. }), "{err}");
    assert!(!path.exists(), "open must not create a replacement log");

    let (_dir, path) = log_with(2);
    let err = AuditLog::open(&path, &other_key()).unwrap_err();
    assert!(matches!(err, AuditError::WrongKey { .. }), "{err}");
    assert!(err.to_string().contains("audit key was replaced"), "{err}");
}

#[test]
fn log_deleted_or_replaced_under_a_running_writer_is_refused() {
    // Deleted: nothing may vanish into an unlinked file.
    let (_dir, path) = log_with(1);
    let log = AuditLog::open(&path, &key()).unwrap();
    log.append(draft(1)).unwrap();
    fs::remove_file(&path).unwrap();
    let err = log.append(draft(2)).unwrap_err();
    assert!(err.to_string().contains("removed or replaced"), "{err}");

    // Replaced by renaming another file over it.
    let (dir, path) = log_with(1);
    let log = AuditLog::open(&path, &key()).unwrap();
    let decoy = dir.path().join("decoy");
    fs::write(&decoy, b"").unwrap();
    fs::rename(&decoy, &path).unwrap();
    let err = log.append(draft(1)).unwrap_err();
    assert!(err.to_string().contains("removed or replaced"), "{err}");

    // Renamed away: appends keep going into the same file (nothing is lost), and the path's
    // seal shows the log is gone from where it belongs.
    let (dir, path) = log_with(1);
    let log = AuditLog::open(&path, &key()).unwrap();
    let moved = dir.path().join("moved.jsonl");
    fs::rename(&path, &moved).unwrap();
    log.append(draft(1)).unwrap();
    assert_eq!(lines(&moved).len(), 2);
    let report = verify(&path, &key()).unwrap();
    assert_eq!(
        report.problem.map(|p| p.kind),
        Some(crate::audit::ProblemKind::LogMissing)
    );
}

#[test]
fn durability_defaults_fsync_lifecycle_violation_probe_and_mode_only() {
    let policy = DurabilityPolicy::default();
    for kind in EntryKind::ALL {
        let expected = if matches!(
            kind,
            EntryKind::Lifecycle | EntryKind::Violation | EntryKind::Probe | EntryKind::Mode
        ) {
            Durability::Fsync
        } else {
            Durability::Buffered
        };
        assert_eq!(policy.for_kind(kind), expected, "{kind}");
    }
    let custom =
        DurabilityPolicy::all(Durability::Fsync).with(EntryKind::Command, Durability::Buffered);
    assert_eq!(custom.for_kind(EntryKind::Command), Durability::Buffered);
    assert_eq!(custom.for_kind(EntryKind::Api), Durability::Fsync);
    // Both paths write valid chains.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.jsonl");
    let log = AuditLog::open_with(&path, &key(), custom.clone()).unwrap();
    assert_eq!(log.durability(), &custom);
    for i in 0..14 {
        log.append(draft(i)).unwrap();
    }
    assert!(verify(&path, &key()).unwrap().is_valid());
}

#[test]
fn files_are_private_to_the_owner() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, path) = log_with(1);
    for p in [path.clone(), seal_of(&path), dir.path().join("index.jsonl")] {
        let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", p.display());
    }
}

#[test]
fn oversized_entries_are_refused_without_touching_the_log() {
    let (_dir, path) = log_with(1);
    let before = fs::read(&path).unwrap();
    let log = AuditLog::open(&path, &key()).unwrap();
    let big = draft(1).detail("output", "x".repeat(crate::audit::MAX_LINE_LEN));
    assert!(matches!(
        log.append(big),
        Err(AuditError::EntryTooLarge { .. })
    ));
    assert_eq!(fs::read(&path).unwrap(), before);
    assert_eq!(log.append(draft(1)).unwrap().seq, 2);
}
