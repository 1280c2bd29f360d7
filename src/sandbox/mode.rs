//! Modes of running sandboxes: `lasso mode ID MODE` and where the current mode lives.
//!
//! A profile's `mode` (observe / assist / autonomous) is the mode a sandbox starts in; the
//! current mode is `LASSO_HOME/run/<container name>/mode`, one word, written atomically
//! (temporary file + rename, so a reader sees the old or the new word, never half of one).
//! Every lasso process reads it when it builds a sandbox's gate, and the gate cache key
//! includes it, so a change takes effect on the next command everywhere. An absent file means
//! the profile's own mode; an unreadable or unknown word fails closed (the sandbox refuses
//! commands until `lasso mode` rewrites it). The file lives in `LASSO_HOME`, which is never
//! mounted into a sandbox, so the agent cannot change its own mode.
//!
//! A mode never widens the profile: observe and assist are lists intersected with the
//! profile's allowlist by the gate (`ModeRestriction`), and autonomous is the profile's
//! allowlist itself.

use std::fs;
use std::io::Write;
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;

use serde::Serialize;

use super::error::SandboxError;
use super::events::Event;
use super::guard::GuardPolicyFile;
use super::labels::{self, SandboxInfo};
use super::service::SandboxService;
use crate::audit::{EntryDraft, EntryKind, Outcome};
use crate::config::{LassoHome, Mode, Profile};
use crate::policy::Decision;

/// The engine's name for a sandbox's container (`lasso-<first 12 of the id>`, as create
/// names it).
pub fn container_name(sandbox_id: &str) -> String {
    format!("lasso-{}", sandbox_id.get(..12).unwrap_or(sandbox_id))
}

/// `LASSO_HOME/run/<container>/mode`.
pub fn mode_file(home: &LassoHome, container: &str) -> PathBuf {
    home.run_dir().join(container).join("mode")
}

/// The sandbox's current mode, or `None` when no mode was ever set (the profile's applies).
pub fn read_mode(home: &LassoHome, container: &str) -> Result<Option<Mode>, SandboxError> {
    let path = mode_file(home, container);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(SandboxError::io(format!("reading {}", path.display()), e)),
    };
    text.trim()
        .parse::<Mode>()
        .map(Some)
        .map_err(|reason| SandboxError::Unusable {
            id: container.to_string(),
            reason: format!(
                "its mode file {} holds {reason}; set the mode again with `lasso mode ID MODE`",
                path.display()
            ),
        })
}

/// Writes the mode file atomically (directories 0700).
pub fn write_mode(home: &LassoHome, container: &str, mode: Mode) -> Result<(), SandboxError> {
    let path = mode_file(home, container);
    let context = || format!("writing {}", path.display());
    if let Some(dir) = path.parent() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| SandboxError::io(context(), e))?;
    }
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let result = fs::File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(format!("{mode}\n").as_bytes())?;
            f.sync_all()
        })
        .and_then(|()| fs::rename(&tmp, &path));
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(SandboxError::io(context(), e));
    }
    Ok(())
}

/// What `set_mode` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModeChange {
    pub id: String,
    pub name: String,
    pub from: Mode,
    pub to: Mode,
}

/// The mode the profile stored on a sandbox's container starts in.
fn profile_of(info: &SandboxInfo) -> Result<Profile, SandboxError> {
    let toml = info.label(labels::PROFILE_TOML).unwrap_or_default();
    let (_, profile) = crate::config::resolve_standalone(
        toml,
        &format!("label {} of {}", labels::PROFILE_TOML, info.name),
    )?;
    Ok(profile)
}

impl SandboxService {
    /// The current mode of a sandbox: its mode file, else its profile's mode.
    pub fn current_mode(&self, info: &SandboxInfo) -> Result<Mode, SandboxError> {
        match read_mode(&self.options.home, &container_name(&info.id))? {
            Some(m) => Ok(m),
            None => Ok(profile_of(info)?.mode),
        }
    }

