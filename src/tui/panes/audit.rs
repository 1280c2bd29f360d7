//! The audit browser: one log or all of them, newest first, filtered by type, outcome and
//! text, one page at a time through the audit module's query API (never a whole log in
//! memory), with an entry detail view and the chain verification status in the title.
//!
//! Pages are addressed by a cursor (per log, how many matches precede the page) so "all
//! logs" merges the logs by time without reading any of them whole; a stack of cursors makes
//! paging back exact. Every request carries a generation so a slow answer for an old filter
//! never overwrites a newer one.
//!
//! `T` edits the time filter (timefilter.rs: the CLI's `--since/--until` syntax plus `15m`,
//! `2h`, `1d`, `1w`); a bad one stays in the input with its message in the title. `e`
//! exports what is browsed, all pages with every filter, to a file the worker writes
//! (audit_export.rs); the pane only asks for it.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{Component, Handled, KeyHelp, TextInput, clip, fit_columns, pane_block};
use crate::audit::{EntryKind, Outcome};
use crate::tui::audit_export::{ExportFormat, ExportRequest};
use crate::tui::event::{
    AuditFilter, AuditPageData, AuditPageRequest, AuditSource, BrowsedEntry, ChainStatus, Intent,
    PageCursor,
};
use crate::tui::style::Styles;
use crate::tui::timefilter::parse_range;

/// Entries per page.
pub const PAGE_SIZE: usize = 200;

#[derive(Debug, Clone)]
pub struct AuditPane {
    pub source: AuditSource,
    pub filter: AuditFilter,
    pub text_input: TextInput,
    pub editing_text: bool,
    pub entries: Vec<BrowsedEntry>,
    /// Cursors of the pages before the current one, and of the current one.
    pub back: Vec<PageCursor>,
    pub current: PageCursor,
    pub next: Option<PageCursor>,
    pub selected: usize,
    pub generation: u64,
    pub loading: bool,
    pub error: Option<String>,
    pub chain: ChainStatus,
    pub detail: bool,
    pub page_size: usize,
    pub time_input: TextInput,
    pub editing_time: bool,
    /// Why the typed time filter was refused (shown until it is fixed or abandoned).
    pub time_error: Option<String>,
    pub export_input: TextInput,
    pub editing_export: bool,
}

impl Default for AuditPane {
    fn default() -> Self {
        AuditPane {
            source: AuditSource::All,
            filter: AuditFilter::default(),
            text_input: TextInput::default(),
            editing_text: false,
            entries: Vec::new(),
            back: Vec::new(),
            current: Vec::new(),
            next: None,
            selected: 0,
            generation: 0,
            loading: false,
            error: None,
            chain: ChainStatus::Unknown,
            detail: false,
            page_size: PAGE_SIZE,
            time_input: TextInput::default(),
            editing_time: false,
            time_error: None,
            export_input: TextInput::default(),
            editing_export: false,
        }
    }
}

const KEYS: &[KeyHelp] = &[
    ("↑/↓ j/k", "move the selection"),
    ("PgDn / PgUp", "next (older) / previous (newer) page"),
    ("Enter", "entry detail (Esc closes)"),
    ("t", "cycle the type filter (any, command, violation, …)"),
    (
        "o",
        "cycle the outcome filter (any, success, error, blocked)",
    ),
    ("/", "text filter (Enter applies, Esc clears)"),
    (
        "T",
        "time filter: 15m 2h 1d 1w, YYYY-MM-DD, RFC 3339, SINCE..UNTIL (empty clears)",
    ),
    (
        "e",
        "export all pages with the filters: JSON lines, CSV for a .csv name",
    ),
    ("A", "browse all logs"),
    ("v", "verify the chain again"),
    ("r", "reload the first page"),
];

fn cycle<T: Copy + PartialEq>(current: Option<T>, all: &[T]) -> Option<T> {
    match current {
        None => all.first().copied(),
        Some(c) => all
            .iter()
            .position(|x| *x == c)
            .and_then(|i| all.get(i + 1))
            .copied(),
    }
}

impl AuditPane {
    /// Shows `source` from its newest entry and verifies its chain.
    pub fn open(&mut self, source: AuditSource, out: &mut Vec<Intent>) {
        self.source = source;
        self.detail = false;
        self.reload(out);
        self.verify(out);
    }

    /// Shows the entry `seq` of `log` (an alert's entry) with no filter.
    pub fn jump(&mut self, label: String, log: PathBuf, seq: u64, out: &mut Vec<Intent>) {
        self.source = AuditSource::Log {
            label,
            path: log.clone(),
        };
        self.filter = AuditFilter::default();
        self.text_input = TextInput::default();
        self.detail = false;
        self.request(Vec::new(), Vec::new(), Some((log, seq)), out);
        self.verify(out);
    }

