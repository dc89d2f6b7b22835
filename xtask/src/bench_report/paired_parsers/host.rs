//! The host-file parsers in the paired table (see `super::paired_parse_table`): `vmstat`, `diskstats`,
//! `pressure`, `uptime` and `snmp` against procfs-core on the same bytes (this machine's files, as
//! in benches/parse_host.rs), procfs-core last in each set. procfs-core has no `netstat` parser.

use procfast::parse;
use procfs::FromRead;
use std::hint::black_box;

const VMSTAT: &[u8] = fixture!("vmstat");
const DISKSTATS: &[u8] = fixture!("diskstats");
const PRESSURE_CPU: &[u8] = fixture!("pressure_cpu");
const PRESSURE_IO: &[u8] = fixture!("pressure_io");
const UPTIME: &[u8] = fixture!("uptime");
const SNMP: &[u8] = fixture!("snmp");

/// The contenders for one pressure file: its `some` total and `full` avg10.
fn pressure(fixture: &'static [u8]) -> Vec<(&'static str, super::Batch)> {
    vec![
        (
            "`pressure`",
            super::batch(move || {
                parse::pressure::parse(black_box(fixture))
                    .map(|p| (p.some.total_us, p.full.map(|f| f.avg10)))
            }),
        ),
        (
            "procfs-core",
            super::batch(move || {
                procfs::IoPressure::from_read(black_box(fixture))
                    .map(|p| (p.some.total, p.full.avg10))
            }),
        ),
    ]
}

/// The sets this module adds to the paired table.
pub fn sets() -> Vec<(&'static str, Vec<(&'static str, super::Batch)>)> {
    vec![
        (
            "`vmstat`",
            vec![
                (
                    "`vmstat`",
                    super::batch(|| {
                        parse::vmstat::parse(black_box(VMSTAT))
                            .map(|v| (v.pgfault(), v.pgmajfault()))
                    }),
                ),
                (
                    "procfs-core",
                    super::batch(|| {
                        procfs::VmStat::from_read(black_box(VMSTAT))
                            .map(|v| (v.0.get("pgfault").copied(), v.0.get("pgmajfault").copied()))
                    }),
                ),
            ],
        ),
        (
            "`diskstats`",
            vec![
                (
                    "`diskstats`: parse + every device's sectors read and busy time",
                    super::batch(|| {
                        parse::diskstats::parse(black_box(DISKSTATS)).map(|d| {
                            d.disks()
                                .fold((0, 0), |(r, b), d| (r + d.sectors_read, b + d.io_time_ms))
                        })
                    }),
                ),
                (
                    "procfs-core",
                    super::batch(|| {
                        procfs::DiskStats::from_read(black_box(DISKSTATS)).map(|d| {
                            d.0.iter().fold((0, 0), |(r, b), d| {
                                (r + d.sectors_read, b + d.time_in_progress)
                            })
                        })
                    }),
                ),
            ],
        ),
        ("`pressure/cpu`", pressure(PRESSURE_CPU)),
        ("`pressure/io`", pressure(PRESSURE_IO)),
        (
            "`uptime`",
            vec![
                (
                    "`uptime`",
                    super::batch(|| {
                        parse::uptime::parse(black_box(UPTIME)).map(|u| u.uptime_seconds)
                    }),
                ),
                (
                    "procfs-core",
                    super::batch(|| procfs::Uptime::from_read(black_box(UPTIME)).map(|u| u.uptime)),
                ),
            ],
        ),
        (
            "`net/snmp`",
            vec![
                (
                    "`snmp`",
                    super::batch(|| {
                        parse::snmp::parse(black_box(SNMP))
                            .map(|s| (s.tcp_active_opens(), s.tcp_retrans_segs()))
                    }),
                ),
                (
                    "procfs-core",
                    super::batch(|| {
                        procfs::net::Snmp::from_read(black_box(SNMP))
                            .map(|s| (s.tcp_active_opens, s.tcp_retrans_segs))
                    }),
                ),
            ],
        ),
    ]
}
