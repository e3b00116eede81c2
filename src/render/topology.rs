//! The live topology as a topology file (`warren export`), in YAML or in
//! JSON: objects sorted, defaults left out, so the file reads like one
//! written by hand and plans as no changes against the broker it came from.
//! Whether it goes to stdout or to a file is the command's business.

use super::{Format, print_stdout};
use crate::model::{BrokerVersion, Credential, Topology, URI_KEYS, VhostMetadata, uri_credentials};
use crate::normalize::normalize;

/// How `export` writes what is secret.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Secrets {
    /// Each user's salted hash and algorithm, instead of a `password_env`
    /// reference to fill in.
    pub password_hashes: bool,
}

/// The export of `topology`, read from the broker at `url` running
/// RabbitMQ `version`: JSON, or YAML under a header naming its origin and
/// the schema (editors then check the file). A user's password is a
/// `password_env` reference (or, asked for, its hash); a URI with
/// credentials, a `…_env` reference: the file holds no secret unless told.
pub fn render_export(
    topology: &Topology,
    url: &str,
    version: &BrokerVersion,
    format: Format,
    secrets: Secrets,
) -> String {
    let topology = for_import_by(exported(topology), version);
    let value = with_secret_references(&topology, secrets);
    match format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&value).expect("topologies serialise");
            text.push('\n');
            text
        }
        _ => {
            let header = [
                "yaml-language-server: $schema=../schemas/topology.schema.json".to_string(),
                format!("Exported by warren from {url} (RabbitMQ {version})."),
            ];
            let mut out = String::new();
            for line in header {
                out.push_str(&format!("# {line}\n"));
            }
            out.push_str(&serde_yaml::to_string(&value).expect("topologies serialise to YAML"));
            out
        }
    }
}

/// `topology` as a document (in its fields' order), each user given where
/// its password comes from and each URI with credentials made a reference.
fn with_secret_references(topology: &Topology, secrets: Secrets) -> serde_yaml::Value {
    use serde_yaml::Value;
    let mut value = serde_yaml::to_value(topology).expect("topologies serialise");
    if let Some(Value::Sequence(users)) = value.get_mut("users") {
        for (entry, user) in users.iter_mut().zip(topology.users()) {
            let Value::Mapping(map) = entry else { continue };
            let Some(Credential::Hash { hash, algorithm }) = &user.credential else {
                continue;
            };
            if crate::password::is_no_password(
                hash.expose(),
                crate::password::algorithm_of(algorithm.as_deref()),
            ) {
                continue; // no password: nothing to write
            }
            if secrets.password_hashes {
                map.insert("password_hash".into(), hash.expose().into());
                if let Some(algorithm) = algorithm {
                    map.insert("hashing_algorithm".into(), algorithm.as_str().into());
                }
            } else {
                map.insert(
                    "password_env".into(),
                    environment_name(&["password", &user.name]).into(),
                );
            }
        }
    }
    if let Some(Value::Sequence(parameters)) = value.get_mut("parameters") {
        for (entry, parameter) in parameters.iter_mut().zip(topology.parameters()) {
            let Some(Value::Mapping(map)) = entry.get_mut("value") else {
                continue;
            };
            for key in URI_KEYS {
                let holds_credentials = match map.get(*key) {
                    Some(Value::String(uri)) => uri_credentials(uri).is_some(),
                    Some(Value::Sequence(uris)) => uris
                        .iter()
                        .any(|u| u.as_str().is_some_and(|u| uri_credentials(u).is_some())),
                    _ => false,
                };
                if holds_credentials {
                    map.remove(*key);
                    let name = environment_name(&[&parameter.component, &parameter.name, key]);
                    map.insert(format!("{key}_env").into(), name.into());
                }
            }
        }
    }
    value
}

/// `WARREN_PASSWORD_ORDER_SERVICE`: the parts in capitals, every other
/// character an underscore.
fn environment_name(parts: &[&str]) -> String {
    let mut name = String::from("WARREN");
    for part in parts {
        name.push('_');
        name.extend(part.chars().map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        }));
    }
    name
}

/// `topology` as the import of RabbitMQ `version` reads it back: a vhost's
/// default queue type in `metadata`, the only place RabbitMQ 3.10 to 3.12
/// read it from (verified on 3.10.8), and from 3.13 on in both places, as
/// those brokers export it.
fn for_import_by(mut t: Topology, version: &BrokerVersion) -> Topology {
    let both = version.at_least(3, 13, 0);
    for vhost in &mut t.vhosts {
        if let Some(kind) = vhost.default_queue_type.clone() {
            vhost.metadata = Some(VhostMetadata {
                default_queue_type: Some(kind),
                ..VhostMetadata::default()
            });
            if !both {
                vhost.default_queue_type = None;
            }
        }
    }
    t
}

