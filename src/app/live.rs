//! What the broker commands share: connecting (with the connection's
//! warnings printed), a runtime, and planning the files against the live
//! state.

use std::future::Future;

use super::Failure;
use crate::broker::{Client, Connection};
use crate::cli::GlobalArgs;
use crate::load::Loaded;
use crate::model::Topology;
use crate::plan::{BrokerInfo, Plan, PlanInputs, plan_changes};

impl From<crate::broker::Error> for Failure {
    fn from(error: crate::broker::Error) -> Failure {
        Failure::new(error.to_string())
    }
}

/// Runs `future` on a fresh multi-threaded runtime.
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime starts")
        .block_on(future)
}

/// A client for the connection options, after printing their warnings
/// (an insecure connection says so on every run).
pub fn connect(global: &GlobalArgs) -> Result<Client, Failure> {
    let connection = Connection::from_args(&global.connection)?;
    for warning in connection.warnings() {
        eprintln!("warning: {warning}");
    }
    if connection.insecure() {
        eprintln!(
            "warning: --insecure: TLS certificates are NOT verified for {}; anyone in the path can read and change this traffic",
            connection.display_url()
        );
    }
    Ok(Client::new(&connection)?.with_verbose(global.verbose))
}

/// The files' paths as the plan records them.
pub fn file_names(loaded: &Loaded) -> Vec<String> {
    loaded
        .files
        .iter()
        .map(|f| f.display().to_string())
        .collect()
}

/// Reads the vhosts `desired` declares and plans `desired` against them,
/// with live message counts for every queue the plan would drop. Returns
/// the live topology the plan was computed from too.
pub async fn plan_against_broker(
    client: &Client,
    desired: &Topology,
    files: Vec<String>,
    prune: bool,
) -> Result<(Plan, Topology), Failure> {
    let vhosts: Vec<String> = desired.vhosts.iter().map(|v| v.name.clone()).collect();
    let live = client.inspect(&vhosts).await?;
    let mut plan = plan_changes(
        desired,
        &live.topology,
        PlanInputs {
            broker: Some(BrokerInfo {
                url: client.display_url().to_string(),
                version: live.version.clone(),
            }),
            files,
            prune,
            binding_keys: live.binding_keys,
        },
    );
    let dropped = plan.queues_dropped();
    let counts = if dropped.is_empty() {
        Default::default()
    } else {
        client.queue_message_counts(&dropped).await?
    };
    plan.set_message_counts(&counts);
    Ok((plan, live.topology))
}
