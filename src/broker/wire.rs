//! The management API's JSON, as serde types: what the broker sends
//! (listings, the error body) and what warren sends (PUT and POST bodies).
//!
//! These types never leave the broker module: `inspect` turns them into the
//! model, `write` builds them from it. Fields are only those warren reads or
//! must send; unknown fields in answers are ignored, because every broker
//! version adds some.

use serde::{Deserialize, Deserializer, Serialize};

use crate::model::Arguments;

/// `GET /api/overview?disable_stats=true&columns=rabbitmq_version,management_version,exchange_types`.
#[derive(Debug, Deserialize)]
pub(crate) struct Overview {
    #[serde(default)]
    pub rabbitmq_version: Option<String>,
    #[serde(default)]
    pub management_version: Option<String>,
    #[serde(default)]
    pub exchange_types: Option<Vec<ExchangeType>>,
}

/// An exchange type the broker offers.
#[derive(Debug, Deserialize)]
pub(crate) struct ExchangeType {
    pub name: String,
    /// Absent on old brokers, where every listed type is enabled.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// An entry of `GET /api/vhosts`.
#[derive(Debug, Deserialize)]
pub(crate) struct Vhost {
    pub name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub description: String,
    #[serde(default, deserialize_with = "tags")]
    pub tags: Vec<String>,
    /// `"undefined"` when unset.
    #[serde(default)]
    pub default_queue_type: Option<String>,
}

/// An entry of a listing that the broker writes as `[]` (an empty
/// proplist) when the object vanished while it was being listed: verified
/// on 3.10.8 for `GET /api/vhosts` while another vhost is deleted.
#[derive(Debug)]
pub(crate) enum Listed<T> {
    Present(T),
    Vanished,
}

impl<T> Listed<T> {
    pub fn present(self) -> Option<T> {
        match self {
            Listed::Present(t) => Some(t),
            Listed::Vanished => None,
        }
    }
}

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Listed<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        if value.as_array().is_some_and(Vec::is_empty) {
            return Ok(Listed::Vanished);
        }
        T::deserialize(value)
            .map(Listed::Present)
            .map_err(serde::de::Error::custom)
    }
}

/// An entry of `GET /api/exchanges/{v}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Exchange {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub durable: bool,
    pub auto_delete: bool,
    pub internal: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub arguments: Arguments,
}

/// An entry of `GET /api/queues/{v}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Queue {
    pub name: String,
    pub durable: bool,
    pub auto_delete: bool,
    /// `null` for quorum queues and streams on some queries.
    #[serde(default)]
    pub exclusive: Option<bool>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub arguments: Arguments,
    /// `classic`, `quorum`, `stream`; absent on very old brokers.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The live count, when listed with `enable_queue_totals`; absent or
    /// `null` for streams.
    #[serde(default)]
    pub messages: Option<u64>,
}

/// An entry of the live-count queue listing
/// (`disable_stats=true&enable_queue_totals=true&columns=name,messages`).
#[derive(Debug, Deserialize)]
pub(crate) struct QueueCount {
    pub name: String,
    /// Absent or `null` for streams.
    #[serde(default)]
    pub messages: Option<u64>,
}

/// A queue's consumers, from `GET /api/queues/{v}?columns=name,consumers`
/// (with statistics: the only place a user who is not an administrator or
/// monitoring sees other users' consumers).
#[derive(Debug, Deserialize)]
pub(crate) struct QueueConsumers {
    pub name: String,
    /// Absent until the queue's first statistics (5 s after it is declared).
    #[serde(default)]
    pub consumers: Option<u64>,
}

/// `GET /api/queues/{v}/{q}?columns=name,state`.
#[derive(Debug, Deserialize)]
pub(crate) struct QueueState {
    /// `running`, `down` (its node is), …
    #[serde(default)]
    pub state: Option<String>,
}

/// An entry of `GET /api/bindings/{v}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Binding {
    pub source: String,
    pub destination: String,
    pub destination_type: String,
    pub routing_key: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub arguments: Arguments,
    pub properties_key: String,
}

/// An entry of `GET /api/policies/{v}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Policy {
    pub name: String,
    pub pattern: String,
    #[serde(rename = "apply-to")]
    pub apply_to: String,
    pub priority: i64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub definition: Arguments,
}

