//! The Prometheus text a scrape answers with: process-exporter's families per group (and with
//! `--threads`, per thread name), its scrape counters, and procfast's own account of the
//! scrape. Names, help texts, label order and number formats are process-exporter's, so that
//! its dashboards and alerts read the same.

use super::threads::Threads;
use super::tracker::{Counts, Gauges, Group, ScrapeErrors};
use procfast::ScanSummary;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

/// What one scrape saw, for the `procfast_scrape_*` metrics.
#[derive(Clone, Copy, Debug)]
pub(super) struct ScrapeReport {
    /// The scan's summary (complete, scanned, vanished, denied, refused).
    pub(super) summary: ScanSummary,
    /// How long the scan and the grouping took.
    pub(super) duration: Duration,
    /// The budget the scan ran under.
    pub(super) budget: Option<Duration>,
}

// Writing to a String cannot fail: every `writeln!` result below is ignored for that reason.

/// A metric family's header: its name, help text and type.
#[derive(Clone, Copy)]
pub(super) struct Family<'a> {
    pub(super) name: &'a str,
    help: &'a str,
    kind: &'a str,
}

impl<'a> Family<'a> {
    /// A family of values that go up and down.
    pub(super) const fn gauge(name: &'a str, help: &'a str) -> Family<'a> {
        Family {
            name,
            help,
            kind: "gauge",
        }
    }

    /// A family of values that only go up.
    pub(super) const fn counter(name: &'a str, help: &'a str) -> Family<'a> {
        Family {
            name,
            help,
            kind: "counter",
        }
    }

    /// Writes the family's `# HELP` and `# TYPE` lines.
    pub(super) fn header(&self, out: &mut String) {
        let Family { name, help, kind } = self;
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }
}

/// A group as its lines name it: the escaped `groupname`, its counters and gauges.
struct GroupLine<'a> {
    label: String,
    counts: &'a Counts,
    gauges: &'a Gauges,
}

/// How a metric's value comes from a group's counters and gauges.
type ValueOf<'a> = &'a dyn Fn(&Counts, &Gauges) -> f64;

/// A count as the text format writes every value.
fn float(n: u64) -> f64 {
    n as f64
}

/// Writes process-exporter's per-group families, one line per group in each; with `smaps`,
/// the memory family also has PSS.
pub(super) fn write_groups(out: &mut String, groups: &[Group], smaps: bool) {
    let lines: Vec<GroupLine> = groups
        .iter()
        .map(|g| GroupLine {
            label: escape_label(g.name),
            counts: g.counts,
            gauges: &g.gauges,
        })
        .collect();
    write_num_procs(out, &lines);
    write_counters(out, &lines);
    write_memory(out, &lines, smaps);
    write_fds(out, &lines);
    write_oldest_start(out, &lines);
    write_threads_and_states(out, &lines);
}

/// A family with one line per group.
fn per_group(out: &mut String, groups: &[GroupLine], family: Family, value: ValueOf) {
    family.header(out);
    let name = family.name;
    for GroupLine {
        label,
        counts,
        gauges,
    } in groups
    {
        let _ = writeln!(
            out,
            "{name}{{groupname=\"{label}\"}} {}",
            value(counts, gauges)
        );
    }
}

/// A family with a line per group and value of `label`, in the order of `values`.
fn labelled(
    out: &mut String,
    groups: &[GroupLine],
    family: Family,
    label: &str,
    values: &[(&str, ValueOf)],
) {
    family.header(out);
    let name = family.name;
    for GroupLine {
        label: group,
        counts,
        gauges,
    } in groups
    {
        for (label_value, value) in values {
            let _ = writeln!(
                out,
                "{name}{{groupname=\"{group}\",{label}=\"{label_value}\"}} {}",
                value(counts, gauges)
            );
        }
    }
}

/// `namedprocess_namegroup_num_procs`.
fn write_num_procs(out: &mut String, groups: &[GroupLine]) {
    per_group(
        out,
        groups,
        Family::gauge(
            "namedprocess_namegroup_num_procs",
            "number of processes in this group",
        ),
        &|_, g| float(g.procs),
    );
}

