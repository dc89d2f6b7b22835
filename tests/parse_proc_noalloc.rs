//! The per-process parsers, and the `Proc` methods that read their files, never allocate: a
//! counting global allocator watches every parser, accessor and iterator run over real files,
//! hand-made odd ones, bad ones and empty input, and then the handle's methods after their first
//! call (which opens and keeps the files and may grow the read buffer).

use std::hint::black_box;
use std::ops::ControlFlow;

use procfast::parse::{self, cgroup, cmdline::Cmdline, schedstat, value};
use procfast::{Budget, Proc};

#[path = "shared/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::allocations;

const FIXTURES: &[&[u8]] = &[
    include_bytes!("fixtures/schedstat"),
    include_bytes!("fixtures/cgroup"),
    include_bytes!("fixtures/cgroup_pid1"),
    include_bytes!("fixtures/oom_score_adj"),
    include_bytes!("fixtures/status"),
    include_bytes!("fixtures/cmdline"),
    b"12:cpu,cpuacct:/docker/ab:cd\n11:name=systemd:/x\n4:net_cls,,net_prio:/a::b:\n0::/u\n",
    b"-1000\n",
    b"18446744073709551615\n",
    b"HOME=/root\0A=b=c\0no-equals\0\0",
    b"1 2 3 4\n",
    b"",
    b"\n",
    b"garbage",
    b"garbage\n",
    b"x:y\n",
    b"1 2 x\n",
    b"0::/\n1\n",
];

/// Runs every parser here, and everything its result offers, over `buf`.
fn exercise(buf: &[u8]) -> u64 {
    let mut sum = 0u64;
    let mut add = |v: u64| sum = sum.wrapping_add(v);
    if let Ok(s) = schedstat::parse(buf) {
        add(s.cpu_time_ns ^ s.run_delay_ns ^ s.timeslices);
        add((s.cpu_time_seconds() + s.run_delay_seconds()) as u64);
    }
    if let Ok(c) = cgroup::parse(buf) {
        for line in c.iter() {
            add(u64::from(line.hierarchy_id) + u64::from(line.is_v2()));
            add(line.controllers().map(|n| n.len() as u64).sum());
            add((line.path.len() + line.controller_list.len()) as u64);
        }
        add(c.into_iter().count() as u64);
        add(c.v2_path().map_or(0, |p| p.len() as u64));
        add(c.v1_path(b"memory").map_or(0, |p| p.len() as u64));
        add(c.v1_path(b"name=systemd").map_or(0, |p| p.len() as u64));
    }
    add(value::u64(buf, "f").unwrap_or(0));
    add(value::i64(buf, "f").unwrap_or(0) as u64);
    add(u64::from(value::u32(buf, "f").unwrap_or(0)));
    add(value::i32(buf, "f").unwrap_or(0) as u64);
    let environ = Cmdline::new(buf);
    add(environ
        .vars()
        .map(|(k, v)| (k.len() + v.len()) as u64)
        .sum());
    if let Ok(st) = parse::status::parse(buf) {
        add(st
            .nspid()
            .ok()
            .flatten()
            .map_or(0, |p| p.map(|p| p as u64).sum()));
        add(st.voluntary_ctxt_switches().unwrap_or(0) + st.vm_swap_bytes().unwrap_or(0));
    }
    sum
}

#[test]
fn parsers_never_allocate() {
    // Warm up anything lazily initialised (memchr's CPU feature detection, thread locals).
    for buf in FIXTURES {
        black_box(exercise(buf));
    }
    for (i, buf) in FIXTURES.iter().enumerate() {
        let n = allocations(|| exercise(black_box(buf)));
        assert_eq!(n, 0, "fixture {i} allocated {n} times");
    }
    // The counter works: a Vec allocates.
    assert!(allocations(|| vec![1u8; 64]) > 0);
}

/// Every `Proc` method added with these parsers, once.
fn use_the_handle(me: &mut Proc, fd_name: &std::ffi::CStr, buf: &mut [u8]) -> u64 {
    let mut sum = 0u64;
    sum += me.schedstat().unwrap().timeslices;
    sum += me.cgroup().unwrap().iter().count() as u64;
    sum += u64::from(me.oom_score().unwrap());
    sum += u64::from(me.oom_score_adj().unwrap().unsigned_abs());
    sum += me.environ().unwrap().vars().count() as u64;
    sum += me.readlink(fd_name, buf).unwrap().unwrap().len() as u64;
    sum += me.readlink(c"exe", buf).unwrap().unwrap().len() as u64;
    sum += me.exe(buf).unwrap().unwrap().len() as u64;
    assert_eq!(me.readlink(c"fd/1073741824", buf), Ok(None));
    let walk = me
        .tids(&Budget::UNLIMITED, |tid| {
            sum += tid as u64;
            ControlFlow::Continue(())
        })
        .unwrap();
    sum + walk.count
}

#[test]
fn proc_methods_allocate_nothing_after_the_first_call() {
    let file = std::fs::File::open("tests/fixtures/cgroup").unwrap();
    let fd_name =
        std::ffi::CString::new(format!("fd/{}", std::os::fd::AsRawFd::as_raw_fd(&file))).unwrap();
    let mut me = Proc::myself().unwrap();
    let mut buf = [0u8; 4096];
    // The first call opens the held files and grows the read buffer to fit the largest.
    black_box(use_the_handle(&mut me, &fd_name, &mut buf));
    for round in 0..3 {
        let n = allocations(|| use_the_handle(&mut me, &fd_name, &mut buf));
        assert_eq!(n, 0, "round {round} allocated {n} times");
    }
    // Each on its own, the thread listing and the links in particular.
    let n = allocations(|| me.tids(&Budget::entries(1), |_| ControlFlow::Continue(())));
    assert_eq!(n, 0);
    let n = allocations(|| me.readlink(&fd_name, &mut buf).map(|t| t.map(<[u8]>::len)));
    assert_eq!(n, 0);
    drop(file);
}
