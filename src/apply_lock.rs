//! Holding the apply lock of every vhost an apply changes (the broker's
//! `warren.apply-lock` queue, see [`crate::broker::LockOwner`]): taken in
//! name order before the broker is read for the plan, renewed every 15 s
//! while held, given back when the apply ends. A vhost whose lock another
//! apply holds refuses the apply, naming the holder, before anything is
//! read or changed; a holder that died stops holding 60 s after its last
//! renewal.
//!
//! Least privilege: taking a lock needs the configure permission on the
//! lock queue's name, which a pipeline that only manages policies may not
//! have (policymaker with an empty permission entry is enough for those).
//! There the apply goes on without the lock and the caller is told which
//! vhost is not locked and what to grant; a vhost that does not exist yet
//! (the apply creates it) is not locked either.
//!
//! It prints nothing: what could not be locked is returned.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::broker::{Client, Error as BrokerError, LOCK_EXPIRY_MS, LOCK_QUEUE, LockOwner, Locking};
use crate::execute::Stop;

/// How often a held lock is renewed: a quarter of its expiry.
const RENEW_EVERY: Duration = Duration::from_millis(LOCK_EXPIRY_MS / 4);

/// Why an apply does not start.
#[derive(Debug, thiserror::Error)]
pub enum LockRefusal {
    #[error(
        "vhost '{vhost}' is locked by another apply{}; nothing was changed: wait for it to end, then run apply again (the lock of an apply that died expires {} s after it last renewed it: queue {LOCK_QUEUE} in that vhost)",
        describe_holder(.holder.as_ref(), *.now),
        LOCK_EXPIRY_MS / 1000
    )]
    Held {
        vhost: String,
        holder: Option<LockOwner>,
        /// Seconds since the Unix epoch when it was found held.
        now: u64,
    },
    #[error(transparent)]
    Broker(#[from] BrokerError),
}

/// `: user 'ci' on host 'runner-3' (pid 4242), which took it 12 s ago`.
fn describe_holder(holder: Option<&LockOwner>, now: u64) -> String {
    match holder {
        Some(h) => format!(
            ": user '{}' on host '{}' (pid {}), which took it {} s ago",
            h.user,
            h.host,
            h.pid,
            now.saturating_sub(h.since)
        ),
        None => String::new(),
    }
}

/// A vhost the apply goes on without locking, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unlocked {
    pub vhost: String,
    /// The broker's refusal.
    pub reason: String,
}

/// The locks an apply holds; [`ApplyLock::release`] gives them back.
pub struct ApplyLock {
    client: Client,
    owner: LockOwner,
    vhosts: Vec<String>,
    renewing: Option<tokio::task::JoinHandle<()>>,
}

/// What gives an apply's locks back, for a task that ends the process
/// (a signal before any change).
#[derive(Clone)]
pub struct LockRelease {
    client: Client,
    owner: LockOwner,
    vhosts: Vec<String>,
}

impl LockRelease {
    /// Gives every lock back, each tried twice: a lock left behind holds
    /// off every other apply for a minute.
    pub async fn release(&self) {
        for vhost in &self.vhosts {
            for _ in 0..2 {
                if self.client.release_lock(vhost, &self.owner).await.is_ok() {
                    break;
                }
            }
        }
    }
}

