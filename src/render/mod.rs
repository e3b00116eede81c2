//! Output: one view per command's result, and the only place that writes
//! to stdout and stderr (the broker's `--verbose` request log aside).
//!
//! The `render_*` functions only format: they take a result and return a
//! `String` ending in a newline, never recompute it, and are tested as
//! values. The views (`show_*`, and the progress of an apply) choose the
//! format and write the text where it belongs; command handlers call them
//! and print nothing themselves.
//!
//! - `text`, `markdown`, `json`: the plan, for `plan`, `drift`, `diff` and
//!   `apply` ([`show_plan`]); `json` also holds the drift report.
//! - `apply_report`: what an apply did; `progress`: its bar or lines.
//! - `migration`: a plan's migrations, and a migration's progress.
//! - `diagnostics`: the validate report, and a load's warnings and errors
//!   for every command that reads files.
//! - `routing`: where a message goes (`warren route`).
//! - `fmt_report`: the files `warren fmt` rewrote, or found to differ.
//! - `graph`: the routing graph as a Mermaid or DOT diagram (`warren graph`,
//!   and the plan's Markdown).
//! - `topology`: the export file (`warren export`).
//! - `notices`: one-line notes on stderr that are no command's main output
//!   (connection warnings, files written, apply's question, the error).

use std::io::Write;

use serde_json::Value;

use crate::diff::Object;
use crate::graph::Graph;
use crate::model::Arguments;
use crate::plan::Plan;

mod apply_report;
mod diagnostics;
mod fmt_report;
mod graph;
mod json;
mod markdown;
mod migration;
pub mod notices;
mod progress;
mod routing;
mod targets;
mod text;
mod topology;

pub use apply_report::{
    Migrated, describe_step, render_apply_json, render_apply_text, show_apply_report,
};
pub use diagnostics::{
    VALIDATE_FORMAT_VERSION, error_count_line, render_validate_json, show_broker_refusals,
    show_diagnostics, show_load_failure, show_load_warnings, show_validation,
};
pub use fmt_report::show_fmt_report;
pub use graph::{GraphFormat, left_out_note, render_dot, render_mermaid, show_graph};
pub use json::{render_drift_json, render_plan_json};
pub use markdown::render_markdown;
pub use migration::{describe_event, migration_progress_view, render_migrations};
pub use progress::progress_view;
pub use routing::{render_route_json, show_route};
pub use targets::{
    TARGETS_FORMAT_VERSION, TargetOutcome, TargetRun, render_targets, worst_exit_code,
};
pub use text::{TextLayout, render_text, summary_line};
pub use topology::{
    Secrets as ExportSecrets, render_export, render_topology_json, render_topology_yaml,
    show_export,
};

/// The output format a command was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

/// The view of `plan`, `drift` and `diff`, and of the plan `apply` shows
/// before it asks: the plan in `format`, on stdout. A drift in JSON is the
/// drift report; text is coloured on a terminal only.
pub fn show_plan(plan: &Plan, subject: Subject, format: Format) {
    show_reviewed_plan(plan, subject, format, None);
}

/// [`show_plan`], with the routing before and after the plan drawn into
/// the Markdown (other formats leave it out).
pub fn show_reviewed_plan(plan: &Plan, subject: Subject, format: Format, routing: Option<&Graph>) {
    print_stdout(&match format {
        Format::Text => render_text(
            plan,
            subject,
            TextLayout {
                color: stdout_is_colour(),
                width: None,
            },
        ),
        Format::Json if subject == Subject::Drift => render_drift_json(plan),
        Format::Json => render_plan_json(plan),
        Format::Markdown => render_markdown(plan, subject, routing),
    });
}

/// A document generated elsewhere (the schema, a completion script, the
/// man page), as it is, on stdout.
pub fn show_document(text: &str) {
    print_stdout(text);
}

/// Where stdout goes while [`capture_stdout`] runs.
static CAPTURED: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Runs `f`, keeping what it writes to stdout, which it returns: a
/// target's part of a report over several targets, arranged by
/// [`show_targets`] once every target has run.
pub fn capture_stdout<T>(f: impl FnOnce() -> T) -> (T, String) {
    let lock = || CAPTURED.lock().unwrap_or_else(|e| e.into_inner());
    *lock() = Some(String::new());
    let result = f();
    let captured = lock().take().unwrap_or_default();
    (result, captured)
}

/// The report of a command run on several targets, on stdout.
pub fn show_targets(command: &str, runs: &[TargetRun], format: Format, exit_code: u8) {
    print_stdout(&render_targets(command, runs, format, exit_code));
}

