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
use std::path::{Path, PathBuf};

use super::builtin::{Builtin, builtin, builtin_names};
use super::diag::SourceMap;
use super::error::{ConfigError, Origin};
use super::exchange::verify_export;
use super::names::{ProfileName, check_profile_name};
use super::profile::Profile;
use super::raw::{RawProfile, RawProvenance, parse_profile};
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

// The OpenAPI schema of the serialised form: `"builtin"` or `{"file": "<path>"}`.
impl utoipa::PartialSchema for ProfileSource {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["builtin"])),
            )
            .item(
                ObjectBuilder::new()
                    .property("file", ObjectBuilder::new().schema_type(Type::String))
                    .required("file")
                    .additional_properties(Some(
                        utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
                    )),
            )
            .into()
    }
}

impl utoipa::ToSchema for ProfileSource {}

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
    /// The profile of the same name this one shadows (and, by the shadowing rule, extends).
    pub shadows: Option<ProfileSource>,
    /// Where an imported profile came from (`[provenance]`).
    pub provenance: Option<RawProvenance>,
}

/// A row of `lasso profile list`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ProfileInfo {
    pub name: String,
    pub source: ProfileSource,
    pub description: String,
    /// The profile of the same name in a later search-path entry that this one shadows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shadows: Option<ProfileSource>,
    /// Why the profile cannot be used, if it cannot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
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
        self.resolve_loaded(leaf)
    }

    /// Resolves an already loaded profile (a file, a built-in, or an archived version placed
    /// at its file's search-path entry) through its `extends` chain.
    pub(crate) fn resolve_loaded(
        &self,
        leaf: LoadedProfile,
    ) -> Result<ResolvedProfile, ConfigError> {
        let (merged, leaf_label, leaf_text, provenance, sources) = self.merge_chain(leaf)?;
        let leaf_name = sources[0].0.clone();
        let profile = Profile::from_raw(merged, &leaf_name);
        if let Err(problem) = profile.validate() {
            let map = SourceMap::parse(&leaf_text, &leaf_label).ok();
            return Err(problem.into_error(&leaf_label, map.as_ref()));
        }
        let shadows = match sources.get(1) {
            Some((parent, source)) if *parent == leaf_name => Some(source.clone()),
            _ => None,
        };
        Ok(ResolvedProfile {
            profile,
            source: sources[0].1.clone(),
            chain: sources,
            shadows,
            provenance,
        })
    }

    /// What the profile `name` gets from its parents alone: the effective profile if its file
    /// set nothing but `extends` (the strict defaults when `extends` is `None`). Not validated
    /// (the defaults alone need not be a usable profile); the profile editor shows these as
    /// the values of the fields a file leaves unset.
    pub fn inherited(&self, name: &str, extends: Option<&str>) -> Result<Profile, ConfigError> {
        check_profile_name(name).map_err(|expected| ConfigError::InvalidValue {
            origin: Origin::file("profile name"),
            key: "name".into(),
            value: format!("{name:?}"),
            expected,
        })?;
        let mut raw = RawProfile::default();
        if let Some(parent) = extends {
            check_profile_name(parent).map_err(|expected| ConfigError::InvalidValue {
                origin: Origin::file("extends"),
                key: "extends".into(),
                value: format!("{parent:?}"),
                expected,
            })?;
            raw.extends = Some(ProfileName(parent.to_string()));
        }
        // In the place of the existing file of that name, or of a new user profile.
        let (source, layer) = match self.find(name, 0) {
            Ok(Some(found)) => (found.source, found.layer),
            _ => {
                let dir = self.home.profiles_dir();
                let layer = self.dirs.iter().position(|d| *d == dir);
                (ProfileSource::File(dir.join(format!("{name}.toml"))), layer)
            }
        };
        let leaf = LoadedProfile {
            name: name.to_string(),
            raw,
            source,
            text: String::new(),
            layer,
        };
        let (merged, ..) = self.merge_chain(leaf)?;
        Ok(Profile::from_raw(merged, name))
    }

    /// Follows `extends` from `leaf` and merges the chain: the merged raw profile, the leaf's
    /// label and text (for positions), its provenance, and the chain's names and sources.
    #[allow(clippy::type_complexity)]
    fn merge_chain(
        &self,
        leaf: LoadedProfile,
    ) -> Result<
        (
            RawProfile,
            String,
            String,
            Option<RawProvenance>,
            Vec<(String, ProfileSource)>,
        ),
        ConfigError,
    > {
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
        let leaf_label = chain[0].label();
        let leaf_text = chain[0].text.clone();
        let provenance = chain[0].raw.provenance.clone();
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
        Ok((merged, leaf_label, leaf_text, provenance, sources))
    }

    /// Every profile visible on the search path (the first of each name), then the built-ins
    /// not shadowed. Profiles that fail to resolve are listed with the reason.
    pub fn list(&self) -> Result<Vec<ProfileInfo>, ConfigError> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (i, dir) in self.dirs.iter().enumerate() {
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
                let mut info = self.info(&stem, ProfileSource::File(path));
                info.shadows = self.shadowed(&stem, i);
                out.push(info);
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
                shadows: None,
                problem: None,
            },
            Err(e) => ProfileInfo {
                name: name.to_string(),
                source,
                description: String::new(),
                shadows: None,
                problem: Some(e.to_string()),
            },
        }
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
        let text = fs::read_to_string(path).map_err(|e| ConfigError::io("read", path, e))?;
        self.load_text(path, path, text, layer, expected_name)
    }

    /// Loads profile text read from `source`, as if it were the file `as_file` in search-path
    /// entry `layer` (an archived version is checked and resolved in its file's place).
    pub(crate) fn load_text(
        &self,
        source: &Path,
        as_file: &Path,
        text: String,
        layer: Option<usize>,
        expected_name: Option<&str>,
    ) -> Result<LoadedProfile, ConfigError> {
        let label = source.display().to_string();
        let raw = parse_profile(&text, &label)?;
        let name = match &raw.name {
            Some(n) => n.0.clone(),
            None => {
                let stem = as_file
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
        let extends_itself = raw.extends.as_ref().map(|e| e.0.as_str()) == Some(&name);
        if !extends_itself {
            // A file may take the name of a profile later on the search path (a user's, a
            // team's or a built-in) only to refine it, never to replace it silently.
            match layer.and_then(|l| self.shadowed(&name, l)) {
                Some(ProfileSource::File(shadowed)) => {
                    return Err(ConfigError::ShadowsProfile {
                        file: label,
                        name,
                        shadowed: shadowed.display().to_string(),
                    });
                }
                _ if builtin(&name).is_some() => {
                    return Err(ConfigError::ShadowsBuiltin { file: label, name });
                }
                _ => {}
            }
        }
        if raw.integrity.is_some() {
            // A saved export: it must still match the hash it was written with.
            verify_export(&text, &label)?;
        }
        Ok(LoadedProfile {
            name,
            raw,
            source: ProfileSource::File(source.to_path_buf()),
            text,
            layer,
        })
    }

    /// The profile named `name` in a search-path entry after `layer` (or the built-in of that
    /// name), which a file of that name in entry `layer` would shadow.
    pub(crate) fn shadowed(&self, name: &str, layer: usize) -> Option<ProfileSource> {
        self.dirs
            .iter()
            .skip(layer + 1)
            .map(|d| d.join(format!("{name}.toml")))
            .find(|p| p.is_file())
            .map(ProfileSource::File)
            .or_else(|| {
                (layer < self.dirs.len() && builtin(name).is_some())
                    .then_some(ProfileSource::Builtin)
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

mod history;
mod write;

pub use history::{HistoryEntry, history_dir, parse_version, text_sha256};
pub use write::{ImportedProfile, ProfileHistory, SavedProfile, TextCheck, TextProblem};

#[cfg(test)]
mod tests;
