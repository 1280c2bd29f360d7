//! The exec supervisor: answers the seccomp notifications of the restricted process tree.
//!
//! For every execve/execveat it reads the filename and argv from the stopped thread's memory,
//! resolves the file the kernel is about to open (relative paths against `/proc/PID/cwd`,
//! `execveat` against `/proc/PID/fd/N`, `AT_EMPTY_PATH` as the descriptor's own file), checks
//! that the notification is still valid (so the pid was not recycled while reading), decides
//! with [`crate::decide`], records the exec in the spool and answers: CONTINUE or EPERM.
//! Anything it cannot read, resolve or record is denied in every mode (fail closed).
//!
//! **TOCTOU limit.** `SECCOMP_USER_NOTIF_FLAG_CONTINUE` lets the kernel re-read the filename
//! and argv *after* the decision. Another thread of the same process (or a process sharing the
//! memory) can rewrite them in between, and a symlink in a writable directory can be swapped.
//! The Landlock ruleset is therefore the hard boundary (which files can be executed at all);
//! the gate's argument rules and name checks are best-effort against a deliberately
//! multithreaded attacker. They are exact for ordinary programs (shells, make, npm, agents),
//! which is what they are for.
//!
//! The event loop ([`run`]) multiplexes the listener, a signalfd (SIGCHLD to reap, terminal
//! and termination signals forwarded to the child's process group) and an optional deadline.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::config::{self, Enforcement, Loaded, Stamp};
use crate::decide::{Decider, Verdict};
use crate::procmem::Mem;
use crate::resolve::ExecSet;
use crate::seccomp::{self, Answer, Notif};
use crate::setup;
use crate::spool::{self, ExecRecord, Spool, SpoolError};
use crate::sys;

/// Signals the supervisor handles through its signalfd.
pub const FORWARDED: [libc::c_int; 5] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGWINCH,
];

/// Supervisor state for one restricted tree.
pub struct Supervisor {
    loaded: Loaded,
    set: ExecSet,
    /// Set when a reloaded policy is unusable: every exec is then denied with this reason.
    broken: Option<String>,
    policy_path: Option<std::path::PathBuf>,
    pub spool: Spool,
    landlock: bool,
    /// The direct child whose first exec the host has already gated (`--prechecked`).
    prechecked: Option<i32>,
    /// Print denials to stderr (the user's terminal) — off for probes.
    pub loud: bool,
    me: i32,
}

impl Supervisor {
    pub fn new(
        loaded: Loaded,
        set: ExecSet,
        spool: Spool,
        landlock: bool,
        policy_path: Option<&Path>,
    ) -> Supervisor {
        Supervisor {
            loaded,
            set,
            broken: None,
            policy_path: policy_path.map(Path::to_owned),
            spool,
            landlock,
            prechecked: None,
            loud: true,
            me: std::process::id() as i32,
        }
    }

    pub fn set_prechecked(&mut self, pid: i32) {
        self.prechecked = Some(pid);
    }

    /// Re-reads the policy when the file changed (one stat per notification).
    fn maybe_reload(&mut self) {
        let Some(path) = &self.policy_path else {
            return;
        };
        let stamp = Stamp::of(path);
        if stamp.is_some() && stamp == self.loaded.stamp {
            return;
        }
        match config::load(path) {
            Ok(l) => {
                self.set = setup::exec_set(&l);
                self.spool.set_max(l.config.spool_max_bytes);
                self.loaded = l;
                self.broken = None;
            }
            Err(e) => {
                self.loaded.stamp = stamp;
                self.broken = Some(format!("the policy changed and is unusable: {e}"));
            }
        }
    }

    /// Handles one notification: decide, record, answer.
    pub fn handle(&mut self, listener: &OwnedFd, n: Notif) -> io::Result<()> {
        let answer = self.decide(listener, &n);
        match answer {
            Some(a) => seccomp::respond(listener, n.id, a),
            None => Ok(()),
        }
    }

