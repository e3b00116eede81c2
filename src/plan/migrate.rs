//! Migrations: the replace of a queue that holds messages (or may), planned
//! as a move of its messages instead of their loss (`apply --migrate`),
//! and the unfinished migrations a stopped apply left behind. Which queues
//! move, through which temporary queue and shovels, in which steps, with
//! which risks, and what cannot be moved safely, and why. No I/O: the
//! executor (`crate::migrate`) carries a [`Migration`] out.
//!
//! The temporary queue is a plain durable queue without arguments, neither
//! the old queue's properties nor the new ones: without a TTL, an expiry or
//! a length limit nothing expires, is dropped or is dead-lettered while it
//! waits there, and as a classic queue it is deleted with the broker's own
//! `if-empty` guard. It is a quorum queue only when the old queue is one,
//! so that messages published as transient survive a broker restart there
//! as they did in the old queue.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Plan, consumers, messages};
use crate::diff::{Action, Object};
use crate::model::{Arguments, ObjectId, Queue, QueueType, Topology};

/// What a temporary queue's name adds to its queue's: deterministic, so a
/// rerun finds the queue a stopped apply left.
pub const TEMPORARY_SUFFIX: &str = ".warren-migrate";

/// The temporary queue of `queue`.
pub fn temporary_queue_name(queue: &str) -> String {
    format!("{queue}{TEMPORARY_SUFFIX}")
}

/// The queue a temporary queue belongs to, if `name` is one.
pub fn migrated_queue_of(name: &str) -> Option<&str> {
    name.strip_suffix(TEMPORARY_SUFFIX)
        .filter(|q| !q.is_empty())
}

/// Which way a shovel moves messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the old queue to the temporary one.
    Out,
    /// From the temporary queue to the new one.
    Back,
}

/// The shovel that moves `queue`'s messages `direction`: one name per
/// direction, so a rerun finds a shovel still running.
pub fn shovel_name(queue: &str, direction: Direction) -> String {
    match direction {
        Direction::Out => format!("warren-migrate-out-{queue}"),
        Direction::Back => format!("warren-migrate-back-{queue}"),
    }
}

/// One step of a migration, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MigrationStep {
    DeclareTemporary,
    BindTemporary,
    UnbindQueue,
    MoveOut,
    DeleteQueue,
    DeclareQueue,
    BindQueue,
    UnbindTemporary,
    MoveBack,
    DeleteTemporary,
}

impl MigrationStep {
    pub const ALL: [MigrationStep; 10] = [
        MigrationStep::DeclareTemporary,
        MigrationStep::BindTemporary,
        MigrationStep::UnbindQueue,
        MigrationStep::MoveOut,
        MigrationStep::DeleteQueue,
        MigrationStep::DeclareQueue,
        MigrationStep::BindQueue,
        MigrationStep::UnbindTemporary,
        MigrationStep::MoveBack,
        MigrationStep::DeleteTemporary,
    ];

    /// The step in words, for queue `queue` and temporary queue `temporary`.
    pub fn describe(self, queue: &str, temporary: &str) -> String {
        match self {
            MigrationStep::DeclareTemporary => format!("declare temporary queue '{temporary}'"),
            MigrationStep::BindTemporary => {
                format!("copy the bindings of '{queue}' to '{temporary}'")
            }
            MigrationStep::UnbindQueue => format!("remove the bindings of '{queue}'"),
            MigrationStep::MoveOut => format!(
                "move the messages of '{queue}' to '{temporary}' (shovel {}, until '{queue}' is empty)",
                shovel_name(queue, Direction::Out)
            ),
            MigrationStep::DeleteQueue => format!("delete '{queue}' once empty"),
            MigrationStep::DeclareQueue => format!("declare '{queue}' with its new properties"),
            MigrationStep::BindQueue => {
                format!("copy the bindings of '{temporary}' back to '{queue}'")
            }
            MigrationStep::UnbindTemporary => format!("remove the bindings of '{temporary}'"),
            MigrationStep::MoveBack => format!(
                "move the messages of '{temporary}' to '{queue}' (shovel {}, until '{temporary}' is empty)",
                shovel_name(queue, Direction::Back)
            ),
            MigrationStep::DeleteTemporary => format!("delete '{temporary}' once empty"),
        }
    }

    /// Its position, from 1, in [`MigrationStep::ALL`].
    pub fn number(self) -> usize {
        self as usize + 1
    }
}

