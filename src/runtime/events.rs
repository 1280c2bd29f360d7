//! The engine's container event stream (`GET /events`), as a channel of [`WatchItem`]s that
//! survives the engine going away.
//!
//! Why a hand-written stream instead of bollard's: the same reasons as `http.rs` (bollard's
//! generated event types reject values they do not know, and Podman sends actions such as
//! `sync` and `died`), and because the watcher must own reconnection. One background task
//! per watch holds one long-lived connection; when it ends (the engine stopped, restarted, or
//! closed the stream) the task says so ([`WatchItem::Disconnected`]) and reconnects with
//! exponential backoff, saying [`WatchItem::Connected`] again when it is back. Events that
//! happened while disconnected are not replayed: a consumer re-lists on `Connected`, which
//! is the only way to be sure anyway. The task ends when the receiver is dropped.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use super::connect::Engine;
use super::event_decode::{
    ChunkedDecoder, EngineEvent, LineSplitter, decode_event, parse_stream_head,
};
use super::http::{Endpoint, encode_query_value};

/// Largest response head accepted before the event body starts.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// How a watch reconnects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchOptions {
    /// The first wait after the stream ends; doubled after each failed attempt.
    pub first_retry: Duration,
    /// The longest wait between attempts.
    pub max_retry: Duration,
    /// How long connecting and reading the response head may take.
    pub connect_timeout: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            first_retry: Duration::from_secs(1),
            max_retry: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// What a watch reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchItem {
    /// The stream is open (first time, or again after a disconnection): re-list now, events
    /// from the gap are not replayed.
    Connected,
    Event(EngineEvent),
    /// The stream ended or could not be opened; the next attempt is in `retry_in`.
    Disconnected {
        error: String,
        retry_in: Duration,
    },
    /// A line that was not an event (skipped; for the log).
    Skipped(String),
}

impl Engine {
    /// Watches container events of containers carrying every given label (`(key, None)` =
    /// has the key). See the module comment for the reconnect behaviour.
    pub fn watch_containers(
        &self,
        labels: &[(&str, Option<&str>)],
        options: WatchOptions,
    ) -> mpsc::Receiver<WatchItem> {
        let path = format!("/v{}{}", self.api_version, events_query(labels));
        watch_endpoint(self.endpoint.clone(), path, options)
    }
}

/// `/events?filters=...` for container events with these labels.
pub(crate) fn events_query(labels: &[(&str, Option<&str>)]) -> String {
    let values = super::container::label_filter_values(labels);
    let filters = serde_json::json!({ "type": ["container"], "label": values });
    format!(
        "/events?filters={}",
        encode_query_value(&filters.to_string())
    )
}

/// Starts the watch task for `path` (with its API version prefix) on `endpoint`.
pub(crate) fn watch_endpoint(
    endpoint: Endpoint,
    path: String,
    options: WatchOptions,
) -> mpsc::Receiver<WatchItem> {
    let (tx, rx) = mpsc::channel(256);
    tokio::spawn(async move {
        let mut backoff = options.first_retry;
        loop {
            let mut connected = false;
            let ended = tokio::select! {
                r = stream_once(&endpoint, &path, &tx, &options, &mut connected) => r,
                () = tx.closed() => return,
            };
            let error = match ended {
                Ok(()) => "the engine ended the event stream".to_string(),
                Err(StreamEnd::ReceiverGone) => return,
                Err(StreamEnd::Failed(e)) => e,
            };
            if connected {
                backoff = options.first_retry;
            }
            let wait = backoff;
            backoff = (backoff * 2).min(options.max_retry);
            let item = WatchItem::Disconnected {
                error: format!("{endpoint}: {error}"),
                retry_in: wait,
            };
            if tx.send(item).await.is_err() {
                return;
            }
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = tx.closed() => return,
            }
        }
    });
    rx
}

enum StreamEnd {
    ReceiverGone,
    Failed(String),
}

async fn stream_once(
    endpoint: &Endpoint,
    path: &str,
    tx: &mpsc::Sender<WatchItem>,
    options: &WatchOptions,
    connected: &mut bool,
) -> Result<(), StreamEnd> {
    let fail = |what: &str, e: std::io::Error| StreamEnd::Failed(format!("{what}: {e}"));
    match endpoint {
        Endpoint::Unix(p) => {
            let s =
                tokio::time::timeout(options.connect_timeout, tokio::net::UnixStream::connect(p))
                    .await
                    .map_err(|_| StreamEnd::Failed("connecting timed out".into()))?
                    .map_err(|e| fail("connecting", e))?;
            read_stream(s, path, tx, options, connected).await
        }
        Endpoint::Tcp { host, port } => {
            let s = tokio::time::timeout(
                options.connect_timeout,
                tokio::net::TcpStream::connect((host.as_str(), *port)),
            )
            .await
            .map_err(|_| StreamEnd::Failed("connecting timed out".into()))?
            .map_err(|e| fail("connecting", e))?;
            read_stream(s, path, tx, options, connected).await
        }
    }
}