/// Writes `text` to stdout; a closed pipe (`warren plan | head`) is not an error.
fn print_stdout(text: &str) {
    if let Some(captured) = CAPTURED.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
        captured.push_str(text);
        return;
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// Writes `text` to stderr, which nothing can stop a command for.
fn print_stderr(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
}

/// Colour on stdout: only on a terminal, and never with `NO_COLOR` set.
fn stdout_is_colour() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// What a rendered plan is about, which changes its wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// `warren plan` / `apply`: the files against a broker.
    Plan,
    /// `warren drift`: the broker against the files.
    Drift,
    /// `warren diff`: two versions of the files, offline.
    Diff,
}

/// A value as it reads in a plan: strings bare, everything else as JSON.
pub(crate) fn show_value(value: Option<&Value>) -> String {
    match value {
        None => "(none)".to_string(),
        Some(Value::String(s)) if s.is_empty() => "\"\"".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The arguments or definition of an object, one `key: value` per line.
pub(crate) fn map_lines(map: &Arguments) -> Vec<String> {
    map.iter()
        .map(|(k, v)| format!("{k}: {}", show_value(Some(v))))
        .collect()
}

/// A one-line description of an object's settings, for creates and deletes:
/// `topic`, `durable: false, x-queue-type: quorum`.
pub(crate) fn describe(object: &Object) -> String {
    let mut parts: Vec<String> = Vec::new();
    let args = |map: &Arguments, parts: &mut Vec<String>| {
        parts.extend(map_lines(map));
    };
    match object {
        Object::Vhost(v) => {
            if !v.description.is_empty() {
                parts.push(format!("description: {}", v.description));
            }
            if !v.tags.is_empty() {
                parts.push(format!("tags: {}", v.tags.join(",")));
            }
            if let Some(t) = &v.default_queue_type {
                parts.push(format!("default_queue_type: {t}"));
            }
            if let Some(limits) = &v.limits {
                args(limits, &mut parts);
            }
        }
        Object::Policy(p) => {
            parts.push(format!("pattern: {}", p.pattern));
            parts.push(format!("apply_to: {}", p.apply_to));
            if p.priority != 0 {
                parts.push(format!("priority: {}", p.priority));
            }
            args(&p.definition, &mut parts);
        }
        Object::Exchange(e) => {
            parts.push(e.kind.clone());
            if !e.durable {
                parts.push("durable: false".into());
            }
            if e.auto_delete {
                parts.push("auto_delete: true".into());
            }
            if e.internal {
                parts.push("internal: true".into());
            }
            args(&e.arguments, &mut parts);
        }
        Object::Queue(q) => {
            if !q.durable {
                parts.push("durable: false".into());
            }
            if q.auto_delete {
                parts.push("auto_delete: true".into());
            }
            args(&q.arguments, &mut parts);
        }
        Object::Binding(_) => {}
        Object::User(u) => {
            if !u.tags.is_empty() {
                parts.push(format!("tags: {}", u.tags.join(",")));
            }
            parts.push(password_source(u));
            if let Some(limits) = &u.limits {
                args(limits, &mut parts);
            }
        }
        Object::Permission(p) => {
            parts.push(format!("configure: {}", p.configure));
            parts.push(format!("write: {}", p.write));
            parts.push(format!("read: {}", p.read));
        }
        Object::TopicPermission(p) => {
            parts.push(format!("write: {}", p.write));
            parts.push(format!("read: {}", p.read));
        }
        Object::Parameter(p) => {
            // A plan's parameter shows its value without credentials.
            if let serde_json::Value::Object(map) = &p.value {
                let map: Arguments = map.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                args(&map, &mut parts);
            } else {
                // An upstream set's list of upstreams.
                parts.push(show_value(Some(&p.value)));
            }
        }
        Object::GlobalParameter(p) => parts.push(show_value(Some(&p.value))),
    }
    parts.join(", ")
}

/// Whether a user has a password, when that is known: a file's user once
/// its references are read, a live user as read (a saved plan's copies
/// hold neither).
pub(crate) fn has_password(user: &crate::model::User) -> Option<bool> {
    use crate::model::Credential;
    if user.password_env.is_some() || user.password_file.is_some() {
        return Some(true);
    }
    match &user.credential {
        Some(Credential::Password(_)) => Some(true),
        Some(Credential::Hash { hash, .. }) => Some(!hash.is_empty()),
        Some(Credential::NoPassword) => Some(false),
        None => user.password_hash.as_ref().map(|hash| !hash.is_empty()),
    }
}

/// Where a user's password comes from, without it: `password from
/// $APP_PASSWORD`, `password from secrets/app`, `password hash`, `no
/// password`.
pub(crate) fn password_source(user: &crate::model::User) -> String {
    if let Some(name) = &user.password_env {
        format!("password from ${name}")
    } else if let Some(path) = &user.password_file {
        format!("password from {path}")
    } else if user.password_hash.is_some() {
        "password hash".to_string()
    } else if matches!(user.credential, Some(crate::model::Credential::Hash { .. })) {
        "password set".to_string()
    } else {
        "no password".to_string()
    }
}
