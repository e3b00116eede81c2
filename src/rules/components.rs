//! The values of shovels, federation upstreams and upstream sets: the keys
//! the plugins take and what each takes, and what a value must hold (its
//! URIs; a shovel's source, a queue or an exchange, not both). The broker
//! checks these only when the parameter is written, half-way through an
//! apply; here they are checked offline. Which keys a broker takes differs
//! by version: offline an unknown key is a warning, and against a broker
//! of a series whose keys were read from its plugins (3.10, 4.0) an error.

use serde_json::{Map, Value};

use super::arguments::{ValueRule, check_value};
use super::parameters::REFERENCE_SUFFIXES;
use super::{Findings, ObjectRef};
use crate::model::{BrokerVersion, URI_KEYS};
use ValueRule::*;

/// Which of the verified series take a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Taken {
    Both,
    /// RabbitMQ 4.0, not 3.10.
    Since4_0,
    /// RabbitMQ 3.10, not 4.0.
    Before4_0,
}

use Taken::*;

/// A key of a component's value.
struct Key {
    name: &'static str,
    rule: ValueRule,
    taken: Taken,
}

const fn key(name: &'static str, rule: ValueRule) -> Key {
    Key {
        name,
        rule,
        taken: Both,
    }
}

const PROTOCOLS: &[&str] = &["amqp091", "amqp10"];
const ACK_MODES: &[&str] = &["on-confirm", "on-publish", "no-ack"];

/// A shovel's keys, as `rabbit_shovel_parameters` of RabbitMQ 3.10.8 and
/// 4.0.5 take them (the URIs are checked apart; the legacy names without
/// `src-`/`dest-` are still taken). `src-delete-after` is checked apart.
const SHOVEL_KEYS: &[Key] = &[
    key("src-uri", Any),
    key("dest-uri", Any),
    key("src-protocol", OneOf(PROTOCOLS)),
    key("dest-protocol", OneOf(PROTOCOLS)),
    key("src-queue", Text),
    key("src-exchange", Text),
    key("src-exchange-key", Text),
    key("src-queue-args", Any),
    key("src-consumer-args", Any),
    key("src-prefetch-count", Number),
    key("prefetch-count", Number),
    key("src-delete-after", Any),
    key("delete-after", Any),
    key("src-address", Text),
    Key {
        name: "src-predeclared",
        rule: Boolean,
        taken: Since4_0,
    },
    key("dest-queue", Text),
    key("dest-exchange", Text),
    key("dest-exchange-key", Text),
    key("dest-queue-args", Any),
    key("dest-publish-properties", Any),
    key("publish-properties", Any),
    key("dest-add-forward-headers", Boolean),
    key("add-forward-headers", Boolean),
    key("dest-add-timestamp-header", Boolean),
    key("add-timestamp-header", Boolean),
    key("dest-address", Text),
    key("dest-application-properties", Any),
    key("dest-properties", Any),
    key("dest-message-annotations", Any),
    Key {
        name: "dest-predeclared",
        rule: Boolean,
        taken: Since4_0,
    },
    key("ack-mode", OneOf(ACK_MODES)),
    key("reconnect-delay", Number),
];

/// A federation upstream's keys, as `rabbit_federation_parameters` of
/// 3.10.8 and 4.0.5 take them; an upstream set's members take the same
/// but `uri`, and name their `upstream`.
const UPSTREAM_KEYS: &[Key] = &[
    key("uri", Any),
    key("ack-mode", OneOf(ACK_MODES)),
    key("bind-nowait", Boolean),
    key("channel-use-mode", OneOf(&["multiple", "single"])),
    key("consumer-tag", Text),
    key("exchange", Text),
    key("expires", Number),
    key("max-hops", Number),
    key("message-ttl", Number),
    key("prefetch-count", Number),
    key("queue", Text),
    key("reconnect-delay", Number),
    key("resource-cleanup-mode", OneOf(&["default", "never"])),
    key("trust-user-id", Boolean),
    Key {
        name: "ha-policy",
        rule: Text,
        taken: Before4_0,
    },
    Key {
        name: "queue-type",
        rule: OneOf(&["classic", "quorum"]),
        taken: Since4_0,
    },
];

/// An upstream set's member names its upstream (checked by the caller).
const UPSTREAM_NAME: Key = key("upstream", Any);

