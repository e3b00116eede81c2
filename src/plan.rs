//! Changes to an ordered, classified plan: execution order, the safety
//! policy (what needs `--allow-recreate` or `--allow-data-loss`), and the
//! fingerprint of the live state the plan was computed from.
//!
//! A plan is a plain value, rendered by `render` and carried out by
//! `apply`; it is also the document `plan --out` saves. No I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diff::{Action, Change, DiffOptions, Object, desired_against, diff_normal};
use crate::model::{Binding, Exchange, Kind, ObjectId, Policy, Queue, Topology, Vhost};
use crate::normalize::{normalize, queue_type};

/// The version of the plan's JSON document.
pub const FORMAT_VERSION: u32 = 1;

/// Where a plan's live side came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerInfo {
    /// The management API URL, without credentials.
    pub url: String,
    pub version: String,
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
    /// Whether queue message counts were read (never offline).
    pub messages_known: bool,
    pub changes: Vec<Change>,
    pub summary: Summary,
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
            }
        }
        s
    }

    /// Changes `apply` would carry out.
    pub fn changes(&self) -> usize {
        self.create + self.update + self.replace + self.delete
    }

    /// Everything that differs, unmanaged objects included (what `drift` counts).
    pub fn differences(&self) -> usize {
        self.changes() + self.unmanaged + self.unsupported
    }
}

/// The inputs of a plan besides the two topologies.
#[derive(Debug, Clone, Default)]
pub struct PlanInputs {
    pub broker: Option<BrokerInfo>,
    pub files: Vec<String>,
    pub prune: bool,
    /// The broker's `properties_key` for each live binding.
    pub binding_keys: BTreeMap<ObjectId, String>,
}

/// Computes the plan that turns `live` into `desired`.
pub fn plan_changes(desired: &Topology, live: &Topology, inputs: PlanInputs) -> Plan {
    plan_against_normal(Desired::new(desired), &normalize(live), inputs)
}

/// The desired side of a plan, computed before the live side is known
/// (while the broker is read): the files' topology, its normal form and
/// its fingerprint.
#[derive(Debug, Clone)]
pub struct Desired<'a> {
    files: &'a Topology,
    normal: Topology,
    fingerprint: String,
}

impl<'a> Desired<'a> {
    pub fn new(files: &'a Topology) -> Desired<'a> {
        let normal = normalize(files);
        let fingerprint = fingerprint_of_normal(&normal, &BTreeMap::new());
        Desired {
            files,
            normal,
            fingerprint,
        }
    }
}

/// [`plan_changes`] from a prepared desired side and a live topology
/// already in normal form.
pub fn plan_against_normal(desired: Desired<'_>, live: &Topology, inputs: PlanInputs) -> Plan {
    let default_queue_type_mutable = inputs
        .broker
        .as_ref()
        .is_none_or(|b| version_at_least(&b.version, (3, 11, 17)));
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
            .then(|| scope.spawn(|| fingerprint_of_normal(live, &inputs.binding_keys)));
        let compared = desired_against(files, normal, live);
        let changes = diff_normal(
            &compared,
            live,
            &inputs.binding_keys,
            DiffOptions {
                prune: inputs.prune,
                default_queue_type_mutable,
            },
        );
        let live_fingerprint = live_fingerprint.map(|hashing| {
            hashing
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        (order_changes(changes), live_fingerprint)
    });
    Plan {
        format_version: FORMAT_VERSION,
        broker: inputs.broker,
        files: inputs.files,
        vhosts: files.vhosts.iter().map(|v| v.name.clone()).collect(),
        desired_fingerprint,
        live_fingerprint,
        prune: inputs.prune,
        messages_known: false,
        summary: Summary::of(&changes),
        changes,
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

    /// Every change the flags do not allow, with the flag that would.
    pub fn refusals(&self, allow: Allow) -> Vec<Refusal> {
        self.changes
            .iter()
            .flat_map(|c| {
                c.required_flags()
                    .into_iter()
                    .filter(move |flag| !allow.permits(*flag))
                    .map(move |flag| Refusal {
                        id: c.id.clone(),
                        flag,
                        why: refusal_reason(c, flag),
                    })
            })
            .collect()
    }
}

/// The flags given to `apply`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Allow {
    pub recreate: bool,
    pub data_loss: bool,
}

impl Allow {
    fn permits(&self, flag: Flag) -> bool {
        match flag {
            Flag::AllowRecreate => self.recreate,
            Flag::AllowDataLoss => self.data_loss,
        }
    }
}

/// A flag that an unsafe change needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Flag {
    #[serde(rename = "--allow-recreate")]
    AllowRecreate,
    #[serde(rename = "--allow-data-loss")]
    AllowDataLoss,
}

