//! Each parser against procfs-core's equivalent on the same bytes.
//!
//! The fixtures are files read from a real machine (kernel 6.18), embedded as constants so every
//! contender parses identical input. Each iteration checks a value of its result (httparse style),
//! so nothing can be optimised away or silently fail; throughput is reported in input bytes.
//!
//! Run with `cargo bench --bench parse`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use procfast::parse;
use procfs::{FromRead, FromReadSI};

#[path = "shared/stat_fields.rs"]
mod stat_fields;
#[path = "../tests/support/mod.rs"]
mod support;
use stat_fields::{all_fields, exporter_fields};
use support::fixtures::{
    procfs_system_info as system_info, FILE_NR, IO, LIMITS, LOADAVG, MEMINFO, NET_DEV, PROC_STAT,
    SOCKSTAT, STAT, STATM, STATUS, STAT_PID1,
};

/// The floor a stat parser is compared to: split the borrowed line and parse each number into a
/// fixed array, with no error naming, no optional fields and no struct.
fn naive_stat(buf: &[u8]) -> Option<(i32, [u64; 49])> {
    let text = std::str::from_utf8(buf).ok()?.trim_end();
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text[..open].trim().parse().ok()?;
    let mut fields = [0u64; 49];
    let mut words = text[close + 2..].split(' ').skip(1);
    for slot in fields.iter_mut() {
        let w = words.next()?;
        *slot = w
            .parse()
            .or_else(|_| w.parse::<i64>().map(|v| v as u64))
            .ok()?;
    }
    Some((pid, fields))
}

