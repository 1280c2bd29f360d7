//! The REST API through a real listener on loopback against a real engine, driven by the
//! SDK's remote client (and raw HTTP for the event stream and metrics): create, exec allowed
//! and blocked (403), audit, stop; the SSE stream delivers the violation and the metrics count
//! it. Each test has its own LASSO_HOME; no engine → a loud skip (or a failure with
//! LASSO_REQUIRE_ENGINE=1).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::Lasso;
use lasso::api::{ApiState, ServeOptions, Server};
use lasso::config::{LassoHome, Settings};
use lasso::runtime::ConnectOptions;
use lasso::sandbox::{ExecOutcome, SandboxService, ServiceOptions};
use lasso::sdk::{CreateOptions, LassoClient, SdkError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Running {
    addr: std::net::SocketAddr,
    key: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

async fn start(l: &Lasso) -> Running {
    start_with(l, Settings::default()).await
}

async fn start_with(l: &Lasso, settings: Settings) -> Running {
    let home = LassoHome::at(l.home_path()).unwrap();
    let svc = Arc::new(SandboxService::new(ServiceOptions {
        home,
        settings,
        connect: ConnectOptions::from_env().unwrap(),
    }));
    let (key, _) = svc.create_api_key("it", "test").unwrap();
    let opts = ServeOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        force_insecure: false,
    };
    let server = Server::bind(ApiState::new(svc), &opts).await.unwrap();
    let addr = server.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    Running {
        addr,
        key,
        stop: Some(tx),
    }
}

/// One raw HTTP/1.1 GET; returns the head and body text (reads until close).
async fn raw_get(r: &Running, path: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(r.addr).await.unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nhost: {}\r\nx-api-key: {}\r\nconnection: close\r\n\r\n",
        r.addr, r.key
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs an async test body on a fresh multi-thread runtime (the engine check in
/// `Lasso::with_engine` starts its own runtime, so the test itself cannot be `#[tokio::test]`).
fn run<F: std::future::Future<Output = ()>>(f: F) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(f);
}

#[test]
fn sandbox_lifecycle_over_http_with_events_audit_and_metrics() {
    let Some(l) = Lasso::with_engine("sandbox_lifecycle_over_http_with_events_audit_and_metrics")
    else {
        return;
    };
    run(lifecycle(&l));
}

async fn lifecycle(l: &Lasso) {
    let server = start(l).await;
    let client = LassoClient::remote(&format!("http://{}", server.addr), &server.key).unwrap();

    // Subscribe to the event stream before anything happens.
    let mut events = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let req = format!(
        "GET /api/v1/events HTTP/1.1\r\nhost: x\r\nx-api-key: {}\r\n\r\n",
        server.key
    );
    events.write_all(req.as_bytes()).await.unwrap();

    let info = client
        .create(CreateOptions::new("minimal", l.work_path()).name("api"))
        .await
        .unwrap();
    assert_eq!(info.state, "running");
    assert_eq!(info.name, "api");

    std::fs::write(l.work_path().join("hello.txt"), "hello over http\n").unwrap();
    match client.exec("api", "cat hello.txt").await.unwrap() {
        ExecOutcome::Ran(r) => {
            assert_eq!((r.exit_code, r.stdout.as_str()), (0, "hello over http\n"));
        }
        other => panic!("{other:?}"),
    }
    match client.exec("api", "rm -rf /workspace").await.unwrap() {
        ExecOutcome::Blocked(d) => assert!(!d.allowed, "{d:?}"),
        other => panic!("expected a block, got {other:?}"),
    }
    // The raw answer to a blocked exec: 403, the decision and the error shape.
    let a = raw_post(
        &server,
        &format!("/api/v1/sandboxes/{}/exec", info.id),
        r#"{"command":"rm -rf /workspace"}"#,
    )
    .await;
    assert!(a.starts_with("HTTP/1.1 403"), "{a}");
    assert!(
        a.contains("\"code\":\"blocked\"") && a.contains("\"allowed\":false"),
        "{a}"
    );

    // The stream delivered the violation.
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !seen.contains("event: violation") {
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout_at(deadline, events.read(&mut buf))
            .await
            .expect("no violation event within 10 s")
            .unwrap();
        assert!(n > 0, "event stream closed: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(seen.contains("text/event-stream"), "{seen}");
    assert!(seen.contains("rm -rf /workspace"), "{seen}");

    // The list has it, with totals.
    let list = client.list().await.unwrap();
    assert_eq!(
        list.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["api"]
    );
    let page = raw_get(&server, "/api/v1/sandboxes?per_page=1").await;
    assert!(
        page.contains("\"total\":1") && page.contains("\"total_pages\":1"),
        "{page}"
    );

    // The sandbox's audit log records both, with the key's name.
    let audit = raw_get(
        &server,
        &format!("/api/v1/sandboxes/{}/audit?type=violation,command", info.id),
    )
    .await;
    assert!(audit.starts_with("HTTP/1.1 200"), "{audit}");
    assert!(audit.contains("\"actor\":\"api:it\""), "{audit}");
    assert!(
        audit.contains("cat hello.txt") && audit.contains("rm -rf /workspace"),
        "{audit}"
    );

    // Metrics count the exec, the two blocks and the HTTP calls.
    let metrics = raw_get(&server, "/api/v1/metrics").await;
    for line in [
        "lasso_execs_total{profile=\"minimal\"} 3",
        "lasso_execs_blocked_total{profile=\"minimal\"} 2",
        "lasso_exec_duration_seconds_count 1",
        "lasso_sandboxes{state=\"running\"} 1",
        "lasso_engine_up 1",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "missing {line:?} in\n{metrics}"
        );
    }
    assert!(
        metrics.contains("route=\"/api/v1/sandboxes/{id}/exec\",status=\"403\"} 2"),
        "{metrics}"
    );

    let stopped = client.stop("api").await.unwrap();
    assert_eq!(stopped.id, info.id);
    assert!(client.list().await.unwrap().is_empty());
    match client.exec("api", "ls").await {
        Err(SdkError::Api {
            status: 404, code, ..
        }) => assert_eq!(code, "sandbox_not_found"),
        other => panic!("{other:?}"),
    }
    // The log outlives the sandbox and verifies.
    let audit = raw_get(
        &server,
        &format!("/api/v1/sandboxes/{}/audit?type=lifecycle", &info.id[..12]),
    )
    .await;
    assert!(audit.contains("\"action\":\"stop\""), "{audit}");
    let v = raw_post(&server, "/api/v1/audit/verify", "{}").await;
    assert!(v.contains("\"valid\":true"), "{v}");
}

#[test]
fn scoped_sandboxes_are_stopped_and_shutdown_stops_the_rest() {
    let Some(l) = Lasso::with_engine("scoped_sandboxes_are_stopped_and_shutdown_stops_the_rest")
    else {
        return;
    };
    run(scoped(&l));
}

async fn scoped(l: &Lasso) {
    let server = start(l).await;
    let client = LassoClient::remote(&format!("http://{}", server.addr), &server.key).unwrap();
    let out = client
        .sandbox(
            CreateOptions::new("minimal", l.work_path()).name("scoped"),
            |sb| async move {
                match sb.exec("echo scoped").await? {
                    ExecOutcome::Ran(r) => Ok(r.stdout),
                    ExecOutcome::Blocked(d) => Ok(format!("blocked: {}", d.reason)),
                }
            },
        )
        .await
        .unwrap();
    assert_eq!(out, "scoped\n");
    assert!(
        client.list().await.unwrap().is_empty(),
        "the scope stopped it"
    );

    // An error inside the scope still stops the sandbox, and the error comes back.
    let err = client
        .sandbox(
            CreateOptions::new("minimal", l.work_path()).name("failing"),
            |_sb| async { Err::<(), _>(SdkError::Decode("the caller's own failure".into())) },
        )
        .await
        .err()
        .map(|e| e.to_string());
    assert!(err.is_some_and(|e| e.contains("the caller's own failure")));
    assert!(client.list().await.unwrap().is_empty());

    // Local mode, same operations: shutdown stops what this client created.
    let local = LassoClient::with_service(Arc::new(SandboxService::new(ServiceOptions {
        home: LassoHome::at(l.home_path()).unwrap(),
        settings: Settings::default(),
        connect: ConnectOptions::from_env().unwrap(),
    })));
    local
        .create(CreateOptions::new("minimal", l.work_path()).name("a"))
        .await
        .unwrap();
    local
        .create(CreateOptions::new("minimal", l.work_path()).name("b"))
        .await
        .unwrap();
    // Another service's creates reach the server's list within its list cache's lifetime.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while client.list().await.unwrap().len() != 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "remote never saw local's sandboxes"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(local.shutdown().await.unwrap(), 2);
    assert!(local.list().await.unwrap().is_empty());
}

#[test]
fn the_servers_own_create_and_stop_show_in_the_next_list_even_with_the_longest_cache() {
    let Some(l) = Lasso::with_engine(
        "the_servers_own_create_and_stop_show_in_the_next_list_even_with_the_longest_cache",
    ) else {
        return;
    };
    run(own_changes(&l));
}

async fn own_changes(l: &Lasso) {
    let settings = Settings {
        list_cache_ms: lasso::config::MAX_LIST_CACHE_MS,
        ..Settings::default()
    };
    let server = start_with(l, settings).await;
    let client = LassoClient::remote(&format!("http://{}", server.addr), &server.key).unwrap();
    let names = |list: Vec<lasso::sandbox::SandboxInfo>| {
        list.into_iter().map(|s| s.name).collect::<Vec<_>>()
    };
    // An empty answer is now cached for 10 s.
    assert!(client.list().await.unwrap().is_empty());
    assert!(client.list().await.unwrap().is_empty());
    client
        .create(CreateOptions::new("minimal", l.work_path()).name("fresh1"))
        .await
        .unwrap();
    assert_eq!(names(client.list().await.unwrap()), ["fresh1"]);
    let one = raw_get(&server, "/api/v1/sandboxes/fresh1").await;
    assert!(one.starts_with("HTTP/1.1 200"), "{one}");
    client
        .create(CreateOptions::new("minimal", l.work_path()).name("fresh2"))
        .await
        .unwrap();
    assert_eq!(names(client.list().await.unwrap()), ["fresh1", "fresh2"]);
    client.stop("fresh1").await.unwrap();
    assert_eq!(names(client.list().await.unwrap()), ["fresh2"]);
    let del = raw_delete(&server, "/api/v1/sandboxes/fresh2").await;
    assert!(del.starts_with("HTTP/1.1 200"), "{del}");
    assert!(client.list().await.unwrap().is_empty());
}

async fn raw_delete(r: &Running, path: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(r.addr).await.unwrap();
    let req = format!(
        "DELETE {path} HTTP/1.1\r\nhost: x\r\nx-api-key: {}\r\nconnection: close\r\n\r\n",
        r.key
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

async fn raw_post(r: &Running, path: &str, body: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(r.addr).await.unwrap();
    let req = format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\nx-api-key: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        r.key,
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}
