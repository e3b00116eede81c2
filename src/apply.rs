//! Carrying a plan out against the broker: its phases in order, the steps
//! of a phase concurrently (bounded), and a report of what was done, what
//! failed and what was not started.
//!
//! It decides nothing: the plan says what to do and in which order, and
//! the safety checks ran before this module is called. On the first
//! failure it starts nothing new, lets the requests in flight finish, and
//! reports; the next `apply` plans again from the live state and finishes
//! the work.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::broker::{Client, DeleteQueue, Error as BrokerError};
use crate::model::ObjectId;
use crate::plan::{Operation, Step};

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
    /// and not started otherwise.
    pub fn change_counts(&self) -> ChangeCounts {
        self.change_counts_with(&[])
    }

    /// [`Report::change_counts`] for a plan with changes that need no
    /// request of their own: each `(change, cause)` pair, a binding that
    /// goes with the exchange or queue `cause` deletes, counts as the step
    /// that drops `cause` went. Without them the report counts fewer
    /// changes than the plan shows.
    pub fn change_counts_with(&self, implied: &[(ObjectId, ObjectId)]) -> ChangeCounts {
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
        let drops = |step: &Step, cause: &ObjectId| {
            &step.id == cause
                && matches!(
                    step.operation,
                    Operation::DeleteQueue { .. } | Operation::DeleteExchange { .. }
                )
        };
        for (_, cause) in implied {
            if self.failed.iter().any(|(s, _)| drops(s, cause)) {
                counts.failed += 1;
            } else if self.done.iter().any(|s| drops(s, cause)) {
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

async fn run_step(client: &Client, version: &str, step: &Step) -> Result<(), String> {
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
            return Err(format!(
                "{} in vhost '{}' has no properties_key from the broker to delete it by; plan again",
                step.id,
                step.id.vhost()
            ));
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
    result.map_err(|e| explain(&step.id, &step.operation, &e))
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

    fn queue(name: &str) -> ObjectId {
        ObjectId::Queue {
            vhost: "/".into(),
            name: name.into(),
        }
    }

    fn drop_queue(name: &str) -> Step {
        Step {
            id: queue(name),
            operation: Operation::DeleteQueue {
                vhost: "/".into(),
                name: name.into(),
                if_empty: false,
            },
        }
    }

    /// A pruned binding goes with its queue: it has no step of its own but
    /// is one of the plan's changes, so the report counts it as its
    /// queue's delete went.
    #[test]
    fn changes_without_a_step_count_with_the_delete_they_go_with() {
        let binding = |q: &str| ObjectId::Binding {
            vhost: "/".into(),
            source: "x".into(),
            destination_type: crate::model::DestinationType::Queue,
            destination: q.into(),
            routing_key: String::new(),
            arguments: String::new(),
        };
        let report = Report {
            done: vec![drop_queue("a")],
            failed: vec![(drop_queue("b"), "broke".into())],
            not_started: vec![drop_queue("c")],
        };
        let implied = [
            (binding("a"), queue("a")),
            (binding("b"), queue("b")),
            (binding("c"), queue("c")),
        ];
        assert_eq!(
            report.change_counts_with(&implied),
            ChangeCounts {
                applied: 2,
                failed: 2,
                not_started: 2
            }
        );
        assert_eq!(
            report.change_counts(),
            ChangeCounts {
                applied: 1,
                failed: 1,
                not_started: 1
            }
        );
    }
}
