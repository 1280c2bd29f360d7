//! `/.lasso/policy/guard.json`: the host's instructions to the guard.
//!
//! The file is the whole contract between lasso on the host and the guard inside the sandbox,
//! so it is parsed strictly (unknown fields are rejected, every error names the field) and
//! validated for values the guard could not enforce as written. The host may replace the file
//! atomically while the sandbox runs (mode changes), so [`Stamp`] identifies one version of it
//! cheaply (a single `stat`).

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde::Deserialize;

use crate::policy::{Gate, GatePolicy, ListMode};

/// Where the host mounts the policy.
pub const POLICY_PATH: &str = "/.lasso/policy/guard.json";
/// The guard's own mount; never writable, never part of the workload's exec set.
pub const LASSO_DIR: &str = "/.lasso";

/// How the exec supervisor acts on a gate decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Enforcement {
    /// Denied execs fail with EPERM.
    Enforce,
    /// Every exec runs; would-be denials are recorded.
    Shadow,
    /// Every exec runs and is recorded without a gate decision.
    Record,
}

impl Enforcement {
    pub fn as_str(self) -> &'static str {
        match self {
            Enforcement::Enforce => "enforce",
            Enforcement::Shadow => "shadow",
            Enforcement::Record => "record",
        }
    }
}

/// The sandbox's network mode (decides which probes apply).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    None,
    Bridge,
}

/// A kernel feature the profile explicitly accepts to run without.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum Feature {
    #[serde(rename = "landlock")]
    Landlock,
    #[serde(rename = "seccomp-notify")]
    SeccompNotify,
}

/// guard.json as written by the host.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardConfig {
    pub version: u32,
    pub sandbox: String,
    pub enforcement: Enforcement,
    pub gate: GatePolicy,
    pub write_paths: Vec<String>,
    pub exec_extra: Vec<String>,
    pub hidden_paths: Vec<String>,
    pub network: Network,
    pub probe_metadata: bool,
    pub accept_missing: Vec<Feature>,
    pub spool_max_bytes: u64,
}

/// Why guard.json cannot be used. Every message names the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "cannot read {path}: {why}; the host must mount the policy directory at /.lasso/policy"
    )]
    Read { path: String, why: String },
    #[error(
        "{path} is invalid: {why}; lasso writes this file, recreate the sandbox with a current lasso"
    )]
    Parse { path: String, why: String },
    #[error("{path}: `{field}` {why}")]
    Invalid {
        path: String,
        field: &'static str,
        why: String,
    },
}

/// Identifies one version of the policy file (inode, size, mtime): an atomic rename or an
/// in-place rewrite both change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    ino: u64,
    size: u64,
    mtime: i64,
    mtime_nsec: i64,
}

impl Stamp {
    /// `None` when the file cannot be stat'ed (which a reload then reports as an error).
    pub fn of(path: &Path) -> Option<Stamp> {
        let m = std::fs::metadata(path).ok()?;
        Some(Stamp {
            ino: m.ino(),
            size: m.size(),
            mtime: m.mtime(),
            mtime_nsec: m.mtime_nsec(),
        })
    }
}

/// A parsed, validated policy with its compiled gate.
#[derive(Clone)]
pub struct Loaded {
    pub config: GuardConfig,
    pub gate: Gate,
    pub stamp: Option<Stamp>,
}

