//! Running `validate`, `plan`, `apply` and `drift` for the targets of the
//! project file (`warren.yaml`): which targets a command line chooses,
//! each target's connection options (its credentials read from where the
//! file says), and one report over several targets, whose exit code is
//! the worst of theirs. One target runs exactly like a command without
//! targets, its output as is. The offline commands that read files
//! (`graph`, `route`, `fmt`) take one target's files and variables.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{Failure, Outcome, Sources, Status, validate};
use crate::cli::{Cli, Command, ConnectionArgs, FilesOfTarget, GlobalArgs};
use crate::project::{Project, Secret, Target};
use crate::render::{self, TargetOutcome, TargetRun, notices};

/// The targets the command line chooses: `Ok(None)` when it runs without
/// targets (as before warren.yaml), an error when it is ambiguous or
/// names a target or project file that is not there.
pub fn chosen(cli: &Cli) -> Result<Option<Vec<Target>>, Failure> {
    let (paths, targets, name) = match &cli.command {
        Command::Validate { paths, targets } => (paths, targets, "validate"),
        Command::Plan { paths, targets, .. } => (paths, targets, "plan"),
        Command::Apply { paths, targets, .. } => (paths, targets, "apply"),
        Command::Drift { paths, targets } => (paths, targets, "drift"),
        _ => return Ok(None),
    };
    let project = Project::find(targets.project.as_deref()).map_err(Failure::new)?;
    let Some(project) = project else {
        if targets.any() {
            return Err(no_project_file("--target and --all-targets need"));
        }
        return Ok(None);
    };
    let chosen = match (targets.any(), paths.is_empty(), name) {
        (true, _, _) => project.select(&targets.names, targets.all_targets),
        // Named files run as before, with the connection options.
        (false, false, _) => return Ok(None),
        // Checking every target is offline and changes nothing.
        (false, true, "validate") => project.select(&[], true),
        (false, true, _) => Err(format!(
            "{} lists the targets {}: choose with --target NAME or --all-targets (or name \
             topology files to run without targets, with --url)",
            project.file.display(),
            project.names()
        )),
    }
    .map_err(Failure::new)?;
    Ok(Some(chosen.into_iter().cloned().collect()))
}

