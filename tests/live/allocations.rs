//! The counting paths, the held reads, scans, snapshots and the handle's other methods allocate
//! nothing once warmed up: the counting global allocator this binary installs watches them.
//! Counts are per thread, so tests running in parallel do not disturb each other.

use crate::support::alloc::allocations;
use crate::support::fixtures::CGROUP_PATH;
use crate::support::helper::Helper;
use procfast::{Budget, Method, Proc};
use std::hint::black_box;
use std::ops::ControlFlow;

#[test]
fn counting_allocates_nothing_after_open() {
    let helper = Helper::holding_fds(2_000);
    let empty = Helper::holding_fds(0);
    let mut busy = Proc::open(helper.pid).unwrap();
    let mut idle = Proc::open(empty.pid).unwrap();
    let mut me = Proc::myself().unwrap();
    let n = allocations(|| {
        for _ in 0..3 {
            for proc in [&mut busy, &mut idle, &mut me] {
                proc.fd_count().unwrap();
                proc.fd_count_with(Method::Walk, &Budget::UNLIMITED)
                    .unwrap();
                proc.fd_count_with(Method::Auto, &Budget::entries(10))
                    .unwrap();
                proc.fds_at_least(1).unwrap();
                proc.fds_at_least(1_000).unwrap();
                proc.thread_count().unwrap();
                let mut sum = 0i64;
                proc.for_each_fd(&Budget::UNLIMITED, |fd| {
                    sum += i64::from(fd);
                    ControlFlow::Continue(())
                })
                .unwrap();
            }
            if procfast::ProcFs::global().unwrap().stat_counts_fds() {
                busy.fd_count_with(Method::Stat, &Budget::UNLIMITED)
                    .unwrap();
            }
        }
        // The empty process took the walk fallback on every auto count.
        assert_eq!(idle.fd_count().unwrap().method, Method::Walk);
        assert_eq!(
            busy.fd_count_with(Method::Walk, &Budget::UNLIMITED)
                .unwrap()
                .count,
            2_000
        );
    });
    assert_eq!(n, 0, "allocations while counting");
}

#[test]
fn the_counter_sees_allocations() {
    // Guards the test above against a counter that never counts.
    let n = allocations(|| drop(std::hint::black_box(vec![1u8; 64])));
    assert_eq!(n, 1);
}

#[test]
fn reading_held_files_allocates_nothing_after_the_first_read() {
    let mut me = Proc::myself().unwrap();
    let mut system = procfast::System::open().unwrap();
    let mut read_all = || {
        let comm_len = me.stat().unwrap().comm.len();
        assert!(comm_len > 0);
        assert!(me.statm().unwrap().resident > 0);
        assert!(me.status().unwrap().threads() >= 1);
        let _ = me.limits().unwrap();
        assert!(me.io().unwrap().rchar > 0);
        assert!(me.net_dev().unwrap().interfaces().count() >= 1);
        assert!(system.stat().unwrap().btime > 0);
        assert!(system.meminfo().unwrap().mem_total_bytes() > 0);
        let _ = system.loadavg().unwrap();
        let _ = system.sockstat().unwrap();
        let _ = system.file_nr().unwrap();
        let _ = system.net_dev().unwrap();
    };
    read_all();
    let n = allocations(|| {
        for _ in 0..3 {
            read_all();
        }
    });
    assert_eq!(n, 0, "allocations while re-reading held files");
}

#[test]
fn scans_allocate_nothing_after_warm_up() {
    use procfast::{Fields, Scanner, SortKey};
    let mut cold = Scanner::new(Fields::ALL).unwrap();
    let mut kept = Scanner::new(Fields::ALL).unwrap().keep_handles(2_000);
    let mut scan_all = || {
        let mut rows = 0u64;
        for scanner in [&mut cold, &mut kept] {
            let summary = scanner
                .scan(&Budget::UNLIMITED, |_| {
                    rows += 1;
                    ControlFlow::Continue(())
                })
                .unwrap();
            assert!(summary.is_complete());
            let (top, _) = scanner.top(10, SortKey::Rss, &Budget::UNLIMITED).unwrap();
            assert!(!top.is_empty());
        }
        rows
    };
    scan_all();
    scan_all();
    let mut rows = 0;
    let n = allocations(|| {
        for _ in 0..3 {
            rows += scan_all();
        }
    });
    assert!(rows > 10);
    assert_eq!(n, 0, "allocations over {rows} rows");
}

#[test]
fn snapshots_allocate_nothing_after_the_first() {
    let helper = Helper::holding_fds(300);
    let mut own = procfast::ProcessMetrics::myself()
        .unwrap()
        .with_network(true);
    let mut other = procfast::ProcessMetrics::open(helper.pid)
        .unwrap()
        .with_network(true);
    own.snapshot().unwrap();
    other.snapshot().unwrap();
    let mut text = String::with_capacity(8192);
    let n = allocations(|| {
        for _ in 0..3 {
            text.clear();
            own.snapshot()
                .unwrap()
                .write_text(&mut text, Some("ns"))
                .unwrap();
            let snapshot = other.snapshot().unwrap();
            assert_eq!(snapshot.open_fds, Some(300));
            snapshot.write_text_io(&mut std::io::sink(), None).unwrap();
        }
    });
    assert_eq!(n, 0, "allocations while taking and writing snapshots");
}

/// Every `Proc` method that reads the per-process files, links and thread list, once.
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
    let file = std::fs::File::open(CGROUP_PATH).unwrap();
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
