//! The text plan, in the manner of `terraform plan`: grouped by vhost,
//! one marker per change (`+` create, `~` update, `-/+` replace, `-`
//! delete, `?` unmanaged, `!` cannot be applied), changed fields as
//! `before → after`, argument maps as a line diff, the reason beside every
//! replace, and a closing summary line.

use std::fmt::Write;

use similar::{ChangeTag, TextDiff};

use super::{Subject, describe, map_lines, show_value};
use crate::diff::{Action, Change, Object, Reason};
use crate::model::Arguments;
use crate::plan::{Plan, consumers, messages};

/// ANSI colours, or none.
struct Paint {
    on: bool,
}

impl Paint {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn action(&self, action: Action, text: &str) -> String {
        let code = match action {
            Action::Create => "32",
            Action::Update => "33",
            Action::Replace => "35",
            Action::Delete => "31",
            Action::Unmanaged => "2",
            Action::Unsupported => "33;1",
        };
        self.paint(code, text)
    }
}

/// The plan as text; `color` adds ANSI colours (for a terminal).
pub fn render_text(plan: &Plan, subject: Subject, color: bool) -> String {
    let paint = Paint { on: color };
    let mut out = String::new();

    // Grouped by vhost; within a vhost, in execution order.
    let mut changes: Vec<&Change> = plan.changes.iter().collect();
    changes.sort_by_key(|c| c.id.vhost());
    let mut vhost: Option<&str> = None;
    for change in changes {
        if vhost != Some(change.id.vhost()) {
            vhost = Some(change.id.vhost());
            if !out.is_empty() {
                out.push('\n');
            }
            let _ = writeln!(
                out,
                "{}",
                paint.paint("1", &format!("vhost {}", change.id.vhost()))
            );
        }
        render_change(&mut out, change, plan, &paint);
    }
    if !plan.changes.is_empty() {
        out.push('\n');
    }
    if subject == Subject::Diff && plan.summary.replace + plan.summary.delete > 0 {
        out.push_str("Message counts are unknown offline: check the queues before applying.\n");
    }
    let _ = writeln!(out, "{}", summary_line(plan, subject));
    out
}

fn render_change(out: &mut String, change: &Change, plan: &Plan, paint: &Paint) {
    let marker = change.action.symbol();
    let head = format!("{marker} {}", change.id);
    let mut line = format!("  {}", paint.action(change.action, &head));

    let note = match change.action {
        Action::Create | Action::Delete => {
            let object = change.after.as_ref().or(change.before.as_ref());
            object.map(describe).filter(|d| !d.is_empty())
        }
        Action::Unmanaged => Some("not in the files; --prune would delete it".to_string()),
        _ => None,
    };
    if let Some(note) = note {
        let _ = write!(line, " ({note})");
    }
    if let Some(cause) = &change.caused_by {
        match change.action {
            Action::Create => {
                let _ = write!(line, " [again: {cause} is replaced]");
            }
            _ => {
                let _ = write!(line, " [goes with {cause}]");
            }
        }
    }
    out.push_str(&line);
    out.push('\n');

    if change.action == Action::Replace {
        let _ = writeln!(out, "      {}", replace_reason(&change.reasons));
    }
    if matches!(
        change.action,
        Action::Update | Action::Replace | Action::Unsupported
    ) {
        render_reasons(out, change, paint);
    }
    if change.action == Action::Unsupported {
        let _ = writeln!(
            out,
            "      RabbitMQ {} cannot change a vhost's default queue type in place (3.11.17 can); \
             this difference stays until the vhost is re-created by hand",
            plan.broker
                .as_ref()
                .map(|b| b.version.as_str())
                .unwrap_or("before 3.11.17")
        );
    }
    if change.drops_queue() {
        let mut count = match change.messages {
            Some(n) => format!("holds {}", messages(n)),
            None if plan.messages_known => "message count unknown".to_string(),
            None => "message count unknown offline".to_string(),
        };
        if plan.messages_known {
            count.push_str(", ");
            count.push_str(&consumer_count(change.consumers));
        }
        let _ = writeln!(out, "      {}", paint.paint("31", &count));
    }
    let flags = change.required_flags();
    if !flags.is_empty() {
        let flags: Vec<&str> = flags.iter().map(|f| f.as_str()).collect();
        let _ = writeln!(out, "      needs {}", flags.join(" and "));
    }
}

/// `2 consumers`, or that they could not be counted (the queue vanished
/// while the broker was read).
pub(super) fn consumer_count(count: Option<u64>) -> String {
    match count {
        Some(n) => consumers(n),
        None => "consumer count unknown".to_string(),
    }
}

