//! JSON documents for scripts: the plan itself (the same document
//! `plan --out` saves and `apply --plan` reads) and the drift report.
//! Both carry `format_version`, so scripts can rely on their shape.

use serde::Serialize;
use serde_json::Value;

use crate::diff::{Action, Reason};
use crate::model::ObjectId;
use crate::plan::{BrokerInfo, FORMAT_VERSION, Migration, Plan, Summary};

/// The plan as pretty JSON.
pub fn render_plan_json(plan: &Plan) -> String {
    let mut text = serde_json::to_string_pretty(plan).expect("plans serialise");
    text.push('\n');
    text
}

#[derive(Serialize)]
struct DriftReport<'a> {
    format_version: u32,
    in_sync: bool,
    broker: Option<&'a BrokerInfo>,
    files: &'a [String],
    summary: &'a Summary,
    drifted: Vec<Drifted<'a>>,
    /// Migrations a stopped apply left unfinished (`apply --migrate`
    /// finishes them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unfinished_migrations: Vec<&'a Migration>,
}

/// One object that no longer matches the files.
#[derive(Serialize)]
struct Drifted<'a> {
    /// What `apply` would do about it (`create` means it is missing).
    action: Action,
    /// What happened on the broker, in words an alert can carry.
    drift: &'static str,
    #[serde(flatten)]
    id: &'a ObjectId,
    differences: &'a [Reason],
    #[serde(skip_serializing_if = "Option::is_none")]
    live: Option<Value>,
}

/// The drift report: every object that differs, and how.
pub fn render_drift_json(plan: &Plan) -> String {
    let drifted = plan
        .changes
        .iter()
        .map(|c| Drifted {
            action: c.action,
            drift: match c.action {
                Action::Create if c.caused_by.is_some() => "re-created with a replaced object",
                Action::Create => "missing on the broker",
                Action::Update | Action::Replace | Action::Unsupported => "differs from the files",
                Action::Delete | Action::Unmanaged => "on the broker, not in the files",
                Action::Unreadable => "on the broker with a value warren cannot read",
            },
            id: &c.id,
            differences: &c.reasons,
            live: match c.action {
                Action::Delete | Action::Unmanaged => {
                    c.before.as_ref().and_then(|o| serde_json::to_value(o).ok())
                }
                _ => None,
            },
        })
        .collect();
    let report = DriftReport {
        format_version: FORMAT_VERSION,
        in_sync: plan.summary.differences() == 0,
        broker: plan.broker.as_ref(),
        files: &plan.files,
        summary: &plan.summary,
        drifted,
        unfinished_migrations: plan.migrations.iter().filter(|m| m.unfinished).collect(),
    };
    let mut text = serde_json::to_string_pretty(&report).expect("reports serialise");
    text.push('\n');
    text
}
