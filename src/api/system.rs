//! `/api/v1/health` (public), `/system/check`, `/audit/verify`, `/events` (server-sent
//! events of the service's bus) and `/metrics`.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;

use super::ApiState;
use super::error::{ApiError, Body};
use super::openapi::ProtectedErrors;
use crate::sandbox::{CheckReport, Verification};

/// `GET /health`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
    pub uptime_seconds: u64,
}

#[utoipa::path(
    get,
    path = "/health",
    operation_id = "getHealth",
    tag = "system",
    security(()),
    responses((status = 200, description = "The server is up (no key needed, not rate limited)", body = Health))
)]
pub async fn health(State(state): State<ApiState>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        uptime_seconds: state.inner.started.elapsed().as_secs(),
    })
}

#[utoipa::path(
    get,
    path = "/system/check",
    operation_id = "systemCheck",
    tag = "system",
    security(("api_key" = [])),
    responses((status = 200, description = "The report of `lasso check --json`", body = CheckReport), ProtectedErrors)
)]
pub async fn check(State(state): State<ApiState>) -> Json<CheckReport> {
    Json(state.inner.service.check().await)
}

/// `POST /audit/verify`: one sandbox's log (`{"sandbox": ID}`), or (`{}`) every log with its
/// index.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    /// A sandbox id, unique id prefix or name, or `system`.
    #[serde(default)]
    pub sandbox: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerifyAnswer {
    pub valid: bool,
    pub report: Verification,
}

#[utoipa::path(
    post,
    path = "/audit/verify",
    operation_id = "verifyAudit",
    tag = "audit",
    security(("api_key" = [])),
    request_body = VerifyBody,
    responses((status = 200, description = "The verification report (`valid` false when tampering was found)", body = VerifyAnswer), ProtectedErrors)
)]
pub async fn verify(
    State(state): State<ApiState>,
    Body(body): Body<VerifyBody>,
) -> Result<Json<VerifyAnswer>, ApiError> {
    let report = state
        .inner
        .service
        .verify_audit(body.sandbox.as_deref())
        .await?;
    Ok(Json(VerifyAnswer {
        valid: report.is_valid(),
        report,
    }))
}

/// `GET /events`: each bus event as one SSE message whose `event:` is the event's type and
/// whose data is its JSON. A client that falls behind gets a `lagged` message with the number
/// of events it missed, never a silent gap.
#[utoipa::path(
    get,
    path = "/events",
    operation_id = "streamEvents",
    tag = "system",
    security(("api_key" = [])),
    responses((status = 200, description = "Server-sent events: `event:` the type, `data:` its JSON", content_type = "text/event-stream", body = String), ProtectedErrors)
)]
pub async fn events(
    State(state): State<ApiState>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let rx = state.inner.service.events().subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let msg = match rx.recv().await {
            Ok(event) => {
                let data = serde_json::to_value(&event).unwrap_or_default();
                let kind = data
                    .get("event")
                    .and_then(|v| v.as_str())
                    .unwrap_or("event")
                    .to_string();
                SseEvent::default().event(kind).data(data.to_string())
            }
            Err(RecvError::Lagged(n)) => SseEvent::default()
                .event("lagged")
                .data(serde_json::json!({ "event": "lagged", "missed": n }).to_string()),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(msg), rx))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "getMetrics",
    tag = "system",
    security(("api_key" = [])),
    responses((status = 200, description = "Prometheus text exposition format 0.0.4", content_type = "text/plain", body = String), ProtectedErrors)
)]
pub async fn metrics(State(state): State<ApiState>) -> Response {
    let svc = &state.inner.service;
    let sandboxes = match tokio::time::timeout(Duration::from_secs(5), svc.list()).await {
        Ok(Ok(list)) => Some(list),
        _ => None,
    };
    let mut text = state.inner.metrics.render(
        sandboxes.as_deref(),
        state.inner.started.elapsed().as_secs_f64(),
    );
    state.inner.webhooks.render(&mut text);
    let mut resp = (StatusCode::OK, text).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}

/// One agent lasso can run (from `config::AGENTS`).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgentView {
    pub id: String,
    pub name: String,
    /// The program that starts it inside the sandbox.
    pub program: String,
    /// Variables to list in the profile's `agent_auth.forward_env`.
    pub forward_env: Vec<String>,
    /// Hosts it must reach (`network.allowed_domains` of a restricted profile).
    pub domains: Vec<String>,
    /// The built-in profile that suits it.
    pub profile: String,
    pub note: String,
}

/// `GET /agents`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Agents {
    pub agents: Vec<AgentView>,
}

#[utoipa::path(
    get,
    path = "/agents",
    operation_id = "listAgents",
    tag = "system",
    security(("api_key" = [])),
    responses((status = 200, description = "The agents lasso knows how to run, with the variables and profile each needs", body = Agents), ProtectedErrors)
)]
pub async fn agents() -> Json<Agents> {
    let strings = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect();
    Json(Agents {
        agents: crate::config::AGENTS
            .iter()
            .map(|a| AgentView {
                id: a.id.into(),
                name: a.name.into(),
                program: a.program.into(),
                forward_env: strings(a.forward_env),
                domains: strings(a.domains),
                profile: a.profile.into(),
                note: a.note.into(),
            })
            .collect(),
    })
}
