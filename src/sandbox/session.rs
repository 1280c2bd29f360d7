//! Interactive terminal sessions into a sandbox: the gated REPL and the raw shell.
//!
//! A session is a byte pipe with a terminal on the far side: front ends (the TUI's terminal
//! pane, `lasso interactive`, `lasso attach`) only pump keys in and bytes out and never touch
//! the gate or the audit log. The service owns the line discipline of the REPL, gates each
//! line exactly as `lasso exec` does, runs allowed lines with a TTY under the in-sandbox
//! guard, and records everything.
//!
//! The types below are the contract with the front ends (the TUI terminal pane, the CLI);
//! fields may be added, never renamed or removed. Submodules: `line` (the REPL's line
//! discipline, pure), `pump` (one program on a TTY: bytes both ways, resize, close, time
//! limit), `run` (the REPL and raw-shell loops, their gating and auditing), `typeahead`
//! (keys typed while a REPL program ran that it never read come back to the line editor).

mod line;
mod pump;
mod run;
mod typeahead;

use tokio::sync::mpsc;

use super::SandboxInfo;

/// Which kind of terminal to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// Every line goes through the command gate and the audit log before it runs.
    Repl,
    /// A shell under the in-sandbox guard; only where the profile permits one.
    Shell,
}

/// A terminal size in cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermSize {
    pub cols: u16,
    pub rows: u16,
}

/// What a front end sends into a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionInput {
    /// Bytes typed (already encoded as a terminal would send them).
    Bytes(Vec<u8>),
    /// The terminal was resized.
    Resize(TermSize),
    /// The user closed the terminal: end what runs (recorded as closed by the user).
    Close,
}

/// What a session sends back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionOutput {
    /// Bytes for the terminal emulator, exactly as the program (or the REPL) wrote them.
    Bytes(Vec<u8>),
    /// The session is over; nothing follows.
    Ended(SessionEnd),
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEnd {
    /// Human-readable: "exited with status 0", "closed", "time limit reached", an error.
    pub reason: String,
    /// The shell's exit status (raw shell only).
    pub exit_code: Option<i64>,
}

/// An open terminal session. Dropping `input` (or sending [`SessionInput::Close`]) ends it.
#[derive(Debug)]
pub struct TerminalSession {
    pub sandbox: SandboxInfo,
    pub kind: SessionKind,
    pub input: mpsc::Sender<SessionInput>,
    pub output: mpsc::Receiver<SessionOutput>,
}

impl TerminalSession {
    /// A session over plain channels: what the service builds, and what front-end tests use
    /// to stand in for a sandbox.
    pub fn from_channels(
        sandbox: SandboxInfo,
        kind: SessionKind,
        input: mpsc::Sender<SessionInput>,
        output: mpsc::Receiver<SessionOutput>,
    ) -> TerminalSession {
        TerminalSession {
            sandbox,
            kind,
            input,
            output,
        }
    }
}