impl Flag {
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::AllowRecreate => "--allow-recreate",
            Flag::AllowDataLoss => "--allow-data-loss",
        }
    }
}

/// A change `apply` refuses without a flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub id: ObjectId,
    pub flag: Flag,
    pub why: String,
}

fn refusal_reason(change: &Change, flag: Flag) -> String {
    match flag {
        Flag::AllowRecreate => {
            "is replaced (deleted and created again, with its bindings)".to_string()
        }
        Flag::AllowDataLoss => match change.messages {
            Some(n) => format!("holds {} that would be lost", messages(n)),
            None if is_quorum_queue(change) => {
                "may hold messages that would be lost (a quorum queue counts them up to 5 s late)"
                    .to_string()
            }
            None => {
                "may hold messages (their count could not be read) that would be lost".to_string()
            }
        },
    }
}

/// True when `change` is about a live quorum queue.
fn is_quorum_queue(change: &Change) -> bool {
    matches!(&change.before, Some(Object::Queue(q)) if queue_type(&normalize_queue(q)) == "quorum")
}

/// `1 message`, `3 messages`.
pub fn messages(n: u64) -> String {
    if n == 1 {
        "1 message".to_string()
    } else {
        format!("{n} messages")
    }
}

impl Change {
    /// The flags `apply` needs to carry this change out.
    pub fn required_flags(&self) -> Vec<Flag> {
        let mut flags = Vec::new();
        if self.action == Action::Replace {
            flags.push(Flag::AllowRecreate);
        }
        if self.drops_queue() && self.messages != Some(0) {
            flags.push(Flag::AllowDataLoss);
        }
        flags
    }
}

/// Execution order: replaced objects are dropped first; then creates and
/// updates by phase (vhosts, policies, exchanges, queues, bindings), so
/// every object exists before what refers to it; then prune deletions in
/// the reverse order, so a new binding is in place before an old one goes.
/// Within a phase, by identity. Unmanaged and unsupported changes last.
pub fn order_changes(mut changes: Vec<Change>) -> Vec<Change> {
    changes.sort_by_cached_key(|c| (execution_rank(c), c.id.clone()));
    changes
}

fn execution_rank(change: &Change) -> (u8, u8) {
    let kind = change.id.kind() as u8;
    match change.action {
        Action::Create | Action::Update | Action::Replace => (1, kind),
        Action::Delete => (2, Kind::Binding as u8 - kind),
        Action::Unmanaged | Action::Unsupported => (3, kind),
    }
}

/// One request to the broker.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    PutVhost(Vhost),
    PutPolicy(Policy),
    PutExchange(Exchange),
    PutQueue(Queue),
    Bind(Binding),
    /// Deleted by the `properties_key` the broker reported.
    Unbind {
        binding: Binding,
        properties_key: Option<String>,
    },
    /// `if_empty` guards against a message published since the count was
    /// read; quorum queues and streams do not support it.
    DeleteQueue {
        vhost: String,
        name: String,
        if_empty: bool,
    },
    DeleteExchange {
        vhost: String,
        name: String,
    },
    DeletePolicy {
        vhost: String,
        name: String,
    },
}

/// An operation, with the change it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub id: ObjectId,
    pub operation: Operation,
}

