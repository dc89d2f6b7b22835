//! Live truth tests of the process handle, against helper processes holding known fds, sockets
//! and threads:
//!
//! - [`fd_count`]: fd and thread counts by every method, budgets, exits, another user's process;
//! - [`fd_kinds`]: fds by kind against a readlink-every-fd oracle;
//! - [`files`]: the held files of `Proc` and `System`, the links and the thread list;
//! - [`churn`]: counting while another thread opens and closes fds;
//! - [`adversary`]: exiting processes, zombies, reused pids, forged mounts, other pid namespaces,
//!   `subset=pid` and `hidepid` mounts;
//! - [`tcp`]: the TCP census against `ss` and a naive `/proc/net/tcp` reading;
//! - [`allocations`]: none of the above allocates once warmed up (this binary installs the
//!   counting allocator).

#[path = "../support/mod.rs"]
mod support;

mod adversary;
mod allocations;
mod churn;
mod fd_count;
mod fd_kinds;
mod files;
mod tcp;

#[global_allocator]
static GLOBAL: support::alloc::Counting = support::alloc::Counting;
