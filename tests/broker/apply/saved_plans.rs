//! `plan --out` then `apply --plan`: a saved plan is carried out as it is,
//! and refused when the broker or the files changed since it was made.

use serde_json::{Value, json};

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
        .stdout_line("      holds 0 messages, 0 consumers")
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

const GUARDED: &str = r#"
vhosts: [{name: $V}]
exchanges: [{vhost: $V, name: events, type: topic}]
queues:
  - {vhost: $V, name: precious, arguments: {x-queue-type: quorum}}
  - {vhost: $V, name: jobs}
bindings: [{vhost: $V, source: events, destination: jobs, routing_key: "job.*"}]
"#;

/// Regression (issue 20): `apply --plan` carried out the saved plan's
/// `changes` as written once its URL and fingerprints matched. A delete
/// disguised as an exchange's deleted a quorum queue and its 5 messages
/// with no flag; a rename, a delete in a vhost outside the plan, a new
/// vhost and a `max-length: 0` policy in another vhost went through too,
/// and a zeroed summary printed "No changes". Now the plan is made again
/// and every difference from the saved one refuses it, naming it, with
/// nothing changed.
#[test]
fn every_edit_of_a_saved_plan_is_refused_and_changes_nothing() {
    let v = TestVhost::new("apply-edited");
    let w = TestVhost::new("apply-edited-other");
    let new_vhost = TestVhost::guard(crate::common::broker::unique_name("apply-edited-new"));
    v.put_queue(
        "precious",
        json!({"durable": true, "arguments": {"x-queue-type": "quorum"}}),
    );
    w.put_queue("other", json!({"durable": true}));
    for n in 0..5 {
        assert!(v.publish("", "precious", &format!("message {n}")));
    }
    for n in 0..4 {
        assert!(w.publish("", "other", &format!("message {n}")));
    }
    // A quorum queue reports its count a few seconds late.
    let counted = std::time::Instant::now();
    while v.message_count("precious") != Some(5) {
        assert!(counted.elapsed().as_secs() < 30, "precious never counted 5");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let files = Files::new();
    let topology = files.write("t.yaml", &super::yaml(GUARDED, &[("V", &v.name)]));
    let saved = files.path("p.json");
    let saved = saved.to_str().unwrap().to_string();
    warren(files.dir(), &["plan", "--out", &saved, &topology])
        .stdout_any()
        .stderr_any()
        .run();
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert_eq!(plan["summary"]["create"], 3, "{plan}");
    let (state_v, state_w) = (raw_state(&v), raw_state(&w));

    let queue = |vhost: &str, name: &str, arguments: Value| json!({"queue": {"name": name, "vhost": vhost, "arguments": arguments}});
    let change = |action: &str, id: Value, before: Value, after: Value| json!({"action": action, "id": id, "before": before, "after": after});
    let jobs = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["id"]["name"] == "jobs")
        .unwrap();
    let summary = |create: u32, delete: u32| {
        format!(
            "  summary: the plan says {create} create, 0 update, 0 replace, {delete} delete, 0 unmanaged, 0 unsupported, now 3 create, 0 update, 0 replace, 0 delete, 0 unmanaged, 0 unsupported\n"
        )
    };
    let in_v = |what: &str| format!("{what} in vhost '{}'", v.name);
    type Edit = Box<dyn Fn(&mut Value)>;
    let edits: Vec<(&str, Edit, String)> = vec![
        (
            "a delete of a quorum queue disguised as an exchange's",
            Box::new({
                let v = v.name.clone();
                move |p| {
                    p["changes"].as_array_mut().unwrap().push(change(
                        "delete",
                        json!({"kind": "exchange", "vhost": v, "name": "precious"}),
                        queue(&v, "precious", json!({"x-queue-type": "quorum"})),
                        Value::Null,
                    ));
                    p["summary"]["delete"] = json!(1);
                }
            }),
            format!(
                "{}  {}: not in the plan now\n",
                summary(3, 1),
                in_v("delete exchange precious")
            ),
        ),
        (
            "a change removed",
            Box::new(move |p| {
                p["changes"].as_array_mut().unwrap().remove(jobs);
                p["summary"]["create"] = json!(2);
            }),
            format!(
                "{}  {}: missing from the saved plan\n",
                summary(2, 0),
                in_v("create queue jobs")
            ),
        ),
        (
            "a change altered",
            Box::new(move |p| {
                p["changes"][jobs]["after"]["queue"]["arguments"] = json!({"x-max-length": 0});
            }),
            format!(
                "  {}: differs from the plan now\n",
                in_v("create queue jobs")
            ),
        ),
        (
            "a change renamed",
            Box::new(move |p| {
                p["changes"][jobs]["id"]["name"] = json!("jobs-renamed");
                p["changes"][jobs]["after"]["queue"]["name"] = json!("jobs-renamed");
            }),
            format!(
                "  {}: not in the plan now\n  {}: missing from the saved plan\n",
                in_v("create queue jobs-renamed"),
                in_v("create queue jobs")
            ),
        ),
        (
            "a delete in a vhost outside the plan",
            Box::new({
                let w = w.name.clone();
                move |p| {
                    p["changes"].as_array_mut().unwrap().push(change(
                        "delete",
                        json!({"kind": "queue", "vhost": w, "name": "other"}),
                        queue(&w, "other", json!({})),
                        Value::Null,
                    ));
                    p["summary"]["delete"] = json!(1);
                }
            }),
            format!(
                "{}  delete queue other in vhost '{}': not in the plan now\n",
                summary(3, 1),
                w.name
            ),
        ),
        (
            "a new vhost",
            Box::new({
                let name = new_vhost.name.clone();
                move |p| {
                    p["changes"].as_array_mut().unwrap().insert(
                        0,
                        change(
                            "create",
                            json!({"kind": "vhost", "name": name}),
                            Value::Null,
                            json!({"vhost": {"name": name}}),
                        ),
                    );
                    p["summary"]["create"] = json!(4);
                }
            }),
            format!(
                "{}  create vhost {} in vhost '{}': not in the plan now\n",
                summary(4, 0),
                new_vhost.name,
                new_vhost.name
            ),
        ),
        (
            "a max-length 0 policy in another vhost",
            Box::new({
                let w = w.name.clone();
                move |p| {
                    p["changes"].as_array_mut().unwrap().insert(
                        0,
                        change(
                            "create",
                            json!({"kind": "policy", "vhost": w, "name": "drop-all"}),
                            Value::Null,
                            json!({"policy": {"name": "drop-all", "vhost": w, "pattern": ".*",
                                "apply_to": "queues", "definition": {"max-length": 0}}}),
                        ),
                    );
                    p["summary"]["create"] = json!(4);
                }
            }),
            format!(
                "{}  create policy drop-all in vhost '{}': not in the plan now\n",
                summary(4, 0),
                w.name
            ),
        ),
        (
            "the summary zeroed",
            Box::new(|p| p["summary"]["create"] = json!(0)),
            summary(0, 0),
        ),
        (
            "the desired fingerprint",
            Box::new(|p| p["desired_fingerprint"] = json!("0")),
            format!(
                "  desired_fingerprint: the plan says \"0\", now {}\n",
                plan["desired_fingerprint"]
            ),
        ),
        (
            "the live fingerprint",
            Box::new(|p| p["live_fingerprint"] = json!("0")),
            format!(
                "  live_fingerprint: the plan says \"0\", now {}\n",
                plan["live_fingerprint"]
            ),
        ),
    ];
    for (what, edit, differences) in edits {
        let mut edited = plan.clone();
        edit(&mut edited);
        std::fs::write(&saved, serde_json::to_string_pretty(&edited).unwrap()).unwrap();
        for allow in [&[][..], &["--allow-recreate", "--allow-data-loss"][..]] {
            let mut args = vec!["apply", "--plan", &saved, "--auto-approve"];
            args.extend(allow);
            warren(files.dir(), &args)
                .status(1)
                .stderr(format!(
                    "error: the plan {saved} is not the plan its files and the broker give now (was it edited?); nothing was changed; plan again:\n{differences}"
                ))
                .run();
            assert_eq!(
                raw_state(&v),
                state_v,
                "{what}: vhost {} is unchanged",
                v.name
            );
            assert_eq!(
                raw_state(&w),
                state_w,
                "{what}: vhost {} is unchanged",
                w.name
            );
            assert_eq!(v.message_count("precious"), Some(5), "{what}");
            assert_eq!(w.message_count("other"), Some(4), "{what}");
            assert!(
                crate::common::broker::broker()
                    .get(&format!(
                        "/api/vhosts/{}",
                        crate::common::broker::enc(&new_vhost.name)
                    ))
                    .is_none(),
                "{what}: no vhost was created"
            );
        }
    }

    // The plan as saved still applies.
    std::fs::write(&saved, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
    warren(files.dir(), &["apply", "--plan", &saved, "--auto-approve"])
        .stdout_line("Applied 3 changes, 0 failed, 0 not started.")
        .stderr_any()
        .run();
}

#[test]
fn a_saved_plan_whose_files_are_gone_is_refused() {
    let v = TestVhost::new("apply-saved-nofiles");
    let files = Files::new();
    let topology = files.write("default.yaml", &default_topology_in(&v.name));
    let saved = files.path("p.json");
    let saved = saved.to_str().unwrap();
    warren(files.dir(), &["plan", "--out", saved, &topology])
        .stdout_any()
        .stderr_any()
        .run();
    std::fs::remove_file(&topology).unwrap();
    let state = raw_state(&v);

    warren(files.dir(), &["apply", "--plan", saved, "--auto-approve"])
        .status(1)
        .stderr(format!(
            "error: the plan {saved} cannot be checked: the files it was made from are not here ({topology}); run apply --plan where they are, or plan again\n"
        ))
        .run();
    assert_eq!(raw_state(&v), state, "the broker is unchanged");
}
