//! The create flow: profile → gate check → network and OCI runtime → image → hardened
//! container with labels → self-test from inside → audit → event. Any failure after the
//! container exists removes it before the error is returned. Until the very end the
//! sandbox is listed as `creating` (a marker in its run directory, see `creating.rs`).

use std::collections::BTreeMap;
use std::path::Path;

use super::creating::CreateMarker;
use super::error::SandboxError;
use super::events::Event;
use super::guard::{self, GuardPolicyFile, RunDir};
use super::images::{self, ImageProgress};
use super::labels::{self, SandboxInfo};
use super::probe;
use super::service::{CreateRequest, SandboxService};
use super::system_check;
use crate::audit::{self, EntryDraft, EntryKind, Outcome};
use crate::config::{Isolation, NetworkMode, Profile};
use crate::policy::Gate;
use crate::runtime::{EngineKind, NetworkSpec, SandboxSpec, TmpfsMount};

/// Size of each extra writable tmpfs (`filesystem.writable_paths`).
const EXTRA_TMPFS_BYTES: u64 = 256 << 20;
/// Size of the sandbox user's home tmpfs.
const HOME_TMPFS_BYTES: u64 = 64 << 20;

impl SandboxService {
    /// Creates, starts and self-tests a sandbox. On any failure after the container exists,
    /// the container (and its network) are removed before the error is returned.
    pub async fn create(
        &self,
        req: CreateRequest,
        progress: &mut (dyn FnMut(ImageProgress) + Send),
    ) -> Result<SandboxInfo, SandboxError> {
        // Containers appear (and, on failure, disappear) below: whatever happens, the next
        // list asks the engine.
        let _invalidate = super::service::InvalidateOnDrop(self);
        let working_dir = crate::runtime::check_workspace(&req.working_dir, None)?;
        let store = self.profiles(Some(&working_dir))?;
        let profile_ref = match &req.profile {
            Some(p) => p.clone(),
            None => store
                .project_profile()
                .map(|p| p.display().to_string())
                .ok_or_else(|| SandboxError::WorkingDir {
                    path: working_dir.display().to_string(),
                    reason: "no profile given and no .lasso/profile.toml here; name a profile \
                             (`lasso profile list`) or run `lasso init --profile NAME --dir DIR`"
                        .into(),
                })?,
        };
        let mut profile = super::lock::resolve_locked(&store, &working_dir, &profile_ref)?;
        if let Some(iso) = req.isolation {
            profile.isolation = iso;
        }
        // Compile the gate now: a profile the gate cannot use must not produce a sandbox.
        Gate::new(profile.gate_policy()).map_err(|source| SandboxError::Gate {
            profile: profile.name.clone(),
            source,
        })?;

        let id = new_sandbox_id()?;
        let name = match &req.name {
            Some(n) => {
                check_sandbox_name(n)?;
                n.clone()
            }
            None => format!("{}-{}", profile.name, &id[..6]),
        };
        // Fresh: another process may have just taken the name.
        let existing = self.list_fresh().await?;
        if existing.iter().any(|s| s.name == name) {
            return Err(SandboxError::NameTaken(name));
        }
        let audit_log = audit::log_path(&self.audit_dir_for(&profile), Some(&id))?;
        let mode = profile.mode;
        self.launch(
            Launch {
                id,
                name,
                profile,
                working_dir,
                audit_log,
                mode,
                actor: req.actor,
                restart: false,
            },
            progress,
        )
        .await
    }

