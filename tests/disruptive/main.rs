//! The tests that disturb the broker for everyone using it: one stops it
//! in the middle of an apply, the others put a fault-injecting proxy in
//! front of it and load it with many scenarios at once. They run in a
//! binary of their own, after the broker binary (cargo runs test binaries
//! one after another).

#[path = "../common/mod.rs"]
mod common;

mod broker_restart;
mod faults;