    fn decide(&mut self, listener: &OwnedFd, n: &Notif) -> Option<Answer> {
        let pid = n.pid as i32;
        let mut mem = Mem::new(pid);
        let is_at = n.nr as u32 == seccomp::NR_EXECVEAT;
        let (path_addr, argv_addr) = if is_at {
            (n.args[1], n.args[2])
        } else {
            (n.args[0], n.args[1])
        };
        let read = mem
            .path(path_addr)
            .and_then(|p| Ok((p, mem.argv(argv_addr)?)));
        let cwd = std::fs::read_link(format!("/proc/{pid}/cwd"))
            .map(|p| p.to_string_lossy().into_owned());
        let (requested, argv) = match read {
            Ok(x) => x,
            Err(e) => {
                if !seccomp::id_valid(listener, n.id) {
                    return None;
                }
                return Some(self.fail_closed(
                    pid,
                    "",
                    "",
                    &[],
                    "",
                    &format!("cannot read the exec's arguments: {e}"),
                ));
            }
        };
        let cwd = cwd.unwrap_or_default();
        // Which file the kernel will open, seen through the target's own cwd / descriptor.
        let dirfd = n.args[0] as i32;
        let flags = n.args[4] as i32;
        let lookup = if requested.starts_with('/') {
            requested.clone()
        } else if is_at && dirfd != libc::AT_FDCWD {
            if requested.is_empty() && flags & libc::AT_EMPTY_PATH != 0 {
                format!("/proc/{pid}/fd/{dirfd}")
            } else {
                format!("/proc/{pid}/fd/{dirfd}/{requested}")
            }
        } else {
            format!("/proc/{pid}/cwd/{requested}")
        };
        let file = if requested.is_empty() && !(is_at && flags & libc::AT_EMPTY_PATH != 0) {
            Err(io::Error::from_raw_os_error(libc::ENOENT))
        } else {
            std::fs::canonicalize(&lookup).map(|p| p.to_string_lossy().into_owned())
        };
        let resolve_in = |p: &str| -> io::Result<String> {
            let q = if p.starts_with('/') {
                p.to_owned()
            } else {
                format!("/proc/{pid}/cwd/{p}")
            };
            std::fs::canonicalize(q).map(|p| p.to_string_lossy().into_owned())
        };
        // Pre-resolve the loader target too, before the validity check below.
        if !seccomp::id_valid(listener, n.id) {
            return None;
        }
        let file = match file {
            Ok(f) if !f.ends_with(" (deleted)") => f,
            Ok(f) => {
                return Some(self.fail_closed(
                    pid,
                    &requested,
                    &f,
                    &argv,
                    &cwd,
                    "the file to execute has been deleted (fexecve of an unlinked or memfd file)",
                ));
            }
            // A failed lookup fails the same way the kernel would, without a record: shells
            // and execvp probe every PATH directory this way.
            Err(e) => return Some(Answer::Fail(e.raw_os_error().unwrap_or(libc::ENOENT))),
        };
        self.maybe_reload();
        let enforcement = self.loaded.config.enforcement;
        if self.spool.is_full() {
            return Some(self.deny_unrecorded(
                &requested,
                "the audit spool is full; lasso ingests it on the next command",
            ));
        }
        if let Some(why) = self.broken.clone() {
            return Some(self.fail_closed(pid, &requested, &file, &argv, &cwd, &why));
        }
        let (outcome, verdict) = if self.prechecked.take() == Some(pid) {
            ("prechecked", None)
        } else if enforcement == Enforcement::Record {
            ("recorded", None)
        } else {
            let d = Decider {
                gate: &self.loaded.gate,
                set: &self.set,
                whitelist: self.loaded.config.whitelist(),
                write_paths: &self.loaded.config.write_paths,
            };
            let v = d.decide(&requested, &file, &argv, &cwd, &resolve_in);
            let outcome = match (v.allowed, enforcement) {
                (true, _) => "allowed",
                (false, Enforcement::Enforce) => "denied",
                (false, _) => "would-deny",
            };
            (outcome, Some(v))
        };
        // A prechecked exec stays prechecked only for the first exec of that pid.
        self.prechecked = None;
        let denied = outcome == "denied";
        let rec = self.record(
            pid,
            &requested,
            &file,
            &argv,
            &cwd,
            outcome,
            verdict.as_ref(),
        );
        if let Err(e) = rec {
            return Some(self.deny_unrecorded(&requested, &e.to_string()));
        }
        if denied {
            if self.loud {
                let reason = verdict.as_ref().map(|v| v.reason.as_str()).unwrap_or("");
                sys::eprint_line(&format!(
                    "lasso-guard: denied exec of {file} ({}): {reason}",
                    summarize(&argv)
                ));
            }
            Some(Answer::Fail(libc::EPERM))
        } else {
            Some(Answer::Continue)
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        pid: i32,
        requested: &str,
        file: &str,
        argv: &[String],
        cwd: &str,
        outcome: &'static str,
        v: Option<&Verdict>,
    ) -> Result<(), SpoolError> {
        let rec = ExecRecord {
            kind: "exec",
            ts: crate::timefmt::now(),
            supervisor: self.me,
            pid,
            ppid: ppid(pid),
            path: file,
            requested,
            argv,
            cwd,
            enforcement: self.loaded.config.enforcement.as_str(),
            outcome,
            rule: v.map(|v| v.rule.as_str()),
            reason: v.map(|v| v.reason.as_str()),
            program: v.and_then(|v| v.program.as_deref()),
            landlock: self.landlock,
        };
        let line = spool::line(&rec)?;
        self.spool.append(&line, outcome == "denied")
    }

    /// Denies an exec the supervisor could not evaluate, recording why when it can.
    fn fail_closed(
        &mut self,
        pid: i32,
        requested: &str,
        file: &str,
        argv: &[String],
        cwd: &str,
        why: &str,
    ) -> Answer {
        let v = Verdict {
            allowed: false,
            rule: "guard-error".to_owned(),
            reason: why.to_owned(),
            program: None,
        };
        if let Err(e) = self.record(pid, requested, file, argv, cwd, "denied", Some(&v)) {
            return self.deny_unrecorded(requested, &e.to_string());
        }
        if self.loud {
            sys::eprint_line(&format!("lasso-guard: denied exec of {requested}: {why}"));
        }
        Answer::Fail(libc::EPERM)
    }

    fn deny_unrecorded(&self, requested: &str, why: &str) -> Answer {
        if self.loud {
            sys::eprint_line(&format!(
                "lasso-guard: denied exec of {requested}: {why} (fail closed)"
            ));
        }
        Answer::Fail(libc::EPERM)
    }

    /// Appends a `guard` event (timeout, error) to the spool, best effort.
    pub fn guard_event(&mut self, event: &'static str, detail: &str) {
        let rec = spool::GuardRecord {
            kind: "guard",
            ts: crate::timefmt::now(),
            supervisor: self.me,
            event,
            detail,
        };
        if let Ok(l) = spool::line(&rec) {
            let _ = self.spool.append(&l, true);
        }
    }
}

/// `argv` shortened for a one-line message.
fn summarize(argv: &[String]) -> String {
    let mut s = argv.join(" ");
    if s.chars().count() > 120 {
        s = s.chars().take(117).collect::<String>() + "...";
    }
    s.replace(['\n', '\r'], " ")
}

/// The parent pid of `pid` from /proc/PID/stat (0 when unknown).
pub fn ppid(pid: i32) -> i32 {
    let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    s.rfind(')')
        .and_then(|i| s[i + 1..].split_whitespace().nth(1))
        .and_then(|p| p.parse().ok())
        .unwrap_or(0)
}

/// A signalfd for SIGCHLD and the forwarded signals (which must already be blocked).
pub fn signalfd() -> io::Result<OwnedFd> {
    let mut sigs = FORWARDED.to_vec();
    sigs.push(libc::SIGCHLD);
    let set = sys::sigset(&sigs);
    // SAFETY: `set` is a valid sigset_t; signalfd returns a new descriptor.
    let fd = sys::cvt(unsafe { libc::signalfd(-1, &set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK) })?;
    // SAFETY: fresh descriptor owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// How the supervised child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Exit status of the direct child (128+signal when signalled).
    Exited(i32),
    TimedOut,
}

/// Serves notifications and signals until `child` exits or `deadline` passes.
pub fn run(
    mut sup: Option<&mut Supervisor>,
    listener: Option<&OwnedFd>,
    sigfd: &OwnedFd,
    child: libc::pid_t,
    deadline: Option<Instant>,
) -> io::Result<End> {
    let mut listening = listener.is_some();
    loop {
        let timeout = match deadline {
            Some(d) => {
                let now = Instant::now();
                if now >= d {
                    return Ok(End::TimedOut);
                }
                (d - now).as_millis().min(i32::MAX as u128) as i32 + 1
            }
            None => -1,
        };
        let mut fds = [
            libc::pollfd {
                fd: sigfd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: listener.map_or(-1, |l| if listening { l.as_raw_fd() } else { -1 }),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: `fds` is a valid array of two pollfd; negative fds are ignored by poll.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), 2, timeout) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(e);
        }
        if let (Some(l), true) = (listener, listening) {
            if fds[1].revents & libc::POLLIN != 0 {
                if let Some(n) = seccomp::recv(l)? {
                    match sup.as_deref_mut() {
                        Some(s) => s.handle(l, n)?,
                        None => seccomp::respond(l, n.id, Answer::Fail(libc::EPERM))?,
                    }
                }
            } else if fds[1].revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
                // Every process holding the filter is gone.
                listening = false;
            }
        }
        if fds[0].revents & libc::POLLIN != 0
            && let Some(status) = drain_signals(sigfd, child)?
        {
            return Ok(End::Exited(status));
        }
    }
}

