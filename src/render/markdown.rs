//! Markdown for a pull-request comment: a one-line verdict, a summary
//! table, destructive changes called out first with their message counts,
//! for a diff the objects the files stop managing, the routing the plan
//! changes as a Mermaid diagram (GitHub and GitLab draw it) and the full
//! text plan, each in a collapsible block, the plan's explanations wrapped
//! to the comment's width.

use std::fmt::Write;

use super::graph::{left_out_note, render_mermaid};
use super::text::{consumer_count, unmanaged_count};
use super::{Subject, TextLayout, render_text, summary_line};
use crate::diff::Action;
use crate::graph::{Graph, Mark};
use crate::model::plural;
use crate::plan::{Plan, messages};

/// The plan as a comment; `routing`, when given and changed, is drawn.
pub fn render_markdown(plan: &Plan, subject: Subject, routing: Option<&Graph>) -> String {
    let s = &plan.summary;
    let mut out = String::new();
    let destructive: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.action, Action::Replace | Action::Delete) && c.caused_by.is_none())
        .collect();

    let title = match subject {
        Subject::Plan => "warren plan",
        Subject::Drift => "warren drift",
        Subject::Diff => "warren diff",
    };
    let mut verdict = if s.changes() == 0 {
        "✅ no changes".to_string()
    } else if destructive.is_empty() {
        format!(
            "{}, none destructive",
            plural(s.changes(), "change", "changes")
        )
    } else {
        format!(
            "⚠️ {}, {} destructive",
            plural(s.changes(), "change", "changes"),
            destructive.len()
        )
    };
    if s.unmanaged > 0 {
        verdict.push_str(&format!("; {}", unmanaged_count(s.unmanaged, subject)));
    }
    if s.unsupported > 0 {
        verdict.push_str(&format!("; {} cannot be applied", s.unsupported));
    }
    if s.unreadable > 0 {
        verdict.push_str(&format!("; {} cannot be read", s.unreadable));
    }
    let _ = writeln!(out, "### {title}: {verdict}\n");
    if let Some(broker) = &plan.broker {
        let _ = writeln!(
            out,
            "Broker: `{}` (RabbitMQ {})\n",
            broker.url, broker.version
        );
    }

    let _ = writeln!(
        out,
        "| create | update | replace | delete | unmanaged | cannot be applied |\n|---:|---:|---:|---:|---:|---:|\n| {} | {} | {} | {} | {} | {} |\n",
        s.create, s.update, s.replace, s.delete, s.unmanaged, s.unsupported
    );
    let migrations = super::migration::render_migrations(plan, true);
    if !migrations.is_empty() {
        out.push_str(migrations.trim_start_matches('\n'));
        out.push('\n');
    }

    if !destructive.is_empty() {
        let _ = writeln!(out, "**Destructive changes**\n");
        for change in &destructive {
            let what = match change.action {
                Action::Replace => "replaced (deleted and re-created)",
                _ => "deleted",
            };
            let mut line = format!(
                "- `{}` in vhost `{}` is {what}",
                change.id,
                change.id.vhost()
            );
            if change.drops_queue() {
                let count = match change.messages {
                    Some(n) => format!(": holds **{}**", messages(n)),
                    None if plan.messages_known => ": message count unknown".to_string(),
                    None => ": message count unknown offline".to_string(),
                };
                line.push_str(&count);
                if plan.messages_known {
                    let _ = write!(line, ", **{}**", consumer_count(change.consumers));
                }
            }
            let (flags, migrated) = plan.flags_shown(change);
            let flags: Vec<&str> = flags.iter().map(|f| f.as_str()).collect();
            if !flags.is_empty() {
                let _ = write!(line, " (needs `{}`)", flags.join("`, `"));
            }
            if migrated {
                line.push_str(", its messages moved (`--migrate`)");
            }
            let _ = writeln!(out, "{line}");
        }
        out.push('\n');
    }

    // What the files stop declaring stays on the broker: a reviewer may
    // expect it gone.
    let left: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Unmanaged)
        .collect();
    if subject == Subject::Diff && !left.is_empty() {
        let _ = writeln!(
            out,
            "**No longer managed** (left on the broker; deleted only with `--prune`)\n"
        );
        for change in left {
            let _ = writeln!(out, "- `{}` in vhost `{}`", change.id, change.id.vhost());
        }
        out.push('\n');
    }

    if let Some(graph) = routing.filter(|g| g.has_changes()) {
        let mut legend = legend(graph);
        if !graph.left_out.is_empty() {
            legend = format!(
                "Only what changes and its neighbours: {}. {legend}",
                left_out_note(&graph.left_out)
            );
        }
        let _ = writeln!(
            out,
            "<details><summary>Routing: what changes</summary>\n\n```mermaid\n{}```\n\n{legend}\n\n</details>\n",
            render_mermaid(graph)
        );
    }

    let _ = writeln!(
        out,
        "<details><summary>{}</summary>\n\n```diff\n{}```\n\n</details>",
        summary_line(plan, subject),
        diff_block(&render_text(plan, subject, TextLayout::COMMENT))
    );
    out
}

/// What the colours of `graph` mean, for the marks it holds:
/// `Green: added · red, dashed: removed.`
fn legend(graph: &Graph) -> String {
    let marks: Vec<Mark> = [Mark::Added, Mark::Changed, Mark::Removed, Mark::Unmanaged]
        .into_iter()
        .filter(|&mark| {
            graph.nodes.iter().any(|n| n.mark == mark) || graph.edges.iter().any(|e| e.mark == mark)
        })
        .collect();
    let parts: Vec<&str> = marks
        .iter()
        .map(|mark| match mark {
            Mark::Added => "green: added",
            Mark::Changed => "amber: changed",
            Mark::Removed => "red, dashed: removed",
            _ => "grey, dashed: unmanaged (left alone)",
        })
        .collect();
    let mut legend = parts.join(" · ");
    if let Some(first) = legend.get(..1) {
        legend = format!("{}{}.", first.to_uppercase(), &legend[1..]);
    }
    legend
}

/// The text plan with change markers moved to the start of the line, so a
/// ```diff block colours additions and deletions.
fn diff_block(text: &str) -> String {
    text.lines()
        .map(|line| match line.strip_prefix("  ") {
            Some(rest) if rest.starts_with(['+', '-', '~', '?', '!']) => rest.to_string(),
            _ => line.to_string(),
        })
        .fold(String::new(), |mut out, line| {
            out.push_str(&line);
            out.push('\n');
            out
        })
}
