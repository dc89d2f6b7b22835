//! The metrics-rs recorder records the truth, read here independently of procfast: counters as
//! counters, unlimited limits as +Inf, exact CPU time next to the whole-second counter.

use crate::support::helper::Helper;
use crate::support::prometheus::promtool_check;
use crate::support::truth::{
    burn_until_fractional_cpu, clk_tck, net_dev, rlimit_soft, soft_limit, start_time, stat,
};
use metrics_exporter_prometheus::PrometheusBuilder;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use metrics_util::MetricKind;
use procfast::metrics_rs::ProcessRecorder;
use procfast::ProcessMetrics;
use std::collections::BTreeMap;

/// CPU time in microseconds, exactly, for a tick rate dividing 1,000,000.
fn ticks_to_micros(ticks: u64) -> u64 {
    let tck = clk_tck();
    assert_eq!(1_000_000 % tck, 0, "CLK_TCK {tck}");
    ticks * (1_000_000 / tck)
}

// ---- Capturing what was recorded. ----

#[derive(Debug, PartialEq)]
struct Recorded {
    kind: MetricKind,
    unit: Option<metrics::Unit>,
    help: Option<String>,
    value: Sample,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Sample {
    Counter(u64),
    Gauge(f64),
}

/// Runs `f` against a fresh debugging recorder and returns what it recorded, by name.
fn capture(f: impl FnOnce()) -> BTreeMap<String, Recorded> {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, f);
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, unit, help, value)| {
            let value = match value {
                DebugValue::Counter(v) => Sample::Counter(v),
                DebugValue::Gauge(v) => Sample::Gauge(v.into_inner()),
                DebugValue::Histogram(_) => panic!("no histogram is recorded"),
            };
            assert!(key.key().labels().next().is_none(), "{key:?} has labels");
            let name = key.key().name().to_string();
            let recorded = Recorded {
                kind: key.kind(),
                unit,
                help: help.map(|h| h.to_string()),
                value,
            };
            (name, recorded)
        })
        .collect()
}

fn counter(got: &BTreeMap<String, Recorded>, name: &str) -> u64 {
    match got[name] {
        Recorded {
            kind: MetricKind::Counter,
            value: Sample::Counter(v),
            ..
        } => v,
        ref other => panic!("{name} is not a counter: {other:?}"),
    }
}

fn gauge(got: &BTreeMap<String, Recorded>, name: &str) -> f64 {
    match got[name] {
        Recorded {
            kind: MetricKind::Gauge,
            value: Sample::Gauge(v),
            ..
        } => v,
        ref other => panic!("{name} is not a gauge: {other:?}"),
    }
}

/// Asserts that the exact CPU counter, `{prefix}process_cpu_microseconds_total`, lies between
/// the tick counts read just before and just after the capture, and that the standard one in
/// seconds is it in whole seconds.
fn assert_cpu_bracketed(got: &BTreeMap<String, Recorded>, prefix: &str, before: u64, after: u64) {
    let micros = counter(got, &format!("{prefix}process_cpu_microseconds_total"));
    let (low, high) = (ticks_to_micros(before), ticks_to_micros(after));
    assert!(
        low <= micros && micros <= high,
        "{low} <= {micros} <= {high}"
    );
    let seconds = counter(got, &format!("{prefix}process_cpu_seconds_total"));
    assert_eq!(seconds, micros / 1_000_000);
}

// ---- Tests. ----

