//! A [`Collector`] for the tikv `prometheus` crate (feature `prometheus`).
//!
//! procfast has three client integrations, one per feature, all exporting the same metric set:
//!
//! | feature             | client crate           | type                                  |
//! |---------------------|------------------------|---------------------------------------|
//! | `prometheus-client` | `prometheus-client`    | `procfast::ProcessCollector`          |
//! | `prometheus`        | `prometheus` (tikv)    | [`procfast::prometheus::ProcessCollector`] |
//! | `metrics`           | `metrics` (metrics-rs) | `procfast::metrics_rs::ProcessRecorder` |
//!
//! [`procfast::prometheus::ProcessCollector`]: ProcessCollector

use crate::collect::{MetricKind, ProcessMetrics, ProcessSnapshot, TextError, Value};
use crate::error::Error;
use core::fmt;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{Counter, Gauge, Opts};
use std::sync::{Arc, Mutex, MutexGuard};

/// The process collector for the tikv `prometheus` crate: a drop-in for that crate's own
/// `prometheus::process_collector::ProcessCollector` (feature `process`), with exact values.
///
/// Register it and every gather exports client_golang's process metric set, read afresh from a
/// held, pid-reuse-safe handle:
///
/// ```
/// use prometheus::{Encoder, Registry, TextEncoder};
/// use procfast::prometheus::ProcessCollector;
///
/// let registry = Registry::new();
/// let collector = ProcessCollector::for_self()?;
/// // Clones share the handle and the last error: keep one to read it.
/// registry.register(Box::new(collector.clone())).unwrap();
///
/// let mut text = Vec::new();
/// TextEncoder::new().encode(&registry.gather(), &mut text).unwrap();
/// let text = String::from_utf8(text).unwrap();
/// assert!(text.contains("# TYPE process_cpu_seconds_total counter\n"));
/// assert!(text.contains("\nprocess_open_fds "));
/// assert_eq!(collector.last_error(), None);
/// # Ok::<(), procfast::prometheus::NewError>(())
/// ```
///
/// If the process has exited (or a read fails), a gather exports none of its samples and the
/// error is kept for [`last_error`](ProcessCollector::last_error): a missing sample, never a
/// panic or a failed gather. A figure the caller may not read (another user's process) is left
/// out on its own.
///
/// # Metrics
///
/// `process_cpu_seconds_total` (counter), `process_open_fds`, `process_max_fds`,
/// `process_virtual_memory_bytes`, `process_virtual_memory_max_bytes`,
/// `process_resident_memory_bytes`, `process_start_time_seconds`, `process_threads` (gauges),
/// and with [`ProcessMetrics::with_network`] `process_network_receive_bytes_total` and
/// `process_network_transmit_bytes_total` (counters). Names, help texts and types are
/// client_golang's, which are the crate's own collector's for the seven it has. A namespace
/// prefixes every name with `namespace_`, as the crate's `Opts::namespace` does.
///
/// # Differences from `prometheus::process_collector::ProcessCollector`
///
/// - **CPU seconds are exact.** The crate's collector exports `(utime + stime) / CLK_TCK` in
///   integer arithmetic, so whole seconds: a process that used 1.99 s reports 1, and a
///   `rate()` of a lightly loaded process is a staircase. This one exports the tick count
///   divided by the real tick rate as an `f64` (10 ms steps at the usual 100 Hz).
/// - **The start time is the collected process's, to the tick.** The crate's collector reads
///   the start time once, when it is created, from `/proc/self/stat`, whatever `pid` it was
///   given, and divides the ticks in integer arithmetic: for another process it reports the
///   collecting process's start, truncated to the second. This one reports boot time + the
///   process's own `starttime` ticks ÷ `CLK_TCK`, fractional.
/// - **One more gauge, and optional network counters.** `process_virtual_memory_max_bytes`
///   (the soft `RLIMIT_AS`) is exported, as client_golang does; the crate's collector omits it.
///   It is usually unlimited, exported as `+Inf`; the crate's `TextEncoder` writes that as
///   `inf`, which Prometheus and promtool parse as `+Inf` (Go's `ParseFloat` accepts both). The
///   network counters are opt-in through [`with_metrics`](ProcessCollector::with_metrics).
/// - **A figure that cannot be read is left out.** The crate's collector keeps its values in
///   gauges and exports every gauge on every gather: a figure it could not read this time (the
///   fd count of a process whose fd directory is denied, memory and threads when `stat` fails)
///   is exported with the last value it read, or 0 if it never could. This one exports only
///   what the current gather read.
/// - **Held handles, safe from pid reuse.** The crate's collector opens `/proc/<pid>` afresh on
///   every gather and reads `stat` and `limits` by path: once the process has exited and its
///   pid is reused, it reports the new process. This one re-reads handles held since it was
///   created (a `pread` of `stat`, an `fstat` of `fd`, `getrlimit` or `prlimit`), and for a
///   process that is gone exports nothing and keeps [`Error::Gone`].
/// - **Construction can fail.** [`new`](ProcessCollector::new) opens the process (and checks
///   the namespace) when called and returns an error rather than panicking on an invalid
///   namespace; the handle then keeps naming that process even if its pid is reused.
/// - **Do not also register the crate's own.** Both describe `process_*` with the same
///   names: registering this one into a registry that holds the crate's collector (such as
///   `prometheus::default_registry()` when the crate's `process` feature is on) fails with
///   `AlreadyReg`. Use this one instead of the crate's `process` feature.
#[derive(Clone, Debug)]
pub struct ProcessCollector {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    descs: Vec<Desc>,
    families: Vec<Family>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    metrics: ProcessMetrics,
    last_error: Option<Error>,
}

