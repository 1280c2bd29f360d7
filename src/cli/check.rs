//! `lasso check`: exit 0 when every check passes (warnings allowed), 1 otherwise.

use std::process::ExitCode;

use clap::Args;

use super::output::{CliError, print_json};
use crate::sandbox::{CheckStatus, SandboxService, ServiceOptions};

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: CheckArgs) -> Result<ExitCode, CliError> {
    let svc = SandboxService::new(
        ServiceOptions::from_env().map_err(|e| CliError::from(e).json(args.json))?,
    );
    let report = svc.check().await;
    if args.json {
        print_json(&report);
    } else {
        for item in &report.items {
            let mark = match item.status {
                CheckStatus::Ok => "ok  ",
                CheckStatus::Warn => "warn",
                CheckStatus::Fail => "FAIL",
            };
            println!("[{mark}] {}: {}", item.name, item.detail);
            if let Some(fix) = &item.remediation {
                println!("       fix: {fix}");
            }
        }
        println!(
            "{}",
            if report.ok {
                "lasso is ready"
            } else {
                "lasso is NOT ready: fix the FAIL items above"
            }
        );
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
