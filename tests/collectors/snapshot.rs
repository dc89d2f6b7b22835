//! The process collector's figures against independent truths, and its behaviour when the
//! process goes away.

use crate::support::helper::Helper;
use procfast::{Error, ProcessMetrics};
use std::time::{SystemTime, UNIX_EPOCH};

fn now_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[test]
fn figures_match_their_truths() {
    let spawned_at = now_seconds();
    let helper = Helper::holding_fds(1_234);
    let mut metrics = ProcessMetrics::open(helper.pid).unwrap();
    let s = metrics.snapshot().unwrap();
    assert_eq!(s.open_fds, Some(1_234));
    // The helper raised its soft RLIMIT_NOFILE to the hard limit; prlimit reads it.
    let hard = rustix::process::getrlimit(rustix::process::Resource::Nofile).maximum;
    assert_eq!(s.max_fds, Some(hard.map_or(f64::INFINITY, |h| h as f64)));
    assert_eq!(s.virtual_memory_max_bytes, Some(f64::INFINITY));
    let threads = std::fs::read_dir(format!("/proc/{}/task", helper.pid))
        .unwrap()
        .count();
    assert_eq!(s.threads, Some(threads as u64));
    // Start time: between just before the spawn and now, to within the clock tick and the
    // boot time's whole-second resolution.
    let start = s.start_time_seconds.unwrap();
    assert!(
        start >= spawned_at - 1.5 && start <= now_seconds() + 1.0,
        "{start} vs {spawned_at}"
    );
    let status = std::fs::read_to_string(format!("/proc/{}/status", helper.pid)).unwrap();
    let vm_kib = |key: &str| -> u64 {
        let line = status.lines().find(|l| l.starts_with(key)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    assert_eq!(s.virtual_memory_bytes, Some(vm_kib("VmSize:") * 1024));
    // stat's rss sums the kernel's per-CPU counters loosely while status' VmRSS sums them
    // exactly, so the two may differ by a little; a unit error would be off by 4096x.
    let rss = s.resident_memory_bytes.unwrap() as f64;
    let vm_rss = (vm_kib("VmRSS:") * 1024) as f64;
    assert!(
        (rss - vm_rss).abs() <= 4.0 * 1024.0 * 1024.0,
        "{rss} vs VmRSS {vm_rss}"
    );
    assert!(s.cpu_seconds_total.unwrap() >= 0.0);
    assert_eq!(s.network_receive_bytes_total, None, "network is opt-in");
}

#[test]
fn own_process_limits_come_from_getrlimit() {
    let mut metrics = ProcessMetrics::myself().unwrap().with_network(true);
    let s = metrics.snapshot().unwrap();
    let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
    assert_eq!(s.max_fds, Some(soft.map_or(f64::INFINITY, |v| v as f64)));
    assert!(s.network_receive_bytes_total.is_some() && s.network_transmit_bytes_total.is_some());
    let mut text = String::new();
    s.write_text(&mut text, None).unwrap();
    assert_eq!(text.matches("# TYPE ").count(), 10, "{text}");
}

#[test]
fn a_process_that_exits_between_scrapes_is_gone() {
    let mut helper = Helper::holding_fds(3);
    let mut metrics = ProcessMetrics::open(helper.pid).unwrap();
    assert_eq!(metrics.snapshot().unwrap().open_fds, Some(3));
    helper.kill_and_reap();
    assert_eq!(metrics.snapshot().unwrap_err(), Error::Gone);
    assert_eq!(metrics.snapshot().unwrap_err(), Error::Gone);
}
