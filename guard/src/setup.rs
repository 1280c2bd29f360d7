//! Everything `exec` and `probe` prepare before they fork, and the restriction every
//! sandboxed child applies to itself: the same functions for the workload and for the probes,
//! so the probes test exactly what the workload gets.
//!
//! Order in the child: `PR_SET_NO_NEW_PRIVS` (required by both mechanisms and stops setuid
//! binaries from gaining privileges), Landlock `restrict_self`, then the seccomp filter whose
//! listener is passed to the parent over a unix socket (SCM_RIGHTS). A kernel feature that is
//! missing aborts with exit 120 unless the profile's `accept_missing` names it — never a
//! silent downgrade.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use crate::config::{Feature, Loaded};
use crate::landlock::{self, Plan, Ruleset};
use crate::resolve::{ExecSet, Root};
use crate::{seccomp, sys};

/// What the kernel offers.
#[derive(Debug)]
pub struct Features {
    pub landlock: Result<u32, io::Error>,
    pub seccomp_notify: Result<(), io::Error>,
}

impl Features {
    pub fn detect() -> Features {
        Features {
            landlock: landlock::abi(),
            seccomp_notify: seccomp::notify_available(),
        }
    }

    /// `{"landlock_abi": 7, "seccomp_notify": true}`, with `*_error` fields explaining a `0`
    /// or `false`.
    pub fn json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "landlock_abi": self.landlock.as_ref().map(|a| *a).unwrap_or(0),
            "seccomp_notify": self.seccomp_notify.is_ok(),
        });
        if let Err(e) = &self.landlock {
            v["landlock_error"] = landlock_why(e).into();
        }
        if let Err(e) = &self.seccomp_notify {
            v["seccomp_notify_error"] = seccomp_why(e).into();
        }
        v
    }
}

fn landlock_why(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::ENOSYS) => format!("{}: the kernel has no Landlock support", sys::describe(e)),
        Some(libc::EOPNOTSUPP) => format!(
            "{}: Landlock is built in but not enabled at boot",
            sys::describe(e)
        ),
        Some(libc::EPERM) => format!(
            "{}: the container engine's seccomp profile blocks the Landlock system calls",
            sys::describe(e)
        ),
        _ => sys::describe(e),
    }
}

fn landlock_fix(e: &io::Error) -> &'static str {
    match e.raw_os_error() {
        Some(libc::EPERM) => {
            "run the sandbox with lasso's seccomp profile (the engine's default plus the landlock_* system calls), or set accept_missing = [\"landlock\"] in the profile to accept weaker enforcement explicitly"
        }
        _ => {
            "boot the host with Landlock enabled (kernel >= 5.13 with CONFIG_SECURITY_LANDLOCK=y and `lsm=landlock,...` on the kernel command line), or set accept_missing = [\"landlock\"] in the profile to accept weaker enforcement explicitly"
        }
    }
}

fn seccomp_why(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::EOPNOTSUPP | libc::EINVAL) => format!(
            "{}: the kernel does not offer SECCOMP_RET_USER_NOTIF (Linux < 5.0, or gVisor, which implements neither it nor Landlock)",
            sys::describe(e)
        ),
        Some(libc::ENOSYS) => format!(
            "{}: the kernel (or the runtime, e.g. gVisor) does not implement seccomp(2)",
            sys::describe(e)
        ),
        Some(libc::EPERM) => format!(
            "{}: the container engine's seccomp profile blocks seccomp(2)",
            sys::describe(e)
        ),
        _ => sys::describe(e),
    }
}

/// A setup failure: printed as `lasso-guard: ...`, exit 120.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SetupError(pub String);

/// Everything prepared once, before any fork.
pub struct Setup {
    pub loaded: Loaded,
    pub set: ExecSet,
    pub ruleset: Option<Ruleset>,
    pub seccomp: bool,
    pub features: Features,
}

impl Setup {
    /// Checks the kernel features against `accept_missing`, resolves the exec set and builds
    /// the Landlock ruleset.
    pub fn prepare(loaded: Loaded) -> Result<Setup, SetupError> {
        let features = Features::detect();
        let cfg = &loaded.config;
        let landlock_abi = match &features.landlock {
            Ok(abi) => Some(*abi),
            Err(_) if cfg.accepts_missing(Feature::Landlock) => None,
            Err(e) => {
                return Err(SetupError(format!(
                    "landlock is not available ({}); {}",
                    landlock_why(e),
                    landlock_fix(e)
                )));
            }
        };
        let seccomp = match &features.seccomp_notify {
            Ok(()) => true,
            Err(_) if cfg.accepts_missing(Feature::SeccompNotify) => false,
            Err(e) => {
                return Err(SetupError(format!(
                    "seccomp-notify is not available ({}); run on Linux >= 5.5 with the engine's default seccomp profile (or lasso's), or set accept_missing = [\"seccomp-notify\"] in the profile to accept weaker enforcement explicitly",
                    seccomp_why(e)
                )));
            }
        };
        let set = exec_set(&loaded);
        let ruleset = match landlock_abi {
            None => None,
            Some(abi) => {
                let files: Vec<String> = set.files.iter().cloned().collect();
                // Shadow and record must be able to let a would-deny exec run, so only an
                // enforcing whitelist narrows EXECUTE to the exec set.
                let narrow =
                    cfg.whitelist() && cfg.enforcement == crate::config::Enforcement::Enforce;
                let plan = Plan::new(&cfg.write_paths, if narrow { Some(&files) } else { None });
                match Ruleset::build(&plan, abi) {
                    Ok(r) => Some(r),
                    Err(_) if cfg.accepts_missing(Feature::Landlock) => None,
                    Err(e) => {
                        return Err(SetupError(format!(
                            "landlock is not available ({e}); set accept_missing = [\"landlock\"] in the profile to accept weaker enforcement explicitly"
                        )));
                    }
                }
            }
        };
        Ok(Setup {
            loaded,
            set,
            ruleset,
            seccomp,
            features,
        })
    }

