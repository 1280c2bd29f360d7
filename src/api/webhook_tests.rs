//! Webhook delivery against a loopback receiver started by each test (never any other
//! address): real bus events, signatures, retries, the bounded queue and `/webhooks/test`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use tokio::sync::mpsc;
use tower::ServiceExt;

use super::webhooks::{Webhooks, signature};
use super::*;
use crate::config::{LassoHome, Settings, WebhookConfig};
use crate::policy::Rule;
use crate::runtime::{ConnectOptions, EngineKind};
use crate::sandbox::{Event, EventBus, ServiceOptions};

const SECRET: &str = "a-test-secret-of-some-length";

/// One request the receiver saw.
#[derive(Debug)]
struct Received {
    headers: HeaderMap,
    body: String,
}

/// A loopback receiver answering `statuses` in turn (then 200), or never answering when
/// `hang` is set. Returns its port and the requests it saw.
async fn receiver(statuses: Vec<u16>, hang: bool) -> (u16, mpsc::UnboundedReceiver<Received>) {
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => panic!("{e}"),
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let (tx, rx) = mpsc::unbounded_channel();
    let n = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new().fallback(move |headers: HeaderMap, body: String| {
        let tx = tx.clone();
        let n = n.fetch_add(1, Ordering::SeqCst);
        let status = statuses.get(n).copied().unwrap_or(200);
        async move {
            let _ = tx.send(Received { headers, body });
            if hang {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK)
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    (port, rx)
}

fn hook(name: &str, port: u16, events: &[&str]) -> WebhookConfig {
    WebhookConfig {
        name: name.into(),
        url: format!("http://127.0.0.1:{port}/hook"),
        host: "127.0.0.1".into(),
        port,
        path: "/hook".into(),
        events: events.iter().map(|e| e.to_string()).collect(),
        secret: SECRET.into(),
        allow_remote: false,
    }
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
        Ok(Some(r)) => r,
        other => panic!("the receiver got nothing: {other:?}"),
    }
}

fn header(r: &Received, name: &str) -> String {
    r.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

fn violation() -> Event {
    Event::Violation {
        id: "abc".into(),
        profile: "strict".into(),
        command: "rm -rf /".into(),
        rule: Rule::NotWhitelisted,
        reason: "`rm` is not whitelisted".into(),
    }
}

#[tokio::test]
async fn subscribed_events_are_posted_signed_and_others_are_not() {
    let (port_v, mut only_violations) = receiver(vec![], false).await;
    let (port_all, mut everything) = receiver(vec![], false).await;
    let bus = EventBus::new(64);
    let _hooks = Webhooks::start(
        vec![
            hook("violations", port_v, &["violation"]),
            hook("all", port_all, &["*"]),
        ],
        &bus,
    );
    bus.publish(Event::SandboxStopped {
        id: "abc".into(),
        name: "demo".into(),
    });
    bus.publish(violation());
    let r = next(&mut only_violations).await;
    assert_eq!(header(&r, "x-lasso-event"), "violation");
    assert_eq!(header(&r, "content-type"), "application/json");
    assert_eq!(
        header(&r, "x-lasso-signature"),
        signature(SECRET, r.body.as_bytes())
    );
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
    assert_eq!(json["event"], "violation");
    assert_eq!(json["rule"], "not-whitelisted");
    assert_ne!(
        header(&r, "x-lasso-signature"),
        signature("another secret of some length", r.body.as_bytes())
    );
    let first = next(&mut everything).await;
    let second = next(&mut everything).await;
    assert_eq!(
        (
            header(&first, "x-lasso-event"),
            header(&second, "x-lasso-event")
        ),
        ("sandbox_stopped".to_string(), "violation".to_string())
    );
    // Nothing else reached the violation-only hook.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(only_violations.try_recv().is_err());
}

#[tokio::test]
async fn failed_deliveries_are_retried_a_bounded_number_of_times() {
    // 503 twice, then 200: delivered on the third attempt.
    let (port, mut rx) = receiver(vec![503, 503], false).await;
    let bus = EventBus::new(64);
    let hooks = Webhooks::start(vec![hook("flaky", port, &["violation"])], &bus);
    bus.publish(violation());
    for _ in 0..3 {
        let r = next(&mut rx).await;
        assert_eq!(header(&r, "x-lasso-event"), "violation");
    }
    let mut text = String::new();
    for _ in 0..100 {
        text.clear();
        hooks.render(&mut text);
        if text.contains("lasso_webhook_deliveries_total{hook=\"flaky\"} 1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        text.contains("lasso_webhook_deliveries_total{hook=\"flaky\"} 1"),
        "{text}"
    );
    // Always 500: given up after MAX_ATTEMPTS, counted as a failure, never more requests.
    let statuses = vec![500; 10];
    let (port, mut rx) = receiver(statuses, false).await;
    let bus = EventBus::new(64);
    let hooks = Webhooks::start(vec![hook("down", port, &["*"])], &bus);
    bus.publish(violation());
    for _ in 0..webhooks::MAX_ATTEMPTS {
        let _ = next(&mut rx).await;
    }
    for _ in 0..100 {
        text.clear();
        hooks.render(&mut text);
        if text.contains("lasso_webhook_failures_total{hook=\"down\"} 1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        text.contains("lasso_webhook_failures_total{hook=\"down\"} 1"),
        "{text}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(rx.try_recv().is_err(), "retried beyond the bound");
    // A 4xx other than 429 is final: one attempt only.
    let (port, mut rx) = receiver(vec![400, 400], false).await;
    let bus = EventBus::new(64);
    let _hooks = Webhooks::start(vec![hook("bad", port, &["*"])], &bus);
    bus.publish(violation());
    let _ = next(&mut rx).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(rx.try_recv().is_err(), "a 400 was retried");
}

#[tokio::test]
async fn a_stuck_receiver_fills_the_bounded_queue_and_drops_are_counted() {
    let (port, mut rx) = receiver(vec![], true).await;
    let bus = EventBus::new(4096);
    let hooks = Webhooks::start(vec![hook("stuck", port, &["*"])], &bus);
    let total = webhooks::QUEUE_CAPACITY as u64 + 50;
    // The first event is taken by the worker, which then waits on the receiver.
    bus.publish(violation());
    let _ = next(&mut rx).await;
    for _ in 1..total {
        bus.publish(violation());
    }
    let want = format!(
        "lasso_webhook_dropped_total{{hook=\"stuck\"}} {}",
        total - 1 - webhooks::QUEUE_CAPACITY as u64
    );
    let mut text = String::new();
    for _ in 0..200 {
        text.clear();
        hooks.render(&mut text);
        if text.contains(&want) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(text.contains(&want), "want {want:?} in\n{text}");
}

fn state_with(hooks: Vec<WebhookConfig>) -> (tempfile::TempDir, ApiState, String) {
    let tmp = match tempfile::tempdir() {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    let home = match LassoHome::at(tmp.path().join("home")) {
        Ok(h) => h,
        Err(e) => panic!("{e}"),
    };
    let connect = ConnectOptions {
        runtime: Some(EngineKind::Docker),
        docker_host: Some(format!("unix://{}/no-engine.sock", tmp.path().display())),
        container_host: None,
        xdg_runtime_dir: None,
        connect_timeout: Duration::from_millis(200),
        request_timeout: Duration::from_secs(1),
    };
    let svc = Arc::new(SandboxService::new(ServiceOptions {
        home,
        settings: Settings {
            webhooks: hooks,
            ..Settings::default()
        },
        connect,
    }));
    let key = match svc.create_api_key("tester", "test") {
        Ok((k, _)) => k,
        Err(e) => panic!("{e}"),
    };
    (tmp, ApiState::new(svc), key)
}

async fn call(state: &ApiState, method: Method, uri: &str, key: &str) -> (StatusCode, String) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("x-api-key", key)
        .body(Body::empty());
    let req = match req {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    let resp = match router(state.clone()).oneshot(req).await {
        Ok(r) => r,
        Err(e) => match e {},
    };
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn the_test_endpoint_reports_each_hook_and_the_events_endpoint_lists_types() {
    let (port, mut rx) = receiver(vec![], false).await;
    // A port nothing listens on: bind, note it, close.
    let closed = match std::net::TcpListener::bind("127.0.0.1:0") {
        Ok(l) => l.local_addr().map(|a| a.port()).unwrap_or(1),
        Err(e) => panic!("{e}"),
    };
    let (_tmp, state, key) = state_with(vec![
        hook("live", port, &["violation"]),
        hook("dead", closed, &["*"]),
    ]);
    let (status, text) = call(&state, Method::POST, "/api/v1/webhooks/test", &key).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["hooks"][0]["name"], "live");
    assert_eq!(v["hooks"][0]["delivered"], true);
    assert_eq!(v["hooks"][0]["status"], 200);
    assert_eq!(v["hooks"][1]["delivered"], false);
    assert!(
        v["hooks"][1]["error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot connect")),
        "{v}"
    );
    let r = next(&mut rx).await;
    assert_eq!(header(&r, "x-lasso-event"), "test");
    assert_eq!(
        header(&r, "x-lasso-signature"),
        signature(SECRET, r.body.as_bytes())
    );
    // Events published on the service's bus reach the hooks of the server's state.
    state.service().events().publish(violation());
    assert_eq!(header(&next(&mut rx).await, "x-lasso-event"), "violation");

    let (status, text) = call(&state, Method::GET, "/api/v1/webhooks/events", &key).await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let types: Vec<&str> = v["events"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["type"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        types.contains(&"violation") && types.contains(&"test"),
        "{v}"
    );

    let (_tmp2, none, key2) = state_with(vec![]);
    let (status, text) = call(&none, Method::POST, "/api/v1/webhooks/test", &key2).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(text.contains("[[webhooks]]"), "{text}");
}
