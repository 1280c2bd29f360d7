//! Behaviour tests for the whole gate: the everyday commands that must keep working, the
//! bypasses that must not, one table per rule, and property tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cases;
mod exec;
mod props;
mod rules;

use super::{BlockedArgRule, ExecPlan, Gate, GatePolicy, ListMode, ModeRestriction, Rule, Verdict};

pub(super) fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

pub(super) const DEV_PROGRAMS: &[&str] = &[
    "ls", "cat", "head", "tail", "grep", "find", "sed", "awk", "echo", "python3", "node", "perl",
    "git", "npm", "cargo", "make", "tar", "curl", "wget", "pip", "wc", "sort", "sh", "bash", "env",
    "xargs", "timeout", "nice", "nohup", "time", "setsid", "stdbuf", "busybox", "cd", "mkdir",
    "touch", "cp", "mv", "diff", "tee", "printf", "true", "export", "pip3", "eval", "[",
];

pub(super) const OPEN_BLACKLIST: &[&str] = &[
    "rm", "dd", "mkfs", "mount", "umount", "chroot", "nsenter", "unshare", "insmod", "modprobe",
    "reboot", "shutdown", "sudo", "su", "doas", "docker", "podman", "kubectl", "iptables", "nft",
    "nc", "ncat", "netcat", "socat",
];

pub(super) fn base_policy(list_mode: ListMode, programs: &[&str]) -> GatePolicy {
    GatePolicy {
        list_mode,
        programs: strings(programs),
        blocked_args: [
            ("git", "push --force"),
            ("git", "push --force-with-lease"),
            ("git", "push --force-if-includes"),
            ("git", "push +refspec"),
            ("git", "config --global"),
            ("git", "remote add"),
            ("git", "remote set-url"),
            ("pip", "install --user"),
        ]
        .iter()
        .map(|(p, pat)| BlockedArgRule {
            program: (*p).to_owned(),
            pattern: (*pat).to_owned(),
        })
        .collect(),
        allow_shell_operators: true,
        allow_code_eval: false,
        mode: None,
        workspace: "/workspace".into(),
        home: "/home/agent".into(),
        writable_paths: strings(&["/tmp"]),
        hidden_paths: strings(&[
            "/etc/shadow",
            "/etc/gshadow",
            "/etc/sudoers",
            "/root",
            "/proc/*/environ",
            "/var/run/docker.sock",
            "/run/docker.sock",
            "~/.ssh",
            "/workspace/.env",
        ]),
    }
}

/// A development-like whitelist with shell operators on and code evaluation off.
pub(super) fn dev() -> Gate {
    Gate::new(base_policy(ListMode::Whitelist, DEV_PROGRAMS)).unwrap()
}

/// The same whitelist with shell operators off.
pub(super) fn strict() -> Gate {
    let mut p = base_policy(ListMode::Whitelist, DEV_PROGRAMS);
    p.allow_shell_operators = false;
    Gate::new(p).unwrap()
}

/// An open-like blacklist with shell operators and code evaluation on.
pub(super) fn open() -> Gate {
    let mut p = base_policy(ListMode::Blacklist, OPEN_BLACKLIST);
    p.allow_code_eval = true;
    Gate::new(p).unwrap()
}

pub(super) fn with_mode(programs: &[&str]) -> Gate {
    let mut p = base_policy(ListMode::Whitelist, DEV_PROGRAMS);
    p.mode = Some(ModeRestriction {
        name: "observe".into(),
        programs: strings(programs),
    });
    Gate::new(p).unwrap()
}

#[track_caller]
pub(super) fn allowed(gate: &Gate, cmd: &str) -> Verdict {
    let v = gate.check(cmd);
    assert!(
        v.decision.allowed,
        "expected `{cmd}` to be allowed, got {:?}: {}",
        v.decision.rule, v.decision.reason
    );
    assert_eq!(v.decision.rule, Rule::Allowed);
    assert!(v.plan.is_some());
    v
}

#[track_caller]
pub(super) fn blocked(gate: &Gate, cmd: &str, rule: Rule) -> Verdict {
    let v = gate.check(cmd);
    assert!(
        !v.decision.allowed,
        "expected `{cmd}` to be blocked by {rule:?}, but it was allowed"
    );
    assert_eq!(
        v.decision.rule, rule,
        "`{cmd}` was blocked by the wrong rule: {}",
        v.decision.reason
    );
    assert!(v.plan.is_none());
    assert!(!v.decision.reason.is_empty());
    v
}

#[test]
fn plans() {
    let g = dev();
    assert_eq!(
        allowed(&g, "python3 -m pytest -q").plan,
        Some(ExecPlan::Argv(strings(&["python3", "-m", "pytest", "-q"])))
    );
    assert_eq!(
        allowed(&g, "git commit -m 'a; b'").plan,
        Some(ExecPlan::Argv(strings(&["git", "commit", "-m", "a; b"])))
    );
    for cmd in [
        "ls -la | head -5",
        "echo hi > out.txt",
        "FOO=1 npm test",
        "ls *.py",
        "ls ~/x",
        "cd src",
        "cat ./src/main.rs 2>/dev/null",
    ] {
        assert_eq!(
            allowed(&g, cmd).plan,
            Some(ExecPlan::Shell(cmd.to_owned())),
            "{cmd}"
        );
    }
    assert_eq!(
        allowed(&g, "find . -name '*.py'").plan,
        Some(ExecPlan::Argv(strings(&["find", ".", "-name", "*.py"]))),
        "a quoted glob is a literal argument"
    );
    assert_eq!(
        allowed(&g, "ls # trailing comment").plan,
        Some(ExecPlan::Argv(strings(&["ls"])))
    );
}

