//! One scrape of the process collector's metric set, for this process at 10 and ~19,000 open
//! fds:
//!
//! - `procfast_snapshot`: `ProcessMetrics::snapshot()` on a held collector;
//! - `procfs_crate`: what a collector built on the `procfs` crate does per scrape:
//!   `Process::myself()`, `stat()`, `fd_count()` and `limits()`;
//! - `prometheus_crate`: the `prometheus` (tikv) crate's `ProcessCollector::collect()`.
//!
//! Each asserts the open fd count it reports. Run: `cargo bench --bench collect`.

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{BenchmarkId, Criterion};
use procfast::ProcessMetrics;
use prometheus::core::Collector;
use std::hint::black_box;
use std::time::Duration;

/// The naive oracle: list /proc/self/fd, less the fd the listing itself holds.
fn open_fds_now() -> u64 {
    support::truth::listed_fds("self") - 1
}

fn bench_collect(c: &mut Criterion) {
    let mut group = c.benchmark_group("collect");
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    let mut metrics = ProcessMetrics::myself().unwrap();
    metrics.snapshot().unwrap();
    let tikv = prometheus::process_collector::ProcessCollector::for_self();

    support::helper::raise_fd_limit();
    let most = support::helper::most_fds();
    let null = std::fs::File::open("/dev/null").unwrap();
    let mut held = Vec::new();
    for extra in [10, most] {
        held.resize_with(extra, || null.try_clone().unwrap());
        held.truncate(extra);
        let want = open_fds_now();
        let label = format!("{}", held.len());

        group.bench_function(BenchmarkId::new("procfast_snapshot", &label), |b| {
            b.iter(|| {
                let snapshot = black_box(&mut metrics).snapshot().unwrap();
                assert_eq!(snapshot.open_fds, Some(want));
            })
        });
        group.bench_function(BenchmarkId::new("procfs_crate", &label), |b| {
            b.iter(|| {
                let me = procfs::process::Process::myself().unwrap();
                let stat = me.stat().unwrap();
                let fds = me.fd_count().unwrap();
                let limits = me.limits().unwrap();
                black_box((
                    stat.utime,
                    stat.vsize,
                    stat.rss,
                    stat.starttime,
                    limits.max_open_files,
                ));
                assert_eq!(
                    fds as u64,
                    want + 1,
                    "procfs holds its own dirfd open meanwhile"
                );
            })
        });
        group.bench_function(BenchmarkId::new("prometheus_crate", &label), |b| {
            b.iter(|| {
                let families = black_box(&tikv).collect();
                let fds = families
                    .iter()
                    .find(|f| f.name() == "process_open_fds")
                    .map(|f| f.get_metric()[0].get_gauge().get_value());
                assert_eq!(fds, Some((want + 1) as f64));
            })
        });
    }
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_collect(&mut c);
    c.final_summary();
}
