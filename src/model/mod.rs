//! The topology model: vhosts, exchanges, queues, bindings, policies and
//! route assertions, with their identities and defaults.
//!
//! One model serves both sides: the desired state loaded from files and the
//! live state read from a broker. Keys mirror RabbitMQ's definitions export,
//! so a restricted export deserialises into a [`Topology`] as it is. This
//! module knows nothing of files, HTTP or terminals.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod access;
mod broker_version;
pub mod json_schema;
mod parameters;
mod queue_type;

pub use access::{Credential, Permission, Secret, TopicPermission, User};
pub use broker_version::BrokerVersion;
pub use parameters::{
    GlobalParameter, INTERNAL_GLOBAL_PARAMETERS, PARAMETER_COMPONENTS, Parameter, SecretValue,
    URI_KEYS, redact_uri, uri_credentials, without_credentials,
};
pub use queue_type::{QUEUE_TYPE_ARGUMENT, QueueType, effective_type_name, implied_type_name};

/// Argument and definition maps: JSON values, keys sorted.
///
/// Values keep the types they were written with: an integer stays an
/// integer and a float stays a float, so `60000` and `6e4` differ as they
/// do on the broker.
pub type Arguments = BTreeMap<String, serde_json::Value>;

/// The default vhost.
pub const DEFAULT_VHOST: &str = "/";

/// A whole topology: what the files declare, or what the broker holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "warren topology")]
pub struct Topology {
    /// Virtual hosts. Every object's vhost must be listed here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vhosts: Vec<Vhost>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<Exchange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queues: Vec<Queue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bindings: Vec<Binding>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<Policy>,
    /// Routing assertions, checked offline by `warren validate`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<RouteAssertion>,
    /// Users. The kinds below are managed only when their key is written
    /// (`users: []` manages users, and declares none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<User>>,
    /// Users' permissions in vhosts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<Permission>>,
    /// Users' permissions on the routing keys of exchanges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_permissions: Option<Vec<TopicPermission>>,
    /// Runtime parameters: shovels, federation upstreams (and sets),
    /// operator policies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Vec<Parameter>>,
    /// Parameters of the whole broker (`cluster_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_parameters: Option<Vec<GlobalParameter>>,
}

/// A virtual host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Vhost {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Tags, as a list (`[a, b]`) or as the broker's comma-separated string.
    #[serde(
        default,
        deserialize_with = "tags::deserialize",
        skip_serializing_if = "Vec::is_empty"
    )]
    #[schemars(with = "tags::TagsSchema")]
    pub tags: Vec<String>,
    /// `classic`, `quorum` or `stream`; unset leaves the broker's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_queue_type: Option<String>,
    /// `max-connections`, `max-queues`: managed only when set (`{}` removes
    /// every limit). The broker's API keeps them apart from the vhost
    /// (`/api/vhost-limits`); exports of 3.8 and later write them here too.
    #[serde(
        default,
        deserialize_with = "unique_keys::deserialize_some",
        skip_serializing_if = "Option::is_none"
    )]
    pub limits: Option<Arguments>,
    /// The spelling of description, tags and default queue type that
    /// exports of 3.8 and later write (and the only one RabbitMQ 3.10's
    /// import reads the default queue type from). The loader merges it
    /// into the fields above, refusing values that differ, and leaves it
    /// empty; only `export` writes it, for the broker's own import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<VhostMetadata>,
}

/// A vhost's `metadata`, as definitions exports write it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VhostMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(
        default,
        deserialize_with = "tags::deserialize_some",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<tags::TagsSchema>")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_queue_type: Option<String>,
}

/// An exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exchange {
    pub name: String,
    #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
    pub vhost: String,
    /// `direct`, `fanout`, `topic`, `headers`, or a plugin type (`x-…`).
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub durable: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub auto_delete: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub internal: bool,
    #[serde(
        default,
        deserialize_with = "unique_keys::deserialize",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub arguments: Arguments,
}

