//! Authentication (`X-API-Key`), the per-key rate limit, and the audit record of every
//! changing call — one middleware, in that order, on every route except the public ones.
//!
//! Keys are read from `LASSO_HOME/api_keys` and re-read whenever the file changes (its
//! modification time or size), so `lasso api-key revoke` in another process takes effect on
//! the next request without a restart. A key file that cannot be read fails closed (503).
//!
//! The rate limit is a fixed one-minute window per key: simple to reason about, and the
//! headers (`X-RateLimit-Limit`, `-Remaining`, `-Reset` in seconds) describe it exactly.
//! Unauthenticated requests are refused before they count against any key; they are not
//! written to the audit log (a flood of them would be a way to fill the disk) but are counted
//! in the metrics by status.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiState;
use super::error::ApiError;
use crate::sandbox::{ApiKeySet, ApiKeyStore, SandboxError};

/// The header that carries the key.
pub const KEY_HEADER: &str = "x-api-key";

/// The authenticated caller, available to handlers as an extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The key's name.
    pub name: String,
}

impl Caller {
    /// The audit log's actor for this caller.
    pub fn actor(&self) -> String {
        format!("api:{}", self.name)
    }
}

/// The key set, refreshed when the key file changes.
pub struct KeyCache {
    store: ApiKeyStore,
    cached: Mutex<(Option<(SystemTime, u64)>, ApiKeySet)>,
}

impl KeyCache {
    pub fn new(store: ApiKeyStore) -> KeyCache {
        KeyCache {
            store,
            cached: Mutex::new((None, ApiKeySet::default())),
        }
    }

    /// The key name `presented` belongs to, or `None`.
    pub fn check(&self, presented: &str) -> Result<Option<String>, SandboxError> {
        let stamp = match std::fs::metadata(self.store.path()) {
            Ok(m) => Some((m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(SandboxError::io(
                    format!("inspecting {}", self.store.path().display()),
                    e,
                ));
            }
        };
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        if cached.0 != stamp || stamp.is_none() {
            let keys = self.store.list()?;
            *cached = (stamp, ApiKeySet::new(keys));
        }
        Ok(cached.1.check(presented).map(str::to_string))
    }

    /// How many keys exist now.
    pub fn count(&self) -> Result<usize, SandboxError> {
        Ok(self.store.list()?.len())
    }
}

/// A fixed one-minute window per key.
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

/// The limiter's verdict for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateStatus {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Whole seconds until the window resets (at least 1).
    pub reset_secs: u64,
}

impl RateLimiter {
    pub fn new(limit_per_minute: u32) -> RateLimiter {
        RateLimiter::with_window(limit_per_minute, Duration::from_secs(60))
    }

    pub fn with_window(limit: u32, window: Duration) -> RateLimiter {
        RateLimiter {
            limit,
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Counts one request of `key` made at `now`.
    pub fn hit(&self, key: &str, now: Instant) -> RateStatus {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let entry = windows.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        let allowed = entry.1 < self.limit;
        if allowed {
            entry.1 += 1;
        }
        let left = self.window.saturating_sub(now.duration_since(entry.0));
        RateStatus {
            allowed,
            limit: self.limit,
            remaining: self.limit - entry.1,
            reset_secs: left.as_secs() + u64::from(left.subsec_nanos() > 0),
        }
        .max_reset_one()
    }
}

impl RateStatus {
    fn max_reset_one(mut self) -> RateStatus {
        self.reset_secs = self.reset_secs.max(1);
        self
    }

    fn apply(&self, headers: &mut HeaderMap) {
        headers.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("x-ratelimit-reset", HeaderValue::from(self.reset_secs));
    }
}

/// The middleware: authenticate, rate-limit, run, audit.
pub async fn authenticate(State(state): State<ApiState>, mut req: Request, next: Next) -> Response {
    let presented = req
        .headers()
        .get(KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let Some(presented) = presented else {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing X-API-Key header; create a key with `lasso api-key create --name NAME`",
        )
        .into_response();
    };
    let name = match state.inner.keys.check(&presented) {
        Ok(Some(name)) => name,
        Ok(None) => {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "the X-API-Key is not valid (unknown or revoked; see `lasso api-key list`)",
            )
            .into_response();
        }
        Err(e) => {
            state
                .inner
                .diagnostics
                .report(&format!("cannot read the API keys: {e}"));
            return ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "auth_unavailable",
                "the server cannot read its API keys; the server log has the details",
            )
            .into_response();
        }
    };
    let rate = state.inner.limiter.hit(&name, Instant::now());
    if !rate.allowed {
        let mut resp = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "rate limit of {} requests per minute for key `{name}` exceeded; retry in {} s",
                rate.limit, rate.reset_secs
            ),
        )
        .into_response();
        rate.apply(resp.headers_mut());
        resp.headers_mut()
            .insert("retry-after", HeaderValue::from(rate.reset_secs));
        return resp;
    }
    let caller = Caller { name };
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| req.uri().path().to_string(), |m| m.as_str().to_string());
    let path = req.uri().path().to_string();
    req.extensions_mut().insert(caller.clone());
    let mut resp = next.run(req).await;
    rate.apply(resp.headers_mut());
    if changes_state(&method) {
        let svc = state.inner.service.clone();
        let actor = caller.actor();
        let status = resp.status().as_u16();
        let target = format!("{route} ({path})");
        let recorded = tokio::task::spawn_blocking(move || {
            svc.record_api_call(&actor, method.as_str(), &target, status)
        })
        .await;
        match recorded {
            Ok(Ok(())) => {}
            Ok(Err(e)) => state
                .inner
                .diagnostics
                .report(&format!("could not audit an API call: {e}")),
            Err(e) => state
                .inner
                .diagnostics
                .report(&format!("could not audit an API call: {e}")),
        }
    }
    resp
}

fn changes_state(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_counts_down_and_resets() {
        let rl = RateLimiter::with_window(3, Duration::from_secs(60));
        let t0 = Instant::now();
        let s: Vec<(bool, u32)> = (0..4)
            .map(|_| rl.hit("a", t0))
            .map(|s| (s.allowed, s.remaining))
            .collect();
        assert_eq!(s, vec![(true, 2), (true, 1), (true, 0), (false, 0)]);
        // Another key has its own window.
        assert!(rl.hit("b", t0).allowed);
        let later = rl.hit("a", t0 + Duration::from_secs(20));
        assert_eq!((later.allowed, later.reset_secs), (false, 40));
        let next = rl.hit("a", t0 + Duration::from_secs(61));
        assert_eq!(
            (next.allowed, next.remaining, next.reset_secs),
            (true, 2, 60)
        );
    }
}
