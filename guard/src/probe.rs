//! `lasso-guard probe`: the sandbox proves its own isolation before anyone uses it.
//!
//! Every probe runs in a forked child restricted by the very same code as `exec`
//! (`setup::restrict`, supervised by `supervise::Supervisor`) and tries one thing the sandbox
//! must refuse. Exec probes never let a program run: the child lowers its address-space soft
//! limit to zero right before `execve`, so an exec that got past every check dies while the
//! kernel maps it (the probe then fails) and no code of the target ever runs. Network probes
//! use UDP `connect()`, which only consults the routing table and sends nothing.
//!
//! Output: one JSON document on stdout; exit 0 when every probe passed or was skipped with a
//! reason, 1 when any failed, 120 when the guard itself could not run them.

use std::ffi::CString;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::PathBuf;

use serde::Serialize;

use crate::config::{self, Network, POLICY_PATH, beneath, normalize};
use crate::resolve::{FIXED_PATH, Kind, Root, basename};
use crate::setup::{self, Layers, Setup};
use crate::spool::{SPOOL_DIR, Spool};
use crate::supervise::{self, Supervisor};
use crate::sys;

/// A probe's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass(String),
    Fail(String),
    Skip(String),
}

#[derive(Debug, Serialize)]
struct ProbeJson {
    name: &'static str,
    passed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<String>,
    detail: String,
}

/// Paths the probes use, derived from the policy and the image.
struct Ctx<'a> {
    setup: &'a Setup,
    policy: PathBuf,
    spool: PathBuf,
    /// An executable of the image the policy must refuse (name, path).
    outside: Option<(String, String)>,
    /// An allowed executable to copy (name, canonical path).
    allowed: Option<(String, String)>,
    scratch: Vec<PathBuf>,
}

pub fn main(args: &[String]) -> i32 {
    let mut policy = PathBuf::from(POLICY_PATH);
    let mut spool = PathBuf::from(SPOOL_DIR);
    let mut i = 0;
    while i < args.len() {
        match (args[i].as_str(), args.get(i + 1)) {
            ("--policy", Some(v)) => policy = PathBuf::from(v),
            ("--spool", Some(v)) => spool = PathBuf::from(v),
            (a, _) => {
                sys::eprint_line(&format!(
                    "lasso-guard: probe: unknown argument `{a}` (usage: probe)"
                ));
                return 120;
            }
        }
        i += 2;
    }
    let mut loaded = match config::load(&policy) {
        Ok(l) => l,
        Err(e) => {
            sys::eprint_line(&format!("lasso-guard: {e}"));
            return 120;
        }
    };
    // The probes prove that the mechanisms hold. Shadow and record mode deliberately let
    // every exec through, so the probes run with the sandbox's policy in enforce mode: what
    // they show is what switching the profile to `enforce` would give.
    let configured = loaded.config.enforcement;
    loaded.config.enforcement = config::Enforcement::Enforce;
    let setup = match Setup::prepare(loaded) {
        Ok(s) => s,
        Err(e) => {
            sys::eprint_line(&format!("lasso-guard: {}", e.0));
            return 120;
        }
    };
    // Same supervisor conditions as `exec`: not dumpable, SIGCHLD on the signalfd.
    if let Err(e) = sys::prctl(libc::PR_SET_DUMPABLE, 0) {
        sys::eprint_line(&format!(
            "lasso-guard: PR_SET_DUMPABLE failed: {}",
            sys::describe(&e)
        ));
        return 120;
    }
    let mut blocked = supervise::FORWARDED.to_vec();
    blocked.push(libc::SIGCHLD);
    if let Err(e) = sys::sigprocmask(libc::SIG_BLOCK, &sys::sigset(&blocked)) {
        sys::eprint_line(&format!(
            "lasso-guard: sigprocmask failed: {}",
            sys::describe(&e)
        ));
        return 120;
    }
    let mut ctx = Ctx {
        outside: find_outside(&setup),
        allowed: find_allowed(&setup),
        setup: &setup,
        policy,
        spool,
        scratch: Vec::new(),
    };
    let results = match run_all(&mut ctx) {
        Ok(r) => r,
        Err(e) => {
            cleanup(&ctx);
            sys::eprint_line(&format!("lasso-guard: probe: {e}"));
            return 120;
        }
    };
    cleanup(&ctx);
    let failed = results.iter().any(|r| !r.passed && r.skipped.is_none());
    let doc = serde_json::json!({
        "probes": results,
        "kernel": setup.features.json(),
        "landlock": setup.landlock(),
        "seccomp_notify": setup.seccomp,
        "sandbox": setup.loaded.config.sandbox,
        "enforcement": configured,
    });
    println!("{doc}");
    i32::from(failed)
}

