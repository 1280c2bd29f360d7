//! The REST front end's one error type and the guarantees about error bodies.
//!
//! Every error response is JSON `{"error": "...", "code": "..."}`: [`ApiError`] renders the
//! errors handlers return; the request extractors here ([`Body`], [`Q`]) turn axum's plain
//! text rejections into that shape with the serde message that says what is wrong (the missing
//! field, the wrong type, the line and column); and [`json_errors`] rewrites whatever error
//! response is still not JSON (axum's own 404/405/413) as the last layer, so no route can
//! answer with a bare body. Internal failures are logged on stderr and answered with a generic
//! 500 text, never echoed: their text may carry host paths.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderValue, StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::ConfigError;
use crate::runtime::RuntimeError;
use crate::sandbox::SandboxError;

/// An error answer: a status, a stable machine-readable code and a message for a human.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// An internal error's full text, for the server's diagnostics only.
    pub detail: Option<String>,
}

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: String,
    pub code: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            detail: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// A failure of lasso itself: logged in full, answered generically.
    pub fn internal(context: &str, detail: impl std::fmt::Display) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("internal error while {context}; the server log has the details"),
        );
        e.detail = Some(format!("internal error while {context}: {detail}"));
        e
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.message,
            code: self.code.to_string(),
        };
        let mut resp = (self.status, Json(body)).into_response();
        // For the server's log only (see diagnostics.rs); never sent to the client.
        if let Some(detail) = self.detail {
            resp.extensions_mut()
                .insert(super::diagnostics::InternalDetail(detail));
        }
        resp
    }
}

impl From<SandboxError> for ApiError {
    fn from(e: SandboxError) -> ApiError {
        use SandboxError as S;
        let (status, code) = match &e {
            S::NotFound(_) => (StatusCode::NOT_FOUND, "sandbox_not_found"),
            S::NoAuditLog { .. } => (StatusCode::NOT_FOUND, "audit_log_not_found"),
            S::Ambiguous { .. } => (StatusCode::CONFLICT, "ambiguous"),
            S::NameTaken(_) => (StatusCode::CONFLICT, "name_taken"),
            S::NotRunning { .. } => (StatusCode::CONFLICT, "not_running"),
            S::Creating(_) => (StatusCode::CONFLICT, "creating"),
            S::Unusable { .. } => (StatusCode::CONFLICT, "unusable"),
            S::InvalidName { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_name"),
            S::WorkingDir { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_working_dir"),
            S::Isolation { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_isolation"),
            S::Gate { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_profile"),
            S::ApiKeys(_) => (StatusCode::UNPROCESSABLE_ENTITY, "api_keys"),
            S::FileRefused { .. } => (StatusCode::FORBIDDEN, "file_refused"),
            S::SessionRefused(_) => (StatusCode::FORBIDDEN, "session_refused"),
            S::RestartFailed { .. } => (StatusCode::CONFLICT, "restart_failed"),
            S::FileFailed { .. } => return ApiError::internal("a file operation", e),
            S::Config(c) => return config_error(c, e.to_string()),
            S::Runtime(r) => return runtime_error(r, e.to_string()),
            S::SelfTest(_) | S::Guard(_) | S::Image(_) => {
                (StatusCode::BAD_GATEWAY, "sandbox_failed")
            }
            S::Audit(_) | S::Io { .. } => return ApiError::internal("serving the request", e),
        };
        ApiError::new(status, code, e.to_string())
    }
}

fn config_error(c: &ConfigError, message: String) -> ApiError {
    use ConfigError as C;
    let (status, code) = match c {
        C::UnknownProfile { .. } => (StatusCode::NOT_FOUND, "profile_not_found"),
        C::BuiltinReadOnly { .. } => (StatusCode::FORBIDDEN, "builtin_read_only"),
        C::AlreadyExists { .. } => (StatusCode::CONFLICT, "already_exists"),
        C::Io { .. } | C::NoHome | C::InsecureHome { .. } | C::InvalidEnv { .. } => {
            return ApiError::internal("reading profiles or settings", message);
        }
        _ => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_profile"),
    };
    ApiError::new(status, code, message)
}

fn runtime_error(r: &RuntimeError, message: String) -> ApiError {
    use RuntimeError as R;
    let (status, code) = match r {
        R::NoEngine { .. } | R::EngineTimeout { .. } => {
            (StatusCode::SERVICE_UNAVAILABLE, "engine_unavailable")
        }
        R::RuntimeUnavailable { .. } | R::RuntimeMismatch { .. } => {
            (StatusCode::UNPROCESSABLE_ENTITY, "runtime_unavailable")
        }
        R::InvalidOption { .. } | R::InvalidSpec { .. } => {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request")
        }
        R::ContainerNotFound { .. } => (StatusCode::NOT_FOUND, "sandbox_not_found"),
        R::NameConflict { .. } => (StatusCode::CONFLICT, "name_taken"),
        R::ImageNotFound { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "image_not_found"),
        _ => (StatusCode::BAD_GATEWAY, "engine_error"),
    };
    ApiError::new(status, code, message)
}

/// A JSON request body whose rejection is an [`ApiError`] naming what is wrong.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    let status = r.status();
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
        _ => "malformed_json",
    };
    // A body of valid JSON with the wrong shape is still the client's malformed request: the
    // issue asks for 400 with what is wrong, so only size and media type keep their status.
    let status = match status {
        StatusCode::PAYLOAD_TOO_LARGE | StatusCode::UNSUPPORTED_MEDIA_TYPE => status,
        _ => StatusCode::BAD_REQUEST,
    };
    ApiError::new(status, code, r.body_text())
}

/// Query parameters whose rejection is an [`ApiError`] naming the parameter.
pub struct Q<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Q<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Q(q.0))
            .map_err(|r: QueryRejection| {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", r.body_text())
            })
    }
}

