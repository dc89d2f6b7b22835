//! The Prometheus process collector's metric set, at a cost that does not grow with the fd count.

use crate::error::{Error, Result};
use crate::parse::limits::Resource;
use crate::parse::ticks_to_seconds;
use crate::proc::Proc;
use crate::sys;
use crate::system::System;
use core::fmt;
use std::sync::OnceLock;

/// The process collector of Prometheus' client libraries, built on a held [`Proc`].
///
/// Each [`snapshot`](ProcessMetrics::snapshot) re-reads the held handles and allocates nothing.
/// For the own process one snapshot costs four syscalls: a `pread` of `stat` (CPU, memory,
/// threads, start time), an `fstat` of `fd` (open fds, on Linux ≥ 6.2) and two
/// `getrlimit`s (max fds, max address space). For another process the limits come from
/// `prlimit(pid, …)`, or a read of `/proc/<pid>/limits` where that is not permitted. Opting into
/// network counters adds a read of `/proc/<pid>/net/dev`.
///
/// ```
/// let mut metrics = procfast::ProcessMetrics::myself()?;
/// let snapshot = metrics.snapshot()?;
/// assert!(snapshot.open_fds.unwrap() >= 1);
/// let mut text = String::new();
/// snapshot.write_text(&mut text, None).unwrap();
/// assert!(text.contains("# TYPE process_open_fds gauge\n"));
/// # Ok::<(), procfast::Error>(())
/// ```
#[derive(Debug)]
pub struct ProcessMetrics {
    proc: Proc,
    own: bool,
    network: bool,
    ticks_per_second: u64,
    page_size: u64,
}

/// One reading of the process collector's figures, in the units Prometheus names them by.
///
/// A figure is `None` where reading it was denied (another user's process, `hidepid`); the
/// others are still there. Network counters are `None` unless asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ProcessSnapshot {
    /// `process_cpu_seconds_total`: user + system CPU time, in seconds (ticks ÷ the real tick
    /// rate, fractional).
    pub cpu_seconds_total: Option<f64>,
    /// `process_open_fds`.
    pub open_fds: Option<u64>,
    /// `process_max_fds`: the soft `RLIMIT_NOFILE`; `+Inf` when unlimited.
    pub max_fds: Option<f64>,
    /// `process_virtual_memory_bytes`.
    pub virtual_memory_bytes: Option<u64>,
    /// `process_virtual_memory_max_bytes`: the soft `RLIMIT_AS`; `+Inf` when unlimited.
    pub virtual_memory_max_bytes: Option<f64>,
    /// `process_resident_memory_bytes`.
    pub resident_memory_bytes: Option<u64>,
    /// `process_start_time_seconds`: since the Unix epoch (boot time + start ticks).
    pub start_time_seconds: Option<f64>,
    /// `process_threads`.
    pub threads: Option<u64>,
    /// `process_network_receive_bytes_total`: summed over the interfaces of the process's
    /// network namespace (so every process in that namespace reports the same).
    pub network_receive_bytes_total: Option<u64>,
    /// `process_network_transmit_bytes_total`: as above, transmitted.
    pub network_transmit_bytes_total: Option<u64>,
}

/// A Prometheus metric type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricKind {
    /// Only goes up (its name ends in `_total`).
    Counter,
    /// Goes up and down.
    Gauge,
}

/// A metric's value: integers stay integers in the exposition.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// An exact integer.
    Int(u64),
    /// A float; may be `+Inf`.
    Float(f64),
}

/// One metric of a snapshot: its name (without namespace), help text, type and value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Metric {
    /// The name client_golang uses, e.g. `process_open_fds`.
    pub name: &'static str,
    /// The help text client_golang uses.
    pub help: &'static str,
    /// Counter or gauge.
    pub kind: MetricKind,
    /// The value.
    pub value: Value,
}

impl ProcessMetrics {
    /// The collector for the calling process.
    pub fn myself() -> Result<ProcessMetrics> {
        ProcessMetrics::new(Proc::myself()?)
    }

    /// The collector for process `pid`.
    pub fn open(pid: i32) -> Result<ProcessMetrics> {
        ProcessMetrics::new(Proc::open(pid)?)
    }