    /// Back to the first page with the current source and filter.
    pub fn reload(&mut self, out: &mut Vec<Intent>) {
        self.request(Vec::new(), Vec::new(), None, out);
    }

    pub fn verify(&mut self, out: &mut Vec<Intent>) {
        self.chain = ChainStatus::Verifying;
        out.push(Intent::Verify {
            generation: self.generation,
            source: self.source.clone(),
        });
    }

    fn request(
        &mut self,
        back: Vec<PageCursor>,
        cursor: PageCursor,
        select_seq: Option<(PathBuf, u64)>,
        out: &mut Vec<Intent>,
    ) {
        self.generation += 1;
        self.back = back;
        self.current = cursor.clone();
        self.loading = true;
        out.push(Intent::LoadAuditPage(AuditPageRequest {
            generation: self.generation,
            source: self.source.clone(),
            filter: self.filter.clone(),
            cursor,
            limit: self.page_size,
            select_seq,
        }));
    }

    /// An answer arrived; stale generations are ignored.
    pub fn set_page(
        &mut self,
        generation: u64,
        result: Result<AuditPageData, String>,
        select_seq: Option<(PathBuf, u64)>,
    ) {
        if generation != self.generation {
            return;
        }
        self.loading = false;
        match result {
            Ok(page) => {
                self.selected = select_seq
                    .and_then(|(log, seq)| {
                        page.entries
                            .iter()
                            .position(|e| e.log == log && e.entry.seq == seq)
                    })
                    .unwrap_or(0);
                if self.selected > 0 || page.entries.is_empty() {
                    self.detail = false;
                }
                self.entries = page.entries;
                self.next = page.next;
                self.error = None;
            }
            Err(e) => {
                self.entries.clear();
                self.next = None;
                self.error = Some(e);
            }
        }
    }

    pub fn set_chain(&mut self, generation: u64, status: ChainStatus) {
        // A verification belongs to the source of its generation; a later source change
        // started a new one.
        if generation <= self.generation {
            self.chain = status;
        }
    }

    fn next_page(&mut self, out: &mut Vec<Intent>) {
        if let Some(next) = self.next.clone() {
            let mut back = std::mem::take(&mut self.back);
            back.push(self.current.clone());
            self.request(back, next, None, out);
        }
    }

    fn prev_page(&mut self, out: &mut Vec<Intent>) {
        let mut back = std::mem::take(&mut self.back);
        if let Some(prev) = back.pop() {
            self.request(back, prev, None, out);
        } else {
            self.back = back;
        }
    }

    pub fn page_number(&self) -> usize {
        self.back.len() + 1
    }

    /// The name `e` proposes: `lasso-audit-<log>-<UTC time>.jsonl` in the current directory.
    pub fn default_export_name(&self, now: DateTime<Utc>) -> String {
        let label: String = match &self.source {
            AuditSource::All => "all".into(),
            AuditSource::Log { label, .. } => label
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect(),
        };
        format!("lasso-audit-{label}-{}.jsonl", now.format("%Y%m%dT%H%M%SZ"))
    }

    fn time_key(&mut self, key: KeyEvent, out: &mut Vec<Intent>) {
        match key.code {
            KeyCode::Enter => match parse_range(&self.time_input.value, Utc::now()) {
                Ok((since, until)) => {
                    self.editing_time = false;
                    self.time_error = None;
                    self.filter.since = since;
                    self.filter.until = until;
                    self.filter.time_text = self.time_input.value.trim().to_string();
                    self.reload(out);
                }
                Err(e) => self.time_error = Some(e),
            },
            KeyCode::Esc => {
                self.editing_time = false;
                self.time_error = None;
            }
            _ => {
                self.time_input.edit(key);
            }
        }
    }

    fn export_key(&mut self, key: KeyEvent, out: &mut Vec<Intent>) {
        match key.code {
            KeyCode::Enter => {
                let path = PathBuf::from(self.export_input.value.trim());
                if path.as_os_str().is_empty() {
                    return;
                }
                self.editing_export = false;
                out.push(Intent::ExportAudit(ExportRequest {
                    source: self.source.clone(),
                    filter: self.filter.clone(),
                    format: ExportFormat::for_path(&path),
                    path,
                }));
            }
            KeyCode::Esc => self.editing_export = false,
            _ => {
                self.export_input.edit(key);
            }
        }
    }
}

impl Component for AuditPane {
    fn captures_input(&self) -> bool {
        self.editing_text || self.editing_time || self.editing_export
    }

