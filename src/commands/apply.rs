//! `warren apply`: plan (or read a saved plan), check everything, ask,
//! carry the plan out, report, and verify against a fresh read.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use super::live::{block_on, connect, free_in_background, load_and_plan};
use super::{Failure, Outcome, Status, load_files, print_stdout, stdout_is_colour};
use crate::broker::Client;
use crate::cli::{Format, GlobalArgs};
use crate::diff::{Action, Change};
use crate::execute::{Progress, Report, StepResult, execute};
use crate::model::{ObjectId, plural};
use crate::plan::{
    Allow, FORMAT_VERSION, Operation, Plan, PlanInputs, Step, fingerprint, plan_changes, schedule,
    simulate,
};
use crate::render::{Subject, render_text};

/// The options of `warren apply`.
pub struct ApplyArgs<'a> {
    pub paths: &'a [PathBuf],
    pub plan_file: Option<&'a Path>,
    pub auto_approve: bool,
    pub prune: bool,
    pub allow: Allow,
    pub concurrency: usize,
}

pub fn run(global: &GlobalArgs, args: ApplyArgs<'_>) -> Outcome {
    let client = connect(global)?;
    block_on(apply(global, &client, args))
}

async fn apply(global: &GlobalArgs, client: &Client, args: ApplyArgs<'_>) -> Outcome {
    let json = global.format == Format::Json;
    let (plan, live) = match args.plan_file {
        Some(path) => saved_plan(client, path).await?,
        None => load_and_plan(client, args.paths, args.prune).await?,
    };

    if !json {
        print_stdout(&render_text(&plan, Subject::Plan, stdout_is_colour()));
    }
    if plan.is_empty() {
        if json {
            print_report(&plan, &Report::default(), &[], true);
        }
        return Ok(Status::Clean);
    }

    let refusals = plan.refusals(args.allow);
    if !refusals.is_empty() {
        let mut message = String::from("apply refused, nothing was changed:");
        for refusal in &refusals {
            message.push_str(&format!(
                "\n  {} in vhost '{}' {}: needs {}",
                refusal.id,
                refusal.id.vhost(),
                refusal.why,
                refusal.flag.as_str()
            ));
        }
        if json {
            print_unstarted(&plan, args.allow);
        }
        return Err(Failure::new(message));
    }

    if let Err(failure) = confirm(&plan, client, args.auto_approve) {
        if json {
            print_unstarted(&plan, args.allow);
        }
        return Err(failure);
    }

    let schedule = schedule(&plan, args.allow);
    let progress: Arc<dyn Progress> = if std::io::stderr().is_terminal() && !global.verbose {
        Arc::new(BarProgress::new(schedule.steps.len()))
    } else {
        Arc::new(LineProgress)
    };
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
    )
    .await;
    drop(progress);

    // The broker answers 204 to a PUT it did not carry out (arguments it
    // does not compare), so only a fresh read says whether it matches.
    // Objects that others declared meanwhile (applications declare their
    // own queues) are no difference; an object this plan deleted is.
    // A failed read must not hide the report of what was applied.
    let mut unverified = None;
    let remaining: Vec<Change> = if report.succeeded() {
        let expected = simulate(&live, &plan);
        // The read before the writes is not needed any more: freed while
        // the broker is read again, it does not add to the peak (one change
        // to a vhost of 20,000 queues: 150 -> 132 MB).
        free_in_background(live);
        match client.inspect(&plan.vhosts).await {
            Ok(after) => {
                let deleted: BTreeSet<&ObjectId> = plan
                    .changes
                    .iter()
                    .filter(|c| c.action == Action::Delete)
                    .map(|c| &c.id)
                    .collect();
                plan_changes(&expected, &after.topology, PlanInputs::default())
                    .changes
                    .into_iter()
                    .filter(|c| {
                        c.action.is_change()
                            || (c.action == Action::Unmanaged && deleted.contains(&c.id))
                    })
                    .collect()
            }
            Err(e) => {
                unverified = Some(e);
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };

    if json {
        let verified = report.succeeded() && unverified.is_none();
        print_report(&plan, &report, &remaining, verified);
    } else {
        print_stdout(&report_text(&plan, &report));
    }
    if !report.succeeded() {
        let counts = report.change_counts(&plan);
        return Err(Failure::new(format!(
            "apply did not finish ({} failed, {} not started); fix the cause and run apply again: it plans from the live state and finishes the work",
            counts.failed, counts.not_started
        )));
    }
    if let Some(e) = unverified {
        return Err(Failure::new(format!(
            "every change was applied, but reading the broker back to verify them failed: {e}; \
             run warren plan to check"
        )));
    }
    if !remaining.is_empty() {
        let mut message = String::from(
            "the broker accepted every change but still differs from the plan (it keeps old values of arguments it does not compare):",
        );
        for change in &remaining {
            message.push_str(&format!(
                "\n  {} in vhost '{}'",
                change.id,
                change.id.vhost()
            ));
            for reason in &change.reasons {
                message.push_str(&format!(
                    "\n    {}: broker has {}, plan wants {}",
                    reason.field,
                    show(reason.before.as_ref()),
                    show(reason.after.as_ref())
                ));
            }
        }
        return Err(Failure::new(message));
    }
    Ok(Status::Clean)
}

fn show(value: Option<&serde_json::Value>) -> String {
    value.map_or("(none)".to_string(), |v| v.to_string())
}

/// Reads a plan saved by `plan --out` and checks it still applies: same
/// broker, same files, and a live state unchanged since it was made.
async fn saved_plan(
    client: &Client,
    path: &Path,
) -> Result<(Plan, crate::model::Topology), Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::new(format!("cannot read the plan {}: {e}", path.display())))?;
    let mut plan: Plan = serde_json::from_str(&text).map_err(|e| {
        Failure::new(format!(
            "{} is not a plan saved by `warren plan --out`: {e}",
            path.display()
        ))
    })?;
    if plan.format_version != FORMAT_VERSION {
        return Err(Failure::new(format!(
            "{} has plan format version {}, this warren reads version {FORMAT_VERSION}; plan again",
            path.display(),
            plan.format_version
        )));
    }
    let Some(broker) = plan.broker.clone() else {
        return Err(Failure::new(format!(
            "{} was made offline (warren diff) and cannot be applied; run warren plan --out",
            path.display()
        )));
    };
    if broker.url != client.display_url() {
        return Err(Failure::new(format!(
            "the plan {} was made for {}, not {}; plan again against this broker",
            path.display(),
            broker.url,
            client.display_url()
        )));
    }
    check_files(&plan, path)?;
    let live = client.inspect(&plan.vhosts).await?;
    if plan.live_fingerprint.as_deref() != Some(&fingerprint(&live.topology, &live.binding_keys)) {
        return Err(Failure::new(format!(
            "the plan {} is stale: the broker changed since it was made; plan again",
            path.display()
        )));
    }
    // Counts move all the time and are not part of the fingerprint.
    let dropped = plan.queues_dropped();
    if !dropped.is_empty() {
        let counts = client.queue_message_counts(&dropped).await?;
        plan.set_message_counts(&counts);
    }
    Ok((plan, live.topology))
}

