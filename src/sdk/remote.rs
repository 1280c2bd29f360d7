//! The remote mode: a small HTTP/1.1 client (hyper's connection API over a Tokio TCP stream;
//! hyper is in the tree already through bollard) for the REST API of `lasso serve`.
//!
//! One connection per request keeps the client free of pool state. Transient failures are
//! retried with exponential backoff and full jitter (a random delay up to
//! `base · 2^attempt`, capped): connection errors (nothing was sent), 429 (after the server's
//! `Retry-After`), 502, 503 and 504. Other 4xx answers are never retried: repeating a request
//! the server refused changes nothing. Plain `http://` only, as the server has no TLS.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{CONTENT_TYPE, HOST, RETRY_AFTER};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{CreateOptions, SdkError};
use crate::api::error::ErrorBody;
use crate::api::pages::Paginated;
use crate::policy::Decision;
use crate::sandbox::{ExecOutcome, ExecResult, SandboxInfo};

/// When and how long to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; a server asking for more is an error.
    pub max_retry_after: Duration,
    /// Per attempt: connecting, sending and reading the whole answer.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(60),
            // A create may build an image.
            request_timeout: Duration::from_secs(600),
        }
    }
}

impl RetryPolicy {
    /// The delay before retry number `attempt` (0-based) given a random `roll`: uniform in
    /// `[0, min(max_delay, base · 2^attempt)]`.
    pub fn backoff(&self, attempt: u32, roll: u64) -> Duration {
        let cap = self
            .base_delay
            .saturating_mul(1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX))
            .min(self.max_delay);
        let cap_ms = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(roll % cap_ms.saturating_add(1))
    }
}

/// The client of one server.
#[derive(Debug, Clone)]
pub struct RemoteClient {
    url: String,
    authority: String,
    /// `host:port` to connect to.
    addr: String,
    /// Path prefix before `/api/v1` (empty normally).
    prefix: String,
    key: String,
    retry: RetryPolicy,
}

/// One answer: status, `Retry-After` seconds, body.
struct Answer {
    status: StatusCode,
    body: Bytes,
}

enum Attempt {
    Done(Answer),
    Retry {
        after: Option<Duration>,
        why: String,
    },
}

