//! The service's one user-facing error type. Every variant says what went wrong and what
//! to do about it; lower layers' errors are wrapped with their own (already specific) text.

use thiserror::Error;

use crate::{
    audit::AuditError, config::ConfigError, policy::GateConfigError, runtime::RuntimeError,
};

#[derive(Debug, Error)]
pub enum SandboxError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("audit log: {0}")]
    Audit(#[from] AuditError),
    #[error("profile `{profile}` cannot be turned into a command gate: {source}")]
    Gate {
        profile: String,
        #[source]
        source: GateConfigError,
    },
    #[error("no sandbox matches `{0}` (run `lasso status` to list sandboxes)")]
    NotFound(String),
    #[error("`{query}` matches several sandboxes: {matches}; use a longer prefix or the name")]
    Ambiguous { query: String, matches: String },
    #[error("a sandbox named `{0}` already exists; choose another --name or stop it first")]
    NameTaken(String),
    #[error("invalid sandbox name `{name}`: {reason}")]
    InvalidName { name: String, reason: String },
    #[error("working directory {path}: {reason}")]
    WorkingDir { path: String, reason: String },
    #[error("isolation `{isolation}` cannot be used with this profile: {reason}")]
    Isolation { isolation: String, reason: String },
    #[error(
        "the sandbox failed its self-test and was removed: {0}. Nothing was left behind; \
         check `lasso check` and the engine's configuration"
    )]
    SelfTest(String),
    #[error("sandbox `{id}` cannot be used: {reason}")]
    Unusable { id: String, reason: String },
    #[error("sandbox `{id}` is not running (state: {state}); stop it with `lasso stop {id}`")]
    NotRunning { id: String, state: String },
    /// The sandbox's create (or restart) has not finished (state `creating`, see
    /// `creating.rs`); only stopping it is allowed meanwhile.
    #[error("sandbox {0} is still being created; try again in a moment")]
    Creating(String),
    /// A terminal session was refused by policy (a raw shell the profile does not permit);
    /// audited as `blocked`.
    #[error("terminal session refused: {0}")]
    SessionRefused(String),
    #[error("in-sandbox guard: {0}")]
    Guard(String),
    #[error("image: {0}")]
    Image(String),
    /// A file tool refused the path (outside the workspace, `..`, a symlink, a hidden path, a
    /// special file, too large); audited as `blocked`.
    #[error("file `{path}` refused: {reason}")]
    FileRefused { path: String, reason: String },
    /// A file tool could not do what was asked (an I/O error); audited as `error`.
    #[error("file `{path}`: {reason}")]
    FileFailed { path: String, reason: String },
    #[error("API keys: {0}")]
    ApiKeys(String),
    #[error("no audit log for `{query}`: {reason}")]
    NoAuditLog { query: String, reason: String },
    /// `restart` could not finish; `reason` says how far it got (whether the old sandbox
    /// still runs) and what to do.
    #[error("restarting sandbox `{name}` failed: {reason}")]
    RestartFailed { name: String, reason: String },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl SandboxError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> SandboxError {
        SandboxError::Io {
            context: context.into(),
            source,
        }
    }
}
