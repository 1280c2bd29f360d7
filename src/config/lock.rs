//! The project lock file, `<project>/.lasso/profiles.lock`: the content hash (and, for
//! information, the source) of each profile the project pins.
//!
//! `lasso profile lock` writes it; `lasso create` refuses a pinned profile whose resolved
//! content hash differs, or that no longer resolves, so a change to a user's, a team
//! directory's or a built-in profile cannot silently change what a project's sandboxes
//! enforce. The hash is [`Profile::hash`](crate::config::Profile::hash) of the resolved
//! profile, so the lock pins the effective result of the whole `extends` chain. Profiles not
//! in the lock are not pinned. The check itself ([`ProfileLock::check`]) is pure; reading and
//! writing the file are separate.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::diag::parse_toml;
use super::error::ConfigError;

/// File name of the lock inside `<project>/.lasso/`.
pub const LOCK_FILE: &str = "profiles.lock";

/// `<project>/.lasso/profiles.lock`.
pub fn lock_path(project: &Path) -> PathBuf {
    project.join(".lasso").join(LOCK_FILE)
}

/// One pinned profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockEntry {
    /// SHA-256 of the resolved profile's canonical content.
    pub sha256: String,
    /// Where it resolved from when it was locked (`builtin` or a file path); informational.
    pub source: String,
}

/// The parsed lock file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileLock {
    #[serde(default)]
    pub profiles: BTreeMap<String, LockEntry>,
}

/// How a profile compares with the lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LockStatus {
    /// Not in the lock: not pinned.
    Unpinned,
    /// Pinned, and the resolved hash matches.
    Matches,
    /// Pinned, and the resolved hash differs.
    Mismatch { locked: String, actual: String },
    /// Pinned, but the profile no longer resolves.
    Unresolvable { locked: String, reason: String },
}

impl ProfileLock {
    /// Parses lock-file text (`file` names it in messages).
    pub fn parse(text: &str, file: &str) -> Result<ProfileLock, ConfigError> {
        parse_toml::<ProfileLock>(text, file).map(|(lock, _)| lock)
    }

    /// The lock of `project`, or `None` when it has none.
    pub fn load(project: &Path) -> Result<Option<ProfileLock>, ConfigError> {
        let path = lock_path(project);
        match fs::read_to_string(&path) {
            Ok(text) => ProfileLock::parse(&text, &path.display().to_string()).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ConfigError::io("read", path, e)),
        }
    }

    /// The file text: a header comment and one table per profile, sorted by name.
    pub fn render(&self) -> Result<String, ConfigError> {
        let body = toml::to_string(self).map_err(|e| ConfigError::Schema {
            origin: super::error::Origin::file(LOCK_FILE),
            message: format!("cannot write the lock file: {e}"),
        })?;
        Ok(format!(
            "# Written by `lasso profile lock`: the resolved content hash of each profile this\n\
             # project pins. `lasso create` refuses a pinned profile whose hash differs.\n\
             # Update it with `lasso profile lock` after reviewing a change.\n\n{body}"
        ))
    }

    /// Writes the lock of `project` (through a temporary file and a rename).
    pub fn write(&self, project: &Path) -> Result<PathBuf, ConfigError> {
        let path = lock_path(project);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| ConfigError::io("create directory", dir, e))?;
        }
        let text = self.render()?;
        let tmp = path.with_extension(format!("lock.tmp-{}", std::process::id()));
        let result = fs::write(&tmp, text)
            .and_then(|()| fs::rename(&tmp, &path))
            .map_err(|e| ConfigError::io("write", &path, e));
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.map(|()| path)
    }

    /// Compares profile `name`, resolved to `resolved` (its hash, or why it did not resolve),
    /// with the lock. Pure.
    pub fn status(&self, name: &str, resolved: Result<&str, &str>) -> LockStatus {
        let Some(entry) = self.profiles.get(name) else {
            return LockStatus::Unpinned;
        };
        match resolved {
            Ok(actual) if actual.eq_ignore_ascii_case(&entry.sha256) => LockStatus::Matches,
            Ok(actual) => LockStatus::Mismatch {
                locked: entry.sha256.clone(),
                actual: actual.to_string(),
            },
            Err(reason) => LockStatus::Unresolvable {
                locked: entry.sha256.clone(),
                reason: reason.to_string(),
            },
        }
    }

    /// [`ProfileLock::status`] as a result: `Err` names the profile, both hashes (or the
    /// reason it does not resolve), the lock file and how to update it.
    pub fn check(
        &self,
        project: &Path,
        name: &str,
        resolved: Result<&str, &str>,
    ) -> Result<(), ConfigError> {
        match self.status(name, resolved) {
            LockStatus::Unpinned | LockStatus::Matches => Ok(()),
            LockStatus::Mismatch { locked, actual } => Err(ConfigError::LockMismatch {
                name: name.to_string(),
                locked,
                actual,
                lock: Box::new(lock_path(project)),
                project: Box::new(project.to_path_buf()),
            }),
            LockStatus::Unresolvable { reason, .. } => Err(ConfigError::LockUnresolvable {
                name: name.to_string(),
                lock: lock_path(project),
                reason,
            }),
        }
    }
}