fn benches(c: &mut Criterion) {
    for (name, fixture, pid) in [("stat", STAT, 1038), ("stat_pid1", STAT_PID1, 1)] {
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(fixture.len() as u64));
        g.bench_function("procfast", |b| {
            b.iter(|| {
                let st = parse::stat::parse(black_box(fixture)).unwrap();
                assert_eq!(st.pid, pid);
                st.rss()
            })
        });
        // `parse` checks every field but converts none: these two rows add the conversions, for
        // the fields a process exporter reads and for all 49 numbers.
        g.bench_function("procfast-exporter-fields", |b| {
            b.iter(|| {
                let st = parse::stat::parse(black_box(fixture)).unwrap();
                assert_eq!(st.pid, pid);
                exporter_fields(&st)
            })
        });
        g.bench_function("procfast-all-fields", |b| {
            b.iter(|| {
                let st = parse::stat::parse(black_box(fixture)).unwrap();
                assert_eq!(st.pid, pid);
                all_fields(&st)
            })
        });
        g.bench_function("procfs-core", |b| {
            b.iter(|| {
                let st = procfs::process::Stat::from_read(black_box(fixture)).unwrap();
                assert_eq!(st.pid, pid);
                st.rss
            })
        });
        g.bench_function("naive-split", |b| {
            b.iter(|| {
                let (got, fields) = naive_stat(black_box(fixture)).unwrap();
                assert_eq!(got, pid);
                fields[20]
            })
        });
        g.finish();
    }

    let mut g = c.benchmark_group("statm");
    g.throughput(Throughput::Bytes(STATM.len() as u64));
    g.bench_function("procfast", |b| {
        b.iter(|| {
            let m = parse::statm::parse(black_box(STATM)).unwrap();
            assert!(m.resident > 0);
            m.resident
        })
    });
    g.bench_function("procfs-core", |b| {
        b.iter(|| {
            let m = procfs::process::StatM::from_read(black_box(STATM)).unwrap();
            assert!(m.resident > 0);
            m.resident
        })
    });
    g.finish();

    let mut g = c.benchmark_group("status");
    g.throughput(Throughput::Bytes(STATUS.len() as u64));
    g.bench_function("procfast", |b| {
        b.iter(|| {
            let st = parse::status::parse(black_box(STATUS)).unwrap();
            assert_eq!(st.threads(), 13);
            st.vm_rss_bytes()
        })
    });
    g.bench_function("procfs-core", |b| {
        b.iter(|| {
            let st = procfs::process::Status::from_read(black_box(STATUS)).unwrap();
            assert_eq!(st.threads, 13);
            st.vmrss
        })
    });
    g.finish();

    let mut g = c.benchmark_group("limits");
    g.throughput(Throughput::Bytes(LIMITS.len() as u64));
    g.bench_function("procfast", |b| {
        b.iter(|| {
            let l = parse::limits::parse(black_box(LIMITS)).unwrap();
            assert_eq!(l.max_open_files().soft, Some(32768));
            l.max_stack_size().soft
        })
    });
    g.bench_function("procfs-core", |b| {
        b.iter(|| {
            let l = procfs::process::Limits::from_read(black_box(LIMITS)).unwrap();
            assert!(matches!(
                l.max_open_files.soft_limit,
                procfs::process::LimitValue::Value(32768)
            ));
            l.max_stack_size.soft_limit
        })
    });
    g.finish();

    let mut g = c.benchmark_group("io");
    g.throughput(Throughput::Bytes(IO.len() as u64));
    g.bench_function("procfast", |b| {
        b.iter(|| {
            let io = parse::io::parse(black_box(IO)).unwrap();
            assert_eq!(io.rchar, 6976);
            io.read_bytes
        })
    });
    g.bench_function("procfs-core", |b| {
        b.iter(|| {
            let io = procfs::process::Io::from_read(black_box(IO)).unwrap();
            assert_eq!(io.rchar, 6976);
            io.read_bytes
        })
    });
    g.finish();

    let mut g = c.benchmark_group("net_dev");
    g.throughput(Throughput::Bytes(NET_DEV.len() as u64));
    g.bench_function("procfast", |b| {
        b.iter(|| {
            let dev = parse::net_dev::parse(black_box(NET_DEV)).unwrap();
            let rx: u64 = dev.interfaces().map(|i| i.rx_bytes).sum();
            assert!(rx > 0);
            rx
        })
    });
    g.bench_function("procfs-core", |b| {
        b.iter(|| {
            let dev = procfs::net::InterfaceDeviceStatus::from_read(black_box(NET_DEV)).unwrap();
            let rx: u64 = dev.0.values().map(|i| i.recv_bytes).sum();
            assert!(rx > 0);
            rx
        })
    });
    g.finish();

    let mut g = c.benchmark_group("proc_stat");
    g.throughput(Throughput::Bytes(PROC_STAT.len() as u64));
    g.bench_function("procfast", |b| {
        b.iter(|| {
            let st = parse::proc_stat::parse(black_box(PROC_STAT)).unwrap();
            let idle: u64 = st.cpus().map(|(_, c)| c.idle).sum();
            assert_eq!(st.btime, 1795303762);
            idle
        })
    });
    g.bench_function("procfs-core", |b| {
        let si = system_info();
        b.iter(|| {
            let st = procfs::KernelStats::from_read(black_box(PROC_STAT), &si).unwrap();
            let idle: u64 = st.cpu_time.iter().map(|c| c.idle).sum();
            assert_eq!(st.btime, 1795303762);
            idle
        })
    });
    g.finish();

    let mut g = c.benchmark_group("meminfo");
    g.throughput(Throughput::Bytes(MEMINFO.len() as u64));
    g.bench_function("procfast", |b| {
        b.iter(|| {
            let m = parse::meminfo::parse(black_box(MEMINFO)).unwrap();
            assert_eq!(m.mem_total_bytes(), 24684092 * 1024);
            m.mem_available_bytes()
        })
    });
    g.bench_function("procfs-core", |b| {
        b.iter(|| {
            let m = procfs::Meminfo::from_read(black_box(MEMINFO)).unwrap();
            assert_eq!(m.mem_total, 24684092 * 1024);
            m.mem_available
        })
    });
    g.finish();

    let mut g = c.benchmark_group("loadavg");
    g.throughput(Throughput::Bytes(LOADAVG.len() as u64));
    g.bench_function("procfast", |b| {
        b.iter(|| {
            let l = parse::loadavg::parse(black_box(LOADAVG)).unwrap();
            assert_eq!(l.total, 81);
            l.one
        })
    });
    g.bench_function("procfs-core", |b| {
        b.iter(|| {
            let l = procfs::LoadAverage::from_read(black_box(LOADAVG)).unwrap();
            assert_eq!(l.max, 81);
            l.one
        })
    });
    g.finish();

    // No procfs-core equivalent parses these from bytes: procfast alone, for the record.
    let mut g = c.benchmark_group("sockstat");
    g.throughput(Throughput::Bytes(SOCKSTAT.len() as u64));
    g.bench_function("procfast", |b| {
        b.iter(|| {
            let s = parse::sockstat::parse(black_box(SOCKSTAT)).unwrap();
            assert!(s.sockets_used().is_some());
            s.tcp_inuse()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("file_nr");
    g.throughput(Throughput::Bytes(FILE_NR.len() as u64));
    g.bench_function("procfast", |b| {
        b.iter(|| {
            let nr = parse::file_nr::parse(black_box(FILE_NR)).unwrap();
            assert_eq!(nr.max, 2466177);
            nr.allocated
        })
    });
    g.finish();
}

criterion_group!(parse_benches, benches);
criterion_main!(parse_benches);
