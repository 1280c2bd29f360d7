//! One program on a terminal: pumps the session's input into a TTY exec and the exec's
//! output back, until the program ends, the user closes the session, or time is up.
//!
//! The time limit has two layers, as for plain exec: the guard's `--timeout` kills the
//! program's whole tree inside the sandbox; if the stream is still open a grace period
//! later (a stuck engine, a grandchild holding the TTY), the host kills the tree by its
//! marker and stops waiting. Closing (or dropping) the session kills the tree the same way.
//!
//! With a typeahead key (REPL programs only) the output passes through a [`FrameScanner`]:
//! when the guard reports `ready` (the program's tree is gone), the pump stops forwarding
//! keys, keeps later ones itself and writes the end marker into the terminal; the guard then
//! returns what the program never read. [`Ran::typed_ahead`] is that input followed by the
//! keys kept here, in the order they were typed (see `typeahead.rs`).

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use super::typeahead::{Frame, FrameScanner, end_marker};
use super::{SessionInput, SessionOutput, TermSize};
use crate::runtime::{Engine, ExecRequest, RuntimeError};

/// How long to wait for the engine's exit code once the stream has ended.
const EXIT_CODE_WAIT: Duration = Duration::from_secs(30);
/// Most output kept for the audit log (when the profile asks for command output).
const KEPT_OUTPUT: usize = 64 << 10;
/// Last bytes of output kept to recognise a guard setup failure.
const TAIL: usize = 4096;

/// How one program ended.
#[derive(Debug, Clone, Default)]
pub(super) struct Ran {
    pub exit_code: Option<i64>,
    pub duration: Duration,
    /// The time limit ended it.
    pub timed_out: bool,
    /// The user closed the session (or dropped it) while it ran; it was killed.
    pub closed_by_user: bool,
    /// The front end dropped the session's input: the session is over.
    pub input_gone: bool,
    /// The front end dropped the output receiver: nobody is watching.
    pub output_gone: bool,
    /// The first bytes of output (for the audit log).
    pub output: Vec<u8>,
    /// The last bytes of output.
    pub tail: Vec<u8>,
    /// Killing the process tree failed (survivors possible).
    pub kill_error: Option<String>,
    /// Typed input the program never read (only with a typeahead key): for the line editor.
    pub typed_ahead: Vec<u8>,
}

/// What a pump needs besides the request.
pub(super) struct PumpIo<'a> {
    pub input: &'a mut mpsc::Receiver<SessionInput>,
    pub output: &'a mpsc::Sender<SessionOutput>,
    /// The terminal size; updated by resizes.
    pub size: &'a mut TermSize,
    /// Bytes typed ahead, written to the program first.
    pub typed_ahead: Vec<u8>,
    /// Called every few seconds while the program runs (spool ingestion for live alerts).
    pub tick: &'a (dyn Fn() + Send + Sync),
    /// The run's typeahead key when the request asks the guard for the hand-back.
    pub typeahead_key: Option<&'a str>,
}

/// Runs `req` on a TTY in `container` and pumps bytes until it ends (see module docs).
pub(super) async fn pump(
    engine: &Engine,
    container: &str,
    req: &ExecRequest,
    io: PumpIo<'_>,
) -> Result<Ran, RuntimeError> {
    let started = Instant::now();
    let mut tty = engine
        .exec_tty(container, req, io.size.cols, io.size.rows)
        .await?;
    let deadline = tokio::time::Instant::now() + tty.control.host_deadline();
    let mut ran = Ran::default();
    if !io.typed_ahead.is_empty() {
        let _ = tty.writer.write_all(&io.typed_ahead).await;
        let _ = tty.writer.flush().await;
    }
    let mut ticker = tokio::time::interval(Duration::from_secs(2));
    ticker.tick().await;
    let mut buf = vec![0u8; 16 * 1024];
    let mut kill = false;
    let mut scanner = io.typeahead_key.map(FrameScanner::new);
    // After the guard's `ready`: keys stay here instead of going to the terminal.
    let mut holding = false;
    let mut returned = Vec::new();
    let mut held = Vec::new();
    loop {
        tokio::select! {
            read = tty.reader.read(&mut buf) => {
                let n = match read {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let (shown, frames) = match &mut scanner {
                    Some(s) => s.push(&buf[..n]),
                    None => (buf[..n].to_vec(), Vec::new()),
                };
                for frame in frames {
                    match frame {
                        Frame::Ready { token } if !holding => {
                            holding = true;
                            // Best effort: if the terminal is gone, so is the guard.
                            if tty.writer.write_all(&end_marker(&token)).await.is_ok() {
                                let _ = tty.writer.flush().await;
                            }
                        }
                        Frame::Ready { .. } => {}
                        Frame::Data(bytes) => returned = bytes,
                    }
                }
                if !show(&mut ran, io.output, shown).await {
                    kill = true;
                    break;
                }
            }
            msg = io.input.recv() => match msg {
                Some(SessionInput::Bytes(b)) if holding => held.extend_from_slice(&b),
                Some(SessionInput::Bytes(b)) => {
                    // A write error means the program is gone; its stream ends next.
                    if tty.writer.write_all(&b).await.is_ok() {
                        let _ = tty.writer.flush().await;
                    }
                }
                Some(SessionInput::Resize(s)) => {
                    *io.size = s;
                    // Best effort: a program that just ended cannot be resized.
                    let _ = tty.control.resize(s.cols, s.rows).await;
                }
                Some(SessionInput::Close) => {
                    ran.closed_by_user = true;
                    kill = true;
                    break;
                }
                None => {
                    ran.closed_by_user = true;
                    ran.input_gone = true;
                    kill = true;
                    break;
                }
            },
            _ = tokio::time::sleep_until(deadline) => {
                ran.timed_out = true;
                kill = true;
                break;
            }
            _ = ticker.tick() => (io.tick)(),
        }
    }
    if let Some(s) = &mut scanner
        && !kill
    {
        let rest = s.finish();
        if !show(&mut ran, io.output, rest).await {
            kill = true;
        }
    }
    if holding && !ran.closed_by_user {
        returned.extend_from_slice(&held);
        ran.typed_ahead = returned;
    }
    if kill && let Err(e) = tty.control.kill().await {
        ran.kill_error = Some(e.to_string());
    }
    drop(tty.writer);
    ran.exit_code = match tokio::time::timeout(EXIT_CODE_WAIT, tty.control.wait()).await {
        Ok(Ok(code)) => code,
        _ => None,
    };
    ran.duration = started.elapsed();
    // The guard's own timeout kills with SIGKILL and reports 137; only a 137 after the
    // limit has elapsed is the time limit (an out-of-memory kill is 137 too).
    if ran.exit_code == Some(137) && ran.duration >= tty.control.timeout() {
        ran.timed_out = true;
    }
    Ok(ran)
}

/// Records `bytes` (audit excerpt, tail) and sends them to the front end; false (and the
/// session marked closed) when nobody is listening any more.
async fn show(ran: &mut Ran, output: &mpsc::Sender<SessionOutput>, bytes: Vec<u8>) -> bool {
    if bytes.is_empty() {
        return true;
    }
    let room = KEPT_OUTPUT.saturating_sub(ran.output.len());
    ran.output
        .extend_from_slice(&bytes[..bytes.len().min(room)]);
    ran.tail.extend_from_slice(&bytes);
    if ran.tail.len() > TAIL {
        ran.tail.drain(..ran.tail.len() - TAIL);
    }
    if output.send(SessionOutput::Bytes(bytes)).await.is_err() {
        ran.output_gone = true;
        ran.closed_by_user = true;
        return false;
    }
    true
}