/// What can go wrong for the messages of one queue while they move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "risk")]
pub enum Risk {
    /// The consumers of the old queue are cancelled when it is deleted.
    ConsumersCancelled { consumers: u64 },
    /// `x-message-ttl` on the old or new queue: messages can expire in it
    /// before or after they move.
    MessageTtl { milliseconds: Value },
    /// `x-expires` on the new queue: it is deleted when unused that long.
    QueueExpires { milliseconds: Value },
    /// A length limit on the new queue smaller than the backlog.
    LengthLimit { limit: u64, backlog: u64 },
    /// A byte limit on the new queue: what it keeps depends on sizes.
    ByteLimit { limit: Value },
    /// A shovel is at-least-once, and a message published while the
    /// bindings move can reach both queues.
    Duplicates,
    /// Messages published to the temporary queue while the backlog moves
    /// come before it; requeued messages lose their place.
    Order,
    /// Messages published with a per-message TTL (`expiration`) can expire
    /// while they move.
    PerMessageTtl,
}

impl Risk {
    pub fn describe(&self) -> String {
        match self {
            Risk::ConsumersCancelled { consumers: n } => format!(
                "{} of the old queue cancelled when it is deleted: they must consume from it again",
                consumers(*n)
            ),
            Risk::MessageTtl { milliseconds } => format!(
                "x-message-ttl {milliseconds} ms: messages can expire before or after they move"
            ),
            Risk::QueueExpires { milliseconds } => format!(
                "x-expires {milliseconds} ms on the new queue: it is deleted when unused that long"
            ),
            Risk::LengthLimit { limit, backlog } => format!(
                "x-max-length {limit} on the new queue, smaller than the backlog of {}: the excess is dropped or dead-lettered",
                messages(*backlog)
            ),
            Risk::ByteLimit { limit } => format!(
                "x-max-length-bytes {limit} on the new queue: messages beyond it are dropped or dead-lettered"
            ),
            Risk::Duplicates => "duplicates: a shovel delivers at least once, and a message published while the bindings move can reach both queues".to_string(),
            Risk::Order => "order: messages published during the migration can come before the backlog, and requeued messages lose their place".to_string(),
            Risk::PerMessageTtl => "messages published with a per-message TTL (expiration) can expire while they move".to_string(),
        }
    }
}

/// Why a queue's messages cannot be moved safely.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum MigrationRefusal {
    /// An auto-delete queue is deleted with its messages when the shovel,
    /// its last consumer, stops.
    AutoDelete,
    /// A stream is read by offset: a shovel does not drain it.
    Stream,
    /// The temporary queue's name is taken by a queue that is not one a
    /// migration left.
    TemporaryNameTaken { temporary: String, why: String },
    /// The broker has no shovel plugin.
    ShovelPluginMissing,
}

impl MigrationRefusal {
    pub fn describe(&self) -> String {
        match self {
            MigrationRefusal::AutoDelete => "it is auto-delete: the broker would delete it, with its messages, when the shovel (its last consumer) stops".to_string(),
            MigrationRefusal::Stream => "it is a stream: a shovel reads a stream from an offset and never drains it".to_string(),
            MigrationRefusal::TemporaryNameTaken { temporary, why } => {
                format!("the temporary queue's name '{temporary}' is taken: {why}")
            }
            MigrationRefusal::ShovelPluginMissing => "the broker has no shovel plugin: enable rabbitmq_shovel and rabbitmq_shovel_management".to_string(),
        }
    }
}

/// The move of one queue's messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Migration {
    pub vhost: String,
    pub queue: String,
    /// The temporary queue, as it is declared.
    pub temporary: Queue,
    /// The queue as it will be.
    pub after: Queue,
    /// The steps left, in order: all of them, or the second half when
    /// the old queue is gone (an unfinished migration).
    pub steps: Vec<MigrationStep>,
    /// The messages in the old queue, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<u64>,
    /// The messages already in the temporary queue (an unfinished
    /// migration), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temporary_messages: Option<u64>,
    /// True when a stopped apply left this migration (its temporary queue).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unfinished: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub risks: Vec<Risk>,
    /// Why it cannot be carried out; `apply --migrate` then refuses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refusals: Vec<MigrationRefusal>,
}

