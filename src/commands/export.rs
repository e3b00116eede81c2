//! `warren export`: the live topology of vhosts as a topology file, on
//! stdout or written to `--out`. The file's form is `render`'s.

use std::path::Path;

use super::live::{block_on, connect};
use super::{Failure, Outcome, Status};
use crate::broker::Reading;
use crate::cli::{Format, GlobalArgs};
use crate::render::{notices, render_export, show_export};

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
        let reading = Reading {
            vhost_limits: true,
            ..Reading::default()
        };
        let live = client.read(&names, reading).await?;
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
    let text = render_export(&live.topology, &url, &live.version, global.format.into());
    match out {
        Some(path) => {
            std::fs::write(path, text)
                .map_err(|e| Failure::new(format!("cannot write {}: {e}", path.display())))?;
            notices::wrote(path);
        }
        None => show_export(&text),
    }
    Ok(Status::Clean)
}
