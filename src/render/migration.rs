//! Migrations in words: the section of a text or Markdown plan that shows
//! each queue whose messages move (steps, messages, consumers, risks, or
//! why it cannot move), and the progress of a migration on stderr (a
//! spinner on a terminal, else a line per step and one every few seconds
//! while messages move). It formats; it decides nothing.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::print_stderr;
use crate::migrate::MigrationEvent;
use crate::plan::{Direction, Migration, MigrationStep, Plan, messages};

/// The migrations of `plan`, as lines (empty when it has none). `bullet`
/// starts each line of the list (`  ` in text, `- ` in Markdown).
pub fn render_migrations(plan: &Plan, markdown: bool) -> String {
    if plan.migrations.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    if markdown {
        out.push_str("\n### Migrations (`apply --migrate`)\n\n");
    } else {
        out.push_str(
            "\nMigrations (apply --migrate moves the messages instead of dropping them):\n",
        );
    }
    for m in &plan.migrations {
        render_one(&mut out, m, markdown);
    }
    out
}

fn render_one(out: &mut String, m: &Migration, markdown: bool) {
    let (head, item, sub) = if markdown {
        ("- ", "  - ", "    - ")
    } else {
        ("  ", "      ", "        ")
    };
    let what = if m.unfinished {
        "unfinished migration of queue"
    } else {
        "migrate queue"
    };
    let code = |s: &str| {
        if markdown {
            format!("`{s}`")
        } else {
            s.to_string()
        }
    };
    out.push_str(&format!(
        "{head}{what} {} in vhost '{}' through {}\n",
        code(&m.queue),
        m.vhost,
        code(&m.temporary.name)
    ));
    let held = match m.messages {
        Some(n) => messages(n),
        None if m.moves_out() => "an unknown number of messages".to_string(),
        None => "no old queue left".to_string(),
    };
    let mut counts = format!("{item}moves: {held}");
    if let Some(n) = m.temporary_messages {
        counts.push_str(&format!(
            ", and {} already in the temporary queue",
            messages(n)
        ));
    }
    out.push_str(&counts);
    out.push('\n');
    if !m.refusals.is_empty() {
        for refusal in &m.refusals {
            out.push_str(&format!(
                "{item}cannot be migrated: {}\n",
                refusal.describe()
            ));
        }
        return;
    }
    out.push_str(&format!("{item}steps:\n"));
    for step in &m.steps {
        out.push_str(&format!(
            "{sub}{}. {}\n",
            step.number(),
            step.describe(&m.queue, &m.temporary.name)
        ));
    }
    out.push_str(&format!("{item}risks:\n"));
    for risk in &m.risks {
        out.push_str(&format!("{sub}{}\n", risk.describe()));
    }
}

/// After an apply's report, in text: the queues whose migration it
/// finished (`done`, of the plan's migrations, in order); empty for none.
pub fn render_migrations_done(plan: &Plan, done: usize) -> String {
    if done == 0 {
        return String::new();
    }
    let names: Vec<&str> = plan.migrations[..done]
        .iter()
        .map(|m| m.queue.as_str())
        .collect();
    format!(
        "Migrated {} {}: {}; messages moved, none dropped.\n",
        done,
        if done == 1 { "queue" } else { "queues" },
        names.join(", ")
    )
}

/// The observer of migrations on stderr.
pub fn migration_progress_view() -> impl Fn(MigrationEvent<'_>) + Sync {
    let terminal = std::io::stderr().is_terminal();
    let bar = terminal.then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    });
    let last_line = Mutex::new(Instant::now() - Duration::from_secs(60));
    move |event| {
        if matches!(event, MigrationEvent::Moved { of: 0, .. }) {
            return; // nothing was there to move
        }
        let line = describe_event(&event);
        match &bar {
            Some(bar) => bar.set_message(line),
            None => {
                let is_move = matches!(event, MigrationEvent::Moved { .. });
                let mut last = last_line.lock().unwrap_or_else(|e| e.into_inner());
                let done = matches!(event, MigrationEvent::Moved { moved, of, .. } if moved == of);
                if !is_move || done || last.elapsed() >= Duration::from_secs(5) {
                    *last = Instant::now();
                    print_stderr(&format!("{line}\n"));
                }
            }
        }
    }
}

