//! Interactive exec with a terminal: raw bytes in and out, resize, exit code, kill.
//!
//! Why not bollard's `start_exec`: its TTY decoder takes any chunk that starts with a byte
//! 0x00–0x02 for a multiplexed frame header and loses bytes (bollard #285/#291), which a
//! terminal emulator cannot tolerate. So the exec is *created* through bollard (plain JSON)
//! but *started* on its own connection with a raw `POST /exec/{id}/start` carrying
//! `Connection: Upgrade` / `Upgrade: tcp`; Docker and Podman answer 101 and the socket then
//! carries the terminal's bytes unframed in both directions.
//!
//! The command is wrapped exactly like a plain exec (`exec::prepare`: guard or `timeout`,
//! the process-tree marker, the user), so a TTY exec is bounded and guarded the same way.
//! [`TtyControl`] is the out-of-band side: resize (retried once, because the engine refuses
//! to resize an exec whose process has not started yet), the exit code from exec inspect,
//! and `kill`, which ends the whole process tree through the reaper (`reap.rs`).

use std::pin::Pin;
use std::time::Duration;

use bollard::exec::ResizeExecOptions;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};

use super::connect::Engine;
use super::error::RuntimeError;
use super::exec::{ExecRequest, HOST_GRACE, prepare};
use super::http;

/// The terminal's output, as the program wrote it (no framing).
pub type TtyReader = Pin<Box<dyn AsyncRead + Send>>;
/// The terminal's input: bytes the program reads from its TTY.
pub type TtyWriter = Pin<Box<dyn AsyncWrite + Send>>;

/// A running TTY exec: its byte streams and its control handle.
pub struct TtyExec {
    pub reader: TtyReader,
    pub writer: TtyWriter,
    pub control: TtyControl,
}

impl std::fmt::Debug for TtyExec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TtyExec")
            .field("control", &self.control)
            .finish_non_exhaustive()
    }
}

/// Resize, wait for and kill a TTY exec. Cheap to clone.
#[derive(Debug, Clone)]
pub struct TtyControl {
    engine: Engine,
    container: String,
    exec_id: String,
    marker: String,
    user: String,
    timeout: Duration,
}

impl TtyControl {
    /// The engine's id of the exec.
    pub fn exec_id(&self) -> &str {
        &self.exec_id
    }

    /// The in-container time limit of the command (the guard or `timeout` kills it then).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// When the host should stop waiting: the in-container limit plus a grace period.
    pub fn host_deadline(&self) -> Duration {
        self.timeout + HOST_GRACE
    }

    /// Sets the terminal size. Retried once after a short pause: right after start the
    /// engine may not have the process yet and refuses.
    pub async fn resize(&self, cols: u16, rows: u16) -> Result<(), RuntimeError> {
        let opts = ResizeExecOptions {
            height: rows.max(1),
            width: cols.max(1),
        };
        let op = format!("resize exec in {}", self.container);
        match self.engine.docker.resize_exec(&self.exec_id, opts).await {
            Ok(()) => Ok(()),
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(150)).await;
                self.engine
                    .docker
                    .resize_exec(&self.exec_id, opts)
                    .await
                    .map_err(|e| self.engine.exec_error(&self.container, &op, e))
            }
        }
    }

    /// Whether the engine still reports the exec running (`false` also when it is gone).
    pub async fn running(&self) -> bool {
        match self.engine.docker.inspect_exec(&self.exec_id).await {
            Ok(i) => i.running == Some(true),
            Err(_) => false,
        }
    }

    /// Waits until the exec has ended and returns its exit code (`None` if the engine does
    /// not report one). Callers bound this with their own deadline.
    pub async fn wait(&self) -> Result<Option<i64>, RuntimeError> {
        let op = format!("inspect exec in {}", self.container);
        let mut pause = Duration::from_millis(10);
        loop {
            let i = self
                .engine
                .docker
                .inspect_exec(&self.exec_id)
                .await
                .map_err(|e| self.engine.exec_error(&self.container, &op, e))?;
            if i.running != Some(true) {
                return Ok(i.exit_code);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(200));
        }
    }

    /// Kills the exec's whole process tree (everything carrying its marker).
    pub async fn kill(&self) -> Result<(), RuntimeError> {
        let pid = match self.engine.docker.inspect_exec(&self.exec_id).await {
            Ok(i) => i.pid.filter(|p| *p > 0),
            Err(_) => None,
        };
        super::reap::reap_exec(&self.engine, &self.container, &self.marker, &self.user, pid).await
    }
}

impl Engine {
    /// Starts `req` in `container` with a terminal of `cols`×`rows` and returns its raw
    /// streams (see the module docs). The caller owns the session: it reads until EOF,
    /// then asks [`TtyControl::wait`] for the exit code, and calls [`TtyControl::kill`] when
    /// it gives up early.
    pub async fn exec_tty(
        &self,
        container: &str,
        req: &ExecRequest,
        cols: u16,
        rows: u16,
    ) -> Result<TtyExec, RuntimeError> {
        let prepared = prepare(req, true)?;
        let op = format!("tty exec in {container}");
        let created = tokio::time::timeout(
            self.request_timeout,
            self.docker.create_exec(container, prepared.config),
        )
        .await
        .map_err(|_| RuntimeError::EngineTimeout {
            engine: self.kind,
            op: op.clone(),
            after: self.request_timeout,
        })?
        .map_err(|e| self.exec_error(container, &op, e))?;
        let path = format!(
            "/v{}/exec/{}/start",
            self.api_version,
            http::encode_path_segment(&created.id)
        );
        let up = http::upgrade(
            &self.endpoint,
            "POST",
            &path,
            br#"{"Detach":false,"Tty":true}"#,
            self.request_timeout,
        )
        .await
        .map_err(|e| match e {
            Ok(resp) => match resp.status {
                404 => RuntimeError::ContainerNotFound {
                    container: container.to_string(),
                    engine: self.kind,
                },
                409 => RuntimeError::Engine {
                    engine: self.kind,
                    op: op.clone(),
                    status: Some(409),
                    message: "the sandbox is not running".into(),
                    hint: Some("start it again or recreate it".into()),
                },
                s => RuntimeError::from_status(self.kind, op.clone(), s, resp.error_message()),
            },
            Err(io) if io.kind() == std::io::ErrorKind::TimedOut => RuntimeError::EngineTimeout {
                engine: self.kind,
                op: op.clone(),
                after: self.request_timeout,
            },
            Err(io) => RuntimeError::Engine {
                engine: self.kind,
                op: op.clone(),
                status: None,
                message: io.to_string(),
                hint: Some("check that the engine is still running".into()),
            },
        })?;
        let control = TtyControl {
            engine: self.clone(),
            container: container.to_string(),
            exec_id: created.id,
            marker: prepared.marker,
            user: prepared.user,
            timeout: req.timeout,
        };
        let (read_half, write_half) = tokio::io::split(up.conn);
        // Bytes that arrived together with the response head come first.
        let reader = std::io::Cursor::new(up.leftover).chain(read_half);
        // The initial size is best effort: a program that already ended cannot be resized,
        // and one that is running gets SIGWINCH with the right size as soon as this lands.
        let _ = control.resize(cols, rows).await;
        Ok(TtyExec {
            reader: Box::pin(reader),
            writer: Box::pin(write_half),
            control,
        })
    }
}
