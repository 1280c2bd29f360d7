//! Several processes and threads appending to one log produce one valid chain.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::Arc;

use super::support::{draft, key, lines};
use crate::audit::{AuditLog, Durability, DurabilityPolicy, verify};

const LOG_VAR: &str = "LASSO_AUDIT_TEST_LOG";
const COUNT_VAR: &str = "LASSO_AUDIT_TEST_COUNT";
const PROCESSES: u64 = 4;
const PER_PROCESS: u64 = 500;
const THREADS: u64 = 2;
const PER_THREAD: u64 = 250;

fn buffered() -> DurabilityPolicy {
    DurabilityPolicy::all(Durability::Buffered)
}

/// Run by the parent test in child processes only (it is ignored in normal runs).
#[test]
#[ignore = "child process of concurrent_processes_and_threads_build_one_chain"]
fn concurrent_child_appends() {
    let (Ok(path), Ok(count)) = (std::env::var(LOG_VAR), std::env::var(COUNT_VAR)) else {
        return;
    };
    let count: u64 = count.parse().unwrap();
    let log = AuditLog::open_with(&path, &key(), buffered()).unwrap();
    let actor = format!("proc-{}", std::process::id());
    for i in 0..count {
        let mut d = draft(i);
        d.actor = actor.clone();
        log.append(d).unwrap();
    }
}

#[test]
fn concurrent_processes_and_threads_build_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sb1.jsonl");
    // module_path!() is "<crate>::audit::tests::concurrent"; test names omit the crate.
    let module = module_path!().split_once("::").map_or("", |(_, rest)| rest);
    let child_test = format!("{module}::concurrent_child_appends");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(&exe)
                .args([
                    child_test.as_str(),
                    "--exact",
                    "--ignored",
                    "--test-threads=1",
                    "-q",
                ])
                .env(LOG_VAR, &path)
                .env(COUNT_VAR, PER_PROCESS.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();

    // Meanwhile, threads of this process share one instance, plus a second instance.
    let shared = Arc::new(AuditLog::open_with(&path, &key(), buffered()).unwrap());
    let second = Arc::new(AuditLog::open_with(&path, &key(), buffered()).unwrap());
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let log = if t == 0 {
                Arc::clone(&shared)
            } else {
                Arc::clone(&second)
            };
            s.spawn(move || {
                for i in 0..PER_THREAD {
                    let mut d = draft(i);
                    d.actor = format!("thread-{t}");
                    log.append(d).unwrap();
                }
            });
        }
    });
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "child failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // The child really ran the appending test (not zero tests).
        assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"));
    }

    let total = PROCESSES * PER_PROCESS + THREADS * PER_THREAD;
    let report = verify(&path, &key()).unwrap();
    assert!(report.is_valid(), "{report:?}");
    assert!(report.torn_lines.is_empty());
    assert_eq!((report.entries, report.last_seq), (total, total));
    assert_eq!(lines(&path).len() as u64, total);
    // Every writer's entries are all there (verify already proved seq 1..=total, no repeats).
    let mut per_actor: HashMap<String, u64> = HashMap::new();
    for line in lines(&path) {
        let e: crate::audit::AuditEntry = serde_json::from_slice(&line).unwrap();
        *per_actor.entry(e.actor).or_default() += 1;
    }
    assert_eq!(per_actor.len() as u64, PROCESSES + THREADS, "{per_actor:?}");
    for (actor, n) in per_actor {
        let expected = if actor.starts_with("proc-") {
            PER_PROCESS
        } else {
            PER_THREAD
        };
        assert_eq!(n, expected, "{actor}");
    }
}
