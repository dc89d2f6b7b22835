//! Live truth tests for fd and thread counting, against helper processes holding known fds.

use crate::support::helper::{most_fds, naive_fd_count, Helper};
use crate::support::rerun::{self, running_as_root, test_name};
use procfast::{Budget, DirBuf, Error, Method, Proc, ProcFs, Stop};
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

fn count(pid: i32, method: Method) -> procfast::FdCount {
    let mut proc = Proc::open(pid).expect("open helper");
    let counted = proc
        .fd_count_with(method, &Budget::UNLIMITED)
        .expect("count");
    assert!(counted.is_complete(), "{counted:?}");
    counted
}

#[test]
fn exact_counts_by_every_method() {
    let stat_counts = ProcFs::global().unwrap().stat_counts_fds();
    for n in [0, 1, 100, 10_000, most_fds()] {
        let helper = Helper::holding_fds(n);
        let truth = naive_fd_count(helper.pid).expect("list helper fds");
        assert_eq!(truth, n, "oracle disagrees with the helper's setup");

        let walked = count(helper.pid, Method::Walk);
        assert_eq!((walked.count, walked.method), (n as u64, Method::Walk));

        let auto = count(helper.pid, Method::Auto);
        assert_eq!(auto.count, n as u64, "auto at {n}");
        // Size 0 is ambiguous, so auto must have walked for the empty process.
        let expected = if n > 0 && stat_counts {
            Method::Stat
        } else {
            Method::Walk
        };
        assert_eq!(auto.method, expected, "auto at {n}");

        if stat_counts {
            let stat = count(helper.pid, Method::Stat);
            assert_eq!((stat.count, stat.method), (n as u64, Method::Stat));
        }

        let mut proc = Proc::open(helper.pid).unwrap();
        let mut visited = Vec::new();
        let walk = proc
            .for_each_fd(&Budget::UNLIMITED, |fd| {
                visited.push(fd);
                ControlFlow::Continue(())
            })
            .unwrap();
        assert!(walk.is_complete());
        assert_eq!(visited, (0..n as i32).collect::<Vec<_>>());

        assert!(proc.fds_at_least(n as u64).unwrap());
        assert!(!proc.fds_at_least(n as u64 + 1).unwrap());
        if n > 0 {
            assert!(proc.fds_at_least(n as u64 / 2).unwrap());
        }
        let threads = std::fs::read_dir(format!("/proc/{}/task", helper.pid))
            .unwrap()
            .count();
        assert_eq!(proc.thread_count().unwrap(), threads as u64);
    }
}

#[test]
fn a_handle_reuses_its_fds_and_sees_changes() {
    let mut me = Proc::myself().unwrap();
    let before = me.fd_count().unwrap().count;
    let files: Vec<_> = (0..10)
        .map(|_| std::fs::File::open("/dev/null").unwrap())
        .collect();
    let during = me.fd_count().unwrap().count;
    drop(files);
    // Other tests run in parallel threads of this process, so only a lower bound is certain.
    assert!(during >= 10, "{before} -> {during}");
    assert!(me.fd_count().unwrap().count >= 1);
}

#[test]
fn entry_budget_stops_at_exactly_the_budget() {
    let helper = Helper::holding_fds(10_000);
    let mut proc = Proc::open(helper.pid).unwrap();

    let stopped = proc
        .fd_count_with(Method::Walk, &Budget::entries(5_000))
        .unwrap();
    assert_eq!(
        (stopped.count, stopped.stopped),
        (5_000, Some(Stop::Entries))
    );
    assert!(!stopped.is_complete());
    assert!(stopped.to_string().starts_with('≥'), "{stopped}");

    // A budget equal to the count is not a stop: the directory ended there.
    let exact = proc
        .fd_count_with(Method::Walk, &Budget::entries(10_000))
        .unwrap();
    assert_eq!((exact.count, exact.stopped), (10_000, None));

    // The stat path does not consult the budget.
    if ProcFs::global().unwrap().stat_counts_fds() {
        let auto = proc
            .fd_count_with(Method::Auto, &Budget::entries(1))
            .unwrap();
        assert_eq!((auto.count, auto.method), (10_000, Method::Stat));
    }
}

