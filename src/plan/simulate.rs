//! The live topology after a plan's changes, computed without a broker:
//! what `execute` should leave behind. `apply` verifies against it, and the
//! planner's property tests check that planning then simulating gives the
//! desired topology. No I/O.

use std::collections::BTreeMap;

use super::{Allow, Operation, Plan, phases};
use crate::diff::Object;
use crate::model::{Binding, ObjectId, Topology};
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
    normalize(out)
}
