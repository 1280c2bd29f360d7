//! `lasso-guard`: lasso's in-sandbox enforcement binary (issue 6).
//!
//! A small static binary bind-mounted read-only at `/.lasso/guard` into every sandbox:
//! - `init`: PID 1 (reaps zombies, exits on SIGTERM) — `init`;
//! - `exec`: wraps every command lasso runs with Landlock and a seccomp exec supervisor that
//!   checks every execve of the whole process tree against the command gate, records it in
//!   the audit spool and denies what the gate refuses — `exec`, `setup`, `supervise`, `decide`;
//!   in lasso's gated REPL it also hands unread typed-ahead input back — `typeahead`;
//! - `probe`: the sandbox's self-test, run before it is reported ready — `probe`;
//! - `version`: the version and the kernel features.
//!
//! The command gate is lasso's own (`src/policy`, mounted here as `policy`), so the host and
//! the guard decide identically. Exit codes: the program's own status; 120 = the guard itself
//! failed (never run unguarded); 126/127 = cannot run / not found; 137 = timeout.
#![deny(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../src/policy/mod.rs"]
#[allow(dead_code)]
mod policy;

mod config;
mod decide;
mod exec;
mod init;
mod landlock;
mod probe;
mod procmem;
mod resolve;
mod seccomp;
mod setup;
mod spool;
mod supervise;
mod sys;
mod timefmt;
mod typeahead;

#[cfg(test)]
mod kernel_tests;

const USAGE: &str = "usage: lasso-guard init | exec [--timeout SECS] [--prechecked] [--typeahead] -- PROGRAM [ARGS...] | probe | version";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("init") => init::main(),
        Some("exec") => exec::main(&args[1..]),
        Some("probe") => probe::main(&args[1..]),
        Some("version") => {
            let doc = serde_json::json!({
                "version": env!("CARGO_PKG_VERSION"),
                "kernel": setup::Features::detect().json(),
            });
            println!("lasso-guard {}", env!("CARGO_PKG_VERSION"));
            println!("{doc}");
            0
        }
        Some(other) => {
            sys::eprint_line(&format!("lasso-guard: unknown command `{other}`; {USAGE}"));
            exec::EXIT_GUARD
        }
        None => {
            sys::eprint_line(&format!("lasso-guard: {USAGE}"));
            exec::EXIT_GUARD
        }
    };
    std::process::exit(code);
}
