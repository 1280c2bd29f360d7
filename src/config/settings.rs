//! `LASSO_HOME` (where lasso keeps its state) and the settings file `LASSO_HOME/config.toml`.
//!
//! The home holds the audit key, the audit logs and imported profiles, so it is created with
//! mode 0700 and refused when group or others can write to it. Environment variables are read
//! through [`EnvSource`] rather than `std::env` directly: tests pass a map instead of
//! mutating the process environment (which is `unsafe` in edition 2024 and races between
//! threads), and front ends can show exactly which variables were consulted.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::diag::parse_toml;
use super::enums::RuntimeKind;
use super::error::ConfigError;
use super::names::{ImageRef, check_image_ref};
use super::profile::DEFAULT_BASE_IMAGE;

/// Where environment variables are read from.
pub trait EnvSource {
    fn var_os(&self, name: &str) -> Option<OsString>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn var_os(&self, name: &str) -> Option<OsString> {
        std::env::var_os(name)
    }
}

impl EnvSource for HashMap<String, String> {
    fn var_os(&self, name: &str) -> Option<OsString> {
        self.get(name).map(OsString::from)
    }
}

impl EnvSource for BTreeMap<String, String> {
    fn var_os(&self, name: &str) -> Option<OsString> {
        self.get(name).map(OsString::from)
    }
}

/// A variable's value, treating an empty value as unset.
pub(crate) fn non_empty(env: &dyn EnvSource, name: &str) -> Option<OsString> {
    env.var_os(name).filter(|v| !v.is_empty())
}

/// The lasso state directory (`LASSO_HOME`, default `~/.lasso`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LassoHome {
    root: PathBuf,
}

impl LassoHome {
    /// From `LASSO_HOME`, else `$HOME/.lasso`, in the process environment.
    pub fn from_env() -> Result<LassoHome, ConfigError> {
        LassoHome::from_env_source(&ProcessEnv)
    }

    /// From `LASSO_HOME`, else `$HOME/.lasso`, as `env` reports them. Creates the directory.
    pub fn from_env_source(env: &dyn EnvSource) -> Result<LassoHome, ConfigError> {
        let root = match non_empty(env, "LASSO_HOME") {
            Some(v) => {
                let p = PathBuf::from(&v);
                if !p.is_absolute() {
                    return Err(ConfigError::InvalidEnv {
                        name: "LASSO_HOME".into(),
                        value: v.to_string_lossy().into_owned(),
                        expected: "expected an absolute path".into(),
                    });
                }
                p
            }
            None => {
                let home = non_empty(env, "HOME").ok_or(ConfigError::NoHome)?;
                let home = PathBuf::from(home);
                if !home.is_absolute() {
                    return Err(ConfigError::NoHome);
                }
                home.join(".lasso")
            }
        };
        LassoHome::at(root)
    }

    /// Uses `root`, creating it with mode 0700 if missing.
    pub fn at(root: impl Into<PathBuf>) -> Result<LassoHome, ConfigError> {
        let home = LassoHome { root: root.into() };
        home.ensure_private_dir(&home.root)?;
        Ok(home)
    }

    /// Creates `dir` (and missing parents) with mode 0700; refuses an existing `dir` that
    /// group or others may write to.
    pub fn ensure_private_dir(&self, dir: &Path) -> Result<(), ConfigError> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| ConfigError::io("create directory", dir, e))?;
        let meta = fs::metadata(dir).map_err(|e| ConfigError::io("inspect", dir, e))?;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Err(ConfigError::InsecureHome {
                path: dir.to_path_buf(),
                mode,
            });
        }
        Ok(())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `audit/`: one chained log per sandbox.
    pub fn audit_dir(&self) -> PathBuf {
        self.root.join("audit")
    }

    /// `audit.key`: the HMAC key of the audit logs (0600).
    pub fn audit_key(&self) -> PathBuf {
        self.root.join("audit.key")
    }

    /// `profiles/`: the user's own and imported profiles.
    pub fn profiles_dir(&self) -> PathBuf {
        self.root.join("profiles")
    }

    /// `run/`: per-sandbox state that changes while it runs (`run/<container>/mode`).
    pub fn run_dir(&self) -> PathBuf {
        self.root.join("run")
    }

    /// `config.toml`: the settings file.
    pub fn config_file(&self) -> PathBuf {
        self.root.join("config.toml")
    }
}

