//! Changing the broker: one function per management API write (PUT, POST,
//! DELETE of vhosts, exchanges, queues, bindings, policies) and publishing.
//!
//! Each write sends every field, because the broker's defaults differ from
//! the model's (an omitted `durable` means false), and sends values exactly
//! as given: nothing is injected (no `x-queue-type`). Deletes treat 404 as
//! done, so a re-run converges. This module decides nothing: which writes to
//! make, in which order, and whether a delete is safe is the caller's
//! business.

use reqwest::{Method, StatusCode};

use super::client::{Client, Request, encode};
use super::error::Error;
use super::wire;
use crate::model::{
    Arguments, Binding, BrokerVersion, DestinationType, Exchange, Permission, Policy, Queue,
    TopicPermission, Vhost,
};

/// How a queue is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteQueue {
    /// Only if it holds no messages (`if-empty=true`). Quorum queues refuse
    /// this flag (RabbitMQ issue #10543): the error then answers
    /// [`Error::is_if_empty_unsupported`] and the caller decides.
    IfEmpty,
    /// Only if it has no consumers (`if-unused=true`); quorum queues refuse
    /// this flag too.
    IfUnused,
    /// Only if it is both empty and unused.
    IfEmptyAndUnused,
    /// Whatever it holds.
    Force,
}

impl Client {
    /// Creates the vhost or updates its description and tags. The default
    /// queue type is sent under both `defaultqueuetype` (the key 3.10 reads)
    /// and `default_queue_type`; a broker before 3.11.17 ignores a change of
    /// it on an existing vhost. `broker_version` picks how tags are sent: a
    /// list from 3.10 on (verified on 3.10.8; keeps a tag holding a comma),
    /// the older comma-separated string before, and for a version that
    /// cannot be read (see [`BrokerVersion`]).
    pub async fn put_vhost(
        &self,
        vhost: &Vhost,
        broker_version: impl Into<BrokerVersion>,
    ) -> Result<(), Error> {
        let tags = if broker_version.into().at_least(3, 10, 0) {
            wire::Tags::List(&vhost.tags)
        } else {
            wire::Tags::Text(vhost.tags.join(","))
        };
        let queue_type = vhost.default_queue_type.as_deref();
        let body = wire::PutVhost {
            description: &vhost.description,
            tags,
            defaultqueuetype: queue_type,
            default_queue_type: queue_type,
        };
        let request = Request::new(
            Method::PUT,
            format!("/api/vhosts/{}", encode(&vhost.name)),
            format!("create or update vhost '{}'", vhost.name),
        )
        .json(&body);
        self.execute(request).await
    }

    /// Makes a vhost's limits `limits`: each set (`PUT
    /// /api/vhost-limits/{v}/{name}`), then each of `removed` cleared
    /// (`DELETE`, done if it is not set). Needs the administrator tag.
    pub async fn set_vhost_limits(
        &self,
        vhost: &str,
        limits: &Arguments,
        removed: &[String],
    ) -> Result<(), Error> {
        self.set_limits("vhost-limits", "vhost", vhost, limits, removed)
            .await
    }

    /// Creates or updates a user: its tags, and the password hash given
    /// (`""`: no password) with its hashing module. Needs the administrator
    /// tag.
    pub async fn put_user(
        &self,
        name: &str,
        tags: &[String],
        password_hash: &str,
        hashing_algorithm: &str,
    ) -> Result<(), Error> {
        let body = wire::PutUser {
            password_hash,
            hashing_algorithm,
            tags: wire::Tags::List(tags),
        };
        let request = Request::new(
            Method::PUT,
            format!("/api/users/{}", encode(name)),
            format!("create or update user '{name}'"),
        )
        .json(&body);
        self.execute(request).await
    }

    /// Deletes a user (and its permissions); done if it does not exist.
    pub async fn delete_user(&self, name: &str) -> Result<(), Error> {
        let request = Request::new(
            Method::DELETE,
            format!("/api/users/{}", encode(name)),
            format!("delete user '{name}'"),
        )
        .missing_ok();
        self.execute(request).await
    }

    /// Makes a user's limits `limits`, as [`Client::set_vhost_limits`] does
    /// a vhost's.
    pub async fn set_user_limits(
        &self,
        user: &str,
        limits: &Arguments,
        removed: &[String],
    ) -> Result<(), Error> {
        self.set_limits("user-limits", "user", user, limits, removed)
            .await
    }

