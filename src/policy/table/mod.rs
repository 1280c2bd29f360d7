//! The program table: what the gate knows about each program's command line.
//!
//! Each entry follows the program's own parser (getopt, getopt_long, git parse-options,
//! optparse, perl's and python's hand-written switch parsing). Only value-taking options need
//! listing for correct operand detection; flags are listed where abbreviation matching needs
//! them. Adding a program is adding an entry here (and to [`ALL`]); see [`super::spec::Spec`]
//! for the meaning of each field.

use super::spec::{BASE, Kind, Spec};

mod files;
mod git;
mod interpreters;
mod network;
mod wrappers;

pub(crate) use files::*;
pub(crate) use git::*;
pub(crate) use interpreters::*;
pub(crate) use network::*;
pub(crate) use wrappers::*;

/// Every top-level entry, for the name index.
pub(crate) static ALL: &[&Spec] = &[
    &SHELL, &ENV, &XARGS, &TIMEOUT, &NICE, &NOHUP, &STDBUF, &SETSID, &TIME, &COMMAND, &BUILTIN,
    &EXEC, &EVAL, &BUSYBOX, &SUDO, &DOAS, &SU, &TRAP, &WATCH, &FLOCK, &SCRIPT, &IONICE, &CHRT,
    &TASKSET, &STRACE, &LTRACE, &UNBUFFER, &FAKEROOT, &CHROOT, &NSENTER, &UNSHARE, &PRLIMIT,
    &SETPRIV, &SG, &XVFB_RUN, &VALGRIND, &NUMACTL, &PYTHON, &NODE, &PERL, &RUBY, &PHP, &LUA,
    &RSCRIPT, &R, &DENO, &BUN, &TCLSH, &GDB, &VIM, &SSH, &SCP, &RSYNC, &MAKE, &CARGO, &NPM, &NPX,
    &PIP, &GIT, &TAR, &CURL, &WGET, &TEE, &SORT, &DD, &FIND, &SED, &AWK, &GREP, &CD, &VARS,
    &RESOLVE, &ED, &DC, &EMACS, &EXPECT, &MAN, &SPLIT,
];

// ---------------------------------------------------------------- shells and builtins

pub(crate) static SHELL: Spec = Spec {
    names: &[
        "sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "rbash", "lksh", "oksh", "pdksh",
        "ksh93", "yash", "posh", "fish", "csh", "tcsh",
    ],
    stdin_program: true,
    kind: Kind::Shell,
    ..BASE
};

pub(crate) static CD: Spec = Spec {
    names: &["cd", "pushd", "popd"],
    kind: Kind::Cd,
    ..BASE
};

pub(crate) static VARS: Spec = Spec {
    names: &[
        "export",
        "declare",
        "typeset",
        "readonly",
        "local",
        "read",
        "printf",
        "getopts",
        "mapfile",
        "readarray",
        "let",
    ],
    kind: Kind::VarBuiltin,
    ..BASE
};

pub(crate) static RESOLVE: Spec = Spec {
    names: &["hash", "enable", "alias"],
    kind: Kind::ShellResolve,
    ..BASE
};

pub(crate) static TRAP: Spec = Spec {
    names: &["trap"],
    stop_at_operand: true,
    kind: Kind::Trap,
    ..BASE
};
