//! The retry rules against a scripted HTTP server on loopback.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// Serves `script` (one raw status line + headers + body per connection, repeating the last)
/// and counts connections.
async fn scripted(script: Vec<&'static str>) -> (String, Arc<AtomicUsize>) {
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => panic!("{e}"),
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let (status, headers, body) = {
                let line = script[n.min(script.len() - 1)];
                let mut parts = line.splitn(3, '|');
                (
                    parts.next().unwrap_or("200 OK"),
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or(""),
                )
            };
            let mut buf = vec![0u8; 8192];
            let _ = s.read(&mut buf).await;
            let resp = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(resp.as_bytes()).await;
            let _ = s.shutdown().await;
        }
    });
    (format!("http://{addr}"), hits)
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
        max_retry_after: Duration::from_secs(1),
        request_timeout: Duration::from_secs(5),
    }
}

const EMPTY_PAGE: &str = r#"{"items":[],"page":1,"per_page":500,"total":0,"total_pages":0}"#;

#[tokio::test]
async fn transient_statuses_are_retried_until_success() {
    let (url, hits) = scripted(vec![
        "503 Service Unavailable||{\"error\":\"x\",\"code\":\"engine_unavailable\"}",
        "502 Bad Gateway||",
        "429 Too Many Requests|retry-after: 0\r\n|{\"error\":\"slow\",\"code\":\"rate_limited\"}",
        Box::leak(format!("200 OK||{EMPTY_PAGE}").into_boxed_str()),
    ])
    .await;
    let c = match RemoteClient::new(&url, "lasso_k") {
        Ok(c) => c.with_retry(fast()),
        Err(e) => panic!("{e}"),
    };
    let list = c.list().await.map_err(|e| e.to_string());
    assert_eq!(list.map(|l| l.len()), Ok(0));
    assert_eq!(hits.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn other_client_errors_are_not_retried() {
    let (url, hits) = scripted(vec![
        "404 Not Found||{\"error\":\"no sandbox matches `x`\",\"code\":\"sandbox_not_found\"}",
    ])
    .await;
    let c = match RemoteClient::new(&url, "lasso_k") {
        Ok(c) => c.with_retry(fast()),
        Err(e) => panic!("{e}"),
    };
    match c.stop("x").await {
        Err(SdkError::Api {
            status,
            code,
            message,
        }) => {
            assert_eq!((status, code.as_str()), (404, "sandbox_not_found"));
            assert!(message.contains("no sandbox matches"));
        }
        other => panic!("{:?}", other.map(|i| i.id)),
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn gives_up_after_max_attempts_and_on_long_retry_after() {
    let (url, hits) = scripted(vec!["504 Gateway Timeout||"]).await;
    let c = match RemoteClient::new(&url, "lasso_k") {
        Ok(c) => c.with_retry(fast()),
        Err(e) => panic!("{e}"),
    };
    let m = c.list().await.err().map(|e| e.to_string());
    assert!(m.is_some_and(|m| m.contains("gave up after 4 attempts")));
    assert_eq!(hits.load(Ordering::SeqCst), 4);
    let (url, hits) = scripted(vec!["429 Too Many Requests|retry-after: 120\r\n|{}"]).await;
    let c = match RemoteClient::new(&url, "lasso_k") {
        Ok(c) => c.with_retry(fast()),
        Err(e) => panic!("{e}"),
    };
    let m = c.list().await.err().map(|e| e.to_string());
    assert!(
        m.is_some_and(|m| m.contains("asks to wait 120s")),
        "not retried blindly"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn connection_errors_are_retried_then_reported() {
    // Bind and drop: nothing listens on that port any more.
    let addr = match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(a) => a,
        Err(e) => panic!("{e}"),
    };
    let c = match RemoteClient::new(&format!("http://{addr}"), "lasso_k") {
        Ok(c) => c.with_retry(fast()),
        Err(e) => panic!("{e}"),
    };
    let m = c.list().await.err().map(|e| e.to_string());
    assert!(m.is_some_and(|m| m.contains("connecting to") && m.contains("gave up after 4")));
}

#[tokio::test]
async fn a_blocked_exec_is_an_outcome_not_an_error() {
    let (url, _) = scripted(vec![
        r#"403 Forbidden||{"allowed":false,"rule":"not-whitelisted","reason":"rm is not allowed","program":"rm","error":"blocked by the command gate: rm is not allowed","code":"blocked"}"#,
    ])
    .await;
    let c = match RemoteClient::new(&url, "lasso_k") {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    match c.exec("x", "rm -rf /").await {
        Ok(ExecOutcome::Blocked(d)) => {
            assert!(!d.allowed);
            assert_eq!(d.program.as_deref(), Some("rm"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn backoff_is_capped_exponential_with_full_jitter() {
    let p = RetryPolicy {
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(1000),
        ..RetryPolicy::default()
    };
    assert_eq!(
        p.backoff(0, u64::MAX),
        Duration::from_millis(u64::MAX % 101)
    );
    assert_eq!(p.backoff(0, 100), Duration::from_millis(100));
    assert_eq!(p.backoff(2, 400), Duration::from_millis(400));
    assert_eq!(
        p.backoff(2, 401),
        Duration::ZERO,
        "the cap at attempt 2 is 400 ms"
    );
    assert_eq!(p.backoff(10, 1000), Duration::from_millis(1000));
    assert_eq!(
        p.backoff(40, 1000),
        Duration::from_millis(1000),
        "no overflow"
    );
    assert!((0..1000).all(|r| p.backoff(3, r) <= Duration::from_millis(800)));
}

#[test]
fn urls_are_checked() {
    assert!(RemoteClient::new("http://127.0.0.1:8080", "k").is_ok());
    let m = |u: &str| RemoteClient::new(u, "k").err().map(|e| e.to_string());
    assert!(m("https://h:1").is_some_and(|m| m.contains("no TLS")));
    assert!(m("ftp://h").is_some());
    assert!(m("not a url").is_some());
    assert!(RemoteClient::new("http://h:1", "").is_err());
    assert_eq!(segment("a b/../c"), "a%20b%2F..%2Fc");
}
