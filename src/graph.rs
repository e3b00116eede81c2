//! Where messages go, as a graph: exchanges and queues are its nodes;
//! bindings (to a queue, or exchange to exchange), alternate exchanges and
//! dead-letter exchanges its edges. With a plan, every node and edge is
//! marked as the plan leaves it: added, changed, removed, or left alone.
//!
//! This module owns what is drawn: which objects, which edges, what each
//! edge says (routing key, headers match, via which policy), what a plan
//! marks, and which part of a big graph is kept for a review. It draws
//! nothing itself (Mermaid and DOT are `render::graph`'s) and does no I/O.
//!
//! The default exchange's implicit binding to every queue is not an edge:
//! every queue has one, and drawing it would add an edge per queue that
//! says only the queue's name.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;
use serde_json::Value;

use crate::diff::{Action, Object};
use crate::model::{
    Arguments, Binding, DestinationType, ObjectId, Policy, Topology, builtin_exchange_type,
};
use crate::normalize::{normalize, queue_type};
use crate::plan::{Plan, simulate};

/// How many exchanges and queues a review draws at most: a pull-request
/// comment shows the whole topology up to this size, and only the changed
/// part (with its neighbours, when they fit) beyond it.
pub const REVIEW_NODES: usize = 50;

/// What a plan does to a node or an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mark {
    /// Not touched by the plan (or there is no plan).
    Unchanged,
    Added,
    /// Updated in place, or replaced (deleted and declared again).
    Changed,
    Removed,
    /// On the broker, not in the files: the plan leaves it alone.
    Unmanaged,
}

impl Mark {
    /// True for what the plan adds, changes or removes.
    pub fn is_change(self) -> bool {
        matches!(self, Mark::Added | Mark::Changed | Mark::Removed)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mark::Unchanged => "unchanged",
            Mark::Added => "added",
            Mark::Changed => "changed",
            Mark::Removed => "removed",
            Mark::Unmanaged => "unmanaged",
        }
    }
}

/// An exchange or a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// `ObjectId::Exchange` or `ObjectId::Queue`.
    pub id: ObjectId,
    /// The exchange type (`topic`, …) or the queue type (`quorum`, …);
    /// `None` for an object no file declares (an `amq.*` exchange has its
    /// built-in type).
    pub detail: Option<String>,
    /// Referred to but declared nowhere: a built-in exchange, or a name
    /// that validation reports.
    pub implicit: bool,
    pub mark: Mark,
}

impl Node {
    pub fn name(&self) -> &str {
        match &self.id {
            ObjectId::Exchange { name, .. } | ObjectId::Queue { name, .. } => name,
            _ => unreachable!("a graph node is an exchange or a queue"),
        }
    }

    pub fn vhost(&self) -> &str {
        self.id.vhost()
    }

    pub fn is_exchange(&self) -> bool {
        matches!(self.id, ObjectId::Exchange { .. })
    }
}

/// What an edge stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EdgeKind {
    /// A binding from an exchange to a queue.
    Binding,
    /// A binding from an exchange to another exchange.
    ExchangeBinding,
    /// An exchange's alternate exchange: where what it cannot route goes.
    Alternate,
    /// A queue's dead-letter exchange: where its rejected, expired or
    /// overflowing messages go.
    DeadLetter,
}

/// An edge between two nodes, by their index in [`Graph::nodes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub kind: EdgeKind,
    /// The routing key and headers match of a binding (`order.*`,
    /// `x-match=all, format=pdf`); `alternate` or `dead letters` (with the
    /// dead-letter routing key) for the others, and the policy that sets
    /// them when no argument does.
    pub label: String,
    pub mark: Mark,
}

/// What a cut left out of the drawing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LeftOut {
    pub exchanges: usize,
    pub queues: usize,
    pub edges: usize,
    /// Changed objects left out because even the changed part is too big.
    pub changed: usize,
}

impl LeftOut {
    pub fn is_empty(&self) -> bool {
        *self == LeftOut::default()
    }
}

/// The routing of a topology, or of a plan's before and after.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    /// Sorted by vhost, exchanges before queues, then by name.
    pub nodes: Vec<Node>,
    /// In the order of their source node, then kind, target and label.
    pub edges: Vec<Edge>,
    pub left_out: LeftOut,
}