/// `must be replaced: x-message-ttl cannot change in place (a policy can set it without a replace: message-ttl)`
fn replace_reason(reasons: &[Reason]) -> String {
    let fields: Vec<&str> = reasons
        .iter()
        .map(|r| r.field.strip_prefix("arguments.").unwrap_or(&r.field))
        .collect();
    let policy: Vec<String> = reasons
        .iter()
        .filter_map(|r| r.policy_key.as_deref())
        .map(String::from)
        .collect();
    let mut text = format!(
        "must be replaced: {} cannot change in place",
        fields.join(", ")
    );
    if !policy.is_empty() {
        let _ = write!(
            text,
            " (a policy can set {} without a replace: {})",
            if policy.len() == 1 { "it" } else { "them" },
            policy.join(", ")
        );
    }
    text
}

/// Scalar fields as `field: before → after`; argument and definition maps
/// as a line diff.
fn render_reasons(out: &mut String, change: &Change, paint: &Paint) {
    let mut maps_done: Vec<&str> = Vec::new();
    for reason in &change.reasons {
        let map_name = reason.field.split_once('.').map(|(m, _)| m);
        match map_name {
            Some(map) if !maps_done.contains(&map) => {
                maps_done.push(map);
                let (before, after) = maps(change, map);
                let _ = writeln!(out, "      {map}:");
                render_map_diff(out, &before, &after, paint);
            }
            Some(_) => {}
            None => {
                let _ = writeln!(
                    out,
                    "      {}: {} → {}",
                    reason.field,
                    show_value(reason.before.as_ref()),
                    show_value(reason.after.as_ref())
                );
            }
        }
    }
}

fn maps(change: &Change, name: &str) -> (Arguments, Arguments) {
    let get = |object: &Option<Object>| -> Arguments {
        match (object, name) {
            (Some(Object::Queue(q)), "arguments") => q.arguments.clone(),
            (Some(Object::Exchange(e)), "arguments") => e.arguments.clone(),
            (Some(Object::Policy(p)), "definition") => p.definition.clone(),
            _ => Arguments::new(),
        }
    };
    (get(&change.before), get(&change.after))
}

fn render_map_diff(out: &mut String, before: &Arguments, after: &Arguments, paint: &Paint) {
    let old = map_lines(before).join("\n") + "\n";
    let new = map_lines(after).join("\n") + "\n";
    let diff = TextDiff::from_lines(&old, &new);
    for change in diff.iter_all_changes() {
        let text = change.value().trim_end_matches('\n');
        if text.is_empty() {
            continue;
        }
        let line = match change.tag() {
            ChangeTag::Delete => paint.paint("31", &format!("- {text}")),
            ChangeTag::Insert => paint.paint("32", &format!("+ {text}")),
            ChangeTag::Equal => format!("  {text}"),
        };
        let _ = writeln!(out, "        {line}");
    }
}

/// The closing line: `Plan: 3 to create, 1 to update, 1 to replace, 0 to
/// delete; 2 unmanaged.`, `No changes. The broker matches the files.`, or
/// `No changes to apply; 1 cannot be applied.`
pub fn summary_line(plan: &Plan, subject: Subject) -> String {
    let s = &plan.summary;
    let mut extra = Vec::new();
    if s.unmanaged > 0 {
        extra.push(format!("{} unmanaged", s.unmanaged));
    }
    if s.unsupported > 0 {
        extra.push(format!("{} cannot be applied", s.unsupported));
    }
    if plan.is_empty() && extra.is_empty() {
        return match subject {
            Subject::Plan => "No changes. The broker matches the files.".to_string(),
            Subject::Drift => "In sync. The broker matches the files.".to_string(),
            Subject::Diff => "No changes. The two versions match.".to_string(),
        };
    }
    if plan.is_empty() && subject == Subject::Plan {
        // A difference apply cannot make means the broker does not match.
        let verdict = if s.unsupported > 0 {
            "No changes to apply"
        } else {
            "No changes. The broker matches the files"
        };
        return format!("{verdict}; {}.", extra.join(", "));
    }
    let prefix = match subject {
        Subject::Plan | Subject::Diff => "Plan",
        Subject::Drift => "Drift",
    };
    let mut line = format!(
        "{prefix}: {} to create, {} to update, {} to replace, {} to delete",
        s.create, s.update, s.replace, s.delete
    );
    if !extra.is_empty() {
        let _ = write!(line, "; {}", extra.join(", "));
    }
    line.push('.');
    line
}
