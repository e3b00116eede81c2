//! The live topology after a plan's changes, computed without a broker:
//! what `execute` should leave behind. `apply` verifies against it, and the
//! planner's property tests check that planning then simulating gives the
//! desired topology. No I/O.

use std::collections::BTreeMap;

use super::{Allow, Operation, Plan, phases};
use crate::diff::Object;
use crate::model::{Binding, ObjectId, Topology, User, Vhost};
use crate::normalize::{AsNormal, Normal, normalize};

/// The live topology after the plan's changes, computed without a broker:
/// what `apply` should leave behind. Used to test the planner.
pub fn simulate(live: &impl AsNormal, plan: &Plan) -> Normal {
    let mut objects: BTreeMap<ObjectId, Object> = BTreeMap::new();
    let t = live.as_normal().into_owned().into_topology();
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
    // The kinds managed only when the files write them stay so.
    let managed = (
        t.users.is_some(),
        t.permissions.is_some(),
        t.topic_permissions.is_some(),
        t.parameters.is_some(),
        t.global_parameters.is_some(),
    );
    for u in t.users.into_iter().flatten() {
        objects.insert(u.id(), Object::User(u));
    }
    for p in t.permissions.into_iter().flatten() {
        objects.insert(p.id(), Object::Permission(p));
    }
    for p in t.topic_permissions.into_iter().flatten() {
        objects.insert(p.id(), Object::TopicPermission(p));
    }
    for p in t.parameters.into_iter().flatten() {
        objects.insert(p.id(), Object::Parameter(p));
    }
    for p in t.global_parameters.into_iter().flatten() {
        objects.insert(p.id(), Object::GlobalParameter(p));
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
    for step in phases(plan, Allow::ALL).into_iter().flatten() {
        match step.operation {
            Operation::PutVhost(v) => {
                let limits = match objects.get(&v.id()) {
                    Some(Object::Vhost(live)) => live.limits.clone(),
                    _ => None,
                };
                objects.insert(v.id(), Object::Vhost(Vhost { limits, ..v }));
            }
            Operation::PutVhostLimits { vhost, limits, .. } => {
                let id = ObjectId::Vhost { name: vhost };
                if let Some(Object::Vhost(v)) = objects.get_mut(&id) {
                    // As the broker is read: no limits set is none.
                    v.limits = Some(limits).filter(|l| !l.is_empty());
                }
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
            Operation::DeletePolicy { .. }
            | Operation::DeletePermission { .. }
            | Operation::DeleteTopicPermission { .. }
            | Operation::DeleteParameter { .. }
            | Operation::DeleteGlobalParameter { .. } => {
                objects.remove(&step.id);
            }
            Operation::PutUser { user, .. } => {
                let limits = match objects.get(&user.id()) {
                    Some(Object::User(live)) => live.limits.clone(),
                    _ => None,
                };
                objects.insert(user.id(), Object::User(User { limits, ..user }));
            }
            Operation::PutUserLimits { user, limits, .. } => {
                let id = ObjectId::User { name: user };
                if let Some(Object::User(u)) = objects.get_mut(&id) {
                    u.limits = Some(limits).filter(|l| !l.is_empty());
                }
            }
            Operation::DeleteUser { name } => {
                // The broker deletes a user's permissions with it.
                objects.retain(|id, _| match id {
                    ObjectId::User { name: n }
                    | ObjectId::Permission { user: n, .. }
                    | ObjectId::TopicPermission { user: n, .. } => *n != name,
                    _ => true,
                });
            }
            Operation::PutPermission(p) => {
                objects.insert(p.id(), Object::Permission(p));
            }
            Operation::PutTopicPermission(p) => {
                objects.insert(p.id(), Object::TopicPermission(p));
            }
            Operation::PutParameter(p) => {
                objects.insert(p.id(), Object::Parameter(p));
            }
            Operation::PutGlobalParameter(p) => {
                objects.insert(p.id(), Object::GlobalParameter(p));
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
    let mut out = Topology {
        users: managed.0.then(Vec::new),
        permissions: managed.1.then(Vec::new),
        topic_permissions: managed.2.then(Vec::new),
        parameters: managed.3.then(Vec::new),
        global_parameters: managed.4.then(Vec::new),
        ..Topology::default()
    };
    for object in objects.into_values() {
        match object {
            Object::Vhost(v) => out.vhosts.push(v),
            Object::Policy(p) => out.policies.push(p),
            Object::Exchange(e) => out.exchanges.push(e),
            Object::Queue(q) => out.queues.push(q),
            Object::Binding(b) => out.bindings.push(b),
            Object::User(u) => out.users.get_or_insert_with(Vec::new).push(u),
            Object::Permission(p) => out.permissions.get_or_insert_with(Vec::new).push(p),
            Object::TopicPermission(p) => {
                out.topic_permissions.get_or_insert_with(Vec::new).push(p)
            }
            Object::Parameter(p) => out.parameters.get_or_insert_with(Vec::new).push(p),
            Object::GlobalParameter(p) => {
                out.global_parameters.get_or_insert_with(Vec::new).push(p)
            }
        }
    }
    normalize(out)
}
