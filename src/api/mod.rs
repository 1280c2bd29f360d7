//! The REST front end (`lasso serve`): an axum router over the same [`SandboxService`] the
//! CLI uses. Thin by rule: handlers parse, call the service with the caller's key as actor,
//! and render; they never talk to the engine or write the audit log themselves.
//!
//! Shape (after launchbadge/realworld-axum-sqlx): one shared [`ApiState`], one module per
//! resource (`sandboxes`, `profiles`, `system`), one error type ([`error::ApiError`]) that is
//! also the body of every error response. Layers, outermost first: error bodies made JSON →
//! body size limit → HTTP metrics → (protected routes only) authentication, rate limit and
//! the audit record of changing calls.
//!
//! Binding: loopback by default. This server has no TLS, so any other address is refused
//! unless forced (`--force-insecure`): keys and command output would cross the network in
//! clear text. Binding anywhere with no API key at all is refused too (every protected call
//! would be a 401), unless forced.
//!
//! The server never prints: its diagnostics go to a [`Diagnostics`] sink (stderr for
//! `lasso serve`, `tui.log` for `lasso --listen`, where the TUI owns the screen).

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod auth;
pub mod diagnostics;
pub mod error;
mod links;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod profiles;
pub mod sandboxes;
pub mod system;
pub mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use thiserror::Error;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::sandbox::{SandboxError, SandboxService};
use auth::{KeyCache, RateLimiter};
pub use diagnostics::Diagnostics;
use metrics::Metrics;

/// Largest request body accepted (bytes); larger bodies are a 413.
pub const DEFAULT_MAX_BODY: usize = 1 << 20;
/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// What every handler shares.
#[derive(Clone)]
pub struct ApiState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) service: Arc<SandboxService>,
    pub(crate) keys: KeyCache,
    pub(crate) limiter: RateLimiter,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) webhooks: Arc<webhooks::Webhooks>,
    pub(crate) started: Instant,
    pub(crate) max_body: usize,
    /// Where the server's own diagnostics go (stderr, or the TUI's log).
    pub(crate) diagnostics: Diagnostics,
}

impl ApiState {
    /// State over `service`, with the rate limit from its settings. Starts the metrics
    /// collector, so it must be called inside a Tokio runtime.
    pub fn new(service: Arc<SandboxService>) -> ApiState {
        ApiState::with_diagnostics(service, Diagnostics::stderr())
    }

    /// [`ApiState::new`] with diagnostics sent to `diagnostics` (the TUI's log file).
    pub fn with_diagnostics(service: Arc<SandboxService>, diagnostics: Diagnostics) -> ApiState {
        let limit = service.settings().api_rate_limit_per_minute;
        ApiState::build(
            service,
            RateLimiter::new(limit),
            DEFAULT_MAX_BODY,
            diagnostics,
        )
    }

    /// State with an explicit limiter and body limit (tests use short windows).
    pub fn with_limits(
        service: Arc<SandboxService>,
        limiter: RateLimiter,
        max_body: usize,
    ) -> ApiState {
        ApiState::build(service, limiter, max_body, Diagnostics::stderr())
    }

    fn build(
        service: Arc<SandboxService>,
        limiter: RateLimiter,
        max_body: usize,
        diagnostics: Diagnostics,
    ) -> ApiState {
        let metrics = Arc::new(Metrics::default());
        metrics.spawn_collector(service.events());
        let webhooks = webhooks::Webhooks::start_with(
            service.settings().webhooks.clone(),
            service.events(),
            diagnostics.clone(),
        );
        ApiState {
            inner: Arc::new(Inner {
                keys: KeyCache::new(service.api_keys()),
                service,
                limiter,
                metrics,
                webhooks,
                started: Instant::now(),
                max_body,
                diagnostics,
            }),
        }
    }

    pub fn service(&self) -> &Arc<SandboxService> {
        &self.inner.service
    }
}