#[test]
fn past_deadline_stops_after_the_first_getdents() {
    let helper = Helper::holding_fds(10_000);
    let mut proc = Proc::open(helper.pid).unwrap();
    let capacity = 4096;
    proc.replace_dir_buf(DirBuf::with_capacity(capacity));
    let walked = proc
        .fd_count_with(Method::Walk, &Budget::until(Instant::now()))
        .unwrap();
    assert_eq!(walked.stopped, Some(Stop::Deadline));
    // One buffer's worth: each record of a name up to 4 digits takes 24 bytes; `.` and `..`
    // take a record each but are not counted.
    assert!(walked.count > 0, "{walked:?}");
    assert!(walked.count <= (capacity / 24) as u64, "{walked:?}");
}

#[test]
fn a_budget_of_time_built_once_serves_every_walk() {
    let helper = Helper::holding_fds(1_000);
    let mut proc = Proc::open(helper.pid).unwrap();
    // Built once, used long after: each walk and scan gets its own 200 ms from its start.
    let budget = Budget::within(Duration::from_millis(200));
    let mut scanner = procfast::Scanner::new(procfast::Fields::FDS).unwrap();
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(250));
        let walked = proc.fd_count_with(Method::Walk, &budget).unwrap();
        assert_eq!((walked.count, walked.stopped), (1_000, None));
        let scanned = scanner
            .scan(&budget, |_| ControlFlow::Continue(()))
            .unwrap();
        assert!(scanned.is_complete(), "{scanned:?}");
    }
    // A deadline is a point in time: once passed, it stops every walk given it.
    let shared = Budget::until(Instant::now() + Duration::from_millis(100))
        .and_within(Duration::from_secs(60));
    std::thread::sleep(Duration::from_millis(150));
    let walked = proc.fd_count_with(Method::Walk, &shared).unwrap();
    assert_eq!(walked.stopped, Some(Stop::Deadline));
}

