//! The rmcp `ServerHandler`: `initialize` records the client's name (the audit actor),
//! `tools/list` returns the catalogue, `tools/call` parses arguments against the tool's schema
//! and calls the session and the service. Every failure the agent can act on — a bad
//! argument, a blocked command, a refused path, a sandbox of another session — is a tool
//! result with `isError: true` and a message saying what to do; protocol errors are kept for
//! requests that cannot be routed at all (an unknown tool).

use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    InitializeRequestParams, InitializeResult, ListToolsResult, PaginatedRequestParams,
    ProgressNotificationParam, ProgressToken, ProtocolVersion, ServerCapabilities, ServerConfig,
    Tool,
};
use rmcp::service::{Peer, RequestContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde::Serialize;
use serde_json::Value;

use super::b64;
use super::render;
use super::session::{McpOptions, Session, ToolFailure};
use super::tools::{self, *};
use crate::sandbox::{ExecOptions, ExecOutcome, ImageProgress, MAX_FILE_BYTES, SandboxService};

/// How often a running command reports progress (when the client asked for progress).
const HEARTBEAT: Duration = Duration::from_secs(5);

/// The MCP server for one session. Cheap to clone (the session is shared).
#[derive(Clone)]
pub struct LassoMcp {
    session: Arc<Session>,
    tools: Arc<Vec<Tool>>,
}

impl LassoMcp {
    /// A server for one session over `svc`.
    pub fn new(svc: Arc<SandboxService>, options: McpOptions) -> Result<LassoMcp, String> {
        Ok(LassoMcp {
            session: Arc::new(Session::new(svc, options)),
            tools: Arc::new(tools::catalogue()?),
        })
    }

    /// The session, for stopping its sandboxes when the connection ends.
    pub fn session(&self) -> Arc<Session> {
        self.session.clone()
    }

    fn tool(&self, name: &str) -> Option<&Tool> {
        self.tools.iter().find(|t| t.name == name)
    }
}

/// Sends progress notifications for one request, when the client asked for them.
#[derive(Clone)]
struct Progress {
    peer: Peer<RoleServer>,
    token: Option<ProgressToken>,
    step: Arc<std::sync::atomic::AtomicU64>,
}

impl Progress {
    fn new(context: &RequestContext<RoleServer>) -> Progress {
        Progress {
            peer: context.peer.clone(),
            token: context.meta.get_progress_token(),
            step: Arc::new(std::sync::atomic::AtomicU64::new(0)),
        }
    }

    async fn send(&self, message: String, progress: Option<f64>, total: Option<f64>) {
        let Some(token) = &self.token else { return };
        let n = self.step.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let mut param = ProgressNotificationParam::new(token.clone(), progress.unwrap_or(n as f64))
            .with_message(message);
        if let Some(t) = total {
            param = param.with_total(t);
        }
        // A client that went away is noticed by the service loop; nothing to do here.
        let _ = self.peer.notify_progress(param).await;
    }

    /// A callback for the image build: each event becomes a notification (sent from a task,
    /// since the callback is synchronous).
    fn image_callback(&self) -> Box<dyn FnMut(ImageProgress) + Send> {
        if self.token.is_none() {
            return Box::new(|_| {});
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let me = self.clone();
        tokio::spawn(async move {
            while let Some(line) = rx.recv().await {
                me.send(line, None, None).await;
            }
        });
        Box::new(move |event| {
            let line = match event {
                ImageProgress::Phase(p) => format!("building the sandbox image: {p}"),
                ImageProgress::Line(l) => l,
            };
            let _ = tx.send(line);
        })
    }
}

impl ServerHandler for LassoMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("lasso", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "lasso runs your commands in a hardened, policy-gated, audited sandbox. Use \
                 sandbox_exec to run commands and file_read/file_write for files under \
                 /workspace. A blocked command returns isError with the rule and a hint: follow \
                 the hint instead of retrying or working around it.",
            )
    }

    /// Versions with an `initialize` handshake: it carries the client's name, which the
    /// audit log records as the actor.
    fn supported_protocol_versions(&self) -> std::borrow::Cow<'static, [ProtocolVersion]> {
        std::borrow::Cow::Borrowed(ProtocolVersion::known_up_to(
            &ProtocolVersion::LATEST_WITH_INITIALIZE,
        ))
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        self.session.set_client_name(&request.client_info.name);
        eprintln!(
            "lasso mcp: client {} {} connected (actor {})",
            request.client_info.name,
            request.client_info.version,
            self.session.actor()
        );
        context.peer.set_peer_info(request.clone());
        self.negotiate_initialize(&request)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools.as_ref().clone()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tool(name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some(tool) = self.tool(&request.name).cloned() else {
            return Err(ErrorData::invalid_params(
                format!(
                    "unknown tool `{}`; tools: {}",
                    request.name,
                    self.tools
                        .iter()
                        .map(|t| t.name.as_ref())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None,
            ));
        };
        let progress = Progress::new(&context);
        let args = request.arguments.as_ref();
        let result = match tool.name.as_ref() {
            SANDBOX_CREATE => self.create(&tool, args, &progress).await,
            SANDBOX_EXEC => self.exec(&tool, args, &progress).await,
            SANDBOX_STOP => self.stop(&tool, args, &progress).await,
            SANDBOX_STATUS => self.status(&tool, args, &progress).await,
            SANDBOX_LIST => self.list(&tool, args).await,
            FILE_READ => self.file_read(&tool, args, &progress).await,
            FILE_WRITE => self.file_write(&tool, args, &progress).await,
            HEALTH => self.health(&tool, args).await,
            other => Err(ToolFailure::new(format!(
                "tool `{other}` is not implemented"
            ))),
        };
        Ok(CallToolResponse::Complete(match result {
            Ok(r) => r,
            Err(f) => failure_result(&f),
        }))
    }
}

type ToolResult = Result<CallToolResult, ToolFailure>;

fn parse<T: serde::de::DeserializeOwned>(
    tool: &Tool,
    args: Option<&rmcp::model::JsonObject>,
) -> Result<T, ToolFailure> {
    parse_args(tool, args).map_err(|e| ToolFailure {
        message: e.message,
        field: e.field,
    })
}

/// A successful result: a readable summary first, then the structured content as JSON text
/// (for clients that do not read `structuredContent`).
pub(crate) fn ok_result<T: Serialize>(summary: String, value: &T) -> ToolResult {
    let json = serde_json::to_value(value)
        .map_err(|e| ToolFailure::new(format!("cannot encode the result: {e}")))?;
    let mut r = CallToolResult::success(vec![
        ContentBlock::text(summary),
        ContentBlock::text(json.to_string()),
    ]);
    r.structured_content = Some(json);
    Ok(r)
}

/// A tool-level error: `isError`, the message as text and `{error, field}` as structure.
pub(crate) fn failure_result(f: &ToolFailure) -> CallToolResult {
    let out = ErrorOutput {
        error: f.message.clone(),
        field: f.field.clone(),
    };
    let mut r = CallToolResult::error(vec![ContentBlock::text(f.message.clone())]);
    r.structured_content = serde_json::to_value(out).ok();
    r
}

impl LassoMcp {
    async fn create(
        &self,
        tool: &Tool,
        args: Option<&rmcp::model::JsonObject>,
        progress: &Progress,
    ) -> ToolResult {
        let a: CreateArgs = parse(tool, args)?;
        let opts = &self.session.options;
        let profile = a.profile.or_else(|| opts.profile.clone());
        let dir = match (a.working_dir, &opts.dir) {
            (Some(d), _) => {
                let p = std::path::PathBuf::from(&d);
                if !p.is_absolute() {
                    return Err(ToolFailure::field(
                        "working_dir",
                        format!("`working_dir` must be an absolute host path, not `{d}`"),
                    ));
                }
                p
            }
            (None, Some(d)) => d.clone(),
            (None, None) => {
                return Err(ToolFailure::field(
                    "working_dir",
                    "missing `working_dir` (an absolute host directory to mount at /workspace); \
                     `lasso mcp` was started without --dir",
                ));
            }
        };
        if profile.is_none() && !dir.join(".lasso/profile.toml").exists() {
            return Err(ToolFailure::field(
                "profile",
                format!(
                    "missing `profile` (`lasso profile list` shows them); {} has no \
                     .lasso/profile.toml and `lasso mcp` was started without --profile",
                    dir.display()
                ),
            ));
        }
        progress
            .send("creating the sandbox".to_string(), None, None)
            .await;
        let info = self
            .session
            .create(profile, dir, a.name, progress.image_callback())
            .await?;
        let summary = format!(
            "created sandbox {} ({}) with profile {} on {}; the workspace {} is at /workspace",
            info.name,
            info.short_id(),
            info.profile,
            info.runtime,
            info.working_dir
        );
        ok_result(
            summary,
            &SandboxOutput {
                sandbox: SandboxView::from(&info),
            },
        )
    }

    async fn exec(
        &self,
        tool: &Tool,
        args: Option<&rmcp::model::JsonObject>,
        progress: &Progress,
    ) -> ToolResult {
        let a: ExecArgs = parse(tool, args)?;
        if a.command.trim().is_empty() {
            return Err(ToolFailure::field("command", "`command` is empty"));
        }
        let info = self
            .session
            .resolve(a.sandbox.as_deref(), true, progress.image_callback())
            .await?;
        let profile = self.session.svc.effective_profile(&info)?;
        let limit = u64::from(profile.commands.max_execution_seconds);
        let timeout = a.timeout_seconds.map_or(limit, |t| t.min(limit));
        let options = ExecOptions {
            timeout: Some(Duration::from_secs(timeout)),
        };
        let actor = self.session.actor();
        let svc = self.session.svc.clone();
        let run = svc.exec_with(&info.id, &a.command, &actor, &options);
        tokio::pin!(run);
        let started = Instant::now();
        let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
        let outcome = loop {
            tokio::select! {
                r = &mut run => break r?,
                _ = beat.tick() => {
                    let secs = started.elapsed().as_secs();
                    progress.send(
                        format!("`{}` is running ({secs} s of at most {timeout} s)", a.command),
                        Some(secs as f64),
                        Some(timeout as f64),
                    ).await;
                }
            }
        };
        let out = match outcome {
            ExecOutcome::Blocked(decision) => {
                render::blocked(&info.id, &a.command, timeout, &decision, &profile)
            }
            ExecOutcome::Ran(result) => render::ran(&info.id, &a.command, timeout, &result),
        };
        Ok(render::exec_result(&out))
    }

    async fn stop(
        &self,
        tool: &Tool,
        args: Option<&rmcp::model::JsonObject>,
        progress: &Progress,
    ) -> ToolResult {
        let a: SandboxArg = parse(tool, args)?;
        let info = self
            .session
            .resolve(a.sandbox.as_deref(), false, progress.image_callback())
            .await?;
        let stopped = self.session.stop(&info).await?;
        ok_result(
            format!("stopped sandbox {} ({})", stopped.name, stopped.short_id()),
            &SandboxOutput {
                sandbox: SandboxView::from(&stopped),
            },
        )
    }

    async fn status(
        &self,
        tool: &Tool,
        args: Option<&rmcp::model::JsonObject>,
        progress: &Progress,
    ) -> ToolResult {
        let a: SandboxArg = parse(tool, args)?;
        let info = self
            .session
            .resolve(a.sandbox.as_deref(), false, progress.image_callback())
            .await?;
        let mut summary = format!(
            "sandbox {} ({}): {}, mode {}, profile {}, workspace {}",
            info.name,
            info.short_id(),
            info.state,
            info.mode,
            info.profile,
            info.working_dir
        );
        if !info.problems.is_empty() {
            summary.push_str(&format!("; problems: {}", info.problems.join("; ")));
        }
        ok_result(
            summary,
            &SandboxOutput {
                sandbox: SandboxView::from(&info),
            },
        )
    }

    async fn list(&self, tool: &Tool, args: Option<&rmcp::model::JsonObject>) -> ToolResult {
        let _: NoArgs = parse(tool, args)?;
        let list = self.session.list().await?;
        let default = self.session.default_id().await;
        let summary = if list.is_empty() {
            "this session has no sandboxes".to_string()
        } else {
            list.iter()
                .map(|s| {
                    let mark = if default.as_deref() == Some(s.id.as_str()) {
                        " (default)"
                    } else {
                        ""
                    };
                    format!(
                        "{} ({}) {} {} mode {}{mark}",
                        s.name,
                        s.short_id(),
                        s.profile,
                        s.state,
                        s.mode
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        ok_result(
            summary,
            &ListOutput {
                sandboxes: list.iter().map(SandboxView::from).collect(),
                default_sandbox: default,
            },
        )
    }

    async fn file_read(
        &self,
        tool: &Tool,
        args: Option<&rmcp::model::JsonObject>,
        progress: &Progress,
    ) -> ToolResult {
        let a: FileReadArgs = parse(tool, args)?;
        let info = self
            .session
            .resolve(a.sandbox.as_deref(), true, progress.image_callback())
            .await?;
        let max = a.max_bytes.unwrap_or(MAX_FILE_BYTES);
        let read = self
            .session
            .svc
            .read_file(&info.id, &a.path, max, &self.session.actor())
            .await
            .map_err(|e| ToolFailure::field("path", e.to_string()))?;
        let (encoding, content) = match String::from_utf8(read.content) {
            Ok(text) => (Encoding::Text, text),
            Err(e) => (Encoding::Base64, b64::encode(e.as_bytes())),
        };
        let summary = match encoding {
            Encoding::Text => content.clone(),
            Encoding::Base64 => format!(
                "{} is binary ({} bytes); its base64 content is in `content`",
                read.path, read.size
            ),
        };
        ok_result(
            summary,
            &FileReadOutput {
                sandbox: info.id.clone(),
                path: read.path,
                size: read.size,
                encoding,
                content,
            },
        )
    }

    async fn file_write(
        &self,
        tool: &Tool,
        args: Option<&rmcp::model::JsonObject>,
        progress: &Progress,
    ) -> ToolResult {
        let a: FileWriteArgs = parse(tool, args)?;
        let bytes = match a.encoding.unwrap_or_default() {
            Encoding::Text => a.content.into_bytes(),
            Encoding::Base64 => b64::decode(&a.content).map_err(|e| {
                ToolFailure::field("content", format!("`content` is not valid base64: {e}"))
            })?,
        };
        let info = self
            .session
            .resolve(a.sandbox.as_deref(), true, progress.image_callback())
            .await?;
        let written = self
            .session
            .svc
            .write_file(&info.id, &a.path, &bytes, &self.session.actor())
            .await
            .map_err(|e| ToolFailure::field("path", e.to_string()))?;
        ok_result(
            format!(
                "wrote {} bytes to {}{}",
                written.bytes_written,
                written.path,
                if written.created { " (new file)" } else { "" }
            ),
            &FileWriteOutput {
                sandbox: info.id.clone(),
                path: written.path,
                bytes_written: written.bytes_written,
                created: written.created,
            },
        )
    }

    async fn health(&self, tool: &Tool, args: Option<&rmcp::model::JsonObject>) -> ToolResult {
        let _: NoArgs = parse(tool, args)?;
        let svc = &self.session.svc;
        let (engine, engine_error) = match svc.engine().await {
            Ok(e) => (
                Some(EngineView {
                    kind: e.kind().to_string(),
                    version: e.server_version().to_string(),
                    api_version: e.api_version().to_string(),
                }),
                None,
            ),
            Err(e) => (
                None,
                Some(format!(
                    "{e}; start Docker or Podman (or set LASSO_RUNTIME / DOCKER_HOST) and run \
                     `lasso check`"
                )),
            ),
        };
        let opts = &self.session.options;
        let out = HealthOutput {
            ok: engine.is_some(),
            lasso_version: env!("CARGO_PKG_VERSION").to_string(),
            engine,
            engine_error,
            lasso_home: svc.home().root().display().to_string(),
            actor: self.session.actor(),
            default_profile: opts.profile.clone(),
            default_dir: opts.dir.as_ref().map(|d| d.display().to_string()),
            default_sandbox: self.session.default_id().await,
            session_sandboxes: self.session.owned_ids().len(),
        };
        let summary = match (&out.engine, &out.engine_error) {
            (Some(e), _) => format!(
                "lasso {} is ready: {} {} (API {})",
                out.lasso_version, e.kind, e.version, e.api_version
            ),
            (None, Some(why)) => format!("lasso cannot run sandboxes: {why}"),
            (None, None) => "lasso cannot run sandboxes".to_string(),
        };
        // An unreachable engine is the health check's answer, not a failure of the tool.
        ok_result(summary, &out)
    }
}

/// Used by tests: the structured content of a result.
pub fn structured(r: &CallToolResult) -> Value {
    r.structured_content.clone().unwrap_or(Value::Null)
}
