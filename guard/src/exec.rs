//! `lasso-guard exec [--timeout SECS] [--prechecked] [--typeahead] -- PROGRAM [ARGS...]`: run
//! one command under Landlock and the seccomp exec supervisor.
//!
//! The parent becomes a child subreaper and the supervisor (not dumpable, so the same-uid
//! workload cannot read or ptrace it); the child restricts itself (see `setup::restrict`) and
//! executes PROGRAM. The supervisor forwards termination and terminal signals to the child's
//! process group, enforces the timeout by killing every descendant, and when the direct child
//! exits kills whatever it left behind, then exits with the child's status. Any failure of the
//! guard itself is exit 120 and the program never runs unguarded. With `--typeahead` (lasso's
//! gated REPL only), once the program's tree is gone the guard hands the terminal input it
//! never read back to lasso (`typeahead.rs`) before exiting.

use std::ffi::CString;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::config::{self, POLICY_PATH};
use crate::resolve::Root;
use crate::setup::{self, Layers, Setup};
use crate::spool::{SPOOL_DIR, Spool};
use crate::supervise::{self, End, Supervisor};
use crate::sys;
use crate::typeahead;

pub const EXIT_GUARD: i32 = 120;
const EXIT_NOT_FOUND: i32 = 127;
const EXIT_CANNOT_RUN: i32 = 126;
const EXIT_TIMEOUT: i32 = 137;

/// Parsed command line of `exec`.
#[derive(Debug, PartialEq, Eq)]
pub struct Args {
    pub timeout: Option<u64>,
    pub prechecked: bool,
    pub typeahead: bool,
    pub policy: PathBuf,
    pub spool: PathBuf,
    pub argv: Vec<String>,
}

/// Parses the arguments after `exec`. `--policy`/`--spool` override the mount points (used
/// by tests on the host; inside a sandbox the defaults are the contract).
pub fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut a = Args {
        timeout: None,
        prechecked: false,
        typeahead: false,
        policy: PathBuf::from(POLICY_PATH),
        spool: PathBuf::from(SPOOL_DIR),
        argv: Vec::new(),
    };
    let mut i = 0;
    while i < args.len() {
        let value = |i: usize| {
            args.get(i + 1)
                .cloned()
                .ok_or_else(|| format!("`{}` needs a value", args[i]))
        };
        match args[i].as_str() {
            "--" => {
                a.argv = args[i + 1..].to_vec();
                break;
            }
            "--timeout" => {
                let v = value(i)?;
                let secs: u64 = v
                    .parse()
                    .map_err(|_| format!("--timeout `{v}` is not a whole number of seconds"))?;
                if secs == 0 {
                    return Err("--timeout must be at least 1 second".to_owned());
                }
                a.timeout = Some(secs);
                i += 2;
            }
            "--prechecked" => {
                a.prechecked = true;
                i += 1;
            }
            "--typeahead" => {
                a.typeahead = true;
                i += 1;
            }
            "--policy" => {
                a.policy = PathBuf::from(value(i)?);
                i += 2;
            }
            "--spool" => {
                a.spool = PathBuf::from(value(i)?);
                i += 2;
            }
            s if s.starts_with('-') => {
                return Err(format!(
                    "unknown option `{s}` (usage: exec [--timeout SECS] [--prechecked] [--typeahead] -- PROGRAM [ARGS...])"
                ));
            }
            _ => {
                a.argv = args[i..].to_vec();
                break;
            }
        }
    }
    if a.argv.is_empty() {
        return Err(
            "no program given (usage: exec [--timeout SECS] [--prechecked] [--typeahead] -- PROGRAM [ARGS...])"
                .to_owned(),
        );
    }
    Ok(a)
}

fn fail(msg: &str) -> i32 {
    sys::eprint_line(&format!("lasso-guard: {msg}"));
    EXIT_GUARD
}

pub fn main(args: &[String]) -> i32 {
    let a = match parse_args(args) {
        Ok(a) => a,
        Err(e) => return fail(&e),
    };
    let key = if a.typeahead {
        // Not dumpable from here on: the key is still in this process's initial environment
        // (/proc/<pid>/environ), which same-uid processes could otherwise read.
        if let Err(e) = sys::prctl(libc::PR_SET_DUMPABLE, 0) {
            return fail(&format!("PR_SET_DUMPABLE failed: {}", sys::describe(&e)));
        }
        match typeahead::take_key() {
            Ok(k) => Some(k),
            Err(e) => return fail(&e),
        }
    } else {
        None
    };
    let code = run(&a);
    if let Some(key) = key {
        // Every path out of `run` has ended the program's whole tree (or never started it),
        // so the terminal's unread input belongs to nobody else.
        typeahead::hand_back(0, 1, &key);
    }
    code
}

