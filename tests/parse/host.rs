//! The host-file parsers, file by file (`vmstat`, `diskstats`, `pressure`, `uptime`,
//! `snmp`/`netstat`, `swaps`), then all of them at once:
//!
//! - **Fixtures**: this machine's files (kernel 6.18), with their known values, and hand-made odd
//!   ones (old column counts, no `full` line, unknown keys, negative values).
//! - **Round trips**: random valid records rendered the way the kernel prints them parse back to
//!   the same values.
//! - **Live**: the real files parse, and agree with the `procfs` crate (procfs-core's parsers)
//!   fed the very same bytes; `System`'s held reads agree with a later read of the file, up to
//!   counters that only grow.
//! - **Differential**: the naive oracle of [`oracle::host`](crate::oracle::host) agrees with each
//!   parser on mutated fixtures, on format-shaped noise and on arbitrary bytes: both reject, or
//!   both accept the same values. Arbitrary bytes never panic.
//! - **No allocation**: every parser, accessor and iterator over real, odd and bad files.

use crate::oracle::host as oracle;
use crate::support::alloc::assert_runs_allocate_nothing;
use crate::support::fixtures::{
    DISKSTATS, NETSTAT, PRESSURE_CPU, PRESSURE_IO, PRESSURE_MEMORY, SNMP, SWAPS, UPTIME, VMSTAT,
};
use crate::support::mutations::config;
use crate::support::truth::read_if_present;
use procfast::parse::{diskstats, pressure, snmp, swaps, uptime, vmstat};
use procfast::Error;
use procfs::FromRead;
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// vmstat

#[test]
fn vmstat_fixture() {
    let v = vmstat::parse(VMSTAT).unwrap();
    assert_eq!(v.nr_free_pages(), 1804478);
    assert_eq!(
        (v.pgfault(), v.pgmajfault(), v.oom_kill()),
        (Some(270518214), Some(39300), Some(0))
    );
    assert_eq!((v.pswpin(), v.pswpout()), (Some(0), Some(0)));
    assert_eq!(v.pgpgin_bytes(), Some(17725309 * 1024));
    assert_eq!(v.pgpgout_bytes(), Some(42069600 * 1024));
    assert_eq!(v.field(vmstat::Field::Pgpgin), Some(17725309));
    assert_eq!(v.workingset_refault_file(), Some(4007209));
    assert_eq!(v.nr_dirty(), Some(6087));
    // Names without an accessor: a scan.
    assert_eq!(v.get(b"numa_hit"), Some(247824933));
    assert_eq!(v.get(b"nr_unstable"), Some(0));
    assert_eq!(v.get(b"no_such_counter"), None);
    assert_eq!(v.iter().count(), 192);
    assert_eq!(v.iter().next(), Some((&b"nr_free_pages"[..], 1804478)));
    assert_eq!(v.iter().last(), Some((&b"nr_unstable"[..], 0)));
}

#[test]
fn vmstat_odd_files() {
    // An unknown key (with a value that is not even a number), keys out of order, and a kernel
    // without oom_kill or THP.
    let text = b"nr_free_pages 10\npgmajfault 3\nfuture_counter 12\nstrange abc\npgfault 7\n";
    let v = vmstat::parse(text).unwrap();
    assert_eq!((v.pgfault(), v.pgmajfault()), (Some(7), Some(3)));
    assert_eq!((v.oom_kill(), v.thp_fault_alloc()), (None, None));
    assert_eq!(v.get(b"future_counter"), Some(12));
    assert_eq!(v.get(b"strange"), None);
    assert_eq!(
        v.iter().collect::<Vec<_>>(),
        [
            (&b"nr_free_pages"[..], 10),
            (b"pgmajfault", 3),
            (b"future_counter", 12),
            (b"pgfault", 7)
        ]
    );
    // A known key must hold a number.
    assert_eq!(
        vmstat::parse(b"nr_free_pages 10\noom_kill many\n").map(|_| ()),
        Err(Error::parse("vmstat", "oom_kill"))
    );
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn vmstat_round_trips(
        values in prop::collection::vec(prop::option::of(any::<u64>()), vmstat::Field::ALL.len()),
        unknown in prop::collection::vec(("[a-z][a-z0-9_]{0,30}", any::<u64>()), 0..8),
        reverse: bool,
    ) {
        use vmstat::Field;
        let mut values = values;
        values[Field::NrFreePages as usize].get_or_insert(1);
        let mut lines: Vec<String> = Vec::new();
        let mut want_pairs: Vec<(String, u64)> = Vec::new();
        for (i, (f, v)) in Field::ALL.iter().zip(&values).enumerate() {
            if let Some(v) = v {
                lines.push(format!("{} {v}\n", f.key()));
                want_pairs.push((f.key().to_string(), *v));
            }
            // Unknown names in between, unless they happen to be known ones.
            if let Some((name, v)) = unknown.get(i) {
                if !Field::ALL.iter().any(|f| f.key() == name) {
                    lines.push(format!("{name} {v}\n"));
                    want_pairs.push((name.clone(), *v));
                }
            }
        }
        if reverse {
            lines.reverse();
            want_pairs.reverse();
        }
        let text = lines.concat();
        let v = vmstat::parse(text.as_bytes()).unwrap();
        for (f, want) in Field::ALL.iter().zip(&values) {
            prop_assert_eq!(v.field(*f), *want, "{:?}", f);
        }
        prop_assert_eq!(v.pgpgin_bytes(), values[Field::Pgpgin as usize].map(|kib| kib.saturating_mul(1024)));
        let got: Vec<(String, u64)> = v.iter().map(|(n, v)| (String::from_utf8(n.to_vec()).unwrap(), v)).collect();
        prop_assert_eq!(&got, &want_pairs);
        for (name, _) in &want_pairs {
            let last = want_pairs.iter().rev().find(|(n, _)| n == name).map(|p| p.1);
            prop_assert_eq!(v.get(name.as_bytes()), last);
        }
    }
}

