//! The seed use case: the shipped default topology applied to an empty
//! vhost, then nothing left to do, and messages routed the way the file
//! says.

use super::{Files, default_topology_in, names, warren};
use crate::common::broker::TestVhost;

#[test]
fn the_default_topology_is_applied_to_an_empty_vhost_and_then_matches() {
    let v = TestVhost::new("apply-default");
    let files = Files::new();
    let topology = files.write("default.yaml", &default_topology_in(&v.name));

    warren(files.dir(), &["apply", "--auto-approve", &topology])
        .stdout(format!(
            "vhost {}
  + exchange events (topic)
  + queue jobs
  + queue order.events
  + binding events -> order.events [order.*]

Plan: 4 to create, 0 to update, 0 to replace, 0 to delete.
Applied 4 changes, 0 failed, 0 not started.
",
            v.name
        ))
        .stderr_any()
        .run();

    warren(files.dir(), &["plan", &topology])
        .stdout("No changes. The broker matches the files.\n")
        .stderr_any()
        .run();
    warren(files.dir(), &["apply", "--auto-approve", &topology])
        .stdout("No changes. The broker matches the files.\n")
        .stderr_any()
        .run();

    assert_eq!(
        names(&v.list("queues")),
        ["jobs", "order.events"],
        "the queues"
    );
    let events: Vec<_> = v
        .list("exchanges")
        .into_iter()
        .filter(|e| e["name"] == "events")
        .collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["type"], "topic");
    assert_eq!(events[0]["durable"], true);
}

#[test]
fn after_apply_order_events_and_jobs_are_routed_as_the_file_says() {
    let v = TestVhost::new("apply-seed");
    let files = Files::new();
    let topology = files.write("default.yaml", &default_topology_in(&v.name));
    warren(files.dir(), &["apply", "--auto-approve", &topology])
        .stdout_any()
        .stderr_any()
        .run();

    assert!(
        v.publish("events", "order.created", "order 1 created"),
        "order.created published to events is routed"
    );
    assert_eq!(v.message_count("order.events"), Some(1));
    assert_eq!(v.message_count("jobs"), Some(0));

    assert!(
        v.publish("", "jobs", "job 1"),
        "jobs published to the default exchange is routed"
    );
    assert_eq!(v.message_count("jobs"), Some(1));
    assert_eq!(v.message_count("order.events"), Some(1));

    assert!(
        !v.publish("events", "invoice.paid", "nobody listens"),
        "a key the binding does not match is not routed"
    );
}
