//! What the supervisor decides for one exec, given what it read from the target.
//!
//! Pure apart from the `resolve` callback (canonicalising a path as the target would see it),
//! so every rule is unit-tested with a fake exec set:
//! - the gate sees the program *name* (basename of the requested path) with the target's
//!   arguments, via `Gate::check_exec_in`;
//! - whitelist: the name's PATH lookup must be the very file being executed (a copy or a
//!   symlink named `ls` is not `ls`);
//! - blacklist: the name and the real file's basename must both pass;
//! - a direct loader invocation (`ld-linux-x86-64.so.2 [options] BINARY ...`) is decided as
//!   the BINARY it loads; loader options that load extra code (`--preload`, `--audit`,
//!   `--library-path`) are code evaluation, and a blacklist profile only lets the loader run
//!   system files (the loader maps its target without an exec check, so Landlock cannot stop
//!   `ld.so /workspace/evil`; this rule does).

use std::io;

use crate::config::beneath;
use crate::landlock::SYSTEM_EXEC_DIRS;
use crate::policy::{Decision, Gate, Rule};
use crate::resolve::{ExecSet, basename};

/// Loader options followed by a value (glibc `ld.so --help`).
const LOADER_VALUE_OPTS: [&str; 7] = [
    "--library-path",
    "--inhibit-rpath",
    "--audit",
    "--preload",
    "--argv0",
    "--glibc-hwcaps-prepend",
    "--glibc-hwcaps-mask",
];
/// Loader options that load code of the caller's choosing.
const LOADER_CODE_OPTS: [&str; 3] = ["--library-path", "--audit", "--preload"];

/// The outcome of a decision, in the spool's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    pub rule: String,
    pub reason: String,
    pub program: Option<String>,
}

impl Verdict {
    fn deny(rule: &str, reason: String, program: Option<&str>) -> Verdict {
        Verdict {
            allowed: false,
            rule: rule.to_owned(),
            reason,
            program: program.map(str::to_owned),
        }
    }
    fn from_decision(d: Decision) -> Verdict {
        Verdict {
            allowed: d.allowed,
            rule: rule_name(d.rule),
            reason: d.reason,
            program: d.program,
        }
    }
}

/// The kebab-case name of a gate rule, as it appears in decisions and the audit log.
pub fn rule_name(r: Rule) -> String {
    serde_json::to_value(r)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{r:?}"))
}

/// Everything a decision needs besides the request.
pub struct Decider<'a> {
    pub gate: &'a Gate,
    pub set: &'a ExecSet,
    pub whitelist: bool,
    pub write_paths: &'a [String],
}