/// An edge by what it joins and says: the same edge before and after a plan.
type EdgeKey = (ObjectId, ObjectId, EdgeKind, String);

/// Nodes and edges as they are collected, before they are numbered.
#[derive(Default)]
struct Collected {
    nodes: BTreeMap<ObjectId, (Option<String>, bool)>,
    edges: BTreeSet<EdgeKey>,
}

impl Collected {
    /// Records a node referred to by an edge, unless a declaration has.
    fn refer(&mut self, id: &ObjectId) {
        self.nodes.entry(id.clone()).or_insert_with(|| {
            let detail = match id {
                ObjectId::Exchange { name, .. } => builtin_exchange_type(name).map(String::from),
                _ => None,
            };
            (detail, true)
        });
    }

    fn edge(&mut self, from: ObjectId, to: ObjectId, kind: EdgeKind, label: String) {
        self.refer(&from);
        self.refer(&to);
        self.edges.insert((from, to, kind, label));
    }
}

/// The nodes and edges of one topology.
fn collect(topology: &Topology) -> Collected {
    let mut c = Collected::default();
    for exchange in &topology.exchanges {
        c.nodes
            .insert(exchange.id(), (Some(exchange.kind.clone()), false));
    }
    for queue in &topology.queues {
        c.nodes
            .insert(queue.id(), (Some(queue_type(queue).to_string()), false));
    }
    for binding in &topology.bindings {
        let kind = match binding.destination_type {
            DestinationType::Queue => EdgeKind::Binding,
            DestinationType::Exchange => EdgeKind::ExchangeBinding,
        };
        c.edge(
            binding.source_id(),
            binding.destination_id(),
            kind,
            binding_label(binding),
        );
    }
    let policies = PoliciesInForce::new(&topology.policies);
    for exchange in &topology.exchanges {
        if exchange.name.is_empty() {
            continue;
        }
        let set = setting(
            &exchange.arguments,
            "alternate-exchange",
            policies.for_exchange(&exchange.vhost, &exchange.name),
            "alternate-exchange",
        );
        if let Some((alternate, policy)) = set {
            let to = ObjectId::Exchange {
                vhost: exchange.vhost.clone(),
                name: alternate.to_string(),
            };
            c.edge(
                exchange.id(),
                to,
                EdgeKind::Alternate,
                with_policy("alternate".to_string(), policy),
            );
        }
    }
    for queue in &topology.queues {
        let policy = policies.for_queue(&queue.vhost, &queue.name, queue_type(queue));
        let Some((exchange, via)) = setting(
            &queue.arguments,
            "x-dead-letter-exchange",
            policy,
            "dead-letter-exchange",
        ) else {
            continue;
        };
        let mut label = "dead letters".to_string();
        if let Some((key, _)) = setting(
            &queue.arguments,
            "x-dead-letter-routing-key",
            policy,
            "dead-letter-routing-key",
        ) {
            label.push_str(&format!(" [{key}]"));
        }
        let to = ObjectId::Exchange {
            vhost: queue.vhost.clone(),
            name: exchange.to_string(),
        };
        c.edge(
            queue.id(),
            to,
            EdgeKind::DeadLetter,
            with_policy(label, via),
        );
    }
    c
}