impl GuardConfig {
    /// Parses and validates guard.json text; `path` only labels errors.
    pub fn parse(text: &str, path: &str) -> Result<GuardConfig, ConfigError> {
        let cfg: GuardConfig = serde_json::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            why: e.to_string(),
        })?;
        cfg.validate(path)?;
        Ok(cfg)
    }

    fn validate(&self, path: &str) -> Result<(), ConfigError> {
        let bad = |field: &'static str, why: String| ConfigError::Invalid {
            path: path.to_owned(),
            field,
            why,
        };
        if self.version != 1 {
            return Err(bad(
                "version",
                format!(
                    "is {}, this guard understands version 1; use the lasso-guard shipped with this lasso",
                    self.version
                ),
            ));
        }
        if self.sandbox.is_empty() || self.sandbox.chars().any(char::is_control) {
            return Err(bad(
                "sandbox",
                "must be the sandbox name (non-empty, no control characters)".to_owned(),
            ));
        }
        for w in &self.write_paths {
            if !w.starts_with('/') {
                return Err(bad(
                    "write_paths",
                    format!("contains `{w}`, which is not an absolute path"),
                ));
            }
            let n = normalize(w);
            if n == "/" || n == LASSO_DIR || n.starts_with("/.lasso/") {
                return Err(bad(
                    "write_paths",
                    format!(
                        "contains `{w}`, which would make the guard's own files (/.lasso, including the audit spool) writable; remove it from the profile's writable paths"
                    ),
                ));
            }
        }
        for name in &self.exec_extra {
            if name.is_empty()
                || name.contains('/')
                || name.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(bad(
                    "exec_extra",
                    format!("contains `{name}`, which is not a program basename such as `sh`"),
                ));
            }
        }
        for h in &self.hidden_paths {
            if !(h.starts_with('/') || h == "~" || h.starts_with("~/")) {
                return Err(bad(
                    "hidden_paths",
                    format!("contains `{h}`, which is neither absolute nor `~/...`"),
                ));
            }
        }
        if self.spool_max_bytes < 64 * 1024 {
            return Err(bad(
                "spool_max_bytes",
                format!(
                    "is {}, below the minimum of 65536 bytes",
                    self.spool_max_bytes
                ),
            ));
        }
        Ok(())
    }

    /// Whether the gate's list is a whitelist (decides the Landlock EXECUTE rules).
    pub fn whitelist(&self) -> bool {
        self.gate.list_mode == ListMode::Whitelist
    }

    pub fn accepts_missing(&self, f: Feature) -> bool {
        self.accept_missing.contains(&f)
    }

    /// Hidden paths without glob characters, with `~` expanded to the gate's home.
    pub fn concrete_hidden_paths(&self) -> Vec<String> {
        self.hidden_paths
            .iter()
            .filter(|h| !h.contains(['*', '?', '[']))
            .map(|h| match h.strip_prefix('~') {
                Some(rest) => format!("{}{}", self.gate.home.trim_end_matches('/'), rest),
                None => h.clone(),
            })
            .collect()
    }
}

/// Reads, parses and validates `path` and compiles its gate.
pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
    let label = path.display().to_string();
    let stamp = Stamp::of(path);
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
        path: label.clone(),
        why: crate::sys::describe(&e),
    })?;
    let config = GuardConfig::parse(&text, &label)?;
    let gate = Gate::new(config.gate.clone()).map_err(|e| ConfigError::Invalid {
        path: label,
        field: "gate",
        why: format!("cannot be compiled: {e}"),
    })?;
    Ok(Loaded {
        config,
        gate,
        stamp,
    })
}

/// Lexically normalises an absolute path: collapses `//`, drops `.`, resolves `..`, strips a
/// trailing `/` (except for `/` itself).
pub fn normalize(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        "/".to_owned()
    } else {
        let mut s = String::with_capacity(p.len());
        for c in parts {
            s.push('/');
            s.push_str(c);
        }
        s
    }
}