/// The plan's steps by phase: 0 drops what is replaced; 1-5 create and
/// update vhosts, policies, exchanges, queues and bindings; 6-9 prune
/// bindings, exchanges, queues and policies. Exchanges go before queues
/// (neither needs the other gone): an exchange takes all its bindings in
/// one broker transaction, so the queues are then deleted without theirs
/// (a prune of 5,000 queues bound to 500 topic exchanges: 4.2-4.5 s
/// against 4.8-5.6 s the other way round, measured with curl).
fn steps_by_phase(plan: &Plan, allow: Allow) -> [Vec<Step>; PHASES] {
    let mut phases: [Vec<Step>; PHASES] = Default::default();
    for change in &plan.changes {
        let id = change.id.clone();
        let step = |operation| Step {
            id: id.clone(),
            operation,
        };
        match (change.action, &change.after, &change.before) {
            (Action::Create | Action::Update | Action::Replace, Some(after), _) => {
                if change.action == Action::Replace {
                    if let Some(drop) = drop_operation(change, allow) {
                        phases[0].push(step(drop));
                    }
                }
                let (phase, operation) = match after.clone() {
                    Object::Vhost(v) => (1, Operation::PutVhost(v)),
                    Object::Policy(p) => (2, Operation::PutPolicy(p)),
                    Object::Exchange(e) => (3, Operation::PutExchange(e)),
                    Object::Queue(q) => (4, Operation::PutQueue(q)),
                    Object::Binding(b) => (5, Operation::Bind(b)),
                };
                phases[phase].push(step(operation));
            }
            (Action::Delete, _, Some(before)) => {
                if change.caused_by.is_some() {
                    continue; // goes with the object it belongs to
                }
                let phase = match before {
                    Object::Binding(_) => 6,
                    Object::Exchange(_) => 7,
                    Object::Queue(_) => 8,
                    Object::Policy(_) => 9,
                    Object::Vhost(_) => continue, // never deleted
                };
                if let Some(drop) = drop_operation(change, allow) {
                    phases[phase].push(step(drop));
                }
            }
            _ => {}
        }
    }
    phases
}

const PHASES: usize = 10;
/// The first phase of prune deletions.
const FIRST_PRUNE_PHASE: usize = 6;

/// Groups of steps: each group runs after the previous one has finished;
/// the steps within a group are independent. The phase order of DESIGN.md
/// §3; [`schedule`] relaxes it to what each step really waits for.
pub fn phases(plan: &Plan, allow: Allow) -> Vec<Vec<Step>> {
    steps_by_phase(plan, allow)
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect()
}

/// The steps of a plan and what each waits for, so a step starts as soon as
/// the steps it needs are done rather than when a whole phase is:
/// - an exchange or queue waits for its vhost, for the vhost's policies (so
///   it is born with them) and, when replaced, for its own deletion;
/// - a binding waits for its vhost and for both its ends;
/// - prune deletions wait for every create and update, so that a new
///   binding is in place before an old one goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// Every step, in an order that satisfies every wait (phase order).
    pub steps: Vec<Step>,
    /// For each step, the indexes (into `steps`) of the steps it waits for.
    pub waits_for: Vec<Vec<usize>>,
    /// Steps from this index on are prune deletions: they wait for every
    /// step before it.
    pub deletions_from: usize,
}

pub fn schedule(plan: &Plan, allow: Allow) -> Schedule {
    let phases = steps_by_phase(plan, allow);
    let deletions_from = phases[..FIRST_PRUNE_PHASE].iter().map(Vec::len).sum();
    let steps: Vec<Step> = phases.into_iter().flatten().collect();

    let mut put_of: BTreeMap<&ObjectId, usize> = BTreeMap::new();
    let mut drop_of: BTreeMap<&ObjectId, usize> = BTreeMap::new();
    let mut vhost_put: BTreeMap<&str, usize> = BTreeMap::new();
    let mut policies_in: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, step) in steps[..deletions_from].iter().enumerate() {
        match &step.operation {
            Operation::DeleteQueue { .. } | Operation::DeleteExchange { .. } => {
                drop_of.insert(&step.id, index);
            }
            Operation::PutVhost(v) => {
                vhost_put.insert(&v.name, index);
            }
            Operation::PutPolicy(p) => {
                policies_in.entry(&p.vhost).or_default().push(index);
            }
            _ => {
                put_of.insert(&step.id, index);
            }
        }
    }

    let waits_for = steps
        .iter()
        .enumerate()
        .map(|(index, step)| {
            if index >= deletions_from {
                return Vec::new(); // the barrier covers them
            }
            let vhost = step.id.vhost();
            let mut waits: Vec<usize> = Vec::new();
            let in_vhost = vhost_put.get(vhost).copied();
            match &step.operation {
                Operation::PutPolicy(_) => waits.extend(in_vhost),
                Operation::PutExchange(_) | Operation::PutQueue(_) => {
                    waits.extend(in_vhost);
                    waits.extend(policies_in.get(vhost).into_iter().flatten());
                    waits.extend(drop_of.get(&step.id));
                }
                Operation::Bind(b) => {
                    waits.extend(in_vhost);
                    for end in [b.source_id(), b.destination_id()] {
                        waits.extend(put_of.get(&end).or(drop_of.get(&end)));
                    }
                }
                _ => {}
            }
            waits
        })
        .collect();
    Schedule {
        steps,
        waits_for,
        deletions_from,
    }
}