impl ApplyLock {
    /// Takes the lock of each of `vhosts` for `client`'s user. A lock
    /// renewed too late and taken by another (the apply stalled for a
    /// minute) asks `stop` to stop the apply.
    pub async fn take(
        client: &Client,
        vhosts: &[String],
        stop: &Arc<Stop>,
    ) -> Result<(ApplyLock, Vec<Unlocked>), LockRefusal> {
        let mut lock = ApplyLock {
            client: client.clone(),
            owner: this_apply(client.username()),
            vhosts: Vec::new(),
            renewing: None,
        };
        let mut unlocked = Vec::new();
        let mut sorted = vhosts.to_vec();
        sorted.sort();
        sorted.dedup();
        for vhost in sorted {
            let mut taken = client.take_lock(&vhost, &lock.owner).await;
            if let Ok(Locking::HeldBy(Some(holder))) = &taken {
                if died_on_this_host(holder, &lock.owner) {
                    // Its process is gone: the lock would only expire.
                    let holder = holder.clone();
                    taken = match client.release_lock(&vhost, &holder).await {
                        Ok(()) => client.take_lock(&vhost, &lock.owner).await,
                        Err(e) => Err(e),
                    };
                }
            }
            let taken = match taken {
                Ok(taken) => taken,
                Err(e) => {
                    // The broker may have declared it before the answer
                    // failed (a timeout): given back too, if it is ours.
                    lock.vhosts.push(vhost);
                    lock.release().await;
                    return Err(e.into());
                }
            };
            match taken {
                Locking::Taken => lock.vhosts.push(vhost),
                Locking::NoVhost | Locking::NoAccess => {}
                Locking::NotPermitted(reason) => unlocked.push(Unlocked { vhost, reason }),
                Locking::HeldBy(holder) => {
                    lock.release().await;
                    return Err(LockRefusal::Held {
                        vhost,
                        holder,
                        now: now_secs(),
                    });
                }
            }
        }
        if !lock.vhosts.is_empty() {
            lock.renewing = Some(tokio::spawn(renew(
                client.clone(),
                lock.owner.clone(),
                lock.vhosts.clone(),
                Arc::clone(stop),
            )));
        }
        Ok((lock, unlocked))
    }

    /// The vhosts this apply holds the lock of.
    pub fn vhosts(&self) -> &[String] {
        &self.vhosts
    }

    /// What gives these locks back, from elsewhere.
    pub fn releaser(&self) -> LockRelease {
        LockRelease {
            client: self.client.clone(),
            owner: self.owner.clone(),
            vhosts: self.vhosts.clone(),
        }
    }

    /// Gives every lock back (see [`LockRelease::release`]). One that
    /// cannot be given back (the broker went away) expires on its own.
    pub async fn release(mut self) {
        if let Some(renewing) = self.renewing.take() {
            renewing.abort();
        }
        self.releaser().release().await;
        self.vhosts.clear();
    }
}

/// Renews the locks every [`RENEW_EVERY`]; one found in another's hands
/// stops the apply. A failed renewal is tried again at the next turn.
async fn renew(client: Client, owner: LockOwner, vhosts: Vec<String>, stop: Arc<Stop>) {
    loop {
        tokio::time::sleep(RENEW_EVERY).await;
        for vhost in &vhosts {
            if let Ok(Locking::HeldBy(_)) = client.take_lock(vhost, &owner).await {
                stop.request("losing the apply lock");
            }
        }
    }
}

/// Whether the apply holding a lock ran on this host as a process that is
/// gone (killed, or stopped with the broker it was writing to): its lock
/// is taken over at once instead of after its expiry. Holders elsewhere
/// are never judged.
fn died_on_this_host(holder: &LockOwner, me: &LockOwner) -> bool {
    holder.host == me.host
        && holder.pid != me.pid
        && cfg!(target_os = "linux")
        && !std::path::Path::new(&format!("/proc/{}", holder.pid)).exists()
}

/// Who this apply is: the user, this host and process, and now.
fn this_apply(user: &str) -> LockOwner {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "an unknown host".to_string());
    let pid = std::process::id();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    LockOwner {
        token: format!("{host}/{pid}/{nanos}"),
        user: user.to_string(),
        host,
        pid,
        since: now_secs(),
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_the_holder_and_what_to_do() {
        let holder = LockOwner {
            token: "t".into(),
            user: "ci".into(),
            host: "runner-3".into(),
            pid: 4242,
            since: 100,
        };
        let refusal = LockRefusal::Held {
            vhost: "orders".into(),
            holder: Some(holder),
            now: 112,
        };
        assert_eq!(
            refusal.to_string(),
            "vhost 'orders' is locked by another apply: user 'ci' on host 'runner-3' (pid 4242), which took it 12 s ago; nothing was changed: wait for it to end, then run apply again (the lock of an apply that died expires 60 s after it last renewed it: queue warren.apply-lock in that vhost)"
        );
    }
}
