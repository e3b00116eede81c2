//! What differs between RabbitMQ versions, checked on whichever broker the
//! run has (`common::broker`: 3.10.8 or 4.0.5): each test states what each
//! version does and asserts the one under test. What a version refuses is
//! refused by `plan` before anything changes, where the other version
//! applies it.

use crate::common;

use serde_json::json;

use common::broker::{TestVhost, broker, enc, unique_name};
use common::every_kind::quorum_default_vhost;
use common::warren::{Files, IN_SYNC, Test, arg, assert_no_changes};

/// A new vhost, a queue and a policy holding classic queue mirroring keys,
/// as many 3.x topologies do.
const HA_TOPOLOGY: &str = "vhosts:
  - name: $V
queues:
  - {name: orders, vhost: $V}
policies:
  - name: ha-all
    vhost: $V
    pattern: '^orders$'
    apply_to: queues
    definition: {ha-mode: all, ha-sync-mode: automatic, max-length: 1000}
";

/// RabbitMQ 4.0 removed classic queue mirroring and refuses a policy with
/// `ha-*` keys (4.0.5: 400 "[{<<"ha-mode">>,<<"all">>}] are not recognised
/// policy settings"), so `plan` and `apply` refuse the files there, naming
/// each key, before anything changes: the vhost is not even created.
/// RabbitMQ 3.10 takes the policy, and the files apply.
#[test]
fn a_policy_with_ha_keys_is_refused_at_plan_from_4_0_and_applies_before() {
    let name = unique_name("versions-ha");
    let _cleanup = TestVhost::guard(name.clone());
    let files = Files::new();
    let file = files.topology("topology.yaml", &name, HA_TOPOLOGY);
    let vhost_exists = || {
        broker()
            .get(&format!("/api/vhosts/{}", enc(&name)))
            .is_some()
    };
    if broker().at_least(4, 0, 0) {
        let version = &broker().version;
        let refusal = |key: &str, column: u32| {
            format!(
                "error: {file}:10:{column}: policies[0] ha-all: the broker (RabbitMQ {version}) \
                 refuses '{key}' (not a recognised policy setting): RabbitMQ 4.0 removed classic \
                 queue mirroring; remove the key, and use quorum queues for replicated queues\n",
                file = arg(&file)
            )
        };
        let last = format!(
            "2 errors: the broker at {} (RabbitMQ {version}) would refuse them; nothing was \
             changed\n",
            broker().url
        );
        for command in [&["plan"][..], &["apply", "--auto-approve"]] {
            let run = Test::broker()
                .args(command)
                .arg(&file)
                .status(1)
                .stderr_contains(refusal("ha-mode", 27))
                .stderr_contains(refusal("ha-sync-mode", 46))
                .stderr_contains(last.clone())
                .run();
            assert!(run.stdout.is_empty(), "{run}");
            assert!(!vhost_exists(), "{command:?} created the vhost:\n{run}");
        }
        return;
    }
    Test::broker()
        .args(["apply", "--auto-approve", arg(&file)])
        .stdout_line("Applied 3 changes, 0 failed, 0 not started.")
        .stderr_any()
        .run();
    let policy = broker()
        .get(&format!("/api/policies/{}/ha-all", enc(&name)))
        .expect("the policy");
    assert_eq!(policy["definition"]["ha-mode"], "all", "{policy}");
    assert_no_changes(&file);
}

/// Quorum queues have a delivery limit of 20 by default from 4.0 (4.0.5
/// shows `"delivery_limit": 20` on `GET /api/queues/{vhost}/{queue}`) but
/// keep it out of their arguments: a quorum queue without `x-delivery-limit`
/// in the files is no difference, on either version, and its export does
/// not write the default.
#[test]
fn a_quorum_queues_default_delivery_limit_is_no_difference() {
    let v = TestVhost::new("versions-delivery-limit");
    v.put_queue(
        "work",
        json!({"durable": true, "auto_delete": false, "arguments": {"x-queue-type": "quorum"}}),
    );
    let mut live = broker().get(&v.path("queues", &["work"])).unwrap();
    if broker().at_least(4, 0, 0) {
        // A statistic: it shows once the queue's stats are collected (5 s).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while live.get("delivery_limit").is_none() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(250));
            live = broker().get(&v.path("queues", &["work"])).unwrap();
        }
        assert_eq!(live["delivery_limit"], 20, "{live}");
    }
    assert_eq!(
        live["arguments"],
        json!({"x-queue-type": "quorum"}),
        "{live}"
    );
    let files = Files::new();
    let file = files.topology(
        "topology.yaml",
        &v.name,
        "vhosts: [{name: $V}]\nqueues: [{name: work, vhost: $V, arguments: {x-queue-type: quorum}}]\n",
    );
    assert_no_changes(&file);
    Test::broker()
        .args(["drift", arg(&file)])
        .stdout(IN_SYNC)
        .run();
    let export = Test::broker()
        .args(["export", "--vhost", &v.name])
        .stdout_any()
        .run();
    assert!(!export.stdout.contains("x-delivery-limit"), "{export}");
}

