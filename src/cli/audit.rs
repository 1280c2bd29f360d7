//! `lasso audit view|verify|export LOG`. LOG is a file path, a sandbox id (or unique id
//! prefix) whose log is in LASSO_HOME/audit, or `system`. No engine is needed, so a log can
//! be examined after its sandbox is gone.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand, ValueEnum};

use super::output::{CliError, print_json, table};
use crate::audit::{self, AuditKey, EntryKind, Filter, Outcome, Page};
use crate::config::LassoHome;

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, Clone, Args)]
pub struct FilterArgs {
    /// Only these entry types (repeatable).
    #[arg(long = "type", value_enum)]
    pub kinds: Vec<KindArg>,
    /// Only these outcomes (repeatable).
    #[arg(long, value_enum)]
    pub outcome: Vec<OutcomeArg>,
    /// Entries at or after this time (RFC 3339, or YYYY-MM-DD).
    #[arg(long)]
    pub since: Option<String>,
    /// Entries before this time (RFC 3339, or YYYY-MM-DD).
    #[arg(long)]
    pub until: Option<String>,
    /// Only entries whose actor, action, target or detail contains this text.
    #[arg(long)]
    pub text: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Show entries, newest first, a page at a time.
    View {
        log: String,
        #[command(flatten)]
        filter: FilterArgs,
        /// Entries per page.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Page number, from 1.
        #[arg(long, default_value_t = 1)]
        page: usize,
        /// Oldest entries first.
        #[arg(long)]
        oldest_first: bool,
        #[arg(long)]
        json: bool,
    },
    /// Verify signatures, chain and seal; exit 0 only for a fully valid log.
    Verify {
        /// The log; omit with --all to verify every log in LASSO_HOME/audit with its index.
        log: Option<String>,
        #[arg(long, conflicts_with = "log")]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Export entries as JSON or CSV.
    Export {
        log: String,
        #[arg(long, value_enum, default_value = "json")]
        format: FormatArg,
        /// Output file (default: stdout).
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
        #[command(flatten)]
        filter: FilterArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    Command,
    Violation,
    Lifecycle,
    Network,
    File,
    Auth,
    Api,
    Exec,
    Probe,
    Mode,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OutcomeArg {
    Success,
    Error,
    Blocked,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Json,
    Csv,
}

impl From<KindArg> for EntryKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Command => EntryKind::Command,
            KindArg::Violation => EntryKind::Violation,
            KindArg::Lifecycle => EntryKind::Lifecycle,
            KindArg::Network => EntryKind::Network,
            KindArg::File => EntryKind::File,
            KindArg::Auth => EntryKind::Auth,
            KindArg::Api => EntryKind::Api,
            KindArg::Exec => EntryKind::Exec,
            KindArg::Probe => EntryKind::Probe,
            KindArg::Mode => EntryKind::Mode,
        }
    }
}

impl From<OutcomeArg> for Outcome {
    fn from(o: OutcomeArg) -> Self {
        match o {
            OutcomeArg::Success => Outcome::Success,
            OutcomeArg::Error => Outcome::Error,
            OutcomeArg::Blocked => Outcome::Blocked,
        }
    }
}

fn parse_time(flag: &str, s: &str) -> Result<DateTime<Utc>, CliError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Some(t) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        return Ok(t.and_utc());
    }
    Err(CliError::msg(format!(
        "--{flag} {s:?} is not a time; use RFC 3339 (2026-11-27T13:00:00Z) or YYYY-MM-DD"
    )))
}

impl FilterArgs {
    fn to_filter(&self) -> Result<Filter, CliError> {
        Ok(Filter {
            kinds: self.kinds.iter().map(|k| (*k).into()).collect(),
            outcomes: self.outcome.iter().map(|o| (*o).into()).collect(),
            since: self
                .since
                .as_deref()
                .map(|s| parse_time("since", s))
                .transpose()?,
            until: self
                .until
                .as_deref()
                .map(|s| parse_time("until", s))
                .transpose()?,
            text: self.text.clone(),
        })
    }
}

/// Finds the log file a user means.
fn resolve_log(home: &LassoHome, log: &str) -> Result<PathBuf, CliError> {
    let as_path = Path::new(log);
    if as_path.is_file() {
        return Ok(as_path.to_path_buf());
    }
    let dir = home.audit_dir();
    if log == "system" {
        return Ok(dir.join(audit::SYSTEM_LOG));
    }
    let exact = dir.join(format!("{log}.jsonl"));
    if exact.is_file() {
        return Ok(exact);
    }
    let valid_prefix = !log.is_empty() && log.chars().all(|c| c.is_ascii_hexdigit());
    if valid_prefix && let Ok(entries) = std::fs::read_dir(&dir) {
        let matches: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.extension().is_some_and(|x| x == "jsonl")
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(log))
            })
            .collect();
        match matches.as_slice() {
            [one] => return Ok(one.clone()),
            [] => {}
            many => {
                let n = many.len();
                return Err(CliError::msg(format!(
                    "`{log}` matches {n} audit logs in {}; use a longer prefix",
                    dir.display()
                )));
            }
        }
    }
    if as_path.exists() {
        return Err(CliError::msg(format!("{log} is not a regular file")));
    }
    Err(CliError::msg(format!(
        "no audit log `{log}`: give a file path, a sandbox id (or unique prefix) with a log in {}, or `system`",
        dir.display()
    )))
}