    fn handle_key(&mut self, key: KeyEvent, out: &mut Vec<Intent>) -> Handled {
        if self.editing_time {
            self.time_key(key, out);
            return Handled::Yes;
        }
        if self.editing_export {
            self.export_key(key, out);
            return Handled::Yes;
        }
        if self.editing_text {
            match key.code {
                KeyCode::Enter => {
                    self.editing_text = false;
                    self.filter.text = self.text_input.value.clone();
                    self.reload(out);
                }
                KeyCode::Esc => {
                    self.editing_text = false;
                    self.text_input.value.clear();
                    if !self.filter.text.is_empty() {
                        self.filter.text.clear();
                        self.reload(out);
                    }
                }
                _ => {
                    self.text_input.edit(key);
                }
            }
            return Handled::Yes;
        }
        if self.detail {
            match key.code {
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => self.detail = false,
                _ => return Handled::No,
            }
            return Handled::Yes;
        }
        let n = self.entries.len();
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => {
                if n > 0 {
                    self.selected = (self.selected + 1).min(n - 1);
                }
            }
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::PageDown => self.next_page(out),
            KeyCode::PageUp => self.prev_page(out),
            KeyCode::Enter => self.detail = n > 0,
            KeyCode::Char('t') => {
                self.filter.kind = cycle(self.filter.kind, &EntryKind::ALL);
                self.reload(out);
            }
            KeyCode::Char('o') => {
                self.filter.outcome = cycle(self.filter.outcome, &Outcome::ALL);
                self.reload(out);
            }
            KeyCode::Char('/') => {
                self.editing_text = true;
                self.text_input.value = self.filter.text.clone();
            }
            KeyCode::Char('T') => {
                self.editing_time = true;
                self.time_error = None;
                self.time_input.value = self.filter.time_text.clone();
            }
            KeyCode::Char('e') => {
                self.editing_export = true;
                self.export_input.value = self.default_export_name(Utc::now());
            }
            KeyCode::Char('A') => self.open(AuditSource::All, out),
            KeyCode::Char('v') => self.verify(out),
            KeyCode::Char('r') => self.reload(out),
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn keys(&self) -> &'static [KeyHelp] {
        KEYS
    }

