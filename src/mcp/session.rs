//! One MCP session: which sandboxes it created (the only ones it may use), its default
//! sandbox (created lazily from `--profile`/`--dir`), its actor name, and stopping everything
//! it created when it ends.
//!
//! Creates run in their own task so that a client that disconnects mid-create cannot leave a
//! half-made sandbox behind: the task finishes, registers the sandbox, and the shutdown —
//! which waits for running creates by taking the `closing` lock for writing — stops it.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::{Mutex as AsyncMutex, RwLock};

use crate::sandbox::{CreateRequest, ImageProgress, SandboxError, SandboxInfo, SandboxService};

/// What `lasso mcp` was started with.
#[derive(Debug, Clone, Default)]
pub struct McpOptions {
    /// Profile of the default sandbox (`--profile`).
    pub profile: Option<String>,
    /// Working directory of the default sandbox (`--dir`).
    pub dir: Option<PathBuf>,
}

impl McpOptions {
    /// Whether a default sandbox can be created without arguments.
    pub fn has_default(&self) -> bool {
        self.profile.is_some() || self.dir.is_some()
    }
}

/// A failure a tool reports to the agent (never a protocol error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolFailure {
    pub message: String,
    pub field: Option<String>,
}

impl ToolFailure {
    pub fn new(message: impl Into<String>) -> ToolFailure {
        ToolFailure {
            message: message.into(),
            field: None,
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> ToolFailure {
        ToolFailure {
            message: message.into(),
            field: Some(field.to_string()),
        }
    }
}

impl From<SandboxError> for ToolFailure {
    fn from(e: SandboxError) -> Self {
        ToolFailure::new(e.to_string())
    }
}

pub struct Session {
    pub(crate) svc: Arc<SandboxService>,
    pub(crate) options: McpOptions,
    actor: Mutex<String>,
    /// Ids of the sandboxes this session created and has not stopped, oldest first.
    owned: Mutex<Vec<String>>,
    /// The default sandbox's id.
    default: AsyncMutex<Option<String>>,
    /// Held through the lazy creation of the default sandbox.
    default_creation: AsyncMutex<()>,
    /// `true` once the session ends; creates hold it for reading while they run.
    closing: RwLock<bool>,
}

impl Session {
    pub fn new(svc: Arc<SandboxService>, options: McpOptions) -> Session {
        Session {
            svc,
            options,
            actor: Mutex::new("mcp:unknown".to_string()),
            owned: Mutex::new(Vec::new()),
            default: AsyncMutex::new(None),
            default_creation: AsyncMutex::new(()),
            closing: RwLock::new(false),
        }
    }

    /// `mcp:<client name>` from `initialize`, as the audit log records it.
    pub fn actor(&self) -> String {
        self.actor.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Records the client's name (control characters and excess length removed: it ends up
    /// in every audit entry of the session).
    pub fn set_client_name(&self, name: &str) {
        let clean: String = name.chars().filter(|c| !c.is_control()).take(64).collect();
        let clean = if clean.trim().is_empty() {
            "unknown".to_string()
        } else {
            clean
        };
        *self.actor.lock().unwrap_or_else(|e| e.into_inner()) = format!("mcp:{clean}");
    }

    pub fn owned_ids(&self) -> Vec<String> {
        self.owned.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn owns(&self, id: &str) -> bool {
        self.owned_ids().iter().any(|o| o == id)
    }

    fn forget(&self, id: &str) {
        self.owned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|o| o != id);
    }

    pub async fn default_id(&self) -> Option<String> {
        self.default.lock().await.clone()
    }

    /// Creates a sandbox owned by this session (the first one becomes the default when there
    /// is none yet). The create runs in its own task; see the module doc.
    pub async fn create(
        self: &Arc<Self>,
        profile: Option<String>,
        working_dir: PathBuf,
        name: Option<String>,
        progress: Box<dyn FnMut(ImageProgress) + Send>,
    ) -> Result<SandboxInfo, ToolFailure> {
        let me = self.clone();
        let task = tokio::spawn(async move {
            let guard = me.closing.read().await;
            if *guard {
                return Err(ToolFailure::new(
                    "the MCP session is ending; no new sandboxes are created",
                ));
            }
            let mut progress = progress;
            let req = CreateRequest {
                profile,
                working_dir,
                name,
                isolation: None,
                actor: me.actor(),
            };
            let info = me.svc.create(req, &mut *progress).await?;
            me.owned
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(info.id.clone());
            eprintln!(
                "lasso mcp: created sandbox {} ({}) with profile {}",
                info.name,
                info.short_id(),
                info.profile
            );
            drop(guard);
            Ok(info)
        });
        let info = task
            .await
            .map_err(|e| ToolFailure::new(format!("the create task failed: {e}")))??;
        let mut default = self.default.lock().await;
        if default.is_none() {
            *default = Some(info.id.clone());
        }
        Ok(info)
    }

    /// The sandbox a tool call means: `query` among this session's sandboxes, or the default
    /// (created now when `create_default` and `--profile`/`--dir` were given).
    pub async fn resolve(
        self: &Arc<Self>,
        query: Option<&str>,
        create_default: bool,
        progress: Box<dyn FnMut(ImageProgress) + Send>,
    ) -> Result<SandboxInfo, ToolFailure> {
        match query {
            Some(q) => self.find_owned(q).await,
            None => {
                // One lazy create at a time: a second call waits and then finds the default.
                let _serial = self.default_creation.lock().await;
                if let Some(id) = self.default_id().await {
                    return self.find_owned(&id).await;
                }
                if !(create_default && self.options.has_default()) {
                    return Err(ToolFailure::field(
                        "sandbox",
                        if self.options.has_default() {
                            "this session has no sandbox yet; run a command (sandbox_exec) to \
                             create the default one, or call sandbox_create"
                        } else {
                            "no `sandbox` given and this session has no default sandbox; pass \
                             `sandbox` (an id, prefix or name from sandbox_list) or create one \
                             with sandbox_create"
                        },
                    ));
                }
                let dir = self.default_dir()?;
                let profile = self.options.profile.clone();
                // `create` makes it the default (there is none).
                self.create(profile, dir, None, progress).await
            }
        }
    }

    fn default_dir(&self) -> Result<PathBuf, ToolFailure> {
        match &self.options.dir {
            Some(d) => Ok(d.clone()),
            None => std::env::current_dir().map_err(|e| {
                ToolFailure::new(format!(
                    "no --dir given and the current directory cannot be read ({e}); restart \
                     `lasso mcp` with --dir DIR"
                ))
            }),
        }
    }

    /// Finds `query` (full id, name, or unique id prefix) among this session's sandboxes.
    /// A sandbox of another session is refused without being named further.
    async fn find_owned(&self, query: &str) -> Result<SandboxInfo, ToolFailure> {
        if query.is_empty() {
            return Err(ToolFailure::field("sandbox", "`sandbox` is empty"));
        }
        let owned = self.owned_ids();
        let mine: Vec<SandboxInfo> = self
            .svc
            .list()
            .await?
            .into_iter()
            .filter(|s| owned.contains(&s.id))
            .collect();
        if let Some(exact) = mine.iter().find(|s| s.id == query || s.name == query) {
            return Ok(exact.clone());
        }
        let prefixed: Vec<&SandboxInfo> = mine.iter().filter(|s| s.id.starts_with(query)).collect();
        match prefixed.as_slice() {
            [one] => Ok((*one).clone()),
            [] => {
                let elsewhere = self.svc.get(query).await.is_ok();
                Err(ToolFailure::field(
                    "sandbox",
                    if elsewhere {
                        format!(
                            "sandbox `{query}` was not created by this MCP session; a session \
                             may only use the sandboxes it created (sandbox_list shows them)"
                        )
                    } else {
                        format!(
                            "no sandbox of this session matches `{query}` (sandbox_list shows \
                             them)"
                        )
                    },
                ))
            }
            many => Err(ToolFailure::field(
                "sandbox",
                format!(
                    "`{query}` matches several sandboxes of this session: {}; use a longer \
                     prefix or the name",
                    many.iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }

    /// The sandboxes of this session that still exist.
    pub async fn list(&self) -> Result<Vec<SandboxInfo>, ToolFailure> {
        let owned = self.owned_ids();
        Ok(self
            .svc
            .list()
            .await?
            .into_iter()
            .filter(|s| owned.contains(&s.id))
            .collect())
    }

    /// Stops one sandbox of this session.
    pub async fn stop(&self, info: &SandboxInfo) -> Result<SandboxInfo, ToolFailure> {
        if !self.owns(&info.id) {
            return Err(ToolFailure::field(
                "sandbox",
                "that sandbox was not created by this MCP session",
            ));
        }
        let stopped = self.svc.stop(&info.id, &self.actor()).await?;
        self.forget(&info.id);
        let mut default = self.default.lock().await;
        if default.as_deref() == Some(info.id.as_str()) {
            *default = None;
        }
        Ok(stopped)
    }

    /// Ends the session: waits for running creates, refuses new ones, stops every sandbox
    /// this session created. Returns how many were stopped; failures are reported on stderr
    /// (the protocol is gone by now).
    pub async fn shutdown(&self) -> usize {
        *self.closing.write().await = true;
        let actor = self.actor();
        let mut stopped = 0;
        for id in self.owned_ids() {
            match self.svc.stop(&id, &actor).await {
                Ok(info) => {
                    stopped += 1;
                    eprintln!(
                        "lasso mcp: stopped sandbox {} ({}) as the session ended",
                        info.name,
                        info.short_id()
                    );
                }
                Err(SandboxError::NotFound(_)) => {}
                Err(e) => eprintln!("lasso mcp: could not stop sandbox {id}: {e}"),
            }
            self.forget(&id);
        }
        stopped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Option<Session> {
        let home = tempfile::tempdir().ok()?;
        let home = crate::config::LassoHome::at(home.path().join("h")).ok()?;
        let settings = crate::config::Settings::default();
        let connect = crate::runtime::ConnectOptions::from_env().ok()?;
        let svc = SandboxService::new(crate::sandbox::ServiceOptions {
            home,
            settings,
            connect,
        });
        Some(Session::new(Arc::new(svc), McpOptions::default()))
    }

    #[test]
    fn client_names_become_clean_actors() {
        let Some(s) = session() else { return };
        assert_eq!(s.actor(), "mcp:unknown");
        s.set_client_name("claude-ai");
        assert_eq!(s.actor(), "mcp:claude-ai");
        s.set_client_name("evil\nname\u{7}");
        assert_eq!(s.actor(), "mcp:evilname");
        s.set_client_name(&"x".repeat(200));
        assert_eq!(s.actor().len(), 4 + 64);
        s.set_client_name("  ");
        assert_eq!(s.actor(), "mcp:unknown");
    }

    #[tokio::test]
    async fn without_defaults_a_missing_sandbox_argument_is_explained() {
        let Some(s) = session() else { return };
        let s = Arc::new(s);
        let err = s
            .resolve(None, true, Box::new(|_| {}))
            .await
            .err()
            .unwrap_or_else(|| ToolFailure::new(""));
        assert_eq!(err.field.as_deref(), Some("sandbox"));
        assert!(err.message.contains("sandbox_create"), "{}", err.message);
    }
}
