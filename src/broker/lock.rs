//! The apply lock of a vhost: a queue named [`LOCK_QUEUE`], declared by
//! the apply that holds it, whose `x-warren-owner` argument says who that
//! is, and whose `x-expires` lets the broker delete it 60 s after its last
//! renewal, so the lock of an apply that died expires on its own.
//!
//! Why a queue (verified on RabbitMQ 3.10.8): declaring one is the only
//! create-if-absent the management API offers to a user who is not an
//! administrator. A PUT answers 201 when it created the queue and 204 when
//! it was there, and then keeps the holder's `x-warren-owner` (the broker
//! does not compare arguments it does not know), so of two applies exactly
//! one gets the 201; each PUT by the holder renews the expiry. A policy
//! would be overwritten by the second PUT, and global or runtime parameters
//! need the administrator tag or a plugin's component. Declaring the queue
//! needs the configure permission on its name; without it the caller is
//! told, and decides (see `apply_lock`).
//!
//! The queue is never part of a live topology (`inspect` leaves it out).
//! Nothing here decides what to do about a lock held by another.

use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::client::{Client, Request, encode};
use super::error::Error;

/// The name of the lock queue in each vhost.
pub const LOCK_QUEUE: &str = "warren.apply-lock";

/// How long after its last renewal the broker deletes a lock.
pub const LOCK_EXPIRY_MS: u64 = 60_000;

/// Who holds a lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockOwner {
    /// Tells this apply's lock from any other.
    pub token: String,
    pub user: String,
    pub host: String,
    pub pid: u32,
    /// When the apply took it, in seconds since the Unix epoch.
    pub since: u64,
}

/// What taking a vhost's lock found.
#[derive(Debug, Clone, PartialEq)]
pub enum Locking {
    /// This apply holds it now.
    Taken,
    /// Another apply holds it (`None` when its queue says nobody).
    HeldBy(Option<LockOwner>),
    /// The vhost does not exist (an apply that creates it cannot lock it).
    NoVhost,
    /// The user has no permissions on the vhost at all: reading it will
    /// fail and say so.
    NoAccess,
    /// The user may not declare the lock queue: the broker's words.
    NotPermitted(String),
}

impl Client {
    /// Declares the lock queue of `vhost` as `owner`'s, and says whether it
    /// was free. The same PUT renews a lock `owner` holds.
    pub async fn take_lock(&self, vhost: &str, owner: &LockOwner) -> Result<Locking, Error> {
        let mut arguments = Map::new();
        arguments.insert("x-expires".into(), json!(LOCK_EXPIRY_MS));
        arguments.insert("x-queue-type".into(), json!("classic"));
        arguments.insert(
            "x-warren-owner".into(),
            serde_json::to_value(owner).expect("owners serialise"),
        );
        let request = Request::new(
            Method::PUT,
            lock_path(vhost),
            format!("take the apply lock of vhost '{vhost}'"),
        )
        .vhost(vhost)
        .json(&json!({"durable": true, "auto_delete": false, "arguments": arguments}));
        match self.execute_status(request).await {
            Ok(StatusCode::CREATED) => Ok(Locking::Taken),
            Ok(StatusCode::NO_CONTENT) => match self.lock_owner(vhost).await? {
                Some(holder) if holder.as_ref() == Some(owner) => Ok(Locking::Taken),
                Some(holder) => Ok(Locking::HeldBy(holder)),
                // Expired between the two requests: try again.
                None => Box::pin(self.take_lock(vhost, owner)).await,
            },
            // RabbitMQ answers a declaration 201 or 204, nothing else: the
            // overview says what answered instead.
            Ok(_) => {
                self.overview().await?;
                Err(Error::Protocol {
                    url: format!("{}{}", self.display_url(), lock_path(vhost)),
                    action: format!("take the apply lock of vhost '{vhost}'"),
                    detail: "a declaration answered neither 201 nor 204".to_string(),
                })
            }
            // Declared by another warren with other settings: held.
            Err(e) if e.is_inequivalent() => {
                Ok(Locking::HeldBy(self.lock_owner(vhost).await?.flatten()))
            }
            Err(Error::VhostMissing { .. }) => Ok(Locking::NoVhost),
            Err(Error::VhostAccessDenied { .. }) => Ok(Locking::NoAccess),
            Err(e @ Error::AccessRefused { .. }) => Ok(Locking::NotPermitted(
                e.reason().unwrap_or("Access refused.").to_string(),
            )),
            Err(e) => Err(e),
        }
    }

    /// Deletes the lock queue of `vhost` if `owner` holds it.
    pub async fn release_lock(&self, vhost: &str, owner: &LockOwner) -> Result<(), Error> {
        if self.lock_owner(vhost).await? != Some(Some(owner.clone())) {
            return Ok(());
        }
        let request = Request::new(
            Method::DELETE,
            lock_path(vhost),
            format!("release the apply lock of vhost '{vhost}'"),
        )
        .vhost(vhost)
        .missing_ok();
        self.execute(request).await
    }

    /// Who holds the lock of `vhost`: `None` when it is free, `Some(None)`
    /// when its queue names nobody warren can read.
    async fn lock_owner(&self, vhost: &str) -> Result<Option<Option<LockOwner>>, Error> {
        let request = Request::get(
            lock_path(vhost),
            format!("read the apply lock of vhost '{vhost}'"),
        )
        .vhost(vhost)
        .query(&[("columns", "arguments")]);
        let queue: Option<Value> = self.fetch_json_or_missing(request).await?;
        Ok(queue.map(|q| serde_json::from_value(q["arguments"]["x-warren-owner"].clone()).ok()))
    }
}

fn lock_path(vhost: &str) -> String {
    format!("/api/queues/{}/{}", encode(vhost), encode(LOCK_QUEUE))
}
