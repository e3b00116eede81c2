//! Where a message goes: RabbitMQ's routing semantics (direct, fanout,
//! topic, headers, the default exchange, exchange-to-exchange bindings and
//! alternate exchanges) as a pure function over a [`Topology`].
//!
//! It reads no broker: it answers from the declared objects only.

use crate::model::{Arguments, Topology};

/// A message to route.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    pub vhost: &'a str,
    pub exchange: &'a str,
    pub routing_key: &'a str,
    pub headers: &'a Arguments,
}

/// Where a message went.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Routed {
    /// The queues reached, each once, sorted by name.
    pub queues: Vec<String>,
}

/// Why a message could not be routed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("no exchange '{exchange}' in vhost '{vhost}'")]
    NoSuchExchange { vhost: String, exchange: String },
}

/// The queues `message` reaches in `topology`.
pub fn route(_topology: &Topology, _message: &Message<'_>) -> Result<Routed, RouteError> {
    todo!()
}
