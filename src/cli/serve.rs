//! `lasso serve` (the REST listener) and `lasso api-key create|list|revoke`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};

use super::output::{CliError, print_json, table};
use crate::api::{ApiState, DEFAULT_LISTEN, ServeOptions, Server};
use crate::sandbox::{SandboxService, ServiceOptions};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; anything but loopback needs --force-insecure (there is no TLS).
    #[arg(long, default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// Listen on a non-loopback address without TLS, or with no API key created.
    #[arg(long)]
    pub force_insecure: bool,
}

#[derive(Debug, Args)]
pub struct ApiKeyArgs {
    #[command(subcommand)]
    pub command: ApiKeyCommand,
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key; it is printed once and only its hash is kept.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// List keys (names, prefixes and creation times; never the keys).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key; a running server refuses it from its next request.
    Revoke {
        name: String,
        #[arg(long)]
        json: bool,
    },
}

fn service() -> Result<SandboxService, CliError> {
    Ok(SandboxService::new(ServiceOptions::from_env()?))
}

pub async fn serve(args: ServeArgs) -> Result<ExitCode, CliError> {
    let svc = Arc::new(service()?);
    let state = ApiState::new(svc);
    let opts = ServeOptions {
        listen: args.listen,
        force_insecure: args.force_insecure,
    };
    let server = Server::bind(state, &opts)
        .await
        .map_err(|e| CliError::msg(e.to_string()))?;
    let addr = server
        .local_addr()
        .map_err(|e| CliError::msg(e.to_string()))?;
    if args.force_insecure && !addr.ip().is_loopback() {
        eprintln!("warning: serving without TLS on {addr} (--force-insecure)");
    }
    eprintln!("lasso API listening on http://{addr}/api/v1 (Ctrl-C stops it)");
    server
        .run(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| CliError::msg(e.to_string()))?;
    Ok(ExitCode::SUCCESS)
}

pub fn api_key(args: ApiKeyArgs) -> Result<ExitCode, CliError> {
    let svc = service()?;
    match args.command {
        ApiKeyCommand::Create { name, json } => {
            let (key, record) = svc
                .create_api_key(&name, "cli")
                .map_err(|e| CliError::from(e).json(json))?;
            if json {
                print_json(
                    &serde_json::json!({ "name": record.name, "key": key, "prefix": record.prefix, "created_at": record.created_at }),
                );
            } else {
                println!("{key}");
                eprintln!(
                    "created API key `{}`: it is shown only now; send it in the X-API-Key header",
                    record.name
                );
            }
        }
        ApiKeyCommand::List { json } => {
            let keys = svc
                .api_keys()
                .list()
                .map_err(|e| CliError::from(e).json(json))?;
            if json {
                print_json(&keys);
            } else if keys.is_empty() {
                println!("no API keys (create one with `lasso api-key create --name NAME`)");
            } else {
                let rows: Vec<Vec<String>> = keys
                    .iter()
                    .map(|k| {
                        vec![
                            k.name.clone(),
                            format!("{}…", k.prefix),
                            k.created_at.clone(),
                        ]
                    })
                    .collect();
                print!("{}", table(&["NAME", "PREFIX", "CREATED"], &rows));
            }
        }
        ApiKeyCommand::Revoke { name, json } => {
            let record = svc
                .revoke_api_key(&name, "cli")
                .map_err(|e| CliError::from(e).json(json))?;
            if json {
                print_json(&record);
            } else {
                println!("revoked API key `{}`", record.name);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
