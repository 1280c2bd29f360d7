//! Validation of a resolved `Profile`: every field's rule again (for profiles built in code
//! rather than parsed) and the cross-field rules that only make sense after inheritance has
//! been applied (a whitelist mode needs a whitelist, `allowed_*` needs `restricted`, ...).
//!
//! Problems are reported as key + value + reason; [`Profile::check`] turns them into a
//! `ConfigError` with the file and, when the key was written in that file, its position.

use super::diag::SourceMap;
use super::enums::{CommandMode, Mode, NetworkMode};
use super::error::{ConfigError, Origin};
use super::names::{
    check_blocked_pattern, check_env_name, check_hidden_path, check_host_path, check_image_ref,
    check_package, check_profile_name, check_program, check_sandbox_path,
};
use super::net::check_domain;
use super::profile::Profile;
use super::rules;

/// One reason a profile is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Key path, e.g. `network.allowed_domains`.
    pub key: String,
    /// The offending value as TOML would show it, when one value is at fault.
    pub value: Option<String>,
    pub message: String,
}

impl Problem {
    fn value(key: impl Into<String>, value: impl Into<String>, message: String) -> Problem {
        Problem {
            key: key.into(),
            value: Some(value.into()),
            message,
        }
    }

    fn rule(key: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            key: key.into(),
            value: None,
            message: message.into(),
        }
    }

    /// The problem as an error about `file` (positions taken from `map` when given).
    pub fn into_error(self, file: &str, map: Option<&SourceMap<'_>>) -> ConfigError {
        let origin = map.map_or_else(|| Origin::file(file), |m| m.origin_of(&self.key));
        match self.value {
            Some(value) => ConfigError::InvalidValue {
                origin,
                key: self.key,
                value,
                expected: self.message,
            },
            None => ConfigError::Inconsistent {
                origin,
                key: self.key,
                message: self.message,
            },
        }
    }
}

fn each<'a>(
    key: &str,
    items: impl IntoIterator<Item = &'a String>,
    rule: impl Fn(&str) -> Result<(), String>,
) -> Result<(), Problem> {
    for (i, item) in items.into_iter().enumerate() {
        rule(item).map_err(|m| Problem::value(format!("{key}[{i}]"), format!("{item:?}"), m))?;
    }
    Ok(())
}

fn one(key: &str, shown: String, r: Result<(), String>) -> Result<(), Problem> {
    r.map_err(|m| Problem::value(key, shown, m))
}

impl Profile {
    /// Checks every rule; the first problem found is returned.
    pub fn validate(&self) -> Result<(), Problem> {
        self.validate_fields()?;
        self.validate_consistency()
    }

    /// [`Profile::validate`], reported against `file`.
    pub fn check(&self, file: &str, map: Option<&SourceMap<'_>>) -> Result<(), ConfigError> {
        self.validate().map_err(|p| p.into_error(file, map))
    }

    fn validate_fields(&self) -> Result<(), Problem> {
        one(
            "name",
            format!("{:?}", self.name),
            check_profile_name(&self.name),
        )?;
        one(
            "description",
            format!("{:?}", self.description),
            rules::description(&self.description),
        )?;
        if let Some(base) = &self.image.base {
            one("image.base", format!("{base:?}"), check_image_ref(base))?;
        }
        each("image.packages", &self.image.packages, check_package)?;
        let fs = &self.filesystem;
        each("filesystem.writable_paths", &fs.writable_paths, |p| {
            check_sandbox_path(p).and_then(|()| rules::writable_path(p))
        })?;
        each(
            "filesystem.hidden_paths",
            &fs.hidden_paths,
            check_hidden_path,
        )?;
        one(
            "filesystem.tmp_size",
            format!("\"{}\"", fs.tmp_size),
            rules::tmp_size(fs.tmp_size),
        )?;
        let c = &self.commands;
        each("commands.whitelist", &c.whitelist, check_program)?;
        each("commands.blacklist", &c.blacklist, check_program)?;
        for (program, patterns) in &c.blocked_args {
            let key = format!("commands.blocked_args.{program}");
            one(&key, format!("{program:?}"), check_program(program))?;
            each(&key, patterns, check_blocked_pattern)?;
        }
        one(
            "commands.max_execution_seconds",
            c.max_execution_seconds.to_string(),
            rules::max_execution_seconds(i64::from(c.max_execution_seconds)),
        )?;
        one(
            "terminal.max_session_seconds",
            self.terminal.max_session_seconds.to_string(),
            rules::max_session_seconds(i64::from(self.terminal.max_session_seconds)),
        )?;
        each("modes.observe", &self.modes.observe, check_program)?;
        each("modes.assist", &self.modes.assist, check_program)?;
        let n = &self.network;
        let canonical_domain = |d: &str| match check_domain(d) {
            Ok(lower) if lower == d => Ok(()),
            Ok(_) => Err("expected a lowercase hostname".to_string()),
            Err(e) => Err(e),
        };
        each(
            "network.allowed_domains",
            &n.allowed_domains,
            canonical_domain,
        )?;
        each(
            "network.blocked_domains",
            &n.blocked_domains,
            canonical_domain,
        )?;
        for (key, ports) in [
            ("network.allowed_ports", &n.allowed_ports),
            ("network.blocked_ports", &n.blocked_ports),
        ] {
            if ports.contains(&0) {
                return Err(Problem::value(
                    key,
                    "0",
                    "expected a port number from 1 to 65535".into(),
                ));
            }
        }
        let r = &self.resources;
        one(
            "resources.memory",
            format!("\"{}\"", r.memory),
            rules::memory(r.memory),
        )?;
        one("resources.cpus", r.cpus.to_string(), rules::cpus(r.cpus))?;
        one(
            "resources.pids",
            r.pids.to_string(),
            rules::pids(i64::from(r.pids)),
        )?;
        one(
            "resources.open_files",
            r.open_files.to_string(),
            rules::open_files(i64::from(r.open_files)),
        )?;
        one(
            "resources.file_size",
            format!("\"{}\"", r.file_size),
            rules::file_size(r.file_size),
        )?;
        if let Some(dir) = &self.audit.log_dir {
            one("audit.log_dir", format!("{dir:?}"), check_host_path(dir))?;
        }
        each(
            "agent_auth.forward_env",
            &self.agent_auth.forward_env,
            check_env_name,
        )?;
        for (name, value) in &self.extra_env {
            let key = format!("extra_env.{name}");
            check_env_name(name).map_err(|m| Problem::rule(&key, m))?;
            one(&key, format!("{value:?}"), rules::env_value(value))?;
        }
        Ok(())
    }

