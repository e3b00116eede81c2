//! `warren apply`: plan (or read a saved plan), check everything, ask,
//! execute the plan, show the report, and verify against a fresh read.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::live::{
    block_on, check_shovel_plugin, connect, declared_vhosts, free_in_background, load_and_plan,
    load_on_the_side, plan_loaded,
};
use super::{Failure, Outcome, Sources, Status};
use crate::apply_lock::{ApplyLock, LockRelease, Unlocked};
use crate::broker::Client;
use crate::cli::GlobalArgs;
use crate::diff::Action;
use crate::execute::{ApplyFailed, Report, Stop, execute, verify};
use crate::load::{Loaded, Variables};
use crate::migrate::migrate_queue;
use crate::model::{DestinationType, ObjectId};
use crate::normalize::{Normal, normalize};
use crate::plan::{
    Allow, ApplyRefusal, Plan, Prune, SavedPlanRefusal, check_same_plan, read_saved, schedule,
    simulate,
};
use crate::render::{self, Format, Migrated, Subject, notices, progress_view, show_apply_report};

/// The options of `warren apply`.
pub struct ApplyArgs<'a> {
    /// The files (and the target's variables) to plan from; a saved
    /// plan's own files are read with the same variables.
    pub sources: Sources<'a>,
    pub plan_file: Option<&'a Path>,
    pub auto_approve: bool,
    pub prune: Prune,
    pub allow: Allow,
    /// How long a migration waits for its queue's count to change.
    pub migrate_stall: std::time::Duration,
    pub concurrency: usize,
}

pub fn run(global: &GlobalArgs, args: ApplyArgs<'_>) -> Outcome {
    let client = connect(global)?;
    block_on(apply(global, &client, args))
}

/// Where the plan comes from: the files, loaded, or a saved plan.
enum Planned<'a> {
    // Boxed: a loaded topology's bookkeeping is larger than a plan's.
    Files(Box<Loaded>),
    Saved(&'a Path, Box<Plan>),
}

/// Takes the apply lock of the vhosts the files (or the saved plan) name,
/// then plans and applies under it, and gives it back.
async fn apply(global: &GlobalArgs, client: &Client, args: ApplyArgs<'_>) -> Outcome {
    let (planned, vhosts) = match args.plan_file {
        Some(path) => {
            let saved = read_saved_plan(client, path)?;
            let vhosts = saved.vhosts.clone();
            (Planned::Saved(path, Box::new(saved)), vhosts)
        }
        None => {
            let loaded = load_on_the_side(args.sources).await?;
            let vhosts = declared_vhosts(&loaded);
            (Planned::Files(Box::new(loaded)), vhosts)
        }
    };
    // Locked before the broker is read: the plan is made from a state no
    // other apply is changing.
    let stop = Arc::new(Stop::default());
    let (lock, unlocked) = ApplyLock::take(client, &vhosts, &stop).await?;
    for Unlocked { vhost, reason } in &unlocked {
        notices::not_locked(vhost, reason, client.username());
    }
    // From here on a signal ends the apply cleanly: before the first
    // change, at once, with the locks given back; after, between requests,
    // with a report.
    let _listening = stop_on_signals(&stop, lock.releaser());
    let outcome = apply_locked(global, client, args, planned, &stop).await;
    lock.release().await;
    outcome
}