/// A binding's label: its routing key, then its arguments (a headers
/// exchange's match) as `key=value`.
fn binding_label(binding: &Binding) -> String {
    let mut parts = Vec::new();
    if !binding.routing_key.is_empty() {
        parts.push(binding.routing_key.clone());
    }
    if !binding.arguments.is_empty() {
        parts.push(
            binding
                .arguments
                .iter()
                .map(|(k, v)| format!("{k}={}", plain(v)))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    parts.join(" ")
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn with_policy(label: String, policy: Option<&str>) -> String {
    match policy {
        Some(name) => format!("{label} (policy {name})"),
        None => label,
    }
}

/// An object's own argument `argument` when it has one, else the key
/// `key` of the policy in force, as the broker decides (an argument wins;
/// a non-string argument names nothing and hides the policy). Gives the
/// value and, when the policy set it, the policy's name.
fn setting<'a>(
    arguments: &'a Arguments,
    argument: &str,
    policy: Option<&'a Policy>,
    key: &str,
) -> Option<(&'a str, Option<&'a str>)> {
    if let Some(value) = arguments.get(argument) {
        return value.as_str().map(|s| (s, None));
    }
    let policy = policy?;
    let value = policy.definition.get(key)?.as_str()?;
    Some((value, Some(policy.name.as_str())))
}

/// The policies of a topology with their patterns compiled once. The one
/// in force on an object is the highest-priority match (ties: the first
/// name), as in [`crate::route`].
struct PoliciesInForce<'t> {
    policies: Vec<(&'t Policy, Option<Regex>)>,
}

impl<'t> PoliciesInForce<'t> {
    fn new(policies: &'t [Policy]) -> PoliciesInForce<'t> {
        PoliciesInForce {
            policies: policies
                .iter()
                .map(|p| {
                    let pattern = (p.pattern.len() <= crate::route::MAX_PATTERN_BYTES)
                        .then(|| Regex::new(&p.pattern).ok())
                        .flatten();
                    (p, pattern)
                })
                .collect(),
        }
    }

    fn in_force(
        &self,
        vhost: &str,
        name: &str,
        applies: impl Fn(&str) -> bool,
    ) -> Option<&'t Policy> {
        self.policies
            .iter()
            .filter(|(p, pattern)| {
                p.vhost == vhost
                    && applies(&p.apply_to)
                    && pattern.as_ref().is_some_and(|r| r.is_match(name))
            })
            .map(|(p, _)| *p)
            .min_by(|a, b| {
                b.priority
                    .cmp(&a.priority)
                    .then_with(|| a.name.cmp(&b.name))
            })
    }

    fn for_exchange(&self, vhost: &str, name: &str) -> Option<&'t Policy> {
        self.in_force(vhost, name, |to| matches!(to, "exchanges" | "all"))
    }

    fn for_queue(&self, vhost: &str, name: &str, queue_type: &str) -> Option<&'t Policy> {
        self.in_force(vhost, name, |to| match to {
            "queues" | "all" => true,
            "classic_queues" => queue_type == "classic",
            "quorum_queues" => queue_type == "quorum",
            "streams" => queue_type == "stream",
            _ => false,
        })
    }
}

impl Graph {
    /// The routing of `topology`, nothing marked.
    pub fn of(topology: &Topology) -> Graph {
        let c = collect(topology);
        Graph::numbered(
            c.nodes
                .into_iter()
                .map(|(id, (detail, implicit))| (id, detail, implicit, Mark::Unchanged))
                .collect(),
            c.edges.into_iter().map(|e| (e, Mark::Unchanged)).collect(),
        )
    }

    /// The routing before and after `plan`, each node and edge marked with
    /// what the plan does to it. `before` is what the plan was computed
    /// against (the live broker, or the old files of a diff) and `after`
    /// what it leaves ([`crate::plan::simulate`], or the files).
    pub fn compare(before: &Topology, after: &Topology, plan: &Plan) -> Graph {
        let old = collect(before);
        let new = collect(after);
        let actions: BTreeMap<&ObjectId, Action> =
            plan.changes.iter().map(|c| (&c.id, c.action)).collect();
        let mut nodes = Vec::new();
        let ids: BTreeSet<&ObjectId> = old.nodes.keys().chain(new.nodes.keys()).collect();
        for id in ids {
            let (was, is) = (old.nodes.get(id), new.nodes.get(id));
            let (detail, implicit) = is.or(was).cloned().expect("the id comes from one side");
            let mark = match (was, is) {
                // A built-in or undeclared exchange is neither added nor removed.
                _ if implicit => Mark::Unchanged,
                (None, _) => Mark::Added,
                (_, None) => Mark::Removed,
                _ => match actions.get(id) {
                    Some(Action::Update | Action::Replace) => Mark::Changed,
                    Some(Action::Unmanaged) => Mark::Unmanaged,
                    _ => Mark::Unchanged,
                },
            };
            nodes.push((id.clone(), detail, implicit, mark));
        }
        let mut edges = Vec::new();
        for key in old.edges.union(&new.edges) {
            let mark = match (old.edges.contains(key), new.edges.contains(key)) {
                (true, true) => Mark::Unchanged,
                (false, _) => Mark::Added,
                (_, false) => Mark::Removed,
            };
            edges.push((key.clone(), mark));
        }
        Graph::numbered(nodes, edges)
    }

