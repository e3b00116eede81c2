//! The tests that disturb the broker for everyone using it: one stops it
//! in the middle of an apply, the others put a fault-injecting proxy in
//! front of it and load it with many scenarios at once. They run in a
//! binary of their own, after the broker binary (cargo runs test binaries
//! one after another).

#[path = "../common/mod.rs"]
mod common;

mod broker_restart;
mod faults;
mod migrate_restart;
mod prune_users;

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The broker, as a lock between the tests of this binary: the restart
/// test stops it, which would break a fault scenario running at that
/// moment, so it holds the lock alone and the fault tests share it.
static BROKER: RwLock<()> = RwLock::new(());

/// For a test that needs the broker up while it runs.
fn broker_up() -> RwLockReadGuard<'static, ()> {
    BROKER.read().unwrap_or_else(PoisonError::into_inner)
}

/// For the test that stops the broker: waits for every other one.
fn broker_alone() -> RwLockWriteGuard<'static, ()> {
    BROKER.write().unwrap_or_else(PoisonError::into_inner)
}
