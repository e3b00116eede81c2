//! What `apply` refuses to do, and what it never touches: a replace needs
//! `--allow-recreate`, dropping messages needs `--allow-data-loss`, a
//! change needs a terminal or `--auto-approve`, and `--prune` stays inside
//! the declared vhosts and away from the broker's own exchanges.

use serde_json::json;

use super::{Files, names, raw_state, warren, yaml};
use crate::common::broker::TestVhost;

const QUEUE: &str = r#"
vhosts: [{name: $V}]
exchanges: [{vhost: $V, name: x, type: direct}]
queues: [{vhost: $V, name: q, arguments: {x-max-priority: $PRIORITY}}]
bindings: [{vhost: $V, source: x, destination: q, routing_key: k}]
"#;

fn queue_with_priority(files: &Files, v: &TestVhost, name: &str, priority: u8) -> String {
    files.write(
        name,
        &yaml(QUEUE, &[("V", &v.name)]).replace("$PRIORITY", &priority.to_string()),
    )
}

#[test]
fn a_replace_without_allow_recreate_is_refused_and_changes_nothing() {
    let v = TestVhost::new("apply-norecreate");
    let files = Files::new();
    let before = queue_with_priority(&files, &v, "before.yaml", 1);
    let after = queue_with_priority(&files, &v, "after.yaml", 2);
    warren(files.dir(), &["apply", "--auto-approve", &before])
        .stdout_any()
        .stderr_any()
        .run();
    let state = raw_state(&v);

    warren(files.dir(), &["apply", "--auto-approve", &after]).status(1).stderr_line("error: apply refused, nothing was changed:").stderr_line(format!(
            "  queue q in vhost '{}' is replaced (deleted and created again, with its bindings): needs --allow-recreate",
            v.name
        )).stdout_any().run();

    assert_eq!(raw_state(&v), state, "the broker is unchanged");
}

#[test]
fn a_replace_of_a_queue_holding_messages_needs_allow_data_loss_as_well() {
    let v = TestVhost::new("apply-replace-loss");
    let files = Files::new();
    let before = queue_with_priority(&files, &v, "before.yaml", 1);
    let after = queue_with_priority(&files, &v, "after.yaml", 2);
    warren(files.dir(), &["apply", "--auto-approve", &before])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(v.publish("x", "k", "one"));
    assert!(v.publish("x", "k", "two"));
    assert_eq!(v.message_count("q"), Some(2));
    let state = raw_state(&v);

    warren(
        files.dir(),
        &["apply", "--auto-approve", "--allow-recreate", &after],
    )
    .status(1)
    .stderr_line("error: apply refused, nothing was changed:")
    .stderr_line(format!(
        "  queue q in vhost '{}' holds 2 messages that would be lost: needs --allow-data-loss",
        v.name
    ))
    .stdout_any()
    .run();
    assert_eq!(
        v.message_count("q"),
        Some(2),
        "the messages are still there"
    );
    assert_eq!(raw_state(&v), state, "the broker is unchanged");

    warren(
        files.dir(),
        &[
            "apply",
            "--auto-approve",
            "--allow-recreate",
            "--allow-data-loss",
            &after,
        ],
    )
    .stdout_line("Applied 2 changes, 0 failed, 0 not started.")
    .stderr_any()
    .run();
    assert_eq!(v.message_count("q"), Some(0), "the replace dropped them");
    assert_eq!(v.declared_arguments("q"), json!({"x-max-priority": 2}));
    assert!(v.publish("x", "k", "the binding is back"));
}

#[test]
fn pruning_a_queue_holding_messages_needs_allow_data_loss() {
    let v = TestVhost::new("apply-prune-loss");
    let files = Files::new();
    let topology = files.write("t.yaml", &yaml("vhosts: [{name: $V}]\n", &[("V", &v.name)]));
    v.put_queue("full", json!({"durable": true}));
    assert!(v.publish("", "full", "precious"));
    let state = raw_state(&v);

    warren(
        files.dir(),
        &["apply", "--auto-approve", "--prune", &topology],
    )
    .status(1)
    .stderr_line("error: apply refused, nothing was changed:")
    .stderr_line(format!(
        "  queue full in vhost '{}' holds 1 message that would be lost: needs --allow-data-loss",
        v.name
    ))
    .stdout_any()
    .run();
    assert_eq!(
        v.message_count("full"),
        Some(1),
        "the message is still there"
    );
    assert_eq!(raw_state(&v), state, "the broker is unchanged");

    warren(
        files.dir(),
        &[
            "apply",
            "--auto-approve",
            "--prune",
            "--allow-data-loss",
            &topology,
        ],
    )
    .stdout_line("Applied 1 change, 0 failed, 0 not started.")
    .stderr_any()
    .run();
    assert!(!v.exists("queues", "full"));
}

