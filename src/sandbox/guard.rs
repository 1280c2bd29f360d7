//! Host side of the in-sandbox guard (`guard/`, the static `lasso-guard` binary that is PID 1
//! and the wrapper of every exec in every sandbox).
//!
//! The guard binary is embedded in lasso at build time (see `build.rs`) and installed once
//! per `LASSO_HOME` under a content-addressed name, so a sandbox always runs the guard built
//! from the same gate sources as the lasso that created it, and an installed copy that no
//! longer matches its name is replaced rather than trusted.
//!
//! Each sandbox gets a run directory `LASSO_HOME/run/<container name>/` holding
//! - `policy/guard.json`: what the guard enforces (mounted read-only; replaced atomically
//!   when the sandbox's mode changes, the guard re-reads it on every exec);
//! - `spool/`: where the guard appends one record per exec (mounted read-write for the guard,
//!   outside the workload's Landlock write set); `spool.rs` moves the records into the HMAC
//!   chained audit log.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::SandboxError;
use crate::config::{Enforcement, GuardFeature, LassoHome, NetworkMode, Profile};
use crate::policy::GatePolicy;
use crate::runtime::{GuardMounts, NetworkSpec, SANDBOX_GID, SANDBOX_UID};

/// The guard binary, built from `guard/` by `build.rs`.
static GUARD_BINARY: &[u8] = include_bytes!(env!("LASSO_GUARD_BIN"));

/// Most bytes of un-ingested exec records a sandbox may accumulate; beyond it the guard
/// denies every exec until lasso ingests the spool (fail closed: nothing runs unrecorded).
pub const SPOOL_MAX_BYTES: u64 = 256 << 20;

/// Version of `guard.json` this lasso writes.
const POLICY_VERSION: u32 = 1;

/// SHA-256 of the embedded guard, lowercase hex (hashed once per process: it is 1.8 MB).
pub fn guard_digest() -> String {
    static DIGEST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DIGEST
        .get_or_init(|| hex::encode(Sha256::digest(GUARD_BINARY)))
        .clone()
}

/// Installs the embedded guard as `LASSO_HOME/bin/lasso-guard-<digest16>` (mode 0555) unless
/// an identical copy is there, and returns its path.
pub(crate) fn install_binary(home: &LassoHome) -> Result<PathBuf, SandboxError> {
    if GUARD_BINARY.len() < 4 || &GUARD_BINARY[..4] != b"\x7fELF" {
        return Err(SandboxError::Guard(
            "this lasso was built without a usable in-sandbox guard binary (the embedded file \
             is not an ELF executable); rebuild lasso without LASSO_GUARD_PREBUILT, or point it \
             at a binary built from guard/"
                .into(),
        ));
    }
    let digest = guard_digest();
    let dir = home.root().join("bin");
    fs::create_dir_all(&dir)
        .map_err(|e| SandboxError::io(format!("creating {}", dir.display()), e))?;
    let path = dir.join(format!("lasso-guard-{}", &digest[..16]));
    if let Ok(existing) = fs::read(&path)
        && hex::encode(Sha256::digest(&existing)) == digest
    {
        return Ok(path);
    }
    let tmp = dir.join(format!(
        ".lasso-guard-{}.{}",
        &digest[..16],
        std::process::id()
    ));
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(GUARD_BINARY)?;
        f.sync_all()?;
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o555))?;
        fs::rename(&tmp, &path)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        SandboxError::io(
            format!("installing the guard binary at {}", path.display()),
            e,
        )
    })?;
    Ok(path)
}

/// A sandbox's run directory on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDir {
    root: PathBuf,
}

impl RunDir {
    /// `LASSO_HOME/run/<container name>`.
    pub fn new(home: &LassoHome, container_name: &str) -> RunDir {
        RunDir {
            root: home.run_dir().join(container_name),
        }
    }

