//! The RabbitMQ management API client: connecting, reading the live
//! topology of vhosts into the [`model`](crate::model), and the individual
//! writes. It takes its own [`ConnectionOptions`] and imports nothing of
//! the command line.
//!
//! It knows nothing of plans: it reads and writes objects when asked. The
//! management API's JSON ([`wire`]) never leaves this module; what comes
//! out is the model, [`Live`], [`Overview`] and [`Error`]. It prints nothing
//! but the `--verbose` request log, and never a password.
//!
//! - `connection`: [`ConnectionOptions`] to a [`Connection`].
//! - `client`: HTTP, retries, the mapping of failures to [`Error`].
//! - `body`: an answer's body read within bounds (sent and inflated).
//! - `inspect`: reading. `write`: writing.
//! - `migration`: live counts, a queue's bindings and shovels, for migrations.
//! - `lock`: the apply lock of a vhost, a queue only one apply can declare.

mod body;
mod client;
mod connection;
mod error;
mod inspect;
mod lock;
mod migration;
mod wire;
mod write;

pub use client::{Client, NodeEvent, NodeNotices};
pub use connection::{Connection, ConnectionOptions, OnCommandLine};
pub use error::Error;
pub use inspect::{BrokerWide, Live, Overview, Reading};
pub use lock::{LOCK_EXPIRY_MS, LOCK_QUEUE, LockOwner, Locking};
pub use migration::{QueueCount, ShovelStatus};
pub use write::DeleteQueue;
