//! Merging raw profiles along `extends`, and the `_add` list fields.
//!
//! Overlay is field by field: whatever the child sets replaces the parent's value. List
//! fields come in pairs: `x` replaces the parent's list, `x_add` extends the parent's
//! *effective* list. Because a parent may itself not set `x` (its effective list is then the
//! default, known only at resolution), the merged raw profile keeps a pending `x_add` until
//! [`Profile::from_raw`](crate::config::Profile::from_raw) appends it to the default. Once a
//! layer sets `x`, later `_add`s are folded into it right away, so the merge never carries
//! both. Setting `x` and `x_add` in one file is ambiguous (replace or extend?) and refused.

use super::{
    RawAgentAuth, RawAudit, RawCommands, RawFilesystem, RawGuard, RawImage, RawModes, RawNetwork,
    RawProfile, RawResources, RawTerminal,
};
use crate::config::diag::SourceMap;
use crate::config::error::ConfigError;

/// The parent's (`px`, `pa`) and child's (`cx`, `ca`) list and `_add` values merged.
fn extend<T>(
    px: Option<Vec<T>>,
    pa: Option<Vec<T>>,
    cx: Option<Vec<T>>,
    ca: Option<Vec<T>>,
) -> (Option<Vec<T>>, Option<Vec<T>>) {
    match (cx, ca) {
        (Some(mut x), add) => {
            // Both in one file is refused at parse time; folding keeps this total anyway.
            x.extend(add.unwrap_or_default());
            (Some(x), None)
        }
        (None, Some(add)) => match px {
            Some(mut x) => {
                x.extend(add);
                (Some(x), None)
            }
            None => {
                let mut pending = pa.unwrap_or_default();
                pending.extend(add);
                (None, Some(pending))
            }
        },
        (None, None) => (px, pa),
    }
}

/// Every list field with an `_add` twin, as `table.key`.
pub const ADD_FIELDS: &[&str] = &[
    "image.packages",
    "filesystem.writable_paths",
    "filesystem.hidden_paths",
    "commands.whitelist",
    "commands.blacklist",
    "modes.observe",
    "modes.assist",
    "network.allowed_domains",
    "network.blocked_domains",
    "network.allowed_cidrs",
    "network.blocked_cidrs",
    "network.allowed_ports",
    "network.blocked_ports",
    "agent_auth.forward_env",
];

impl RawProfile {
    /// Which of [`ADD_FIELDS`] set both `x` and `x_add`, in that order.
    fn both_set(&self) -> [(bool, bool); 14] {
        let (i, f, c, m, n, a) = (
            &self.image,
            &self.filesystem,
            &self.commands,
            &self.modes,
            &self.network,
            &self.agent_auth,
        );
        [
            (i.packages.is_some(), i.packages_add.is_some()),
            (f.writable_paths.is_some(), f.writable_paths_add.is_some()),
            (f.hidden_paths.is_some(), f.hidden_paths_add.is_some()),
            (c.whitelist.is_some(), c.whitelist_add.is_some()),
            (c.blacklist.is_some(), c.blacklist_add.is_some()),
            (m.observe.is_some(), m.observe_add.is_some()),
            (m.assist.is_some(), m.assist_add.is_some()),
            (n.allowed_domains.is_some(), n.allowed_domains_add.is_some()),
            (n.blocked_domains.is_some(), n.blocked_domains_add.is_some()),
            (n.allowed_cidrs.is_some(), n.allowed_cidrs_add.is_some()),
            (n.blocked_cidrs.is_some(), n.blocked_cidrs_add.is_some()),
            (n.allowed_ports.is_some(), n.allowed_ports_add.is_some()),
            (n.blocked_ports.is_some(), n.blocked_ports_add.is_some()),
            (a.forward_env.is_some(), a.forward_env_add.is_some()),
        ]
    }

    /// Refuses a file that sets both `x` and `x_add`, naming both keys.
    pub(super) fn check_add_conflicts(&self, map: &SourceMap<'_>) -> Result<(), ConfigError> {
        for (key, (x, add)) in ADD_FIELDS.iter().zip(self.both_set()) {
            if x && add {
                let add_key = format!("{key}_add");
                return Err(ConfigError::Inconsistent {
                    origin: map.origin_of(&add_key),
                    key: add_key.clone(),
                    message: format!(
                        "{key} and {add_key} are both set in this file; use {key} to replace \
                         the parent's list or {add_key} to extend it, not both"
                    ),
                });
            }
        }
        Ok(())
    }

