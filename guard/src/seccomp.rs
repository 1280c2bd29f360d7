//! The seccomp user-notification filter on execve/execveat and the listener-side ioctls.
//!
//! The filter (classic BPF, built here without a crate) kills any syscall made under a
//! foreign architecture (i386 `int 0x80` would bypass a numbers-only check), refuses x32
//! syscall numbers with EPERM, turns execve/execveat into user notifications and allows the
//! rest. The listener descriptor goes to the supervisor; when the supervisor is gone the
//! kernel fails every notified syscall with ENOSYS, so the design fails closed.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::sys;

/// `AUDIT_ARCH_X86_64` (EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE).
pub const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
const X32_SYSCALL_BIT: u32 = 0x4000_0000;
pub const NR_EXECVE: u32 = libc::SYS_execve as u32;
pub const NR_EXECVEAT: u32 = libc::SYS_execveat as u32;

const BPF_LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
const BPF_JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
const BPF_JSET_K: u16 = (libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K) as u16;
const BPF_RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;
/// offsetof(struct seccomp_data, nr / arch).
const OFF_NR: u32 = 0;
const OFF_ARCH: u32 = 4;

fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}
fn jump(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// The filter program (see the module doc for what it does).
pub fn program() -> Vec<libc::sock_filter> {
    vec![
        /* 0 */ stmt(BPF_LD_W_ABS, OFF_ARCH),
        /* 1 */ jump(BPF_JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
        /* 2 */ stmt(BPF_RET_K, libc::SECCOMP_RET_KILL_PROCESS),
        /* 3 */ stmt(BPF_LD_W_ABS, OFF_NR),
        /* 4 */ jump(BPF_JSET_K, X32_SYSCALL_BIT, 0, 1),
        /* 5 */ stmt(BPF_RET_K, libc::SECCOMP_RET_ERRNO | libc::EPERM as u32),
        /* 6 */ jump(BPF_JEQ_K, NR_EXECVE, 2, 0),
        /* 7 */ jump(BPF_JEQ_K, NR_EXECVEAT, 1, 0),
        /* 8 */ stmt(BPF_RET_K, libc::SECCOMP_RET_ALLOW),
        /* 9 */ stmt(BPF_RET_K, libc::SECCOMP_RET_USER_NOTIF),
    ]
}

/// Whether the kernel supports `SECCOMP_RET_USER_NOTIF`.
pub fn notify_available() -> io::Result<()> {
    let action: u32 = libc::SECCOMP_RET_USER_NOTIF;
    // SAFETY: GET_ACTION_AVAIL reads one u32 from the pointer, which is valid for the call.
    sys::cvt_long(unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_GET_ACTION_AVAIL,
            0u32,
            &action as *const u32,
        )
    })
    .map(|_| ())
}

/// Installs the filter on the calling process and returns the listener. Requires
/// `PR_SET_NO_NEW_PRIVS`. Irreversible: call only in a child.
pub fn install() -> io::Result<OwnedFd> {
    let filter = program();
    let prog = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: `prog` points at `filter`, which lives until the call returns; the kernel copies
    // the program.
    let fd = sys::cvt_long(unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            libc::SECCOMP_FILTER_FLAG_NEW_LISTENER,
            &prog as *const libc::sock_fprog,
        )
    })?;
    // SAFETY: NEW_LISTENER returns a fresh descriptor owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    // The listener must not leak into the program the child executes.
    // SAFETY: plain fcntl on a descriptor we own.
    sys::cvt(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) })?;
    Ok(fd)
}

/// One pending notification: which thread, which syscall, its arguments.
#[derive(Debug, Clone, Copy)]
pub struct Notif {
    pub id: u64,
    pub pid: u32,
    pub nr: i32,
    pub args: [u64; 6],
}

/// Receives the next notification. `Ok(None)` when the target died before it could be
/// received (ENOENT) or the call was interrupted.
pub fn recv(listener: &OwnedFd) -> io::Result<Option<Notif>> {
    // The kernel requires a zeroed buffer.
    // SAFETY: seccomp_notif is plain data; all-zero is a valid value.
    let mut n: libc::seccomp_notif = unsafe { std::mem::zeroed() };
    // SAFETY: `n` is a correctly sized, writable seccomp_notif for the ioctl.
    let r = unsafe {
        libc::ioctl(
            listener.as_raw_fd(),
            libc::SECCOMP_IOCTL_NOTIF_RECV,
            &mut n as *mut libc::seccomp_notif,
        )
    };
    if r < 0 {
        let e = io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::ENOENT | libc::EINTR) => Ok(None),
            _ => Err(e),
        };
    }
    Ok(Some(Notif {
        id: n.id,
        pid: n.pid,
        nr: n.data.nr,
        args: n.data.args,
    }))
}

