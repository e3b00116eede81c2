//! Definitions files as RabbitMQ writes them, on the real broker: what
//! exports of 3.8 and later add (vhost limits and metadata, queue `type`)
//! is applied and planned back, and the real files of
//! `../shared/real-definitions/` plan as no changes after the broker's own
//! import of them.

use serde_json::json;

use crate::common;
use common::broker::{TestVhost, broker, enc};
use common::warren::{Files, NO_CHANGES, Test, arg, assert_no_changes};

#[test]
fn vhost_limits_are_set_changed_cleared_and_planned_back() {
    let v = TestVhost::new("limits");
    let files = Files::new();
    let limits = || {
        broker()
            .get(&format!("/api/vhost-limits/{}", enc(&v.name)))
            .unwrap()
    };
    let set = files.topology(
        "set.yaml",
        &v.name,
        "vhosts: [{name: $V, limits: {max-queues: 10, max-connections: 5}}]\nqueues: [{name: q, vhost: $V}]\n",
    );
    Test::broker()
        .args(["apply", "--auto-approve", arg(&set)])
        .stdout_line("Applied 2 changes, 0 failed, 0 not started.")
        .stderr_any()
        .run();
    assert_eq!(
        limits(),
        json!([{"vhost": v.name, "value": {"max-queues": 10, "max-connections": 5}}])
    );
    assert_no_changes(&set);

    // One limit changed, the other left out: it is cleared.
    let changed = files.topology(
        "changed.yaml",
        &v.name,
        "vhosts: [{name: $V, limits: {max-queues: 20}}]\nqueues: [{name: q, vhost: $V}]\n",
    );
    Test::broker()
        .args(["plan", arg(&changed)])
        .stdout(format!(
            "vhost {v}\n  ~ vhost {v}\n      limits:\n        - max-connections: 5\n        - max-queues: 10\n        + max-queues: 20\n\nPlan: 0 to create, 1 to update, 0 to replace, 0 to delete.\n",
            v = v.name
        ))
        .run();
    Test::broker()
        .args(["apply", "--auto-approve", arg(&changed)])
        .stdout_any()
        .stderr_any()
        .run();
    assert_eq!(
        limits(),
        json!([{"vhost": v.name, "value": {"max-queues": 20}}])
    );
    assert_no_changes(&changed);

    // Without `limits`, the file leaves them alone; `limits: {}` clears them.
    let unmanaged = files.topology(
        "unmanaged.yaml",
        &v.name,
        "vhosts: [{name: $V}]\nqueues: [{name: q, vhost: $V}]\n",
    );
    Test::broker()
        .args(["plan", arg(&unmanaged)])
        .stdout(NO_CHANGES)
        .run();
    let cleared = files.topology(
        "cleared.yaml",
        &v.name,
        "vhosts: [{name: $V, limits: {}}]\nqueues: [{name: q, vhost: $V}]\n",
    );
    Test::broker()
        .args(["apply", "--auto-approve", arg(&cleared)])
        .stdout_line("Applied 1 change, 0 failed, 0 not started.")
        .stderr_any()
        .run();
    assert_eq!(limits(), json!([]));
}
