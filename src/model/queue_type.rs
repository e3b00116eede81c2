//! Queue types, and the one rule for the type a queue gets on the broker
//! (which the normaliser writes out and the validation rules check).
//! Nothing else decides a queue's type. Pure: no I/O.

use std::fmt;

use super::Queue;

/// The queue argument that names a queue's type.
pub const QUEUE_TYPE_ARGUMENT: &str = "x-queue-type";

/// The three queue types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QueueType {
    Classic,
    Quorum,
    Stream,
}

impl QueueType {
    pub const NAMES: &'static [&'static str] = &["classic", "quorum", "stream"];

    pub fn parse(name: &str) -> Option<QueueType> {
        match name {
            "classic" => Some(QueueType::Classic),
            "quorum" => Some(QueueType::Quorum),
            "stream" => Some(QueueType::Stream),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            QueueType::Classic => "classic",
            QueueType::Quorum => "quorum",
            QueueType::Stream => "stream",
        }
    }

    /// The type of a queue in normal form, where `x-queue-type` is written
    /// wherever its absence would mean another type than classic; `None`
    /// for a type warren does not know.
    pub fn of_normal(queue: &Queue) -> Option<QueueType> {
        QueueType::parse(effective_type_name(queue, None).map_or("classic", |(name, _)| name))
    }
}

impl fmt::Display for QueueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The type a queue without `x-queue-type` gets: its vhost's default type
/// (`vhost_default`), which the broker applies to durable, non-auto-delete
/// queues only, else classic.
pub fn implied_type_name<'a>(queue: &Queue, vhost_default: Option<&'a str>) -> &'a str {
    match vhost_default {
        Some(default) if queue.durable && !queue.auto_delete => default,
        _ => QueueType::Classic.as_str(),
    }
}

/// The effective-type rule: the type a queue has on the broker is its
/// `x-queue-type` argument, else [`implied_type_name`]. Gives the type's
/// name and whether the argument named it; `None` when the argument is not
/// a string (validation reports it). Names are not checked: the broker may
/// report a type warren does not know.
pub fn effective_type_name<'a>(
    queue: &'a Queue,
    vhost_default: Option<&'a str>,
) -> Option<(&'a str, bool)> {
    match queue.arguments.get(QUEUE_TYPE_ARGUMENT) {
        Some(serde_json::Value::String(name)) => Some((name, true)),
        Some(_) => None,
        None => Some((implied_type_name(queue, vhost_default), false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(yaml: &str) -> Queue {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn the_argument_wins_then_the_vhost_default_for_durable_queues_only() {
        let quorum = Some("quorum");
        assert_eq!(
            effective_type_name(
                &queue("{name: q, arguments: {x-queue-type: stream}}"),
                quorum
            ),
            Some(("stream", true))
        );
        assert_eq!(
            effective_type_name(&queue("{name: q}"), quorum),
            Some(("quorum", false))
        );
        for transient in ["{name: q, durable: false}", "{name: q, auto_delete: true}"] {
            assert_eq!(
                effective_type_name(&queue(transient), quorum),
                Some(("classic", false)),
                "{transient}"
            );
        }
        assert_eq!(
            effective_type_name(&queue("{name: q, arguments: {x-queue-type: 1}}"), quorum),
            None
        );
    }

    #[test]
    fn a_normal_queue_s_type_is_its_argument_or_classic() {
        assert_eq!(
            QueueType::of_normal(&queue("{name: q}")),
            Some(QueueType::Classic)
        );
        assert_eq!(
            QueueType::of_normal(&queue("{name: q, arguments: {x-queue-type: quorum}}")),
            Some(QueueType::Quorum)
        );
        assert_eq!(
            QueueType::of_normal(&queue("{name: q, arguments: {x-queue-type: x-plugin}}")),
            None
        );
    }
}
