//! Errors of the audit module. Each message names the file and what to do about it, because
//! the people reading them are operators deciding whether a log can still be trusted.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while keying, writing, verifying or reading audit logs.
///
/// Note that a log that *fails verification* is not an error: [`crate::audit::verify()`]
/// returns a report describing the problem. Errors are for what stops the operation itself.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A file system operation failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The key file may be read by other users.
    #[error(
        "audit key {} has mode {mode:04o}, which lets other users read it; run `chmod 600 {}` \
         (and treat the key as exposed if others could have copied it)",
        path.display(), path.display()
    )]
    KeyInsecure { path: PathBuf, mode: u32 },

    /// The key file is not a 64-hex-digit key.
    #[error(
        "audit key {} is malformed: {reason}. It must hold exactly 64 hex digits (32 bytes) and \
         an optional newline; restore it from a backup (a new key cannot verify logs signed \
         with the old one)",
        path.display()
    )]
    KeyMalformed { path: PathBuf, reason: String },

    /// A sandbox id that cannot be used as a log file name.
    #[error("sandbox id {id:?} cannot name an audit log: {reason}")]
    InvalidSandboxId { id: String, reason: &'static str },

    /// The serialised entry is longer than [`crate::audit::MAX_LINE_LEN`].
    #[error(
        "audit entry for action {action:?} would be {len} bytes, over the {max} byte limit; \
         shorten its target or detail (for example truncate command output) before auditing it",
        max = crate::audit::MAX_LINE_LEN
    )]
    EntryTooLarge { action: String, len: usize },

    /// `detail` nests deeper than [`crate::audit::MAX_DETAIL_DEPTH`].
    #[error(
        "audit entry for action {action:?} has a detail nested deeper than {max} levels; \
         flatten it",
        max = crate::audit::MAX_DETAIL_DEPTH
    )]
    DetailTooDeep { action: String },

    /// The writer found the log in a state only tampering produces and refuses to extend it,
    /// because appending would overwrite the evidence (the seal) or chain onto a forgery.
    #[error(
        "refusing to append to audit log {}: {reason}. Run `lasso audit verify {}` and \
         investigate before writing to this log again",
        path.display(), path.display()
    )]
    Tampered { path: PathBuf, reason: String },

    /// The log was sealed with another key than the one in use.
    #[error(
        "audit log {} was sealed with audit key {seal_key_id}, but the key in use is \
         {key_id}: the audit key was replaced, or LASSO_HOME points at another installation's \
         key; use the key that wrote the log",
        path.display()
    )]
    WrongKey {
        path: PathBuf,
        seal_key_id: String,
        key_id: String,
    },

    /// The seal exists but the log it seals does not.
    #[error(
        "audit log {} is missing although its seal {}.seal exists: the log was deleted. Keep \
         the seal as evidence; lasso will not start a new log under this name",
        path.display(), path.display()
    )]
    LogMissing { path: PathBuf },

    /// A log that the directory index already records is being started again from scratch.
    #[error(
        "audit log {} is recorded in {} but now has no entries: it was deleted or emptied. \
         lasso will not start it again; keep the directory as evidence (moving the whole audit \
         directory aside is the deliberate way to start over)",
        path.display(), index.display()
    )]
    AlreadyIndexed { path: PathBuf, index: PathBuf },

    /// Neither the log nor its seal exists.
    #[error("no audit log at {} (and no seal): check the path or the sandbox id", path.display())]
    NotFound { path: PathBuf },

    /// The operating system's random number generator failed.
    #[error("cannot generate a new audit key: the system random number generator failed: {0}")]
    Random(String),

    /// Writing an export to its destination failed.
    #[error("cannot write the audit export: {0}")]
    Export(#[source] io::Error),

    /// An entry could not be encoded as JSON.
    #[error("cannot encode audit entry as JSON: {0}")]
    Encode(#[from] serde_json::Error),
}

impl AuditError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        AuditError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
