//! Carrying out a [`Migration`] against the broker: its steps in order,
//! each one safe to run again, so that an apply stopped at any point (or a
//! broker restarted) leaves the messages in the old queue or the temporary
//! one, never nowhere, and the next `apply --migrate` finishes the work.
//!
//! Bindings move bind-before-unbind (a message published meanwhile may
//! reach both queues, never neither); messages move by a dynamic shovel
//! that acknowledges only what the destination confirmed, repeated until
//! the source reads empty; a queue is deleted only then, classic ones with
//! the broker's `if-empty` guard. What to move and why is decided by
//! `plan::migrate`; this module only does it, and tells an observer.

use std::time::{Duration, Instant};

use crate::broker::{Client, DeleteQueue, Error};
use crate::model::{Binding, Queue, QueueType};
use crate::plan::{Direction, Migration, MigrationStep, shovel_name};

/// A quorum queue's live count lags by up to 5 s (RABBITMQ.md §6): its 0
/// is trusted only when read again after this long.
const QUORUM_COUNT_LAG: Duration = Duration::from_secs(6);
/// How often a running shovel is looked at.
const POLL: Duration = Duration::from_millis(100);
/// How long a shovel may stay terminated (it retries by itself) before
/// the migration gives up on it, leaving every message where it is.
const SHOVEL_DEAD_AFTER: Duration = Duration::from_secs(30);
/// A running shovel whose source read empty this many times in a row, a
/// second apart, is stopped: it is waiting for messages a competing
/// consumer took.
const STARVED_AFTER_EMPTY_READS: u32 = 3;

/// The test hook: `WARREN_TEST_MIGRATE_EXIT_AFTER_STEP=N` ends the process
/// (exit 3) right after step N (1 to 10) of a migration, as a kill would,
/// so tests can check that a rerun finishes the work. Never set it
/// otherwise.
pub const EXIT_AFTER_STEP_HOOK: &str = "WARREN_TEST_MIGRATE_EXIT_AFTER_STEP";

/// What a migration tells its observer.
#[derive(Debug, Clone, PartialEq)]
pub enum MigrationEvent<'a> {
    /// A step begins.
    Step {
        queue: &'a str,
        step: MigrationStep,
        temporary: &'a str,
    },
    /// Messages moved so far by this step's shovels, of those there were
    /// when it began (the source's count), and the rate.
    Moved {
        queue: &'a str,
        direction: Direction,
        moved: u64,
        of: u64,
        per_second: f64,
    },
}

/// Why a migration stopped; every message is in the old queue or the
/// temporary one, and `apply --migrate` again finishes the work.
#[derive(Debug, thiserror::Error)]
pub enum MigrationFailed {
    #[error(
        "migration of queue '{queue}' in vhost '{vhost}' stopped at step {step} ({what}): {error}. Every message is in '{queue}' or '{temporary}'; run apply --migrate again to finish"
    )]
    Broker {
        vhost: String,
        queue: String,
        temporary: String,
        step: usize,
        what: String,
        error: Error,
    },
    #[error(
        "migration of queue '{queue}' in vhost '{vhost}' stopped at step {step}: shovel '{shovel}' could not run ({reason}); it was removed, and every message is in '{queue}' or '{temporary}'"
    )]
    ShovelFailed {
        vhost: String,
        queue: String,
        temporary: String,
        step: usize,
        shovel: String,
        reason: String,
    },
    #[error(
        "migration of queue '{queue}' in vhost '{vhost}' stopped at step {step}: {left} message{} stayed in '{from}' for {seconds} s, held unacknowledged by its consumers. Every message is in '{queue}' or '{temporary}': let the consumers acknowledge them (or stop them), then run apply --migrate again (--migrate-stall-timeout sets the wait)",
        plural(*.left)
    )]
    Stalled {
        vhost: String,
        queue: String,
        temporary: String,
        step: usize,
        /// The queue whose messages did not move.
        from: String,
        left: u64,
        seconds: u64,
    },
    #[error(
        "migration of queue '{queue}' in vhost '{vhost}' stopped by {signal} before step {step}. Every message is in '{queue}' or '{temporary}'; run apply --migrate again to finish"
    )]
    Stopped {
        vhost: String,
        queue: String,
        temporary: String,
        step: usize,
        signal: &'static str,
    },
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What a shovel step ran into.
enum DrainError {
    Broker(Error),
    Shovel {
        shovel: String,
        reason: String,
    },
    /// The source's count did not change for the stall timeout, with no
    /// shovel running: what is left is held by its consumers.
    Stalled {
        source: String,
        left: u64,
        seconds: u64,
    },
}

