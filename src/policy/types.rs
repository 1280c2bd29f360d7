// The contract between the command gate and everything that configures or consumes it.
// (No `//!` here: this file is also `include!`d by helper crates during development.)

use serde::{Deserialize, Serialize};

/// Whether `GatePolicy::programs` lists what is allowed or what is forbidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListMode {
    Whitelist,
    Blacklist,
}

/// A profile rule forbidding one use of a program, such as `git` + `push --force`.
///
/// `pattern` is written as the program's own command line would be: leading words are
/// subcommands (`remote add`), words starting with `-` are options in any of the program's
/// spellings (`--force` also matches `-f`, `-fu`, `--forc`, `--force=x`), and `+refspec` is
/// the pseudo-option for a `git push` refspec starting with `+`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BlockedArgRule {
    pub program: String,
    pub pattern: String,
}

/// Everything the gate needs to decide; built from a resolved profile (plus its active mode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatePolicy {
    pub list_mode: ListMode,
    /// Program basenames the list applies to (`rm`, `python3`).
    pub programs: Vec<String>,
    pub blocked_args: Vec<BlockedArgRule>,
    /// `; && || | &`, redirections and `( )` grouping; every stage is still gated.
    pub allow_shell_operators: bool,
    /// Arguments that run code the gate cannot inspect (`python -c`, `node -e`, `perl -e`,
    /// `sed` e, `awk system()`, `git -c`, ...). Off everywhere except trusted profiles.
    pub allow_code_eval: bool,
    /// The active mode's allowlist (`observe`, `assist`): when set, a program must be in it
    /// as well as pass `programs`, so a mode can only ever narrow the profile.
    pub mode: Option<ModeRestriction>,
    /// Absolute path of the workspace inside the sandbox (cwd of every command).
    pub workspace: String,
    /// `$HOME` inside the sandbox, for `~` in arguments.
    pub home: String,
    /// Absolute directories output may be written to besides the workspace (`/tmp`).
    pub writable_paths: Vec<String>,
    /// Absolute paths or glob patterns (`/proc/*/environ`) no argument may reach.
    pub hidden_paths: Vec<String>,
}

/// A named narrowing of the profile's command list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeRestriction {
    pub name: String,
    pub programs: Vec<String>,
}

/// Which rule decided. Serialised in kebab-case (`shell-operators`) into decisions,
/// audit entries and `lasso why --json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// Every stage passed.
    Allowed,
    /// Empty or whitespace-only command.
    Empty,
    /// NUL or a control character other than tab (newline and CR included).
    ControlCharacter,
    /// Unterminated quote, dangling operator, or anything the tokenizer cannot read safely.
    Syntax,
    /// `$(...)` or backticks.
    CommandSubstitution,
    /// `<(...)` / `>(...)`.
    ProcessSubstitution,
    /// `<<` / `<<<`.
    HereDocument,
    /// `$VAR`, `${..}`, `$'..'`, `$((..))` outside single quotes.
    Expansion,
    /// Shell compound syntax the gate does not model (`{ }`, `if`, `for`, functions, braces).
    UnsupportedSyntax,
    /// `; && || | &`, redirections or `( )` in a profile that does not allow them.
    ShellOperators,
    /// A redirection writing outside the workspace and the writable paths.
    RedirectOutsideWorkspace,
    /// Program not in the whitelist.
    NotWhitelisted,
    /// Program in the blacklist.
    Blacklisted,
    /// Program not allowed by the active mode.
    Mode,
    /// A profile `blocked_args` rule matched.
    BlockedArgs,
    /// An argument that runs code the gate cannot inspect, in a profile without `allow_code_eval`.
    CodeEval,
    /// An environment assignment to a variable that changes what runs (`PATH`, `LD_*`, ...).
    SensitiveVariable,
    /// A path argument leaves the workspace through `..`.
    PathTraversal,
    /// A path argument reaches a hidden path.
    HiddenPath,
    /// Wrappers and `sh -c` nested deeper than the gate follows.
    NestingTooDeep,
}

/// The gate's answer: what was decided, by which rule, and why, in words for a human.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub allowed: bool,
    pub rule: Rule,
    pub reason: String,
    /// The program (basename) the deciding rule applied to, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
}

/// How an allowed command is to be run inside the sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecPlan {
    /// A single simple command with nothing for a shell to interpret: run this argv directly.
    Argv(Vec<String>),
    /// Needs a POSIX shell (operators, redirections, globs, `~`, assignments): run
    /// `sh -c <string>`; every stage of it has been gated.
    Shell(String),
}
