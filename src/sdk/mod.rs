//! The SDK: [`LassoClient`], one type for programs that drive lasso, either in-process (the
//! same [`SandboxService`] the CLI uses; the default) or over the REST API of a `lasso serve`
//! ([`LassoClient::remote`]). Both modes return the same types, so code moves between them by
//! changing the constructor.
//!
//! A scoped sandbox ([`LassoClient::sandbox`]) is stopped when the closure's future completes,
//! whatever it returned; [`LassoClient::shutdown`] stops every sandbox this client created that
//! is still running. Rust has no async drop, so an abandoned future cannot stop its sandbox: the
//! scope and `shutdown` are the guarantees, not `Drop`.

mod remote;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use thiserror::Error;

pub use remote::{RemoteClient, RetryPolicy};

use crate::config::Isolation;
use crate::sandbox::{
    CreateRequest, ExecOutcome, SandboxError, SandboxInfo, SandboxService, ServiceOptions,
};

/// What can go wrong in an SDK call.
#[derive(Debug, Error)]
pub enum SdkError {
    /// The in-process service refused or failed.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// The server answered with an error (`code` is the API's machine-readable code).
    #[error("the lasso API answered {status} ({code}): {message}")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    /// No answer could be had (after retries, for transient failures).
    #[error("cannot reach the lasso API at {url}: {reason}")]
    Transport { url: String, reason: String },
    #[error("invalid lasso API URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("unexpected answer from the lasso API: {0}")]
    Decode(String),
}

/// What to create.
#[derive(Debug, Clone)]
pub struct CreateOptions {
    /// Profile name; `None` uses `<working_dir>/.lasso/profile.toml`.
    pub profile: Option<String>,
    /// Absolute directory (on the host that runs the sandbox) mounted at /workspace.
    pub working_dir: PathBuf,
    pub name: Option<String>,
    pub isolation: Option<Isolation>,
}

impl CreateOptions {
    pub fn new(profile: impl Into<String>, working_dir: impl Into<PathBuf>) -> CreateOptions {
        CreateOptions {
            profile: Some(profile.into()),
            working_dir: working_dir.into(),
            name: None,
            isolation: None,
        }
    }

    pub fn name(mut self, name: impl Into<String>) -> CreateOptions {
        self.name = Some(name.into());
        self
    }
}

#[derive(Clone)]
enum Backend {
    Local(Arc<SandboxService>),
    Remote(Arc<RemoteClient>),
}

/// A handle to lasso, local or remote. Cheap to clone; clones share the set of sandboxes
/// [`LassoClient::shutdown`] stops.
#[derive(Clone)]
pub struct LassoClient {
    backend: Backend,
    created: Arc<Mutex<Vec<String>>>,
}

impl LassoClient {
    /// The in-process service, configured from the environment (`LASSO_HOME`, the engine
    /// variables), as the CLI is.
    pub fn local() -> Result<LassoClient, SdkError> {
        Ok(LassoClient::with_service(Arc::new(SandboxService::new(
            ServiceOptions::from_env()?,
        ))))
    }

    /// The in-process service given.
    pub fn with_service(service: Arc<SandboxService>) -> LassoClient {
        LassoClient {
            backend: Backend::Local(service),
            created: Arc::default(),
        }
    }

    /// A `lasso serve` at `url` (`http://127.0.0.1:8080`), authenticated with `api_key`.
    pub fn remote(url: &str, api_key: &str) -> Result<LassoClient, SdkError> {
        Ok(LassoClient::with_remote(RemoteClient::new(url, api_key)?))
    }

    /// A remote client with its own retry policy.
    pub fn with_remote(client: RemoteClient) -> LassoClient {
        LassoClient {
            backend: Backend::Remote(Arc::new(client)),
            created: Arc::default(),
        }
    }

    /// Who the audit log records for calls of a local client.
    const LOCAL_ACTOR: &'static str = "sdk";

    /// Creates and starts a sandbox.
    pub async fn create(&self, opts: CreateOptions) -> Result<SandboxInfo, SdkError> {
        let info = match &self.backend {
            Backend::Local(svc) => {
                let req = CreateRequest {
                    profile: opts.profile,
                    working_dir: opts.working_dir,
                    name: opts.name,
                    isolation: opts.isolation,
                    actor: Self::LOCAL_ACTOR.into(),
                };
                svc.create(req, &mut |_| {}).await?
            }
            Backend::Remote(r) => r.create(&opts).await?,
        };
        self.created
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(info.id.clone());
        Ok(info)
    }

    /// Gates, runs and audits one command: [`ExecOutcome::Blocked`] with the gate's decision,
    /// or [`ExecOutcome::Ran`] with its result.
    pub async fn exec(&self, sandbox: &str, command: &str) -> Result<ExecOutcome, SdkError> {
        match &self.backend {
            Backend::Local(svc) => Ok(svc.exec(sandbox, command, Self::LOCAL_ACTOR).await?),
            Backend::Remote(r) => r.exec(sandbox, command).await,
        }
    }

    /// Every sandbox (of the service's `LASSO_HOME`).
    pub async fn list(&self) -> Result<Vec<SandboxInfo>, SdkError> {
        match &self.backend {
            Backend::Local(svc) => Ok(svc.list().await?),
            Backend::Remote(r) => r.list().await,
        }
    }

    /// Stops and removes a sandbox.
    pub async fn stop(&self, sandbox: &str) -> Result<SandboxInfo, SdkError> {
        let info = match &self.backend {
            Backend::Local(svc) => svc.stop(sandbox, Self::LOCAL_ACTOR).await?,
            Backend::Remote(r) => r.stop(sandbox).await?,
        };
        self.created
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|id| *id != info.id);
        Ok(info)
    }

    /// Creates a sandbox, runs `body` with it, and stops it when `body`'s future completes,
    /// whatever it returned. `body`'s error comes first; a failed stop is reported otherwise.
    pub async fn sandbox<T, F, Fut>(&self, opts: CreateOptions, body: F) -> Result<T, SdkError>
    where
        F: FnOnce(Sandbox) -> Fut,
        Fut: std::future::Future<Output = Result<T, SdkError>>,
    {
        let info = self.create(opts).await?;
        let id = info.id.clone();
        let result = body(Sandbox {
            client: self.clone(),
            info,
        })
        .await;
        let stopped = self.stop(&id).await;
        let value = result?;
        stopped?;
        Ok(value)
    }

    /// Stops every sandbox this client (and its clones) created that is still running;
    /// returns how many were stopped, or the first failure after trying them all.
    pub async fn shutdown(&self) -> Result<usize, SdkError> {
        let ids: Vec<String> = self
            .created
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut stopped = 0;
        let mut first_error = None;
        for id in ids {
            match self.stop(&id).await {
                Ok(_) => stopped += 1,
                Err(e) => {
                    if first_error.is_none() {
                        first_error = Some(e);
                    }
                }
            }
        }
        match first_error {
            None => Ok(stopped),
            Some(e) => Err(e),
        }
    }
}

/// A sandbox inside [`LassoClient::sandbox`].
#[derive(Clone)]
pub struct Sandbox {
    client: LassoClient,
    info: SandboxInfo,
}

impl Sandbox {
    pub fn info(&self) -> &SandboxInfo {
        &self.info
    }

    pub fn id(&self) -> &str {
        &self.info.id
    }

    pub async fn exec(&self, command: &str) -> Result<ExecOutcome, SdkError> {
        self.client.exec(&self.info.id, command).await
    }
}
