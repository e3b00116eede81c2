//! The rules of a valid topology (DESIGN.md §1), each a small function of a
//! parsed [`Topology`] that returns findings: errors, which make
//! `warren validate` fail, and warnings, which do not.
//!
//! Pure: no files, no positions. A finding points at an object by its list
//! and index in the merged topology, and at the field it is about; the
//! loader turns that into a file, a label and a line. The tables of known
//! arguments live in `arguments`.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::Value;

use crate::model::{
    Arguments, Binding, BuiltinExchange, DestinationType, Exchange, GlobalParameter, ObjectId,
    Parameter, Permission, Policy, Queue, QueueType, RouteAssertion, TopicPermission, Topology,
    User, Vhost, builtin_exchange, builtin_exchange_type, effective_type_name, is_reserved_name,
};
use crate::route;
use crate::suggest::{HintBudget, hint, hint_within};
use arguments::ValueRule;

mod access;
pub mod arguments;
mod broker;
mod components;
mod parameters;

pub use broker::{BrokerFacts, check_against, undeclared_grantees};

/// The lists of a topology file, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    Vhosts,
    Exchanges,
    Queues,
    Bindings,
    Policies,
    Routes,
    Users,
    Permissions,
    TopicPermissions,
    Parameters,
    GlobalParameters,
}

impl Section {
    pub const COUNT: usize = 11;

    pub const ALL: [Section; Section::COUNT] = [
        Section::Vhosts,
        Section::Exchanges,
        Section::Queues,
        Section::Bindings,
        Section::Policies,
        Section::Routes,
        Section::Users,
        Section::Permissions,
        Section::TopicPermissions,
        Section::Parameters,
        Section::GlobalParameters,
    ];

    /// The key of the list in a file: `queues`.
    pub fn key(self) -> &'static str {
        match self {
            Section::Vhosts => "vhosts",
            Section::Exchanges => "exchanges",
            Section::Queues => "queues",
            Section::Bindings => "bindings",
            Section::Policies => "policies",
            Section::Routes => "routes",
            Section::Users => "users",
            Section::Permissions => "permissions",
            Section::TopicPermissions => "topic_permissions",
            Section::Parameters => "parameters",
            Section::GlobalParameters => "global_parameters",
        }
    }

    pub fn from_key(key: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.key() == key)
    }

    /// `queues[3] order.events`, or `queues[3]` for an unnamed item.
    pub fn label(self, index: usize, name: &str) -> String {
        if name.is_empty() {
            format!("{}[{index}]", self.key())
        } else {
            format!("{}[{index}] {name}", self.key())
        }
    }
}

/// `events -> order.events`; the default exchange reads `(default)`.
pub fn binding_label(source: &str, destination: &str) -> String {
    format!("{} -> {destination}", exchange_label(source))
}

/// `events order.created`: where a route assertion publishes.
pub fn route_label(exchange: &str, routing_key: &str) -> String {
    format!("{} {routing_key}", exchange_label(exchange))
        .trim_end()
        .to_string()
}

fn exchange_label(name: &str) -> &str {
    if name.is_empty() { "(default)" } else { name }
}

/// Whether a finding stops the topology from being used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// An object of the merged topology: its list and its index there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ObjectRef {
    pub section: Section,
    pub index: usize,
}

/// One thing wrong, or worth a warning, about one object.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub severity: Severity,
    pub object: ObjectRef,
    /// The field it is about, inside the object (`arguments`,
    /// `x-message-ttl`), to point at the right line; empty for the whole
    /// object.
    /// The keys down to the field (`[arguments, x-expires]`), empty for
    /// the object itself.
    pub field: Vec<String>,
    pub message: String,
    /// Another object involved: the first declaration of a duplicate.
    pub related: Option<ObjectRef>,
    /// The object is left out of the topology, as RabbitMQ's own import
    /// leaves it out (a built-in exchange listed in an export).
    pub leaves_out: bool,
}

/// Names longer than this many bytes are refused (AMQP short strings).
pub const MAX_NAME_BYTES: usize = 255;

/// Every finding about `topology`, rule by rule.
pub fn validate(topology: &Topology) -> Vec<Finding> {
    let mut out = Findings::default();
    let scope = Scope::of(topology);
    check_vhosts(topology, &mut out);
    check_queue_limits(topology, &scope, &mut out);
    check_listed_vhosts(topology, &scope, &mut out);
    check_duplicates(topology, &mut out);
    for (i, exchange) in topology.exchanges.iter().enumerate() {
        check_exchange(exchange, at(Section::Exchanges, i), &scope, &mut out);
    }
    for (i, queue) in topology.queues.iter().enumerate() {
        check_queue(queue, at(Section::Queues, i), &scope, &mut out);
    }
    for (i, binding) in topology.bindings.iter().enumerate() {
        check_binding(binding, at(Section::Bindings, i), &scope, &mut out);
    }
    for (i, policy) in topology.policies.iter().enumerate() {
        check_policy(policy, at(Section::Policies, i), &mut out);
    }
    access::check_access(topology, &mut out);
    parameters::check_parameters(topology, &mut out);
    check_placeholders(topology, &mut out);
    if !topology.routes.is_empty() {
        let router = route::Router::new(topology);
        for (i, assertion) in topology.routes.iter().enumerate() {
            if router.bindings_examined() > MAX_ROUTE_WORK {
                skip_routes(topology.routes.len() - i, at(Section::Routes, i), &mut out);
                break;
            }
            check_route(&router, assertion, at(Section::Routes, i), &mut out);
        }
    }
    out.0
}

/// What [`settle`] found, and the objects it read into others (to be
/// left out of the topology without a word: they are not lost).
#[derive(Debug, Default)]
pub struct Settled {
    pub findings: Vec<Finding>,
    pub merged: Vec<ObjectRef>,
}

/// Reads the export spellings that say again what a field says: each
/// vhost's `metadata` is merged into its description, tags and default
/// queue type, and emptied; a `vhost-limits` parameter (as exports list
/// a vhost's limits) into its vhost's `limits`. A value written both ways
/// must be the same: a difference is an error at the later spelling. An
/// operator policy without a `priority` gets 0, as the broker's policy API
/// gives it (its parameters API, which warren writes through, refuses the
/// value without one). Run before [`validate`], which then sees one
/// spelling.
pub fn settle(topology: &mut Topology) -> Settled {
    let mut settled = Settled::default();
    settled.merged = settle_vhost_limits(topology, &mut settled.findings);
    settled.findings.extend(settle_metadata(topology));
    settle_operator_policy_priority(topology);
    settled
}

/// `priority: 0` into each operator policy that has none.
fn settle_operator_policy_priority(topology: &mut Topology) {
    let Some(parameters) = &mut topology.parameters else {
        return;
    };
    for parameter in parameters
        .iter_mut()
        .filter(|p| p.component == "operator_policy")
    {
        if let Value::Object(value) = &mut parameter.value {
            value.entry("priority").or_insert_with(|| Value::from(0));
        }
    }
}

/// The `vhost-limits` parameters into their vhosts' `limits`.
fn settle_vhost_limits(topology: &mut Topology, findings: &mut Vec<Finding>) -> Vec<ObjectRef> {
    let mut out = Findings::default();
    let mut merged = Vec::new();
    let Some(parameters) = &topology.parameters else {
        return merged;
    };
    for (index, parameter) in parameters.iter().enumerate() {
        if parameter.component != "vhost-limits" {
            continue;
        }
        let at = at(Section::Parameters, index);
        let Some(vhost) = topology
            .vhosts
            .iter_mut()
            .find(|v| v.name == parameter.vhost)
        else {
            continue; // its vhost is not listed: validate says so
        };
        let Ok(limits) = serde_json::from_value::<Arguments>(parameter.value.clone()) else {
            out.error(
                at,
                &["value"],
                "a vhost-limits value is a mapping of limits",
            );
            continue;
        };
        match &vhost.limits {
            Some(written) if written != &limits => out.error(
                at,
                &["value"],
                format!(
                    "these limits differ from the limits of vhost '{}' written in the vhost: \
                     write them once",
                    parameter.vhost
                ),
            ),
            _ => {
                vhost.limits = Some(limits);
                merged.push(at);
            }
        }
    }
    findings.extend(out.0);
    merged
}

/// Each vhost's `metadata` into its own fields.
fn settle_metadata(topology: &mut Topology) -> Vec<Finding> {
    let mut out = Findings::default();
    for (index, vhost) in topology.vhosts.iter_mut().enumerate() {
        let Some(metadata) = vhost.metadata.take() else {
            continue;
        };
        let at = at(Section::Vhosts, index);
        let mut differs = |key: &str, top: String, meta: String| {
            out.error(
                at,
                &["metadata", key],
                format!(
                    "metadata.{key} {meta} differs from {key} {top}: the two spellings of one \
                 field must agree (RabbitMQ 3.10 reads the default queue type from metadata, \
                 later versions read either); write it once"
                ),
            );
        };
        if let Some(description) = metadata.description {
            if vhost.description.is_empty() {
                vhost.description = description;
            } else if vhost.description != description {
                differs(
                    "description",
                    format!("'{}'", vhost.description),
                    format!("'{description}'"),
                );
            }
        }
        if let Some(tags) = metadata.tags {
            let sorted = |tags: &[String]| {
                let mut tags = tags.to_vec();
                tags.sort();
                tags.dedup();
                tags
            };
            if vhost.tags.is_empty() {
                vhost.tags = tags;
            } else if sorted(&vhost.tags) != sorted(&tags) {
                differs(
                    "tags",
                    format!("[{}]", vhost.tags.join(", ")),
                    format!("[{}]", tags.join(", ")),
                );
            }
        }
        if let Some(kind) = metadata.default_queue_type {
            match &vhost.default_queue_type {
                None => vhost.default_queue_type = Some(kind),
                Some(top) if *top != kind => differs(
                    "default_queue_type",
                    format!("'{top}'"),
                    format!("'{kind}'"),
                ),
                Some(_) => {}
            }
        }
    }
    out.0
}

fn at(section: Section, index: usize) -> ObjectRef {
    ObjectRef { section, index }
}