async fn apply_locked(
    global: &GlobalArgs,
    client: &Client,
    args: ApplyArgs<'_>,
    planned: Planned<'_>,
    stop: &Arc<Stop>,
) -> Outcome {
    let format: Format = global.format.into();
    let json = format == Format::Json;
    let (mut plan, live) = match planned {
        Planned::Saved(path, saved) => {
            plan_saved(client, path, *saved, args.sources.variables).await?
        }
        Planned::Files(loaded) => plan_loaded(client, *loaded, args.prune).await?,
    };
    if !args.allow.migrate {
        plan.keep_unfinished_migrations();
    }
    check_shovel_plugin(client, &mut plan).await?;

    if !json {
        render::show_plan(&plan, Subject::Plan, Format::Text);
    }
    if plan.is_empty() {
        if json {
            show_apply_report(
                &plan,
                &Report::default(),
                &Migrated::default(),
                &[],
                true,
                format,
            );
        }
        return Ok(Status::Clean);
    }

    // Text output shows the plan before refusing, so JSON shows the
    // report of an apply that started nothing.
    let refused = plan
        .check_access(client.username(), &live)
        .and_then(|()| plan.check_allowed(args.allow))
        .and_then(|()| confirm(&plan, client, args.auto_approve));
    if let Err(refusal) = refused {
        if json {
            show_apply_report(
                &plan,
                &unstarted(&plan, args.allow),
                &Migrated::default(),
                &[],
                false,
                format,
            );
        }
        return Err(refusal.into());
    }

    // With --migrate, the queues whose messages move are replaced by their
    // migration, after every other change (a dead-letter exchange the new
    // queue names is then in place), and not by the plan's steps.
    let migrating = args.allow.migrate && !plan.migrations.is_empty();
    let without_migrated;
    let scheduled: &Plan = if migrating {
        without_migrated = plan_without_migrated(&plan);
        &without_migrated
    } else {
        &plan
    };
    let schedule = schedule(scheduled, args.allow);
    let progress = progress_view(schedule.steps.len(), global.verbose);
    let version = plan
        .broker
        .as_ref()
        .map(|b| b.version.clone())
        .unwrap_or_default();
    let report = execute(
        client,
        &version,
        schedule,
        args.concurrency,
        progress.clone(),
        stop,
    )
    .await;
    drop(progress);

    let mut migration_failed = None;
    let mut migrated = 0;
    if migrating && report.succeeded() && report.stopped_by.is_none() {
        let observe = render::migration_progress_view();
        for migration in &plan.migrations {
            let stopped = || stop.requested();
            if let Err(failed) =
                migrate_queue(client, migration, args.migrate_stall, &observe, &stopped).await
            {
                migration_failed = Some(failed);
                break;
            }
            migrated += 1;
        }
    }

    // A failed read must not hide the report of what was applied.
    let mut unverified = None;
    let remaining = if report.succeeded() && migration_failed.is_none() {
        let live = if migrating {
            without_temporary_queues(live, &plan)
        } else {
            live
        };
        let expected = simulate(&live, &plan);
        // The read before the writes is not needed any more: freed while
        // the broker is read again, it does not add to the peak (one change
        // to a vhost of 20,000 queues: 150 -> 132 MB).
        free_in_background(live);
        verify(client, &plan, &expected).await.unwrap_or_else(|e| {
            unverified = Some(e);
            Vec::new()
        })
    } else {
        Vec::new()
    };

    let verified = report.succeeded() && unverified.is_none() && migration_failed.is_none();
    let migrated = Migrated {
        finished: migrated,
        failed: migration_failed.as_ref().map(ToString::to_string),
    };
    show_apply_report(&plan, &report, &migrated, &remaining, verified, format);
    if let Some(signal) = report.stopped_by {
        let counts = report.change_counts(&plan);
        return Err(ApplyFailed::Stopped {
            signal,
            failed: counts.failed,
            not_started: counts.not_started,
        }
        .into());
    }
    if !report.succeeded() {
        let counts = report.change_counts(&plan);
        return Err(ApplyFailed::Unfinished {
            failed: counts.failed,
            not_started: counts.not_started,
        }
        .into());
    }
    if let Some(failed) = migration_failed {
        return Err(failed.into());
    }
    if let Some(e) = unverified {
        return Err(ApplyFailed::Unverified(e).into());
    }
    if !remaining.is_empty() {
        return Err(ApplyFailed::StillDiffers(remaining).into());
    }
    Ok(Status::Clean)
}

/// Turns SIGINT and SIGTERM into a request to `stop`, said on stderr; a
/// second signal ends the process at once. One that comes before any
/// change gives the locks back and ends the process (exit 1). Listens
/// until the returned guard is dropped. Must run inside the runtime.
#[cfg(unix)]
fn stop_on_signals(stop: &Arc<Stop>, locks: LockRelease) -> Option<AbortOnDrop> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).ok()?;
    let mut terminate = signal(SignalKind::terminate()).ok()?;
    let stop = Arc::clone(stop);
    Some(AbortOnDrop(tokio::spawn(async move {
        loop {
            let name = tokio::select! {
                _ = interrupt.recv() => "SIGINT",
                _ = terminate.recv() => "SIGTERM",
            };
            let first = stop.request(name);
            if first && !stop.is_executing() {
                // No step will start now: nothing was changed.
                notices::stopped_before_any_change(name);
                locks.release().await;
                std::process::exit(1);
            }
            if first {
                notices::stopping(name);
            } else {
                notices::stopping_at_once(name);
                std::process::exit(1);
            }
        }
    })))
}

