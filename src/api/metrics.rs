//! `GET /metrics`: Prometheus text exposition (format 0.0.4), written by hand — a few
//! counters and one histogram do not justify a metrics framework.
//!
//! Exec and audit counters come from the service's event bus (a collector task subscribes when
//! the API state is built), so they count every exec of this process, whichever front end
//! asked. HTTP counters come from a middleware keyed by the matched route pattern (never the
//! raw path: ids in paths would make the label set unbounded). Sandboxes by state are read from
//! the engine when scraped.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::broadcast::error::RecvError;

use super::ApiState;
use crate::sandbox::{Event, EventBus, SandboxInfo};

/// Upper bounds (seconds) of the exec latency histogram's buckets.
pub const LATENCY_BUCKETS: &[f64] = &[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

#[derive(Debug, Default)]
struct Histogram {
    /// Cumulative counts per bucket of [`LATENCY_BUCKETS`].
    buckets: Vec<u64>,
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        if self.buckets.len() != LATENCY_BUCKETS.len() {
            self.buckets = vec![0; LATENCY_BUCKETS.len()];
        }
        for (b, le) in self.buckets.iter_mut().zip(LATENCY_BUCKETS) {
            if secs <= *le {
                *b += 1;
            }
        }
        self.count += 1;
        self.sum += secs;
    }
}

/// Every counter the API exports.
#[derive(Debug, Default)]
pub struct Metrics {
    http: Mutex<BTreeMap<(String, String, u16), u64>>,
    execs: Mutex<BTreeMap<String, u64>>,
    blocked: Mutex<BTreeMap<String, u64>>,
    latency: Mutex<Histogram>,
    guard_denials: AtomicU64,
    audit_appends: AtomicU64,
    events_dropped: AtomicU64,
}

fn bump(map: &Mutex<BTreeMap<String, u64>>, key: &str) {
    let mut m = map.lock().unwrap_or_else(|e| e.into_inner());
    *m.entry(key.to_string()).or_insert(0) += 1;
}

impl Metrics {
    /// Counts one event of the bus.
    pub fn observe(&self, event: &Event) {
        match event {
            Event::CommandExecuted {
                profile,
                duration_ms,
                ..
            } => {
                bump(&self.execs, profile);
                let mut h = self.latency.lock().unwrap_or_else(|e| e.into_inner());
                h.observe(*duration_ms as f64 / 1000.0);
            }
            Event::Violation { profile, .. } => {
                bump(&self.execs, profile);
                bump(&self.blocked, profile);
            }
            Event::GuardDenied { .. } => {
                self.guard_denials.fetch_add(1, Ordering::Relaxed);
            }
            Event::AuditAppended { .. } => {
                self.audit_appends.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }

    /// Counts one HTTP response.
    pub fn observe_http(&self, method: &str, route: &str, status: u16) {
        let mut m = self.http.lock().unwrap_or_else(|e| e.into_inner());
        *m.entry((method.to_string(), route.to_string(), status))
            .or_insert(0) += 1;
    }

    /// Subscribes to `bus` now (so nothing published after this call is missed) and counts
    /// its events in a task until the bus closes.
    pub fn spawn_collector(self: &std::sync::Arc<Self>, bus: &EventBus) {
        let mut rx = bus.subscribe();
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(event) => me.observe(&event),
                    Err(RecvError::Lagged(n)) => {
                        me.events_dropped.fetch_add(n, Ordering::Relaxed);
                    }
                    Err(RecvError::Closed) => break,
                }
            }
        });
    }

    /// The exposition text; `sandboxes` is `None` when the engine could not be asked.
    pub fn render(&self, sandboxes: Option<&[SandboxInfo]>, uptime_secs: f64) -> String {
        let mut text = String::new();
        head(
            &mut text,
            "lasso_uptime_seconds",
            "gauge",
            "Seconds since the API server started.",
        );
        let _ = writeln!(text, "lasso_uptime_seconds {uptime_secs:.3}");

        head(
            &mut text,
            "lasso_engine_up",
            "gauge",
            "1 when the container engine answered the last scrape.",
        );
        let _ = writeln!(text, "lasso_engine_up {}", u8::from(sandboxes.is_some()));
        head(
            &mut text,
            "lasso_sandboxes",
            "gauge",
            "Sandboxes of this LASSO_HOME by container state.",
        );
        if let Some(list) = sandboxes {
            let mut by_state: BTreeMap<&str, u64> = BTreeMap::new();
            for s in ["running", "creating", "exited", "created", "paused"] {
                by_state.insert(s, 0);
            }
            for s in list {
                *by_state.entry(s.state.as_str()).or_insert(0) += 1;
            }
            for (state, n) in by_state {
                let _ = writeln!(text, "lasso_sandboxes{{state=\"{}\"}} {n}", esc(state));
            }
        }
        head(
            &mut text,
            "lasso_execs_total",
            "counter",
            "Commands submitted to the gate (allowed and blocked), by profile.",
        );
        for (p, n) in self.execs.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(text, "lasso_execs_total{{profile=\"{}\"}} {n}", esc(p));
        }
        head(
            &mut text,
            "lasso_execs_blocked_total",
            "counter",
            "Commands the gate blocked, by profile.",
        );
        for (p, n) in self
            .blocked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                text,
                "lasso_execs_blocked_total{{profile=\"{}\"}} {n}",
                esc(p)
            );
        }
        head(
            &mut text,
            "lasso_exec_duration_seconds",
            "histogram",
            "Duration of commands that ran.",
        );
        {
            let h = self.latency.lock().unwrap_or_else(|e| e.into_inner());
            for (i, le) in LATENCY_BUCKETS.iter().enumerate() {
                let n = h.buckets.get(i).copied().unwrap_or(0);
                let _ = writeln!(
                    text,
                    "lasso_exec_duration_seconds_bucket{{le=\"{le}\"}} {n}"
                );
            }
            let _ = writeln!(
                text,
                "lasso_exec_duration_seconds_bucket{{le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(text, "lasso_exec_duration_seconds_sum {:.3}", h.sum);
            let _ = writeln!(text, "lasso_exec_duration_seconds_count {}", h.count);
        }
        head(
            &mut text,
            "lasso_guard_denials_total",
            "counter",
            "Execs of sandboxed processes the in-sandbox guard denied (or would have, in shadow mode).",
        );
        let _ = writeln!(
            text,
            "lasso_guard_denials_total {}",
            self.guard_denials.load(Ordering::Relaxed)
        );
        head(
            &mut text,
            "lasso_audit_appends_total",
            "counter",
            "Entries appended to audit logs by this process.",
        );
        let _ = writeln!(
            text,
            "lasso_audit_appends_total {}",
            self.audit_appends.load(Ordering::Relaxed)
        );
        head(
            &mut text,
            "lasso_events_dropped_total",
            "counter",
            "Bus events the metrics collector missed because it fell behind.",
        );
        let _ = writeln!(
            text,
            "lasso_events_dropped_total {}",
            self.events_dropped.load(Ordering::Relaxed)
        );
        head(
            &mut text,
            "lasso_http_requests_total",
            "counter",
            "HTTP responses by method, route pattern and status.",
        );
        for ((m, r, s), n) in self.http.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(
                text,
                "lasso_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{s}\"}} {n}",
                esc(m),
                esc(r)
            );
        }
        text
    }
}

