//! Live sandboxes against a real engine (LASSO_RUNTIME picks Docker or Podman): sandboxes
//! created and stopped by another lasso process (the CLI) reach the service's engine watch
//! and the real TUI without a manual refresh, and CPU/memory figures are real samples.
//!
//! No timing assertions: every wait polls up to 60 s, which only bounds a broken build.
//! Each test has its own LASSO_HOME; `Lasso`'s drop stops its sandboxes, the PTY's drop
//! kills the TUI (declared after `Lasso`, so it goes first).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::pty::{Pty, WAIT};
use common::{Lasso, assert_ok};
use lasso::config::{LassoHome, Settings};
use lasso::runtime::ConnectOptions;
use lasso::sandbox::{LiveEvent, SandboxService, ServiceOptions};
use tokio::sync::mpsc;

fn service(l: &Lasso) -> Arc<SandboxService> {
    Arc::new(SandboxService::new(ServiceOptions {
        home: LassoHome::at(l.home_path()).unwrap(),
        settings: Settings::default(),
        connect: ConnectOptions::from_env().unwrap(),
    }))
}

/// Runs the CLI off the async runtime (it blocks).
async fn cli(l: &Arc<Lasso>, args: &[&str]) -> serde_json::Value {
    let (l, args) = (
        l.clone(),
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    );
    tokio::task::spawn_blocking(move || {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let (out, v) = l.json(&a);
        assert_ok(&a, &out);
        v
    })
    .await
    .unwrap()
}

/// The next event matching `want`, skipping others; panics after 60 s.
async fn wait_for(
    rx: &mut mpsc::Receiver<LiveEvent>,
    what: &str,
    want: impl Fn(&LiveEvent) -> bool,
) -> LiveEvent {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(ev)) if want(&ev) => return ev,
            Ok(Some(ev)) => seen.push(ev),
            Ok(None) => panic!("the watch ended while waiting for {what}; saw {seen:?}"),
            Err(_) => panic!("no {what} within 60 s; saw {seen:?}"),
        }
    }
}

fn changed(ev: &LiveEvent, id: &str, actions: &[&str]) -> bool {
    matches!(ev, LiveEvent::Changed { sandbox_id: Some(s), action, .. }
        if s == id && actions.contains(&action.as_str()))
}

#[test]
fn the_engine_watch_sees_another_process_create_and_stop_and_stats_are_real() {
    // The engine check runs its own runtime, so it comes before this test's.
    let Some(l) = Lasso::with_engine(
        "the_engine_watch_sees_another_process_create_and_stop_and_stats_are_real",
    ) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(watch_and_sample(Arc::new(l)));
}

async fn watch_and_sample(l: Arc<Lasso>) {
    let svc = service(&l);
    let mut rx = svc.watch_sandboxes().await.unwrap();
    wait_for(&mut rx, "the stream to open", |e| {
        matches!(e, LiveEvent::Connected)
    })
    .await;

    let dir = l.work_path().to_str().unwrap().to_string();
    let info = cli(
        &l,
        &[
            "create", "minimal", "--dir", &dir, "--name", "watched", "--json",
        ],
    )
    .await;
    let id = info["id"].as_str().unwrap().to_string();
    wait_for(&mut rx, "the create/start of the CLI's sandbox", |e| {
        changed(e, &id, &["create", "start"])
    })
    .await;

    // Two samples give a CPU figure; memory is what the container holds (non-zero).
    let listed = svc.get(&id).await.unwrap();
    let first = svc.sample_stats(&listed).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = svc.sample_stats(&listed).await.unwrap();
    assert!(second.memory_bytes > 0, "{second:?}");
    assert!(
        second.memory_limit_bytes >= second.memory_bytes,
        "{second:?}"
    );
    let cpu = second.cpu_percent_since(&first);
    assert!(
        cpu.is_some_and(|c| c.is_finite() && c >= 0.0),
        "{first:?} {second:?}"
    );
    assert!(second.online_cpus >= 1);

    cli(&l, &["stop", "watched", "--json"]).await;
    wait_for(&mut rx, "the removal of the CLI's sandbox", |e| {
        changed(e, &id, &["destroy"])
    })
    .await;

    // Another home's sandboxes are not this watch's business: nothing of ours is running,
    // and a sample of a removed sandbox is an error, not a number.
    assert!(svc.sample_stats(&listed).await.is_err());
}

/// Polls `check` until it holds; panics after 60 s (a broken build, never a slow one).
fn eventually(check: impl Fn() -> bool, what: &str, context: impl Fn() -> String) {
    let deadline = std::time::Instant::now() + WAIT;
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "waited 60 s for {what}\n{}",
            context()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Parses a CPU cell (`0.3%`, `150%`) and a memory cell (`812K`, `3.4M`, `900B`).
fn has_stats(line: &str) -> bool {
    let cpu = line.split_whitespace().any(|t| {
        t.strip_suffix('%')
            .is_some_and(|n| n.parse::<f64>().is_ok())
    });
    let mem = line.split_whitespace().any(|t| {
        ["B", "K", "M", "G"].iter().any(|u| {
            t.strip_suffix(u)
                .is_some_and(|n| !n.is_empty() && n.parse::<f64>().is_ok())
        })
    });
    cpu && mem
}

#[test]
fn has_stats_reads_the_cells() {
    assert!(has_stats("▶ live-one running 0 0.3% 812K 5s minimal"));
    assert!(!has_stats("▶ live-one running 0 · · 5s minimal"));
    assert!(!has_stats("▶ live-one running 0 0.3% · 5s minimal"));
}

#[test]
fn the_tui_shows_another_process_sandboxes_live_with_cpu_and_memory() {
    let Some(l) =
        Lasso::with_engine("the_tui_shows_another_process_sandboxes_live_with_cpu_and_memory")
    else {
        return;
    };
    let mut tui = Pty::lasso(&l, &["tui"], 160, 40);
    tui.wait_screen("No sandboxes yet", WAIT);
    // Only the sandboxes pane on screen (the audit pane would name the sandbox too).
    tui.send("z");

    let dir = l.work_path().to_str().unwrap().to_string();
    let args = [
        "create", "minimal", "--dir", &dir, "--name", "live-one", "--json",
    ];
    let (out, info) = l.json(&args);
    assert_ok(&args, &out);
    let id = info["id"].as_str().unwrap().to_string();
    // No key is pressed: the TUI learns about it by itself.
    tui.wait_screen("live-one", WAIT);
    // From the engine's event stream, not only the 30 s safety refresh: the TUI's log
    // records the events it re-listed on.
    let log_path = l.home_path().join("tui.log");
    let logged = |what: &str| {
        std::fs::read_to_string(&log_path)
            .unwrap_or_default()
            .lines()
            .any(|line| line.contains(&format!("engine event: {what} {id}")))
    };
    let log_text = || std::fs::read_to_string(&log_path).unwrap_or_default();
    eventually(
        || logged("create") || logged("start"),
        &format!("an engine event for {id} in tui.log"),
        log_text,
    );
    tui.wait_screen_for(
        |s| {
            s.lines()
                .any(|line| line.contains("live-one") && has_stats(line))
        },
        "live-one with CPU and memory figures",
        WAIT,
    );

    assert_ok(&["stop"], &l.run(&["stop", "live-one"]));
    tui.wait_screen_for(
        |s| !s.contains("live-one"),
        "live-one gone from the list",
        WAIT,
    );
    tui.wait_screen("No sandboxes yet", WAIT);
    eventually(
        || logged("destroy"),
        "the destroy event in tui.log",
        log_text,
    );
    tui.send("q");
    assert_eq!(tui.wait(WAIT), 0);
}