/// The view of `warren export` without `--out`: the file on stdout.
pub fn show_export(text: &str) {
    print_stdout(text);
}

/// The topology as it is written to a file: normalised, without routes.
/// Normalising writes x-queue-type wherever its absence would mean another
/// type, so the file reads back as the same queues.
fn exported(topology: &Topology) -> Topology {
    let mut t = normalize(topology).into_topology();
    t.routes.clear();
    for vhost in &mut t.vhosts {
        // No limits read as none set: the file leaves them unmanaged.
        if vhost.limits.as_ref().is_some_and(|l| l.is_empty()) {
            vhost.limits = None;
        }
    }
    t
}

/// `topology` as JSON (a valid topology file too: JSON is YAML).
pub fn render_topology_json(topology: &Topology) -> String {
    render_json(&exported(topology))
}

fn render_json(exported: &Topology) -> String {
    let mut text = serde_json::to_string_pretty(exported).expect("topologies serialise");
    text.push('\n');
    text
}

/// `topology` as YAML, preceded by `header` lines as comments.
pub fn render_topology_yaml(topology: &Topology, header: &[String]) -> String {
    render_yaml(&exported(topology), header)
}

fn render_yaml(t: &Topology, header: &[String]) -> String {
    let mut out = String::new();
    for line in header {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&serde_yaml::to_string(t).expect("topologies serialise to YAML"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_left_out_and_the_file_reads_back() {
        let t: Topology = serde_yaml::from_str(
            "vhosts: [{name: /}]\nexchanges: [{name: events, type: topic, durable: true}]\nqueues: [{name: jobs, arguments: {x-queue-type: classic}}]",
        )
        .unwrap();
        let yaml = render_topology_yaml(&t, &["exported".into()]);
        assert_eq!(
            yaml,
            "# exported\nvhosts:\n- name: /\nexchanges:\n- name: events\n  type: topic\nqueues:\n- name: jobs\n"
        );
        let back: Topology = serde_yaml::from_str(&yaml).unwrap();
        assert_eq!(normalize(&back), normalize(&t));
    }

    #[test]
    fn a_default_queue_type_is_exported_where_the_brokers_import_reads_it() {
        let t: Topology = serde_yaml::from_str(
            "vhosts: [{name: v, default_queue_type: quorum, limits: {max-queues: 5}}, {name: w, limits: {}}]",
        )
        .unwrap();
        // 3.10 reads it from metadata only (verified on 3.10.8).
        let old = render_export(&t, "u", &"3.10.8".into(), Format::Text, Secrets::default());
        assert!(
            old.ends_with("vhosts:\n- name: v\n  limits:\n    max-queues: 5\n  metadata:\n    default_queue_type: quorum\n- name: w\n"),
            "{old}"
        );
        // 3.13 and later write it in both places, and read either.
        let new = render_export(&t, "u", &"4.0.5".into(), Format::Text, Secrets::default());
        assert!(
            new.contains("- name: v\n  default_queue_type: quorum\n  limits:\n    max-queues: 5\n  metadata:\n    default_queue_type: quorum\n"),
            "{new}"
        );
        // Either reads back as the same vhost.
        for text in [old, new] {
            let back =
                crate::load::load_sources(vec![("e.yaml".into(), text.into_bytes())]).unwrap();
            assert_eq!(
                back.topology.vhosts[0].default_queue_type.as_deref(),
                Some("quorum")
            );
        }
    }

    #[test]
    fn a_classic_queue_keeps_its_type_where_the_vhost_default_is_another() {
        let t: Topology = serde_yaml::from_str(
            "vhosts: [{name: v, default_queue_type: quorum}]\nqueues: [{name: c, vhost: v, arguments: {x-queue-type: classic}}, {name: q, vhost: v}, {name: t, vhost: v, durable: false}]",
        )
        .unwrap();
        let yaml = render_topology_yaml(&t, &[]);
        assert_eq!(
            yaml,
            "vhosts:\n- name: v\n  default_queue_type: quorum\nqueues:\n- name: c\n  vhost: v\n  arguments:\n    x-queue-type: classic\n- name: q\n  vhost: v\n  arguments:\n    x-queue-type: quorum\n- name: t\n  vhost: v\n  durable: false\n"
        );
        let back: Topology = serde_yaml::from_str(&yaml).unwrap();
        assert_eq!(normalize(&back), normalize(&t));
    }
}
