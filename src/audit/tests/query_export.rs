//! Query filters and paging over a multi-megabyte log; export from files.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::support::{draft, key, lines};
use crate::audit::{
    AuditEntry, AuditLog, Durability, DurabilityPolicy, EntryKind, Filter, Outcome, Page,
    export_csv, export_json, query, verify,
};

const ENTRIES: u64 = 20_000;

/// One big log shared by the tests of this file (written once), and all its entries.
fn big_log() -> &'static (tempfile::TempDir, PathBuf, Vec<AuditEntry>) {
    static LOG: OnceLock<(tempfile::TempDir, PathBuf, Vec<AuditEntry>)> = OnceLock::new();
    LOG.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sb1.jsonl");
        let policy = DurabilityPolicy::all(Durability::Buffered);
        let log = AuditLog::open_with(&path, &key(), policy).unwrap();
        let entries = (0..ENTRIES)
            .map(|i| log.append(draft(i).detail("pad", "p".repeat(150))).unwrap())
            .collect();
        (dir, path, entries)
    })
}

fn expected(all: &[AuditEntry], filter: &Filter, page: Page) -> (Vec<AuditEntry>, u64) {
    let mut matched: Vec<AuditEntry> = all.iter().filter(|e| filter.matches(e)).cloned().collect();
    let total = matched.len() as u64;
    if page.newest_first {
        matched.reverse();
    }
    (
        matched
            .into_iter()
            .skip(page.offset)
            .take(page.limit)
            .collect(),
        total,
    )
}

fn check(path: &Path, all: &[AuditEntry], filter: &Filter, page: Page) {
    let got = query(path, filter, page).unwrap();
    let (want, total) = expected(all, filter, page);
    assert_eq!(got.entries, want, "{filter:?} {page:?}");
    let end = (page.offset + page.limit) as u64;
    assert_eq!(got.has_more, total > end, "{filter:?} {page:?}");
    if let Some(t) = got.total_matched {
        assert_eq!(t, total);
    } else {
        assert!(
            got.has_more,
            "total may only be unknown when the scan stopped early"
        );
    }
}

#[test]
fn big_log_is_multi_megabyte_and_valid() {
    let (_d, path, _) = big_log();
    let len = fs::metadata(path).unwrap().len();
    assert!(len > 5 << 20, "{len}");
    assert!(verify(path, &key()).unwrap().is_valid());
}

#[test]
fn newest_first_paging_walks_back_from_the_end() {
    let (_d, path, all) = big_log();
    let first = query(
        path,
        &Filter::default(),
        Page {
            limit: 50,
            offset: 0,
            newest_first: true,
        },
    )
    .unwrap();
    let seqs: Vec<u64> = first.entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (ENTRIES - 49..=ENTRIES).rev().collect::<Vec<_>>());
    assert!(first.has_more);
    assert_eq!(
        first.total_matched, None,
        "the first page must not scan the whole log"
    );
    let last = query(
        path,
        &Filter::default(),
        Page {
            limit: 50,
            offset: 19_990,
            newest_first: true,
        },
    )
    .unwrap();
    assert_eq!(
        last.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=10).rev().collect::<Vec<_>>()
    );
    assert_eq!(last.total_matched, Some(ENTRIES));
    assert!(!last.has_more);
    for page in [
        Page {
            limit: 7,
            offset: 0,
            newest_first: true,
        },
        Page {
            limit: 100,
            offset: 12_345,
            newest_first: true,
        },
        Page {
            limit: 100,
            offset: 12_345,
            newest_first: false,
        },
        Page {
            limit: 0,
            offset: 5,
            newest_first: true,
        },
        Page {
            limit: 10,
            offset: 30_000,
            newest_first: true,
        },
    ] {
        check(path, all, &Filter::default(), page);
    }
}

