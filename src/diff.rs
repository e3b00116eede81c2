//! The difference between a desired and a live topology, as changes.
//!
//! Both sides go through [`normalize`] first; then objects are matched by
//! identity and compared field by field. A change is a value: its action,
//! the object's identity, the live and desired objects, and the reasons
//! (which field differs, and which policy key could change it in place).
//! Nothing here is ordered for execution or checked for safety: that is
//! [`crate::plan`]'s job. No I/O.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{
    Binding, Exchange, GlobalParameter, ObjectId, Parameter, Permission, Policy, Queue,
    TopicPermission, Topology, User, Vhost, without_credentials,
};
use crate::normalize::{Normal, normalize};

/// What a change does to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Declared, not on the broker.
    Create,
    /// A mutable field differs (policies, vhost description and tags).
    Update,
    /// An immutable field differs: delete, then create again.
    Replace,
    /// On the broker, not declared, and `--prune` asked for its deletion.
    Delete,
    /// On the broker, not declared: left alone.
    Unmanaged,
    /// A difference the broker cannot apply (a vhost's default queue type
    /// before RabbitMQ 3.11.17): reported, never acted on.
    Unsupported,
    /// On the broker with a value warren cannot read: reported by name,
    /// never acted on (it may be declared in the files, or not).
    Unreadable,
}

impl Action {
    /// The marker used in text plans, in the manner of `terraform plan`.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::Unmanaged => "?",
            Action::Unsupported => "!",
            Action::Unreadable => "!!",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::Unmanaged => "unmanaged",
            Action::Unsupported => "unsupported",
            Action::Unreadable => "unreadable",
        }
    }

    /// True for the actions `apply` carries out.
    pub fn is_change(self) -> bool {
        matches!(
            self,
            Action::Create | Action::Update | Action::Replace | Action::Delete
        )
    }
}

/// A managed object, whole (users and parameters without their secrets).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Object {
    Vhost(Vhost),
    Policy(Policy),
    Exchange(Exchange),
    Queue(Queue),
    Binding(Binding),
    User(User),
    Permission(Permission),
    TopicPermission(TopicPermission),
    Parameter(Parameter),
    GlobalParameter(GlobalParameter),
}

impl Object {
    pub fn id(&self) -> ObjectId {
        match self {
            Object::Vhost(v) => v.id(),
            Object::Policy(p) => p.id(),
            Object::Exchange(e) => e.id(),
            Object::Queue(q) => q.id(),
            Object::Binding(b) => b.id(),
            Object::User(u) => u.id(),
            Object::Permission(p) => p.id(),
            Object::TopicPermission(p) => p.id(),
            Object::Parameter(p) => p.id(),
            Object::GlobalParameter(p) => p.id(),
        }
    }
}

/// Why an object changes: one field, before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// `durable`, `type`, `arguments.x-message-ttl`, `definition.max-length`, …
    pub field: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// The policy key that can set this value in place, without a replace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_key: Option<String>,
}

/// One change to one object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub action: Action,
    pub id: ObjectId,
    /// The object as the broker has it (absent for a create).
    pub before: Option<Object>,
    /// The object as it will be (absent for a delete).
    pub after: Option<Object>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<Reason>,
    /// For a binding: created again because this object is replaced, or
    /// deleted along with it (then no request of its own is needed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caused_by: Option<ObjectId>,
    /// For a binding on the broker: the `properties_key` it reported, by
    /// which it is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties_key: Option<String>,
    /// For a queue that a replace or delete would drop: the messages it
    /// holds, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<u64>,
    /// For a queue that a replace or delete would drop: the consumers it
    /// has, which dropping it cancels, when the broker reported them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumers: Option<u64>,
}

impl Change {
    fn new(action: Action, id: ObjectId, before: Option<Object>, after: Option<Object>) -> Change {
        Change {
            action,
            id,
            before,
            after,
            reasons: Vec::new(),
            caused_by: None,
            properties_key: None,
            messages: None,
            consumers: None,
        }
    }

    /// The change that reports a live object warren cannot read: why, as
    /// its one reason (the field, and the value found there).
    pub fn unreadable(object: &crate::model::Unreadable) -> Change {
        let mut change = Change::new(Action::Unreadable, object.id.clone(), None, None);
        change.reasons = vec![Reason {
            field: object.field.clone(),
            before: object.value.clone(),
            after: None,
            policy_key: None,
        }];
        change
    }

    /// True when carrying this change out drops a queue and its messages.
    pub fn drops_queue(&self) -> bool {
        matches!(self.id, ObjectId::Queue { .. })
            && matches!(self.action, Action::Replace | Action::Delete)
    }
}

