//! The store's writing operations: `lasso init`, import, [`ProfileStore::save`] (the API the
//! TUI saves through), rollback, and reading archived versions.
//!
//! Every write of a profile file goes through [`replace_file`], which first archives the
//! text being replaced (see `history.rs`) and then writes through a temporary file and a
//! rename, so no reader ever sees half a profile and no version is ever lost. Built-in
//! profiles live in the binary: they are read-only and have no history.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::history::{self, HistoryEntry};
use super::{ProfileStore, ResolvedProfile, is_path};
use crate::config::builtin::builtin;
use crate::config::error::{ConfigError, Location, Origin};
use crate::config::exchange::{export, to_toml, verify_import};
use crate::config::names::check_profile_name;
use crate::config::profile::Profile;
use crate::config::raw::RawProvenance;
use crate::config::signing::TeamKey;

/// The result of an import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedProfile {
    pub profile: Profile,
    pub path: PathBuf,
    /// Name and content hash recorded in the export.
    pub original_name: String,
    pub original_hash: String,
    /// The team key whose signature was verified, if the export was signed.
    pub key_id: Option<String>,
    /// The previous file of that name, archived before it was replaced (`--force`).
    pub archived: Option<HistoryEntry>,
}

/// The result of [`ProfileStore::save`] and [`ProfileStore::rollback`].
#[derive(Debug, Clone, PartialEq)]
pub struct SavedProfile {
    pub profile: Profile,
    pub path: PathBuf,
    /// The version the write replaced, now in the history (`None` for a new profile).
    pub archived: Option<HistoryEntry>,
}

/// The result of [`ProfileStore::check_text`]: the resolved profile, or the first problem.
#[derive(Debug, Clone, PartialEq)]
pub struct TextCheck {
    pub resolved: Option<ResolvedProfile>,
    pub problem: Option<TextProblem>,
}

/// Why profile text would not save, with the key and position when the error has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextProblem {
    /// Key path such as `resources.memory` or `network.allowed_cidrs[1]`.
    pub key: Option<String>,
    /// 1-based line and column in the checked text.
    pub location: Option<Location>,
    /// The full message, as `lasso profile validate` prints it.
    pub message: String,
}

/// A profile file and its archived versions (`lasso profile history`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProfileHistory {
    pub name: String,
    pub path: PathBuf,
    /// SHA-256 of the current file's text (`None` when the file is gone).
    pub current_sha256: Option<String>,
    pub versions: Vec<HistoryEntry>,
}

fn invalid_name(origin: &str, name: &str, expected: String) -> ConfigError {
    ConfigError::InvalidValue {
        origin: Origin::file(origin),
        key: "name".into(),
        value: format!("{name:?}"),
        expected,
    }
}