    /// The run directory recorded on a sandbox's labels.
    pub fn at(root: PathBuf) -> RunDir {
        RunDir { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Mounted read-only at `/.lasso/policy`.
    pub fn policy_dir(&self) -> PathBuf {
        self.root.join("policy")
    }

    /// Mounted read-write at `/.lasso/spool`.
    pub fn spool_dir(&self) -> PathBuf {
        self.root.join("spool")
    }

    /// Host-only: how far the spool has been ingested.
    pub(crate) fn ingest_state(&self) -> PathBuf {
        self.root.join("ingest.json")
    }

    /// Host-only: serialises ingestion between lasso processes.
    pub(crate) fn ingest_lock(&self) -> PathBuf {
        self.root.join("ingest.lock")
    }

    /// Creates the directories: the policy directory readable by the sandbox user, the spool
    /// owned by it. Fails (with how to fix it) where ownership cannot be given.
    pub(crate) fn create(&self) -> Result<(), SandboxError> {
        let io = |what: &str, p: &Path, e| SandboxError::io(format!("{what} {}", p.display()), e);
        fs::create_dir_all(&self.root).map_err(|e| io("creating", &self.root, e))?;
        fs::set_permissions(&self.root, fs::Permissions::from_mode(0o700))
            .map_err(|e| io("setting permissions of", &self.root, e))?;
        for dir in [self.policy_dir(), self.spool_dir()] {
            match fs::create_dir(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io("creating", &dir, e)),
            }
        }
        fs::set_permissions(self.policy_dir(), fs::Permissions::from_mode(0o755))
            .map_err(|e| io("setting permissions of", &self.policy_dir(), e))?;
        let spool = self.spool_dir();
        chown(&spool, Some(SANDBOX_UID), Some(SANDBOX_GID)).map_err(|e| {
            SandboxError::Guard(format!(
                "cannot give the audit spool {} to the sandbox user (uid {SANDBOX_UID}): {e}; \
                 lasso must run as root or with CAP_CHOWN to create sandboxes",
                spool.display()
            ))
        })?;
        fs::set_permissions(&spool, fs::Permissions::from_mode(0o700))
            .map_err(|e| io("setting permissions of", &spool, e))?;
        Ok(())
    }

    /// The mounts the runtime adds for this sandbox.
    pub(crate) fn mounts(&self, binary: PathBuf) -> GuardMounts {
        GuardMounts {
            binary,
            policy_dir: self.policy_dir(),
            spool_dir: self.spool_dir(),
        }
    }

    /// Removes the directory (after the sandbox is gone and its spool ingested).
    pub(crate) fn remove(&self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// `guard.json`: everything the guard enforces in one sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardPolicyFile {
    pub version: u32,
    pub sandbox: String,
    pub enforcement: Enforcement,
    pub gate: GatePolicy,
    /// Directories the workload may write beneath (Landlock).
    pub write_paths: Vec<String>,
    /// Programs lasso itself runs in the sandbox (`sh` for command lines with operators),
    /// executable even when the profile does not list them; the gate still decides every
    /// exec of them the agent makes.
    pub exec_extra: Vec<String>,
    /// For the read probe.
    pub hidden_paths: Vec<String>,
    /// `none` or `bridge`, for the network probes.
    pub network: String,
    /// Whether the cloud metadata address must be unreachable (everything but an
    /// unrestricted `full` network).
    pub probe_metadata: bool,
    pub accept_missing: Vec<GuardFeature>,
    pub spool_max_bytes: u64,
}

impl GuardPolicyFile {
    /// The policy for `profile` (whose `mode` is the sandbox's current mode) in a sandbox
    /// named `sandbox` attached to `network`.
    pub fn new(profile: &Profile, sandbox: &str, network: &NetworkSpec) -> GuardPolicyFile {
        let gate = profile.gate_policy();
        let mut write_paths = vec![
            crate::config::WORKSPACE.to_string(),
            crate::config::TMP_DIR.to_string(),
            crate::config::SANDBOX_HOME.to_string(),
        ];
        write_paths.extend(profile.filesystem.writable_paths.iter().cloned());
        let unrestricted = profile.network.mode == NetworkMode::Full
            && matches!(network, NetworkSpec::Bridge { .. });
        GuardPolicyFile {
            version: POLICY_VERSION,
            sandbox: sandbox.to_string(),
            enforcement: profile.guard.enforcement,
            gate,
            write_paths,
            exec_extra: vec!["sh".to_string()],
            hidden_paths: profile.filesystem.hidden_paths.clone(),
            network: match network {
                NetworkSpec::None => "none".into(),
                NetworkSpec::Bridge { .. } => "bridge".into(),
            },
            probe_metadata: !unrestricted,
            accept_missing: profile.guard.accept_missing.clone(),
            spool_max_bytes: SPOOL_MAX_BYTES,
        }
    }

    /// Rewrites a running sandbox's `guard.json` for `profile` (its mode changed, say): the
    /// guard reads it on the next exec.
    pub(crate) fn refresh(
        info: &super::labels::SandboxInfo,
        profile: &Profile,
    ) -> Result<(), SandboxError> {
        if info.run_dir.is_empty() {
            return Err(SandboxError::Unusable {
                id: info.name.clone(),
                reason: "it has no guard run directory label; recreate it".into(),
            });
        }
        let network = match info.network.strip_prefix("bridge:") {
            Some(name) => NetworkSpec::Bridge {
                name: name.to_string(),
            },
            None => NetworkSpec::None,
        };
        let container = Path::new(&info.run_dir)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        GuardPolicyFile::new(profile, &container, &network)
            .write_to(&RunDir::at(PathBuf::from(&info.run_dir)).policy_dir())
    }

    /// Writes `guard.json` into `dir` atomically (the guard may be reading the old one).
    pub fn write_to(&self, dir: &Path) -> Result<(), SandboxError> {
        let text = serde_json::to_vec_pretty(self)
            .map_err(|e| SandboxError::Guard(format!("cannot serialise guard.json: {e}")))?;
        let path = dir.join("guard.json");
        let tmp = dir.join(format!(".guard.json.{}", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(&text)?;
            f.sync_all()?;
            fs::set_permissions(&tmp, fs::Permissions::from_mode(0o644))?;
            fs::rename(&tmp, &path)
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            SandboxError::io(format!("writing {}", path.display()), e)
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::config::ProfileStore;

    fn profile(name: &str) -> Profile {
        let home = tempfile::tempdir().unwrap();
        let home = LassoHome::at(home.path()).unwrap();
        ProfileStore::new(&home, None)
            .unwrap()
            .resolve(name)
            .unwrap()
    }

    #[test]
    fn policy_file_follows_the_profile() {
        let p = profile("development");
        let f = GuardPolicyFile::new(&p, "lasso-x", &NetworkSpec::None);
        assert_eq!(f.enforcement, Enforcement::Enforce);
        assert_eq!(f.gate, p.gate_policy());
        assert!(f.write_paths.contains(&"/workspace".to_string()));
        assert!(f.write_paths.contains(&"/tmp".to_string()));
        assert_eq!(f.network, "none");
        assert!(f.probe_metadata);
        let bridge = NetworkSpec::Bridge {
            name: "bridge".into(),
        };
        let mut open = profile("open");
        open.network.mode = NetworkMode::Full;
        assert!(!GuardPolicyFile::new(&open, "x", &bridge).probe_metadata);
        open.network.mode = NetworkMode::Restricted;
        assert!(GuardPolicyFile::new(&open, "x", &bridge).probe_metadata);
    }

    #[test]
    fn policy_file_round_trips_and_is_replaced_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let p = profile("strict");
        let f = GuardPolicyFile::new(&p, "lasso-y", &NetworkSpec::None);
        f.write_to(dir.path()).unwrap();
        f.write_to(dir.path()).unwrap();
        let text = fs::read_to_string(dir.path().join("guard.json")).unwrap();
        let back: GuardPolicyFile = serde_json::from_str(&text).unwrap();
        assert_eq!(back, f);
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left behind");
    }
}
