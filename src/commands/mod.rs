//! One handler per command, and the one place that wires the stages
//! together: each handler loads, inspects, plans, executes and shows its
//! result by calling the modules that own those steps, and returns an exit
//! status, mapped to an exit code here. Handlers decide nothing the stages
//! own and print nothing themselves: output goes through `render`'s views.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::load::Variables;
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
mod targets;
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
    match targets::chosen(&cli) {
        Ok(Some(chosen)) => return targets::run(&cli, &chosen),
        Ok(None) => {}
        Err(failure) => return exit_code(Err(failure)),
    }
    let global = &cli.global;
    let outcome = match &cli.command {
        Command::Init { force } => init::run(*force),
        Command::Route {
            paths,
            exchange,
            routing_key,
            vhost,
            headers,
            target,
        } => targets::with_files_of(target, paths, true, |sources| {
            route_message::run(global, sources, vhost, exchange, routing_key, headers)
        }),
        Command::Graph {
            paths,
            vhosts,
            plan,
            target,
        } => targets::with_files_of(target, paths, true, |sources| {
            graph::run(global, sources, vhosts, plan.as_deref())
        }),
        Command::Fmt {
            paths,
            check,
            diff,
            target,
        } => {
            let mode = match (diff, check) {
                (true, _) => fmt::Mode::Diff,
                (false, true) => fmt::Mode::Check,
                (false, false) => fmt::Mode::Write,
            };
            targets::with_files_of(target, paths, false, |sources| {
                fmt::run(sources.paths, mode)
            })
        }
        Command::Schema { project } => schema::run(*project),
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
        Command::Validate { paths, .. }
        | Command::Plan { paths, .. }
        | Command::Drift { paths, .. }
        | Command::Apply { paths, .. } => {
            run_on_files(global, &cli.command, Sources::files(paths), false)
        }
    };
    exit_code(outcome)
}

/// `validate`, `plan`, `drift` or `apply` (`command`) on `sources`: the
/// files named on the command line, or a target's (`targets`), whose plan
/// with changes returns [`Status::Changes`] when `plan_changes` (as with
/// `--detailed-exitcode`).
pub(crate) fn run_on_files(
    global: &GlobalArgs,
    command: &Command,
    sources: Sources<'_>,
    plan_changes: bool,
) -> Outcome {
    match command {
        Command::Validate { .. } => validate::run(global, sources),
        Command::Drift { .. } => drift::run(global, sources),
        Command::Plan {
            prune,
            prune_users,
            prune_global_parameters,
            detailed_exitcode,
            out,
            migrate,
            ..
        } => live_plan::run(
            global,
            sources,
            Prune {
                objects: *prune,
                users: *prune_users,
                global_parameters: *prune_global_parameters,
            },
            *detailed_exitcode || plan_changes,
            out.as_deref(),
            *migrate,
        ),
        Command::Apply {
            plan,
            auto_approve,
            prune,
            prune_users,
            prune_global_parameters,
            allow_recreate,
            allow_data_loss,
            allow_consumer_cancel,
            migrate,
            migrate_stall_timeout,
            concurrency,
            ..
        } => apply::run(
            global,
            apply::ApplyArgs {
                sources,
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
                migrate_stall: std::time::Duration::from_secs(*migrate_stall_timeout),
                concurrency: usize::from(*concurrency),
            },
        ),
        _ => unreachable!("only validate, plan, drift and apply read files for a broker"),
    }
}

/// A command's outcome as its exit code; the failure's message, unless the
/// command showed it already, on stderr.
fn exit_code(outcome: Outcome) -> ExitCode {
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

/// The topology files a command reads, and the variables of the target
/// (`warren.yaml`) they are read for, if any.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    pub paths: &'a [PathBuf],
    pub variables: Option<&'a Variables>,
}

impl<'a> Sources<'a> {
    /// Files named on the command line: no target, no variables.
    pub fn files(paths: &'a [PathBuf]) -> Sources<'a> {
        Sources {
            paths,
            variables: None,
        }
    }

    /// [`crate::load::load_with`] of these sources.
    pub fn load(self) -> Result<crate::load::Loaded, crate::load::LoadFailed> {
        crate::load::load_with(self.paths, self.variables)
    }
}

/// Loads and validates topology files for a command; warnings and errors
/// go to stderr (as `warren validate` shows them), and any error fails
/// the command before it reads or touches a broker.
pub(crate) fn load_files(paths: &[PathBuf]) -> Result<crate::load::Loaded, Failure> {
    load_sources(Sources::files(paths))
}

/// [`load_files`], for a target's sources.
pub(crate) fn load_sources(sources: Sources<'_>) -> Result<crate::load::Loaded, Failure> {
    report_load(sources.load())
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
