//! `warren export`: the live topology of vhosts as a topology file.

use std::path::Path;

use super::live::{block_on, connect};
use super::{Failure, Outcome, Status, print_stdout};
use crate::cli::{Format, GlobalArgs};
use crate::render::{render_topology_json, render_topology_yaml};

/// Vhosts RabbitMQ or its plugins create for their own use.
fn is_system_vhost(name: &str) -> bool {
    name.starts_with("rabbitmq_") || name == "amq.rabbitmq.federation"
}

pub fn run(global: &GlobalArgs, vhosts: &[String], out: Option<&Path>) -> Outcome {
    if global.format == Format::Markdown {
        return Err(Failure::new(
            "export writes a topology file: --format text (YAML) or json",
        ));
    }
    let client = connect(global)?;
    let (live, url) = block_on(async {
        let names: Vec<String> = if vhosts.is_empty() {
            client
                .list_vhosts()
                .await?
                .into_iter()
                .map(|v| v.name)
                .filter(|n| !is_system_vhost(n))
                .collect()
        } else {
            vhosts.to_vec()
        };
        let live = client.inspect(&names).await?;
        // Only a vhost asked for by name must exist: one from the listing
        // that was deleted before it was read is simply not exported.
        for name in vhosts {
            if !live.topology.vhosts.iter().any(|v| &v.name == name) {
                return Err(Failure::new(format!(
                    "vhost '{name}' does not exist on {}",
                    client.display_url()
                )));
            }
        }
        Ok::<_, Failure>((live, client.display_url().to_string()))
    })?;
    let header = [
        "yaml-language-server: $schema=../schemas/topology.schema.json".to_string(),
        format!("Exported by warren from {url} (RabbitMQ {}).", live.version),
    ];
    let yaml = match global.format {
        Format::Json => render_topology_json(&live.topology),
        _ => render_topology_yaml(&live.topology, &header),
    };
    match out {
        Some(path) => {
            std::fs::write(path, yaml)
                .map_err(|e| Failure::new(format!("cannot write {}: {e}", path.display())))?;
            eprintln!("wrote {}", path.display());
        }
        None => print_stdout(&yaml),
    }
    Ok(Status::Clean)
}
