//! The three walks of `/proc/<pid>/fd` compared in the same moments: each round runs procfast's
//! walk, a raw `getdents64` loop and `read_dir(..).count()` once each, in rotating order, so that
//! the kernel's run-to-run drift (±20% at 10,000+ fds here) falls on all three alike; medians of
//! the rounds.

use crate::format::{fmt_ns, fmt_ratio, group_digits};
use crate::helper;
use crate::report::Table;
use crate::timing::{median_of, rotated_rounds};
use procfast::{Budget, Method, Proc};

/// The table, at every size of `helper::fd_count_sizes` from 100 fds.
pub fn paired_walk_table() -> String {
    const ROUNDS: usize = 41;
    let mut table = Table::new(
        &[
            "open fds",
            "procfast walk",
            "raw `getdents64`",
            "`read_dir(..).count()`",
            "walk ÷ raw",
            "`read_dir` ÷ walk",
        ],
        "rrrrrr",
    );
    for n in helper::fd_count_sizes().into_iter().filter(|&n| n >= 100) {
        let helper = helper::Helper::holding_fds(n);
        let path = format!("/proc/{}/fd", helper.pid);
        let (Ok(mut proc), Ok(dir)) = (
            Proc::open(helper.pid),
            rustix::fs::open(
                path.as_str(),
                rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY,
                rustix::fs::Mode::empty(),
            ),
        ) else {
            continue;
        };
        let mut raw_buf = vec![std::mem::MaybeUninit::uninit(); procfast::DirBuf::DEFAULT_CAPACITY];
        let mut walk = || {
            let counted = proc.fd_count_with(Method::Walk, &Budget::UNLIMITED);
            counted.map(|c| c.count as usize).unwrap_or(0)
        };
        let mut raw = || {
            let _ = rustix::fs::seek(&dir, rustix::fs::SeekFrom::Start(0));
            let mut entries = rustix::fs::RawDir::new(&dir, &mut raw_buf);
            let mut count = 0;
            while let Some(Ok(entry)) = entries.next() {
                let name = entry.file_name().to_bytes();
                count += usize::from(name != b"." && name != b"..");
            }
            count
        };
        let read_dir = || std::fs::read_dir(&path).map(|d| d.count()).unwrap_or(0);
        let times = rotated_rounds(ROUNDS, 3, |which| {
            let counted = match which {
                0 => walk(),
                1 => raw(),
                _ => read_dir(),
            };
            assert_eq!(counted, n, "a walk miscounted");
            1
        });
        let [walk_ns, raw_ns, read_dir_ns] = [0, 1, 2].map(|k| median_of(&times[k]));
        table.row([
            group_digits(n as u64),
            fmt_ns(walk_ns),
            fmt_ns(raw_ns),
            fmt_ns(read_dir_ns),
            fmt_ratio(walk_ns / raw_ns),
            fmt_ratio(read_dir_ns / walk_ns),
        ]);
    }
    format!(
        "Walks compared in the same moments (each round runs the three once, in rotating order; \
         medians of {ROUNDS} rounds), since a walk's cost drifts by ±20% between criterion runs:\n\n{}",
        table.finish()
    )
}
