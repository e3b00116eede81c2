//! Carrying a plan out against the broker: its phases in order, the steps
//! of a phase concurrently (bounded), and a report of what was done, what
//! failed and what was not started.
//!
//! It decides nothing: the plan says what to do and in which order, and
//! the safety checks ran before this module is called. On the first
//! failure it starts nothing new, lets the requests in flight finish, and
//! reports; the next `apply` plans again from the live state and finishes
//! the work. The one thing it retries, briefly, is a write refused for
//! permissions (see [`PERMISSION_RETRY_DELAYS`]).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::broker::{Client, DeleteQueue, Error as BrokerError};
use crate::diff::Action;
use crate::model::ObjectId;
use crate::plan::{Operation, Plan, Step};

/// The outcome of one step.
#[derive(Debug, Clone)]
pub struct StepResult {
    pub step: Step,
    pub error: Option<String>,
}

/// What an apply did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub done: Vec<Step>,
    pub failed: Vec<(Step, String)>,
    pub not_started: Vec<Step>,
}

impl Report {
    pub fn succeeded(&self) -> bool {
        self.failed.is_empty() && self.not_started.is_empty()
    }

    /// Counts by change rather than by request (a replace is two requests):
    /// a change is applied when all its steps were, failed when one failed,
    /// and not started otherwise. A binding that goes with a deleted or
    /// replaced exchange or queue has no step of its own: it is applied
    /// with that object, and not started when that object's step failed or
    /// did not run. So the counts add up to the plan's.
    pub fn change_counts(&self, plan: &Plan) -> ChangeCounts {
        let failed: BTreeSet<&ObjectId> = self.failed.iter().map(|(s, _)| &s.id).collect();
        let unfinished: BTreeSet<&ObjectId> = self
            .not_started
            .iter()
            .map(|s| &s.id)
            .filter(|id| !failed.contains(id))
            .collect();
        let applied: BTreeSet<&ObjectId> = self
            .done
            .iter()
            .map(|s| &s.id)
            .filter(|id| !failed.contains(id) && !unfinished.contains(id))
            .collect();
        let mut counts = ChangeCounts {
            applied: applied.len(),
            failed: failed.len(),
            not_started: unfinished.len(),
        };
        let implied = plan
            .changes
            .iter()
            .filter(|c| c.action == Action::Delete)
            .filter_map(|c| c.caused_by.as_ref());
        for owner in implied {
            if applied.contains(owner) {
                counts.applied += 1;
            } else {
                counts.not_started += 1;
            }
        }
        counts
    }
}

/// How many changes an apply carried out, failed, and did not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeCounts {
    pub applied: usize,
    pub failed: usize,
    pub not_started: usize,
}

/// Told about each step as it starts and ends (progress bar or log lines).
pub trait Progress: Send + Sync {
    fn started(&self, step: &Step);
    fn finished(&self, result: &StepResult);
}

/// How long to wait before each new attempt at a write refused for
/// permissions (about 3 s in all). The broker grants a vhost's creator its
/// permissions a moment after the vhost exists: another apply creating the
/// same vhost at once sees it (in its read of the broker, or as a 204 to its
/// own PUT) before the permissions, and until they land every write into it
/// answers 401 "Access refused.". Verified on 3.10.8. A user who really
/// lacks the permissions learns it 3 s later.
pub const PERMISSION_RETRY_DELAYS: [Duration; 6] = [
    Duration::from_millis(50),
    Duration::from_millis(100),
    Duration::from_millis(200),
    Duration::from_millis(400),
    Duration::from_millis(800),
    Duration::from_millis(1600),
];

/// Runs `phases` in order, the steps of each phase with at most
/// `concurrency` requests in flight.
pub async fn execute(
    client: &Client,
    version: &str,
    phases: Vec<Vec<Step>>,
    concurrency: usize,
    progress: Arc<dyn Progress>,
) -> Report {
    let mut report = Report::default();
    let failed = Arc::new(AtomicBool::new(false));
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut phases = phases.into_iter();

    for phase in phases.by_ref() {
        let mut tasks = JoinSet::new();
        let mut waiting = phase.into_iter();
        for step in waiting.by_ref() {
            let permit = permits.clone().acquire_owned().await.expect("never closed");
            if failed.load(Ordering::SeqCst) {
                report.not_started.push(step);
                drop(permit);
                break;
            }
            let client = client.clone();
            let version = version.to_string();
            let failed = failed.clone();
            let progress = progress.clone();
            tasks.spawn(async move {
                progress.started(&step);
                let error = run_step(&client, &version, &step).await.err();
                if error.is_some() {
                    failed.store(true, Ordering::SeqCst);
                }
                drop(permit);
                let result = StepResult { step, error };
                progress.finished(&result);
                result
            });
        }
        report.not_started.extend(waiting);
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(StepResult { step, error: None }) => report.done.push(step),
                Ok(StepResult {
                    step,
                    error: Some(e),
                }) => report.failed.push((step, e)),
                Err(panic) => std::panic::resume_unwind(panic.into_panic()),
            }
        }
        if failed.load(Ordering::SeqCst) {
            break;
        }
    }
    for phase in phases {
        report.not_started.extend(phase);
    }
    report
}

