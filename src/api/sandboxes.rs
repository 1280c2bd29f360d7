//! `/api/v1/sandboxes`: create, list (paginated), show, exec, stop, delete, and each
//! sandbox's audit log. Handlers parse, call the service with the caller's key as actor, and
//! render; the service does the work and the auditing.

use std::path::PathBuf;

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::ApiState;
use super::auth::Caller;
use super::error::{ApiError, Body, Q};
use super::openapi::{BlockedBody, ProtectedErrors};
use super::pages::{PageQuery, Paginated};
use crate::audit::{self, AuditEntry, EntryKind, Filter, Outcome, Page};
use crate::config::Isolation;
use crate::sandbox::{CreateRequest, ExecOutcome, ExecResult, SandboxInfo};

/// `POST /sandboxes`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// Profile name; omitted: `<working_dir>/.lasso/profile.toml`.
    #[serde(default)]
    pub profile: Option<String>,
    /// Absolute host directory mounted at /workspace.
    #[schema(value_type = String)]
    pub working_dir: PathBuf,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub isolation: Option<Isolation>,
}

/// `POST /sandboxes/{id}/exec`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecBody {
    /// One command line, gated as a whole (as `lasso exec` joins its words).
    pub command: String,
}

#[utoipa::path(
    post,
    path = "/sandboxes",
    operation_id = "createSandbox",
    tag = "sandboxes",
    security(("api_key" = [])),
    request_body = CreateBody,
    responses(
        (status = 201, description = "The sandbox, as `lasso create --json`", body = SandboxInfo),
        ProtectedErrors
    )
)]
pub async fn create(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Body(body): Body<CreateBody>,
) -> Result<Response, ApiError> {
    if !body.working_dir.is_absolute() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_working_dir",
            format!(
                "working_dir {:?} must be an absolute path on the server's host",
                body.working_dir
            ),
        ));
    }
    if let Some(p) = &body.profile
        && (p.contains('/') || p.ends_with(".toml"))
    {
        // A remote caller names profiles, never files on the server.
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_profile",
            format!("profile {p:?} must be a profile name (GET /api/v1/profiles), not a path"),
        ));
    }
    let req = CreateRequest {
        profile: body.profile,
        working_dir: body.working_dir,
        name: body.name,
        isolation: body.isolation,
        actor: caller.actor(),
    };
    let info = state.inner.service.create(req, &mut |_| {}).await?;
    Ok((StatusCode::CREATED, Json(info)).into_response())
}

#[utoipa::path(
    get,
    path = "/sandboxes",
    operation_id = "listSandboxes",
    tag = "sandboxes",
    security(("api_key" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of sandboxes", body = Paginated<SandboxInfo>),
        ProtectedErrors
    )
)]
pub async fn list(
    State(state): State<ApiState>,
    Q(q): Q<PageQuery>,
) -> Result<Json<Paginated<SandboxInfo>>, ApiError> {
    let page = q.checked()?;
    let all = state.inner.service.list().await?;
    Ok(Json(Paginated::of(all, page)))
}

#[utoipa::path(
    get,
    path = "/sandboxes/{id}",
    operation_id = "getSandbox",
    tag = "sandboxes",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "Sandbox id, unique id prefix or name")),
    responses((status = 200, description = "The sandbox", body = SandboxInfo), ProtectedErrors)
)]
pub async fn show(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<SandboxInfo>, ApiError> {
    let info = state.inner.service.get(&id).await?;
    // Reading a sandbox is touching it: whatever its guard recorded is moved into its log.
    if let Err(e) = state.inner.service.ingest_spool(&info) {
        state
            .inner
            .diagnostics
            .report(&format!("ingesting the guard spool of {}: {e}", info.name));
    }
    Ok(Json(info))
}

#[utoipa::path(
    post,
    path = "/sandboxes/{id}/exec",
    operation_id = "execInSandbox",
    tag = "sandboxes",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "Sandbox id, unique id prefix or name")),
    request_body = ExecBody,
    responses(
        (status = 200, description = "The command ran (as `lasso exec --json`)", body = ExecResult),
        (status = 403, description = "The gate blocked the command", body = BlockedBody),
        ProtectedErrors
    )
)]
pub async fn exec(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Body(body): Body<ExecBody>,
) -> Result<Response, ApiError> {
    if body.command.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "command is empty: give the command line to run",
        ));
    }
    match state
        .inner
        .service
        .exec(&id, &body.command, &caller.actor())
        .await?
    {
        ExecOutcome::Ran(result) => Ok(Json(result).into_response()),
        ExecOutcome::Blocked(decision) => {
            // The decision as `lasso exec --json` prints it, plus the error shape every error
            // response has.
            let mut v = serde_json::to_value(&decision).unwrap_or_default();
            if let Some(map) = v.as_object_mut() {
                map.insert(
                    "error".into(),
                    format!("blocked by the command gate: {}", decision.reason).into(),
                );
                map.insert("code".into(), "blocked".into());
            }
            Ok((StatusCode::FORBIDDEN, Json(v)).into_response())
        }
    }
}

