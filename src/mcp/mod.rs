//! The MCP front end: `lasso mcp` speaks the Model Context Protocol over stdio (the official
//! Rust SDK, `rmcp`), so MCP clients (Claude Desktop, Claude Code, VS Code, Cursor) route tool
//! calls through sandboxed, gated and audited execution.
//!
//! Thin by design, like every front end: `tools` declares the tools (input and output schemas
//! generated from the Rust types), `server` parses a call and hands it to the session and the
//! [`SandboxService`](crate::sandbox::SandboxService), `render` shapes what the agent sees
//! (above all when something is blocked), `session` keeps the per-connection state (the
//! sandboxes this connection created, its default sandbox, the actor name from `initialize`),
//! and `config` prints client configuration snippets. Nothing here writes the audit log or
//! talks to the engine directly.
//!
//! stdout carries protocol messages only; diagnostics go to stderr.

mod b64;
pub mod config;
mod render;
mod server;
mod session;
pub mod tools;

use std::sync::Arc;

use rmcp::ServiceExt;

pub use server::{LassoMcp, structured};
pub use session::{McpOptions, Session, ToolFailure};

use crate::sandbox::SandboxService;

/// Serves one MCP session on `transport` (stdio in `lasso mcp`, an in-memory duplex in tests)
/// until the client disconnects or `shutdown` resolves (a signal), then stops every sandbox
/// the session created. Returns how many were stopped.
pub async fn serve<T, E, A>(
    svc: Arc<SandboxService>,
    options: McpOptions,
    transport: T,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<usize, String>
where
    T: rmcp::transport::IntoTransport<rmcp::RoleServer, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    let server = LassoMcp::new(svc, options)?;
    let session = server.session();
    let served = match server.serve(transport).await {
        Ok(running) => {
            let token = running.cancellation_token();
            let waiting = running.waiting();
            tokio::pin!(waiting);
            tokio::pin!(shutdown);
            tokio::select! {
                r = &mut waiting => r.map(|_| ()).map_err(|e| format!("the MCP service failed: {e}")),
                () = &mut shutdown => {
                    eprintln!("lasso mcp: signal received, ending the session");
                    token.cancel();
                    let _ = waiting.await;
                    Ok(())
                }
            }
        }
        // The client went away (or spoke something else) before initialising: nothing was
        // created, but the session still ends the same way.
        Err(e) => Err(format!("the MCP session could not start: {e}")),
    };
    let stopped = session.shutdown().await;
    served.map(|()| stopped)
}

/// Resolves on SIGTERM, SIGINT or SIGHUP.
pub async fn termination_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut streams = Vec::new();
    for kind in [
        SignalKind::terminate(),
        SignalKind::interrupt(),
        SignalKind::hangup(),
    ] {
        match signal(kind) {
            Ok(s) => streams.push(s),
            Err(e) => eprintln!("lasso mcp: cannot watch signal {kind:?}: {e}"),
        }
    }
    if streams.is_empty() {
        return std::future::pending().await;
    }
    let waits = streams.iter_mut().map(|s| Box::pin(s.recv()));
    let _ = futures_util::future::select_all(waits).await;
}
