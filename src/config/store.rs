//! The profile store: finding profiles on the search path, resolving `extends` chains, and the
//! file-writing operations (`lasso init`, import).
//!
//! Search path, first match wins: `<project>/.lasso/profiles/`, each directory of
//! `LASSO_PROFILE_DIR` (colon-separated), `LASSO_HOME/profiles/`, then the built-ins.
//! Two rules keep a repository from weakening a profile behind the user's back:
//! - a file that takes a built-in's name must `extends` that built-in, so `strict` always
//!   means at least the built-in's restrictions plus whatever the file changes *visibly*;
//! - `extends = "<own name>"` looks for the parent only in the search-path entries *after*
//!   the file's own, so such a file refines the profile it shadows instead of looping.
//!
//! Cycles are detected by file identity and reported as the chain of names.

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::builtin::{Builtin, builtin, builtin_names};
use super::diag::SourceMap;
use super::error::{ConfigError, Origin};
use super::exchange::{export, to_toml, verify_export};
use super::names::check_profile_name;
use super::profile::Profile;
use super::raw::{RawProfile, parse_profile};
use super::settings::{EnvSource, LassoHome, ProcessEnv, non_empty};

/// Longest `extends` chain followed.
pub const MAX_CHAIN: usize = 16;

/// Where a profile was loaded from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileSource {
    Builtin,
    File(PathBuf),
}

impl fmt::Display for ProfileSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProfileSource::Builtin => f.write_str("builtin"),
            ProfileSource::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// One profile file, parsed but not merged with its parents.
#[derive(Debug, Clone)]
pub struct LoadedProfile {
    pub name: String,
    pub raw: RawProfile,
    pub source: ProfileSource,
    /// The file text, kept to give positions in errors found after merging.
    text: String,
    /// Index of the search-path entry it was found in (built-ins: after the directories).
    layer: Option<usize>,
}

impl LoadedProfile {
    fn label(&self) -> String {
        match &self.source {
            ProfileSource::Builtin => format!("builtin:{}", self.name),
            ProfileSource::File(p) => p.display().to_string(),
        }
    }
}

/// A resolved profile with where it, and each profile it extends, came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedProfile {
    pub profile: Profile,
    pub source: ProfileSource,
    /// The `extends` chain from this profile to its root, with sources.
    pub chain: Vec<(String, ProfileSource)>,
}

/// A row of `lasso profile list`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProfileInfo {
    pub name: String,
    pub source: ProfileSource,
    pub description: String,
    /// Why the profile cannot be used, if it cannot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// The result of an import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedProfile {
    pub profile: Profile,
    pub path: PathBuf,
    /// Name and content hash recorded in the export.
    pub original_name: String,
    pub original_hash: String,
}

/// Finds, loads and resolves profiles.
#[derive(Debug, Clone)]
pub struct ProfileStore {
    home: LassoHome,
    project_dir: Option<PathBuf>,
    dirs: Vec<PathBuf>,
}

impl ProfileStore {
    /// A store for `home` and an optional project directory, reading `LASSO_PROFILE_DIR` from
    /// the process environment.
    pub fn new(home: &LassoHome, project_dir: Option<&Path>) -> Result<ProfileStore, ConfigError> {
        ProfileStore::with_env(home, project_dir, &ProcessEnv)
    }

