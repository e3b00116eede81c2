//! Changes to an ordered, classified plan, and the plan as a value: what
//! it holds, how it is summarised, and the checks made on it before it is
//! carried out.
//!
//! - `order`: execution order, the numbered phases and the schedule of steps.
//! - `safety`: what needs `--allow-recreate` or `--allow-data-loss`.
//! - `fingerprint`: the digest of a topology a saved plan is matched by.
//! - `saved`: whether a plan saved by `plan --out` is the plan made now.
//! - `simulate`: the live topology after a plan, without a broker.
//! - `migrate`: replaces that move a queue's messages (`apply --migrate`).
//!
//! A plan is a plain value, rendered by `render` and carried out by
//! `execute`; it is also the document `plan --out` saves. No I/O.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::diff::{Action, Change, DiffOptions, desired_against, diff};
use crate::model::{BrokerVersion, ObjectId, Topology, Unreadable};
use crate::normalize::{AsNormal, Normal, normalize};

mod fingerprint;
mod migrate;
mod order;
mod safety;
mod saved;
mod simulate;

pub use fingerprint::fingerprint;
pub use migrate::{
    Direction, Migration, MigrationFacts, MigrationRefusal, MigrationStep, Risk, TEMPORARY_SUFFIX,
    migrated_queue_of, shovel_name, temporary_queue_name,
};
pub use order::{Operation, Phase, Schedule, Step, order_changes, phases, schedule};
use safety::is_quorum_queue;
pub use safety::{Allow, ApplyRefusal, Flag, Refusal};
pub use saved::{SavedPlanRefusal, check_files, check_same_plan, read_saved};
pub use simulate::simulate;

/// The version of the plan's JSON document.
pub const FORMAT_VERSION: u32 = 1;

/// Where a plan's live side came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerInfo {
    /// The management API URL, without credentials.
    pub url: String,
    pub version: BrokerVersion,
}

/// A plan: every change, in execution order, with what it was computed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    /// The broker compared with; `None` for an offline diff.
    pub broker: Option<BrokerInfo>,
    /// The topology files, as given.
    pub files: Vec<String>,
    /// The vhosts the files declare: the only ones read and changed.
    pub vhosts: Vec<String>,
    /// A digest of the files' normalised topology, so a saved plan can be
    /// matched with the files it was made from.
    pub desired_fingerprint: String,
    /// A digest of the live state the plan was computed from (`None`
    /// offline); `apply --plan` refuses the plan when the broker changed.
    pub live_fingerprint: Option<String>,
    pub prune: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prune_users: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prune_global_parameters: bool,
    /// Whether queue message counts were read (never offline).
    pub messages_known: bool,
    /// What of the broker the files manage, and so what was read of it: a
    /// saved plan's broker is read again the same way.
    #[serde(default, skip_serializing_if = "Managed::is_empty")]
    pub managed: Managed,
    pub changes: Vec<Change>,
    /// The queues whose messages move instead of being dropped (with
    /// `apply --migrate`), and the migrations a stopped apply left.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub migrations: Vec<Migration>,
    pub summary: Summary,
    /// Whether the migrations already say if the broker has the shovel
    /// plugin (the live read listed its extensions), so nobody needs to
    /// ask it again. Not saved: a saved plan's apply asks.
    #[serde(skip)]
    pub shovel_plugin_known: bool,
}

/// How many changes of each kind a plan holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub unmanaged: usize,
    pub unsupported: usize,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unreadable: usize,
    /// Migrations a stopped apply left, whose old queue is gone: work for
    /// `apply --migrate` that no change shows.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unfinished_migrations: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Summary {
    fn of(changes: &[Change]) -> Summary {
        let mut s = Summary::default();
        for change in changes {
            match change.action {
                Action::Create => s.create += 1,
                Action::Update => s.update += 1,
                Action::Replace => s.replace += 1,
                Action::Delete => s.delete += 1,
                Action::Unmanaged => s.unmanaged += 1,
                Action::Unsupported => s.unsupported += 1,
                Action::Unreadable => s.unreadable += 1,
            }
        }
        s
    }

    /// Changes `apply` would carry out (an unfinished migration is one).
    pub fn changes(&self) -> usize {
        self.create + self.update + self.replace + self.delete + self.unfinished_migrations
    }

    /// Everything that differs, unmanaged objects included (what `drift` counts).
    pub fn differences(&self) -> usize {
        self.changes() + self.unmanaged + self.unsupported + self.unreadable
    }
}