fn load_key(home: &LassoHome) -> Result<AuditKey, CliError> {
    let path = home.audit_key();
    if !path.exists() {
        return Err(CliError::msg(format!(
            "no audit key at {}: logs can only be verified with the key that signed them (set LASSO_HOME to the right home)",
            path.display()
        )));
    }
    Ok(AuditKey::load(&path)?)
}

pub fn run(args: AuditArgs) -> Result<ExitCode, CliError> {
    let home = LassoHome::from_env()?;
    match args.command {
        AuditCommand::View {
            log,
            filter,
            limit,
            page,
            oldest_first,
            json,
        } => {
            let path = resolve_log(&home, &log).map_err(|e| e.json(json))?;
            if limit == 0 || page == 0 {
                return Err(CliError::msg("--limit and --page start at 1")
                    .with_code(2)
                    .json(json));
            }
            let p = Page {
                limit,
                offset: limit.saturating_mul(page - 1),
                newest_first: !oldest_first,
            };
            let result = audit::query(&path, &filter.to_filter().map_err(|e| e.json(json))?, p)
                .map_err(|e| CliError::from(e).json(json))?;
            if json {
                print_json(&serde_json::json!({
                    "log": path, "page": page, "limit": limit, "has_more": result.has_more,
                    "total_matched": result.total_matched, "skipped_lines": result.skipped_lines,
                    "entries": result.entries,
                }));
            } else {
                let rows: Vec<Vec<String>> = result
                    .entries
                    .iter()
                    .map(|e| {
                        vec![
                            e.seq.to_string(),
                            e.ts.format("%Y-%m-%d %H:%M:%S").to_string(),
                            e.kind.as_str().to_string(),
                            e.outcome.as_str().to_string(),
                            e.actor.clone(),
                            e.action.clone(),
                            shorten(&e.target, 60),
                            shorten(&serde_json::to_string(&e.detail).unwrap_or_default(), 80),
                        ]
                    })
                    .collect();
                print!(
                    "{}",
                    table(
                        &[
                            "SEQ",
                            "TIME (UTC)",
                            "TYPE",
                            "OUTCOME",
                            "ACTOR",
                            "ACTION",
                            "TARGET",
                            "DETAIL"
                        ],
                        &rows
                    )
                );
                let total = result
                    .total_matched
                    .map(|t| format!(" of {t}"))
                    .unwrap_or_default();
                println!(
                    "page {page}: {} entries{total}{}",
                    result.entries.len(),
                    if result.has_more {
                        " (more: --page N+1)"
                    } else {
                        ""
                    }
                );
                if result.skipped_lines > 0 {
                    println!(
                        "note: {} damaged or torn lines were skipped; run `lasso audit verify`",
                        result.skipped_lines
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify { log, all, json } => {
            let key = load_key(&home).map_err(|e| e.json(json))?;
            if all || log.is_none() {
                let report = audit::verify_dir(home.audit_dir(), &key)
                    .map_err(|e| CliError::from(e).json(json))?;
                let valid = report.is_valid();
                if json {
                    print_json(&report);
                } else {
                    for (log, problem) in report.all_problems() {
                        println!("INVALID {log}: {problem}");
                    }
                    println!(
                        "{}",
                        if valid {
                            "all audit logs are valid"
                        } else {
                            "audit logs are NOT valid"
                        }
                    );
                }
                return Ok(if valid {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                });
            }
            let path =
                resolve_log(&home, log.as_deref().unwrap_or_default()).map_err(|e| e.json(json))?;
            let report = audit::verify(&path, &key).map_err(|e| CliError::from(e).json(json))?;
            if json {
                print_json(&report);
            } else {
                match &report.problem {
                    None => println!(
                        "valid: {} entries, last seq {} ({})",
                        report.entries,
                        report.last_seq,
                        path.display()
                    ),
                    Some(p) => {
                        let at = match (p.line, p.seq) {
                            (Some(l), Some(s)) => format!(" at line {l} (seq {s})"),
                            (Some(l), None) => format!(" at line {l}"),
                            _ => String::new(),
                        };
                        println!("INVALID{at}: {} — {}", p.kind, p.message);
                    }
                }
                for torn in &report.torn_lines {
                    println!(
                        "warning: line {} is a torn write (a crash mid-append), not tampering",
                        torn.line
                    );
                }
                if let audit::SealStatus::Lagging { seal_seq } = report.seal {
                    println!(
                        "warning: the seal is at seq {seal_seq}, behind the log (a crash between append and seal)"
                    );
                }
            }
            Ok(if report.is_valid() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        AuditCommand::Export {
            log,
            format,
            output,
            filter,
        } => {
            let path = resolve_log(&home, &log)?;
            let filter = filter.to_filter()?;
            let mut sink: Box<dyn Write> = match &output {
                Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p).map_err(
                    |e| CliError::msg(format!("cannot create {}: {e}", p.display())),
                )?)),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            let n = match format {
                FormatArg::Json => audit::export_json(&path, &filter, &mut sink)?,
                FormatArg::Csv => audit::export_csv(&path, &filter, &mut sink)?,
            };
            sink.flush()
                .map_err(|e| CliError::msg(format!("cannot write the export: {e}")))?;
            if let Some(p) = output {
                eprintln!("exported {n} entries to {}", p.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}