/// How to compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiffOptions<'a> {
    /// Objects not declared become deletions instead of unmanaged (in the
    /// declared vhosts: exchanges, queues, bindings, policies, parameters).
    pub prune: bool,
    /// Users not declared, and permissions and topic permissions in the
    /// declared vhosts, are deleted (never `guest`).
    pub prune_users: bool,
    /// Global parameters not declared are deleted.
    pub prune_global_parameters: bool,
    /// Whether the broker can change a vhost's default queue type in place
    /// (RabbitMQ 3.11.17 and later).
    pub default_queue_type_mutable: bool,
    /// The user warren is connected as, when comparing with a broker. Its
    /// own permissions and topic permissions that the files do not declare
    /// are left out: the broker grants it full permissions on every vhost
    /// it creates, and warren may not take them away (it would lock itself
    /// out), so they are neither drift nor pruned.
    pub connected_user: Option<&'a str>,
}

/// Queue arguments that a policy can set, with the policy key that does it
/// (RABBITMQ.md §4): the way to change them without a replace.
pub const POLICY_SETTABLE_QUEUE_ARGUMENTS: &[(&str, &str)] = &[
    ("x-message-ttl", "message-ttl"),
    ("x-expires", "expires"),
    ("x-max-length", "max-length"),
    ("x-max-length-bytes", "max-length-bytes"),
    ("x-overflow", "overflow"),
    ("x-dead-letter-exchange", "dead-letter-exchange"),
    ("x-dead-letter-routing-key", "dead-letter-routing-key"),
    ("x-dead-letter-strategy", "dead-letter-strategy"),
    ("x-queue-mode", "queue-mode"),
    ("x-queue-version", "queue-version"),
    ("x-delivery-limit", "delivery-limit"),
    ("x-max-age", "max-age"),
    (
        "x-stream-max-segment-size-bytes",
        "stream-max-segment-size-bytes",
    ),
    ("x-queue-leader-locator", "queue-leader-locator"),
    ("x-max-in-memory-length", "max-in-memory-length"),
];

/// The policy key that can set queue argument `argument`, if any.
pub fn policy_key_for_queue_argument(argument: &str) -> Option<&'static str> {
    POLICY_SETTABLE_QUEUE_ARGUMENTS
        .iter()
        .find(|(a, _)| *a == argument)
        .map(|(_, p)| *p)
}

/// The desired side of a comparison with `live`: the files' topology in
/// normal form, with the vhost fields the files leave unset taken from the
/// broker. `normal` is `normalize(files)`, reused when no default queue
/// type is taken over (which could change the type a queue resolves to);
/// else the files are normalised again, filled.
pub fn desired_against(files: &Topology, mut normal: Normal, live: &Normal) -> Normal {
    let live_vhosts: BTreeMap<&str, &Vhost> =
        live.vhosts.iter().map(|v| (v.name.as_str(), v)).collect();
    let takes_a_queue_type = files.vhosts.iter().any(|v| {
        v.default_queue_type.is_none()
            && live_vhosts
                .get(v.name.as_str())
                .is_some_and(|l| l.default_queue_type.is_some())
    });
    if takes_a_queue_type {
        let mut filled = files.clone();
        for vhost in &mut filled.vhosts {
            if let Some(current) = live_vhosts.get(vhost.name.as_str()) {
                fill_unmanaged_vhost_fields(vhost, current);
            }
        }
        return normalize(filled);
    }
    // No queue type is taken over, so only descriptions and tags (already
    // normal on the live side) are filled in.
    for vhost in normal.vhosts_mut() {
        if let Some(current) = live_vhosts.get(vhost.name.as_str()) {
            let default_queue_type = vhost.default_queue_type.take();
            fill_unmanaged_vhost_fields(vhost, current);
            vhost.default_queue_type = default_queue_type;
        }
    }
    normal
}

