//! Running `apply` again converges: after two applies at once (and the
//! permissions lag behind them), after a change the broker refused, and
//! after an apply killed half-way. Queues that others declare while an
//! apply runs do not fail it.

use std::time::{Duration, Instant};

use super::{Files, spawn_warren, warren, yaml};
use crate::common::broker::{TestVhost, broker, enc, unique_name};

const SHARED: &str = r#"
vhosts: [{name: $V, description: raced}]
exchanges:
  - {vhost: $V, name: events, type: topic}
  - {vhost: $V, name: audit, type: fanout}
policies:
  - {vhost: $V, name: limit, pattern: "^q", apply_to: queues, definition: {max-length: 100}}
"#;

#[test]
fn two_applies_at_once_both_succeed_and_converge() {
    let v = TestVhost::guard(unique_name("apply-race"));
    let files = Files::new();
    let mut text = yaml(SHARED, &[("V", &v.name)]);
    text.push_str("queues:\n");
    for i in 0..40 {
        text.push_str(&format!("  - {{vhost: {:?}, name: q{i}}}\n", v.name));
    }
    text.push_str("bindings:\n");
    text.push_str(&format!(
        "  - {{vhost: {:?}, source: events, destination: audit, destination_type: exchange, routing_key: '#'}}\n",
        v.name
    ));
    for i in 0..40 {
        text.push_str(&format!(
            "  - {{vhost: {:?}, source: audit, destination: q{i}}}\n",
            v.name
        ));
    }
    let topology = files.write("race.yaml", &text);

    let args = ["apply", "--auto-approve", topology.as_str()];
    let start = || {
        spawn_warren(files.dir(), &args)
            .stdout_any()
            .stderr_any()
            .spawn()
    };
    let (first, second) = (start(), start());
    first.finish();
    second.finish();

    warren(files.dir(), &["plan", &topology])
        .stdout("No changes. The broker matches the files.\n")
        .stderr_any()
        .run();
    assert_eq!(v.list("queues").len(), 40);
    assert_eq!(v.explicit_bindings().len(), 41);
}

const REFUSED: &str = r#"
vhosts: [{name: $V}]
policies:
  - {vhost: $V, name: limit, pattern: "^jobs$", apply_to: queues, definition: {max-length: 100}}
exchanges:
  - {vhost: $V, name: delayed, type: $TYPE}
queues:
  - {vhost: $V, name: jobs}
bindings:
  - {vhost: $V, source: delayed, destination: jobs, routing_key: later}
"#;

#[test]
fn a_change_the_broker_refuses_fails_the_apply_and_the_next_one_converges() {
    let v = TestVhost::guard(unique_name("apply-refused"));
    let files = Files::new();
    // A type the federation plugin offers (scripts/broker enables it) but
    // that no client may declare as it is: the broker refuses it with
    // "Argument x-max-hops missing", which no plan can know.
    let broken = yaml(REFUSED, &[("V", &v.name)]).replace("$TYPE", "x-federation-upstream");
    let topology = files.write("t.yaml", &broken);

    warren(files.dir(), &["apply", "--auto-approve", &topology]).status(1).stdout(format!(
            "vhost {v}
  + vhost {v}
  + policy limit (pattern: ^jobs$, apply_to: queues, max-length: 100)
  + exchange delayed (x-federation-upstream)
  + queue jobs
  + binding delayed -> jobs [later]

Plan: 5 to create, 0 to update, 0 to replace, 0 to delete.
Applied 3 changes, 1 failed, 1 not started.
  failed: declare exchange delayed in vhost {v}: the broker refused to declare exchange 'delayed' in vhost '{v}': Argument x-max-hops missing ({url}/api/exchanges/{encoded}/delayed)
  not started: create binding delayed -> jobs [later] in vhost {v}
",
            v = v.name,
            url = broker().url,
            encoded = enc(&v.name),
        )).stderr_line("error: apply did not finish (1 failed, 1 not started); fix the cause and run apply again: it plans from the live state and finishes the work").run();

    let fixed = yaml(REFUSED, &[("V", &v.name)]).replace("$TYPE", "direct");
    files.write("t.yaml", &fixed);
    warren(files.dir(), &["apply", "--auto-approve", &topology])
        .stdout_line("Applied 2 changes, 0 failed, 0 not started.")
        .stderr_any()
        .run();
    warren(files.dir(), &["plan", &topology])
        .stdout("No changes. The broker matches the files.\n")
        .stderr_any()
        .run();
}