/// One metric of the set, named without namespace (to match [`crate::collect::Metric::name`]).
#[derive(Debug)]
struct Family {
    name: &'static str,
    metric: Metric,
}

#[derive(Debug)]
enum Metric {
    Counter(Counter),
    Gauge(Gauge),
}

impl ProcessCollector {
    /// Collects the calling process, without namespace: the crate's
    /// `ProcessCollector::for_self()`.
    ///
    /// [`NewError::Open`] if `/proc/self` cannot be opened (a /proc that is not mounted, say).
    pub fn for_self() -> Result<ProcessCollector, NewError> {
        let metrics = ProcessMetrics::myself().map_err(NewError::Open)?;
        Ok(ProcessCollector::with_metrics(metrics, "")?)
    }

    /// Collects process `pid`, every name prefixed with `namespace_` (none if `namespace` is
    /// empty): the crate's `ProcessCollector::new(pid, namespace)`.
    ///
    /// The process is opened now: [`NewError::Open`] if it cannot be (it does not exist, say),
    /// [`NewError::Namespace`] if `namespace` would not make valid metric names.
    ///
    /// ```
    /// use procfast::prometheus::{NewError, ProcessCollector};
    ///
    /// let me = std::process::id() as i32;
    /// assert!(ProcessCollector::new(me, "app").is_ok());
    /// assert!(matches!(ProcessCollector::new(me, "my-app"), Err(NewError::Namespace(_))));
    /// ```
    pub fn new(pid: i32, namespace: impl Into<String>) -> Result<ProcessCollector, NewError> {
        let namespace = namespace.into();
        // Checked first, so an invalid namespace is reported whatever the pid.
        ProcessSnapshot::check_namespace(&namespace)?;
        let metrics = ProcessMetrics::open(pid).map_err(NewError::Open)?;
        Ok(ProcessCollector::with_metrics(metrics, namespace)?)
    }

