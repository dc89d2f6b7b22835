//! The host-file parsers against procfs-core's equivalents on the same bytes.
//!
//! The fixtures are this machine's files (kernel 6.18), embedded so every contender parses
//! identical input. Each iteration checks a value of its result (httparse style) against one
//! computed before the loop by a plain `str` reading of the same bytes, so nothing can be
//! optimised away or silently fail; throughput is reported in input bytes. procfs-core has no
//! parser of `/proc/net/netstat`: that group has procfast alone, for the record.
//!
//! Run with `cargo bench --bench parse_host`. Criterion measures one function at a time, so on a
//! machine whose speed drifts the ratio of two medians can pair a fast moment with a slow one:
//! `cargo xtask bench-report` also times these pairs in the same moments (`xtask/src/pairs_host.rs`).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use procfast::parse::{diskstats, pressure, snmp, uptime, vmstat};
use procfs::FromRead;

#[path = "../tests/support/mod.rs"]
mod support;
use support::fixtures::{DISKSTATS, NETSTAT, PRESSURE_CPU, PRESSURE_IO, SNMP, UPTIME, VMSTAT};

/// The value of vmstat's `name`, by a plain `str` reading: what each contender must find.
fn vmstat_value(name: &str) -> u64 {
    let text = std::str::from_utf8(VMSTAT).unwrap();
    let line = text.lines().find(|l| l.split(' ').next() == Some(name));
    line.unwrap().split(' ').nth(1).unwrap().parse().unwrap()
}

/// The value of `proto name` in an snmp-format file, by a plain `str` reading.
fn snmp_value(file: &[u8], proto: &str, name: &str) -> i64 {
    let text = std::str::from_utf8(file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let pair = lines
        .chunks(2)
        .find(|p| p[0].split(':').next() == Some(proto));
    let pair = pair.unwrap();
    let at = pair[0].split_whitespace().position(|n| n == name).unwrap();
    pair[1].split_whitespace().nth(at).unwrap().parse().unwrap()
}

/// The `total=` of a pressure file's `some` line, by a plain `str` reading.
fn pressure_total(file: &[u8]) -> u64 {
    let text = std::str::from_utf8(file).unwrap();
    let some = text.lines().find(|l| l.starts_with("some ")).unwrap();
    some.rsplit("total=").next().unwrap().parse().unwrap()
}

/// The sectors read by every device of the diskstats fixture, as a reference for both sides.
fn diskstats_sectors_read() -> u64 {
    DISKSTATS
        .split(|&b| b == b'\n')
        .filter_map(|line| {
            std::str::from_utf8(line)
                .ok()?
                .split_whitespace()
                .nth(5)?
                .parse::<u64>()
                .ok()
        })
        .sum()
}

fn benches(c: &mut Criterion) {
    let pgfault = vmstat_value("pgfault");
    let mut g = c.benchmark_group("vmstat");
    g.throughput(Throughput::Bytes(VMSTAT.len() as u64));
    g.bench_function("procfast", |b| {
        b.iter(|| {
            let v = vmstat::parse(black_box(VMSTAT)).unwrap();
            assert_eq!(v.pgfault(), Some(pgfault));
            v.pgmajfault()
        })
    });
    g.bench_function("procfs-core", |b| {
        b.iter(|| {
            let v = procfs::VmStat::from_read(black_box(VMSTAT)).unwrap();
            assert_eq!(v.0.get("pgfault"), Some(&(pgfault as i64)));
            v.0.get("pgmajfault").copied()
        })
    });
    g.finish();

    let sectors = diskstats_sectors_read();
    assert!(sectors > 0);
    let mut g = c.benchmark_group("diskstats");
    g.throughput(Throughput::Bytes(DISKSTATS.len() as u64));
    g.bench_function("procfast", |b| {
        b.iter(|| {
            let d = diskstats::parse(black_box(DISKSTATS)).unwrap();
            let (read, busy) = d
                .disks()
                .fold((0, 0), |(r, b), d| (r + d.sectors_read, b + d.io_time_ms));
            assert_eq!(read, sectors);
            busy
        })
    });
    g.bench_function("procfs-core", |b| {
        b.iter(|| {
            let d = procfs::DiskStats::from_read(black_box(DISKSTATS)).unwrap();
            let (read, busy) = d.0.iter().fold((0, 0), |(r, b), d| {
                (r + d.sectors_read, b + d.time_in_progress)
            });
            assert_eq!(read, sectors);
            busy
        })
    });
    g.finish();

    for (name, fixture) in [("pressure_cpu", PRESSURE_CPU), ("pressure_io", PRESSURE_IO)] {
        let total = pressure_total(fixture);
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(fixture.len() as u64));
        g.bench_function("procfast", |b| {
            b.iter(|| {
                let psi = pressure::parse(black_box(fixture)).unwrap();
                assert_eq!(psi.some.total_us, total);
                psi.full.map(|f| f.avg10)
            })
        });
        g.bench_function("procfs-core", |b| {
            b.iter(|| {
                // The three resources' types are the same parser.
                let psi = procfs::IoPressure::from_read(black_box(fixture)).unwrap();
                assert_eq!(psi.some.total, total);
                psi.full.avg10
            })
        });
        g.finish();
    }

    let up: f64 = std::str::from_utf8(UPTIME)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let mut g = c.benchmark_group("uptime");
    g.throughput(Throughput::Bytes(UPTIME.len() as u64));
    g.bench_function("procfast", |b| {
        b.iter(|| {
            let u = uptime::parse(black_box(UPTIME)).unwrap();
            assert_eq!(u.uptime_seconds, up);
            u.idle_seconds
        })
    });
    g.bench_function("procfs-core", |b| {
        b.iter(|| {
            let u = procfs::Uptime::from_read(black_box(UPTIME)).unwrap();
            assert_eq!(u.uptime, up);
            u.idle
        })
    });
    g.finish();

    let opens = snmp_value(SNMP, "Tcp", "ActiveOpens") as u64;
    let mut g = c.benchmark_group("snmp");
    g.throughput(Throughput::Bytes(SNMP.len() as u64));
    g.bench_function("procfast", |b| {
        b.iter(|| {
            let s = snmp::parse(black_box(SNMP)).unwrap();
            assert_eq!(s.tcp_active_opens(), Some(opens));
            s.tcp_retrans_segs()
        })
    });
    g.bench_function("procfs-core", |b| {
        b.iter(|| {
            let s = procfs::net::Snmp::from_read(black_box(SNMP)).unwrap();
            assert_eq!(s.tcp_active_opens, opens);
            s.tcp_retrans_segs
        })
    });
    g.finish();

    let octets = snmp_value(NETSTAT, "IpExt", "InOctets") as u64;
    let mut g = c.benchmark_group("netstat");
    g.throughput(Throughput::Bytes(NETSTAT.len() as u64));
    g.bench_function("procfast", |b| {
        b.iter(|| {
            let s = snmp::parse_netstat(black_box(NETSTAT)).unwrap();
            assert_eq!(s.ip_ext_in_octets(), Some(octets));
            s.tcp_ext_listen_overflows()
        })
    });
    g.finish();
}

criterion_group!(parse_host_benches, benches);
criterion_main!(parse_host_benches);