/// A queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Queue {
    pub name: String,
    #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
    pub vhost: String,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub durable: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub auto_delete: bool,
    /// `x-queue-type`, `x-message-ttl`, `x-dead-letter-exchange`, …
    #[serde(
        default,
        deserialize_with = "unique_keys::deserialize",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub arguments: Arguments,
    /// The type as exports of 3.8 and later write it beside the arguments
    /// (`classic`, `quorum`, `stream`). The broker declares a queue from
    /// its arguments and ignores this, so it must agree with them; it is
    /// read from files only and dropped by normalising.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub declared_type: Option<String>,
}

/// What a binding points at.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum DestinationType {
    #[default]
    Queue,
    Exchange,
}

impl DestinationType {
    pub fn as_str(self) -> &'static str {
        match self {
            DestinationType::Queue => "queue",
            DestinationType::Exchange => "exchange",
        }
    }
}

impl fmt::Display for DestinationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A binding from an exchange to a queue or to another exchange.
/// Bindings have no mutable fields: every field is part of the identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Binding {
    pub source: String,
    pub destination: String,
    #[serde(default, skip_serializing_if = "is_queue")]
    pub destination_type: DestinationType,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub routing_key: String,
    /// Match arguments for headers exchanges (`x-match`, …).
    #[serde(
        default,
        deserialize_with = "unique_keys::deserialize",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub arguments: Arguments,
    #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
    pub vhost: String,
}

/// A policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub name: String,
    #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
    pub vhost: String,
    /// A regular expression matched against queue or exchange names.
    pub pattern: String,
    /// `queues`, `exchanges`, `all`, or (3.12+) `classic_queues`,
    /// `quorum_queues`, `streams`. The export spells it `apply-to`.
    #[serde(
        default = "default_apply_to",
        alias = "apply-to",
        skip_serializing_if = "is_default_apply_to"
    )]
    pub apply_to: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub priority: i64,
    #[serde(deserialize_with = "unique_keys::deserialize")]
    pub definition: Arguments,
}

/// A routing assertion: a message published to `exchange` with
/// `routing_key` (and `headers`) reaches exactly the queues in `reaches`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteAssertion {
    /// The exchange published to; `""` is the default exchange.
    pub exchange: String,
    #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
    pub vhost: String,
    #[serde(default)]
    pub routing_key: String,
    /// Message headers, for headers exchanges.
    #[serde(
        default,
        deserialize_with = "unique_keys::deserialize",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub headers: Arguments,
    /// The queues the message must reach, and no others; `[]` for none.
    pub reaches: Vec<String>,
}

/// A live object the broker holds with a value warren cannot read (an
/// exchange whose `auto_delete` is `"undefined"`, left by a 3.10.8
/// definitions import): shown by name, never changed, never pruned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unreadable {
    pub id: ObjectId,
    /// The field at fault: `auto_delete`, `arguments.x-expires`.
    pub field: String,
    /// The value found there, when there is one.
    pub value: Option<serde_json::Value>,
    /// Why it cannot be read: `invalid type: string "undefined", expected
    /// a boolean`.
    pub problem: String,
}

/// The kinds of object warren manages, in creation order: a user exists
/// before its permissions, a queue before a shovel that moves from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Vhost,
    GlobalParameter,
    User,
    Permission,
    TopicPermission,
    Policy,
    Exchange,
    Queue,
    Binding,
    Parameter,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Vhost => "vhost",
            Kind::GlobalParameter => "global parameter",
            Kind::User => "user",
            Kind::Permission => "permission",
            Kind::TopicPermission => "topic permission",
            Kind::Policy => "policy",
            Kind::Exchange => "exchange",
            Kind::Queue => "queue",
            Kind::Binding => "binding",
            Kind::Parameter => "parameter",
        }
    }

    /// True for the kinds that belong to no vhost.
    pub fn is_broker_wide(self) -> bool {
        matches!(self, Kind::User | Kind::GlobalParameter)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The identity of a managed object. Two objects with the same identity are
/// the same object, whatever their other fields say.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ObjectId {
    Vhost {
        name: String,
    },
    Policy {
        vhost: String,
        name: String,
    },
    Exchange {
        vhost: String,
        name: String,
    },
    Queue {
        vhost: String,
        name: String,
    },
    Binding {
        vhost: String,
        source: String,
        destination_type: DestinationType,
        destination: String,
        routing_key: String,
        /// The arguments as canonical JSON (keys sorted), so the identity
        /// can be ordered and hashed.
        arguments: String,
    },
    User {
        name: String,
    },
    Permission {
        vhost: String,
        user: String,
    },
    TopicPermission {
        vhost: String,
        user: String,
        exchange: String,
    },
    Parameter {
        vhost: String,
        component: String,
        name: String,
    },
    GlobalParameter {
        name: String,
    },
}