#[test]
fn another_process_is_recorded_exactly() {
    let helper = Helper::holding_fds(33);
    let pid = helper.pid.to_string();
    // An unlimited address space for the helper, to see it recorded as +Inf (possible only
    // where the hard limit is unlimited already).
    let unlimited = rustix::process::Rlimit {
        current: None,
        maximum: None,
    };
    let as_unlimited = rustix::process::prlimit(
        rustix::process::Pid::from_raw(helper.pid),
        rustix::process::Resource::As,
        unlimited,
    )
    .is_ok();

    let metrics = ProcessMetrics::open(helper.pid).unwrap().with_network(true);
    let mut recorder = ProcessRecorder::new(metrics).with_namespace("app").unwrap();
    let (before, net_before) = (stat(&pid), net_dev(helper.pid));
    let got = capture(|| {
        recorder.describe();
        recorder.record().unwrap();
    });
    let (after, net_after) = (stat(&pid), net_dev(helper.pid));
    assert_eq!(
        (before.vsize, before.rss_pages, before.threads),
        (after.vsize, after.rss_pages, after.threads),
        "the helper was not quiet"
    );

    // CPU: the exact counter in microseconds, and the standard one in whole seconds.
    assert_cpu_bracketed(&got, "app_", before.cpu_ticks, after.cpu_ticks);

    assert_eq!(gauge(&got, "app_process_open_fds"), 33.0);
    assert_eq!(
        gauge(&got, "app_process_max_fds"),
        soft_limit(helper.pid, "Max open files")
    );
    let max_vm = soft_limit(helper.pid, "Max address space");
    assert_eq!(gauge(&got, "app_process_virtual_memory_max_bytes"), max_vm);
    if as_unlimited {
        assert_eq!(max_vm, f64::INFINITY);
    } else {
        eprintln!("skipped: the hard RLIMIT_AS is finite, so +Inf is not seen here");
    }
    assert_eq!(
        gauge(&got, "app_process_virtual_memory_bytes"),
        after.vsize as f64
    );
    assert_eq!(
        gauge(&got, "app_process_resident_memory_bytes"),
        (after.rss_pages * rustix::param::page_size() as u64) as f64
    );
    assert_eq!(gauge(&got, "app_process_threads"), after.threads as f64);
    assert_eq!(
        gauge(&got, "app_process_start_time_seconds"),
        start_time(&pid)
    );
    // Network counters: u64 counters, between readings before and after (the traffic is the
    // whole network namespace's, which others may be using meanwhile).
    let rx = counter(&got, "app_process_network_receive_bytes_total");
    let tx = counter(&got, "app_process_network_transmit_bytes_total");
    assert!(
        net_before.0 <= rx && rx <= net_after.0,
        "{net_before:?} {rx} {net_after:?}"
    );
    assert!(
        net_before.1 <= tx && tx <= net_after.1,
        "{net_before:?} {tx} {net_after:?}"
    );
    assert_eq!(got.len(), 11, "{got:#?}");
}

#[test]
fn a_finite_address_space_limit_is_recorded_as_it_is() {
    let helper = Helper::holding_fds(4);
    let limit = 1u64 << 40;
    let hard = rustix::process::getrlimit(rustix::process::Resource::As).maximum;
    let limited = rustix::process::Rlimit {
        current: Some(hard.map_or(limit, |h| h.min(limit))),
        maximum: hard,
    };
    rustix::process::prlimit(
        rustix::process::Pid::from_raw(helper.pid),
        rustix::process::Resource::As,
        limited,
    )
    .unwrap();
    let mut recorder = ProcessRecorder::new(ProcessMetrics::open(helper.pid).unwrap());
    let got = capture(|| recorder.record().unwrap());
    let want = soft_limit(helper.pid, "Max address space");
    assert_eq!(want, limited.current.unwrap() as f64);
    assert_eq!(gauge(&got, "process_virtual_memory_max_bytes"), want);
}

#[test]
fn describe_gives_client_golangs_help_and_units() {
    let mut recorder = ProcessRecorder::myself().unwrap();
    let got = capture(|| {
        recorder.describe();
        recorder.record().unwrap();
    });
    // The help texts are the snapshot's, which are client_golang's.
    let snapshot = ProcessMetrics::myself().unwrap().snapshot().unwrap();
    for metric in snapshot.metrics() {
        let recorded = &got[metric.name];
        assert_eq!(
            recorded.help.as_deref(),
            Some(metric.help),
            "{}",
            metric.name
        );
        let kind = match metric.kind {
            procfast::MetricKind::Counter => MetricKind::Counter,
            procfast::MetricKind::Gauge => MetricKind::Gauge,
        };
        assert_eq!(recorded.kind, kind, "{}", metric.name);
    }
    use metrics::Unit;
    let units = [
        ("process_cpu_seconds_total", Unit::Seconds),
        ("process_cpu_microseconds_total", Unit::Microseconds),
        ("process_open_fds", Unit::Count),
        ("process_max_fds", Unit::Count),
        ("process_virtual_memory_bytes", Unit::Bytes),
        ("process_virtual_memory_max_bytes", Unit::Bytes),
        ("process_resident_memory_bytes", Unit::Bytes),
        ("process_start_time_seconds", Unit::Seconds),
        ("process_threads", Unit::Count),
    ];
    for (name, unit) in units {
        assert_eq!(got[name].unit, Some(unit), "{name}");
    }
    assert_eq!(got.len(), units.len(), "{got:#?}");
}

