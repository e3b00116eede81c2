//! The canonical form of a topology, for both sides of a comparison.
//!
//! Desired and live topologies pass through this one function before they
//! are compared: two objects are equal when their normal forms are equal.
//! Its result is a [`Normal`], which nothing else makes, so a stage that
//! takes one (diff, fingerprint, simulate) never normalises twice, and one
//! that takes [`AsNormal`] normalises only what is not normal yet.
//! Defaults are already filled by the model's deserialisers; here objects
//! are sorted, tags cleaned, and the queue type made explicit in the way
//! the broker resolves it. It never touches numbers: integers stay
//! integers and are compared by value, never through floats.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Deref;

use crate::model::{Queue, QueueType, Topology, Vhost, effective_type_name, implied_type_name};

/// Key of the queue type argument.
pub use crate::model::QUEUE_TYPE_ARGUMENT as QUEUE_TYPE;

/// A topology in normal form. Read it through `Deref`; change it only by
/// taking the topology out ([`Normal::into_topology`]), which ends its
/// claim to be normal.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(transparent)]
pub struct Normal(Topology);

impl Normal {
    pub fn into_topology(self) -> Topology {
        self.0
    }

    /// The vhosts, to change in place what normalising leaves as it is
    /// (descriptions) or what the caller takes from another normal
    /// topology (tags): the caller keeps the form.
    pub(crate) fn vhosts_mut(&mut self) -> &mut [Vhost] {
        &mut self.0.vhosts
    }
}

impl Deref for Normal {
    type Target = Topology;

    fn deref(&self) -> &Topology {
        &self.0
    }
}

impl From<Normal> for Topology {
    fn from(normal: Normal) -> Topology {
        normal.0
    }
}

/// [`normalize`] copies a borrowed topology (and reuses an owned one).
impl From<&Topology> for Topology {
    fn from(topology: &Topology) -> Topology {
        topology.clone()
    }
}

impl From<&Normal> for Topology {
    fn from(normal: &Normal) -> Topology {
        normal.0.clone()
    }
}

/// A topology a stage compares in normal form: a [`Normal`] as it is, any
/// other topology normalised first.
pub trait AsNormal {
    fn as_normal(&self) -> Cow<'_, Normal>;
}

impl AsNormal for Normal {
    fn as_normal(&self) -> Cow<'_, Normal> {
        Cow::Borrowed(self)
    }
}

impl AsNormal for Topology {
    fn as_normal(&self) -> Cow<'_, Normal> {
        Cow::Owned(normalize(self))
    }
}

/// The canonical form of `topology`: of a copy when it is borrowed, in
/// place when it is given. Idempotent.
pub fn normalize(topology: impl Into<Topology>) -> Normal {
    let mut t: Topology = topology.into();
    for vhost in &mut t.vhosts {
        vhost.metadata = None;
        vhost.tags.sort();
        vhost.tags.dedup();
        if vhost.default_queue_type.as_deref() == Some("undefined") {
            vhost.default_queue_type = None;
        }
    }

    let default_queue_types: BTreeMap<&str, &str> = t
        .vhosts
        .iter()
        .filter_map(|v| Some((v.name.as_str(), v.default_queue_type.as_deref()?)))
        .collect();
    for queue in &mut t.queues {
        queue.declared_type = None;
        let dqt = default_queue_types.get(queue.vhost.as_str()).copied();
        resolve_queue_type(queue, dqt);
    }

    t.sort_by_identity();
    Normal(t)
}