/// Where the effective base image came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingSource {
    /// The `LASSO_BASE_IMAGE` environment variable.
    Environment,
    /// `base_image` in `config.toml`.
    ConfigFile,
    /// lasso's built-in default.
    Default,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    base_image: Option<ImageRef>,
    runtime: Option<RuntimeKind>,
    api: Option<RawApiSettings>,
    #[serde(default)]
    webhooks: Vec<super::webhooks::RawWebhook>,
    /// The TUI's theme: a name or an absolute path to a theme file.
    theme: Option<String>,
}

/// `[api]` in `config.toml`: the REST listener (`lasso serve`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApiSettings {
    rate_limit_per_minute: Option<i64>,
    list_cache_ms: Option<i64>,
}

/// Requests per minute each API key may make unless `[api].rate_limit_per_minute` says
/// otherwise.
pub const DEFAULT_API_RATE_LIMIT: u32 = 100;
/// The highest `[api].rate_limit_per_minute` accepted: above it the limit protects nothing.
pub const MAX_API_RATE_LIMIT: u32 = 1_000_000;
/// How long (ms) the service reuses one engine container list unless `[api].list_cache_ms`
/// says otherwise: long enough to turn a burst of `GET /sandboxes` into one engine call,
/// short enough that other processes' changes show up at human speed.
pub const DEFAULT_LIST_CACHE_MS: u32 = 250;
/// The highest `[api].list_cache_ms` accepted: beyond it listings would be visibly stale.
pub const MAX_LIST_CACHE_MS: u32 = 10_000;

/// Effective settings: `config.toml` with environment overrides applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The base image for profiles without `[image].base`.
    pub base_image: String,
    pub base_image_source: SettingSource,
    /// The engine to use; `None` lets the runtime detect one.
    pub runtime: Option<RuntimeKind>,
    /// Requests per minute per API key (`[api].rate_limit_per_minute`).
    pub api_rate_limit_per_minute: u32,
    /// How long one engine container list is reused (`[api].list_cache_ms`); 0 disables it.
    pub list_cache_ms: u32,
    /// `[[webhooks]]`: where `lasso serve` posts events (validated).
    pub webhooks: Vec<super::WebhookConfig>,
    /// The TUI's theme (`theme` in `config.toml`): a theme name or an absolute path; `None`
    /// uses [`super::theme::DEFAULT_THEME`]. Checked for shape here; the TUI refuses to
    /// start when it cannot be loaded.
    pub theme: Option<String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            base_image: DEFAULT_BASE_IMAGE.to_string(),
            base_image_source: SettingSource::Default,
            runtime: None,
            api_rate_limit_per_minute: DEFAULT_API_RATE_LIMIT,
            list_cache_ms: DEFAULT_LIST_CACHE_MS,
            webhooks: Vec::new(),
            theme: None,
        }
    }
}

impl Settings {
    /// Reads `home`'s `config.toml` (absent is fine) and the process environment.
    pub fn load(home: &LassoHome) -> Result<Settings, ConfigError> {
        Settings::load_with(home, &ProcessEnv)
    }