/// The groups' counters: CPU by mode, bytes read and written, page faults, context switches.
fn write_counters(out: &mut String, groups: &[GroupLine]) {
    labelled(
        out,
        groups,
        Family::counter(
            "namedprocess_namegroup_cpu_seconds_total",
            "Cpu user usage in seconds",
        ),
        "mode",
        &[
            ("user", &|c, _| c.cpu_user),
            ("system", &|c, _| c.cpu_system),
        ],
    );
    per_group(
        out,
        groups,
        Family::counter(
            "namedprocess_namegroup_read_bytes_total",
            "number of bytes read by this group",
        ),
        &|c, _| float(c.read_bytes),
    );
    per_group(
        out,
        groups,
        Family::counter(
            "namedprocess_namegroup_write_bytes_total",
            "number of bytes written by this group",
        ),
        &|c, _| float(c.write_bytes),
    );
    per_group(
        out,
        groups,
        Family::counter(
            "namedprocess_namegroup_major_page_faults_total",
            "Major page faults",
        ),
        &|c, _| float(c.major_faults),
    );
    per_group(
        out,
        groups,
        Family::counter(
            "namedprocess_namegroup_minor_page_faults_total",
            "Minor page faults",
        ),
        &|c, _| float(c.minor_faults),
    );
    labelled(
        out,
        groups,
        Family::counter(
            "namedprocess_namegroup_context_switches_total",
            "Context switches",
        ),
        "ctxswitchtype",
        &[
            ("voluntary", &|c, _| float(c.voluntary)),
            ("nonvoluntary", &|c, _| float(c.nonvoluntary)),
        ],
    );
}

/// `namedprocess_namegroup_memory_bytes` by `memtype`; PSS only with `smaps`.
fn write_memory(out: &mut String, groups: &[GroupLine], smaps: bool) {
    let resident = |_: &Counts, g: &Gauges| float(g.resident);
    let virtual_bytes = |_: &Counts, g: &Gauges| float(g.virtual_bytes);
    let swapped = |_: &Counts, g: &Gauges| float(g.swapped);
    let proportional = |_: &Counts, g: &Gauges| float(g.proportional);
    let proportional_swapped = |_: &Counts, g: &Gauges| float(g.proportional_swapped);
    let mut memory: Vec<(&str, ValueOf)> = vec![
        ("resident", &resident),
        ("virtual", &virtual_bytes),
        ("swapped", &swapped),
    ];
    if smaps {
        memory.push(("proportionalResident", &proportional));
        memory.push(("proportionalSwapped", &proportional_swapped));
    }
    labelled(
        out,
        groups,
        Family::gauge(
            "namedprocess_namegroup_memory_bytes",
            "number of bytes of memory in use",
        ),
        "memtype",
        &memory,
    );
}

/// The groups' open fds, and their worst share of the fd limit.
fn write_fds(out: &mut String, groups: &[GroupLine]) {
    per_group(
        out,
        groups,
        Family::gauge(
            "namedprocess_namegroup_open_filedesc",
            "number of open file descriptors for this group",
        ),
        &|_, g| float(g.open_fds),
    );
    per_group(
        out,
        groups,
        Family::gauge(
            "namedprocess_namegroup_worst_fd_ratio",
            "the worst (closest to 1) ratio between open fds and max fds among all procs in this group",
        ),
        &|_, g| g.worst_fd_ratio,
    );
}

/// `namedprocess_namegroup_oldest_start_time_seconds`, in whole seconds (0 for a group with
/// no members).
fn write_oldest_start(out: &mut String, groups: &[GroupLine]) {
    per_group(
        out,
        groups,
        Family::gauge(
            "namedprocess_namegroup_oldest_start_time_seconds",
            "start time in seconds since 1970/01/01 of oldest process in group",
        ),
        &|_, g| g.oldest_start.map_or(0.0, f64::trunc),
    );
}

/// The groups' threads, and their processes (with `--threads`, their threads) by state.
fn write_threads_and_states(out: &mut String, groups: &[GroupLine]) {
    per_group(
        out,
        groups,
        Family::gauge("namedprocess_namegroup_num_threads", "Number of threads"),
        &|_, g| float(g.threads),
    );
    labelled(
        out,
        groups,
        Family::gauge(
            "namedprocess_namegroup_states",
            "Number of processes in states Running, Sleeping, Waiting, Zombie, or Other",
        ),
        "state",
        &[
            ("Running", &|_, g| float(g.running)),
            ("Sleeping", &|_, g| float(g.sleeping)),
            ("Waiting", &|_, g| float(g.waiting)),
            ("Zombie", &|_, g| float(g.zombie)),
            ("Other", &|_, g| float(g.other)),
        ],
    );
}

/// How a per-thread metric's value comes from a thread name's counters and its threads.
type ThreadValueOf = fn(&Counts, u64) -> f64;

