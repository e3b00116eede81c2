//! Plan rendering: text (for terminals and logs), JSON (a versioned
//! document for scripts) and Markdown (for a pull-request comment).
//!
//! Renderers only format what the plan says; they never recompute it.
//! Each returns a `String` ending in a newline; printing is the caller's.

mod json;
mod markdown;
mod text;
mod topology;

pub use json::{render_drift_json, render_plan_json};
pub use markdown::render_markdown;
pub use text::{render_text, summary_line};
pub use topology::{render_topology_json, render_topology_yaml};

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

use crate::diff::Object;
use crate::model::Arguments;
use serde_json::Value;

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
    }
    parts.join(", ")
}
