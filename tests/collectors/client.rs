//! The `prometheus-client` Collector exports exactly the snapshot's metric set.

use crate::support::helper::Helper;
use crate::support::prometheus::samples;
use procfast::{ProcessCollector, ProcessMetrics};
use prometheus_client::registry::Registry;

#[test]
fn the_collector_exports_the_snapshot() {
    // A sleeping helper: none of its figures move between the two readings.
    let helper = Helper::holding_fds(77);
    let mut direct = ProcessMetrics::open(helper.pid).unwrap().with_network(true);
    let mut text = String::new();
    direct
        .snapshot()
        .unwrap()
        .write_text(&mut text, Some("app"))
        .unwrap();

    let mut registry = Registry::with_prefix("app");
    let collector = ProcessMetrics::open(helper.pid).unwrap().with_network(true);
    registry.register_collector(Box::new(ProcessCollector::new(collector)));
    let mut encoded = String::new();
    prometheus_client::encoding::text::encode(&mut encoded, &registry).unwrap();

    let (want, got) = (samples(&text), samples(&encoded));
    assert_eq!(want.len(), 10, "{text}");
    assert_eq!(got, want, "\n{encoded}\nvs\n{text}");
    assert_eq!(got["app_process_open_fds"], 77.0);
    // HELP and TYPE lines name the same families (prometheus-client names counters without
    // the `_total` suffix in its OpenMetrics output).
    assert!(encoded.contains("# TYPE app_process_cpu_seconds counter"));
    assert!(encoded.contains("# TYPE app_process_open_fds gauge"));
    assert!(encoded.contains("# HELP app_process_open_fds Number of open file descriptors."));
}

#[test]
fn a_process_gone_between_scrapes_is_a_missing_sample_not_a_failed_scrape() {
    let mut helper = Helper::holding_fds(5);
    let collector = std::sync::Arc::new(ProcessCollector::new(
        ProcessMetrics::open(helper.pid).unwrap(),
    ));
    let mut registry = Registry::default();
    registry.register_collector(Box::new(collector.clone()));
    let mut before = String::new();
    prometheus_client::encoding::text::encode(&mut before, &registry).unwrap();
    assert!(before.contains("process_open_fds 5"), "{before}");
    assert_eq!(collector.last_error(), None);

    helper.kill_and_reap();
    let mut after = String::new();
    prometheus_client::encoding::text::encode(&mut after, &registry).unwrap();
    assert!(!after.contains("process_open_fds"), "{after}");
    assert!(after.ends_with("# EOF\n"));
    assert_eq!(collector.last_error(), Some(procfast::Error::Gone));
}
