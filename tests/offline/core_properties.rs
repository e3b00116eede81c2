//! Properties of the pure core, on generated topologies:
//! normalising twice changes nothing; a topology compared with itself has
//! no changes; and simulating a plan on the live model yields the desired
//! model (with `--prune`), or the desired model plus the unmanaged objects.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::Value;
use warren::diff::Action;
use warren::model::{
    Arguments, Binding, DestinationType, Exchange, Policy, Queue, Topology, Vhost,
};
use warren::normalize::normalize;
use warren::plan::{BrokerInfo, PlanInputs, fingerprint, plan_changes, simulate};

const VHOSTS: &[&str] = &["/", "v1"];
const EXCHANGES: &[&str] = &["events", "audit", "dlx"];
const QUEUES: &[&str] = &["q1", "q2", "q3", "jobs"];
const TYPES: &[&str] = &["direct", "topic", "fanout", "headers"];
const KEYS: &[&str] = &["", "a", "a.*", "#"];

fn arguments() -> impl Strategy<Value = Arguments> {
    prop::collection::btree_map(
        prop::sample::select(vec![
            "x-message-ttl",
            "x-max-length",
            "x-dead-letter-exchange",
            "x-queue-type",
        ]),
        prop::sample::select(vec![
            Value::from(1000),
            Value::from(5),
            Value::from("dlx"),
            Value::from("classic"),
            Value::from("quorum"),
        ]),
        0..3,
    )
    .prop_map(|m| m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn exchange() -> impl Strategy<Value = Exchange> {
    (
        prop::sample::select(VHOSTS),
        prop::sample::select(EXCHANGES),
        prop::sample::select(TYPES),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(vhost, name, kind, durable, internal)| Exchange {
            name: name.into(),
            vhost: vhost.into(),
            kind: kind.into(),
            durable,
            auto_delete: false,
            internal,
            arguments: Arguments::new(),
        })
}

fn queue() -> impl Strategy<Value = Queue> {
    (
        prop::sample::select(VHOSTS),
        prop::sample::select(QUEUES),
        any::<bool>(),
        arguments(),
    )
        .prop_map(|(vhost, name, durable, arguments)| Queue {
            name: name.into(),
            vhost: vhost.into(),
            durable,
            auto_delete: false,
            arguments,
            declared_type: None,
        })
}

fn binding() -> impl Strategy<Value = Binding> {
    (
        prop::sample::select(VHOSTS),
        prop::sample::select(EXCHANGES),
        prop::sample::select([QUEUES, EXCHANGES].concat()),
        prop::sample::select(KEYS),
    )
        .prop_map(|(vhost, source, destination, key)| Binding {
            source: source.into(),
            destination_type: if EXCHANGES.contains(&destination) {
                DestinationType::Exchange
            } else {
                DestinationType::Queue
            },
            destination: destination.into(),
            routing_key: key.into(),
            arguments: Arguments::new(),
            vhost: vhost.into(),
        })
}

fn policy() -> impl Strategy<Value = Policy> {
    (
        prop::sample::select(VHOSTS),
        prop::sample::select(vec!["p1", "p2"]),
        0i64..3,
        prop::sample::select(vec!["queues", "all"]),
    )
        .prop_map(|(vhost, name, priority, apply_to)| Policy {
            name: name.into(),
            vhost: vhost.into(),
            pattern: "^q".into(),
            apply_to: apply_to.into(),
            priority,
            definition: BTreeMap::from([("max-length".to_string(), Value::from(priority * 10))]),
        })
}

/// A topology without duplicate identities and with every binding's ends
/// declared, as validation guarantees for desired ones and the broker for
/// live ones.
fn topology() -> impl Strategy<Value = Topology> {
    (
        prop::collection::vec(exchange(), 0..6),
        prop::collection::vec(queue(), 0..8),
        prop::collection::vec(binding(), 0..10),
        prop::collection::vec(policy(), 0..3),
    )
        .prop_map(|(exchanges, queues, bindings, policies)| {
            let mut t = Topology {
                vhosts: VHOSTS.iter().map(|v| Vhost::new(*v)).collect(),
                exchanges,
                queues,
                bindings,
                policies,
                ..Topology::default()
            };
            dedup(&mut t);
            t
        })
}

fn dedup(t: &mut Topology) {
    let mut seen = std::collections::BTreeSet::new();
    t.exchanges.retain(|e| seen.insert(e.id()));
    t.queues.retain(|q| seen.insert(q.id()));
    t.policies.retain(|p| seen.insert(p.id()));
    let declared = seen.clone();
    t.bindings.retain(|b| {
        declared.contains(&b.source_id())
            && declared.contains(&b.destination_id())
            && seen.insert(b.id())
    });
}

fn against_broker(prune: bool) -> PlanInputs {
    PlanInputs {
        broker: Some(BrokerInfo {
            url: "http://localhost:15672".into(),
            version: "3.13.7".into(),
        }),
        prune,
        ..PlanInputs::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn normalising_twice_changes_nothing(t in topology()) {
        let once = normalize(&t);
        prop_assert_eq!(normalize(&once), once);
    }

    #[test]
    fn a_topology_compared_with_itself_has_no_changes(t in topology()) {
        let plan = plan_changes(&t, &t, against_broker(true));
        prop_assert!(plan.changes.is_empty(), "{:#?}", plan.changes);
    }

    #[test]
    fn simulating_a_pruning_plan_yields_the_desired_topology(
        desired in topology(),
        live in topology(),
    ) {
        let plan = plan_changes(&desired, &live, against_broker(true));
        let after = simulate(&live, &plan);
        prop_assert_eq!(fingerprint(&after, &BTreeMap::new()), fingerprint(&desired, &BTreeMap::new()),
            "after: {:#?}\ndesired: {:#?}", after, normalize(&desired));
    }

    #[test]
    fn without_prune_only_unmanaged_objects_remain(
        desired in topology(),
        live in topology(),
    ) {
        let plan = plan_changes(&desired, &live, against_broker(false));
        let after = simulate(&live, &plan);
        let again = plan_changes(&desired, &after, against_broker(false));
        prop_assert!(
            again.changes.iter().all(|c| c.action == Action::Unmanaged),
            "{:#?}", again.changes
        );
    }
}
