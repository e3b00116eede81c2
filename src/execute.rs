//! Carrying a plan out against the broker: its steps concurrently
//! (bounded), each as soon as what it waits for is done (see
//! [`crate::plan::schedule`]), a report of what was done, what failed and
//! what was not started, and the verification against a fresh read. It
//! prints nothing: progress goes to a [`Progress`] the caller gives.
//!
//! It decides nothing: the plan says what to do and in which order, and
//! the safety checks ran before this module is called. On the first
//! failure it starts nothing new, lets the requests in flight finish, and
//! reports; the next `apply` plans again from the live state and finishes
//! the work. Asked to [`Stop`] (the caller turns SIGINT and SIGTERM into
//! that), it does the same: nothing new starts, what is in flight ends,
//! and the report says what was done, what failed and what did not start. What it retries, briefly, are a write refused for permissions
//! and the declaration of an object it has just deleted to replace it (see
//! [`PERMISSION_RETRY_DELAYS`]).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use crate::broker::{Client, DeleteQueue, Error as BrokerError, Reading};
use crate::diff::{Action, Change};
use crate::model::{BrokerVersion, Credential, ObjectId};
use crate::normalize::Normal;
use crate::password::{self, HashingAlgorithm};
use crate::plan::{Managed, Operation, Plan, PlanInputs, Schedule, Step, plan_changes};

/// An apply that did not end as planned, after its report was shown.
#[derive(Debug, thiserror::Error)]
pub enum ApplyFailed {
    #[error(
        "apply did not finish ({failed} failed, {not_started} not started); fix the cause and run apply again: it plans from the live state and finishes the work"
    )]
    Unfinished { failed: usize, not_started: usize },
    #[error(
        "apply was stopped by {signal} ({failed} failed, {not_started} not started); run apply again: it plans from the live state and finishes the work"
    )]
    Stopped {
        signal: &'static str,
        failed: usize,
        not_started: usize,
    },
    #[error(
        "every change was applied, but reading the broker back to verify them failed: {0}; run warren plan to check"
    )]
    Unverified(BrokerError),
    #[error(
        "the broker accepted every change but still differs from the plan (it keeps old values of arguments it does not compare):{}",
        difference_lines(.0)
    )]
    StillDiffers(Vec<Change>),
}

/// Each remaining difference: the object, then each field the broker kept.
fn difference_lines(remaining: &[Change]) -> String {
    let show =
        |value: Option<&serde_json::Value>| value.map_or("(none)".to_string(), |v| v.to_string());
    let mut out = String::new();
    for change in remaining {
        out.push_str(&format!(
            "\n  {} in vhost '{}'",
            change.id,
            change.id.vhost()
        ));
        for reason in &change.reasons {
            out.push_str(&format!(
                "\n    {}: broker has {}, plan wants {}",
                reason.field,
                show(reason.before.as_ref()),
                show(reason.after.as_ref())
            ));
        }
    }
    out
}

/// How the broker is read again for `plan` (to check a saved plan, to
/// verify an apply): as it was read to make the plan.
pub fn reading_for(plan: &Plan) -> Reading {
    reading_of(plan.managed, false)
}

/// The read of the broker that the kinds `managed` take.
pub fn reading_of(managed: Managed, message_counts: bool) -> Reading {
    Reading {
        message_counts,
        vhost_limits: managed.vhost_limits,
        users: managed.users,
        permissions: managed.permissions,
        topic_permissions: managed.topic_permissions,
        parameters: managed.parameters,
        global_parameters: managed.global_parameters,
    }
}

/// What a fresh read of the broker still finds different from `expected`
/// (the live state simulated after `plan`) once every step succeeded. The
/// broker answers 204 to a PUT it did not carry out (arguments it does not
/// compare), so only a fresh read says whether it matches. Objects that
/// others declared meanwhile (applications declare their own queues) are
/// no difference; an object this plan deleted is.
pub async fn verify(
    client: &Client,
    plan: &Plan,
    expected: &Normal,
) -> Result<Vec<Change>, BrokerError> {
    let after = client.read(&plan.vhosts, reading_for(plan)).await?;
    let deleted: BTreeSet<&ObjectId> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .map(|c| &c.id)
        .collect();
    // What the plan left alone (not in the files) others may change or
    // delete meanwhile: users above all, which belong to the whole broker.
    let left_alone: BTreeSet<&ObjectId> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Unmanaged)
        .map(|c| &c.id)
        .collect();
    Ok(
        plan_changes(expected, &after.topology, PlanInputs::default())
            .changes
            .into_iter()
            .filter(|c| !left_alone.contains(&c.id))
            .filter(|c| {
                c.action.is_change() || (c.action == Action::Unmanaged && deleted.contains(&c.id))
            })
            .collect(),
    )
}

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
    /// The signal that stopped it, if one did (`SIGINT`, `SIGTERM`).
    pub stopped_by: Option<&'static str>,
}