/// `POST /sandboxes/{id}/stop` and `DELETE /sandboxes/{id}` (the same operation).
#[utoipa::path(
    post,
    path = "/sandboxes/{id}/stop",
    operation_id = "stopSandbox",
    tag = "sandboxes",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "Sandbox id, unique id prefix or name")),
    responses((status = 200, description = "Stopped and removed; the sandbox as it was", body = SandboxInfo), ProtectedErrors)
)]
pub async fn stop(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<SandboxInfo>, ApiError> {
    Ok(Json(state.inner.service.stop(&id, &caller.actor()).await?))
}

#[utoipa::path(
    delete,
    path = "/sandboxes/{id}",
    operation_id = "deleteSandbox",
    tag = "sandboxes",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "Sandbox id, unique id prefix or name")),
    responses((status = 200, description = "Stopped and removed; the sandbox as it was", body = SandboxInfo), ProtectedErrors)
)]
pub async fn delete(
    state: State<ApiState>,
    caller: Extension<Caller>,
    id: Path<String>,
) -> Result<Json<SandboxInfo>, ApiError> {
    stop(state, caller, id).await
}

/// `GET /sandboxes/{id}/audit`: the filters of `lasso audit view`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Page number, from 1.
    #[param(minimum = 1)]
    pub page: Option<u64>,
    /// Entries per page (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub per_page: Option<u64>,
    /// Comma-separated entry types (`command,violation`).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kinds: Option<String>,
    /// Comma-separated outcomes (`success,blocked`).
    pub outcome: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub text: Option<String>,
    /// Oldest entries first (default newest first).
    #[serde(default)]
    pub oldest_first: bool,
}

/// A page of audit entries.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    pub page: u64,
    pub per_page: u64,
    /// Every match in the log, when the scan covered it (else `null`).
    pub total: Option<u64>,
    pub has_more: bool,
    /// Damaged or torn lines passed over (run `POST /audit/verify`).
    pub skipped_lines: u64,
}

impl AuditQuery {
    fn filter(&self) -> Result<Filter, ApiError> {
        Ok(Filter {
            kinds: split(self.kinds.as_deref())
                .map(|k| {
                    k.parse::<EntryKind>().map_err(|e| {
                        ApiError::new(
                            StatusCode::BAD_REQUEST,
                            "invalid_query",
                            format!("type: {e}"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
            outcomes: split(self.outcome.as_deref())
                .map(|o| {
                    o.parse::<Outcome>().map_err(|e| {
                        ApiError::new(
                            StatusCode::BAD_REQUEST,
                            "invalid_query",
                            format!("outcome: {e}"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
            since: self
                .since
                .as_deref()
                .map(|s| time("since", s))
                .transpose()?,
            until: self
                .until
                .as_deref()
                .map(|s| time("until", s))
                .transpose()?,
            text: self.text.clone().filter(|t| !t.is_empty()),
        })
    }
}

fn split(s: Option<&str>) -> impl Iterator<Item = &str> {
    s.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

fn time(param: &str, s: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Some(t) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        return Ok(t.and_utc());
    }
    Err(ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_query",
        format!("{param}={s:?} is not a time; use RFC 3339 (2026-11-27T13:00:00Z) or YYYY-MM-DD"),
    ))
}

#[utoipa::path(
    get,
    path = "/sandboxes/{id}/audit",
    operation_id = "getSandboxAudit",
    tag = "audit",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "Sandbox id (or unique prefix; also of a gone sandbox), name, or `system`"), AuditQuery),
    responses((status = 200, description = "A page of entries, newest first unless oldest_first", body = AuditPage), ProtectedErrors)
)]
pub async fn audit(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Q(q): Q<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let page = PageQuery {
        page: q.page,
        per_page: q.per_page,
    }
    .checked()?;
    let filter = q.filter()?;
    let path = state.inner.service.audit_log_for(&id).await?;
    let p = Page {
        limit: page.per_page as usize,
        offset: (page.per_page * (page.page - 1)) as usize,
        newest_first: !q.oldest_first,
    };
    let result = tokio::task::spawn_blocking(move || audit::query(&path, &filter, p))
        .await
        .map_err(|e| ApiError::internal("reading an audit log", e))?;
    let result = match result {
        Ok(r) => r,
        Err(audit::AuditError::NotFound { .. }) => {
            return Err(ApiError::not_found(format!(
                "sandbox `{id}` has no audit entries yet"
            )));
        }
        Err(e) => return Err(ApiError::internal("reading an audit log", e)),
    };
    Ok(Json(AuditPage {
        items: result.entries,
        page: page.page,
        per_page: page.per_page,
        total: result.total_matched,
        has_more: result.has_more,
        skipped_lines: result.skipped_lines,
    }))
}