    /// Like [`ProfileStore::new`] with `LASSO_PROFILE_DIR` read from `env`.
    pub fn with_env(
        home: &LassoHome,
        project_dir: Option<&Path>,
        env: &dyn EnvSource,
    ) -> Result<ProfileStore, ConfigError> {
        let mut dirs = Vec::new();
        if let Some(p) = project_dir {
            dirs.push(p.join(".lasso").join("profiles"));
        }
        if let Some(v) = non_empty(env, "LASSO_PROFILE_DIR") {
            for entry in std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()) {
                if !entry.is_absolute() {
                    return Err(ConfigError::InvalidEnv {
                        name: "LASSO_PROFILE_DIR".into(),
                        value: v.to_string_lossy().into_owned(),
                        expected: format!(
                            "expected absolute directories separated by ':' ({} is relative)",
                            entry.display()
                        ),
                    });
                }
                dirs.push(entry);
            }
        }
        dirs.push(home.profiles_dir());
        Ok(ProfileStore {
            home: home.clone(),
            project_dir: project_dir.map(Path::to_path_buf),
            dirs,
        })
    }

    /// The profile directories searched, in order (the built-ins come after them).
    pub fn search_path(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// `<project>/.lasso/profile.toml` when it exists (written by `lasso init`).
    pub fn project_profile(&self) -> Option<PathBuf> {
        let p = self
            .project_dir
            .as_ref()?
            .join(".lasso")
            .join("profile.toml");
        p.is_file().then_some(p)
    }

    /// Loads one profile without its parents. A value containing `/` or ending in `.toml` is
    /// a file path; anything else is a name looked up on the search path.
    pub fn load(&self, name_or_path: &str) -> Result<LoadedProfile, ConfigError> {
        if is_path(name_or_path) {
            let path = PathBuf::from(name_or_path);
            let layer = self.layer_of(&path);
            return self.load_file(&path, layer, None);
        }
        check_profile_name(name_or_path).map_err(|expected| ConfigError::InvalidValue {
            origin: Origin::file("profile name"),
            key: "name".into(),
            value: format!("{name_or_path:?}"),
            expected,
        })?;
        self.find(name_or_path, 0)?
            .ok_or_else(|| self.unknown(name_or_path, None, 0))
    }

    /// The effective profile for a name or path.
    pub fn resolve(&self, name_or_path: &str) -> Result<Profile, ConfigError> {
        self.resolve_detailed(name_or_path).map(|r| r.profile)
    }

    /// The effective profile with its source and inheritance chain.
    pub fn resolve_detailed(&self, name_or_path: &str) -> Result<ResolvedProfile, ConfigError> {
        let leaf = self.load(name_or_path)?;
        let mut seen: BTreeSet<ProfileSource> = BTreeSet::new();
        seen.insert(identity(&leaf.source));
        let mut chain = vec![leaf];
        while let Some(current) = chain.last() {
            let Some(parent) = current.raw.extends.as_ref().map(|p| p.0.clone()) else {
                break;
            };
            let start = if parent == current.name {
                current.layer.map_or(0, |l| l + 1)
            } else {
                0
            };
            let names = || chain.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
            let found = self
                .find(&parent, start)?
                .ok_or_else(|| self.unknown(&parent, Some(current.label()), start))?;
            if !seen.insert(identity(&found.source)) {
                let mut cycle = names();
                cycle.push(found.name);
                return Err(ConfigError::Cycle { chain: cycle });
            }
            if chain.len() >= MAX_CHAIN {
                let mut long = names();
                long.push(found.name);
                return Err(ConfigError::ChainTooLong {
                    chain: long,
                    limit: MAX_CHAIN,
                });
            }
            chain.push(found);
        }
        let leaf_name = chain[0].name.clone();
        let leaf_label = chain[0].label();
        let leaf_text = chain[0].text.clone();
        let sources = chain
            .iter()
            .map(|c| (c.name.clone(), c.source.clone()))
            .collect::<Vec<_>>();
        let merged = chain
            .into_iter()
            .rev()
            .map(|c| c.raw)
            .reduce(RawProfile::overlay)
            .unwrap_or_default();
        let profile = Profile::from_raw(merged, &leaf_name);
        if let Err(problem) = profile.validate() {
            let map = SourceMap::parse(&leaf_text, &leaf_label).ok();
            return Err(problem.into_error(&leaf_label, map.as_ref()));
        }
        Ok(ResolvedProfile {
            profile,
            source: sources[0].1.clone(),
            chain: sources,
        })
    }

    /// Every profile visible on the search path (the first of each name), then the built-ins
    /// not shadowed. Profiles that fail to resolve are listed with the reason.
    pub fn list(&self) -> Result<Vec<ProfileInfo>, ConfigError> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for dir in &self.dirs {
            let entries = match fs::read_dir(dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(ConfigError::io("list", dir, e)),
            };
            let mut files: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
                .collect();
            files.sort();
            for path in files {
                let stem = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if check_profile_name(&stem).is_err() || !seen.insert(stem.clone()) {
                    continue;
                }
                out.push(self.info(&stem, ProfileSource::File(path)));
            }
        }
        for b in super::builtin::BUILTINS {
            if seen.insert(b.name.to_string()) {
                out.push(self.info(b.name, ProfileSource::Builtin));
            }
        }
        Ok(out)
    }

    fn info(&self, name: &str, source: ProfileSource) -> ProfileInfo {
        match self.resolve_detailed(name) {
            Ok(r) => ProfileInfo {
                name: name.to_string(),
                source,
                description: r.profile.description,
                problem: None,
            },
            Err(e) => ProfileInfo {
                name: name.to_string(),
                source,
                description: String::new(),
                problem: Some(e.to_string()),
            },
        }
    }

    /// Writes `<dir>/.lasso/profile.toml`: a complete copy of the resolved `profile_name`,
    /// renamed `<profile>-project`, for the project to edit. Refuses to overwrite unless `force`.
    pub fn init_project(
        &self,
        dir: &Path,
        profile_name: &str,
        force: bool,
    ) -> Result<PathBuf, ConfigError> {
        let resolved = self.resolve_detailed(profile_name)?;
        let mut profile = resolved.profile;
        let source_hash = profile.hash();
        let source_name = profile.name.clone();
        let new_name = format!("{}-project", profile.name);
        check_profile_name(&new_name).map_err(|expected| ConfigError::InvalidValue {
            origin: Origin::file("lasso init"),
            key: "name".into(),
            value: format!("{new_name:?}"),
            expected: format!("{expected} (use a profile with a shorter name)"),
        })?;
        profile.name = new_name;
        let body = to_toml(&profile)?;
        let text = format!(
            "# Project profile written by `lasso init` from profile {source_name:?} ({}),\n\
             # content sha256 {source_hash}.\n\
             # This is a complete profile: every setting is spelled out. Edit it to suit the\n\
             # project; it is validated whenever it is loaded.\n\n{body}",
            resolved.source
        );
        let lasso_dir = dir.join(".lasso");
        fs::create_dir_all(&lasso_dir)
            .map_err(|e| ConfigError::io("create directory", &lasso_dir, e))?;
        let path = lasso_dir.join("profile.toml");
        write_file(&path, &text, force)?;
        Ok(path)
    }

    /// Verifies an export (schema, validation, integrity against the original content), then
    /// renames it if asked and saves it as `LASSO_HOME/profiles/<name>.toml`. `origin` (the
    /// file it came from) is recorded in a header comment.
    pub fn import(
        &self,
        text: &str,
        new_name: Option<&str>,
        origin: &str,
        force: bool,
    ) -> Result<ImportedProfile, ConfigError> {
        let mut profile = verify_export(text, origin)?;
        let original_name = profile.name.clone();
        let original_hash = profile.hash();
        if let Some(n) = new_name {
            check_profile_name(n).map_err(|expected| ConfigError::InvalidValue {
                origin: Origin::file("import"),
                key: "name".into(),
                value: format!("{n:?}"),
                expected,
            })?;
            profile.name = n.to_string();
        }
        if builtin(&profile.name).is_some() {
            return Err(ConfigError::ShadowsBuiltin {
                file: origin.to_string(),
                name: profile.name,
            });
        }
        let dir = self.home.profiles_dir();
        self.home.ensure_private_dir(&dir)?;
        let path = dir.join(format!("{}.toml", profile.name));
        let body = export(&profile)?;
        let text = format!(
            "# Imported by lasso from {origin}\n\
             # original profile {original_name:?}, content sha256 {original_hash}\n{body}"
        );
        write_file(&path, &text, force)?;
        Ok(ImportedProfile {
            profile,
            path,
            original_name,
            original_hash,
        })
    }

    /// Looks `name` up from search-path entry `start` on (the built-ins are entry
    /// `dirs.len()`).
    fn find(&self, name: &str, start: usize) -> Result<Option<LoadedProfile>, ConfigError> {
        for (i, dir) in self.dirs.iter().enumerate().skip(start) {
            let path = dir.join(format!("{name}.toml"));
            if path.is_file() {
                return self.load_file(&path, Some(i), Some(name)).map(Some);
            }
        }
        match builtin(name) {
            Some(b) if start <= self.dirs.len() => load_builtin(b, self.dirs.len()).map(Some),
            _ => Ok(None),
        }
    }

    fn load_file(
        &self,
        path: &Path,
        layer: Option<usize>,
        expected_name: Option<&str>,
    ) -> Result<LoadedProfile, ConfigError> {
        let label = path.display().to_string();
        let text = fs::read_to_string(path).map_err(|e| ConfigError::io("read", path, e))?;
        let raw = parse_profile(&text, &label)?;
        let name = match &raw.name {
            Some(n) => n.0.clone(),
            None => {
                let stem = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                check_profile_name(&stem).map_err(|e| ConfigError::Inconsistent {
                    origin: Origin::file(&label),
                    key: "name".into(),
                    message: format!(
                        "the file has no name and its file name {stem:?} is not a valid profile \
                         name ({e}); add name = \"...\""
                    ),
                })?;
                stem
            }
        };
        if let Some(expected) = expected_name
            && name != expected
        {
            return Err(ConfigError::NameMismatch {
                file: label,
                declared: name,
                expected: expected.to_string(),
            });
        }
        if builtin(&name).is_some() && raw.extends.as_ref().map(|e| e.0.as_str()) != Some(&name) {
            return Err(ConfigError::ShadowsBuiltin { file: label, name });
        }
        if raw.integrity.is_some() {
            // A saved export: it must still match the hash it was written with.
            verify_export(&text, &label)?;
        }
        Ok(LoadedProfile {
            name,
            raw,
            source: ProfileSource::File(path.to_path_buf()),
            text,
            layer,
        })
    }

    /// The search-path entry a file given by path lives in, if any.
    fn layer_of(&self, path: &Path) -> Option<usize> {
        let canonical = path.canonicalize().ok()?;
        let parent = canonical.parent()?;
        self.dirs
            .iter()
            .position(|d| d.canonicalize().ok().as_deref() == Some(parent))
    }

    fn unknown(&self, name: &str, referenced_by: Option<String>, start: usize) -> ConfigError {
        ConfigError::UnknownProfile {
            name: name.to_string(),
            referenced_by,
            searched: self.dirs.iter().skip(start).cloned().collect(),
            builtins: builtin_names(),
        }
    }
}

