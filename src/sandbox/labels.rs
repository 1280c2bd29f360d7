//! The label schema that makes containers the registry's source of truth, and the
//! [`SandboxInfo`] view built from it.
//!
//! Everything a later lasso process needs about a sandbox is on its container: the resolved
//! profile (as TOML, with its hash so a damaged label is detected), the working directory,
//! the audit log's path, isolation and network. A container that carries the lasso marker but
//! whose labels cannot be accounted for is still listed, with its problems, never hidden.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const MANAGED: &str = "lasso.managed";
pub const HOME: &str = "lasso.home";
pub const ID: &str = "lasso.id";
pub const NAME: &str = "lasso.name";
pub const PROFILE: &str = "lasso.profile";
pub const PROFILE_HASH: &str = "lasso.profile.hash";
pub const PROFILE_TOML: &str = "lasso.profile.toml";
pub const WORKING_DIR: &str = "lasso.working_dir";
pub const CREATED_AT: &str = "lasso.created_at";
pub const AUDIT_LOG: &str = "lasso.audit_log";
pub const ISOLATION: &str = "lasso.isolation";
pub const NETWORK: &str = "lasso.network";
pub const NETWORK_NOTE: &str = "lasso.network.note";
pub const VERSION: &str = "lasso.version";
/// SHA-256 of the in-sandbox guard binary the sandbox runs.
pub const GUARD: &str = "lasso.guard";
/// `lasso` when the sandbox runs with lasso's seccomp profile instead of the engine's default.
pub const SECCOMP: &str = "lasso.seccomp";
/// The sandbox's host run directory (guard policy and audit spool).
pub const RUN_DIR: &str = "lasso.run_dir";

/// Labels every lasso sandbox must carry to be usable.
pub const REQUIRED: &[&str] = &[
    ID,
    NAME,
    PROFILE,
    PROFILE_HASH,
    PROFILE_TOML,
    WORKING_DIR,
    CREATED_AT,
    AUDIT_LOG,
    ISOLATION,
    GUARD,
    RUN_DIR,
];

/// Scopes sandboxes to one `LASSO_HOME`: two homes (two users, or parallel test runs) on one
/// engine never see or stop each other's sandboxes.
pub fn home_tag(home: &std::path::Path) -> String {
    let digest = Sha256::digest(home.to_string_lossy().as_bytes());
    hex::encode(&digest[..8])
}

/// Why a listed sandbox cannot be fully accounted for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SandboxProblem {
    pub problem: String,
}

/// One sandbox as every front end shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SandboxInfo {
    pub id: String,
    pub name: String,
    pub profile: String,
    pub profile_hash: String,
    /// The container's state (`running`, `exited`, ...), or `creating` while the sandbox's
    /// create or restart has not finished (nothing but stopping it is allowed then).
    pub state: String,
    pub working_dir: String,
    pub created_at: String,
    pub audit_log: String,
    pub runtime: String,
    pub isolation: String,
    pub network: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_note: Option<String>,
    /// The current mode (`lasso mode`); filled in by the service's `list`.
    pub mode: String,
    pub container_id: String,
    pub image: String,
    /// Host directory with the guard's policy and audit spool.
    pub run_dir: String,
    /// Empty when the sandbox is fully accounted for.
    pub problems: Vec<String>,
    /// The in-sandbox probes run at create (only in the answer of `create`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<super::probe::GuardProbe>,
    #[serde(skip)]
    pub(crate) labels: BTreeMap<String, String>,
}

