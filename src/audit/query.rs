//! Reading a log back: filtered, paged, oldest- or newest-first.
//!
//! Newest-first reads the file backwards in growing blocks, so the first page of a
//! multi-gigabyte log costs a few blocks, not the whole file. Each line is first checked
//! against the filter on its raw bytes (type, outcome and timestamp compare directly because
//! the encoding is fixed-width; text as a necessary condition) and only candidates are fully
//! decoded. The total number of matches is reported only when the scan reached the far end of
//! the file anyway; otherwise it is unknown (`None`) and `has_more` says whether another page
//! exists.
//!
//! Query is a reader, not a verifier: it skips lines that are not entries (torn writes) and
//! does not check signatures. Use [`crate::audit::verify()`] to establish integrity.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::entry::{AuditEntry, EntryKind, Outcome, TS_LEN, format_ts};
use super::lines::{At, ForwardLines, Line, ReverseLines};
use super::parse::{RawEntry, parse_line};
use super::{AuditError, MAX_LINE_LEN, Result};

/// Which entries to return. Empty lists and `None` mean "any".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub kinds: Vec<EntryKind>,
    pub outcomes: Vec<Outcome>,
    /// Entries at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Entries strictly before this time.
    pub until: Option<DateTime<Utc>>,
    /// Case-sensitive substring of the actor, action, target, or detail (its compact JSON, or
    /// any key or string value in it).
    pub text: Option<String>,
}

impl Filter {
    /// Whether `entry` passes the filter.
    pub fn matches(&self, entry: &AuditEntry) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&entry.kind))
            && (self.outcomes.is_empty() || self.outcomes.contains(&entry.outcome))
            && self.since.is_none_or(|t| entry.ts >= t)
            && self.until.is_none_or(|t| entry.ts < t)
            && self
                .text
                .as_deref()
                .is_none_or(|text| text_matches(entry, text))
    }
}

fn text_matches(entry: &AuditEntry, text: &str) -> bool {
    entry.actor.contains(text)
        || entry.action.contains(text)
        || entry.target.contains(text)
        || serde_json::to_string(&entry.detail).is_ok_and(|json| json.contains(text))
        || map_contains(&entry.detail, text)
}

fn map_contains(map: &Map<String, Value>, text: &str) -> bool {
    map.iter()
        .any(|(k, v)| k.contains(text) || value_contains(v, text))
}

fn value_contains(value: &Value, text: &str) -> bool {
    match value {
        Value::String(s) => s.contains(text),
        Value::Array(items) => items.iter().any(|v| value_contains(v, text)),
        Value::Object(map) => map_contains(map, text),
        _ => false,
    }
}

/// The filter compiled for checks on raw lines. Every check is a necessary condition for
/// [`Filter::matches`], so nothing that matches is dropped early.
struct RawFilter<'f> {
    filter: &'f Filter,
    since: Option<[u8; TS_LEN]>,
    until: Option<[u8; TS_LEN]>,
    /// Set when the text reads the same escaped and unescaped (no quote, backslash or
    /// control character), so a raw substring search is a valid pre-check.
    raw_text: Option<&'f [u8]>,
    /// Type and outcome are the only criteria, so the raw checks decide exactly.
    exact: bool,
}

impl<'f> RawFilter<'f> {
    fn new(filter: &'f Filter) -> Self {
        let raw_text = filter
            .text
            .as_deref()
            .filter(|t| !t.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20))
            .map(str::as_bytes);
        RawFilter {
            filter,
            since: filter.since.as_ref().map(format_ts),
            until: filter.until.as_ref().map(format_ts),
            raw_text,
            exact: filter.text.is_none() && filter.since.is_none() && filter.until.is_none(),
        }
    }

    fn may_match(&self, raw: &RawEntry<'_>) -> bool {
        let f = self.filter;
        (f.kinds.is_empty() || f.kinds.contains(&raw.kind))
            && (f.outcomes.is_empty() || f.outcomes.contains(&raw.outcome))
            // Timestamps are fixed-width, so byte order is time order; truncation to
            // microseconds keeps these comparisons on the permissive side.
            && self.since.is_none_or(|s| raw.ts >= &s[..])
            && self.until.is_none_or(|u| raw.ts <= &u[..])
            && self.raw_text.is_none_or(|t| {
                [raw.actor, raw.action, raw.target, raw.detail].iter().any(|field| contains(field, t))
            })
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// Which slice of the matches to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: usize,
    /// Matches to skip first (in the chosen order).
    pub offset: usize,
    pub newest_first: bool,
}

