//! Restart: replace a sandbox's container with a fresh one of the same identity.
//!
//! What a restart keeps is exactly what makes a sandbox "the same" for every other lasso
//! process: its id (so its container name, mode file and run directory), its name, its
//! audit log (the chain continues), its working directory, its isolation, its current mode,
//! and the profile stored on its container (never the profile as it is in the store today:
//! a restart must not silently change the rules). Everything that could refuse is checked
//! BEFORE anything is stopped, so a refused restart leaves the sandbox running; the stop
//! and the new create are audited as they always are, and the restart itself is audited as
//! one more `lifecycle/restart` entry, also when it fails.

use std::path::{Path, PathBuf};

use super::create::Launch;
use super::error::SandboxError;
use super::labels::{self, SandboxInfo};
use super::service::SandboxService;
use crate::audit::{EntryDraft, EntryKind, Outcome};
use crate::config::Profile;
use crate::policy::Gate;

impl SandboxService {
    /// Restarts one sandbox (by id, id prefix or name); returns the new sandbox (same id).
    /// Refused, with the sandbox left running, when its stored profile is unusable or its
    /// working directory is gone; every refusal and failure is audited.
    pub async fn restart(&self, query: &str, actor: &str) -> Result<SandboxInfo, SandboxError> {
        // The old container goes and a new one comes: whatever happens, the next list asks
        // the engine. The sandbox to restart is looked up fresh, never from the list cache.
        let _invalidate = super::service::InvalidateOnDrop(self);
        let info = super::service::resolve_query(self.list_fresh().await?, query)?;
        // Replacing a container its creator still works on would pull it from under it.
        info.require_created()?;
        let prepared = match self.prepare_restart(&info) {
            Ok(p) => p,
            Err(why) => {
                let reason = format!("{why}; nothing was stopped, the sandbox keeps running");
                self.record_restart(&info, actor, Err(&reason));
                return Err(SandboxError::RestartFailed {
                    name: info.name.clone(),
                    reason,
                });
            }
        };
        if let Err(e) = self.stop_info(&info, actor).await {
            let reason = format!(
                "stopping the old container failed ({e}); check it with `lasso status {}`",
                info.short_id()
            );
            self.record_restart(&info, actor, Err(&reason));
            return Err(SandboxError::RestartFailed {
                name: info.name.clone(),
                reason,
            });
        }
        let launched = self
            .launch(
                Launch {
                    id: info.id.clone(),
                    name: info.name.clone(),
                    profile: prepared.profile,
                    working_dir: prepared.working_dir,
                    audit_log: PathBuf::from(&info.audit_log),
                    mode: prepared.mode,
                    actor: actor.to_string(),
                    restart: true,
                },
                &mut |_| {},
            )
            .await;
        match launched {
            Ok(new) => {
                self.record_restart(&info, actor, Ok(&new));
                Ok(new)
            }
            Err(e) => {
                let reason = format!(
                    "the old container was stopped, but the new one could not be created: {e}; \
                     its audit log {} is kept; create it again with `lasso create`",
                    info.audit_log
                );
                self.record_restart(&info, actor, Err(&reason));
                Err(SandboxError::RestartFailed {
                    name: info.name.clone(),
                    reason,
                })
            }
        }
    }

    /// Everything that can refuse a restart, checked while the old sandbox still runs.
    fn prepare_restart(&self, info: &SandboxInfo) -> Result<Prepared, String> {
        // Label problems (a damaged or missing label) make the identity unknowable; the
        // container merely not running is what a restart is for.
        let not_running = format!("the container is {}, not running", info.state);
        let problems: Vec<&String> = info
            .problems
            .iter()
            .filter(|p| **p != not_running)
            .collect();
        if !problems.is_empty() {
            return Err(format!(
                "its container labels cannot be trusted: {}",
                problems
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
        let toml = info.label(labels::PROFILE_TOML).unwrap_or_default();
        let (_, profile) = crate::config::resolve_standalone(
            toml,
            &format!("label {} of {}", labels::PROFILE_TOML, info.name),
        )
        .map_err(|e| format!("the profile stored on the container is unusable: {e}"))?;
        Gate::new(profile.gate_policy())
            .map_err(|e| format!("profile {} cannot be turned into a gate: {e}", profile.name))?;
        if profile.isolation.to_string() != info.isolation {
            return Err(format!(
                "the stored profile says isolation {} but the container says {}",
                profile.isolation, info.isolation
            ));
        }
        let working_dir = crate::runtime::check_workspace(Path::new(&info.working_dir), None)
            .map_err(|e| format!("its working directory cannot be used: {e}"))?;
        let mode =
            super::mode::read_mode(&self.options.home, &super::mode::container_name(&info.id))
                .map_err(|e| e.to_string())?
                .unwrap_or(profile.mode);
        Ok(Prepared {
            profile,
            working_dir,
            mode,
        })
    }

    /// Audits the restart in the sandbox's log (when it has one) and the system log; best
    /// effort, like a failed create: the caller's answer says what happened in any case.
    fn record_restart(&self, info: &SandboxInfo, actor: &str, result: Result<&SandboxInfo, &str>) {
        let outcome = if result.is_ok() {
            Outcome::Success
        } else {
            Outcome::Error
        };
        let with_result = |draft: EntryDraft| match result {
            Ok(new) => draft
                .detail("old_container_id", info.container_id.clone())
                .detail("container_id", new.container_id.clone()),
            Err(why) => draft.detail("error", why.to_string()),
        };
        if !info.audit_log.is_empty() {
            let draft =
                EntryDraft::new(EntryKind::Lifecycle, actor, "restart", &info.name, outcome)
                    .sandbox(&info.id);
            let _ = self.record(Path::new(&info.audit_log), with_result(draft));
        }
        if let Ok(system) = self.system_log_path() {
            let draft = EntryDraft::new(EntryKind::Lifecycle, actor, "restart", &info.id, outcome)
                .detail("name", info.name.clone());
            let _ = self.record(&system, with_result(draft));
        }
    }
}

struct Prepared {
    profile: Profile,
    working_dir: PathBuf,
    mode: crate::config::Mode,
}
