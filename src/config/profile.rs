//! The resolved `Profile`: every field concrete, defaults applied, ready to enforce.
//!
//! Defaults are the strict choice for every field (whitelist with an empty list, no shell
//! operators, no code evaluation, no network, small resource limits), so a field a profile
//! forgets can only make it safer. Set-like lists are sorted and deduplicated on resolution:
//! order carries no meaning, and a canonical form makes `hash()` and `diff` depend on content
//! only. This file also holds the conversions consumers need: [`Profile::gate_policy`] for the
//! command gate and the content/image hashes.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::enums::{CommandMode, Enforcement, GuardFeature, Isolation, Mode, NetworkMode};
use super::net::{Cidr, DomainPattern, Port};
use super::raw::RawProfile;
use super::size::ByteSize;
use crate::policy::{BlockedArgRule, GatePolicy, ModeRestriction};

/// Base image used when neither the profile, `config.toml` nor `LASSO_BASE_IMAGE` names one.
pub const DEFAULT_BASE_IMAGE: &str = "lasso-base:latest";
/// The workspace mount inside every sandbox (cwd of every command).
pub const WORKSPACE: &str = "/workspace";
/// `$HOME` of the sandbox user.
pub const SANDBOX_HOME: &str = "/home/sandbox";
/// Always writable besides the workspace.
pub const TMP_DIR: &str = "/tmp";

/// Paths no command may reach when a profile does not list its own `hidden_paths`.
pub const DEFAULT_HIDDEN_PATHS: &[&str] = &[
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/sudoers",
    "/etc/sudoers.d",
    "/proc/*/environ",
    "/proc/*/mem",
    "/proc/kcore",
    "/proc/sysrq-trigger",
    "/sys/firmware",
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/run/podman",
    "/var/run/podman",
    "/root",
];

/// Programs of the `observe` mode unless `[modes] observe` says otherwise: read-only tools.
pub const DEFAULT_OBSERVE: &[&str] = &[
    "ls", "cat", "head", "tail", "grep", "find", "wc", "sort", "uniq", "diff", "pwd", "echo",
    "test", "stat", "file", "du", "tree", "less", "more",
];

/// Programs `assist` adds to the observe defaults: editing tools.
pub const DEFAULT_ASSIST_EXTRA: &[&str] = &[
    "mkdir", "cp", "mv", "touch", "tee", "sed", "awk", "printf", "python3", "python", "git", "make",
];

