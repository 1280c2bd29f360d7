//! `lasso create | exec | status | stop`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::image::Progress;
use super::output::{CliError, print_json, table};
use super::{EXIT_BLOCKED, EXIT_LASSO_FAILED};
use crate::config::Isolation;
use crate::sandbox::{CreateRequest, ExecOutcome, SandboxInfo, SandboxService, ServiceOptions};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum IsolationArg {
    Container,
    Gvisor,
    Kata,
}

impl From<IsolationArg> for Isolation {
    fn from(a: IsolationArg) -> Self {
        match a {
            IsolationArg::Container => Isolation::Container,
            IsolationArg::Gvisor => Isolation::Gvisor,
            IsolationArg::Kata => Isolation::Kata,
        }
    }
}

/// What a new sandbox is made of: shared by `lasso create` and `lasso interactive`.
#[derive(Debug, Args)]
pub struct NewSandboxArgs {
    /// Profile name (`lasso profile list`) or path to a profile file; default
    /// DIR/.lasso/profile.toml.
    pub profile: Option<String>,
    /// Host directory mounted at /workspace.
    #[arg(long, short = 'd', default_value = ".")]
    pub dir: PathBuf,
    /// Name of the sandbox (default: PROFILE-<id prefix>).
    #[arg(long, short = 'n')]
    pub name: Option<String>,
    /// Isolation technology; fails (never falls back) when the runtime is missing.
    #[arg(long, value_enum)]
    pub isolation: Option<IsolationArg>,
}