    /// Everything after the sandbox's identity is settled: network, runtime, image, the
    /// hardened container with its labels, self-test, audit, event. Shared by create and
    /// restart (which passes the identity of the sandbox it replaces).
    pub(super) async fn launch(
        &self,
        launch: Launch,
        progress: &mut (dyn FnMut(ImageProgress) + Send),
    ) -> Result<SandboxInfo, SandboxError> {
        let Launch {
            id,
            name,
            profile,
            working_dir,
            audit_log,
            mode,
            actor,
            restart,
        } = launch;
        let engine = self.engine().await?;
        let (network, network_note) = network_for(&profile, engine.kind());
        let oci_runtime = match profile.isolation {
            Isolation::Container => None,
            Isolation::Gvisor => {
                if network != NetworkSpec::None {
                    return Err(SandboxError::Isolation {
                        isolation: "gvisor".into(),
                        reason:
                            "gVisor's network stack does not work on this kernel; use a profile \
                                 with network mode none"
                                .into(),
                    });
                }
                engine.require_runtime("runsc").await?;
                Some("runsc".to_string())
            }
            Isolation::Kata => {
                let info = engine.info().await?;
                let name = ["kata", "kata-runtime", "io.containerd.kata.v2"]
                    .into_iter()
                    .find(|n| info.usable_runtimes().iter().any(|r| r == n))
                    .unwrap_or("kata");
                engine.require_runtime(name).await?;
                Some(name.to_string())
            }
        };

        let base = images::base_image_for(&profile, &self.options.settings);
        let image = images::ensure_profile_image(engine, &profile, &base, progress).await?;

        let profile_toml = crate::config::to_toml(&profile)?;
        let created_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let isolation = profile.isolation.to_string();

        let mut label_map = BTreeMap::new();
        label_map.insert(labels::MANAGED.to_string(), "true".to_string());
        label_map.insert(labels::HOME.to_string(), self.home_tag.clone());
        label_map.insert(labels::ID.to_string(), id.clone());
        label_map.insert(labels::NAME.to_string(), name.clone());
        label_map.insert(labels::PROFILE.to_string(), profile.name.clone());
        label_map.insert(
            labels::PROFILE_HASH.to_string(),
            labels::profile_label_hash(&profile_toml),
        );
        label_map.insert(labels::PROFILE_TOML.to_string(), profile_toml);
        label_map.insert(
            labels::WORKING_DIR.to_string(),
            working_dir.display().to_string(),
        );
        label_map.insert(labels::CREATED_AT.to_string(), created_at);
        label_map.insert(
            labels::AUDIT_LOG.to_string(),
            audit_log.display().to_string(),
        );
        label_map.insert(labels::ISOLATION.to_string(), isolation.clone());
        label_map.insert(
            labels::VERSION.to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        );
        label_map.insert(
            labels::NETWORK.to_string(),
            match &network {
                NetworkSpec::None => "none".to_string(),
                NetworkSpec::Bridge { name } => format!("bridge:{name}"),
            },
        );
        if let Some(note) = &network_note {
            label_map.insert(labels::NETWORK_NOTE.to_string(), note.clone());
        }

        let container_name = super::mode::container_name(&id);
        let guard_binary = guard::install_binary(&self.options.home)?;
        let run = RunDir::new(&self.options.home, &container_name);
        label_map.insert(labels::GUARD.to_string(), guard::guard_digest());
        label_map.insert(
            labels::RUN_DIR.to_string(),
            run.root().display().to_string(),
        );

        let mut spec = SandboxSpec::new(container_name.clone(), image.clone(), working_dir.clone());
        spec.labels = label_map;
        spec.env = sandbox_env(&profile)?;
        spec.memory_bytes = profile.resources.memory.bytes();
        spec.nano_cpus = (profile.resources.cpus * 1e9).round() as u64;
        spec.pids_limit = profile.resources.pids;
        spec.nofile = u64::from(profile.resources.open_files);
        spec.fsize_bytes = profile.resources.file_size.bytes();
        spec.tmp_size_bytes = profile.filesystem.tmp_size.bytes();
        spec.home_size_bytes = HOME_TMPFS_BYTES;
        spec.extra_tmpfs = profile
            .filesystem
            .writable_paths
            .iter()
            .map(|p| TmpfsMount {
                path: p.clone(),
                size_bytes: EXTRA_TMPFS_BYTES,
                exec: false,
            })
            .collect();
        spec.masked_paths = profile
            .filesystem
            .hidden_paths
            .iter()
            .filter(|p| !p.contains(['*', '?', '[']))
            .cloned()
            .collect();
        spec.oci_runtime = oci_runtime;
        spec.network = network.clone();
        spec.guard = Some(run.mounts(guard_binary));

        // From here on, every failure removes what was made (run dir, container).
        // The creation marker goes in before the container exists: from its first listing
        // until the end of this function, every lasso process shows it as `creating`.
        let prepared = run
            .create()
            .and_then(|()| {
                GuardPolicyFile::new(&profile, &container_name, &network)
                    .write_to(&run.policy_dir())
            })
            .and_then(|()| CreateMarker::begin(run.root()));
        let marker = match prepared {
            Ok(marker) => marker,
            Err(e) => {
                run.remove();
                return Err(e);
            }
        };
        // At most two attempts: with the engine's default seccomp profile, and, only when that
        // profile blocks the guard's system calls, with lasso's (the default plus exactly those).
        let (container, report) = loop {
            let container = match engine.launch_sandbox(&spec).await {
                Ok(c) => c,
                Err(e) => {
                    run.remove();
                    return Err(e.into());
                }
            };
            if let Err(problem) = probe::self_test(engine, &container, &spec).await {
                let _ = engine.remove_sandbox(&container, None).await;
                run.remove();
                return Err(SandboxError::SelfTest(problem));
            }
            match probe::guard_probes(engine, &container).await {
                Ok(report) => break (container, report),
                Err(why)
                    if spec.seccomp_profile.is_none()
                        && spec.oci_runtime.is_none()
                        && probe::seccomp_blocked(
                            &why,
                            system_check::landlock_abi().is_some(),
                            system_check::seccomp_notify_available(),
                        ) =>
                {
                    let _ = engine.remove_sandbox(&container, None).await;
                    match crate::runtime::guard_profile_from(Path::new(
                        crate::runtime::DEFAULT_PROFILE_PATH,
                    )) {
                        Ok(profile) => spec.seccomp_profile = Some(profile),
                        Err(e) => {
                            run.remove();
                            return Err(SandboxError::Guard(format!("{why}; and {e}")));
                        }
                    }
                    spec.labels
                        .insert(labels::SECCOMP.to_string(), "lasso".to_string());
                }
                Err(why) => {
                    self.record_failed_create(&audit_log, &actor, &id, &name, &why);
                    let _ = engine.remove_sandbox(&container, None).await;
                    run.remove();
                    return Err(SandboxError::Guard(why));
                }
            }
        };
        let fail = |problem: SandboxError| async {
            let _ = engine.remove_sandbox(&container, None).await;
            run.remove();
            problem
        };
        // The probes are the sandbox's first audit entries, whatever their result.
        for p in &report.probes {
            let outcome = if p.passed {
                Outcome::Success
            } else {
                Outcome::Error
            };
            let mut draft = EntryDraft::new(EntryKind::Probe, "lasso", "probe", &p.name, outcome)
                .sandbox(&id)
                .detail("passed", p.passed)
                .detail("detail", p.detail.clone());
            if let Some(why) = &p.skipped {
                draft = draft.detail("skipped", why.clone());
            }
            if let Err(e) = self.record(&audit_log, draft) {
                return Err(fail(e).await);
            }
        }
        if let Some(problem) = report.failures() {
            self.record_failed_create(&audit_log, &actor, &id, &name, &problem);
            return Err(fail(SandboxError::SelfTest(problem)).await);
        }
        // The sandbox starts in its profile's mode; `lasso mode` changes it (see mode.rs).
        if let Err(e) = super::mode::write_mode(&self.options.home, &spec.name, mode) {
            return Err(fail(e).await);
        }

        let mut info = SandboxInfo::from_labels(
            &container,
            &spec.name,
            &image,
            "running",
            &engine.kind().to_string(),
            spec.labels,
        );
        info.probes = report.probes.clone();
        info.mode = mode.to_string();
        let draft = EntryDraft::new(
            EntryKind::Lifecycle,
            &actor,
            "create",
            &name,
            Outcome::Success,
        )
        .sandbox(&id)
        .detail("profile", profile.name.clone())
        .detail("profile_hash", info.profile_hash.clone())
        .detail("image", image)
        .detail("isolation", isolation)
        .detail("container_id", container.to_string())
        .detail("working_dir", working_dir.display().to_string())
        .detail("runtime", engine.kind().to_string())
        .detail("network", info.network.clone());
        let draft = match &network_note {
            Some(note) => draft.detail("network_note", note.clone()),
            None => draft,
        };
        let draft = draft
            .detail("guard", guard::guard_digest())
            .detail("enforcement", profile.guard.enforcement.as_str())
            .detail("restart", restart);
        if let Err(e) = self.record(&audit_log, draft) {
            // A sandbox whose creation cannot be audited must not exist.
            return Err(fail(e).await);
        }
        let system = EntryDraft::new(
            EntryKind::Lifecycle,
            &actor,
            "create",
            &id,
            Outcome::Success,
        )
        .detail("name", name.clone())
        .detail("restart", restart)
        .detail("audit_log", audit_log.display().to_string());
        let recorded = self
            .system_log_path()
            .and_then(|system_log| self.record(&system_log, system));
        if let Err(e) = recorded {
            return Err(fail(e).await);
        }
        // The last step: from now on every process lists it with the engine's state. This
        // process's own listeners re-list on the event below, which therefore comes after.
        if let Err(e) = marker.finish(&name) {
            self.record_failed_create(&audit_log, &actor, &id, &name, &e.to_string());
            return Err(fail(e).await);
        }
        self.events.publish(Event::SandboxCreated {
            id,
            name,
            profile: profile.name.clone(),
        });
        Ok(info)
    }
}