/// A fully resolved profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    pub name: String,
    pub description: String,
    pub mode: Mode,
    pub isolation: Isolation,
    pub image: ImageSpec,
    pub filesystem: FilesystemPolicy,
    pub commands: CommandPolicy,
    pub modes: ModeLists,
    pub network: NetworkPolicy,
    pub resources: Resources,
    pub audit: AuditSettings,
    pub agent_auth: AgentAuth,
    pub guard: GuardPolicy,
    /// Left out of the serialized form (and so of the canonical content and its hash) while
    /// it is all defaults, so profiles written before `[terminal]` existed keep their hashes.
    #[serde(skip_serializing_if = "TerminalSettings::is_default")]
    pub terminal: TerminalSettings,
    pub extra_env: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageSpec {
    /// `None`: the base image comes from the settings (see `Settings::base_image`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    pub packages: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilesystemPolicy {
    /// Extra writable tmpfs mounts besides `/workspace` and `/tmp`.
    pub writable_paths: Vec<String>,
    pub hidden_paths: Vec<String>,
    pub tmp_size: ByteSize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandPolicy {
    pub mode: CommandMode,
    pub whitelist: Vec<String>,
    pub blacklist: Vec<String>,
    pub blocked_args: BTreeMap<String, Vec<String>>,
    pub allow_shell_operators: bool,
    pub allow_code_eval: bool,
    pub max_execution_seconds: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModeLists {
    pub observe: Vec<String>,
    pub assist: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetworkPolicy {
    pub mode: NetworkMode,
    pub allowed_domains: Vec<String>,
    pub blocked_domains: Vec<String>,
    pub allowed_cidrs: Vec<Cidr>,
    pub blocked_cidrs: Vec<Cidr>,
    pub allowed_ports: Vec<u16>,
    pub blocked_ports: Vec<u16>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resources {
    pub memory: ByteSize,
    pub cpus: f64,
    pub pids: u32,
    pub open_files: u32,
    /// Largest single file a process may write (`RLIMIT_FSIZE`).
    pub file_size: ByteSize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditSettings {
    pub include_command_output: bool,
    /// `None`: `LASSO_HOME/audit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_dir: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentAuth {
    /// Host variables copied into the sandbox environment at create (never onto a command line).
    pub forward_env: Vec<String>,
}

/// How the in-sandbox guard enforces the command policy on the agent's own processes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuardPolicy {
    pub enforcement: Enforcement,
    /// Kernel mechanisms the profile explicitly accepts running without. Empty (the default):
    /// a sandbox is refused on a kernel or runtime that lacks either of them.
    pub accept_missing: Vec<GuardFeature>,
}

/// Interactive terminal sessions into a sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TerminalSettings {
    /// A raw shell (`lasso attach --shell`, the TUI's shell) may be opened. Everything the
    /// shell starts is still checked by the in-sandbox guard; the host gate sees no lines.
    pub raw_shell: bool,
    /// Longest time one interactive program (or the raw shell) may run before it is killed.
    pub max_session_seconds: u32,
}

impl TerminalSettings {
    pub const DEFAULT_MAX_SESSION_SECONDS: u32 = 3600;

    /// The defaults: no raw shell, one hour.
    pub fn is_default(&self) -> bool {
        *self == TerminalSettings::default()
    }
}

impl Default for TerminalSettings {
    fn default() -> Self {
        TerminalSettings {
            raw_shell: false,
            max_session_seconds: Self::DEFAULT_MAX_SESSION_SECONDS,
        }
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Sorted, deduplicated.
fn set<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v.dedup();
    v
}

/// The list (or `default` when unset) with the pending `_add` items, as a set of strings.
fn names<T: std::fmt::Display>(
    v: Option<Vec<T>>,
    add: Option<Vec<T>>,
    default: Vec<String>,
) -> Vec<String> {
    let mut out = v.map_or(default, |v| v.iter().map(ToString::to_string).collect());
    out.extend(add.into_iter().flatten().map(|x| x.to_string()));
    set(out)
}

/// A list with no default plus its pending `_add` items, as a set.
fn joined<T: Ord>(v: Option<Vec<T>>, add: Option<Vec<T>>) -> Vec<T> {
    let mut out = v.unwrap_or_default();
    out.extend(add.unwrap_or_default());
    set(out)
}

fn domains(v: Option<Vec<DomainPattern>>) -> Option<Vec<String>> {
    v.map(|v| v.into_iter().map(|d| d.0).collect())
}

fn ports(v: Vec<Port>) -> Vec<u16> {
    v.into_iter().map(|p| p.0).collect()
}

/// Built-in `assist` list: observe defaults plus editing tools.
pub fn default_assist() -> Vec<String> {
    set(DEFAULT_OBSERVE
        .iter()
        .chain(DEFAULT_ASSIST_EXTRA)
        .map(|s| s.to_string())
        .collect())
}

impl Profile {
    /// Applies defaults to a merged raw profile. `fallback_name` is used when the file has
    /// no `name` (its file stem). The result is not yet validated: see [`Profile::validate`].
    pub fn from_raw(raw: RawProfile, fallback_name: &str) -> Profile {
        let c = raw.commands;
        let n = raw.network;
        let r = raw.resources;
        // Range checks have run on the raw values; clamping only guards the conversion.
        let to_u32 = |v: Option<i64>, d: u32| v.map_or(d, |v| u32::try_from(v).unwrap_or(0));
        Profile {
            name: raw.name.map_or_else(|| fallback_name.to_string(), |n| n.0),
            description: raw.description.unwrap_or_default(),
            mode: raw.mode.unwrap_or(Mode::Autonomous),
            isolation: raw.isolation.unwrap_or(Isolation::Container),
            image: ImageSpec {
                base: raw.image.base.map(|b| b.0),
                packages: names(raw.image.packages, raw.image.packages_add, Vec::new()),
            },
            filesystem: FilesystemPolicy {
                writable_paths: names(
                    raw.filesystem.writable_paths,
                    raw.filesystem.writable_paths_add,
                    Vec::new(),
                ),
                hidden_paths: names(
                    raw.filesystem.hidden_paths,
                    raw.filesystem.hidden_paths_add,
                    strings(DEFAULT_HIDDEN_PATHS),
                ),
                tmp_size: raw.filesystem.tmp_size.unwrap_or(ByteSize::mib(64)),
            },
            commands: CommandPolicy {
                mode: c.mode.unwrap_or(CommandMode::Whitelist),
                whitelist: names(c.whitelist, c.whitelist_add, Vec::new()),
                blacklist: names(c.blacklist, c.blacklist_add, Vec::new()),
                blocked_args: c
                    .blocked_args
                    .into_iter()
                    .map(|(k, v)| (k.0, set(v.into_iter().map(|p| p.0).collect())))
                    .filter(|(_, v): &(String, Vec<String>)| !v.is_empty())
                    .collect(),
                allow_shell_operators: c.allow_shell_operators.unwrap_or(false),
                allow_code_eval: c.allow_code_eval.unwrap_or(false),
                max_execution_seconds: to_u32(c.max_execution_seconds, 300),
            },
            modes: ModeLists {
                observe: names(
                    raw.modes.observe,
                    raw.modes.observe_add,
                    strings(DEFAULT_OBSERVE),
                ),
                assist: names(raw.modes.assist, raw.modes.assist_add, default_assist()),
            },
            network: NetworkPolicy {
                mode: n.mode.unwrap_or(NetworkMode::None),
                allowed_domains: names(
                    domains(n.allowed_domains),
                    domains(n.allowed_domains_add),
                    Vec::new(),
                ),
                blocked_domains: names(
                    domains(n.blocked_domains),
                    domains(n.blocked_domains_add),
                    Vec::new(),
                ),
                allowed_cidrs: joined(n.allowed_cidrs, n.allowed_cidrs_add),
                blocked_cidrs: joined(n.blocked_cidrs, n.blocked_cidrs_add),
                allowed_ports: ports(joined(n.allowed_ports, n.allowed_ports_add)),
                blocked_ports: ports(joined(n.blocked_ports, n.blocked_ports_add)),
            },
            resources: Resources {
                memory: r.memory.unwrap_or(ByteSize::mib(512)),
                cpus: r.cpus.unwrap_or(1.0),
                pids: to_u32(r.pids, 256),
                open_files: to_u32(r.open_files, 1024),
                file_size: r.file_size.unwrap_or(ByteSize::gib(1)),
            },
            audit: AuditSettings {
                include_command_output: raw.audit.include_command_output.unwrap_or(false),
                log_dir: raw.audit.log_dir.map(|p| p.0),
            },
            agent_auth: AgentAuth {
                forward_env: names(
                    raw.agent_auth.forward_env,
                    raw.agent_auth.forward_env_add,
                    Vec::new(),
                ),
            },
            guard: GuardPolicy {
                enforcement: raw.guard.enforcement.unwrap_or(Enforcement::Enforce),
                accept_missing: set(raw.guard.accept_missing.unwrap_or_default()),
            },
            terminal: TerminalSettings {
                raw_shell: raw.terminal.raw_shell.unwrap_or(false),
                max_session_seconds: to_u32(
                    raw.terminal.max_session_seconds,
                    TerminalSettings::DEFAULT_MAX_SESSION_SECONDS,
                ),
            },
            extra_env: raw.extra_env.into_iter().map(|(k, v)| (k.0, v)).collect(),
        }
    }

    /// The programs `mode` permits, already narrowed by the profile's command list:
    /// `None` for `autonomous` (no restriction beyond the profile).
    pub fn mode_programs(&self, mode: Mode) -> Option<Vec<String>> {
        let list = match mode {
            Mode::Autonomous => return None,
            Mode::Observe => &self.modes.observe,
            Mode::Assist => &self.modes.assist,
        };
        let c = &self.commands;
        Some(match c.mode {
            CommandMode::Whitelist => list
                .iter()
                .filter(|p| c.whitelist.contains(p))
                .cloned()
                .collect(),
            CommandMode::Blacklist => list
                .iter()
                .filter(|p| !c.blacklist.contains(p))
                .cloned()
                .collect(),
        })
    }

    /// The command gate's policy for this profile in its `mode`. Every front end builds the
    /// gate from this one conversion.
    pub fn gate_policy(&self) -> GatePolicy {
        let c = &self.commands;
        let programs = match c.mode {
            CommandMode::Whitelist => c.whitelist.clone(),
            CommandMode::Blacklist => c.blacklist.clone(),
        };
        let blocked_args = c
            .blocked_args
            .iter()
            .flat_map(|(program, patterns)| {
                patterns.iter().map(|pattern| BlockedArgRule {
                    program: program.clone(),
                    pattern: pattern.clone(),
                })
            })
            .collect();
        let mode = self
            .mode_programs(self.mode)
            .map(|programs| ModeRestriction {
                name: self.mode.as_str().to_string(),
                programs,
            });
        let mut writable_paths = vec![TMP_DIR.to_string()];
        writable_paths.extend(self.filesystem.writable_paths.iter().cloned());
        GatePolicy {
            list_mode: c.mode.into(),
            programs,
            blocked_args,
            allow_shell_operators: c.allow_shell_operators,
            allow_code_eval: c.allow_code_eval,
            mode,
            workspace: WORKSPACE.to_string(),
            home: SANDBOX_HOME.to_string(),
            writable_paths,
            hidden_paths: self.filesystem.hidden_paths.clone(),
        }
    }

    /// The canonical content: the profile as JSON with object keys sorted at every level and
    /// no insignificant whitespace. Independent of serde_json's `preserve_order` feature.
    pub fn canonical_json(&self) -> String {
        // Cannot fail: every map key is a string and every Serialize impl here is infallible.
        let value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        let mut out = String::new();
        write_canonical(&value, &mut out);
        out
    }

    /// SHA-256 (hex) of [`Profile::canonical_json`]: identifies the profile's content.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_json().as_bytes()))
    }

    /// The base image actually used: `[image].base`, else `fallback` (the settings' base image).
    pub fn effective_base_image<'a>(&'a self, fallback: &'a str) -> &'a str {
        self.image.base.as_deref().unwrap_or(fallback)
    }

    /// SHA-256 (hex) over only what goes into the image: the effective base reference and
    /// the sorted package list. Two profiles share an image exactly when these agree.
    pub fn image_hash(&self, fallback_base: &str) -> String {
        let mut h = Sha256::new();
        // NUL separators cannot occur in references or package names: the encoding is unambiguous.
        h.update(b"lasso-image-v1\0");
        h.update(self.effective_base_image(fallback_base).as_bytes());
        for p in set(self.image.packages.clone()) {
            h.update(b"\0");
            h.update(p.as_bytes());
        }
        hex::encode(h.finalize())
    }

    /// The tag of this profile's image: `lasso-img-<first 16 hex of image_hash>:latest`.
    pub fn image_tag(&self, fallback_base: &str) -> String {
        image_tag_for_hash(&self.image_hash(fallback_base))
    }
}

/// `lasso-img-<first 16 hex digits>:latest`, the image tag for an image hash.
pub fn image_tag_for_hash(image_hash: &str) -> String {
    let short: String = image_hash.chars().take(16).collect();
    format!("lasso-img-{short}:latest")
}

fn write_canonical(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                if let Some(item) = map.get(k) {
                    write_canonical(item, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests;
