//! What RabbitMQ knows about arguments and policy keys, as data: the value
//! each one takes and the queue types that accept it. The rules in
//! `rules` read these tables; changing what warren accepts means
//! changing a row here.
//!
//! Sources: `rabbit_amqqueue:declare_args/0` (value checks) and the
//! `capabilities/0` of `rabbit_classic_queue`, `rabbit_quorum_queue` and
//! `rabbit_stream_queue` (which arguments each type accepts), RabbitMQ
//! 3.10 to 4.x; RABBITMQ.md §4 and §5 for what was verified on a broker.

use serde_json::Value;

pub use crate::model::QueueType;

/// The value an argument or policy key takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueRule {
    /// A JSON integer >= 0.
    NonNegativeInteger,
    /// A JSON integer > 0.
    PositiveInteger,
    /// A JSON integer in `min..=max`.
    IntegerIn(i64, i64),
    /// Any JSON integer (a negative delivery limit means "no limit").
    Integer,
    /// Any JSON number, integer or not (a shovel's `reconnect-delay`).
    Number,
    Text,
    Boolean,
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// A duration string: a positive number and a unit, `7D`, `12h`.
    MaxAge,
    /// Not checked (`ha-params` is a number or a list of nodes).
    Any,
}

use QueueType::{Classic, Quorum, Stream};
use ValueRule::*;

const OVERFLOW: &[&str] = &["drop-head", "reject-publish", "reject-publish-dlx"];
const LEADER_LOCATORS: &[&str] = &["client-local", "balanced", "random", "least-leaders"];
const MASTER_LOCATORS: &[&str] = &["min-masters", "client-local", "random"];
const DEAD_LETTER_STRATEGIES: &[&str] = &["at-most-once", "at-least-once"];
const QUEUE_MODES: &[&str] = &["default", "lazy"];

/// A queue argument the broker knows.
#[derive(Debug)]
pub struct QueueArgument {
    pub name: &'static str,
    pub value: ValueRule,
    /// The queue types that accept it. The broker refuses a known argument
    /// on a quorum queue or a stream that does not accept it
    /// (`invalid arg … of queue type rabbit_quorum_queue`).
    pub types: &'static [QueueType],
}

const fn queue_argument(
    name: &'static str,
    value: ValueRule,
    types: &'static [QueueType],
) -> QueueArgument {
    QueueArgument { name, value, types }
}

/// Every queue argument warren checks. An argument not in this table is
/// stored by the broker but never compared (RABBITMQ.md §4).
pub const QUEUE_ARGUMENTS: &[QueueArgument] = &[
    queue_argument(
        "x-queue-type",
        OneOf(QueueType::NAMES),
        &[Classic, Quorum, Stream],
    ),
    queue_argument("x-message-ttl", NonNegativeInteger, &[Classic, Quorum]),
    queue_argument("x-expires", PositiveInteger, &[Classic, Quorum]),
    queue_argument("x-max-length", NonNegativeInteger, &[Classic, Quorum]),
    queue_argument(
        "x-max-length-bytes",
        NonNegativeInteger,
        &[Classic, Quorum, Stream],
    ),
    queue_argument("x-overflow", OneOf(OVERFLOW), &[Classic, Quorum]),
    queue_argument("x-dead-letter-exchange", Text, &[Classic, Quorum]),
    queue_argument("x-dead-letter-routing-key", Text, &[Classic, Quorum]),
    queue_argument("x-single-active-consumer", Boolean, &[Classic, Quorum]),
    // Quorum queues have supported message priorities since 4.0, without
    // this argument: they still refuse it.
    queue_argument("x-max-priority", IntegerIn(0, 255), &[Classic]),
    queue_argument("x-queue-mode", OneOf(QUEUE_MODES), &[Classic]),
    queue_argument("x-queue-version", IntegerIn(1, 2), &[Classic]),
    queue_argument("x-queue-master-locator", OneOf(MASTER_LOCATORS), &[Classic]),
    queue_argument("x-delivery-limit", Integer, &[Quorum]),
    queue_argument(
        "x-dead-letter-strategy",
        OneOf(DEAD_LETTER_STRATEGIES),
        &[Quorum],
    ),
    queue_argument("x-quorum-initial-group-size", PositiveInteger, &[Quorum]),
    queue_argument("x-max-in-memory-length", NonNegativeInteger, &[Quorum]),
    queue_argument("x-max-in-memory-bytes", NonNegativeInteger, &[Quorum]),
    queue_argument("x-max-age", MaxAge, &[Stream]),
    queue_argument(
        "x-stream-max-segment-size-bytes",
        PositiveInteger,
        &[Stream],
    ),
    queue_argument("x-stream-filter-size-bytes", IntegerIn(16, 255), &[Stream]),
    queue_argument("x-initial-cluster-size", PositiveInteger, &[Stream]),
    // Classic queues take it from 4.0 on.
    queue_argument(
        "x-queue-leader-locator",
        OneOf(LEADER_LOCATORS),
        &[Classic, Quorum, Stream],
    ),
];