/// Carries out one step; a write into a vhost refused for permissions is
/// tried again after each of [`PERMISSION_RETRY_DELAYS`].
async fn run_step(client: &Client, version: &str, step: &Step) -> Result<(), String> {
    let may_lag = !matches!(step.operation, Operation::PutVhost(_));
    let mut delays = PERMISSION_RETRY_DELAYS.iter();
    loop {
        match send(client, version, step).await {
            Err(Failed::Broker(e)) if may_lag && is_refused_for_permissions(&e) => {
                match delays.next() {
                    Some(delay) => tokio::time::sleep(*delay).await,
                    None => return Err(explain(&step.id, &step.operation, &e)),
                }
            }
            Err(Failed::Broker(e)) => return Err(explain(&step.id, &step.operation, &e)),
            Err(Failed::Unsendable(message)) => return Err(message),
            Ok(()) => return Ok(()),
        }
    }
}

fn is_refused_for_permissions(error: &BrokerError) -> bool {
    matches!(
        error,
        BrokerError::AccessRefused { .. } | BrokerError::VhostAccessDenied { .. }
    )
}

/// Why a step's request failed.
enum Failed {
    Broker(BrokerError),
    /// The step cannot be sent at all.
    Unsendable(String),
}

/// The step's one request.
async fn send(client: &Client, version: &str, step: &Step) -> Result<(), Failed> {
    let result = match &step.operation {
        Operation::PutVhost(v) => client.put_vhost(v, version).await,
        Operation::PutPolicy(p) => client.put_policy(p).await,
        Operation::PutExchange(e) => client.put_exchange(e).await,
        Operation::PutQueue(q) => client.put_queue(q).await,
        Operation::Bind(b) => client.bind(b).await,
        Operation::Unbind {
            binding,
            properties_key: Some(key),
        } => client.unbind(binding, key).await,
        Operation::Unbind {
            properties_key: None,
            ..
        } => {
            return Err(Failed::Unsendable(format!(
                "{} in vhost '{}' has no properties_key from the broker to delete it by; plan again",
                step.id,
                step.id.vhost()
            )));
        }
        Operation::DeleteQueue {
            vhost,
            name,
            if_empty,
        } => {
            let mode = if *if_empty {
                DeleteQueue::IfEmpty
            } else {
                DeleteQueue::Force
            };
            client.delete_queue(vhost, name, mode).await
        }
        Operation::DeleteExchange { vhost, name } => client.delete_exchange(vhost, name).await,
        Operation::DeletePolicy { vhost, name } => client.delete_policy(vhost, name).await,
    };
    result.map_err(Failed::Broker)
}

/// The failure of a step in words, with a hint where the cause is known.
fn explain(id: &ObjectId, operation: &Operation, error: &BrokerError) -> String {
    if matches!(operation, Operation::DeleteQueue { if_empty: true, .. })
        && error.is_queue_not_empty()
    {
        return format!(
            "{id} in vhost '{}' received messages since the plan was made, so it was not deleted \
             and nothing was lost; plan again, and use --allow-data-loss to drop them",
            id.vhost()
        );
    }
    error.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Topology;
    use crate::plan::{Allow, PlanInputs, phases, plan_changes};

    fn topology(yaml: &str) -> Topology {
        serde_yaml::from_str(yaml).unwrap()
    }

    /// Pruning queue `q`, bound from `x`: one step, two changes.
    fn prune_plan() -> Plan {
        let live = topology(
            "
vhosts: [{name: /}]
exchanges: [{name: x, type: topic}]
queues: [{name: q}]
bindings: [{source: x, destination: q, routing_key: k}]
",
        );
        let desired = topology("vhosts: [{name: /}]\nexchanges: [{name: x, type: topic}]");
        let inputs = PlanInputs {
            prune: true,
            ..PlanInputs::default()
        };
        plan_changes(&desired, &live, inputs)
    }

    fn steps(plan: &Plan) -> Vec<Step> {
        phases(plan, Allow::default())
            .into_iter()
            .flatten()
            .collect()
    }

    // Regression: a binding deleted along with its queue was left out of the
    // count, so "Plan: … 2 to delete." was followed by "Applied 1 change".
    #[test]
    fn a_binding_deleted_with_its_queue_counts_as_applied_with_it() {
        let plan = prune_plan();
        assert_eq!(plan.summary.delete, 2);
        let steps = steps(&plan);
        assert_eq!(steps.len(), 1, "the binding goes with the queue");
        let report = Report {
            done: steps,
            ..Report::default()
        };
        assert_eq!(
            report.change_counts(&plan),
            ChangeCounts {
                applied: 2,
                failed: 0,
                not_started: 0
            }
        );
    }

    #[test]
    fn a_binding_whose_queue_was_not_deleted_counts_as_not_started() {
        let plan = prune_plan();
        let queue = steps(&plan).remove(0);
        assert!(matches!(queue.operation, Operation::DeleteQueue { .. }));
        let report = Report {
            failed: vec![(queue, "not empty".into())],
            ..Report::default()
        };
        assert_eq!(
            report.change_counts(&plan),
            ChangeCounts {
                applied: 0,
                failed: 1,
                not_started: 1
            }
        );
    }
}
