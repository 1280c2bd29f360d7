//! Pages of the audit browser, read with [`crate::audit::query`] (backwards from the end of
//! each log, bounded work per page). One log is one query; "all logs" asks each log for the
//! next `limit` matches after its cursor, merges them by time and advances each log's cursor
//! by what it contributed, so memory stays at `logs × limit` entries whatever the log sizes.

use std::path::{Path, PathBuf};

use crate::audit::{self, Filter, Page};

use super::event::{AuditFilter, AuditPageData, AuditPageRequest, AuditSource, BrowsedEntry};

/// The logs "all logs" covers: every `*.jsonl` of `dir` but the index, plus `extra` (logs of
/// sandboxes whose profile keeps them elsewhere), sorted and without duplicates.
pub fn all_logs(dir: &Path, extra: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.extension().is_some_and(|x| x == "jsonl")
                        && p.file_name().is_some_and(|n| n != audit::INDEX_LOG)
                })
                .collect()
        })
        .unwrap_or_default();
    out.extend(extra.iter().filter(|p| !p.as_os_str().is_empty()).cloned());
    out.sort();
    out.dedup();
    out
}

/// The browser's filter as an audit query filter (shared with the export).
pub fn to_filter(f: &AuditFilter) -> Filter {
    Filter {
        kinds: f.kind.into_iter().collect(),
        outcomes: f.outcome.into_iter().collect(),
        text: (!f.text.is_empty()).then(|| f.text.clone()),
        since: f.since,
        until: f.until,
    }
}