impl Default for Page {
    /// The latest 100 entries.
    fn default() -> Self {
        Page {
            limit: 100,
            offset: 0,
            newest_first: true,
        }
    }
}

/// One page of matches.
#[derive(Debug, Clone, PartialEq)]
pub struct PageResult {
    /// In the requested order.
    pub entries: Vec<AuditEntry>,
    /// All matches in the log, when the scan covered the whole file; `None` if unknown.
    pub total_matched: Option<u64>,
    /// Another page follows this one.
    pub has_more: bool,
    /// Lines passed over because they are not entries (torn writes, damage).
    pub skipped_lines: u64,
}

/// Returns the entries of the log at `path` that pass `filter`, paged by `page`.
pub fn query(path: impl AsRef<Path>, filter: &Filter, page: Page) -> Result<PageResult> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            AuditError::NotFound {
                path: path.to_owned(),
            }
        } else {
            AuditError::io("open audit log", path, e)
        }
    })?;
    // A snapshot of the length keeps concurrent appends out of this page.
    let len = file
        .metadata()
        .map_err(|e| AuditError::io("inspect audit log", path, e))?
        .len();
    let read_err = |e| AuditError::io("read audit log", path, e);
    let mut pager = Pager::new(filter, page);
    if page.newest_first {
        let mut lines = ReverseLines::new(&file, len, 64 * 1024, MAX_LINE_LEN).map_err(read_err)?;
        while let Some(at) = lines.next_line().map_err(read_err)? {
            if pager.offer(at)? {
                return Ok(pager.result(false));
            }
        }
    } else {
        let mut lines = ForwardLines::new(file.take(len), MAX_LINE_LEN);
        while let Some(at) = lines.next_line().map_err(read_err)? {
            if pager.offer(at)? {
                return Ok(pager.result(false));
            }
        }
    }
    Ok(pager.result(true))
}

struct Pager<'f> {
    raw: RawFilter<'f>,
    page: Page,
    matched: u64,
    entries: Vec<AuditEntry>,
    skipped: u64,
    has_more: bool,
}

impl<'f> Pager<'f> {
    fn new(filter: &'f Filter, page: Page) -> Self {
        Pager {
            raw: RawFilter::new(filter),
            page,
            matched: 0,
            entries: Vec::with_capacity(page.limit.min(1024)),
            skipped: 0,
            has_more: false,
        }
    }

    /// Considers one line; true when the page is full and a further match was seen.
    fn offer(&mut self, at: At<'_>) -> Result<bool> {
        let Line::Text { bytes, .. } = at.line else {
            self.skipped += 1;
            return Ok(false);
        };
        let Ok(raw) = parse_line(bytes) else {
            self.skipped += 1;
            return Ok(false);
        };
        if !self.raw.may_match(&raw) {
            return Ok(false);
        }
        let wanted_end = self.page.offset.saturating_add(self.page.limit) as u64;
        if self.raw.exact && (self.matched < self.page.offset as u64 || self.matched >= wanted_end)
        {
            // Outside the page and the raw checks were the whole filter: no need to decode.
            self.matched += 1;
            self.has_more = self.matched > wanted_end;
            return Ok(self.has_more);
        }
        let entry: AuditEntry = match serde_json::from_slice(bytes) {
            Ok(e) => e,
            Err(_) => {
                self.skipped += 1;
                return Ok(false);
            }
        };
        if !self.raw.filter.matches(&entry) {
            return Ok(false);
        }
        self.matched += 1;
        if self.matched > wanted_end {
            self.has_more = true;
            return Ok(true);
        }
        if self.matched > self.page.offset as u64 {
            self.entries.push(entry);
        }
        Ok(false)
    }

    fn result(self, scanned_all: bool) -> PageResult {
        PageResult {
            entries: self.entries,
            total_matched: scanned_all.then_some(self.matched),
            has_more: self.has_more,
            skipped_lines: self.skipped,
        }
    }
}