/// The body of an error answer: `{"error": "...", "reason": "..."}`.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub error: Option<serde_json::Value>,
    #[serde(default)]
    pub reason: Option<serde_json::Value>,
}

/// The answer to a publish.
#[derive(Debug, Deserialize)]
pub(crate) struct Routed {
    pub routed: bool,
}

/// `PUT /api/vhosts/{v}`.
#[derive(Debug, Serialize)]
pub(crate) struct PutVhost<'a> {
    pub description: &'a str,
    pub tags: Tags<'a>,
    /// The key 3.10 reads; later versions read it too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub defaultqueuetype: Option<&'a str>,
    /// The key later versions document; 3.10 ignores it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_queue_type: Option<&'a str>,
}

/// Vhost tags as sent: a list where the broker takes one, else the older
/// comma-separated string.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum Tags<'a> {
    List(&'a [String]),
    Text(String),
}

/// `PUT /api/users/{u}`: always with a password hash and its algorithm
/// (a PUT without either clears the password).
#[derive(Debug, Serialize)]
pub(crate) struct PutUser<'a> {
    pub password_hash: &'a str,
    pub hashing_algorithm: &'a str,
    pub tags: Tags<'a>,
}

/// An entry of `GET /api/users`.
#[derive(Debug, Deserialize)]
pub(crate) struct User {
    pub name: String,
    #[serde(default, deserialize_with = "tags")]
    pub tags: Vec<String>,
    #[serde(default)]
    pub password_hash: Option<String>,
    #[serde(default)]
    pub hashing_algorithm: Option<String>,
}

/// An entry of `GET /api/user-limits`.
#[derive(Debug, Deserialize)]
pub(crate) struct UserLimits {
    pub user: String,
    #[serde(default, deserialize_with = "map_or_empty_list")]
    pub value: Arguments,
}

/// `PUT /api/permissions/{v}/{u}`; an entry of `GET /api/permissions`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Permission {
    #[serde(default, skip_serializing)]
    pub user: String,
    #[serde(default, skip_serializing)]
    pub vhost: String,
    pub configure: String,
    pub write: String,
    pub read: String,
}

/// `PUT /api/topic-permissions/{v}/{u}`; an entry of `GET
/// /api/topic-permissions`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct TopicPermission {
    #[serde(default, skip_serializing)]
    pub user: String,
    #[serde(default, skip_serializing)]
    pub vhost: String,
    pub exchange: String,
    pub write: String,
    pub read: String,
}

/// An entry of `GET /api/parameters`.
#[derive(Debug, Deserialize)]
pub(crate) struct Parameter {
    pub component: String,
    pub vhost: String,
    pub name: String,
    pub value: serde_json::Value,
}

/// An entry of `GET /api/global-parameters`.
#[derive(Debug, Deserialize)]
pub(crate) struct GlobalParameter {
    pub name: String,
    pub value: serde_json::Value,
}

/// `PUT /api/parameters/{c}/{v}/{n}` and `PUT /api/global-parameters/{n}`.
#[derive(Debug, Serialize)]
pub(crate) struct PutValue<'a> {
    pub value: &'a serde_json::Value,
}

/// `PUT /api/vhost-limits/{v}/{name}` (and user limits).
#[derive(Debug, Serialize)]
pub(crate) struct PutLimit<'a> {
    pub value: &'a serde_json::Value,
}

/// An entry of `GET /api/vhost-limits`: the limits set on one vhost.
#[derive(Debug, Deserialize)]
pub(crate) struct VhostLimits {
    pub vhost: String,
    /// `[]` (an empty proplist) once every limit is cleared (3.10.8).
    #[serde(default, deserialize_with = "map_or_empty_list")]
    pub value: Arguments,
}

/// `PUT /api/exchanges/{v}/{x}`.
#[derive(Debug, Serialize)]
pub(crate) struct PutExchange<'a> {
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub durable: bool,
    pub auto_delete: bool,
    pub internal: bool,
    pub arguments: &'a Arguments,
}

/// `PUT /api/queues/{v}/{q}`.
#[derive(Debug, Serialize)]
pub(crate) struct PutQueue<'a> {
    pub durable: bool,
    pub auto_delete: bool,
    pub arguments: &'a Arguments,
}