pub fn queue_argument_named(name: &str) -> Option<&'static QueueArgument> {
    QUEUE_ARGUMENTS.iter().find(|a| a.name == name)
}

/// Exchange types that plugins add, with the plugin (all but the delayed
/// message one ship with RabbitMQ).
pub const PLUGIN_EXCHANGE_TYPES: &[(&str, &str)] = &[
    ("x-consistent-hash", "rabbitmq_consistent_hash_exchange"),
    ("x-random", "rabbitmq_random_exchange"),
    ("x-recent-history", "rabbitmq_recent_history_exchange"),
    ("x-modulus-hash", "rabbitmq_sharding"),
    ("x-jms-topic", "rabbitmq_jms_topic_exchange"),
    ("x-federation-upstream", "rabbitmq_federation"),
    (
        "x-delayed-message",
        "rabbitmq_delayed_message_exchange (a community plugin)",
    ),
];

/// The plugin that adds exchange type `kind`, when warren knows it.
pub fn plugin_of_exchange_type(kind: &str) -> Option<&'static str> {
    PLUGIN_EXCHANGE_TYPES
        .iter()
        .find(|(t, _)| *t == kind)
        .map(|(_, plugin)| *plugin)
}

/// The keys an operator policy takes, on some version: 3.10 takes the
/// first seven, 3.12 adds the ha-* ones (which 4.0 drops), 3.13 overflow,
/// queue-version and target-group-size (`rabbit_policies`, per tag).
pub const OPERATOR_POLICY_KEYS: &[&str] = &[
    "expires",
    "message-ttl",
    "max-length",
    "max-length-bytes",
    "max-in-memory-length",
    "max-in-memory-bytes",
    "delivery-limit",
    "ha-mode",
    "ha-params",
    "ha-sync-mode",
    "overflow",
    "queue-version",
    "target-group-size",
];

/// The limits a user takes (`/api/user-limits`).
pub const USER_LIMITS: &[&str] = &["max-connections", "max-channels"];

/// The limits a vhost takes (`/api/vhost-limits`).
pub const VHOST_LIMITS: &[&str] = &["max-connections", "max-queues"];

/// Exchange arguments warren checks; others starting `x-` are warned about.
pub const EXCHANGE_ARGUMENTS: &[(&str, ValueRule)] = &[
    ("alternate-exchange", Text),
    // rabbitmq-delayed-message-exchange: the type of `x-delayed-message`.
    ("x-delayed-type", Text),
];

/// Policy keys the broker accepts, with their values.
pub const POLICY_KEYS: &[(&str, ValueRule)] = &[
    ("message-ttl", NonNegativeInteger),
    ("expires", PositiveInteger),
    ("max-length", NonNegativeInteger),
    ("max-length-bytes", NonNegativeInteger),
    ("overflow", OneOf(OVERFLOW)),
    ("dead-letter-exchange", Text),
    ("dead-letter-routing-key", Text),
    ("dead-letter-strategy", OneOf(DEAD_LETTER_STRATEGIES)),
    ("queue-mode", OneOf(QUEUE_MODES)),
    ("queue-version", IntegerIn(1, 2)),
    ("delivery-limit", Integer),
    ("max-age", MaxAge),
    ("stream-max-segment-size-bytes", PositiveInteger),
    ("stream-filter-size-bytes", IntegerIn(16, 255)),
    ("queue-leader-locator", OneOf(LEADER_LOCATORS)),
    ("queue-master-locator", OneOf(MASTER_LOCATORS)),
    ("initial-cluster-size", PositiveInteger),
    ("target-group-size", PositiveInteger),
    ("max-in-memory-length", NonNegativeInteger),
    ("max-in-memory-bytes", NonNegativeInteger),
    ("alternate-exchange", Text),
    // From 3.11.15 (`rules::broker` refuses it on older brokers).
    ("consumer-timeout", NonNegativeInteger),
    ("federation-upstream", Text),
    ("federation-upstream-set", Text),
    ("ha-mode", OneOf(&["all", "exactly", "nodes"])),
    ("ha-params", Any),
    ("ha-sync-mode", OneOf(&["manual", "automatic"])),
    ("ha-sync-batch-size", PositiveInteger),
    ("ha-promote-on-shutdown", OneOf(&["when-synced", "always"])),
    ("ha-promote-on-failure", OneOf(&["when-synced", "always"])),
];