    fn validate_consistency(&self) -> Result<(), Problem> {
        let c = &self.commands;
        match c.mode {
            CommandMode::Whitelist if c.whitelist.is_empty() => {
                return Err(Problem::rule(
                    "commands.whitelist",
                    "commands.mode = \"whitelist\" needs at least one program in \
                     commands.whitelist (an empty whitelist would block every command)",
                ));
            }
            CommandMode::Whitelist if !c.blacklist.is_empty() => {
                return Err(Problem::rule(
                    "commands.blacklist",
                    "is only used when commands.mode = \"blacklist\"; set commands.blacklist = [] \
                     or change commands.mode",
                ));
            }
            CommandMode::Blacklist if !c.whitelist.is_empty() => {
                return Err(Problem::rule(
                    "commands.whitelist",
                    "is only used when commands.mode = \"whitelist\"; set commands.whitelist = [] \
                     or change commands.mode",
                ));
            }
            _ => {}
        }
        if matches!(self.mode, Mode::Observe | Mode::Assist)
            && self.mode_programs(self.mode).is_some_and(|p| p.is_empty())
        {
            return Err(Problem::rule(
                "mode",
                format!(
                    "mode = \"{}\" leaves no program allowed: none of modes.{} is permitted by \
                     the command list; adjust modes.{} or the command list",
                    self.mode, self.mode, self.mode
                ),
            ));
        }
        let n = &self.network;
        if n.mode != NetworkMode::Restricted {
            let set = [
                ("network.allowed_domains", n.allowed_domains.is_empty()),
                ("network.allowed_cidrs", n.allowed_cidrs.is_empty()),
                ("network.allowed_ports", n.allowed_ports.is_empty()),
            ];
            if let Some((key, _)) = set.iter().find(|(_, empty)| !empty) {
                return Err(Problem::rule(
                    *key,
                    format!(
                        "only applies when network.mode = \"restricted\" (it is \"{}\"); set \
                         {key} = [] or network.mode = \"restricted\"",
                        n.mode
                    ),
                ));
            }
        } else if n.allowed_domains.is_empty() && n.allowed_cidrs.is_empty() {
            return Err(Problem::rule(
                "network.mode",
                "network.mode = \"restricted\" needs network.allowed_domains or \
                 network.allowed_cidrs; to allow no traffic at all use network.mode = \"none\"",
            ));
        }
        if let Some(name) = self
            .agent_auth
            .forward_env
            .iter()
            .find(|n| self.extra_env.contains_key(*n))
        {
            return Err(Problem::rule(
                "agent_auth.forward_env",
                format!(
                    "{name} is both forwarded from the host and set in extra_env; keep one of them"
                ),
            ));
        }
        for (i, w) in self.filesystem.writable_paths.iter().enumerate() {
            let literal = |h: &&String| !h.contains(['*', '?', '[']);
            if let Some(h) = self
                .filesystem
                .hidden_paths
                .iter()
                .filter(literal)
                .find(|h| rules::is_within(w, h))
            {
                return Err(Problem::value(
                    format!("filesystem.writable_paths[{i}]"),
                    format!("{w:?}"),
                    format!("it is inside the hidden path {h:?}; a hidden path cannot be writable"),
                ));
            }
        }
        Ok(())
    }
}