impl ObjectId {
    pub fn kind(&self) -> Kind {
        match self {
            ObjectId::Vhost { .. } => Kind::Vhost,
            ObjectId::Policy { .. } => Kind::Policy,
            ObjectId::Exchange { .. } => Kind::Exchange,
            ObjectId::Queue { .. } => Kind::Queue,
            ObjectId::Binding { .. } => Kind::Binding,
            ObjectId::User { .. } => Kind::User,
            ObjectId::Permission { .. } => Kind::Permission,
            ObjectId::TopicPermission { .. } => Kind::TopicPermission,
            ObjectId::Parameter { .. } => Kind::Parameter,
            ObjectId::GlobalParameter { .. } => Kind::GlobalParameter,
        }
    }

    /// The vhost the object lives in (a vhost lives in itself); `""` for
    /// what belongs to the whole broker (users, global parameters): no
    /// vhost has that name.
    pub fn vhost(&self) -> &str {
        match self {
            ObjectId::Vhost { name } => name,
            ObjectId::Policy { vhost, .. }
            | ObjectId::Exchange { vhost, .. }
            | ObjectId::Queue { vhost, .. }
            | ObjectId::Binding { vhost, .. }
            | ObjectId::Permission { vhost, .. }
            | ObjectId::TopicPermission { vhost, .. }
            | ObjectId::Parameter { vhost, .. } => vhost,
            ObjectId::User { .. } | ObjectId::GlobalParameter { .. } => "",
        }
    }
}

impl fmt::Display for ObjectId {
    /// A short human label without the vhost: `queue order.events`,
    /// `binding events -> order.events [order.*]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectId::Vhost { name } => write!(f, "vhost {name}"),
            ObjectId::Policy { name, .. } => write!(f, "policy {name}"),
            ObjectId::Exchange { name, .. } => write!(f, "exchange {name}"),
            ObjectId::Queue { name, .. } => write!(f, "queue {name}"),
            ObjectId::User { name } => write!(f, "user {name}"),
            ObjectId::Permission { user, .. } => write!(f, "permission of {user}"),
            ObjectId::TopicPermission { user, exchange, .. } => {
                write!(
                    f,
                    "topic permission of {user} on {}",
                    exchange_label(exchange)
                )
            }
            ObjectId::Parameter {
                component, name, ..
            } => write!(f, "{} {name}", component_label(component)),
            ObjectId::GlobalParameter { name } => write!(f, "global parameter {name}"),
            ObjectId::Binding {
                source,
                destination_type,
                destination,
                routing_key,
                arguments,
                ..
            } => {
                let source = if source.is_empty() {
                    "(default)"
                } else {
                    source
                };
                write!(f, "binding {source} -> ")?;
                if *destination_type == DestinationType::Exchange {
                    write!(f, "exchange ")?;
                }
                write!(f, "{destination} [{routing_key}]")?;
                if arguments != "{}" {
                    write!(f, " {arguments}")?;
                }
                Ok(())
            }
        }
    }
}

/// `(default)` for the default exchange's empty name.
fn exchange_label(name: &str) -> &str {
    if name.is_empty() { "(default)" } else { name }
}

/// A parameter's component as a plan names it: `shovel`,
/// `federation upstream`, `operator policy`.
pub fn component_label(component: &str) -> String {
    match component {
        "operator_policy" => "operator policy".to_string(),
        other => other.replace('-', " "),
    }
}

impl Vhost {
    pub fn new(name: impl Into<String>) -> Vhost {
        Vhost {
            name: name.into(),
            description: String::new(),
            tags: Vec::new(),
            default_queue_type: None,
            limits: None,
            metadata: None,
        }
    }

    pub fn id(&self) -> ObjectId {
        ObjectId::Vhost {
            name: self.name.clone(),
        }
    }
}

