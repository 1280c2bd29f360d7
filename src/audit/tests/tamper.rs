//! Each kind of tampering is detected with the right kind and line.

use std::fs;

use super::support::{draft, key, lines, log_with, other_key, seal_of, write_lines};
use crate::audit::{AuditKey, AuditLog, ProblemKind, SealStatus, VerifyReport, verify};

/// A 10-entry log, tampered by `f`, verified.
fn tampered(f: impl FnOnce(&mut Vec<Vec<u8>>)) -> VerifyReport {
    let (_dir, path) = log_with(10);
    let mut l = lines(&path);
    f(&mut l);
    write_lines(&path, &l);
    verify(&path, &key()).unwrap()
}

fn assert_problem(report: &VerifyReport, kind: ProblemKind, line: Option<u64>) {
    let p = report
        .problem
        .as_ref()
        .unwrap_or_else(|| panic!("not detected: {report:?}"));
    assert_eq!((p.kind, p.line), (kind, line), "{p}");
    assert!(!report.is_valid());
    assert!(!p.message.is_empty());
}

fn edit(line: &[u8], from: &str, to: &str) -> Vec<u8> {
    let s = String::from_utf8(line.to_vec()).unwrap();
    assert!(s.contains(from), "{from} not in {s}");
    s.replacen(from, to, 1).into_bytes()
}

#[test]
fn untouched_log_verifies() {
    let report = tampered(|_| {});
    assert!(report.is_valid(), "{report:?}");
    assert_eq!((report.entries, report.last_seq), (10, 10));
    assert_eq!(report.seal, SealStatus::Matches);
}

#[test]
fn edit_of_any_field_is_a_bad_signature_at_that_line() {
    let edits: [(&str, &str); 11] = [
        ("{\"seq\":5", "{\"seq\":50"),
        ("\"ts\":\"20", "\"ts\":\"19"),
        ("\"sandbox_id\":\"sb1\"", "\"sandbox_id\":\"sb2\""),
        ("\"type\":\"", "\"type\":\"x"), // becomes malformed unless it still names a type
        ("\"actor\":\"cli\"", "\"actor\":\"tui\""),
        ("\"action\":\"exec\"", "\"action\":\"exed\""),
        ("echo 4,", "echo 5,"),
        ("\"outcome\":\"", "\"outcome\":\"x"),
        ("\"i\":4", "\"i\":5"),
        ("\"prev\":\"", "\"prev\":\"0"),
        ("\"sig\":\"", "\"sig\":\"0"),
    ];
    for (from, to) in edits {
        let report = tampered(|l| {
            let mut edited = edit(&l[4], from, to);
            // Keep hex fields at 64 digits so the edit stays well-formed.
            if from.starts_with("\"prev\"") || from.starts_with("\"sig\"") {
                let s = String::from_utf8(edited).unwrap();
                let at = s.find(to).unwrap() + to.len() + 63;
                edited = format!("{}{}", &s[..at], &s[at + 1..]).into_bytes();
            }
            l[4] = edited;
        });
        let kind = if to.ends_with("\"x") {
            ProblemKind::Malformed
        } else {
            ProblemKind::BadSignature
        };
        assert_problem(&report, kind, Some(5));
    }
    // Swapping a type or outcome for another valid one is a signature failure.
    let report = tampered(|l| {
        let s = String::from_utf8(l[4].clone()).unwrap();
        let kind = crate::audit::EntryKind::ALL[4].as_str();
        l[4] = s
            .replacen(&format!("\"type\":\"{kind}\""), "\"type\":\"auth\"", 1)
            .into_bytes();
    });
    assert_problem(&report, ProblemKind::BadSignature, Some(5));
}

#[test]
fn inserted_lines_are_detected() {
    // A replayed copy of an earlier entry.
    let report = tampered(|l| {
        let copy = l[2].clone();
        l.insert(5, copy);
    });
    assert_problem(&report, ProblemKind::SeqNotIncreasing, Some(6));
    // A forged entry (well-formed, wrong MAC).
    let report = tampered(|l| {
        let forged = edit(&l[5], "echo 5,", "echo 6,");
        l.insert(5, edit(&forged, "{\"seq\":6", "{\"seq\":6"));
    });
    assert_problem(&report, ProblemKind::BadSignature, Some(6));
    // A genuine entry from another log signed with the same key.
    let (_d, other) = log_with(6);
    let foreign = lines(&other)[5].clone();
    let report = tampered(|l| l.insert(5, foreign));
    assert_problem(&report, ProblemKind::BrokenChain, Some(6));
    // Garbage and an empty line.
    assert_problem(
        &tampered(|l| l.insert(5, b"rm -rf /".to_vec())),
        ProblemKind::Malformed,
        Some(6),
    );
    assert_problem(
        &tampered(|l| l.insert(5, Vec::new())),
        ProblemKind::Malformed,
        Some(6),
    );
}

#[test]
fn deleted_and_reordered_lines_break_the_chain_where_they_happened() {
    assert_problem(
        &tampered(|l| drop(l.remove(4))),
        ProblemKind::BrokenChain,
        Some(5),
    );
    assert_problem(
        &tampered(|l| drop(l.remove(0))),
        ProblemKind::BrokenChain,
        Some(1),
    );
    assert_problem(
        &tampered(|l| l.swap(4, 5)),
        ProblemKind::BrokenChain,
        Some(5),
    );
    assert_problem(
        &tampered(|l| l.swap(2, 7)),
        ProblemKind::BrokenChain,
        Some(3),
    );
}