/// A per-thread family: its header, the label that tells its values apart (if it has more
/// than one), and the values.
type ThreadFamily<'a> = (Family<'a>, Option<&'a str>, &'a [(&'a str, ThreadValueOf)]);

/// process-exporter's per-thread families, in its order.
const THREAD_FAMILIES: [ThreadFamily; 6] = [
    (
        Family::gauge(
            "namedprocess_namegroup_thread_count",
            "Number of threads in this group with same threadname",
        ),
        None,
        &[("", |_, n| n as f64)],
    ),
    (
        Family::counter(
            "namedprocess_namegroup_thread_cpu_seconds_total",
            "Cpu user/system usage in seconds",
        ),
        Some("mode"),
        &[("user", |c, _| c.cpu_user), ("system", |c, _| c.cpu_system)],
    ),
    (
        Family::counter(
            "namedprocess_namegroup_thread_io_bytes_total",
            "number of bytes read/written by these threads",
        ),
        Some("iomode"),
        &[
            ("read", |c, _| c.read_bytes as f64),
            ("write", |c, _| c.write_bytes as f64),
        ],
    ),
    (
        Family::counter(
            "namedprocess_namegroup_thread_major_page_faults_total",
            "Major page faults for these threads",
        ),
        None,
        &[("", |c, _| c.major_faults as f64)],
    ),
    (
        Family::counter(
            "namedprocess_namegroup_thread_minor_page_faults_total",
            "Minor page faults for these threads",
        ),
        None,
        &[("", |c, _| c.minor_faults as f64)],
    ),
    (
        Family::counter(
            "namedprocess_namegroup_thread_context_switches_total",
            "Context switches for these threads",
        ),
        Some("ctxswitchtype"),
        &[
            ("voluntary", |c, _| c.voluntary as f64),
            ("nonvoluntary", |c, _| c.nonvoluntary as f64),
        ],
    ),
];

/// process-exporter's `namedprocess_namegroup_thread_*` families, by group and thread name,
/// and its threads by `wchan`.
pub(super) fn write_threads(out: &mut String, threads: &Threads) {
    for (family, label, values) in THREAD_FAMILIES {
        family.header(out);
        let name = family.name;
        for (group, thread, count, counts) in threads.by_name() {
            let (group, thread) = (escape_label(group), escape_label(thread));
            for (value_label, value) in values {
                let extra = label.map_or(String::new(), |l| format!(",{l}=\"{value_label}\""));
                let _ = writeln!(
                    out,
                    "{name}{{groupname=\"{group}\",threadname=\"{thread}\"{extra}}} {}",
                    value(&counts, count)
                );
            }
        }
    }
    write_wchans(out, threads.wchans());
}

/// `namedprocess_namegroup_threads_wchan`: each group's threads by the kernel function they
/// wait in, leaving out those no thread waits in this scrape.
fn write_wchans<'a>(
    out: &mut String,
    wchans: impl Iterator<Item = (&'a Arc<str>, &'a BTreeMap<Box<[u8]>, u64>)>,
) {
    let family = Family::gauge(
        "namedprocess_namegroup_threads_wchan",
        "Number of threads in this group waiting on each wchan",
    );
    family.header(out);
    let name = family.name;
    for (group, wchans) in wchans {
        let group = escape_label(group);
        for (wchan, count) in wchans.iter().filter(|(_, &n)| n > 0) {
            let wchan = escape_label(&String::from_utf8_lossy(wchan));
            let _ = writeln!(
                out,
                "{name}{{groupname=\"{group}\",wchan=\"{wchan}\"}} {count}"
            );
        }
    }
}

/// `--sockets`: each group's open sockets (0 for a group not counted), and whether every
/// member's census finished.
pub(super) fn write_sockets(
    out: &mut String,
    groups: &[Group],
    sockets: &BTreeMap<Arc<str>, u64>,
    complete: bool,
) {
    Family::gauge(
        "procfast_namegroup_open_sockets",
        "Open socket fds of the group's processes (a census of their fds; a lower bound when procfast_namegroup_sockets_complete is 0).",
    )
    .header(out);
    for Group { name, .. } in groups {
        let n = sockets.get(*name).copied().unwrap_or(0);
        let group = escape_label(name);
        let _ = writeln!(
            out,
            "procfast_namegroup_open_sockets{{groupname=\"{group}\"}} {n}"
        );
    }
    Family::gauge(
        "procfast_namegroup_sockets_complete",
        "1 if every member's fd census finished within the scrape's budget.",
    )
    .header(out);
    let _ = writeln!(
        out,
        "procfast_namegroup_sockets_complete {}",
        u8::from(complete)
    );
}

/// `--tcp`: the host's TCP connections by state, and how the census counted them.
pub(super) fn write_tcp(out: &mut String, count: &procfast::TcpCount) {
    Family::gauge(
        "procfast_tcp_connections",
        "TCP sockets of the exporter's network namespace, by state.",
    )
    .header(out);
    for state in procfast::parse::tcp_state::TcpState::ALL {
        let _ = writeln!(
            out,
            "procfast_tcp_connections{{state=\"{}\"}} {}",
            state.name(),
            count.states.get(state)
        );
    }
    Family::gauge(
        "procfast_tcp_census_complete",
        "1 if the TCP census saw every socket; method says how it counted.",
    )
    .header(out);
    let _ = writeln!(
        out,
        "procfast_tcp_census_complete{{method=\"{}\"}} {}",
        count.method.as_str(),
        u8::from(count.is_complete())
    );
}

/// A family of one unlabelled line.
fn scalar(out: &mut String, family: Family, value: f64) {
    family.header(out);
    let _ = writeln!(out, "{} {value}", family.name);
}

/// process-exporter's `namedprocess_scrape_*` error counters.
pub(super) fn write_scrape_errors(out: &mut String, errors: &ScrapeErrors) {
    scalar(
        out,
        Family::counter(
            "namedprocess_scrape_errors",
            "general scrape errors: no proc metrics collected during a cycle",
        ),
        float(errors.scrape),
    );
    scalar(
        out,
        Family::counter(
            "namedprocess_scrape_procread_errors",
            "incremented each time a proc's metrics collection fails",
        ),
        float(errors.procread),
    );
    scalar(
        out,
        Family::counter(
            "namedprocess_scrape_partial_errors",
            "incremented each time a tracked proc's metrics collection fails partially, e.g. unreadable I/O stats",
        ),
        float(errors.partial),
    );
}

/// procfast's own account of the scrape: whether the scan finished, how long it took, under
/// what budget, and what became of the processes it listed.
pub(super) fn write_scrape_report(out: &mut String, report: &ScrapeReport) {
    let summary = &report.summary;
    scalar(
        out,
        Family::gauge(
            "procfast_scrape_complete",
            "1 if the scrape visited every process, 0 if its time budget stopped it first.",
        ),
        if summary.is_complete() { 1.0 } else { 0.0 },
    );
    scalar(
        out,
        Family::gauge(
            "procfast_scrape_duration_seconds",
            "Time the scrape's scan and grouping took.",
        ),
        report.duration.as_secs_f64(),
    );
    scalar(
        out,
        Family::gauge(
            "procfast_scrape_budget_seconds",
            "The time budget the scan ran under (from the scrape timeout and --budget-ms); 0 for none.",
        ),
        report.budget.map_or(0.0, |b| b.as_secs_f64()),
    );
    Family::gauge(
        "procfast_scrape_processes",
        "Processes the scrape's scan accounted for, by outcome.",
    )
    .header(out);
    for (outcome, count) in [
        ("scanned", summary.scanned),
        ("vanished", summary.vanished),
        ("denied", summary.denied),
        ("refused", summary.refused),
    ] {
        let _ = writeln!(
            out,
            "procfast_scrape_processes{{outcome=\"{outcome}\"}} {count}"
        );
    }
}

/// serve's own process metrics, named as client_golang's process collector names them.
pub(super) fn write_own_process(out: &mut String, snapshot: &procfast::ProcessSnapshot) {
    // Without a namespace the text cannot be refused, and a String cannot fail to grow.
    let _ = snapshot.write_text(out, None);
}

/// The compiler that built serve (from the build script), as Go's `goversion` label says it.
const RUST_VERSION: &str = env!("PROCFAST_RUSTC_VERSION");

/// `procfast_build_info`: always 1, labelled by what serve was built from, as every Go
/// exporter's `<name>_build_info`. Named for procfast rather than process-exporter, whose
/// version dashboards would otherwise misread.
pub(super) fn write_build_info(out: &mut String) {
    Family::gauge(
        "procfast_build_info",
        "Always 1, labelled by procfast's version and the Rust compiler, architecture and OS it was built for.",
    )
    .header(out);
    let _ = writeln!(
        out,
        "procfast_build_info{{version=\"{}\",rustversion=\"{}\",arch=\"{}\",os=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION"),
        escape_label(RUST_VERSION),
        std::env::consts::ARCH,
        std::env::consts::OS,
    );
}

/// A label value as the text format writes it: `\`, `"` and newlines escaped.
pub(super) fn escape_label(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
