//! What the connected broker will refuse, known once it has been read: its
//! version, the exchange types its plugins enable, the default queue type
//! of each vhost the files leave to it, and the users it has. `plan`,
//! `apply` and `drift` refuse such files before anything changes, naming
//! the object, the key and the way out, instead of an apply that
//! half-completes.
//!
//! Pure: the facts about the broker come in as a value; no I/O.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::arguments::{self, plugin_of_exchange_type};
use super::{Findings, ObjectRef, Section, at};
use crate::model::{
    BrokerVersion, Parameter, Policy, Queue, QueueType, Topology, effective_type_name,
};

/// What warren knows about the connected broker.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrokerFacts {
    pub version: BrokerVersion,
    /// The exchange types it offers (`/api/overview`): the four of AMQP and
    /// those of enabled plugins. Empty when unknown.
    pub exchange_types: Vec<String>,
    /// The default queue type of each of its vhosts that has one.
    pub default_queue_types: BTreeMap<String, String>,
    /// The management extensions it serves (`/api/extensions`:
    /// `shovel.js`, `federation.js`), when read (files with parameters).
    pub extensions: Option<Vec<String>>,
    /// Its users, when read: when the files grant permissions to users
    /// they do not declare, which the broker must then have.
    pub users: Option<BTreeSet<String>>,
}

impl BrokerFacts {
    fn offers_exchange_type(&self, kind: &str) -> bool {
        self.exchange_types.is_empty() || self.exchange_types.iter().any(|t| t == kind)
    }

    /// The federation plugin adds the `x-federation-upstream` exchange type.
    fn has_federation(&self) -> bool {
        self.offers_exchange_type("x-federation-upstream")
    }

    fn describe(&self) -> String {
        format!("the broker (RabbitMQ {})", self.version)
    }
}

/// Every finding about `topology` that depends on the broker it is planned
/// against: errors for what it would refuse.
pub fn check_against(topology: &Topology, broker: &BrokerFacts) -> Vec<super::Finding> {
    let mut out = Findings::default();
    let files_default: BTreeMap<&str, &str> = topology
        .vhosts
        .iter()
        .filter_map(|v| Some((v.name.as_str(), v.default_queue_type.as_deref()?)))
        .collect();
    for (index, exchange) in topology.exchanges.iter().enumerate() {
        let kind = exchange.kind.as_str();
        if !broker.offers_exchange_type(kind) {
            let enable = match plugin_of_exchange_type(kind) {
                Some(plugin) => format!("enable the plugin {plugin}"),
                None => "enable the plugin that provides it".to_string(),
            };
            out.error(
                at(Section::Exchanges, index),
                &["type"],
                format!(
                    "exchange type '{kind}' is not enabled on {}, which offers {}: {enable} \
                     (rabbitmq-plugins enable …), or choose another type",
                    broker.describe(),
                    broker.exchange_types.join(", ")
                ),
            );
        }
    }
    for (index, queue) in topology.queues.iter().enumerate() {
        let vhost_default = files_default
            .get(queue.vhost.as_str())
            .copied()
            .or_else(|| {
                broker
                    .default_queue_types
                    .get(&queue.vhost)
                    .map(String::as_str)
            });
        check_queue(
            queue,
            vhost_default,
            at(Section::Queues, index),
            broker,
            &mut out,
        );
    }
    for (index, policy) in topology.policies.iter().enumerate() {
        check_policy(policy, at(Section::Policies, index), broker, &mut out);
    }
    for (index, parameter) in topology.parameters().iter().enumerate() {
        check_parameter(parameter, at(Section::Parameters, index), broker, &mut out);
    }
    check_grantees(topology, broker, &mut out);
    out.0
}

/// The users the files grant permissions to without declaring them, each
/// once, sorted: the broker must have them.
pub fn undeclared_grantees(topology: &Topology) -> BTreeSet<&str> {
    let declared: BTreeSet<&str> = topology.users().iter().map(|u| u.name.as_str()).collect();
    topology
        .permissions()
        .iter()
        .map(|p| p.user.as_str())
        .chain(topology.topic_permissions().iter().map(|p| p.user.as_str()))
        .filter(|user| !declared.contains(user))
        .collect()
}