impl Exchange {
    pub fn id(&self) -> ObjectId {
        ObjectId::Exchange {
            vhost: self.vhost.clone(),
            name: self.name.clone(),
        }
    }

    /// The order of [`Exchange::id`], without building the identities.
    pub fn cmp_identity(&self, other: &Exchange) -> Ordering {
        (&self.vhost, &self.name).cmp(&(&other.vhost, &other.name))
    }
}

impl Queue {
    pub fn id(&self) -> ObjectId {
        ObjectId::Queue {
            vhost: self.vhost.clone(),
            name: self.name.clone(),
        }
    }

    /// The order of [`Queue::id`], without building the identities.
    pub fn cmp_identity(&self, other: &Queue) -> Ordering {
        (&self.vhost, &self.name).cmp(&(&other.vhost, &other.name))
    }
}

impl Binding {
    pub fn id(&self) -> ObjectId {
        ObjectId::Binding {
            vhost: self.vhost.clone(),
            source: self.source.clone(),
            destination_type: self.destination_type,
            destination: self.destination.clone(),
            routing_key: self.routing_key.clone(),
            arguments: self.arguments_identity(),
        }
    }

    /// The order of [`Binding::id`], without building the identities: the
    /// arguments' JSON is written only to break a tie.
    pub fn cmp_identity(&self, other: &Binding) -> Ordering {
        (
            &self.vhost,
            &self.source,
            self.destination_type,
            &self.destination,
            &self.routing_key,
        )
            .cmp(&(
                &other.vhost,
                &other.source,
                other.destination_type,
                &other.destination,
                &other.routing_key,
            ))
            .then_with(|| {
                if self.arguments.is_empty() && other.arguments.is_empty() {
                    Ordering::Equal
                } else {
                    self.arguments_identity().cmp(&other.arguments_identity())
                }
            })
    }

    /// The arguments as they stand in the identity: canonical JSON. Most
    /// bindings have none, and then cost no JSON.
    fn arguments_identity(&self) -> String {
        if self.arguments.is_empty() {
            "{}".to_string()
        } else {
            canonical_json(&self.arguments)
        }
    }

    /// The identity of the object this binding points at.
    pub fn destination_id(&self) -> ObjectId {
        match self.destination_type {
            DestinationType::Queue => ObjectId::Queue {
                vhost: self.vhost.clone(),
                name: self.destination.clone(),
            },
            DestinationType::Exchange => ObjectId::Exchange {
                vhost: self.vhost.clone(),
                name: self.destination.clone(),
            },
        }
    }

    /// The identity of the exchange this binding starts from.
    pub fn source_id(&self) -> ObjectId {
        ObjectId::Exchange {
            vhost: self.vhost.clone(),
            name: self.source.clone(),
        }
    }
}

impl Policy {
    pub fn id(&self) -> ObjectId {
        ObjectId::Policy {
            vhost: self.vhost.clone(),
            name: self.name.clone(),
        }
    }

    /// The order of [`Policy::id`], without building the identities.
    pub fn cmp_identity(&self, other: &Policy) -> Ordering {
        (&self.vhost, &self.name).cmp(&(&other.vhost, &other.name))
    }
}

impl Topology {
    /// Sorts each kind of object by identity. The sort is stable and
    /// builds no identities, so a list that arrives in order (a broker
    /// listing, a normal form) costs one pass.
    pub fn sort_by_identity(&mut self) {
        self.vhosts.sort_by(|a, b| a.name.cmp(&b.name));
        self.exchanges.sort_by(Exchange::cmp_identity);
        self.queues.sort_by(Queue::cmp_identity);
        self.bindings.sort_by(Binding::cmp_identity);
        self.policies.sort_by(Policy::cmp_identity);
        if let Some(users) = &mut self.users {
            users.sort_by(|a, b| a.name.cmp(&b.name));
        }
        if let Some(permissions) = &mut self.permissions {
            permissions.sort_by(|a, b| (&a.vhost, &a.user).cmp(&(&b.vhost, &b.user)));
        }
        if let Some(topic_permissions) = &mut self.topic_permissions {
            topic_permissions.sort_by(|a, b| {
                (&a.vhost, &a.user, &a.exchange).cmp(&(&b.vhost, &b.user, &b.exchange))
            });
        }
        if let Some(parameters) = &mut self.parameters {
            parameters.sort_by(|a, b| {
                (&a.vhost, &a.component, &a.name).cmp(&(&b.vhost, &b.component, &b.name))
            });
        }
        if let Some(global_parameters) = &mut self.global_parameters {
            global_parameters.sort_by(|a, b| a.name.cmp(&b.name));
        }
    }

