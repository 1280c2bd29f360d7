//! Entering and leaving the full-screen terminal. [`TerminalGuard`] enables raw mode, the
//! alternate screen, bracketed paste and mouse capture and hides the cursor; dropping it undoes all of
//! that, so an early `?` return restores the terminal. A panic hook restores it before the
//! default hook prints the panic (otherwise the message would land on the alternate screen in
//! raw mode and vanish).

use std::io::{Stdout, Write};
use std::sync::Once;

use crossterm::{cursor, event, execute, terminal};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use super::error::TuiError;

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Restores the terminal however often it is called (drop and panic hook may both run).
pub fn restore() {
    let _ = terminal::disable_raw_mode();
    let mut out = std::io::stdout();
    let _ = execute!(
        out,
        event::DisableMouseCapture,
        event::DisableBracketedPaste,
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
    let _ = out.flush();
}

static HOOK: Once = Once::new();

fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

/// The terminal in TUI mode; restored on drop.
pub struct TerminalGuard {
    pub term: Term,
}

impl TerminalGuard {
    pub fn enter() -> Result<TerminalGuard, TuiError> {
        install_panic_hook();
        terminal::enable_raw_mode().map_err(|e| TuiError::terminal("enabling raw mode", e))?;
        let mut out = std::io::stdout();
        if let Err(e) = execute!(
            out,
            terminal::EnterAlternateScreen,
            event::EnableBracketedPaste,
            event::EnableMouseCapture,
            cursor::Hide
        ) {
            restore();
            return Err(TuiError::terminal("entering the alternate screen", e));
        }
        match Terminal::new(CrosstermBackend::new(std::io::stdout())) {
            Ok(term) => Ok(TerminalGuard { term }),
            Err(e) => {
                restore();
                Err(TuiError::terminal("initialising the screen", e))
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}