/// The changes that turn `live` into `desired`, unordered but
/// deterministic (sorted by identity). `desired` is the files' side from
/// [`desired_against`] `live`. `binding_keys` maps live bindings to the
/// `properties_key` the broker reported for them.
pub fn diff(
    desired: &Normal,
    live: &Normal,
    binding_keys: &BTreeMap<ObjectId, String>,
    options: DiffOptions<'_>,
) -> Vec<Change> {
    let mut changes = Vec::new();

    diff_vhosts(&desired.vhosts, &live.vhosts, options, &mut changes);
    diff_by_id(
        &desired.policies,
        &live.policies,
        Policy::cmp_identity,
        Policy::id,
        Object::Policy,
        policy_reasons,
        Action::Update,
        options.prune,
        &mut changes,
    );
    diff_by_id(
        &desired.exchanges,
        &live.exchanges,
        Exchange::cmp_identity,
        Exchange::id,
        Object::Exchange,
        exchange_reasons,
        Action::Replace,
        options.prune,
        &mut changes,
    );
    diff_by_id(
        &desired.queues,
        &live.queues,
        Queue::cmp_identity,
        Queue::id,
        Object::Queue,
        queue_reasons,
        Action::Replace,
        options.prune,
        &mut changes,
    );
    diff_bindings(desired, live, binding_keys, options, &mut changes);
    diff_access(desired, live, options, &mut changes);
    diff_parameters(desired, live, options, &mut changes);
    changes.sort_by(|a, b| a.id.cmp(&b.id));
    changes
}

/// Users, permissions and topic permissions: each kind compared only when
/// the files manage it (write its key). Users are pruned with
/// `--prune-users`, and `guest` never is: it is the broker's own.
fn diff_access(desired: &Normal, live: &Normal, options: DiffOptions<'_>, out: &mut Vec<Change>) {
    if desired.users.is_some() {
        let mut changes = Vec::new();
        diff_by_id(
            desired.users(),
            live.users(),
            |a, b| a.name.cmp(&b.name),
            User::id,
            Object::User,
            user_reasons,
            Action::Update,
            options.prune_users,
            &mut changes,
        );
        for mut change in changes {
            if change.action == Action::Delete
                && change.id
                    == (ObjectId::User {
                        name: "guest".into(),
                    })
            {
                change.action = Action::Unmanaged;
            }
            out.push(change);
        }
    }
    if desired.permissions.is_some() {
        diff_by_id(
            desired.permissions(),
            live.permissions(),
            |a, b| (&a.vhost, &a.user).cmp(&(&b.vhost, &b.user)),
            Permission::id,
            Object::Permission,
            permission_reasons,
            Action::Update,
            options.prune_users,
            out,
        );
    }
    if desired.topic_permissions.is_some() {
        diff_by_id(
            desired.topic_permissions(),
            live.topic_permissions(),
            |a, b| (&a.vhost, &a.user, &a.exchange).cmp(&(&b.vhost, &b.user, &b.exchange)),
            TopicPermission::id,
            Object::TopicPermission,
            topic_permission_reasons,
            Action::Update,
            options.prune_users,
            out,
        );
    }
    if let Some(connected) = options.connected_user {
        out.retain(|change| {
            let own_undeclared = matches!(change.action, Action::Delete | Action::Unmanaged)
                && matches!(
                    &change.id,
                    ObjectId::Permission { user, .. } | ObjectId::TopicPermission { user, .. }
                        if user == connected
                );
            !own_undeclared
        });
    }
}

/// Runtime parameters (pruned with `--prune`) and global parameters
/// (pruned with `--prune-global-parameters`), when the files manage them.
fn diff_parameters(
    desired: &Normal,
    live: &Normal,
    options: DiffOptions<'_>,
    out: &mut Vec<Change>,
) {
    if desired.parameters.is_some() {
        diff_by_id(
            desired.parameters(),
            live.parameters(),
            |a, b| (&a.vhost, &a.component, &a.name).cmp(&(&b.vhost, &b.component, &b.name)),
            Parameter::id,
            |p| Object::Parameter(p.without_secrets()),
            parameter_reasons,
            Action::Update,
            options.prune,
            out,
        );
    }
    if desired.global_parameters.is_some() {
        diff_by_id(
            desired.global_parameters(),
            live.global_parameters(),
            |a, b| a.name.cmp(&b.name),
            GlobalParameter::id,
            Object::GlobalParameter,
            |have, want| {
                let mut reasons = Vec::new();
                field(&mut reasons, "value", &have.value, &want.value);
                reasons
            },
            Action::Update,
            options.prune_global_parameters,
            out,
        );
    }
}