/// The inputs of a plan besides the two topologies.
#[derive(Debug, Clone, Default)]
pub struct PlanInputs {
    pub broker: Option<BrokerInfo>,
    pub files: Vec<String>,
    pub prune: bool,
    /// `--prune-users`: users, permissions and topic permissions.
    pub prune_users: bool,
    /// `--prune-global-parameters`.
    pub prune_global_parameters: bool,
    /// The broker's `properties_key` for each live binding.
    pub binding_keys: BTreeMap<ObjectId, String>,
    /// Live objects that could not be read (absent from the live side).
    pub unreadable: Vec<Unreadable>,
    /// The user warren is connected as (see [`DiffOptions`]), when the
    /// live side is a broker's.
    pub connected_user: Option<String>,
}

/// The desired side of a plan, computed before the live side is known
/// (while the broker is read): the files' topology, its normal form and
/// its fingerprint.
#[derive(Debug, Clone)]
pub struct Desired<'a> {
    files: &'a Topology,
    normal: Normal,
    fingerprint: String,
}

impl<'a> Desired<'a> {
    pub fn new(files: &'a Topology) -> Desired<'a> {
        Desired::of_normal(files, normalize(files))
    }

    fn of_normal(files: &'a Topology, normal: Normal) -> Desired<'a> {
        let fingerprint = fingerprint(&normal, &BTreeMap::new());
        Desired {
            files,
            normal,
            fingerprint,
        }
    }
}

impl<'a> From<&'a Topology> for Desired<'a> {
    fn from(files: &'a Topology) -> Desired<'a> {
        Desired::new(files)
    }
}

/// A topology already in normal form (a simulated one) as the desired side.
impl<'a> From<&'a Normal> for Desired<'a> {
    fn from(normal: &'a Normal) -> Desired<'a> {
        Desired::of_normal(normal, normal.clone())
    }
}

/// Computes the plan that turns `live` into `desired`. `desired` is the
/// files' topology, or its side prepared with [`Desired::new`] while the
/// broker was read; `live` is normalised unless it is [`Normal`] already.
pub fn plan_changes<'a>(
    desired: impl Into<Desired<'a>>,
    live: &impl AsNormal,
    inputs: PlanInputs,
) -> Plan {
    let desired = desired.into();
    let live = live.as_normal();
    let live: &Normal = &live;
    let default_queue_type_mutable = inputs
        .broker
        .as_ref()
        .is_none_or(|b| b.version.at_least(3, 11, 17));
    let Desired {
        files,
        normal,
        fingerprint: desired_fingerprint,
    } = desired;
    // The live fingerprint (a hash of the whole live state) is as much
    // work as the comparison: both run at once, each on a core.
    let (changes, live_fingerprint) = std::thread::scope(|scope| {
        let live_fingerprint = inputs
            .broker
            .is_some()
            .then(|| scope.spawn(|| fingerprint(live, &inputs.binding_keys)));
        let compared = desired_against(files, normal, live);
        let changes = diff(
            &compared,
            live,
            &inputs.binding_keys,
            DiffOptions {
                prune: inputs.prune,
                prune_users: inputs.prune_users,
                prune_global_parameters: inputs.prune_global_parameters,
                default_queue_type_mutable,
                connected_user: inputs.connected_user.as_deref(),
            },
        );
        let live_fingerprint = live_fingerprint.map(|hashing| {
            hashing
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        (
            order_changes(with_unreadable(changes, &inputs.unreadable)),
            live_fingerprint,
        )
    });
    Plan {
        format_version: FORMAT_VERSION,
        broker: inputs.broker,
        files: inputs.files,
        vhosts: files.vhosts.iter().map(|v| v.name.clone()).collect(),
        desired_fingerprint,
        live_fingerprint,
        prune: inputs.prune,
        prune_users: inputs.prune_users,
        prune_global_parameters: inputs.prune_global_parameters,
        messages_known: false,
        managed: Managed::of(files),
        summary: Summary::of(&changes),
        changes,
        migrations: Vec::new(),
        shovel_plugin_known: false,
    }
}

/// `changes` with each unreadable object as a change of its own, instead
/// of whatever was planned for it (its live side was not read, so a
/// declared one would look missing): it is shown, and left alone.
fn with_unreadable(mut changes: Vec<Change>, unreadable: &[Unreadable]) -> Vec<Change> {
    if unreadable.is_empty() {
        return changes;
    }
    let ids: BTreeSet<&ObjectId> = unreadable.iter().map(|u| &u.id).collect();
    changes.retain(|c| !ids.contains(&c.id));
    changes.extend(unreadable.iter().map(Change::unreadable));
    changes
}

/// What a plan deletes of what the broker holds and the files do not
/// declare: each scope needs its own flag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prune {
    /// `--prune`: exchanges, queues, bindings, policies and parameters of
    /// the declared vhosts.
    pub objects: bool,
    /// `--prune-users`: users (never `guest`), and permissions and topic
    /// permissions in the declared vhosts.
    pub users: bool,
    /// `--prune-global-parameters`.
    pub global_parameters: bool,
}

/// The kinds a topology manages beyond the objects of its vhosts: each
/// when the files write it (vhost limits: when a vhost sets them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Managed {
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub vhost_limits: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub users: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub permissions: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub topic_permissions: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub parameters: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub global_parameters: bool,
}

impl Managed {
    pub fn of(files: &Topology) -> Managed {
        Managed {
            vhost_limits: files.vhosts.iter().any(|v| v.limits.is_some()),
            users: files.users.is_some(),
            permissions: files.permissions.is_some(),
            topic_permissions: files.topic_permissions.is_some(),
            parameters: files.parameters.is_some(),
            global_parameters: files.global_parameters.is_some(),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Managed::default()
    }
}

impl Plan {
    /// True when `apply` has nothing to do.
    pub fn is_empty(&self) -> bool {
        self.summary.changes() == 0
    }

