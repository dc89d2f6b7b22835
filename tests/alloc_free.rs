//! Proves the counting paths allocate nothing once a handle is open, with a counting global
//! allocator. Counts are per thread, so tests running in parallel do not disturb each other.

mod common;

use common::Helper;
use procfast::{Budget, Method, Proc};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ops::ControlFlow;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged; it only counts allocations
// made on the current thread.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_in(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
#[ignore = "helper process, started by the other tests"]
fn helper_process() {
    common::helper_main()
}

#[test]
fn counting_allocates_nothing_after_open() {
    let helper = Helper::holding_fds(2_000);
    let empty = Helper::holding_fds(0);
    let mut busy = Proc::open(helper.pid).unwrap();
    let mut idle = Proc::open(empty.pid).unwrap();
    let mut me = Proc::myself().unwrap();
    let n = allocations_in(|| {
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
    let n = allocations_in(|| drop(std::hint::black_box(vec![1u8; 64])));
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
    let n = allocations_in(|| {
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
    let n = allocations_in(|| {
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
    let n = allocations_in(|| {
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