    /// Collects through `metrics` (a [`Proc`](crate::proc::Proc) of another procfs mount, or with
    /// network counters), every name prefixed with `namespace_` (none if it is empty).
    ///
    /// [`TextError::InvalidNamespace`] if `namespace` does not match
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    ///
    /// ```
    /// use procfast::prometheus::ProcessCollector;
    /// use procfast::ProcessMetrics;
    ///
    /// let metrics = ProcessMetrics::myself()?.with_network(true);
    /// let collector = ProcessCollector::with_metrics(metrics, "app").unwrap();
    /// let registry = prometheus::Registry::new();
    /// registry.register(Box::new(collector)).unwrap();
    /// let names: Vec<String> = registry.gather().iter().map(|f| f.name().to_string()).collect();
    /// assert!(names.iter().any(|n| n == "app_process_network_receive_bytes_total"));
    /// # Ok::<(), procfast::Error>(())
    /// ```
    pub fn with_metrics(
        metrics: ProcessMetrics,
        namespace: impl Into<String>,
    ) -> Result<ProcessCollector, TextError> {
        let namespace = namespace.into();
        ProcessSnapshot::check_namespace(&namespace)?;
        let mut families = Vec::new();
        for figure in ProcessSnapshot::EVERY_FIGURE.metrics() {
            let opts = Opts::new(figure.name, figure.help).namespace(namespace.clone());
            // The crate refuses only invalid names (and empty help): with a valid namespace,
            // none of these.
            let metric = match figure.kind {
                MetricKind::Counter => Counter::with_opts(opts).map(Metric::Counter),
                MetricKind::Gauge => Gauge::with_opts(opts).map(Metric::Gauge),
            }
            .map_err(|_| TextError::InvalidNamespace)?;
            families.push(Family {
                name: figure.name,
                metric,
            });
        }
        let descs = families
            .iter()
            .flat_map(|family| match &family.metric {
                Metric::Counter(c) => c.desc(),
                Metric::Gauge(g) => g.desc(),
            })
            .cloned()
            .collect();
        Ok(ProcessCollector {
            inner: Arc::new(Inner {
                descs,
                families,
                state: Mutex::new(State {
                    metrics,
                    last_error: None,
                }),
            }),
        })
    }

    /// The error of the most recent gather, if it failed; `None` after a successful one (and
    /// before the first).
    pub fn last_error(&self) -> Option<Error> {
        self.lock().last_error
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves nothing half-written that matters.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Collector for ProcessCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.inner.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        // Held to the end: two gathers at once must not interleave their writes of the values.
        let mut state = self.lock();
        let snapshot = state.metrics.snapshot();
        state.last_error = snapshot.err();
        let Ok(snapshot) = snapshot else {
            return Vec::new();
        };
        let mut families = Vec::with_capacity(self.inner.families.len());
        for metric in snapshot.metrics() {
            let Some(family) = self.inner.families.iter().find(|f| f.name == metric.name) else {
                continue;
            };
            let value = match metric.value {
                Value::Int(v) => v as f64,
                Value::Float(v) => v,
            };
            match &family.metric {
                Metric::Counter(counter) => {
                    // Set, not added: the value is the kernel's cumulative figure.
                    counter.reset();
                    counter.inc_by(value);
                    families.extend(counter.collect());
                }
                Metric::Gauge(gauge) => {
                    gauge.set(value);
                    families.extend(gauge.collect());
                }
            }
        }
        families
    }
}

/// Why [`ProcessCollector::new`] could not make a collector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NewError {
    /// The process could not be opened (see [`Error`]).
    Open(Error),
    /// The namespace would not make valid metric names.
    Namespace(TextError),
}

impl From<TextError> for NewError {
    fn from(e: TextError) -> NewError {
        NewError::Namespace(e)
    }
}

impl fmt::Display for NewError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NewError::Open(e) => write!(f, "opening the process: {e}"),
            NewError::Namespace(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for NewError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NewError::Open(e) => Some(e),
            NewError::Namespace(e) => Some(e),
        }
    }
}