    fn hint(&self) -> &'static str {
        "Enter detail · t type · o outcome · / text · T time · e export · PgDn/PgUp · A all"
    }

    fn render(&self, f: &mut Frame, area: Rect, focused: bool, st: &Styles, _now: DateTime<Utc>) {
        let mut title = vec![
            Span::styled(" Audit ", st.title),
            Span::styled(format!("{} ", self.source.label()), st.accent),
        ];
        title.push(match &self.chain {
            ChainStatus::Unknown => Span::styled("chain ? ", st.muted),
            ChainStatus::Verifying => Span::styled("chain verifying… ", st.muted),
            ChainStatus::Valid { entries } => {
                Span::styled(format!("chain valid ({entries}) "), st.ok)
            }
            ChainStatus::Broken { at } => Span::styled(format!("CHAIN BROKEN at {at} "), st.danger),
            ChainStatus::Failed(e) => Span::styled(format!("chain unverifiable: {e} "), st.warn),
        });
        let mut filters = Vec::new();
        if let Some(k) = self.filter.kind {
            filters.push(format!("type={k}"));
        }
        if let Some(o) = self.filter.outcome {
            filters.push(format!("outcome={o}"));
        }
        if self.editing_text {
            filters.push(format!("/{}▏", self.text_input.value));
        } else if !self.filter.text.is_empty() {
            filters.push(format!("/{}", self.filter.text));
        }
        if !self.filter.time_text.is_empty() {
            filters.push(format!("time {}", self.filter.time_text));
        }
        let filters = filters.join(" ");
        if !filters.is_empty() {
            title.push(Span::styled(format!("[{filters}] "), st.warn));
        }
        title.push(Span::styled(format!("p{} ", self.page_number()), st.muted));
        let block = pane_block(title, focused, st);

        // A prompt takes the pane's body while it is open: the title is too narrow for it.
        if self.editing_time || self.editing_export {
            let mut lines = if self.editing_time {
                vec![
                    Line::styled(
                        "Time filter (Enter applies, Esc cancels, empty clears):",
                        st.accent,
                    ),
                    Line::raw(format!("> {}▏", self.time_input.value)),
                ]
            } else {
                let what = match &self.source {
                    AuditSource::All => "all logs".to_string(),
                    AuditSource::Log { label, .. } => format!("the log of {label}"),
                };
                let filters = if filters.is_empty() {
                    "no filter".to_string()
                } else {
                    format!("filters {filters}")
                };
                vec![
                    Line::styled(
                        format!("Export every page of {what} ({filters}) to:"),
                        st.accent,
                    ),
                    Line::raw(format!("> {}▏", self.export_input.value)),
                    Line::styled(
                        "JSON lines (each entry as stored, still verifiable); a .csv name \
                         writes CSV. Never overwrites; the file is private (0600).",
                        st.muted,
                    ),
                ]
            };
            if self.editing_time {
                if let Some(e) = &self.time_error {
                    lines.push(Line::styled(e.clone(), st.danger));
                }
                lines.push(Line::styled(
                    "e.g. 15m · 2h · 1d · 1w · 2026-12-01 · 2026-12-01..2026-12-02 · RFC 3339",
                    st.muted,
                ));
            }
            f.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(block),
                area,
            );
            return;
        }

        if self.detail
            && let Some(e) = self.entries.get(self.selected)
        {
            let entry = &e.entry;
            let detail = serde_json::to_string_pretty(&entry.detail).unwrap_or_default();
            let mut lines = vec![
                Line::from(vec![
                    Span::styled("seq      ", st.muted),
                    Span::raw(entry.seq.to_string()),
                ]),
                Line::from(vec![
                    Span::styled("time     ", st.muted),
                    Span::raw(entry.ts.to_rfc3339()),
                ]),
                Line::from(vec![
                    Span::styled("type     ", st.muted),
                    Span::raw(entry.kind.as_str()),
                ]),
                Line::from(vec![
                    Span::styled("outcome  ", st.muted),
                    Span::styled(entry.outcome.as_str(), outcome_style(entry.outcome, st)),
                ]),
                Line::from(vec![
                    Span::styled("actor    ", st.muted),
                    Span::raw(entry.actor.clone()),
                ]),
                Line::from(vec![
                    Span::styled("action   ", st.muted),
                    Span::raw(entry.action.clone()),
                ]),
                Line::from(vec![
                    Span::styled("target   ", st.muted),
                    Span::raw(entry.target.clone()),
                ]),
                Line::from(vec![
                    Span::styled("sandbox  ", st.muted),
                    Span::raw(entry.sandbox_id.clone().unwrap_or_else(|| "-".into())),
                ]),
                Line::from(vec![
                    Span::styled("log      ", st.muted),
                    Span::raw(e.log.display().to_string()),
                ]),
                Line::from(vec![
                    Span::styled("sig      ", st.muted),
                    Span::raw(entry.sig.clone()),
                ]),
                Line::styled("detail", st.muted),
            ];
            lines.extend(detail.lines().map(|l| Line::raw(l.to_string())));
            f.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(block),
                area,
            );
            return;
        }
        if let Some(err) = &self.error {
            f.render_widget(
                Paragraph::new(vec![
                    Line::styled("Cannot read the audit log:", st.danger),
                    Line::raw(err.clone()),
                ])
                .wrap(Wrap { trim: true })
                .block(block),
                area,
            );
            return;
        }
        if self.entries.is_empty() {
            let msg = if self.loading {
                "Loading…"
            } else {
                "No entries match."
            };
            f.render_widget(
                Paragraph::new(Line::styled(msg, st.muted)).block(block),
                area,
            );
            return;
        }
        let rows: Vec<Row> = self
            .entries
            .iter()
            .map(|e| {
                let en = &e.entry;
                Row::new(vec![
                    Cell::from(Span::styled(
                        en.ts.format("%m-%d %H:%M:%S").to_string(),
                        st.muted,
                    )),
                    Cell::from(en.seq.to_string()),
                    Cell::from(en.kind.as_str()),
                    Cell::from(Span::styled(
                        en.outcome.as_str(),
                        outcome_style(en.outcome, st),
                    )),
                    Cell::from(clip(&en.actor, 12)),
                    Cell::from(format!("{} {}", en.action, clip(&en.target, 60))),
                ])
            })
            .collect();
        let widths = fit_columns(area.width.saturating_sub(2), &[14, 6, 9, 7, 12, 10], 5, 1);
        let table = Table::new(rows, widths)
            .header(Row::new(["TIME", "SEQ", "TYPE", "OUTCOME", "ACTOR", "WHAT"]).style(st.muted))
            .block(block)
            .row_highlight_style(if focused {
                st.selected
            } else {
                Style::default()
            });
        let mut state = TableState::default().with_selected(Some(self.selected));
        f.render_stateful_widget(table, area, &mut state);
    }
}

fn outcome_style(o: Outcome, st: &Styles) -> Style {
    match o {
        Outcome::Success => st.ok,
        Outcome::Error => st.warn,
        Outcome::Blocked => st.danger,
    }
}