/// A user's tags, its limits when the file sets them, and its password:
/// against the broker, the file's password (resolved) is checked against
/// the stored hash without ever being shown; between two files, the
/// references are compared.
fn user_reasons(have: &User, want: &User) -> Vec<Reason> {
    let mut reasons = Vec::new();
    field(&mut reasons, "tags", &have.tags, &want.tags);
    if let Some(limits) = &want.limits {
        let live = have.limits.clone().unwrap_or_default();
        map_fields(&mut reasons, "limits", &live, limits, |_| None);
    }
    let password_differs = match (&want.credential, &have.credential) {
        (Some(want), Some(have)) => !crate::password::credential_matches(want, have),
        // Not resolved on one side: the references say what changed.
        _ => {
            let reference = |u: &User| {
                (
                    u.password_env.clone(),
                    u.password_file.clone(),
                    u.password_hash.clone(),
                    u.hashing_algorithm.clone(),
                )
            };
            want.credential.is_none()
                && have.credential.is_none()
                && reference(have) != reference(want)
        }
    };
    if password_differs {
        reasons.push(Reason {
            field: "password".into(),
            before: None,
            after: None,
            policy_key: None,
        });
    }
    reasons
}

fn permission_reasons(have: &Permission, want: &Permission) -> Vec<Reason> {
    let mut reasons = Vec::new();
    field(&mut reasons, "configure", &have.configure, &want.configure);
    field(&mut reasons, "write", &have.write, &want.write);
    field(&mut reasons, "read", &have.read, &want.read);
    reasons
}

fn topic_permission_reasons(have: &TopicPermission, want: &TopicPermission) -> Vec<Reason> {
    let mut reasons = Vec::new();
    field(&mut reasons, "write", &have.write, &want.write);
    field(&mut reasons, "read", &have.read, &want.read);
    reasons
}

/// A parameter's value, key by key, compared as sent (URIs resolved) and
/// shown without credentials.
fn parameter_reasons(have: &Parameter, want: &Parameter) -> Vec<Reason> {
    let (have_value, want_value) = (have.effective_value(), want.effective_value());
    if have_value == want_value {
        return Vec::new();
    }
    let as_map = |v: &Value| -> BTreeMap<String, Value> {
        match v {
            Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            other => BTreeMap::from([(String::new(), other.clone())]),
        }
    };
    let (before, after) = (as_map(have_value), as_map(want_value));
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|key| Reason {
            field: if key.is_empty() {
                "value".into()
            } else {
                format!("value.{key}")
            },
            before: before.get(key).map(without_credentials),
            after: after.get(key).map(without_credentials),
            policy_key: None,
        })
        .collect()
}

/// A vhost's description, tags and default queue type are managed only
/// when the file sets them; unset, they keep the broker's value, so
/// `- name: /` does not fight the broker's "Default virtual host".
fn fill_unmanaged_vhost_fields(vhost: &mut Vhost, current: &Vhost) {
    if vhost.description.is_empty() {
        vhost.description = current.description.clone();
    }
    if vhost.tags.is_empty() {
        vhost.tags = current.tags.clone();
    }
    if vhost.default_queue_type.is_none() {
        vhost.default_queue_type = current.default_queue_type.clone();
    }
    if vhost.limits.is_none() {
        vhost.limits = current.limits.clone();
    }
}

fn diff_vhosts(desired: &[Vhost], live: &[Vhost], options: DiffOptions<'_>, out: &mut Vec<Change>) {
    let live_by_name: BTreeMap<&str, &Vhost> = live.iter().map(|v| (v.name.as_str(), v)).collect();
    for want in desired {
        let Some(have) = live_by_name.get(want.name.as_str()) else {
            out.push(Change::new(
                Action::Create,
                want.id(),
                None,
                Some(Object::Vhost(want.clone())),
            ));
            continue;
        };
        let mut reasons = Vec::new();
        field(
            &mut reasons,
            "description",
            &have.description,
            &want.description,
        );
        field(&mut reasons, "tags", &have.tags, &want.tags);
        if let Some(limits) = &want.limits {
            let live = have.limits.clone().unwrap_or_default();
            map_fields(&mut reasons, "limits", &live, limits, |_| None);
        }
        let dqt = (have.default_queue_type != want.default_queue_type).then(|| Reason {
            field: "default_queue_type".into(),
            before: have
                .default_queue_type
                .as_ref()
                .map(|t| Value::from(t.as_str())),
            after: want
                .default_queue_type
                .as_ref()
                .map(|t| Value::from(t.as_str())),
            policy_key: None,
        });
        let before = Some(Object::Vhost((*have).clone()));
        let after = Some(Object::Vhost(want.clone()));
        match dqt {
            Some(dqt) if !options.default_queue_type_mutable => {
                // Report the unchangeable field on its own; apply what can be.
                if !reasons.is_empty() {
                    let mut update = want.clone();
                    update.default_queue_type = have.default_queue_type.clone();
                    let mut change = Change::new(
                        Action::Update,
                        want.id(),
                        before.clone(),
                        Some(Object::Vhost(update)),
                    );
                    change.reasons = reasons;
                    out.push(change);
                }
                let mut change = Change::new(Action::Unsupported, want.id(), before, after);
                change.reasons = vec![dqt];
                out.push(change);
            }
            dqt => {
                reasons.extend(dqt);
                if !reasons.is_empty() {
                    let mut change = Change::new(Action::Update, want.id(), before, after);
                    change.reasons = reasons;
                    out.push(change);
                }
            }
        }
    }
    // Vhosts are never unmanaged or pruned: only declared ones are read.
}