async fn read_stream<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    path: &str,
    tx: &mpsc::Sender<WatchItem>,
    options: &WatchOptions,
    connected: &mut bool,
) -> Result<(), StreamEnd> {
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: lasso\r\nAccept: application/json\r\n\r\n"
    );
    s.write_all(req.as_bytes())
        .await
        .map_err(|e| StreamEnd::Failed(format!("sending the request: {e}")))?;
    let mut buf = vec![0u8; 16 * 1024];
    // The head, within the connect timeout (the engine answers it at once, before any event).
    let mut head = Vec::new();
    let (chunked, body_start) = tokio::time::timeout(options.connect_timeout, async {
        loop {
            let n = s
                .read(&mut buf)
                .await
                .map_err(|e| StreamEnd::Failed(format!("reading the response: {e}")))?;
            if n == 0 {
                return Err(StreamEnd::Failed(
                    "the engine closed the connection before answering".into(),
                ));
            }
            head.extend_from_slice(&buf[..n]);
            match parse_stream_head(&head) {
                None if head.len() > MAX_HEAD_BYTES => {
                    return Err(StreamEnd::Failed("response head too large".into()));
                }
                None => {}
                Some(Err(e)) => return Err(StreamEnd::Failed(e)),
                Some(Ok((200, chunked, len))) => return Ok((chunked, len)),
                Some(Ok((status, _, len))) => {
                    // The error body is short: read until it is complete (the engine may keep
                    // the connection open) for its message.
                    let body = loop {
                        if let Ok(r) = super::http::parse_response(&head) {
                            break r.error_message();
                        }
                        match s.read(&mut buf).await {
                            Ok(n) if n > 0 && head.len() < MAX_HEAD_BYTES => {
                                head.extend_from_slice(&buf[..n]);
                            }
                            _ => break String::from_utf8_lossy(&head[len..]).trim().to_string(),
                        }
                    };
                    return Err(StreamEnd::Failed(format!(
                        "GET /events answered HTTP {status}: {body}"
                    )));
                }
            }
        }
    })
    .await
    .map_err(|_| StreamEnd::Failed("no answer to GET /events in time".into()))??;
    *connected = true;
    tx.send(WatchItem::Connected)
        .await
        .map_err(|_| StreamEnd::ReceiverGone)?;
    let mut chunks = chunked.then(ChunkedDecoder::default);
    let mut lines = LineSplitter::default();
    let mut body = Vec::new();
    let mut pending = head.split_off(body_start);
    loop {
        body.clear();
        match &mut chunks {
            Some(d) => d.feed(&pending, &mut body).map_err(StreamEnd::Failed)?,
            None => body.extend_from_slice(&pending),
        }
        for line in lines.push(&body) {
            let item = match decode_event(&line) {
                Ok(Some(e)) => WatchItem::Event(e),
                Ok(None) => continue,
                Err(why) => WatchItem::Skipped(why),
            };
            tx.send(item).await.map_err(|_| StreamEnd::ReceiverGone)?;
        }
        if chunks.as_ref().is_some_and(ChunkedDecoder::finished) {
            return Ok(());
        }
        // No read timeout: an idle engine sends nothing for hours.
        let n = s
            .read(&mut buf)
            .await
            .map_err(|e| StreamEnd::Failed(format!("reading events: {e}")))?;
        if n == 0 {
            return Ok(());
        }
        pending = buf[..n].to_vec();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::runtime::event_decode::ContainerAction;
    use tokio::net::UnixListener;

    const HEAD: &[u8] =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

    fn chunk(s: &str) -> Vec<u8> {
        let mut v = format!("{:x}\r\n", s.len()).into_bytes();
        v.extend_from_slice(s.as_bytes());
        v.extend_from_slice(b"\r\n");
        v
    }

    fn event(action: &str, id: &str) -> String {
        format!(
            "{{\"Type\":\"container\",\"Action\":\"{action}\",\"Actor\":{{\"ID\":\"{id}\",\"Attributes\":{{\"name\":\"n-{id}\"}}}}}}\n"
        )
    }

    async fn next(rx: &mut mpsc::Receiver<WatchItem>) -> WatchItem {
        // Generous: only bounds a broken build.
        match tokio::time::timeout(Duration::from_secs(60), rx.recv()).await {
            Ok(Some(item)) => item,
            other => panic!("no watch item: {other:?}"),
        }
    }

    async fn read_request(s: &mut tokio::net::UnixStream) -> String {
        let mut req = Vec::new();
        let mut buf = [0u8; 4096];
        while !req.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = s.read(&mut buf).await.unwrap();
            assert!(n > 0, "client closed before sending a request");
            req.extend_from_slice(&buf[..n]);
        }
        String::from_utf8(req).unwrap()
    }

    fn fast() -> WatchOptions {
        WatchOptions {
            first_retry: Duration::from_millis(20),
            max_retry: Duration::from_millis(80),
            connect_timeout: Duration::from_secs(30),
        }
    }

    #[test]
    fn the_filter_names_type_and_labels() {
        let q = events_query(&[("lasso.managed", Some("true")), ("lasso.home", Some("ab"))]);
        let enc = q.strip_prefix("/events?filters=").unwrap();
        assert!(enc.contains("container"), "{enc}");
        assert!(enc.contains("lasso.home%3Dab"), "{enc}");
        assert!(!enc.contains('{'));
    }

    /// A fake engine: the first connection sends an event split across chunks, garbage and
    /// a second event, then hangs up; the watcher reports the disconnection, reconnects,
    /// and the second connection's event arrives after a second `Connected`.
    #[tokio::test]
    async fn streams_events_and_reconnects_after_the_engine_hangs_up() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("engine.sock");
        let listener = UnixListener::bind(&sock).unwrap();
        let server = tokio::spawn(async move {
            let mut requests = Vec::new();
            // First connection.
            let (mut s, _) = listener.accept().await.unwrap();
            requests.push(read_request(&mut s).await);
            let first = event("create", "aaa");
            let mut wire = HEAD.to_vec();
            wire.extend(chunk(&first[..10]));
            wire.extend(chunk(&first[10..]));
            wire.extend(chunk("garbage that is not json\n"));
            wire.extend(chunk(&event("die", "aaa")));
            s.write_all(&wire).await.unwrap();
            s.write_all(b"0\r\n\r\n").await.unwrap();
            drop(s);
            // Second connection: an event, then the connection stays open until the test ends.
            let (mut s, _) = listener.accept().await.unwrap();
            requests.push(read_request(&mut s).await);
            let mut wire = HEAD.to_vec();
            wire.extend(chunk(&event("destroy", "aaa")));
            s.write_all(&wire).await.unwrap();
            (requests, s)
        });
        let mut rx = watch_endpoint(
            Endpoint::Unix(sock),
            "/v1.41/events?filters=x".into(),
            fast(),
        );
        assert_eq!(next(&mut rx).await, WatchItem::Connected);
        let WatchItem::Event(e) = next(&mut rx).await else {
            panic!("event")
        };
        assert_eq!(e.action, ContainerAction::Create);
        assert_eq!(e.container_id, "aaa");
        assert_eq!(e.name.as_deref(), Some("n-aaa"));
        assert!(
            matches!(next(&mut rx).await, WatchItem::Skipped(why) if why.contains("not event JSON"))
        );
        assert!(
            matches!(next(&mut rx).await, WatchItem::Event(e) if e.action == ContainerAction::Die)
        );
        let WatchItem::Disconnected { error, retry_in } = next(&mut rx).await else {
            panic!("disconnected")
        };
        assert!(error.contains("ended the event stream"), "{error}");
        assert_eq!(retry_in, Duration::from_millis(20));
        assert_eq!(next(&mut rx).await, WatchItem::Connected);
        assert!(
            matches!(next(&mut rx).await, WatchItem::Event(e) if e.action == ContainerAction::Destroy)
        );
        let (requests, _open) = server.await.unwrap();
        for r in &requests {
            assert!(
                r.starts_with("GET /v1.41/events?filters=x HTTP/1.1\r\n"),
                "{r}"
            );
        }
    }

    /// No engine at all: the watcher backs off exponentially up to the cap, and connects as
    /// soon as an engine appears on the socket.
    #[tokio::test]
    async fn backs_off_while_the_engine_is_away_and_connects_when_it_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("engine.sock");
        let mut rx = watch_endpoint(Endpoint::Unix(sock.clone()), "/events".into(), fast());
        let mut waits = Vec::new();
        for _ in 0..4 {
            match next(&mut rx).await {
                WatchItem::Disconnected { error, retry_in } => {
                    assert!(error.contains("connecting"), "{error}");
                    waits.push(retry_in.as_millis());
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(waits, vec![20, 40, 80, 80]);
        let listener = UnixListener::bind(&sock).unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            read_request(&mut s).await;
            s.write_all(HEAD).await.unwrap();
            s
        });
        // Disconnections already queued may come first.
        loop {
            match next(&mut rx).await {
                WatchItem::Connected => break,
                WatchItem::Disconnected { .. } => {}
                other => panic!("{other:?}"),
            }
        }
        let _open = server.await.unwrap();
    }

    /// An engine that refuses the request (HTTP 500) is a disconnection with its message.
    #[tokio::test]
    async fn an_error_status_is_a_disconnection_with_the_message() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("engine.sock");
        let listener = UnixListener::bind(&sock).unwrap();
        let _server = tokio::spawn(async move {
            // Connections stay open after the answer (keep-alive): the message is read from
            // the complete body, not at EOF.
            let mut open = Vec::new();
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                read_request(&mut s).await;
                s.write_all(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 26\r\n\r\n{\"message\":\"events broke\"}")
                    .await
                    .unwrap();
                open.push(s);
            }
        });
        let mut rx = watch_endpoint(Endpoint::Unix(sock), "/events".into(), fast());
        let WatchItem::Disconnected { error, .. } = next(&mut rx).await else {
            panic!("disconnected")
        };
        assert!(
            error.contains("HTTP 500") && error.contains("events broke"),
            "{error}"
        );
    }
}
