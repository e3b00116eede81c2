//! argv -> cli -> exit code; nothing else.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = warren::cli::Cli::parse_args();
    warren::app::run(cli)
}