impl SandboxService {
    /// Records a create that failed after the container existed (best effort: the error
    /// returned to the caller says what happened in any case).
    fn record_failed_create(&self, log: &Path, actor: &str, id: &str, name: &str, why: &str) {
        let draft = EntryDraft::new(EntryKind::Lifecycle, actor, "create", name, Outcome::Error)
            .sandbox(id)
            .detail("error", why.to_string());
        let _ = self.record(log, draft);
    }
}

/// The identity and settings of the sandbox [`SandboxService::launch`] makes.
pub(super) struct Launch {
    pub id: String,
    pub name: String,
    pub profile: Profile,
    /// Already checked ([`crate::runtime::check_workspace`]) and canonical.
    pub working_dir: std::path::PathBuf,
    pub audit_log: std::path::PathBuf,
    /// The mode it starts in (the profile's, or the replaced sandbox's current one).
    pub mode: crate::config::Mode,
    pub actor: String,
    /// Recorded on the `create` entries: this container replaces one with the same id.
    pub restart: bool,
}

/// 32 hex characters from the OS's random source.
fn new_sandbox_id() -> Result<String, SandboxError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| {
        SandboxError::io(
            "generating a sandbox id",
            std::io::Error::other(e.to_string()),
        )
    })?;
    Ok(hex::encode(bytes))
}