    /// Sets each of `limits` on `owner` (`PUT /api/{path}/{owner}/{name}`),
    /// then clears each of `removed` (`DELETE`, done if it is not set).
    async fn set_limits(
        &self,
        path: &str,
        kind: &str,
        owner: &str,
        limits: &Arguments,
        removed: &[String],
    ) -> Result<(), Error> {
        let url = |name: &str| format!("/api/{path}/{}/{}", encode(owner), encode(name));
        for (name, value) in limits {
            let request = Request::new(
                Method::PUT,
                url(name),
                format!("set limit {name} of {kind} '{owner}'"),
            )
            .accepting_anything()
            .json(&wire::PutLimit { value });
            self.execute(request).await?;
        }
        for name in removed {
            let request = Request::new(
                Method::DELETE,
                url(name),
                format!("clear limit {name} of {kind} '{owner}'"),
            )
            .accepting_anything()
            .missing_ok();
            self.execute(request).await?;
        }
        Ok(())
    }

    pub async fn put_permission(&self, permission: &Permission) -> Result<(), Error> {
        let body = wire::Permission {
            user: String::new(),
            vhost: String::new(),
            configure: permission.configure.clone(),
            write: permission.write.clone(),
            read: permission.read.clone(),
        };
        let request = Request::new(
            Method::PUT,
            format!(
                "/api/permissions/{}/{}",
                encode(&permission.vhost),
                encode(&permission.user)
            ),
            format!(
                "set the permissions of user '{}' in vhost '{}'",
                permission.user, permission.vhost
            ),
        )
        .vhost(&permission.vhost)
        .json(&body);
        self.execute(request).await
    }

    pub async fn delete_permission(&self, vhost: &str, user: &str) -> Result<(), Error> {
        let request = Request::new(
            Method::DELETE,
            format!("/api/permissions/{}/{}", encode(vhost), encode(user)),
            format!("delete the permissions of user '{user}' in vhost '{vhost}'"),
        )
        .missing_ok();
        self.execute(request).await
    }

    pub async fn put_topic_permission(&self, permission: &TopicPermission) -> Result<(), Error> {
        let body = wire::TopicPermission {
            user: String::new(),
            vhost: String::new(),
            exchange: permission.exchange.clone(),
            write: permission.write.clone(),
            read: permission.read.clone(),
        };
        let request = Request::new(
            Method::PUT,
            format!(
                "/api/topic-permissions/{}/{}",
                encode(&permission.vhost),
                encode(&permission.user)
            ),
            format!(
                "set the topic permissions of user '{}' on exchange '{}' in vhost '{}'",
                permission.user, permission.exchange, permission.vhost
            ),
        )
        .vhost(&permission.vhost)
        .json(&body);
        self.execute(request).await
    }

    /// Deletes the topic permissions of `user` on one exchange (the route
    /// with the exchange exists from 3.10 on; verified on 3.10.8).
    pub async fn delete_topic_permission(
        &self,
        vhost: &str,
        user: &str,
        exchange: &str,
    ) -> Result<(), Error> {
        let request = Request::new(
            Method::DELETE,
            format!(
                "/api/topic-permissions/{}/{}/{}",
                encode(vhost),
                encode(user),
                encode(exchange)
            ),
            format!(
                "delete the topic permissions of user '{user}' on exchange '{exchange}' in vhost '{vhost}'"
            ),
        )
        .missing_ok();
        self.execute(request).await
    }

    /// Sets a runtime parameter. `value` may hold credentials: it is sent,
    /// never logged (an error names the parameter, not its value).
    pub async fn put_parameter(
        &self,
        component: &str,
        vhost: &str,
        name: &str,
        value: &serde_json::Value,
    ) -> Result<(), Error> {
        let request = Request::new(
            Method::PUT,
            format!(
                "/api/parameters/{}/{}/{}",
                encode(component),
                encode(vhost),
                encode(name)
            ),
            format!("set {component} parameter '{name}' in vhost '{vhost}'"),
        )
        .vhost(vhost)
        .json(&wire::PutValue { value });
        self.execute(request).await
    }

    pub async fn delete_parameter(
        &self,
        component: &str,
        vhost: &str,
        name: &str,
    ) -> Result<(), Error> {
        let request = Request::new(
            Method::DELETE,
            format!(
                "/api/parameters/{}/{}/{}",
                encode(component),
                encode(vhost),
                encode(name)
            ),
            format!("delete {component} parameter '{name}' in vhost '{vhost}'"),
        )
        .missing_ok();
        self.execute(request).await
    }

    pub async fn put_global_parameter(
        &self,
        name: &str,
        value: &serde_json::Value,
    ) -> Result<(), Error> {
        let request = Request::new(
            Method::PUT,
            format!("/api/global-parameters/{}", encode(name)),
            format!("set global parameter '{name}'"),
        )
        .json(&wire::PutValue { value });
        self.execute(request).await
    }