/// A saved plan is for the files it was made from: when they are here and
/// say something else now, the plan is refused.
fn check_files(plan: &Plan, path: &Path) -> Result<(), Failure> {
    let files: Vec<PathBuf> = plan.files.iter().map(PathBuf::from).collect();
    if files.is_empty() || !files.iter().all(|f| f.exists()) {
        eprintln!(
            "note: the files the plan {} was made from are not all here; applying it as saved",
            path.display()
        );
        return Ok(());
    }
    let loaded = load_files(&files)?;
    if fingerprint(&loaded.topology, &BTreeMap::new()) != plan.desired_fingerprint {
        return Err(Failure::new(format!(
            "the plan {} was made from other files: {} changed since; plan again",
            path.display(),
            plan.files.join(", ")
        )));
    }
    Ok(())
}

/// Asks on a terminal; refuses without one unless `--auto-approve`.
fn confirm(plan: &Plan, client: &Client, auto_approve: bool) -> Result<(), Failure> {
    if auto_approve {
        return Ok(());
    }
    let question = format!(
        "Apply {} to {}? Only 'yes' is accepted: ",
        plural(plan.summary.changes(), "change", "changes"),
        client.display_url()
    );
    if !std::io::stdin().is_terminal() {
        return Err(Failure::new(
            "apply needs confirmation and there is no terminal to ask on; review the plan and pass --auto-approve. Nothing was changed.",
        ));
    }
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::new(format!("cannot read the answer: {e}")))?;
    if answer.trim() != "yes" {
        return Err(Failure::new("apply cancelled; nothing was changed"));
    }
    Ok(())
}