fn cleanup(ctx: &Ctx) {
    for p in &ctx.scratch {
        let _ = std::fs::remove_dir_all(p);
    }
}

fn run_all(ctx: &mut Ctx) -> Result<Vec<ProbeJson>, String> {
    let mut out = Vec::new();
    let full = Layers {
        landlock: true,
        seccomp: true,
    };
    let has_ll = ctx.setup.landlock();
    let has_sc = ctx.setup.seccomp;
    let ll_note = "landlock is missing and accepted by accept_missing";
    let both_note = "landlock and seccomp-notify are both missing and accepted by accept_missing, \
                     so nothing inside the sandbox restricts exec";
    // `needs_landlock`: only Landlock can stop it. Exec probes otherwise pass if either
    // mechanism stops them, so they only become skips when both are accepted as missing.
    let mut push = |name: &'static str, o: Outcome, needs_landlock: bool| {
        let exec_probe = name.starts_with("exec-");
        let o = match o {
            Outcome::Fail(d) if needs_landlock && !has_ll => {
                Outcome::Skip(format!("{ll_note}; without it: {d}"))
            }
            Outcome::Fail(d) if exec_probe && !has_ll && !has_sc => {
                Outcome::Skip(format!("{both_note}; {d}"))
            }
            o => o,
        };
        out.push(match o {
            Outcome::Pass(detail) => ProbeJson {
                name,
                passed: true,
                skipped: None,
                detail,
            },
            Outcome::Fail(detail) => ProbeJson {
                name,
                passed: false,
                skipped: None,
                detail,
            },
            Outcome::Skip(why) => ProbeJson {
                name,
                passed: false,
                skipped: Some(why.clone()),
                detail: why,
            },
        });
    };
    let no_outside = "no executable outside the allowlist in this image".to_owned();
    // 1. An image binary the policy refuses.
    let o = match &ctx.outside {
        Some((name, path)) => {
            let (n, p) = (name.clone(), path.clone());
            in_child(ctx, full, move || try_exec(&p, &n))?
        }
        None => Outcome::Skip(no_outside.clone()),
    };
    push("exec-outside-allowlist", o, false);
    // 2. Copies of an allowed binary written to the workspace and /tmp.
    let ws = normalize(&ctx.setup.loaded.config.gate.workspace);
    for (name, dir) in [
        ("exec-copy-workspace", ws.clone()),
        ("exec-copy-tmp", "/tmp".to_owned()),
    ] {
        let o = match copy_allowed(ctx, &dir) {
            Ok(copy) => {
                let n = basename(&copy).to_owned();
                in_child(ctx, full, move || try_exec(&copy, &n))?
            }
            Err(why) => Outcome::Skip(why),
        };
        push(name, o, true);
    }
    // 3. A symlink in the workspace, named like an allowed program, to a refused binary.
    let o = match (ctx.outside.clone(), ctx.allowed.clone()) {
        (Some((_, target)), Some((aname, _))) => match scratch_dir(ctx, &ws) {
            Ok(d) => {
                let link = format!("{}/{aname}", d.display());
                match std::os::unix::fs::symlink(&target, &link) {
                    Ok(()) => {
                        let n = aname.clone();
                        in_child(ctx, full, move || try_exec(&link, &n))?
                    }
                    Err(e) => Outcome::Skip(format!(
                        "cannot create a symlink in {ws}: {}",
                        sys::describe(&e)
                    )),
                }
            }
            Err(why) => Outcome::Skip(why),
        },
        (None, _) => Outcome::Skip(no_outside.clone()),
        (_, None) => Outcome::Skip("no allowed program exists in this image".to_owned()),
    };
    push("exec-symlink", o, false);
    // 4. The supervisor alone refuses with EPERM; Landlock alone refuses with EACCES.
    let o = if !ctx.setup.seccomp {
        Outcome::Skip("seccomp-notify is missing and accepted by accept_missing".to_owned())
    } else {
        match &ctx.outside {
            Some((name, path)) => {
                let (n, p) = (name.clone(), path.clone());
                match in_child(
                    ctx,
                    Layers {
                        landlock: false,
                        seccomp: true,
                    },
                    move || try_exec(&p, &n),
                )? {
                    Outcome::Pass(d) if d.contains("EPERM") => {
                        Outcome::Pass(format!("supervisor: {d}"))
                    }
                    Outcome::Pass(d) => {
                        Outcome::Fail(format!("refused, but not by the supervisor: {d}"))
                    }
                    o => o,
                }
            }
            None => Outcome::Skip(no_outside.clone()),
        }
    };
    push("supervisor-denies", o, false);
    let o = if !has_ll {
        Outcome::Skip(ll_note.to_owned())
    } else {
        match copy_allowed(ctx, &ws) {
            Ok(copy) => {
                let n = basename(&copy).to_owned();
                match in_child(
                    ctx,
                    Layers {
                        landlock: true,
                        seccomp: false,
                    },
                    move || try_exec(&copy, &n),
                )? {
                    Outcome::Pass(d) if d.contains("EACCES") => {
                        Outcome::Pass(format!("landlock: {d}"))
                    }
                    Outcome::Pass(d) => Outcome::Fail(format!("refused, but not by Landlock: {d}")),
                    o => o,
                }
            }
            Err(why) => Outcome::Skip(why),
        }
    };
    push("landlock-denies", o, true);
    // 5. Writes outside the write paths, and into the spool.
    let writes: Vec<String> = ctx
        .setup
        .loaded
        .config
        .write_paths
        .iter()
        .map(|w| normalize(w))
        .collect();
    let o = in_child(ctx, full, move || try_writes(&writes))?;
    push("write-outside-write-paths", o, true);
    let spool = ctx.spool.clone();
    let o = if spool.is_dir() {
        in_child(ctx, full, move || try_spool(&spool))?
    } else {
        Outcome::Skip(format!("{} is not mounted", spool.display()))
    };
    push("spool-not-writable", o, true);
    // 6. Hidden paths read nothing.
    let hidden = ctx.setup.loaded.config.concrete_hidden_paths();
    let o = if hidden.is_empty() {
        Outcome::Skip("the profile hides no concrete path".to_owned())
    } else {
        in_child(ctx, full, move || try_hidden(&hidden))?
    };
    push("hidden-paths", o, false);
    // 7. Privileges and raw sockets.
    push("capabilities", in_child(ctx, full, try_caps)?, false);
    push("raw-socket", in_child(ctx, full, try_raw)?, false);
    // 8. Network reachability (routing only; nothing is sent).
    let cfg = &ctx.setup.loaded.config;
    if cfg.probe_metadata {
        let o = in_child(ctx, full, || try_udp(&[("169.254.169.254", 80)]))?;
        push("cloud-metadata", o, false);
    }
    if cfg.network == Network::None {
        let o = in_child(ctx, full, || {
            try_udp(&[("192.0.2.1", 80), ("2001:db8::1", 80)])
        })?;
        push("network-none", o, false);
    }
    Ok(out)
}