    pub async fn delete_global_parameter(&self, name: &str) -> Result<(), Error> {
        let request = Request::new(
            Method::DELETE,
            format!("/api/global-parameters/{}", encode(name)),
            format!("delete global parameter '{name}'"),
        )
        .missing_ok();
        self.execute(request).await
    }

    /// Deletes the vhost and everything in it; done if it does not exist.
    pub async fn delete_vhost(&self, name: &str) -> Result<(), Error> {
        let request = Request::new(
            Method::DELETE,
            format!("/api/vhosts/{}", encode(name)),
            format!("delete vhost '{name}'"),
        )
        .missing_ok();
        self.execute(request).await
    }

    pub async fn put_exchange(&self, exchange: &Exchange) -> Result<(), Error> {
        let body = wire::PutExchange {
            kind: &exchange.kind,
            durable: exchange.durable,
            auto_delete: exchange.auto_delete,
            internal: exchange.internal,
            arguments: &exchange.arguments,
        };
        let request = Request::new(
            Method::PUT,
            format!(
                "/api/exchanges/{}/{}",
                encode(&exchange.vhost),
                encode(&exchange.name)
            ),
            format!(
                "declare exchange '{}' in vhost '{}'",
                exchange.name, exchange.vhost
            ),
        )
        .vhost(&exchange.vhost)
        .json(&body);
        self.execute(request).await
    }

    /// Deletes the exchange and its bindings; done if it does not exist.
    pub async fn delete_exchange(&self, vhost: &str, name: &str) -> Result<(), Error> {
        let request = Request::new(
            Method::DELETE,
            format!("/api/exchanges/{}/{}", encode(vhost), encode(name)),
            format!("delete exchange '{name}' in vhost '{vhost}'"),
        )
        .vhost(vhost)
        .missing_ok();
        self.execute(request).await
    }

    /// Declares the queue with its arguments exactly as given.
    pub async fn put_queue(&self, queue: &Queue) -> Result<(), Error> {
        let body = wire::PutQueue {
            durable: queue.durable,
            auto_delete: queue.auto_delete,
            arguments: &queue.arguments,
        };
        let request = Request::new(
            Method::PUT,
            format!(
                "/api/queues/{}/{}",
                encode(&queue.vhost),
                encode(&queue.name)
            ),
            format!("declare queue '{}' in vhost '{}'", queue.name, queue.vhost),
        )
        .vhost(&queue.vhost)
        .json(&body);
        self.execute(request).await
    }

    /// Deletes the queue, its messages and its bindings; done if it does not
    /// exist. With [`DeleteQueue::IfEmpty`] the broker refuses when the
    /// queue holds messages ([`Error::is_queue_not_empty`]), with
    /// [`DeleteQueue::IfUnused`] when it has consumers
    /// ([`Error::is_queue_in_use`]), both checked live.
    pub async fn delete_queue(
        &self,
        vhost: &str,
        name: &str,
        mode: DeleteQueue,
    ) -> Result<(), Error> {
        let mut request = Request::new(
            Method::DELETE,
            format!("/api/queues/{}/{}", encode(vhost), encode(name)),
            format!("delete queue '{name}' in vhost '{vhost}'"),
        )
        .vhost(vhost)
        .missing_ok();
        request = match mode {
            DeleteQueue::IfEmpty => request.query(&[("if-empty", "true")]),
            DeleteQueue::IfUnused => request.query(&[("if-unused", "true")]),
            DeleteQueue::IfEmptyAndUnused => {
                request.query(&[("if-empty", "true"), ("if-unused", "true")])
            }
            DeleteQueue::Force => request,
        };
        if self.execute_status(request).await? != StatusCode::NOT_FOUND {
            return Ok(());
        }
        // A 404 also answers the delete of a queue whose node is down, and
        // that queue stays: only a read says it is gone.
        let path = format!("/api/queues/{}/{}", encode(vhost), encode(name));
        let check = Request::get(
            path.clone(),
            format!("check that queue '{name}' in vhost '{vhost}' is gone"),
        )
        .vhost(vhost)
        .query(&[("columns", "name,state")]);
        match self
            .fetch_json_or_missing::<wire::QueueState>(check)
            .await?
        {
            None => Ok(()),
            Some(queue) => Err(Error::NotDeleted {
                url: format!("{}{path}", self.display_url()),
                action: format!("delete queue '{name}' in vhost '{vhost}'"),
                state: queue.state,
            }),
        }
    }

    /// Creates the binding (the broker does not duplicate an existing one).
    pub async fn bind(&self, binding: &Binding) -> Result<(), Error> {
        let body = wire::PostBinding {
            routing_key: &binding.routing_key,
            arguments: &binding.arguments,
        };
        let request = Request::new(
            Method::POST,
            binding_path(binding),
            format!("create {}", binding_label(binding)),
        )
        .vhost(&binding.vhost)
        .json(&body);
        self.execute(request).await
    }

