//! The tikv `prometheus` crate's Collector exports the truth, read here independently of
//! procfast, under the names and types of that crate's own process collector.

use crate::support::helper::Helper;
use crate::support::prometheus::{families, promtool_check, samples};
use crate::support::rerun::{self, test_name};
use crate::support::truth::{
    burn_until_fractional_cpu, clk_tck, listed_fds, net_dev, rlimit_soft, soft_limit, start_time,
    stat,
};
use procfast::prometheus::{NewError, ProcessCollector};
use procfast::ProcessMetrics;
use prometheus::{Encoder, Registry, TextEncoder};
use std::process::{Command, Stdio};

fn encode(registry: &Registry) -> String {
    let mut out = Vec::new();
    TextEncoder::new()
        .encode(&registry.gather(), &mut out)
        .unwrap();
    String::from_utf8(out).unwrap()
}

/// Asserts that promtool accepts `text` (where promtool is on PATH).
fn promtool(text: &str) {
    if let Some((ok, report)) = promtool_check(text) {
        assert!(ok, "promtool check metrics: {report}\n{text}");
    }
}

// ---- Tests. ----

#[test]
fn another_process_is_exported_exactly() {
    // A sleeping helper with a known fd count; only its CPU time may move (it wakes every
    // 100 ms), so that is bracketed by readings before and after the gather.
    let helper = Helper::holding_fds(77);
    let pid = helper.pid.to_string();
    let registry = Registry::new();
    let collector = ProcessCollector::new(helper.pid, "app").unwrap();
    registry.register(Box::new(collector.clone())).unwrap();

    let before = stat(&pid);
    let text = encode(&registry);
    let after = stat(&pid);
    assert_eq!(collector.last_error(), None);
    assert_eq!(
        (before.vsize, before.rss_pages, before.threads),
        (after.vsize, after.rss_pages, after.threads),
        "the helper was not quiet"
    );
    let got = samples(&text);
    let page = rustix::param::page_size() as f64;
    let tck = clk_tck() as f64;

    let cpu = got["app_process_cpu_seconds_total"];
    let (low, high) = (before.cpu_ticks as f64 / tck, after.cpu_ticks as f64 / tck);
    assert!(low <= cpu && cpu <= high, "{low} <= {cpu} <= {high}");
    // Exact: a whole number of ticks, not truncated to whole seconds.
    let ticks = cpu * tck;
    assert_eq!(
        ticks,
        ticks.round(),
        "{cpu} s is not a whole number of ticks"
    );
    assert_eq!(got["app_process_open_fds"], 77.0);
    assert_eq!(listed_fds(&pid), 77);
    assert_eq!(
        got["app_process_max_fds"],
        soft_limit(helper.pid, "Max open files")
    );
    assert_eq!(
        got["app_process_virtual_memory_max_bytes"],
        soft_limit(helper.pid, "Max address space")
    );
    assert_eq!(got["app_process_virtual_memory_bytes"], after.vsize as f64);
    assert_eq!(
        got["app_process_resident_memory_bytes"],
        after.rss_pages as f64 * page
    );
    assert_eq!(got["app_process_threads"], after.threads as f64);
    assert_eq!(got["app_process_start_time_seconds"], start_time(&pid));
    // Nothing else: the network counters are opt-in.
    assert_eq!(got.len(), 8, "{text}");
    promtool(&text);
}

#[test]
fn names_help_and_types_are_those_of_the_crates_own_collector() {
    let helper = Helper::holding_fds(12);
    let theirs = Registry::new();
    theirs
        .register(Box::new(
            prometheus::process_collector::ProcessCollector::new(helper.pid, "app"),
        ))
        .unwrap();
    let ours = Registry::new();
    ours.register(Box::new(ProcessCollector::new(helper.pid, "app").unwrap()))
        .unwrap();
    let (their_text, our_text) = (encode(&theirs), encode(&ours));
    let (their_families, mut our_families) = (families(&their_text), families(&our_text));
    assert_eq!(their_families.len(), 7, "{their_text}");

    // Every family of theirs is ours, with the same type and help; ours adds client_golang's
    // maximum address space.
    let extra = our_families
        .remove("app_process_virtual_memory_max_bytes")
        .unwrap();
    assert_eq!(
        extra,
        (
            "gauge".into(),
            "Maximum amount of virtual memory available in bytes.".into()
        )
    );
    assert_eq!(our_families, their_families);

    // Where theirs is exact, the values agree.
    let (their_values, our_values) = (samples(&their_text), samples(&our_text));
    for name in [
        "app_process_open_fds",
        "app_process_virtual_memory_bytes",
        "app_process_resident_memory_bytes",
        "app_process_threads",
    ] {
        assert_eq!(our_values[name], their_values[name], "{name}");
    }
    assert_eq!(our_values["app_process_open_fds"], 12.0);
    // Theirs truncates CPU time to whole seconds.
    let cpu = our_values["app_process_cpu_seconds_total"];
    assert_eq!(their_values["app_process_cpu_seconds_total"], cpu.floor());
}

#[test]
fn the_start_time_of_another_process_is_its_own() {
    let mut child = Command::new("sleep")
        .arg("30")
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let registry = Registry::new();
    registry
        .register(Box::new(ProcessCollector::new(pid, "").unwrap()))
        .unwrap();
    let got = samples(&encode(&registry));
    let truth = start_time(&pid.to_string());
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(got["process_start_time_seconds"], truth);
    // Not this process's start (which the crate's own collector reports for any pid), unless
    // both started in the same tick.
    let mine = start_time("self");
    if mine != truth {
        assert_ne!(got["process_start_time_seconds"], mine);
    }
}

