//! What the `fd_count` figures mean for an exporter at 1,000,000 fds: the paragraph after the
//! allocation table.

use super::allocs::AllocRow;
use super::lines::{Line, MILLION};
use crate::format::{fmt_bytes, fmt_count, fmt_ns, group_digits, round_sig2};
use std::fmt::Write as _;

/// The paragraph: the `fstat` count against the walk at 1,000,000 fds, the Go client's garbage, and
/// what a `Budget` of 10 ms or 100,000 entries stops at.
pub fn exporter_paragraph(lines: &[Line], allocs: &[AllocRow]) -> String {
    let line = |name: &str| lines.iter().find(|l| l.name == name);
    let mut md = String::from("**What this means for an exporter.** ");
    let walk = line("procfast_walk").filter(|l| l.slope > 0.0);
    if let Some(auto) = line("procfast_auto") {
        let lo = auto
            .points
            .iter()
            .map(|p| p.1)
            .fold(f64::INFINITY, f64::min);
        let hi = auto.points.iter().map(|p| p.1).fold(0.0, f64::max);
        let _ = write!(
            md,
            "On a kernel ≥ 6.2, counting the fds of a process holding 1,000,000 connections is \
             one `fstat` of a held `/proc/<pid>/fd`, measured at {}–{} from {} to {} fds. It is \
             nearly constant: the kernel popcounts the fd table's bitmap, one 64-bit word per 64 \
             fds, so it grows only slowly; extrapolating these medians linearly gives about {} \
             per scrape at 1,000,000",
            fmt_ns(lo),
            fmt_ns(hi),
            fmt_count(auto.points[0].0),
            group_digits(auto.points.last().unwrap().0 as u64),
            fmt_ns(auto.at(MILLION)),
        );
        if let Some(walk) = walk {
            let _ = write!(
                md,
                ", {} times less than walking",
                group_digits(round_sig2(walk.at(MILLION) / auto.at(MILLION)))
            );
        }
        md.push_str(". ");
    }
    let Some(walk) = walk else {
        md.push_str("(No `procfast_walk` line: run `cargo bench --bench fd_count`.)\n");
        return md;
    };
    let per_fd = walk.slope;
    let _ = write!(
        md,
        "On an older kernel the count must walk `/proc/<pid>/fd`: {} per fd here (the \
         least-squares slope of `procfast_walk`), so 1,000,000 fds take about {} per scrape, \
         extrapolated linearly",
        fmt_ns(per_fd),
        fmt_ns(walk.at(MILLION)),
    );
    if let Some(floor) = line("raw_getdents64") {
        let _ = write!(
            md,
            " (the bare `getdents64` loop: {}, so nearly all of it is the kernel's work per \
             entry)",
            fmt_ns(floor.at(MILLION))
        );
    }
    md.push_str(". ");
    let go = allocs
        .iter()
        .filter(|r| r.bench.is_none() && r.fds > 0)
        .max_by_key(|r| r.fds);
    if let Some(go) = go {
        let per = go.allocs.bytes as f64 / go.fds as f64;
        let _ = write!(
            md,
            "The Go client's way adds {:.1} allocations and {} per fd, about {} of garbage per \
             scrape at 1,000,000; procfast's walk allocates nothing. ",
            go.allocs.calls as f64 / go.fds as f64,
            fmt_bytes(per.round() as u64),
            fmt_bytes((per * MILLION) as u64),
        );
    }
    // getdents64 fills the 8 KiB DirBuf with 32-byte records for names of 5 to 12 digits.
    let per_call = procfast::DirBuf::DEFAULT_CAPACITY / 32;
    let entries = group_digits(round_sig2(10e6 / per_fd));
    let _ = writeln!(
        md,
        "A `Budget` bounds that walk: `Budget::within(Duration::from_millis(10))` stops after \
         about 10 ms / {} ≈ {entries} entries and reports that count with \
         `is_complete() == false`: a lower bound (the deadline is checked between `getdents64` \
         calls of up to {per_call} entries, so it overshoots by at most about {}); \
         `Budget::entries(100_000)` stops after exactly 100,000 entries, about {}.",
        fmt_ns(per_fd),
        fmt_ns(per_call as f64 * per_fd),
        fmt_ns(100_000.0 * per_fd),
    );
    md
}