    /// The users, when the files manage users (else none).
    pub fn users(&self) -> &[User] {
        self.users.as_deref().unwrap_or_default()
    }

    pub fn permissions(&self) -> &[Permission] {
        self.permissions.as_deref().unwrap_or_default()
    }

    pub fn topic_permissions(&self) -> &[TopicPermission] {
        self.topic_permissions.as_deref().unwrap_or_default()
    }

    pub fn parameters(&self) -> &[Parameter] {
        self.parameters.as_deref().unwrap_or_default()
    }

    pub fn global_parameters(&self) -> &[GlobalParameter] {
        self.global_parameters.as_deref().unwrap_or_default()
    }

    /// Objects per kind, for summaries.
    pub fn counts(&self) -> Counts {
        Counts {
            vhosts: self.vhosts.len(),
            exchanges: self.exchanges.len(),
            queues: self.queues.len(),
            bindings: self.bindings.len(),
            policies: self.policies.len(),
            routes: self.routes.len(),
        }
    }

    /// Appends every object of `other` (used to merge several files).
    pub fn extend(&mut self, other: Topology) {
        self.vhosts.extend(other.vhosts);
        self.exchanges.extend(other.exchanges);
        self.queues.extend(other.queues);
        self.bindings.extend(other.bindings);
        self.policies.extend(other.policies);
        self.routes.extend(other.routes);
        extend_managed(&mut self.users, other.users);
        extend_managed(&mut self.permissions, other.permissions);
        extend_managed(&mut self.topic_permissions, other.topic_permissions);
        extend_managed(&mut self.parameters, other.parameters);
        extend_managed(&mut self.global_parameters, other.global_parameters);
    }
}

/// A managed kind's list merged with another file's: managed when either
/// file manages it.
fn extend_managed<T>(list: &mut Option<Vec<T>>, other: Option<Vec<T>>) {
    if let Some(other) = other {
        list.get_or_insert_with(Vec::new).extend(other);
    }
}

/// How many objects of each kind a topology holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub vhosts: usize,
    pub exchanges: usize,
    pub queues: usize,
    pub bindings: usize,
    pub policies: usize,
    pub routes: usize,
}

impl fmt::Display for Counts {
    /// `1 vhost, 1 exchange, 2 queues, 1 binding, 0 policies`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {}, {}, {}, {}",
            plural(self.vhosts, "vhost", "vhosts"),
            plural(self.exchanges, "exchange", "exchanges"),
            plural(self.queues, "queue", "queues"),
            plural(self.bindings, "binding", "bindings"),
            plural(self.policies, "policy", "policies"),
        )
    }
}

/// `1 queue`, `2 queues`, `0 queues`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// JSON with keys sorted and no spaces: a stable text form of a value.
pub fn canonical_json<T: Serialize>(value: &T) -> String {
    // serde_json's map is a BTreeMap here (no preserve_order), so keys come
    // out sorted at every depth.
    let value = serde_json::to_value(value).expect("model values serialise to JSON");
    serde_json::to_string(&value).expect("JSON values serialise")
}

/// True for the names RabbitMQ reserves for itself (`amq.` prefix).
pub fn is_reserved_name(name: &str) -> bool {
    name.starts_with("amq.")
}

/// An exchange every vhost has, always.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinExchange {
    pub name: &'static str,
    pub kind: &'static str,
    /// Only `amq.rabbitmq.trace` is internal. All are durable, not
    /// auto-delete, without arguments.
    pub internal: bool,
}

const fn builtin(name: &'static str, kind: &'static str, internal: bool) -> BuiltinExchange {
    BuiltinExchange {
        name,
        kind,
        internal,
    }
}