/// A request to stop an apply, for a reason (the signal's name): no step
/// starts after it; those in flight end.
#[derive(Debug, Default)]
pub struct Stop {
    reason: std::sync::OnceLock<&'static str>,
    /// Set once [`execute`] runs: before, a stop changes nothing.
    executing: std::sync::atomic::AtomicBool,
}

impl Stop {
    /// Asks the apply to stop; true the first time.
    pub fn request(&self, reason: &'static str) -> bool {
        self.reason.set(reason).is_ok()
    }

    /// Why it was asked to stop, once it was.
    pub fn requested(&self) -> Option<&'static str> {
        self.reason.get().copied()
    }

    /// Whether [`execute`] has begun. Asked after [`Stop::request`], false
    /// means no step will ever start.
    pub fn is_executing(&self) -> bool {
        self.executing.load(std::sync::atomic::Ordering::SeqCst)
    }
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
        let (applied, failed, unfinished) = self.outcomes();
        let implied = plan
            .changes
            .iter()
            .filter(|c| c.action == Action::Delete)
            .filter_map(|c| c.caused_by.as_ref());
        let mut counts = ChangeCounts {
            applied: applied.len(),
            failed: failed.len(),
            not_started: unfinished.len(),
        };
        for owner in implied {
            if applied.contains(owner) {
                counts.applied += 1;
            } else {
                counts.not_started += 1;
            }
        }
        counts
    }

    /// The deletions that have no step of their own (a binding that goes
    /// with its exchange or queue) and did not happen, because the object
    /// they go with was not deleted.
    pub fn implied_not_started<'p>(&self, plan: &'p Plan) -> Vec<&'p Change> {
        let (applied, _, _) = self.outcomes();
        plan.changes
            .iter()
            .filter(|c| c.action == Action::Delete)
            .filter(|c| c.caused_by.as_ref().is_some_and(|o| !applied.contains(o)))
            .collect()
    }

    /// The identities of the changes applied (every step done), failed (a
    /// step failed) and not started (the rest).
    #[allow(clippy::type_complexity)]
    fn outcomes(
        &self,
    ) -> (
        BTreeSet<&ObjectId>,
        BTreeSet<&ObjectId>,
        BTreeSet<&ObjectId>,
    ) {
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
        (applied, failed, unfinished)
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
/// lacks the permissions learns it 3 s later. The same waits serve the
/// declaration of an object just deleted to replace it (see `run_step`).
pub const PERMISSION_RETRY_DELAYS: [Duration; 6] = [
    Duration::from_millis(50),
    Duration::from_millis(100),
    Duration::from_millis(200),
    Duration::from_millis(400),
    Duration::from_millis(800),
    Duration::from_millis(1600),
];

/// Runs the scheduled steps, at most `concurrency` requests in flight, each
/// as soon as the steps it waits for are done. After the first failure, or
/// once `stop` is requested, no new step starts; the requests in flight
/// finish and the rest is reported as not started.
pub async fn execute(
    client: &Client,
    version: &BrokerVersion,
    schedule: Schedule,
    concurrency: usize,
    progress: Arc<dyn Progress>,
    stop: &Stop,
) -> Report {
    stop.executing
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let Schedule {
        steps,
        waits_for,
        deletions_from,
    } = schedule;
    let total = steps.len();
    let recreated: Arc<BTreeSet<ObjectId>> = Arc::new(recreated_objects(&steps));
    let mut steps: Vec<Option<Step>> = steps.into_iter().map(Some).collect();
    let mut waiting: Vec<usize> = waits_for.iter().map(Vec::len).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); total];
    for (index, waits) in waits_for.iter().enumerate() {
        for &dependency in waits {
            dependents[dependency].push(index);
        }
    }
    // Ready steps, lowest index first so the phase order is kept where
    // nothing else decides; deletions are held back until every earlier
    // step is done.
    let mut ready: BTreeSet<usize> = (0..deletions_from).filter(|&i| waiting[i] == 0).collect();
    let mut creates_left = deletions_from;
    if creates_left == 0 {
        ready.extend(deletions_from..total);
    }

    let mut report = Report::default();
    let mut failed = false;
    let mut tasks: JoinSet<(usize, StepResult)> = JoinSet::new();
    let limit = concurrency.max(1);
    loop {
        while !failed && stop.requested().is_none() && tasks.len() < limit {
            let Some(index) = ready.pop_first() else {
                break;
            };
            let step = steps[index].take().expect("each step runs once");
            let client = client.clone();
            let version = version.clone();
            let progress = progress.clone();
            let recreated = recreated.contains(&step.id);
            tasks.spawn(async move {
                progress.started(&step);
                let error = run_step(&client, &version, &step, recreated).await.err();
                let result = StepResult { step, error };
                progress.finished(&result);
                (index, result)
            });
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        let (index, result) = match joined {
            Ok(done) => done,
            Err(panic) => std::panic::resume_unwind(panic.into_panic()),
        };
        match result.error {
            Some(error) => {
                failed = true;
                report.failed.push((result.step, error));
            }
            None => {
                report.done.push(result.step);
                for &next in &dependents[index] {
                    waiting[next] -= 1;
                    if waiting[next] == 0 && next < deletions_from {
                        ready.insert(next);
                    }
                }
                if index < deletions_from {
                    creates_left -= 1;
                    if creates_left == 0 {
                        ready.extend(deletions_from..total);
                    }
                }
            }
        }
    }
    report.not_started = steps.into_iter().flatten().collect();
    // A stop after the last step started changed nothing.
    report.stopped_by = stop.requested().filter(|_| !report.not_started.is_empty());
    report
}