impl NewSandboxArgs {
    /// The service's create request, made on behalf of the CLI.
    pub fn request(self) -> CreateRequest {
        CreateRequest {
            profile: self.profile,
            working_dir: self.dir,
            name: self.name,
            isolation: self.isolation.map(Into::into),
            actor: "cli".into(),
        }
    }
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub sandbox: NewSandboxArgs,
    /// Print only the sandbox id.
    #[arg(long, short = 'q', conflicts_with = "json")]
    pub quiet: bool,
    /// Print the sandbox as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Sandbox id, unique id prefix, or name.
    pub id: String,
    /// The command; words are joined with spaces into one command string (as ssh does).
    #[arg(last = true, required = true, num_args = 1..)]
    pub command: Vec<String>,
    /// Print the decision and result as JSON instead of passing output through.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Show only this sandbox (id, unique prefix, or name).
    pub id: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Sandbox id, unique prefix, or name; `all` stops every sandbox of this LASSO_HOME.
    pub id: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RestartArgs {
    /// Sandbox id, unique prefix, or name.
    pub id: String,
    #[arg(long)]
    pub json: bool,
}

fn service() -> Result<SandboxService, CliError> {
    Ok(SandboxService::new(ServiceOptions::from_env()?))
}

pub async fn create(args: CreateArgs) -> Result<ExitCode, CliError> {
    let json = args.json;
    let svc = service().map_err(|e| e.json(json))?;
    let mut progress = Progress::new(args.quiet || json);
    let req = args.sandbox.request();
    let info = svc.create(req, &mut |p| progress.event(p)).await;
    progress.finish();
    let info = info.map_err(|e| CliError::from(e).json(json))?;
    // Weaker enforcement the profile accepted is said out loud, whatever the output format.
    for p in &info.probes {
        if let Some(why) = p
            .skipped
            .as_deref()
            .filter(|w| w.contains("accept_missing"))
        {
            eprintln!("warning: probe {} was not enforced: {why}", p.name);
        }
    }
    if json {
        print_json(&info);
    } else if args.quiet {
        println!("{}", info.id);
    } else {
        println!(
            "created sandbox {} ({}) with profile {} on {}",
            info.name,
            info.short_id(),
            info.profile,
            info.runtime
        );
        if let Some(note) = &info.network_note {
            eprintln!("note: {note}");
        }
        if !writable_by_sandbox_user(&info.working_dir) {
            eprintln!(
                "note: {} is not writable by the sandbox user (uid 1000); commands can read it but not \
                 change it (chown -R 1000:1000 it, or make it group/world writable, to allow writes)",
                info.working_dir
            );
        }
        println!("  run a command:  lasso exec {} -- ls -la", info.name);
        println!("  audit log:      {}", info.audit_log);
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn exec(args: ExecArgs) -> Result<ExitCode, CliError> {
    let json = args.json;
    let command = args.command.join(" ");
    let svc = service().map_err(|e| e.json(json))?;
    let outcome = svc
        .exec(&args.id, &command, "cli")
        .await
        .map_err(|e| CliError::from(e).json(json).with_code(EXIT_LASSO_FAILED))?;
    match outcome {
        ExecOutcome::Blocked(decision) => {
            if json {
                print_json(&decision);
            } else {
                eprintln!(
                    "lasso: blocked by rule {}: {}",
                    rule_name(&decision.rule),
                    decision.reason
                );
            }
            Ok(ExitCode::from(EXIT_BLOCKED))
        }
        ExecOutcome::Ran(result) => {
            if json {
                print_json(&result);
            } else {
                let _ = std::io::stdout().write_all(result.stdout.as_bytes());
                let _ = std::io::stderr().write_all(result.stderr.as_bytes());
                if result.timed_out {
                    eprintln!(
                        "lasso: the command exceeded the profile's max_execution_seconds and was killed"
                    );
                }
                if result.truncated {
                    eprintln!("lasso: output was truncated");
                }
                for d in &result.guard_denials {
                    let what = if d.enforced {
                        "denied"
                    } else {
                        "would have denied (shadow mode; it ran)"
                    };
                    eprintln!(
                        "lasso: the in-sandbox guard {what} `{}` by rule {}: {}",
                        d.command, d.rule, d.reason
                    );
                }
            }
            Ok(ExitCode::from(exit_byte(result.exit_code)))
        }
    }
}

/// Whether uid/gid 1000 (the sandbox user) may write the workspace directory.
fn writable_by_sandbox_user(dir: &str) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(dir).is_ok_and(|m| {
        let mode = m.mode();
        (m.uid() == 1000 && mode & 0o200 != 0)
            || (m.gid() == 1000 && mode & 0o020 != 0)
            || mode & 0o002 != 0
    })
}

pub(crate) fn rule_name(rule: &crate::policy::Rule) -> String {
    serde_json::to_value(rule)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{rule:?}"))
}

/// Maps an exit status to a process exit byte (as shells do: modulo 256; unknown → 125).
fn exit_byte(code: i64) -> u8 {
    if code < 0 {
        EXIT_LASSO_FAILED
    } else {
        (code % 256) as u8
    }
}

pub async fn status(args: StatusArgs) -> Result<ExitCode, CliError> {
    let json = args.json;
    let svc = service().map_err(|e| e.json(json))?;
    let list: Vec<SandboxInfo> = match &args.id {
        Some(id) => vec![
            svc.get(id)
                .await
                .map_err(|e| CliError::from(e).json(json))?,
        ],
        None => svc.list().await.map_err(|e| CliError::from(e).json(json))?,
    };
    if json {
        print_json(&list);
        return Ok(ExitCode::SUCCESS);
    }
    if list.is_empty() {
        println!("no sandboxes (create one with `lasso create PROFILE --dir DIR`)");
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|s| {
            vec![
                s.short_id().to_string(),
                s.name.clone(),
                s.profile.clone(),
                s.state.clone(),
                s.mode.clone(),
                s.runtime.clone(),
                s.isolation.clone(),
                s.created_at.clone(),
                s.working_dir.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &[
                "ID",
                "NAME",
                "PROFILE",
                "STATE",
                "MODE",
                "RUNTIME",
                "ISOLATION",
                "CREATED",
                "WORKING DIR"
            ],
            &rows
        )
    );
    for s in list.iter().filter(|s| !s.problems.is_empty()) {
        println!("! {} ({}): {}", s.name, s.short_id(), s.problems.join("; "));
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn stop(args: StopArgs) -> Result<ExitCode, CliError> {
    let json = args.json;
    let svc = service().map_err(|e| e.json(json))?;
    if args.id == "all" {
        let (stopped, failed) = svc
            .stop_all("cli")
            .await
            .map_err(|e| CliError::from(e).json(json))?;
        if json {
            let failed: Vec<_> =
                failed.iter().map(|(s, e)| serde_json::json!({ "id": s.id, "name": s.name, "error": e.to_string() })).collect();
            print_json(&serde_json::json!({ "stopped": stopped, "failed": failed }));
        } else {
            for s in &stopped {
                println!("stopped {} ({})", s.name, s.short_id());
            }
            for (s, e) in &failed {
                eprintln!("lasso: could not stop {} ({}): {e}", s.name, s.short_id());
            }
            if stopped.is_empty() && failed.is_empty() {
                println!("no sandboxes to stop");
            }
        }
        return Ok(if failed.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let info = svc
        .stop(&args.id, "cli")
        .await
        .map_err(|e| CliError::from(e).json(json))?;
    if json {
        print_json(&info);
    } else {
        println!("stopped {} ({})", info.name, info.short_id());
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn restart(args: RestartArgs) -> Result<ExitCode, CliError> {
    let json = args.json;
    let svc = service().map_err(|e| e.json(json))?;
    let info = svc
        .restart(&args.id, "cli")
        .await
        .map_err(|e| CliError::from(e).json(json))?;
    if json {
        print_json(&info);
    } else {
        println!(
            "restarted {} ({}), mode {}",
            info.name,
            info.short_id(),
            info.mode
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_wrap_like_a_shell() {
        assert_eq!(exit_byte(0), 0);
        assert_eq!(exit_byte(3), 3);
        assert_eq!(exit_byte(256 + 7), 7);
        assert_eq!(exit_byte(-1), EXIT_LASSO_FAILED);
    }
}