impl SandboxInfo {
    /// Builds the view from a container's labels, recording every inconsistency as a problem.
    pub(crate) fn from_labels(
        container_id: &str,
        container_name: &str,
        image: &str,
        state: &str,
        runtime: &str,
        labels: BTreeMap<String, String>,
    ) -> SandboxInfo {
        let get = |k: &str| labels.get(k).cloned().unwrap_or_default();
        let mut problems = Vec::new();
        for key in REQUIRED {
            if labels.get(*key).is_none_or(|v| v.is_empty()) {
                problems.push(format!("label {key} is missing"));
            }
        }
        if let (Some(toml), Some(hash)) = (labels.get(PROFILE_TOML), labels.get(PROFILE_HASH)) {
            let actual = hex::encode(Sha256::digest(toml.as_bytes()));
            if &actual != hash {
                problems.push(format!(
                    "the profile stored on the container does not match its hash label {PROFILE_HASH}"
                ));
            }
        }
        // A sandbox being created is not running yet by design, not by accident.
        if state != "running" && state != super::creating::CREATING {
            problems.push(format!("the container is {state}, not running"));
        }
        let id = labels
            .get(ID)
            .cloned()
            .unwrap_or_else(|| container_name.to_string());
        SandboxInfo {
            name: labels
                .get(NAME)
                .cloned()
                .unwrap_or_else(|| container_name.to_string()),
            profile: get(PROFILE),
            profile_hash: get(PROFILE_HASH),
            state: state.to_string(),
            working_dir: get(WORKING_DIR),
            created_at: get(CREATED_AT),
            audit_log: get(AUDIT_LOG),
            runtime: runtime.to_string(),
            isolation: get(ISOLATION),
            network: get(NETWORK),
            network_note: labels.get(NETWORK_NOTE).cloned(),
            mode: String::new(),
            container_id: container_id.to_string(),
            image: image.to_string(),
            run_dir: get(RUN_DIR),
            problems,
            probes: Vec::new(),
            id,
            labels,
        }
    }

    pub fn short_id(&self) -> &str {
        self.id.get(..12).unwrap_or(&self.id)
    }

    pub fn is_usable(&self) -> bool {
        self.problems.is_empty()
    }

    /// Its create (or restart) has not finished: only stopping it is allowed.
    pub fn is_creating(&self) -> bool {
        self.state == super::creating::CREATING
    }

    /// Refuses a sandbox whose create has not finished, with the error that says so.
    pub(crate) fn require_created(&self) -> Result<(), super::error::SandboxError> {
        if self.is_creating() {
            return Err(super::error::SandboxError::Creating(self.name.clone()));
        }
        Ok(())
    }

    pub(crate) fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }
}

/// The profile hash stored in [`PROFILE_HASH`]: of the exact TOML in [`PROFILE_TOML`].
pub fn profile_label_hash(toml: &str) -> String {
    hex::encode(Sha256::digest(toml.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(toml: &str) -> BTreeMap<String, String> {
        let mut l = BTreeMap::new();
        for k in REQUIRED {
            l.insert(k.to_string(), "x".to_string());
        }
        l.insert(PROFILE_TOML.into(), toml.into());
        l.insert(PROFILE_HASH.into(), profile_label_hash(toml));
        l.insert(ID.into(), "0123456789abcdef0123".into());
        l
    }

    #[test]
    fn complete_running_sandbox_has_no_problems() {
        let info = SandboxInfo::from_labels(
            "c1",
            "lasso-x",
            "img",
            "running",
            "docker",
            complete("name = 'a'"),
        );
        assert!(info.is_usable(), "{:?}", info.problems);
        assert_eq!(info.short_id(), "0123456789ab");
    }

    #[test]
    fn missing_labels_tampered_profile_and_stopped_state_are_reported() {
        let mut labels = complete("name = 'a'");
        labels.remove(WORKING_DIR);
        labels.insert(PROFILE_TOML.into(), "name = 'b'".into());
        let info = SandboxInfo::from_labels("c1", "lasso-x", "img", "exited", "podman", labels);
        let all = info.problems.join("; ");
        assert!(all.contains("lasso.working_dir is missing"), "{all}");
        assert!(all.contains("does not match its hash"), "{all}");
        assert!(all.contains("exited"), "{all}");
    }

    #[test]
    fn home_tags_differ_per_home() {
        assert_ne!(
            home_tag(std::path::Path::new("/a")),
            home_tag(std::path::Path::new("/b"))
        );
    }
}
