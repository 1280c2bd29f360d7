//! `lasso why --profile P -- CMD...` and `lasso why ID -- CMD...`: the gate's decision for a
//! profile, or for a sandbox in its current mode, without running anything.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::output::{CliError, print_json};
use super::sandbox::rule_name;
use crate::config::{LassoHome, ProfileStore};
use crate::policy::Gate;
use crate::sandbox::{SandboxService, ServiceOptions};

#[derive(Debug, Args)]
pub struct WhyArgs {
    /// A sandbox (id, unique prefix or name): decide as it would now, in its current mode.
    #[arg(required_unless_present = "profile", conflicts_with_all = ["profile", "dir"])]
    pub id: Option<String>,
    /// Profile name or path.
    #[arg(long, short = 'p')]
    pub profile: Option<String>,
    /// Project directory whose .lasso/profiles/ are searched first.
    #[arg(long, short = 'd')]
    pub dir: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
    /// The command, words joined with spaces as `lasso exec` does.
    #[arg(last = true, required = true, num_args = 1..)]
    pub command: Vec<String>,
}

pub fn run(args: WhyArgs) -> Result<ExitCode, CliError> {
    let json = args.json;
    let home = LassoHome::from_env().map_err(|e| CliError::from(e).json(json))?;
    let store =
        ProfileStore::new(&home, args.dir.as_deref()).map_err(|e| CliError::from(e).json(json))?;
    let profile = store
        .resolve(args.profile.as_deref().unwrap_or_default())
        .map_err(|e| CliError::from(e).json(json))?;
    let gate = Gate::new(profile.gate_policy()).map_err(|e| {
        CliError::msg(format!(
            "profile `{}` cannot be turned into a command gate: {e}",
            profile.name
        ))
        .json(json)
    })?;
    let command = args.command.join(" ");
    let verdict = gate.check(&command);
    let d = &verdict.decision;
    if json {
        print_json(d);
    } else if d.allowed {
        println!("allowed under profile {}: {}", profile.name, d.reason);
    } else {
        println!(
            "blocked under profile {} by rule {}: {}",
            profile.name,
            rule_name(&d.rule),
            d.reason
        );
    }
    Ok(if d.allowed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `lasso why ID -- CMD`: the decision of a sandbox's gate in its current mode.
pub async fn run_sandbox(args: WhyArgs) -> Result<ExitCode, CliError> {
    let json = args.json;
    let id = args.id.unwrap_or_default();
    let opts = ServiceOptions::from_env().map_err(|e| CliError::from(e).json(json))?;
    let svc = SandboxService::new(opts);
    let command = args.command.join(" ");
    let (d, mode) = svc
        .decide(&id, &command)
        .await
        .map_err(|e| CliError::from(e).json(json))?;
    if json {
        print_json(&d);
    } else if d.allowed {
        println!("allowed in sandbox {id} (mode {mode}): {}", d.reason);
    } else {
        println!(
            "blocked in sandbox {id} (mode {mode}) by rule {}: {}",
            rule_name(&d.rule),
            d.reason
        );
    }
    Ok(if d.allowed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