    /// The routing a review of `plan` shows: before it (`before`, what it
    /// was computed against: the live broker, or the old files of a diff)
    /// and after it, cut to [`REVIEW_NODES`].
    pub fn review(before: &Topology, plan: &Plan) -> Graph {
        let before = normalize(before);
        let after = simulate(&before, plan);
        Graph::compare(&before, &after, plan).fit(REVIEW_NODES)
    }

    /// Numbers the nodes (by vhost, exchanges first, then name) and points
    /// the edges at them.
    fn numbered(
        mut nodes: Vec<(ObjectId, Option<String>, bool, Mark)>,
        edges: Vec<(EdgeKey, Mark)>,
    ) -> Graph {
        nodes.sort_by(|a, b| node_order(&a.0).cmp(&node_order(&b.0)));
        let index: BTreeMap<&ObjectId, usize> =
            nodes.iter().enumerate().map(|(i, n)| (&n.0, i)).collect();
        let mut edges: Vec<Edge> = edges
            .into_iter()
            .map(|((from, to, kind, label), mark)| Edge {
                from: index[&from],
                to: index[&to],
                kind,
                label,
                mark,
            })
            .collect();
        edges.sort_by(|a, b| {
            (a.from, a.kind, a.to, &a.label).cmp(&(b.from, b.kind, b.to, &b.label))
        });
        Graph {
            nodes: nodes
                .into_iter()
                .map(|(id, detail, implicit, mark)| Node {
                    id,
                    detail,
                    implicit,
                    mark,
                })
                .collect(),
            edges,
            left_out: LeftOut::default(),
        }
    }

    /// The vhosts of the nodes, in order.
    pub fn vhosts(&self) -> Vec<&str> {
        let mut vhosts: Vec<&str> = self.nodes.iter().map(Node::vhost).collect();
        vhosts.dedup();
        vhosts
    }

    /// True when the plan changes something drawn.
    pub fn has_changes(&self) -> bool {
        self.nodes.iter().any(|n| n.mark.is_change())
            || self.edges.iter().any(|e| e.mark.is_change())
    }

    /// Only the nodes of `vhosts` (all of them when empty), and the edges
    /// between them.
    pub fn in_vhosts(self, vhosts: &[String]) -> Graph {
        if vhosts.is_empty() {
            return self;
        }
        let keep: Vec<bool> = self
            .nodes
            .iter()
            .map(|n| vhosts.iter().any(|v| v == n.vhost()))
            .collect();
        self.keeping(&keep, false)
    }

    /// At most `limit` exchanges and queues: the whole graph when it fits;
    /// else what the plan changes and its neighbours (the nodes one edge
    /// away), or only what it changes, or the first `limit` of that. What
    /// is left out is counted in [`Graph::left_out`].
    pub fn fit(self, limit: usize) -> Graph {
        if self.nodes.len() <= limit {
            return self;
        }
        let changed: Vec<bool> = self.nodes.iter().map(|n| n.mark.is_change()).collect();
        let mut core = changed.clone();
        for edge in self.edges.iter().filter(|e| e.mark.is_change()) {
            core[edge.from] = true;
            core[edge.to] = true;
        }
        let mut near = core.clone();
        for edge in &self.edges {
            if changed[edge.from] || changed[edge.to] {
                near[edge.from] = true;
                near[edge.to] = true;
            }
        }
        let count = |keep: &[bool]| keep.iter().filter(|&&k| k).count();
        if count(&near) <= limit {
            return self.keeping(&near, true);
        }
        if count(&core) <= limit {
            return self.keeping(&core, true);
        }
        let mut kept = 0;
        let first: Vec<bool> = core
            .iter()
            .map(|&k| {
                let take = k && kept < limit;
                kept += usize::from(take);
                take
            })
            .collect();
        self.keeping(&first, true)
    }