fn run(a: &Args) -> i32 {
    let loaded = match config::load(&a.policy) {
        Ok(l) => l,
        Err(e) => return fail(&e.to_string()),
    };
    let setup = match Setup::prepare(loaded) {
        Ok(s) => s,
        Err(e) => return fail(&e.0),
    };
    let me = std::process::id() as i32;
    let spool = match Spool::open(&a.spool, setup.loaded.config.spool_max_bytes, me) {
        Ok(s) => s,
        Err(e) => {
            return fail(&format!(
                "cannot open the audit spool {}: {}; the host must mount it read-write for uid {}",
                a.spool.display(),
                sys::describe(&e),
                // SAFETY: getuid has no preconditions.
                unsafe { libc::getuid() }
            ));
        }
    };
    let program = &a.argv[0];
    let path = if program.contains('/') {
        program.clone()
    } else {
        match Root::system().lookup(program) {
            Some(p) => p,
            None => {
                sys::eprint_line(&format!("lasso-guard: {program}: command not found"));
                return EXIT_NOT_FOUND;
            }
        }
    };
    match supervise_program(a, setup, spool, &path) {
        Ok(code) => code,
        Err(e) => fail(&e),
    }
}

fn supervise_program(a: &Args, setup: Setup, spool: Spool, path: &str) -> Result<i32, String> {
    let os = |what: &str, e: std::io::Error| format!("{what} failed: {}", sys::describe(&e));
    // gVisor does not implement child subreapers (EINVAL). Descendants that are orphaned then
    // go to PID 1 instead of to us, so the timeout reaches only those still below us; lasso's
    // host side kills the rest by the exec's environment marker. Any other failure is fatal.
    match sys::prctl(libc::PR_SET_CHILD_SUBREAPER, 1) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {}
        Err(e) => return Err(os("PR_SET_CHILD_SUBREAPER", e)),
    }
    sys::prctl(libc::PR_SET_DUMPABLE, 0).map_err(|e| os("PR_SET_DUMPABLE", e))?;
    let mut blocked = supervise::FORWARDED.to_vec();
    blocked.extend([libc::SIGCHLD, libc::SIGTTOU, libc::SIGTTIN]);
    let old_mask = sys::sigprocmask(libc::SIG_BLOCK, &sys::sigset(&blocked))
        .map_err(|e| os("sigprocmask", e))?;
    let sigfd = supervise::signalfd().map_err(|e| os("signalfd", e))?;
    let (parent_sock, child_sock) = setup::socketpair().map_err(|e| os("socketpair", e))?;
    let cpath = CString::new(path.as_bytes())
        .map_err(|_| format!("program path `{path}` contains a NUL byte"))?;
    let cargs: Vec<CString> = a
        .argv
        .iter()
        .map(|s| CString::new(s.as_bytes()))
        .collect::<Result<_, _>>()
        .map_err(|_| "an argument contains a NUL byte".to_owned())?;
    // SAFETY: getpgrp has no preconditions.
    let own_pgrp = unsafe { libc::getpgrp() };
    let child = sys::fork().map_err(|e| os("fork", e))?;
    if child == 0 {
        drop(parent_sock);
        drop(sigfd);
        child_main(
            &setup,
            child_sock.as_raw_fd(),
            own_pgrp,
            &old_mask,
            &cpath,
            &cargs,
            &a.argv[0],
        );
    }
    drop(child_sock);
    let listener = if setup.seccomp {
        match setup::recv_fd(parent_sock.as_raw_fd()) {
            Ok(Some(l)) => Some(l),
            Ok(None) => {
                // The child could not restrict itself and said why on stderr.
                let _ = sys::waitpid(child, 0);
                return Ok(EXIT_GUARD);
            }
            Err(e) => {
                supervise::kill_descendants(Duration::from_secs(5));
                return Err(os("receiving the seccomp listener", e));
            }
        }
    } else {
        None
    };
    drop(parent_sock);
    let landlock = setup.landlock();
    let Setup { loaded, set, .. } = setup;
    let mut sup = Supervisor::new(loaded, set, spool, landlock, Some(&a.policy));
    if a.prechecked {
        sup.set_prechecked(child);
    }
    let deadline = a.timeout.map(|s| Instant::now() + Duration::from_secs(s));
    let end = supervise::run(Some(&mut sup), listener.as_ref(), &sigfd, child, deadline);
    let left = supervise::kill_descendants(Duration::from_secs(10));
    restore_foreground(own_pgrp);
    if left > 0 {
        sys::eprint_line(&format!(
            "lasso-guard: {left} process(es) could not be killed within 10 s"
        ));
    }
    match end {
        Ok(End::Exited(code)) => Ok(code),
        Ok(End::TimedOut) => {
            let secs = a.timeout.unwrap_or(0);
            sup.guard_event(
                "timeout",
                &format!(
                    "`{}` timed out after {secs} s; every process it started was killed",
                    a.argv.join(" ")
                ),
            );
            sys::eprint_line(&format!(
                "lasso-guard: timed out after {secs} s; every process it started was killed"
            ));
            Ok(EXIT_TIMEOUT)
        }
        Err(e) => {
            let msg = format!(
                "the exec supervisor failed: {}; every process it started was killed",
                sys::describe(&e)
            );
            sup.guard_event("error", &msg);
            Err(msg)
        }
    }
}

