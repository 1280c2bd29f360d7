//! Throughput of the command gate on a fixed mix of realistic commands.
//!
//! Twenty commands — everyday development commands that are allowed and typical bypass
//! attempts that are blocked — checked under a development-like whitelist and an open-like
//! blacklist profile. The target is at least 1,000,000 checks per second on one core; the
//! `checks/s` figure is criterion's element throughput for each group.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lasso::policy::{BlockedArgRule, Gate, GatePolicy, ListMode};
use std::hint::black_box;

const MIX: &[&str] = &[
    "python3 -m pytest -q",
    "git commit -m 'fix: handle empty input; add test'",
    "git push origin main",
    "git log --oneline -5",
    "grep -rn 'a|b' src",
    "npm run build",
    "cargo build --release",
    "ls -la | head -5",
    "find . -name '*.py' -type f",
    "sed -n '1,5p' src/main.rs",
    "curl -sSL https://pypi.org/simple/ -o /tmp/x",
    "cd src && ls",
    "sh -c 'rm -rf /'",
    "python3 -c 'import os'",
    "git push -fu origin main",
    "cat ../../etc/passwd",
    "cat /proc/self/environ",
    "echo $(id)",
    "find . -exec rm {} \\;",
    "env -i FOO=1 nsenter -t 1",
];

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn policy(list_mode: ListMode, programs: &[&str], code_eval: bool) -> GatePolicy {
    GatePolicy {
        list_mode,
        programs: strings(programs),
        blocked_args: [
            ("git", "push --force"),
            ("git", "push --force-with-lease"),
            ("git", "push +refspec"),
            ("git", "config --global"),
            ("git", "remote add"),
            ("pip", "install --user"),
        ]
        .iter()
        .map(|(p, pat)| BlockedArgRule {
            program: (*p).to_owned(),
            pattern: (*pat).to_owned(),
        })
        .collect(),
        allow_shell_operators: true,
        allow_code_eval: code_eval,
        mode: None,
        workspace: "/workspace".into(),
        home: "/home/agent".into(),
        writable_paths: strings(&["/tmp"]),
        hidden_paths: strings(&[
            "/etc/shadow",
            "/etc/sudoers",
            "/root",
            "/proc/*/environ",
            "/var/run/docker.sock",
            "/run/docker.sock",
            "~/.ssh",
        ]),
    }
}

fn bench(c: &mut Criterion) {
    let dev = Gate::new(policy(
        ListMode::Whitelist,
        &[
            "ls", "cat", "head", "tail", "grep", "find", "sed", "awk", "echo", "python3", "git",
            "npm", "cargo", "make", "tar", "curl", "pip", "wc", "sort", "sh", "bash", "env",
            "xargs", "timeout", "nice", "cd", "mkdir", "touch", "cp", "mv", "diff",
        ],
        false,
    ));
    let open = Gate::new(policy(
        ListMode::Blacklist,
        &[
            "rm", "dd", "mkfs", "mount", "umount", "chroot", "nsenter", "unshare", "insmod",
            "modprobe", "reboot", "shutdown", "sudo", "su", "doas", "docker", "podman", "kubectl",
            "iptables", "nft", "nc", "ncat", "netcat", "socat",
        ],
        true,
    ));
    let (Ok(dev), Ok(open)) = (dev, open) else {
        eprintln!("bench policies failed to compile");
        return;
    };
    for (name, gate) in [("development", &dev), ("open", &open)] {
        let mut group = c.benchmark_group(format!("gate/{name}"));
        group.throughput(Throughput::Elements(MIX.len() as u64));
        group.bench_function("mix", |b| {
            b.iter(|| {
                for cmd in MIX {
                    black_box(gate.check(black_box(cmd)));
                }
            });
        });
        group.finish();
    }
    // What the in-sandbox guard asks for each exec it intercepts.
    let execs: Vec<Vec<String>> = [
        &["ls", "-la"][..],
        &["git", "status", "--short"],
        &["grep", "-rn", "TODO", "src"],
        &["python3", "-m", "pytest", "-q"],
        &["sh", "-c", "for f in *; do echo \"$f\"; done"],
        &["rm", "-rf", "build"],
    ]
    .iter()
    .map(|a| a.iter().map(|s| (*s).to_string()).collect())
    .collect();
    let mut group = c.benchmark_group("gate/exec");
    group.throughput(Throughput::Elements(execs.len() as u64));
    group.bench_function("development", |b| {
        b.iter(|| {
            for argv in &execs {
                black_box(dev.check_exec_in(black_box(argv), "/workspace/src"));
            }
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
