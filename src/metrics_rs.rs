//! Records the process metric set into the metrics-rs facade, `metrics` (feature `metrics`).
//!
//! procfast has three client integrations, one per feature, all exporting the same metric set:
//!
//! | feature             | client crate           | type                                  |
//! |---------------------|------------------------|---------------------------------------|
//! | `prometheus-client` | `prometheus-client`    | `procfast::ProcessCollector`          |
//! | `prometheus`        | `prometheus` (tikv)    | `procfast::prometheus::ProcessCollector` |
//! | `metrics`           | `metrics` (metrics-rs) | [`procfast::metrics_rs::ProcessRecorder`] |
//!
//! [`procfast::metrics_rs::ProcessRecorder`]: ProcessRecorder

use crate::collect::{MetricKind, ProcessMetrics, ProcessSnapshot, TextError, Value};
use metrics::{SharedString, Unit};
use std::sync::Arc;

/// Records client_golang's process metric set into whatever `metrics` recorder is installed
/// (metrics-exporter-prometheus, say): the counterpart of the `metrics-process` crate's
/// `Collector`, with exact values.
///
/// It is not itself a [`metrics::Recorder`]: call [`describe`](ProcessRecorder::describe) once
/// after installing one, and [`record`](ProcessRecorder::record) whenever the figures should be
/// fresh, typically just before each render or on a timer. Each `record` re-reads held,
/// pid-reuse-safe handles.
///
/// ```
/// use metrics_exporter_prometheus::PrometheusBuilder;
/// use procfast::metrics_rs::ProcessRecorder;
///
/// // In an application: `let handle = PrometheusBuilder::new().install_recorder()?;` and no
/// // `with_local_recorder`.
/// let recorder = PrometheusBuilder::new().build_recorder();
/// let handle = recorder.handle();
/// let mut process = ProcessRecorder::myself()?;
/// metrics::with_local_recorder(&recorder, || {
///     process.describe();
///     process.record()
/// })?;
/// let text = handle.render();
/// assert!(text.contains("# TYPE process_cpu_seconds_total counter\n"));
/// assert!(text.contains("# TYPE process_open_fds gauge\n"));
/// # Ok::<(), procfast::Error>(())
/// ```
///
/// # Metrics
///
/// | name                                   | type    | value                                   |
/// |----------------------------------------|---------|-----------------------------------------|
/// | `process_cpu_seconds_total`            | counter | user + system CPU, **whole** seconds    |
/// | `process_cpu_microseconds_total`       | counter | the same, exact, in microseconds        |
/// | `process_open_fds`                     | gauge   |                                         |
/// | `process_max_fds`                      | gauge   | soft `RLIMIT_NOFILE`, `+Inf` unlimited  |
/// | `process_virtual_memory_bytes`         | gauge   |                                         |
/// | `process_virtual_memory_max_bytes`     | gauge   | soft `RLIMIT_AS`, `+Inf` unlimited      |
/// | `process_resident_memory_bytes`        | gauge   |                                         |
/// | `process_start_time_seconds`           | gauge   | fractional seconds since the epoch      |
/// | `process_threads`                      | gauge   |                                         |
/// | `process_network_receive_bytes_total`  | counter | with [`ProcessMetrics::with_network`]   |
/// | `process_network_transmit_bytes_total` | counter | with [`ProcessMetrics::with_network`]   |
///
/// Help texts are client_golang's; [`describe`](ProcessRecorder::describe) gives each its unit
/// too. A namespace ([`with_namespace`](ProcessRecorder::with_namespace)) prefixes every name
/// with `namespace_`.
///
/// # CPU seconds: why two counters
///
/// The kernel counts CPU time in ticks (10 ms at the usual `CLK_TCK` of 100), but a metrics-rs
/// counter holds a `u64`, so fractional seconds cannot be a counter in seconds. What a user who
/// cares about the figure needs is both the standard series and an exact one:
///
/// - `process_cpu_seconds_total` stays the counter every dashboard, alert and recording rule
///   queries (`rate(process_cpu_seconds_total[5m])`), with the type Prometheus expects of a
///   `_total` name (a gauge of that name, `metrics-process`'s old behaviour, fails promtool's
///   lint and drops counter semantics). Its value is rounded *down* to whole seconds, so it
///   never runs ahead of the truth and never decreases; a `rate()` over a window `W` is then
///   off by less than 1 s ÷ `W` (0.3 % of a core over 5 minutes, 1.7 % over 1).
/// - `process_cpu_microseconds_total` is the same CPU time, exact: every tick is a whole
///   number of microseconds at any `CLK_TCK` dividing 1,000,000 (100 and 1000 do), so
///   `rate(process_cpu_microseconds_total[1m]) / 1e6` is the exact CPU usage in cores.
///   promtool's lint prefers base units (`use base unit "seconds" instead of "microseconds"`):
///   that is the price of an integer counter. Turn it off with
///   [`with_exact_cpu(false)`](ProcessRecorder::with_exact_cpu) for lint-clean output.
///
/// # Differences from `metrics_process::Collector`
///
/// - **Exact CPU time**, as above; `metrics-process` (2.x) records only the counter of whole
///   seconds (or, with a feature, an exact gauge named `process_cpu_seconds_total`).
/// - **Unlimited limits are `+Inf`** (as client_golang exports them): `metrics-process` records
///   0 for an unlimited limit, and `RLIMIT_AS` usually is, so its
///   `process_virtual_memory_max_bytes` reads as "no memory may be mapped". (The gauge holds
///   `f64::INFINITY`; metrics-exporter-prometheus renders it as `inf`, which Prometheus and
///   promtool parse as `+Inf`.)
/// - **The start time is fractional**: `metrics-process` truncates it to whole seconds.
/// - **Any process, and network counters**: `metrics-process` collects only its own process;
///   [`new`](ProcessRecorder::new) takes any [`ProcessMetrics`].
/// - **Held handles**: `metrics-process` opens `/proc/self` afresh on every collect and reads
///   `stat` and `limits` by path; a record here re-reads held handles (a `pread` of `stat`, an
///   `fstat` of `fd`, two `getrlimit`s) and allocates nothing beyond what the installed
///   recorder does for its keys.
/// - **Errors are returned**: `metrics-process` silently skips what it could not read; here
///   [`record`](ProcessRecorder::record) returns the error
///   ([`Error::Gone`](crate::error::Error::Gone) once the process has exited) and records
///   nothing. metrics-rs cannot remove a series, so the installed recorder keeps the last values
///   it was given (metrics-exporter-prometheus drops idle ones with
///   `PrometheusBuilder::idle_timeout`).
/// - **A namespace, not a raw prefix**: `with_namespace("app")` gives `app_process_open_fds`,
///   as the other two integrations and [`ProcessSnapshot::write_text`] name it, and is checked;
///   `metrics_process::Collector::new("app_")` prepends its prefix verbatim.
#[derive(Debug)]
pub struct ProcessRecorder {
    metrics: ProcessMetrics,
    /// The snapshot's metrics, by client_golang's name, with their recorded names.
    names: Vec<(&'static str, SharedString)>,
    /// `process_cpu_microseconds_total`, namespaced.
    cpu_microseconds: SharedString,
    exact_cpu: bool,
}

const CPU_SECONDS: &str = "process_cpu_seconds_total";
const CPU_MICROSECONDS: &str = "process_cpu_microseconds_total";
const CPU_MICROSECONDS_HELP: &str =
    "Total user and system CPU time spent in microseconds (exact, unlike the whole seconds of \
     process_cpu_seconds_total).";

impl ProcessRecorder {
    /// Records the calling process.
    pub fn myself() -> crate::error::Result<ProcessRecorder> {
        Ok(ProcessRecorder::new(ProcessMetrics::myself()?))
    }