/// Loads one page. `logs` are the logs of [`AuditSource::All`] (ignored for one log).
pub fn load_page(req: &AuditPageRequest, logs: &[PathBuf]) -> Result<AuditPageData, String> {
    let filter = to_filter(&req.filter);
    let limit = req.limit.max(1);
    let sources: Vec<PathBuf> = match &req.source {
        AuditSource::Log { path, .. } => vec![path.clone()],
        AuditSource::All => logs.to_vec(),
    };
    let offset_of = |p: &Path| {
        req.cursor
            .iter()
            .find(|(q, _)| q == p)
            .map_or(0, |(_, o)| *o)
    };
    // For a jump to an entry, the page that holds it: the entries after it come first.
    let mut start_offset = None;
    if let (AuditSource::Log { path, .. }, Some((log, seq))) = (&req.source, &req.select_seq)
        && path == log
        && req.cursor.is_empty()
    {
        let newest = audit::query(
            path,
            &filter,
            Page {
                limit: 1,
                offset: 0,
                newest_first: true,
            },
        )
        .map_err(|e| e.to_string())?;
        if let Some(n) = newest.entries.first()
            && n.seq >= *seq
        {
            let after = usize::try_from(n.seq - seq).unwrap_or(0);
            start_offset = Some(after / limit * limit);
        }
    }
    let mut merged: Vec<(usize, BrowsedEntry)> = Vec::new();
    let mut more = vec![false; sources.len()];
    for (i, path) in sources.iter().enumerate() {
        let offset = start_offset.unwrap_or_else(|| offset_of(path));
        let page = Page {
            limit,
            offset,
            newest_first: true,
        };
        let result = match audit::query(path, &filter, page) {
            Ok(r) => r,
            // A log listed a moment ago may be gone (a sandbox's log is kept, but a custom
            // log dir can be cleaned up); "all" shows the rest rather than nothing.
            Err(audit::AuditError::NotFound { .. }) if sources.len() > 1 => continue,
            Err(e) => return Err(e.to_string()),
        };
        if let Some(flag) = more.get_mut(i) {
            *flag = result.has_more;
        }
        merged.extend(result.entries.into_iter().map(|entry| {
            (
                i,
                BrowsedEntry {
                    log: path.clone(),
                    entry,
                },
            )
        }));
    }
    // Newest first across logs; ties keep log order then seq, so the order is total.
    merged.sort_by(|(ia, a), (ib, b)| {
        b.entry
            .ts
            .cmp(&a.entry.ts)
            .then(ia.cmp(ib))
            .then(b.entry.seq.cmp(&a.entry.seq))
    });
    let leftover = merged.len() > limit;
    merged.truncate(limit);
    let mut used = vec![0usize; sources.len()];
    for (i, _) in &merged {
        if let Some(u) = used.get_mut(*i) {
            *u += 1;
        }
    }
    let next = (leftover || more.iter().any(|m| *m)).then(|| {
        sources
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let base = start_offset.unwrap_or_else(|| offset_of(p));
                (p.clone(), base + used.get(i).copied().unwrap_or(0))
            })
            .collect()
    });
    Ok(AuditPageData {
        entries: merged.into_iter().map(|(_, e)| e).collect(),
        next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditKey, AuditLog, EntryDraft, EntryKind, Outcome};

    fn write(path: &Path, n: usize, label: &str) {
        let key = AuditKey::from_bytes([7; 32]);
        let Ok(log) = AuditLog::open(path, &key) else {
            panic!("open")
        };
        for i in 0..n {
            let outcome = if i % 3 == 0 {
                Outcome::Blocked
            } else {
                Outcome::Success
            };
            let kind = if i % 3 == 0 {
                EntryKind::Violation
            } else {
                EntryKind::Command
            };
            let _ = log.append(EntryDraft::new(
                kind,
                "cli",
                "exec",
                format!("{label}-{i}"),
                outcome,
            ));
        }
    }

    fn req(source: AuditSource, cursor: Vec<(PathBuf, usize)>, limit: usize) -> AuditPageRequest {
        AuditPageRequest {
            generation: 1,
            source,
            filter: AuditFilter::default(),
            cursor,
            limit,
            select_seq: None,
        }
    }

    #[test]
    fn all_logs_pages_cover_every_entry_once_newest_first() {
        let Ok(tmp) = tempfile::tempdir() else {
            panic!("tmp")
        };
        let a = tmp.path().join("aaaa.jsonl");
        let b = tmp.path().join("bbbb.jsonl");
        write(&a, 7, "a");
        write(&b, 5, "b");
        let logs = all_logs(tmp.path(), &[]);
        assert_eq!(
            logs,
            vec![a.clone(), b.clone()],
            "index.jsonl is not browsed"
        );
        let mut cursor = Vec::new();
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let page = load_page(&req(AuditSource::All, cursor.clone(), 4), &logs);
            let Ok(page) = page else { panic!("{page:?}") };
            pages += 1;
            let ts: Vec<_> = page.entries.iter().map(|e| e.entry.ts).collect();
            assert!(ts.windows(2).all(|w| w[0] >= w[1]), "newest first");
            seen.extend(page.entries.into_iter().map(|e| e.entry.target));
            match page.next {
                Some(n) => cursor = n,
                None => break,
            }
            assert!(pages < 10);
        }
        seen.sort();
        let mut want: Vec<String> = (0..7)
            .map(|i| format!("a-{i}"))
            .chain((0..5).map(|i| format!("b-{i}")))
            .collect();
        want.sort();
        assert_eq!(seen, want);
        assert_eq!(pages, 3);
    }

    #[test]
    fn filters_and_jumps_select_the_right_page() {
        let Ok(tmp) = tempfile::tempdir() else {
            panic!("tmp")
        };
        let a = tmp.path().join("aaaa.jsonl");
        write(&a, 30, "a");
        let one = AuditSource::Log {
            label: "a".into(),
            path: a.clone(),
        };
        let mut r = req(one.clone(), Vec::new(), 5);
        r.filter.outcome = Some(Outcome::Blocked);
        let Ok(page) = load_page(&r, &[]) else {
            panic!("page")
        };
        assert_eq!(page.entries.len(), 5);
        assert!(
            page.entries
                .iter()
                .all(|e| e.entry.outcome == Outcome::Blocked)
        );
        // Entry seq 3 (the 4th entry) of 30 is 27 entries from the newest: page 5 of size 5.
        let mut r = req(one, Vec::new(), 5);
        r.select_seq = Some((a.clone(), 3));
        let Ok(page) = load_page(&r, &[]) else {
            panic!("page")
        };
        assert!(
            page.entries.iter().any(|e| e.entry.seq == 3),
            "{:?}",
            page.entries.iter().map(|e| e.entry.seq).collect::<Vec<_>>()
        );
        let missing = AuditSource::Log {
            label: "x".into(),
            path: tmp.path().join("none.jsonl"),
        };
        let m = load_page(&req(missing, Vec::new(), 5), &[])
            .err()
            .unwrap_or_default();
        assert!(m.contains("none.jsonl"), "{m}");
    }
}
