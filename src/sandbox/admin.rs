//! Service operations the remote front ends (REST, later MCP) need beyond the sandbox
//! lifecycle: profile writes with an audit record, an audit record of each changing API call,
//! finding a sandbox's audit log by id (even after the sandbox is gone), and verification.
//!
//! They live here rather than in the front ends because front ends never write the audit log:
//! every change a caller makes is recorded by the service with the caller as actor.

use std::path::PathBuf;

use super::error::SandboxError;
use super::service::SandboxService;
use crate::audit::{self, DirReport, EntryDraft, EntryKind, Outcome, VerifyReport};
use crate::config::SavedProfile;

impl SandboxService {
    /// Validates and saves `text` as the user profile `name` (see
    /// [`crate::config::ProfileStore::save`]) and records who did it.
    pub fn save_profile(
        &self,
        name: &str,
        text: &str,
        actor: &str,
    ) -> Result<SavedProfile, SandboxError> {
        let saved = self.profiles(None)?.save(name, text)?;
        let mut draft = EntryDraft::new(
            EntryKind::Api,
            actor,
            "profile-save",
            name,
            Outcome::Success,
        )
        .detail("path", saved.path.display().to_string())
        .detail("profile_hash", saved.profile.hash());
        if let Some(a) = &saved.archived {
            draft = draft.detail("archived_version", a.version);
        }
        self.record(&self.system_log_path()?, draft)?;
        Ok(saved)
    }

    /// Deletes the user profile `name` (archived first) and records who did it.
    pub fn delete_profile(&self, name: &str, actor: &str) -> Result<(), SandboxError> {
        let archived = self.profiles(None)?.delete(name)?;
        let mut draft = EntryDraft::new(
            EntryKind::Api,
            actor,
            "profile-delete",
            name,
            Outcome::Success,
        );
        if let Some(a) = &archived {
            draft = draft.detail("archived_version", a.version);
        }
        self.record(&self.system_log_path()?, draft)
    }

    /// Records one changing API call (`POST /api/v1/sandboxes` → 201) in the system log, with
    /// the key's name in `actor`.
    pub fn record_api_call(
        &self,
        actor: &str,
        method: &str,
        route: &str,
        status: u16,
    ) -> Result<(), SandboxError> {
        let outcome = match status {
            200..=399 => Outcome::Success,
            403 => Outcome::Blocked,
            _ => Outcome::Error,
        };
        let draft =
            EntryDraft::new(EntryKind::Api, actor, method, route, outcome).detail("status", status);
        self.record(&self.system_log_path()?, draft)
    }

    /// The audit log of the sandbox `query` (id, unique id prefix or name). A sandbox that is
    /// gone is found by its id or a unique id prefix among the logs in `LASSO_HOME/audit`.
    /// `system` is the system log. Never a file path: remote callers must not name files.
    pub async fn audit_log_for(&self, query: &str) -> Result<PathBuf, SandboxError> {
        let dir = self.home().audit_dir();
        if query == "system" {
            return Ok(dir.join(audit::SYSTEM_LOG));
        }
        match self.get(query).await {
            Ok(info) if !info.audit_log.is_empty() => return Ok(PathBuf::from(info.audit_log)),
            Ok(info) => {
                return Err(SandboxError::NoAuditLog {
                    query: query.to_string(),
                    reason: format!("sandbox {} has no audit log label", info.name),
                });
            }
            Err(SandboxError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        find_log_by_id(&dir, query)
    }

    /// Verifies one log (`Some(query)`, as [`Self::audit_log_for`]) or every log of this home
    /// with its index (`None`).
    pub async fn verify_audit(&self, query: Option<&str>) -> Result<Verification, SandboxError> {
        let key = self.audit_key()?;
        match query {
            Some(q) => {
                let path = self.audit_log_for(q).await?;
                Ok(Verification::One(audit::verify(&path, key)?))
            }
            None => Ok(Verification::All(audit::verify_dir(
                self.home().audit_dir(),
                key,
            )?)),
        }
    }
}

/// The answer of [`SandboxService::verify_audit`].
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Verification {
    One(VerifyReport),
    All(DirReport),
}

impl Verification {
    pub fn is_valid(&self) -> bool {
        match self {
            Verification::One(r) => r.is_valid(),
            Verification::All(r) => r.is_valid(),
        }
    }
}

/// `<dir>/<id>.jsonl` for a full id or a unique hex prefix.
fn find_log_by_id(dir: &std::path::Path, query: &str) -> Result<PathBuf, SandboxError> {
    let not_found = |reason: String| SandboxError::NoAuditLog {
        query: query.to_string(),
        reason,
    };
    if query.is_empty() || !query.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(not_found(
            "no running sandbox has that name, and a sandbox that is gone is found only by its id (hex)"
                .into(),
        ));
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|e| not_found(format!("cannot read {}: {e}", dir.display())))?;
    let matches: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "jsonl")
                && p.file_stem()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(query))
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(not_found(format!(
            "no sandbox and no log of that id in {}",
            dir.display()
        ))),
        many => Err(not_found(format!(
            "the prefix matches {} logs; use a longer one",
            many.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_of_gone_sandboxes_are_found_by_hex_id_only() {
        let Ok(tmp) = tempfile::tempdir() else {
            panic!("tempdir")
        };
        let dir = tmp.path();
        for n in ["abc123.jsonl", "abd456.jsonl", "system.jsonl"] {
            assert!(std::fs::write(dir.join(n), "").is_ok());
        }
        assert_eq!(
            find_log_by_id(dir, "abc").ok(),
            Some(dir.join("abc123.jsonl"))
        );
        let m = |q: &str| find_log_by_id(dir, q).err().map(|e| e.to_string());
        assert!(m("ab").is_some_and(|m| m.contains("matches 2 logs")));
        assert!(m("fff").is_some_and(|m| m.contains("no sandbox and no log")));
        // Paths and names are never looked up as files.
        assert!(m("../etc/passwd").is_some_and(|m| m.contains("only by its id")));
        assert!(m("").is_some());
    }
}