#[test]
fn live_vmstat_agrees_with_procfs() {
    let bytes = read_if_present("/proc/vmstat").expect("/proc/vmstat");
    let ours = vmstat::parse(&bytes).unwrap();
    let theirs = procfs::VmStat::from_read(&bytes[..]).unwrap();
    assert_eq!(ours.iter().count(), theirs.0.len());
    for (name, value) in ours.iter() {
        let name = std::str::from_utf8(name).unwrap();
        assert_eq!(Some(&(value as i64)), theirs.0.get(name), "{name}");
        assert_eq!(ours.get(name.as_bytes()), Some(value));
    }
    assert_eq!(
        ours.pgfault().map(|v| v as i64),
        theirs.0.get("pgfault").copied()
    );
    all_agree(&bytes).unwrap();
}

// ---------------------------------------------------------------------------------------------
// diskstats

#[test]
fn diskstats_fixture() {
    let d = diskstats::parse(DISKSTATS).unwrap();
    assert_eq!(d.len(), 10);
    let names: Vec<&[u8]> = d.disks().map(|d| d.name).collect();
    assert_eq!(names[..2], [&b"loop0"[..], b"loop1"]);
    assert_eq!(names[8..], [&b"vda"[..], b"zram0"]);
    let vda = d.get(b"vda").unwrap();
    assert_eq!((vda.major, vda.minor), (254, 0));
    // Its line, column by column: the eleven counters of every kernel, then the six of 4.18+.
    let counters = [
        vda.reads,
        vda.reads_merged,
        vda.sectors_read,
        vda.read_time_ms,
        vda.writes,
        vda.writes_merged,
        vda.sectors_written,
        vda.write_time_ms,
        vda.in_flight,
        vda.io_time_ms,
        vda.weighted_io_time_ms,
    ];
    assert_eq!(
        counters,
        [1153425, 52974, 35450618, 783252, 75031, 206081, 84139200, 321853, 0, 74712, 1135649]
    );
    let newer = [
        vda.discards,
        vda.discards_merged,
        vda.sectors_discarded,
        vda.discard_time_ms,
        vda.flushes,
        vda.flush_time_ms,
    ];
    assert_eq!(
        newer.map(Option::unwrap),
        [88124, 39, 39194336, 27848, 1571, 2695]
    );
    assert_eq!(vda.read_bytes(), 35450618 * 512);
    assert_eq!(vda.written_bytes(), 84139200 * 512);
    assert_eq!(vda.discarded_bytes(), Some(39194336 * 512));
    assert_eq!(vda.io_time_seconds(), 74.712);
    assert_eq!(vda.read_time_seconds(), 783.252);
    assert_eq!(vda.flush_time_seconds(), Some(2.695));
    let loop0 = d.disks().next().unwrap();
    assert_eq!((loop0.major, loop0.minor, loop0.reads), (7, 0, 0));
    assert_eq!(loop0.flush_time_ms, Some(0));
}

#[test]
fn diskstats_old_and_new_column_counts() {
    // 14 columns: a kernel before 4.18. 20: 5.5 and later.
    let old =
        b"   8       0 sda 9 8 7 6 5 4 3 2 1 11 12\n   8       1 sda1 1 0 2 0 0 0 0 0 0 1 1\n";
    let d = diskstats::parse(old).unwrap();
    let sda = d.get(b"sda").unwrap();
    assert_eq!(
        (
            sda.reads,
            sda.sectors_read,
            sda.io_time_ms,
            sda.weighted_io_time_ms
        ),
        (9, 7, 11, 12)
    );
    assert_eq!(
        (sda.discards, sda.discard_time_ms, sda.flushes),
        (None, None, None)
    );
    assert_eq!(d.get(b"sda1").map(|d| d.sectors_read), Some(2));
    let new = b" 259       0 nvme0n1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n";
    let nvme = diskstats::parse(new).unwrap().disks().next().unwrap();
    assert_eq!((nvme.major, nvme.name), (259, &b"nvme0n1"[..]));
    assert_eq!(
        (
            nvme.discards,
            nvme.sectors_discarded,
            nvme.flushes,
            nvme.flush_time_ms
        ),
        (Some(12), Some(14), Some(16), Some(17))
    );
    assert_eq!(nvme.discarded_bytes(), Some(14 * 512));
    // 18 columns: discards, no flushes (4.18 to 5.4).
    let mid = diskstats::parse(b"8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n").unwrap();
    let sda = mid.disks().next().unwrap();
    assert_eq!((sda.discard_time_ms, sda.flushes), (Some(15), None));
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn diskstats_round_trips(
        rows in prop::collection::vec((
            any::<u32>(), any::<u32>(), "[a-z][a-z0-9-]{0,12}",
            prop::collection::vec(any::<u64>(), 11..=17),
            prop::collection::vec(any::<u64>(), 0..3),
        ), 0..8),
    ) {
        let mut text = String::new();
        for (major, minor, name, counters, extra) in &rows {
            text += &format!("{major:>4} {minor:>7} {name}");
            for c in counters {
                text += &format!(" {c}");
            }
            // Columns a newer kernel might add, only after all 17 known ones.
            if counters.len() == 17 {
                for e in extra {
                    text += &format!(" {e}");
                }
            }
            text += "\n";
        }
        let got = oracle::diskstats_fast(text.as_bytes()).unwrap();
        prop_assert_eq!(got.len(), rows.len());
        for ((major, minor, name, counters, _), (g_major, g_minor, g_name, g_counters)) in rows.iter().zip(&got) {
            prop_assert_eq!((*major, *minor, name.as_bytes()), (*g_major, *g_minor, &g_name[..]));
            for (k, g) in g_counters.iter().enumerate() {
                prop_assert_eq!(*g, counters.get(k).copied(), "counter {}", k);
            }
        }
        let d = diskstats::parse(text.as_bytes()).unwrap();
        for (disk, (_, _, _, counters, _)) in d.disks().zip(&rows) {
            prop_assert_eq!(disk.read_bytes(), counters[2].saturating_mul(512));
            prop_assert_eq!(disk.written_bytes(), counters[6].saturating_mul(512));
            prop_assert_eq!(disk.io_time_seconds(), counters[9] as f64 / 1000.0);
        }
    }
}