    /// The nodes where `keep` is true and the edges between them; with
    /// `count`, what goes is added to [`Graph::left_out`].
    fn keeping(self, keep: &[bool], count: bool) -> Graph {
        let mut left_out = self.left_out;
        let mut renumber = vec![usize::MAX; self.nodes.len()];
        let mut nodes = Vec::new();
        for (i, node) in self.nodes.into_iter().enumerate() {
            if keep[i] {
                renumber[i] = nodes.len();
                nodes.push(node);
            } else if count {
                if node.mark.is_change() {
                    left_out.changed += 1;
                }
                if node.is_exchange() {
                    left_out.exchanges += 1;
                } else {
                    left_out.queues += 1;
                }
            }
        }
        let mut edges = Vec::new();
        for edge in self.edges {
            if keep[edge.from] && keep[edge.to] {
                edges.push(Edge {
                    from: renumber[edge.from],
                    to: renumber[edge.to],
                    ..edge
                });
            } else if count {
                left_out.edges += 1;
            }
        }
        Graph {
            nodes,
            edges,
            left_out,
        }
    }
}

/// Nodes sort by vhost, exchanges before queues, then by name.
fn node_order(id: &ObjectId) -> (&str, u8, &str) {
    match id {
        ObjectId::Exchange { vhost, name } => (vhost, 0, name),
        ObjectId::Queue { vhost, name } => (vhost, 1, name),
        other => (other.vhost(), 2, ""),
    }
}

/// The topology before `plan`, from the one after it (the files a saved
/// plan was made from) and the plan's record of each object before:
/// created objects are taken out, updated and replaced ones put back as
/// they were, deleted ones put back. Objects the plan leaves unmanaged are
/// on the broker on both sides, so they are added to `after` too. Returns
/// (before, after).
pub fn sides_of_plan(after: &Topology, plan: &Plan) -> (Topology, Topology) {
    let mut before = Objects::of(after);
    let mut after = Objects::of(after);
    for change in &plan.changes {
        match change.action {
            Action::Create => {
                before.remove(&change.id);
            }
            Action::Update | Action::Replace => {
                if let Some(object) = &change.before {
                    before.put(object.clone());
                }
            }
            Action::Delete => {
                after.remove(&change.id);
                if let Some(object) = &change.before {
                    before.put(object.clone());
                }
            }
            Action::Unmanaged => {
                if let Some(object) = &change.before {
                    before.put(object.clone());
                    after.put(object.clone());
                }
            }
            // A vhost's field the broker cannot change, or anything else a
            // plan may say of an object without changing it: nothing drawn
            // differs.
            _ => {}
        }
    }
    (before.into_topology(), after.into_topology())
}

/// The objects a graph is drawn from, by identity.
struct Objects(BTreeMap<ObjectId, Object>);

impl Objects {
    fn of(t: &Topology) -> Objects {
        let exchanges = t.exchanges.iter().map(|e| Object::Exchange(e.clone()));
        let queues = t.queues.iter().map(|q| Object::Queue(q.clone()));
        let bindings = t.bindings.iter().map(|b| Object::Binding(b.clone()));
        let policies = t.policies.iter().map(|p| Object::Policy(p.clone()));
        Objects(
            exchanges
                .chain(queues)
                .chain(bindings)
                .chain(policies)
                .map(|o| (o.id(), o))
                .collect(),
        )
    }

    fn remove(&mut self, id: &ObjectId) {
        self.0.remove(id);
    }

    fn put(&mut self, object: Object) {
        if !matches!(object, Object::Vhost(_)) {
            self.0.insert(object.id(), object);
        }
    }