/// What a step did, in words: `declare queue jobs in vhost /`.
pub(crate) fn describe_step(step: &Step) -> String {
    let verb = match &step.operation {
        Operation::PutVhost(_)
        | Operation::PutPolicy(_)
        | Operation::PutExchange(_)
        | Operation::PutQueue(_) => "declare",
        Operation::Bind(_) => "create",
        Operation::Unbind { .. }
        | Operation::DeleteQueue { .. }
        | Operation::DeleteExchange { .. }
        | Operation::DeletePolicy { .. } => "delete",
    };
    match &step.id {
        ObjectId::Vhost { .. } => format!("{verb} {}", step.id),
        id => format!("{verb} {id} in vhost {}", id.vhost()),
    }
}

fn report_text(plan: &Plan, report: &Report) -> String {
    let counts = report.change_counts(plan);
    let mut out = format!(
        "Applied {}, {} failed, {} not started.\n",
        plural(counts.applied, "change", "changes"),
        counts.failed,
        counts.not_started
    );
    for (step, error) in &report.failed {
        out.push_str(&format!("  failed: {}: {error}\n", describe_step(step)));
    }
    for step in &report.not_started {
        out.push_str(&format!("  not started: {}\n", describe_step(step)));
    }
    for change in report.implied_not_started(plan) {
        out.push_str(&format!("  not started: {}\n", describe_implied(change)));
    }
    out
}

/// A deletion without a request of its own, in words: `delete binding x ->
/// q [k] in vhost / (with queue q)`.
fn describe_implied(change: &Change) -> String {
    let owner = change
        .caused_by
        .as_ref()
        .map(|o| format!(" (with {o})"))
        .unwrap_or_default();
    format!("delete {} in vhost {}{owner}", change.id, change.id.vhost())
}

#[derive(Serialize)]
struct JsonReport<'a> {
    format_version: u32,
    plan: &'a Plan,
    applied: Vec<String>,
    failed: Vec<JsonFailure>,
    not_started: Vec<String>,
    /// Whether a fresh read after a complete apply confirmed the result
    /// (`remaining` then lists what still differs).
    verified: bool,
    /// Differences a fresh read still found after a complete apply.
    remaining: &'a [Change],
}

#[derive(Serialize)]
struct JsonFailure {
    step: String,
    error: String,
}

fn print_report(plan: &Plan, report: &Report, remaining: &[Change], verified: bool) {
    let doc = JsonReport {
        format_version: FORMAT_VERSION,
        plan,
        applied: report.done.iter().map(describe_step).collect(),
        failed: report
            .failed
            .iter()
            .map(|(s, e)| JsonFailure {
                step: describe_step(s),
                error: e.clone(),
            })
            .collect(),
        not_started: report
            .not_started
            .iter()
            .map(describe_step)
            .chain(
                report
                    .implied_not_started(plan)
                    .into_iter()
                    .map(describe_implied),
            )
            .collect(),
        verified,
        remaining,
    };
    let mut text = serde_json::to_string_pretty(&doc).expect("reports serialise");
    text.push('\n');
    print_stdout(&text);
}

/// The JSON report of an apply that started nothing (refused, or not
/// confirmed): text output shows the plan before refusing, so JSON does too.
fn print_unstarted(plan: &Plan, allow: Allow) {
    let report = Report {
        not_started: schedule(plan, allow).steps,
        ..Report::default()
    };
    print_report(plan, &report, &[], false);
}

/// One line per finished step on stderr (logs, CI).
struct LineProgress;

impl Progress for LineProgress {
    fn started(&self, _step: &Step) {}

    fn finished(&self, result: &StepResult) {
        match &result.error {
            None => eprintln!("done: {}", describe_step(&result.step)),
            Some(e) => eprintln!("FAILED: {}: {e}", describe_step(&result.step)),
        }
    }
}

/// A progress bar on stderr (terminals).
struct BarProgress(indicatif::ProgressBar);

impl BarProgress {
    fn new(total: usize) -> BarProgress {
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
                .expect("a valid template"),
        );
        BarProgress(bar)
    }
}

impl Progress for BarProgress {
    fn started(&self, step: &Step) {
        self.0.set_message(describe_step(step));
    }

    fn finished(&self, result: &StepResult) {
        if let Some(e) = &result.error {
            self.0
                .println(format!("FAILED: {}: {e}", describe_step(&result.step)));
        }
        self.0.inc(1);
    }
}

impl Drop for BarProgress {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}
