//! The command gate: decides whether a command line an agent sends may run in the sandbox,
//! and if so how (a direct argv or `sh -c`).
//!
//! This module is a security boundary and is pure: no I/O, no async, no globals besides a
//! lazily built static table. Its predecessor was bypassed through `sh -c`, wrappers and
//! combined short flags, so the gate reads a command the way the programs involved will:
//!
//! 1. `lexer` tokenises with POSIX shell rules and rejects everything whose meaning depends on
//!    run-time state (expansions, substitutions, here-documents, control characters).
//! 2. `parse` groups tokens into stages (simple commands) of pipelines and lists, and rejects
//!    compound shell syntax the gate does not model.
//! 3. `engine` gates every stage: environment assignments, redirections, the program against
//!    the profile's list and mode, then its arguments. Wrappers (`env`, `xargs`, `timeout`,
//!    `sudo`, `sh -c`, `find -exec`, `tar -I`, ...) are unwrapped and the inner command is gated
//!    recursively (`wrappers`); every program in the chain must pass.
//! 4. Argument semantics come from a static table (`spec`, `table`): which short options
//!    take values, long options and their aliases, whether abbreviations are accepted,
//!    subcommands, which options evaluate code, run commands or name output files. Adding a
//!    program is data; only genuinely different languages (sed scripts, awk programs, `find`
//!    expressions, `git config` keys) have code (`programs`, `sed`, `awk`).
//! 5. `paths` decodes and lexically normalises every path-like word and checks it against the
//!    workspace and the hidden paths; `rules` matches the profile's `blocked_args` rules.
//!
//! Everything that cannot be decided safely is refused with a sentence saying what was wrong and
//! what to do instead: the gate fails closed.
//!
//! What a lexical gate cannot see, and the sandbox's other layers (read-only root, masked
//! paths, the in-sandbox exec guard) must cover: symlinks the agent creates (`ln -s /etc x`
//! then `cat x/shadow`); code in files the agent writes and then runs (scripts, `Makefile`,
//! `package.json` scripts, `.git/hooks`, `.git/config` aliases and pagers); file names that
//! arrive on `xargs`' or a program's input; the contents of directories named as arguments
//! (`grep -r x /` reads below `/`, only the named path itself is checked); programs run by
//! `./name` whose basename is on the whitelist; and, for blacklist profiles, wrappers and
//! interpreters the table does not know.

mod types;
pub use types::*;

mod args;
mod awk;
mod engine;
mod lexer;
mod parse;
mod paths;
mod programs;
mod rules;
mod sed;
mod spec;
mod table;
mod wrappers;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use paths::Hidden;
use rules::CompiledRule;
use spec::{FastMap, FastSet};

/// How many programs of a list a reason names before it says "…".
const LIST_PREVIEW: usize = 12;

/// A compiled [`GatePolicy`]: hash sets for the program lists, parsed `blocked_args` rules,
/// normalised workspace, writable and hidden paths. Build once per profile, share freely
/// (it is immutable and `Sync`).
#[derive(Debug, Clone)]
pub struct Gate {
    policy: GatePolicy,
    programs: FastSet,
    list_preview: String,
    mode: Option<CompiledMode>,
    /// `blocked_args` rules keyed by program family (see [`rules`]).
    rules: FastMap<Vec<CompiledRule>>,
    /// Normalised workspace: `/a/b`, or the empty string for `/`.
    ws: String,
    home: String,
    writable: Vec<String>,
    hidden: Vec<Hidden>,
    /// Whether some hidden path could be a direct child of the workspace (or contain it), so a
    /// plain relative word like `.env` must be checked too.
    hidden_near_ws: bool,
}

#[derive(Debug, Clone)]
struct CompiledMode {
    name: String,
    programs: FastSet,
    preview: String,
}

/// The gate's answer for one command: the decision, and for an allowed command how to run it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub decision: Decision,
    /// `Some` exactly when the command is allowed.
    pub plan: Option<ExecPlan>,
}

/// A [`GatePolicy`] the gate cannot enforce as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GateConfigError {
    #[error(
        "workspace `{0}` is not an absolute path; set it to the absolute path of the workspace inside the sandbox (e.g. `/workspace`)"
    )]
    RelativeWorkspace(String),
    #[error(
        "home `{0}` is not an absolute path; set it to $HOME inside the sandbox (e.g. `/home/agent`)"
    )]
    RelativeHome(String),
    #[error(
        "writable path `{0}` is not absolute; write it as an absolute directory such as `/tmp` (or `~/dir`)"
    )]
    RelativeWritablePath(String),
    #[error(
        "hidden path `{0}` is not absolute; write it as an absolute path or glob such as `/proc/*/environ` (or `~/.ssh`)"
    )]
    RelativeHiddenPath(String),
    #[error(
        "{list} contains `{name}`, which is not a program basename; the gate compares basenames (`rm`, not `/bin/rm`), so write the name alone without `/`, spaces or control characters"
    )]
    InvalidProgramName { list: String, name: String },
    #[error(
        "blocked_args rule for program `{program}` is invalid: the program must be a basename such as `git` (no `/`, spaces or control characters)"
    )]
    InvalidRuleProgram { program: String },
    #[error(
        "blocked_args rule `{program}: {pattern}` cannot be used: {problem}; write subcommand words first, then options, e.g. `push --force` or `remote add`"
    )]
    InvalidPattern {
        program: String,
        pattern: String,
        problem: String,
    },
}