/// Whether notification `id` is still pending (its target has not died or been replaced
/// since it was received): checked after reading the target's memory, so the pid cannot have
/// been recycled in between.
pub fn id_valid(listener: &OwnedFd, id: u64) -> bool {
    // SAFETY: the ioctl reads one u64 from a valid pointer.
    unsafe {
        libc::ioctl(
            listener.as_raw_fd(),
            libc::SECCOMP_IOCTL_NOTIF_ID_VALID,
            &id as *const u64,
        ) == 0
    }
}

/// The supervisor's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Let the kernel run the syscall.
    Continue,
    /// Fail it with this errno.
    Fail(i32),
}

/// Answers notification `id`. An ENOENT reply means the target is gone (nothing to answer).
pub fn respond(listener: &OwnedFd, id: u64, answer: Answer) -> io::Result<()> {
    let (error, flags) = match answer {
        Answer::Continue => (0, libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32),
        Answer::Fail(errno) => (-errno, 0),
    };
    let mut resp = libc::seccomp_notif_resp {
        id,
        val: 0,
        error,
        flags,
    };
    // SAFETY: `resp` is a valid seccomp_notif_resp for the duration of the ioctl.
    let r = unsafe {
        libc::ioctl(
            listener.as_raw_fd(),
            libc::SECCOMP_IOCTL_NOTIF_SEND,
            &mut resp as *mut libc::seccomp_notif_resp,
        )
    };
    if r < 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::ENOENT) {
            return Ok(());
        }
        return Err(e);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the classic-BPF program over one seccomp_data (nr, arch): a tiny interpreter for
    /// exactly the instructions the filter uses, so its layout and jump offsets are checked.
    fn run(prog: &[libc::sock_filter], nr: u32, arch: u32) -> u32 {
        let mut acc = 0u32;
        let mut pc = 0usize;
        loop {
            let i = prog[pc];
            match i.code {
                BPF_LD_W_ABS => {
                    acc = if i.k == OFF_NR {
                        nr
                    } else if i.k == OFF_ARCH {
                        arch
                    } else {
                        panic!("load {}", i.k)
                    }
                }
                BPF_JEQ_K => {
                    pc += usize::from(if acc == i.k { i.jt } else { i.jf });
                }
                BPF_JSET_K => {
                    pc += usize::from(if acc & i.k != 0 { i.jt } else { i.jf });
                }
                BPF_RET_K => return i.k,
                c => panic!("unexpected opcode {c:#x}"),
            }
            pc += 1;
        }
    }

    #[test]
    fn filter_layout() {
        let p = program();
        assert_eq!(
            run(&p, NR_EXECVE, AUDIT_ARCH_X86_64),
            libc::SECCOMP_RET_USER_NOTIF
        );
        assert_eq!(
            run(&p, NR_EXECVEAT, AUDIT_ARCH_X86_64),
            libc::SECCOMP_RET_USER_NOTIF
        );
        assert_eq!(
            run(&p, libc::SYS_openat as u32, AUDIT_ARCH_X86_64),
            libc::SECCOMP_RET_ALLOW
        );
        assert_eq!(run(&p, 0, AUDIT_ARCH_X86_64), libc::SECCOMP_RET_ALLOW);
        // i386 execve (11) under the i386 audit arch is killed, not let through.
        assert_eq!(run(&p, 11, 0x4000_0003), libc::SECCOMP_RET_KILL_PROCESS);
        // x32 execve.
        assert_eq!(
            run(&p, X32_SYSCALL_BIT | 520, AUDIT_ARCH_X86_64),
            libc::SECCOMP_RET_ERRNO | libc::EPERM as u32
        );
        assert_eq!(
            run(&p, X32_SYSCALL_BIT | NR_EXECVE, AUDIT_ARCH_X86_64),
            libc::SECCOMP_RET_ERRNO | libc::EPERM as u32
        );
    }

    #[test]
    fn kernel_offers_user_notification() {
        notify_available().unwrap();
    }
}