#[test]
fn visitor_break_stops_the_walk() {
    let helper = Helper::holding_fds(100);
    let mut proc = Proc::open(helper.pid).unwrap();
    let mut seen = Vec::new();
    let walk = proc
        .for_each_fd(&Budget::UNLIMITED, |fd| {
            seen.push(fd);
            if seen.len() == 7 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert_eq!((walk.count, walk.stopped), (7, Some(Stop::Visitor)));
    assert_eq!(seen, (0..7).collect::<Vec<_>>());
}

#[test]
fn a_tiny_buffer_grows_and_still_counts_exactly() {
    let helper = Helper::holding_fds(1_000);
    let mut proc = Proc::open(helper.pid).unwrap();
    proc.replace_dir_buf(DirBuf::with_capacity(8));
    let walked = proc
        .fd_count_with(Method::Walk, &Budget::UNLIMITED)
        .unwrap();
    assert_eq!((walked.count, walked.stopped), (1_000, None));
    let grown = proc.replace_dir_buf(DirBuf::new());
    assert!(
        grown.capacity() >= 24 && grown.capacity() < 1024,
        "{}",
        grown.capacity()
    );
}

#[test]
fn a_missing_pid_is_gone() {
    // pid_max is at most 2^22, so this pid cannot exist.
    assert_eq!(Proc::open(1 << 23).unwrap_err(), Error::Gone);
    assert_eq!(Proc::open(0).unwrap_err(), Error::Gone);
    assert_eq!(Proc::open(-1).unwrap_err(), Error::Gone);
}

#[test]
fn a_process_that_exits_after_open_is_gone_by_every_method() {
    let mut helper = Helper::holding_fds(10);
    let mut stat_first = Proc::open(helper.pid).unwrap();
    let mut walk_first = Proc::open(helper.pid).unwrap();
    let mut used = Proc::open(helper.pid).unwrap();
    assert_eq!(used.fd_count().unwrap().count, 10);
    helper.kill_and_reap();
    for proc in [&mut stat_first, &mut walk_first, &mut used] {
        assert_eq!(proc.fd_count().unwrap_err(), Error::Gone);
        assert_eq!(
            proc.fd_count_with(Method::Walk, &Budget::UNLIMITED)
                .unwrap_err(),
            Error::Gone
        );
        assert_eq!(proc.fds_at_least(1).unwrap_err(), Error::Gone);
        assert_eq!(proc.thread_count().unwrap_err(), Error::Gone);
    }
    if ProcFs::global().unwrap().stat_counts_fds() {
        assert_eq!(
            stat_first.fd_count_with(Method::Stat, &Budget::UNLIMITED),
            Err(Error::Gone)
        );
    }
}

#[test]
fn a_zombie_is_gone_not_zero() {
    let mut helper = Helper::holding_fds(10);
    let mut proc = Proc::open(helper.pid).unwrap();
    assert_eq!(proc.fd_count().unwrap().count, 10);
    helper.kill_leave_zombie();
    assert_eq!(proc.fd_count().unwrap_err(), Error::Gone);
    assert_eq!(proc.fds_at_least(1).unwrap_err(), Error::Gone);
    // A handle opened on the zombie itself says the same.
    let mut late = Proc::open(helper.pid).unwrap();
    assert_eq!(late.fd_count().unwrap_err(), Error::Gone);
}

#[test]
fn exit_in_the_middle_of_a_walk_is_gone_not_a_short_count() {
    let mut helper = Helper::holding_fds(1_000);
    let mut proc = Proc::open(helper.pid).unwrap();
    // About ten entries per getdents call, so the exit lands between calls.
    proc.replace_dir_buf(DirBuf::with_capacity(256));
    let mut seen = 0;
    let result = proc.for_each_fd(&Budget::UNLIMITED, |_| {
        seen += 1;
        if seen == 1 {
            helper.kill_and_reap();
        }
        ControlFlow::Continue(())
    });
    assert_eq!(result.unwrap_err(), Error::Gone);
    assert!(seen < 1_000, "saw {seen}");
}

#[test]
fn threads_of_a_multithreaded_process() {
    let mut me = Proc::myself().unwrap();
    let base = me.thread_count().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let rx = std::sync::Mutex::new(rx);
    // Five threads waiting on the channel until `tx` is dropped, joined as the scope ends.
    std::thread::scope(|scope| {
        for _ in 0..5 {
            scope.spawn(|| {
                let _ = rx.lock().unwrap().recv();
            });
        }
        // Other tests add and remove threads too; ours are certainly there.
        assert!(me.thread_count().unwrap() >= 6, "base {base}");
        drop(tx);
    });
}

#[test]
#[ignore = "run as nobody by another_users_process_counts_by_stat_but_walk_is_denied"]
fn as_nobody_count_target() {
    let Ok(pid) = std::env::var("PROCFAST_TARGET").map(|v| v.parse::<i32>().unwrap()) else {
        return;
    };
    assert!(!running_as_root(), "must run as nobody");
    let mut proc = Proc::open(pid).unwrap();
    if ProcFs::global().unwrap().stat_counts_fds() {
        let stat = proc
            .fd_count_with(Method::Stat, &Budget::UNLIMITED)
            .unwrap();
        assert!(stat.count >= 3, "{stat:?}");
        let auto = proc.fd_count().unwrap();
        assert_eq!(auto.method, Method::Stat);
        assert!(proc.fds_at_least(3).unwrap());
    }
    assert_eq!(
        proc.fd_count_with(Method::Walk, &Budget::UNLIMITED)
            .unwrap_err(),
        Error::Denied { file: "fd" }
    );
    let denied = proc.for_each_fd(&Budget::UNLIMITED, |_| ControlFlow::Continue(()));
    assert_eq!(denied.unwrap_err(), Error::Denied { file: "fd" });
    println!("NOBODY-CHECKS-PASSED");
}

#[test]
fn another_users_process_counts_by_stat_but_walk_is_denied() {
    // The target is a root-owned helper; the reader is this binary run as nobody.
    let helper = Helper::holding_fds(50);
    let env = [("PROCFAST_TARGET", helper.pid.to_string())];
    rerun::assert_passes_as_nobody(
        &test_name!(as_nobody_count_target),
        &env,
        "NOBODY-CHECKS-PASSED",
    );
}

#[test]
fn a_directory_that_is_not_procfs_is_refused() {
    assert_eq!(ProcFs::open("/").unwrap_err(), Error::NotProcfs);
    assert_eq!(
        ProcFs::open("/definitely/not/here").unwrap_err(),
        Error::Io {
            file: "/proc",
            errno: libc::ENOENT
        }
    );
}