/// The request that deletes the live object of `change`.
fn drop_operation(change: &Change, allow: Allow) -> Option<Operation> {
    Some(match change.before.as_ref()? {
        Object::Queue(q) => Operation::DeleteQueue {
            vhost: q.vhost.clone(),
            name: q.name.clone(),
            // Without --allow-data-loss a queue is only deleted if empty.
            if_empty: !allow.data_loss && queue_type(&normalize_queue(q)) == "classic",
        },
        Object::Exchange(e) => Operation::DeleteExchange {
            vhost: e.vhost.clone(),
            name: e.name.clone(),
        },
        Object::Policy(p) => Operation::DeletePolicy {
            vhost: p.vhost.clone(),
            name: p.name.clone(),
        },
        Object::Binding(b) => Operation::Unbind {
            binding: b.clone(),
            properties_key: change.properties_key.clone(),
        },
        Object::Vhost(_) => return None,
    })
}

fn normalize_queue(queue: &Queue) -> Queue {
    let t = Topology {
        queues: vec![queue.clone()],
        ..Topology::default()
    };
    normalize(&t).queues.remove(0)
}

/// A short digest of a topology's normal form (and binding keys).
pub fn fingerprint(topology: &Topology, binding_keys: &BTreeMap<ObjectId, String>) -> String {
    fingerprint_of_normal(&normalize(topology), binding_keys)
}