#[test]
fn an_apply_killed_half_way_is_finished_by_the_next_one() {
    const QUEUES: usize = 500;
    let v = TestVhost::new("apply-killed");
    let files = Files::new();
    let mut text = yaml(
        "vhosts: [{name: $V}]\nexchanges: [{vhost: $V, name: fan, type: fanout}]\nqueues:\n",
        &[("V", &v.name)],
    );
    for i in 0..QUEUES {
        text.push_str(&format!("  - {{vhost: {:?}, name: q{i:03}}}\n", v.name));
    }
    text.push_str("bindings:\n");
    for i in 0..QUEUES {
        text.push_str(&format!(
            "  - {{vhost: {:?}, source: fan, destination: q{i:03}}}\n",
            v.name
        ));
    }
    let topology = files.write("many.yaml", &text);

    let child = spawn_warren(files.dir(), &["apply", "--auto-approve", &topology]).spawn();
    // Kill it once it has started creating queues.
    let deadline = Instant::now() + Duration::from_secs(60);
    // The apply's own lock queue comes first: not one of its changes.
    while !v
        .list("queues")
        .iter()
        .any(|q| q["name"] != "warren.apply-lock")
    {
        assert!(Instant::now() < deadline, "the apply created no queue");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SIGKILL: no chance to finish anything.
    let killed = child.wait_or_kill(|| true);
    assert_eq!(killed.code, None, "killed, not finished: {killed}");
    let created = v
        .list("queues")
        .iter()
        .filter(|q| q["name"] != "warren.apply-lock")
        .count();
    assert!(
        created < QUEUES || v.explicit_bindings().len() < QUEUES,
        "the apply was killed before it finished ({created} queues)"
    );

    // Its lock names a process of this host that is gone: the next apply
    // takes it over at once rather than waiting for its expiry.
    let rerun = warren(files.dir(), &["apply", "--auto-approve", &topology])
        .stdout_any()
        .stderr_any()
        .run();
    let summary = rerun.stdout.lines().last().unwrap_or_default();
    assert!(
        summary.starts_with("Applied ") && summary.ends_with(" changes, 0 failed, 0 not started."),
        "the second apply finishes the work: {summary}"
    );
    warren(files.dir(), &["plan", &topology])
        .stdout("No changes. The broker matches the files.\n")
        .stderr_any()
        .run();
    assert_eq!(v.list("queues").len(), QUEUES);
    assert_eq!(v.explicit_bindings().len(), QUEUES);
}

/// What the loser of a race to create a vhost sees: the vhost is there
/// (its PUT answers 204, or it was already there when the loser read the
/// broker) but the winner's permissions on it are granted a moment later,
/// and until then writes into it are refused.
#[test]
fn writes_refused_while_permissions_on_a_new_vhost_land_are_retried() {
    let v = TestVhost::new("apply-permission-lag");
    let b = broker();
    let permissions = format!("/api/permissions/{}/{}", enc(&v.name), enc(&b.username));
    b.expect_ok("DELETE", &permissions, None);
    let files = Files::new();
    let topology = files.write(
        "t.yaml",
        &yaml(
            "vhosts: [{name: $V}]
policies: [{vhost: $V, name: limit, pattern: ^jobs$, definition: {max-length: 10}}]
queues: [{vhost: $V, name: jobs}]
",
            &[("V", &v.name)],
        ),
    );

    let child = spawn_warren(files.dir(), &["apply", "--auto-approve", &topology])
        .stdout_line("Applied 2 changes, 0 failed, 0 not started.")
        .stderr_any()
        .spawn();
    // The policy needs no permissions on the vhost (the administrator tag
    // is enough) and comes before the queue: once it is there, the
    // permissions arrive.
    let deadline = Instant::now() + Duration::from_secs(30);
    while v.list("policies").is_empty() {
        assert!(Instant::now() < deadline, "warren did not put the policy");
        std::thread::sleep(Duration::from_millis(10));
    }
    b.expect_ok(
        "PUT",
        &permissions,
        Some(&serde_json::json!({"configure": ".*", "write": ".*", "read": ".*"})),
    );

    child.finish();
    assert!(v.exists("queues", "jobs"));
}

/// Applications declare their own queues in a vhost while warren applies
/// to it: not a failure of the apply, only unmanaged objects.
#[test]
fn a_queue_declared_by_someone_else_during_an_apply_does_not_fail_it() {
    const QUEUES: usize = 200;
    let v = TestVhost::new("apply-neighbour");
    let files = Files::new();
    let mut text = yaml(
        "vhosts: [{name: $V}]\nexchanges: [{vhost: $V, name: fan, type: fanout}]\nqueues:\n",
        &[("V", &v.name)],
    );
    for i in 0..QUEUES {
        text.push_str(&format!("  - {{vhost: {:?}, name: q{i:03}}}\n", v.name));
    }
    text.push_str("bindings:\n");
    for i in 0..QUEUES {
        text.push_str(&format!(
            "  - {{vhost: {:?}, source: fan, destination: q{i:03}}}\n",
            v.name
        ));
    }
    let topology = files.write("many.yaml", &text);

    let child = spawn_warren(files.dir(), &["apply", "--auto-approve", &topology])
        .stdout_line(format!(
            "Applied {} changes, 0 failed, 0 not started.",
            2 * QUEUES + 1
        ))
        .stderr_any()
        .spawn();
    let deadline = Instant::now() + Duration::from_secs(60);
    // The apply's own lock queue comes first: not one of its changes.
    while !v
        .list("queues")
        .iter()
        .any(|q| q["name"] != "warren.apply-lock")
    {
        assert!(Instant::now() < deadline, "the apply created no queue");
        std::thread::sleep(Duration::from_millis(10));
    }
    v.put_queue("app-reply-queue", serde_json::json!({"durable": true}));
    child.finish();
    assert!(
        v.explicit_bindings().len() == QUEUES,
        "the apply was still running when the queue was declared"
    );
    assert!(v.exists("queues", "app-reply-queue"));
}