/// Policy keys the broker refuses ("not recognised policy settings"),
/// with where the setting belongs instead. Any `x-` key is refused too.
pub const REFUSED_POLICY_KEYS: &[(&str, &str)] = &[
    ("max-priority", "set x-max-priority as a queue argument"),
    (
        "single-active-consumer",
        "set x-single-active-consumer as a queue argument",
    ),
    ("queue-type", "set x-queue-type as a queue argument"),
];

pub fn policy_key_rule(key: &str) -> Option<ValueRule> {
    POLICY_KEYS.iter().find(|(k, _)| *k == key).map(|(_, r)| *r)
}

/// The values `apply_to` takes; the last three since RabbitMQ 3.12.
pub const APPLY_TO: &[&str] = &[
    "queues",
    "exchanges",
    "all",
    "classic_queues",
    "quorum_queues",
    "streams",
];

/// The built-in exchange types; plugins add types starting `x-`.
pub const EXCHANGE_TYPES: &[&str] = &["direct", "fanout", "topic", "headers"];

/// The values of a binding's `x-match` (headers exchanges).
pub const X_MATCH: &[&str] = &["all", "any", "all-with-x", "any-with-x"];

/// Why `value` does not fit `rule`, or `None` when it does. The message
/// starts after the key: `x-message-ttl` + `: must be …`.
pub fn check_value(rule: ValueRule, value: &Value) -> Option<String> {
    match rule {
        NonNegativeInteger => check_integer(value, 0, i64::MAX, "a non-negative integer"),
        PositiveInteger => check_integer(value, 1, i64::MAX, "a positive integer"),
        IntegerIn(min, max) => {
            check_integer(value, min, max, &format!("an integer from {min} to {max}"))
        }
        Integer => check_integer(value, i64::MIN, i64::MAX, "an integer"),
        Number => {
            (!value.is_number()).then(|| format!("must be a number, not {}", describe(value)))
        }
        Text => (!value.is_string()).then(|| format!("must be a string, not {}", describe(value))),
        Boolean => match value {
            Value::Bool(_) => None,
            Value::String(s) if s == "true" || s == "false" => Some(format!(
                "must be a boolean: \"{s}\" is a string; write {s} without quotes"
            )),
            other => Some(format!("must be true or false, not {}", describe(other))),
        },
        OneOf(values) => match value.as_str() {
            Some(s) if values.contains(&s) => None,
            Some(s) => Some(format!(
                "'{s}' is not one of {}{}",
                values.join(", "),
                crate::suggest::hint(s, values.iter().copied())
            )),
            None => Some(format!(
                "must be one of {}, not {}",
                values.join(", "),
                describe(value)
            )),
        },
        MaxAge => match value.as_str() {
            Some(s) if is_max_age(s) => None,
            _ => Some(format!(
                "must be a string like 7D, 12h or 30m (a positive number and one of the units \
                 Y, M, D, h, m, s), not {}",
                show(value)
            )),
        },
        Any => None,
    }
}

fn check_integer(value: &Value, min: i64, max: i64, what: &str) -> Option<String> {
    match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                (i < min || i > max).then(|| format!("must be {what}, not {i}"))
            } else if n.is_u64() {
                // Above i64::MAX: only an unbounded rule accepts it.
                (max != i64::MAX).then(|| format!("must be {what}, not {n}"))
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                let hint = if f.fract() == 0.0 && f.abs() < 9.0e15 {
                    format!("; write {} (without a decimal point or exponent)", f as i64)
                } else {
                    String::new()
                };
                Some(format!(
                    "must be {what}: {n} is a float, which the broker refuses or keeps as a \
                     different value (a double){hint}"
                ))
            }
        }
        Value::String(s) => {
            let hint = if s.trim().parse::<i64>().is_ok() {
                format!("; write {} without quotes", s.trim())
            } else {
                String::new()
            };
            Some(format!(
                "must be {what}: \"{s}\" is a string, which the broker refuses \
                 (expected integer, got longstr){hint}"
            ))
        }
        other => Some(format!("must be {what}, not {}", describe(other))),
    }
}