    pub fn landlock(&self) -> bool {
        self.ruleset.is_some()
    }
}

/// The exec set for a loaded policy: the allowed names (whitelist) plus `exec_extra`; for a
/// blacklist only `exec_extra` (whose loaders the loader check then knows by path).
pub fn exec_set(loaded: &Loaded) -> ExecSet {
    let cfg = &loaded.config;
    let root = Root::system();
    if cfg.whitelist() {
        ExecSet::build(
            &root,
            cfg.gate
                .programs
                .iter()
                .chain(&cfg.exec_extra)
                .map(String::as_str),
        )
    } else {
        ExecSet::build(&root, cfg.exec_extra.iter().map(String::as_str))
    }
}

/// Which restrictions a child applies (probes use partial ones to test each layer alone).
#[derive(Debug, Clone, Copy)]
pub struct Layers {
    pub landlock: bool,
    pub seccomp: bool,
}

/// Restricts the calling (child) process. With seccomp, the listener is sent over `sock`.
pub fn restrict(setup: &Setup, layers: Layers, sock: Option<RawFd>) -> Result<(), String> {
    // The supervisor is not dumpable and a forked child inherits that until its execve
    // completes; the supervisor must be able to read this child's memory at its first exec.
    sys::prctl(libc::PR_SET_DUMPABLE, 1)
        .map_err(|e| format!("PR_SET_DUMPABLE failed: {}", sys::describe(&e)))?;
    sys::prctl(libc::PR_SET_NO_NEW_PRIVS, 1)
        .map_err(|e| format!("PR_SET_NO_NEW_PRIVS failed: {}", sys::describe(&e)))?;
    if layers.landlock
        && let Some(r) = &setup.ruleset
    {
        r.restrict_self()
            .map_err(|e| format!("landlock_restrict_self failed: {}", sys::describe(&e)))?;
    }
    if layers.seccomp && setup.seccomp {
        let listener = seccomp::install().map_err(|e| {
            format!(
                "installing the seccomp filter failed: {}",
                sys::describe(&e)
            )
        })?;
        let sock = sock.ok_or("no socket to pass the seccomp listener on")?;
        send_fd(sock, listener.as_raw_fd())
            .map_err(|e| format!("passing the seccomp listener failed: {}", sys::describe(&e)))?;
    }
    Ok(())
}

/// A connected `SOCK_SEQPACKET` pair (close-on-exec).
pub fn socketpair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid out array of two ints.
    sys::cvt(unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    })?;
    // SAFETY: socketpair returned two fresh descriptors owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Space for one descriptor's control message.
const CMSG_SPACE_FD: usize = 24;

/// Sends `fd` with SCM_RIGHTS.
pub fn send_fd(sock: RawFd, fd: RawFd) -> io::Result<()> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut cbuf = [0u64; CMSG_SPACE_FD / 8];
    // SAFETY: msghdr is plain data; every pointer set below refers to live local buffers, and
    // the CMSG macros only compute addresses inside `cbuf`, whose size is CMSG_SPACE(4).
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf.as_mut_ptr().cast();
        msg.msg_controllen = libc::CMSG_SPACE(4) as usize;
        let c = libc::CMSG_FIRSTHDR(&msg);
        (*c).cmsg_level = libc::SOL_SOCKET;
        (*c).cmsg_type = libc::SCM_RIGHTS;
        (*c).cmsg_len = libc::CMSG_LEN(4) as usize;
        std::ptr::write_unaligned(libc::CMSG_DATA(c).cast::<i32>(), fd);
        sys::cvt(libc::sendmsg(sock, &msg, libc::MSG_NOSIGNAL) as i32)?;
    }
    Ok(())
}

/// Receives one descriptor sent with [`send_fd`]; `Ok(None)` when the peer closed without
/// sending (the child failed and reported why itself).
pub fn recv_fd(sock: RawFd) -> io::Result<Option<OwnedFd>> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut cbuf = [0u64; CMSG_SPACE_FD / 8];
    // SAFETY: as in send_fd; the kernel writes at most msg_controllen bytes into `cbuf`, and a
    // received SCM_RIGHTS descriptor is new and owned by this process.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf.as_mut_ptr().cast();
        msg.msg_controllen = libc::CMSG_SPACE(4) as usize;
        let n = loop {
            let n = libc::recvmsg(sock, &mut msg, libc::MSG_CMSG_CLOEXEC);
            if n < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            break n;
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        if n == 0 {
            return Ok(None);
        }
        let c = libc::CMSG_FIRSTHDR(&msg);
        if c.is_null() || (*c).cmsg_level != libc::SOL_SOCKET || (*c).cmsg_type != libc::SCM_RIGHTS
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "no descriptor in the message",
            ));
        }
        let fd = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast::<i32>());
        Ok(Some(OwnedFd::from_raw_fd(fd)))
    }
}
