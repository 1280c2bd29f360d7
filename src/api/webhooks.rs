//! Webhooks: `lasso serve` posts the service's bus events to the `[[webhooks]]` of
//! `config.toml`, and `/api/v1/webhooks/{test,events}`.
//!
//! Shape: one dispatcher task subscribes to the bus and hands each event to the bounded queue
//! of every hook that wants its type, never waiting — a full queue drops the event and counts
//! it (`lasso_webhook_dropped_total` in /metrics), so a dead receiver can neither block the
//! service nor grow memory without bound. One worker task per hook drains its queue in order
//! and delivers with a bounded number of attempts (exponential backoff; connection errors,
//! timeouts, 429 and 5xx are retried, other answers are final).
//!
//! Each request is `POST` with the event's JSON (as in `GET /events`), `X-Lasso-Event: <type>`
//! and `X-Lasso-Signature: sha256=<hex HMAC-SHA256 of the body keyed by the hook's secret>`.
//! A hook without `allow_remote` is only ever connected to a loopback address: the resolved
//! address of every connection is checked, so DNS cannot turn `localhost` into a remote host.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use super::ApiState;
use super::error::ApiError;
use super::openapi::ProtectedErrors;
use crate::config::{EVENT_TYPES, WebhookConfig};
use crate::sandbox::EventBus;

/// Events waiting per hook before new ones are dropped.
pub const QUEUE_CAPACITY: usize = 1024;
/// Attempts per event (the first and the retries).
pub const MAX_ATTEMPTS: u32 = 4;
/// Delay before the first retry; doubled for each further one.
pub const RETRY_BASE: Duration = Duration::from_millis(250);
/// Connect plus answer, per attempt.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// Picks one counter of a hook.
type CounterOf = fn(&Counters) -> &AtomicU64;

/// Counters of one hook.
#[derive(Debug, Default)]
struct Counters {
    delivered: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
}

struct Hook {
    config: WebhookConfig,
    counters: Counters,
    queue: mpsc::Sender<(&'static str, Bytes)>,
}

/// The running webhooks of one server.
pub struct Webhooks {
    hooks: Vec<Arc<Hook>>,
    /// Bus events the dispatcher missed because it fell behind.
    lagged: AtomicU64,
}

impl Webhooks {
    /// Starts the dispatcher and one worker per hook (must run inside a Tokio runtime). The
    /// dispatcher subscribes before returning, so no event published afterwards is missed.
    pub fn start(configs: Vec<WebhookConfig>, bus: &EventBus) -> Arc<Webhooks> {
        Webhooks::start_with(configs, bus, super::Diagnostics::stderr())
    }

