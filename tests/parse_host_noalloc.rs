//! The host-file parsers never allocate: a counting global allocator watches every one of them
//! (and every accessor and iterator) run over real files, odd files, bad files and empty input.

use procfast::parse::{diskstats, pressure, snmp, uptime, vmstat};

#[path = "shared/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::allocations;

const FIXTURES: &[&[u8]] = &[
    include_bytes!("fixtures/vmstat"),
    include_bytes!("fixtures/diskstats"),
    include_bytes!("fixtures/pressure_cpu"),
    include_bytes!("fixtures/pressure_memory"),
    include_bytes!("fixtures/pressure_io"),
    include_bytes!("fixtures/uptime"),
    include_bytes!("fixtures/snmp"),
    include_bytes!("fixtures/netstat"),
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
    sum
}

#[test]
fn host_parsers_never_allocate() {
    // Warm up anything lazily initialised (memchr's CPU feature detection, thread locals).
    for buf in FIXTURES {
        std::hint::black_box(exercise(buf));
    }
    for (i, buf) in FIXTURES.iter().enumerate() {
        let n = allocations(|| {
            std::hint::black_box(exercise(std::hint::black_box(buf)));
        });
        assert_eq!(n, 0, "input {i} allocated {n} times");
    }
    // Every fixture was accepted by something (the test would pass vacuously otherwise).
    for buf in &FIXTURES[..8] {
        assert!(exercise(buf) > 0);
    }
    // The counter works: a Vec allocates.
    assert!(allocations(|| drop(std::hint::black_box(vec![1u8; 64]))) > 0);
}