/// Handles pending signals; returns the child's status once it was reaped.
fn drain_signals(sigfd: &OwnedFd, child: libc::pid_t) -> io::Result<Option<i32>> {
    let mut result = None;
    loop {
        // SAFETY: signalfd_siginfo is plain data; read fills at most its size.
        let mut info: libc::signalfd_siginfo = unsafe { std::mem::zeroed() };
        let size = std::mem::size_of::<libc::signalfd_siginfo>();
        // SAFETY: `info` is writable for `size` bytes.
        let n = unsafe {
            libc::read(
                sigfd.as_raw_fd(),
                (&mut info as *mut libc::signalfd_siginfo).cast(),
                size,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EAGAIN) {
                break;
            }
            if e.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(e);
        }
        if n as usize != size {
            break;
        }
        let sig = info.ssi_signo as libc::c_int;
        if sig == libc::SIGCHLD {
            while let Some((pid, status)) = sys::waitpid(-1, libc::WNOHANG).unwrap_or(None) {
                if pid == child {
                    result = Some(sys::exit_status(status));
                }
            }
        } else {
            // SAFETY: kill with a negative pid signals the child's process group; if the
            // group is gone, the child itself is tried.
            unsafe {
                if libc::kill(-child, sig) != 0 {
                    libc::kill(child, sig);
                }
            }
        }
    }
    Ok(result)
}

