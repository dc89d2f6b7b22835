//! Each parser against procfs-core's equivalent on the same bytes.
//!
//! The fixtures are files read from a real machine (kernel 6.18), embedded as constants so every
//! contender parses identical input. Each iteration checks a value of its result (httparse style),
//! so nothing can be optimised away or silently fail; throughput is reported in input bytes.
//!
//! Run with `cargo bench --bench parse`.

use criterion::{criterion_group, criterion_main, Criterion};
use procfast::parse;
use procfs::{FromRead, FromReadSI};

#[path = "shared/parse_group.rs"]
mod parse_group;
#[path = "shared/stat_fields.rs"]
mod stat_fields;
#[path = "../tests/support/mod.rs"]
mod support;
use parse_group::ParseGroup;
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
        let parsed = |bytes| {
            let st = parse::stat::parse(bytes).unwrap();
            assert_eq!(st.pid, pid);
            st
        };
        // `parse` checks every field but converts none: the two rows after the first add the
        // conversions, for the fields a process exporter reads and for all 49 numbers.
        ParseGroup::new(c, name, fixture)
            .contender("procfast", |bytes| parsed(bytes).rss())
            .contender("procfast-exporter-fields", |bytes| {
                exporter_fields(&parsed(bytes))
            })
            .contender("procfast-all-fields", |bytes| all_fields(&parsed(bytes)))
            .contender("procfs-core", |bytes| {
                let st = procfs::process::Stat::from_read(bytes).unwrap();
                assert_eq!(st.pid, pid);
                st.rss
            })
            .contender("naive-split", |bytes| {
                let (got, fields) = naive_stat(bytes).unwrap();
                assert_eq!(got, pid);
                fields[20]
            })
            .finish();
    }

    ParseGroup::new(c, "statm", STATM)
        .contender("procfast", |bytes| {
            let m = parse::statm::parse(bytes).unwrap();
            assert!(m.resident > 0);
            m.resident
        })
        .contender("procfs-core", |bytes| {
            let m = procfs::process::StatM::from_read(bytes).unwrap();
            assert!(m.resident > 0);
            m.resident
        })
        .finish();

    ParseGroup::new(c, "status", STATUS)
        .contender("procfast", |bytes| {
            let st = parse::status::parse(bytes).unwrap();
            assert_eq!(st.threads(), 13);
            st.vm_rss_bytes()
        })
        .contender("procfs-core", |bytes| {
            let st = procfs::process::Status::from_read(bytes).unwrap();
            assert_eq!(st.threads, 13);
            st.vmrss
        })
        .finish();

    ParseGroup::new(c, "limits", LIMITS)
        .contender("procfast", |bytes| {
            let l = parse::limits::parse(bytes).unwrap();
            assert_eq!(l.max_open_files().soft, Some(32768));
            l.max_stack_size().soft
        })
        .contender("procfs-core", |bytes| {
            let l = procfs::process::Limits::from_read(bytes).unwrap();
            assert!(matches!(
                l.max_open_files.soft_limit,
                procfs::process::LimitValue::Value(32768)
            ));
            l.max_stack_size.soft_limit
        })
        .finish();

    ParseGroup::new(c, "io", IO)
        .contender("procfast", |bytes| {
            let io = parse::io::parse(bytes).unwrap();
            assert_eq!(io.rchar, 6976);
            io.read_bytes
        })
        .contender("procfs-core", |bytes| {
            let io = procfs::process::Io::from_read(bytes).unwrap();
            assert_eq!(io.rchar, 6976);
            io.read_bytes
        })
        .finish();

    ParseGroup::new(c, "net_dev", NET_DEV)
        .contender("procfast", |bytes| {
            let dev = parse::net_dev::parse(bytes).unwrap();
            let rx: u64 = dev.interfaces().map(|i| i.rx_bytes).sum();
            assert!(rx > 0);
            rx
        })
        .contender("procfs-core", |bytes| {
            let dev = procfs::net::InterfaceDeviceStatus::from_read(bytes).unwrap();
            let rx: u64 = dev.0.values().map(|i| i.recv_bytes).sum();
            assert!(rx > 0);
            rx
        })
        .finish();

    let si = system_info();
    ParseGroup::new(c, "proc_stat", PROC_STAT)
        .contender("procfast", |bytes| {
            let st = parse::proc_stat::parse(bytes).unwrap();
            let idle: u64 = st.cpus().map(|(_, c)| c.idle).sum();
            assert_eq!(st.btime, 1795303762);
            idle
        })
        .contender("procfs-core", |bytes| {
            let st = procfs::KernelStats::from_read(bytes, &si).unwrap();
            let idle: u64 = st.cpu_time.iter().map(|c| c.idle).sum();
            assert_eq!(st.btime, 1795303762);
            idle
        })
        .finish();

    ParseGroup::new(c, "meminfo", MEMINFO)
        .contender("procfast", |bytes| {
            let m = parse::meminfo::parse(bytes).unwrap();
            assert_eq!(m.mem_total_bytes(), 24684092 * 1024);
            m.mem_available_bytes()
        })
        .contender("procfs-core", |bytes| {
            let m = procfs::Meminfo::from_read(bytes).unwrap();
            assert_eq!(m.mem_total, 24684092 * 1024);
            m.mem_available
        })
        .finish();

    ParseGroup::new(c, "loadavg", LOADAVG)
        .contender("procfast", |bytes| {
            let l = parse::loadavg::parse(bytes).unwrap();
            assert_eq!(l.total, 81);
            l.one
        })
        .contender("procfs-core", |bytes| {
            let l = procfs::LoadAverage::from_read(bytes).unwrap();
            assert_eq!(l.max, 81);
            l.one
        })
        .finish();

    // No procfs-core equivalent parses these from bytes: procfast alone, for the record.
    ParseGroup::new(c, "sockstat", SOCKSTAT)
        .contender("procfast", |bytes| {
            let s = parse::sockstat::parse(bytes).unwrap();
            assert!(s.sockets_used().is_some());
            s.tcp_inuse()
        })
        .finish();

    ParseGroup::new(c, "file_nr", FILE_NR)
        .contender("procfast", |bytes| {
            let nr = parse::file_nr::parse(bytes).unwrap();
            assert_eq!(nr.max, 2466177);
            nr.allocated
        })
        .finish();
}

criterion_group!(parse_benches, benches);
criterion_main!(parse_benches);
