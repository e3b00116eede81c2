//! The text plan, in the manner of `terraform plan`: grouped by vhost,
//! one marker per change (`+` create, `~` update, `-/+` replace, `-`
//! delete, `?` unmanaged, `!` cannot be applied), changed fields as
//! `before → after`, argument maps as a line diff, the reason beside every
//! replace, and a closing summary line.

use std::fmt::Write;

use similar::{ChangeTag, TextDiff};

use super::{Subject, describe, map_lines, show_value};
use crate::diff::{Action, Change, Object, Reason};
use crate::model::{Arguments, Kind, ObjectId};
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
            Action::Unreadable => "31;1",
        };
        self.paint(code, text)
    }
}

/// How a text plan is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLayout {
    /// ANSI colours, for a terminal.
    pub color: bool,
    /// The columns an explanation line (why a replace, why a difference
    /// cannot be applied) is wrapped at; `None` leaves it whole, for a
    /// terminal or a log that wraps or scrolls itself.
    pub width: Option<usize>,
}

impl TextLayout {
    /// No colour, nothing wrapped: a pipe, a file, a test.
    pub const PLAIN: TextLayout = TextLayout {
        color: false,
        width: None,
    };

    /// The code block of a pull-request comment: no colour, and lines
    /// wrapped at 80 columns. GitHub's shows about 100 at full width and
    /// fewer in a narrower window, GitLab's fewer; past that a reader
    /// scrolls sideways to find why a queue is replaced.
    pub const COMMENT: TextLayout = TextLayout {
        color: false,
        width: Some(80),
    };
}

/// The plan as text, laid out as `layout` says.
pub fn render_text(plan: &Plan, subject: Subject, layout: TextLayout) -> String {
    let paint = Paint { on: layout.color };
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
            let heading = match change.id.vhost() {
                // Users and global parameters belong to no vhost.
                "" => "broker-wide".to_string(),
                vhost => format!("vhost {vhost}"),
            };
            let _ = writeln!(out, "{}", paint.paint("1", &heading));
        }
        render_change(&mut out, change, plan, subject, &paint, layout.width);
    }
    if !plan.changes.is_empty() {
        out.push('\n');
    }
    if subject == Subject::Diff && plan.summary.replace + plan.summary.delete > 0 {
        out.push_str("Message counts are unknown offline: check the queues before applying.\n");
    }
    let migrations = super::migration::render_migrations(plan, false);
    if !migrations.is_empty() {
        out.push_str(migrations.trim_start_matches('\n'));
        out.push('\n');
    }
    let _ = writeln!(out, "{}", summary_line(plan, subject));
    out
}