/// Compares objects of one kind matched by identity. `on_difference` is
/// the action a differing object gets (update or replace).
#[allow(clippy::too_many_arguments)]
fn diff_by_id<T: Clone>(
    desired: &[T],
    live: &[T],
    identity: fn(&T, &T) -> Ordering,
    id: fn(&T) -> ObjectId,
    wrap: fn(T) -> Object,
    reasons: fn(&T, &T) -> Vec<Reason>,
    on_difference: Action,
    prune: bool,
    out: &mut Vec<Change>,
) {
    let (pairs, leftovers) = pair_by_identity(desired, live, identity);
    for (want, have) in pairs {
        match have {
            None => out.push(Change::new(
                Action::Create,
                id(want),
                None,
                Some(wrap(want.clone())),
            )),
            Some(have) => {
                let why = reasons(have, want);
                if !why.is_empty() {
                    let mut change = Change::new(
                        on_difference,
                        id(want),
                        Some(wrap(have.clone())),
                        Some(wrap(want.clone())),
                    );
                    change.reasons = why;
                    out.push(change);
                }
            }
        }
    }
    let leftover = if prune {
        Action::Delete
    } else {
        Action::Unmanaged
    };
    for have in leftovers {
        out.push(Change::new(
            leftover,
            id(have),
            Some(wrap(have.clone())),
            None,
        ));
    }
}

/// Matches two lists sorted by identity (as normal forms are) in one pass,
/// building no identities: each desired object with the live object of the
/// same identity, if any, then the live objects left unmatched.
#[allow(clippy::type_complexity)]
fn pair_by_identity<'a, T>(
    desired: &'a [T],
    live: &'a [T],
    identity: fn(&T, &T) -> Ordering,
) -> (Vec<(&'a T, Option<&'a T>)>, Vec<&'a T>) {
    debug_assert!(desired.is_sorted_by(|a, b| identity(a, b).is_le()));
    debug_assert!(live.is_sorted_by(|a, b| identity(a, b).is_le()));
    let mut live = live.iter().peekable();
    let mut leftovers = Vec::new();
    let pairs = desired
        .iter()
        .map(|want| {
            while let Some(have) = live.next_if(|have| identity(have, want).is_lt()) {
                leftovers.push(have);
            }
            (want, live.next_if(|have| identity(have, want).is_eq()))
        })
        .collect();
    leftovers.extend(live);
    (pairs, leftovers)
}

fn diff_bindings(
    desired: &Topology,
    live: &Topology,
    binding_keys: &BTreeMap<ObjectId, String>,
    options: DiffOptions<'_>,
    out: &mut Vec<Change>,
) {
    // Objects deleted by a replace or a prune take their bindings with them.
    let replaced: BTreeSet<ObjectId> = out
        .iter()
        .filter(|c| c.action == Action::Replace)
        .map(|c| c.id.clone())
        .collect();
    let deleted: BTreeSet<ObjectId> = out
        .iter()
        .filter(|c| c.action == Action::Delete)
        .map(|c| c.id.clone())
        .collect();
    let touching = |b: &Binding, set: &BTreeSet<ObjectId>| -> Option<ObjectId> {
        if set.is_empty() {
            return None;
        }
        [b.source_id(), b.destination_id()]
            .into_iter()
            .find(|end| set.contains(end))
    };

    let (pairs, leftovers) =
        pair_by_identity(&desired.bindings, &live.bindings, Binding::cmp_identity);
    for (want, have) in pairs {
        match have {
            None => out.push(Change::new(
                Action::Create,
                want.id(),
                None,
                Some(Object::Binding(want.clone())),
            )),
            Some(have) => {
                if let Some(cause) = touching(want, &replaced) {
                    let key = want.id();
                    let mut change = Change::new(
                        Action::Create,
                        key.clone(),
                        Some(Object::Binding(have.clone())),
                        Some(Object::Binding(want.clone())),
                    );
                    change.caused_by = Some(cause);
                    change.properties_key = binding_keys.get(&key).cloned();
                    out.push(change);
                }
            }
        }
    }
    for have in leftovers {
        let key = have.id();
        let properties_key = binding_keys.get(&key).cloned();
        if options.prune {
            let mut change = Change::new(
                Action::Delete,
                key,
                Some(Object::Binding(have.clone())),
                None,
            );
            change.caused_by = touching(have, &deleted).or_else(|| touching(have, &replaced));
            change.properties_key = properties_key;
            out.push(change);
        } else if let Some(cause) = touching(have, &replaced) {
            // Not declared, but live: a replace must not silently drop it,
            // so it is created again like the declared ones.
            let mut change = Change::new(
                Action::Create,
                key,
                Some(Object::Binding(have.clone())),
                Some(Object::Binding(have.clone())),
            );
            change.caused_by = Some(cause);
            change.properties_key = properties_key;
            out.push(change);
        } else {
            let mut change = Change::new(
                Action::Unmanaged,
                key,
                Some(Object::Binding(have.clone())),
                None,
            );
            change.properties_key = properties_key;
            out.push(change);
        }
    }
}

