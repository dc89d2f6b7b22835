//! What every test binary (and every bench) shares, written once: each includes this module with
//! `#[path = "../support/mod.rs"] mod support;` and uses the part it needs.
//!
//! - [`helper`]: this binary re-executed to hold exactly N fds (the ignored test below is its
//!   entry point in a test binary);
//! - [`python`]: a `python3` child for what Rust helpers would need many crates for (sockets in
//!   every TCP state, epolls, eventfds);
//! - [`rerun`]: one test of this binary run again alone, as `nobody`, or in a private mount
//!   namespace; [`seccomp`]: the filters such a run may install;
//! - [`alloc`]: the counting global allocator of the zero-allocation tests (installed by the
//!   binaries that hold such tests);
//! - [`truth`]: figures read from `/proc` text and syscalls, never through procfast;
//! - [`fixtures`]: this machine's /proc files in `tests/fixtures`;
//! - [`mutations`]: the case counts and random edits of the property tests;
//! - [`prometheus`]: the text exposition format, promtool and a real Prometheus server;
//! - [`child`]: a child's first line of output;
//! - [`row_of`]: the row of one process in a scan.
#![allow(dead_code)] // Each binary uses the part it needs.

pub mod alloc;
pub mod child;
pub mod fixtures;
pub mod helper;
pub mod mutations;
pub mod prometheus;
pub mod python;
pub mod rerun;
pub mod seccomp;
pub mod truth;

/// The entry point of [`helper`] processes: the running test binary re-executed to run this
/// test alone (see [`helper::HELPER_TEST`]).
#[test]
#[ignore = "helper process, started by the other tests"]
fn helper_process() {
    helper::helper_main()
}

/// The row of `pid` in one unlimited scan, if it has one, and the summary.
pub fn row_of(
    scanner: &mut procfast::Scanner,
    pid: i32,
) -> (Option<procfast::Row>, procfast::ScanSummary) {
    let mut found = None;
    let summary = scanner
        .scan(&procfast::Budget::UNLIMITED, |row| {
            if row.pid == pid {
                found = Some(*row);
            }
            std::ops::ControlFlow::Continue(())
        })
        .expect("a scan never fails on a process's fate");
    (found, summary)
}