/// Runs `f` in a child restricted with `layers`, supervised exactly like `exec` (without
/// spool records: probe results are recorded by the host from this command's output).
fn in_child(ctx: &Ctx, layers: Layers, f: impl FnOnce() -> Outcome) -> Result<Outcome, String> {
    let os = |what: &str, e: std::io::Error| format!("{what} failed: {}", sys::describe(&e));
    let (psock, csock) = setup::socketpair().map_err(|e| os("socketpair", e))?;
    let (rpipe, wpipe) = pipe().map_err(|e| os("pipe", e))?;
    let sigfd = supervise::signalfd().map_err(|e| os("signalfd", e))?;
    let child = sys::fork().map_err(|e| os("fork", e))?;
    if child == 0 {
        drop(psock);
        drop(rpipe);
        let o = match setup::restrict(ctx.setup, layers, Some(csock.as_raw_fd())) {
            Ok(()) => {
                drop(csock);
                f()
            }
            Err(e) => Outcome::Fail(format!("could not restrict the probe process: {e}")),
        };
        let line = match o {
            Outcome::Pass(d) => format!("P{d}"),
            Outcome::Fail(d) => format!("F{d}"),
            Outcome::Skip(d) => format!("S{d}"),
        };
        let _ = sys::write_all(wpipe.as_raw_fd(), line.as_bytes());
        sys::exit_now(0);
    }
    drop(csock);
    drop(wpipe);
    let listener = if layers.seccomp && ctx.setup.seccomp {
        setup::recv_fd(psock.as_raw_fd()).map_err(|e| os("receiving the seccomp listener", e))?
    } else {
        None
    };
    let mut sup = Supervisor::new(
        ctx.setup.loaded.clone(),
        ctx.setup.set.clone(),
        Spool::disabled(),
        ctx.setup.landlock(),
        Some(&ctx.policy),
    );
    sup.loud = false;
    let end = supervise::run(Some(&mut sup), listener.as_ref(), &sigfd, child, None)
        .map_err(|e| os("supervising the probe", e))?;
    let mut text = String::new();
    let _ = std::fs::File::from(rpipe).read_to_string(&mut text);
    Ok(match text.split_at_checked(1) {
        Some(("P", d)) => Outcome::Pass(d.to_owned()),
        Some(("F", d)) => Outcome::Fail(d.to_owned()),
        Some(("S", d)) => Outcome::Skip(d.to_owned()),
        _ => match end {
            supervise::End::Exited(code) if code > 128 => Outcome::Fail(format!(
                "the attempt was allowed: the kernel went on to load the program (probe process ended with signal {})",
                code - 128
            )),
            e => Outcome::Fail(format!("the probe process ended without a result ({e:?})")),
        },
    })
}

fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid out array of two ints.
    sys::cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    // SAFETY: pipe2 returned two fresh descriptors owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Tries to execute `path`; passes when the exec is refused with an errno. No code of the
/// target can run: the address-space limit is zero while the kernel loads it.
pub fn try_exec(path: &str, argv0: &str) -> Outcome {
    let (Ok(p), Ok(a0)) = (CString::new(path), CString::new(argv0)) else {
        return Outcome::Fail(format!("bad path {path}"));
    };
    let argv = [a0.as_ptr(), std::ptr::null()];
    let envp = [std::ptr::null::<libc::c_char>()];
    // SAFETY: getrlimit/setrlimit on our own limits with valid pointers; execve gets valid
    // NUL-terminated strings and NULL-terminated arrays that outlive the call. Between the
    // setrlimit and the restore nothing allocates.
    let errno = unsafe {
        let mut old = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::getrlimit(libc::RLIMIT_AS, &mut old);
        let zero = libc::rlimit {
            rlim_cur: 0,
            rlim_max: old.rlim_max,
        };
        libc::setrlimit(libc::RLIMIT_AS, &zero);
        libc::execve(p.as_ptr(), argv.as_ptr(), envp.as_ptr());
        let errno = *libc::__errno_location();
        libc::setrlimit(libc::RLIMIT_AS, &old);
        errno
    };
    match errno {
        libc::EPERM | libc::EACCES => Outcome::Pass(format!(
            "exec of {path} refused with {}",
            sys::describe(&std::io::Error::from_raw_os_error(errno))
        )),
        libc::ENOMEM => Outcome::Fail(format!(
            "exec of {path} was allowed (the kernel went on to load it)"
        )),
        e => Outcome::Fail(format!(
            "exec of {path} failed with {} instead of being refused by policy",
            sys::errno_name(e)
        )),
    }
}