    /// Records through `metrics` (another process, or with network counters).
    pub fn new(metrics: ProcessMetrics) -> ProcessRecorder {
        ProcessRecorder {
            metrics,
            names: ProcessSnapshot::EVERY_FIGURE
                .metrics()
                .map(|m| (m.name, SharedString::const_str(m.name)))
                .collect(),
            cpu_microseconds: SharedString::const_str(CPU_MICROSECONDS),
            exact_cpu: true,
        }
    }

    /// Prefixes every name with `namespace_` (`app` gives `app_process_open_fds`); the empty
    /// namespace means none. [`TextError::InvalidNamespace`] if it does not match
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    ///
    /// ```
    /// use procfast::metrics_rs::ProcessRecorder;
    /// assert!(ProcessRecorder::myself()?.with_namespace("my-app").is_err());
    /// # Ok::<(), procfast::Error>(())
    /// ```
    pub fn with_namespace(mut self, namespace: &str) -> Result<ProcessRecorder, TextError> {
        ProcessSnapshot::check_namespace(namespace)?;
        let name = |base: &'static str| match namespace {
            "" => SharedString::const_str(base),
            ns => SharedString::from(Arc::<str>::from(format!("{ns}_{base}"))),
        };
        for (base, recorded) in &mut self.names {
            *recorded = name(base);
        }
        self.cpu_microseconds = name(CPU_MICROSECONDS);
        Ok(self)
    }

