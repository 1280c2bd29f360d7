//! `lasso profile list|show|resolve|validate|diff` and `lasso init`; the sharing, version and
//! lock subcommands (`export`, `import`, `keygen`, `history`, `rollback`, `lock`) are in
//! `profile_share.rs`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::output::{CliError, print_json, table};
use super::profile_share;
use crate::config::{self, LassoHome, ProfileSource, ProfileStore, ResolvedProfile};

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
    /// Show the resolved profile (as TOML, or JSON), where it came from and its provenance.
    Show {
        /// Profile name or path.
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Print the effective profile (every field, `_add` lists expanded) and its chain of
    /// sources.
    Resolve {
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
    /// Write a resolved profile with an integrity hash (and a team signature), for sharing.
    Export {
        /// Profile name or path.
        name: String,
        /// Output file (default: stdout).
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
        /// Sign the export with this team key (`lasso profile keygen`).
        #[arg(long, value_name = "FILE")]
        sign_key: Option<PathBuf>,
    },
    /// Import an exported profile (schema, hash and signature are always checked).
    Import {
        /// The exported file.
        file: PathBuf,
        /// Save it under another name.
        #[arg(long)]
        name: Option<String>,
        /// Replace an existing user profile of that name (the old one is archived).
        #[arg(long)]
        force: bool,
        /// The team key the export must be signed with.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// Write a new random team key (32 bytes, hex, mode 0600) for signing exports.
    Keygen {
        #[arg(long, short = 'o', value_name = "FILE")]
        output: PathBuf,
    },
    /// Show what differs between two profiles; either side may be NAME@vN (an archived
    /// version).
    Diff {
        a: String,
        b: String,
        #[arg(long)]
        json: bool,
    },
    /// List the archived versions of a profile.
    History {
        /// Profile name or path.
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Make an archived version current again (the current one is archived first).
    Rollback {
        /// Profile name or path.
        name: String,
        /// The version: 3 or v3 (`lasso profile history NAME`).
        #[arg(value_name = "VERSION")]
        to: String,
        #[arg(long)]
        json: bool,
    },
    /// Pin the resolved hashes of a project's profiles in PROJECT/.lasso/profiles.lock.
    Lock {
        /// Profiles to pin (default: those already pinned, the project's .lasso/profiles/
        /// and .lasso/profile.toml).
        names: Vec<String>,
        /// Verify the lock instead of writing it; exit 1 on any mismatch.
        #[arg(long)]
        check: bool,
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
    /// Overwrite an existing .lasso/profile.toml (the old one is archived).
    #[arg(long)]
    pub force: bool,
}

pub(super) fn store(dir: Option<&std::path::Path>) -> Result<ProfileStore, CliError> {
    let home = LassoHome::from_env()?;
    Ok(ProfileStore::new(&home, dir)?)
}

/// `SOURCE`, plus `(shadows OTHER)` for a file that refines a profile of the same name.
fn source_text(source: &ProfileSource, shadows: Option<&ProfileSource>) -> String {
    match shadows {
        Some(s) => format!("{source} (shadows {s})"),
        None => source.to_string(),
    }
}

fn chain_json(r: &ResolvedProfile) -> serde_json::Value {
    serde_json::Value::Array(
        r.chain
            .iter()
            .map(|(n, s)| serde_json::json!({"name": n, "source": s}))
            .collect(),
    )
}

/// `# ` header lines: source, shadowing, chain, provenance and hash.
fn header(r: &ResolvedProfile, with_provenance: bool) -> String {
    let mut out = format!("# profile {} from {}\n", r.profile.name, r.source);
    if let Some(s) = &r.shadows {
        out.push_str(&format!("# shadows {s} (and extends it)\n"));
    }
    if r.chain.len() > 1 {
        let chain: Vec<String> = r.chain.iter().map(|(n, s)| format!("{n} ({s})")).collect();
        out.push_str(&format!("# extends: {}\n", chain.join(" -> ")));
    }
    if let (true, Some(p)) = (with_provenance, &r.provenance) {
        let field = |v: &Option<String>| v.clone().unwrap_or_else(|| "(not recorded)".into());
        out.push_str(&format!(
            "# imported from {} at {} (original name {}, sha256 {})\n",
            field(&p.source),
            field(&p.imported_at),
            field(&p.original_name),
            field(&p.sha256)
        ));
        match &p.key_id {
            Some(k) => out.push_str(&format!("# signature verified with team key {k}\n")),
            None => out.push_str("# unsigned export (integrity hash verified)\n"),
        }
    }
    out.push_str(&format!("# sha256 {}\n", r.profile.hash()));
    out
}

pub fn run(args: ProfileArgs) -> Result<ExitCode, CliError> {
    match args.command {
        ProfileCommand::List { json } => {
            let store = store(args.dir.as_deref()).map_err(|e| e.json(json))?;
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
                        vec![
                            p.name.clone(),
                            source_text(&p.source, p.shadows.as_ref()),
                            desc,
                        ]
                    })
                    .collect();
                print!("{}", table(&["NAME", "SOURCE", "DESCRIPTION"], &rows));
            }
        }
        ProfileCommand::Show { name, json } | ProfileCommand::Resolve { name, json } => {
            // `show` and `resolve` print the same effective profile; `show` adds provenance.
            let store = store(args.dir.as_deref()).map_err(|e| e.json(json))?;
            let resolved = store
                .resolve_detailed(&name)
                .map_err(|e| CliError::from(e).json(json))?;
            // `[terminal]` is left out of the serialized profile while it is all defaults
            // (so older profiles keep their hashes); show states the effective values anyway.
            let terminal = &resolved.profile.terminal;
            if json {
                let mut profile =
                    serde_json::to_value(&resolved.profile).unwrap_or(serde_json::Value::Null);
                if let Some(obj) = profile.as_object_mut() {
                    obj.entry("terminal").or_insert_with(|| {
                        serde_json::to_value(terminal).unwrap_or(serde_json::Value::Null)
                    });
                }
                print_json(&serde_json::json!({
                    "name": resolved.profile.name,
                    "source": resolved.source,
                    "shadows": resolved.shadows,
                    "chain": chain_json(&resolved),
                    "provenance": resolved.provenance,
                    "hash": resolved.profile.hash(),
                    "profile": profile,
                }));
            } else {
                print!("{}", header(&resolved, true));
                print!("{}", config::to_toml(&resolved.profile)?);
                if terminal.is_default() {
                    print!(
                        "\n[terminal] # defaults\nraw_shell = {}\nmax_session_seconds = {}\n",
                        terminal.raw_shell, terminal.max_session_seconds
                    );
                }
            }
        }
        ProfileCommand::Validate { name, json } => {
            let store = store(args.dir.as_deref()).map_err(|e| e.json(json))?;
            match store.resolve_detailed(&name) {
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
            }
        }
        ProfileCommand::Diff { a, b, json } => {
            let store = store(args.dir.as_deref()).map_err(|e| e.json(json))?;
            let pa = profile_share::resolve_ref(&store, &a).map_err(|e| e.json(json))?;
            let pb = profile_share::resolve_ref(&store, &b).map_err(|e| e.json(json))?;
            let changes = config::diff(&pa, &pb);
            if json {
                // An array of changes, as before versions existed (`key`, `kind`, ...).
                print_json(&changes);
            } else if changes.is_empty() {
                println!("profiles {a} and {b} are identical in effect");
            } else {
                println!(
                    "--- {a} (sha256 {})\n+++ {b} (sha256 {})",
                    pa.hash(),
                    pb.hash()
                );
                print!("{}", config::render_diff(&changes));
            }
        }
        other => return profile_share::run(args.dir.as_deref(), other),
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
