//! The JSON Schema of a topology file, generated from the model, and the
//! keys of a definitions export that a file may hold without meaning
//! anything (accepted and ignored by the loader, so allowed by the schema).

use super::Topology;

/// Keys of a definitions export that say which broker wrote it: accepted
/// and ignored.
pub const EXPORT_VERSION_KEYS: &[&str] = &[
    "rabbit_version",
    "rabbitmq_version",
    "product_name",
    "product_version",
    "rabbitmq_definition_format",
    "explanation",
    // RabbitMQ 4.0's export of a whole cluster.
    "original_cluster_name",
];

/// The JSON Schema of the topology file, pretty-printed with a final newline.
pub fn schema_json() -> String {
    let mut schema = schemars::schema_for!(Topology);
    // A definitions export is a valid file: its version keys are accepted
    // (and ignored) by the loader, so editors must not flag them either.
    if let Some(properties) = schema
        .as_object_mut()
        .and_then(|s| s.get_mut("properties"))
        .and_then(|p| p.as_object_mut())
    {
        for key in EXPORT_VERSION_KEYS {
            properties.insert(
                key.to_string(),
                serde_json::json!({
                    "description": "Written by RabbitMQ's definitions export; accepted and ignored."
                }),
            );
        }
    }
    let mut text = serde_json::to_string_pretty(&schema).expect("schemas serialise");
    text.push('\n');
    text
}