/// Whether `path` equals `dir` or lies beneath it (both normalised, absolute).
pub fn beneath(path: &str, dir: &str) -> bool {
    dir == "/"
        || path == dir
        || (path.starts_with(dir) && path.as_bytes().get(dir.len()) == Some(&b'/'))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn sample_json(list_mode: &str, programs: &[&str], enforcement: &str) -> String {
        serde_json::json!({
            "version": 1,
            "sandbox": "lasso-ab12cd",
            "enforcement": enforcement,
            "gate": {
                "list_mode": list_mode,
                "programs": programs,
                "blocked_args": [{"program": "git", "pattern": "push --force"}],
                "allow_shell_operators": true,
                "allow_code_eval": false,
                "mode": null,
                "workspace": "/workspace",
                "home": "/home/sandbox",
                "writable_paths": ["/tmp"],
                "hidden_paths": ["/etc/shadow", "/proc/*/environ", "~/.ssh"]
            },
            "write_paths": ["/workspace", "/tmp", "/home/sandbox"],
            "exec_extra": ["sh"],
            "hidden_paths": ["/etc/shadow", "/proc/*/environ", "~/.ssh"],
            "network": "none",
            "probe_metadata": true,
            "accept_missing": [],
            "spool_max_bytes": 268435456u64
        })
        .to_string()
    }

    fn with(field: &str, value: serde_json::Value) -> String {
        let mut v: serde_json::Value =
            serde_json::from_str(&sample_json("whitelist", &["ls"], "enforce")).unwrap();
        v[field] = value;
        v.to_string()
    }

    #[test]
    fn parses_the_contract_example() {
        let c = GuardConfig::parse(
            &sample_json("whitelist", &["ls", "cat"], "shadow"),
            "g.json",
        )
        .unwrap();
        assert_eq!(c.enforcement, Enforcement::Shadow);
        assert!(c.whitelist());
        assert_eq!(c.network, Network::None);
        assert_eq!(
            c.concrete_hidden_paths(),
            vec!["/etc/shadow", "/home/sandbox/.ssh"]
        );
        let c = GuardConfig::parse(
            &with(
                "accept_missing",
                serde_json::json!(["landlock", "seccomp-notify"]),
            ),
            "g",
        )
        .unwrap();
        assert!(c.accepts_missing(Feature::Landlock) && c.accepts_missing(Feature::SeccompNotify));
    }

    #[test]
    fn unknown_and_missing_fields_are_named() {
        let mut v: serde_json::Value =
            serde_json::from_str(&sample_json("whitelist", &["ls"], "enforce")).unwrap();
        v["extra_thing"] = serde_json::json!(1);
        let e = GuardConfig::parse(&v.to_string(), "/p/guard.json")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("/p/guard.json") && e.contains("unknown field `extra_thing`"),
            "{e}"
        );
        v.as_object_mut().unwrap().remove("extra_thing");
        v.as_object_mut().unwrap().remove("network");
        let e = GuardConfig::parse(&v.to_string(), "g")
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing field `network`"), "{e}");
        let e = GuardConfig::parse(&with("enforcement", serde_json::json!("lenient")), "g")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown variant `lenient`"), "{e}");
        let e = GuardConfig::parse(
            &with("accept_missing", serde_json::json!(["apparmor"])),
            "g",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("apparmor"), "{e}");
    }

    #[test]
    fn invalid_values_name_the_field() {
        let cases = [
            ("version", serde_json::json!(2), "`version` is 2"),
            (
                "write_paths",
                serde_json::json!(["/workspace", "/"]),
                "`write_paths` contains `/`",
            ),
            (
                "write_paths",
                serde_json::json!(["/.lasso/spool/"]),
                "/.lasso",
            ),
            (
                "write_paths",
                serde_json::json!(["tmp"]),
                "not an absolute path",
            ),
            (
                "exec_extra",
                serde_json::json!(["/bin/sh"]),
                "`exec_extra` contains `/bin/sh`",
            ),
            (
                "hidden_paths",
                serde_json::json!(["etc/shadow"]),
                "`hidden_paths`",
            ),
            (
                "spool_max_bytes",
                serde_json::json!(10),
                "`spool_max_bytes` is 10",
            ),
            ("sandbox", serde_json::json!(""), "`sandbox`"),
        ];
        for (field, value, want) in cases {
            let e = GuardConfig::parse(&with(field, value), "g")
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{field}: {e}");
        }
    }

    #[test]
    fn load_compiles_the_gate_and_reports_bad_gate_values() {
        let dir = std::env::temp_dir().join(format!("guard-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("guard.json");
        std::fs::write(&p, sample_json("whitelist", &["ls"], "enforce")).unwrap();
        let l = load(&p).unwrap();
        assert!(l.stamp.is_some());
        assert!(l.gate.check_exec(&["ls".to_owned()]).allowed);
        std::fs::write(&p, sample_json("whitelist", &["/bin/ls"], "enforce")).unwrap();
        let e = load(&p).err().unwrap().to_string();
        assert!(
            e.contains("`gate` cannot be compiled") && e.contains("/bin/ls"),
            "{e}"
        );
        let e = load(&dir.join("missing.json")).err().unwrap().to_string();
        assert!(e.contains("ENOENT") && e.contains("missing.json"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn normalize_and_beneath() {
        assert_eq!(normalize("/a//b/./c/../d/"), "/a/b/d");
        assert_eq!(normalize("/.."), "/");
        assert!(beneath("/usr/bin/ls", "/usr"));
        assert!(beneath("/usr", "/usr"));
        assert!(!beneath("/usrx/ls", "/usr"));
        assert!(beneath("/x", "/"));
    }
}
