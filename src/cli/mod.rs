//! The headless command-line front end: parse arguments (clap derive), call the sandbox
//! service or the pure layers, render text or JSON. The command tree mirrors the files:
//! `sandbox.rs` (create/exec/status/stop), `mode.rs`, `why.rs`, `profile.rs` and
//! `profile_share.rs` (profile + init), `interactive.rs` (interactive + attach),
//! `audit.rs`, `image.rs`, `check.rs`, `mcp.rs` (the MCP server, see `crate::mcp`), `serve.rs`
//! (serve + api-key, see `crate::api`). Nothing here talks to the engine or writes the audit
//! log itself.
//!
//! Output contract: `--json` prints exactly one JSON document on stdout and nothing else;
//! human text goes to stdout, diagnostics and progress to stderr. Exit codes: 0 success,
//! 1 failure, 2 usage error, 126 blocked by the gate, 125 lasso could not run the command,
//! otherwise the sandboxed command's own exit code.

mod audit;
mod check;
mod image;
mod interactive;
mod mcp;
mod mode;
mod output;
mod profile;
mod profile_share;
mod sandbox;
mod serve;
mod why;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use output::CliError;

/// Exit code for a command the gate refused (as a shell does for "cannot execute").
pub const EXIT_BLOCKED: u8 = 126;
/// Exit code when lasso itself could not run the command (as `docker run` does).
pub const EXIT_LASSO_FAILED: u8 = 125;

#[derive(Debug, Parser)]
#[command(
    name = "lasso",
    version,
    about = "Run AI coding agents in hardened, policy-gated, audited container sandboxes",
    long_about = "Run AI coding agents in hardened, policy-gated, audited container sandboxes.\n\n\
                  State lives in LASSO_HOME (default ~/.lasso). The engine is found from \
                  LASSO_RUNTIME (docker|podman), DOCKER_HOST / CONTAINER_HOST, then the usual sockets.",
    propagate_version = true
)]
pub struct Cli {
    /// The TUI's colour theme: a name (dark, light, high-contrast, or LASSO_HOME/themes/NAME.toml)
    /// or a path to a theme file. Overrides `theme` in config.toml.
    #[arg(long, value_name = "NAME|PATH")]
    pub theme: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// `lasso tui`.
#[derive(Debug, clap::Args)]
pub struct TuiArgs {
    /// The colour theme (a name or a path to a theme file).
    #[arg(long, value_name = "NAME|PATH")]
    pub theme: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the full-screen terminal UI (the default when lasso runs in a terminal).
    #[command(visible_alias = "dashboard")]
    Tui(TuiArgs),
    /// Check that this machine can run sandboxes, with a remedy for each problem.
    Check(check::CheckArgs),
    /// Write DIR/.lasso/profile.toml, an editable copy of a profile.
    Init(profile::InitArgs),
    /// Create and start a sandbox.
    Create(sandbox::CreateArgs),
    /// Run a command in a sandbox (gated and audited); its exit code is passed through.
    Exec(sandbox::ExecArgs),
    /// Create a sandbox and open a gated shell in it (every line checked and audited);
    /// the sandbox is stopped when the session ends unless --keep.
    Interactive(interactive::InteractiveArgs),
    /// Open the gated shell (or, where the profile allows, a raw shell) in a running sandbox.
    Attach(interactive::AttachArgs),
    /// List sandboxes or show one.
    #[command(visible_alias = "ps")]
    Status(sandbox::StatusArgs),
    /// Stop and remove a sandbox, or all of them.
    #[command(visible_alias = "rm")]
    Stop(sandbox::StopArgs),
    /// Change the mode of a running sandbox (observe, assist, autonomous).
    Mode(mode::ModeArgs),
    /// Explain what the command gate decides for a command under a profile (nothing runs).
    Why(why::WhyArgs),
    /// Inspect, validate and share profiles.
    Profile(profile::ProfileArgs),
    /// View, verify and export audit logs.
    Audit(audit::AuditArgs),
    /// Build sandbox images locally (no registry needed).
    Image(image::ImageArgs),
    /// Serve the Model Context Protocol on stdio (or print a client's configuration).
    Mcp(mcp::McpArgs),
    /// Serve the REST API (loopback by default; authenticated with X-API-Key).
    Serve(serve::ServeArgs),
    /// Create, list and revoke the REST API's keys.
    ApiKey(serve::ApiKeyArgs),
}

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let Some(command) = cli.command else {
        // The TUI is the default face in a terminal; without one (scripts, CI) the help is
        // the honest answer, and a non-zero exit says nothing was done.
        if crate::tui::is_interactive() {
            return run_tui(cli.theme);
        }
        let mut cmd = <Cli as clap::CommandFactory>::command();
        let _ = cmd.print_help();
        eprintln!("\nlasso: no command given (see the commands above)");
        return ExitCode::from(2);
    };
    let result = match command {
        Command::Tui(args) => return run_tui(args.theme.or(cli.theme)),
        Command::Why(args) if args.id.is_none() => why::run(args),
        Command::Profile(args) => profile::run(args),
        Command::Init(args) => profile::run_init(args),
        Command::Audit(args) => audit::run(args),
        // Its own multi-threaded runtime (see cli/mcp.rs).
        Command::Mcp(args) => mcp::run(args),
        Command::ApiKey(args) => serve::api_key(args),
        // The server wants both cores.
        Command::Serve(args) => block_on_multi(serve::serve(args)),
        other => block_on(async move {
            match other {
                Command::Check(args) => check::run(args).await,
                Command::Create(args) => sandbox::create(args).await,
                Command::Exec(args) => sandbox::exec(args).await,
                Command::Interactive(args) => interactive::interactive(args).await,
                Command::Attach(args) => interactive::attach(args).await,
                Command::Status(args) => sandbox::status(args).await,
                Command::Stop(args) => sandbox::stop(args).await,
                Command::Image(args) => image::run(args).await,
                Command::Mode(args) => mode::run(args).await,
                Command::Why(args) => why::run_sandbox(args).await,
                Command::Profile(_)
                | Command::Tui(_)
                | Command::Init(_)
                | Command::Audit(_)
                | Command::Mcp(_)
                | Command::ApiKey(_)
                | Command::Serve(_) => Ok(ExitCode::SUCCESS),
            }
        }),
    };
    match result {
        Ok(code) => code,
        Err(e) => e.report(),
    }
}

/// Runs the TUI; its errors are printed after the terminal is restored.
fn run_tui(theme: Option<String>) -> ExitCode {
    match crate::tui::run(crate::tui::TuiOptions { theme }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e @ crate::tui::TuiError::NotATerminal) => {
            CliError::msg(e.to_string()).with_code(2).report()
        }
        Err(e) => CliError::msg(e.to_string()).report(),
    }
}

/// A multi-threaded runtime, for the long-running server.
fn block_on_multi<F: std::future::Future<Output = Result<ExitCode, CliError>>>(
    fut: F,
) -> Result<ExitCode, CliError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::msg(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(fut)
}

/// A single-threaded runtime: CLI calls are short, and this keeps start-up cheap.
fn block_on<F: std::future::Future<Output = Result<ExitCode, CliError>>>(
    fut: F,
) -> Result<ExitCode, CliError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::msg(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(fut)
}
