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
