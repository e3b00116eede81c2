//! Runtime parameters (shovels, federation upstreams and upstream sets,
//! operator policies, as definitions exports list them under
//! `parameters`) and global parameters (`cluster_name`, …).
//!
//! A shovel's or an upstream's URI may carry credentials: in a file it
//! comes from an environment variable or a file (`uri_env`, `src-uri_file`,
//! …: the URI key with `_env` or `_file`), which the loader resolves into
//! [`Parameter::resolved`]; a literal URI must hold none. Nothing here
//! reads the environment or a file.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ObjectId;

/// The components of the runtime parameters warren manages: the ones a
/// person declares. Others (`vhost-limits`, read as a vhost's `limits`)
/// are not parameters here.
pub const PARAMETER_COMPONENTS: &[&str] = &[
    "shovel",
    "federation-upstream",
    "federation-upstream-set",
    "operator_policy",
];

/// The keys of a parameter's value that hold a URI, which may carry
/// credentials.
pub const URI_KEYS: &[&str] = &["uri", "src-uri", "dest-uri"];

/// A runtime parameter of a vhost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// `shovel`, `federation-upstream`, `federation-upstream-set` or
    /// `operator_policy`.
    pub component: String,
    #[serde(
        default = "super::default_vhost",
        skip_serializing_if = "super::is_default_vhost"
    )]
    pub vhost: String,
    pub name: String,
    /// What the component takes (`src-uri`, `src-queue`, … for a shovel;
    /// `pattern`, `definition`, … for an operator policy). A URI with
    /// credentials comes from `uri_env` / `uri_file` (`src-uri_env`, …).
    pub value: Value,
    /// The value with every URI reference resolved: what is compared and
    /// sent. Set by the loader (and kept in a plan's copy, whose `value`
    /// is shown without credentials); never serialised or printed.
    #[serde(skip)]
    #[schemars(skip)]
    pub resolved: Option<SecretValue>,
}

/// A value that may hold credentials: prints as `***`, never serialised.
#[derive(Clone, PartialEq)]
pub struct SecretValue(pub Value);

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretValue(***)")
    }
}

impl Parameter {
    pub fn id(&self) -> ObjectId {
        ObjectId::Parameter {
            vhost: self.vhost.clone(),
            component: self.component.clone(),
            name: self.name.clone(),
        }
    }

    /// The value as sent and compared: resolved where it had references.
    pub fn effective_value(&self) -> &Value {
        self.resolved.as_ref().map_or(&self.value, |v| &v.0)
    }

    /// This parameter as a plan holds it: its value shown with the
    /// credentials of every URI replaced by `***`, the value to compare
    /// and send kept apart (never serialised).
    pub fn without_secrets(&self) -> Parameter {
        Parameter {
            value: without_credentials(self.effective_value()),
            resolved: Some(SecretValue(self.effective_value().clone())),
            ..self.clone()
        }
    }
}

/// A parameter of the whole broker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GlobalParameter {
    pub name: String,
    pub value: Value,
}

impl GlobalParameter {
    pub fn id(&self) -> ObjectId {
        ObjectId::GlobalParameter {
            name: self.name.clone(),
        }
    }
}

/// Global parameters the broker sets for itself: never planned.
pub const INTERNAL_GLOBAL_PARAMETERS: &[&str] = &["internal_cluster_id"];

/// The credentials of a URI (`amqp://user:pass@host`): what lies between
/// `://` and the last `@` before the host, whatever it holds.
pub fn uri_credentials(uri: &str) -> Option<&str> {
    let rest = &uri[uri.find("://")? + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    // A password may hold `/`, `?` or `#` unencoded: the last `@` before
    // the host ends the credentials even past one of those.
    let at = rest.rfind('@')?;
    let credentials = &rest[..at];
    if at > authority_end && !credentials.contains(':') {
        return None;
    }
    (!credentials.is_empty()).then_some(credentials)
}

/// `uri` with its credentials (if any) replaced by `***`.
pub fn redact_uri(uri: &str) -> String {
    match uri_credentials(uri) {
        Some(credentials) => {
            let start = uri.find("://").map_or(0, |i| i + 3);
            format!("{}***{}", &uri[..start], &uri[start + credentials.len()..])
        }
        None => uri.to_string(),
    }
}

/// `value` with the credentials of every URI it holds, at any depth,
/// replaced by `***`: a string is taken for a URI when it has a scheme
/// (`…://`).
pub fn without_credentials(value: &Value) -> Value {
    match value {
        Value::String(text) if text.contains("://") => Value::String(redact_uri(text)),
        Value::Array(items) => Value::Array(items.iter().map(without_credentials).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), without_credentials(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_credentials_of_a_uri_are_found_whatever_they_hold() {
        assert_eq!(uri_credentials("amqp://u:p@host:5672/v"), Some("u:p"));
        assert_eq!(
            uri_credentials("amqp://u:se/cr?e#t@host/%2f"),
            Some("u:se/cr?e#t")
        );
        assert_eq!(uri_credentials("amqp://u:p@ss@host"), Some("u:p@ss"));
        assert_eq!(uri_credentials("amqp:///vhost"), None);
        assert_eq!(uri_credentials("amqp://host/v@x"), None);
        assert_eq!(
            redact_uri("amqps://admin:admin@rabbitmq2:5671"),
            "amqps://***@rabbitmq2:5671"
        );
        assert_eq!(redact_uri("amqp://"), "amqp://");
    }

    #[test]
    fn every_uri_of_a_value_is_redacted() {
        let value = serde_json::json!({"uri": ["amqp://a:b@h1", "amqp://h2"], "src-uri": "amqp://c:d@h3", "x": "amqp://e:f@h4"});
        assert_eq!(
            without_credentials(&value),
            serde_json::json!({"uri": ["amqp://***@h1", "amqp://h2"], "src-uri": "amqp://***@h3", "x": "amqp://***@h4"})
        );
    }
}