    /// Whether to record `process_cpu_microseconds_total`, the exact CPU time (on by default;
    /// see [CPU seconds](ProcessRecorder#cpu-seconds-why-two-counters)).
    pub fn with_exact_cpu(mut self, exact: bool) -> ProcessRecorder {
        self.exact_cpu = exact;
        self
    }

    /// Describes every metric (help text and unit) to the installed recorder. Call it once,
    /// after installing the recorder and before rendering; describing again is harmless.
    pub fn describe(&self) {
        for (metric, (_, name)) in ProcessSnapshot::EVERY_FIGURE.metrics().zip(&self.names) {
            let unit = unit(metric.name);
            match metric.kind {
                MetricKind::Counter => metrics::describe_counter!(name.clone(), unit, metric.help),
                MetricKind::Gauge => metrics::describe_gauge!(name.clone(), unit, metric.help),
            }
        }
        if self.exact_cpu {
            let name = self.cpu_microseconds.clone();
            metrics::describe_counter!(name, Unit::Microseconds, CPU_MICROSECONDS_HELP);
        }
    }

    /// Reads every figure afresh and records it into the installed recorder: counters with
    /// `absolute`, gauges with `set`.
    ///
    /// Returns the error of the read ([`Error::Gone`](crate::error::Error::Gone) once the process
    /// has exited) and then records nothing; a figure the caller may not read (another user's
    /// process) is left out on its own.
    pub fn record(&mut self) -> crate::error::Result<()> {
        let snapshot = self.metrics.snapshot()?;
        for metric in snapshot.metrics() {
            let Some((_, name)) = self.names.iter().find(|(base, _)| *base == metric.name) else {
                continue;
            };
            match (metric.kind, metric.value) {
                (MetricKind::Counter, Value::Float(seconds)) => {
                    // Only the CPU time is a counter of float seconds. `as` saturates (and
                    // maps NaN to 0): never a panic.
                    let micros = (seconds * 1e6).round() as u64;
                    metrics::counter!(name.clone()).absolute(micros / 1_000_000);
                    if self.exact_cpu {
                        metrics::counter!(self.cpu_microseconds.clone()).absolute(micros);
                    }
                }
                (MetricKind::Counter, Value::Int(v)) => metrics::counter!(name.clone()).absolute(v),
                (MetricKind::Gauge, Value::Int(v)) => metrics::gauge!(name.clone()).set(v as f64),
                (MetricKind::Gauge, Value::Float(v)) => metrics::gauge!(name.clone()).set(v),
            }
        }
        Ok(())
    }
}

/// The unit of a metric of the set, for `describe`.
fn unit(name: &str) -> Unit {
    match name {
        CPU_SECONDS | "process_start_time_seconds" => Unit::Seconds,
        n if n.ends_with("_bytes") || n.ends_with("_bytes_total") => Unit::Bytes,
        _ => Unit::Count,
    }
}