fn head(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Escapes a label value (backslash, quote, newline).
fn esc(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The middleware counting every response by route pattern (`unmatched` for 404s).
pub async fn count_http(State(state): State<ApiState>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let resp = next.run(req).await;
    state
        .inner
        .metrics
        .observe_http(&method, &route, resp.status().as_u16());
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Rule;

    #[test]
    fn events_and_requests_are_rendered_as_prometheus_text() {
        let m = Metrics::default();
        m.observe(&Event::CommandExecuted {
            id: "a".into(),
            profile: "strict".into(),
            command: "ls".into(),
            exit_code: 0,
            duration_ms: 70,
            timed_out: false,
        });
        m.observe(&Event::Violation {
            id: "a".into(),
            profile: "strict".into(),
            command: "rm -rf /".into(),
            rule: Rule::NotWhitelisted,
            reason: "no".into(),
        });
        m.observe(&Event::AuditAppended {
            log: "l".into(),
            seq: 1,
        });
        m.observe_http("GET", "/api/v1/sandboxes", 200);
        m.observe_http("GET", "/api/v1/sandboxes", 200);
        let text = m.render(Some(&[]), 1.5);
        for line in [
            "lasso_execs_total{profile=\"strict\"} 2",
            "lasso_execs_blocked_total{profile=\"strict\"} 1",
            "lasso_exec_duration_seconds_bucket{le=\"0.05\"} 0",
            "lasso_exec_duration_seconds_bucket{le=\"0.1\"} 1",
            "lasso_exec_duration_seconds_bucket{le=\"+Inf\"} 1",
            "lasso_exec_duration_seconds_count 1",
            "lasso_audit_appends_total 1",
            "lasso_sandboxes{state=\"running\"} 0",
            "lasso_engine_up 1",
            "lasso_http_requests_total{method=\"GET\",route=\"/api/v1/sandboxes\",status=\"200\"} 2",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
        assert!(m.render(None, 0.0).contains("lasso_engine_up 0"));
        assert_eq!(esc("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