#[test]
fn filters_select_exactly_the_matching_entries() {
    let (_d, path, all) = big_log();
    let filters = [
        Filter {
            kinds: vec![EntryKind::Violation],
            ..Filter::default()
        },
        Filter {
            kinds: vec![EntryKind::Command, EntryKind::Network],
            outcomes: vec![Outcome::Blocked],
            ..Filter::default()
        },
        Filter {
            since: Some(all[5000].ts),
            until: Some(all[5100].ts),
            ..Filter::default()
        },
        Filter {
            until: Some(all[10].ts),
            ..Filter::default()
        },
        Filter {
            text: Some("echo 1234,".into()),
            ..Filter::default()
        },
        Filter {
            text: Some("even".into()),
            outcomes: vec![Outcome::Error],
            ..Filter::default()
        },
        Filter {
            text: Some("\"quoted\"".into()),
            ..Filter::default()
        },
        Filter {
            text: Some("\"i\":77,".into()),
            ..Filter::default()
        },
        Filter {
            text: Some("nowhere".into()),
            ..Filter::default()
        },
    ];
    for filter in &filters {
        for page in [
            Page {
                limit: 20,
                offset: 0,
                newest_first: true,
            },
            Page {
                limit: 20,
                offset: 3,
                newest_first: false,
            },
        ] {
            check(path, all, filter, page);
        }
    }
    // Spot checks that the brute force itself is right.
    let one = query(path, &filters[4], Page::default()).unwrap();
    assert_eq!(one.entries.len(), 1);
    assert_eq!(one.entries[0].detail["i"], 1234);
    let window = query(
        path,
        &filters[2],
        Page {
            limit: 1000,
            ..Page::default()
        },
    )
    .unwrap();
    assert!(
        window
            .entries
            .iter()
            .all(|e| e.ts >= all[5000].ts && e.ts < all[5100].ts)
    );
    assert!(window.entries.iter().any(|e| e.seq == 5001));
}

#[test]
fn query_skips_torn_lines_and_reports_them() {
    let (dir, path) = super::support::log_with(5);
    fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(b"{\"seq\":6,\"ts")
        .unwrap();
    let page = query(&path, &Filter::default(), Page::default()).unwrap();
    assert_eq!(page.entries.len(), 5);
    assert_eq!(page.skipped_lines, 1);
    assert_eq!(page.total_matched, Some(5));
    let missing = query(
        dir.path().join("nope.jsonl"),
        &Filter::default(),
        Page::default(),
    );
    assert!(matches!(
        missing,
        Err(crate::audit::AuditError::NotFound { .. })
    ));
}

#[test]
fn json_export_is_a_reverifiable_array_of_the_stored_lines() {
    let (_dir, path) = super::support::log_with(12);
    let mut out = Vec::new();
    let n = export_json(&path, &Filter::default(), &mut out).unwrap();
    assert_eq!(n, 12);
    let parsed: Vec<AuditEntry> = serde_json::from_slice(&out).unwrap();
    let stored = lines(&path);
    for (entry, line) in parsed.iter().zip(&stored) {
        assert_eq!(&serde_json::to_vec(entry).unwrap(), line);
    }
    let mut out = Vec::new();
    let filter = Filter {
        outcomes: vec![Outcome::Blocked],
        ..Filter::default()
    };
    assert_eq!(export_json(&path, &filter, &mut out).unwrap(), 4);
    let parsed: Vec<AuditEntry> = serde_json::from_slice(&out).unwrap();
    assert!(parsed.iter().all(|e| e.outcome == Outcome::Blocked));
}

/// A strict RFC 4180 reader for the test: records of fields, CRLF between records.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "bare CR outside quotes");
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => {
                assert!(c != '\n' && c != '"', "unquoted special character {c:?}");
                field.push(c);
            }
        }
    }
    assert!(field.is_empty() && record.is_empty(), "missing final CRLF");
    records
}

#[test]
fn csv_export_round_trips_awkward_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.jsonl");
    let log = AuditLog::open(&path, &key()).unwrap();
    let targets = [
        "plain",
        "a,b",
        "say \"hi\"",
        "line1\nline2",
        "cr\r\nlf",
        "=cmd|' /C calc'!A0",
    ];
    for t in targets {
        log.append(
            crate::audit::EntryDraft::new(EntryKind::Command, "cli", "exec", t, Outcome::Success)
                .detail("out", format!("{t},\"x\"")),
        )
        .unwrap();
    }
    let mut out = Vec::new();
    assert_eq!(
        export_csv(&path, &Filter::default(), &mut out).unwrap(),
        targets.len() as u64
    );
    let records = parse_csv(&String::from_utf8(out).unwrap());
    assert_eq!(records[0].join(","), crate::audit::export::CSV_HEADER);
    let entries = query(
        &path,
        &Filter::default(),
        Page {
            newest_first: false,
            ..Page::default()
        },
    )
    .unwrap()
    .entries;
    for ((record, entry), target) in records[1..].iter().zip(&entries).zip(targets) {
        assert_eq!(record.len(), 11);
        assert_eq!(record[0], entry.seq.to_string());
        assert_eq!(record[2], "");
        assert_eq!(record[6], target);
        let detail: serde_json::Value = serde_json::from_str(&record[8]).unwrap();
        assert_eq!(detail["out"], format!("{target},\"x\""));
        assert_eq!(
            (record[9].as_str(), record[10].as_str()),
            (entry.prev.as_str(), entry.sig.as_str())
        );
    }
}