impl Decider<'_> {
    /// Decides the exec of canonical file `file`, requested as `requested` with `argv`, by a
    /// process whose cwd is `cwd`. `resolve` canonicalises a path as the target sees it.
    pub fn decide(
        &self,
        requested: &str,
        file: &str,
        argv: &[String],
        cwd: &str,
        resolve: &dyn Fn(&str) -> io::Result<String>,
    ) -> Verdict {
        let name = basename(requested);
        let rest = argv.get(1..).unwrap_or(&[]);
        if self.set.is_loader(file) {
            return self.decide_loader(name, file, rest, cwd, resolve);
        }
        self.decide_program(name, file, rest, cwd)
    }

    fn decide_program(&self, name: &str, file: &str, rest: &[String], cwd: &str) -> Verdict {
        let mut argv = Vec::with_capacity(rest.len() + 1);
        argv.push(name.to_owned());
        argv.extend_from_slice(rest);
        let d = self.gate.check_exec_in(&argv, cwd);
        if !d.allowed {
            return Verdict::from_decision(d);
        }
        if self.whitelist {
            if !self.set.name_is(name, file) {
                let really = match self.set.names.get(name) {
                    Some(files) => {
                        format!("the `{name}` the whitelist allows is {}", files.join(", "))
                    }
                    None => format!("no `{name}` exists in the image's PATH"),
                };
                return Verdict::deny(
                    "not-whitelisted",
                    format!(
                        "`{name}` is really {file}, not an allowed program: {really}; run programs by their name from the image, not through copies or links"
                    ),
                    Some(name),
                );
            }
        } else {
            let real = basename(file);
            if real != name {
                argv[0] = real.to_owned();
                let d = self.gate.check_exec_in(&argv, cwd);
                if !d.allowed {
                    let mut v = Verdict::from_decision(d);
                    v.reason = format!("`{name}` is {file}: {}", v.reason);
                    return v;
                }
            }
        }
        Verdict::from_decision(d)
    }

    fn decide_loader(
        &self,
        name: &str,
        file: &str,
        rest: &[String],
        cwd: &str,
        resolve: &dyn Fn(&str) -> io::Result<String>,
    ) -> Verdict {
        let mut i = 0;
        while i < rest.len() && rest[i].starts_with("--") {
            let opt = rest[i].as_str();
            if LOADER_CODE_OPTS.contains(&opt) && !self.gate.policy().allow_code_eval {
                return Verdict::deny(
                    "code-eval",
                    format!(
                        "the dynamic loader {file} was run with `{opt}`, which loads code the gate cannot inspect"
                    ),
                    Some(name),
                );
            }
            i += if LOADER_VALUE_OPTS.contains(&opt) {
                2
            } else {
                1
            };
        }
        let Some(target) = rest.get(i) else {
            // No program: the loader is the program (and has to pass as itself).
            return self.decide_program(name, file, rest, cwd);
        };
        let real = match resolve(target) {
            Ok(r) => r,
            Err(e) => {
                return Verdict::deny(
                    "not-whitelisted",
                    format!(
                        "the dynamic loader {file} was asked to run `{target}`, which cannot be resolved: {}",
                        crate::sys::describe(&e)
                    ),
                    Some(basename(target)),
                );
            }
        };
        if !self.whitelist
            && (self
                .write_paths
                .iter()
                .any(|w| beneath(&real, &crate::config::normalize(w)))
                || !SYSTEM_EXEC_DIRS.iter().any(|d| beneath(&real, d)))
        {
            return Verdict::deny(
                "not-whitelisted",
                format!(
                    "the dynamic loader {file} was asked to run {real}, which is not a system program (only files beneath /usr, /bin, /sbin, /lib* and /opt may be loaded directly)"
                ),
                Some(basename(target)),
            );
        }
        let mut v = self.decide_program(
            basename(target),
            &real,
            rest.get(i + 1..).unwrap_or(&[]),
            cwd,
        );
        v.reason = format!("run through the dynamic loader {file}: {}", v.reason);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{GatePolicy, ListMode};
    use std::collections::BTreeMap;

    fn gate(mode: ListMode, programs: &[&str]) -> Gate {
        Gate::new(GatePolicy {
            list_mode: mode,
            programs: programs.iter().map(|s| (*s).to_owned()).collect(),
            blocked_args: vec![],
            allow_shell_operators: true,
            allow_code_eval: false,
            mode: None,
            workspace: "/workspace".into(),
            home: "/home/sandbox".into(),
            writable_paths: vec!["/tmp".into()],
            hidden_paths: vec!["/etc/shadow".into()],
        })
        .unwrap()
    }

    fn set() -> ExecSet {
        let mut names = BTreeMap::new();
        names.insert("ls".to_owned(), vec!["/usr/bin/ls".to_owned()]);
        names.insert("cat".to_owned(), vec!["/usr/bin/cat".to_owned()]);
        names.insert("python3".to_owned(), vec!["/usr/bin/python3.11".to_owned()]);
        ExecSet {
            names,
            files: Default::default(),
            loaders: ["/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2".to_owned()]
                .into_iter()
                .collect(),
        }
    }

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| (*x).to_owned()).collect()
    }

    fn fake_resolve(p: &str) -> io::Result<String> {
        match p {
            "/usr/bin/rm" | "rm" => Ok("/usr/bin/rm".into()),
            "/usr/bin/ls" => Ok("/usr/bin/ls".into()),
            "./evil" => Ok("/workspace/evil".into()),
            _ => Err(io::Error::from_raw_os_error(libc::ENOENT)),
        }
    }

    const LD: &str = "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";

    #[test]
    fn whitelist_requires_the_real_file() {
        let g = gate(ListMode::Whitelist, &["ls", "cat", "python3"]);
        let s = set();
        let d = Decider {
            gate: &g,
            set: &s,
            whitelist: true,
            write_paths: &[],
        };
        let ok = d.decide(
            "/bin/ls",
            "/usr/bin/ls",
            &v(&["ls", "-l"]),
            "/workspace",
            &fake_resolve,
        );
        assert!(ok.allowed, "{ok:?}");
        assert_eq!(ok.rule, "allowed");
        // A copy named ls.
        let copy = d.decide(
            "/tmp/ls",
            "/tmp/ls",
            &v(&["ls"]),
            "/workspace",
            &fake_resolve,
        );
        assert!(!copy.allowed);
        assert_eq!(copy.rule, "not-whitelisted");
        assert!(
            copy.reason.contains("/tmp/ls") && copy.reason.contains("/usr/bin/ls"),
            "{}",
            copy.reason
        );
        // A symlink named ls pointing at rm.
        let link = d.decide(
            "./ls",
            "/usr/bin/rm",
            &v(&["ls", "-rf", "x"]),
            "/workspace",
            &fake_resolve,
        );
        assert!(
            !link.allowed && link.reason.contains("/usr/bin/rm"),
            "{link:?}"
        );
        // rm by name: the gate says no.
        let rm = d.decide(
            "rm",
            "/usr/bin/rm",
            &v(&["rm"]),
            "/workspace",
            &fake_resolve,
        );
        assert_eq!(rm.rule, "not-whitelisted");
        assert_eq!(rm.program.as_deref(), Some("rm"));
        // argv[0] is ignored for the name: `exec -a ls rm` is still rm.
        let a0 = d.decide(
            "/usr/bin/rm",
            "/usr/bin/rm",
            &v(&["ls"]),
            "/workspace",
            &fake_resolve,
        );
        assert!(!a0.allowed);
        // Arguments are checked: a hidden path and code evaluation.
        let hidden = d.decide(
            "cat",
            "/usr/bin/cat",
            &v(&["cat", "/etc/shadow"]),
            "/workspace",
            &fake_resolve,
        );
        assert_eq!(hidden.rule, "hidden-path");
        let eval = d.decide(
            "python3",
            "/usr/bin/python3.11",
            &v(&["python3", "-c", "print(1)"]),
            "/workspace",
            &fake_resolve,
        );
        assert_eq!(eval.rule, "code-eval");
        // An argument with a newline is an argument, not shell syntax.
        let nl = d.decide(
            "cat",
            "/usr/bin/cat",
            &v(&["cat", "a\nb"]),
            "/workspace",
            &fake_resolve,
        );
        assert!(nl.allowed, "{nl:?}");
    }

    #[test]
    fn loader_invocations_are_decided_as_their_target() {
        let g = gate(ListMode::Whitelist, &["ls"]);
        let s = set();
        let d = Decider {
            gate: &g,
            set: &s,
            whitelist: true,
            write_paths: &[],
        };
        let rm = d.decide(
            LD,
            LD,
            &v(&[LD, "/usr/bin/rm", "-rf", "/"]),
            "/workspace",
            &fake_resolve,
        );
        assert!(!rm.allowed);
        assert_eq!(rm.program.as_deref(), Some("rm"));
        assert!(rm.reason.contains("dynamic loader"), "{}", rm.reason);
        let ls = d.decide(
            LD,
            LD,
            &v(&[LD, "--argv0", "x", "--inhibit-cache", "/usr/bin/ls", "-l"]),
            "/",
            &fake_resolve,
        );
        assert!(ls.allowed, "{ls:?}");
        let pre = d.decide(
            LD,
            LD,
            &v(&[LD, "--preload", "/workspace/x.so", "/usr/bin/ls"]),
            "/",
            &fake_resolve,
        );
        assert_eq!(pre.rule, "code-eval");
        let missing = d.decide(LD, LD, &v(&[LD, "/nope"]), "/", &fake_resolve);
        assert!(!missing.allowed && missing.reason.contains("ENOENT"));
        // The loader alone is a program that is not on the whitelist.
        let bare = d.decide(LD, LD, &v(&[LD, "--help"]), "/", &fake_resolve);
        assert!(!bare.allowed);
        // Renamed loader (a copy would not be executable under Landlock; a name check still
        // catches a system loader reached under another name).
        assert!(s.is_loader("/lib/ld-musl-x86_64.so.1"));
    }

    #[test]
    fn blacklist_checks_both_names_and_loaded_files() {
        let g = gate(ListMode::Blacklist, &["rm", "nc"]);
        let s = set();
        let w = vec!["/workspace".to_owned(), "/tmp".to_owned()];
        let d = Decider {
            gate: &g,
            set: &s,
            whitelist: false,
            write_paths: &w,
        };
        assert!(
            d.decide(
                "ls",
                "/usr/bin/ls",
                &v(&["ls"]),
                "/workspace",
                &fake_resolve
            )
            .allowed
        );
        let rm = d.decide(
            "rm",
            "/usr/bin/rm",
            &v(&["rm"]),
            "/workspace",
            &fake_resolve,
        );
        assert_eq!(rm.rule, "blacklisted");
        // A link named `ls` to rm is rm.
        let link = d.decide(
            "./ls",
            "/usr/bin/rm",
            &v(&["ls"]),
            "/workspace",
            &fake_resolve,
        );
        assert_eq!(link.rule, "blacklisted");
        assert!(link.reason.contains("/usr/bin/rm"), "{}", link.reason);
        // Through the loader: rm is still rm, and workspace files cannot be loaded at all.
        let ld_rm = d.decide(LD, LD, &v(&[LD, "rm"]), "/workspace", &fake_resolve);
        assert_eq!(ld_rm.rule, "blacklisted");
        let evil = d.decide(LD, LD, &v(&[LD, "./evil"]), "/workspace", &fake_resolve);
        assert!(
            !evil.allowed && evil.reason.contains("/workspace/evil"),
            "{evil:?}"
        );
        let ok = d.decide(
            LD,
            LD,
            &v(&[LD, "/usr/bin/ls"]),
            "/workspace",
            &fake_resolve,
        );
        assert!(ok.allowed, "{ok:?}");
    }

    #[test]
    fn rule_names_are_kebab_case() {
        assert_eq!(rule_name(Rule::NotWhitelisted), "not-whitelisted");
        assert_eq!(rule_name(Rule::CodeEval), "code-eval");
    }
}
