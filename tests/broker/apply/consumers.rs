//! What `apply` does to a queue that has consumers: the plan shows how many
//! every delete and replace of a queue would cancel, `apply` refuses to
//! drop such a queue without `--allow-consumer-cancel`, and a consumer that
//! came after the count (the broker reports them up to 5 s late) stops the
//! delete of a classic queue live (`if-unused`).
//!
//! Regression (issue 20): an empty queue with a live consumer was pruned
//! with no word and the consumer cancelled; a replace did the same.

use serde_json::json;

use super::{Files, raw_state, warren, yaml};
use crate::common::amqp::{TestConsumer, consumer_count};
use crate::common::broker::TestVhost;

#[test]
fn pruning_a_queue_with_a_consumer_needs_allow_consumer_cancel() {
    let v = TestVhost::new("apply-prune-consumer");
    let files = Files::new();
    let topology = files.write("t.yaml", &yaml("vhosts: [{name: $V}]\n", &[("V", &v.name)]));
    v.put_queue("busy", json!({"durable": true}));
    v.put_queue("idle", json!({"durable": true}));
    let consumer = TestConsumer::start(&v, "busy");
    let state = raw_state(&v);
    let plan = format!(
        "vhost {v}\n  - queue busy\n      holds 0 messages, 1 consumer\n      needs --allow-consumer-cancel\n  - queue idle\n      holds 0 messages, 0 consumers\n\nPlan: 0 to create, 0 to update, 0 to replace, 2 to delete.\n",
        v = v.name
    );

    warren(files.dir(), &["plan", "--prune", &topology])
        .stdout(plan.as_str())
        .run();
    let json = warren(
        files.dir(),
        &["--format", "json", "plan", "--prune", &topology],
    )
    .stdout_any()
    .run()
    .json();
    let counts: Vec<_> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"]["name"].clone(),
                c["messages"].clone(),
                c["consumers"].clone(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            (json!("busy"), json!(0), json!(1)),
            (json!("idle"), json!(0), json!(0))
        ]
    );

    warren(
        files.dir(),
        &["apply", "--auto-approve", "--prune", &topology],
    )
    .status(1)
    .stdout(plan.as_str())
    .stderr(format!(
        "error: apply refused, nothing was changed:\n  queue busy in vhost '{}' has 1 consumer that would be cancelled: needs --allow-consumer-cancel\n",
        v.name
    ))
    .run();
    assert_eq!(raw_state(&v), state, "the broker is unchanged");
    assert_eq!(consumer_count(&v, "busy"), 1, "the consumer is still there");

    warren(
        files.dir(),
        &[
            "apply",
            "--auto-approve",
            "--prune",
            "--allow-consumer-cancel",
            &topology,
        ],
    )
    .stdout_line("Applied 2 changes, 0 failed, 0 not started.")
    .stderr_any()
    .run();
    assert!(!v.exists("queues", "busy"));
    assert!(!v.exists("queues", "idle"));
    drop(consumer);
}

#[test]
fn replacing_a_queue_with_a_consumer_needs_allow_consumer_cancel() {
    let v = TestVhost::new("apply-replace-consumer");
    let files = Files::new();
    let file = |priority: u8| {
        yaml(
            "vhosts: [{name: $V}]\nqueues: [{vhost: $V, name: q, arguments: {x-max-priority: $P}}]\n",
            &[("V", &v.name)],
        )
        .replace("$P", &priority.to_string())
    };
    let before = files.write("before.yaml", &file(1));
    let after = files.write("after.yaml", &file(2));
    warren(files.dir(), &["apply", "--auto-approve", &before])
        .stdout_any()
        .stderr_any()
        .run();
    let consumer = TestConsumer::start(&v, "q");
    let state = raw_state(&v);

    warren(files.dir(), &["plan", &after])
        .stdout(format!(
            "vhost {}\n  -/+ queue q\n      must be replaced: x-max-priority cannot change in place\n      arguments:\n        - x-max-priority: 1\n        + x-max-priority: 2\n      holds 0 messages, 1 consumer\n      needs --allow-recreate and --allow-consumer-cancel\n\nPlan: 0 to create, 0 to update, 1 to replace, 0 to delete.\n",
            v.name
        ))
        .run();
    warren(
        files.dir(),
        &["apply", "--auto-approve", "--allow-recreate", &after],
    )
    .status(1)
    .stdout_any()
    .stderr(format!(
        "error: apply refused, nothing was changed:\n  queue q in vhost '{}' has 1 consumer that would be cancelled: needs --allow-consumer-cancel\n",
        v.name
    ))
    .run();
    assert_eq!(raw_state(&v), state, "the broker is unchanged");

    warren(
        files.dir(),
        &[
            "apply",
            "--auto-approve",
            "--allow-recreate",
            "--allow-consumer-cancel",
            &after,
        ],
    )
    .stdout_line("Applied 1 change, 0 failed, 0 not started.")
    .stderr_any()
    .run();
    drop(consumer);
}

/// A consumer that comes after the plan counted none is not cancelled: a
/// classic queue is deleted with `if-unused`, which the broker checks live.
/// The consumer starts right before the apply, so the broker's statistics
/// (5 s late) have not counted it; should they have, the apply is refused
/// up front, and the test tries again with a new queue.
#[test]
fn a_consumer_the_plan_did_not_count_stops_the_delete_live() {
    let v = TestVhost::new("apply-prune-late-consumer");
    let files = Files::new();
    let topology = files.write("t.yaml", &yaml("vhosts: [{name: $V}]\n", &[("V", &v.name)]));
    for attempt in 0..5 {
        let queue = format!("late-{attempt}");
        v.put_queue(&queue, json!({"durable": true}));
        let consumer = TestConsumer::start_unseen(&v, &queue);
        let run = warren(
            files.dir(),
            &["apply", "--auto-approve", "--prune", &topology],
        )
        .any_status()
        .stdout_any()
        .stderr_any()
        .run();
        if run.stdout.contains("needs --allow-consumer-cancel") {
            drop(consumer);
            continue;
        }
        assert_eq!(run.code, Some(1), "{run}");
        assert!(
            run.stdout.contains(&format!(
                "failed: delete queue {queue} in vhost '{}': queue {queue} in vhost '{}' has a consumer the plan did not count (the broker reports them up to 5 s late), so it was not deleted and no consumer was cancelled; plan again, and use --allow-consumer-cancel to cancel them",
                v.name, v.name
            )) || run.stderr.contains("has a consumer the plan did not count"),
            "{run}"
        );
        assert!(v.exists("queues", &queue), "the queue is still there");
        assert!(consumer.is_connected());
        return;
    }
    panic!("the broker counted every consumer at once, five times out of five");
}
