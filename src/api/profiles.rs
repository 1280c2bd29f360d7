//! `/api/v1/profiles`: list (paginated), show, save (validated by the same validator as every
//! other way in, so errors name the file position and the field), delete (built-ins refused).
//!
//! The API sees the user's profiles (`LASSO_HOME/profiles`, `LASSO_PROFILE_DIR`) and the
//! built-ins; there is no project directory on this side of the wire.

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::ApiState;
use super::auth::Caller;
use super::error::{ApiError, Body, ErrorBody, Q};
use super::openapi::ProtectedErrors;
use super::pages::{PageQuery, Paginated};
use crate::config::{ProfileInfo, ProfileSource};
use crate::sandbox::SandboxError;

/// `POST /profiles`: the profile as TOML text, saved as `name`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveBody {
    pub name: String,
    pub toml: String,
}

/// One resolved profile.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProfileView {
    pub name: String,
    /// `builtin` or the file it came from.
    pub source: String,
    pub description: String,
    /// SHA-256 of the resolved profile (what a sandbox's `profile_hash` is compared with).
    pub hash: String,
    /// The resolved profile, every field concrete.
    #[schema(value_type = Object)]
    pub profile: serde_json::Value,
}

#[utoipa::path(
    get,
    path = "/profiles",
    operation_id = "listProfiles",
    tag = "profiles",
    security(("api_key" = [])),
    params(PageQuery),
    responses((status = 200, description = "A page of profiles with source and problems", body = Paginated<ProfileInfo>), ProtectedErrors)
)]
pub async fn list(
    State(state): State<ApiState>,
    Q(q): Q<PageQuery>,
) -> Result<Json<Paginated<ProfileInfo>>, ApiError> {
    let page = q.checked()?;
    let all = state
        .inner
        .service
        .profiles(None)
        .and_then(|s| s.list().map_err(SandboxError::from))?;
    Ok(Json(Paginated::of(all, page)))
}

fn check_name(name: &str) -> Result<(), ApiError> {
    crate::config::check_profile_name(name).map_err(|expected| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_name",
            format!("profile name {name:?} is not valid: {expected}"),
        )
    })
}

#[utoipa::path(
    get,
    path = "/profiles/{name}",
    operation_id = "getProfile",
    tag = "profiles",
    security(("api_key" = [])),
    params(("name" = String, Path, description = "Profile name")),
    responses((status = 200, description = "The resolved profile", body = ProfileView), ProtectedErrors)
)]
pub async fn show(
    State(state): State<ApiState>,
    Path(name): Path<String>,
) -> Result<Json<ProfileView>, ApiError> {
    check_name(&name)?;
    let store = state.inner.service.profiles(None)?;
    let r = store.resolve_detailed(&name).map_err(SandboxError::from)?;
    Ok(Json(ProfileView {
        name: r.profile.name.clone(),
        source: match &r.source {
            ProfileSource::Builtin => "builtin".into(),
            ProfileSource::File(p) => p.display().to_string(),
        },
        description: r.profile.description.clone(),
        hash: r.profile.hash(),
        profile: serde_json::to_value(&r.profile).unwrap_or_default(),
    }))
}

/// The answer of `POST /profiles`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SavedProfile {
    pub name: String,
    /// The file it was written to.
    #[schema(value_type = String)]
    pub path: std::path::PathBuf,
    pub hash: String,
    /// The history version the replaced profile was archived as (`null` for a new profile).
    pub archived_version: Option<u32>,
}

#[utoipa::path(
    post,
    path = "/profiles",
    operation_id = "saveProfile",
    tag = "profiles",
    security(("api_key" = [])),
    request_body = SaveBody,
    responses(
        (status = 201, description = "A new profile was saved", body = SavedProfile),
        (status = 200, description = "An existing profile was replaced (and archived)", body = SavedProfile),
        ProtectedErrors
    )
)]
pub async fn save(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Body(body): Body<SaveBody>,
) -> Result<Response, ApiError> {
    check_name(&body.name)?;
    let saved = state
        .inner
        .service
        .save_profile(&body.name, &body.toml, &caller.actor())?;
    let status = if saved.archived.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(SavedProfile {
            name: body.name,
            path: saved.path,
            hash: saved.profile.hash(),
            archived_version: saved.archived.map(|a| a.version),
        }),
    )
        .into_response())
}

#[utoipa::path(
    delete,
    path = "/profiles/{name}",
    operation_id = "deleteProfile",
    tag = "profiles",
    security(("api_key" = [])),
    params(("name" = String, Path, description = "Profile name")),
    responses(
        (status = 204, description = "Deleted (archived in its history)"),
        (status = 403, description = "Built-in profiles cannot be deleted", body = ErrorBody),
        ProtectedErrors
    )
)]
pub async fn delete(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    check_name(&name)?;
    state.inner.service.delete_profile(&name, &caller.actor())?;
    Ok(StatusCode::NO_CONTENT)
}