/// Writes a queue's type the way the broker reports it, by the model's
/// effective-type rule ([`effective_type_name`]): as no argument only where
/// no argument means that type, which is how the broker reports a classic
/// queue; elsewhere explicit, so normalising twice changes nothing and
/// `x-queue-type: classic` survives in a vhost whose default type is quorum.
fn resolve_queue_type(queue: &mut Queue, vhost_default: Option<&str>) {
    let implicit = implied_type_name(queue, vhost_default);
    // A non-string argument is read as absent here, for validation to report.
    let resolved = effective_type_name(queue, vhost_default)
        .map_or(implicit, |(name, _)| name)
        .to_string();
    let classic = QueueType::Classic.as_str();
    if resolved == classic && implicit == classic {
        // A non-string value is left in place for validation to report.
        if queue
            .arguments
            .get(QUEUE_TYPE)
            .is_some_and(|v| v.is_string())
        {
            queue.arguments.remove(QUEUE_TYPE);
        }
    } else {
        queue
            .arguments
            .insert(QUEUE_TYPE.to_string(), serde_json::Value::String(resolved));
    }
}

/// The type of a normalised queue: `classic`, `quorum`, `stream`, ….
pub fn queue_type(queue: &Queue) -> &str {
    effective_type_name(queue, None).map_or(QueueType::Classic.as_str(), |(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topology(yaml: &str) -> Topology {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn classic_queue_type_is_the_same_as_none() {
        let a = normalize(topology(
            "queues: [{name: q, arguments: {x-queue-type: classic}}]",
        ));
        let b = normalize(topology("queues: [{name: q}]"));
        assert_eq!(a, b);
    }

    #[test]
    fn vhost_default_queue_type_applies_to_durable_queues_only() {
        let t = normalize(topology(
            "vhosts: [{name: v, default_queue_type: quorum}]\nqueues: [{name: q, vhost: v}, {name: t, vhost: v, durable: false}]",
        ));
        let q = t.queues.iter().find(|q| q.name == "q").unwrap();
        let transient = t.queues.iter().find(|q| q.name == "t").unwrap();
        assert_eq!(queue_type(q), "quorum");
        assert_eq!(queue_type(transient), "classic");
    }

    #[test]
    fn an_auto_delete_queue_ignores_the_vhost_default_queue_type() {
        let t = normalize(topology(
            "vhosts: [{name: v, default_queue_type: quorum}]\nqueues: [{name: a, vhost: v, auto_delete: true}]",
        ));
        assert_eq!(queue_type(&t.queues[0]), "classic");
        assert!(t.queues[0].arguments.is_empty());
    }

    #[test]
    fn classic_stays_explicit_where_the_vhost_default_is_another_type() {
        let once = normalize(topology(
            "vhosts: [{name: v, default_queue_type: quorum}]\nqueues: [{name: c, vhost: v, arguments: {x-queue-type: classic}}, {name: a, vhost: v, auto_delete: true, arguments: {x-queue-type: classic}}]",
        ));
        let c = once.queues.iter().find(|q| q.name == "c").unwrap();
        let a = once.queues.iter().find(|q| q.name == "a").unwrap();
        assert_eq!(c.arguments[QUEUE_TYPE], "classic");
        assert!(a.arguments.is_empty(), "absent means classic there");
        assert_eq!(normalize(&once), once);
    }

    #[test]
    fn undefined_default_queue_type_means_unset() {
        let t = normalize(topology(
            "vhosts: [{name: v, default_queue_type: undefined}]",
        ));
        assert_eq!(t.vhosts[0].default_queue_type, None);
    }

    #[test]
    fn objects_are_sorted_and_tags_cleaned() {
        let t = normalize(topology(
            "vhosts: [{name: b, tags: [y, x, y]}, {name: a}]\nqueues: [{name: z}, {name: a}]",
        ));
        assert_eq!(t.vhosts[0].name, "a");
        assert_eq!(t.vhosts[1].tags, ["x", "y"]);
        assert_eq!(t.queues[0].name, "a");
    }

    #[test]
    fn normalising_twice_changes_nothing() {
        let once = normalize(topology(
            "vhosts: [{name: v, default_queue_type: stream}]\nqueues: [{name: q, vhost: v, arguments: {x-message-ttl: 5}}]",
        ));
        assert_eq!(normalize(&once), once);
    }
}
