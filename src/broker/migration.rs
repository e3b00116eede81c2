//! The requests a queue migration needs beyond the topology's own: a
//! queue's live message count and its bindings, and dynamic shovels (set,
//! found, their state). It knows nothing of the migration's steps: that is
//! `crate::migrate`'s.

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::client::{Request, encode};
use super::{Client, Error};
use crate::model::{Arguments, Binding, DestinationType};

/// A queue as a migration watches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueCount {
    /// Ready and unacknowledged, counted live (a quorum queue's a few
    /// seconds late); `None` when the broker gave none.
    pub messages: Option<u64>,
}

/// A dynamic shovel's status as `GET /api/shovels/{vhost}` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShovelStatus {
    /// `starting`, `running`, `terminated`.
    pub state: String,
    /// Why it terminated, when it did.
    pub reason: Option<String>,
}

#[derive(Deserialize)]
struct Page<T> {
    items: Vec<T>,
}

#[derive(Deserialize)]
struct CountedQueue {
    name: String,
    #[serde(default)]
    messages: Option<u64>,
}

#[derive(Deserialize)]
struct QueueBinding {
    source: String,
    destination: String,
    destination_type: String,
    routing_key: String,
    #[serde(default)]
    arguments: Arguments,
    properties_key: String,
}

#[derive(Deserialize)]
struct Shovel {
    name: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    reason: Option<Value>,
}

impl Client {
    /// The live count of queue `name`, or `None` when it does not exist: the
    /// paginated, name-filtered listing with `enable_queue_totals`, the one
    /// that is not the statistics' (RABBITMQ.md §6).
    pub async fn queue_count(&self, vhost: &str, name: &str) -> Result<Option<QueueCount>, Error> {
        let pattern = format!("^{}$", regex::escape(name));
        let request = Request::get(
            format!("/api/queues/{}", encode(vhost)),
            format!("count the messages of queue '{name}' in vhost '{vhost}'"),
        )
        .vhost(vhost)
        .query(&[
            ("page", "1"),
            ("page_size", "500"),
            ("name", &pattern),
            ("use_regex", "true"),
            ("disable_stats", "true"),
            ("enable_queue_totals", "true"),
            ("columns", "name,messages"),
        ]);
        let page: Option<Page<CountedQueue>> = self.fetch_json_or_missing(request).await?;
        Ok(page
            .into_iter()
            .flat_map(|p| p.items)
            .find(|q| q.name == name)
            .map(|q| QueueCount {
                messages: q.messages,
            }))
    }

    /// The bindings whose destination is queue `name`, each with the
    /// `properties_key` that deletes it, without the default exchange's.
    pub async fn queue_bindings(
        &self,
        vhost: &str,
        name: &str,
    ) -> Result<Vec<(Binding, String)>, Error> {
        let request = Request::get(
            format!("/api/queues/{}/{}/bindings", encode(vhost), encode(name)),
            format!("list the bindings of queue '{name}' in vhost '{vhost}'"),
        )
        .vhost(vhost);
        let listed: Vec<QueueBinding> = self
            .fetch_json_or_missing(request)
            .await?
            .unwrap_or_default();
        Ok(listed
            .into_iter()
            .filter(|b| !b.source.is_empty() && b.destination_type == "queue")
            .map(|b| {
                (
                    Binding {
                        source: b.source,
                        destination: b.destination,
                        destination_type: DestinationType::Queue,
                        routing_key: b.routing_key,
                        arguments: b.arguments,
                        vhost: vhost.to_string(),
                    },
                    b.properties_key,
                )
            })
            .collect())
    }

    /// Sets dynamic shovel `name` in `vhost` that moves the messages of
    /// queue `from` to queue `to`, both in `vhost`, over a direct
    /// connection (no credentials in the parameter), confirming each
    /// message before it is acknowledged, and deleting itself once it has
    /// moved as many messages as `from` held when it started.
    /// `to_arguments` are the destination's, so the shovel's declare of it
    /// matches.
    pub async fn put_moving_shovel(
        &self,
        vhost: &str,
        name: &str,
        from: &str,
        to: &str,
        to_arguments: &Arguments,
    ) -> Result<(), Error> {
        let uri = format!("amqp:///{}", encode(vhost));
        let body = json!({
            "value": {
                "src-protocol": "amqp091",
                "src-uri": uri,
                "src-queue": from,
                "dest-protocol": "amqp091",
                "dest-uri": uri,
                "dest-queue": to,
                "dest-queue-args": to_arguments,
                "ack-mode": "on-confirm",
                "src-delete-after": "queue-length",
                "src-prefetch-count": 1000,
            }
        });
        let request = Request::new(
            Method::PUT,
            format!("/api/parameters/shovel/{}/{}", encode(vhost), encode(name)),
            format!("set shovel '{name}' in vhost '{vhost}'"),
        )
        .vhost(vhost)
        .json(&body);
        self.execute(request).await
    }

    /// True while shovel `name`'s parameter exists (it deletes itself when
    /// done).
    pub async fn shovel_exists(&self, vhost: &str, name: &str) -> Result<bool, Error> {
        let request = Request::get(
            format!("/api/parameters/shovel/{}/{}", encode(vhost), encode(name)),
            format!("read shovel '{name}' in vhost '{vhost}'"),
        )
        .vhost(vhost);
        let found: Option<Value> = self.fetch_json_or_missing(request).await?;
        Ok(found.is_some())
    }

    /// The names of the dynamic shovels of `vhost`.
    pub async fn shovel_names(&self, vhost: &str) -> Result<Vec<String>, Error> {
        #[derive(Deserialize)]
        struct Named {
            name: String,
        }
        let request = Request::get(
            format!("/api/parameters/shovel/{}", encode(vhost)),
            format!("list the shovels of vhost '{vhost}'"),
        )
        .vhost(vhost);
        let listed: Vec<Named> = self
            .fetch_json_or_missing(request)
            .await?
            .unwrap_or_default();
        Ok(listed.into_iter().map(|n| n.name).collect())
    }

    /// Shovel `name`'s status, when the broker reports one.
    pub async fn shovel_status(
        &self,
        vhost: &str,
        name: &str,
    ) -> Result<Option<ShovelStatus>, Error> {
        let request = Request::get(
            format!("/api/shovels/{}", encode(vhost)),
            format!("read the status of the shovels in vhost '{vhost}'"),
        )
        .vhost(vhost);
        let listed: Vec<Shovel> = self
            .fetch_json_or_missing(request)
            .await?
            .unwrap_or_default();
        Ok(listed
            .into_iter()
            .find(|s| s.name == name)
            .map(|s| ShovelStatus {
                state: s.state.unwrap_or_default(),
                reason: s.reason.map(|r| match r {
                    Value::String(text) => text,
                    other => other.to_string(),
                }),
            }))
    }

    /// Deletes shovel `name` (done if it does not exist).
    pub async fn delete_shovel(&self, vhost: &str, name: &str) -> Result<(), Error> {
        let request = Request::new(
            Method::DELETE,
            format!("/api/parameters/shovel/{}/{}", encode(vhost), encode(name)),
            format!("delete shovel '{name}' in vhost '{vhost}'"),
        )
        .vhost(vhost)
        .missing_ok();
        self.execute(request).await
    }
}
