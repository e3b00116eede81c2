//! The one place that wires the stages together: each command loads,
//! inspects, plans, renders or applies by calling the modules that own
//! those steps, prints the result, and returns an exit status.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::{Cli, Command};

mod init;
mod route;
mod schema;
mod validate;

/// What a command found, as the process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 0: success and nothing to report.
    Clean,
    /// 2: changes or drift found.
    Changes,
}

/// A command that failed: one message, exit status 1. The message already
/// names the file, object or URL and says what to do; it never holds a
/// password.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    /// Set when the command already printed its own report (to stdout, in
    /// the requested format) and `run` must only set the exit status.
    pub reported: bool,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            reported: false,
        }
    }

    /// A failure whose details the command has printed already.
    pub fn reported(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            reported: true,
        }
    }
}

pub type Outcome = Result<Status, Failure>;

/// Runs the parsed command line and maps its outcome to an exit code.
pub fn run(cli: Cli) -> ExitCode {
    let global = &cli.global;
    let outcome = match &cli.command {
        Command::Init { force } => init::run(*force),
        Command::Validate { paths } => validate::run(global, paths),
        Command::Route {
            paths,
            exchange,
            routing_key,
            vhost,
            headers,
        } => route::run(global, paths, vhost, exchange, routing_key, headers),
        Command::Schema => schema::run(),
        _ => Err(Failure::new("this command is not available yet")),
    };
    match outcome {
        Ok(Status::Clean) => ExitCode::SUCCESS,
        Ok(Status::Changes) => ExitCode::from(2),
        Err(failure) => {
            if !failure.reported {
                let mut stderr = std::io::stderr().lock();
                let _ = writeln!(stderr, "error: {}", failure.message);
            }
            ExitCode::FAILURE
        }
    }
}

/// Writes `text` to stdout; a closed pipe (`warren plan | head`) is not an error.
pub(crate) fn print_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}
