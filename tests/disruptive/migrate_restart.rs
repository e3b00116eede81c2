//! `apply --migrate` (issue 15) with the broker's app stopped and started
//! again (`rabbitmqctl stop_app`/`start_app`) while a shovel moves the
//! messages: the apply fails, the next `apply --migrate` finishes the
//! migration, no message is lost, and `plan` then has nothing to do.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::broker::{TestVhost, broker};
use crate::common::warren::Test;

const BACKLOG: u64 = 20_000;

const OLD: &str = "
vhosts: [{name: $V}]
exchanges: [{name: events, vhost: $V, type: topic}]
queues: [{name: order.events, vhost: $V}]
bindings: [{source: events, destination: order.events, routing_key: 'order.*', vhost: $V}]
";

const NEW: &str = "
vhosts: [{name: $V}]
exchanges: [{name: events, vhost: $V, type: topic}]
queues: [{name: order.events, vhost: $V, arguments: {x-queue-type: quorum}}]
bindings: [{source: events, destination: order.events, routing_key: 'order.*', vhost: $V}]
";

fn ctl(command: &str) {
    let output = broker()
        .rabbitmqctl_command(&[command])
        .output()
        .expect("run rabbitmqctl");
    assert!(
        output.status.success(),
        "rabbitmqctl {command} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn api_answers() -> bool {
    broker()
        .try_request("GET", "/api/overview", None)
        .is_some_and(|raw| raw.status == 200)
}

/// Starts the app again on drop, and waits for the management API.
struct Stopped;

impl Drop for Stopped {
    fn drop(&mut self) {
        ctl("start_app");
        let deadline = Instant::now() + Duration::from_secs(120);
        while !api_answers() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn warren(dir: &std::path::Path, args: &[&str]) -> Test {
    Test::broker()
        .current_dir(dir)
        .args(["--timeout", "10"])
        .args(args)
        .stdout_any()
        .stderr_any()
        .limit(Duration::from_secs(600))
}

#[test]
fn a_broker_restarted_in_the_middle_of_a_shovel_loses_no_message_and_the_next_apply_finishes() {
    let _alone = crate::broker_alone();
    assert!(api_answers(), "no broker: start one with scripts/broker");
    let v = TestVhost::new("migrate-restart");
    let dir = tempfile::tempdir().unwrap();
    let quoted = serde_json::to_string(&v.name).unwrap();
    for (name, text) in [("old.yaml", OLD), ("new.yaml", NEW)] {
        std::fs::write(dir.path().join(name), text.replace("$V", &quoted)).unwrap();
    }
    let old = dir.path().join("old.yaml").display().to_string();
    let new = dir.path().join("new.yaml").display().to_string();
    warren(dir.path(), &["apply", "--auto-approve", &old]).run();
    // Persistent messages: a restart keeps them in a durable queue.
    for id in 0..BACKLOG {
        broker().expect_ok(
            "POST",
            &format!("{}/publish", v.path("exchanges", &["events"])),
            Some(
                &json!({"properties": {"delivery_mode": 2}, "routing_key": "order.created",
                         "payload": id.to_string(), "payload_encoding": "string"}),
            ),
        );
    }

    let migrate = [
        "apply",
        "--auto-approve",
        "--allow-recreate",
        "--migrate",
        new.as_str(),
    ];
    let running = warren(dir.path(), &migrate).spawn();
    v.wait_for_a_shovel();
    {
        let _stopped = Stopped;
        ctl("stop_app");
    }
    // It fails, or (its requests retried) finishes: either way the next
    // apply --migrate must leave everything done.
    let waiting = Instant::now();
    let first = running.wait_or_kill(|| waiting.elapsed() > Duration::from_secs(300));
    println!(
        "the apply the restart met ended with {:?} (killed: {})",
        first.code, first.killed
    );

    warren(dir.path(), &migrate).run();
    warren(dir.path(), &["plan", &new])
        .stdout_contains("No changes. The broker matches the files.")
        .run();

    // Every number is in the queue (a quorum queue counts late: take them).
    std::thread::sleep(Duration::from_secs(6));
    let taken = broker().expect_ok(
        "POST",
        &format!("{}/get", v.path("queues", &["order.events"])),
        Some(&json!({"count": BACKLOG * 2, "ackmode": "ack_requeue_false", "encoding": "auto"})),
    );
    let payloads: Vec<u64> = taken
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["payload"].as_str().unwrap().parse().unwrap())
        .collect();
    let unique: BTreeSet<u64> = payloads.iter().copied().collect();
    let lost = (0..BACKLOG).filter(|id| !unique.contains(id)).count();
    println!(
        "broker restarted mid-shovel: {BACKLOG} queued, {} received, {lost} lost, {} duplicates",
        payloads.len(),
        payloads.len() - unique.len()
    );
    assert_eq!(lost, 0);
}