/// The objects the steps delete and declare again: those replaced.
fn recreated_objects(steps: &[Step]) -> BTreeSet<ObjectId> {
    let deleted: BTreeSet<&ObjectId> = steps
        .iter()
        .filter(|s| {
            matches!(
                s.operation,
                Operation::DeleteQueue { .. } | Operation::DeleteExchange { .. }
            )
        })
        .map(|s| &s.id)
        .collect();
    steps
        .iter()
        .filter(|s| {
            matches!(
                s.operation,
                Operation::PutQueue(_) | Operation::PutExchange(_)
            )
        })
        .filter(|s| deleted.contains(&s.id))
        .map(|s| s.id.clone())
        .collect()
}

/// Carries out one step; a write into a vhost refused for permissions is
/// tried again after each of [`PERMISSION_RETRY_DELAYS`], and so is the
/// declaration of a `recreated` object refused as inequivalent: a classic
/// queue answers its DELETE before its record is gone, and a declaration
/// in that moment meets the old queue (seen once on 3.10.8, under load).
async fn run_step(
    client: &Client,
    version: &BrokerVersion,
    step: &Step,
    recreated: bool,
) -> Result<(), String> {
    let may_lag = !matches!(step.operation, Operation::PutVhost(_));
    let mut delays = PERMISSION_RETRY_DELAYS.iter();
    loop {
        match send(client, version, step).await {
            Err(Failed::Broker(e))
                if (may_lag && is_refused_for_permissions(&e))
                    || (recreated && e.is_inequivalent()) =>
            {
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
async fn send(client: &Client, version: &BrokerVersion, step: &Step) -> Result<(), Failed> {
    let result = match &step.operation {
        Operation::PutVhost(v) => client.put_vhost(v, version.clone()).await,
        Operation::PutVhostLimits {
            vhost,
            limits,
            removed,
        } => client.set_vhost_limits(vhost, limits, removed).await,
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
            if_unused,
        } => {
            let mode = match (*if_empty, *if_unused) {
                (true, true) => DeleteQueue::IfEmptyAndUnused,
                (true, false) => DeleteQueue::IfEmpty,
                (false, true) => DeleteQueue::IfUnused,
                (false, false) => DeleteQueue::Force,
            };
            client.delete_queue(vhost, name, mode).await
        }
        Operation::DeleteExchange { vhost, name } => client.delete_exchange(vhost, name).await,
        Operation::DeletePolicy { vhost, name } => client.delete_policy(vhost, name).await,
        Operation::PutUser {
            user,
            password_changes,
            live_credential,
        } => {
            let credential = if *password_changes {
                user.credential.as_ref()
            } else {
                live_credential.as_ref()
            };
            let (hash, algorithm) = stored_password(user, credential, live_credential.as_ref())
                .map_err(Failed::Unsendable)?;
            client
                .put_user(&user.name, &user.tags, &hash, algorithm)
                .await
        }
        Operation::PutUserLimits {
            user,
            limits,
            removed,
        } => client.set_user_limits(user, limits, removed).await,
        Operation::DeleteUser { name } => client.delete_user(name).await,
        Operation::PutPermission(p) => client.put_permission(p).await,
        Operation::DeletePermission { vhost, user } => client.delete_permission(vhost, user).await,
        Operation::PutTopicPermission(p) => client.put_topic_permission(p).await,
        Operation::DeleteTopicPermission {
            vhost,
            user,
            exchange,
        } => client.delete_topic_permission(vhost, user, exchange).await,
        Operation::PutParameter(p) => {
            if p.resolved.is_none() && p.value != crate::model::without_credentials(&p.value) {
                return Err(Failed::Unsendable(format!(
                    "{} in vhost '{}': the plan holds its URI without credentials; apply from the files",
                    step.id, p.vhost
                )));
            }
            client
                .put_parameter(&p.component, &p.vhost, &p.name, p.effective_value())
                .await
        }
        Operation::DeleteParameter {
            vhost,
            component,
            name,
        } => client.delete_parameter(component, vhost, name).await,
        Operation::PutGlobalParameter(p) => client.put_global_parameter(&p.name, &p.value).await,
        Operation::DeleteGlobalParameter { name } => client.delete_global_parameter(name).await,
    };
    result.map_err(Failed::Broker)
}

/// The hash and hashing module a user's PUT carries: the password made
/// into a freshly salted hash (the plain password never crosses the wire),
/// an export's hash as it is, `""` for no password, or the live hash sent
/// again (when only tags change: a PUT without one clears the password).
/// `Err` when the password to send is not known (a saved plan applied
/// without its files).
fn stored_password(
    user: &crate::model::User,
    credential: Option<&Credential>,
    live: Option<&Credential>,
) -> Result<(String, &'static str), String> {
    let live_algorithm = match live {
        Some(Credential::Hash { algorithm, .. }) => {
            password::algorithm_of(algorithm.as_deref()).filter(|a| *a != HashingAlgorithm::Md5)
        }
        _ => None,
    };
    let chosen = user
        .hashing_algorithm
        .as_deref()
        .and_then(HashingAlgorithm::from_module)
        .or(live_algorithm)
        .unwrap_or(HashingAlgorithm::Sha256);
    match credential {
        Some(Credential::Password(secret)) => {
            let mut salt = [0u8; password::SALT_BYTES];
            getrandom::fill(&mut salt).map_err(|e| format!("cannot draw a random salt: {e}"))?;
            Ok((
                password::hash(secret.expose(), salt, chosen),
                chosen.module(),
            ))
        }
        Some(Credential::Hash { hash, algorithm }) => {
            let algorithm = password::algorithm_of(algorithm.as_deref()).unwrap_or(chosen);
            Ok((hash.expose().to_string(), algorithm.module()))
        }
        Some(Credential::NoPassword) => Ok((String::new(), chosen.module())),
        None => Err(format!(
            "user {}: its password is not known here (a saved plan does not hold it); apply from \
             the files, with the variables and files they name",
            user.name
        )),
    }
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
    if matches!(
        operation,
        Operation::DeleteQueue {
            if_unused: true,
            ..
        }
    ) && error.is_queue_in_use()
    {
        return format!(
            "{id} in vhost '{}' has a consumer the plan did not count (the broker reports them up \
             to 5 s late), so it was not deleted and no consumer was cancelled; plan again, and \
             use --allow-consumer-cancel to cancel them",
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

    #[test]
    fn only_objects_deleted_to_be_declared_again_count_as_recreated() {
        let live = topology(
            "
vhosts: [{name: /}]
exchanges: [{name: x, type: direct}, {name: kept, type: topic}]
queues: [{name: q, arguments: {x-max-priority: 5}}, {name: dropped}]
",
        );
        let desired = topology(
            "
vhosts: [{name: /}]
exchanges: [{name: x, type: fanout}, {name: kept, type: topic}]
queues: [{name: q, arguments: {x-max-priority: 10}}, {name: added}]
",
        );
        let inputs = PlanInputs {
            prune: true,
            ..PlanInputs::default()
        };
        let plan = plan_changes(&desired, &live, inputs);
        let allow = Allow::ALL;
        let steps: Vec<Step> = phases(&plan, allow).into_iter().flatten().collect();
        let recreated: Vec<String> = recreated_objects(&steps)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(recreated, ["exchange x", "queue q"]);
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
