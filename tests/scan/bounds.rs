//! What bounds a scan: budgets of entries and time and the visitor's break, the kept scanner's
//! fd budget, and the fds a cold scan holds of its own.

use crate::support::rerun::{self, test_name};
use procfast::{Budget, Fields, Proc, Scanner, Stop};
use std::ops::ControlFlow;
use std::process::{Command, Stdio};
use std::time::Instant;

#[test]
fn budgets_stop_a_scan_early_and_say_so() {
    let mut scanner = Scanner::new(Fields::FDS).unwrap();
    let summary = scanner
        .scan(&Budget::entries(3), |_| ControlFlow::Continue(()))
        .unwrap();
    assert_eq!(summary.stopped, Some(Stop::Entries));
    assert_eq!(summary.scanned + summary.vanished, 3);

    let summary = scanner
        .scan(
            &Budget::until(Instant::now()),
            |_| ControlFlow::Continue(()),
        )
        .unwrap();
    assert_eq!(summary.stopped, Some(Stop::Deadline));
    assert_eq!(summary.scanned + summary.vanished, 1);

    let mut seen = 0;
    let summary = scanner
        .scan(&Budget::UNLIMITED, |_| {
            seen += 1;
            if seen == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert_eq!((summary.stopped, summary.scanned), (Some(Stop::Visitor), 2));

    // After stopped scans, a full one still sees everything.
    let full = scanner
        .scan(&Budget::UNLIMITED, |_| ControlFlow::Continue(()))
        .unwrap();
    assert!(full.is_complete() && full.scanned > 3);
}

#[test]
fn a_kept_scanner_respects_its_fd_budget() {
    let mut scanner = Scanner::new(Fields::ALL).unwrap().keep_handles(10);
    let summary = scanner
        .scan(&Budget::UNLIMITED, |_| ControlFlow::Continue(()))
        .unwrap();
    assert!(summary.scanned > 3);
    assert!(
        scanner.held_fds() <= 10 && scanner.held_fds() > 0,
        "{}",
        scanner.held_fds()
    );
}

/// A cold scan holds at most a handful of fds however many processes there are (the procfs
/// crate's `all_processes()` holds one per process). Counted alone in a process of its own, so
/// that no other test opens fds in that process meanwhile.
#[test]
fn a_cold_scan_holds_at_most_two_fds_of_its_own() {
    rerun::assert_passes_alone(
        &test_name!(cold_scan_fds_alone),
        &[],
        "a cold scan held at most one fd more",
    );
}

#[test]
#[ignore = "run alone by a_cold_scan_holds_at_most_two_fds_of_its_own"]
fn cold_scan_fds_alone() {
    if rerun::outside_rerun("a_cold_scan_holds_at_most_two_fds_of_its_own") {
        return;
    }
    // Enough extra processes that one fd per process would show.
    let mut sleepers: Vec<_> = (0..50)
        .map(|_| {
            Command::new("sleep")
                .arg("30")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut me = Proc::myself().unwrap();
    let before = me.fd_count().unwrap().count;
    let mut scanner = Scanner::new(Fields::ALL).unwrap();
    let (mut most, mut rows) = (0, 0);
    let summary = scanner
        .scan(&Budget::UNLIMITED, |_| {
            rows += 1;
            most = most.max(me.fd_count().unwrap().count);
            ControlFlow::Continue(())
        })
        .unwrap();
    for child in &mut sleepers {
        let _ = child.kill();
        let _ = child.wait();
    }
    assert!(summary.is_complete() && rows > 50, "{summary:?}");
    // The scanner's own listing of /proc; each file it reads is closed before the next process.
    assert!(
        most <= before + 1,
        "{most} fds during the scan, {before} before"
    );
    println!("a cold scan held at most one fd more");
}
