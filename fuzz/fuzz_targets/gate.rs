//! Fuzzes the command gate with arbitrary input under three policies (a development
//! whitelist with code evaluation off, the same with shell operators off, and an open
//! blacklist with code evaluation on). Every input must get a decision without panicking, and
//! a decision must be consistent: a plan exactly when allowed, and a non-empty reason. The same
//! bytes split at NUL are also decided as an argv the in-sandbox guard intercepted (the first
//! part is the working directory), which must likewise never panic.
#![no_main]

use std::sync::OnceLock;

use lasso::policy::{BlockedArgRule, Gate, GatePolicy, ListMode};
use libfuzzer_sys::fuzz_target;

fn names(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

fn policy(list_mode: ListMode, programs: &str, operators: bool, code_eval: bool) -> GatePolicy {
    GatePolicy {
        list_mode,
        programs: names(programs),
        blocked_args: [
            ("git", "push --force"),
            ("git", "push +refspec"),
            ("git", "remote add"),
            ("pip", "install --user"),
            ("find", "-delete"),
        ]
        .iter()
        .map(|(p, pat)| BlockedArgRule {
            program: (*p).to_owned(),
            pattern: (*pat).to_owned(),
        })
        .collect(),
        allow_shell_operators: operators,
        allow_code_eval: code_eval,
        mode: None,
        workspace: "/workspace".into(),
        home: "/home/agent".into(),
        writable_paths: names("/tmp"),
        hidden_paths: names("/etc/shadow /proc/*/environ ~/.ssh /root /workspace/.env"),
    }
}

fn gates() -> Vec<Gate> {
    const DEV: &str = "ls cat head grep find sed awk echo python3 node perl git npm cargo make \
                       tar curl pip sh bash env xargs timeout nice busybox cd tee eval sudo";
    const OPEN: &str = "rm dd mkfs mount chroot nsenter unshare sudo su doas docker nc socat";
    [
        policy(ListMode::Whitelist, DEV, true, false),
        policy(ListMode::Whitelist, DEV, false, false),
        policy(ListMode::Blacklist, OPEN, true, true),
    ]
    .into_iter()
    .map(|p| Gate::new(p).expect("fuzz policies are valid"))
    .collect()
}

static GATES: OnceLock<Vec<Gate>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let command = String::from_utf8_lossy(data);
    for gate in GATES.get_or_init(gates) {
        let verdict = gate.check(&command);
        assert_eq!(verdict.plan.is_some(), verdict.decision.allowed);
        assert!(!verdict.decision.reason.is_empty());
        let mut parts = command.split('\0').map(str::to_owned);
        let cwd = parts.next().unwrap_or_default();
        let argv: Vec<String> = parts.collect();
        let d = gate.check_exec_in(&argv, &cwd);
        assert!(!d.reason.is_empty());
        assert!(!argv.is_empty() || !d.allowed);
    }
});
