//! `lasso check`: exit 0 when every check passes (warnings allowed), 1 otherwise.
//! `lasso check --probe PROFILE`: creates a throwaway sandbox from the profile (which runs
//! every in-sandbox probe, exactly as `lasso create` does), prints the probes and removes it.

use std::process::ExitCode;

use clap::Args;

use super::output::{CliError, print_json};
use crate::sandbox::{CheckStatus, CreateRequest, SandboxService, ServiceOptions};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Run the in-sandbox self-test probes in a throwaway sandbox of this profile.
    #[arg(long, value_name = "PROFILE")]
    pub probe: Option<String>,
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: CheckArgs) -> Result<ExitCode, CliError> {
    let svc = SandboxService::new(
        ServiceOptions::from_env().map_err(|e| CliError::from(e).json(args.json))?,
    );
    if let Some(profile) = &args.probe {
        return probe(&svc, profile, args.json).await;
    }
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

async fn probe(svc: &SandboxService, profile: &str, json: bool) -> Result<ExitCode, CliError> {
    let fail = |e: crate::sandbox::SandboxError| CliError::from(e).json(json);
    let workspace = svc.probe_workspace().map_err(fail)?;
    let req = CreateRequest {
        profile: Some(profile.to_string()),
        working_dir: workspace.clone(),
        name: None,
        isolation: None,
        actor: "cli".to_string(),
    };
    let created = svc.create(req, &mut |_| {}).await;
    let _ = std::fs::remove_dir_all(&workspace);
    let info = created.map_err(|e| fail(e).with_code(1))?;
    let stopped = svc.stop(&info.id, "cli").await;
    if json {
        print_json(&serde_json::json!({"profile": profile, "passed": true, "probes": info.probes}));
    } else {
        for p in &info.probes {
            match &p.skipped {
                Some(why) => println!("[skip] {}: {why}", p.name),
                None => println!("[ok  ] {}: {}", p.name, p.detail),
            }
        }
        println!(
            "every in-sandbox probe of profile {profile} passed ({} probes)",
            info.probes.len()
        );
    }
    stopped.map_err(fail)?;
    Ok(ExitCode::SUCCESS)
}