/// The name shown after an object's label: `order.events`,
/// `events -> order.events`.
pub fn object_name(topology: &Topology, object: ObjectRef) -> String {
    let i = object.index;
    match object.section {
        Section::Vhosts => topology.vhosts[i].name.clone(),
        Section::Exchanges => topology.exchanges[i].name.clone(),
        Section::Queues => topology.queues[i].name.clone(),
        Section::Bindings => {
            let b = &topology.bindings[i];
            binding_label(&b.source, &b.destination)
        }
        Section::Policies => topology.policies[i].name.clone(),
        Section::Routes => {
            let r = &topology.routes[i];
            route_label(&r.exchange, &r.routing_key)
        }
        Section::Users => topology.users()[i].name.clone(),
        Section::Permissions => {
            let p = &topology.permissions()[i];
            format!("{} @ {}", p.user, p.vhost)
        }
        Section::TopicPermissions => {
            let p = &topology.topic_permissions()[i];
            format!(
                "{} @ {} on {}",
                p.user,
                p.vhost,
                exchange_label(&p.exchange)
            )
        }
        Section::Parameters => {
            let p = &topology.parameters()[i];
            format!("{} {}", p.component, p.name)
        }
        Section::GlobalParameters => topology.global_parameters()[i].name.clone(),
    }
}

#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn error(&mut self, object: ObjectRef, field: &[&str], message: impl Into<String>) {
        self.push(Severity::Error, object, field, message.into());
    }

    fn warning(&mut self, object: ObjectRef, field: &[&str], message: impl Into<String>) {
        self.push(Severity::Warning, object, field, message.into());
    }

    fn push(&mut self, severity: Severity, object: ObjectRef, field: &[&str], message: String) {
        self.0.push(Finding {
            severity,
            object,
            field: field.iter().map(|k| k.to_string()).collect(),
            message,
            related: None,
            leaves_out: false,
        });
    }

    /// A warning about an object that is then left out of the topology.
    fn left_out(&mut self, object: ObjectRef, field: &[&str], message: impl Into<String>) {
        self.warning(object, field, message);
        if let Some(last) = self.0.last_mut() {
            last.leaves_out = true;
        }
    }
}

/// What the topology declares, per vhost, for lookups by name.
struct Scope<'t> {
    /// Vhost names in file order.
    vhosts: Vec<&'t str>,
    listed_vhosts: HashSet<&'t str>,
    default_queue_types: HashMap<&'t str, QueueType>,
    exchanges: HashMap<&'t str, BTreeSet<&'t str>>,
    queues: HashMap<&'t str, BTreeSet<&'t str>>,
    /// Shared by every "did you mean" against declared names, whose lists
    /// can be long.
    hints: RefCell<HintBudget>,
}

impl<'t> Scope<'t> {
    fn of(topology: &'t Topology) -> Scope<'t> {
        let mut scope = Scope {
            vhosts: topology.vhosts.iter().map(|v| v.name.as_str()).collect(),
            listed_vhosts: topology.vhosts.iter().map(|v| v.name.as_str()).collect(),
            hints: RefCell::new(HintBudget::default()),
            default_queue_types: HashMap::new(),
            exchanges: HashMap::new(),
            queues: HashMap::new(),
        };
        for vhost in &topology.vhosts {
            if let Some(kind) = vhost
                .default_queue_type
                .as_deref()
                .and_then(QueueType::parse)
            {
                scope.default_queue_types.insert(&vhost.name, kind);
            }
        }
        for e in &topology.exchanges {
            scope.exchanges.entry(&e.vhost).or_default().insert(&e.name);
        }
        for q in &topology.queues {
            scope.queues.entry(&q.vhost).or_default().insert(&q.name);
        }
        scope
    }

    /// Declared, or built in (the default exchange and `amq.*`).
    fn has_exchange(&self, vhost: &str, name: &str) -> bool {
        builtin_exchange_type(name).is_some()
            || self.exchanges.get(vhost).is_some_and(|s| s.contains(name))
    }

    fn has_queue(&self, vhost: &str, name: &str) -> bool {
        self.queues.get(vhost).is_some_and(|s| s.contains(name))
    }

    /// Exchange names to suggest: declared ones, then the built-in ones.
    fn exchange_names(&self, vhost: &str) -> impl Iterator<Item = &str> {
        let declared = self.exchanges.get(vhost).into_iter().flatten().copied();
        let builtin = crate::model::BUILTIN_EXCHANGES
            .iter()
            .map(|b| b.name)
            .filter(|n| !n.is_empty());
        declared.chain(builtin)
    }

    fn queue_names(&self, vhost: &str) -> impl Iterator<Item = &str> {
        self.queues.get(vhost).into_iter().flatten().copied()
    }

    /// A "did you mean" among declared names, within the shared budget.
    fn hint<'a>(&self, word: &str, candidates: impl Iterator<Item = &'a str>) -> String {
        hint_within(word, candidates, &mut self.hints.borrow_mut())
    }
}

// ---------------------------------------------------------------- vhosts

fn check_vhosts(topology: &Topology, out: &mut Findings) {
    for (index, vhost) in topology.vhosts.iter().enumerate() {
        let at = at(Section::Vhosts, index);
        check_name(&vhost.name, "vhost", at, out);
        for (key, value) in vhost.limits.iter().flatten() {
            check_limit(key, value, arguments::VHOST_LIMITS, at, out);
        }
        if let Some(kind) = &vhost.default_queue_type {
            if QueueType::parse(kind).is_none() {
                out.error(
                    at,
                    &["default_queue_type"],
                    format!(
                        "default_queue_type '{kind}' is not one of classic, quorum, stream{}",
                        hint(kind, QueueType::NAMES.iter().copied())
                    ),
                );
            }
        }
    }
}

/// A vhost's or a user's limit: a known key, and an integer (a negative
/// one means no limit).
fn check_limit(key: &str, value: &Value, known: &[&str], at: ObjectRef, out: &mut Findings) {
    if !known.contains(&key) {
        out.error(
            at,
            &["limits", key],
            format!(
                "unknown limit '{key}'{}; the limits are {}",
                hint(key, known.iter().copied()),
                known.join(", ")
            ),
        );
    } else if !value.is_i64() {
        out.error(
            at,
            &["limits", key],
            format!(
                "{key} must be an integer (a negative one means no limit), not {}",
                arguments::show(value)
            ),
        );
    }
}

/// A vhost's `max-queues` leaves room for the queues the files declare in
/// it: the broker refuses every declaration past the limit.
fn check_queue_limits(topology: &Topology, scope: &Scope, out: &mut Findings) {
    for (index, vhost) in topology.vhosts.iter().enumerate() {
        let Some(limit) = vhost
            .limits
            .as_ref()
            .and_then(|l| l.get("max-queues"))
            .and_then(Value::as_i64)
        else {
            continue;
        };
        let declared = scope
            .queues
            .get(vhost.name.as_str())
            .map_or(0, BTreeSet::len);
        if limit >= 0 && (declared as u64) > limit as u64 {
            out.error(
                at(Section::Vhosts, index),
                &["limits", "max-queues"],
                format!(
                    "max-queues {limit} is less than the {declared} queues the files declare in \
                     vhost '{}': the broker refuses every queue past the limit",
                    vhost.name
                ),
            );
        }
    }
}

/// Every object lives in a vhost listed under `vhosts`.
fn check_listed_vhosts(topology: &Topology, scope: &Scope, out: &mut Findings) {
    for section in Section::ALL.into_iter().filter(|s| *s != Section::Vhosts) {
        for (index, vhost) in vhosts_of(topology, section).into_iter().enumerate() {
            if scope.listed_vhosts.contains(vhost) {
                continue;
            }
            let suggestion = scope.hint(vhost, scope.vhosts.iter().copied());
            let advice = if suggestion.is_empty() {
                format!("; add `- name: {vhost}` under vhosts")
            } else {
                String::new()
            };
            out.error(
                at(section, index),
                &["vhost"],
                format!("vhost '{vhost}' is not listed under vhosts{suggestion}{advice}"),
            );
        }
    }
}

/// The vhost of each object of a list (a vhost's is its own name).
fn vhosts_of(topology: &Topology, section: Section) -> Vec<&str> {
    match section {
        Section::Vhosts => topology.vhosts.iter().map(|o| o.name.as_str()).collect(),
        Section::Exchanges => topology
            .exchanges
            .iter()
            .map(|o| o.vhost.as_str())
            .collect(),
        Section::Queues => topology.queues.iter().map(|o| o.vhost.as_str()).collect(),
        Section::Bindings => topology.bindings.iter().map(|o| o.vhost.as_str()).collect(),
        Section::Policies => topology.policies.iter().map(|o| o.vhost.as_str()).collect(),
        Section::Routes => topology.routes.iter().map(|o| o.vhost.as_str()).collect(),
        Section::Permissions => topology
            .permissions()
            .iter()
            .map(|o| o.vhost.as_str())
            .collect(),
        Section::TopicPermissions => topology
            .topic_permissions()
            .iter()
            .map(|o| o.vhost.as_str())
            .collect(),
        Section::Parameters => topology
            .parameters()
            .iter()
            .map(|o| o.vhost.as_str())
            .collect(),
        // Users and global parameters belong to no vhost.
        Section::Users | Section::GlobalParameters => Vec::new(),
    }
}

// ------------------------------------------------------------ duplicates

/// The same identity twice, in one file or across files: the later one is
/// reported, and the first named. Route assertions have no identity.
fn check_duplicates(topology: &Topology, out: &mut Findings) {
    for section in Section::ALL {
        let ids = ids_of(topology, section);
        let mut first: HashMap<ObjectId, usize> = HashMap::with_capacity(ids.len());
        for (index, id) in ids.into_iter().enumerate() {
            if let Some(&earlier) = first.get(&id) {
                out.0.push(Finding {
                    severity: Severity::Error,
                    object: at(section, index),
                    field: Vec::new(),
                    message: format!("duplicate {}", describe_id(&id)),
                    related: Some(at(section, earlier)),
                    leaves_out: false,
                });
            } else {
                first.insert(id, index);
            }
        }
    }
}

/// The identity of each object of a list, as the model defines it.
fn ids_of(topology: &Topology, section: Section) -> Vec<ObjectId> {
    match section {
        Section::Vhosts => topology.vhosts.iter().map(Vhost::id).collect(),
        Section::Exchanges => topology.exchanges.iter().map(Exchange::id).collect(),
        Section::Queues => topology.queues.iter().map(Queue::id).collect(),
        Section::Bindings => topology.bindings.iter().map(Binding::id).collect(),
        Section::Policies => topology.policies.iter().map(Policy::id).collect(),
        Section::Routes => Vec::new(),
        Section::Users => topology.users().iter().map(User::id).collect(),
        Section::Permissions => topology.permissions().iter().map(Permission::id).collect(),
        Section::TopicPermissions => topology
            .topic_permissions()
            .iter()
            .map(TopicPermission::id)
            .collect(),
        Section::Parameters => topology.parameters().iter().map(Parameter::id).collect(),
        Section::GlobalParameters => topology
            .global_parameters()
            .iter()
            .map(GlobalParameter::id)
            .collect(),
    }
}

