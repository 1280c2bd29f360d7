//! The TUI's error type: what stopped it from starting or running, with what to do.

use thiserror::Error;

use crate::config::ConfigError;
use crate::sandbox::SandboxError;

#[derive(Debug, Error)]
pub enum TuiError {
    #[error(
        "the TUI needs a terminal: stdin and stdout must be TTYs (use the subcommands in scripts; see `lasso --help`)"
    )]
    NotATerminal,
    #[error("theme: {0}")]
    Theme(#[source] ConfigError),
    #[error(transparent)]
    Setup(#[from] SandboxError),
    #[error("terminal: {context}: {source}")]
    Terminal {
        context: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the TUI log {path}: {source}")]
    Log {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error(
        "--listen serves the REST API from inside the TUI, which needs a terminal (stdin and \
         stdout must be TTYs); without one, run `lasso serve --listen ADDR`"
    )]
    ListenNeedsTerminal,
    /// `--listen` could not bind (or refused to): reported before the TUI takes the screen.
    #[error("--listen: {0}")]
    Listen(#[source] crate::api::ServeError),
}

impl TuiError {
    pub(crate) fn terminal(context: &'static str, source: std::io::Error) -> TuiError {
        TuiError::Terminal { context, source }
    }
}
