//! Live tests of the host-wide scan: exact figures for a known process, budgets, processes
//! exiting mid-scan, another user's view and kept handles.
//!
//! A binary of its own: [`rows`] ranks the host's processes by fds and wants its helper on top,
//! so no test holding more fds (those of `tests/live`) may run meanwhile.
//!
//! - [`rows`]: what a row holds;
//! - [`bounds`]: budgets, and the fds a scan holds;
//! - [`kept`]: kept handles and `scan_choosing`;
//! - [`owners`]: whose a process is, where the kernel shows its files as root's.

#[path = "../support/mod.rs"]
mod support;

mod bounds;
mod kept;
mod owners;
mod rows;

use std::sync::{Mutex, MutexGuard};

/// Held by the test that starts and reaps short-lived processes in a loop, and by the test that
/// wants every row of a scan to have its fds: a process between its exit and its reaping is a
/// zombie, whose row has none.
fn zombies() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