    /// Changes the mode of a running sandbox. It takes effect on the next command in every
    /// lasso process, is audited (`mode` entry with `from` and `to`) and published.
    pub async fn set_mode(
        &self,
        query: &str,
        mode: Mode,
        actor: &str,
    ) -> Result<ModeChange, SandboxError> {
        let info = self.get(query).await?;
        info.require_created()?;
        if info.state != "running" {
            return Err(SandboxError::NotRunning {
                id: info.name.clone(),
                state: info.state.clone(),
            });
        }
        if !info.is_usable() {
            return Err(SandboxError::Unusable {
                id: info.name.clone(),
                reason: info.problems.join("; "),
            });
        }
        let container = container_name(&info.id);
        // A corrupt mode file is replaced: the change is recorded as from the profile's mode.
        let previous = read_mode(&self.options.home, &container).ok().flatten();
        let from = match previous {
            Some(m) => m,
            None => profile_of(&info)?.mode,
        };
        // The sandbox's own processes obey the new mode from their next exec: the guard
        // re-reads its policy file. Rewritten first, and restored if the mode file cannot be
        // written, so the guard and every lasso process always agree.
        let mut narrowed = profile_of(&info)?;
        narrowed.mode = mode;
        GuardPolicyFile::refresh(&info, &narrowed)?;
        if let Err(e) = write_mode(&self.options.home, &container, mode) {
            narrowed.mode = from;
            let _ = GuardPolicyFile::refresh(&info, &narrowed);
            return Err(e);
        }
        let draft = EntryDraft::new(
            EntryKind::Mode,
            actor,
            "set",
            mode.as_str(),
            Outcome::Success,
        )
        .sandbox(&info.id)
        .detail("from", from.as_str())
        .detail("to", mode.as_str());
        if let Err(e) = self.record(&std::path::PathBuf::from(&info.audit_log), draft) {
            // An unaudited mode change must not stand: put the previous state back.
            let _ = match previous {
                Some(m) => write_mode(&self.options.home, &container, m),
                None => fs::remove_file(mode_file(&self.options.home, &container))
                    .map_err(|e| SandboxError::io("restoring the mode", e)),
            };
            return Err(e);
        }
        self.events.publish(Event::ModeChanged {
            id: info.id.clone(),
            name: info.name.clone(),
            from: from.as_str().to_string(),
            to: mode.as_str().to_string(),
        });
        Ok(ModeChange {
            id: info.id,
            name: info.name,
            from,
            to: mode,
        })
    }

    /// The gate's decision for `command` in a sandbox, in its current mode, without running
    /// or auditing anything (`lasso why ID`).
    pub async fn decide(
        &self,
        query: &str,
        command: &str,
    ) -> Result<(Decision, Mode), SandboxError> {
        let info = self.get(query).await?;
        if !info.is_usable() {
            return Err(SandboxError::Unusable {
                id: info.name.clone(),
                reason: info.problems.join("; "),
            });
        }
        let compiled = self.gate_for(&info)?;
        Ok((compiled.0.check(command).decision, compiled.1.mode))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_file_round_trip_and_fail_closed() {
        let Ok(tmp) = tempfile::tempdir() else {
            panic!("tempdir")
        };
        let Ok(home) = LassoHome::at(tmp.path().join("h")) else {
            panic!("home")
        };
        let c = container_name("0123456789abcdef0123");
        assert_eq!(c, "lasso-0123456789ab");
        assert!(matches!(read_mode(&home, &c), Ok(None)));
        assert!(write_mode(&home, &c, Mode::Observe).is_ok());
        assert!(matches!(read_mode(&home, &c), Ok(Some(Mode::Observe))));
        assert!(write_mode(&home, &c, Mode::Assist).is_ok());
        assert!(matches!(read_mode(&home, &c), Ok(Some(Mode::Assist))));
        let path = mode_file(&home, &c);
        assert_eq!(fs::read_to_string(&path).ok().as_deref(), Some("assist\n"));
        assert!(fs::write(&path, "godmode\n").is_ok());
        let m = read_mode(&home, &c).map_err(|e| e.to_string());
        assert!(
            m.as_ref().is_err_and(
                |m| m.contains("\"godmode\" is not valid") && m.contains("lasso mode ID MODE")
            ),
            "{m:?}"
        );
        assert!(fs::remove_file(&path).is_ok());
        assert!(matches!(read_mode(&home, &c), Ok(None)));
    }
}
