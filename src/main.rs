//! The `lasso` binary: parse the command line and hand it to the CLI front end.

use clap::Parser;

fn main() -> std::process::ExitCode {
    lasso::cli::run(lasso::cli::Cli::parse())
}
