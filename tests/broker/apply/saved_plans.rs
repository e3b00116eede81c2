//! `plan --out` then `apply --plan`: a saved plan is carried out as it is,
//! and refused when the broker or the files changed since it was made.

use serde_json::json;

use super::{Files, default_topology_in, raw_state, warren};
use crate::common::broker::TestVhost;

#[test]
fn a_saved_plan_is_applied() {
    let v = TestVhost::new("apply-saved");
    let files = Files::new();
    let topology = files.write("default.yaml", &default_topology_in(&v.name));
    let saved = files.path("p.json");
    let saved = saved.to_str().unwrap();

    let plan = warren(files.dir(), &["plan", "--out", saved, &topology])
        .stderr_line(format!(
            "plan saved to {saved}; carry it out with: warren apply --plan {saved}"
        ))
        .stdout_any()
        .run();

    warren(files.dir(), &["apply", "--plan", saved, "--auto-approve"])
        .stdout(format!(
            "{}Applied 4 changes, 0 failed, 0 not started.\n",
            plan.stdout
        ))
        .stderr_any()
        .run();
    warren(files.dir(), &["plan", &topology])
        .stdout("No changes. The broker matches the files.\n")
        .stderr_any()
        .run();

    // Carried out, it describes a broker that is gone.
    warren(files.dir(), &["apply", "--plan", saved, "--auto-approve"])
        .status(1)
        .stdout("")
        .stderr_line(format!(
            "error: the plan {saved} is stale: the broker changed since it was made; plan again"
        ))
        .run();
}

#[test]
fn a_saved_plan_is_refused_when_the_broker_changed_since() {
    let v = TestVhost::new("apply-stale");
    let files = Files::new();
    let topology = files.write("default.yaml", &default_topology_in(&v.name));
    let saved = files.path("p.json");
    let saved = saved.to_str().unwrap();
    warren(files.dir(), &["plan", "--out", saved, &topology])
        .stdout_any()
        .stderr_any()
        .run();

    v.put_queue("by-hand", json!({"durable": true}));
    let state = raw_state(&v);

    warren(files.dir(), &["apply", "--plan", saved, "--auto-approve"])
        .status(1)
        .stdout("")
        .stderr_line(format!(
            "error: the plan {saved} is stale: the broker changed since it was made; plan again"
        ))
        .run();
    assert_eq!(raw_state(&v), state, "the broker is unchanged");
}

#[test]
fn a_saved_plan_is_refused_when_its_files_changed_since() {
    let v = TestVhost::new("apply-files-changed");
    let files = Files::new();
    let topology = files.write("default.yaml", &default_topology_in(&v.name));
    let saved = files.path("p.json");
    let saved = saved.to_str().unwrap();
    warren(files.dir(), &["plan", "--out", saved, &topology])
        .stdout_any()
        .stderr_any()
        .run();

    let changed = default_topology_in(&v.name).replace("order.*", "order.#");
    files.write("default.yaml", &changed);
    let state = raw_state(&v);

    warren(files.dir(), &["apply", "--plan", saved, "--auto-approve"]).status(1).stdout("").stderr_line(format!(
            "error: the plan {saved} was made from other files: {topology} changed since; plan again"
        )).run();
    assert_eq!(raw_state(&v), state, "the broker is unchanged");
}

#[test]
fn a_saved_plan_counts_messages_again_before_it_drops_a_queue() {
    let v = TestVhost::new("apply-saved-count");
    let files = Files::new();
    let topology = files.write(
        "t.yaml",
        &super::yaml("vhosts: [{name: $V}]\n", &[("V", &v.name)]),
    );
    v.put_queue("late", json!({"durable": true}));
    let saved = files.path("p.json");
    let saved = saved.to_str().unwrap();
    warren(files.dir(), &["plan", "--prune", "--out", saved, &topology])
        .stdout_line("      holds 0 messages")
        .stderr_any()
        .run();

    // A message arrives after the plan was made: not a change of topology,
    // so the plan is not stale, but dropping the queue now loses it.
    assert!(v.publish("", "late", "arrived after the plan"));

    warren(files.dir(), &["apply", "--plan", saved, "--auto-approve"]).status(1).stderr_line(format!(
            "  queue late in vhost '{}' holds 1 message that would be lost: needs --allow-data-loss",
            v.name
        )).stdout_any().run();
    assert_eq!(
        v.message_count("late"),
        Some(1),
        "the message is still there"
    );
}
