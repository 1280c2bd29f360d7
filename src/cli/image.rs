//! `lasso image bootstrap | build PROFILE`, and the progress display shared with `create`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::output::{CliError, print_json};
use crate::config::DEFAULT_BASE_IMAGE;
use crate::sandbox::{ImageProgress, SandboxService, ServiceOptions, base_image_for};

#[derive(Debug, Args)]
pub struct ImageArgs {
    #[command(subcommand)]
    pub command: ImageCommand,
}

#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Build the base image from the host's static busybox (no registry needed); rebuilt only
    /// when the host's busybox changed.
    Bootstrap {
        /// Tag of the base image.
        #[arg(long, default_value = DEFAULT_BASE_IMAGE)]
        tag: String,
        #[arg(long)]
        json: bool,
    },
    /// Build the per-profile image (packages via host-side debootstrap).
    Build {
        /// Profile name or path.
        profile: String,
        /// Project directory whose .lasso/profiles/ are searched first.
        #[arg(long, short = 'd')]
        dir: Option<PathBuf>,
        /// Rebuild even if it exists.
        #[arg(long)]
        force: bool,
        #[arg(long)]
        json: bool,
    },
}

/// A spinner on stderr showing the current phase and the latest output line; silent when
/// stderr is not a terminal except for phase changes, and completely silent when quiet.
pub struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        Progress { bar: None, quiet }
    }

    pub fn event(&mut self, event: ImageProgress) {
        if self.quiet {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} {elapsed:>4} {prefix}: {wide_msg}")
            {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        match event {
            ImageProgress::Phase(p) => {
                if bar.is_hidden() {
                    eprintln!("lasso: {p}");
                }
                bar.set_prefix(p);
            }
            ImageProgress::Line(l) => bar.set_message(l),
        }
    }

    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

pub async fn run(args: ImageArgs) -> Result<ExitCode, CliError> {
    let svc = SandboxService::new(ServiceOptions::from_env()?);
    match args.command {
        ImageCommand::Bootstrap { tag, json } => {
            let engine = svc
                .engine()
                .await
                .map_err(|e| CliError::from(e).json(json))?;
            let mut progress = Progress::new(json);
            let result =
                crate::runtime::bootstrap_busybox(engine, &tag, |p| progress.event(p)).await;
            progress.finish();
            let built = result.map_err(|e| CliError::msg(e.to_string()).json(json))?;
            if json {
                print_json(
                    &serde_json::json!({ "image": tag, "built": built, "runtime": engine.kind().to_string() }),
                );
            } else if built {
                println!("built {tag} on {}", engine.kind());
            } else {
                println!(
                    "{tag} is up to date on {} (built from this host's busybox)",
                    engine.kind()
                );
            }
        }
        ImageCommand::Build {
            profile,
            dir,
            force,
            json,
        } => {
            let store = svc
                .profiles(dir.as_deref())
                .map_err(|e| CliError::from(e).json(json))?;
            let profile = store
                .resolve(&profile)
                .map_err(|e| CliError::from(e).json(json))?;
            let engine = svc
                .engine()
                .await
                .map_err(|e| CliError::from(e).json(json))?;
            let base = base_image_for(&profile, svc.settings());
            let tag = profile.image_tag(&base);
            let mut progress = Progress::new(json);
            let exists = engine
                .image_exists(&tag)
                .await
                .map_err(|e| CliError::msg(e.to_string()).json(json))?;
            let built = if force || !exists {
                let r = crate::sandbox::build_profile_image(engine, &profile, &base, &mut |p| {
                    progress.event(p)
                })
                .await;
                progress.finish();
                r.map_err(|e| CliError::from(e).json(json))?;
                true
            } else {
                false
            };
            if json {
                print_json(&serde_json::json!({
                    "profile": profile.name, "image": tag, "base": base, "packages": profile.image.packages,
                    "built": built, "runtime": engine.kind().to_string()
                }));
            } else if built {
                println!(
                    "built {tag} for profile {} on {}",
                    profile.name,
                    engine.kind()
                );
            } else {
                println!(
                    "{tag} for profile {} already exists on {} (use --force to rebuild)",
                    profile.name,
                    engine.kind()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