fn policy_reasons(have: &Policy, want: &Policy) -> Vec<Reason> {
    let mut reasons = Vec::new();
    field(&mut reasons, "pattern", &have.pattern, &want.pattern);
    field(&mut reasons, "apply_to", &have.apply_to, &want.apply_to);
    field(&mut reasons, "priority", &have.priority, &want.priority);
    map_fields(
        &mut reasons,
        "definition",
        &have.definition,
        &want.definition,
        |_| None,
    );
    reasons
}

fn exchange_reasons(have: &Exchange, want: &Exchange) -> Vec<Reason> {
    let mut reasons = Vec::new();
    field(&mut reasons, "type", &have.kind, &want.kind);
    field(&mut reasons, "durable", &have.durable, &want.durable);
    field(
        &mut reasons,
        "auto_delete",
        &have.auto_delete,
        &want.auto_delete,
    );
    field(&mut reasons, "internal", &have.internal, &want.internal);
    map_fields(
        &mut reasons,
        "arguments",
        &have.arguments,
        &want.arguments,
        |key| (key == "alternate-exchange").then_some("alternate-exchange"),
    );
    reasons
}

fn queue_reasons(have: &Queue, want: &Queue) -> Vec<Reason> {
    let mut reasons = Vec::new();
    field(&mut reasons, "durable", &have.durable, &want.durable);
    field(
        &mut reasons,
        "auto_delete",
        &have.auto_delete,
        &want.auto_delete,
    );
    map_fields(
        &mut reasons,
        "arguments",
        &have.arguments,
        &want.arguments,
        policy_key_for_queue_argument,
    );
    reasons
}

fn field<T: PartialEq + Serialize>(reasons: &mut Vec<Reason>, name: &str, have: &T, want: &T) {
    if have != want {
        reasons.push(Reason {
            field: name.to_string(),
            before: serde_json::to_value(have).ok(),
            after: serde_json::to_value(want).ok(),
            policy_key: None,
        });
    }
}