/// The keys of a component's value: an upstream set's member takes an
/// upstream's but `uri`, and names its `upstream`.
fn keys_of(component: &str) -> impl Iterator<Item = &'static Key> {
    let (keys, set_member): (&'static [Key], bool) = match component {
        "shovel" => (SHOVEL_KEYS, false),
        "federation-upstream-set" => (UPSTREAM_KEYS, true),
        _ => (UPSTREAM_KEYS, false),
    };
    keys.iter()
        .filter(move |k| !(set_member && k.name == "uri"))
        .chain(set_member.then_some(&UPSTREAM_NAME))
}

/// The key `name` (as written: `src-uri_env` is `src-uri` by reference;
/// only URIs are given so) of a component's value, when the plugins know
/// it.
fn key_of(component: &str, name: &str) -> Option<&'static Key> {
    let written = REFERENCE_SUFFIXES
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .filter(|uri| URI_KEYS.contains(uri))
        .unwrap_or(name);
    keys_of(component).find(|k| k.name == written)
}

/// Checks a shovel's or an upstream's value (a mapping; its URIs' credentials
/// are checked by the caller).
pub(super) fn check_value_of(
    component: &str,
    value: &Map<String, Value>,
    at: ObjectRef,
    out: &mut Findings,
) {
    check_keys(component, value, at, out);
    let required: &[&str] = if component == "shovel" {
        &["src-uri", "dest-uri"]
    } else {
        &["uri"]
    };
    for uri in required {
        if !value
            .keys()
            .any(|k| key_of(component, k).is_some_and(|key| key.name == *uri))
        {
            out.error(
                at,
                &["value"],
                format!(
                    "a {component} needs {uri} (or {uri}_env, {uri}_file): the broker refuses it \
                     without one"
                ),
            );
        }
        check_uri_schemes(uri, value.get(*uri), at, out);
    }
    if component == "shovel" {
        check_shovel_ends(value, at, out);
    }
}

/// Each member of an upstream set: the keys of an upstream but `uri`.
pub(super) fn check_upstream_set_member(
    member: &Map<String, Value>,
    at: ObjectRef,
    out: &mut Findings,
) {
    check_keys("federation-upstream-set", member, at, out);
}

/// The value of each key written (a reference names a variable or a file:
/// checked by the caller), and a warning for each key the plugins do not
/// know.
fn check_keys(component: &str, value: &Map<String, Value>, at: ObjectRef, out: &mut Findings) {
    for (name, item) in value {
        match key_of(component, name) {
            Some(key) if key.name == name => check_one(key, item, at, out),
            Some(_) => {}
            None => out.warning(
                at,
                &["value", name],
                format!(
                    "'{name}' is not a key RabbitMQ 3.10 and 4.0 take in a {component}{}: they \
                     refuse it, a later version may take it",
                    crate::suggest::hint(name, keys_of(component).map(|k| k.name))
                ),
            ),
        }
    }
}

fn check_one(key: &Key, value: &Value, at: ObjectRef, out: &mut Findings) {
    let problem = match key.name {
        "src-delete-after" | "delete-after" => delete_after_problem(value),
        _ => check_value(key.rule, value),
    };
    if let Some(problem) = problem {
        out.error(at, &["value", key.name], format!("{}: {problem}", key.name));
    }
}

/// `src-delete-after`: `never`, `queue-length` or a number of messages.
fn delete_after_problem(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if s == "never" || s == "queue-length" => None,
        Value::Number(n) if n.as_u64().is_some() => None,
        other => Some(format!(
            "must be never, queue-length or a number of messages (an integer >= 0), not {}",
            crate::model::without_credentials(other)
        )),
    }
}

/// The URIs a shovel or an upstream connects to: `amqp://` or `amqps://`.
fn check_uri_schemes(key: &str, value: Option<&Value>, at: ObjectRef, out: &mut Findings) {
    let uris: Vec<&Value> = match value {
        None => return,
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one) => vec![one],
    };
    for uri in uris {
        let Some(text) = uri.as_str() else {
            out.error(
                at,
                &["value", key],
                format!("{key} is a URI or a list of URIs (strings)"),
            );
            continue;
        };
        let lower = text.to_ascii_lowercase();
        if !(lower.starts_with("amqp://") || lower.starts_with("amqps://")) {
            out.error(
                at,
                &["value", key],
                format!(
                    "{key} '{}' is not an AMQP URI: it starts with amqp:// or amqps:// (amqp:// \
                     alone is this broker)",
                    crate::model::without_credentials(uri)
                        .as_str()
                        .unwrap_or_default()
                ),
            );
        }
    }
}