/// [`fingerprint`] of a topology already in normal form. The JSON is
/// streamed into the hash: the objects' fields serialise in a fixed order
/// and their maps are sorted, so the same topology always hashes the same.
/// Route assertions are checks of the files, not state, and are left out.
fn fingerprint_of_normal(normal: &Topology, binding_keys: &BTreeMap<ObjectId, String>) -> String {
    struct Hashing(Sha256);
    impl std::io::Write for Hashing {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.update(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let state = (
        &normal.vhosts,
        &normal.exchanges,
        &normal.queues,
        &normal.bindings,
        &normal.policies,
        binding_keys.iter().collect::<Vec<_>>(),
    );
    // serde_json writes a token at a time; the buffer hashes in blocks.
    let mut hashing = std::io::BufWriter::with_capacity(1 << 16, Hashing(Sha256::new()));
    serde_json::to_writer(&mut hashing, &state).expect("model values serialise to JSON");
    let Ok(Hashing(hasher)) = hashing.into_inner() else {
        unreachable!("hashing cannot fail")
    };
    let digest = hasher.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The live topology after the plan's changes, computed without a broker:
/// what `apply` should leave behind. Used to test the planner.
pub fn simulate(live: &Topology, plan: &Plan) -> Topology {
    let mut objects: BTreeMap<ObjectId, Object> = BTreeMap::new();
    let t = normalize(live);
    for v in t.vhosts {
        objects.insert(v.id(), Object::Vhost(v));
    }
    for p in t.policies {
        objects.insert(p.id(), Object::Policy(p));
    }
    for e in t.exchanges {
        objects.insert(e.id(), Object::Exchange(e));
    }
    for q in t.queues {
        objects.insert(q.id(), Object::Queue(q));
    }
    // Deleting an exchange or queue deletes its bindings, as on the broker:
    // the bindings are indexed by both their ends, so that costs no scan.
    let mut bindings_of: BTreeMap<ObjectId, Vec<ObjectId>> = BTreeMap::new();
    fn add_binding(
        objects: &mut BTreeMap<ObjectId, Object>,
        bindings_of: &mut BTreeMap<ObjectId, Vec<ObjectId>>,
        b: Binding,
    ) {
        let id = b.id();
        for end in [b.source_id(), b.destination_id()] {
            bindings_of.entry(end).or_default().push(id.clone());
        }
        objects.insert(id, Object::Binding(b));
    }
    for b in t.bindings {
        add_binding(&mut objects, &mut bindings_of, b);
    }
    let mut dropped: Vec<ObjectId> = Vec::new();
    for step in phases(
        plan,
        Allow {
            recreate: true,
            data_loss: true,
        },
    )
    .into_iter()
    .flatten()
    {
        match step.operation {
            Operation::PutVhost(v) => {
                objects.insert(v.id(), Object::Vhost(v));
            }
            Operation::PutPolicy(p) => {
                objects.insert(p.id(), Object::Policy(p));
            }
            Operation::PutExchange(e) => {
                objects.insert(e.id(), Object::Exchange(e));
            }
            Operation::PutQueue(q) => {
                objects.insert(q.id(), Object::Queue(q));
            }
            Operation::Bind(b) => add_binding(&mut objects, &mut bindings_of, b),
            Operation::Unbind { binding, .. } => {
                objects.remove(&binding.id());
            }
            Operation::DeleteQueue { .. } | Operation::DeleteExchange { .. } => {
                objects.remove(&step.id);
                dropped.push(step.id.clone());
            }
            Operation::DeletePolicy { .. } => {
                objects.remove(&step.id);
            }
        }
        // Bindings go with a dropped end at once: a binding created again
        // later (after a replace) is indexed anew and survives.
        for end in dropped.drain(..) {
            for binding in bindings_of.remove(&end).unwrap_or_default() {
                objects.remove(&binding);
            }
        }
    }
    let mut out = Topology::default();
    for object in objects.into_values() {
        match object {
            Object::Vhost(v) => out.vhosts.push(v),
            Object::Policy(p) => out.policies.push(p),
            Object::Exchange(e) => out.exchanges.push(e),
            Object::Queue(q) => out.queues.push(q),
            Object::Binding(b) => out.bindings.push(b),
        }
    }
    normalize(&out)
}

/// True when `version` (`3.10.8`, `4.0.1-beta.2`) is at least `min`.
pub fn version_at_least(version: &str, min: (u32, u32, u32)) -> bool {
    let mut parts = version
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let v = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    v >= min
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topology(yaml: &str) -> Topology {
        serde_yaml::from_str(yaml).unwrap()
    }

    fn broker(version: &str) -> PlanInputs {
        PlanInputs {
            broker: Some(BrokerInfo {
                url: "http://localhost:15672".into(),
                version: version.into(),
            }),
            ..PlanInputs::default()
        }
    }

    fn labels(steps: &[Step]) -> Vec<String> {
        steps
            .iter()
            .map(|s| {
                let op = match &s.operation {
                    Operation::PutVhost(_) => "put",
                    Operation::PutPolicy(_) => "put",
                    Operation::PutExchange(_) => "put",
                    Operation::PutQueue(_) => "put",
                    Operation::Bind(_) => "bind",
                    Operation::Unbind { .. } => "unbind",
                    Operation::DeleteQueue { .. } => "delete",
                    Operation::DeleteExchange { .. } => "delete",
                    Operation::DeletePolicy { .. } => "delete",
                };
                format!("{op} {}", s.id)
            })
            .collect()
    }

    const FULL: &str = "
vhosts: [{name: /}]
policies: [{name: p, pattern: '^q', definition: {max-length: 5}}]
exchanges: [{name: x, type: topic}]
queues: [{name: q}]
bindings: [{source: x, destination: q, routing_key: 'a.*'}]
";

    #[test]
    fn creates_run_in_phase_order() {
        let plan = plan_changes(&topology(FULL), &Topology::default(), broker("3.10.8"));
        let phases: Vec<Vec<String>> = phases(&plan, Allow::default())
            .iter()
            .map(|p| labels(p))
            .collect();
        assert_eq!(
            phases,
            [
                vec!["put vhost /"],
                vec!["put policy p"],
                vec!["put exchange x"],
                vec!["put queue q"],
                vec!["bind binding x -> q [a.*]"],
            ]
        );
    }

    #[test]
    fn deletions_run_after_creates_exchanges_first_and_skip_implied_bindings() {
        let live = topology(FULL);
        let desired = topology("vhosts: [{name: /}]\nqueues: [{name: new}]");
        let mut inputs = broker("3.10.8");
        inputs.prune = true;
        let plan = plan_changes(&desired, &live, inputs);
        let phases: Vec<Vec<String>> = phases(&plan, Allow::default())
            .iter()
            .map(|p| labels(p))
            .collect();
        assert_eq!(
            phases,
            [
                vec!["put queue new"],
                vec!["delete exchange x"],
                vec!["delete queue q"],
                vec!["delete policy p"],
            ]
        );
    }

    #[test]
    fn a_replace_drops_first_and_recreates_bindings_last() {
        let live = topology(FULL);
        let mut desired = live.clone();
        desired.queues[0]
            .arguments
            .insert("x-max-priority".into(), 5.into());
        let plan = plan_changes(&desired, &live, broker("3.10.8"));
        let phases: Vec<Vec<String>> = phases(&plan, Allow::default())
            .iter()
            .map(|p| labels(p))
            .collect();
        assert_eq!(
            phases,
            [
                vec!["delete queue q"],
                vec!["put queue q"],
                vec!["bind binding x -> q [a.*]"],
            ]
        );
    }

    /// `label -> [labels it waits for]`, for schedule tests.
    fn waits(schedule: &Schedule) -> Vec<(String, Vec<String>)> {
        let label = |i: usize| labels(std::slice::from_ref(&schedule.steps[i])).remove(0);
        (0..schedule.steps.len())
            .map(|i| {
                let mut w: Vec<String> = schedule.waits_for[i].iter().map(|&j| label(j)).collect();
                w.sort();
                (label(i), w)
            })
            .collect()
    }

    #[test]
    fn each_step_waits_only_for_what_it_needs() {
        let desired = topology(
            "
vhosts: [{name: v}]
policies: [{name: p, vhost: v, pattern: '^q', definition: {max-length: 5}}]
exchanges: [{name: x, vhost: v, type: topic}]
queues: [{name: q, vhost: v}, {name: r, vhost: v}]
bindings: [{source: x, destination: q, vhost: v}]
",
        );
        let schedule = schedule(
            &plan_changes(&desired, &Topology::default(), broker("3.10.8")),
            Allow::default(),
        );
        let strings = |v: &[&str]| -> Vec<String> { v.iter().map(|s| s.to_string()).collect() };
        let expected: Vec<(String, Vec<String>)> = vec![
            ("put vhost v".into(), vec![]),
            ("put policy p".into(), strings(&["put vhost v"])),
            (
                "put exchange x".into(),
                strings(&["put policy p", "put vhost v"]),
            ),
            (
                "put queue q".into(),
                strings(&["put policy p", "put vhost v"]),
            ),
            (
                "put queue r".into(),
                strings(&["put policy p", "put vhost v"]),
            ),
            (
                "bind binding x -> q []".into(),
                strings(&["put exchange x", "put queue q", "put vhost v"]),
            ),
        ];
        assert_eq!(waits(&schedule), expected);
        assert_eq!(schedule.deletions_from, 6, "no deletions");
    }

    #[test]
    fn a_replaced_object_is_created_after_its_deletion_and_prunes_come_last() {
        let live = topology(FULL);
        let mut desired = live.clone();
        desired.queues[0].durable = false;
        desired.policies.clear();
        let mut inputs = broker("3.10.8");
        inputs.prune = true;
        let schedule = schedule(&plan_changes(&desired, &live, inputs), Allow::default());
        let w = waits(&schedule);
        assert_eq!(w[0], ("delete queue q".to_string(), vec![]));
        assert_eq!(
            w[1],
            (
                "put queue q".to_string(),
                vec!["delete queue q".to_string()]
            )
        );
        assert_eq!(w[2].0, "bind binding x -> q [a.*]");
        assert!(w[2].1.contains(&"put queue q".to_string()));
        assert_eq!(schedule.deletions_from, 3);
        assert_eq!(w[3].0, "delete policy p");
    }

    #[test]
    fn a_replace_needs_allow_recreate_and_messages_need_allow_data_loss() {
        let live = topology(FULL);
        let mut desired = live.clone();
        desired.queues[0].durable = false;
        let mut plan = plan_changes(&desired, &live, broker("3.10.8"));
        plan.set_message_counts(&BTreeMap::from([(("/".into(), "q".into()), Some(7))]));
        let refusals = plan.refusals(Allow::default());
        let flags: Vec<Flag> = refusals.iter().map(|r| r.flag).collect();
        assert_eq!(flags, [Flag::AllowRecreate, Flag::AllowDataLoss]);
        assert_eq!(refusals[1].why, "holds 7 messages that would be lost");
        assert!(
            plan.refusals(Allow {
                recreate: true,
                data_loss: true
            })
            .is_empty()
        );
    }

    #[test]
    fn an_empty_queue_can_be_pruned_without_allow_data_loss() {
        let live = topology(FULL);
        let mut inputs = broker("3.10.8");
        inputs.prune = true;
        let mut plan = plan_changes(&topology("vhosts: [{name: /}]"), &live, inputs);
        plan.set_message_counts(&BTreeMap::from([(("/".into(), "q".into()), Some(0))]));
        assert!(plan.refusals(Allow::default()).is_empty());
    }

    // Regression: a quorum queue that had just received a message read 0
    // and was pruned without --allow-data-loss, losing the message.
    #[test]
    fn a_quorum_queue_s_zero_count_is_not_trusted() {
        let live =
            topology("queues: [{name: qq, arguments: {x-queue-type: quorum}}, {name: classic}]");
        let mut inputs = broker("3.10.8");
        inputs.prune = true;
        let mut plan = plan_changes(&Topology::default(), &live, inputs);
        plan.set_message_counts(&BTreeMap::from([
            (("/".into(), "qq".into()), Some(0)),
            (("/".into(), "classic".into()), Some(0)),
        ]));
        let refused: Vec<String> = plan
            .refusals(Allow::default())
            .iter()
            .map(|r| format!("{} {}: {}", r.id, r.why, r.flag.as_str()))
            .collect();
        assert_eq!(
            refused,
            [
                "queue qq may hold messages that would be lost (a quorum queue counts them up to 5 s late): --allow-data-loss"
            ]
        );
        plan.set_message_counts(&BTreeMap::from([
            (("/".into(), "qq".into()), Some(3)),
            (("/".into(), "classic".into()), Some(0)),
        ]));
        assert_eq!(
            plan.refusals(Allow::default())[0].why,
            "holds 3 messages that would be lost"
        );
    }

    #[test]
    fn an_unknown_message_count_is_treated_as_holding_messages() {
        let live = topology("queues: [{name: s, arguments: {x-queue-type: stream}}]");
        let mut inputs = broker("3.10.8");
        inputs.prune = true;
        let mut plan = plan_changes(&Topology::default(), &live, inputs);
        plan.set_message_counts(&BTreeMap::from([(("/".into(), "s".into()), None)]));
        assert_eq!(plan.refusals(Allow::default())[0].flag, Flag::AllowDataLoss);
    }

    #[test]
    fn the_fingerprint_ignores_order_and_sees_every_change() {
        let a = topology(FULL);
        let mut b = a.clone();
        b.queues.reverse();
        assert_eq!(
            fingerprint(&a, &BTreeMap::new()),
            fingerprint(&b, &BTreeMap::new())
        );
        b.queues[0].auto_delete = true;
        assert_ne!(
            fingerprint(&a, &BTreeMap::new()),
            fingerprint(&b, &BTreeMap::new())
        );
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(!version_at_least("3.10.8", (3, 11, 17)));
        assert!(version_at_least("3.11.17", (3, 11, 17)));
        assert!(version_at_least("3.13.0", (3, 11, 17)));
        assert!(version_at_least("4.0.1-rc.1", (3, 11, 17)));
    }
}