    /// [`Webhooks::start`] with failed deliveries reported to `diagnostics`.
    pub fn start_with(
        configs: Vec<WebhookConfig>,
        bus: &EventBus,
        diagnostics: super::Diagnostics,
    ) -> Arc<Webhooks> {
        let mut receivers = Vec::new();
        let hooks: Vec<Arc<Hook>> = configs
            .into_iter()
            .map(|config| {
                let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
                let hook = Arc::new(Hook {
                    config,
                    counters: Counters::default(),
                    queue: tx,
                });
                receivers.push((hook.clone(), rx));
                hook
            })
            .collect();
        let me = Arc::new(Webhooks {
            hooks,
            lagged: AtomicU64::new(0),
        });
        if me.hooks.is_empty() {
            return me;
        }
        for (hook, mut rx) in receivers {
            let diagnostics = diagnostics.clone();
            tokio::spawn(async move {
                while let Some((kind, body)) = rx.recv().await {
                    let counter = match deliver(&hook.config, kind, body).await {
                        Ok(_) => &hook.counters.delivered,
                        Err(e) => {
                            diagnostics.report(&format!(
                                "webhook `{}` ({}): {kind} event not delivered: {e}",
                                hook.config.name, hook.config.url
                            ));
                            &hook.counters.failed
                        }
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        let mut rx = bus.subscribe();
        let weak = Arc::downgrade(&me);
        tokio::spawn(async move {
            loop {
                let event = rx.recv().await;
                let Some(me) = weak.upgrade() else { break };
                match event {
                    Ok(event) => {
                        let kind = event.kind();
                        let body = Bytes::from(serde_json::to_vec(&event).unwrap_or_default());
                        me.enqueue(kind, &body);
                    }
                    Err(RecvError::Lagged(n)) => {
                        me.lagged.fetch_add(n, Ordering::Relaxed);
                    }
                    Err(RecvError::Closed) => break,
                }
            }
        });
        me
    }

    fn enqueue(&self, kind: &'static str, body: &Bytes) {
        for hook in self.hooks.iter().filter(|h| h.config.wants(kind)) {
            if hook.queue.try_send((kind, body.clone())).is_err() {
                hook.counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The Prometheus lines of the webhook counters.
    pub fn render(&self, out: &mut String) {
        let series: [(&str, &str, CounterOf); 3] = [
            (
                "lasso_webhook_deliveries_total",
                "Events delivered to a webhook (2xx answer).",
                |c| &c.delivered,
            ),
            (
                "lasso_webhook_failures_total",
                "Events not delivered after every attempt.",
                |c| &c.failed,
            ),
            (
                "lasso_webhook_dropped_total",
                "Events dropped because the webhook's queue was full.",
                |c| &c.dropped,
            ),
        ];
        for (name, help, field) in series {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for h in &self.hooks {
                let _ = writeln!(
                    out,
                    "{name}{{hook=\"{}\"}} {}",
                    h.config.name,
                    field(&h.counters).load(Ordering::Relaxed)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP lasso_webhook_events_lagged_total Bus events the webhook dispatcher missed \
             because it fell behind.\n# TYPE lasso_webhook_events_lagged_total counter\n\
             lasso_webhook_events_lagged_total {}",
            self.lagged.load(Ordering::Relaxed)
        );
    }
}

/// `sha256=<hex>` of `body` keyed by `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        // HMAC accepts keys of any length; this branch cannot be taken.
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Why one attempt failed, and whether another may succeed.
#[derive(Debug)]
struct Failure {
    why: String,
    retry: bool,
}

/// Delivers `body` with up to [`MAX_ATTEMPTS`] attempts; the final HTTP status on success.
async fn deliver(hook: &WebhookConfig, kind: &str, body: Bytes) -> Result<u16, String> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match attempt_once(hook, kind, body.clone()).await {
            Ok(status) => return Ok(status),
            Err(f) if !f.retry || attempt >= MAX_ATTEMPTS => {
                return Err(format!("{} (attempt {attempt} of {MAX_ATTEMPTS})", f.why));
            }
            Err(_) => tokio::time::sleep(RETRY_BASE * 2u32.pow(attempt - 1)).await,
        }
    }
}

/// The addresses `hook` may be connected to.
async fn addresses(hook: &WebhookConfig) -> Result<Vec<SocketAddr>, Failure> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((hook.host.as_str(), hook.port))
        .await
        .map_err(|e| Failure {
            why: format!("cannot resolve {}: {e}", hook.host),
            retry: true,
        })?
        .collect();
    let allowed: Vec<SocketAddr> = addrs
        .iter()
        .copied()
        .filter(|a| hook.allow_remote || a.ip().is_loopback())
        .collect();
    if allowed.is_empty() {
        return Err(Failure {
            why: format!(
                "{} resolves to {addrs:?}, none of them loopback, and the hook does not set \
                 allow_remote = true",
                hook.host
            ),
            retry: false,
        });
    }
    Ok(allowed)
}

async fn attempt_once(hook: &WebhookConfig, kind: &str, body: Bytes) -> Result<u16, Failure> {
    let run = async {
        let addrs = addresses(hook).await?;
        let stream = tokio::net::TcpStream::connect(addrs.as_slice())
            .await
            .map_err(|e| Failure {
                why: format!("cannot connect to {}: {e}", hook.url),
                retry: true,
            })?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| Failure {
                why: format!("HTTP handshake with {}: {e}", hook.url),
                retry: true,
            })?;
        tokio::spawn(conn);
        let host = if hook.host.contains(':') {
            format!("[{}]:{}", hook.host, hook.port)
        } else {
            format!("{}:{}", hook.host, hook.port)
        };
        let req = Request::builder()
            .method(Method::POST)
            .uri(hook.path.as_str())
            .header("host", host)
            .header("content-type", "application/json")
            .header("user-agent", concat!("lasso/", env!("CARGO_PKG_VERSION")))
            .header("x-lasso-event", kind)
            .header("x-lasso-signature", signature(&hook.secret, &body))
            .body(Full::new(body))
            .map_err(|e| Failure {
                why: format!("building the request: {e}"),
                retry: false,
            })?;
        let resp = sender.send_request(req).await.map_err(|e| Failure {
            why: format!("sending to {}: {e}", hook.url),
            retry: true,
        })?;
        let status = resp.status();
        // Read (and discard) the answer so the connection closes cleanly.
        let _ = resp.into_body().collect().await;
        if status.is_success() {
            Ok(status.as_u16())
        } else {
            Err(Failure {
                why: format!("{} answered {status}", hook.url),
                retry: status.is_server_error() || status.as_u16() == 429,
            })
        }
    };
    match tokio::time::timeout(ATTEMPT_TIMEOUT, run).await {
        Ok(r) => r,
        Err(_) => Err(Failure {
            why: format!("no answer from {} within {ATTEMPT_TIMEOUT:?}", hook.url),
            retry: true,
        }),
    }
}

/// One subscribable event type.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventType {
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
}

/// `GET /webhooks/events`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventTypes {
    pub events: Vec<EventType>,
}

#[utoipa::path(
    get,
    path = "/webhooks/events",
    operation_id = "listWebhookEvents",
    tag = "webhooks",
    security(("api_key" = [])),
    responses((status = 200, description = "The event types a [[webhooks]] entry may list in `events` (or \"*\" for all)", body = EventTypes), ProtectedErrors)
)]
pub async fn events() -> Json<EventTypes> {
    Json(EventTypes {
        events: EVENT_TYPES
            .iter()
            .map(|(t, d)| EventType {
                kind: (*t).into(),
                description: (*d).into(),
            })
            .collect(),
    })
}

/// One hook's answer to the test event.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HookTest {
    pub name: String,
    pub url: String,
    pub delivered: bool,
    /// The receiver's HTTP status, when it answered 2xx.
    pub status: Option<u16>,
    /// Why delivery failed.
    pub error: Option<String>,
}

/// `POST /webhooks/test`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TestReport {
    /// Every hook delivered to.
    pub ok: bool,
    pub hooks: Vec<HookTest>,
}

#[utoipa::path(
    post,
    path = "/webhooks/test",
    operation_id = "testWebhooks",
    tag = "webhooks",
    security(("api_key" = [])),
    responses((status = 200, description = "The test event was sent to every configured hook (whether or not it subscribes to `test`), once each, with the same signature as real events", body = TestReport), ProtectedErrors)
)]
pub async fn test(State(state): State<ApiState>) -> Result<Json<TestReport>, ApiError> {
    let hooks = &state.inner.webhooks.hooks;
    if hooks.is_empty() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_webhooks",
            "no webhook is configured: add a [[webhooks]] entry (url, events, secret) to \
             LASSO_HOME/config.toml and restart `lasso serve`",
        ));
    }
    let mut results = BTreeMap::new();
    let body = Bytes::from(
        serde_json::json!({
            "event": "test",
            "message": "test event from lasso serve (POST /api/v1/webhooks/test)",
            "sent_at": chrono::Utc::now().to_rfc3339(),
        })
        .to_string(),
    );
    let attempts = hooks.iter().map(|h| {
        let body = body.clone();
        async move {
            (
                h.config.name.clone(),
                attempt_once(&h.config, "test", body).await,
            )
        }
    });
    for (name, r) in futures_util::future::join_all(attempts).await {
        results.insert(name, r);
    }
    let hooks: Vec<HookTest> = hooks
        .iter()
        .map(|h| {
            let r = results.remove(&h.config.name);
            HookTest {
                name: h.config.name.clone(),
                url: h.config.url.clone(),
                delivered: matches!(r, Some(Ok(_))),
                status: r.as_ref().and_then(|r| r.as_ref().ok().copied()),
                error: r.and_then(|r| r.err()).map(|f| f.why),
            }
        })
        .collect();
    Ok(Json(TestReport {
        ok: hooks.iter().all(|h| h.delivered),
        hooks,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