    /// Deletes the binding by the `properties_key` the broker reported for
    /// it (see [`super::Live::binding_keys`]); done if it does not exist.
    pub async fn unbind(&self, binding: &Binding, properties_key: &str) -> Result<(), Error> {
        // The key is already percent-encoded by the broker and must be
        // encoded again as a path segment: `a.b.%2A` -> `a.b.%252A`.
        let request = Request::new(
            Method::DELETE,
            format!("{}/{}", binding_path(binding), encode(properties_key)),
            format!("delete {}", binding_label(binding)),
        )
        .vhost(&binding.vhost)
        .missing_ok();
        self.execute(request).await
    }

    pub async fn put_policy(&self, policy: &Policy) -> Result<(), Error> {
        let body = wire::PutPolicy {
            pattern: &policy.pattern,
            definition: &policy.definition,
            priority: policy.priority,
            apply_to: &policy.apply_to,
        };
        let request = Request::new(
            Method::PUT,
            format!(
                "/api/policies/{}/{}",
                encode(&policy.vhost),
                encode(&policy.name)
            ),
            format!("set policy '{}' in vhost '{}'", policy.name, policy.vhost),
        )
        .vhost(&policy.vhost)
        .json(&body);
        self.execute(request).await
    }

    /// Deletes the policy; done if it does not exist.
    pub async fn delete_policy(&self, vhost: &str, name: &str) -> Result<(), Error> {
        let request = Request::new(
            Method::DELETE,
            format!("/api/policies/{}/{}", encode(vhost), encode(name)),
            format!("delete policy '{name}' in vhost '{vhost}'"),
        )
        .vhost(vhost)
        .missing_ok();
        self.execute(request).await
    }

    /// Publishes a text message; true when it reached at least one queue.
    /// `""` is the default exchange.
    pub async fn publish(
        &self,
        vhost: &str,
        exchange: &str,
        routing_key: &str,
        payload: &str,
    ) -> Result<bool, Error> {
        self.publish_with_headers(vhost, exchange, routing_key, &Arguments::new(), payload)
            .await
    }

    /// [`Client::publish`] with message headers (for headers exchanges).
    pub async fn publish_with_headers(
        &self,
        vhost: &str,
        exchange: &str,
        routing_key: &str,
        headers: &Arguments,
        payload: &str,
    ) -> Result<bool, Error> {
        let body = wire::Publish {
            properties: wire::PublishProperties {
                headers: (!headers.is_empty()).then_some(headers),
            },
            routing_key,
            payload,
            payload_encoding: "string",
        };
        let path_name = if exchange.is_empty() {
            "amq.default"
        } else {
            exchange
        };
        let shown = if exchange.is_empty() {
            "(default)"
        } else {
            exchange
        };
        let request = Request::new(
            Method::POST,
            format!(
                "/api/exchanges/{}/{}/publish",
                encode(vhost),
                encode(path_name)
            ),
            format!("publish to exchange '{shown}' in vhost '{vhost}'"),
        )
        .vhost(vhost)
        .json(&body)
        // Publishing twice would deliver twice.
        .not_repeatable();
        let routed: wire::Routed = self.fetch_json(request).await?;
        Ok(routed.routed)
    }
}

fn binding_path(binding: &Binding) -> String {
    let kind = match binding.destination_type {
        DestinationType::Queue => "q",
        DestinationType::Exchange => "e",
    };
    format!(
        "/api/bindings/{}/e/{}/{kind}/{}",
        encode(&binding.vhost),
        encode(&binding.source),
        encode(&binding.destination)
    )
}

/// `binding 'events' -> queue 'order.events' with routing key 'order.*' in
/// vhost '/'`
fn binding_label(binding: &Binding) -> String {
    let mut label = format!(
        "binding '{}' -> {} '{}' with routing key '{}'",
        binding.source, binding.destination_type, binding.destination, binding.routing_key
    );
    if !binding.arguments.is_empty() {
        label.push_str(&format!(
            " and arguments {}",
            crate::model::canonical_json(&binding.arguments)
        ));
    }
    label.push_str(&format!(" in vhost '{}'", binding.vhost));
    label
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binding_paths_encode_every_name() {
        let b: Binding = serde_json::from_value(serde_json::json!({
            "source": "a/b", "destination": "x y", "destination_type": "exchange", "vhost": "/"
        }))
        .unwrap();
        assert_eq!(binding_path(&b), "/api/bindings/%2F/e/a%2Fb/e/x%20y");
    }
}