    /// Reads `home`'s `config.toml` (absent is fine) and `env`.
    pub fn load_with(home: &LassoHome, env: &dyn EnvSource) -> Result<Settings, ConfigError> {
        let path = home.config_file();
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(ConfigError::io("read", path, e)),
        };
        Settings::parse(&text, &path.display().to_string(), env)
    }

    /// Parses settings text (`file` names it in messages) and applies `env`.
    pub fn parse(text: &str, file: &str, env: &dyn EnvSource) -> Result<Settings, ConfigError> {
        let (raw, _) = parse_toml::<RawSettings>(text, file)?;
        let mut s = Settings {
            runtime: raw.runtime,
            webhooks: super::webhooks::validate(raw.webhooks, file)?,
            ..Settings::default()
        };
        let api = raw.api.unwrap_or_default();
        if let Some(ms) = api.list_cache_ms {
            s.list_cache_ms = u32::try_from(ms)
                .ok()
                .filter(|m| *m <= MAX_LIST_CACHE_MS)
                .ok_or_else(|| ConfigError::InvalidValue {
                    origin: super::error::Origin::file(file),
                    key: "api.list_cache_ms".into(),
                    value: ms.to_string(),
                    expected: format!(
                        "expected milliseconds to reuse the engine's container list, from 0 \
                         (off) to {MAX_LIST_CACHE_MS}"
                    ),
                })?;
        }
        if let Some(limit) = api.rate_limit_per_minute {
            s.api_rate_limit_per_minute = u32::try_from(limit)
                .ok()
                .filter(|l| (1..=MAX_API_RATE_LIMIT).contains(l))
                .ok_or_else(|| ConfigError::InvalidValue {
                    origin: super::error::Origin::file(file),
                    key: "api.rate_limit_per_minute".into(),
                    value: limit.to_string(),
                    expected: format!(
                        "expected requests per minute per API key, from 1 to {MAX_API_RATE_LIMIT}"
                    ),
                })?;
        }
        if let Some(theme) = raw.theme {
            check_theme_setting(&theme).map_err(|expected| ConfigError::InvalidValue {
                origin: super::error::Origin::file(file),
                key: "theme".into(),
                value: format!("{theme:?}"),
                expected,
            })?;
            s.theme = Some(theme);
        }
        if let Some(base) = raw.base_image {
            s.base_image = base.0;
            s.base_image_source = SettingSource::ConfigFile;
        }
        if let Some(v) = non_empty(env, "LASSO_BASE_IMAGE") {
            let v = v.to_string_lossy().into_owned();
            check_image_ref(&v).map_err(|expected| ConfigError::InvalidEnv {
                name: "LASSO_BASE_IMAGE".into(),
                value: v.clone(),
                expected,
            })?;
            s.base_image = v;
            s.base_image_source = SettingSource::Environment;
        }
        Ok(s)
    }
}