fn describe_id(id: &ObjectId) -> String {
    match id {
        ObjectId::Vhost { name } => format!("vhost '{name}'"),
        ObjectId::Binding { vhost, .. } => format!("{id} in vhost '{vhost}'"),
        ObjectId::Policy { vhost, name }
        | ObjectId::Exchange { vhost, name }
        | ObjectId::Queue { vhost, name } => {
            format!("{} '{name}' in vhost '{vhost}'", id.kind())
        }
        ObjectId::User { name } => format!("user '{name}'"),
        ObjectId::GlobalParameter { name } => format!("global parameter '{name}'"),
        ObjectId::Permission { vhost, .. }
        | ObjectId::TopicPermission { vhost, .. }
        | ObjectId::Parameter { vhost, .. } => format!("{id} in vhost '{vhost}'"),
    }
}

// ----------------------------------------------------------------- names

/// Not empty, at most 255 bytes of UTF-8.
fn check_name(name: &str, what: &str, at: ObjectRef, out: &mut Findings) {
    if name.is_empty() {
        out.error(at, &["name"], format!("a {what} name must not be empty"));
    } else if name.len() > MAX_NAME_BYTES {
        out.error(
            at,
            &["name"],
            format!(
                "the {what} name is {} bytes long; RabbitMQ allows {MAX_NAME_BYTES} bytes of UTF-8",
                name.len()
            ),
        );
    }
}

/// `amq.` names belong to the broker: declaring one is refused.
fn check_not_reserved(name: &str, what: &str, at: ObjectRef, out: &mut Findings) {
    if is_reserved_name(name) {
        out.error(
            at,
            &["name"],
            format!(
                "{what} names starting with 'amq.' are reserved for the broker, which refuses \
                 to declare them (access refused); choose another name"
            ),
        );
    }
}

fn check_routing_key(key: &str, field: &str, at: ObjectRef, out: &mut Findings) {
    if key.len() > MAX_NAME_BYTES {
        out.error(
            at,
            &[field],
            format!(
                "the routing key is {} bytes long; RabbitMQ allows {MAX_NAME_BYTES} bytes of UTF-8",
                key.len()
            ),
        );
    }
}

// ------------------------------------------------------------- exchanges

fn check_exchange(exchange: &Exchange, at: ObjectRef, scope: &Scope, out: &mut Findings) {
    if let Some(builtin) = builtin_exchange(&exchange.name) {
        check_builtin_exchange(exchange, builtin, at, out);
        return;
    }
    check_name(&exchange.name, "exchange", at, out);
    check_not_reserved(&exchange.name, "exchange", at, out);
    let kind = exchange.kind.as_str();
    if !arguments::EXCHANGE_TYPES.contains(&kind) && !kind.starts_with("x-") {
        out.error(
            at,
            &["type"],
            format!(
                "exchange type '{kind}' is not one of direct, fanout, topic, headers, \
                 nor a plugin type starting 'x-'{}",
                hint(kind, arguments::EXCHANGE_TYPES.iter().copied())
            ),
        );
    }
    check_no_nulls(&exchange.arguments, "arguments", at, out);
    for (key, value) in &exchange.arguments {
        match arguments::EXCHANGE_ARGUMENTS.iter().find(|(k, _)| k == key) {
            Some((_, rule)) => check_argument(key, *rule, value, at, out),
            None if key.starts_with("x-") => out.warning(
                at,
                &["arguments", key],
                format!(
                    "unknown argument '{key}': {}",
                    unknown_argument_consequence()
                ),
            ),
            None => {}
        }
    }
    check_referenced_exchange(
        &ALTERNATE_EXCHANGE,
        &exchange.arguments,
        &exchange.vhost,
        at,
        scope,
        out,
    );
}

/// A built-in exchange listed in a file, as exports of some versions list
/// them: left to the broker (its import skips them) when the file says
/// what the broker has, refused when it says something else, which no
/// broker would do.
fn check_builtin_exchange(
    exchange: &Exchange,
    builtin: &BuiltinExchange,
    at: ObjectRef,
    out: &mut Findings,
) {
    let name = if builtin.name.is_empty() {
        "the default exchange"
    } else {
        builtin.name
    };
    let mut differences = Vec::new();
    if exchange.kind != builtin.kind {
        differences.push(format!("type {} (not {})", builtin.kind, exchange.kind));
    }
    if !exchange.durable {
        differences.push("durable".to_string());
    }
    if exchange.auto_delete {
        differences.push("not auto-delete".to_string());
    }
    if exchange.internal != builtin.internal {
        differences.push(
            if builtin.internal {
                "internal"
            } else {
                "not internal"
            }
            .to_string(),
        );
    }
    if !exchange.arguments.is_empty() {
        differences.push("without arguments".to_string());
    }
    if differences.is_empty() {
        out.left_out(
            at,
            &["name"],
            format!(
                "{name} is built in: every vhost has it, as written here; left to the broker, as \
                 RabbitMQ's import leaves it"
            ),
        );
    } else {
        out.error(
            at,
            &[],
            format!(
                "{name} is built in, and the broker's is {}: no file can change it; remove it, \
                 or write it as the broker has it",
                differences.join(", ")
            ),
        );
    }
}

/// An argument naming an exchange that messages are sent on to.
struct ExchangeReference {
    argument: &'static str,
    role: &'static str,
    /// What happens while that exchange does not exist.
    otherwise: &'static str,
}

const ALTERNATE_EXCHANGE: ExchangeReference = ExchangeReference {
    argument: "alternate-exchange",
    role: "alternate exchange",
    otherwise: "unroutable messages are dropped",
};

const DEAD_LETTER_EXCHANGE: ExchangeReference = ExchangeReference {
    argument: "x-dead-letter-exchange",
    role: "dead-letter exchange",
    otherwise: "dead-lettered messages are dropped",
};

/// A warning when the exchange an argument names is not declared (it may
/// be declared by another tool, so this is no error).
fn check_referenced_exchange(
    reference: &ExchangeReference,
    arguments: &Arguments,
    vhost: &str,
    at: ObjectRef,
    scope: &Scope,
    out: &mut Findings,
) {
    let Some(Value::String(name)) = arguments.get(reference.argument) else {
        return;
    };
    if !scope.has_exchange(vhost, name) {
        out.warning(
            at,
            &["arguments", reference.argument],
            format!(
                "{} '{name}' is not declared in vhost '{vhost}'{}; {} until it exists",
                reference.role,
                scope.hint(name, scope.exchange_names(vhost)),
                reference.otherwise,
            ),
        );
    }
}

fn unknown_argument_consequence() -> &'static str {
    "the broker stores it but never compares it, so a later change to it will not take effect"
}

// ---------------------------------------------------------------- queues

fn check_queue(queue: &Queue, at: ObjectRef, scope: &Scope, out: &mut Findings) {
    check_name(&queue.name, "queue", at, out);
    check_not_reserved(&queue.name, "queue", at, out);
    check_no_nulls(&queue.arguments, "arguments", at, out);
    check_queue_arguments(queue, at, out);
    check_queue_type(queue, at, scope, out);
    check_deprecated_queue_features(queue, at, out);
    check_referenced_exchange(
        &DEAD_LETTER_EXCHANGE,
        &queue.arguments,
        &queue.vhost,
        at,
        scope,
        out,
    );
}

/// Each known argument has a value of the right type; unknown ones are
/// warned about.
fn check_queue_arguments(queue: &Queue, at: ObjectRef, out: &mut Findings) {
    for (key, value) in &queue.arguments {
        match arguments::queue_argument_named(key) {
            Some(known) => check_argument(key, known.value, value, at, out),
            None => {
                let known = arguments::QUEUE_ARGUMENTS.iter().map(|a| a.name);
                out.warning(
                    at,
                    &["arguments", key],
                    format!(
                        "unknown argument '{key}'{}: {}",
                        hint(key, known),
                        unknown_argument_consequence()
                    ),
                );
            }
        }
    }
    if queue.arguments.contains_key("x-dead-letter-routing-key")
        && !queue.arguments.contains_key("x-dead-letter-exchange")
    {
        out.error(
            at,
            &["arguments", "x-dead-letter-routing-key"],
            "x-dead-letter-routing-key needs x-dead-letter-exchange: the broker refuses it alone",
        );
    }
}

fn check_argument(key: &str, rule: ValueRule, value: &Value, at: ObjectRef, out: &mut Findings) {
    if value.is_null() {
        return; // reported by check_no_nulls
    }
    if let Some(problem) = arguments::check_value(rule, value) {
        out.error(at, &["arguments", key], format!("{key} {problem}"));
    }
}

/// The type a queue gets, by the model's effective-type rule
/// ([`effective_type_name`]), with whether `x-queue-type` named it. A
/// vhost default that is no known type counts as none (it is reported
/// apart); `None` when `x-queue-type` is invalid (reported apart too).
fn effective_queue_type(queue: &Queue, scope: &Scope) -> Option<(QueueType, bool)> {
    let vhost_default = scope
        .default_queue_types
        .get(queue.vhost.as_str())
        .map(|t| t.as_str());
    let (name, explicit) = effective_type_name(queue, vhost_default)?;
    QueueType::parse(name).map(|t| (t, explicit))
}

