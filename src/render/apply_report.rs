//! What an apply did: `Applied N changes, F failed, S not started.` with a
//! line for each failed and unstarted step (text), or one versioned JSON
//! document holding the plan, the steps by outcome and the verification.
//! It formats the execution's report; it counts nothing the report does
//! not say.

use serde::Serialize;

use super::migration::render_migrations_done;
use super::{Format, print_stdout};
use crate::diff::Change;
use crate::execute::Report;
use crate::model::{ObjectId, plural};
use crate::plan::{FORMAT_VERSION, Migration, Operation, Plan, Step};

/// What `apply --migrate` did with the plan's migrations.
#[derive(Debug, Default)]
pub struct Migrated {
    /// How many of them finished, in the plan's order.
    pub finished: usize,
    /// Why the next one stopped, when one did.
    pub failed: Option<String>,
}

/// The view of an apply's outcome, on stdout: the text report, or the
/// JSON document (`verified`, `remaining` and why a migration stopped only
/// appear there; in text they are the command's error).
pub fn show_apply_report(
    plan: &Plan,
    report: &Report,
    migrated: &Migrated,
    remaining: &[Change],
    verified: bool,
    format: Format,
) {
    print_stdout(&match format {
        Format::Json => render_apply_json(plan, report, migrated, remaining, verified),
        Format::Text | Format::Markdown => {
            render_apply_text(plan, report) + &render_migrations_done(plan, migrated.finished)
        }
    });
}

/// What a step did, in words: `declare queue jobs in vhost /`.
pub fn describe_step(step: &Step) -> String {
    let verb = match &step.operation {
        Operation::PutVhostLimits { .. } | Operation::PutUserLimits { .. } => {
            return format!("set the limits of {}", step.id);
        }
        Operation::PutUser { .. }
        | Operation::PutPermission(_)
        | Operation::PutTopicPermission(_)
        | Operation::PutParameter(_)
        | Operation::PutGlobalParameter(_) => "set",
        Operation::DeleteUser { .. }
        | Operation::DeletePermission { .. }
        | Operation::DeleteTopicPermission { .. }
        | Operation::DeleteParameter { .. }
        | Operation::DeleteGlobalParameter { .. } => "delete",
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
        ObjectId::Vhost { .. } | ObjectId::User { .. } | ObjectId::GlobalParameter { .. } => {
            format!("{verb} {}", step.id)
        }
        id => format!("{verb} {id} in vhost {}", id.vhost()),
    }
}

/// The text report.
pub fn render_apply_text(plan: &Plan, report: &Report) -> String {
    let counts = report.change_counts(plan);
    let mut out = String::new();
    if let Some(signal) = report.stopped_by {
        out.push_str(&format!(
            "Stopped by {signal}: no change started after it; those in flight finished.\n"
        ));
    }
    out.push_str(&format!(
        "Applied {}, {} failed, {} not started.\n",
        plural(counts.applied, "change", "changes"),
        counts.failed,
        counts.not_started
    ));
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

/// The JSON document: serialize-only wire type, kept apart from the model.
#[derive(Serialize)]
struct JsonReport<'a> {
    format_version: u32,
    plan: &'a Plan,
    applied: Vec<String>,
    failed: Vec<JsonFailure>,
    not_started: Vec<String>,
    /// The signal that stopped the apply, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped_by: Option<&'static str>,
    /// Whether a fresh read after a complete apply confirmed the result
    /// (`remaining` then lists what still differs).
    verified: bool,
    /// Differences a fresh read still found after a complete apply.
    remaining: &'a [Change],
    /// The migrations `apply --migrate` finished: their messages moved.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    migrated: Vec<String>,
    /// The migration that stopped, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    migration_failed: Option<JsonFailure>,
}

#[derive(Serialize)]
struct JsonFailure {
    step: String,
    error: String,
}

/// The JSON report.
pub fn render_apply_json(
    plan: &Plan,
    report: &Report,
    migrated: &Migrated,
    remaining: &[Change],
    verified: bool,
) -> String {
    let describe_migration =
        |m: &Migration| format!("migrate queue {} in vhost {}", m.queue, m.vhost);
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
        stopped_by: report.stopped_by,
        verified,
        remaining,
        migrated: plan.migrations[..migrated.finished]
            .iter()
            .map(describe_migration)
            .collect(),
        migration_failed: migrated.failed.as_ref().map(|error| JsonFailure {
            step: plan
                .migrations
                .get(migrated.finished)
                .map(describe_migration)
                .unwrap_or_default(),
            error: error.clone(),
        }),
    };
    let mut text = serde_json::to_string_pretty(&doc).expect("reports serialise");
    text.push('\n');
    text
}