pub(crate) fn check_sandbox_name(name: &str) -> Result<(), SandboxError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(SandboxError::InvalidName {
            name: name.to_string(),
            reason: "use 1-63 characters from a-z A-Z 0-9 . _ -, starting with a letter or digit"
                .into(),
        })
    }
}

/// The network the sandbox gets for its profile. Fail closed: what the egress gateway does
/// not exist yet to enforce becomes no network at all, and the note says so.
fn network_for(profile: &Profile, engine: EngineKind) -> (NetworkSpec, Option<String>) {
    let net = &profile.network;
    let unenforceable = match net.mode {
        NetworkMode::None => return (NetworkSpec::None, None),
        NetworkMode::Restricted => "network mode restricted",
        NetworkMode::Full
            if !net.blocked_cidrs.is_empty()
                || !net.blocked_domains.is_empty()
                || !net.blocked_ports.is_empty() =>
        {
            "network mode full with blocked ranges/domains/ports"
        }
        NetworkMode::Full => {
            // The engine's own default network (Podman names it differently).
            let name = match engine {
                EngineKind::Docker => "bridge",
                EngineKind::Podman => "podman",
            };
            return (NetworkSpec::Bridge { name: name.into() }, None);
        }
    };
    let note = format!(
        "{unenforceable} is enforced as none (no network at all) until the egress gateway \
         exists; the sandbox has no network"
    );
    (NetworkSpec::None, Some(note))
}

/// The sandbox's environment: `extra_env` plus the forwarded agent credentials, which go in
/// the container's environment and never on a command line.
fn sandbox_env(profile: &Profile) -> Result<Vec<(String, String)>, SandboxError> {
    let mut env: Vec<(String, String)> = profile
        .extra_env
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for name in &profile.agent_auth.forward_env {
        match std::env::var(name) {
            Ok(v) => env.push((name.clone(), v)),
            Err(_) => {
                return Err(SandboxError::Unusable {
                    id: profile.name.clone(),
                    reason: format!(
                        "agent_auth.forward_env names {name}, which is not set in this environment; \
                         export it or remove it from the profile"
                    ),
                });
            }
        }
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated() {
        assert!(check_sandbox_name("dev-1.a_b").is_ok());
        for bad in ["", "-x", "a b", "a/b", &"x".repeat(64)] {
            assert!(check_sandbox_name(bad).is_err(), "{bad}");
        }
    }
}