fn render_change(
    out: &mut String,
    change: &Change,
    plan: &Plan,
    subject: Subject,
    paint: &Paint,
    width: Option<usize>,
) {
    let marker = change.action.symbol();
    let head = format!("{marker} {}", change.id);
    let mut line = format!("  {}", paint.action(change.action, &head));

    let note = match change.action {
        Action::Create | Action::Delete => {
            let object = change.after.as_ref().or(change.before.as_ref());
            object.map(describe).filter(|d| !d.is_empty())
        }
        Action::Unmanaged => Some(unmanaged_note(subject, &change.id)),
        Action::Unreadable => Some("cannot be read".to_string()),
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
        write_explanation(out, &replace_reason(&change.reasons), width);
    }
    if matches!(
        change.action,
        Action::Update | Action::Replace | Action::Unsupported
    ) {
        render_reasons(out, change, paint);
    }
    if change.action == Action::Unsupported {
        let why = format!(
            "RabbitMQ {} cannot change a vhost's default queue type in place (3.11.17 can); \
             this difference stays until the vhost is re-created by hand",
            plan.broker
                .as_ref()
                .map(|b| b.version.as_str())
                .unwrap_or("before 3.11.17")
        );
        write_explanation(out, &why, width);
    }
    if change.action == Action::Unreadable {
        for reason in &change.reasons {
            let _ = writeln!(
                out,
                "      {}: {}",
                reason.field,
                show_value(reason.before.as_ref())
            );
        }
        write_explanation(
            out,
            "the broker holds a value warren cannot read, so this object is neither compared \
             nor changed; fix it on the broker (delete it and declare it again), then plan again",
            width,
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
    let (flags, migrated) = plan.flags_shown(change);
    if !flags.is_empty() {
        let flags: Vec<&str> = flags.iter().map(|f| f.as_str()).collect();
        let moved = if migrated {
            " (its messages move: --migrate)"
        } else {
            ""
        };
        let _ = writeln!(out, "      needs {}{moved}", flags.join(" and "));
    }
}

/// What becomes of an object on the broker that the files do not declare.
fn unmanaged_note(subject: Subject, id: &ObjectId) -> String {
    if matches!(id, ObjectId::User { name } if name == "guest") {
        return "not in the files; the broker's own user, never pruned".to_string();
    }
    let flag = match id.kind() {
        Kind::User | Kind::Permission | Kind::TopicPermission => "--prune-users",
        Kind::GlobalParameter => "--prune-global-parameters",
        _ => "--prune",
    };
    match subject {
        Subject::Plan | Subject::Drift => format!("not in the files; {flag} would delete it"),
        // NEW no longer declares it: apply without the flag leaves it be.
        Subject::Diff => format!("left on the broker, no longer managed; deleted only with {flag}"),
    }
}

/// `2 unmanaged`, or for a diff `2 no longer managed`: objects the files
/// do not declare, which apply leaves alone.
pub(super) fn unmanaged_count(n: usize, subject: Subject) -> String {
    match subject {
        Subject::Plan | Subject::Drift => format!("{n} unmanaged"),
        Subject::Diff => format!("{n} no longer managed"),
    }
}

/// An explanation under a change, six columns in; wrapped at `width`
/// columns, if given, with the following lines two columns further in
/// (never at the start of a line, where a `diff` block would colour a
/// `-`). A word longer than a line is not broken.
fn write_explanation(out: &mut String, text: &str, width: Option<usize>) {
    const INDENT: &str = "      ";
    const FOLLOWING: &str = "        ";
    let Some(width) = width else {
        let _ = writeln!(out, "{INDENT}{text}");
        return;
    };
    let mut line = String::from(INDENT);
    let mut columns = INDENT.len();
    let mut empty = true;
    for word in text.split(' ') {
        let word_columns = word.chars().count();
        if !empty && columns + 1 + word_columns > width {
            let _ = writeln!(out, "{line}");
            line = String::from(FOLLOWING);
            columns = FOLLOWING.len();
            empty = true;
        }
        if !empty {
            line.push(' ');
            columns += 1;
        }
        line.push_str(word);
        columns += word_columns;
        empty = false;
    }
    let _ = writeln!(out, "{line}");
}

/// `2 consumers`, or that they could not be counted (the queue vanished
/// while the broker was read).
pub(super) fn consumer_count(count: Option<u64>) -> String {
    match count {
        Some(n) => consumers(n),
        None => "consumer count unknown".to_string(),
    }
}

/// `must be replaced: x-message-ttl cannot change in place (a policy can
/// set it without a replace: message-ttl)`. The hint names only the
/// fields a policy can set: with others, such as `x-queue-type`, it says
/// that they still need the replace.
fn replace_reason(reasons: &[Reason]) -> String {
    let field = |r: &Reason| -> String {
        r.field
            .strip_prefix("arguments.")
            .unwrap_or(&r.field)
            .to_string()
    };
    let fields: Vec<String> = reasons.iter().map(field).collect();
    let (settable, fixed): (Vec<&Reason>, Vec<&Reason>) =
        reasons.iter().partition(|r| r.policy_key.is_some());
    let mut text = format!(
        "must be replaced: {} cannot change in place",
        fields.join(", ")
    );
    if settable.is_empty() {
        return text;
    }
    let keys: Vec<&str> = settable
        .iter()
        .filter_map(|r| r.policy_key.as_deref())
        .collect();
    if fixed.is_empty() {
        let _ = write!(
            text,
            " (a policy can set {} without a replace: {})",
            if settable.len() == 1 { "it" } else { "them" },
            keys.join(", ")
        );
    } else {
        let named = |list: &[&Reason]| -> String {
            list.iter().map(|r| field(r)).collect::<Vec<_>>().join(", ")
        };
        let _ = write!(
            text,
            " (a policy can set {} without a replace: {}; {} still {} one)",
            named(&settable),
            keys.join(", "),
            named(&fixed),
            if fixed.len() == 1 { "needs" } else { "need" }
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
            None if reason.field == "password" => {
                let _ = writeln!(out, "      password: {}", password_change(change));
            }
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

/// How a user's password changes, never showing it: set where there was
/// none, removed (the files give none), or another one.
fn password_change(change: &Change) -> &'static str {
    let (Some(Object::User(before)), Some(Object::User(after))) = (&change.before, &change.after)
    else {
        return "differs (not shown)";
    };
    match (super::has_password(before), super::has_password(after)) {
        (Some(true), Some(false)) => {
            "removed: the files give none, so logins with a password stop (certificate logins \
             go on)"
        }
        (Some(false), Some(true)) => "set (not shown)",
        _ => "differs (not shown)",
    }
}

fn maps(change: &Change, name: &str) -> (Arguments, Arguments) {
    let get = |object: &Option<Object>| -> Arguments {
        match (object, name) {
            (Some(Object::Queue(q)), "arguments") => q.arguments.clone(),
            (Some(Object::Exchange(e)), "arguments") => e.arguments.clone(),
            (Some(Object::Policy(p)), "definition") => p.definition.clone(),
            (Some(Object::Vhost(v)), "limits") => v.limits.clone().unwrap_or_default(),
            (Some(Object::User(u)), "limits") => u.limits.clone().unwrap_or_default(),
            // A plan's parameter value is without credentials.
            (Some(Object::Parameter(p)), "value") => match &p.value {
                serde_json::Value::Object(map) => {
                    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
                }
                _ => Arguments::new(),
            },
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
/// delete; 2 unmanaged.`, `No changes. The broker matches the files.`,
/// `No changes to apply; 1 cannot be applied.`, or for a diff that only
/// drops objects from the files `No changes to apply; 1 no longer managed.`
pub fn summary_line(plan: &Plan, subject: Subject) -> String {
    let s = &plan.summary;
    let mut extra = Vec::new();
    if s.unmanaged > 0 {
        extra.push(unmanaged_count(s.unmanaged, subject));
    }
    if s.unsupported > 0 {
        extra.push(format!("{} cannot be applied", s.unsupported));
    }
    if s.unreadable > 0 {
        extra.push(format!("{} cannot be read", s.unreadable));
    }
    if s.unfinished_migrations > 0 {
        extra.push(format!(
            "{} unfinished migration{} (apply --migrate finishes it)",
            s.unfinished_migrations,
            if s.unfinished_migrations == 1 {
                ""
            } else {
                "s"
            }
        ));
    }
    if plan.is_empty() && extra.is_empty() {
        return match subject {
            Subject::Plan => "No changes. The broker matches the files.".to_string(),
            Subject::Drift => "In sync. The broker matches the files.".to_string(),
            Subject::Diff => "No changes. The two versions match.".to_string(),
        };
    }
    if plan.is_empty() && subject != Subject::Drift {
        // A difference apply cannot make means the broker does not match;
        // a diff that only stops managing objects changes nothing.
        let verdict = if s.unsupported + s.unreadable > 0 || subject == Subject::Diff {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn reason(field: &str, policy_key: Option<&str>) -> Reason {
        Reason {
            field: field.into(),
            before: None,
            after: Some(json!("x")),
            policy_key: policy_key.map(String::from),
        }
    }

    #[test]
    fn the_policy_hint_names_only_what_a_policy_can_set() {
        let dlx = reason(
            "arguments.x-dead-letter-exchange",
            Some("dead-letter-exchange"),
        );
        let ttl = reason("arguments.x-message-ttl", Some("message-ttl"));
        let queue_type = reason("arguments.x-queue-type", None);
        assert_eq!(
            replace_reason(std::slice::from_ref(&dlx)),
            "must be replaced: x-dead-letter-exchange cannot change in place \
             (a policy can set it without a replace: dead-letter-exchange)"
        );
        assert_eq!(
            replace_reason(&[dlx.clone(), ttl.clone()]),
            "must be replaced: x-dead-letter-exchange, x-message-ttl cannot change in place \
             (a policy can set them without a replace: dead-letter-exchange, message-ttl)"
        );
        // Regression: "it" covered x-queue-type too, which no policy sets.
        assert_eq!(
            replace_reason(&[dlx, queue_type.clone()]),
            "must be replaced: x-dead-letter-exchange, x-queue-type cannot change in place \
             (a policy can set x-dead-letter-exchange without a replace: dead-letter-exchange; \
             x-queue-type still needs one)"
        );
        assert_eq!(
            replace_reason(&[reason("durable", None), queue_type]),
            "must be replaced: durable, x-queue-type cannot change in place"
        );
    }

    fn explanation(text: &str, width: Option<usize>) -> String {
        let mut out = String::new();
        write_explanation(&mut out, text, width);
        out
    }

    #[test]
    fn an_explanation_is_wrapped_only_when_a_width_is_given() {
        let text = "must be replaced: x-dead-letter-exchange cannot change in place \
                    (a policy can set it without a replace: dead-letter-exchange)";
        assert_eq!(explanation(text, None), format!("      {text}\n"));
        assert_eq!(
            explanation(text, Some(80)),
            "      must be replaced: x-dead-letter-exchange cannot change in place (a policy\n        \
             can set it without a replace: dead-letter-exchange)\n"
        );
        let wrapped = explanation(text, Some(40));
        assert!(
            wrapped.lines().all(|l| l.chars().count() <= 40),
            "{wrapped}"
        );
        assert_eq!(
            wrapped.split_whitespace().collect::<Vec<_>>().join(" "),
            text
        );
    }

    #[test]
    fn a_word_longer_than_the_width_stays_whole() {
        assert_eq!(
            explanation("a x-very-long-argument-name b", Some(12)),
            "      a\n        x-very-long-argument-name\n        b\n"
        );
    }
}
