//! The full-screen terminal front end (`lasso`, `lasso tui`, `lasso dashboard`): ratatui over
//! crossterm.
//!
//! Shape (see docs/tui.md and docs/architecture.md):
//!
//! * `runloop` owns the one `tokio::select!` loop over terminal events (crossterm's
//!   `EventStream`), app events from background tasks, the service's event bus and coalesced
//!   draw requests with a capped frame rate. Nothing in the loop waits for the engine.
//! * `app` is the whole UI state and is pure: keys in, [`Intent`](event::Intent)s out,
//!   rendering into any ratatui backend. That is what the snapshot and key tests drive.
//! * `panes/` are components (own state, keys, help, render); `dialog` and `help` are overlays.
//!   `panes/terminal` holds live sessions into sandboxes, parsed in their own tasks.
//! * `mouse` maps clicks and the wheel onto the same pane rectangles the drawing uses.
//! * `worker` turns intents into tasks on the service and reports back as app events; the
//!   poller refreshes the sandbox list on a timer and on bus events, ingests the guard spools
//!   and tails the audit logs (`tail`) so violations of other lasso processes raise alerts.
//! * `terminal` restores the terminal on every exit path (drop, error, panic); `log` sends
//!   diagnostics to `LASSO_HOME/tui.log`: nothing is ever printed behind ratatui's back,
//!   which the lints below enforce.

#![deny(clippy::print_stdout, clippy::print_stderr)]

mod app;
mod audit_export;
mod audit_pages;
mod dialog;
mod dircomplete;
mod error;
mod event;
mod help;
mod listen;
mod log;
mod mouse;
mod panes;
mod profile_work;
mod runloop;
mod style;
mod tail;
mod terminal;
mod timefilter;
mod worker;

#[cfg(test)]
mod tests;

use std::io::IsTerminal;

pub use app::{App, Focus};
pub use error::TuiError;
pub use event::{AppEvent, Intent};
pub use panes::terminal::{Emulator, SCROLLBACK, TabHandle};
pub use style::Styles;

/// How the TUI was asked to start.
#[derive(Debug, Clone, Default)]
pub struct TuiOptions {
    /// `--theme NAME|PATH`; overrides `theme` in `config.toml`.
    pub theme: Option<String>,
    /// `--listen ADDR [--force-insecure]`: also serve the REST API from this process, over
    /// the TUI's own service and event bus, with `lasso serve`'s rules.
    pub listen: Option<crate::api::ServeOptions>,
}

/// Whether the TUI can run here: both stdin and stdout are terminals.
pub fn is_interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

/// Runs the TUI until the user quits. The terminal is restored before this returns, also
/// when it returns an error or a panic unwinds through it.
pub fn run(options: TuiOptions) -> Result<(), TuiError> {
    runloop::run(options)
}

/// Renders one frame of `app` into a `width`×`height` test buffer (snapshots, the bench).
pub fn render_to_buffer(app: &App, width: u16, height: u16) -> ratatui::buffer::Buffer {
    let backend = ratatui::backend::TestBackend::new(width, height);
    match ratatui::Terminal::new(backend) {
        Ok(mut term) => {
            let _ = term.draw(|f| app.render(f));
            term.backend().buffer().clone()
        }
        Err(_) => ratatui::buffer::Buffer::empty(ratatui::layout::Rect::new(0, 0, width, height)),
    }
}
