//! Audit log throughput: append without fsync (target ≥ 200,000 entries/s), append with
//! fsync (reported), and streaming verification of a ~50 MB log (target ≥ 300 MB/s).
//!
//! Run: `cargo bench --bench audit`.

// Bench setup failing is a bench bug; panicking with a message is the right report.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lasso::audit::{
    AuditKey, AuditLog, Durability, DurabilityPolicy, EntryDraft, EntryKind, Outcome, verify,
};

/// A typical `command` entry (about 330 bytes on disk).
fn command_entry(i: u64) -> EntryDraft {
    EntryDraft::new(
        EntryKind::Command,
        "cli",
        "exec",
        format!("git -C /workspace log --oneline -n {i}"),
        Outcome::Success,
    )
    .sandbox("3f9a1c2b7d4e")
    .detail("exit_code", 0)
    .detail("duration_ms", 12)
    .detail("rule", "allowed")
}

fn key() -> AuditKey {
    AuditKey::from_bytes([0x42; 32])
}

fn append(c: &mut Criterion) {
    let mut group = c.benchmark_group("audit_append");
    group.throughput(Throughput::Elements(1));

    let dir = tempfile::tempdir().expect("temp dir");
    let buffered = AuditLog::open_with(
        dir.path().join("buffered.jsonl"),
        &key(),
        DurabilityPolicy::all(Durability::Buffered),
    )
    .expect("open log");
    let draft = command_entry(7);
    group.bench_function("buffered", |b| {
        b.iter(|| black_box(buffered.append(draft.clone()).expect("append")))
    });

    let synced = AuditLog::open_with(
        dir.path().join("fsync.jsonl"),
        &key(),
        DurabilityPolicy::all(Durability::Fsync),
    )
    .expect("open log");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("fsync", |b| {
        b.iter(|| black_box(synced.append(draft.clone()).expect("append")))
    });
    group.finish();
}

fn verify_throughput(c: &mut Criterion) {
    const TARGET_BYTES: u64 = 50 << 20;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("big.jsonl");
    let log = AuditLog::open_with(&path, &key(), DurabilityPolicy::all(Durability::Buffered))
        .expect("open log");
    let mut i = 0;
    while std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) < TARGET_BYTES {
        for _ in 0..10_000 {
            log.append(command_entry(i)).expect("append");
            i += 1;
        }
    }
    let len = std::fs::metadata(&path).expect("log metadata").len();
    eprintln!("verify bench log: {i} entries, {:.1} MB", len as f64 / 1e6);

    let mut group = c.benchmark_group("audit_verify");
    group.throughput(Throughput::Bytes(len));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("50MB", |b| {
        b.iter(|| {
            let report = verify(&path, &key()).expect("verify");
            assert!(report.is_valid());
            black_box(report)
        })
    });
    group.finish();
}

criterion_group!(benches, append, verify_throughput);
criterion_main!(benches);