/// `7D`, `12h`: what `rabbit_amqqueue:check_max_age/1` accepts.
fn is_max_age(text: &str) -> bool {
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    matches!(unit, "Y" | "M" | "D" | "h" | "m" | "s") && number.parse::<u64>().is_ok_and(|n| n > 0)
}

/// `a string`, `a list`, … for messages.
pub fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a float",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// A value as JSON, shortened for messages.
pub fn show(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        let short: String = text.chars().take(57).collect();
        format!("{short}...")
    } else {
        text
    }
}

/// True when `value` holds a null anywhere: the broker answers 400
/// `null_not_allowed` (RABBITMQ.md §5).
pub fn contains_null(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.iter().any(contains_null),
        Value::Object(map) => map.values().any(contains_null),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(rule: ValueRule, value: Value) -> Option<String> {
        check_value(rule, &value)
    }

    #[test]
    fn an_integer_argument_takes_a_json_integer_only() {
        assert_eq!(check(NonNegativeInteger, json!(60000)), None);
        assert_eq!(check(NonNegativeInteger, json!(0)), None);
        assert_eq!(
            check(NonNegativeInteger, json!("60000")).unwrap(),
            "must be a non-negative integer: \"60000\" is a string, which the broker refuses \
             (expected integer, got longstr); write 60000 without quotes"
        );
        assert_eq!(
            check(NonNegativeInteger, json!(6e4)).unwrap(),
            "must be a non-negative integer: 60000.0 is a float, which the broker refuses or \
             keeps as a different value (a double); write 60000 (without a decimal point or exponent)"
        );
        assert_eq!(
            check(NonNegativeInteger, json!(-1)).unwrap(),
            "must be a non-negative integer, not -1"
        );
        assert_eq!(
            check(PositiveInteger, json!(0)).unwrap(),
            "must be a positive integer, not 0"
        );
        assert_eq!(
            check(IntegerIn(0, 255), json!(256)).unwrap(),
            "must be an integer from 0 to 255, not 256"
        );
        assert_eq!(check(Integer, json!(-1)), None);
        assert_eq!(check(NonNegativeInteger, json!(u64::MAX)), None);
    }

    #[test]
    fn an_enumerated_value_suggests_the_closest() {
        assert_eq!(check(OneOf(OVERFLOW), json!("drop-head")), None);
        assert_eq!(
            check(OneOf(OVERFLOW), json!("drop-haed")).unwrap(),
            "'drop-haed' is not one of drop-head, reject-publish, reject-publish-dlx \
             (did you mean 'drop-head'?)"
        );
        assert_eq!(
            check(OneOf(QueueType::NAMES), json!(1)).unwrap(),
            "must be one of classic, quorum, stream, not a number"
        );
    }

    #[test]
    fn max_age_is_a_number_and_a_unit() {
        for good in ["7D", "1h", "30m", "1Y", "10s", "2M"] {
            assert_eq!(check(MaxAge, json!(good)), None, "{good}");
        }
        for bad in [
            json!("0D"),
            json!("7d"),
            json!("D"),
            json!("7"),
            json!(7),
            json!("1.5h"),
        ] {
            assert!(check(MaxAge, bad.clone()).is_some(), "{bad}");
        }
    }

    #[test]
    fn booleans_and_strings() {
        assert_eq!(check(Boolean, json!(true)), None);
        assert_eq!(
            check(Boolean, json!("true")).unwrap(),
            "must be a boolean: \"true\" is a string; write true without quotes"
        );
        assert_eq!(check(Text, json!("dlx")), None);
        assert_eq!(
            check(Text, json!(1)).unwrap(),
            "must be a string, not a number"
        );
    }

    #[test]
    fn nulls_are_found_at_any_depth() {
        assert!(contains_null(&json!(null)));
        assert!(contains_null(&json!({"a": [1, null]})));
        assert!(!contains_null(&json!({"a": [1, "x"]})));
    }

    #[test]
    fn every_queue_argument_is_listed_once() {
        let mut names: Vec<&str> = QUEUE_ARGUMENTS.iter().map(|a| a.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), QUEUE_ARGUMENTS.len());
    }
}
