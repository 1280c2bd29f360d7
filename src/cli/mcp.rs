//! `lasso mcp [--profile P] [--dir D]` (the MCP server over stdio) and `lasso mcp config`
//! (the client configuration snippet).
//!
//! The server gets its own multi-threaded runtime (tool calls run concurrently, progress
//! heartbeats tick beside them) that is shut down with a timeout: a read pending on stdin
//! cannot be cancelled and must not keep the process alive after the session ended.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};

use super::output::CliError;
use crate::mcp::config::{Client, ServerCommand, where_it_goes};
use crate::mcp::{McpOptions, serve, termination_signal};
use crate::sandbox::{SandboxService, ServiceOptions};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct McpArgs {
    #[command(subcommand)]
    pub command: Option<McpCommand>,
    /// Profile of the session's default sandbox, created on the first call that needs one.
    #[arg(long, short = 'p')]
    pub profile: Option<String>,
    /// Host directory mounted at /workspace in the default sandbox (default: the current one).
    #[arg(long, short = 'd')]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum McpCommand {
    /// Print the configuration snippet for an MCP client.
    Config(ConfigArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ClientArg {
    ClaudeDesktop,
    ClaudeCode,
    Vscode,
    Cursor,
}

impl From<ClientArg> for Client {
    fn from(c: ClientArg) -> Self {
        match c {
            ClientArg::ClaudeDesktop => Client::ClaudeDesktop,
            ClientArg::ClaudeCode => Client::ClaudeCode,
            ClientArg::Vscode => Client::Vscode,
            ClientArg::Cursor => Client::Cursor,
        }
    }
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Profile the client's sessions use for their default sandbox.
    #[arg(long, short = 'p')]
    pub profile: Option<String>,
    /// Project directory mounted at /workspace (made absolute).
    #[arg(long, short = 'd')]
    pub dir: Option<PathBuf>,
    /// Which client the snippet is for.
    #[arg(long, value_enum, default_value = "claude-desktop")]
    pub client: ClientArg,
}

pub fn run(args: McpArgs) -> Result<ExitCode, CliError> {
    match args.command {
        Some(McpCommand::Config(c)) => config(c),
        None => server(args.profile, args.dir),
    }
}

fn absolute_dir(dir: &PathBuf) -> Result<PathBuf, CliError> {
    let abs = std::fs::canonicalize(dir).map_err(|e| {
        CliError::msg(format!(
            "--dir {}: {e}; give an existing project directory",
            dir.display()
        ))
    })?;
    if !abs.is_dir() {
        return Err(CliError::msg(format!(
            "--dir {} is not a directory",
            abs.display()
        )));
    }
    Ok(abs)
}

fn config(args: ConfigArgs) -> Result<ExitCode, CliError> {
    let binary = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map_err(|e| CliError::msg(format!("cannot find the path of this lasso binary: {e}")))?;
    let dir = args.dir.as_ref().map(absolute_dir).transpose()?;
    let dir_text = dir.as_ref().map(|d| d.display().to_string());
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let cmd = ServerCommand::new(
        &binary.display().to_string(),
        args.profile.as_deref(),
        dir_text.as_deref(),
        &env,
    );
    let client = Client::from(args.client);
    eprintln!("# {}", where_it_goes(client));
    println!("{}", cmd.snippet(client));
    Ok(ExitCode::SUCCESS)
}

fn server(profile: Option<String>, dir: Option<PathBuf>) -> Result<ExitCode, CliError> {
    let dir = dir.as_ref().map(absolute_dir).transpose()?;
    let svc = Arc::new(SandboxService::new(ServiceOptions::from_env()?));
    let options = McpOptions { profile, dir };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::msg(format!("cannot start the async runtime: {e}")))?;
    eprintln!("lasso mcp: serving the Model Context Protocol on stdio");
    let result = rt.block_on(serve(
        svc,
        options,
        rmcp::transport::stdio(),
        termination_signal(),
    ));
    rt.shutdown_timeout(Duration::from_millis(200));
    match result {
        Ok(stopped) => {
            eprintln!("lasso mcp: session ended ({stopped} sandbox(es) stopped)");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Err(CliError::msg(e)),
    }
}
