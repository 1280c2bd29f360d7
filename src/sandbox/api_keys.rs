//! REST API keys (`lasso api-key create|list|revoke`, checked by `lasso serve`).
//!
//! A key is `lasso_` followed by 64 hex digits (32 random bytes). It is shown once, when it is
//! created; `LASSO_HOME/api_keys` (mode 0600, written through a temporary file and a rename)
//! keeps only its SHA-256, its name and when it was made. A plain hash is enough because the
//! key carries 256 bits of randomness: there is nothing to brute-force that a slow hash would
//! protect. Checking a presented key hashes it and compares against *every* stored hash in
//! constant time, so neither the position of a match nor the length of a common prefix shows in
//! the time taken.
//!
//! Creating and revoking keys are audited in the system log by the service (see the methods on
//! [`SandboxService`]), with the caller as actor.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::SandboxError;
use super::service::SandboxService;
use crate::audit::{EntryDraft, EntryKind, Outcome};

/// Every key starts with this, so a leaked key is recognisable (secret scanners, logs).
pub const KEY_PREFIX: &str = "lasso_";
/// Longest key name accepted.
const MAX_NAME_LEN: usize = 64;

/// One stored key: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    pub name: String,
    /// Hex SHA-256 of the full key text.
    pub sha256: String,
    /// The first characters of the key (`lasso_1a2b`), to tell keys apart in a list.
    pub prefix: String,
    pub created_at: String,
}

/// `LASSO_HOME/api_keys`: a JSON array of [`ApiKeyRecord`].
#[derive(Debug, Clone)]
pub struct ApiKeyStore {
    path: PathBuf,
}

impl ApiKeyStore {
    pub fn at(path: impl Into<PathBuf>) -> ApiKeyStore {
        ApiKeyStore { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every stored key (none when the file does not exist yet).
    pub fn list(&self) -> Result<Vec<ApiKeyRecord>, SandboxError> {
        let text = match fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(SandboxError::io(
                    format!("reading {}", self.path.display()),
                    e,
                ));
            }
        };
        let mode = fs::metadata(&self.path)
            .map(|m| m.permissions().mode() & 0o777)
            .map_err(|e| SandboxError::io(format!("inspecting {}", self.path.display()), e))?;
        if mode & 0o077 != 0 {
            return Err(SandboxError::ApiKeys(format!(
                "{} is readable by other users (mode {mode:o}); run `chmod 600 {}`",
                self.path.display(),
                self.path.display()
            )));
        }
        serde_json::from_str(&text).map_err(|e| {
            SandboxError::ApiKeys(format!(
                "{} is damaged ({e}); restore it from a backup or remove it and create new keys",
                self.path.display()
            ))
        })
    }

    /// Makes a new key named `name`; returns the key text (shown once) and its record.
    pub fn create(&self, name: &str) -> Result<(String, ApiKeyRecord), SandboxError> {
        check_key_name(name)?;
        let mut keys = self.list()?;
        if keys.iter().any(|k| k.name == name) {
            return Err(SandboxError::ApiKeys(format!(
                "an API key named `{name}` already exists; revoke it first (`lasso api-key revoke {name}`) or choose another name"
            )));
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| {
            SandboxError::io(
                "generating an API key",
                std::io::Error::other(e.to_string()),
            )
        })?;
        let key = format!("{KEY_PREFIX}{}", hex::encode(bytes));
        let record = ApiKeyRecord {
            name: name.to_string(),
            sha256: hash_key(&key),
            prefix: key.chars().take(KEY_PREFIX.len() + 4).collect(),
            created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        };
        keys.push(record.clone());
        self.write(&keys)?;
        Ok((key, record))
    }

    /// Removes the key named `name`.
    pub fn revoke(&self, name: &str) -> Result<ApiKeyRecord, SandboxError> {
        let mut keys = self.list()?;
        let Some(pos) = keys.iter().position(|k| k.name == name) else {
            return Err(SandboxError::ApiKeys(format!(
                "no API key named `{name}` (see `lasso api-key list`)"
            )));
        };
        let removed = keys.remove(pos);
        self.write(&keys)?;
        Ok(removed)
    }

    fn write(&self, keys: &[ApiKeyRecord]) -> Result<(), SandboxError> {
        let text = serde_json::to_string_pretty(keys)
            .map_err(|e| SandboxError::ApiKeys(format!("cannot encode the key list: {e}")))?;
        let tmp = self
            .path
            .with_extension(format!("tmp-{}", std::process::id()));
        let written = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut f| {
                f.write_all(text.as_bytes())?;
                f.write_all(b"\n")?;
                f.sync_all()
            })
            .and_then(|()| fs::rename(&tmp, &self.path));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(SandboxError::io(
                format!("writing {}", self.path.display()),
                e,
            ));
        }
        Ok(())
    }
}

/// The keys in memory, for checking requests without touching the disk.
#[derive(Debug, Clone, Default)]
pub struct ApiKeySet {
    keys: Vec<ApiKeyRecord>,
}