impl Gate {
    /// Compiles `policy`. Fails on anything the gate could not enforce as written, naming the
    /// offending value.
    pub fn new(policy: GatePolicy) -> Result<Gate, GateConfigError> {
        if !policy.workspace.starts_with('/') {
            return Err(GateConfigError::RelativeWorkspace(policy.workspace.clone()));
        }
        if !policy.home.starts_with('/') {
            return Err(GateConfigError::RelativeHome(policy.home.clone()));
        }
        let ws = paths::normalize_abs(&policy.workspace);
        let home = paths::normalize_abs(&policy.home);
        let expand = |p: &str| -> Option<String> {
            if p.starts_with('/') {
                Some(paths::normalize_abs(p))
            } else if p == "~" || p.starts_with("~/") {
                Some(paths::normalize_abs(&format!("{}{}", home, &p[1..])))
            } else {
                None
            }
        };
        let mut writable = Vec::with_capacity(policy.writable_paths.len());
        for w in &policy.writable_paths {
            writable
                .push(expand(w).ok_or_else(|| GateConfigError::RelativeWritablePath(w.clone()))?);
        }
        let mut hidden = Vec::with_capacity(policy.hidden_paths.len());
        for h in &policy.hidden_paths {
            let abs = expand(h).ok_or_else(|| GateConfigError::RelativeHiddenPath(h.clone()))?;
            hidden.push(Hidden::new(h, &abs));
        }
        let programs = program_set(&policy.programs, "programs")?;
        let list_preview = preview(&policy.programs);
        let mode = match &policy.mode {
            Some(m) => Some(CompiledMode {
                name: m.name.clone(),
                programs: program_set(&m.programs, &format!("mode `{}`", m.name))?,
                preview: preview(&m.programs),
            }),
            None => None,
        };
        let mut compiled: FastMap<Vec<CompiledRule>> = FastMap::default();
        for rule in &policy.blocked_args {
            let c = rules::compile(rule)?;
            compiled.entry(c.family.clone()).or_default().push(c);
        }
        let hidden_near_ws = paths::hidden_near(&hidden, &ws);
        Ok(Gate {
            policy,
            programs,
            list_preview,
            mode,
            rules: compiled,
            ws,
            home,
            writable,
            hidden,
            hidden_near_ws,
        })
    }

    /// The hidden path (as the profile writes it) that the absolute in-sandbox path `path`
    /// is, lies under, or could match; `None` when `path` reaches none. Lexical, like every
    /// path check of the gate: front ends that touch files themselves (the MCP file tools)
    /// use it so a file a command could not read is not readable another way.
    pub fn hidden_path(&self, path: &str) -> Option<&str> {
        let normalised = paths::normalize_abs(path);
        self.hidden
            .iter()
            .find(|h| h.reached_by(&normalised))
            .map(|h| h.shown.as_str())
    }

    /// The policy this gate was built from.
    pub fn policy(&self) -> &GatePolicy {
        &self.policy
    }

    /// Decides one command line. Never panics; every input gets a decision.
    pub fn check(&self, command: &str) -> Verdict {
        let mut checker = engine::Checker::new(self);
        match checker.top(command) {
            Ok(plan) => Verdict {
                decision: Decision {
                    allowed: true,
                    rule: Rule::Allowed,
                    reason: if checker.stages == 1 {
                        "allowed: 1 stage checked, every program, argument and path passed"
                            .to_owned()
                    } else {
                        format!(
                            "allowed: {} stages checked, every program, argument and path passed",
                            checker.stages
                        )
                    },
                    program: checker.first_program.take(),
                },
                plan: Some(plan),
            },
            Err(block) => Verdict {
                decision: block.into_decision(),
                plan: None,
            },
        }
    }
}

impl Gate {
    /// Decides one program the kernel is about to start inside the sandbox (the guard's exec
    /// check). `argv[0]` is the program's name as the allowlist spells it (the guard resolves
    /// which file is really executed); the other words are passed literally, never parsed as
    /// shell. The same rules as [`Gate::check`] apply to the program and its arguments, except
    /// that a shell's `-c` script is not parsed: every program it runs is its own exec.
    pub fn check_exec(&self, argv: &[String]) -> Decision {
        let ws = self.policy.workspace.clone();
        self.check_exec_in(argv, &ws)
    }

    /// [`Gate::check_exec`] for a process whose working directory is `cwd` (relative path
    /// arguments are resolved against it).
    pub fn check_exec_in(&self, argv: &[String], cwd: &str) -> Decision {
        let mut checker = engine::Checker::new(self);
        match checker.exec(argv, cwd) {
            Ok(()) => Decision {
                allowed: true,
                rule: Rule::Allowed,
                reason: "allowed: the program and its arguments passed".to_owned(),
                program: checker.first_program.take(),
            },
            Err(block) => block.into_decision(),
        }
    }
}

fn program_set(names: &[String], list: &str) -> Result<FastSet, GateConfigError> {
    let mut set = FastSet::default();
    for name in names {
        let bad = name.is_empty()
            || name.contains('/')
            || name.chars().any(|c| c.is_whitespace() || c.is_control());
        if bad {
            return Err(GateConfigError::InvalidProgramName {
                list: list.to_owned(),
                name: name.clone(),
            });
        }
        set.insert(name.clone().into_boxed_str());
    }
    Ok(set)
}

fn preview(names: &[String]) -> String {
    if names.is_empty() {
        return "none".to_owned();
    }
    let mut s = names
        .iter()
        .take(LIST_PREVIEW)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > LIST_PREVIEW {
        s.push_str(", …");
    }
    s
}