/// An image executable the policy refuses: for a whitelist the first file in the fixed PATH
/// that is not in the exec set (falling back to the guard binary itself, which is never
/// executable by the workload); for a blacklist the first blacklisted name that exists.
fn find_outside(setup: &Setup) -> Option<(String, String)> {
    let root = Root::system();
    let cfg = &setup.loaded.config;
    if !cfg.whitelist() {
        return cfg
            .gate
            .programs
            .iter()
            .find_map(|n| root.lookup(n).map(|p| (n.clone(), p)));
    }
    for dir in FIXED_PATH {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut names: Vec<String> = rd
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .collect();
        names.sort();
        for n in names {
            let p = format!("{dir}/{n}");
            let Ok(c) = root.canonical(&p) else { continue };
            let exec = std::fs::metadata(&c).is_ok_and(|m| {
                m.is_file()
                    && std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0
            });
            if exec
                && !setup.set.files.contains(&c)
                && !setup.set.names.contains_key(&n)
                && !setup.set.is_loader(&c)
            {
                return Some((n, p));
            }
        }
    }
    let me = std::fs::read_link("/proc/self/exe")
        .ok()?
        .to_string_lossy()
        .into_owned();
    (!setup.set.files.contains(&me)).then(|| (basename(&me).to_owned(), me))
}

/// An allowed ELF program to copy (whitelist: from the exec set; blacklist: a common tool).
fn find_allowed(setup: &Setup) -> Option<(String, String)> {
    let root = Root::system();
    let is_elf = |p: &str| matches!(root.classify(p), Ok(Kind::DynamicElf(_) | Kind::StaticElf));
    if setup.loaded.config.whitelist() {
        setup.set.names.iter().find_map(|(n, files)| {
            files
                .iter()
                .find(|f| is_elf(f))
                .map(|f| (n.clone(), f.clone()))
        })
    } else {
        ["true", "ls", "cat", "sh", "busybox"].iter().find_map(|n| {
            root.lookup(n)
                .and_then(|p| root.canonical(&p).ok())
                .filter(|c| is_elf(c))
                .map(|c| ((*n).to_owned(), c))
        })
    }
}

fn scratch_dir(ctx: &mut Ctx, base: &str) -> Result<PathBuf, String> {
    let d = PathBuf::from(format!(
        "{base}/.lasso-probe-{}-{}",
        std::process::id(),
        ctx.scratch.len()
    ));
    std::fs::create_dir(&d)
        .map_err(|e| format!("cannot create a file in {base}: {}", sys::describe(&e)))?;
    ctx.scratch.push(d.clone());
    Ok(d)
}

/// Copies the allowed program into a scratch directory under `dir`, keeping its name.
fn copy_allowed(ctx: &mut Ctx, dir: &str) -> Result<String, String> {
    let Some((name, src)) = ctx.allowed.clone() else {
        return Err("no allowed program exists in this image".to_owned());
    };
    let d = scratch_dir(ctx, dir)?;
    let dst = d.join(&name);
    std::fs::copy(&src, &dst).map_err(|e| {
        format!(
            "cannot copy {src} to {}: {}",
            d.display(),
            sys::describe(&e)
        )
    })?;
    Ok(dst.to_string_lossy().into_owned())
}