/// Quorum queues and streams are durable and not auto-delete, and refuse
/// the arguments their type does not support (RABBITMQ.md §5).
fn check_queue_type(queue: &Queue, at: ObjectRef, scope: &Scope, out: &mut Findings) {
    let Some((kind, explicit)) = effective_queue_type(queue, scope) else {
        return;
    };
    let name = kind.as_str();
    if kind != QueueType::Classic {
        if !queue.durable {
            out.error(
                at,
                &["durable"],
                format!(
                    "{name} queues must be durable: the broker refuses durable: false \
                     (invalid property 'non-durable')"
                ),
            );
        }
        if queue.auto_delete {
            out.error(
                at,
                &["auto_delete"],
                format!(
                    "{name} queues cannot be auto-delete: the broker refuses auto_delete: true \
                     (invalid property 'auto-delete')"
                ),
            );
        }
    }
    // Without x-queue-type, and in a vhost whose default type the files do
    // not set, the type is the broker's default there: classic unless the
    // broker's vhost says otherwise, which only the plan can read.
    let type_known = explicit || scope.default_queue_types.contains_key(queue.vhost.as_str());
    if let Some(declared) = &queue.declared_type {
        check_declared_type(
            declared,
            kind,
            type_known.then_some(explicit),
            &queue.vhost,
            at,
            out,
        );
    }
    let via = if explicit {
        String::new()
    } else if type_known {
        format!(" (the default queue type of vhost '{}')", queue.vhost)
    } else {
        format!(
            " (as this queue is unless vhost '{}' has another default queue type on the \
             broker: the files set none)",
            queue.vhost
        )
    };
    for key in queue.arguments.keys() {
        let Some(known) = arguments::queue_argument_named(key) else {
            continue;
        };
        if known.types.contains(&kind) {
            continue;
        }
        let supported_by: Vec<&str> = known.types.iter().map(|t| t.as_str()).collect();
        let message = format!(
            "{key} is not supported by {name} queues{via}, only by {} queues",
            supported_by.join(" and ")
        );
        if kind == QueueType::Classic {
            // Most likely a forgotten x-queue-type.
            let message = format!("{message}: the broker refuses it; did you forget x-queue-type?");
            if type_known {
                out.error(at, &["arguments", key], message);
            } else {
                out.warning(at, &["arguments", key], message);
            }
        } else {
            out.error(
                at,
                &["arguments", key],
                format!("{message}: the broker refuses it"),
            );
        }
    }
}

/// The `type` an export writes beside the arguments names the type the
/// arguments (and the vhost's default) give the queue. The broker declares
/// the queue from its arguments alone, so a `type` they contradict would
/// be silently wrong.
/// `explicit` is `None` when the type comes from a vhost default the files
/// do not set: then a contradiction is only likely, and a warning.
fn check_declared_type(
    declared: &str,
    kind: QueueType,
    explicit: Option<bool>,
    vhost: &str,
    at: ObjectRef,
    out: &mut Findings,
) {
    let Some(declared_kind) = QueueType::parse(declared) else {
        out.error(
            at,
            &["type"],
            format!(
                "type '{declared}' is not one of classic, quorum, stream{}",
                hint(declared, QueueType::NAMES.iter().copied())
            ),
        );
        return;
    };
    if declared_kind == kind {
        return;
    }
    let from = match explicit {
        Some(true) => format!("x-queue-type makes it {}", kind.as_str()),
        Some(false) => format!(
            "without x-queue-type the broker declares it {} (the default of vhost '{vhost}')",
            kind.as_str()
        ),
        None => format!(
            "without x-queue-type the broker declares it {} unless vhost '{vhost}' has another \
             default queue type on the broker (the files set none)",
            kind.as_str()
        ),
    };
    let message = format!(
        "type '{declared}' contradicts the arguments: {from}, and the broker declares a queue \
         from its arguments; set x-queue-type: {declared}"
    );
    if explicit.is_some() {
        out.error(at, &["type"], message);
    } else {
        out.warning(at, &["type"], message);
    }
}

/// Features deprecated in 3.13 and refused by default from 4.3.
fn check_deprecated_queue_features(queue: &Queue, at: ObjectRef, out: &mut Findings) {
    // warren never declares exclusive queues, so a non-durable queue here
    // is always a transient non-exclusive one.
    if !queue.durable {
        out.warning(
            at,
            &["durable"],
            "non-durable queues are deprecated since RabbitMQ 3.13 and refused by default from \
             4.3 (transient_nonexcl_queues); make it durable",
        );
    }
    if queue.arguments.contains_key("x-queue-mode") {
        out.warning(
            at,
            &["arguments", "x-queue-mode"],
            "x-queue-mode is ignored since RabbitMQ 3.12, deprecated in 3.13 and refused by \
             default from 4.3; remove it",
        );
    }
    if queue
        .arguments
        .get("x-queue-version")
        .and_then(Value::as_i64)
        == Some(1)
    {
        out.warning(
            at,
            &["arguments", "x-queue-version"],
            "x-queue-version 1 is deprecated since RabbitMQ 3.13 and refused by default from \
             4.3 (version 1 is gone in 4.0); use 2 or remove it",
        );
    }
}

/// The broker answers 400 `null_not_allowed` to a null anywhere.
fn check_no_nulls(map: &Arguments, field: &str, at: ObjectRef, out: &mut Findings) {
    for (key, value) in map {
        if arguments::contains_null(value) {
            out.error(
                at,
                &[field, key],
                format!(
                    "{key}: null is not allowed (the broker answers 400 null_not_allowed); \
                     give a value or remove the key"
                ),
            );
        }
    }
}

// -------------------------------------------------------------- bindings

fn check_binding(binding: &Binding, at: ObjectRef, scope: &Scope, out: &mut Findings) {
    check_routing_key(&binding.routing_key, "routing_key", at, out);
    check_no_nulls(&binding.arguments, "arguments", at, out);
    if let Some(x_match) = binding.arguments.get("x-match") {
        if let Some(problem) = arguments::check_value(ValueRule::OneOf(arguments::X_MATCH), x_match)
        {
            out.error(at, &["arguments", "x-match"], format!("x-match {problem}"));
        }
    }
    check_binding_source(binding, at, scope, out);
    check_binding_destination(binding, at, scope, out);
}

/// A declared or built-in exchange, but not the default one.
fn check_binding_source(binding: &Binding, at: ObjectRef, scope: &Scope, out: &mut Findings) {
    let vhost = binding.vhost.as_str();
    if binding.source.is_empty() {
        out.left_out(
            at,
            &["source"],
            "the default exchange takes no explicit bindings: every queue is already bound to \
             it by its own name (publish to exchange \"\" with the queue name as routing key); \
             left out, as RabbitMQ's import leaves it out",
        );
    } else if !scope.has_exchange(vhost, &binding.source) {
        let also_queue = if scope.has_queue(vhost, &binding.source) {
            format!(
                "; '{}' is a queue, and a binding's source is an exchange",
                binding.source
            )
        } else {
            String::new()
        };
        out.error(
            at,
            &["source"],
            format!(
                "source exchange '{}' is not declared in vhost '{vhost}'{}{also_queue}",
                binding.source,
                scope.hint(&binding.source, scope.exchange_names(vhost))
            ),
        );
    }
}

/// A declared queue, or a declared or built-in exchange with
/// `destination_type: exchange`; a near miss between the two is named.
fn check_binding_destination(binding: &Binding, at: ObjectRef, scope: &Scope, out: &mut Findings) {
    let vhost = binding.vhost.as_str();
    let destination = binding.destination.as_str();
    match binding.destination_type {
        DestinationType::Queue if !scope.has_queue(vhost, destination) => {
            let advice = if scope.has_exchange(vhost, destination) && !destination.is_empty() {
                format!("; '{destination}' is an exchange: add destination_type: exchange")
            } else {
                scope.hint(destination, scope.queue_names(vhost))
            };
            out.error(
                at,
                &["destination"],
                format!(
                    "destination queue '{destination}' is not declared in vhost '{vhost}'{advice}"
                ),
            );
        }
        DestinationType::Exchange if destination.is_empty() => out.error(
            at,
            &["destination"],
            "the default exchange cannot be a binding's destination",
        ),
        DestinationType::Exchange if !scope.has_exchange(vhost, destination) => {
            let advice = if scope.has_queue(vhost, destination) {
                format!("; '{destination}' is a queue: remove destination_type: exchange")
            } else {
                scope.hint(destination, scope.exchange_names(vhost))
            };
            out.error(
                at,
                &["destination"],
                format!(
                    "destination exchange '{destination}' is not declared in vhost '{vhost}'{advice}"
                ),
            );
        }
        _ => {}
    }
}

// -------------------------------------------------------------- policies

/// An operator policy's value (`pattern`, `definition`, `priority`,
/// `apply-to`), as a runtime parameter holds it: checked as a policy is,
/// its keys against what operator policies take.
fn check_policy_body(value: &serde_json::Map<String, Value>, at: ObjectRef, out: &mut Findings) {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        pattern: String,
        definition: Arguments,
        #[serde(default)]
        priority: i64,
        #[serde(default = "all", rename = "apply-to")]
        apply_to: String,
    }
    fn all() -> String {
        "all".to_string()
    }
    let body: Body = match serde_json::from_value(Value::Object(value.clone())) {
        Ok(body) => body,
        Err(err) => {
            out.error(
                at,
                &["value"],
                format!("an operator policy's value has pattern, definition, priority and apply-to: {err}"),
            );
            return;
        }
    };
    let policy = Policy {
        name: "operator policy".into(),
        vhost: String::new(),
        pattern: body.pattern,
        apply_to: body.apply_to,
        priority: body.priority,
        definition: body.definition,
    };
    check_policy_fields(&policy, at, out);
    for key in policy.definition.keys() {
        if arguments::policy_key_rule(key).is_some()
            && !arguments::OPERATOR_POLICY_KEYS.contains(&key.as_str())
        {
            out.error(
                at,
                &["definition", key],
                format!(
                    "'{key}' is not a key operator policies take (the broker refuses it); they \
                     take {}",
                    arguments::OPERATOR_POLICY_KEYS.join(", ")
                ),
            );
        }
    }
}

fn check_policy(policy: &Policy, at: ObjectRef, out: &mut Findings) {
    check_name(&policy.name, "policy", at, out);
    check_policy_fields(policy, at, out);
}

/// A policy's or an operator policy's fields, all but its name.
fn check_policy_fields(policy: &Policy, at: ObjectRef, out: &mut Findings) {
    if !arguments::APPLY_TO.contains(&policy.apply_to.as_str()) {
        out.error(
            at,
            &["apply_to"],
            format!(
                "apply_to '{}' is not one of {}{}",
                policy.apply_to,
                arguments::APPLY_TO.join(", "),
                hint(&policy.apply_to, arguments::APPLY_TO.iter().copied())
            ),
        );
    }
    if let Some(problem) = pattern_problem(&policy.pattern) {
        out.error(
            at,
            &["pattern"],
            format!("pattern '{}' {problem}", policy.pattern),
        );
    }
    if policy.definition.is_empty() {
        out.error(
            at,
            &["definition"],
            "the definition is empty: the broker refuses it (no policy provided)",
        );
    }
    check_no_nulls(&policy.definition, "definition", at, out);
    for (key, value) in &policy.definition {
        check_policy_key(key, value, at, out);
    }
}