impl ApiKeySet {
    pub fn new(keys: Vec<ApiKeyRecord>) -> ApiKeySet {
        ApiKeySet { keys }
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// The name of the key `presented` is, if any. Every stored hash is compared, in constant
    /// time, whatever matches.
    pub fn check(&self, presented: &str) -> Option<&str> {
        let digest = Sha256::digest(presented.as_bytes());
        let mut found = None;
        for k in &self.keys {
            let Ok(stored) = hex::decode(&k.sha256) else {
                continue;
            };
            if constant_time_eq(&stored, digest.as_slice()) {
                found = Some(k.name.as_str());
            }
        }
        found
    }
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    // Keeps the optimiser from turning the loop into an early-exit comparison.
    std::hint::black_box(diff) == 0
}

fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn check_key_name(name: &str) -> Result<(), SandboxError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(SandboxError::ApiKeys(format!(
            "invalid API key name {name:?}: use 1 to {MAX_NAME_LEN} letters, digits, '-', '_' or '.'"
        )))
    }
}

impl SandboxService {
    /// The key store of this `LASSO_HOME`.
    pub fn api_keys(&self) -> ApiKeyStore {
        ApiKeyStore::at(self.home().root().join("api_keys"))
    }

    /// Creates a key and records that in the system audit log (never the key itself).
    pub fn create_api_key(
        &self,
        name: &str,
        actor: &str,
    ) -> Result<(String, ApiKeyRecord), SandboxError> {
        let (key, record) = self.api_keys().create(name)?;
        let draft = EntryDraft::new(
            EntryKind::Auth,
            actor,
            "api-key-create",
            name,
            Outcome::Success,
        )
        .detail("prefix", record.prefix.clone());
        self.record(&self.system_log_path()?, draft)?;
        Ok((key, record))
    }

    /// Revokes a key and records that in the system audit log.
    pub fn revoke_api_key(&self, name: &str, actor: &str) -> Result<ApiKeyRecord, SandboxError> {
        let record = self.api_keys().revoke(name)?;
        let draft = EntryDraft::new(
            EntryKind::Auth,
            actor,
            "api-key-revoke",
            name,
            Outcome::Success,
        )
        .detail("prefix", record.prefix.clone());
        self.record(&self.system_log_path()?, draft)?;
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stored_hashed_private_and_checked() {
        let Ok(tmp) = tempfile::tempdir() else {
            panic!("tempdir")
        };
        let store = ApiKeyStore::at(tmp.path().join("api_keys"));
        assert_eq!(store.list().ok(), Some(Vec::new()));
        let Ok((key, rec)) = store.create("ci") else {
            panic!("create")
        };
        assert!(key.starts_with("lasso_") && key.len() == 6 + 64, "{key}");
        assert!(key.starts_with(&rec.prefix));
        let text = fs::read_to_string(store.path()).unwrap_or_default();
        assert!(
            !text.contains(&key[6..]),
            "the key itself must not be stored"
        );
        assert!(text.contains(&rec.sha256));
        let mode = fs::metadata(store.path()).map(|m| m.permissions().mode() & 0o777);
        assert_eq!(mode.ok(), Some(0o600));
        let Ok((key2, _)) = store.create("ops") else {
            panic!("create")
        };
        let set = ApiKeySet::new(store.list().unwrap_or_default());
        assert_eq!(set.check(&key), Some("ci"));
        assert_eq!(set.check(&key2), Some("ops"));
        assert_eq!(set.check("lasso_nope"), None);
        assert_eq!(set.check(""), None);
        let dup = store.create("ci").err().map(|e| e.to_string());
        assert!(dup.is_some_and(|m| m.contains("already exists")));
        assert_eq!(store.revoke("ci").map(|r| r.name).ok(), Some("ci".into()));
        let set = ApiKeySet::new(store.list().unwrap_or_default());
        assert_eq!(set.check(&key), None);
        assert_eq!(set.len(), 1);
        let missing = store.revoke("ci").err().map(|e| e.to_string());
        assert!(missing.is_some_and(|m| m.contains("no API key named `ci`")));
    }

    #[test]
    fn bad_names_and_readable_files_are_refused() {
        let Ok(tmp) = tempfile::tempdir() else {
            panic!("tempdir")
        };
        let store = ApiKeyStore::at(tmp.path().join("api_keys"));
        for bad in ["", "has space", "a/b", &"x".repeat(65)] {
            assert!(store.create(bad).is_err(), "{bad:?} accepted");
        }
        assert!(store.create("ok").is_ok());
        assert!(fs::set_permissions(store.path(), fs::Permissions::from_mode(0o644)).is_ok());
        let m = store.list().err().map(|e| e.to_string());
        assert!(m.is_some_and(|m| m.contains("chmod 600")));
        assert!(fs::write(store.path(), "not json").is_ok());
        assert!(fs::set_permissions(store.path(), fs::Permissions::from_mode(0o600)).is_ok());
        let m = store.list().err().map(|e| e.to_string());
        assert!(m.is_some_and(|m| m.contains("is damaged")));
    }

    #[test]
    fn constant_time_eq_compares_bytes() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }
}