/// The routes that need a key (every route is registered through `routes!`, which also adds
/// it to the OpenAPI document).
fn protected_routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(sandboxes::list, sandboxes::create))
        .routes(routes!(sandboxes::show, sandboxes::delete))
        .routes(routes!(sandboxes::exec))
        .routes(routes!(sandboxes::stop))
        .routes(routes!(sandboxes::audit))
        .routes(routes!(profiles::list, profiles::save))
        .routes(routes!(profiles::show, profiles::delete))
        .routes(routes!(system::verify))
        .routes(routes!(system::check))
        .routes(routes!(system::events))
        .routes(routes!(system::metrics))
        .routes(routes!(system::agents))
        .routes(routes!(webhooks::test))
        .routes(routes!(webhooks::events))
}

/// The routes anyone may call.
fn public_routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(system::health))
        .routes(routes!(openapi::spec))
}

/// The OpenAPI document of [`router`] (served by `GET /api/v1/openapi.json`).
pub(crate) fn openapi_document() -> utoipa::openapi::OpenApi {
    let mut doc = OpenApiRouter::<ApiState>::with_openapi(openapi::ApiDoc::openapi())
        .nest("/api/v1", protected_routes().merge(public_routes()))
        .into_openapi();
    openapi::describe_docs_routes(&mut doc);
    doc
}

/// The whole HTTP API.
pub fn router(state: ApiState) -> Router {
    let (protected, _) = protected_routes().split_for_parts();
    let protected = protected.route_layer(middleware::from_fn_with_state(
        state.clone(),
        auth::authenticate,
    ));
    let (public, _) = public_routes().split_for_parts();
    let max_body = state.inner.max_body;
    Router::new()
        .nest("/api/v1", protected.merge(public))
        .merge(openapi::docs_router())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::count_http,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            diagnostics::report_internal,
        ))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn(error::json_errors))
        .with_state(state)
}

/// How `lasso serve` listens.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    /// Allow a non-loopback address (no TLS) or a server without any API key.
    pub force_insecure: bool,
}

#[derive(Debug, Error)]
pub enum ServeError {
    #[error(
        "refusing to listen on {addr}: it is not a loopback address and this server has no TLS, \
         so API keys and command output would cross the network in clear text. Listen on \
         127.0.0.1 behind a TLS-terminating proxy, or pass --force-insecure if the network is \
         trusted"
    )]
    NotLoopback { addr: SocketAddr },
    #[error(
        "refusing to listen on {addr}: no API key exists, so every call except /api/v1/health \
         would be refused. Create one with `lasso api-key create --name NAME`, or pass \
         --force-insecure"
    )]
    NoKeys { addr: SocketAddr },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
    #[error(transparent)]
    Service(#[from] SandboxError),
}

/// Refuses the unsafe combinations described in the module doc.
pub fn check_bind(opts: &ServeOptions, keys: usize) -> Result<(), ServeError> {
    if opts.force_insecure {
        return Ok(());
    }
    if !opts.listen.ip().is_loopback() {
        return Err(ServeError::NotLoopback { addr: opts.listen });
    }
    if keys == 0 {
        return Err(ServeError::NoKeys { addr: opts.listen });
    }
    Ok(())
}

/// A bound listener, ready to serve (tests bind port 0 and read the address).
pub struct Server {
    listener: tokio::net::TcpListener,
    state: ApiState,
}

impl Server {
    /// Checks the options and binds.
    pub async fn bind(state: ApiState, opts: &ServeOptions) -> Result<Server, ServeError> {
        let keys = state.inner.keys.count()?;
        check_bind(opts, keys)?;
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .map_err(|source| ServeError::Bind {
                addr: opts.listen,
                source,
            })?;
        Ok(Server { listener, state })
    }

    pub fn local_addr(&self) -> Result<SocketAddr, ServeError> {
        self.listener.local_addr().map_err(ServeError::Serve)
    }

    /// Serves until `shutdown` completes; in-flight requests finish first.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        axum::serve(self.listener, router(self.state))
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(ServeError::Serve)
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod webhook_tests;