fn map_fields(
    reasons: &mut Vec<Reason>,
    name: &str,
    have: &BTreeMap<String, Value>,
    want: &BTreeMap<String, Value>,
    policy_key: fn(&str) -> Option<&'static str>,
) {
    let keys: BTreeSet<&String> = have.keys().chain(want.keys()).collect();
    for key in keys {
        let (before, after) = (have.get(key), want.get(key));
        if before != after {
            reasons.push(Reason {
                field: format!("{name}.{key}"),
                before: before.cloned(),
                after: after.cloned(),
                policy_key: policy_key(key).map(String::from),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: DiffOptions = DiffOptions {
        prune: false,
        prune_users: false,
        prune_global_parameters: false,
        default_queue_type_mutable: true,
        connected_user: None,
    };

    fn topology(yaml: &str) -> Topology {
        serde_yaml::from_str(yaml).unwrap()
    }

    /// [`diff`] of two topologies as they are read, each normalised.
    fn diff(
        desired: &Topology,
        live: &Topology,
        binding_keys: &BTreeMap<ObjectId, String>,
        options: DiffOptions<'_>,
    ) -> Vec<Change> {
        let live = normalize(live);
        let desired = desired_against(desired, normalize(desired), &live);
        super::diff(&desired, &live, binding_keys, options)
    }

    fn summary(changes: &[Change]) -> Vec<String> {
        changes
            .iter()
            .map(|c| format!("{} {}", c.action.as_str(), c.id))
            .collect()
    }

    #[test]
    fn a_password_is_compared_with_the_live_hash_and_references_between_files() {
        let hash = |password: &str| crate::model::Credential::Hash {
            hash: crate::model::Secret::new(crate::password::hash(
                password,
                [9, 9, 9, 9],
                crate::password::HashingAlgorithm::Sha512,
            )),
            algorithm: Some("rabbit_password_hashing_sha512".into()),
        };
        let user = |credential: Option<crate::model::Credential>| {
            let mut t = topology("vhosts: [{name: /}]\nusers: [{name: app, password_env: APP}]");
            t.users.as_mut().unwrap()[0].credential = credential;
            t
        };
        let password = |p: &str| {
            Some(crate::model::Credential::Password(
                crate::model::Secret::new(p),
            ))
        };
        let live = user(Some(hash("right")));
        assert!(diff(&user(password("right")), &live, &BTreeMap::new(), OPTIONS).is_empty());
        let changed = diff(&user(password("wrong")), &live, &BTreeMap::new(), OPTIONS);
        assert_eq!(summary(&changed), ["update user app"]);
        assert_eq!(changed[0].reasons[0].field, "password");
        assert_eq!(
            (&changed[0].reasons[0].before, &changed[0].reasons[0].after),
            (&None, &None)
        );
        // No password, against a hash of nothing: the same.
        assert!(
            diff(
                &user(Some(crate::model::Credential::NoPassword)),
                &user(Some(hash(""))),
                &BTreeMap::new(),
                OPTIONS
            )
            .is_empty()
        );
        // Between two files nothing is resolved: the references compare.
        let old = topology("vhosts: [{name: /}]\nusers: [{name: app, password_env: OLD}]");
        let new = topology("vhosts: [{name: /}]\nusers: [{name: app, password_env: NEW}]");
        assert_eq!(
            summary(&diff(&new, &old, &BTreeMap::new(), OPTIONS)),
            ["update user app"]
        );
        // Unmanaged without --prune-users; guest never deleted.
        let mut inputs = OPTIONS;
        inputs.prune_users = true;
        let mut live = user(Some(hash("x")));
        live.users
            .as_mut()
            .unwrap()
            .push(crate::model::User::new("guest"));
        let none = topology("vhosts: [{name: /}]\nusers: []");
        assert_eq!(
            summary(&diff(&none, &live, &BTreeMap::new(), inputs)),
            ["delete user app", "unmanaged user guest"]
        );
    }

    const DEFAULT: &str = "
vhosts: [{name: /}]
exchanges: [{name: events, type: topic}]
queues: [{name: order.events}, {name: jobs}]
bindings: [{source: events, destination: order.events, routing_key: 'order.*'}]
";

    #[test]
    fn a_topology_against_itself_has_no_changes() {
        let t = topology(DEFAULT);
        assert!(diff(&t, &t, &BTreeMap::new(), OPTIONS).is_empty());
    }

    #[test]
    fn an_empty_broker_gets_every_create() {
        let changes = diff(
            &topology(DEFAULT),
            &Topology::default(),
            &BTreeMap::new(),
            OPTIONS,
        );
        assert_eq!(
            summary(&changes),
            [
                "create vhost /",
                "create exchange events",
                "create queue jobs",
                "create queue order.events",
                "create binding events -> order.events [order.*]",
            ]
        );
    }

    #[test]
    fn a_changed_queue_argument_is_a_replace_naming_the_policy_key() {
        let live = topology("queues: [{name: q, arguments: {x-message-ttl: 1000}}]");
        let want = topology("queues: [{name: q, arguments: {x-message-ttl: 2000}}]");
        let changes = diff(&want, &live, &BTreeMap::new(), OPTIONS);
        assert_eq!(summary(&changes), ["replace queue q"]);
        let reason = &changes[0].reasons[0];
        assert_eq!(reason.field, "arguments.x-message-ttl");
        assert_eq!(reason.policy_key.as_deref(), Some("message-ttl"));
    }

    #[test]
    fn integers_compare_by_value_and_floats_differ() {
        let live = topology("queues: [{name: q, arguments: {x-max-length: 10}}]");
        let same = topology("queues: [{name: q, arguments: {x-max-length: 0x0a}}]");
        let float = topology("queues: [{name: q, arguments: {x-max-length: 10.0}}]");
        assert!(diff(&same, &live, &BTreeMap::new(), OPTIONS).is_empty());
        assert_eq!(diff(&float, &live, &BTreeMap::new(), OPTIONS).len(), 1);
    }

    #[test]
    fn a_replace_recreates_every_binding_that_touched_the_object() {
        let live = topology(
            "exchanges: [{name: a, type: direct}, {name: b, type: direct}, {name: c, type: fanout}]
queues: [{name: q, durable: false}]
bindings:
  - {source: a, destination: q}
  - {source: b, destination: q, routing_key: k}
  - {source: c, destination: a, destination_type: exchange}
  - {source: b, destination: c, destination_type: exchange}",
        );
        let mut want = live.clone();
        want.queues[0].durable = true;
        want.exchanges[0].kind = "topic".into();
        let changes = diff(&want, &live, &BTreeMap::new(), OPTIONS);
        assert_eq!(
            summary(&changes),
            [
                "replace exchange a",
                "replace queue q",
                "create binding a -> q []",
                "create binding b -> q [k]",
                "create binding c -> exchange a []",
            ]
        );
        assert_eq!(
            changes[2].caused_by,
            Some(ObjectId::Exchange {
                vhost: "/".into(),
                name: "a".into()
            })
        );
    }

    #[test]
    fn objects_are_matched_however_the_two_sides_interleave() {
        let live = topology(
            "queues: [{name: a}, {name: c}, {name: e, durable: false}, {name: g}]
bindings: [{source: x, destination: a}, {source: x, destination: c, routing_key: k}]",
        );
        let want = topology(
            "queues: [{name: e}, {name: d}, {name: c}, {name: b}]
bindings: [{source: x, destination: b}, {source: x, destination: c, routing_key: k}]",
        );
        let changes = diff(&want, &live, &BTreeMap::new(), OPTIONS);
        assert_eq!(
            summary(&changes),
            [
                "unmanaged queue a",
                "create queue b",
                "create queue d",
                "replace queue e",
                "unmanaged queue g",
                "unmanaged binding x -> a []",
                "create binding x -> b []",
            ]
        );
    }

    #[test]
    fn undeclared_objects_are_unmanaged_unless_pruned() {
        let live = topology(DEFAULT);
        let want = topology("vhosts: [{name: /}]");
        let changes = diff(&want, &live, &BTreeMap::new(), OPTIONS);
        assert!(changes.iter().all(|c| c.action == Action::Unmanaged));
        let pruned = diff(
            &want,
            &live,
            &BTreeMap::new(),
            DiffOptions {
                prune: true,
                ..OPTIONS
            },
        );
        assert!(pruned.iter().all(|c| c.action == Action::Delete));
        let binding = pruned
            .iter()
            .find(|c| matches!(c.id, ObjectId::Binding { .. }));
        assert!(binding.unwrap().caused_by.is_some(), "goes with its queue");
    }

    #[test]
    fn policies_update_in_place() {
        let live = topology("policies: [{name: p, pattern: '^a', definition: {max-length: 1}}]");
        let want = topology("policies: [{name: p, pattern: '^a', definition: {max-length: 2}}]");
        let changes = diff(&want, &live, &BTreeMap::new(), OPTIONS);
        assert_eq!(summary(&changes), ["update policy p"]);
    }

    #[test]
    fn unset_vhost_fields_keep_the_broker_values() {
        let live = topology(
            "vhosts: [{name: /, description: Default virtual host, default_queue_type: classic}]",
        );
        let want = topology("vhosts: [{name: /}]");
        assert!(diff(&want, &live, &BTreeMap::new(), OPTIONS).is_empty());
    }

    #[test]
    fn an_unchangeable_default_queue_type_is_reported_not_applied() {
        let live = topology("vhosts: [{name: v, description: old}]");
        let want = topology("vhosts: [{name: v, description: new, default_queue_type: quorum}]");
        let options = DiffOptions {
            default_queue_type_mutable: false,
            ..OPTIONS
        };
        let changes = diff(&want, &live, &BTreeMap::new(), options);
        assert_eq!(summary(&changes), ["update vhost v", "unsupported vhost v"]);
        let Some(Object::Vhost(update)) = &changes[0].after else {
            panic!()
        };
        assert_eq!(update.default_queue_type, None);
    }

    #[test]
    fn binding_arguments_are_part_of_the_identity() {
        let live =
            topology("bindings: [{source: h, destination: q, arguments: {x-match: all, a: 1}}]");
        let want =
            topology("bindings: [{source: h, destination: q, arguments: {x-match: all, a: '1'}}]");
        let changes = diff(&want, &live, &BTreeMap::new(), OPTIONS);
        assert_eq!(changes.len(), 2);
        assert!(changes.iter().any(|c| c.action == Action::Create));
        assert!(changes.iter().any(|c| c.action == Action::Unmanaged));
    }
}