#[test]
fn live_diskstats_agrees_with_procfs() {
    let bytes = read_if_present("/proc/diskstats").expect("/proc/diskstats");
    let ours = diskstats::parse(&bytes).unwrap();
    let theirs = procfs::DiskStats::from_read(&bytes[..]).unwrap();
    assert_eq!(ours.len(), theirs.0.len());
    for (o, t) in ours.disks().zip(&theirs.0) {
        assert_eq!((o.major as i32, o.minor as i32), (t.major, t.minor));
        assert_eq!(std::str::from_utf8(o.name).unwrap(), t.name);
        assert_eq!(
            [o.reads, o.reads_merged, o.sectors_read, o.read_time_ms],
            [t.reads, t.merged, t.sectors_read, t.time_reading]
        );
        assert_eq!(
            [
                o.writes,
                o.writes_merged,
                o.sectors_written,
                o.write_time_ms
            ],
            [t.writes, t.writes_merged, t.sectors_written, t.time_writing]
        );
        assert_eq!(
            [o.in_flight, o.io_time_ms, o.weighted_io_time_ms],
            [
                t.in_progress,
                t.time_in_progress,
                t.weighted_time_in_progress
            ]
        );
        assert_eq!(
            [
                o.discards,
                o.discards_merged,
                o.sectors_discarded,
                o.discard_time_ms
            ],
            [
                t.discards,
                t.discards_merged,
                t.sectors_discarded,
                t.time_discarding
            ]
        );
        assert_eq!([o.flushes, o.flush_time_ms], [t.flushes, t.time_flushing]);
    }
    all_agree(&bytes).unwrap();
}

// ---------------------------------------------------------------------------------------------
// pressure

#[test]
fn pressure_fixtures() {
    let cpu = pressure::parse(PRESSURE_CPU).unwrap();
    assert_eq!(
        (
            cpu.some.avg10,
            cpu.some.avg60,
            cpu.some.avg300,
            cpu.some.total_us
        ),
        (2.00, 3.47, 3.20, 951114855)
    );
    assert_eq!(cpu.some.total_seconds(), 951.114855);
    let full = cpu.full.unwrap();
    assert_eq!(
        (full.avg10, full.avg60, full.avg300, full.total_us),
        (0.0, 0.0, 0.0, 0)
    );
    let io = pressure::parse(PRESSURE_IO).unwrap();
    assert_eq!((io.some.avg300, io.some.total_us), (0.34, 41720644));
    let full = io.full.unwrap();
    assert_eq!(
        (full.avg10, full.avg300, full.total_us),
        (0.10, 0.33, 30157819)
    );
    let memory = pressure::parse(PRESSURE_MEMORY).unwrap();
    assert_eq!(
        (memory.some.total_us, memory.full.map(|f| f.total_us)),
        (0, Some(0))
    );
}

#[test]
fn pressure_without_full() {
    // /proc/pressure/cpu before Linux 5.13.
    let psi = pressure::parse(b"some avg10=0.52 avg60=0.31 avg300=0.12 total=1234567\n").unwrap();
    assert_eq!((psi.some.avg10, psi.some.total_us), (0.52, 1234567));
    assert_eq!(psi.full, None);
    assert_eq!(
        pressure::parse_file(
            b"full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
            "irq.pressure"
        ),
        Err(Error::parse("irq.pressure", "some"))
    );
    assert_eq!(pressure::Pressure::Io.proc_file(), "pressure/io");
    assert_eq!(pressure::Pressure::Memory.cgroup_file(), "memory.pressure");
}