fn try_writes(writes: &[String]) -> Outcome {
    let mut done = Vec::new();
    for dir in ["/var/tmp", "/run", "/etc", "/", "/usr", "/.lasso"] {
        if writes.iter().any(|w| beneath(dir, w)) || !std::path::Path::new(dir).is_dir() {
            continue;
        }
        let p = format!(
            "{}/.lasso-probe-{}",
            dir.trim_end_matches('/'),
            std::process::id()
        );
        match sys::open(&p, libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY, 0o600) {
            Ok(_) => {
                let _ = std::fs::remove_file(&p);
                return Outcome::Fail(format!("created {p} outside the write paths"));
            }
            Err(e) => done.push(format!(
                "{dir}: {}",
                sys::errno_name(e.raw_os_error().unwrap_or(0))
            )),
        }
    }
    if done.is_empty() {
        return Outcome::Skip("every probed directory is a write path".to_owned());
    }
    Outcome::Pass(format!("file creation refused ({})", done.join(", ")))
}

fn try_spool(spool: &std::path::Path) -> Outcome {
    let lock = format!("{}/.lock", spool.display());
    let newf = format!("{}/probe-{}.jsonl", spool.display(), std::process::id());
    let mut why = Vec::new();
    for (p, flags) in [
        (&lock, libc::O_WRONLY | libc::O_APPEND),
        (&newf, libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL),
    ] {
        match sys::open(p, flags, 0o600) {
            Ok(_) => {
                if p == &newf {
                    let _ = std::fs::remove_file(p);
                }
                return Outcome::Fail(format!("opened {p} for writing from inside the sandbox"));
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) && p == &lock => {
                why.push(format!("{p}: absent"))
            }
            Err(e) => why.push(format!(
                "{p}: {}",
                sys::errno_name(e.raw_os_error().unwrap_or(0))
            )),
        }
    }
    Outcome::Pass(format!("spool writes refused ({})", why.join(", ")))
}

fn try_hidden(paths: &[String]) -> Outcome {
    let mut seen = Vec::new();
    for p in paths {
        match std::fs::symlink_metadata(p) {
            Err(e) => seen.push(format!(
                "{p}: {}",
                sys::errno_name(e.raw_os_error().unwrap_or(0))
            )),
            Ok(m) if m.is_dir() => match std::fs::read_dir(p) {
                Ok(rd) => {
                    let n = rd.count();
                    if n > 0 {
                        return Outcome::Fail(format!("hidden directory {p} lists {n} entries"));
                    }
                    seen.push(format!("{p}: empty"));
                }
                Err(e) => seen.push(format!(
                    "{p}: {}",
                    sys::errno_name(e.raw_os_error().unwrap_or(0))
                )),
            },
            Ok(_) => match std::fs::File::open(p) {
                Ok(mut f) => {
                    let mut b = [0u8; 1];
                    match f.read(&mut b) {
                        Ok(0) => seen.push(format!("{p}: empty")),
                        Ok(_) => return Outcome::Fail(format!("hidden file {p} is readable")),
                        Err(e) => seen.push(format!(
                            "{p}: {}",
                            sys::errno_name(e.raw_os_error().unwrap_or(0))
                        )),
                    }
                }
                Err(e) => seen.push(format!(
                    "{p}: {}",
                    sys::errno_name(e.raw_os_error().unwrap_or(0))
                )),
            },
        }
    }
    Outcome::Pass(format!("hidden paths read nothing ({})", seen.join(", ")))
}