/// The exchanges every vhost has, always: the default exchange and the
/// `amq.*` ones (verified on 3.10.8).
pub const BUILTIN_EXCHANGES: &[BuiltinExchange] = &[
    builtin("", "direct", false),
    builtin("amq.direct", "direct", false),
    builtin("amq.fanout", "fanout", false),
    builtin("amq.topic", "topic", false),
    builtin("amq.headers", "headers", false),
    builtin("amq.match", "headers", false),
    builtin("amq.rabbitmq.trace", "topic", true),
];

/// The built-in exchange called `name`, if there is one.
pub fn builtin_exchange(name: &str) -> Option<&'static BuiltinExchange> {
    BUILTIN_EXCHANGES.iter().find(|b| b.name == name)
}

/// The type of a built-in exchange, if `name` is one.
pub fn builtin_exchange_type(name: &str) -> Option<&'static str> {
    builtin_exchange(name).map(|b| b.kind)
}

pub(crate) fn default_vhost() -> String {
    DEFAULT_VHOST.to_string()
}

pub(crate) fn is_default_vhost(vhost: &str) -> bool {
    vhost == DEFAULT_VHOST
}

fn default_apply_to() -> String {
    "all".to_string()
}

fn is_default_apply_to(apply_to: &str) -> bool {
    apply_to == "all"
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_queue(d: &DestinationType) -> bool {
    *d == DestinationType::Queue
}

/// Argument maps refuse a key written twice: a plain map would keep the last
/// value silently, and the file would not say what the broker gets.
pub(crate) mod unique_keys {
    use std::fmt;

    use serde::de::{Deserializer, Error, MapAccess, SeqAccess, Unexpected, Visitor};

    use super::Arguments;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arguments, D::Error> {
        struct Unique;

        impl<'de> Visitor<'de> for Unique {
            type Value = Arguments;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }

            /// Exports of older brokers write an empty map as `[]` (an
            /// empty Erlang proplist), which the broker reads as `{}`.
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Arguments, A::Error> {
                match seq.next_element::<serde::de::IgnoredAny>()? {
                    None => Ok(Arguments::new()),
                    Some(_) => Err(A::Error::invalid_type(Unexpected::Seq, &self)),
                }
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Arguments, A::Error> {
                let mut out = Arguments::new();
                while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
                    if out.contains_key(&key) {
                        return Err(A::Error::custom(format!(
                            "key '{key}' is written twice in the same mapping"
                        )));
                    }
                    out.insert(key, value);
                }
                Ok(out)
            }
        }

        d.deserialize_any(Unique)
    }

    /// [`deserialize`] for an optional field: present means `Some`.
    pub fn deserialize_some<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Arguments>, D::Error> {
        deserialize(d).map(Some)
    }
}

/// Vhost tags arrive as a list in files and in `GET /api/vhosts`, and as a
/// comma-separated string in some exports.
pub(crate) mod tags {
    use std::fmt;

    use schemars::JsonSchema;
    use serde::Deserializer;
    use serde::de::{SeqAccess, Visitor};

    /// A list of tags, or one string of them separated by commas.
    struct Tags;

    impl<'de> Visitor<'de> for Tags {
        type Value = Vec<String>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of tags, or one string of them separated by commas")
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Vec<String>, E> {
            Ok(text
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect())
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Vec<String>, A::Error> {
            let mut tags = Vec::with_capacity(items.size_hint().unwrap_or(0).min(64));
            while let Some(tag) = items.next_element()? {
                tags.push(tag);
            }
            Ok(tags)
        }
    }

    /// [`deserialize`] for an optional field: present means `Some`.
    pub fn deserialize_some<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<String>>, D::Error> {
        deserialize(d).map(Some)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        // Not an untagged enum: that buffers every value to try each
        // shape, and says only "did not match any variant" when none fits.
        d.deserialize_any(Tags)
    }

    /// The schema of the tags field: a list of strings, or one string.
    #[derive(JsonSchema)]
    #[serde(untagged)]
    #[allow(dead_code)]
    pub enum TagsSchema {
        List(Vec<String>),
        Text(String),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_filled_on_load() {
        let t: Topology = serde_yaml::from_str(
            "exchanges: [{name: e, type: topic}]\nqueues: [{name: q}]\nbindings: [{source: e, destination: q}]\npolicies: [{name: p, pattern: '.*', definition: {max-length: 1}}]",
        )
        .unwrap();
        let e = &t.exchanges[0];
        assert!(e.durable && !e.auto_delete && !e.internal && e.vhost == "/");
        assert!(t.queues[0].durable);
        assert_eq!(t.bindings[0].destination_type, DestinationType::Queue);
        assert_eq!(t.bindings[0].routing_key, "");
        assert_eq!(t.policies[0].apply_to, "all");
    }

