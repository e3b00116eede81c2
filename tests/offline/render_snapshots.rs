//! Snapshots of the three renderings of one plan that holds every kind of
//! change: create, update, replace (with re-created bindings and a policy
//! hint), delete, unmanaged and a default queue type the broker cannot
//! change; and of the same two topologies as an offline diff, with and
//! without `--prune`. The Markdown draws the routing the plan changes.
//! Review a changed snapshot as you would a changed output.

use std::collections::BTreeMap;

use warren::graph::Graph;
use warren::model::Topology;
use warren::plan::{BrokerInfo, Plan, PlanInputs, plan_changes};
use warren::render::{
    Subject, TextLayout, render_drift_json, render_markdown, render_plan_json, render_text,
};

const LIVE: &str = r#"
vhosts:
  - {name: /, description: Default virtual host}
  - {name: shop, description: old}
policies:
  - {name: ttl, vhost: shop, pattern: '^order\.', apply_to: queues, definition: {message-ttl: 60000}}
exchanges:
  - {name: events, vhost: shop, type: topic}
  - {name: legacy, vhost: shop, type: fanout}
queues:
  - {name: order.events, vhost: shop, arguments: {x-message-ttl: 60000, x-queue-type: quorum}}
  - {name: stale, vhost: shop}
  - {name: manual, vhost: /}
bindings:
  - {source: events, destination: order.events, routing_key: 'order.*', vhost: shop}
  - {source: legacy, destination: order.events, vhost: shop}
"#;

const DESIRED: &str = r#"
vhosts:
  - {name: /}
  - {name: shop, description: the shop, default_queue_type: quorum}
policies:
  - {name: ttl, vhost: shop, pattern: '^order\.', apply_to: queues, definition: {message-ttl: 86400000}}
exchanges:
  - {name: events, vhost: shop, type: topic}
  - {name: dlx, vhost: shop, type: fanout}
queues:
  - {name: order.events, vhost: shop, arguments: {x-message-ttl: 120000, x-queue-type: quorum, x-dead-letter-exchange: dlx}}
  - {name: jobs, vhost: /}
bindings:
  - {source: events, destination: order.events, routing_key: 'order.*', vhost: shop}
"#;

fn plan(prune: bool) -> Plan {
    let live: Topology = serde_yaml::from_str(LIVE).unwrap();
    let desired: Topology = serde_yaml::from_str(DESIRED).unwrap();
    let mut plan = plan_changes(
        &desired,
        &live,
        PlanInputs {
            broker: Some(BrokerInfo {
                url: "http://localhost:15672".into(),
                version: "3.10.8".into(),
            }),
            files: vec!["topologies/shop.yaml".into()],
            prune,
            binding_keys: BTreeMap::from([(live.bindings[1].id(), "~".to_string())]),
            unreadable: Vec::new(),
            prune_users: false,
            prune_global_parameters: false,
            connected_user: None,
        },
    );
    plan.set_message_counts(&BTreeMap::from([
        (("shop".into(), "order.events".into()), Some(42)),
        (("shop".into(), "stale".into()), Some(0)),
    ]));
    plan.set_consumer_counts(&BTreeMap::from([
        (("shop".into(), "order.events".into()), Some(2)),
        (("shop".into(), "stale".into()), Some(0)),
    ]));
    plan
}

/// The same two topologies as `warren diff LIVE DESIRED` compares them:
/// offline, so no broker and no message counts.
fn offline_diff(prune: bool) -> Plan {
    let live: Topology = serde_yaml::from_str(LIVE).unwrap();
    let desired: Topology = serde_yaml::from_str(DESIRED).unwrap();
    plan_changes(
        &desired,
        &live,
        PlanInputs {
            files: vec!["topologies/shop.yaml".into()],
            prune,
            ..PlanInputs::default()
        },
    )
}

#[test]
fn text_plan() {
    insta::assert_snapshot!(render_text(&plan(false), Subject::Plan, TextLayout::PLAIN));
}

#[test]
fn text_plan_with_prune() {
    insta::assert_snapshot!(render_text(&plan(true), Subject::Plan, TextLayout::PLAIN));
}

/// The routing a review of `plan` draws: LIVE before it.
fn routing(plan: &Plan) -> Graph {
    Graph::review(&serde_yaml::from_str(LIVE).unwrap(), plan)
}

#[test]
fn markdown_plan() {
    let plan = plan(true);
    insta::assert_snapshot!(render_markdown(&plan, Subject::Plan, Some(&routing(&plan))));
}

#[test]
fn markdown_diff_without_prune() {
    let diff = offline_diff(false);
    insta::assert_snapshot!(render_markdown(&diff, Subject::Diff, Some(&routing(&diff))));
}

#[test]
fn markdown_diff_with_prune() {
    let diff = offline_diff(true);
    insta::assert_snapshot!(render_markdown(&diff, Subject::Diff, Some(&routing(&diff))));
}

#[test]
fn json_plan() {
    insta::assert_snapshot!(render_plan_json(&plan(false)));
}

#[test]
fn json_drift() {
    insta::assert_snapshot!(render_drift_json(&plan(false)));
}

#[test]
fn a_saved_plan_reads_back_unchanged() {
    let plan = plan(true);
    let read: Plan = serde_json::from_str(&render_plan_json(&plan)).unwrap();
    assert_eq!(read, plan);
}

#[test]
fn no_changes_says_so() {
    let t: Topology = serde_yaml::from_str(DESIRED).unwrap();
    let plan = plan_changes(&t, &t, PlanInputs::default());
    assert_eq!(
        render_text(&plan, Subject::Plan, TextLayout::PLAIN),
        "No changes. The broker matches the files.\n"
    );
}
