//! A cold scan holds at most a handful of fds however many processes there are (the procfs
//! crate's `all_processes()` holds one per process). Its own test binary: no other test opens
//! fds in this process meanwhile.

use procfast::{Budget, Fields, Proc, Scanner};
use std::ops::ControlFlow;
use std::process::{Command, Stdio};

#[test]
fn a_cold_scan_holds_at_most_two_fds_of_its_own() {
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
}