    /// The collector for the process of a handle.
    pub fn new(proc: Proc) -> Result<ProcessMetrics> {
        // The boot time is read once per program, not per scrape.
        boot_time_seconds()?;
        Ok(ProcessMetrics {
            // A pid of another pid namespace's mount may equal ours and still be another process.
            own: proc.is_callers_pid_namespace() && proc.pid() == sys::getpid(),
            proc,
            network: false,
            ticks_per_second: sys::clock_ticks_per_second(),
            page_size: sys::page_size(),
        })
    }

    /// Also report `process_network_{receive,transmit}_bytes_total`, from
    /// `/proc/<pid>/net/dev`: the traffic of the process's whole network namespace.
    pub fn with_network(mut self, network: bool) -> ProcessMetrics {
        self.network = network;
        self
    }

    /// The handle the figures are read through.
    pub fn proc(&mut self) -> &mut Proc {
        &mut self.proc
    }

    /// Reads every figure afresh. [`Error::Gone`] once the process has exited, is a zombie or has
    /// begun to exit (its fd count would be a table being emptied); a denied figure is `None` in
    /// the snapshot rather than an error.
    pub fn snapshot(&mut self) -> Result<ProcessSnapshot> {
        let mut snapshot = ProcessSnapshot::default();
        // Limits first: `prlimit` names the process by pid, and reading the held `stat` after
        // it proves that pid still belonged to our process when `prlimit` ran.
        let (max_fds, max_vm) = self.limits()?;
        snapshot.max_fds = max_fds;
        snapshot.virtual_memory_max_bytes = max_vm;

        let (ticks, page) = (self.ticks_per_second, self.page_size);
        match self.proc.stat() {
            Ok(stat) if stat.is_exiting() => return Err(Error::Gone),
            Ok(stat) => {
                // Sum the ticks before dividing: one rounding, not two.
                let cpu_ticks = stat.utime().saturating_add(stat.stime());
                snapshot.cpu_seconds_total = Some(ticks_to_seconds(cpu_ticks, ticks));
                snapshot.virtual_memory_bytes = Some(stat.vsize());
                snapshot.resident_memory_bytes = Some(stat.rss_bytes(page));
                snapshot.threads = Some(u64::try_from(stat.num_threads()).unwrap_or(0));
                snapshot.start_time_seconds =
                    Some(boot_time_seconds()? as f64 + stat.starttime_seconds(ticks));
            }
            Err(Error::Denied { .. }) => {}
            Err(e) => return Err(e),
        }
        snapshot.open_fds = denied_as_none(self.proc.fd_count().map(|c| c.count))?;
        if self.network {
            let totals = self.proc.net_dev().map(|dev| {
                dev.interfaces().fold((0u64, 0u64), |(rx, tx), i| {
                    (rx.saturating_add(i.rx_bytes), tx.saturating_add(i.tx_bytes))
                })
            });
            if let Some((rx, tx)) = denied_as_none(totals)? {
                snapshot.network_receive_bytes_total = Some(rx);
                snapshot.network_transmit_bytes_total = Some(tx);
            }
        }
        Ok(snapshot)
    }

    /// The soft limits on fds and address space, +Inf for unlimited: `getrlimit` for the own
    /// process, `prlimit` for another, the limits file where `prlimit` is not permitted or the
    /// handle's mount numbers pids in another pid namespace (where `prlimit`, which speaks the
    /// caller's, would name another process or none).
    fn limits(&mut self) -> Result<(Option<f64>, Option<f64>)> {
        let soft = |limit: Option<u64>| Some(limit.map_or(f64::INFINITY, |v| v as f64));
        if self.own {
            return Ok((
                soft(sys::getrlimit_soft(sys::Rlimit::Nofile)),
                soft(sys::getrlimit_soft(sys::Rlimit::As)),
            ));
        }
        if self.proc.is_callers_pid_namespace() {
            let pid = self.proc.pid();
            match (
                sys::prlimit_soft(pid, sys::Rlimit::Nofile),
                sys::prlimit_soft(pid, sys::Rlimit::As),
            ) {
                (Ok(files), Ok(vm)) => return Ok((soft(files), soft(vm))),
                (Err(e), _) | (_, Err(e)) if e != sys::Errno::PERM => {
                    return Err(Error::from_errno(e.raw_os_error(), "prlimit"))
                }
                _ => {}
            }
        }
        let limits = match self.proc.limits() {
            Ok(limits) => limits,
            Err(Error::Denied { .. }) => return Ok((None, None)),
            Err(e) => return Err(e),
        };
        Ok((
            soft(limits.get(Resource::OpenFiles).soft),
            soft(limits.get(Resource::AddressSpace).soft),
        ))
    }
}