impl ProfileStore {
    /// Writes `<dir>/.lasso/profile.toml`: a complete copy of the resolved `profile_name`,
    /// renamed `<profile>-project`, for the project to edit. Refuses to overwrite unless
    /// `force`; a replaced file is archived first.
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
        check_profile_name(&new_name).map_err(|expected| {
            invalid_name(
                "lasso init",
                &new_name,
                format!("{expected} (use a profile with a shorter name)"),
            )
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
        replace_file(&path, &text, force, "init")?;
        Ok(path)
    }

    /// Verifies an export (schema, integrity block, signature with `key`, content hash), then
    /// renames it if asked and saves it as `LASSO_HOME/profiles/<name>.toml` with a
    /// `[provenance]` table recording where it came from. `origin` names the source file.
    pub fn import(
        &self,
        text: &str,
        new_name: Option<&str>,
        origin: &str,
        force: bool,
        key: Option<&TeamKey>,
    ) -> Result<ImportedProfile, ConfigError> {
        // Verification is of the file exactly as received; renaming happens afterwards and the
        // saved copy gets a fresh hash of its own content.
        let verified = verify_import(text, origin, key)?;
        let mut profile = verified.profile;
        let original_name = profile.name.clone();
        if let Some(n) = new_name {
            check_profile_name(n).map_err(|expected| invalid_name("import", n, expected))?;
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
        let provenance = RawProvenance {
            source: Some(origin.to_string()),
            original_name: Some(original_name.clone()),
            sha256: Some(verified.sha256.clone()),
            key_id: verified.key_id.clone(),
            imported_at: Some(
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
        };
        #[derive(serde::Serialize)]
        struct Table<'a> {
            provenance: &'a RawProvenance,
        }
        let table = toml::to_string(&Table {
            provenance: &provenance,
        })
        .map_err(|e| ConfigError::Schema {
            origin: Origin::file(path.display().to_string()),
            message: format!("cannot write the provenance table: {e}"),
        })?;
        let body = export(&profile)?;
        let signed = match &verified.key_id {
            Some(k) => format!(", signature verified with team key {k}"),
            None => String::new(),
        };
        let text = format!(
            "# Imported by lasso from {origin}\n\
             # original profile {original_name:?}, content sha256 {}{signed}\n{body}\n{table}",
            verified.sha256
        );
        let archived = replace_file(&path, &text, force, "import")?;
        Ok(ImportedProfile {
            profile,
            path,
            original_name,
            original_hash: verified.sha256,
            key_id: verified.key_id,
            archived,
        })
    }

    /// Saves `text` as the user profile `name` (`LASSO_HOME/profiles/<name>.toml`), replacing
    /// and archiving the current version. The text must parse, carry this name (or none) and
    /// resolve; nothing is written otherwise. Built-in names are refused.
    pub fn save(&self, name: &str, text: &str) -> Result<SavedProfile, ConfigError> {
        let (path, resolved) = self.prepare_save(name, text)?;
        self.home.ensure_private_dir(&self.home.profiles_dir())?;
        let archived = replace_file(&path, text, true, "save")?;
        Ok(SavedProfile {
            profile: resolved.profile,
            path,
            archived,
        })
    }

    /// Everything [`ProfileStore::save`] checks, without writing: the name, the built-in
    /// rule, parsing with positions, the name/file agreement, shadowing, the `extends` chain
    /// and the validator, all with the text placed where the file would be. The editor calls
    /// this on every edit, so what it accepts is exactly what a save accepts.
    pub fn check_text(&self, name: &str, text: &str) -> TextCheck {
        match self.prepare_save(name, text) {
            Ok((_, resolved)) => TextCheck {
                resolved: Some(resolved),
                problem: None,
            },
            Err(e) => TextCheck {
                resolved: None,
                problem: Some(TextProblem {
                    key: e.key().map(str::to_string),
                    location: e.origin().and_then(|o| o.location),
                    message: e.to_string(),
                }),
            },
        }
    }

    fn prepare_save(
        &self,
        name: &str,
        text: &str,
    ) -> Result<(PathBuf, ResolvedProfile), ConfigError> {
        check_profile_name(name).map_err(|expected| invalid_name("save", name, expected))?;
        if builtin(name).is_some() {
            return Err(ConfigError::BuiltinReadOnly {
                name: name.to_string(),
            });
        }
        let dir = self.home.profiles_dir();
        let path = dir.join(format!("{name}.toml"));
        let layer = self.dirs.iter().position(|d| *d == dir);
        let leaf = self.load_text(&path, &path, text.to_string(), layer, Some(name))?;
        let resolved = self.resolve_loaded(leaf)?;
        Ok((path, resolved))
    }

    /// Deletes the user profile `name` (`LASSO_HOME/profiles/<name>.toml`) after archiving it
    /// in its history (`LASSO_HOME/profiles/.history/<name>/`), so no version is lost. Built-in
    /// names and profiles elsewhere on the search path (a project's, `LASSO_PROFILE_DIR`) are
    /// refused: those files belong to someone else.
    pub fn delete(&self, name: &str) -> Result<Option<HistoryEntry>, ConfigError> {
        check_profile_name(name).map_err(|expected| invalid_name("delete", name, expected))?;
        let path = self.home.profiles_dir().join(format!("{name}.toml"));
        if !path.is_file() {
            if builtin(name).is_some() {
                return Err(ConfigError::BuiltinReadOnly {
                    name: name.to_string(),
                });
            }
            return Err(self.unknown(name, None, 0));
        }
        let archived = history::archive(&path, "delete")?;
        fs::remove_file(&path).map_err(|e| ConfigError::io("delete", &path, e))?;
        Ok(archived)
    }

    /// The file `name_or_path` refers to, and its search-path entry, without parsing it (so a
    /// broken profile can still be rolled back). Built-ins have no file.
    fn locate(&self, name_or_path: &str) -> Result<(PathBuf, Option<usize>), ConfigError> {
        if is_path(name_or_path) {
            let path = PathBuf::from(name_or_path);
            let layer = self.layer_of(&path);
            return Ok((path, layer));
        }
        check_profile_name(name_or_path)
            .map_err(|expected| invalid_name("profile name", name_or_path, expected))?;
        for (i, dir) in self.dirs.iter().enumerate() {
            let path = dir.join(format!("{name_or_path}.toml"));
            if path.is_file() {
                return Ok((path, Some(i)));
            }
        }
        if builtin(name_or_path).is_some() {
            return Err(ConfigError::BuiltinReadOnly {
                name: name_or_path.to_string(),
            });
        }
        Err(self.unknown(name_or_path, None, 0))
    }

    /// The archived versions of the profile file `name_or_path` resolves to.
    pub fn history(&self, name_or_path: &str) -> Result<ProfileHistory, ConfigError> {
        let (path, _) = self.locate(name_or_path)?;
        let current_sha256 = fs::read_to_string(&path)
            .ok()
            .map(|t| history::text_sha256(&t));
        Ok(ProfileHistory {
            name: file_stem(&path),
            versions: history::list(&path)?,
            current_sha256,
            path,
        })
    }

    /// Version `version` of `name_or_path`, resolved in its file's place on the search path.
    pub fn resolve_version(
        &self,
        name_or_path: &str,
        version: u32,
    ) -> Result<ResolvedProfile, ConfigError> {
        let (path, layer) = self.locate(name_or_path)?;
        let (entry, text) = history::read_version(&path, version)?;
        let expected = (!is_path(name_or_path)).then_some(name_or_path);
        let leaf = self.load_text(&entry.path, &path, text, layer, expected)?;
        self.resolve_loaded(leaf)
    }

    /// Makes version `version` current again. The current file is archived first, so a
    /// rollback can itself be rolled back. The version must still resolve.
    pub fn rollback(&self, name_or_path: &str, version: u32) -> Result<SavedProfile, ConfigError> {
        let (path, _) = self.locate(name_or_path)?;
        let resolved = self.resolve_version(name_or_path, version)?;
        let (_, text) = history::read_version(&path, version)?;
        let archived = replace_file(&path, &text, true, &format!("rollback to v{version}"))?;
        Ok(SavedProfile {
            profile: resolved.profile,
            path,
            archived,
        })
    }
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Writes `text` to `path`. Without `force` only if the file does not exist (checked
/// atomically by `create_new`); with `force` the current file is archived (`reason` says
/// why) and replaced through a temporary file and a rename, so a reader never sees half a
/// profile.
fn replace_file(
    path: &Path,
    text: &str,
    force: bool,
    reason: &str,
) -> Result<Option<HistoryEntry>, ConfigError> {
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
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| ConfigError::io("write", path, e))?;
        return Ok(None);
    }
    let archived = history::archive(path, reason)?;
    let tmp = path.with_extension(format!("toml.tmp-{}", std::process::id()));
    let result = fs::write(&tmp, text)
        .and_then(|()| fs::rename(&tmp, path))
        .map_err(|e| ConfigError::io("write", path, e));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map(|()| archived)
}
