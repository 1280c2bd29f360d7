//! `lasso profile list|show|validate|export|import|diff` and `lasso init`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::output::{CliError, print_json, table};
use crate::config::{self, LassoHome, ProfileStore};

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// Project directory whose .lasso/profiles/ are searched first.
    #[arg(long, short = 'd', global = true)]
    pub dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: ProfileCommand,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// List every profile on the search path, with where it comes from.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show the resolved profile (as TOML, or JSON) and where it came from.
    Show {
        /// Profile name or path.
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Validate a profile file or name; exit 1 with the problem if it is invalid.
    Validate {
        /// Profile name or path.
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Write a resolved profile with an integrity hash, for sharing.
    Export {
        /// Profile name or path.
        name: String,
        /// Output file (default: stdout).
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
    /// Import an exported profile (its integrity hash is always checked).
    Import {
        /// The exported file.
        file: PathBuf,
        /// Save it under another name.
        #[arg(long)]
        name: Option<String>,
        /// Overwrite an existing user profile of that name.
        #[arg(long)]
        force: bool,
    },
    /// Show what differs between two profiles.
    Diff {
        a: String,
        b: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Profile to copy.
    #[arg(long, short = 'p', default_value = "development")]
    pub profile: String,
    /// Project directory (DIR/.lasso/profile.toml is written).
    #[arg(long, short = 'd', default_value = ".")]
    pub dir: PathBuf,
    /// Overwrite an existing .lasso/profile.toml.
    #[arg(long)]
    pub force: bool,
}

fn store(dir: Option<&std::path::Path>) -> Result<ProfileStore, CliError> {
    let home = LassoHome::from_env()?;
    Ok(ProfileStore::new(&home, dir)?)
}

pub fn run(args: ProfileArgs) -> Result<ExitCode, CliError> {
    let store = store(args.dir.as_deref())?;
    match args.command {
        ProfileCommand::List { json } => {
            let list = store.list().map_err(|e| CliError::from(e).json(json))?;
            if json {
                print_json(&list);
            } else {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|p| {
                        let desc = match &p.problem {
                            Some(problem) => format!("INVALID: {problem}"),
                            None => p.description.lines().next().unwrap_or_default().to_string(),
                        };
                        vec![p.name.clone(), p.source.to_string(), desc]
                    })
                    .collect();
                print!("{}", table(&["NAME", "SOURCE", "DESCRIPTION"], &rows));
            }
        }
        ProfileCommand::Show { name, json } => {
            let resolved = store
                .resolve_detailed(&name)
                .map_err(|e| CliError::from(e).json(json))?;
            if json {
                print_json(&serde_json::json!({
                    "source": resolved.source,
                    "chain": resolved.chain.iter().map(|(n, s)| serde_json::json!({"name": n, "source": s})).collect::<Vec<_>>(),
                    "hash": resolved.profile.hash(),
                    "profile": resolved.profile,
                }));
            } else {
                println!(
                    "# profile {} from {}",
                    resolved.profile.name, resolved.source
                );
                if resolved.chain.len() > 1 {
                    let chain: Vec<String> = resolved
                        .chain
                        .iter()
                        .map(|(n, s)| format!("{n} ({s})"))
                        .collect();
                    println!("# extends: {}", chain.join(" -> "));
                }
                println!("# sha256 {}", resolved.profile.hash());
                print!("{}", config::to_toml(&resolved.profile)?);
            }
        }
        ProfileCommand::Validate { name, json } => match store.resolve_detailed(&name) {
            Ok(r) => {
                if json {
                    print_json(
                        &serde_json::json!({ "valid": true, "name": r.profile.name, "source": r.source }),
                    );
                } else {
                    println!("ok: profile {} ({}) is valid", r.profile.name, r.source);
                }
            }
            Err(e) => {
                if json {
                    print_json(&serde_json::json!({ "valid": false, "error": e.to_string() }));
                } else {
                    eprintln!("lasso: invalid profile: {e}");
                }
                return Ok(ExitCode::from(1));
            }
        },
        ProfileCommand::Export { name, output } => {
            let profile = store.resolve(&name)?;
            let text = config::export(&profile)?;
            match output {
                Some(path) => {
                    std::fs::write(&path, text).map_err(|e| {
                        CliError::msg(format!("cannot write {}: {e}", path.display()))
                    })?;
                    eprintln!("exported profile {} to {}", profile.name, path.display());
                }
                None => print!("{text}"),
            }
        }
        ProfileCommand::Import { file, name, force } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| CliError::msg(format!("cannot read {}: {e}", file.display())))?;
            let imported =
                store.import(&text, name.as_deref(), &file.display().to_string(), force)?;
            println!(
                "imported profile {} (original {}, sha256 {}) to {}",
                imported.profile.name,
                imported.original_name,
                imported.original_hash,
                imported.path.display()
            );
        }
        ProfileCommand::Diff { a, b, json } => {
            let pa = store
                .resolve(&a)
                .map_err(|e| CliError::from(e).json(json))?;
            let pb = store
                .resolve(&b)
                .map_err(|e| CliError::from(e).json(json))?;
            let changes = config::diff(&pa, &pb);
            if json {
                print_json(&changes);
            } else if changes.is_empty() {
                println!("profiles {a} and {b} are identical in effect");
            } else {
                print!("{}", config::render_diff(&changes));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_init(args: InitArgs) -> Result<ExitCode, CliError> {
    if !args.dir.is_dir() {
        return Err(CliError::msg(format!(
            "{} is not a directory; create it first",
            args.dir.display()
        )));
    }
    let store = store(Some(&args.dir))?;
    let path = store.init_project(&args.dir, &args.profile, args.force)?;
    println!(
        "wrote {} (a copy of profile {}; edit it, then `lasso create --dir {}`)",
        path.display(),
        args.profile,
        args.dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