    /// The queues a replace or delete would drop: their message counts
    /// must be read before the plan is shown or carried out.
    pub fn queues_dropped(&self) -> Vec<(String, String)> {
        self.changes
            .iter()
            .filter(|c| c.drops_queue())
            .filter_map(|c| match &c.id {
                ObjectId::Queue { vhost, name } => Some((vhost.clone(), name.clone())),
                _ => None,
            })
            .collect()
    }

    /// Records the live message counts of the dropped queues. A quorum
    /// queue's 0 is recorded as unknown: it reports messages up to 5 s late
    /// (measured on 3.10.8) and refuses the `if-empty` guard on delete, so
    /// its 0 does not prove that dropping it loses nothing.
    pub fn set_message_counts(&mut self, counts: &BTreeMap<(String, String), Option<u64>>) {
        for change in self.changes.iter_mut().filter(|c| c.drops_queue()) {
            if let ObjectId::Queue { vhost, name } = &change.id {
                let count = counts
                    .get(&(vhost.clone(), name.clone()))
                    .copied()
                    .flatten();
                let quorum = is_quorum_queue(change);
                change.messages = count.filter(|&n| !(quorum && n == 0));
            }
        }
        self.messages_known = true;
    }

    /// Records the consumers of the dropped queues, as the broker reported
    /// them (its statistics, up to 5 s late).
    pub fn set_consumer_counts(&mut self, counts: &BTreeMap<(String, String), Option<u64>>) {
        for change in self.changes.iter_mut().filter(|c| c.drops_queue()) {
            if let ObjectId::Queue { vhost, name } = &change.id {
                change.consumers = counts
                    .get(&(vhost.clone(), name.clone()))
                    .copied()
                    .flatten();
            }
        }
    }
}

/// `1 message`, `3 messages`.
pub fn messages(n: u64) -> String {
    if n == 1 {
        "1 message".to_string()
    } else {
        format!("{n} messages")
    }
}

/// `1 consumer`, `3 consumers`.
pub fn consumers(n: u64) -> String {
    if n == 1 {
        "1 consumer".to_string()
    } else {
        format!("{n} consumers")
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub fn topology(yaml: &str) -> Topology {
        serde_yaml::from_str(yaml).unwrap()
    }

    pub fn broker(version: &str) -> PlanInputs {
        PlanInputs {
            broker: Some(BrokerInfo {
                url: "http://localhost:15672".into(),
                version: version.into(),
            }),
            ..PlanInputs::default()
        }
    }

    pub fn labels(steps: &[Step]) -> Vec<String> {
        steps
            .iter()
            .map(|s| {
                let op = match &s.operation {
                    Operation::PutVhost(_) => "put",
                    Operation::PutVhostLimits { .. } => "limit",
                    Operation::PutPolicy(_) => "put",
                    Operation::PutExchange(_) => "put",
                    Operation::PutQueue(_) => "put",
                    Operation::Bind(_) => "bind",
                    Operation::Unbind { .. } => "unbind",
                    Operation::DeleteQueue { .. } => "delete",
                    Operation::DeleteExchange { .. } => "delete",
                    Operation::DeletePolicy { .. } => "delete",
                    Operation::PutUser { .. }
                    | Operation::PutPermission(_)
                    | Operation::PutTopicPermission(_)
                    | Operation::PutParameter(_)
                    | Operation::PutGlobalParameter(_) => "put",
                    Operation::PutUserLimits { .. } => "limit",
                    Operation::DeleteUser { .. }
                    | Operation::DeletePermission { .. }
                    | Operation::DeleteTopicPermission { .. }
                    | Operation::DeleteParameter { .. }
                    | Operation::DeleteGlobalParameter { .. } => "delete",
                };
                format!("{op} {}", s.id)
            })
            .collect()
    }

    pub const FULL: &str = "
vhosts: [{name: /}]
policies: [{name: p, pattern: '^q', definition: {max-length: 5}}]
exchanges: [{name: x, type: topic}]
queues: [{name: q}]
bindings: [{source: x, destination: q, routing_key: 'a.*'}]
";
}