/// The create-time check: refuses profile `name` of `project` when the project's lock pins a
/// different hash than `resolved` (the resolved profile's hash, or why it did not resolve).
/// A project without a lock, or a profile it does not pin, passes.
pub fn check_project_lock(
    project: &Path,
    name: &str,
    resolved: Result<&str, &str>,
) -> Result<(), ConfigError> {
    match ProfileLock::load(project)? {
        Some(lock) => lock.check(project, name, resolved),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock() -> ProfileLock {
        let mut l = ProfileLock::default();
        l.profiles.insert(
            "strict".into(),
            LockEntry {
                sha256: "aa".repeat(32),
                source: "builtin".into(),
            },
        );
        l
    }

    #[test]
    fn status_is_pure_and_complete() {
        let l = lock();
        let good = "aa".repeat(32);
        assert_eq!(l.status("other", Ok("x")), LockStatus::Unpinned);
        assert_eq!(l.status("strict", Ok(&good)), LockStatus::Matches);
        assert_eq!(
            l.status("strict", Ok(&good.to_ascii_uppercase())),
            LockStatus::Matches
        );
        assert!(matches!(
            l.status("strict", Ok("bb")),
            LockStatus::Mismatch { .. }
        ));
        assert!(matches!(
            l.status("strict", Err("gone")),
            LockStatus::Unresolvable { .. }
        ));
    }

    #[test]
    fn mismatch_message_names_everything() {
        let l = lock();
        let project = Path::new("/proj");
        let m = l
            .check(project, "strict", Ok(&"bb".repeat(32)))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(
            m,
            format!(
                "profile \"strict\" does not match /proj/.lasso/profiles.lock: locked sha256 {}, \
                 resolved sha256 {}; review the change (`lasso profile diff`), then update the \
                 lock with `lasso profile lock --dir /proj`",
                "aa".repeat(32),
                "bb".repeat(32)
            )
        );
        let m = l
            .check(project, "strict", Err("profile \"strict\" not found"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(m.contains("is pinned in /proj/.lasso/profiles.lock but no longer resolves: profile \"strict\" not found"), "{m}");
    }

    #[test]
    fn round_trip_and_strict_schema() {
        let Ok(tmp) = tempfile::tempdir() else {
            panic!("tempdir")
        };
        assert_eq!(ProfileLock::load(tmp.path()).ok(), Some(None));
        assert!(check_project_lock(tmp.path(), "strict", Ok("zz")).is_ok());
        let path = lock().write(tmp.path()).map_err(|e| e.to_string());
        assert_eq!(path.as_deref().ok(), Some(lock_path(tmp.path()).as_path()));
        assert_eq!(ProfileLock::load(tmp.path()).ok(), Some(Some(lock())));
        assert!(check_project_lock(tmp.path(), "strict", Ok("zz")).is_err());
        let bad = ProfileLock::parse("[profiles.x]\nsha256 = \"a\"\nsorce = \"b\"\n", "l.lock");
        let m = bad.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            m.starts_with("l.lock:3:1: unknown key profiles.x.sorce"),
            "{m}"
        );
    }
}