/// A theme in `config.toml` is a name, or an absolute path (a relative one would depend on
/// the directory lasso happens to be started in).
fn check_theme_setting(theme: &str) -> Result<(), String> {
    if super::theme::theme_spec_is_path(theme) {
        if Path::new(theme).is_absolute() {
            Ok(())
        } else {
            Err("expected a theme name or an absolute path to a theme file".into())
        }
    } else {
        super::theme::check_theme_name(theme)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn home_from_env_is_created_private() {
        let Ok(tmp) = tempfile::tempdir() else { return };
        let root = tmp.path().join("state");
        let e = env(&[
            ("LASSO_HOME", &root.display().to_string()),
            ("HOME", "/nonexistent"),
        ]);
        let home = LassoHome::from_env_source(&e).map_err(|e| e.to_string());
        assert_eq!(
            home.as_ref().map(|h| h.root().to_path_buf()),
            Ok(root.clone())
        );
        let mode = fs::metadata(&root)
            .map(|m| m.permissions().mode() & 0o777)
            .ok();
        assert_eq!(mode, Some(0o700));
        let Ok(home) = home else { return };
        assert_eq!(home.audit_key(), root.join("audit.key"));
        assert_eq!(home.audit_dir(), root.join("audit"));
        assert_eq!(home.profiles_dir(), root.join("profiles"));
        assert_eq!(home.config_file(), root.join("config.toml"));
    }

    #[test]
    fn home_falls_back_to_dot_lasso_and_refuses_bad_values() {
        let Ok(tmp) = tempfile::tempdir() else { return };
        let e = env(&[
            ("HOME", &tmp.path().display().to_string()),
            ("LASSO_HOME", ""),
        ]);
        let home = LassoHome::from_env_source(&e).map(|h| h.root().to_path_buf());
        assert_eq!(home.ok(), Some(tmp.path().join(".lasso")));
        let e = env(&[("LASSO_HOME", "relative/dir")]);
        let m = LassoHome::from_env_source(&e).err().map(|e| e.to_string());
        assert!(m.is_some_and(|m| m.contains("LASSO_HOME = \"relative/dir\"")));
        let m = LassoHome::from_env_source(&env(&[]))
            .err()
            .map(|e| e.to_string());
        assert!(m.is_some_and(|m| m.contains("set LASSO_HOME")));
    }

    #[test]
    fn world_writable_home_is_refused() {
        let Ok(tmp) = tempfile::tempdir() else { return };
        let root = tmp.path().join("h");
        assert!(fs::create_dir(&root).is_ok());
        assert!(fs::set_permissions(&root, fs::Permissions::from_mode(0o777)).is_ok());
        let m = LassoHome::at(&root).err().map(|e| e.to_string());
        assert!(
            m.is_some_and(|m| m.contains("chmod 700")),
            "must refuse 0777"
        );
    }

    #[test]
    fn settings_file_and_env_override() {
        let none = env(&[]);
        let s = Settings::parse("", "config.toml", &none).map_err(|e| e.to_string());
        assert_eq!(s, Ok(Settings::default()));
        let text = "base_image = \"registry.local:5000/base:1\"\nruntime = \"podman\"\n";
        let s = Settings::parse(text, "config.toml", &none).map_err(|e| e.to_string());
        assert_eq!(
            s,
            Ok(Settings {
                base_image: "registry.local:5000/base:1".into(),
                base_image_source: SettingSource::ConfigFile,
                runtime: Some(RuntimeKind::Podman),
                api_rate_limit_per_minute: DEFAULT_API_RATE_LIMIT,
                list_cache_ms: DEFAULT_LIST_CACHE_MS,
                webhooks: Vec::new(),
                theme: None,
            })
        );
        let e = env(&[("LASSO_BASE_IMAGE", "mybase:2")]);
        let s =
            Settings::parse(text, "config.toml", &e).map(|s| (s.base_image, s.base_image_source));
        assert_eq!(
            s.ok(),
            Some(("mybase:2".into(), SettingSource::Environment))
        );
        let e = env(&[("LASSO_BASE_IMAGE", "Bad Image")]);
        let m = Settings::parse("", "config.toml", &e)
            .err()
            .map(|e| e.to_string());
        assert!(m.is_some_and(|m| {
            m.starts_with("environment variable LASSO_BASE_IMAGE = \"Bad Image\"")
        }));
    }

    #[test]
    fn settings_errors_name_file_and_key() {
        let none = env(&[]);
        let m = Settings::parse("runtime = \"dockr\"\n", "/h/config.toml", &none)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            m.as_deref(),
            Some(
                "/h/config.toml:1:11: runtime = \"dockr\" is not valid: expected one of docker, podman"
            )
        );
        let m = Settings::parse("base_imag = \"x\"\n", "/h/config.toml", &none)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            m.as_deref(),
            Some("/h/config.toml:1:1: unknown key base_imag (did you mean base_image?)")
        );
    }

    #[test]
    fn webhooks_are_read_from_the_file_and_validated() {
        let none = BTreeMap::new();
        let text = "[[webhooks]]\nname = \"siem\"\nurl = \"http://127.0.0.1:9000/in\"\n\
                    events = [\"violation\", \"guard_denied\"]\nsecret = \"0123456789abcdef\"\n";
        let s = Settings::parse(text, "/h/config.toml", &none).map_err(|e| e.to_string());
        let hooks = s.map(|s| s.webhooks).unwrap_or_default();
        assert_eq!(hooks.len(), 1);
        assert_eq!((hooks[0].name.as_str(), hooks[0].port), ("siem", 9000));
        let bad = text.replace("127.0.0.1", "192.0.2.7");
        let m = Settings::parse(&bad, "/h/config.toml", &none)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            m.contains("/h/config.toml")
                && m.contains("webhooks[0].url")
                && m.contains("192.0.2.7"),
            "{m}"
        );
        let typo = text.replace("secret =", "secrets =");
        assert!(Settings::parse(&typo, "/h/config.toml", &none).is_err());
    }

    #[test]
    fn api_rate_limit_is_read_and_validated() {
        let none = env(&[]);
        let limit = |t: &str| {
            Settings::parse(t, "/h/config.toml", &none)
                .map(|s| s.api_rate_limit_per_minute)
                .map_err(|e| e.to_string())
        };
        assert_eq!(limit(""), Ok(100));
        assert_eq!(limit("[api]\nrate_limit_per_minute = 5\n"), Ok(5));
        for bad in ["0", "-3", "1000001"] {
            let m = limit(&format!("[api]\nrate_limit_per_minute = {bad}\n"));
            assert_eq!(
                m,
                Err(format!(
                    "/h/config.toml: api.rate_limit_per_minute = {bad} is not valid: expected \
                     requests per minute per API key, from 1 to 1000000"
                ))
            );
        }
        let m = limit("[api]\nrate_limit = 5\n");
        assert!(
            m.as_ref()
                .is_err_and(|m| m.contains("unknown key") && m.contains("rate_limit_per_minute")),
            "{m:?}"
        );
    }

    #[test]
    fn list_cache_ms_is_read_and_validated() {
        let none = env(&[]);
        let ms = |t: &str| {
            Settings::parse(t, "/h/config.toml", &none)
                .map(|s| s.list_cache_ms)
                .map_err(|e| e.to_string())
        };
        assert_eq!(ms(""), Ok(250));
        assert_eq!(ms("[api]\nlist_cache_ms = 0\n"), Ok(0));
        assert_eq!(ms("[api]\nlist_cache_ms = 10000\n"), Ok(10_000));
        for bad in ["-1", "10001"] {
            assert_eq!(
                ms(&format!("[api]\nlist_cache_ms = {bad}\n")),
                Err(format!(
                    "/h/config.toml: api.list_cache_ms = {bad} is not valid: expected \
                     milliseconds to reuse the engine's container list, from 0 (off) to 10000"
                ))
            );
        }
    }

    #[test]
    fn theme_setting_is_read_and_validated() {
        let none = env(&[]);
        let theme = |t: &str| {
            Settings::parse(t, "/h/config.toml", &none)
                .map(|s| s.theme)
                .map_err(|e| e.to_string())
        };
        assert_eq!(theme(""), Ok(None));
        assert_eq!(theme("theme = \"light\"\n"), Ok(Some("light".into())));
        assert_eq!(
            theme("theme = \"/etc/lasso/t.toml\"\n"),
            Ok(Some("/etc/lasso/t.toml".into()))
        );
        let m = theme("theme = \"my theme\"\n");
        assert!(
            m.as_ref().is_err_and(|m| m.starts_with(
                "/h/config.toml: theme = \"my theme\" is not valid: expected a theme name"
            )),
            "{m:?}"
        );
        let m = theme("theme = \"rel/t.toml\"\n");
        assert!(
            m.as_ref().is_err_and(|m| m.contains("absolute path")),
            "{m:?}"
        );
        assert!(theme("theme = 3\n").is_err());
    }

    #[test]
    fn settings_load_reads_the_home_file() {
        let Ok(tmp) = tempfile::tempdir() else { return };
        let Ok(home) = LassoHome::at(tmp.path().join("h")) else {
            panic!("home")
        };
        let none = env(&[]);
        assert_eq!(
            Settings::load_with(&home, &none).ok(),
            Some(Settings::default())
        );
        assert!(fs::write(home.config_file(), "runtime = \"docker\"\n").is_ok());
        let s = Settings::load_with(&home, &none).map(|s| s.runtime);
        assert_eq!(s.ok(), Some(Some(RuntimeKind::Docker)));
    }
}
