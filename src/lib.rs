//! Read Linux `/proc` fast: fd counts in one syscall, bounded walks, no allocation in steady state.
//!
//! # Overview
//!
//! A process holding a million sockets has a million entries in `/proc/<pid>/fd`. Counting them
//! by listing the directory, one allocated name per entry, is what made a widely used process
//! collector time out. procfast counts them with one `fstat` on a held directory handle (Linux
//! ≥ 6.2 reports the count in `st_size`), and where it must walk, it walks with `getdents64` into
//! a reused buffer, under a [`Budget`], allocating nothing.
//!
//! # Example
//!
//! ```
//! use procfast::{Budget, Method, Proc};
//! use std::time::Duration;
//!
//! // A handle on a process: it keeps referring to that process even if its pid is reused.
//! let mut me = Proc::myself()?;
//!
//! // One fstat on Linux >= 6.2, whatever the count; a walk otherwise.
//! let fds = me.fd_count()?;
//! println!("{} open fds, counted by {}", fds.count, fds.method);
//!
//! // Early termination: "at least N?" never walks further than N entries.
//! assert!(me.fds_at_least(1)?);
//!
//! // A walk bounded in entries and time; a stopped walk is a lower bound, not an error.
//! let budget = Budget::entries(100_000).and_within(Duration::from_millis(10));
//! let walked = me.fd_count_with(Method::Walk, &budget)?;
//! if !walked.is_complete() {
//!     println!("at least {} fds", walked.count);
//! }
//! # Ok::<(), procfast::Error>(())
//! ```
//!
//! # Why it is fast
//!
//! - **Hold, don't reopen.** [`Proc`] keeps a directory fd of `/proc/<pid>` and opens what it reads
//!   below it once; later calls are one syscall each (`fstat`, or `pread` at offset 0).
//! - **Ask the kernel for the count.** `st_size` of `/proc/<pid>/fd` is a popcount of the fd
//!   bitmap, one 64-bit word per 64 fds: under a microsecond at 10 fds or 19,000. `st_size == 0` is ambiguous (an old kernel, or no
//!   fds at all), so [`Method::Auto`] walks then.
//! - **Walk without garbage.** A walk's cost is the kernel's (about 0.9 µs per entry); procfast adds no
//!   allocation per entry, and a [`Budget`] (entries, deadline) or a visitor's `Break` bounds it.
//!
//! # Errors
//!
//! One small `Copy` type, [`Error`]: [`Error::Gone`] when the process has exited, is a zombie or
//! has begun to exit (its fd table is being emptied: a count of it would be a wrong number),
//! [`Error::Denied`] for another user's process, [`Error::CrossedMount`] where a mount is stacked
//! over a /proc entry (a forged file is never read), [`Error::NotInMount`] for a host file the
//! mount does not show, [`Error::NotProcfs`] for a directory that is not the root of a procfs,
//! [`Error::Parse`] naming the file and field. A stopped walk is never an error.
//!
//! # Permissions
//!
//! `stat` of `/proc/<pid>/fd` reports the count even where listing the directory is denied
//! (another user's process): that is the kernel's choice. So [`Method::Stat`] and
//! [`Method::Auto`] count such processes, while [`Method::Walk`] returns [`Error::Denied`].
//!
//! # Beyond fd counts
//!
//! - [`Proc::stat`], [`Proc::status`], [`Proc::limits`], … and [`System`] re-read held files
//!   with `pread` at offset 0 into a capped [`ReadBuf`] and return [`parse`] views borrowing it;
//!   [`Proc::cmdline`], [`Proc::exe`], [`Proc::smaps_rollup`] and [`Proc::read_file`] reach the
//!   rest of `/proc/<pid>` through the same pid-reuse-safe handle.
//! - [`ProcessMetrics`] reads the Prometheus process collector's metric set and writes it in the
//!   text format; with feature `prometheus-client`, `ProcessCollector` plugs it into that crate.
//! - [`Scanner`] scans every process for just the [`Fields`] asked for, under a [`Budget`], with
//!   exits and denials counted rather than raised.
//!
//! # Crate features
//!
//! - `prometheus-client`: `ProcessCollector`, a `prometheus_client::collector::Collector`.
//! - `prometheus`: `prometheus::ProcessCollector`, a `prometheus::core::Collector` for the
//!   tikv `prometheus` crate (which needs Rust 1.81; the rest of procfast, 1.77).
//! - `metrics`: `metrics_rs::ProcessRecorder`, which records the set into the `metrics` facade.
//!
//! # Layers
//!
//! [`parse`] is pure (bytes in, borrowed views out, never panics, never allocates); the private
//! `sys` module holds every syscall and the only exceptions to `#![deny(unsafe_code)]`;
//! everything else is a thin layer on the two.
#![deny(unsafe_code)]
#![deny(missing_docs)]

#[cfg(not(target_os = "linux"))]
compile_error!("procfast reads Linux /proc and builds only for target_os = \"linux\"");

mod budget;
mod collect;
mod count;
mod error;
mod held;
#[cfg(feature = "metrics")]
pub mod metrics_rs;
pub mod parse;
mod proc;
#[cfg(feature = "prometheus")]
pub mod prometheus;
#[cfg(feature = "prometheus-client")]
mod prometheus_client;
mod scan;
mod sys;
mod system;
mod tcp;
mod walk;

#[cfg(feature = "prometheus-client")]
pub use self::prometheus_client::ProcessCollector;
pub use budget::{Budget, Stop, Walk};
pub use collect::{Metric, MetricKind, ProcessMetrics, ProcessSnapshot, TextError, Value};
pub use count::{FdCount, Method};
pub use error::{Error, Result};
pub use proc::{Proc, ProcFs};
pub use scan::{Fields, Row, ScanSummary, Scanner, SortKey, TopRows, COMM_CAP, WCHAN_CAP};
pub use sys::{DirBuf, ReadBuf};
pub use system::{clock_ticks_per_second, page_size, System};
pub use tcp::{TcpCensus, TcpCount, TcpMethod, TcpSocket};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