fn check_policy_key(key: &str, value: &Value, at: ObjectRef, out: &mut Findings) {
    let field = ["definition", key];
    if let Some((_, instead)) = arguments::REFUSED_POLICY_KEYS
        .iter()
        .find(|(k, _)| *k == key)
    {
        out.error(
            at,
            &field,
            format!(
                "the broker refuses '{key}' in a policy (not a recognised policy setting); \
                 {instead}"
            ),
        );
    } else if let Some(plain) = key.strip_prefix("x-") {
        let instead = if arguments::policy_key_rule(plain).is_some() {
            format!("write '{plain}' (policy keys have no x- prefix)")
        } else {
            "queue arguments belong on the queue".to_string()
        };
        out.error(
            at,
            &field,
            format!(
                "the broker refuses '{key}' in a policy (x- keys are not policy settings); \
                 {instead}"
            ),
        );
    } else if let Some(rule) = arguments::policy_key_rule(key) {
        if value.is_null() {
            return; // reported by check_no_nulls
        }
        if let Some(problem) = arguments::check_value(rule, value) {
            out.error(at, &field, format!("{key} {problem}"));
        }
        if key.starts_with("ha-") {
            out.warning(
                at,
                &field,
                format!(
                    "{key}: classic queue mirroring was removed in RabbitMQ 4.0, which refuses \
                     ha-* keys (verified on 4.0.5); use quorum queues"
                ),
            );
        }
        if key == "queue-mode" {
            out.warning(
                at,
                &field,
                "queue-mode is ignored since RabbitMQ 3.12; remove it",
            );
        }
    } else {
        let known = arguments::POLICY_KEYS.iter().map(|(k, _)| *k);
        out.error(
            at,
            &field,
            format!(
                "unknown policy key '{key}'{}: the broker refuses keys it does not recognise",
                hint(key, known)
            ),
        );
    }
}

/// Why the broker would refuse `pattern`, if it clearly would.
///
/// RabbitMQ compiles patterns with Erlang's `re` (PCRE), which accepts
/// more than the `regex` crate (look-around, backreferences, possessive
/// quantifiers…). So only errors that PCRE makes too are reported.
fn pattern_problem(pattern: &str) -> Option<String> {
    if pattern.len() > route::MAX_PATTERN_BYTES {
        return Some(format!(
            "is {} bytes long; warren checks patterns of up to {} KiB (they match names of at \
             most 255 bytes)",
            pattern.len(),
            route::MAX_PATTERN_BYTES >> 10
        ));
    }
    // Parsed to a syntax tree only, not compiled: the syntax errors below
    // are all found there, and a compile of each of thousands of
    // permission patterns costs more than the rest of the checks together.
    // A pattern without groups, classes, counted repetitions or a
    // dangling escape has none of them, and is not parsed at all.
    use regex_syntax::ast::ErrorKind;
    let err = if can_have_syntax_error(pattern) {
        regex_syntax::ast::parse::Parser::new().parse(pattern).err()
    } else {
        None
    };
    let also_invalid_in_pcre = match err.as_ref().map(|e| e.kind()) {
        Some(ErrorKind::GroupUnclosed) => Some("unclosed group"),
        Some(ErrorKind::GroupUnopened) => Some("unopened group"),
        Some(ErrorKind::ClassUnclosed) => Some("unclosed character class"),
        Some(ErrorKind::ClassRangeInvalid) => Some("invalid character class range"),
        Some(ErrorKind::RepetitionCountInvalid) => Some("invalid repetition count range"),
        Some(ErrorKind::EscapeUnexpectedEof) => Some("incomplete escape sequence"),
        _ => None,
    };
    if let Some(kind) = also_invalid_in_pcre {
        return Some(format!("is not a valid regular expression: {kind}"));
    }
    if pattern.starts_with(['*', '+', '?']) {
        return Some(
            "is not a valid regular expression: it starts with a repetition operator \
             (patterns are regular expressions, not globs: write '.*' for 'anything')"
                .to_string(),
        );
    }
    None
}

/// Whether `pattern` holds what the syntax errors [`pattern_problem`]
/// reports need: a bracket of a group, class or counted repetition, or a
/// backslash that does not escape a punctuation mark (`\.`, `\-`). Most
/// permission patterns (`.*`, `^app\.`, `^$`) hold none.
fn can_have_syntax_error(pattern: &str) -> bool {
    let mut bytes = pattern.bytes();
    while let Some(byte) = bytes.next() {
        match byte {
            b'(' | b')' | b'[' | b']' | b'{' | b'}' => return true,
            b'\\' => match bytes.next() {
                Some(escaped) if escaped.is_ascii_punctuation() => {}
                _ => return true,
            },
            _ => {}
        }
    }
    false
}

// ---------------------------------------------------------- placeholders

/// A value that looks like a template placeholder nobody filled in
/// (`${RABBITMQ_VHOST}`, `{{ vhost }}`): warren takes it literally, and a
/// vhost called `${RABBITMQ_VHOST}` is created without a word.
fn placeholder_in(text: &str) -> Option<&str> {
    // Both kinds open with a brace, which most values lack: one quick
    // look instead of two substring searches for each of thousands.
    if !text.as_bytes().contains(&b'{') {
        return None;
    }
    for (open, close) in [("${", "}"), ("{{", "}}")] {
        let Some(start) = text.find(open) else {
            continue;
        };
        let rest = &text[start + open.len()..];
        let Some(end) = rest.find(close) else {
            continue;
        };
        let inner = rest[..end].trim();
        let is_name = !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | ':' | ' '));
        if is_name {
            return Some(&text[start..start + open.len() + end + close.len()]);
        }
    }
    None
}

/// Warns once per object about each field holding a placeholder.
fn check_placeholders(topology: &Topology, out: &mut Findings) {
    let mut check = |at: ObjectRef, fields: &[(&str, &str)], maps: &[(&str, &Arguments)]| {
        let mut warn = |field: &[&str], placeholder: &str| {
            out.warning(
                at,
                field,
                format!(
                    "{} holds '{placeholder}', which looks like a template placeholder that was \
                     not filled in; warren takes it literally",
                    field.join(".")
                ),
            );
        };
        for (field, text) in fields {
            if let Some(placeholder) = placeholder_in(text) {
                warn(&[field], placeholder);
            }
        }
        for (field, map) in maps {
            for (key, value) in map.iter() {
                if let Some(placeholder) = value.as_str().and_then(placeholder_in) {
                    warn(&[field, key], placeholder);
                }
            }
        }
    };
    for (i, v) in topology.vhosts.iter().enumerate() {
        check(at(Section::Vhosts, i), &[("name", &v.name)], &[]);
    }
    for (i, e) in topology.exchanges.iter().enumerate() {
        let fields = [("name", e.name.as_str()), ("vhost", &e.vhost)];
        check(
            at(Section::Exchanges, i),
            &fields,
            &[("arguments", &e.arguments)],
        );
    }
    for (i, q) in topology.queues.iter().enumerate() {
        let fields = [("name", q.name.as_str()), ("vhost", &q.vhost)];
        check(
            at(Section::Queues, i),
            &fields,
            &[("arguments", &q.arguments)],
        );
    }
    for (i, b) in topology.bindings.iter().enumerate() {
        let fields = [
            ("source", b.source.as_str()),
            ("destination", &b.destination),
            ("routing_key", &b.routing_key),
            ("vhost", &b.vhost),
        ];
        check(
            at(Section::Bindings, i),
            &fields,
            &[("arguments", &b.arguments)],
        );
    }
    for (i, p) in topology.policies.iter().enumerate() {
        let fields = [
            ("name", p.name.as_str()),
            ("vhost", &p.vhost),
            ("pattern", &p.pattern),
        ];
        check(
            at(Section::Policies, i),
            &fields,
            &[("definition", &p.definition)],
        );
    }
    for (i, u) in topology.users().iter().enumerate() {
        let hash = u.password_hash.as_ref().map_or("", |h| h.expose());
        // A hash that is a placeholder is no secret: it may be named.
        let fields = [("name", u.name.as_str()), ("password_hash", hash)];
        check(at(Section::Users, i), &fields, &[]);
    }
    for (i, p) in topology.permissions().iter().enumerate() {
        let fields = [("user", p.user.as_str()), ("vhost", &p.vhost)];
        check(at(Section::Permissions, i), &fields, &[]);
    }
    for (i, p) in topology.topic_permissions().iter().enumerate() {
        let fields = [("user", p.user.as_str()), ("vhost", &p.vhost)];
        check(at(Section::TopicPermissions, i), &fields, &[]);
    }
    for (i, p) in topology.parameters().iter().enumerate() {
        let fields = [("name", p.name.as_str()), ("vhost", &p.vhost)];
        check(at(Section::Parameters, i), &fields, &[]);
    }
}

// ---------------------------------------------------------------- routes

/// Route assertions stop being checked once routing them has matched this
/// many bindings (about a second in a debug build): each is routed through
/// the whole topology, so thousands of assertions on an exchange of
/// thousands of bindings would take minutes.
const MAX_ROUTE_WORK: usize = 200_000;

/// A warning on the first of the `count` route assertions left unchecked.
fn skip_routes(count: usize, first: ObjectRef, out: &mut Findings) {
    out.warning(
        first,
        &[],
        format!(
            "this route assertion and the {} after it were not checked: the ones before \
             matched messages against more than {MAX_ROUTE_WORK} bindings, the most one \
             validation does",
            count - 1
        ),
    );
}

