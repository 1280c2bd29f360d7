//! `ConfigError`: every way a profile, an export or the settings file can be wrong.
//!
//! Each message names the file, the key path (`commands.mode`), the offending value as it was
//! written, and what would be accepted, because the people reading them are configuring a
//! security boundary and must be able to fix the file without reading lasso's source.
//! Positions (`file:line:column`) are given whenever the value can be traced to a source file.

use std::fmt;
use std::path::PathBuf;

/// A 1-based line and column in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    // u32 keeps `ConfigError` small (it is returned by value everywhere).
    pub line: u32,
    pub column: u32,
}

impl Location {
    /// Computes the 1-based line and column (in characters) of byte `offset` in `text`.
    pub fn of_offset(text: &str, offset: usize) -> Location {
        let mut offset = offset.min(text.len());
        while offset > 0 && !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Location {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }
}

/// `file` or `file:line:column`, the prefix of every file-related message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    pub location: Option<Location>,
}

impl Origin {
    pub fn file(file: impl Into<String>) -> Origin {
        Origin {
            file: file.into(),
            location: None,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Some(Location { line, column }) => write!(f, "{}:{line}:{column}", self.file),
            None => f.write_str(&self.file),
        }
    }
}

/// Errors from parsing, validating, resolving, storing and exchanging profiles and settings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file is not valid TOML.
    #[error("{origin}: TOML syntax error: {message}")]
    Syntax { origin: Origin, message: String },

    /// A key the schema does not have (typos are never ignored: an ignored key is a control
    /// the user believes is active but is not).
    #[error(
        "{origin}: unknown key {key}{}",
        unknown_key_hint(suggestion, expected)
    )]
    UnknownKey {
        origin: Origin,
        key: String,
        suggestion: Option<String>,
        expected: Vec<String>,
    },

    /// A value of the wrong type or outside what the key accepts.
    #[error("{origin}: {key} = {value} is not valid: {expected}")]
    InvalidValue {
        origin: Origin,
        key: String,
        value: String,
        expected: String,
    },

    /// A table key (an environment variable name, a program name) that is not accepted.
    #[error("{origin}: key {key} is not valid: {reason}")]
    InvalidKey {
        origin: Origin,
        key: String,
        reason: String,
    },

    /// Fields that are each valid but contradict each other in the resolved profile.
    #[error("{origin}: {key}: {message}")]
    Inconsistent {
        origin: Origin,
        key: String,
        message: String,
    },

    /// A schema error the TOML library could not attribute to a key.
    #[error("{origin}: {message}")]
    Schema { origin: Origin, message: String },

    /// `extends` leads back to a profile already in the chain.
    #[error("profile inheritance cycle: {} (remove one of these extends)", chain.join(" -> "))]
    Cycle { chain: Vec<String> },

    /// An `extends` chain longer than lasso follows.
    #[error("profile inheritance chain is longer than {limit}: {}", chain.join(" -> "))]
    ChainTooLong { chain: Vec<String>, limit: usize },

    /// No profile of that name on the search path.
    #[error(
        "profile {name:?} not found{}; searched {} and the built-in profiles ({})",
        referenced_by.as_ref().map(|r| format!(" (extends in {r})")).unwrap_or_default(),
        display_search_path(searched),
        builtins.join(", ")
    )]
    UnknownProfile {
        name: String,
        referenced_by: Option<String>,
        searched: Vec<PathBuf>,
        builtins: Vec<String>,
    },

    /// A user profile reusing a built-in's name without extending it.
    #[error(
        "{file}: name {name:?} is the name of a built-in profile; a profile may only use it if it \
         extends the built-in (add `extends = \"{name}\"`), otherwise choose another name"
    )]
    ShadowsBuiltin { file: String, name: String },

    /// A profile found as `<dir>/<name>.toml` whose `name` says otherwise.
    #[error(
        "{file}: name = {declared:?} does not match the file name; rename the file to \
         {declared}.toml or set name = {expected:?}"
    )]
    NameMismatch {
        file: String,
        declared: String,
        expected: String,
    },

    /// An export without its `[integrity]` table.
    #[error(
        "{file}: no [integrity] table with sha256; only files written by `lasso profile export` \
         can be imported (re-export the profile from its source)"
    )]
    IntegrityMissing { file: String },

    /// An export whose content does not match its recorded hash.
    #[error(
        "{file}: integrity check failed: integrity.sha256 = {recorded:?} but the profile content \
         hashes to {actual:?}; the file was modified or corrupted after export (re-export it from \
         its source)"
    )]
    IntegrityMismatch {
        file: String,
        recorded: String,
        actual: String,
    },

    /// A profile file that takes the name of a profile in a later search-path layer without
    /// extending it (a project directory replacing the user's or team's profile).
    #[error(
        "{file}: profile {name:?} shadows {shadowed} (a later entry of the search path) without \
         extending it; a profile that takes another's name must refine it: add \
         `extends = \"{name}\"` to {file}, or give it another name"
    )]
    ShadowsProfile {
        file: String,
        name: String,
        shadowed: String,
    },

    /// A signed export imported without the team key.
    #[error(
        "{file}: the profile is signed with team key {key_id}; pass --key FILE with that key to \
         verify and import it"
    )]
    SignatureRequired { file: String, key_id: String },

    /// `--key` given for an export that carries no signature.
    #[error(
        "{file}: --key was given but the export is not signed (no integrity.signature); refusing, \
         because a signed profile was expected: ask for an export made with `lasso profile export \
         --sign-key`, or import without --key if an unsigned profile is acceptable"
    )]
    SignatureUnexpected { file: String },

    /// The signature was made with another key than the one given.
    #[error(
        "{file}: signed with team key {signed_with}, but the key given has id {given}; use the \
         team key the profile was signed with"
    )]
    WrongKey {
        file: String,
        signed_with: String,
        given: String,
    },

    /// A signature that does not verify.
    #[error("{file}: signature check failed: {reason}")]
    BadSignature { file: String, reason: String },

    /// A team key file that cannot be used.
    #[error("team key {}: {reason}", path.display())]
    BadKey { path: PathBuf, reason: String },

    /// Writing, archiving or rolling back a built-in profile.
    #[error(
        "profile {name:?} is built in and read-only (built-ins have no history); save your \
         version under another name, e.g. with `extends = \"{name}\"`"
    )]
    BuiltinReadOnly { name: String },

    /// A version of a profile that is not in its history.
    #[error("profile {name:?} has no version {version} in its history ({available})")]
    UnknownVersion {
        name: String,
        version: String,
        available: String,
    },

    /// A profile whose resolved content no longer matches the project's lock file.
    #[error(
        "profile {name:?} does not match {}: locked sha256 {locked}, resolved sha256 {actual}; \
         review the change (`lasso profile diff`), then update the lock with \
         `lasso profile lock --dir {}`",
        lock.display(),
        project.display()
    )]
    LockMismatch {
        name: String,
        locked: String,
        actual: String,
        lock: Box<PathBuf>,
        project: Box<PathBuf>,
    },

    /// A profile pinned in the lock file that no longer resolves.
    #[error(
        "profile {name:?} is pinned in {} but no longer resolves: {reason}; restore it, or \
         remove it from the lock with `lasso profile lock --dir DIR` after fixing the project",
        lock.display()
    )]
    LockUnresolvable {
        name: String,
        lock: PathBuf,
        reason: String,
    },

    /// A file lasso would write already exists.
    #[error("{} already exists; use --force to overwrite it", path.display())]
    AlreadyExists { path: PathBuf },

    /// A file-system operation failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// An environment variable lasso reads holds an unusable value.
    #[error("environment variable {name} = {value:?} is not valid: {expected}")]
    InvalidEnv {
        name: String,
        value: String,
        expected: String,
    },

    /// Neither `LASSO_HOME` nor `HOME` says where lasso keeps its state.
    #[error("cannot find the lasso home directory: set LASSO_HOME (or HOME) to an absolute path")]
    NoHome,

    /// The lasso home directory (which holds the audit key) is writable by other users.
    #[error(
        "{} is writable by group or others (mode {mode:o}); it holds the audit key and profiles: \
         run `chmod 700 {}`",
        path.display(),
        path.display()
    )]
    InsecureHome { path: PathBuf, mode: u32 },
}