impl From<Error> for DrainError {
    fn from(error: Error) -> DrainError {
        DrainError::Broker(error)
    }
}

/// Carries out `migration`'s steps in order, telling `observe` as it goes.
/// `stopped` is asked before each step: a signal ends the migration
/// between two steps, where a rerun takes over. A move whose source count
/// stays the same for `stall` (its consumers hold what is left) stops it.
pub async fn migrate_queue(
    client: &Client,
    migration: &Migration,
    stall: Duration,
    observe: &(dyn Fn(MigrationEvent<'_>) + Sync),
    stopped: &(dyn Fn() -> Option<&'static str> + Sync),
) -> Result<(), MigrationFailed> {
    let exit_after: Option<usize> = std::env::var(EXIT_AFTER_STEP_HOOK)
        .ok()
        .and_then(|v| v.parse().ok());
    for &step in &migration.steps {
        if let Some(signal) = stopped() {
            return Err(MigrationFailed::Stopped {
                vhost: migration.vhost.clone(),
                queue: migration.queue.clone(),
                temporary: migration.temporary.name.clone(),
                step: step.number(),
                signal,
            });
        }
        observe(MigrationEvent::Step {
            queue: &migration.queue,
            step,
            temporary: &migration.temporary.name,
        });
        run_step(client, migration, step, stall, observe)
            .await
            .map_err(|e| failed(migration, step, e))?;
        if exit_after == Some(step.number()) {
            std::process::exit(3);
        }
    }
    Ok(())
}

fn failed(migration: &Migration, step: MigrationStep, error: DrainError) -> MigrationFailed {
    match error {
        DrainError::Broker(error) => MigrationFailed::Broker {
            vhost: migration.vhost.clone(),
            queue: migration.queue.clone(),
            temporary: migration.temporary.name.clone(),
            step: step.number(),
            what: step.describe(&migration.queue, &migration.temporary.name),
            error,
        },
        DrainError::Shovel { shovel, reason } => MigrationFailed::ShovelFailed {
            vhost: migration.vhost.clone(),
            queue: migration.queue.clone(),
            temporary: migration.temporary.name.clone(),
            step: step.number(),
            shovel,
            reason,
        },
        DrainError::Stalled {
            source,
            left,
            seconds,
        } => MigrationFailed::Stalled {
            vhost: migration.vhost.clone(),
            queue: migration.queue.clone(),
            temporary: migration.temporary.name.clone(),
            step: step.number(),
            from: source,
            left,
            seconds,
        },
    }
}

async fn run_step(
    client: &Client,
    m: &Migration,
    step: MigrationStep,
    stall: Duration,
    observe: &(dyn Fn(MigrationEvent<'_>) + Sync),
) -> Result<(), DrainError> {
    let (vhost, queue, temporary) = (&m.vhost, &m.queue, &m.temporary.name);
    // Quorum or not, as the old queue was: the temporary queue is quorum
    // exactly when the old one was.
    let old_is_quorum = QueueType::of_normal(&m.temporary) == Some(QueueType::Quorum);
    match step {
        MigrationStep::DeclareTemporary => client.put_queue(&m.temporary).await?,
        MigrationStep::BindTemporary => copy_bindings(client, vhost, queue, temporary).await?,
        MigrationStep::UnbindQueue => remove_bindings(client, vhost, queue).await?,
        MigrationStep::MoveOut => {
            drain(client, m, Direction::Out, old_is_quorum, stall, observe).await?;
        }
        MigrationStep::DeleteQueue => {
            delete_when_empty(client, m, Direction::Out, old_is_quorum, stall, observe).await?;
        }
        MigrationStep::DeclareQueue => client.put_queue(&m.after).await?,
        MigrationStep::BindQueue => copy_bindings(client, vhost, temporary, queue).await?,
        MigrationStep::UnbindTemporary => remove_bindings(client, vhost, temporary).await?,
        MigrationStep::MoveBack => {
            drain(client, m, Direction::Back, old_is_quorum, stall, observe).await?;
        }
        MigrationStep::DeleteTemporary => {
            delete_when_empty(client, m, Direction::Back, old_is_quorum, stall, observe).await?;
        }
    }
    Ok(())
}

/// Binds `to` to everything `from` is bound to (the default exchange's
/// implicit binding aside).
async fn copy_bindings(client: &Client, vhost: &str, from: &str, to: &str) -> Result<(), Error> {
    for (binding, _) in client.queue_bindings(vhost, from).await? {
        client
            .bind(&Binding {
                destination: to.to_string(),
                ..binding
            })
            .await?;
    }
    Ok(())
}

async fn remove_bindings(client: &Client, vhost: &str, queue: &str) -> Result<(), Error> {
    for (binding, key) in client.queue_bindings(vhost, queue).await? {
        client.unbind(&binding, &key).await?;
    }
    Ok(())
}

/// The source, the destination and the destination's declaration of a
/// move `direction`.
fn ends(m: &Migration, direction: Direction) -> (&str, &Queue) {
    match direction {
        Direction::Out => (&m.queue, &m.temporary),
        Direction::Back => (&m.temporary.name, &m.after),
    }
}

/// Moves every message of the source to the destination: a shovel pass
/// (or the one a stopped apply left running) at a time, until the source
/// reads empty (a quorum source: twice, a count lag apart). Done when the
/// source is gone. Messages a consumer holds unacknowledged are not the
/// shovel's to move: it waits for them to be acknowledged or requeued,
/// until the source's count has stayed the same for `stall`.
async fn drain(
    client: &Client,
    m: &Migration,
    direction: Direction,
    source_is_quorum: bool,
    stall: Duration,
    observe: &(dyn Fn(MigrationEvent<'_>) + Sync),
) -> Result<(), DrainError> {
    let (source, destination) = ends(m, direction);
    let vhost = &m.vhost;
    let shovel = shovel_name(&m.queue, direction);
    let started = Instant::now();
    let Some(first) = client.queue_count(vhost, source).await? else {
        return Ok(());
    };
    let of = first.messages.unwrap_or(0);
    let report = |left: u64| {
        let moved = of.saturating_sub(left);
        let seconds = started.elapsed().as_secs_f64().max(0.001);
        observe(MigrationEvent::Moved {
            queue: &m.queue,
            direction,
            moved,
            of,
            per_second: moved as f64 / seconds,
        });
    };
    // The source's count when it last changed, and since when.
    let mut unchanged: Option<(u64, Instant)> = None;
    loop {
        if !client.shovel_exists(vhost, &shovel).await? {
            let Some(count) = client.queue_count(vhost, source).await? else {
                return Ok(());
            };
            let left = count.messages.unwrap_or(0);
            if left == 0 {
                if !source_is_quorum || settled_empty(client, vhost, source).await? {
                    report(0);
                    return Ok(());
                }
                continue;
            }
            match unchanged {
                Some((count, since)) if count == left => {
                    if since.elapsed() >= stall {
                        return Err(DrainError::Stalled {
                            source: source.to_string(),
                            left,
                            seconds: stall.as_secs(),
                        });
                    }
                    // Nothing moved last time: what is left is held by
                    // consumers; look again in a second, not at once.
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                _ => unchanged = Some((left, Instant::now())),
            }
            client
                .put_moving_shovel(
                    vhost,
                    &shovel,
                    source,
                    &destination.name,
                    &destination.arguments,
                )
                .await?;
        }
        wait_for_shovel(client, vhost, &shovel, source, &report).await?;
        tokio::time::sleep(POLL).await;
    }
}

/// True when a quorum queue that read 0 still reads 0 a count lag later.
async fn settled_empty(client: &Client, vhost: &str, queue: &str) -> Result<bool, Error> {
    tokio::time::sleep(QUORUM_COUNT_LAG).await;
    Ok(client
        .queue_count(vhost, queue)
        .await?
        .is_none_or(|c| c.messages.unwrap_or(0) == 0))
}

/// Waits until shovel `shovel` has deleted itself (it moved what its
/// source held when it started). A shovel that stays terminated is
/// removed and reported: what it did not move is still in its source.
async fn wait_for_shovel(
    client: &Client,
    vhost: &str,
    shovel: &str,
    source: &str,
    report: &impl Fn(u64),
) -> Result<(), DrainError> {
    let mut last_status = Instant::now();
    let mut terminated_since: Option<Instant> = None;
    let mut last_report = Instant::now();
    let mut empty_reads = 0;
    while client.shovel_exists(vhost, shovel).await? {
        tokio::time::sleep(POLL).await;
        if last_report.elapsed() >= Duration::from_secs(1) {
            last_report = Instant::now();
            let left = client
                .queue_count(vhost, source)
                .await?
                .map_or(0, |c| c.messages.unwrap_or(0));
            report(left);
            // A consumer of the source took some of the messages the
            // shovel counted on: it waits for more that never come.
            // Stopping it loses nothing (it acknowledges only what was
            // confirmed); the caller looks at the source again.
            empty_reads = if left == 0 { empty_reads + 1 } else { 0 };
            if empty_reads >= STARVED_AFTER_EMPTY_READS {
                client.delete_shovel(vhost, shovel).await?;
                return Ok(());
            }
        }
        if last_status.elapsed() < Duration::from_secs(2) {
            continue;
        }
        last_status = Instant::now();
        match client.shovel_status(vhost, shovel).await? {
            Some(status) if status.state == "terminated" => {
                let since = *terminated_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= SHOVEL_DEAD_AFTER {
                    client.delete_shovel(vhost, shovel).await?;
                    return Err(DrainError::Shovel {
                        shovel: shovel.to_string(),
                        reason: status.reason.unwrap_or_else(|| "terminated".into()),
                    });
                }
            }
            _ => terminated_since = None,
        }
    }
    Ok(())
}

/// Deletes the source of a move once it is empty: moves what came since,
/// then deletes; a classic queue with `if-empty`, which the broker checks
/// live (a refusal moves again); a quorum queue, which refuses that guard,
/// after its count settled at 0.
async fn delete_when_empty(
    client: &Client,
    m: &Migration,
    direction: Direction,
    source_is_quorum: bool,
    stall: Duration,
    observe: &(dyn Fn(MigrationEvent<'_>) + Sync),
) -> Result<(), DrainError> {
    let (source, _) = ends(m, direction);
    loop {
        drain(client, m, direction, source_is_quorum, stall, observe).await?;
        let mode = if source_is_quorum {
            DeleteQueue::Force
        } else {
            DeleteQueue::IfEmpty
        };
        match client.delete_queue(&m.vhost, source, mode).await {
            Ok(()) => return Ok(()),
            Err(e) if e.is_queue_not_empty() => continue,
            Err(e) => return Err(e.into()),
        }
    }
}
