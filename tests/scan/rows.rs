//! What a row holds: exact figures for known processes (the helper's fds, its stat, status and
//! limits, a sleeping task's wchan, a thread per row), and what another user sees.

use crate::support::helper::Helper;
use crate::support::rerun::{self, test_name};
use crate::support::row_of;
use crate::zombies;
use procfast::{Budget, Fields, Scanner, SortKey};
use std::ops::ControlFlow;
use std::process::Command;
use std::time::{Duration, Instant};

/// More fds than this binary's own kept scanners hold together (their budgets add up to about
/// 5,100 on a host with enough processes), so the helper is first whatever runs beside it.
const TOP_HELPER_FDS: u64 = 8_000;

#[test]
fn a_process_holding_the_most_fds_tops_the_fd_ranking() {
    let helper = Helper::holding_fds(TOP_HELPER_FDS as usize);
    for mut scanner in [
        Scanner::new(Fields::COMM).unwrap(),
        Scanner::new(Fields::COMM).unwrap().keep_handles(1_000),
    ] {
        for _ in 0..2 {
            let (top, summary) = scanner.top(3, SortKey::Fds, &Budget::UNLIMITED).unwrap();
            assert!(summary.is_complete());
            assert_eq!(top[0].pid, helper.pid, "{top:?}");
            assert_eq!(top[0].fds, Some(TOP_HELPER_FDS));
            assert!(!top[0].comm().is_empty());
            assert!(top.windows(2).all(|w| w[0].fds >= w[1].fds), "{top:?}");
        }
    }
}

#[test]
fn figures_agree_with_the_process_handle() {
    let helper = Helper::holding_fds(321);
    let mut proc = procfast::Proc::open(helper.pid).unwrap();
    let ticks = procfast::clock_ticks_per_second();
    let page = procfast::page_size();
    for mut scanner in [
        Scanner::new(Fields::ALL).unwrap(),
        Scanner::new(Fields::ALL).unwrap().keep_handles(64),
    ] {
        for _ in 0..2 {
            let (row, _) = row_of(&mut scanner, helper.pid);
            let row = row.expect("helper listed");
            let stat = proc.stat().unwrap();
            assert_eq!(row.comm(), stat.comm);
            assert_eq!(row.ppid, Some(std::process::id() as i32));
            assert_eq!(row.fds, Some(321));
            assert_eq!(row.threads, Some(stat.num_threads() as u64));
            assert_eq!(row.start_time_seconds, Some(stat.starttime_seconds(ticks)));
            // The helper sleeps: its memory and CPU time do not move between the two reads.
            assert_eq!(row.rss_bytes, Some(stat.rss_bytes(page)));
            let uid = proc.status().unwrap().uid().effective;
            assert_eq!(row.uid, Some(uid));
            assert!(row.io_read_bytes.is_some() && !row.denied);
            let stat = proc.stat().unwrap();
            assert_eq!(row.start_time_ticks, Some(stat.starttime()));
            assert_eq!(row.cpu_user_seconds, Some(stat.utime_seconds(ticks)));
            assert_eq!(row.cpu_system_seconds, Some(stat.stime_seconds(ticks)));
            assert_eq!(
                (row.minor_faults, row.major_faults),
                (Some(stat.minflt()), Some(stat.majflt()))
            );
            assert_eq!(row.vsize_bytes, Some(stat.vsize()));
            let status = proc.status().unwrap();
            assert_eq!(row.swap_bytes, status.vm_swap_bytes());
            assert_eq!(
                row.voluntary_ctxt_switches,
                status.voluntary_ctxt_switches()
            );
            assert_eq!(
                row.nonvoluntary_ctxt_switches,
                status.nonvoluntary_ctxt_switches()
            );
            let limits = proc.limits().unwrap();
            let soft = limits
                .get(procfast::parse::limits::Resource::OpenFiles)
                .soft;
            assert_eq!(row.fd_limit, Some(soft.unwrap_or(u64::MAX)));
        }
    }
}

#[test]
fn a_scan_for_fds_alone_reads_no_file() {
    // Fewer rows without fds: no zombie of this binary's process churn (see `zombies`).
    let _zombies = zombies();
    // fds come from fstatat of /proc/<pid>/fd; every other figure stays empty.
    let mut scanner = Scanner::new(Fields::FDS).unwrap();
    let (mut rows, mut uncounted) = (0, Vec::new());
    scanner
        .scan(&Budget::UNLIMITED, |row| {
            rows += 1;
            assert!(row.comm().is_empty() && row.rss_bytes.is_none() && row.uid.is_none());
            if row.fds.is_none() && !row.denied {
                uncounted.push(row.pid);
            }
            ControlFlow::Continue(())
        })
        .unwrap();
    assert!(rows > 1);
    // A row goes without its count only for a task that had begun to exit, as any process on
    // the host may at the moment of the scan; exiting is for good, so the task still shows it.
    for pid in uncounted {
        let Ok(stat) = std::fs::read(format!("/proc/{pid}/stat")) else {
            continue; // reaped since
        };
        let (state, flags) = procfast::parse::stat_state_flags(&stat).unwrap();
        assert!(
            procfast::parse::is_exiting(state, flags),
            "pid {pid} has no fd count, yet has not begun to exit"
        );
    }
}

