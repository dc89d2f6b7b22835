//! Kept handles: a kept scanner follows processes that come and go, reads only the fields asked
//! for, and `scan_choosing` reads less of the processes it holds and a reused pid as new.

use crate::support::helper::Helper;
use crate::support::row_of;
use crate::zombies;
use procfast::{Budget, Fields, Row, Scanner, SortKey};
use std::ops::ControlFlow;
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn scanning_while_processes_come_and_go_never_errors() {
    // Its children are zombies between their exit and their reaping (see `zombies`).
    let _zombies = zombies();
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let stop = Arc::new(AtomicBool::new(false));
    let spawner = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut spawned = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let children: Vec<_> = (0..8)
                    .filter_map(|_| std::process::Command::new("true").spawn().ok())
                    .collect();
                for mut child in children {
                    let _ = child.wait();
                    spawned += 1;
                }
            }
            spawned
        })
    };
    let mut cold = Scanner::new(Fields::ALL).unwrap();
    let mut kept = Scanner::new(Fields::ALL).unwrap().keep_handles(4_000);
    let (mut vanished, mut scans) = (0, 0);
    let give_up = Instant::now() + Duration::from_secs(20);
    while scans < 200 || (vanished == 0 && Instant::now() < give_up) {
        for scanner in [&mut cold, &mut kept] {
            let summary = scanner
                .scan(&Budget::UNLIMITED, |_| ControlFlow::Continue(()))
                .unwrap();
            assert!(summary.is_complete());
            vanished += summary.vanished;
            scans += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let spawned = spawner.join().unwrap();
    assert!(spawned > 0);
    assert!(
        vanished > 0,
        "{scans} scans racing {spawned} short-lived processes saw none vanish"
    );
    // The kept scanner dropped the handles of every process that exited.
    let live = kept
        .scan(&Budget::UNLIMITED, |_| ControlFlow::Continue(()))
        .unwrap()
        .scanned;
    // At most one fd per source of a process: stat, status, io, fd and its own directory.
    assert!(
        kept.held_fds() <= 5 * live as usize,
        "{} fds held for {live} processes",
        kept.held_fds()
    );
}

#[test]
fn kept_handles_follow_the_fields_asked_for() {
    let helper = Helper::holding_fds(2_345);
    let mut scanner = Scanner::new(Fields::COMM).unwrap().keep_handles(1_000);
    let (row, _) = row_of(&mut scanner, helper.pid);
    assert_eq!(row.unwrap().fds, None, "not asked for");
    // top() adds its key's figure: handles kept for COMM alone must not hide it.
    // Others on the host (parallel tests) may hold more fds: find the helper among the top.
    let (top, _) = scanner.top(64, SortKey::Fds, &Budget::UNLIMITED).unwrap();
    let ours = top.iter().find(|r| r.pid == helper.pid).map(|r| r.fds);
    assert_eq!(ours, Some(Some(2_345)));
    let (row, _) = row_of(&mut scanner, helper.pid);
    let row = row.unwrap();
    assert!(!row.comm().is_empty());
    assert_eq!(
        row.fds, None,
        "held handles do not add figures that were not asked for"
    );
}

/// The rows of one `scan_choosing` of the processes `ours` (others are read for nothing, so
/// the fd budget is theirs whatever else runs on the host), with what `choose` was told.
fn scan_choosing_rows(
    scanner: &mut Scanner,
    ours: &[i32],
    choose: impl Fn(bool) -> Fields,
) -> (Vec<Row>, Vec<(i32, bool)>) {
    let (mut rows, mut told) = (Vec::new(), Vec::new());
    scanner
        .scan_choosing(
            &Budget::UNLIMITED,
            |pid, kept| {
                if !ours.contains(&pid) {
                    return Fields::NONE;
                }
                told.push((pid, kept));
                choose(kept)
            },
            |row| {
                if ours.contains(&row.pid) {
                    rows.push(*row);
                }
                ControlFlow::Continue(())
            },
        )
        .unwrap();
    (rows, told)
}

#[test]
fn scan_choosing_reads_less_of_processes_it_holds() {
    let fields = Fields::COMM | Fields::CPU | Fields::UID | Fields::FDS;
    let mut scanner = Scanner::new(fields).unwrap().keep_handles(100);
    let less = |kept: bool| {
        if kept {
            Fields::CPU
        } else {
            Fields::ALL
        }
    };
    let helper = Helper::holding_fds(10);
    let late = Helper::holding_fds(20);
    let (first, _) = scan_choosing_rows(&mut scanner, &[helper.pid], less);
    assert!(!first[0].kept, "first sight");
    // Asked for ALL, read within the scanner's own fields only.
    let figures = |r: &Row| (r.fds, r.uid.is_some(), r.io_read_bytes);
    assert_eq!(figures(&first[0]), (Some(10), true, None));

    let (second, told) = scan_choosing_rows(&mut scanner, &[helper.pid, late.pid], less);
    let ours = second.iter().find(|r| r.pid == helper.pid).unwrap();
    assert!(ours.kept && told.contains(&(helper.pid, true)));
    assert_eq!((ours.fds, ours.uid), (None, None), "only what was chosen");
    assert!(ours.cpu_seconds.is_some() && ours.comm().is_empty());
    let new = second.iter().find(|r| r.pid == late.pid).unwrap();
    assert!(!new.kept && told.contains(&(late.pid, false)));
    assert_eq!(figures(new), (Some(20), true, None));
}

#[test]
fn scan_choosing_reads_a_reused_pid_as_new() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: reusing a pid on purpose needs root (ns_last_pid)");
        return;
    }
    let mut scanner = Scanner::new(Fields::ALL).unwrap().keep_handles(100);
    let less = |kept: bool| if kept { Fields::CPU } else { Fields::ALL };
    let sleep = || Command::new("sleep").arg("30").spawn().unwrap();
    // Other processes may take the pid first: retry.
    for _ in 0..50 {
        let mut first = sleep();
        let pid = first.id() as i32;
        scan_choosing_rows(&mut scanner, &[pid], less);
        let _ = first.kill();
        let _ = first.wait();
        std::fs::write("/proc/sys/kernel/ns_last_pid", (pid - 1).to_string()).unwrap();
        let mut again = sleep();
        if again.id() as i32 != pid {
            let _ = again.kill();
            let _ = again.wait();
            continue;
        }
        let (rows, told) = scan_choosing_rows(&mut scanner, &[pid], less);
        let _ = again.kill();
        let _ = again.wait();
        // Its held handles were the old process's: asked again as new, and read whole.
        assert_eq!(told, [(pid, true), (pid, false)]);
        assert!(!rows[0].kept && rows[0].uid.is_some() && rows[0].fds.is_some());
        println!("pid {pid} reused; read as a new process");
        return;
    }
    eprintln!("skipped: no pid could be had again in 50 tries");
}