fn denied_as_none<T>(result: Result<T>) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(Error::Denied { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The boot time in seconds since the epoch, read once per program: `btime` of `/proc/stat`, or
/// where the mount does not show that file (`subset=pid`), the same figure from the clocks.
fn boot_time_seconds() -> Result<u64> {
    static BOOT_TIME: OnceLock<Result<u64>> = OnceLock::new();
    *BOOT_TIME.get_or_init(|| match System::open()?.stat() {
        Ok(stat) => Ok(stat.btime),
        Err(Error::NotInMount { .. }) => Ok(sys::boot_time_from_clocks()),
        Err(e) => Err(e),
    })
}

const HELP: [(&str, &str, MetricKind); 10] = [
    (
        "process_cpu_seconds_total",
        "Total user and system CPU time spent in seconds.",
        MetricKind::Counter,
    ),
    (
        "process_open_fds",
        "Number of open file descriptors.",
        MetricKind::Gauge,
    ),
    (
        "process_max_fds",
        "Maximum number of open file descriptors.",
        MetricKind::Gauge,
    ),
    (
        "process_virtual_memory_bytes",
        "Virtual memory size in bytes.",
        MetricKind::Gauge,
    ),
    (
        "process_virtual_memory_max_bytes",
        "Maximum amount of virtual memory available in bytes.",
        MetricKind::Gauge,
    ),
    (
        "process_resident_memory_bytes",
        "Resident memory size in bytes.",
        MetricKind::Gauge,
    ),
    (
        "process_start_time_seconds",
        "Start time of the process since unix epoch in seconds.",
        MetricKind::Gauge,
    ),
    (
        "process_threads",
        "Number of OS threads in the process.",
        MetricKind::Gauge,
    ),
    (
        "process_network_receive_bytes_total",
        "Number of bytes received by the process over the network.",
        MetricKind::Counter,
    ),
    (
        "process_network_transmit_bytes_total",
        "Number of bytes sent by the process over the network.",
        MetricKind::Counter,
    ),
];

impl ProcessSnapshot {
    /// Every figure present: the full metric set, for the collectors to name and describe
    /// before any snapshot is taken.
    #[cfg(any(feature = "prometheus", feature = "metrics"))]
    pub(crate) const EVERY_FIGURE: ProcessSnapshot = ProcessSnapshot {
        cpu_seconds_total: Some(0.0),
        open_fds: Some(0),
        max_fds: Some(0.0),
        virtual_memory_bytes: Some(0),
        virtual_memory_max_bytes: Some(0.0),
        resident_memory_bytes: Some(0),
        start_time_seconds: Some(0.0),
        threads: Some(0),
        network_receive_bytes_total: Some(0),
        network_transmit_bytes_total: Some(0),
    };
}

impl ProcessSnapshot {
    /// The snapshot's metrics, in client_golang's order, skipping figures that are `None`.
    pub fn metrics(&self) -> impl Iterator<Item = Metric> + '_ {
        let values = [
            self.cpu_seconds_total.map(Value::Float),
            self.open_fds.map(Value::Int),
            self.max_fds.map(Value::Float),
            self.virtual_memory_bytes.map(Value::Int),
            self.virtual_memory_max_bytes.map(Value::Float),
            self.resident_memory_bytes.map(Value::Int),
            self.start_time_seconds.map(Value::Float),
            self.threads.map(Value::Int),
            self.network_receive_bytes_total.map(Value::Int),
            self.network_transmit_bytes_total.map(Value::Int),
        ];
        HELP.into_iter()
            .zip(values)
            .filter_map(|((name, help, kind), value)| {
                Some(Metric {
                    name,
                    help,
                    kind,
                    value: value?,
                })
            })
    }

    /// Writes the snapshot in the Prometheus text format 0.0.4, with `# HELP` and `# TYPE`
    /// lines and an optional `namespace` prefix (`myapp` gives `myapp_process_open_fds`).
    /// Integers are written as integers, unlimited as `+Inf`; nothing is allocated.
    ///
    /// A namespace that would not make a valid metric name (see [`check_namespace`]) is refused
    /// before anything is written: the library never writes text a Prometheus server rejects.
    ///
    /// ```
    /// let snapshot = procfast::ProcessSnapshot::default();
    /// let mut text = String::new();
    /// assert!(snapshot.write_text(&mut text, Some("my-app")).is_err());
    /// assert!(text.is_empty());
    /// ```
    ///
    /// [`check_namespace`]: ProcessSnapshot::check_namespace
    pub fn write_text(
        &self,
        out: &mut impl fmt::Write,
        namespace: Option<&str>,
    ) -> core::result::Result<(), TextError> {
        let (prefix, separator) = match namespace {
            Some(ns) if !ns.is_empty() => {
                ProcessSnapshot::check_namespace(ns)?;
                (ns, "_")
            }
            _ => ("", ""),
        };
        for metric in self.metrics() {
            let name = metric.name;
            let kind = match metric.kind {
                MetricKind::Counter => "counter",
                MetricKind::Gauge => "gauge",
            };
            writeln!(out, "# HELP {prefix}{separator}{name} {}", metric.help)?;
            writeln!(out, "# TYPE {prefix}{separator}{name} {kind}")?;
            write!(out, "{prefix}{separator}{name} ")?;
            write_value(out, metric.value)?;
            out.write_char('\n')?;
        }
        Ok(())
    }

    /// Checks that `namespace` can prefix a metric name: it must match
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`, the exposition format's rule for names (so `my-app`, `1app`,
    /// `a b`, `é` and anything holding a newline are refused). The empty namespace means none.
    ///
    /// ```
    /// use procfast::ProcessSnapshot;
    /// assert!(ProcessSnapshot::check_namespace("my_app").is_ok());
    /// assert!(ProcessSnapshot::check_namespace("x\nevil_metric 1").is_err());
    /// ```
    pub fn check_namespace(namespace: &str) -> core::result::Result<(), TextError> {
        let name_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b':';
        match namespace.as_bytes() {
            [] => Ok(()),
            [first, rest @ ..]
                if name_byte(*first)
                    && !first.is_ascii_digit()
                    && rest.iter().all(|&b| name_byte(b)) =>
            {
                Ok(())
            }
            _ => Err(TextError::InvalidNamespace),
        }
    }

    /// [`write_text`](ProcessSnapshot::write_text) into an `io::Write`, without an intermediate
    /// string. An invalid namespace is an error of kind `InvalidInput`.
    pub fn write_text_io(
        &self,
        out: &mut impl std::io::Write,
        namespace: Option<&str>,
    ) -> std::io::Result<()> {
        struct Adapter<'a, W> {
            out: &'a mut W,
            error: Option<std::io::Error>,
        }
        impl<W: std::io::Write> fmt::Write for Adapter<'_, W> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                self.out.write_all(s.as_bytes()).map_err(|e| {
                    self.error = Some(e);
                    fmt::Error
                })
            }
        }
        let mut adapter = Adapter { out, error: None };
        match self.write_text(&mut adapter, namespace) {
            Ok(()) => Ok(()),
            Err(e @ TextError::InvalidNamespace) => {
                Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
            }
            Err(TextError::Write) => Err(adapter
                .error
                .unwrap_or_else(|| std::io::Error::other("formatting failed"))),
        }
    }
}