/// `POST /api/bindings/{v}/e/{source}/{q|e}/{destination}`.
#[derive(Debug, Serialize)]
pub(crate) struct PostBinding<'a> {
    pub routing_key: &'a str,
    pub arguments: &'a Arguments,
}

/// `PUT /api/policies/{v}/{name}`.
#[derive(Debug, Serialize)]
pub(crate) struct PutPolicy<'a> {
    pub pattern: &'a str,
    pub definition: &'a Arguments,
    pub priority: i64,
    #[serde(rename = "apply-to")]
    pub apply_to: &'a str,
}

/// `POST /api/exchanges/{v}/{x}/publish`.
#[derive(Debug, Serialize)]
pub(crate) struct Publish<'a> {
    pub properties: PublishProperties<'a>,
    pub routing_key: &'a str,
    pub payload: &'a str,
    pub payload_encoding: &'static str,
}

#[derive(Debug, Serialize)]
pub(crate) struct PublishProperties<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<&'a Arguments>,
}

/// Treats an explicit `null` like an absent field.
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A map, or `null` or `[]` for an empty one: Erlang's empty proplist.
fn map_or_empty_list<'de, D: Deserializer<'de>>(d: D) -> Result<Arguments, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Map(Arguments),
        List([(); 0]),
        Null(()),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::Map(map) => map,
        Raw::List([]) | Raw::Null(()) => Arguments::new(),
    })
}

/// Tags arrive as a list; older brokers send a comma-separated string.
fn tags<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        Text(String),
        Null(()),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::List(list) => list,
        Raw::Text(text) => text
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect(),
        Raw::Null(()) => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seen in a vhost listing while another vhost was being deleted:
    /// `[[], {...}]`. Decoding it as `Vec<Vhost>` failed every plan.
    #[test]
    fn a_vhost_deleted_while_listed_is_skipped() {
        let listed: Vec<Listed<Vhost>> = serde_json::from_str(
            r#"[[], {"name": "/", "description": "", "tags": [], "default_queue_type": "undefined"}]"#,
        )
        .unwrap();
        let names: Vec<String> = listed
            .into_iter()
            .filter_map(Listed::present)
            .map(|v| v.name)
            .collect();
        assert_eq!(names, ["/"]);
        let broken = serde_json::from_str::<Vec<Listed<Vhost>>>(r#"[{"description": ""}]"#);
        assert!(
            broken
                .unwrap_err()
                .to_string()
                .contains("missing field `name`")
        );
    }

    #[test]
    fn quorum_queues_may_report_exclusive_as_null() {
        let q: Queue = serde_json::from_str(
            r#"{"name":"q","durable":true,"auto_delete":false,"exclusive":null,"arguments":{"x-queue-type":"quorum"},"type":"quorum"}"#,
        )
        .unwrap();
        assert_eq!(q.exclusive, None);
    }

    #[test]
    fn streams_have_no_message_count() {
        let queues: Vec<QueueCount> = serde_json::from_str(
            r#"[{"name":"s"},{"name":"t","messages":null},{"name":"u","messages":3}]"#,
        )
        .unwrap();
        let counts: Vec<_> = queues.iter().map(|q| q.messages).collect();
        assert_eq!(counts, [None, None, Some(3)]);
    }

    #[test]
    fn vhost_limits_cleared_are_an_empty_list() {
        let listed: Vec<VhostLimits> = serde_json::from_str(
            r#"[{"vhost":"a","value":[]},{"vhost":"b","value":{"max-queues":7}}]"#,
        )
        .unwrap();
        assert!(listed[0].value.is_empty());
        assert_eq!(listed[1].value["max-queues"], 7);
        assert!(serde_json::from_str::<VhostLimits>(r#"{"vhost":"a","value":[1]}"#).is_err());
    }

    #[test]
    fn vhost_tags_are_a_list_or_a_string() {
        let v: Vhost = serde_json::from_str(r#"{"name":"v","tags":"a, b"}"#).unwrap();
        assert_eq!(v.tags, ["a", "b"]);
        let v: Vhost = serde_json::from_str(r#"{"name":"v","tags":["a,b"]}"#).unwrap();
        assert_eq!(v.tags, ["a,b"]);
    }
}
