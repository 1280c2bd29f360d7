//! Latency of the runtime layer against a real engine: one non-TTY exec (`echo hi`, the
//! cost every gated command pays on top of the gate) and a full hardened sandbox lifecycle
//! (create + start + stop + remove). The engine is chosen like the product chooses it
//! (`LASSO_RUNTIME`, `DOCKER_HOST`, `CONTAINER_HOST`); without one the bench prints
//! `SKIPPED` and measures nothing.
//!
//! `DOCKER_HOST=unix:///tmp/docker.sock LASSO_RUNTIME=docker cargo bench --bench runtime_engine`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use lasso::runtime::*;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let engine = match rt.block_on(async { Engine::connect(&ConnectOptions::from_env()?).await }) {
        Ok(e) => e,
        Err(err) => {
            eprintln!("SKIPPED: no container engine reachable ({err})");
            return;
        }
    };
    rt.block_on(bootstrap_busybox(&engine, BASE_IMAGE, |_| {}))
        .unwrap();
    let ws = tempfile::tempdir().unwrap();
    std::os::unix::fs::chown(ws.path(), Some(SANDBOX_UID), Some(SANDBOX_GID)).unwrap();
    let kind = engine.kind();
    let name = format!("lasso-bench-{}", std::process::id());
    let spec = SandboxSpec::new(&name, BASE_IMAGE, ws.path());
    let id = rt.block_on(engine.launch_sandbox(&spec)).unwrap();

    let mut g = c.benchmark_group(format!("runtime/{kind}"));
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    let req = ExecRequest::new(["echo", "hi"]);
    g.bench_function("exec_echo", |b| {
        b.iter(|| {
            let out = rt.block_on(engine.exec(&id, &req)).unwrap();
            assert_eq!(out.stdout, b"hi\n");
        })
    });
    let mut n = 0u32;
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("create_start_stop_remove", |b| {
        b.iter(|| {
            n += 1;
            let s = SandboxSpec::new(format!("{name}-{n}"), BASE_IMAGE, ws.path());
            let id = rt.block_on(engine.launch_sandbox(&s)).unwrap();
            rt.block_on(engine.stop_and_remove(&id)).unwrap();
        })
    });
    g.finish();
    rt.block_on(engine.stop_and_remove(&id)).unwrap();
}

criterion_group!(benches, bench);
criterion_main!(benches);
