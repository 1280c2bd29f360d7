//! `lasso interactive` and `lasso attach`: a terminal session in the plain terminal.
//!
//! The terminal is switched to raw mode so every key (Ctrl-C, Ctrl-D, arrows) reaches the
//! session, whose line discipline (REPL) or TTY (program, shell) decides what it means. Raw
//! mode is undone on every way out: a drop guard for returns and errors, and a panic hook
//! for panics (the hook runs before unwinding, so the message is readable). This module
//! only pumps bytes: the gate, the guard and the audit log are the service's
//! (`SandboxService::open_terminal`).
//!
//! `interactive` owns its sandbox: it stops it when the session ends (Ctrl-D, `exit`), and
//! on SIGHUP (the terminal went away) or SIGTERM, unless `--keep`. `attach` never stops
//! the sandbox it attached to.

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;

use super::image::Progress;
use super::output::CliError;
use super::sandbox::NewSandboxArgs;
use crate::sandbox::{
    SandboxService, ServiceOptions, SessionEnd, SessionInput, SessionKind, SessionOutput, TermSize,
    TerminalSession,
};

/// Exit code when there is no terminal to run in (a usage error).
const EXIT_NO_TTY: u8 = 2;

#[derive(Debug, Args)]
pub struct InteractiveArgs {
    #[command(flatten)]
    pub sandbox: NewSandboxArgs,
    /// Keep the sandbox running when the session ends (reattach with `lasso attach`).
    #[arg(long)]
    pub keep: bool,
}

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// Sandbox id, unique id prefix, or name.
    pub id: String,
    /// A raw shell instead of the gated REPL (only where the profile sets
    /// `[terminal] raw_shell = true`; the in-sandbox guard still checks every program).
    #[arg(long)]
    pub shell: bool,
}

fn require_tty(what: &str) -> Result<(), CliError> {
    if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        return Ok(());
    }
    Err(CliError::msg(format!(
        "lasso {what} needs a terminal (stdin and stdout must be a TTY); in scripts use \
         `lasso exec ID -- COMMAND`"
    ))
    .with_code(EXIT_NO_TTY))
}

fn service() -> Result<Arc<SandboxService>, CliError> {
    Ok(Arc::new(SandboxService::new(ServiceOptions::from_env()?)))
}

pub async fn interactive(args: InteractiveArgs) -> Result<ExitCode, CliError> {
    require_tty("interactive")?;
    // Watched from the start: a hangup or SIGTERM while the sandbox is being created must
    // not kill lasso with the sandbox left running; it ends the session as soon as it opens.
    let signals = Signals::new()?;
    let svc = service()?;
    let req = args.sandbox.request();
    let mut progress = Progress::new(false);
    let info = svc.create(req, &mut |p| progress.event(p)).await;
    progress.finish();
    let info = info?;
    let opened = svc
        .open_terminal(&info.id, SessionKind::Repl, "cli", term_size())
        .await;
    let result = match opened {
        Ok(session) => run_session(session, signals).await,
        Err(e) => Err(CliError::from(e)),
    };
    let stop_it = !args.keep;
    if stop_it {
        match svc.stop(&info.id, "cli").await {
            Ok(_) => eprintln!("lasso: stopped sandbox {}", info.name),
            Err(e) => eprintln!("lasso: could not stop sandbox {}: {e}", info.name),
        }
    } else {
        eprintln!(
            "lasso: sandbox {} keeps running; `lasso attach {}` to reopen, `lasso stop {}` to remove",
            info.name, info.name, info.name
        );
    }
    result.map(|_| ExitCode::SUCCESS)
}

pub async fn attach(args: AttachArgs) -> Result<ExitCode, CliError> {
    require_tty("attach")?;
    let signals = Signals::new()?;
    let svc = service()?;
    let kind = if args.shell {
        SessionKind::Shell
    } else {
        SessionKind::Repl
    };
    let session = svc
        .open_terminal(&args.id, kind, "cli", term_size())
        .await?;
    let end = run_session(session, signals).await?;
    // A raw shell's exit status is passed through, as ssh does.
    let code = end
        .exit_code
        .map_or(0, |c| u8::try_from(c.clamp(0, 255)).unwrap_or(1));
    Ok(ExitCode::from(code))
}

fn term_size() -> TermSize {
    let (cols, rows) = crossterm::terminal::size().unwrap_or((80, 24));
    TermSize { cols, rows }
}

/// Pumps the terminal into the session and back until it ends; the terminal is in raw mode
/// meanwhile and restored before this returns.
async fn run_session(
    mut session: TerminalSession,
    mut signals: Signals,
) -> Result<SessionEnd, CliError> {
    let _raw = RawMode::enable()?;
    let input = session.input.clone();
    spawn_stdin_reader(input.clone());
    let Signals { winch, hup, term } = &mut signals;
    let mut stdout = std::io::stdout();
    let end = loop {
        tokio::select! {
            out = session.output.recv() => match out {
                Some(SessionOutput::Bytes(b)) => {
                    // A terminal that went away is noticed through SIGHUP or stdin.
                    let _ = stdout.write_all(&b);
                    let _ = stdout.flush();
                }
                Some(SessionOutput::Ended(end)) => break end,
                None => break SessionEnd { reason: "the session ended".into(), exit_code: None },
            },
            _ = winch.recv() => {
                let _ = input.send(SessionInput::Resize(term_size())).await;
            }
            _ = hup.recv() => { let _ = input.send(SessionInput::Close).await; }
            _ = term.recv() => { let _ = input.send(SessionInput::Close).await; }
        }
    };
    drop(_raw);
    eprintln!("\r\nlasso: session ended: {}", end.reason);
    Ok(end)
}

/// The signals a session reacts to: resize, hangup, terminate.
struct Signals {
    winch: Signal,
    hup: Signal,
    term: Signal,
}

impl Signals {
    fn new() -> Result<Signals, CliError> {
        let watch = |kind| {
            signal(kind).map_err(|e| CliError::msg(format!("cannot watch terminal signals: {e}")))
        };
        Ok(Signals {
            winch: watch(SignalKind::window_change())?,
            hup: watch(SignalKind::hangup())?,
            term: watch(SignalKind::terminate())?,
        })
    }
}

/// Reads the terminal on a thread of its own (stdin reads block) and forwards every byte;
/// end of input (the terminal is gone) closes the session.
fn spawn_stdin_reader(input: mpsc::Sender<SessionInput>) {
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin();
        let mut buf = [0u8; 4096];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => {
                    let _ = input.blocking_send(SessionInput::Close);
                    return;
                }
                Ok(n) => {
                    if input
                        .blocking_send(SessionInput::Bytes(buf[..n].to_vec()))
                        .is_err()
                    {
                        return;
                    }
                }
            }
        }
    });
}

/// Raw mode for as long as this lives; also undone by a panic.
struct RawMode;

impl RawMode {
    fn enable() -> Result<RawMode, CliError> {
        crossterm::terminal::enable_raw_mode()
            .map_err(|e| CliError::msg(format!("cannot switch the terminal to raw mode: {e}")))?;
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = crossterm::terminal::disable_raw_mode();
            previous(info);
        }));
        Ok(RawMode)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}