/// Every live descendant of the calling process, found by walking /proc by ppid.
pub fn descendants() -> Vec<libc::pid_t> {
    let me = std::process::id() as i32;
    let mut edges: Vec<(i32, i32)> = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/proc") {
        for e in rd.flatten() {
            if let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) {
                let pp = ppid(pid);
                if pp != 0 {
                    edges.push((pid, pp));
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut frontier = vec![me];
    while let Some(p) = frontier.pop() {
        for &(c, pp) in &edges {
            if pp == p && !out.contains(&c) {
                out.push(c);
                frontier.push(c);
            }
        }
    }
    out
}

/// SIGKILLs every descendant until none is left (a subreaper inherits every orphan, so
/// `setsid` or double forks cannot escape), reaping as it goes. Gives up after `limit`,
/// returning how many processes were still alive.
pub fn kill_descendants(limit: Duration) -> usize {
    let start = Instant::now();
    loop {
        while let Ok(Some(_)) = sys::waitpid(-1, libc::WNOHANG) {}
        let d = descendants();
        if d.is_empty() {
            return 0;
        }
        for pid in &d {
            // SAFETY: plain kill; a pid that vanished meanwhile yields ESRCH, which is fine.
            unsafe { libc::kill(*pid, libc::SIGKILL) };
        }
        if start.elapsed() > limit {
            return d.len();
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ppid_of_self_and_parsing() {
        let me = std::process::id() as i32;
        // SAFETY: getppid has no preconditions.
        assert_eq!(ppid(me), unsafe { libc::getppid() });
        assert_eq!(ppid(-5), 0);
    }

    #[test]
    fn summarize_shortens_and_flattens() {
        let s = summarize(&["a\nb".to_owned(), "x".repeat(200)]);
        assert!(!s.contains('\n') && s.ends_with("...") && s.chars().count() == 120);
    }
}
