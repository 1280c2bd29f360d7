//! The raw profile layer: one file's contents exactly as written, every field optional.
//!
//! Inheritance needs to know which fields a file *set*, not what they resolve to, so a file is
//! first parsed into `RawProfile` (schema, types and per-field limits checked here, with file
//! positions), then merged along `extends` with [`RawProfile::overlay`], and only the merged
//! result is resolved into a `Profile` with defaults. Overlay is field by field: a child can set
//! any field to any valid value, stricter or looser than its parent. Two tables merge per entry
//! instead of being replaced, because they are keyed collections rather than values:
//! `commands.blocked_args` (per program, so a child adding rules for `npm` keeps its parent's
//! `git` rules; `git = []` clears them) and `extra_env` (per variable).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::diag::{SourceMap, join_key, parse_toml, quote_source};
use super::enums::{CommandMode, Enforcement, GuardFeature, Isolation, Mode, NetworkMode};
use super::error::ConfigError;
use super::names::{
    BlockedPattern, EnvName, HiddenPath, HostPath, ImageRef, PackageName, ProfileName, ProgramName,
    SandboxPath,
};
use super::net::{Cidr, DomainPattern, Port};
use super::rules;
use super::size::ByteSize;

/// A profile file as written: every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    pub name: Option<ProfileName>,
    pub description: Option<String>,
    pub extends: Option<ProfileName>,
    pub mode: Option<Mode>,
    pub isolation: Option<Isolation>,
    #[serde(default)]
    pub image: RawImage,
    #[serde(default)]
    pub filesystem: RawFilesystem,
    #[serde(default)]
    pub commands: RawCommands,
    #[serde(default)]
    pub modes: RawModes,
    #[serde(default)]
    pub network: RawNetwork,
    #[serde(default)]
    pub resources: RawResources,
    #[serde(default)]
    pub audit: RawAudit,
    #[serde(default)]
    pub agent_auth: RawAgentAuth,
    #[serde(default)]
    pub guard: RawGuard,
    #[serde(default)]
    pub terminal: RawTerminal,
    #[serde(default)]
    pub extra_env: BTreeMap<EnvName, String>,
    /// Only in files written by export/import; never inherited.
    pub integrity: Option<RawIntegrity>,
    /// Only in files written by import; never inherited.
    pub provenance: Option<RawProvenance>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawImage {
    pub base: Option<ImageRef>,
    pub packages: Option<Vec<PackageName>>,
    pub packages_add: Option<Vec<PackageName>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFilesystem {
    pub writable_paths: Option<Vec<SandboxPath>>,
    pub writable_paths_add: Option<Vec<SandboxPath>>,
    pub hidden_paths: Option<Vec<HiddenPath>>,
    pub hidden_paths_add: Option<Vec<HiddenPath>>,
    pub tmp_size: Option<ByteSize>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCommands {
    pub mode: Option<CommandMode>,
    pub whitelist: Option<Vec<ProgramName>>,
    pub whitelist_add: Option<Vec<ProgramName>>,
    pub blacklist: Option<Vec<ProgramName>>,
    pub blacklist_add: Option<Vec<ProgramName>>,
    #[serde(default)]
    pub blocked_args: BTreeMap<ProgramName, Vec<BlockedPattern>>,
    pub allow_shell_operators: Option<bool>,
    pub allow_code_eval: Option<bool>,
    pub max_execution_seconds: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModes {
    pub observe: Option<Vec<ProgramName>>,
    pub observe_add: Option<Vec<ProgramName>>,
    pub assist: Option<Vec<ProgramName>>,
    pub assist_add: Option<Vec<ProgramName>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    pub mode: Option<NetworkMode>,
    pub allowed_domains: Option<Vec<DomainPattern>>,
    pub allowed_domains_add: Option<Vec<DomainPattern>>,
    pub blocked_domains: Option<Vec<DomainPattern>>,
    pub blocked_domains_add: Option<Vec<DomainPattern>>,
    pub allowed_cidrs: Option<Vec<Cidr>>,
    pub allowed_cidrs_add: Option<Vec<Cidr>>,
    pub blocked_cidrs: Option<Vec<Cidr>>,
    pub blocked_cidrs_add: Option<Vec<Cidr>>,
    pub allowed_ports: Option<Vec<Port>>,
    pub allowed_ports_add: Option<Vec<Port>>,
    pub blocked_ports: Option<Vec<Port>>,
    pub blocked_ports_add: Option<Vec<Port>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawResources {
    pub memory: Option<ByteSize>,
    pub cpus: Option<f64>,
    pub pids: Option<i64>,
    pub open_files: Option<i64>,
    pub file_size: Option<ByteSize>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    pub include_command_output: Option<bool>,
    pub log_dir: Option<HostPath>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAgentAuth {
    pub forward_env: Option<Vec<EnvName>>,
    pub forward_env_add: Option<Vec<EnvName>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGuard {
    pub enforcement: Option<Enforcement>,
    pub accept_missing: Option<Vec<GuardFeature>>,
}

/// `[terminal]`: interactive sessions (`lasso interactive`, `lasso attach`, the TUI terminal).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTerminal {
    pub raw_shell: Option<bool>,
    pub max_session_seconds: Option<i64>,
}

/// `[integrity]` of an exported profile.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIntegrity {
    pub sha256: Option<String>,
    /// `hmac-sha256:<hex>` over the sha256, with a team key (`lasso profile keygen`).
    pub signature: Option<String>,
    /// First 16 hex digits of SHA-256 of the team key that made `signature`.
    pub key_id: Option<String>,
}

/// `[provenance]` of an imported profile: where it came from. Written by import, shown by
/// `lasso profile show`; informational, never inherited and not part of the content hash.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawProvenance {
    /// The file it was imported from.
    pub source: Option<String>,
    /// The profile's name in that file.
    pub original_name: Option<String>,
    /// The content hash recorded in (and verified against) that file.
    pub sha256: Option<String>,
    /// The team key that signed it, when it was signed (the signature was verified).
    pub key_id: Option<String>,
    /// RFC 3339 time of the import.
    pub imported_at: Option<String>,
}

/// Parses one profile file (`file` names it in messages) and checks every field's limits.
pub fn parse_profile(text: &str, file: &str) -> Result<RawProfile, ConfigError> {
    let (raw, map) = parse_toml::<RawProfile>(text, file)?;
    raw.check_fields(&map)?;
    Ok(raw)
}

/// A field-limit failure at `key`, quoting the value as written when the source has it.
fn invalid(map: &SourceMap<'_>, key: &str, shown: String, expected: String) -> ConfigError {
    let origin = map.origin_of(key);
    ConfigError::InvalidValue {
        value: map.value_text(key).map_or(shown, |t| quote_source(&t)),
        origin,
        key: key.to_string(),
        expected,
    }
}

fn check<T: std::fmt::Display + Clone>(
    map: &SourceMap<'_>,
    key: &str,
    value: Option<T>,
    rule: impl Fn(T) -> Result<(), String>,
) -> Result<(), ConfigError> {
    match value {
        Some(v) => rule(v.clone()).map_err(|e| invalid(map, key, v.to_string(), e)),
        None => Ok(()),
    }
}

impl RawProfile {
    /// Per-field limits that the types alone do not express.
    fn check_fields(&self, map: &SourceMap<'_>) -> Result<(), ConfigError> {
        if let Some(d) = &self.description {
            rules::description(d).map_err(|e| invalid(map, "description", format!("{d:?}"), e))?;
        }
        let r = &self.resources;
        check(map, "resources.memory", r.memory, rules::memory)?;
        check(map, "resources.file_size", r.file_size, rules::file_size)?;
        check(map, "resources.cpus", r.cpus, rules::cpus)?;
        check(map, "resources.pids", r.pids, rules::pids)?;
        check(map, "resources.open_files", r.open_files, rules::open_files)?;
        check(
            map,
            "filesystem.tmp_size",
            self.filesystem.tmp_size,
            rules::tmp_size,
        )?;
        check(
            map,
            "commands.max_execution_seconds",
            self.commands.max_execution_seconds,
            rules::max_execution_seconds,
        )?;
        check(
            map,
            "terminal.max_session_seconds",
            self.terminal.max_session_seconds,
            rules::max_session_seconds,
        )?;
        for (field, list) in [
            ("writable_paths", &self.filesystem.writable_paths),
            ("writable_paths_add", &self.filesystem.writable_paths_add),
        ] {
            for (i, p) in list.iter().flatten().enumerate() {
                let key = format!("filesystem.{field}[{i}]");
                rules::writable_path(&p.0)
                    .map_err(|e| invalid(map, &key, format!("{:?}", p.0), e))?;
            }
        }
        self.check_add_conflicts(map)?;
        for (name, value) in &self.extra_env {
            let key = join_key("extra_env", &name.0);
            rules::env_value(value).map_err(|e| invalid(map, &key, format!("{value:?}"), e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        match parse_profile(text, "profiles/x.toml") {
            Ok(_) => "no error".into(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn parses_every_section() {
        let text = r#"
            name = "x"
            description = "d"
            extends = "minimal"
            mode = "assist"
            isolation = "gvisor"
            [image]
            base = "debian:bookworm"
            packages = ["git"]
            [filesystem]
            writable_paths = ["/data"]
            hidden_paths = ["/etc/shadow"]
            tmp_size = "128m"
            [commands]
            mode = "whitelist"
            whitelist = ["ls"]
            blacklist = []
            blocked_args = { git = ["push --force"] }
            allow_shell_operators = true
            allow_code_eval = false
            max_execution_seconds = 60
            [modes]
            observe = ["ls"]
            assist = ["ls", "cp"]
            [network]
            mode = "restricted"
            allowed_domains = ["*.github.com"]
            blocked_domains = ["gist.github.com"]
            allowed_cidrs = ["10.1.0.0/16"]
            blocked_cidrs = ["fc00::/7"]
            allowed_ports = [443]
            blocked_ports = [25]
            [resources]
            memory = "1g"
            cpus = 2
            pids = 100
            open_files = 2048
            file_size = "100m"
            [audit]
            include_command_output = true
            log_dir = "/var/log/lasso"
            [agent_auth]
            forward_env = ["ANTHROPIC_API_KEY"]
            [guard]
            enforcement = "shadow"
            accept_missing = ["seccomp-notify"]
            [terminal]
            raw_shell = true
            max_session_seconds = 600
            [extra_env]
            FOO = "bar"
        "#;
        let raw = parse_profile(text, "x.toml").map_err(|e| e.to_string());
        let Ok(raw) = raw else { panic!("{raw:?}") };
        assert_eq!(raw.guard.enforcement, Some(Enforcement::Shadow));
        assert_eq!(
            raw.guard.accept_missing,
            Some(vec![GuardFeature::SeccompNotify])
        );
        assert_eq!(raw.resources.cpus, Some(2.0));
        assert_eq!(raw.network.allowed_ports, Some(vec![Port(443)]));
        assert_eq!(raw.commands.blocked_args.len(), 1);
        assert_eq!(raw.extra_env.len(), 1);
        assert_eq!(raw.terminal.raw_shell, Some(true));
        assert_eq!(raw.terminal.max_session_seconds, Some(600));
    }

    #[test]
    fn terminal_values_are_checked() {
        let m = err("[terminal]\nmax_session_seconds = 0\n");
        assert_eq!(
            m,
            "profiles/x.toml:2:23: terminal.max_session_seconds = 0 is not valid: expected a \
             number of seconds (at most one day) from 1 to 86400"
        );
        let m = err("[terminal]\nmax_session_seconds = 86401\n");
        assert!(m.contains("terminal.max_session_seconds = 86401"), "{m}");
        let m = err("[terminal]\nraw_shell = \"yes\"\n");
        assert!(m.contains("terminal.raw_shell"), "{m}");
        let m = err("[terminal]\nshell = true\n");
        assert!(m.contains("shell"), "{m}");
    }

    #[test]
    fn guard_values_are_checked() {
        let m = err("[guard]\nenforcement = \"off\"\n");
        assert!(m.contains("guard.enforcement"), "{m}");
        assert!(m.contains("expected one of enforce, shadow, record"), "{m}");
        let m = err("[guard]\naccept_missing = [\"apparmor\"]\n");
        assert!(
            m.contains("expected one of landlock, seccomp-notify"),
            "{m}"
        );
    }

    #[test]
    fn field_limits_quote_file_key_and_value() {
        assert_eq!(
            err("[resources]\nopen_files = 65536\n"),
            "profiles/x.toml:2:14: resources.open_files = 65536 is not valid: expected an \
             open-file limit (the upper bound is the host's hard limit; containers fail to start \
             above it) from 16 to 20000"
        );
        assert_eq!(
            err("[resources]\nmemory = \"8m\"\n"),
            "profiles/x.toml:2:10: resources.memory = \"8m\" is not valid: expected a size of at \
             least 16m"
        );
        let m = err("[filesystem]\nwritable_paths = [\"/data\", \"/proc/x\"]\n");
        assert!(
            m.starts_with("profiles/x.toml:2:28: filesystem.writable_paths[1] = \"/proc/x\""),
            "{m}"
        );
    }

    #[test]
    fn type_level_errors_come_through_serde_with_positions() {
        let m = err("[resources]\nmemory = \"12x\"\n");
        assert!(
            m.starts_with("profiles/x.toml:2:10: resources.memory = \"12x\" is not valid:"),
            "{m}"
        );
        assert!(m.contains("unknown unit"), "{m}");
        let m = err("[network]\nallowed_cidrs = [\"10.0.0.1/8\"]\n");
        assert!(
            m.contains("network.allowed_cidrs[0] = \"10.0.0.1/8\" is not valid")
                && m.contains("did you mean 10.0.0.0/8"),
            "{m}"
        );
        let m = err("[extra_env]\nLD_PRELOAD = \"/x.so\"\n");
        assert!(
            m.starts_with("profiles/x.toml:2:1: key extra_env.LD_PRELOAD is not valid:"),
            "{m}"
        );
        let m = err("[network]\nallowed_ports = [0]\n");
        assert!(m.contains("network.allowed_ports[0] = 0 is not valid: expected a port"));
        let m = err("[commands]\nmode = \"whitelst\"\n");
        assert_eq!(
            m,
            "profiles/x.toml:2:8: commands.mode = \"whitelst\" is not valid: expected one of \
             whitelist, blacklist"
        );
    }

    #[test]
    fn overlay_is_field_by_field() {
        let parent = parse_profile(
            "name = \"p\"\nmode = \"observe\"\n[commands]\nallow_shell_operators = true\n\
             whitelist = [\"ls\"]\nblocked_args = { git = [\"push\"], pip = [\"install\"] }\n\
             [extra_env]\nA = \"1\"\nB = \"2\"\n",
            "p.toml",
        );
        let child = parse_profile(
            "name = \"c\"\nextends = \"p\"\n[commands]\nallow_shell_operators = false\n\
             blocked_args = { pip = [] }\n[extra_env]\nB = \"3\"\n",
            "c.toml",
        );
        let (Ok(parent), Ok(child)) = (parent, child) else {
            panic!("fixtures must parse")
        };
        let m = parent.overlay(child);
        assert_eq!(m.name.map(|n| n.0).as_deref(), Some("c"));
        assert_eq!(m.mode, Some(Mode::Observe));
        assert_eq!(m.commands.allow_shell_operators, Some(false));
        assert_eq!(m.commands.whitelist.map(|w| w.len()), Some(1));
        let pip: Vec<_> = m
            .commands
            .blocked_args
            .iter()
            .map(|(k, v)| (k.0.clone(), v.len()))
            .collect();
        assert_eq!(pip, vec![("git".to_string(), 1), ("pip".to_string(), 0)]);
        let env: Vec<_> = m
            .extra_env
            .iter()
            .map(|(k, v)| (k.0.as_str(), v.as_str()))
            .collect();
        assert_eq!(env, vec![("A", "1"), ("B", "3")]);
    }
}

#[cfg(test)]
mod fuzz_tests;
mod overlay;