/// `warren export` writes a vhost's default queue type where the broker's
/// own import reads it: 3.10.8 and 4.0.5 read it only from the vhost's
/// `metadata` (4.0.5 ignores a `default_queue_type` beside it, and 4.0.5's
/// own export writes both, as warren's does from 3.13). Here the exported
/// vhost, renamed, goes through `POST /api/definitions` and comes out with
/// the same default queue type.
#[test]
fn the_brokers_own_import_reads_the_default_queue_type_of_an_export() {
    let v = quorum_default_vhost("versions-dqt-export");
    let export = Test::broker()
        .args(["--format", "json", "export", "--vhost", &v.name])
        .stdout_any()
        .run();
    let exported: serde_json::Value = serde_json::from_str(&export.stdout).unwrap();
    let mut vhost = exported["vhosts"][0].clone();
    assert_eq!(
        vhost["metadata"]["default_queue_type"], "quorum",
        "{export}"
    );
    let expected_top = if broker().at_least(3, 13, 0) {
        json!("quorum")
    } else {
        serde_json::Value::Null
    };
    assert_eq!(vhost["default_queue_type"], expected_top, "{export}");

    let copy = unique_name("versions-dqt-import");
    let _cleanup = TestVhost::guard(copy.clone());
    vhost["name"] = json!(copy);
    broker().expect_ok(
        "POST",
        "/api/definitions",
        Some(&json!({"vhosts": [vhost]})),
    );
    let imported = broker()
        .get(&format!("/api/vhosts/{}", enc(&copy)))
        .expect("the imported vhost");
    assert_eq!(imported["default_queue_type"], "quorum", "{imported}");
}

/// `x-queue-leader-locator` on a classic queue: 3.10.8 refuses it ("invalid
/// arg 'x-queue-leader-locator' … of queue type rabbit_classic_queue"), so
/// `plan` refuses it there before anything changes; 4.0 takes it, and the
/// files apply.
#[test]
fn a_classic_queues_leader_locator_is_refused_before_4_0_and_applies_from_4_0() {
    let v = TestVhost::new("versions-locator");
    let files = Files::new();
    let file = files.topology(
        "topology.yaml",
        &v.name,
        "vhosts: [{name: $V}]\nqueues: [{name: q, vhost: $V, arguments: {x-queue-leader-locator: balanced}}]\n",
    );
    if broker().at_least(4, 0, 0) {
        Test::broker()
            .args(["apply", "--auto-approve", arg(&file)])
            .stdout_line("Applied 1 change, 0 failed, 0 not started.")
            .stderr_any()
            .run();
        assert_eq!(
            v.declared_arguments("q"),
            json!({"x-queue-leader-locator": "balanced"})
        );
        assert_no_changes(&file);
        return;
    }
    Test::broker()
        .args(["plan", arg(&file)])
        .status(1)
        .stderr_contains(format!(
            "x-queue-leader-locator is refused on classic queues by the broker (RabbitMQ {})",
            broker().version
        ))
        .run();
    assert!(!v.exists("queues", "q"));
}

/// What 4.0 takes in a policy and 3.10.8 refuses (verified on both):
/// `consumer-timeout`, `target-group-size`, `stream-filter-size-bytes`,
/// `delivery-limit: -1` and `apply_to: quorum_queues`. `plan` refuses them
/// on 3.10 before anything changes, each named; on 4.0 they apply.
#[test]
fn policy_settings_4_0_takes_are_refused_at_plan_on_3_10() {
    let v = TestVhost::new("versions-newer-policies");
    let files = Files::new();
    let file = files.topology(
        "topology.yaml",
        &v.name,
        "vhosts: [{name: $V}]
policies:
  - {name: a, vhost: $V, pattern: '^a', apply_to: quorum_queues, definition: {max-length: 5}}
  - {name: b, vhost: $V, pattern: '^b', definition: {consumer-timeout: 60000}}
  - {name: c, vhost: $V, pattern: '^c', definition: {target-group-size: 3}}
  - {name: d, vhost: $V, pattern: '^d', definition: {stream-filter-size-bytes: 32}}
  - {name: e, vhost: $V, pattern: '^e', definition: {delivery-limit: -1}}
",
    );
    if broker().at_least(4, 0, 0) {
        Test::broker()
            .args(["apply", "--auto-approve", arg(&file)])
            .stdout_line("Applied 5 changes, 0 failed, 0 not started.")
            .stderr_any()
            .run();
        assert_no_changes(&file);
        return;
    }
    let run = Test::broker()
        .args(["plan", arg(&file)])
        .status(1)
        .stderr_any()
        .run();
    for refused in [
        "refuses apply_to 'quorum_queues'",
        "refuses 'consumer-timeout'",
        "refuses 'target-group-size'",
        "refuses 'stream-filter-size-bytes'",
        "refuses delivery-limit -1",
    ] {
        assert!(run.stderr.contains(refused), "no {refused:?}:\n{run}");
    }
    assert!(v.list("policies").is_empty(), "{run}");
}