/// Rewrites every error response that is not JSON into the `{"error", "code"}` shape.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, 64 << 10).await {
        Ok(b) => String::from_utf8_lossy(&b).trim().to_string(),
        Err(_) => String::new(),
    };
    let (code, message) = match status {
        StatusCode::NOT_FOUND => (
            "not_found",
            "no such route; the API is under /api/v1 (see /api/v1/openapi.json)".to_string(),
        ),
        // axum adds the Allow header outside every layer, so it is not visible here yet.
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "method not allowed on this route; the Allow header lists the methods it accepts"
                .to_string(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "body_too_large",
            "the request body is larger than the server accepts".to_string(),
        ),
        _ if text.is_empty() => (
            "error",
            status.canonical_reason().unwrap_or("error").to_string(),
        ),
        _ => ("error", text),
    };
    let body = ErrorBody {
        error: message,
        code: code.to_string(),
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_errors_map_to_statuses_with_their_message() {
        let e = ApiError::from(SandboxError::NotFound("x".into()));
        assert_eq!(
            (e.status, e.code),
            (StatusCode::NOT_FOUND, "sandbox_not_found")
        );
        assert!(e.message.contains("no sandbox matches `x`"));
        let e = ApiError::from(SandboxError::NotRunning {
            id: "a".into(),
            state: "exited".into(),
        });
        assert_eq!(e.status, StatusCode::CONFLICT);
        let e = ApiError::from(SandboxError::Creating("dev".into()));
        assert_eq!((e.status, e.code), (StatusCode::CONFLICT, "creating"));
        assert_eq!(
            e.message,
            "sandbox dev is still being created; try again in a moment"
        );
        let e = ApiError::from(SandboxError::Config(ConfigError::BuiltinReadOnly {
            name: "strict".into(),
        }));
        assert_eq!(
            (e.status, e.code),
            (StatusCode::FORBIDDEN, "builtin_read_only")
        );
        let e = ApiError::from(SandboxError::io(
            "writing /secret/path",
            std::io::Error::other("disk full"),
        ));
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            !e.message.contains("/secret/path"),
            "internal details are not echoed"
        );
    }
}