/// A route assertion holds when the message reaches exactly its queues.
fn check_route(
    router: &route::Router,
    assertion: &RouteAssertion,
    at: ObjectRef,
    out: &mut Findings,
) {
    if assertion.routing_key.len() > MAX_NAME_BYTES {
        // Reported, and no message can carry it: nothing to route.
        check_routing_key(&assertion.routing_key, "routing_key", at, out);
        return;
    }
    let message = route::Message {
        vhost: &assertion.vhost,
        exchange: &assertion.exchange,
        routing_key: &assertion.routing_key,
        headers: &assertion.headers,
    };
    match router.route(&message) {
        Ok(routed) => {
            let expected: BTreeSet<&str> = assertion.reaches.iter().map(String::as_str).collect();
            let reached: BTreeSet<&str> = routed.queues.iter().map(String::as_str).collect();
            if expected != reached {
                let list =
                    |set: &BTreeSet<&str>| set.iter().copied().collect::<Vec<_>>().join(", ");
                let mut text = format!(
                    "expected [{}], reaches [{}]",
                    list(&expected),
                    list(&reached)
                );
                if !routed.missing_exchanges.is_empty() {
                    text.push_str(&format!(
                        "; the message is dropped at undeclared exchange(s) {}",
                        routed.missing_exchanges.join(", ")
                    ));
                }
                out.error(at, &["reaches"], text);
            }
        }
        Err(err) => out.error(at, &["exchange"], format!("cannot route: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_skipped_by_the_quick_look_has_no_syntax_error_to_report() {
        // Every byte that matters, alone and in pairs, against the full
        // parse: whatever the quick look lets through parses with no error
        // pattern_problem would report.
        let alphabet = [
            "a", ".", "*", "+", "?", "^", "$", "|", "\\", "(", ")", "[", "]", "{", "}", "-", "1",
            ",", "p", "x", "Q", " ",
        ];
        let mut patterns: Vec<String> = alphabet.iter().map(|s| s.to_string()).collect();
        for a in alphabet {
            for b in alphabet {
                for c in alphabet {
                    patterns.push(format!("{a}{b}{c}"));
                }
            }
        }
        for pattern in &patterns {
            if !can_have_syntax_error(pattern) {
                let parsed = regex_syntax::ast::parse::Parser::new().parse(pattern);
                let kind = parsed.as_ref().err().map(|e| e.kind().clone());
                use regex_syntax::ast::ErrorKind::*;
                assert!(
                    !matches!(
                        kind,
                        Some(
                            GroupUnclosed
                                | GroupUnopened
                                | ClassUnclosed
                                | ClassRangeInvalid
                                | RepetitionCountInvalid
                                | EscapeUnexpectedEof
                        )
                    ),
                    "{pattern:?}: {kind:?}"
                );
            }
        }
        assert!(!can_have_syntax_error("^bench-user-00001\\."));
        assert!(!can_have_syntax_error(".*"));
        assert!(can_have_syntax_error("^app\\"));
        assert!(can_have_syntax_error("^(a|b"));
        assert!(can_have_syntax_error("\\d+"));
    }

    /// Parses `yaml` (a topology that the model accepts) and validates it.
    fn findings(yaml: &str) -> Vec<(Severity, String, String)> {
        let mut topology: Topology = serde_yaml::from_str(yaml).expect("test topologies parse");
        let mut found = settle(&mut topology).findings;
        found.extend(validate(&topology));
        found
            .into_iter()
            .map(|f| {
                let label = f
                    .object
                    .section
                    .label(f.object.index, &object_name(&topology, f.object));
                (f.severity, label, f.message)
            })
            .collect()
    }

    fn errors(yaml: &str) -> Vec<String> {
        findings(yaml)
            .into_iter()
            .filter(|(s, _, _)| *s == Severity::Error)
            .map(|(_, label, message)| format!("{label}: {message}"))
            .collect()
    }

    fn warnings(yaml: &str) -> Vec<String> {
        findings(yaml)
            .into_iter()
            .filter(|(s, _, _)| *s == Severity::Warning)
            .map(|(_, label, message)| format!("{label}: {message}"))
            .collect()
    }

    #[test]
    fn a_tag_close_to_one_rabbitmq_knows_is_warned_a_tag_of_ones_own_is_not() {
        let found = warnings(
            "users: [{name: u, tags: [admin, managment, Monitoring, management, ops-team, policy]}]",
        );
        let said: Vec<&str> = found
            .iter()
            .map(|w| w.split(": tag ").nth(1).unwrap_or(w))
            .collect();
        assert_eq!(
            said,
            [
                "'admin' is not one RabbitMQ knows (did you mean 'administrator'?): the broker keeps it, and grants nothing for it",
                "'managment' is not one RabbitMQ knows (did you mean 'management'?): the broker keeps it, and grants nothing for it",
                "'Monitoring' is not one RabbitMQ knows (did you mean 'monitoring'?): the broker keeps it, and grants nothing for it",
                "'policy' is not one RabbitMQ knows (did you mean 'policymaker'?): the broker keeps it, and grants nothing for it",
            ]
        );
    }

    #[test]
    fn an_upstream_set_is_a_list_of_named_upstreams() {
        let set = |value: &str| {
            errors(&format!(
                "vhosts: [{{name: /}}]\nparameters: [{{component: federation-upstream-set, name: s, value: {value}}}]"
            ))
        };
        assert_eq!(
            set("[{upstream: a}, {upstream: b, prefetch-count: 5}]"),
            Vec::<String>::new()
        );
        assert_one(set("{upstream: a}"), "a list of upstreams");
        assert_one(
            set("[{upstream: a}, {prefetch-count: 5}]"),
            "names its upstream",
        );
        assert_one(set("[a]"), "names its upstream");
    }

    #[test]
    fn an_operator_policy_without_a_priority_gets_0_as_the_policy_api_gives() {
        let mut topology: Topology = serde_yaml::from_str(
            "parameters:\n  - {component: operator_policy, name: a, value: {pattern: x, definition: {max-length: 1}}}\n  - {component: operator_policy, name: b, value: {pattern: x, definition: {max-length: 1}, priority: 7}}\n  - {component: shovel, name: c, value: {src-uri: 'amqp://'}}",
        )
        .unwrap();
        settle(&mut topology);
        let priorities: Vec<Option<&Value>> = topology
            .parameters()
            .iter()
            .map(|p| p.value.get("priority"))
            .collect();
        assert_eq!(
            priorities,
            [Some(&Value::from(0)), Some(&Value::from(7)), None]
        );
    }

    fn assert_one(found: Vec<String>, fragment: &str) {
        assert!(
            found.len() == 1 && found[0].contains(fragment),
            "expected one finding containing {fragment:?}, got {found:#?}"
        );
    }

    const BASE: &str = "vhosts: [{name: /}]\n";

    #[test]
    fn a_clean_topology_has_no_findings() {
        let yaml = "
vhosts: [{name: /}]
exchanges: [{name: events, type: topic}]
queues: [{name: order.events, arguments: {x-queue-type: quorum, x-message-ttl: 60000}}]
bindings: [{source: events, destination: order.events, routing_key: 'order.*'}]
policies: [{name: ttl, pattern: '^order\\.', apply_to: queues, definition: {message-ttl: 1000}}]
";
        assert_eq!(findings(yaml), []);
    }

    #[test]
    fn hints_among_declared_names_stop_when_their_budget_is_spent() {
        // A regression guard: 20,000 dangling bindings to a vhost of 20,000
        // queues compared every pair, for minutes.
        let queues: String = (0..2000).map(|i| format!("{{name: q.{i:05}}},")).collect();
        let bindings: String = (0..2000)
            .map(|i| format!("{{source: amq.direct, destination: q.{i:05}x}},"))
            .collect();
        let found = errors(&format!("{BASE}queues: [{queues}]\nbindings: [{bindings}]"));
        assert_eq!(found.len(), 2000);
        assert!(
            found[0].ends_with("is not declared in vhost '/' (did you mean 'q.00000'?)"),
            "{}",
            found[0]
        );
        assert!(
            found[1999].ends_with("is not declared in vhost '/'"),
            "{}",
            found[1999]
        );
    }

    #[test]
    fn route_assertions_stop_being_checked_past_their_budget() {
        // A regression guard: 5,000 assertions on an exchange of 5,000
        // bindings took a quarter of a minute.
        let n = 500;
        let queues: String = (0..n).map(|i| format!("{{name: q{i}}},")).collect();
        let bindings: String = (0..n)
            .map(|i| format!("{{source: amq.topic, destination: q{i}, routing_key: k.{i}}},"))
            .collect();
        let routes: String = (0..n)
            .map(|i| format!("{{exchange: amq.topic, routing_key: k.{i}, reaches: [q{i}]}},"))
            .collect();
        let yaml = format!("{BASE}queues: [{queues}]\nbindings: [{bindings}]\nroutes: [{routes}]");
        assert_eq!(errors(&yaml), Vec::<String>::new());
        let skipped = n - MAX_ROUTE_WORK / n - 1;
        assert_eq!(
            warnings(&yaml),
            [format!(
                "routes[{}] amq.topic k.{}: this route assertion and the {} after it were not \
                 checked: the ones before matched messages against more than 200000 bindings, \
                 the most one validation does",
                n - skipped,
                n - skipped,
                skipped - 1
            )]
        );
    }

    #[test]
    fn a_huge_pattern_is_refused_without_being_compiled() {
        // A regression guard: a 10 MB pattern took 4 s and 2 GB to compile,
        // and then passed, since the regex crate's size limit is no PCRE
        // error.
        let pattern = "(a|b)".repeat(1 << 20);
        let found = errors(&format!(
            "{BASE}policies: [{{name: p, pattern: '{pattern}', definition: {{message-ttl: 1}}}}]"
        ));
        assert_eq!(found.len(), 1, "{}", found.len());
        assert!(
            found[0].ends_with(
                "is 5242880 bytes long; warren checks patterns of up to 64 KiB (they match \
                 names of at most 255 bytes)"
            ),
            "{}",
            &found[0][found[0].len() - 200..]
        );
    }

    #[test]
    fn a_huge_name_gets_no_hint_and_costs_nothing() {
        let huge = "e".repeat(1 << 20);
        let found = errors(&format!(
            "{BASE}exchanges: [{{name: e, type: topic}}]\n\
             bindings: [{{source: {huge}, destination: q}}]\nqueues: [{{name: q}}]"
        ));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].ends_with("is not declared in vhost '/'"));
    }

    #[test]
    fn an_object_in_an_unlisted_vhost_is_an_error_with_a_hint() {
        assert_one(
            errors("vhosts: [{name: orders}]\nqueues: [{name: q, vhost: order}]"),
            "queues[0] q: vhost 'order' is not listed under vhosts (did you mean 'orders'?)",
        );
        assert_one(
            errors("queues: [{name: q}]"),
            "vhost '/' is not listed under vhosts; add `- name: /` under vhosts",
        );
    }

    #[test]
    fn duplicates_name_the_first_declaration() {
        let yaml = format!("{BASE}queues: [{{name: q}}, {{name: q}}]");
        let topology: Topology = serde_yaml::from_str(&yaml).unwrap();
        let found = validate(&topology);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].message, "duplicate queue 'q' in vhost '/'");
        assert_eq!(found[0].object.index, 1);
        assert_eq!(found[0].related.unwrap().index, 0);
    }

    #[test]
    fn the_same_name_in_two_vhosts_is_no_duplicate() {
        let yaml =
            "vhosts: [{name: a}, {name: b}]\nqueues: [{name: q, vhost: a}, {name: q, vhost: b}]";
        assert_eq!(errors(yaml), Vec::<String>::new());
    }

    #[test]
    fn bindings_must_point_at_declared_objects() {
        let yaml = format!(
            "{BASE}exchanges: [{{name: events, type: topic}}]\nqueues: [{{name: order.events}}]
bindings:
  - {{source: evnts, destination: order.events}}
  - {{source: events, destination: order.evnts}}
  - {{source: amq.topic, destination: order.events}}
  - {{source: '', destination: order.events}}
  - {{source: events, destination: order.events, destination_type: exchange}}
  - {{source: amq.direct, destination: events}}
"
        );
        assert_eq!(
            errors(&yaml),
            [
                "bindings[0] evnts -> order.events: source exchange 'evnts' is not declared in vhost '/' (did you mean 'events'?)",
                "bindings[1] events -> order.evnts: destination queue 'order.evnts' is not declared in vhost '/' (did you mean 'order.events'?)",
                "bindings[4] events -> order.events: destination exchange 'order.events' is not declared in vhost '/'; 'order.events' is a queue: remove destination_type: exchange",
                "bindings[5] amq.direct -> events: destination queue 'events' is not declared in vhost '/'; 'events' is an exchange: add destination_type: exchange",
            ]
        );
        // RabbitMQ's import skips a binding from the default exchange.
        let found = warnings(&yaml);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].starts_with(
            "bindings[3] (default) -> order.events: the default exchange takes no explicit bindings"
        ));
        assert!(found[0].ends_with("left out, as RabbitMQ's import leaves it out"));
    }

    #[test]
    fn vhost_metadata_is_merged_and_must_agree_with_the_fields() {
        let mut t: Topology = serde_yaml::from_str(
            "vhosts:\n  - {name: a, metadata: {description: d, tags: [x], default_queue_type: quorum}}\n  - {name: b, description: d, tags: [y, x], metadata: {description: d, tags: [x, y], default_queue_type: stream}, default_queue_type: stream}",
        )
        .unwrap();
        assert!(settle(&mut t).findings.is_empty());
        assert_eq!(t.vhosts[0].description, "d");
        assert_eq!(t.vhosts[0].tags, ["x"]);
        assert_eq!(t.vhosts[0].default_queue_type.as_deref(), Some("quorum"));
        assert!(t.vhosts.iter().all(|v| v.metadata.is_none()));
        let found = errors(
            "vhosts: [{name: c, default_queue_type: classic, description: one, metadata: {default_queue_type: quorum, description: two}}]",
        );
        assert_eq!(
            found,
            [
                "vhosts[0] c: metadata.description 'two' differs from description 'one': the two spellings of one field must agree (RabbitMQ 3.10 reads the default queue type from metadata, later versions read either); write it once",
                "vhosts[0] c: metadata.default_queue_type 'quorum' differs from default_queue_type 'classic': the two spellings of one field must agree (RabbitMQ 3.10 reads the default queue type from metadata, later versions read either); write it once",
            ]
        );
    }

    #[test]
    fn vhost_limits_are_known_keys_with_integers() {
        assert_eq!(
            errors("vhosts: [{name: /, limits: {max-queues: 10, max-connections: -1}}]"),
            Vec::<String>::new()
        );
        assert_eq!(
            errors("vhosts: [{name: /, limits: {max-queue: 10, max-connections: '5'}}]"),
            [
                "vhosts[0] /: max-connections must be an integer (a negative one means no limit), not \"5\"",
                "vhosts[0] /: unknown limit 'max-queue' (did you mean 'max-queues'?); the limits are max-connections, max-queues",
            ]
        );
    }

    #[test]
    fn a_vhost_max_queues_below_the_queues_declared_is_refused() {
        assert_one(
            errors(
                "vhosts: [{name: v, limits: {max-queues: 1}}]\nqueues: [{name: a, vhost: v}, {name: b, vhost: v}]",
            ),
            "vhosts[0] v: max-queues 1 is less than the 2 queues the files declare in vhost 'v': the broker refuses every queue past the limit",
        );
        assert_eq!(
            errors("vhosts: [{name: v, limits: {max-queues: -1}}]\nqueues: [{name: a, vhost: v}]"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_built_in_exchange_as_the_broker_has_it_is_left_out_and_another_refused() {
        let yaml = format!(
            "{BASE}exchanges:\n  - {{name: amq.topic, type: topic}}\n  - {{name: '', type: direct, arguments: []}}\n  - {{name: amq.rabbitmq.trace, type: topic, internal: true}}\n  - {{name: amq.direct, type: fanout, auto_delete: true}}"
        );
        let found = warnings(&yaml);
        assert_eq!(found.len(), 3, "{found:#?}");
        assert_eq!(
            found[0],
            "exchanges[0] amq.topic: amq.topic is built in: every vhost has it, as written here; left to the broker, as RabbitMQ's import leaves it"
        );
        assert!(found[1].contains("the default exchange is built in"));
        assert_one(
            errors(&yaml),
            "exchanges[3] amq.direct: amq.direct is built in, and the broker's is type direct (not fanout), not auto-delete: no file can change it; remove it, or write it as the broker has it",
        );
        let topology: Topology = serde_yaml::from_str(&yaml).unwrap();
        let left_out: Vec<usize> = validate(&topology)
            .into_iter()
            .filter(|f| f.leaves_out)
            .map(|f| f.object.index)
            .collect();
        assert_eq!(left_out, [0, 1, 2]);
    }

    #[test]
    fn a_queue_type_written_as_exports_write_it_must_agree_with_the_arguments() {
        let agreeing = format!(
            "{BASE}queues: [{{name: c, type: classic}}, {{name: q, type: quorum, arguments: {{x-queue-type: quorum}}}}]"
        );
        assert_eq!(errors(&agreeing), Vec::<String>::new());
        let vhost_default = "vhosts: [{name: v, metadata: {default_queue_type: quorum}}]\nqueues: [{name: q, vhost: v, type: quorum}]";
        assert_eq!(errors(vhost_default), Vec::<String>::new());
        assert_one(
            warnings(&format!("{BASE}queues: [{{name: a, type: quorum}}]")),
            "queues[0] a: type 'quorum' contradicts the arguments: without x-queue-type the broker declares it classic unless vhost '/' has another default queue type on the broker (the files set none), and the broker declares a queue from its arguments; set x-queue-type: quorum",
        );
        assert_eq!(
            errors(
                "vhosts: [{name: /, default_queue_type: classic}]\nqueues: [{name: a, type: quorum}, {name: b, type: stream, arguments: {x-queue-type: quorum}}, {name: c, type: qourum}]"
            ),
            [
                "queues[0] a: type 'quorum' contradicts the arguments: without x-queue-type the broker declares it classic (the default of vhost '/'), and the broker declares a queue from its arguments; set x-queue-type: quorum",
                "queues[1] b: type 'stream' contradicts the arguments: x-queue-type makes it quorum, and the broker declares a queue from its arguments; set x-queue-type: stream",
                "queues[2] c: type 'qourum' is not one of classic, quorum, stream (did you mean 'quorum'?)",
            ]
        );
    }

    #[test]
    fn unfilled_template_placeholders_are_warned_about() {
        let found = warnings(
            "vhosts: [{name: '${RABBITMQ_VHOST}'}]\nqueues: [{name: q, vhost: '${RABBITMQ_VHOST}', arguments: {x-dead-letter-exchange: '{{ dlx }}'}}]\nexchanges: [{name: '{{ dlx }}', vhost: '${RABBITMQ_VHOST}', type: direct}]",
        );
        assert!(found.contains(&"vhosts[0] ${RABBITMQ_VHOST}: name holds '${RABBITMQ_VHOST}', which looks like a template placeholder that was not filled in; warren takes it literally".to_string()), "{found:#?}");
        assert!(
            found.iter().any(|w| w
                .starts_with("queues[0] q: arguments.x-dead-letter-exchange holds '{{ dlx }}'")),
            "{found:#?}"
        );
        assert_eq!(found.len(), 5, "{found:#?}");
        assert_eq!(placeholder_in("a.${b}.c"), Some("${b}"));
        assert_eq!(placeholder_in("price in $ {10}"), None);
        assert_eq!(placeholder_in("{ not: a placeholder }"), None);
    }

    #[test]
    fn reserved_and_bad_names_are_errors() {
        let long = "q".repeat(256);
        let yaml = format!(
            "{BASE}exchanges: [{{name: amq.mine, type: direct}}]\nqueues: [{{name: ''}}, {{name: {long}}}, {{name: amq.gen-1}}]"
        );
        let found = errors(&yaml);
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(found[0].contains("reserved for the broker"));
        assert!(found[1].contains("a queue name must not be empty"));
        assert!(found[2].contains("256 bytes long"));
        assert!(found[3].contains("reserved for the broker"));
    }

    #[test]
    fn names_are_measured_in_bytes_of_utf8() {
        let name = "é".repeat(128); // 256 bytes, 128 characters
        assert_one(
            errors(&format!("vhosts: [{{name: '{name}'}}]")),
            "the vhost name is 256 bytes long",
        );
    }

    #[test]
    fn an_exchange_type_must_be_known_or_a_plugin_type() {
        assert_one(
            errors(&format!("{BASE}exchanges: [{{name: e, type: topik}}]")),
            "exchange type 'topik' is not one of direct, fanout, topic, headers, nor a plugin type starting 'x-' (did you mean 'topic'?)",
        );
        assert_eq!(
            errors(&format!(
                "{BASE}exchanges: [{{name: e, type: x-delayed-message, arguments: {{x-delayed-type: direct}}}}]"
            )),
            Vec::<String>::new()
        );
    }

    #[test]
    fn integer_arguments_must_be_json_integers() {
        let yaml = format!(
            "{BASE}queues: [{{name: q, arguments: {{x-message-ttl: '60000', x-max-length: 6e4, x-expires: 0, x-max-priority: 300}}}}]"
        );
        let found = errors(&yaml);
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(found[0].contains("x-expires must be a positive integer, not 0"));
        assert!(
            found[1].contains("x-max-length must be a non-negative integer: 60000.0 is a float")
        );
        assert!(found[2].contains("x-max-priority must be an integer from 0 to 255, not 300"));
        assert!(
            found[3]
                .contains("x-message-ttl must be a non-negative integer: \"60000\" is a string")
        );
    }

    #[test]
    fn other_queue_arguments_have_their_own_types() {
        let yaml = format!(
            "{BASE}queues: [{{name: q, arguments: {{x-overflow: drop, x-dead-letter-exchange: 1, x-single-active-consumer: 'yes', x-queue-type: quorom}}}}]"
        );
        let found = errors(&yaml);
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(found[0].contains("x-dead-letter-exchange must be a string"));
        assert!(found[1].contains("'drop' is not one of drop-head"));
        assert!(found[2].contains(
            "x-queue-type 'quorom' is not one of classic, quorum, stream (did you mean 'quorum'?)"
        ));
        assert!(found[3].contains("x-single-active-consumer must be true or false"));
    }

    #[test]
    fn a_dead_letter_routing_key_needs_a_dead_letter_exchange() {
        assert_one(
            errors(&format!(
                "{BASE}queues: [{{name: q, arguments: {{x-dead-letter-routing-key: k}}}}]"
            )),
            "x-dead-letter-routing-key needs x-dead-letter-exchange",
        );
    }

    #[test]
    fn nulls_are_refused_in_arguments() {
        assert_one(
            errors(&format!(
                "{BASE}queues: [{{name: q, arguments: {{x-message-ttl: ~}}}}]"
            )),
            "x-message-ttl: null is not allowed",
        );
    }

    #[test]
    fn quorum_queues_are_durable_not_auto_delete_and_refuse_some_arguments() {
        let yaml = format!(
            "{BASE}queues: [{{name: q, durable: false, auto_delete: true, arguments: {{x-queue-type: quorum, x-max-priority: 5, x-queue-mode: lazy}}}}]"
        );
        let found = errors(&yaml);
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(found[0].contains("quorum queues must be durable"));
        assert!(found[1].contains("quorum queues cannot be auto-delete"));
        assert!(found[2].contains("x-max-priority is not supported by quorum queues, only by classic queues: the broker refuses it"));
        assert!(found[3].contains("x-queue-mode is not supported by quorum queues"));
    }

    #[test]
    fn quorum_queues_accept_a_message_ttl() {
        let yaml = format!(
            "{BASE}queues: [{{name: q, arguments: {{x-queue-type: quorum, x-message-ttl: 1000, x-delivery-limit: 5}}}}]"
        );
        assert_eq!(findings(&yaml), []);
    }

    #[test]
    fn streams_refuse_what_a_log_cannot_do() {
        let yaml = format!(
            "{BASE}queues: [{{name: s, arguments: {{x-queue-type: stream, x-max-age: 7D, x-max-length-bytes: 1000, x-message-ttl: 1000, x-dead-letter-exchange: dlx, x-overflow: drop-head}}}}]"
        );
        let found = errors(&yaml);
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(
            found
                .iter()
                .all(|f| f.contains("not supported by stream queues"))
        );
    }

    #[test]
    fn the_vhost_default_queue_type_applies_to_durable_queues() {
        let yaml = "vhosts: [{name: /, default_queue_type: quorum}]\nqueues: [{name: q, arguments: {x-max-priority: 5}}]";
        assert_one(
            errors(yaml),
            "x-max-priority is not supported by quorum queues (the default queue type of vhost '/')",
        );
    }

    #[test]
    fn a_classic_queue_with_another_types_argument_is_refused_as_the_broker_refuses_it() {
        // 3.10.8: "invalid arg 'x-delivery-limit' for queue … of queue type
        // rabbit_classic_queue" (a real file, 16, holds one).
        for argument in ["x-max-age: 7D", "x-delivery-limit: 3"] {
            let yaml = format!(
                "{BASE}queues: [{{name: q, arguments: {{{argument}, x-queue-type: classic}}}}]"
            );
            assert_one(errors(&yaml), "did you forget x-queue-type?");
            let yaml = format!(
                "vhosts: [{{name: /, default_queue_type: classic}}]\nqueues: [{{name: q, arguments: {{{argument}}}}}]"
            );
            assert_one(errors(&yaml), "did you forget x-queue-type?");
            // The broker's vhost may make it a quorum queue: only the plan knows.
            let yaml = format!("{BASE}queues: [{{name: q, arguments: {{{argument}}}}}]");
            assert_eq!(errors(&yaml), Vec::<String>::new());
            assert_one(
                warnings(&yaml),
                "(as this queue is unless vhost '/' has another default queue type on the broker: the files set none)",
            );
        }
    }

    #[test]
    fn a_vhost_default_queue_type_must_be_known() {
        assert_one(
            errors("vhosts: [{name: /, default_queue_type: qorum}]"),
            "default_queue_type 'qorum' is not one of classic, quorum, stream (did you mean 'quorum'?)",
        );
    }

    #[test]
    fn deprecated_queue_features_are_warnings() {
        let yaml = format!(
            "{BASE}queues: [{{name: t, durable: false}}, {{name: m, arguments: {{x-queue-mode: lazy}}}}, {{name: v, arguments: {{x-queue-version: 1}}}}, {{name: v2, arguments: {{x-queue-version: 2}}}}]"
        );
        assert_eq!(errors(&yaml), Vec::<String>::new());
        let found = warnings(&yaml);
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(found[0].starts_with("queues[0] t: non-durable queues are deprecated"));
        assert!(found[1].starts_with("queues[1] m: x-queue-mode is ignored"));
        assert!(found[2].starts_with("queues[2] v: x-queue-version 1 is deprecated"));
    }

    #[test]
    fn unknown_arguments_are_warnings_with_a_hint() {
        let yaml = format!(
            "{BASE}exchanges: [{{name: e, type: direct, arguments: {{x-foo: 1, hash-header: h}}}}]\nqueues: [{{name: q, arguments: {{x-mesage-ttl: 1}}}}]"
        );
        assert_eq!(errors(&yaml), Vec::<String>::new());
        let found = warnings(&yaml);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found[0].starts_with(
            "exchanges[0] e: unknown argument 'x-foo': the broker stores it but never compares it"
        ));
        assert!(found[1].starts_with(
            "queues[0] q: unknown argument 'x-mesage-ttl' (did you mean 'x-message-ttl'?)"
        ));
    }

    #[test]
    fn an_alternate_exchange_is_a_string_and_should_exist() {
        let yaml = format!(
            "{BASE}exchanges: [{{name: e, type: direct, arguments: {{alternate-exchange: 1}}}}, {{name: f, type: direct, arguments: {{alternate-exchange: unrouted}}}}]"
        );
        assert_one(
            errors(&yaml),
            "alternate-exchange must be a string, not a number",
        );
        assert_one(
            warnings(&yaml),
            "alternate exchange 'unrouted' is not declared in vhost '/'",
        );
    }

    #[test]
    fn policies_are_checked_key_by_key() {
        let yaml = format!(
            "{BASE}policies:
  - {{name: a, pattern: '^q', apply_to: queue, definition: {{message-ttl: '1000'}}}}
  - {{name: b, pattern: '(', definition: {{max-length: 1}}}}
  - {{name: c, pattern: '*.orders', definition: {{max-priority: 5, x-message-ttl: 1}}}}
  - {{name: d, pattern: q, definition: {{}}}}
  - {{name: e, pattern: q, definition: {{mesage-ttl: 1}}}}
  - {{name: f, pattern: '^(?!amq\\.).*', definition: {{max-length: 1}}}}
"
        );
        assert_eq!(
            errors(&yaml),
            [
                "policies[0] a: apply_to 'queue' is not one of queues, exchanges, all, classic_queues, quorum_queues, streams (did you mean 'queues'?)",
                "policies[0] a: message-ttl must be a non-negative integer: \"1000\" is a string, which the broker refuses (expected integer, got longstr); write 1000 without quotes",
                "policies[1] b: pattern '(' is not a valid regular expression: unclosed group",
                "policies[2] c: pattern '*.orders' is not a valid regular expression: it starts with a repetition operator (patterns are regular expressions, not globs: write '.*' for 'anything')",
                "policies[2] c: the broker refuses 'max-priority' in a policy (not a recognised policy setting); set x-max-priority as a queue argument",
                "policies[2] c: the broker refuses 'x-message-ttl' in a policy (x- keys are not policy settings); write 'message-ttl' (policy keys have no x- prefix)",
                "policies[3] d: the definition is empty: the broker refuses it (no policy provided)",
                "policies[4] e: unknown policy key 'mesage-ttl' (did you mean 'message-ttl'?): the broker refuses keys it does not recognise",
            ]
        );
    }

    #[test]
    fn mirroring_policy_keys_are_warned_about() {
        let yaml =
            format!("{BASE}policies: [{{name: ha, pattern: '.*', definition: {{ha-mode: all}}}}]");
        assert_eq!(errors(&yaml), Vec::<String>::new());
        assert_one(
            warnings(&yaml),
            "classic queue mirroring was removed in RabbitMQ 4.0",
        );
    }

    #[test]
    fn a_headers_binding_needs_a_known_x_match() {
        let yaml = format!(
            "{BASE}exchanges: [{{name: h, type: headers}}]\nqueues: [{{name: q}}]\nbindings: [{{source: h, destination: q, arguments: {{x-match: some}}}}]"
        );
        assert_one(
            errors(&yaml),
            "x-match 'some' is not one of all, any, all-with-x, any-with-x",
        );
    }

    #[test]
    fn route_assertions_hold_or_say_where_the_message_goes() {
        let yaml = format!(
            "{BASE}exchanges: [{{name: events, type: topic}}]
queues: [{{name: order.events}}, {{name: jobs}}]
bindings: [{{source: events, destination: order.events, routing_key: 'order.*'}}]
routes:
  - {{exchange: events, routing_key: order.created, reaches: [order.events]}}
  - {{exchange: '', routing_key: jobs, reaches: [jobs]}}
  - {{exchange: events, routing_key: invoice.paid, reaches: [order.events]}}
  - {{exchange: events, routing_key: order.paid, reaches: [jobs, order.events]}}
  - {{exchange: missing, routing_key: x, reaches: []}}
"
        );
        assert_eq!(
            errors(&yaml),
            [
                "routes[2] events invoice.paid: expected [order.events], reaches []",
                "routes[3] events order.paid: expected [jobs, order.events], reaches [order.events]",
                "routes[4] missing x: cannot route: no exchange 'missing' in vhost '/'",
            ]
        );
    }

    #[test]
    fn a_route_assertion_lists_its_queues_in_any_order() {
        let yaml = format!(
            "{BASE}exchanges: [{{name: fan, type: fanout}}]
queues: [{{name: a}}, {{name: b}}]
bindings: [{{source: fan, destination: b}}, {{source: fan, destination: a}}]
routes: [{{exchange: fan, reaches: [b, a, b]}}]
"
        );
        assert_eq!(errors(&yaml), Vec::<String>::new());
    }

    #[test]
    fn labels_name_the_object() {
        let mut topology = Topology::default();
        topology.vhosts.push(Vhost::new("/"));
        let at = ObjectRef {
            section: Section::Vhosts,
            index: 0,
        };
        assert_eq!(
            at.section.label(0, &object_name(&topology, at)),
            "vhosts[0] /"
        );
    }
}
