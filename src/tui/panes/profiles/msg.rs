//! The profile editor's requests to the worker and the worker's answers. The pane never
//! touches files: every read, check and write is one of these, done on the blocking pool by
//! `tui::profile_work` through the `ProfileStore` (which archives a version on every write).

use std::path::PathBuf;

use crate::config::{HistoryEntry, Profile, ProfileSource, TextCheck};

/// File work the profile editor asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileRequest {
    /// Every profile on the search path and the built-ins.
    List,
    /// One profile's text, what it resolves to, and what it inherits.
    Open {
        name: String,
    },
    /// `ProfileStore::check_text` of the edited text (answers with a stale generation are
    /// dropped).
    Check {
        generation: u64,
        name: String,
        text: String,
    },
    /// What a profile named `name` extending `extends` inherits (the dimmed values).
    Inherited {
        name: String,
        extends: Option<String>,
    },
    /// Save through the store (the replaced version is archived).
    Save {
        name: String,
        text: String,
    },
    History {
        name: String,
    },
    Rollback {
        name: String,
        version: u32,
    },
    Delete {
        name: String,
    },
}

/// Where a listed profile lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Builtin,
    /// `LASSO_HOME/profiles`: the only kind the editor writes.
    User,
    /// `<project>/.lasso/profiles`.
    Project,
    /// A `LASSO_PROFILE_DIR` entry (a team's shared directory).
    Team,
}

impl SourceKind {
    pub fn label(self) -> &'static str {
        match self {
            SourceKind::Builtin => "builtin",
            SourceKind::User => "user",
            SourceKind::Project => "project",
            SourceKind::Team => "team",
        }
    }

    /// Built-ins live in the binary; project and team files belong to someone else. The
    /// editor saves those under a new name (a user profile) instead.
    pub fn read_only(self) -> bool {
        self != SourceKind::User
    }
}

/// A row of the profile list.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileRow {
    pub name: String,
    pub kind: SourceKind,
    pub source: ProfileSource,
    pub extends: Option<String>,
    pub shadows: Option<ProfileSource>,
    pub description: String,
    /// Why it does not resolve, if it does not.
    pub problem: Option<String>,
}

/// A profile opened for editing.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenedProfile {
    pub name: String,
    pub kind: SourceKind,
    pub path: Option<PathBuf>,
    pub text: String,
    /// What the saved text resolves to (`None` when it does not).
    pub saved: Option<Profile>,
    /// What the profile inherits (JSON of the resolved parents), for unset fields.
    pub inherited: serde_json::Value,
}

/// One archived version with what changed when it was replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionRow {
    pub entry: HistoryEntry,
    /// `lasso profile diff`-style lines from this version to the one after it (the current
    /// file for the newest), or why it could not be resolved.
    pub changes: Vec<String>,
}

/// A profile's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryView {
    pub name: String,
    pub path: PathBuf,
    /// Newest first.
    pub versions: Vec<VersionRow>,
}

/// The worker's answers.
#[derive(Debug, Clone)]
pub enum ProfileEvent {
    Listed(Result<Vec<ProfileRow>, String>),
    Opened(Result<OpenedProfile, String>),
    Checked {
        generation: u64,
        check: TextCheck,
    },
    Inherited {
        extends: Option<String>,
        result: Result<serde_json::Value, String>,
    },
    History(Result<HistoryView, String>),
    /// A save, rollback or delete finished; `reopen` names the profile to show afterwards.
    Written {
        result: Result<String, String>,
        reopen: Option<String>,
    },
}