    #[test]
    fn objects_compare_as_their_identities_do() {
        let t: Topology = serde_yaml::from_str(
            "exchanges: [{name: b, type: topic}, {name: a, vhost: v, type: topic}, {name: a, type: fanout}]
queues: [{name: q2}, {name: q1, vhost: w}, {name: q1}, {name: Q}]
policies: [{name: p, vhost: v, pattern: x, definition: {}}, {name: o, pattern: x, definition: {}}]
bindings:
  - {source: e, destination: q}
  - {source: e, destination: q, routing_key: k}
  - {source: e, destination: q, arguments: {x-match: all}}
  - {source: e, destination: q, arguments: {b: 1, a: 2}}
  - {source: e, destination: q, arguments: {a: 2, b: 1}}
  - {source: e, destination: q, arguments: {a: 10}}
  - {source: e, destination: e2, destination_type: exchange}
  - {source: d, destination: q, vhost: v}
  - {source: e, destination: p}",
        )
        .unwrap();
        fn agree<T>(objects: &[T], cmp: fn(&T, &T) -> Ordering, id: fn(&T) -> ObjectId) {
            for a in objects {
                for b in objects {
                    assert_eq!(cmp(a, b), id(a).cmp(&id(b)));
                }
            }
        }
        agree(&t.exchanges, Exchange::cmp_identity, Exchange::id);
        agree(&t.queues, Queue::cmp_identity, Queue::id);
        agree(&t.policies, Policy::cmp_identity, Policy::id);
        agree(&t.bindings, Binding::cmp_identity, Binding::id);
        // The same arguments in another order are the same binding.
        assert_eq!(t.bindings[3].cmp_identity(&t.bindings[4]), Ordering::Equal);
    }

    #[test]
    fn policy_accepts_the_export_spelling_of_apply_to() {
        let p: Policy = serde_yaml::from_str(
            "{name: p, pattern: x, apply-to: queues, definition: {message-ttl: 1}}",
        )
        .unwrap();
        assert_eq!(p.apply_to, "queues");
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = serde_yaml::from_str::<Queue>("{name: q, durabel: true}").unwrap_err();
        assert!(err.to_string().contains("durabel"), "{err}");
    }

    #[test]
    fn integers_and_floats_stay_apart() {
        let q: Queue =
            serde_yaml::from_str("{name: q, arguments: {a: 60000, b: 6e4, c: '60000'}}").unwrap();
        assert!(q.arguments["a"].is_i64());
        assert!(q.arguments["b"].is_f64());
        assert!(q.arguments["c"].is_string());
    }

    #[test]
    fn tags_accept_a_list_or_a_comma_string() {
        let v: Vhost = serde_yaml::from_str("{name: v, tags: 'a, b'}").unwrap();
        assert_eq!(v.tags, ["a", "b"]);
        let v: Vhost = serde_yaml::from_str("{name: v, tags: [a]}").unwrap();
        assert_eq!(v.tags, ["a"]);
        let wrong = serde_yaml::from_str::<Vhost>("{name: v, tags: {a: 1}}").unwrap_err();
        assert!(
            wrong
                .to_string()
                .contains("expected a list of tags, or one string of them separated by commas"),
            "{wrong}"
        );
        // Through warren's own reader, which places the error.
        let failed = crate::load::load_sources(vec![(
            "users.yaml".into(),
            b"users:\n  - {name: app, tags: 5}\n".to_vec(),
        )])
        .unwrap_err();
        let said = format!("{failed:?}");
        assert!(said.contains("a list of tags"), "{said}");
    }

    #[test]
    fn binding_label_names_both_ends() {
        let b: Binding = serde_yaml::from_str(
            "{source: events, destination: order.events, routing_key: 'order.*'}",
        )
        .unwrap();
        assert_eq!(
            b.id().to_string(),
            "binding events -> order.events [order.*]"
        );
    }
}