/// Marker the quiet re-run prints when it has checked everything.
const ALONE_MARKER: &str = "for_self: checked";

#[test]
fn for_self_is_exported_exactly() {
    // Checked in a re-run of this binary running only that test: no other test thread opens
    // fds or allocates meanwhile, so the own figures can be compared exactly.
    rerun::assert_passes_alone(&test_name!(for_self_alone), &[], ALONE_MARKER);
}

#[test]
#[ignore = "run alone by for_self_is_exported_exactly"]
fn for_self_alone() {
    if rerun::outside_rerun("for_self_is_exported_exactly") {
        return;
    }
    let registry = Registry::new();
    registry
        .register(Box::new(ProcessCollector::for_self().unwrap()))
        .unwrap();
    // Warm up: the first gather and encode may grow the heap.
    encode(&registry);
    burn_until_fractional_cpu();

    // std's listing holds one fd of its own while it lists.
    let fds_before = listed_fds("self") - 1;
    let before = stat("self");
    let gathered = registry.gather();
    let after = stat("self");
    let fds_after = listed_fds("self") - 1;
    let mut text = Vec::new();
    TextEncoder::new().encode(&gathered, &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    let got = samples(&text);

    let tck = clk_tck() as f64;
    let between = |name: &str, a: f64, b: f64| {
        let v = got[name];
        assert!(
            a.min(b) <= v && v <= a.max(b),
            "{name}: {v} not in {a}..={b}"
        );
    };
    between(
        "process_cpu_seconds_total",
        before.cpu_ticks as f64 / tck,
        after.cpu_ticks as f64 / tck,
    );
    between("process_open_fds", fds_before as f64, fds_after as f64);
    between(
        "process_virtual_memory_bytes",
        before.vsize as f64,
        after.vsize as f64,
    );
    let page = rustix::param::page_size() as f64;
    between(
        "process_resident_memory_bytes",
        before.rss_pages as f64 * page,
        after.rss_pages as f64 * page,
    );
    between(
        "process_threads",
        before.threads as f64,
        after.threads as f64,
    );
    assert_eq!(
        got["process_max_fds"],
        rlimit_soft(rustix::process::Resource::Nofile)
    );
    assert_eq!(
        got["process_virtual_memory_max_bytes"],
        rlimit_soft(rustix::process::Resource::As)
    );
    assert_eq!(got["process_start_time_seconds"], start_time("self"));
    assert_eq!(got.len(), 8, "{text}");
    println!("{ALONE_MARKER}");
}

#[test]
fn network_counters_are_opt_in_and_exact() {
    let helper = Helper::holding_fds(5);
    let net_dev = |pid: i32| {
        let (rx, tx) = net_dev(pid);
        (rx as f64, tx as f64)
    };
    let metrics = ProcessMetrics::open(helper.pid).unwrap().with_network(true);
    let registry = Registry::new();
    registry
        .register(Box::new(
            ProcessCollector::with_metrics(metrics, "").unwrap(),
        ))
        .unwrap();
    let before = net_dev(helper.pid);
    let text = encode(&registry);
    let after = net_dev(helper.pid);
    let got = samples(&text);
    let (rx, tx) = (
        got["process_network_receive_bytes_total"],
        got["process_network_transmit_bytes_total"],
    );
    // Traffic of the whole network namespace, which others may be using meanwhile.
    assert!(before.0 <= rx && rx <= after.0, "{before:?} {rx} {after:?}");
    assert!(before.1 <= tx && tx <= after.1, "{before:?} {tx} {after:?}");
    let kinds = families(&text);
    assert_eq!(kinds["process_network_receive_bytes_total"].0, "counter");
    assert_eq!(kinds["process_network_transmit_bytes_total"].0, "counter");
    assert_eq!(got.len(), 10, "{text}");
    promtool(&text);
}

#[test]
fn a_process_gone_between_gathers_is_a_missing_sample_not_a_panic() {
    let mut helper = Helper::holding_fds(5);
    let collector = ProcessCollector::new(helper.pid, "").unwrap();
    let registry = Registry::new();
    registry.register(Box::new(collector.clone())).unwrap();
    assert!(encode(&registry).contains("\nprocess_open_fds 5\n"));
    assert_eq!(collector.last_error(), None);

    helper.kill_and_reap();
    assert_eq!(encode(&registry), "");
    assert_eq!(collector.last_error(), Some(procfast::Error::Gone));
}

#[test]
fn construction_errors_are_returned() {
    let mut helper = Helper::holding_fds(3);
    let pid = helper.pid;
    for bad in ["my-app", "1app", "a b", "x\nevil 1"] {
        assert!(
            matches!(ProcessCollector::new(pid, bad), Err(NewError::Namespace(_))),
            "{bad:?}"
        );
        let metrics = ProcessMetrics::open(pid).unwrap();
        assert!(
            ProcessCollector::with_metrics(metrics, bad).is_err(),
            "{bad:?}"
        );
    }
    helper.kill_and_reap();
    assert_eq!(
        ProcessCollector::new(pid, "app").unwrap_err(),
        NewError::Open(procfast::Error::Gone)
    );
}

#[test]
fn registering_next_to_the_crates_own_collector_is_refused() {
    let registry = Registry::new();
    registry
        .register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))
        .unwrap();
    let ours = ProcessCollector::for_self().unwrap();
    assert!(matches!(
        registry.register(Box::new(ours)),
        Err(prometheus::Error::AlreadyReg)
    ));
}
