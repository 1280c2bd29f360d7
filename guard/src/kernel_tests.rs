//! Real-kernel tests: Landlock and seccomp user notification exercised on the host kernel.
//! Every restriction is applied in a forked child, so the test runner itself is never
//! restricted; the child reports through its exit code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::CString;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

use crate::config::{self, Loaded};
use crate::setup::{self, Layers, Setup};
use crate::spool::Spool;
use crate::supervise::{self, End, Supervisor};
use crate::sys;

struct Env {
    dir: PathBuf,
    policy: PathBuf,
    spool: PathBuf,
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn env(tag: &str, list: &str, programs: &[&str], enforcement: &str) -> Env {
    let dir = std::env::temp_dir().join(format!("guard-kt-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let ws = dir.join("ws");
    let spool = dir.join("spool");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::create_dir_all(&spool).unwrap();
    let mut v: serde_json::Value =
        serde_json::from_str(&config::tests::sample_json(list, programs, enforcement)).unwrap();
    v["write_paths"] = serde_json::json!([ws.to_str().unwrap()]);
    v["gate"]["workspace"] = ws.to_str().unwrap().into();
    v["gate"]["writable_paths"] = serde_json::json!([]);
    let policy = dir.join("guard.json");
    std::fs::write(&policy, v.to_string()).unwrap();
    Env { dir, policy, spool }
}

fn prepare(e: &Env) -> Setup {
    let loaded: Loaded = config::load(&e.policy).unwrap();
    Setup::prepare(loaded).unwrap()
}

/// execve(path, argv) with an empty environment; returns errno on failure.
fn exec(path: &str, argv: &[&str]) -> i32 {
    let p = CString::new(path).unwrap();
    let a: Vec<CString> = argv.iter().map(|s| CString::new(*s).unwrap()).collect();
    let mut ptrs: Vec<*const libc::c_char> = a.iter().map(|s| s.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let envp = [std::ptr::null::<libc::c_char>()];
    unsafe { libc::execve(p.as_ptr(), ptrs.as_ptr(), envp.as_ptr()) };
    std::io::Error::last_os_error().raw_os_error().unwrap()
}

/// Runs `f` in a child restricted with `layers`, supervised like `exec`; returns the child's
/// exit status and the spool's text.
fn supervised(e: &Env, setup: &Setup, layers: Layers, f: impl FnOnce() -> i32) -> (i32, String) {
    let mut blocked = supervise::FORWARDED.to_vec();
    blocked.push(libc::SIGCHLD);
    let old = sys::sigprocmask(libc::SIG_BLOCK, &sys::sigset(&blocked)).unwrap();
    let sigfd = supervise::signalfd().unwrap();
    let (p, c) = setup::socketpair().unwrap();
    let child = sys::fork().unwrap();
    if child == 0 {
        drop(p);
        if let Err(m) = setup::restrict(setup, layers, Some(c.as_raw_fd())) {
            eprintln!("{m}");
            sys::exit_now(120);
        }
        drop(c);
        sys::exit_now(f());
    }
    drop(c);
    let listener = if layers.seccomp {
        setup::recv_fd(p.as_raw_fd()).unwrap()
    } else {
        None
    };
    let spool = Spool::open(&e.spool, 1 << 30, std::process::id() as i32).unwrap();
    let mut sup = Supervisor::new(
        setup.loaded.clone(),
        setup.set.clone(),
        spool,
        setup.landlock(),
        Some(&e.policy),
    );
    sup.loud = false;
    let end = supervise::run(Some(&mut sup), listener.as_ref(), &sigfd, child, None).unwrap();
    sys::sigprocmask(libc::SIG_SETMASK, &old).unwrap();
    let text = std::fs::read_to_string(e.spool.join("exec-000001.jsonl")).unwrap_or_default();
    match end {
        End::Exited(code) => (code, text),
        End::TimedOut => panic!("no deadline was set"),
    }
}

/// Runs a test body in a forked, single-threaded process: the supervisor relies on
/// process-wide signal delivery (SIGCHLD on its signalfd) and `waitpid(-1)`, which the test
/// harness's other threads would otherwise steal.
fn isolated(body: impl FnOnce()) {
    let child = sys::fork().unwrap();
    if child == 0 {
        std::panic::set_hook(Box::new(|info| {
            sys::eprint_line(&format!("isolated test: {info}"))
        }));
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).is_ok();
        sys::exit_now(if ok { 0 } else { 101 });
    }
    let (_, st) = sys::waitpid(child, 0).unwrap().unwrap();
    assert_eq!(
        sys::exit_status(st),
        0,
        "the isolated test body failed (see its panic above)"
    );
}

fn true_path() -> String {
    std::fs::canonicalize("/bin/true")
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn landlock_confines_writes_and_exec_and_libraries_need_no_exec_right() {
    isolated(|| {
        let e = env("ll", "whitelist", &["true", "echo"], "enforce");
        let s = prepare(&e);
        assert!(s.landlock(), "this host offers Landlock");
        let ws = e.dir.join("ws");
        let ll = Layers {
            landlock: true,
            seccomp: false,
        };
        // Write inside the write path works; outside (the spool dir, /var/tmp) is EACCES.
        let inside = ws.join("ok").to_str().unwrap().to_owned();
        let outside = e.spool.join("nope").to_str().unwrap().to_owned();
        let (code, _) = supervised(&e, &s, ll, move || {
            if sys::open(&inside, libc::O_CREAT | libc::O_WRONLY, 0o600).is_err() {
                return 10;
            }
            match sys::open(&outside, libc::O_CREAT | libc::O_WRONLY, 0o600) {
                Ok(_) => 11,
                Err(e) if e.raw_os_error() == Some(libc::EACCES) => 0,
                Err(_) => 12,
            }
        });
        assert_eq!(code, 0);
        // A dynamic allowed binary runs (its libraries are mmapped without EXECUTE).
        let t = true_path();
        let (code, _) = supervised(&e, &s, ll, move || exec(&t, &["true"]));
        assert_eq!(code, 0, "/bin/true must run under Landlock");
        // A binary outside the set is EACCES; so is a copy of an allowed one in the workspace.
        let copy = ws.join("true");
        std::fs::copy(true_path(), &copy).unwrap();
        let c = copy.to_str().unwrap().to_owned();
        let (code, _) = supervised(&e, &s, ll, move || {
            let a = exec("/bin/ls", &["ls"]);
            let b = exec(&c, &["true"]);
            if a == libc::EACCES && b == libc::EACCES {
                0
            } else {
                1
            }
        });
        assert_eq!(code, 0);
    });
}

#[test]
fn supervisor_allows_denies_and_records() {
    isolated(|| {
        let e = env("sup", "whitelist", &["true", "echo", "sh"], "enforce");
        let s = prepare(&e);
        let full = Layers {
            landlock: true,
            seccomp: true,
        };
        let t = true_path();
        let (code, text) = supervised(&e, &s, full, move || exec(&t, &["true", "x"]));
        assert_eq!(code, 0);
        assert!(
            text.contains("\"outcome\":\"allowed\"") && text.contains("\"argv\":[\"true\",\"x\"]"),
            "{text}"
        );
        // rm is refused by the supervisor (EPERM) before Landlock is even asked.
        let (code, text) = supervised(&e, &s, full, || {
            if exec("/bin/rm", &["rm", "-rf", "/nonexistent"]) == libc::EPERM {
                0
            } else {
                1
            }
        });
        assert_eq!(code, 0);
        let last = text.lines().last().unwrap();
        let v: serde_json::Value = serde_json::from_str(last).unwrap();
        assert_eq!(v["outcome"], "denied");
        assert_eq!(v["rule"], "not-whitelisted");
        assert_eq!(v["requested"], "/bin/rm");
        assert_eq!(v["landlock"], true);
        // A shell script's children are checked too: sh may run true, not rm.
        let (code, text) = supervised(&e, &s, full, move || {
            exec(
                "/bin/sh",
                &["sh", "-c", "true && rm -f /nonexistent; echo $?"],
            )
        });
        assert_eq!(code, 0, "{text}");
        assert!(
            text.contains("\"requested\":\"rm\"") || text.contains("\"requested\":\"/usr/bin/rm\""),
            "{text}"
        );
        // Through the dynamic loader rm is still rm.
        let ld = "/lib64/ld-linux-x86-64.so.2";
        let (code, text) = supervised(&e, &s, full, move || {
            if exec(ld, &[ld, "/bin/rm", "/nonexistent"]) == libc::EPERM {
                0
            } else {
                1
            }
        });
        assert_eq!(code, 0);
        assert!(
            text.lines().last().unwrap().contains("dynamic loader"),
            "{text}"
        );
    });
}

#[test]
fn shadow_mode_runs_and_records_would_deny() {
    isolated(|| {
        let e = env("shadow", "whitelist", &["true"], "shadow");
        let s = prepare(&e);
        // Landlock off here: shadow grants EXECUTE on system dirs anyway; this isolates the notifier.
        let (code, text) = supervised(
            &e,
            &s,
            Layers {
                landlock: false,
                seccomp: true,
            },
            || exec("/bin/false", &["false"]),
        );
        assert_eq!(code, 1, "false ran and returned 1");
        assert!(text.contains("\"outcome\":\"would-deny\""), "{text}");
        let s2 = prepare(&e);
        let (code, _) = supervised(
            &e,
            &s2,
            Layers {
                landlock: true,
                seccomp: true,
            },
            || exec("/bin/false", &["false"]),
        );
        assert_eq!(code, 1, "shadow mode lets Landlock execute system binaries");
    });
}

#[test]
fn dead_supervisor_fails_exec_closed_with_enosys() {
    isolated(|| {
        let e = env("dead", "whitelist", &["true"], "enforce");
        let s = prepare(&e);
        let (p, c) = setup::socketpair().unwrap();
        let (r, w) = setup::socketpair().unwrap();
        let child = sys::fork().unwrap();
        if child == 0 {
            drop(p);
            drop(r);
            setup::restrict(
                &s,
                Layers {
                    landlock: false,
                    seccomp: true,
                },
                Some(c.as_raw_fd()),
            )
            .unwrap();
            // Wait until the parent dropped the listener.
            let mut b = [0u8; 1];
            unsafe { libc::read(w.as_raw_fd(), b.as_mut_ptr().cast(), 1) };
            let t = true_path();
            sys::exit_now(if exec(&t, &["true"]) == libc::ENOSYS {
                0
            } else {
                1
            });
        }
        drop(c);
        drop(w);
        let listener = setup::recv_fd(p.as_raw_fd()).unwrap().unwrap();
        drop(listener);
        drop(r);
        let (_, st) = sys::waitpid(child, 0).unwrap().unwrap();
        assert_eq!(
            sys::exit_status(st),
            0,
            "exec after the supervisor is gone must fail with ENOSYS"
        );
    });
}