fn try_caps() -> Outcome {
    const CAP_SYS_ADMIN: u32 = 21;
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    let mut h = Header {
        version: 0x2008_0522,
        pid: 0,
    };
    let mut d = [Data {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: capget with the v3 header writes two Data structs into `d`.
    if unsafe { libc::syscall(libc::SYS_capget, &mut h as *mut Header, d.as_mut_ptr()) } != 0 {
        return Outcome::Fail(format!(
            "capget failed: {}",
            sys::describe(&std::io::Error::last_os_error())
        ));
    }
    d[0].effective |= 1 << CAP_SYS_ADMIN;
    d[0].permitted |= 1 << CAP_SYS_ADMIN;
    // SAFETY: capset reads the header and two Data structs from valid memory.
    if unsafe { libc::syscall(libc::SYS_capset, &mut h as *mut Header, d.as_ptr()) } == 0 {
        return Outcome::Fail("capset could add CAP_SYS_ADMIN".to_owned());
    }
    // SAFETY: setuid has no memory arguments.
    if unsafe { libc::setuid(0) } == 0 {
        return Outcome::Fail("setuid(0) succeeded".to_owned());
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let mut nonzero = Vec::new();
    for l in status.lines().filter(|l| l.starts_with("Cap")) {
        if let Some((k, v)) = l.split_once(':')
            && u64::from_str_radix(v.trim(), 16).unwrap_or(1) != 0
        {
            nonzero.push(format!("{k}={}", v.trim()));
        }
    }
    if !nonzero.is_empty() {
        return Outcome::Fail(format!(
            "the sandbox still holds capabilities: {}",
            nonzero.join(", ")
        ));
    }
    Outcome::Pass(
        "capset(CAP_SYS_ADMIN) and setuid(0) refused; every capability set is empty".to_owned(),
    )
}

fn try_raw() -> Outcome {
    let mut seen = Vec::new();
    for (label, dom, ty, proto) in [
        (
            "AF_INET/SOCK_RAW",
            libc::AF_INET,
            libc::SOCK_RAW,
            libc::IPPROTO_ICMP,
        ),
        (
            "AF_PACKET/SOCK_RAW",
            libc::AF_PACKET,
            libc::SOCK_RAW,
            i32::from((libc::ETH_P_ALL as u16).to_be()),
        ),
    ] {
        // SAFETY: socket has no memory arguments.
        let fd = unsafe { libc::socket(dom, ty | libc::SOCK_CLOEXEC, proto) };
        if fd >= 0 {
            // SAFETY: closing the descriptor we just opened.
            unsafe { libc::close(fd) };
            return Outcome::Fail(format!("{label} socket could be opened"));
        }
        seen.push(format!(
            "{label}: {}",
            sys::errno_name(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
        ));
    }
    Outcome::Pass(format!("raw sockets refused ({})", seen.join(", ")))
}

/// UDP `connect()` to each address must fail (only a route lookup: no packet is sent).
fn try_udp(addrs: &[(&str, u16)]) -> Outcome {
    let mut seen = Vec::new();
    for (ip, port) in addrs {
        let Ok(ipaddr) = ip.parse::<std::net::IpAddr>() else {
            return Outcome::Fail(format!("bad address {ip}"));
        };
        let sa = std::net::SocketAddr::new(ipaddr, *port);
        let bind: std::net::SocketAddr = if ipaddr.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        match std::net::UdpSocket::bind(bind) {
            Err(e) => seen.push(format!(
                "{sa}: socket {}",
                sys::errno_name(e.raw_os_error().unwrap_or(0))
            )),
            Ok(s) => match s.connect(sa) {
                Ok(()) => {
                    return Outcome::Fail(format!(
                        "{sa} is routable from inside the sandbox (UDP connect succeeded; nothing was sent)"
                    ));
                }
                Err(e) => seen.push(format!(
                    "{sa}: {}",
                    sys::errno_name(e.raw_os_error().unwrap_or(0))
                )),
            },
        }
    }
    Outcome::Pass(format!("unreachable ({})", seen.join(", ")))
}