/// A permission or topic permission of a user that neither the files nor
/// the broker have: the broker refuses it ("vhost_or_user_not_found").
fn check_grantees(topology: &Topology, broker: &BrokerFacts, out: &mut Findings) {
    let Some(users) = &broker.users else {
        return;
    };
    let undeclared = undeclared_grantees(topology);
    let grants = topology
        .permissions()
        .iter()
        .enumerate()
        .map(|(index, p)| (at(Section::Permissions, index), p.user.as_str()))
        .chain(
            topology
                .topic_permissions()
                .iter()
                .enumerate()
                .map(|(index, p)| (at(Section::TopicPermissions, index), p.user.as_str())),
        );
    for (at, user) in grants {
        if undeclared.contains(user) && !users.contains(user) {
            out.error(
                at,
                &["user"],
                format!(
                    "user '{user}' is neither declared in the files (users) nor on {}, which \
                     refuses a permission of a user it does not have: declare the user, or \
                     create it first",
                    broker.describe()
                ),
            );
        }
    }
}

/// The plugin a component needs, and the operator policy keys the broker
/// takes.
fn check_parameter(parameter: &Parameter, at: ObjectRef, broker: &BrokerFacts, out: &mut Findings) {
    let component = parameter.component.as_str();
    let missing = match component {
        "shovel" => broker
            .extensions
            .as_ref()
            .is_some_and(|e| !e.iter().any(|x| x == "shovel.js"))
            .then_some("rabbitmq_shovel and rabbitmq_shovel_management"),
        "federation-upstream" | "federation-upstream-set" => {
            (!broker.has_federation()).then_some("rabbitmq_federation")
        }
        _ => None,
    };
    if let Some(plugin) = missing {
        out.error(
            at,
            &["component"],
            format!(
                "a {component} needs a plugin {} has not enabled: enable {plugin} \
                 (rabbitmq-plugins enable …); the broker refuses it (component {component} not \
                 found)",
                broker.describe()
            ),
        );
    }
    let refused = super::components::keys_refused_by(component, &parameter.value, &broker.version);
    if !refused.is_empty() {
        out.error(
            at,
            &["value"],
            format!(
                "{} refuses the key{} {} in a {component} (\"Unrecognised terms\"): remove {}",
                broker.describe(),
                if refused.len() == 1 { "" } else { "s" },
                refused.join(", "),
                if refused.len() == 1 { "it" } else { "them" },
            ),
        );
    }
    if component == "operator_policy" {
        let Some(definition) = parameter.value.get("definition").and_then(Value::as_object) else {
            return;
        };
        for key in definition.keys() {
            let taken = match key.as_str() {
                "ha-mode" | "ha-params" | "ha-sync-mode" => {
                    broker.version.at_least(3, 12, 0) && !broker.version.at_least(4, 0, 0)
                }
                "overflow" | "queue-version" | "target-group-size" => {
                    broker.version.at_least(3, 13, 0)
                }
                _ => true,
            };
            if !taken {
                out.error(
                    at,
                    &["value"],
                    format!(
                        "{} refuses '{key}' in an operator policy (operator policies take it \
                         {}): remove it, or set it in a policy",
                        broker.describe(),
                        if key.starts_with("ha-") {
                            "from 3.12 to 3.13, and 4.0 removed classic queue mirroring"
                        } else {
                            "from 3.13"
                        }
                    ),
                );
            }
        }
    }
}

fn check_queue(
    queue: &Queue,
    vhost_default: Option<&str>,
    at: ObjectRef,
    broker: &BrokerFacts,
    out: &mut Findings,
) {
    let version = &broker.version;
    let Some((name, explicit)) = effective_type_name(queue, vhost_default) else {
        return;
    };
    let Some(kind) = QueueType::parse(name) else {
        return;
    };
    // Offline, a queue without x-queue-type in a vhost whose default the
    // files leave unset was only assumed classic: with the broker's
    // default known, an argument its real type refuses is an error now.
    if !explicit && kind == QueueType::Classic {
        for key in queue.arguments.keys() {
            let Some(known) = arguments::queue_argument_named(key) else {
                continue;
            };
            if !known.types.contains(&kind) {
                out.error(
                    at,
                    &["arguments", key],
                    format!(
                        "{key} is not supported by classic queues, which this queue is on {} \
                         (vhost '{}' has no other default queue type there): the broker refuses \
                         it; set x-queue-type",
                        broker.describe(),
                        queue.vhost
                    ),
                );
            }
        }
    }
    if kind == QueueType::Classic
        && queue.arguments.contains_key("x-queue-leader-locator")
        && !version.at_least(4, 0, 0)
    {
        out.error(
            at,
            &["arguments", "x-queue-leader-locator"],
            format!(
                "x-queue-leader-locator is refused on classic queues by {}: classic queues take \
                 it from RabbitMQ 4.0; remove it, or use x-queue-master-locator",
                broker.describe()
            ),
        );
    }
    if version.at_least(4, 3, 0) {
        if !queue.durable && !queue.auto_delete {
            out.error(
                at,
                &["durable"],
                format!(
                    "{} refuses non-durable queues that are not exclusive by default \
                     (the deprecated feature transient_nonexcl_queues is denied from 4.3): \
                     make it durable",
                    broker.describe()
                ),
            );
        }
        if queue.arguments.contains_key("x-queue-mode") {
            out.error(
                at,
                &["arguments", "x-queue-mode"],
                format!(
                    "{} refuses x-queue-mode (from 4.3): remove it",
                    broker.describe()
                ),
            );
        }
        if queue
            .arguments
            .get("x-queue-version")
            .and_then(Value::as_i64)
            == Some(1)
        {
            out.error(
                at,
                &["arguments", "x-queue-version"],
                format!(
                    "{} refuses x-queue-version 1 (from 4.3): use 2 or remove it",
                    broker.describe()
                ),
            );
        }
    }
}

