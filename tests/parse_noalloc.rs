//! The parsers never allocate: a counting global allocator watches every parser (and every
//! accessor and iterator) run over real files, bad files and empty input.

use procfast::parse;

#[path = "shared/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::allocations;

const FIXTURES: &[&[u8]] = &[
    include_bytes!("fixtures/stat"),
    include_bytes!("fixtures/stat_pid1"),
    include_bytes!("fixtures/statm"),
    include_bytes!("fixtures/status"),
    include_bytes!("fixtures/limits"),
    include_bytes!("fixtures/io"),
    include_bytes!("fixtures/net_dev"),
    include_bytes!("fixtures/proc_stat"),
    include_bytes!("fixtures/meminfo"),
    include_bytes!("fixtures/loadavg"),
    include_bytes!("fixtures/sockstat"),
    include_bytes!("fixtures/sockstat6"),
    include_bytes!("fixtures/file_nr"),
    b"",
    b"garbage",
    b"garbage\n",
];

/// Runs every parser, and everything its result offers, over `buf`.
fn exercise(buf: &[u8]) -> u64 {
    let mut sum = 0u64;
    if let Ok(s) = parse::stat::parse(buf) {
        sum += s.rss_bytes(4096) + s.comm_str().map_or(0, |c| c.len() as u64);
        sum += s.utime_seconds(100) as u64;
    }
    if let Ok(m) = parse::statm::parse(buf) {
        sum += m.resident_bytes(4096);
    }
    if let Ok(s) = parse::status::parse(buf) {
        sum += s.vm_rss_bytes().unwrap_or(0) + s.threads() + s.name().len() as u64;
        sum += s.iter().count() as u64 + s.get(b"SigQ").map_or(0, |v| v.len() as u64);
    }
    if let Ok(l) = parse::limits::parse(buf) {
        sum += l.max_open_files().soft.unwrap_or(0) + l.iter().count() as u64;
    }
    if let Ok(io) = parse::io::parse(buf) {
        sum += io.rchar;
    }
    if let Ok(d) = parse::net_dev::parse(buf) {
        sum += d.interfaces().map(|i| i.rx_bytes).sum::<u64>()
            + d.get(b"lo").map_or(0, |i| i.tx_bytes);
    }
    if let Ok(s) = parse::proc_stat::parse(buf) {
        sum += s.cpus().map(|(_, c)| c.idle).sum::<u64>() + s.total.user_seconds(100) as u64;
    }
    if let Ok(m) = parse::meminfo::parse(buf) {
        sum += m.mem_total_bytes() + m.iter().count() as u64;
        sum += parse::meminfo::Field::ALL
            .iter()
            .filter_map(|&f| m.get(f))
            .sum::<u64>();
    }
    if let Ok(l) = parse::loadavg::parse(buf) {
        sum += l.one as u64 + u64::from(l.total);
    }
    for s in [parse::sockstat::parse(buf), parse::sockstat::parse6(buf)]
        .into_iter()
        .flatten()
    {
        sum += s.tcp_inuse().unwrap_or(0) + s.iter().count() as u64;
        sum += s.get(b"TCP", b"mem").unwrap_or(0);
    }
    if let Ok(f) = parse::file_nr::parse(buf) {
        sum += f.allocated;
    }
    sum += parse::dirent::dirents(buf).count() as u64;
    sum
}

#[test]
fn parsers_never_allocate() {
    // Warm up anything lazily initialised (memchr's CPU feature detection, thread locals).
    for buf in FIXTURES {
        std::hint::black_box(exercise(buf));
    }
    for (i, buf) in FIXTURES.iter().enumerate() {
        let n = allocations(|| {
            std::hint::black_box(exercise(std::hint::black_box(buf)));
        });
        assert_eq!(n, 0, "fixture {i} allocated {n} times");
    }
    // The counter works: a Vec allocates.
    assert!(allocations(|| drop(std::hint::black_box(vec![1u8; 64]))) > 0);
}