#[test]
fn allowed_reasons_count_stages() {
    let g = dev();
    let v = allowed(&g, "ls -la | head -5 && echo done");
    assert!(
        v.decision.reason.contains("3 stages"),
        "{}",
        v.decision.reason
    );
    assert_eq!(v.decision.program.as_deref(), Some("ls"));
    let v = allowed(&g, "sh -c 'ls | wc -l'");
    assert!(
        v.decision.reason.contains("3 stages"),
        "{}",
        v.decision.reason
    );
    let v = allowed(&g, "ls");
    assert!(
        v.decision.reason.contains("1 stage "),
        "{}",
        v.decision.reason
    );
}

#[test]
fn config_errors_name_the_value() {
    let mut p = base_policy(ListMode::Whitelist, &["ls"]);
    p.workspace = "workspace".into();
    let e = Gate::new(p).unwrap_err();
    assert!(e.to_string().contains("`workspace`"), "{e}");
    let mut p = base_policy(ListMode::Whitelist, &["ls"]);
    p.blocked_args.push(BlockedArgRule {
        program: "git".into(),
        pattern: "push; rm".into(),
    });
    let e = Gate::new(p).unwrap_err().to_string();
    assert!(e.contains("git") && e.contains("push; rm"), "{e}");
    let mut p = base_policy(ListMode::Whitelist, &["ls"]);
    p.blocked_args.push(BlockedArgRule {
        program: "git".into(),
        pattern: "".into(),
    });
    assert!(Gate::new(p).is_err());
    let mut p = base_policy(ListMode::Whitelist, &["/bin/ls"]);
    p.hidden_paths.clear();
    let e = Gate::new(p).unwrap_err().to_string();
    assert!(e.contains("/bin/ls"), "{e}");
    let mut p = base_policy(ListMode::Whitelist, &["ls"]);
    p.hidden_paths.push("etc/shadow".into());
    assert!(Gate::new(p).unwrap_err().to_string().contains("etc/shadow"));
    let mut p = base_policy(ListMode::Whitelist, &["ls"]);
    p.writable_paths.push("tmp".into());
    assert!(Gate::new(p).unwrap_err().to_string().contains("`tmp`"));
    let mut p = base_policy(ListMode::Whitelist, &["ls"]);
    p.home = "~".into();
    assert!(Gate::new(p).is_err());
}

#[test]
fn policy_is_kept() {
    let p = base_policy(ListMode::Whitelist, DEV_PROGRAMS);
    let g = Gate::new(p.clone()).unwrap();
    assert_eq!(g.policy(), &p);
}

#[test]
fn gate_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Gate>();
    let g = std::sync::Arc::new(dev());
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let g = g.clone();
            std::thread::spawn(move || g.check("ls -la | head -5").decision.allowed)
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap());
    }
}

/// Inputs the fuzzer found crashes with (fixed); kept so they stay fixed.
#[test]
fn fuzz_regressions() {
    let cases: &[&[u8]] = &[
        // A slice of a non-ASCII variable name at a byte offset (npm_config_ check).
        &[
            101, 110, 118, 9, 255, 255, 255, 255, 255, 255, 255, 255, 255, 61, 61, 61, 255, 255,
            255, 255, 102, 105, 110, 100, 249, 255, 255, 255, 255, 255, 255, 44, 239, 191, 189,
            184, 122,
        ],
        // Unbounded recursion through a working directory under `/proc/*/cwd`.
        &[
            97, 159, 159, 159, 159, 159, 124, 99, 100, 32, 90, 65, 159, 159, 159, 159, 159, 159,
            159, 124, 99, 159, 159, 159, 159, 159, 124, 99, 100, 32, 90, 65, 159, 159, 159, 159,
            159, 124, 99, 100, 159, 159, 124, 99, 100, 32, 90, 65, 159, 159, 159, 159, 159, 124,
            99, 100, 32, 90, 159, 159, 159, 124, 99, 100, 62, 119, 107, 9, 9, 39, 47, 112, 114,
            111, 99, 47, 47, 92, 43, 210, 42, 92, 42, 62, 248, 58, 32, 103, 47, 62, 119, 107, 9,
            39, 43, 92, 42, 92, 39, 147, 47, 42, 112, 114, 111, 99, 47, 147, 37,
        ],
        b"cd /proc/self/cwd && cat /proc/self/cwd/x && cd /proc/*/cwd/a && ls /proc/*/cwd/b",
    ];
    for bytes in cases {
        let s = String::from_utf8_lossy(bytes);
        for g in [dev(), open(), strict()] {
            let v = g.check(&s);
            assert_eq!(v.plan.is_some(), v.decision.allowed);
        }
    }
}
