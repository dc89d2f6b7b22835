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

use criterion::{criterion_group, criterion_main, Criterion};
use procfast::parse::{diskstats, pressure, snmp, uptime, vmstat};
use procfs::FromRead;

#[path = "shared/parse_group.rs"]
mod parse_group;
#[path = "../tests/support/mod.rs"]
mod support;
use parse_group::ParseGroup;
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
    ParseGroup::new(c, "vmstat", VMSTAT)
        .contender("procfast", |bytes| {
            let v = vmstat::parse(bytes).unwrap();
            assert_eq!(v.pgfault(), Some(pgfault));
            v.pgmajfault()
        })
        .contender("procfs-core", |bytes| {
            let v = procfs::VmStat::from_read(bytes).unwrap();
            assert_eq!(v.0.get("pgfault"), Some(&(pgfault as i64)));
            v.0.get("pgmajfault").copied()
        })
        .finish();

    let sectors = diskstats_sectors_read();
    assert!(sectors > 0);
    ParseGroup::new(c, "diskstats", DISKSTATS)
        .contender("procfast", |bytes| {
            let d = diskstats::parse(bytes).unwrap();
            let (read, busy) = d
                .disks()
                .fold((0, 0), |(r, b), d| (r + d.sectors_read, b + d.io_time_ms));
            assert_eq!(read, sectors);
            busy
        })
        .contender("procfs-core", |bytes| {
            let d = procfs::DiskStats::from_read(bytes).unwrap();
            let (read, busy) = d.0.iter().fold((0, 0), |(r, b), d| {
                (r + d.sectors_read, b + d.time_in_progress)
            });
            assert_eq!(read, sectors);
            busy
        })
        .finish();

    for (name, fixture) in [("pressure_cpu", PRESSURE_CPU), ("pressure_io", PRESSURE_IO)] {
        let total = pressure_total(fixture);
        ParseGroup::new(c, name, fixture)
            .contender("procfast", |bytes| {
                let psi = pressure::parse(bytes).unwrap();
                assert_eq!(psi.some.total_us, total);
                psi.full.map(|f| f.avg10)
            })
            .contender("procfs-core", |bytes| {
                // The three resources' types are the same parser.
                let psi = procfs::IoPressure::from_read(bytes).unwrap();
                assert_eq!(psi.some.total, total);
                psi.full.avg10
            })
            .finish();
    }

    let up: f64 = std::str::from_utf8(UPTIME)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    ParseGroup::new(c, "uptime", UPTIME)
        .contender("procfast", |bytes| {
            let u = uptime::parse(bytes).unwrap();
            assert_eq!(u.uptime_seconds, up);
            u.idle_seconds
        })
        .contender("procfs-core", |bytes| {
            let u = procfs::Uptime::from_read(bytes).unwrap();
            assert_eq!(u.uptime, up);
            u.idle
        })
        .finish();

    let opens = snmp_value(SNMP, "Tcp", "ActiveOpens") as u64;
    ParseGroup::new(c, "snmp", SNMP)
        .contender("procfast", |bytes| {
            let s = snmp::parse(bytes).unwrap();
            assert_eq!(s.tcp_active_opens(), Some(opens));
            s.tcp_retrans_segs()
        })
        .contender("procfs-core", |bytes| {
            let s = procfs::net::Snmp::from_read(bytes).unwrap();
            assert_eq!(s.tcp_active_opens, opens);
            s.tcp_retrans_segs
        })
        .finish();

    let octets = snmp_value(NETSTAT, "IpExt", "InOctets") as u64;
    ParseGroup::new(c, "netstat", NETSTAT)
        .contender("procfast", |bytes| {
            let s = snmp::parse_netstat(bytes).unwrap();
            assert_eq!(s.ip_ext_in_octets(), Some(octets));
            s.tcp_ext_listen_overflows()
        })
        .finish();
}

criterion_group!(parse_host_benches, benches);
criterion_main!(parse_host_benches);
