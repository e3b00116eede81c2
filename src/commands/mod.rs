//! One handler per command, and the one place that wires the stages
//! together: each handler loads, inspects, plans, executes and shows its
//! result by calling the modules that own those steps, and returns an exit
//! status, mapped to an exit code here. Handlers decide nothing the stages
//! own and print nothing themselves: output goes through `render`'s views.

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::plan::Prune;
use crate::render;

mod apply;
mod docs;
mod drift;
mod export;
mod file_diff;
mod fmt;
mod graph;
mod init;
mod live;
mod live_plan;
mod route_message;
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
    /// Set when the command already showed its own report (to stdout, in
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

    /// A failure whose details the command has shown already.
    pub fn reported(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            reported: true,
        }
    }
}

/// Every typed error of the stages (broker errors, refusals) fails a
/// command with its message.
impl<E: std::error::Error> From<E> for Failure {
    fn from(error: E) -> Failure {
        Failure::new(error.to_string())
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
        } => route_message::run(global, paths, vhost, exchange, routing_key, headers),
        Command::Graph {
            paths,
            vhosts,
            plan,
        } => graph::run(global, paths, vhosts, plan.as_deref()),
        Command::Fmt { paths, check } => fmt::run(paths, *check),
        Command::Schema => schema::run(),
        Command::Completions { shell } => docs::completions(*shell),
        Command::Man => docs::man(),
        Command::Diff {
            old,
            new,
            prune,
            prune_users,
            prune_global_parameters,
        } => file_diff::run(
            global,
            old,
            new,
            Prune {
                objects: *prune,
                users: *prune_users,
                global_parameters: *prune_global_parameters,
            },
        ),
        Command::Plan {
            paths,
            prune,
            prune_users,
            prune_global_parameters,
            detailed_exitcode,
            out,
            migrate,
        } => live_plan::run(
            global,
            paths,
            Prune {
                objects: *prune,
                users: *prune_users,
                global_parameters: *prune_global_parameters,
            },
            *detailed_exitcode,
            out.as_deref(),
            *migrate,
        ),
        Command::Drift { paths } => drift::run(global, paths),
        Command::Export {
            vhosts,
            out,
            with_users,
            with_password_hashes,
            with_global_parameters,
        } => export::run(
            global,
            vhosts,
            out.as_deref(),
            export::Include {
                users: *with_users,
                password_hashes: *with_password_hashes,
                global_parameters: *with_global_parameters,
            },
        ),
        Command::Apply {
            paths,
            plan,
            auto_approve,
            prune,
            prune_users,
            prune_global_parameters,
            allow_recreate,
            allow_data_loss,
            allow_consumer_cancel,
            migrate,
            concurrency,
        } => apply::run(
            global,
            apply::ApplyArgs {
                paths,
                plan_file: plan.as_deref(),
                auto_approve: *auto_approve,
                prune: Prune {
                    objects: *prune,
                    users: *prune_users,
                    global_parameters: *prune_global_parameters,
                },
                allow: crate::plan::Allow {
                    recreate: *allow_recreate,
                    data_loss: *allow_data_loss,
                    consumer_cancel: *allow_consumer_cancel,
                    migrate: *migrate,
                },
                concurrency: usize::from(*concurrency),
            },
        ),
    };
    match outcome {
        Ok(Status::Clean) => ExitCode::SUCCESS,
        Ok(Status::Changes) => ExitCode::from(2),
        Err(failure) => {
            if !failure.reported {
                render::notices::error(&failure.message);
            }
            ExitCode::FAILURE
        }
    }
}

/// Loads and validates topology files for a command; warnings and errors
/// go to stderr (as `warren validate` shows them), and any error fails
/// the command before it reads or touches a broker.
pub(crate) fn load_files(paths: &[std::path::PathBuf]) -> Result<crate::load::Loaded, Failure> {
    report_load(crate::load::load(paths))
}

/// [`load_files`] once the files are loaded: shows the warnings, and the
/// errors of a failed load.
pub(crate) fn report_load(
    result: Result<crate::load::Loaded, crate::load::LoadFailed>,
) -> Result<crate::load::Loaded, Failure> {
    match result {
        Ok(loaded) => {
            render::show_load_warnings(&loaded);
            Ok(loaded)
        }
        Err(failed) => {
            render::show_load_failure(&failed);
            Err(Failure::reported(render::error_count_line(&failed.errors)))
        }
    }
}