    /// `self` (the parent) with every field `child` sets replaced by the child's value, and
    /// every `_add` list appended to the parent's list. `name`, `extends`, `integrity` and
    /// `provenance` describe one file and come from the child only.
    pub fn overlay(self, child: RawProfile) -> RawProfile {
        let p = self;
        let c = child;
        let mut extra_env = p.extra_env;
        extra_env.extend(c.extra_env);
        let (pi, ci) = (p.image, c.image);
        let (packages, packages_add) =
            extend(pi.packages, pi.packages_add, ci.packages, ci.packages_add);
        let (pf, cf) = (p.filesystem, c.filesystem);
        let (writable_paths, writable_paths_add) = extend(
            pf.writable_paths,
            pf.writable_paths_add,
            cf.writable_paths,
            cf.writable_paths_add,
        );
        let (hidden_paths, hidden_paths_add) = extend(
            pf.hidden_paths,
            pf.hidden_paths_add,
            cf.hidden_paths,
            cf.hidden_paths_add,
        );
        let (pc, cc) = (p.commands, c.commands);
        let mut blocked_args = pc.blocked_args;
        blocked_args.extend(cc.blocked_args);
        let (whitelist, whitelist_add) = extend(
            pc.whitelist,
            pc.whitelist_add,
            cc.whitelist,
            cc.whitelist_add,
        );
        let (blacklist, blacklist_add) = extend(
            pc.blacklist,
            pc.blacklist_add,
            cc.blacklist,
            cc.blacklist_add,
        );
        let (pm, cm) = (p.modes, c.modes);
        let (observe, observe_add) = extend(pm.observe, pm.observe_add, cm.observe, cm.observe_add);
        let (assist, assist_add) = extend(pm.assist, pm.assist_add, cm.assist, cm.assist_add);
        let (pn, cn) = (p.network, c.network);
        let (allowed_domains, allowed_domains_add) = extend(
            pn.allowed_domains,
            pn.allowed_domains_add,
            cn.allowed_domains,
            cn.allowed_domains_add,
        );
        let (blocked_domains, blocked_domains_add) = extend(
            pn.blocked_domains,
            pn.blocked_domains_add,
            cn.blocked_domains,
            cn.blocked_domains_add,
        );
        let (allowed_cidrs, allowed_cidrs_add) = extend(
            pn.allowed_cidrs,
            pn.allowed_cidrs_add,
            cn.allowed_cidrs,
            cn.allowed_cidrs_add,
        );
        let (blocked_cidrs, blocked_cidrs_add) = extend(
            pn.blocked_cidrs,
            pn.blocked_cidrs_add,
            cn.blocked_cidrs,
            cn.blocked_cidrs_add,
        );
        let (allowed_ports, allowed_ports_add) = extend(
            pn.allowed_ports,
            pn.allowed_ports_add,
            cn.allowed_ports,
            cn.allowed_ports_add,
        );
        let (blocked_ports, blocked_ports_add) = extend(
            pn.blocked_ports,
            pn.blocked_ports_add,
            cn.blocked_ports,
            cn.blocked_ports_add,
        );
        let (pa, ca) = (p.agent_auth, c.agent_auth);
        let (forward_env, forward_env_add) = extend(
            pa.forward_env,
            pa.forward_env_add,
            ca.forward_env,
            ca.forward_env_add,
        );
        RawProfile {
            name: c.name,
            description: c.description.or(p.description),
            extends: c.extends,
            mode: c.mode.or(p.mode),
            isolation: c.isolation.or(p.isolation),
            image: RawImage {
                base: ci.base.or(pi.base),
                packages,
                packages_add,
            },
            filesystem: RawFilesystem {
                writable_paths,
                writable_paths_add,
                hidden_paths,
                hidden_paths_add,
                tmp_size: cf.tmp_size.or(pf.tmp_size),
            },
            commands: RawCommands {
                mode: cc.mode.or(pc.mode),
                whitelist,
                whitelist_add,
                blacklist,
                blacklist_add,
                blocked_args,
                allow_shell_operators: cc.allow_shell_operators.or(pc.allow_shell_operators),
                allow_code_eval: cc.allow_code_eval.or(pc.allow_code_eval),
                max_execution_seconds: cc.max_execution_seconds.or(pc.max_execution_seconds),
            },
            modes: RawModes {
                observe,
                observe_add,
                assist,
                assist_add,
            },
            network: RawNetwork {
                mode: cn.mode.or(pn.mode),
                allowed_domains,
                allowed_domains_add,
                blocked_domains,
                blocked_domains_add,
                allowed_cidrs,
                allowed_cidrs_add,
                blocked_cidrs,
                blocked_cidrs_add,
                allowed_ports,
                allowed_ports_add,
                blocked_ports,
                blocked_ports_add,
            },
            resources: RawResources {
                memory: c.resources.memory.or(p.resources.memory),
                cpus: c.resources.cpus.or(p.resources.cpus),
                pids: c.resources.pids.or(p.resources.pids),
                open_files: c.resources.open_files.or(p.resources.open_files),
                file_size: c.resources.file_size.or(p.resources.file_size),
            },
            audit: RawAudit {
                include_command_output: c
                    .audit
                    .include_command_output
                    .or(p.audit.include_command_output),
                log_dir: c.audit.log_dir.or(p.audit.log_dir),
            },
            agent_auth: RawAgentAuth {
                forward_env,
                forward_env_add,
            },
            guard: RawGuard {
                enforcement: c.guard.enforcement.or(p.guard.enforcement),
                accept_missing: c.guard.accept_missing.or(p.guard.accept_missing),
            },
            terminal: RawTerminal {
                raw_shell: c.terminal.raw_shell.or(p.terminal.raw_shell),
                max_session_seconds: c
                    .terminal
                    .max_session_seconds
                    .or(p.terminal.max_session_seconds),
            },
            extra_env,
            integrity: c.integrity,
            provenance: c.provenance,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_profile;
    use super::*;

    fn raw(text: &str) -> RawProfile {
        match parse_profile(text, "t.toml") {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    fn names<T: std::fmt::Display>(v: &Option<Vec<T>>) -> Option<Vec<String>> {
        v.as_ref()
            .map(|v| v.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn add_extends_the_parents_list() {
        let parent = raw("[commands]\nwhitelist = [\"ls\", \"cat\"]\n");
        let child = raw("[commands]\nwhitelist_add = [\"git\"]\n");
        let m = parent.overlay(child);
        assert_eq!(
            names(&m.commands.whitelist),
            Some(vec!["ls".into(), "cat".into(), "git".into()])
        );
        assert!(m.commands.whitelist_add.is_none());
        // A grandchild replacing the list drops everything before it.
        let m = m.overlay(raw("[commands]\nwhitelist = [\"id\"]\n"));
        assert_eq!(names(&m.commands.whitelist), Some(vec!["id".into()]));
    }

    #[test]
    fn add_over_an_unset_parent_stays_pending_for_the_default() {
        let parent = raw("[modes]\nobserve_add = [\"git\"]\n");
        let child = raw("[modes]\nobserve_add = [\"jq\"]\n[network]\nblocked_ports_add = [25]\n");
        let m = parent.overlay(child);
        assert!(m.modes.observe.is_none());
        assert_eq!(
            names(&m.modes.observe_add),
            Some(vec!["git".into(), "jq".into()])
        );
        assert_eq!(
            m.network
                .blocked_ports_add
                .map(|v| v.iter().map(|p| p.0).collect::<Vec<_>>()),
            Some(vec![25])
        );
    }

    #[test]
    fn both_keys_in_one_file_are_refused_with_position() {
        for key in ADD_FIELDS {
            let (table, field) = key.split_once('.').unwrap_or_default();
            let value = match field {
                f if f.ends_with("ports") => "[25]",
                f if f.ends_with("cidrs") => "[\"10.0.0.0/8\"]",
                f if f.ends_with("domains") => "[\"example.com\"]",
                "forward_env" => "[\"MY_TOKEN\"]",
                "writable_paths" => "[\"/data\"]",
                "hidden_paths" => "[\"/etc/x\"]",
                "packages" => "[\"git\"]",
                _ => "[\"ls\"]",
            };
            let text = format!("[{table}]\n{field} = {value}\n{field}_add = {value}\n");
            let e = parse_profile(&text, "p.toml")
                .map(|_| ())
                .map_err(|e| e.to_string());
            let Err(m) = e else {
                panic!("{key}: both keys accepted")
            };
            let col = field.len() + 8;
            assert_eq!(
                m,
                format!(
                    "p.toml:3:{col}: {key}_add: {key} and {key}_add are both set in this file; \
                     use {key} to replace the parent's list or {key}_add to extend it, not both"
                )
            );
        }
    }

    #[test]
    fn add_values_are_checked_like_the_lists() {
        let m = parse_profile(
            "[filesystem]\nwritable_paths_add = [\"/proc/x\"]\n",
            "p.toml",
        )
        .map(|_| ())
        .map_err(|e| e.to_string());
        assert!(
            m.as_ref()
                .err()
                .is_some_and(|m| m.starts_with("p.toml:2:23: filesystem.writable_paths_add[0]")),
            "{m:?}"
        );
        let m = parse_profile("[network]\nallowed_ports_add = [0]\n", "p.toml")
            .map(|_| ())
            .map_err(|e| e.to_string());
        assert!(
            m.as_ref()
                .err()
                .is_some_and(|m| m.contains("network.allowed_ports_add[0] = 0 is not valid")),
            "{m:?}"
        );
    }
}
