//! argv -> cli -> exit code; nothing else.

use std::process::ExitCode;

fn main() -> ExitCode {
    warren::render::notices::report_panics_as_errors();
    let cli = match warren::cli::Cli::try_parse_args(std::env::args_os()) {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to stdout with exit 0; a usage error is
            // bad input, exit 1 (clap's own 2 would read as "changes found").
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // A panic is a bug, already reported on stderr as an error: exit 1.
    std::panic::catch_unwind(|| warren::commands::run(cli)).unwrap_or(ExitCode::FAILURE)
}