/// Why [`ProcessSnapshot::write_text`] wrote nothing, or stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TextError {
    /// The namespace does not match `[a-zA-Z_:][a-zA-Z0-9_:]*`; nothing was written.
    InvalidNamespace,
    /// The writer failed (`fmt::Error`).
    Write,
}

impl From<fmt::Error> for TextError {
    fn from(_: fmt::Error) -> TextError {
        TextError::Write
    }
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextError::InvalidNamespace => f.write_str(
                "invalid metric namespace: it must start with a letter, '_' or ':' and hold only \
                 ASCII letters, digits, '_' and ':'",
            ),
            TextError::Write => f.write_str("the writer failed"),
        }
    }
}

impl std::error::Error for TextError {}

/// A sample value as Prometheus parses it: integers without exponent, `+Inf`, `-Inf`, `NaN`.
fn write_value(out: &mut impl fmt::Write, value: Value) -> fmt::Result {
    match value {
        Value::Int(v) => write!(out, "{v}"),
        Value::Float(v) if v.is_nan() => out.write_str("NaN"),
        Value::Float(v) if v == f64::INFINITY => out.write_str("+Inf"),
        Value::Float(v) if v == f64::NEG_INFINITY => out.write_str("-Inf"),
        // Rust's shortest round-trip form, which never uses an exponent.
        Value::Float(v) => write!(out, "{v}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(snapshot: &ProcessSnapshot, namespace: Option<&str>) -> String {
        let mut out = String::new();
        snapshot.write_text(&mut out, namespace).unwrap();
        out
    }

    #[test]
    fn exposition_format() {
        let snapshot = ProcessSnapshot {
            cpu_seconds_total: Some(1.25),
            open_fds: Some(19_003),
            max_fds: Some(f64::INFINITY),
            start_time_seconds: Some(1_763_769_600.5),
            resident_memory_bytes: Some(10_653_696),
            ..ProcessSnapshot::default()
        };
        let got = text(&snapshot, Some("app"));
        let want = "\
# HELP app_process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE app_process_cpu_seconds_total counter
app_process_cpu_seconds_total 1.25
# HELP app_process_open_fds Number of open file descriptors.
# TYPE app_process_open_fds gauge
app_process_open_fds 19003
# HELP app_process_max_fds Maximum number of open file descriptors.
# TYPE app_process_max_fds gauge
app_process_max_fds +Inf
# HELP app_process_resident_memory_bytes Resident memory size in bytes.
# TYPE app_process_resident_memory_bytes gauge
app_process_resident_memory_bytes 10653696
# HELP app_process_start_time_seconds Start time of the process since unix epoch in seconds.
# TYPE app_process_start_time_seconds gauge
app_process_start_time_seconds 1763769600.5
";
        assert_eq!(got, want);
        assert!(text(&snapshot, None).starts_with("# HELP process_cpu_seconds_total "));
    }

    #[test]
    fn namespaces_that_make_invalid_names_are_refused() {
        let snapshot = ProcessSnapshot {
            open_fds: Some(3),
            ..ProcessSnapshot::default()
        };
        for bad in [
            "x\nevil_metric 1",
            "my-app",
            "1app",
            "a b",
            "é",
            "ns{a=\"b\"}",
        ] {
            let mut out = String::new();
            assert_eq!(
                snapshot.write_text(&mut out, Some(bad)),
                Err(TextError::InvalidNamespace),
                "{bad:?}"
            );
            assert!(out.is_empty(), "{bad:?} wrote {out:?}");
            let err = snapshot
                .write_text_io(&mut Vec::new(), Some(bad))
                .unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        }
        for good in ["app", "_x", ":a:b", "A1_b"] {
            assert!(text(&snapshot, Some(good)).contains(&format!("{good}_process_open_fds 3")));
        }
        assert_eq!(text(&snapshot, Some("")), text(&snapshot, None));
    }

    #[test]
    fn the_clocks_give_the_boot_time_of_proc_stat() {
        let btime = System::open().unwrap().stat().unwrap().btime;
        let from_clocks = sys::boot_time_from_clocks();
        // Both are whole seconds of the same instant; the clocks are read a moment apart.
        assert!(from_clocks.abs_diff(btime) <= 1, "{from_clocks} vs {btime}");
    }

    #[test]
    fn values_without_exponent_noise() {
        let mut out = String::new();
        for v in [1e20, 1024.0, 0.1, -0.0] {
            write_value(&mut out, Value::Float(v)).unwrap();
            out.push(' ');
        }
        write_value(&mut out, Value::Float(f64::NAN)).unwrap();
        assert_eq!(out, "100000000000000000000 1024 0.1 -0 NaN");
    }
}
