//! The messages of the TUI: [`Intent`]s the UI asks for (engine work, never done inline) and
//! [`AppEvent`]s background tasks report back with. One enum each, so the loop is a plain
//! `match` and the key tests can assert exactly what a key asked for.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::panes::terminal::TabHandle;
use crate::audit::{AuditEntry, EntryKind, Outcome};
use crate::config::{Isolation, ProfileInfo};
use crate::sandbox::{CheckReport, SandboxInfo, SessionKind, TermSize};

/// Which log(s) the audit browser shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditSource {
    /// Every log in `LASSO_HOME/audit` (and the logs of listed sandboxes), merged newest first.
    All,
    /// One log; `label` is the sandbox's name (or `system`).
    Log { label: String, path: PathBuf },
}

impl AuditSource {
    pub fn label(&self) -> &str {
        match self {
            AuditSource::All => "all logs",
            AuditSource::Log { label, .. } => label,
        }
    }
}

/// The audit browser's filter (empty = any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub kind: Option<EntryKind>,
    pub outcome: Option<Outcome>,
    pub text: String,
    /// Entries at or after this time (`T`, see timefilter.rs).
    pub since: Option<DateTime<Utc>>,
    /// Entries strictly before this time.
    pub until: Option<DateTime<Utc>>,
    /// The time filter as typed (`2h`, `2026-12-01..2026-12-02`), for the title.
    pub time_text: String,
}

/// Where a page starts: per log, how many matches (newest first) come before it.
pub type PageCursor = Vec<(PathBuf, usize)>;

/// A request for one page of the audit browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPageRequest {
    /// Increases with every request; stale answers are dropped.
    pub generation: u64,
    pub source: AuditSource,
    pub filter: AuditFilter,
    pub cursor: PageCursor,
    pub limit: usize,
    /// Select the entry of this log with this seq once the page arrives (alert jump).
    pub select_seq: Option<(PathBuf, u64)>,
}

/// One entry as the browser lists it, with the log it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct BrowsedEntry {
    pub log: PathBuf,
    pub entry: AuditEntry,
}

/// One page of the audit browser.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditPageData {
    pub entries: Vec<BrowsedEntry>,
    /// Cursor of the page after this one, when there is one.
    pub next: Option<PageCursor>,
}

/// The chain verification of the browsed source, summarised for the title bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainStatus {
    Unknown,
    Verifying,
    Valid {
        entries: u64,
    },
    /// The first problem (with its seq when known).
    Broken {
        at: String,
    },
    Failed(String),
}

/// A policy violation or guard denial seen in an audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub ts: DateTime<Utc>,
    pub sandbox_id: String,
    /// `violation` (the command gate) or `exec` (the in-sandbox guard).
    pub kind: EntryKind,
    pub command: String,
    pub rule: String,
    pub reason: String,
    pub log: PathBuf,
    pub seq: u64,
}

/// The engine connection as the status bar shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Connected {
        runtime: String,
    },
    /// The last call failed; the poller retries after `retry_secs`.
    Down {
        error: String,
        retry_secs: u64,
    },
}

/// What the create dialog submits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateForm {
    pub profile: String,
    pub working_dir: PathBuf,
    pub name: Option<String>,
    pub isolation: Isolation,
}

/// Work the UI asks for. Engine and file work runs in tasks; the answers come back as
/// [`AppEvent`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    Quit,
    /// Refresh the sandbox list (and ingest spools, tail audit logs) now.
    Refresh,
    /// Stop a sandbox (the service stops and removes the container; its audit log stays).
    Stop {
        id: String,
        name: String,
    },
    /// Remove a sandbox that is not running (same service call as stop).
    Remove {
        id: String,
        name: String,
    },
    Create(CreateForm),
    /// Restart a sandbox (same id, name, audit log, working dir, mode; see `sandbox/restart.rs`).
    Restart {
        id: String,
        name: String,
    },
    /// Sample CPU and memory of these sandboxes (the running ones on screen) every second,
    /// replacing the previous set; empty stops sampling.
    SampleStats(Vec<SandboxInfo>),
    /// Load the profiles for the create dialog.
    LoadProfiles,
    LoadAuditPage(AuditPageRequest),
    Verify {
        generation: u64,
        source: AuditSource,
    },
    RunCheck,
    /// File work of the profile editor.
    Profile(super::panes::profiles::msg::ProfileRequest),
    /// Show the audit of this sandbox in the browser and focus it.
    OpenAudit {
        label: String,
        path: PathBuf,
    },
    /// Jump to an audit entry (from the alerts pane).
    JumpToEntry {
        log: PathBuf,
        seq: u64,
        label: String,
    },
    /// Export the browsed log(s) with the current filter (`e` in the audit browser).
    ExportAudit(super::audit_export::ExportRequest),
    /// Open a terminal session (a tab of the terminal pane) in a sandbox, sized `size`.
    OpenTerminal {
        id: String,
        name: String,
        kind: SessionKind,
        size: TermSize,
    },
}

/// CPU and memory of one sandbox, from the engine's one-shot stats.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SandboxStats {
    /// Percent of one core since the previous sample; `None` until there are two.
    pub cpu_percent: Option<f64>,
    pub memory_bytes: u64,
}

/// What background tasks report back.
#[derive(Debug, Clone)]
pub enum AppEvent {
    Sandboxes(Vec<SandboxInfo>),
    /// The latest samples of the sandboxes being sampled, by sandbox id (replaces the last).
    Stats(std::collections::HashMap<String, SandboxStats>),
    Connection(Connection),
    /// New alerts and the current blocked count per sandbox id.
    Alerts {
        new: Vec<Alert>,
        blocked: Vec<(String, u64)>,
    },
    AuditPage {
        generation: u64,
        result: Result<AuditPageData, String>,
        select_seq: Option<(PathBuf, u64)>,
    },
    Verified {
        generation: u64,
        status: ChainStatus,
    },
    Check(CheckReport),
    Profiles(Result<Vec<ProfileInfo>, String>),
    /// An action finished: a message for the status bar (`Err` shown as an error).
    Done(Result<String, String>),
    /// The profile editor's file work finished.
    Profile(Box<super::panes::profiles::msg::ProfileEvent>),
    /// A core event from the service's bus (this process).
    Core(crate::sandbox::Event),
    /// A terminal session opened (its reader task runs) or could not be opened.
    TerminalOpened {
        /// "REPL in agent-001", for messages.
        what: String,
        result: Result<TabHandle, String>,
    },
    /// A terminal tab has new output (sent at most once per frame per tab).
    TerminalOutput,
}