#[test]
fn the_names_and_kinds_of_metrics_process_are_kept() {
    // metrics-process 2.x: the CPU counter, and gauges for the rest.
    let gauges = [
        "process_open_fds",
        "process_max_fds",
        "process_virtual_memory_bytes",
        "process_virtual_memory_max_bytes",
        "process_resident_memory_bytes",
        "process_start_time_seconds",
        "process_threads",
    ];
    let theirs: BTreeMap<&str, MetricKind> = gauges
        .into_iter()
        .map(|name| (name, MetricKind::Gauge))
        .chain([("process_cpu_seconds_total", MetricKind::Counter)])
        .collect();
    let mut recorder = ProcessRecorder::myself().unwrap().with_exact_cpu(false);
    let got = capture(|| recorder.record().unwrap());
    let ours: BTreeMap<&str, MetricKind> = got.iter().map(|(n, r)| (n.as_str(), r.kind)).collect();
    assert_eq!(ours, theirs);
}

#[test]
fn the_own_cpu_time_limits_and_start_time_are_exact() {
    let mut recorder = ProcessRecorder::myself().unwrap();
    burn_until_fractional_cpu();
    let before = stat("self").cpu_ticks;
    let got = capture(|| recorder.record().unwrap());
    let after = stat("self").cpu_ticks;
    // CPU time only grows (other test threads may be running): bracketed.
    assert_cpu_bracketed(&got, "", before, after);
    assert_eq!(
        gauge(&got, "process_max_fds"),
        rlimit_soft(rustix::process::Resource::Nofile)
    );
    assert_eq!(
        gauge(&got, "process_virtual_memory_max_bytes"),
        rlimit_soft(rustix::process::Resource::As)
    );
    assert_eq!(
        gauge(&got, "process_start_time_seconds"),
        start_time("self")
    );
}

#[test]
fn the_prometheus_exporter_renders_it_and_promtool_accepts_it() {
    let helper = Helper::holding_fds(9);
    let render = |exact: bool| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        let mut process =
            ProcessRecorder::new(ProcessMetrics::open(helper.pid).unwrap()).with_exact_cpu(exact);
        metrics::with_local_recorder(&recorder, || {
            process.describe();
            process.record().unwrap();
        });
        handle.render()
    };
    let text = render(true);
    for (name, kind) in [
        ("process_cpu_seconds_total", "counter"),
        ("process_cpu_microseconds_total", "counter"),
        ("process_open_fds", "gauge"),
        ("process_max_fds", "gauge"),
        ("process_start_time_seconds", "gauge"),
    ] {
        assert!(
            text.contains(&format!("# TYPE {name} {kind}\n")),
            "{name}:\n{text}"
        );
    }
    assert!(text.contains("\nprocess_open_fds 9\n"), "{text}");
    assert!(text.contains("# HELP process_open_fds Number of open file descriptors.\n"));

    let lean = render(false);
    assert!(!lean.contains("process_cpu_microseconds_total"), "{lean}");
    let Some((ok, report)) = promtool_check(&lean) else {
        return;
    };
    assert!(ok, "promtool check metrics:\n{report}\n{lean}");
    // With the exact counter, promtool's only complaint is the documented one about its unit.
    let (ok, report) = promtool_check(&text).unwrap();
    let problems: Vec<&str> = report.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        ok || problems
            == ["process_cpu_microseconds_total use base unit \"seconds\" instead of \"microseconds\""],
        "promtool check metrics:\n{report}\n{text}"
    );
}

#[test]
fn a_gone_process_is_an_error_and_records_nothing() {
    let mut helper = Helper::holding_fds(3);
    let mut recorder = ProcessRecorder::new(ProcessMetrics::open(helper.pid).unwrap());
    let got = capture(|| recorder.record().unwrap());
    assert_eq!(gauge(&got, "process_open_fds"), 3.0);

    helper.kill_and_reap();
    let mut result = Ok(());
    let got = capture(|| result = recorder.record());
    assert_eq!(result, Err(procfast::Error::Gone));
    assert!(got.is_empty(), "{got:#?}");
}

#[test]
fn invalid_namespaces_are_refused() {
    for bad in ["my-app", "1app", "a b", "x\nevil 1"] {
        let recorder = ProcessRecorder::myself().unwrap();
        assert!(recorder.with_namespace(bad).is_err(), "{bad:?}");
    }
    let mut recorder = ProcessRecorder::myself()
        .unwrap()
        .with_namespace("")
        .unwrap();
    let got = capture(|| recorder.record().unwrap());
    assert!(got.contains_key("process_open_fds"));
}