#[test]
fn truncated_tail_is_detected_through_the_seal() {
    let report = tampered(|l| l.truncate(8));
    assert_problem(&report, ProblemKind::Truncated, Some(9));
    assert_eq!(report.entries, 8);
    let report = tampered(|l| l.clear());
    assert_problem(&report, ProblemKind::Truncated, Some(1));
    // Cutting the last entry short to pass it off as a torn write does not help.
    let (_dir, path) = log_with(10);
    let data = fs::read(&path).unwrap();
    fs::write(&path, &data[..data.len() - 30]).unwrap();
    let report = verify(&path, &key()).unwrap();
    assert_problem(&report, ProblemKind::Truncated, Some(11));
}

#[test]
fn an_entry_cut_short_mid_log_is_not_a_torn_write() {
    let report = tampered(|l| l[4].truncate(50));
    assert_problem(&report, ProblemKind::BrokenChain, Some(5));
    let report = tampered(|l| l[4].truncate(5));
    assert_problem(&report, ProblemKind::BrokenChain, Some(5));
}

#[test]
fn deleted_log_is_detected_through_its_seal() {
    let (_dir, path) = log_with(3);
    fs::remove_file(&path).unwrap();
    let report = verify(&path, &key()).unwrap();
    assert_problem(&report, ProblemKind::LogMissing, None);
    assert!(
        report
            .problem
            .unwrap()
            .message
            .contains("recording 3 entries")
    );
    fs::remove_file(seal_of(&path)).unwrap();
    assert!(matches!(
        verify(&path, &key()),
        Err(crate::audit::AuditError::NotFound { .. })
    ));
}

#[test]
fn replaced_key_is_reported_as_wrong_key() {
    let (_dir, path) = log_with(3);
    let report = verify(&path, &other_key()).unwrap();
    assert_problem(&report, ProblemKind::WrongKey, Some(1));
    assert!(report.problem.unwrap().message.contains(&key().key_id()));

    // An attacker re-signs a whole fabricated log with a key of their own: the real key
    // rejects it.
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("sb1.jsonl");
    let attacker = AuditKey::from_bytes([0x77; 32]);
    let log = AuditLog::open(&fake, &attacker).unwrap();
    for i in 0..3 {
        log.append(draft(i)).unwrap();
    }
    assert_problem(
        &verify(&fake, &key()).unwrap(),
        ProblemKind::WrongKey,
        Some(1),
    );
    // Without a seal the first line still fails, as a bad signature with a hint.
    fs::remove_file(seal_of(&fake)).unwrap();
    let report = verify(&fake, &key()).unwrap();
    assert_problem(&report, ProblemKind::BadSignature, Some(1));
    assert!(report.problem.unwrap().message.contains("another key"));
}

#[test]
fn seal_tampering_is_detected() {
    let (dir, path) = log_with(3);
    let seal = fs::read(seal_of(&path)).unwrap();
    for i in [30, 60, 80, 100, 150, 200] {
        let mut bad = seal.clone();
        bad[i] = if bad[i] == b'1' { b'2' } else { b'1' };
        fs::write(seal_of(&path), &bad).unwrap();
        assert_problem(
            &verify(&path, &key()).unwrap(),
            ProblemKind::SealMismatch,
            None,
        );
    }
    // A valid seal of another log cannot stand in.
    let other = dir.path().join("other.jsonl");
    let log = AuditLog::open(&other, &key()).unwrap();
    for i in 0..3 {
        log.append(draft(i)).unwrap();
    }
    fs::copy(seal_of(&other), seal_of(&path)).unwrap();
    assert_problem(
        &verify(&path, &key()).unwrap(),
        ProblemKind::SealMismatch,
        None,
    );
    fs::remove_file(seal_of(&path)).unwrap();
    assert_problem(
        &verify(&path, &key()).unwrap(),
        ProblemKind::SealMismatch,
        None,
    );
}

#[test]
fn problems_report_seq_and_stop_seal_checks() {
    let report = tampered(|l| l[6] = edit(&l[6], "echo 6,", "echo 7,"));
    let p = report.problem.clone().unwrap();
    assert_eq!(
        (p.kind, p.line, p.seq),
        (ProblemKind::BadSignature, Some(7), Some(7))
    );
    assert_eq!(report.entries, 6);
    assert_eq!(report.seal, SealStatus::NotChecked);
    assert!(p.to_string().starts_with("bad-signature: line 7"), "{p}");
}

#[test]
fn floods_of_torn_looking_or_huge_lines_are_malformed() {
    let report = tampered(|l| l.extend(std::iter::repeat_n(b"{\"se".to_vec(), 20)));
    assert_problem(&report, ProblemKind::Malformed, Some(27));
    let report = tampered(|l| l.insert(3, vec![b'x'; 2 * crate::audit::MAX_LINE_LEN]));
    assert_problem(&report, ProblemKind::Malformed, Some(4));
    assert!(report.problem.unwrap().message.contains("bytes long"));
}
