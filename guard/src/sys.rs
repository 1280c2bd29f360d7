//! Thin, checked wrappers around the raw libc calls the guard needs in more than one module.
//!
//! Every other module talks to the kernel through these helpers (or through its own small,
//! documented `unsafe` blocks for structure-heavy calls such as Landlock and seccomp), so the
//! errno handling and the soundness arguments live in one place.

use std::ffi::CString;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

/// `Err(last_os_error)` when a libc call returned -1.
pub fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Same as [`cvt`] for calls returning `long` (raw `syscall`).
pub fn cvt_long(ret: libc::c_long) -> io::Result<libc::c_long> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Symbolic name of an errno value for messages (`EPERM`), or its number.
pub fn errno_name(code: i32) -> String {
    let name = match code {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::ESRCH => "ESRCH",
        libc::EINTR => "EINTR",
        libc::EIO => "EIO",
        libc::E2BIG => "E2BIG",
        libc::ENOEXEC => "ENOEXEC",
        libc::EBADF => "EBADF",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::ENOTDIR => "ENOTDIR",
        libc::EISDIR => "EISDIR",
        libc::EINVAL => "EINVAL",
        libc::ENOSPC => "ENOSPC",
        libc::EROFS => "EROFS",
        libc::ENOSYS => "ENOSYS",
        libc::ELOOP => "ELOOP",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::EAFNOSUPPORT => "EAFNOSUPPORT",
        libc::ENETUNREACH => "ENETUNREACH",
        libc::EHOSTUNREACH => "EHOSTUNREACH",
        libc::EADDRNOTAVAIL => "EADDRNOTAVAIL",
        libc::ETXTBSY => "ETXTBSY",
        libc::EPROTONOSUPPORT => "EPROTONOSUPPORT",
        libc::ESOCKTNOSUPPORT => "ESOCKTNOSUPPORT",
        _ => return format!("errno {code}"),
    };
    name.to_owned()
}

/// `EPERM (Operation not permitted)` style description of an I/O error.
pub fn describe(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(code) => format!(
            "{} ({})",
            errno_name(code),
            io::Error::from_raw_os_error(code)
        )
        .replace(&format!(" (os error {code})"), ""),
        None => err.to_string(),
    }
}

/// A path as a C string; a path with an interior NUL cannot name a file.
pub fn cstring(path: &str) -> io::Result<CString> {
    CString::new(path).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

/// Opens `path` with `flags | O_CLOEXEC`.
pub fn open(path: &str, flags: libc::c_int, mode: libc::mode_t) -> io::Result<OwnedFd> {
    let c = cstring(path)?;
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call; open(2) does not
    // retain the pointer.
    let fd = cvt(unsafe { libc::open(c.as_ptr(), flags | libc::O_CLOEXEC, mode as libc::c_uint) })?;
    // SAFETY: open returned a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `prctl(option, arg2, 0, 0, 0)`.
pub fn prctl(option: libc::c_int, arg2: libc::c_ulong) -> io::Result<()> {
    // SAFETY: the prctl options used by the guard take integer arguments only; unused
    // arguments are passed as 0 as the kernel requires.
    cvt(unsafe {
        libc::prctl(
            option,
            arg2,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    })
    .map(|_| ())
}

/// Writes all of `buf` to `fd`, retrying on EINTR and short writes.
pub fn write_all(fd: RawFd, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        // SAFETY: `buf` is a valid readable slice for its whole length during the call.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(e);
        }
        buf = &buf[n as usize..];
    }
    Ok(())
}

/// Writes one message line to stderr without allocating a `Stderr` lock (also safe to use in
/// a forked child).
pub fn eprint_line(msg: &str) {
    let mut line = Vec::with_capacity(msg.len() + 1);
    line.extend_from_slice(msg.as_bytes());
    line.push(b'\n');
    // Nothing sensible can be done when stderr itself is gone.
    let _ = write_all(2, &line);
}

/// Terminates the calling process immediately, without running Rust or libc exit handlers
/// (for forked children, which must not flush buffers they share with the parent).
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit never returns and has no preconditions.
    unsafe { libc::_exit(code) }
}

/// `fork(2)`. Returns 0 in the child.
///
/// The guard is single-threaded whenever it forks (no thread is ever spawned), so the child
/// may keep using the allocator and std.
pub fn fork() -> io::Result<libc::pid_t> {
    // SAFETY: the process is single-threaded (the guard never spawns threads), so the child
    // inherits a consistent heap and no lock can be held by a vanished thread.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(pid)
    }
}

/// How a waited-for process ended, as a shell exit status (128+signal when signalled).
pub fn exit_status(status: libc::c_int) -> i32 {
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        1
    }
}

/// `waitpid(pid, flags)`, retrying on EINTR. `Ok(None)` for WNOHANG with nothing to reap.
pub fn waitpid(
    pid: libc::pid_t,
    flags: libc::c_int,
) -> io::Result<Option<(libc::pid_t, libc::c_int)>> {
    loop {
        let mut status = 0;
        // SAFETY: `status` is a valid out pointer for the duration of the call.
        let r = unsafe { libc::waitpid(pid, &mut status, flags) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(e);
        }
        if r == 0 {
            return Ok(None);
        }
        return Ok(Some((r, status)));
    }
}

/// A signal set containing exactly `sigs`.
pub fn sigset(sigs: &[libc::c_int]) -> libc::sigset_t {
    // SAFETY: sigset_t is plain data; sigemptyset initialises it before use, and sigaddset
    // only fails for invalid signal numbers, which callers never pass.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &s in sigs {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

/// `sigprocmask(how, set)`, returning the previous mask.
pub fn sigprocmask(how: libc::c_int, set: &libc::sigset_t) -> io::Result<libc::sigset_t> {
    // SAFETY: both pointers reference valid sigset_t values for the duration of the call.
    unsafe {
        let mut old: libc::sigset_t = std::mem::zeroed();
        cvt(libc::sigprocmask(how, set, &mut old))?;
        Ok(old)
    }
}

/// Current time as (seconds, microseconds) since the Unix epoch, from CLOCK_REALTIME.
pub fn now_realtime() -> (i64, u32) {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out pointer; CLOCK_REALTIME always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    (ts.tv_sec, (ts.tv_nsec / 1000) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_status_maps_signals_to_128_plus() {
        // Built the way the kernel encodes wait statuses: exit code in bits 8..16, signal in 0..7.
        assert_eq!(exit_status(3 << 8), 3);
        assert_eq!(exit_status(libc::SIGKILL), 137);
        assert_eq!(exit_status(libc::SIGTERM), 143);
    }

    #[test]
    fn describe_names_errno() {
        let d = describe(&io::Error::from_raw_os_error(libc::EACCES));
        assert_eq!(d, "EACCES (Permission denied)");
        assert_eq!(errno_name(9999), "errno 9999");
    }
}