/// Runs an offline command on the files named (`paths`), or with
/// `--target NAME` on that target's files and variables. A command that
/// `reads_variables` and fails on the default files of a project says
/// that `--target` reads them as a target would.
pub fn with_files_of(
    target: &FilesOfTarget,
    paths: &[PathBuf],
    reads_variables: bool,
    command: impl FnOnce(Sources<'_>) -> Outcome,
) -> Outcome {
    let Some(name) = &target.name else {
        let outcome = command(Sources::files(paths));
        if outcome.is_err()
            && reads_variables
            && paths.is_empty()
            && let Ok(Some(project)) = Project::find(target.project.as_deref())
        {
            notices::targets_not_chosen(&project.file, &project.names());
        }
        return outcome;
    };
    let project = Project::find(target.project.as_deref())
        .map_err(Failure::new)?
        .ok_or_else(|| no_project_file("--target needs"))?;
    let chosen = project
        .select(std::slice::from_ref(name), false)
        .map_err(Failure::new)?;
    let target = chosen[0];
    command(Sources {
        paths: &target.paths,
        variables: Some(&target.variables),
    })
}

/// The error for `flags` (and what they do: "--target needs") without a
/// project file.
fn no_project_file(flags_need: &str) -> Failure {
    Failure::new(format!(
        "{flags_need} a project file: there is no {} in the current directory (name one \
         with --project FILE or WARREN_PROJECT)",
        crate::project::PROJECT_FILE
    ))
}

/// Runs the command for each of `targets` and shows one report.
pub fn run(cli: &Cli, targets: &[Target]) -> ExitCode {
    if let Err(failure) = refuse_with_targets(cli, targets.len()) {
        notices::error(&failure.message);
        return ExitCode::FAILURE;
    }
    if let [target] = targets {
        notices::target_started(&target.name, &target.urls);
        return super::exit_code(run_one(cli, target, false));
    }
    let mut runs = Vec::new();
    let mut failed_apply = false;
    for target in targets {
        let mut run = TargetRun {
            name: target.name.clone(),
            urls: target.urls.clone(),
            output: String::new(),
            outcome: TargetOutcome::NotStarted,
        };
        if failed_apply {
            runs.push(run);
            continue;
        }
        notices::target_started(&target.name, &target.urls);
        // A plan says whether it has changes, for the table of targets.
        let (outcome, output) = render::capture_stdout(|| run_one(cli, target, true));
        run.output = output;
        run.outcome = match outcome {
            Ok(Status::Clean) => TargetOutcome::Clean,
            Ok(Status::Changes) => TargetOutcome::Changes,
            Err(failure) => {
                if !failure.reported {
                    notices::error(&format!("target {}: {}", target.name, failure.message));
                }
                // An apply stops at the first target that fails: what
                // comes next (production, say) waits for it to be fixed.
                failed_apply = matches!(cli.command, Command::Apply { .. });
                TargetOutcome::Failed(failure.message)
            }
        };
        runs.push(run);
    }
    let command = match cli.command {
        Command::Validate { .. } => "validate",
        Command::Apply { .. } => "apply",
        Command::Drift { .. } => "drift",
        _ => "plan",
    };
    let mut exit_code = render::worst_exit_code(&runs);
    if exit_code == 2
        && matches!(
            cli.command,
            Command::Plan {
                detailed_exitcode: false,
                ..
            }
        )
    {
        exit_code = 0;
    }
    render::show_targets(command, &runs, cli.global.format.into(), exit_code);
    ExitCode::from(exit_code)
}

/// What several targets (or any target) cannot do, before any runs.
fn refuse_with_targets(cli: &Cli, count: usize) -> Result<(), Failure> {
    let connection = &cli.global.connection;
    if connection.on_command_line.url {
        return Err(Failure::new(
            "--url cannot be used with targets: each target's URLs come from warren.yaml",
        ));
    }
    if connection.on_command_line.password || connection.password_file.is_some() {
        return Err(Failure::new(
            "--password and --password-file cannot be used with targets: each target's \
             credentials come from warren.yaml (password_env or password_file)",
        ));
    }
    if count < 2 {
        return Ok(());
    }
    match &cli.command {
        Command::Plan { out: Some(_), .. } => Err(Failure::new(
            "plan --out saves the plan of one target: use one --target",
        )),
        Command::Apply { plan: Some(_), .. } => Err(Failure::new(
            "apply --plan carries out the plan of one target: use one --target",
        )),
        Command::Apply {
            auto_approve: false,
            ..
        } => Err(Failure::new(
            "apply on several targets needs --auto-approve (or one --target at a time, \
             which asks)",
        )),
        _ => Ok(()),
    }
}

/// The command for one target: its connection options, files and
/// variables; `changes` makes a plan with changes return
/// [`Status::Changes`] as with `--detailed-exitcode`.
fn run_one(cli: &Cli, target: &Target, changes: bool) -> Outcome {
    let sources = Sources {
        paths: &target.paths,
        variables: Some(&target.variables),
    };
    if let Command::Validate { .. } = cli.command {
        // Offline: no credentials are read.
        return validate::run(&cli.global, sources);
    }
    let global = &GlobalArgs {
        connection: connection_of(target, &cli.global.connection)?,
        ..cli.global.clone()
    };
    super::run_on_files(global, &cli.command, sources, changes)
}

/// The connection options of `target`: its URLs and credentials, and the
/// command line's TLS and timeout options. Nothing of `WARREN_URL`,
/// `WARREN_USERNAME` or `WARREN_PASSWORD` carries over from one target to
/// another.
fn connection_of(target: &Target, given: &ConnectionArgs) -> Result<ConnectionArgs, Failure> {
    let from_env = |env: &str, what: &str| {
        std::env::var(env).map_err(|_| {
            Failure::new(format!(
                "the environment variable {env} (the {what} of target {} in warren.yaml) is \
                 not set; set it, or change the target",
                target.name
            ))
        })
    };
    let username = match &target.username {
        Secret::Default => None,
        Secret::Value(user) => Some(user.clone()),
        Secret::Env(env) => Some(from_env(env, "username_env")?),
        Secret::File(_) => unreachable!("a user name is never read from a file"),
    };
    let named_by = matches!(target.password, Secret::File(_))
        .then(|| format!("password_file of target {} in warren.yaml", target.name));
    let (password, password_file): (Option<String>, Option<PathBuf>) = match &target.password {
        Secret::Default | Secret::Value(_) => (None, None),
        Secret::Env(env) => (Some(from_env(env, "password_env")?), None),
        Secret::File(file) => (None, Some(file.clone())),
    };
    Ok(ConnectionArgs {
        url: target.urls.join(","),
        username,
        password,
        password_file,
        password_file_named_by: named_by,
        ca_cert: target.ca_cert.clone().or_else(|| given.ca_cert.clone()),
        insecure: given.insecure,
        timeout: given.timeout,
        on_command_line: Default::default(),
    })
}