impl RemoteClient {
    pub fn new(url: &str, api_key: &str) -> Result<RemoteClient, SdkError> {
        let invalid = |reason: &str| SdkError::InvalidUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let uri: Uri = url
            .parse()
            .map_err(|e: hyper::http::uri::InvalidUri| invalid(&e.to_string()))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err(invalid(
                    "https is not supported: lasso serve has no TLS; reach it over http on loopback or through a tunnel",
                ));
            }
            _ => return Err(invalid("expected http://HOST:PORT")),
        }
        let authority = uri
            .authority()
            .ok_or_else(|| invalid("no host"))?
            .to_string();
        let host = uri.host().ok_or_else(|| invalid("no host"))?;
        let port = uri.port_u16().unwrap_or(80);
        let addr = format!("{host}:{port}");
        if api_key.is_empty() {
            return Err(invalid("the API key is empty"));
        }
        Ok(RemoteClient {
            url: url.trim_end_matches('/').to_string(),
            authority,
            addr,
            prefix: uri.path().trim_end_matches('/').to_string(),
            key: api_key.to_string(),
            retry: RetryPolicy::default(),
        })
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> RemoteClient {
        self.retry = retry;
        self
    }

    pub(super) async fn create(&self, opts: &CreateOptions) -> Result<SandboxInfo, SdkError> {
        let body = serde_json::json!({
            "profile": opts.profile,
            "working_dir": opts.working_dir,
            "name": opts.name,
            "isolation": opts.isolation.map(|i| i.to_string()),
        });
        let a = self.send(Method::POST, "/sandboxes", Some(&body)).await?;
        expect_json(a, StatusCode::CREATED)
    }

    pub(super) async fn exec(&self, id: &str, command: &str) -> Result<ExecOutcome, SdkError> {
        let body = serde_json::json!({ "command": command });
        let path = format!("/sandboxes/{}/exec", segment(id));
        let a = self.send(Method::POST, &path, Some(&body)).await?;
        if a.status == StatusCode::FORBIDDEN {
            let v: serde_json::Value = decode(&a.body)?;
            if v.get("code").and_then(|c| c.as_str()) == Some("blocked") {
                let d: Decision =
                    serde_json::from_value(v).map_err(|e| SdkError::Decode(e.to_string()))?;
                return Ok(ExecOutcome::Blocked(d));
            }
        }
        let r: ExecResult = expect_json(a, StatusCode::OK)?;
        Ok(ExecOutcome::Ran(r))
    }

    pub(super) async fn list(&self) -> Result<Vec<SandboxInfo>, SdkError> {
        let mut all = Vec::new();
        let mut page = 1u64;
        loop {
            let path = format!("/sandboxes?page={page}&per_page=500");
            let a = self.send::<()>(Method::GET, &path, None).await?;
            let p: Paginated<SandboxInfo> = expect_json(a, StatusCode::OK)?;
            all.extend(p.items);
            if page >= p.total_pages {
                return Ok(all);
            }
            page += 1;
        }
    }

    pub(super) async fn stop(&self, id: &str) -> Result<SandboxInfo, SdkError> {
        let path = format!("/sandboxes/{}/stop", segment(id));
        let a = self.send::<()>(Method::POST, &path, None).await?;
        expect_json(a, StatusCode::OK)
    }

    /// Sends with retries; answers that are not transient are returned as they are.
    async fn send<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<Answer, SdkError> {
        let bytes = match body {
            Some(b) => {
                Bytes::from(serde_json::to_vec(b).map_err(|e| SdkError::Decode(e.to_string()))?)
            }
            None => Bytes::new(),
        };
        let full = format!("{}/api/v1{path}", self.prefix);
        let mut attempt = 0u32;
        loop {
            let outcome = tokio::time::timeout(
                self.retry.request_timeout,
                self.once(&method, &full, body.is_some(), bytes.clone()),
            )
            .await
            .unwrap_or_else(|_| Attempt::Retry {
                after: None,
                why: format!("no answer within {:?}", self.retry.request_timeout),
            });
            let (after, why) = match outcome {
                Attempt::Done(a) => return Ok(a),
                Attempt::Retry { after, why } => (after, why),
            };
            attempt += 1;
            if attempt >= self.retry.max_attempts {
                return Err(SdkError::Transport {
                    url: self.url.clone(),
                    reason: format!("{why} (gave up after {attempt} attempts)"),
                });
            }
            let delay = match after {
                Some(d) if d > self.retry.max_retry_after => {
                    return Err(SdkError::Transport {
                        url: self.url.clone(),
                        reason: format!(
                            "{why}; the server asks to wait {d:?}, longer than the {:?} this client waits",
                            self.retry.max_retry_after
                        ),
                    });
                }
                Some(d) => d,
                None => self.retry.backoff(attempt - 1, roll()),
            };
            tokio::time::sleep(delay).await;
        }
    }

    async fn once(&self, method: &Method, path: &str, json: bool, body: Bytes) -> Attempt {
        let stream = match tokio::net::TcpStream::connect(&self.addr).await {
            Ok(s) => s,
            Err(e) => {
                return Attempt::Retry {
                    after: None,
                    why: format!("connecting to {}: {e}", self.addr),
                };
            }
        };
        let (mut sender, conn) =
            match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await {
                Ok(x) => x,
                Err(e) => {
                    return Attempt::Retry {
                        after: None,
                        why: format!("HTTP handshake with {}: {e}", self.addr),
                    };
                }
            };
        let driver = tokio::spawn(conn);
        let mut req = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(HOST, &self.authority)
            .header("x-api-key", &self.key);
        if json {
            req = req.header(CONTENT_TYPE, "application/json");
        }
        let req = match req.body(Full::new(body)) {
            Ok(r) => r,
            Err(e) => {
                driver.abort();
                return Attempt::Done(Answer {
                    status: StatusCode::BAD_REQUEST,
                    body: Bytes::from(format!(
                        "{{\"error\":\"cannot build the request: {e}\",\"code\":\"client\"}}"
                    )),
                });
            }
        };
        let result = async {
            let resp = sender.send_request(req).await?;
            let status = resp.status();
            let retry_after = resp
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let body = resp.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>((status, retry_after, body))
        }
        .await;
        driver.abort();
        match result {
            Err(e) => Attempt::Retry {
                after: None,
                why: format!("HTTP exchange with {}: {e}", self.addr),
            },
            Ok((status, retry_after, body)) => match status {
                StatusCode::TOO_MANY_REQUESTS => Attempt::Retry {
                    after: Some(Duration::from_secs(retry_after.unwrap_or(1))),
                    why: "rate limited (429)".into(),
                },
                StatusCode::BAD_GATEWAY
                | StatusCode::SERVICE_UNAVAILABLE
                | StatusCode::GATEWAY_TIMEOUT => Attempt::Retry {
                    after: None,
                    why: format!(
                        "the server answered {status}: {}",
                        String::from_utf8_lossy(&body)
                    ),
                },
                _ => Attempt::Done(Answer { status, body }),
            },
        }
    }
}

/// A random number for jitter (0 if the OS cannot give one: then no jitter, still a delay cap).
fn roll() -> u64 {
    let mut b = [0u8; 8];
    match getrandom::fill(&mut b) {
        Ok(()) => u64::from_le_bytes(b),
        Err(_) => 0,
    }
}

/// Percent-encodes a path segment (ids and names are `[A-Za-z0-9_.-]`, but callers may pass
/// anything).
fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, SdkError> {
    serde_json::from_slice(body).map_err(|e| {
        SdkError::Decode(format!(
            "{e}: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        ))
    })
}

fn expect_json<T: DeserializeOwned>(a: Answer, want: StatusCode) -> Result<T, SdkError> {
    if a.status == want {
        return decode(&a.body);
    }
    match serde_json::from_slice::<ErrorBody>(&a.body) {
        Ok(e) => Err(SdkError::Api {
            status: a.status.as_u16(),
            code: e.code,
            message: e.error,
        }),
        Err(_) => Err(SdkError::Api {
            status: a.status.as_u16(),
            code: "unknown".into(),
            message: String::from_utf8_lossy(&a.body).into_owned(),
        }),
    }
}

#[cfg(test)]
mod tests;
