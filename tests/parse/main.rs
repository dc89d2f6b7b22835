//! The pure parsers of `procfast::parse`, one module per family of /proc files, each holding
//! every check of its files: this machine's files as fixtures, round trips of random valid
//! records, the live files of every process compared with the `procfs` crate on the same bytes,
//! agreement with a naive oracle on mutated and arbitrary bytes, and zero allocations:
//!
//! - [`collector`]: the process collector's files (`stat`, `statm`, `status`, `limits`, `io`,
//!   `net/dev`) and `System`'s first ones (`/proc/stat`, `meminfo`, `loadavg`, `sockstat`,
//!   `file-nr`), and the `getdents64` decoder;
//! - [`host`]: `vmstat`, `diskstats`, `pressure`, `uptime`, `snmp` and `netstat`;
//! - [`agent`]: `schedstat`, `cgroup`, `oom_score`, `oom_score_adj`, `/proc/sys` values,
//!   `environ` and `status`'s `NSpid`;
//! - [`cgroup_identity`]: the pod, container and systemd unit of a cgroup path;
//! - [`tcp`]: `/proc/net/tcp{,6}` and `NETLINK_SOCK_DIAG` replies;
//! - [`oracle`]: the naive oracles, shared with the fuzz targets.
//!
//! This binary installs the counting allocator of the zero-allocation tests. Proptest keeps the
//! seeds of past failures of each module in `tests/proptest-regressions/<module>.txt`.

#[path = "../support/mod.rs"]
mod support;

mod agent;
mod cgroup_identity;
mod collector;
mod host;
mod oracle;
mod tcp;

#[global_allocator]
static GLOBAL: support::alloc::Counting = support::alloc::Counting;

/// The file a parse error names; panics on anything but a parse error.
fn file_of<T>(result: Result<T, procfast::Error>) -> &'static str {
    match result {
        Err(procfast::Error::Parse { file, .. }) => file,
        Err(other) => panic!("not a parse error: {other:?}"),
        Ok(_) => panic!("parsed"),
    }
}