#[test]
fn prune_leaves_the_broker_s_exchanges_and_undeclared_vhosts_alone() {
    let v = TestVhost::new("apply-prune-scope");
    let other = TestVhost::new("apply-prune-other");
    other.put_queue("theirs", json!({"durable": true}));
    other.put_exchange("their-x", json!({"type": "topic", "durable": true}));
    assert!(other.publish("", "theirs", "keep me"));
    v.put_queue("stray", json!({"durable": true}));
    v.bind("amq.topic", "q", "stray", "#", json!({}));
    let exchanges_before = names(&v.list("exchanges"));
    assert!(
        exchanges_before.contains(&String::new()),
        "the default exchange"
    );
    assert!(exchanges_before.contains(&"amq.topic".to_string()));
    let other_before = raw_state(&other);

    let files = Files::new();
    let topology = files.write("t.yaml", &yaml("vhosts: [{name: $V}]\n", &[("V", &v.name)]));
    warren(
        files.dir(),
        &["apply", "--auto-approve", "--prune", &topology],
    )
    .stdout(format!(
        "vhost {}
  - binding amq.topic -> stray [#] [goes with queue stray]
  - queue stray
      holds 0 messages, 0 consumers

Plan: 0 to create, 0 to update, 0 to replace, 2 to delete.
Applied 2 changes, 0 failed, 0 not started.
",
        v.name
    ))
    .stderr_any()
    .run();

    assert_eq!(
        names(&v.list("exchanges")),
        exchanges_before,
        "the default and amq.* exchanges are all still there"
    );
    assert!(!v.exists("queues", "stray"));
    assert_eq!(
        raw_state(&other),
        other_before,
        "the undeclared vhost is untouched"
    );
    assert_eq!(other.message_count("theirs"), Some(1));
    warren(files.dir(), &["plan", "--prune", &topology])
        .stdout("No changes. The broker matches the files.\n")
        .stderr_any()
        .run();
}

#[test]
fn without_a_terminal_and_without_auto_approve_apply_refuses() {
    let v = TestVhost::new("apply-noterminal");
    let files = Files::new();
    let topology = files.write("t.yaml", &super::default_topology_in(&v.name));
    let state = raw_state(&v);

    // stdin is a pipe that says "yes": still not a terminal.
    let run = warren(files.dir(), &["apply", &topology]).status(1).stderr_line("error: apply needs confirmation and there is no terminal to ask on; review the plan and pass --auto-approve. Nothing was changed.").stdout_any().run();
    assert!(
        run.stdout
            .ends_with("Plan: 4 to create, 0 to update, 0 to replace, 0 to delete.\n"),
        "the plan is shown first:\n{}",
        run.stdout
    );
    assert_eq!(raw_state(&v), state, "the broker is unchanged");
}

/// A quorum queue reports its messages up to 5 s late (the broker's quorum
/// tick; measured on 3.10.8), and refuses the `if-empty` guard on delete:
/// a count of 0 does not say that dropping it loses nothing.
#[test]
fn pruning_a_quorum_queue_needs_allow_data_loss_even_when_its_count_reads_0() {
    let v = TestVhost::new("apply-prune-quorum");
    let files = Files::new();
    let topology = files.write("t.yaml", &yaml("vhosts: [{name: $V}]\n", &[("V", &v.name)]));
    v.put_queue(
        "orders",
        json!({"durable": true, "arguments": {"x-queue-type": "quorum"}}),
    );
    assert!(v.publish("", "orders", "just arrived"));
    assert_eq!(v.message_count("orders"), Some(0), "the count lags");

    warren(files.dir(), &["apply", "--auto-approve", "--prune", &topology]).status(1).stderr_line(format!(
            "  queue orders in vhost '{}' may hold messages that would be lost (a quorum queue counts them up to 5 s late): needs --allow-data-loss",
            v.name
        )).stdout_any().run();
    assert!(
        v.exists("queues", "orders"),
        "the queue and its message are still there"
    );

    warren(
        files.dir(),
        &[
            "apply",
            "--auto-approve",
            "--prune",
            "--allow-data-loss",
            &topology,
        ],
    )
    .stdout_line("Applied 1 change, 0 failed, 0 not started.")
    .stderr_any()
    .run();
    assert!(!v.exists("queues", "orders"));
}

/// Runs `warren ARGS` on a terminal (util-linux `script` gives it one),
/// typing `answer`; returns the exit status and everything it printed.
fn warren_on_a_terminal(dir: &std::path::Path, args: &[&str], answer: &str) -> (i32, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let b = crate::common::broker::broker();
    let mut words = vec![env!("CARGO_BIN_EXE_warren").to_string()];
    words.extend(["--url", &b.url, "--username", &b.username].map(String::from));
    words.extend(args.iter().map(|a| a.to_string()));
    let line: Vec<String> = words.iter().map(|w| quote(w)).collect();
    let mut child = Command::new("script")
        .args(["-qec", &line.join(" "), "/dev/null"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("WARREN_PASSWORD", &b.password)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("this test needs util-linux `script` on PATH to give warren a terminal");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{answer}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().expect("script runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn on_a_terminal_apply_asks_and_only_yes_proceeds() {
    let v = TestVhost::new("apply-terminal");
    let files = Files::new();
    let topology = files.write("t.yaml", &super::default_topology_in(&v.name));
    let question = format!(
        "Apply 4 changes to {}? Only 'yes' is accepted: ",
        crate::common::broker::broker().url
    );

    let (code, screen) = warren_on_a_terminal(files.dir(), &["apply", &topology], "y");
    assert_eq!(code, 1, "{screen}");
    assert!(screen.contains(&question), "{screen}");
    assert!(
        screen.contains("error: apply cancelled; nothing was changed"),
        "{screen}"
    );
    assert!(!v.exists("queues", "jobs"), "nothing was changed");

    let (code, screen) = warren_on_a_terminal(files.dir(), &["apply", &topology], "yes");
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("Applied 4 changes, 0 failed, 0 not started."),
        "{screen}"
    );
    assert!(v.exists("queues", "jobs"));
}