/// Gives the terminal back to the supervisor's process group (the child took it).
fn restore_foreground(pgrp: libc::pid_t) {
    // SAFETY: isatty/tcgetpgrp/tcsetpgrp only act on fd 0; SIGTTOU is blocked in the parent,
    // so tcsetpgrp from a background group does not stop us.
    unsafe {
        if libc::isatty(0) == 1 && libc::tcgetpgrp(0) != pgrp {
            libc::tcsetpgrp(0, pgrp);
        }
    }
}

/// The forked child: new process group (in the terminal's foreground when the supervisor
/// was), restrictions, then exec. Never returns.
fn child_main(
    setup: &Setup,
    sock: i32,
    parent_pgrp: libc::pid_t,
    old_mask: &libc::sigset_t,
    path: &CString,
    args: &[CString],
    program: &str,
) -> ! {
    // SAFETY: setpgid/tcgetpgrp/tcsetpgrp on our own process and fd 0; SIGTTOU is still
    // blocked (inherited mask), so taking the foreground does not stop us.
    unsafe {
        libc::setpgid(0, 0);
        if libc::isatty(0) == 1 && libc::tcgetpgrp(0) == parent_pgrp {
            libc::tcsetpgrp(0, libc::getpid());
        }
    }
    if let Err(e) = setup::restrict(
        setup,
        Layers {
            landlock: true,
            seccomp: true,
        },
        Some(sock),
    ) {
        sys::eprint_line(&format!("lasso-guard: {e}; the program was not started"));
        sys::exit_now(EXIT_GUARD);
    }
    // SAFETY: closing our copy of the socket; nothing else uses it afterwards.
    unsafe { libc::close(sock) };
    let _ = sys::sigprocmask(libc::SIG_SETMASK, old_mask);
    let mut ptrs: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    // SAFETY: `path` and every pointer in `ptrs` are valid NUL-terminated strings kept alive
    // by the caller; `ptrs` is NULL-terminated; `environ` is the process environment.
    unsafe { libc::execv(path.as_ptr(), ptrs.as_ptr()) };
    let e = std::io::Error::last_os_error();
    let (code, why) = match e.raw_os_error() {
        Some(libc::ENOENT) => (EXIT_NOT_FOUND, "No such file or directory".to_owned()),
        Some(libc::EPERM) => (
            EXIT_CANNOT_RUN,
            "denied by the sandbox's exec policy".to_owned(),
        ),
        Some(libc::EACCES) => (
            EXIT_CANNOT_RUN,
            "permission denied (not executable in this sandbox)".to_owned(),
        ),
        Some(libc::ENOSYS) => (
            EXIT_GUARD,
            "the exec supervisor is gone (fail closed)".to_owned(),
        ),
        _ => (EXIT_CANNOT_RUN, sys::describe(&e)),
    };
    sys::eprint_line(&format!("lasso-guard: {program}: {why}"));
    sys::exit_now(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn parses_the_contract_forms() {
        let a = parse_args(&s(&[
            "--timeout",
            "5",
            "--prechecked",
            "--",
            "ls",
            "-l",
            "--timeout",
        ]))
        .unwrap();
        assert_eq!(a.timeout, Some(5));
        assert!(a.prechecked);
        assert_eq!(a.argv, s(&["ls", "-l", "--timeout"]));
        assert_eq!(a.policy, PathBuf::from(POLICY_PATH));
        let b = parse_args(&s(&["true"])).unwrap();
        assert_eq!(
            (b.timeout, b.prechecked, b.argv),
            (None, false, s(&["true"]))
        );
        assert!(
            parse_args(&s(&["--timeout", "x", "--", "ls"]))
                .unwrap_err()
                .contains("`x`")
        );
        assert!(parse_args(&s(&["--timeout", "0", "--", "ls"])).is_err());
        assert!(
            parse_args(&s(&["--bogus", "--", "ls"]))
                .unwrap_err()
                .contains("--bogus")
        );
        assert!(parse_args(&s(&["--"])).unwrap_err().contains("no program"));
        let t = parse_args(&s(&["--prechecked", "--typeahead", "--", "cat"])).unwrap();
        assert!(t.typeahead && t.prechecked && !b.typeahead);
        assert!(
            parse_args(&s(&["--timeout"]))
                .unwrap_err()
                .contains("needs a value")
        );
    }
}