/// A decimal with two places, as the kernel prints PSI averages and uptime (`%lu.%02lu`).
fn centi(hundredths: u64) -> String {
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

fn stall_line(kind: &str, avgs: [u64; 3], total: u64) -> String {
    format!(
        "{kind} avg10={} avg60={} avg300={} total={total}\n",
        centi(avgs[0]),
        centi(avgs[1]),
        centi(avgs[2])
    )
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn pressure_round_trips(
        some in (prop::array::uniform3(0u64..=10_000), any::<u64>()),
        full in prop::option::of((prop::array::uniform3(0u64..=10_000), any::<u64>())),
    ) {
        let mut text = stall_line("some", some.0, some.1);
        if let Some((avgs, total)) = full {
            text += &stall_line("full", avgs, total);
        }
        let psi = pressure::parse(text.as_bytes()).unwrap();
        let want = |(avgs, total): ([u64; 3], u64)| {
            let avg = |h: u64| centi(h).parse::<f64>().unwrap();
            (avg(avgs[0]), avg(avgs[1]), avg(avgs[2]), total)
        };
        let got = |s: pressure::Stall| (s.avg10, s.avg60, s.avg300, s.total_us);
        prop_assert_eq!(got(psi.some), want(some));
        prop_assert_eq!(psi.full.map(got), full.map(want));
        prop_assert_eq!(psi.some.total_seconds(), some.1 as f64 / 1e6);
    }
}

#[test]
fn live_pressure_agrees_with_procfs() {
    let Some(cpu) = read_if_present("/proc/pressure/cpu") else {
        eprintln!("no PSI on this kernel: skipped");
        return;
    };
    let close = |ours: f64, theirs: f32| (ours as f32 - theirs).abs() <= f32::EPSILON * 128.0;
    let compare = |ours: pressure::Stall, theirs: &procfs::PressureRecord| {
        assert!(close(ours.avg10, theirs.avg10), "{ours:?} {theirs:?}");
        assert!(close(ours.avg60, theirs.avg60), "{ours:?} {theirs:?}");
        assert!(close(ours.avg300, theirs.avg300), "{ours:?} {theirs:?}");
        assert_eq!(ours.total_us, theirs.total);
    };
    let ours = pressure::parse_file(&cpu, "pressure/cpu").unwrap();
    // procfs-core requires a `full` line, which cpu has since Linux 5.13.
    if let Ok(theirs) = procfs::CpuPressure::from_read(&cpu[..]) {
        compare(ours.some, &theirs.some);
        compare(ours.full.expect("procfs read a full line"), &theirs.full);
    }
    let memory = read_if_present("/proc/pressure/memory").expect("PSI memory");
    let ours = pressure::parse(&memory).unwrap();
    let theirs = procfs::MemoryPressure::from_read(&memory[..]).unwrap();
    compare(ours.some, &theirs.some);
    compare(ours.full.unwrap(), &theirs.full);
    let io = read_if_present("/proc/pressure/io").expect("PSI io");
    let ours = pressure::parse(&io).unwrap();
    let theirs = procfs::IoPressure::from_read(&io[..]).unwrap();
    compare(ours.some, &theirs.some);
    compare(ours.full.unwrap(), &theirs.full);
    for bytes in [cpu, memory, io] {
        all_agree(&bytes).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// uptime

#[test]
fn uptime_fixture() {
    let u = uptime::parse(UPTIME).unwrap();
    assert_eq!((u.uptime_seconds, u.idle_seconds), (8432.61, 8633.26));
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn uptime_round_trips(up in 0u64..100_000_000_000, idle in 0u64..100_000_000_000) {
        let text = format!("{} {}\n", centi(up), centi(idle));
        let u = uptime::parse(text.as_bytes()).unwrap();
        prop_assert_eq!(u.uptime_seconds, centi(up).parse::<f64>().unwrap());
        prop_assert_eq!(u.idle_seconds, centi(idle).parse::<f64>().unwrap());
    }
}

#[test]
fn live_uptime_agrees_with_procfs() {
    let bytes = read_if_present("/proc/uptime").expect("/proc/uptime");
    let ours = uptime::parse(&bytes).unwrap();
    let theirs = procfs::Uptime::from_read(&bytes[..]).unwrap();
    assert_eq!(
        (ours.uptime_seconds, ours.idle_seconds),
        (theirs.uptime, theirs.idle)
    );
    all_agree(&bytes).unwrap();
}

// ---------------------------------------------------------------------------------------------
// snmp and netstat

#[test]
fn snmp_fixture() {
    let s = snmp::parse(SNMP).unwrap();
    assert_eq!((s.ip_forwarding(), s.ip_default_ttl()), (Some(2), Some(64)));
    assert_eq!(
        (s.ip_in_receives(), s.ip_in_delivers(), s.ip_out_requests()),
        (Some(49166), Some(49166), Some(45656))
    );
    assert_eq!((s.icmp_in_msgs(), s.icmp_out_msgs()), (Some(2), Some(0)));
    assert_eq!(s.tcp_max_conn(), Some(-1));
    assert_eq!(
        (
            s.tcp_active_opens(),
            s.tcp_passive_opens(),
            s.tcp_curr_estab(),
            s.tcp_out_rsts()
        ),
        (Some(2448), Some(2084), Some(0), Some(351))
    );
    assert_eq!(
        (
            s.tcp_in_segs(),
            s.tcp_out_segs(),
            s.tcp_retrans_segs(),
            s.tcp_in_errs()
        ),
        (Some(48962), Some(45544), Some(0), Some(0))
    );
    assert_eq!(
        (
            s.udp_in_datagrams(),
            s.udp_out_datagrams(),
            s.udp_no_ports()
        ),
        (Some(202), Some(204), Some(0))
    );
    assert_eq!(s.get(b"IcmpMsg", b"InType3"), Some(2));
    assert_eq!(s.get(b"Tcp", b"RtoMax"), Some(120000));
    assert_eq!(s.get(b"Tcp", b"MaxConn"), Some(-1));
    assert_eq!(s.get(b"Udp", b"MemErrors"), Some(0));
    assert_eq!(s.get(b"Tcp", b"NoSuchCounter"), None);
    // netstat's counters are not in snmp.
    assert_eq!(
        (s.tcp_ext_listen_overflows(), s.ip_ext_in_octets()),
        (None, None)
    );
    assert_eq!(s.iter().count(), 20 + 29 + 1 + 15 + 9 + 9);
    assert_eq!(s.iter().nth(20), Some((&b"Icmp"[..], &b"InMsgs"[..], 2)));
}

#[test]
fn netstat_fixture() {
    let s = snmp::parse_netstat(NETSTAT).unwrap();
    assert_eq!(
        (
            s.tcp_ext_syncookies_sent(),
            s.tcp_ext_listen_overflows(),
            s.tcp_ext_listen_drops()
        ),
        (Some(0), Some(0), Some(0))
    );
    assert_eq!(
        (
            s.tcp_ext_timeouts(),
            s.tcp_ext_ofo_queue(),
            s.tcp_ext_syn_retrans()
        ),
        (Some(3), Some(0), Some(0))
    );
    assert_eq!(
        (s.ip_ext_in_octets(), s.ip_ext_out_octets()),
        (Some(328448338), Some(34564977))
    );
    assert_eq!(s.get(b"TcpExt", b"TW"), Some(2100));
    assert_eq!(s.get(b"TcpExt", b"DelayedACKs"), Some(18));
    assert_eq!(s.get(b"TcpExt", b"TCPHPHits"), Some(580));
    assert_eq!((s.tcp_curr_estab(), s.ip_forwarding()), (None, None));
    assert_eq!(s.iter().count(), 135 + 18 + 76);
    assert_eq!(
        snmp::parse(NETSTAT).map(|_| ()),
        Err(Error::parse("net/snmp", "Ip Forwarding"))
    );
}

#[test]
fn snmp_odd_files() {
    // Negative values, a counter above i64::MAX (a racy per-CPU sum below zero), an unknown
    // protocol, and a protocol with two sections (IcmpMsg prints 16 types per pair of lines).
    let text = b"Ip: Forwarding DefaultTTL\nIp: 1 64\n\
             Tcp: MaxConn CurrEstab ActiveOpens\nTcp: -1 18446744073709551615 -5\n\
             IcmpMsg: InType3\nIcmpMsg: 2\nIcmpMsg: OutType3\nIcmpMsg: 4\n\
             Future: A B\nFuture: 1 -2\n";
    let s = snmp::parse(text).unwrap();
    assert_eq!(s.tcp_max_conn(), Some(-1));
    assert_eq!(s.tcp_curr_estab(), Some(-1));
    assert_eq!(s.get(b"Tcp", b"CurrEstab"), Some(-1));
    // A counter printed with a sign is not what the kernel does, but its bits survive.
    assert_eq!(s.tcp_active_opens(), Some(-5i64 as u64));
    assert_eq!(
        (
            s.get(b"IcmpMsg", b"InType3"),
            s.get(b"IcmpMsg", b"OutType3")
        ),
        (Some(2), Some(4))
    );
    assert_eq!(
        (s.get(b"Future", b"A"), s.get(b"Future", b"B")),
        (Some(1), Some(-2))
    );
    assert_eq!(s.iter().count(), 9);
    // Counts that differ name the protocol.
    let e = |t: &[u8]| snmp::parse(t).map(|_| ());
    assert_eq!(
        e(b"Ip: Forwarding\nIp: 1\nUdp: InDatagrams NoPorts\nUdp: 1\n"),
        Err(Error::parse("net/snmp", "Udp"))
    );
    assert_eq!(
        e(b"Ip: Forwarding\nIp: 1\nTcpExt: TW\nTcpExt: 1 2\n"),
        Err(Error::parse("net/snmp", "TcpExt"))
    );
    assert_eq!(
        snmp::parse_netstat(b"TcpExt: SyncookiesSent\nTcpExt: 0\nIpExt: InOctets\n").map(|_| ()),
        Err(Error::parse("net/netstat", "IpExt"))
    );
}

fn snmp_name() -> impl Strategy<Value = String> {
    "[A-Z][A-Za-z0-9]{0,24}"
}

/// A section: a protocol (one of the kernel's or a new one) and its counters.
fn snmp_section() -> impl Strategy<Value = (String, Vec<(String, i64)>)> {
    let proto = prop_oneof![
        prop::sample::select(vec![
            "Ip", "Icmp", "IcmpMsg", "Tcp", "Udp", "UdpLite", "TcpExt", "IpExt", "MPTcpExt"
        ])
        .prop_map(str::to_string),
        "[A-Z][A-Za-z]{0,10}",
    ];
    let known = prop::sample::select(
        oracle::ACCESSORS
            .iter()
            .map(|a| a.1.to_string())
            .collect::<Vec<_>>(),
    );
    let name = prop_oneof![2 => snmp_name(), 1 => known];
    (proto, prop::collection::vec((name, any::<i64>()), 0..12))
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn snmp_round_trips(
        sections in prop::collection::vec(snmp_section(), 0..6),
        forwarding in 1u64..=2,
        wide: bool,
    ) {
        // Ip first (parse requires Ip Forwarding), then the random sections.
        let mut text = format!("Ip: Forwarding DefaultTTL\nIp: {forwarding} 64\n");
        let mut want: oracle::Triples = vec![
            (b"Ip".to_vec(), b"Forwarding".to_vec(), forwarding as i64),
            (b"Ip".to_vec(), b"DefaultTTL".to_vec(), 64),
        ];
        for (proto, counters) in &sections {
            let names: Vec<&str> = counters.iter().map(|c| c.0.as_str()).collect();
            // Values printed the kernel's way: %ld for MaxConn, %lu for the rest (shown here by
            // printing some negative ones as their u64 bits).
            let values: Vec<String> = counters.iter().map(|(name, v)| {
                if wide && name != "MaxConn" { (*v as u64).to_string() } else { v.to_string() }
            }).collect();
            text += &format!("{proto}:{}\n{proto}:{}\n",
                names.iter().map(|n| format!(" {n}")).collect::<String>(),
                values.iter().map(|v| format!(" {v}")).collect::<String>());
            for (name, v) in counters {
                want.push((proto.as_bytes().to_vec(), name.as_bytes().to_vec(), *v));
            }
        }
        let got = oracle::snmp_fast(text.as_bytes(), false).unwrap();
        prop_assert_eq!(&got, &want);
        let s = snmp::parse(text.as_bytes()).unwrap();
        let forwarding = oracle::lookup(&want, b"Ip", b"Forwarding").map(|v| v as u64);
        prop_assert_eq!(s.ip_forwarding(), forwarding);
        for (proto, name, _) in &want {
            prop_assert_eq!(s.get(proto, name), oracle::lookup(&want, proto, name));
        }
    }
}

#[test]
fn live_snmp_agrees_with_procfs() {
    let bytes = read_if_present("/proc/net/snmp").expect("/proc/net/snmp");
    let ours = snmp::parse(&bytes).unwrap();
    all_agree(&bytes).unwrap();
    // procfs-core insists on every counter of its struct; a kernel without one is skipped.
    let Ok(theirs) = procfs::net::Snmp::from_read(&bytes[..]) else {
        eprintln!("procfs-core cannot read this kernel's net/snmp: comparison skipped");
        return;
    };
    assert_eq!(
        ours.ip_default_ttl(),
        Some(u64::from(theirs.ip_default_ttl))
    );
    assert_eq!(
        [
            ours.ip_in_receives(),
            ours.ip_in_hdr_errors(),
            ours.ip_in_addr_errors(),
            ours.ip_forw_datagrams(),
            ours.ip_in_unknown_protos(),
            ours.ip_in_discards(),
            ours.ip_in_delivers(),
            ours.ip_out_requests(),
            ours.ip_out_discards(),
            ours.ip_out_no_routes()
        ],
        [
            theirs.ip_in_receives,
            theirs.ip_in_hdr_errors,
            theirs.ip_in_addr_errors,
            theirs.ip_forw_datagrams,
            theirs.ip_in_unknown_protos,
            theirs.ip_in_discards,
            theirs.ip_in_delivers,
            theirs.ip_out_requests,
            theirs.ip_out_discards,
            theirs.ip_out_no_routes
        ]
        .map(Some)
    );
    assert_eq!(
        [
            ours.icmp_in_msgs(),
            ours.icmp_in_errors(),
            ours.icmp_out_msgs(),
            ours.icmp_out_errors()
        ],
        [
            theirs.icmp_in_msgs,
            theirs.icmp_in_errors,
            theirs.icmp_out_msgs,
            theirs.icmp_out_errors
        ]
        .map(Some)
    );
    assert_eq!(ours.tcp_max_conn(), Some(theirs.tcp_max_conn));
    assert_eq!(ours.tcp_curr_estab(), Some(theirs.tcp_curr_estab as i64));
    assert_eq!(
        [
            ours.tcp_active_opens(),
            ours.tcp_passive_opens(),
            ours.tcp_attempt_fails(),
            ours.tcp_estab_resets(),
            ours.tcp_in_segs(),
            ours.tcp_out_segs(),
            ours.tcp_retrans_segs(),
            ours.tcp_in_errs(),
            ours.tcp_out_rsts()
        ],
        [
            theirs.tcp_active_opens,
            theirs.tcp_passive_opens,
            theirs.tcp_attempt_fails,
            theirs.tcp_estab_resets,
            theirs.tcp_in_segs,
            theirs.tcp_out_segs,
            theirs.tcp_retrans_segs,
            theirs.tcp_in_errs,
            theirs.tcp_out_rsts
        ]
        .map(Some)
    );
    assert_eq!(
        [
            ours.udp_in_datagrams(),
            ours.udp_no_ports(),
            ours.udp_in_errors(),
            ours.udp_out_datagrams(),
            ours.udp_rcvbuf_errors(),
            ours.udp_sndbuf_errors()
        ],
        [
            theirs.udp_in_datagrams,
            theirs.udp_no_ports,
            theirs.udp_in_errors,
            theirs.udp_out_datagrams,
            theirs.udp_rcvbuf_errors,
            theirs.udp_sndbuf_errors
        ]
        .map(Some)
    );
    assert_eq!(
        ours.get(b"UdpLite", b"InDatagrams"),
        Some(theirs.udp_lite_in_datagrams as i64)
    );
}

#[test]
fn live_netstat_parses() {
    // procfs-core has no parser of net/netstat: the oracle is the comparison.
    let bytes = read_if_present("/proc/net/netstat").expect("/proc/net/netstat");
    let ours = snmp::parse_netstat(&bytes).unwrap();
    assert!(ours.tcp_ext_listen_overflows().is_some() && ours.ip_ext_in_octets().is_some());
    assert!(ours.iter().count() > 100);
    all_agree(&bytes).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Every host parser at once

/// Every error a parser returns names the parser's own file.
#[test]
fn errors_name_their_file() {
    let bad = b"garbage\n";
    assert_eq!(crate::file_of(vmstat::parse(bad)), "vmstat");
    assert_eq!(crate::file_of(diskstats::parse(bad)), "diskstats");
    assert_eq!(crate::file_of(pressure::parse(bad)), "pressure");
    assert_eq!(
        crate::file_of(pressure::parse_file(bad, "pressure/cpu")),
        "pressure/cpu"
    );
    assert_eq!(crate::file_of(uptime::parse(bad)), "uptime");
    assert_eq!(crate::file_of(snmp::parse(bad)), "net/snmp");
    assert_eq!(crate::file_of(snmp::parse_netstat(bad)), "net/netstat");
}

// ---------------------------------------------------------------------------------------------
// swaps

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn swaps_round_trip(
        areas in prop::collection::vec(
            ("/[a-z0-9/]{1,50}", prop::bool::ANY, 0u64..1 << 40, 0u64..1 << 40, -32768i64..32768),
            0..4,
        )
    ) {
        // As the kernel prints them: the name padded to 40 columns, tabs between the rest.
        let mut text = String::from("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
        for (name, file, size, used, priority) in &areas {
            let kind = if *file { "file" } else { "partition" };
            text += &format!("{name:<40} {kind}\t\t{size}\t\t{used}\t\t{priority}\n");
        }
        let parsed = swaps::parse(text.as_bytes()).unwrap();
        prop_assert_eq!(parsed.is_empty(), areas.is_empty());
        let back: Vec<_> = parsed
            .iter()
            .map(|a| (a.filename.to_vec(), a.kind == b"file", a.size_bytes / 1024, a.used_bytes / 1024, a.priority))
            .collect();
        let sent: Vec<_> = areas.iter().map(|(n, f, s, u, p)| (n.as_bytes().to_vec(), *f, *s, *u, *p)).collect();
        prop_assert_eq!(back, sent);
    }
}

#[test]
fn live_swaps_parse_as_the_oracle_reads_them() {
    let bytes = read_if_present("/proc/swaps").expect("/proc/swaps");
    let ours = oracle::swaps_fast(&bytes).expect("/proc/swaps parses");
    assert_eq!(Some(ours), oracle::swaps(&bytes));
}

/// The characters the formats of this file's fixtures are built of, for [`edits`].
const ALPHABET: &[u8] = b"0123456789 \t\n:-+.=_xa";

const FIXTURES: [&[u8]; 9] = [
    VMSTAT,
    DISKSTATS,
    PRESSURE_CPU,
    PRESSURE_MEMORY,
    PRESSURE_IO,
    UPTIME,
    SNMP,
    NETSTAT,
    SWAPS,
];

/// Asserts fast and oracle agree on `buf` for every parser.
fn all_agree(buf: &[u8]) -> Result<(), TestCaseError> {
    prop_assert_eq!(oracle::vmstat(buf), oracle::vmstat_fast(buf));
    prop_assert_eq!(oracle::diskstats(buf), oracle::diskstats_fast(buf));
    prop_assert_eq!(oracle::pressure(buf), oracle::pressure_fast(buf));
    prop_assert_eq!(oracle::uptime(buf), oracle::uptime_fast(buf));
    for netstat in [false, true] {
        prop_assert_eq!(oracle::snmp(buf, netstat), oracle::snmp_fast(buf, netstat));
    }
    prop_assert_eq!(oracle::swaps(buf), oracle::swaps_fast(buf));
    Ok(())
}

#[test]
fn fixtures_agree_with_the_oracle() {
    for (i, fixture) in FIXTURES.iter().enumerate() {
        all_agree(fixture).unwrap_or_else(|e| panic!("fixture {i}: {e}"));
    }
    // Each fixture is accepted by its own parser (not just rejected by both).
    assert!(oracle::vmstat_fast(VMSTAT).is_some());
    assert_eq!(oracle::diskstats_fast(DISKSTATS).map(|d| d.len()), Some(10));
    for psi in [PRESSURE_CPU, PRESSURE_MEMORY, PRESSURE_IO] {
        assert!(oracle::pressure_fast(psi).is_some_and(|p| p.1.is_some()));
    }
    assert!(oracle::uptime_fast(UPTIME).is_some());
    assert!(oracle::snmp_fast(SNMP, false).is_some());
    assert!(oracle::snmp_fast(NETSTAT, true).is_some());
    assert_eq!(oracle::swaps_fast(SWAPS).map(|a| a.len()), Some(1));
}

/// The words of this file's formats that token edits draw from, besides
/// [`ODD_NUMBERS`](crate::support::mutations::ODD_NUMBERS).
const VOCABULARY: &[&[u8]] = &[
    b"9223372036854775808",
    b"Filename",
    b"18014398509481984",
    b"-9223372036854775809",
    b"0.00",
    b"1.5",
    b"9007199254740993.0",
    b"1.1234567890123456",
    b"1e3",
    b"x",
    b":",
    b"=",
    b"\t",
    b" ",
    b"\n",
    b"some",
    b"full",
    b"avg10=0.00",
    b"total=",
    b"Tcp:",
    b"Ip:",
    b"TcpExt:",
    b"Forwarding",
    b"CurrEstab",
    b"nr_free_pages",
    b"pgfault",
    b"sda",
];

crate::agreement_properties! {
    cases: 1500,
    agree: all_agree,
    fixtures: FIXTURES,
    alphabet: ALPHABET,
    vocabulary: VOCABULARY,
    noise: b"0123456789 \t\n:-.=aIpTc",
}

/// What the zero-allocation test runs every host parser over after the fixtures: odd but valid
/// files, then bad ones and empty input.
const ODD_AND_BAD: &[&[u8]] = &[
    // Odd but valid.
    b"nr_free_pages 1\nfuture 2\nstrange x\n",
    b"8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n8 1 sda1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\n",
    b"some avg10=0.52 avg60=0.31 avg300=0.12 total=1234567\n",
    b"Ip: Forwarding\nIp: 1\nTcp: MaxConn CurrEstab\nTcp: -1 18446744073709551615\n",
    b"TcpExt: SyncookiesSent\nTcpExt: 0\nNew: A\nNew: -2\n",
    // Bad.
    b"",
    b"\n",
    b"garbage",
    b"garbage\n",
    b"Ip: Forwarding DefaultTTL\nIp: 1\n",
    b"8 0 sda 1 2 3\n",
    b"nr_free_pages 1\npgfault x\n",
    b"some avg10=1 avg60=0.00 avg300=0.00 total=0\n",
    b"1.00\n",
];

/// Runs every parser, and everything its result offers, over `buf`: a checksum of all it saw,
/// 0 if no parser accepted it.
fn exercise(buf: &[u8]) -> u64 {
    let mut sum = 0u64;
    let mut add = |v: u64| sum = sum.wrapping_mul(31).wrapping_add(v);
    if let Ok(v) = vmstat::parse(buf) {
        add(1);
        add(v.nr_free_pages());
        add(v.pgfault().unwrap_or(0));
        add(v.pgpgin_bytes().unwrap_or(0));
        for &f in vmstat::Field::ALL {
            add(v.field(f).unwrap_or(0));
        }
        for (name, value) in v.iter() {
            add(name.len() as u64);
            add(value);
        }
        add(v.get(b"numa_hit").unwrap_or(0));
        add(v.get(b"oom_kill").unwrap_or(0));
    }
    if let Ok(d) = diskstats::parse(buf) {
        add(1);
        for disk in d.disks() {
            add(disk.read_bytes());
            add(disk.written_bytes());
            add(disk.discarded_bytes().unwrap_or(0));
            add(disk.io_time_seconds() as u64);
            add(disk.read_time_seconds() as u64);
            add(disk.write_time_seconds() as u64);
            add(disk.weighted_io_time_seconds() as u64);
            add(disk.discard_time_seconds().unwrap_or(0.0) as u64);
            add(disk.flush_time_seconds().unwrap_or(0.0) as u64);
            add(disk.name.len() as u64);
        }
        add(d.len() as u64);
        add(d.get(b"vda").map_or(0, |v| v.reads));
    }
    for psi in [
        pressure::parse(buf),
        pressure::parse_file(buf, pressure::Pressure::Cpu.proc_file()),
    ]
    .into_iter()
    .flatten()
    {
        add(1);
        add(psi.some.total_us);
        add(psi.some.total_seconds() as u64);
        add(psi.some.avg10 as u64);
        add(psi.full.map_or(0, |f| f.total_us));
        add(psi.full.map_or(0, |f| f.avg300 as u64));
    }
    if let Ok(u) = uptime::parse(buf) {
        add(1);
        add(u.uptime_seconds as u64);
        add(u.idle_seconds as u64);
    }
    for s in [snmp::parse(buf), snmp::parse_netstat(buf)]
        .into_iter()
        .flatten()
    {
        add(1);
        for (proto, name, value) in s.iter() {
            add((proto.len() + name.len()) as u64);
            add(value as u64);
        }
        add(s.get(b"Tcp", b"CurrEstab").unwrap_or(0) as u64);
        add(s.get(b"TcpExt", b"TW").unwrap_or(0) as u64);
        add(s.tcp_curr_estab().unwrap_or(0) as u64);
        add(s.tcp_max_conn().unwrap_or(0) as u64);
        add(s.tcp_active_opens().unwrap_or(0));
        add(s.tcp_retrans_segs().unwrap_or(0));
        add(s.udp_in_datagrams().unwrap_or(0));
        add(s.ip_forwarding().unwrap_or(0));
        add(s.tcp_ext_listen_overflows().unwrap_or(0));
        add(s.tcp_ext_timeouts().unwrap_or(0));
        add(s.ip_ext_in_octets().unwrap_or(0));
    }
    if let Ok(s) = swaps::parse(buf) {
        add(1);
        add(u64::from(s.is_empty()));
        for area in s.iter() {
            add((area.filename.len() + area.kind.len()) as u64);
            add(area.size_bytes ^ area.used_bytes ^ area.priority as u64);
        }
    }
    sum
}

#[test]
fn host_parsers_never_allocate() {
    let inputs: Vec<&[u8]> = FIXTURES.iter().chain(ODD_AND_BAD).copied().collect();
    assert_runs_allocate_nothing(&inputs, exercise);
    // Every fixture was accepted by something (the test would pass vacuously otherwise).
    for buf in FIXTURES {
        assert!(exercise(buf) > 0);
    }
}

#[test]
fn live_system_reads_agree_with_a_later_read() {
    use procfast::parse::pressure::Pressure;
    let mut system = procfast::System::open().unwrap();
    // Read through the held handles first, then the file afresh: counters only grow in between.
    let held = system.vmstat().unwrap().pgfault().unwrap();
    let bytes = read_if_present("/proc/vmstat").unwrap();
    let later = vmstat::parse(&bytes).unwrap();
    assert!(held <= later.pgfault().unwrap());
    // Twice through the same handle: a fresh read at offset 0 each time.
    assert!(held <= system.vmstat().unwrap().pgfault().unwrap());

    let held: Vec<(Vec<u8>, u64)> = system
        .diskstats()
        .unwrap()
        .disks()
        .map(|d| (d.name.to_vec(), d.reads + d.writes))
        .collect();
    let bytes = read_if_present("/proc/diskstats").unwrap();
    let later = diskstats::parse(&bytes).unwrap();
    for (name, ios) in &held {
        if let Some(d) = later.get(name) {
            assert!(
                *ios <= d.reads + d.writes,
                "{}",
                String::from_utf8_lossy(name)
            );
        }
    }

    for resource in Pressure::ALL {
        match system.pressure(resource) {
            Ok(held) => {
                let path = format!("/proc/{}", resource.proc_file());
                let later = pressure::parse(&read_if_present(&path).unwrap()).unwrap();
                assert!(held.some.total_us <= later.some.total_us, "{resource:?}");
                assert_eq!(held.full.is_some(), later.full.is_some());
            }
            Err(e) => {
                assert_eq!(
                    e,
                    Error::NotInMount {
                        file: resource.proc_file()
                    }
                );
                assert!(read_if_present("/proc/pressure/cpu").is_none());
            }
        }
    }

    let held = system.uptime().unwrap();
    let later = uptime::parse(&read_if_present("/proc/uptime").unwrap()).unwrap();
    assert!(held.uptime_seconds <= later.uptime_seconds && held.uptime_seconds > 0.0);

    let held = system.snmp().unwrap().tcp_active_opens().unwrap();
    let bytes = read_if_present("/proc/net/snmp").unwrap();
    let later = snmp::parse(&bytes).unwrap();
    assert!(held <= later.tcp_active_opens().unwrap());
    let held = system.netstat().unwrap().ip_ext_in_octets().unwrap();
    let bytes = read_if_present("/proc/net/netstat").unwrap();
    let later = snmp::parse_netstat(&bytes).unwrap();
    assert!(held <= later.ip_ext_in_octets().unwrap());
}
