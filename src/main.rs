//! argv -> cli -> exit code; nothing else.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = warren::cli::Cli::parse();
    warren::app::run(cli)
}