/// One event in words.
pub fn describe_event(event: &MigrationEvent<'_>) -> String {
    match event {
        MigrationEvent::Step {
            queue,
            step,
            temporary,
        } => format!(
            "migrate {queue}: step {}/{}: {}",
            step.number(),
            MigrationStep::ALL.len(),
            step.describe(queue, temporary)
        ),
        MigrationEvent::Moved {
            queue,
            direction,
            moved,
            of,
            per_second,
        } => format!(
            "migrate {queue}: {} {moved} of {of} messages ({per_second:.0}/s)",
            match direction {
                Direction::Out => "moved out",
                Direction::Back => "moved back",
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::Topology;
    use crate::plan::{BrokerInfo, MigrationFacts, PlanInputs, plan_changes};

    fn plan_of(live: &str, desired: &str, messages: Option<u64>) -> Plan {
        let live: Topology = serde_yaml::from_str(live).unwrap();
        let desired: Topology = serde_yaml::from_str(desired).unwrap();
        let inputs = PlanInputs {
            broker: Some(BrokerInfo {
                url: "http://localhost:15672".into(),
                version: "3.10.8".into(),
            }),
            ..PlanInputs::default()
        };
        let mut plan = plan_changes(&desired, &live, inputs);
        plan.set_message_counts(&BTreeMap::from([(("/".into(), "q".into()), messages)]));
        plan.set_consumer_counts(&BTreeMap::from([(("/".into(), "q".into()), Some(2))]));
        plan.plan_migrations(
            &live,
            &BTreeMap::new(),
            MigrationFacts {
                shovel_plugin: true,
            },
        );
        plan
    }

    #[test]
    fn the_apply_report_says_which_migrations_finished_and_which_stopped() {
        use crate::execute::Report;
        use crate::render::{Migrated, render_apply_json, render_apply_text};
        let plan = plan_of(
            "vhosts: [{name: /}]\nqueues: [{name: q}]",
            "vhosts: [{name: /}]\nqueues: [{name: q, arguments: {x-queue-type: quorum}}]",
            Some(42),
        );
        let json = |migrated: &Migrated| -> serde_json::Value {
            serde_json::from_str(&render_apply_json(
                &plan,
                &Report::default(),
                migrated,
                &[],
                true,
            ))
            .unwrap()
        };
        let done = json(&Migrated {
            finished: 1,
            failed: None,
        });
        assert_eq!(
            done["migrated"],
            serde_json::json!(["migrate queue q in vhost /"])
        );
        assert_eq!(done.get("migration_failed"), None);
        let stopped = json(&Migrated {
            finished: 0,
            failed: Some("stopped by SIGINT before step 4".into()),
        });
        assert_eq!(stopped.get("migrated"), None);
        assert_eq!(
            stopped["migration_failed"],
            serde_json::json!({
                "step": "migrate queue q in vhost /",
                "error": "stopped by SIGINT before step 4",
            })
        );
        assert_eq!(
            render_migrations_done(&plan, 1),
            "Migrated 1 queue: q; messages moved, none dropped.\n"
        );
        assert_eq!(render_migrations_done(&plan, 0), "");
        assert!(!render_apply_text(&plan, &Report::default()).contains("Migrated"));
    }

    #[test]
    fn a_migration_shows_its_steps_messages_consumers_and_risks() {
        let plan = plan_of(
            "vhosts: [{name: /}]\nqueues: [{name: q}]",
            "vhosts: [{name: /}]\nqueues: [{name: q, arguments: {x-queue-type: quorum, x-message-ttl: 60000}}]",
            Some(42),
        );
        assert_eq!(
            render_migrations(&plan, false),
            "
Migrations (apply --migrate moves the messages instead of dropping them):
  migrate queue q in vhost '/' through q.warren-migrate
      moves: 42 messages
      steps:
        1. declare temporary queue 'q.warren-migrate'
        2. copy the bindings of 'q' to 'q.warren-migrate'
        3. remove the bindings of 'q'
        4. move the messages of 'q' to 'q.warren-migrate' (shovel warren-migrate-out-q, until 'q' is empty)
        5. delete 'q' once empty
        6. declare 'q' with its new properties
        7. copy the bindings of 'q.warren-migrate' back to 'q'
        8. remove the bindings of 'q.warren-migrate'
        9. move the messages of 'q.warren-migrate' to 'q' (shovel warren-migrate-back-q, until 'q.warren-migrate' is empty)
        10. delete 'q.warren-migrate' once empty
      risks:
        2 consumers of the old queue cancelled when it is deleted: they must consume from it again
        x-message-ttl 60000 ms: messages can expire before or after they move
        messages published with a per-message TTL (expiration) can expire while they move
        duplicates: a shovel delivers at least once, and a message published while the bindings move can reach both queues
        order: messages published during the migration can come before the backlog, and requeued messages lose their place
"
        );
        let markdown = render_migrations(&plan, true);
        assert!(markdown.starts_with("\n### Migrations (`apply --migrate`)\n\n- migrate queue `q` in vhost '/' through `q.warren-migrate`\n  - moves: 42 messages\n"), "{markdown}");
    }

    #[test]
    fn a_refused_migration_says_why_and_shows_no_steps() {
        let mut plan = plan_of(
            "vhosts: [{name: /}]\nqueues: [{name: q, auto_delete: true}]",
            "vhosts: [{name: /}]\nqueues: [{name: q, arguments: {x-queue-type: quorum}}]",
            Some(1),
        );
        plan.note_migration_facts(MigrationFacts {
            shovel_plugin: false,
        });
        let text = render_migrations(&plan, false);
        assert!(
            text.contains("      cannot be migrated: it is auto-delete"),
            "{text}"
        );
        assert!(
            text.contains("      cannot be migrated: the broker has no shovel plugin"),
            "{text}"
        );
        assert!(!text.contains("steps:"), "{text}");
    }
}
