//! `lasso-guard init`: PID 1 of the sandbox container.
//!
//! A real init with no workload of its own: it reaps every zombie (orphans of `docker exec`
//! sessions are reparented to it), ignores SIGINT/SIGHUP/SIGUSR1/SIGUSR2 (there is no child to
//! forward them to), and exits 0 as soon as SIGTERM arrives, so stopping a sandbox takes
//! milliseconds instead of the engine's 10 s kill timeout. Signals are blocked and taken
//! synchronously with `sigwaitinfo`; handlers are installed as well because the kernel drops
//! signals whose disposition is SIG_DFL for a namespace's init. No restrictions are applied
//! to itself.

use crate::sys;

extern "C" fn noop(_: libc::c_int) {}

pub fn main() -> i32 {
    let handled = [
        libc::SIGTERM,
        libc::SIGINT,
        libc::SIGHUP,
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGCHLD,
    ];
    for &s in &handled {
        // SAFETY: installing a handler that does nothing (async-signal-safe) for a catchable
        // signal; sigaction is zero-initialised plain data.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = noop as *const () as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(s, &sa, std::ptr::null_mut());
        }
    }
    let set = sys::sigset(&handled);
    if let Err(e) = sys::sigprocmask(libc::SIG_BLOCK, &set) {
        sys::eprint_line(&format!(
            "lasso-guard: init cannot block signals: {}",
            sys::describe(&e)
        ));
        return 120;
    }
    loop {
        // SAFETY: `set` is a valid sigset; a NULL siginfo pointer is allowed.
        let sig = unsafe { libc::sigwaitinfo(&set, std::ptr::null_mut()) };
        match sig {
            libc::SIGTERM => return 0,
            libc::SIGCHLD => while let Ok(Some(_)) = sys::waitpid(-1, libc::WNOHANG) {},
            _ => {}
        }
    }
}
