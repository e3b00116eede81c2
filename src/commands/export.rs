//! `warren export`: the live topology of vhosts as a topology file, on
//! stdout or written to `--out`. The file's form is `render`'s.

use std::path::Path;

use super::live::{block_on, connect};
use super::{Failure, Outcome, Status};
use std::collections::BTreeSet;

use crate::broker::{Error as BrokerError, Reading};
use crate::cli::{Format, GlobalArgs};
use crate::render::{ExportSecrets, notices, render_export, show_export};

/// Vhosts RabbitMQ or its plugins create for their own use.
fn is_system_vhost(name: &str) -> bool {
    name.starts_with("rabbitmq_") || name == "amq.rabbitmq.federation"
}

/// What an export holds besides the vhosts' objects and parameters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Include {
    /// Users, permissions and topic permissions (`--with-users`).
    pub users: bool,
    /// Users' salted hashes instead of references to fill in.
    pub password_hashes: bool,
    pub global_parameters: bool,
}

pub fn run(
    global: &GlobalArgs,
    vhosts: &[String],
    out: Option<&Path>,
    include: Include,
) -> Outcome {
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
            users: include.users,
            permissions: include.users,
            topic_permissions: include.users,
            global_parameters: include.global_parameters,
            ..Reading::default()
        };
        let mut live = client.read(&names, reading).await?;
        // Shovels, federation and operator policies: a user who may not
        // read them (a plain management user) exports the rest.
        let present: BTreeSet<String> = live
            .topology
            .vhosts
            .iter()
            .map(|v| v.name.clone())
            .collect();
        match client.parameters_of(&present).await {
            Ok(parameters) => live.topology.parameters = Some(parameters).filter(|p| !p.is_empty()),
            Err(BrokerError::AccessRefused { .. }) => notices::not_exported(
                "parameters (shovels, federation upstreams, operator policies)",
                "the user may not read them (the policymaker tag reads them)",
            ),
            Err(e) => return Err(e.into()),
        }
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
    if include.password_hashes {
        notices::exported_password_hashes();
    }
    let secrets = ExportSecrets {
        password_hashes: include.password_hashes,
    };
    let text = render_export(
        &live.topology,
        &url,
        &live.version,
        global.format.into(),
        secrets,
    );
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
