//! `lasso --listen ADDR`: the REST API served from inside the TUI process, over the TUI's own
//! [`SandboxService`] (so the API, the TUI and their event bus see the same sandboxes,
//! alerts and audit appends).
//!
//! The listener is bound, or refused with `lasso serve`'s rules (a key must exist; a
//! non-loopback address needs `--force-insecure`), before the TUI takes the screen, so the
//! refusal lands on the normal terminal. While the TUI runs, the server's diagnostics go to
//! `tui.log` through an [`api::Diagnostics`] sink: nothing is printed behind ratatui's back.
//! On quit the server is shut down gracefully and awaited (bounded), so the port is closed
//! when the TUI has exited.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::error::TuiError;
use super::log::TuiLog;
use crate::api::{self, ApiState, ServeOptions, Server};
use crate::sandbox::SandboxService;

/// How long quitting waits for in-flight API requests.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// A running in-process API server.
pub(super) struct RunningApi {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), api::ServeError>>,
}

/// Binds (or refuses) and starts serving; call inside the TUI's runtime.
pub(super) async fn start(
    svc: Arc<SandboxService>,
    opts: &ServeOptions,
    log: &TuiLog,
) -> Result<RunningApi, TuiError> {
    let sink = log.clone();
    let diagnostics = api::Diagnostics::new(move |line| sink.warn(&format!("api: {line}")));
    let state = ApiState::with_diagnostics(svc, diagnostics);
    let server = Server::bind(state, opts).await.map_err(TuiError::Listen)?;
    let addr = server.local_addr().map_err(TuiError::Listen)?;
    if opts.force_insecure && !addr.ip().is_loopback() {
        log.warn(&format!(
            "api: serving without TLS on {addr} (--force-insecure)"
        ));
    }
    log.info(&format!("api: REST API listening on http://{addr}/api/v1"));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    Ok(RunningApi { addr, stop, task })
}

impl RunningApi {
    /// Stops accepting, lets in-flight requests finish (up to [`STOP_GRACE`]), and logs it.
    pub(super) async fn stop(self, log: &TuiLog) {
        let _ = self.stop.send(());
        let mut task = self.task;
        match tokio::time::timeout(STOP_GRACE, &mut task).await {
            Ok(Ok(Ok(()))) => log.info(&format!("api: stopped listening on {}", self.addr)),
            Ok(Ok(Err(e))) => log.warn(&format!("api: the server failed: {e}")),
            Ok(Err(e)) => log.warn(&format!("api: the server task failed: {e}")),
            Err(_) => {
                task.abort();
                log.warn(&format!(
                    "api: requests still running after {}s were cut off",
                    STOP_GRACE.as_secs()
                ));
            }
        }
    }
}
