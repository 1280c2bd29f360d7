//! `lasso profile export|import|keygen|history|rollback|lock`: sharing with integrity and
//! signatures, versions, and the project lock file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::output::{CliError, print_json, table};
use super::profile::{ProfileCommand, store};
use crate::config::{
    self, ConfigError, LockEntry, LockStatus, Profile, ProfileLock, ProfileStore, ResolvedProfile,
    TeamKey, lock_path, parse_version,
};

/// A profile or one of its archived versions: `NAME`, `PATH`, `NAME@v3` or `NAME@3`.
pub(super) fn resolve_ref(store: &ProfileStore, spec: &str) -> Result<Profile, CliError> {
    if let Some((name, v)) = spec.rsplit_once('@')
        && let Some(version) = parse_version(v)
    {
        return Ok(store.resolve_version(name, version)?.profile);
    }
    Ok(store.resolve(spec)?)
}

fn version_arg(v: &str) -> Result<u32, CliError> {
    parse_version(v).ok_or_else(|| {
        CliError::msg(format!(
            "version {v:?} is not valid: expected v1, v2, ... (see `lasso profile history NAME`)"
        ))
        .with_code(2)
    })
}

pub(super) fn run(dir: Option<&Path>, command: ProfileCommand) -> Result<ExitCode, CliError> {
    match command {
        ProfileCommand::Export {
            name,
            output,
            sign_key,
        } => {
            let store = store(dir)?;
            let profile = store.resolve(&name)?;
            let key = sign_key.as_deref().map(TeamKey::from_file).transpose()?;
            let text = config::export_with(&profile, key.as_ref())?;
            let signed = key
                .as_ref()
                .map(|k| format!(", signed with team key {}", k.key_id()))
                .unwrap_or_default();
            match output {
                Some(path) => {
                    std::fs::write(&path, text).map_err(|e| {
                        CliError::msg(format!("cannot write {}: {e}", path.display()))
                    })?;
                    eprintln!(
                        "exported profile {} to {} (sha256 {}{signed})",
                        profile.name,
                        path.display(),
                        profile.hash()
                    );
                }
                None => print!("{text}"),
            }
        }
        ProfileCommand::Import {
            file,
            name,
            force,
            key,
        } => {
            let store = store(dir)?;
            let text = std::fs::read_to_string(&file)
                .map_err(|e| CliError::msg(format!("cannot read {}: {e}", file.display())))?;
            let key = key.as_deref().map(TeamKey::from_file).transpose()?;
            let imported = store.import(
                &text,
                name.as_deref(),
                &file.display().to_string(),
                force,
                key.as_ref(),
            )?;
            let signed = match &imported.key_id {
                Some(k) => format!(", signature verified with team key {k}"),
                None => ", unsigned".to_string(),
            };
            println!(
                "imported profile {} (original {}, sha256 {}{signed}) to {}",
                imported.profile.name,
                imported.original_name,
                imported.original_hash,
                imported.path.display()
            );
            if let Some(a) = &imported.archived {
                println!(
                    "the previous version is archived as v{} ({})",
                    a.version,
                    a.path.display()
                );
            }
        }
        ProfileCommand::Keygen { output } => {
            let key = TeamKey::write_new(&output)?;
            println!(
                "wrote team key {} to {} (mode 0600); share it only with the people who may sign \
                 profiles, then `lasso profile export NAME --sign-key {}`",
                key.key_id(),
                output.display(),
                output.display()
            );
        }
        ProfileCommand::History { name, json } => {
            let store = store(dir).map_err(|e| e.json(json))?;
            let h = store
                .history(&name)
                .map_err(|e| CliError::from(e).json(json))?;
            if json {
                print_json(&h);
            } else {
                println!(
                    "profile {} ({}), current sha256 {}",
                    h.name,
                    h.path.display(),
                    h.current_sha256.as_deref().unwrap_or("(file missing)")
                );
                if h.versions.is_empty() {
                    println!("no archived versions yet");
                } else {
                    let rows: Vec<Vec<String>> = h
                        .versions
                        .iter()
                        .map(|v| {
                            vec![
                                format!("v{}", v.version),
                                v.saved_at.clone(),
                                v.sha256.chars().take(16).collect(),
                                format!("replaced by {}", v.reason),
                            ]
                        })
                        .collect();
                    print!(
                        "{}",
                        table(&["VERSION", "ARCHIVED", "SHA256", "REASON"], &rows)
                    );
                }
            }
        }
        ProfileCommand::Rollback { name, to, json } => {
            let version = version_arg(&to).map_err(|e| e.json(json))?;
            let store = store(dir).map_err(|e| e.json(json))?;
            let saved = store
                .rollback(&name, version)
                .map_err(|e| CliError::from(e).json(json))?;
            let archived = saved.archived.as_ref().map(|a| a.version);
            if json {
                print_json(&serde_json::json!({
                    "name": saved.profile.name,
                    "path": saved.path,
                    "restored": version,
                    "archived_as": archived,
                    "sha256": saved.profile.hash(),
                }));
            } else {
                println!(
                    "profile {} is now v{version} again ({}); the version it replaced is archived \
                     as v{}",
                    saved.profile.name,
                    saved.path.display(),
                    archived.map_or_else(|| "-".to_string(), |v| v.to_string())
                );
            }
        }
        ProfileCommand::Lock { names, check, json } => {
            let project = dir.map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            return lock(&project, &names, check, json).map_err(|e| e.json(json));
        }
        _ => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// A pinned name: a profile on the search path, else the project's `.lasso/profile.toml`
/// when it declares that name (it is pinned by name, but is not on the search path).
fn resolve_for_lock(store: &ProfileStore, name: &str) -> Result<ResolvedProfile, ConfigError> {
    match store.resolve_detailed(name) {
        Err(e @ ConfigError::UnknownProfile { .. }) => {
            let project = store
                .project_profile()
                .and_then(|p| store.resolve_detailed(&p.display().to_string()).ok())
                .filter(|r| r.profile.name == name);
            project.ok_or(e)
        }
        other => other,
    }
}

/// The profiles `lock` pins when none are named: those already pinned, the project's own
/// `.lasso/profiles/*.toml` and its `.lasso/profile.toml` (by the name it declares).
fn default_lock_names(
    store: &ProfileStore,
    project: &Path,
    existing: Option<&ProfileLock>,
) -> Vec<String> {
    let mut names: Vec<String> = existing
        .map(|l| l.profiles.keys().cloned().collect())
        .unwrap_or_default();
    if let Ok(entries) = std::fs::read_dir(project.join(".lasso").join("profiles")) {
        for e in entries.filter_map(Result::ok) {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "toml")
                && let Some(stem) = p.file_stem()
            {
                names.push(stem.to_string_lossy().into_owned());
            }
        }
    }
    if let Some(p) = store.project_profile() {
        names.push(p.display().to_string());
    }
    names.sort();
    names.dedup();
    names
}

fn lock(project: &Path, names: &[String], check: bool, json: bool) -> Result<ExitCode, CliError> {
    let store = store(Some(project))?;
    let existing = ProfileLock::load(project)?;
    let path = lock_path(project);
    if check {
        let Some(lock) = existing else {
            return Err(CliError::msg(format!(
                "{} does not exist; write it with `lasso profile lock --dir {}`",
                path.display(),
                project.display()
            )));
        };
        let wanted: Vec<String> = if names.is_empty() {
            lock.profiles.keys().cloned().collect()
        } else {
            names.to_vec()
        };
        let mut rows = Vec::new();
        let mut ok = true;
        for name in &wanted {
            let status = match resolve_for_lock(&store, name) {
                Ok(r) => lock.status(name, Ok(&r.profile.hash())),
                Err(e) => lock.status(name, Err(&e.to_string())),
            };
            if !matches!(status, LockStatus::Matches) {
                ok = false;
            }
            rows.push((name.clone(), status));
        }
        if json {
            let profiles: Vec<serde_json::Value> = rows
                .iter()
                .map(|(n, s)| {
                    let mut v = serde_json::to_value(s).unwrap_or_default();
                    v["name"] = serde_json::Value::String(n.clone());
                    v
                })
                .collect();
            print_json(&serde_json::json!({"lock": path, "ok": ok, "profiles": profiles}));
        } else {
            for (name, status) in &rows {
                match status {
                    LockStatus::Matches => println!("ok        {name}"),
                    LockStatus::Unpinned => {
                        println!("UNPINNED  {name}: not in {}", path.display())
                    }
                    LockStatus::Mismatch { locked, actual } => println!(
                        "MISMATCH  {name}: locked sha256 {locked}, resolved sha256 {actual}"
                    ),
                    LockStatus::Unresolvable { reason, .. } => {
                        println!("MISSING   {name}: no longer resolves: {reason}")
                    }
                }
            }
            if !ok {
                eprintln!(
                    "lasso: {} does not match; review the changes (`lasso profile diff`), then \
                     update it with `lasso profile lock --dir {}`",
                    path.display(),
                    project.display()
                );
            }
        }
        return Ok(if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let wanted = if names.is_empty() {
        default_lock_names(&store, project, existing.as_ref())
    } else {
        names.to_vec()
    };
    if wanted.is_empty() {
        return Err(CliError::msg(format!(
            "nothing to lock: {} has no .lasso/profiles/ or .lasso/profile.toml; name the \
             profiles to pin (`lasso profile lock --dir {} NAME...`)",
            project.display(),
            project.display()
        )));
    }
    // Keep pins of profiles not named now; re-pin the named ones. Any failure writes nothing.
    let mut lock = existing.unwrap_or_default();
    let mut pinned = BTreeMap::new();
    for name in &wanted {
        let r = resolve_for_lock(&store, name)?;
        let entry = LockEntry {
            sha256: r.profile.hash(),
            source: r.source.to_string(),
        };
        lock.profiles.insert(r.profile.name.clone(), entry.clone());
        pinned.insert(r.profile.name.clone(), entry);
    }
    let written = lock.write(project)?;
    if json {
        print_json(&serde_json::json!({"lock": written, "pinned": pinned}));
    } else {
        let rows: Vec<Vec<String>> = pinned
            .iter()
            .map(|(n, e)| vec![n.clone(), e.sha256.clone(), e.source.clone()])
            .collect();
        print!("{}", table(&["PROFILE", "SHA256", "SOURCE"], &rows));
        println!("wrote {}", written.display());
    }
    Ok(ExitCode::SUCCESS)
}