impl ConfigError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        ConfigError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

impl ConfigError {
    /// Where in a file the error is, for the errors that point into one.
    pub fn origin(&self) -> Option<&Origin> {
        match self {
            ConfigError::Syntax { origin, .. }
            | ConfigError::UnknownKey { origin, .. }
            | ConfigError::InvalidValue { origin, .. }
            | ConfigError::InvalidKey { origin, .. }
            | ConfigError::Inconsistent { origin, .. }
            | ConfigError::Schema { origin, .. } => Some(origin),
            _ => None,
        }
    }

    /// The key path the error is about (`resources.memory`), when it is about one.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::UnknownKey { key, .. }
            | ConfigError::InvalidValue { key, .. }
            | ConfigError::InvalidKey { key, .. }
            | ConfigError::Inconsistent { key, .. } => Some(key),
            ConfigError::NameMismatch { .. } => Some("name"),
            _ => None,
        }
    }
}

fn unknown_key_hint(suggestion: &Option<String>, expected: &[String]) -> String {
    match suggestion {
        Some(s) => format!(" (did you mean {s}?)"),
        None if expected.is_empty() => " (this table takes no keys)".to_string(),
        None => format!(" (expected one of {})", expected.join(", ")),
    }
}

fn display_search_path(dirs: &[PathBuf]) -> String {
    if dirs.is_empty() {
        return "no profile directories".to_string();
    }
    dirs.iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The closest candidate to `word` by edit distance, when close enough to be a likely typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

/// Edit distance counting an adjacent transposition as one edit (optimal string alignment),
/// since swapped letters are the most common typo in key names.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = best;
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_counts_lines_and_characters() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(
            Location::of_offset(text, 0),
            Location { line: 1, column: 1 }
        );
        let off = text.find("= 2").unwrap_or(0);
        assert_eq!(
            Location::of_offset(text, off),
            Location { line: 2, column: 4 }
        );
        // Past the end clamps instead of panicking.
        assert_eq!(Location::of_offset(text, 999).line, 3);
    }

    #[test]
    fn suggestions_only_for_close_words() {
        let keys = ["mode", "allowed_domains", "blocked_domains"];
        assert_eq!(
            suggest("alowed_domains", keys).as_deref(),
            Some("allowed_domains")
        );
        assert_eq!(suggest("zzz", keys), None);
        assert_eq!(suggest("mdoe", keys).as_deref(), Some("mode"));
    }

    #[test]
    fn error_stays_small() {
        // Returned by value from every function here: keep it under clippy's large-Err limit.
        assert!(std::mem::size_of::<ConfigError>() < 128);
    }

    #[test]
    fn messages_name_everything() {
        let e = ConfigError::InvalidValue {
            origin: Origin {
                file: "profiles/x.toml".into(),
                location: Some(Location { line: 3, column: 8 }),
            },
            key: "commands.mode".into(),
            value: "\"whitelst\"".into(),
            expected: "expected one of whitelist, blacklist".into(),
        };
        assert_eq!(
            e.to_string(),
            "profiles/x.toml:3:8: commands.mode = \"whitelst\" is not valid: expected one of \
             whitelist, blacklist"
        );
        let e = ConfigError::Cycle {
            chain: vec!["a".into(), "b".into(), "a".into()],
        };
        assert!(e.to_string().contains("a -> b -> a"));
    }
}