impl Migration {
    pub fn id(&self) -> ObjectId {
        ObjectId::Queue {
            vhost: self.vhost.clone(),
            name: self.queue.clone(),
        }
    }

    /// True when the old queue is still there and moves out first.
    pub fn moves_out(&self) -> bool {
        self.steps.contains(&MigrationStep::MoveOut)
    }
}

/// What the broker offers that migrations need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MigrationFacts {
    pub shovel_plugin: bool,
}

/// The temporary queue for `old`: durable, without arguments, quorum when
/// `old` is quorum (see the module's comment).
pub fn temporary_queue(old: Option<&Queue>, vhost: &str, queue: &str) -> Queue {
    let quorum = old.is_some_and(|q| QueueType::of_normal(q) == Some(QueueType::Quorum));
    let mut arguments = Arguments::new();
    arguments.insert(
        "x-queue-type".into(),
        Value::from(if quorum { "quorum" } else { "classic" }),
    );
    Queue {
        name: temporary_queue_name(queue),
        vhost: vhost.to_string(),
        durable: true,
        auto_delete: false,
        arguments,
        declared_type: None,
    }
}

/// Why a live queue named like a temporary queue is not one a migration
/// declared, if it is not.
fn not_a_temporary_queue(live: &Queue) -> Option<String> {
    if !live.durable || live.auto_delete {
        return Some("it is not durable, or is auto-delete".to_string());
    }
    let foreign: Vec<&String> = live
        .arguments
        .keys()
        .filter(|k| k.as_str() != "x-queue-type")
        .collect();
    if !foreign.is_empty() {
        return Some(format!(
            "it has arguments ({}) a migration never gives it",
            foreign
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    match QueueType::of_normal(live) {
        Some(QueueType::Classic | QueueType::Quorum) => None,
        _ => Some("it is not a classic or quorum queue".to_string()),
    }
}

/// The risks for `messages` moving from `before` (absent when gone) to `after`.
fn risks_of(
    before: Option<&Queue>,
    after: &Queue,
    messages: Option<u64>,
    consumers: Option<u64>,
) -> Vec<Risk> {
    let mut risks = Vec::new();
    if let Some(n) = consumers.filter(|&n| n > 0) {
        risks.push(Risk::ConsumersCancelled { consumers: n });
    }
    let ttl = after
        .arguments
        .get("x-message-ttl")
        .or_else(|| before.and_then(|b| b.arguments.get("x-message-ttl")));
    if let Some(ttl) = ttl {
        risks.push(Risk::MessageTtl {
            milliseconds: ttl.clone(),
        });
    }
    if let Some(expires) = after.arguments.get("x-expires") {
        risks.push(Risk::QueueExpires {
            milliseconds: expires.clone(),
        });
    }
    if let (Some(limit), Some(backlog)) = (
        after.arguments.get("x-max-length").and_then(Value::as_u64),
        messages,
    ) {
        if limit < backlog {
            risks.push(Risk::LengthLimit { limit, backlog });
        }
    }
    if let Some(limit) = after.arguments.get("x-max-length-bytes") {
        risks.push(Risk::ByteLimit {
            limit: limit.clone(),
        });
    }
    risks.push(Risk::PerMessageTtl);
    risks.push(Risk::Duplicates);
    risks.push(Risk::Order);
    risks
}

/// Why `queue` (its live side `before`, its new side `after`) cannot move.
fn refusals_of(
    before: Option<&Queue>,
    after: &Queue,
    temporary_taken: Option<String>,
    facts: MigrationFacts,
) -> Vec<MigrationRefusal> {
    let mut refusals = Vec::new();
    if before.is_some_and(|q| q.auto_delete) || after.auto_delete {
        refusals.push(MigrationRefusal::AutoDelete);
    }
    let is_stream = |q: &Queue| QueueType::of_normal(q) == Some(QueueType::Stream);
    if before.is_some_and(is_stream) || is_stream(after) {
        refusals.push(MigrationRefusal::Stream);
    }
    if let Some(why) = temporary_taken {
        refusals.push(MigrationRefusal::TemporaryNameTaken {
            temporary: temporary_queue_name(&after.name),
            why,
        });
    }
    if !facts.shovel_plugin {
        refusals.push(MigrationRefusal::ShovelPluginMissing);
    }
    refusals
}

impl Plan {
    /// Plans the migrations: one for each queue a replace drops with
    /// messages in it (or maybe: an unknown count), and one for each
    /// temporary queue a stopped migration left whose queue the files
    /// declare. That temporary queue's own change (unmanaged, or pruned)
    /// leaves the plan: it belongs to the migration. `live` is the
    /// topology the plan was made against; `temporary_counts` the live
    /// message counts of temporary queues, by (vhost, name).
    pub fn plan_migrations(
        &mut self,
        live: &Topology,
        temporary_counts: &std::collections::BTreeMap<(String, String), Option<u64>>,
        facts: MigrationFacts,
    ) {
        let declared = |vhost: &str, name: &str| -> Option<Queue> {
            self.changes.iter().find_map(|c| match (&c.id, &c.after) {
                (ObjectId::Queue { vhost: v, name: n }, Some(Object::Queue(q)))
                    if v == vhost && n == name =>
                {
                    Some(q.clone())
                }
                _ => None,
            })
        };
        let live_queue = |vhost: &str, name: &str| -> Option<&Queue> {
            live.queues
                .iter()
                .find(|q| q.vhost == vhost && q.name == name)
        };
        let mut migrations = Vec::new();
        // Queues whose temporary queue is left: their temporary queue's
        // change is dropped from the plan below.
        let mut adopted: Vec<ObjectId> = Vec::new();

        for change in &self.changes {
            let ObjectId::Queue { vhost, name } = &change.id else {
                continue;
            };
            if change.action != Action::Replace {
                continue;
            }
            let (Some(Object::Queue(before)), Some(Object::Queue(after))) =
                (&change.before, &change.after)
            else {
                continue;
            };
            let temporary = temporary_queue(Some(before), vhost, name);
            let left = live_queue(vhost, &temporary.name);
            let taken = taken_because(declared(vhost, &temporary.name).is_some(), left, &temporary);
            // An empty queue is simply replaced, unless a stopped
            // migration's temporary queue holds its messages.
            if change.messages == Some(0) && (left.is_none() || taken.is_some()) {
                continue;
            }
            if left.is_some() && taken.is_none() {
                adopted.push(temporary.id());
            }
            migrations.push(Migration {
                vhost: vhost.clone(),
                queue: name.clone(),
                steps: MigrationStep::ALL.to_vec(),
                messages: change.messages,
                temporary_messages: left.and_then(|_| {
                    temporary_counts
                        .get(&(vhost.clone(), temporary.name.clone()))
                        .copied()
                        .flatten()
                }),
                unfinished: left.is_some() && taken.is_none(),
                risks: risks_of(Some(before), after, change.messages, change.consumers),
                refusals: refusals_of(Some(before), after, taken, facts),
                temporary,
                after: after.clone(),
            });
        }

        // Temporary queues left by a migration stopped after its old queue
        // went (or whose new queue is in place already).
        for left in &live.queues {
            let Some(queue) = migrated_queue_of(&left.name) else {
                continue;
            };
            if migrations
                .iter()
                .any(|m| m.vhost == left.vhost && m.queue == queue)
            {
                continue;
            }
            let Some(after) = desired_queue(self, live, &left.vhost, queue) else {
                continue; // not a queue the files declare: left alone
            };
            if declared(&left.vhost, &left.name).is_some() || not_a_temporary_queue(left).is_some()
            {
                continue; // a queue of its own
            }
            adopted.push(left.id());
            migrations.push(Migration {
                vhost: left.vhost.clone(),
                queue: queue.to_string(),
                temporary: left.clone(),
                steps: MigrationStep::ALL[MigrationStep::DeclareQueue as usize..].to_vec(),
                messages: None,
                temporary_messages: temporary_counts
                    .get(&(left.vhost.clone(), left.name.clone()))
                    .copied()
                    .flatten(),
                unfinished: true,
                risks: risks_of(None, &after, None, None),
                refusals: refusals_of(None, &after, None, facts),
                after,
            });
        }
        // The temporary queues' bindings belong to their migration too.
        let adopted_binding = |id: &ObjectId| match id {
            ObjectId::Binding {
                vhost,
                destination_type: crate::model::DestinationType::Queue,
                destination,
                ..
            } => adopted.contains(&ObjectId::Queue {
                vhost: vhost.clone(),
                name: destination.clone(),
            }),
            _ => false,
        };
        self.changes
            .retain(|c| !adopted.contains(&c.id) && !adopted_binding(&c.id));
        self.summary = super::Summary::of(&self.changes);
        self.summary.unfinished_migrations = migrations
            .iter()
            .filter(|m| m.unfinished && !m.moves_out())
            .count();
        self.migrations = migrations;
    }

    /// Records what the broker offers, learnt after the migrations were
    /// planned: each migration it cannot carry out says why.
    pub fn note_migration_facts(&mut self, facts: MigrationFacts) {
        for migration in &mut self.migrations {
            if !facts.shovel_plugin
                && !migration
                    .refusals
                    .contains(&MigrationRefusal::ShovelPluginMissing)
            {
                migration
                    .refusals
                    .push(MigrationRefusal::ShovelPluginMissing);
            }
        }
    }

    /// Keeps only the unfinished migrations: what a plan shows and does
    /// without `--migrate` (a replace is then carried out as one).
    pub fn keep_unfinished_migrations(&mut self) {
        self.migrations.retain(|m| m.unfinished);
    }

    /// The migration of queue `id`, when the plan has one.
    pub fn migration_of(&self, id: &ObjectId) -> Option<&Migration> {
        self.migrations.iter().find(|m| &m.id() == id)
    }
}

/// Why the temporary queue's name is taken, if it is: declared in the
/// files, or a live queue a migration would not have declared.
fn taken_because(declared: bool, left: Option<&Queue>, _temporary: &Queue) -> Option<String> {
    if declared {
        return Some("the files declare a queue of that name".to_string());
    }
    left.and_then(not_a_temporary_queue)
        .map(|why| format!("a queue of that name exists and {why}"))
}

/// The queue `name` as the files declare it: from its change, or, when it
/// is unchanged, from the live side (then the same).
fn desired_queue(plan: &Plan, live: &Topology, vhost: &str, name: &str) -> Option<Queue> {
    let id = ObjectId::Queue {
        vhost: vhost.to_string(),
        name: name.to_string(),
    };
    if let Some(change) = plan.changes.iter().find(|c| c.id == id) {
        return match (&change.action, &change.after) {
            (Action::Create | Action::Replace, Some(Object::Queue(q))) => Some(q.clone()),
            _ => None, // unmanaged, or pruned: not declared
        };
    }
    // No change: declared and identical, when the plan's vhosts hold it.
    if !plan.vhosts.iter().any(|v| v == vhost) {
        return None;
    }
    live.queues
        .iter()
        .find(|q| q.vhost == vhost && q.name == name)
        .cloned()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::plan::fixtures::{broker, topology};
    use crate::plan::plan_changes;

    const FACTS: MigrationFacts = MigrationFacts {
        shovel_plugin: true,
    };

    fn planned(desired: &str, live: &str, messages: Option<u64>) -> Plan {
        let live = topology(live);
        let mut plan = plan_changes(&topology(desired), &live, broker("3.10.8"));
        plan.set_message_counts(&BTreeMap::from([(
            ("/".into(), "order.events".into()),
            messages,
        )]));
        plan.plan_migrations(&live, &BTreeMap::new(), FACTS);
        plan
    }

    const CLASSIC: &str = "vhosts: [{name: /}]\nqueues: [{name: order.events}]";
    const QUORUM: &str = "vhosts: [{name: /}]\nqueues: [{name: order.events, arguments: {x-queue-type: quorum, x-dead-letter-exchange: dlx, x-max-length: 10}}]";

    #[test]
    fn a_replaced_queue_with_messages_is_migrated_in_ten_steps_with_its_risks() {
        let plan = planned(QUORUM, CLASSIC, Some(25));
        let [m] = plan.migrations.as_slice() else {
            panic!("{:?}", plan.migrations)
        };
        assert_eq!(m.steps, MigrationStep::ALL);
        assert_eq!(m.temporary.name, "order.events.warren-migrate");
        assert_eq!(m.temporary.arguments["x-queue-type"], "classic");
        assert!(m.refusals.is_empty());
        assert!(m.risks.contains(&Risk::LengthLimit {
            limit: 10,
            backlog: 25
        }));
        assert!(m.risks.contains(&Risk::Duplicates));
        assert!(!m.unfinished);
    }

    #[test]
    fn an_empty_classic_queue_is_replaced_not_migrated() {
        assert!(planned(QUORUM, CLASSIC, Some(0)).migrations.is_empty());
    }

    #[test]
    fn what_cannot_move_safely_is_refused_with_the_reason() {
        let auto = "vhosts: [{name: /}]\nqueues: [{name: order.events, auto_delete: true}]";
        let plan = planned(QUORUM, auto, Some(3));
        assert_eq!(plan.migrations[0].refusals, [MigrationRefusal::AutoDelete]);

        let live = topology(CLASSIC);
        let mut plan = plan_changes(&topology(QUORUM), &live, broker("3.10.8"));
        plan.set_message_counts(&BTreeMap::from([(
            ("/".into(), "order.events".into()),
            Some(3),
        )]));
        plan.plan_migrations(
            &live,
            &BTreeMap::new(),
            MigrationFacts {
                shovel_plugin: false,
            },
        );
        assert_eq!(
            plan.migrations[0].refusals,
            [MigrationRefusal::ShovelPluginMissing]
        );

        let taken = "vhosts: [{name: /}]\nqueues: [{name: order.events}, {name: order.events.warren-migrate, arguments: {x-message-ttl: 5}}]";
        let plan = planned(
            "vhosts: [{name: /}]\nqueues: [{name: order.events, arguments: {x-queue-type: quorum}}]",
            taken,
            Some(3),
        );
        let refusal = plan.migrations[0].refusals[0].describe();
        assert!(
            refusal.contains("'order.events.warren-migrate' is taken")
                && refusal.contains("x-message-ttl"),
            "{refusal}"
        );
    }

    #[test]
    fn a_temporary_queue_left_behind_is_an_unfinished_migration_not_an_unmanaged_queue() {
        // The old queue is gone: the files' queue is created, and the
        // temporary queue's messages move back.
        let live = "vhosts: [{name: /}]\nqueues: [{name: order.events.warren-migrate}]";
        let plan = planned(QUORUM, live, None);
        let [m] = plan.migrations.as_slice() else {
            panic!("{:?}", plan.migrations)
        };
        assert!(m.unfinished);
        assert_eq!(m.steps[0], MigrationStep::DeclareQueue);
        assert!(
            plan.changes.iter().all(|c| c.action != Action::Unmanaged),
            "{:?}",
            plan.changes
        );
        assert_eq!(plan.summary.unfinished_migrations, 1);
        // Its bindings too, even with --prune.
        let live = "vhosts: [{name: /}]\nexchanges: [{name: events, type: topic}]\nqueues: [{name: order.events}, {name: order.events.warren-migrate}]\nbindings: [{source: events, destination: order.events.warren-migrate, routing_key: 'order.*'}]";
        let desired = "vhosts: [{name: /}]\nexchanges: [{name: events, type: topic}]\nqueues: [{name: order.events, arguments: {x-queue-type: quorum}}]\nbindings: [{source: events, destination: order.events, routing_key: 'order.*'}]";
        let live_topology = topology(live);
        let mut inputs = broker("3.10.8");
        inputs.prune = true;
        let mut plan = plan_changes(&topology(desired), &live_topology, inputs);
        plan.set_message_counts(&BTreeMap::from([(
            ("/".into(), "order.events".into()),
            Some(0),
        )]));
        plan.plan_migrations(&live_topology, &BTreeMap::new(), FACTS);
        assert_eq!(
            plan.migrations.len(),
            1,
            "an emptied queue whose messages wait in the temporary one"
        );
        assert_eq!(plan.migrations[0].steps, MigrationStep::ALL);
        assert!(
            plan.changes
                .iter()
                .all(|c| !c.id.to_string().contains("warren-migrate")),
            "{:?}",
            plan.changes
        );
        // New queue already in place: still unfinished, so not "No changes".
        let live = format!("{QUORUM}\n").replace(
            "queues: [",
            "queues: [{name: order.events.warren-migrate}, ",
        );
        let plan = planned(QUORUM, &live, None);
        assert_eq!(plan.migrations.len(), 1);
        assert!(!plan.is_empty());
    }

    #[test]
    fn a_queue_named_like_a_temporary_one_whose_queue_is_not_declared_is_left_alone() {
        let live = "vhosts: [{name: /}]\nqueues: [{name: other.warren-migrate}]";
        let plan = planned("vhosts: [{name: /}]", live, None);
        assert!(plan.migrations.is_empty());
        assert_eq!(plan.summary.unmanaged, 1);
    }
}