    fn into_topology(self) -> Topology {
        let mut t = Topology::default();
        for object in self.0.into_values() {
            match object {
                Object::Exchange(e) => t.exchanges.push(e),
                Object::Queue(q) => t.queues.push(q),
                Object::Binding(b) => t.bindings.push(b),
                Object::Policy(p) => t.policies.push(p),
                // Not part of the routing a graph draws.
                Object::Vhost(_)
                | Object::User(_)
                | Object::Permission(_)
                | Object::TopicPermission(_)
                | Object::Parameter(_)
                | Object::GlobalParameter(_) => {}
            }
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{PlanInputs, plan_changes};

    fn topology(yaml: &str) -> Topology {
        serde_yaml::from_str(yaml).unwrap()
    }

    /// Each edge as `from -kind-> to [label] mark`.
    fn edges(graph: &Graph) -> Vec<String> {
        graph
            .edges
            .iter()
            .map(|e| {
                format!(
                    "{} -{:?}-> {} [{}] {}",
                    graph.nodes[e.from].name(),
                    e.kind,
                    graph.nodes[e.to].name(),
                    e.label,
                    e.mark.as_str()
                )
            })
            .collect()
    }

    fn nodes(graph: &Graph) -> Vec<String> {
        graph
            .nodes
            .iter()
            .map(|n| format!("{} {}", n.name(), n.mark.as_str()))
            .collect()
    }

    const EVERY_EDGE: &str = r#"
vhosts: [{name: /}]
exchanges:
  - {name: events, type: topic, arguments: {alternate-exchange: unrouted}}
  - {name: unrouted, type: fanout}
  - {name: audit, type: headers}
  - {name: dlx, type: fanout}
queues:
  - {name: order.events, arguments: {x-dead-letter-exchange: dlx, x-dead-letter-routing-key: dead}}
  - {name: pdfs, arguments: {x-queue-type: quorum}}
  - {name: lost}
  - {name: dead}
  - {name: jobs}
bindings:
  - {source: events, destination: order.events, routing_key: 'order.*'}
  - {source: events, destination: audit, destination_type: exchange, routing_key: '#'}
  - {source: audit, destination: pdfs, arguments: {x-match: all, format: pdf}}
  - {source: unrouted, destination: lost}
  - {source: dlx, destination: dead}
  - {source: amq.topic, destination: jobs, routing_key: 'job.#'}
policies:
  - {name: jobs-dlx, pattern: '^jobs$', apply_to: queues, definition: {dead-letter-exchange: dlx}}
"#;

    #[test]
    fn every_kind_of_edge_is_drawn_with_what_it_says() {
        let graph = Graph::of(&topology(EVERY_EDGE));
        assert_eq!(
            edges(&graph),
            [
                "amq.topic -Binding-> jobs [job.#] unchanged",
                "audit -Binding-> pdfs [format=pdf, x-match=all] unchanged",
                "dlx -Binding-> dead [] unchanged",
                "events -Binding-> order.events [order.*] unchanged",
                "events -ExchangeBinding-> audit [#] unchanged",
                "events -Alternate-> unrouted [alternate] unchanged",
                "unrouted -Binding-> lost [] unchanged",
                "jobs -DeadLetter-> dlx [dead letters (policy jobs-dlx)] unchanged",
                "order.events -DeadLetter-> dlx [dead letters [dead]] unchanged",
            ]
        );
        let amq = &graph.nodes[0];
        assert_eq!(
            (amq.name(), amq.implicit, amq.detail.as_deref()),
            ("amq.topic", true, Some("topic"))
        );
        let pdfs = graph.nodes.iter().find(|n| n.name() == "pdfs").unwrap();
        assert_eq!(pdfs.detail.as_deref(), Some("quorum"));
    }

    #[test]
    fn an_argument_wins_over_a_policy_and_the_highest_priority_policy_applies() {
        let graph = Graph::of(&topology(
            r#"
exchanges: [{name: a, type: fanout}, {name: b, type: fanout}, {name: c, type: fanout}]
queues: [{name: q1, arguments: {x-dead-letter-exchange: a}}, {name: q2}, {name: s, arguments: {x-queue-type: stream}}]
policies:
  - {name: low, pattern: '^q', apply_to: queues, priority: 1, definition: {dead-letter-exchange: b}}
  - {name: high, pattern: '^q2', apply_to: all, priority: 5, definition: {dead-letter-exchange: c}}
  - {name: quorum-only, pattern: '^s', apply_to: quorum_queues, definition: {dead-letter-exchange: b}}
"#,
        ));
        assert_eq!(
            edges(&graph),
            [
                "q1 -DeadLetter-> a [dead letters] unchanged",
                "q2 -DeadLetter-> c [dead letters (policy high)] unchanged",
            ]
        );
    }

    const STORY_BEFORE: &str = r#"
vhosts: [{name: /}]
exchanges: [{name: events, type: topic}]
queues: [{name: order.events}, {name: jobs}]
bindings: [{source: events, destination: order.events, routing_key: 'order.*'}]
"#;

    const STORY_AFTER: &str = r#"
vhosts: [{name: /}]
exchanges: [{name: events, type: topic}, {name: dlx, type: fanout}]
queues: [{name: order.events}, {name: jobs}, {name: order.dead}]
bindings:
  - {source: events, destination: order.events, routing_key: 'order.*'}
  - {source: dlx, destination: order.dead}
policies:
  - {name: order-events-dead-letters, pattern: '^order\.events$', apply_to: queues, definition: {dead-letter-exchange: dlx}}
"#;

    fn story() -> (Topology, Topology, Plan) {
        let before = topology(STORY_BEFORE);
        let after = topology(STORY_AFTER);
        let plan = plan_changes(&after, &before, PlanInputs::default());
        (before, after, plan)
    }

    #[test]
    fn a_plan_marks_what_it_adds_and_leaves_the_rest() {
        let (before, _, plan) = story();
        let after = simulate(&before, &plan);
        let graph = Graph::compare(&before, &after, &plan);
        assert_eq!(
            nodes(&graph),
            [
                "dlx added",
                "events unchanged",
                "jobs unchanged",
                "order.dead added",
                "order.events unchanged"
            ]
        );
        assert_eq!(
            edges(&graph),
            [
                "dlx -Binding-> order.dead [] added",
                "events -Binding-> order.events [order.*] unchanged",
                "order.events -DeadLetter-> dlx [dead letters (policy order-events-dead-letters)] added",
            ]
        );
    }

    #[test]
    fn the_sides_of_a_saved_plan_are_rebuilt_from_the_files() {
        let (before, after, plan) = story();
        let (rebuilt_before, rebuilt_after) = sides_of_plan(&after, &plan);
        assert_eq!(
            Graph::compare(&rebuilt_before, &rebuilt_after, &plan),
            Graph::compare(&before, &simulate(&before, &plan), &plan)
        );
    }

    #[test]
    fn removed_and_replaced_objects_are_marked() {
        let before = topology(STORY_AFTER);
        let after = topology(
            r#"
vhosts: [{name: /}]
exchanges: [{name: events, type: topic}]
queues: [{name: order.events, arguments: {x-message-ttl: 5}}, {name: jobs}]
bindings: [{source: events, destination: order.events, routing_key: 'order.*'}]
"#,
        );
        let plan = plan_changes(
            &after,
            &before,
            PlanInputs {
                prune: true,
                ..PlanInputs::default()
            },
        );
        let graph = Graph::compare(&before, &simulate(&before, &plan), &plan);
        assert_eq!(
            nodes(&graph),
            [
                "dlx removed",
                "events unchanged",
                "jobs unchanged",
                "order.dead removed",
                "order.events changed"
            ]
        );
        assert!(edges(&graph).iter().all(|e| !e.ends_with("added")));
    }

    #[test]
    fn a_big_graph_is_cut_to_the_changes_and_their_neighbours() {
        let mut before = topology(STORY_BEFORE);
        let mut after = topology(STORY_AFTER);
        for i in 0..100 {
            for t in [&mut before, &mut after] {
                t.queues
                    .push(topology(&format!("queues: [{{name: q{i}}}]")).queues[0].clone());
            }
        }
        let plan = plan_changes(&after, &before, PlanInputs::default());
        let graph = Graph::compare(&before, &simulate(&before, &plan), &plan).fit(10);
        assert_eq!(
            nodes(&graph),
            ["dlx added", "order.dead added", "order.events unchanged"]
        );
        assert_eq!(
            graph.left_out,
            LeftOut {
                exchanges: 1,
                queues: 101,
                edges: 1,
                changed: 0
            }
        );
        let tight = Graph::compare(&before, &simulate(&before, &plan), &plan).fit(1);
        assert_eq!(nodes(&tight), ["dlx added"]);
        assert_eq!(tight.left_out.changed, 1);
    }

    #[test]
    fn a_vhost_is_drawn_alone_when_asked() {
        let graph = Graph::of(&topology(
            "queues: [{name: a}, {name: b, vhost: v}]\nexchanges: [{name: x, vhost: v, type: fanout}]\nbindings: [{source: x, destination: b, vhost: v}]",
        ));
        assert_eq!(graph.vhosts(), ["/", "v"]);
        let v = graph.in_vhosts(&["v".to_string()]);
        assert_eq!(nodes(&v), ["x unchanged", "b unchanged"]);
        assert_eq!(v.edges.len(), 1);
        assert!(v.left_out.is_empty());
    }
}
