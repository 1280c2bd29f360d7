//! The create-time lock check: a project's `.lasso/profiles.lock` pins the resolved hash of
//! its profiles (see `config::lock`), and `create` refuses a pinned profile that resolves to
//! another hash, or no longer resolves, before anything touches the engine.

use std::path::Path;

use super::error::SandboxError;
use crate::config::{Profile, ProfileStore, check_project_lock};

/// Resolves `profile_ref` for a sandbox of `project`, refusing it when the project's lock
/// pins a different hash (or pins it and it no longer resolves).
pub(super) fn resolve_locked(
    store: &ProfileStore,
    project: &Path,
    profile_ref: &str,
) -> Result<Profile, SandboxError> {
    match store.resolve(profile_ref) {
        Ok(profile) => {
            check_project_lock(project, &profile.name, Ok(&profile.hash()))?;
            Ok(profile)
        }
        Err(e) => {
            // A path has no name to look up in the lock until it resolves.
            if !profile_ref.contains('/') && !profile_ref.ends_with(".toml") {
                check_project_lock(project, profile_ref, Err(&e.to_string()))?;
            }
            Err(e.into())
        }
    }
}