#[cfg(not(unix))]
fn stop_on_signals(_stop: &Arc<Stop>, _locks: LockRelease) -> Option<AbortOnDrop> {
    None
}

/// A task that ends when this is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `plan` without the changes its migrations carry out: the replace of
/// each migrated queue and the bindings re-created with it.
fn plan_without_migrated(plan: &Plan) -> Plan {
    let migrated: Vec<ObjectId> = plan.migrations.iter().map(|m| m.id()).collect();
    let mut reduced = plan.clone();
    reduced.changes.retain(|c| {
        let replaced = c.action == Action::Replace && migrated.contains(&c.id);
        let with_it = c.caused_by.as_ref().is_some_and(|id| migrated.contains(id));
        !replaced && !with_it
    });
    reduced
}

/// `live` without the temporary queues of `plan`'s migrations (and their
/// bindings), which the migrations delete: what the broker holds after.
fn without_temporary_queues(live: Normal, plan: &Plan) -> Normal {
    let gone = |vhost: &str, name: &str| {
        plan.migrations
            .iter()
            .any(|m| m.vhost == vhost && m.temporary.name == name)
    };
    let mut topology = live.into_topology();
    topology.queues.retain(|q| !gone(&q.vhost, &q.name));
    topology.bindings.retain(|b| {
        !(b.destination_type == DestinationType::Queue && gone(&b.vhost, &b.destination))
    });
    normalize(topology)
}

/// The report of an apply that started nothing (refused, or not confirmed).
fn unstarted(plan: &Plan, allow: Allow) -> Report {
    Report {
        not_started: schedule(plan, allow).steps,
        ..Report::default()
    }
}

/// Reads a plan saved by `plan --out`, for this broker, whose files are
/// here.
fn read_saved_plan(client: &Client, path: &Path) -> Result<Plan, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| SavedPlanRefusal::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let saved = read_saved(path, &text, &client.nodes().join(","))?;
    let missing: Vec<String> = saved
        .files
        .iter()
        .filter(|f| !Path::new(f).is_file())
        .cloned()
        .collect();
    if saved.files.is_empty() || !missing.is_empty() {
        return Err(SavedPlanRefusal::FilesMissing {
            path: path.to_path_buf(),
            missing,
        }
        .into());
    }
    Ok(saved)
}

/// Plans again from the saved plan's files and the live state: the saved
/// plan is carried out only when it is exactly the plan made now, which is
/// the one returned (with counts read now), so every check runs on what
/// the broker holds now.
async fn plan_saved(
    client: &Client,
    path: &Path,
    saved: Plan,
    variables: Option<&Variables>,
) -> Result<(Plan, Normal), Failure> {
    let files: Vec<PathBuf> = saved.files.iter().map(PathBuf::from).collect();
    let prune = Prune {
        objects: saved.prune,
        users: saved.prune_users,
        global_parameters: saved.prune_global_parameters,
    };
    let sources = Sources {
        paths: &files,
        variables,
    };
    let (now, live) = load_and_plan(client, sources, prune).await?;
    check_same_plan(&saved, &now, path)?;
    Ok((now, live))
}

/// Asks on a terminal; refuses without one unless `--auto-approve`.
fn confirm(plan: &Plan, client: &Client, auto_approve: bool) -> Result<(), ApplyRefusal> {
    if auto_approve {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(ApplyRefusal::NoTerminal);
    }
    notices::confirmation_question(plan.summary.changes(), client.display_url());
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| ApplyRefusal::AnswerUnreadable(e.to_string()))?;
    if answer.trim() != "yes" {
        return Err(ApplyRefusal::Cancelled);
    }
    Ok(())
}