/// An AMQP 0-9-1 shovel takes from a queue or an exchange (one of them),
/// and publishes to a queue, an exchange or where the message says, never
/// to both.
fn check_shovel_ends(value: &Map<String, Value>, at: ObjectRef, out: &mut Findings) {
    let amqp091 = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .is_none_or(|p| p == "amqp091")
    };
    if amqp091("src-protocol") {
        match (
            value.contains_key("src-queue"),
            value.contains_key("src-exchange"),
        ) {
            (true, true) => out.error(
                at,
                &["value", "src-exchange"],
                "a shovel takes from src-queue or src-exchange, not both",
            ),
            (false, false) => out.error(
                at,
                &["value"],
                "a shovel needs src-queue or src-exchange: where it takes the messages from",
            ),
            _ => {}
        }
    }
    if amqp091("dest-protocol")
        && value.contains_key("dest-queue")
        && value.contains_key("dest-exchange")
    {
        out.error(
            at,
            &["value", "dest-exchange"],
            "a shovel publishes to dest-queue or dest-exchange, not both",
        );
    }
}

/// The keys of a shovel's, an upstream's or an upstream set's value that
/// `version` refuses, when its series is one whose keys are known (3.10,
/// 4.0), each once.
pub(super) fn keys_refused_by(
    component: &str,
    value: &Value,
    version: &BrokerVersion,
) -> Vec<String> {
    let series_4_0 = version.at_least(4, 0, 0) && !version.at_least(4, 1, 0);
    let series_3_10 = version.at_least(3, 10, 0) && !version.at_least(3, 11, 0);
    let component_known = matches!(
        component,
        "shovel" | "federation-upstream" | "federation-upstream-set"
    );
    if !component_known || !(series_4_0 || series_3_10) {
        return Vec::new();
    }
    let takes = |key: &Key| match key.taken {
        Both => true,
        Since4_0 => series_4_0,
        Before4_0 => series_3_10,
    };
    let maps: Vec<&Map<String, Value>> = match value {
        Value::Object(map) => vec![map],
        Value::Array(members) => members.iter().filter_map(Value::as_object).collect(),
        _ => Vec::new(),
    };
    let mut refused = Vec::new();
    for name in maps.into_iter().flat_map(|map| map.keys()) {
        if !key_of(component, name).is_some_and(takes) && !refused.contains(name) {
            refused.push(name.clone());
        }
    }
    refused
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_refused_only_by_the_series_known_to_refuse_them() {
        let shovel = json!({"src-uri": "amqp://", "src-queue": "q", "dest-uri_env": "D", "src-predeclared": true, "bogus": 1});
        let upstream = json!({"uri_file": "u", "queue-type": "quorum", "ha-policy": "all"});
        let set = json!([{"upstream": "a", "uri": "amqp://", "ha-policy": "all"}]);
        let refused = |component: &str, value: &Value, version: &str| {
            keys_refused_by(component, value, &BrokerVersion::new(version))
        };
        assert_eq!(
            refused("shovel", &shovel, "3.10.8"),
            ["bogus", "src-predeclared"]
        );
        assert_eq!(refused("shovel", &shovel, "4.0.5"), ["bogus"]);
        assert_eq!(
            refused("federation-upstream", &upstream, "3.10.8"),
            ["queue-type"]
        );
        assert_eq!(
            refused("federation-upstream", &upstream, "4.0.5"),
            ["ha-policy"]
        );
        assert_eq!(refused("federation-upstream-set", &set, "3.10.8"), ["uri"]);
        assert_eq!(
            refused("federation-upstream-set", &set, "4.0.5"),
            ["ha-policy", "uri"]
        );
        // Series whose keys were not read: left to the offline warning.
        for version in ["3.13.7", "4.1.0"] {
            assert!(refused("shovel", &shovel, version).is_empty());
        }
        // Only a URI is given by reference: src-queue_env is no key.
        let by_reference = json!({"src-uri_env": "S", "src-queue_env": "Q", "dest-uri": "amqp://"});
        assert_eq!(refused("shovel", &by_reference, "4.0.5"), ["src-queue_env"]);
        // Not a shovel's or an upstream's.
        assert!(refused("operator_policy", &json!({"pattern": "x"}), "4.0.5").is_empty());
    }
}