fn check_policy(policy: &Policy, at: ObjectRef, broker: &BrokerFacts, out: &mut Findings) {
    check_policy_on_older_brokers(policy, at, broker, out);
    for key in policy.definition.keys() {
        let field = ["definition", key.as_str()];
        if key.starts_with("ha-") && broker.version.at_least(4, 0, 0) {
            out.error(
                at,
                &field,
                format!(
                    "{} refuses '{key}' (not a recognised policy setting): RabbitMQ 4.0 removed \
                     classic queue mirroring; remove the key, and use quorum queues for \
                     replicated queues",
                    broker.describe()
                ),
            );
        }
        if matches!(
            key.as_str(),
            "federation-upstream" | "federation-upstream-set"
        ) && !broker.has_federation()
        {
            out.error(
                at,
                &field,
                format!(
                    "policy key '{key}' needs the federation plugin, which {} has not enabled: \
                     enable rabbitmq_federation (rabbitmq-plugins enable rabbitmq_federation)",
                    broker.describe()
                ),
            );
        }
    }
}

/// What a policy may hold that an older broker refuses, each with the
/// version that takes it: 3.10.8 refuses each one (verified), 4.0.5 takes
/// each one (verified). Where the version that brought it is not known,
/// only what is known to refuse it (3.10) is refused.
const NEWER_POLICY_KEYS: &[(&str, (u32, u32, u32))] = &[
    // 3.10.8: "[{<<"consumer-timeout">>,1000}] are not recognised policy
    // settings"; per-queue consumer timeouts came in 3.11.15.
    ("consumer-timeout", (3, 11, 15)),
    // 3.10.8: "… are not recognised policy settings".
    ("target-group-size", (3, 11, 0)),
    ("stream-filter-size-bytes", (3, 11, 0)),
];

/// The `apply_to` values that came in RabbitMQ 3.12; 3.10.8: "apply-to
/// 'quorum_queues' unrecognised; should be 'queues', 'exchanges' or 'all'".
const NEWER_APPLY_TO: &[&str] = &["classic_queues", "quorum_queues", "streams"];