fn load_builtin(b: &Builtin, layer: usize) -> Result<LoadedProfile, ConfigError> {
    let raw = parse_profile(b.text, &b.label())?;
    Ok(LoadedProfile {
        name: b.name.to_string(),
        raw,
        source: ProfileSource::Builtin,
        text: b.text.to_string(),
        layer: Some(layer),
    })
}

/// A file's identity for cycle detection (the canonical path when it can be had).
fn identity(source: &ProfileSource) -> ProfileSource {
    match source {
        ProfileSource::File(p) => {
            ProfileSource::File(p.canonicalize().unwrap_or_else(|_| p.clone()))
        }
        ProfileSource::Builtin => ProfileSource::Builtin,
    }
}

fn is_path(s: &str) -> bool {
    s.contains('/') || s.ends_with(".toml")
}

/// Writes `text` to `path`: without `force` only if the file does not exist (checked
/// atomically by `create_new`); with `force` through a temporary file and a rename, so a
/// reader never sees half a profile.
fn write_file(path: &Path, text: &str, force: bool) -> Result<(), ConfigError> {
    if !force {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => ConfigError::AlreadyExists {
                    path: path.to_path_buf(),
                },
                _ => ConfigError::io("create", path, e),
            })?;
        return f
            .write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| ConfigError::io("write", path, e));
    }
    let tmp = path.with_extension(format!("toml.tmp-{}", std::process::id()));
    let result = fs::write(&tmp, text)
        .and_then(|()| fs::rename(&tmp, path))
        .map_err(|e| ConfigError::io("write", path, e));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests;
