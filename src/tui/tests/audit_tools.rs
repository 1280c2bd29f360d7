//! The audit browser's time filter (`T`) and export (`e`): keys, intents and snapshots.

use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use crossterm::event::KeyCode;

use super::snapshots::text;
use super::*;
use crate::tui::audit_export::ExportFormat;
use crate::tui::event::{AppEvent, AuditPageData, AuditSource, BrowsedEntry, Intent};
use crate::tui::render_to_buffer;

fn typed(a: &mut App, s: &str) {
    for c in s.chars() {
        assert!(
            a.handle_key(ch(c)).is_empty(),
            "typing {c:?} asked for work"
        );
    }
}

fn audit_app() -> App {
    let mut a = app();
    connected(&mut a);
    a.start();
    a.handle_key(ch('3'));
    // Zoomed, so the snapshots show the whole pane.
    a.handle_key(ch('z'));
    let generation = a.audit.generation;
    a.on_event(AppEvent::AuditPage {
        generation,
        result: Ok(AuditPageData {
            entries: (0..3)
                .map(|i| BrowsedEntry {
                    log: PathBuf::from("/h/audit/a.jsonl"),
                    entry: entry(10 - i, EntryKind::Violation, Outcome::Blocked, "rm -rf /"),
                })
                .collect(),
            next: None,
        }),
        select_seq: None,
    });
    a
}

fn requests(out: &[Intent]) -> Vec<&crate::tui::event::AuditPageRequest> {
    out.iter()
        .filter_map(|i| match i {
            Intent::LoadAuditPage(r) => Some(r),
            _ => None,
        })
        .collect()
}

#[test]
fn t_sets_a_time_range_that_reaches_the_page_request() {
    let mut a = audit_app();
    assert!(a.handle_key(ch('T')).is_empty());
    assert!(a.audit.editing_time);
    typed(&mut a, "2026-11-01..2026-11-27T10:00:00Z");
    let out = a.handle_key(key(KeyCode::Enter));
    let reqs = requests(&out);
    assert_eq!(reqs.len(), 1, "{out:?}");
    let f = &reqs[0].filter;
    assert_eq!(f.since, Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single());
    assert_eq!(
        f.until,
        Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).single()
    );
    assert_eq!(f.time_text, "2026-11-01..2026-11-27T10:00:00Z");
    assert!(!a.audit.editing_time);
    // A relative bound is resolved against the clock when applied.
    a.handle_key(ch('T'));
    a.handle_key(ctrl_u());
    typed(&mut a, "15m");
    let before = Utc::now();
    let out = a.handle_key(key(KeyCode::Enter));
    let since = requests(&out)[0].filter.since.unwrap_or_default();
    let fifteen = chrono::Duration::minutes(15);
    assert!(
        since >= before - fifteen && since <= Utc::now() - fifteen,
        "{since}"
    );
    assert_eq!(requests(&out)[0].filter.until, None);
    // Empty clears it.
    a.handle_key(ch('T'));
    a.handle_key(ctrl_u());
    let out = a.handle_key(key(KeyCode::Enter));
    let f = &requests(&out)[0].filter;
    assert_eq!((f.since, f.until, f.time_text.as_str()), (None, None, ""));
}

fn ctrl_u() -> crossterm::event::KeyEvent {
    crossterm::event::KeyEvent::new(KeyCode::Char('u'), crossterm::event::KeyModifiers::CONTROL)
}

#[test]
fn a_bad_time_filter_stays_in_the_input_with_its_message() {
    let mut a = audit_app();
    a.handle_key(ch('T'));
    typed(&mut a, "yesterday");
    assert!(
        a.handle_key(key(KeyCode::Enter)).is_empty(),
        "nothing reloads"
    );
    assert!(a.audit.editing_time);
    let e = a.audit.time_error.clone().unwrap_or_default();
    assert!(e.contains("\"yesterday\" is not a time"), "{e}");
    insta::assert_snapshot!("audit_time_error", text(&render_to_buffer(&a, 100, 10)));
    // Esc abandons the edit and keeps the filter as it was.
    assert!(a.handle_key(key(KeyCode::Esc)).is_empty());
    assert!(!a.audit.editing_time && a.audit.time_error.is_none());
    assert_eq!(a.audit.filter.since, None);
}

#[test]
fn e_asks_the_worker_to_export_with_every_filter() {
    let mut a = audit_app();
    a.handle_key(ch('t'));
    a.handle_key(ch('T'));
    typed(&mut a, "2026-11-01");
    a.handle_key(key(KeyCode::Enter));
    assert!(a.handle_key(ch('e')).is_empty());
    assert!(a.audit.editing_export);
    assert!(
        a.audit.export_input.value.starts_with("lasso-audit-all-")
            && a.audit.export_input.value.ends_with(".jsonl"),
        "{}",
        a.audit.export_input.value
    );
    a.audit.export_input.value = "violations.jsonl".into();
    insta::assert_snapshot!("audit_export_prompt", text(&render_to_buffer(&a, 100, 10)));
    let out = a.handle_key(key(KeyCode::Enter));
    let [Intent::ExportAudit(req)] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(req.source, AuditSource::All);
    assert_eq!(req.filter, a.audit.filter);
    assert_eq!(req.filter.kind, Some(EntryKind::Command));
    assert!(req.filter.since.is_some());
    assert_eq!(req.path, PathBuf::from("violations.jsonl"));
    assert_eq!(req.format, ExportFormat::JsonLines);
    assert!(!a.audit.editing_export);
    // A .csv name exports CSV; Esc cancels.
    a.handle_key(ch('e'));
    a.handle_key(ctrl_u());
    typed(&mut a, "out.csv");
    let out = a.handle_key(key(KeyCode::Enter));
    assert!(matches!(out.as_slice(), [Intent::ExportAudit(r)] if r.format == ExportFormat::Csv));
    a.handle_key(ch('e'));
    assert!(a.handle_key(key(KeyCode::Esc)).is_empty());
    assert!(!a.audit.editing_export);
}

#[test]
fn the_title_shows_the_time_filter_and_one_log_names_the_export() {
    let mut a = audit_app();
    a.handle_key(ch('T'));
    typed(&mut a, "2h");
    a.handle_key(key(KeyCode::Enter));
    insta::assert_snapshot!("audit_time_filter", text(&render_to_buffer(&a, 100, 10)));
    a.audit.source = AuditSource::Log {
        label: "agent 001/x".into(),
        path: PathBuf::from("/h/audit/a.jsonl"),
    };
    let name = a.audit.default_export_name(now());
    assert_eq!(name, "lasso-audit-agent_001_x-20261127T120000Z.jsonl");
}