fn check_policy_on_older_brokers(
    policy: &Policy,
    at: ObjectRef,
    broker: &BrokerFacts,
    out: &mut Findings,
) {
    let version = &broker.version;
    if NEWER_APPLY_TO.contains(&policy.apply_to.as_str()) && !version.at_least(3, 12, 0) {
        out.error(
            at,
            &["apply_to"],
            format!(
                "{} refuses apply_to '{}' (it takes queues, exchanges or all; the narrower \
                 kinds came in RabbitMQ 3.12): use queues",
                broker.describe(),
                policy.apply_to
            ),
        );
    }
    for (key, (major, minor, patch)) in NEWER_POLICY_KEYS {
        if policy.definition.contains_key(*key) && !version.at_least(*major, *minor, *patch) {
            out.error(
                at,
                &["definition", key],
                format!(
                    "{} refuses '{key}' (not a recognised policy setting there; RabbitMQ 4.0 \
                     takes it): remove the key, or upgrade the broker",
                    broker.describe()
                ),
            );
        }
    }
    // 3.10.8: "-1 is not a valid delivery limit"; 4.0, whose quorum queues
    // have a delivery limit of 20 by default, takes -1 for none.
    if policy
        .definition
        .get("delivery-limit")
        .and_then(Value::as_i64)
        == Some(-1)
        && !version.at_least(4, 0, 0)
    {
        out.error(
            at,
            &["definition", "delivery-limit"],
            format!(
                "{} refuses delivery-limit -1 (RabbitMQ 4.0 takes it for no limit): remove the \
                 key, which means no limit there",
                broker.describe()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Severity;

    fn messages(yaml: &str, broker: &BrokerFacts) -> Vec<String> {
        let topology: Topology = serde_yaml::from_str(yaml).unwrap();
        check_against(&topology, broker)
            .into_iter()
            .map(|f| {
                assert_eq!(f.severity, Severity::Error);
                format!(
                    "{}[{}]: {}",
                    f.object.section.key(),
                    f.object.index,
                    f.message
                )
            })
            .collect()
    }

    fn broker(version: &str) -> BrokerFacts {
        BrokerFacts {
            version: version.into(),
            exchange_types: ["direct", "fanout", "headers", "topic"]
                .map(String::from)
                .to_vec(),
            default_queue_types: BTreeMap::new(),
            extensions: Some(vec!["dispatcher.js".into()]),
            users: None,
        }
    }

    #[test]
    fn a_permission_of_a_user_neither_declared_nor_on_the_broker_is_refused() {
        let yaml = "users: [{name: declared}]\npermissions:\n  - {user: declared, vhost: /, configure: '', write: '', read: ''}\n  - {user: there, vhost: /, configure: '', write: '', read: ''}\n  - {user: ghost, vhost: /, configure: '', write: '', read: ''}\ntopic_permissions:\n  - {user: ghost, vhost: /, exchange: amq.topic, write: '', read: ''}";
        let topology: Topology = serde_yaml::from_str(yaml).unwrap();
        assert_eq!(
            undeclared_grantees(&topology),
            BTreeSet::from(["there", "ghost"])
        );
        let facts = BrokerFacts {
            users: Some(BTreeSet::from(["there".to_string(), "guest".to_string()])),
            ..broker("3.10.8")
        };
        let found = check_against(&topology, &facts);
        let said: Vec<(&str, usize, &str)> = found
            .iter()
            .map(|f| (f.object.section.key(), f.object.index, f.message.as_str()))
            .collect();
        let why = "user 'ghost' is neither declared in the files (users) nor on the broker \
                   (RabbitMQ 3.10.8), which refuses a permission of a user it does not have: \
                   declare the user, or create it first";
        assert_eq!(
            said,
            [("permissions", 2, why), ("topic_permissions", 0, why)]
        );
        // Unknown users (not read): nothing said.
        assert!(check_against(&topology, &broker("3.10.8")).is_empty());
    }

    #[test]
    fn a_shovel_or_an_upstream_without_its_plugin_is_refused_naming_it() {
        let yaml = "parameters:\n  - {component: shovel, name: s, value: {src-uri: 'amqp://', src-queue: a, dest-uri: 'amqp://', dest-queue: b}}\n  - {component: federation-upstream, name: u, value: {uri: 'amqp://h'}}";
        let found = messages(yaml, &broker("3.10.8"));
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found[0].contains("enable rabbitmq_shovel and rabbitmq_shovel_management"));
        assert!(found[1].contains("enable rabbitmq_federation"));
        let mut enabled = broker("3.10.8");
        enabled.extensions = Some(vec!["shovel.js".into(), "federation.js".into()]);
        enabled.exchange_types.push("x-federation-upstream".into());
        assert!(messages(yaml, &enabled).is_empty());
    }

    #[test]
    fn operator_policy_keys_are_checked_against_the_version() {
        let yaml = "parameters:\n  - {component: operator_policy, name: o, value: {pattern: x, definition: {ha-mode: all, overflow: drop-head, max-length: 5}}}";
        assert_eq!(messages(yaml, &broker("3.10.8")).len(), 2);
        assert_eq!(messages(yaml, &broker("3.13.7")).len(), 0);
        let on_4 = messages(yaml, &broker("4.0.5"));
        assert_eq!(on_4.len(), 1, "{on_4:#?}");
        assert!(on_4[0].contains("'ha-mode'"));
    }

    #[test]
    fn an_exchange_type_no_enabled_plugin_offers_is_refused_naming_the_plugin() {
        assert_eq!(
            messages(
                "exchanges: [{name: h, type: x-consistent-hash}, {name: t, type: topic}]",
                &broker("3.10.8")
            ),
            [
                "exchanges[0]: exchange type 'x-consistent-hash' is not enabled on the broker \
              (RabbitMQ 3.10.8), which offers direct, fanout, headers, topic: enable the plugin \
              rabbitmq_consistent_hash_exchange (rabbitmq-plugins enable …), or choose another type"
            ]
        );
        // An unknown list of types refuses nothing.
        let unknown = BrokerFacts {
            exchange_types: vec![],
            ..broker("3.10.8")
        };
        assert!(messages("exchanges: [{name: h, type: x-consistent-hash}]", &unknown).is_empty());
    }

    #[test]
    fn federation_policy_keys_need_the_federation_plugin() {
        let yaml = "policies: [{name: f, pattern: x, definition: {federation-upstream-set: all}}]";
        assert_eq!(
            messages(yaml, &broker("3.10.8")),
            [
                "policies[0]: policy key 'federation-upstream-set' needs the federation plugin, \
              which the broker (RabbitMQ 3.10.8) has not enabled: enable rabbitmq_federation \
              (rabbitmq-plugins enable rabbitmq_federation)"
            ]
        );
        let mut federated = broker("3.10.8");
        federated
            .exchange_types
            .push("x-federation-upstream".into());
        assert!(messages(yaml, &federated).is_empty());
    }

    #[test]
    fn ha_keys_are_refused_from_4_0_only() {
        let yaml = "policies: [{name: ha, pattern: x, definition: {ha-mode: all, max-length: 1}}]";
        assert!(messages(yaml, &broker("3.13.7")).is_empty());
        let found = messages(yaml, &broker("4.0.5"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("policies[0]: the broker (RabbitMQ 4.0.5) refuses 'ha-mode'"));
    }

    #[test]
    fn an_argument_the_brokers_default_queue_type_refuses_is_known_at_plan_time() {
        let yaml =
            "vhosts: [{name: v}]\nqueues: [{name: q, vhost: v, arguments: {x-delivery-limit: 3}}]";
        let mut quorum = broker("3.10.8");
        quorum
            .default_queue_types
            .insert("v".into(), "quorum".into());
        assert!(messages(yaml, &quorum).is_empty());
        let found = messages(yaml, &broker("3.10.8"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("x-delivery-limit is not supported by classic queues"));
    }

    #[test]
    fn what_4_3_denies_by_default_is_refused_there_only() {
        let yaml = "queues: [{name: t, durable: false}, {name: m, arguments: {x-queue-mode: lazy}}, {name: v, arguments: {x-queue-version: 1}}]";
        assert!(messages(yaml, &broker("4.2.1")).is_empty());
        assert_eq!(messages(yaml, &broker("4.3.0")).len(), 3);
    }

    #[test]
    fn classic_queues_take_a_leader_locator_from_4_0() {
        let yaml = "queues: [{name: c, arguments: {x-queue-leader-locator: balanced}}]";
        assert_eq!(messages(yaml, &broker("3.10.8")).len(), 1);
        assert!(messages(yaml, &broker("4.0.5")).is_empty());
    }

    #[test]
    fn what_newer_brokers_take_in_a_policy_is_refused_by_older_ones() {
        let yaml = "policies: [\
            {name: a, pattern: x, apply_to: quorum_queues, definition: {max-length: 1}},\
            {name: b, pattern: x, definition: {consumer-timeout: 1000}},\
            {name: c, pattern: x, definition: {target-group-size: 3, stream-filter-size-bytes: 32}},\
            {name: d, pattern: x, definition: {delivery-limit: -1}}]";
        let old = messages(yaml, &broker("3.10.8"));
        assert_eq!(old.len(), 5, "{old:?}");
        assert!(old[0].starts_with(
            "policies[0]: the broker (RabbitMQ 3.10.8) refuses apply_to 'quorum_queues'"
        ));
        assert!(
            old[1].starts_with(
                "policies[1]: the broker (RabbitMQ 3.10.8) refuses 'consumer-timeout'"
            )
        );
        assert!(old[4].contains("refuses delivery-limit -1"));
        assert!(messages(yaml, &broker("4.0.5")).is_empty());
        // Only delivery-limit -1 is refused by 3.13.
        assert_eq!(messages(yaml, &broker("3.13.7")).len(), 1);
    }
}
