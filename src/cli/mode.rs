//! `lasso mode ID MODE`: change the mode of a running sandbox (observe, assist, autonomous).

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::output::{CliError, print_json};
use crate::config::Mode;
use crate::sandbox::{SandboxService, ServiceOptions};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModeArg {
    Observe,
    Assist,
    Autonomous,
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Mode {
        match m {
            ModeArg::Observe => Mode::Observe,
            ModeArg::Assist => Mode::Assist,
            ModeArg::Autonomous => Mode::Autonomous,
        }
    }
}

#[derive(Debug, Args)]
pub struct ModeArgs {
    /// Sandbox id, unique id prefix, or name.
    pub id: String,
    /// The new mode; each is a subset of the profile's own command list.
    #[arg(value_enum)]
    pub mode: ModeArg,
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: ModeArgs) -> Result<ExitCode, CliError> {
    let json = args.json;
    let opts = ServiceOptions::from_env().map_err(|e| CliError::from(e).json(json))?;
    let svc = SandboxService::new(opts);
    let change = svc
        .set_mode(&args.id, args.mode.into(), "cli")
        .await
        .map_err(|e| CliError::from(e).json(json))?;
    if json {
        print_json(&change);
    } else if change.from == change.to {
        println!(
            "sandbox {} stays in mode {} (recorded in its audit log)",
            change.name, change.to
        );
    } else {
        println!(
            "sandbox {} is now in mode {} (was {}); it applies from the next command",
            change.name, change.to, change.from
        );
    }
    Ok(ExitCode::SUCCESS)
}