#[test]
fn wchan_is_where_the_task_sleeps() {
    let mut child = Command::new("sleep").arg("30").spawn().unwrap();
    let pid = child.id() as i32;
    let truth = || std::fs::read(format!("/proc/{pid}/wchan")).unwrap();
    // Wait until it sleeps in nanosleep rather than anywhere on its way there.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !truth().windows(5).any(|w| w == b"sleep") {
        assert!(Instant::now() < deadline, "sleep never slept");
        std::thread::sleep(Duration::from_millis(5));
    }
    for mut scanner in [
        Scanner::new(Fields::WCHAN).unwrap(),
        Scanner::new(Fields::WCHAN | Fields::CPU)
            .unwrap()
            .keep_handles(64),
    ] {
        for _ in 0..2 {
            let (row, _) = row_of(&mut scanner, pid);
            assert_eq!(row.unwrap().wchan(), &truth()[..]);
        }
    }
    // Not asked for, none.
    let (row, _) = row_of(&mut Scanner::new(Fields::CPU).unwrap(), pid);
    assert!(row.unwrap().wchan().is_empty());
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_thread_scan_has_a_row_per_thread() {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
    // A thread names itself once it runs: wait for all three before scanning.
    let started = std::sync::Arc::new(std::sync::Barrier::new(4));
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let (rx, started) = (rx.clone(), started.clone());
            std::thread::Builder::new()
                .name("pf-worker".into())
                .spawn(move || {
                    started.wait();
                    let _ = rx.lock().unwrap().recv();
                })
                .unwrap()
        })
        .collect();
    started.wait();
    let me = std::process::id() as i32;
    for scanner in [
        Scanner::new(Fields::COMM | Fields::FDS)
            .unwrap()
            .threads(true),
        Scanner::new(Fields::COMM | Fields::FDS)
            .unwrap()
            .threads(true)
            .keep_handles(100),
    ] {
        let mut scanner = scanner;
        for _ in 0..2 {
            let mut ours = Vec::new();
            let summary = scanner
                .scan(&Budget::UNLIMITED, |row| {
                    if row.tgid == me {
                        ours.push((row.pid, row.comm().to_vec(), row.fds));
                    }
                    ControlFlow::Continue(())
                })
                .unwrap();
            assert!(summary.is_complete());
            let workers = ours
                .iter()
                .filter(|(_, comm, _)| comm == b"pf-worker")
                .count();
            assert_eq!(workers, 3, "{ours:?}");
            // The main thread is a row of its own, with the process's id.
            assert!(ours.iter().any(|(tid, _, _)| *tid == me));
            let mut tids: Vec<_> = ours.iter().map(|(tid, _, _)| *tid).collect();
            tids.dedup();
            assert_eq!(tids.len(), ours.len(), "each thread once");
            assert!(ours.iter().all(|(_, _, fds)| fds.is_some()));
        }
    }
    drop(tx);
    for w in workers {
        w.join().unwrap();
    }
}

#[test]
#[ignore = "run as nobody by a_scan_as_nobody_completes_and_counts_denied"]
fn as_nobody_scan() {
    if std::env::var_os("PROCFAST_TARGET").is_none() {
        return;
    }
    let target: i32 = std::env::var("PROCFAST_TARGET").unwrap().parse().unwrap();
    let mut scanner = Scanner::new(Fields::ALL).unwrap();
    let (row, summary) = row_of(&mut scanner, target);
    assert!(summary.is_complete(), "{summary:?}");
    assert!(summary.denied > 0, "{summary:?}");
    // A root process: its io is denied, but what is readable is still there.
    let row = row.expect("target listed");
    assert!(row.denied && row.io_read_bytes.is_none());
    assert!(!row.comm().is_empty());
    if procfast::ProcFs::global().unwrap().stat_counts_fds() {
        assert_eq!(row.fds, Some(40));
    }
    println!("NOBODY-SCAN-PASSED");
}

#[test]
fn a_scan_as_nobody_completes_and_counts_denied() {
    let helper = Helper::holding_fds(40);
    let env = [("PROCFAST_TARGET", helper.pid.to_string())];
    rerun::assert_passes_as_nobody(&test_name!(as_nobody_scan), &env, "NOBODY-SCAN-PASSED");
}
