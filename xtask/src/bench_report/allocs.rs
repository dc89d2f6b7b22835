//! Allocations, bytes and peak live bytes of ONE call of each fd-count method at each fd count,
//! and of one host scan, under the counting global allocator (helpers hold the fds, as in
//! `benches/fd_count.rs`).

use super::criterion::Bench;
use crate::alloc::{count_allocs, Allocs};
use crate::format::{fmt_bytes, fmt_ns, group_digits};
use crate::helper;
use crate::report::Table;
use procfast::{Budget, Fields, Method, Proc, Scanner};
use std::hint::black_box;
use std::ops::ControlFlow;

/// Extra processes running during the scan measurement, as in `benches/scan.rs`.
pub const SCAN_HELPERS: usize = 200;

/// Row of the allocation table: method, fds, what one call did, and the matching criterion row.
pub struct AllocRow {
    pub method: &'static str,
    pub bench: Option<&'static str>,
    pub fds: usize,
    pub counted: Result<u64, String>,
    pub allocs: Allocs,
}

/// One call of each method at each fd count, on a handle used once before.
pub fn measure_fd_counts() -> Vec<AllocRow> {
    let mut rows = vec![];
    for n in helper::fd_count_sizes() {
        let helper = helper::Helper::holding_fds(n);
        let pid = helper.pid;
        let path = format!("/proc/{pid}/fd");
        let mut proc = match Proc::open(pid) {
            Ok(proc) => proc,
            Err(e) => {
                eprintln!("bench-report: cannot open process {pid}: {e}");
                continue;
            }
        };
        // Used once before, as an exporter's held handle would have been.
        let _ = proc.fd_count();
        let procfs_proc = procfs::process::Process::new(pid).map_err(|e| e.to_string());
        let mut row = |method, bench, counted: Result<u64, String>, allocs| {
            rows.push(AllocRow {
                method,
                bench,
                fds: n,
                counted,
                allocs,
            })
        };
        let (c, a) = count_allocs(|| proc.fd_count().map(|c| c.count).map_err(|e| e.to_string()));
        row("procfast auto", Some("procfast_auto"), c, a);
        let (c, a) = count_allocs(|| {
            proc.fd_count_with(Method::Walk, &Budget::UNLIMITED)
                .map(|c| c.count)
                .map_err(|e| e.to_string())
        });
        row("procfast walk", Some("procfast_walk"), c, a);
        let (c, a) = count_allocs(|| {
            std::fs::read_dir(&path)
                .map(|d| d.count() as u64)
                .map_err(|e| e.to_string())
        });
        row("`read_dir(..).count()`", Some("std_read_dir"), c, a);
        let (c, a) = count_allocs(|| {
            // client_golang's way: every name as a string, then the length.
            std::fs::read_dir(&path)
                .and_then(|d| {
                    d.map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
                        .collect::<Result<Vec<String>, _>>()
                })
                .map(|names| names.len() as u64)
                .map_err(|e| e.to_string())
        });
        row("Go client (`Vec<String>` of names)", None, c, a);
        let (c, a) = count_allocs(|| {
            procfs_proc
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|p| p.fd_count().map_err(|e| e.to_string()))
                .map(|c| c as u64)
        });
        row(
            "`procfs` `Process::fd_count`",
            Some("procfs_fd_count"),
            c,
            a,
        );
        drop(helper);
    }
    rows
}

/// One scan by procfast (after a warm-up scan) and by the procfs crate, with the allocations of
/// each; the process count each saw.
pub fn measure_scans() -> Vec<(&'static str, &'static str, Result<u64, String>, Allocs)> {
    let helpers: Vec<_> = (0..SCAN_HELPERS)
        .map(|_| helper::Helper::holding_fds(4))
        .collect();
    let fields = Fields::COMM | Fields::FDS | Fields::THREADS | Fields::RSS | Fields::CPU;
    let procfast_scan = |scanner: &mut Scanner| {
        let mut seen = 0u64;
        scanner
            .scan(&Budget::UNLIMITED, |row| {
                black_box(row);
                seen += 1;
                ControlFlow::Continue(())
            })
            .map(|_| seen)
            .map_err(|e| e.to_string())
    };
    let procfs_scan = || -> Result<u64, String> {
        let mut seen = 0;
        for process in procfs::process::all_processes().map_err(|e| e.to_string())? {
            let Ok(process) = process else { continue };
            let (Ok(stat), Ok(fds)) = (process.stat(), process.fd_count()) else {
                continue;
            };
            black_box((stat.comm, stat.num_threads, stat.rss, stat.utime, fds));
            seen += 1;
        }
        Ok(seen)
    };
    let mut rows = vec![];
    match Scanner::new(fields) {
        Ok(mut scanner) => {
            let _ = procfast_scan(&mut scanner);
            let (c, a) = count_allocs(|| procfast_scan(&mut scanner));
            rows.push(("procfast `Scanner::scan`", "procfast_cold", c, a));
        }
        Err(e) => eprintln!("bench-report: Scanner::new: {e}"),
    }
    let _ = procfs_scan();
    let (c, a) = count_allocs(procfs_scan);
    rows.push((
        "`procfs` all_processes + stat + fd_count",
        "procfs_crate",
        c,
        a,
    ));
    drop(helpers);
    rows
}

pub fn alloc_table(rows: &[AllocRow], benches: &[Bench]) -> String {
    let mut table = Table::new(
        &[
            "open fds",
            "method",
            "median (criterion)",
            "this call",
            "allocations",
            "bytes allocated",
            "peak live",
        ],
        "rlrrrrr",
    );
    for row in rows {
        let median = row
            .bench
            .and_then(|f| {
                let param = Some(row.fds.to_string());
                benches
                    .iter()
                    .find(|b| b.group == "fd_count" && b.function == f && b.param == param)
            })
            .map_or("–".to_string(), |b| fmt_ns(b.median_ns));
        let method = match &row.counted {
            Ok(c) if *c == row.fds as u64 => row.method.to_string(),
            Ok(c) => format!("{} (counted {c})", row.method),
            Err(e) => format!("{} (failed: {e})", row.method),
        };
        table.row([
            group_digits(row.fds as u64),
            method,
            median,
            fmt_ns(row.allocs.time.as_nanos() as f64),
            group_digits(row.allocs.calls),
            fmt_bytes(row.allocs.bytes),
            fmt_bytes(row.allocs.peak),
        ]);
    }
    table.finish()
}

pub fn scan_table(
    rows: &[(&'static str, &'static str, Result<u64, String>, Allocs)],
    benches: &[Bench],
) -> String {
    let mut table = Table::new(
        &[
            "scan",
            "median (criterion)",
            "this call",
            "processes",
            "allocations",
            "per process",
            "bytes allocated",
            "peak live",
        ],
        "lrrrrrrr",
    );
    for (method, bench, seen, allocs) in rows {
        let median = benches
            .iter()
            .find(|b| b.group == "scan" && b.function == *bench)
            .map_or("–".to_string(), |b| fmt_ns(b.median_ns));
        let (seen, per) = match seen {
            Ok(n) => (
                n.to_string(),
                format!("{:.1}", allocs.calls as f64 / (*n).max(1) as f64),
            ),
            Err(e) => (format!("failed: {e}"), "–".into()),
        };
        table.row([
            method.to_string(),
            median,
            fmt_ns(allocs.time.as_nanos() as f64),
            seen,
            group_digits(allocs.calls),
            per,
            fmt_bytes(allocs.bytes),
            fmt_bytes(allocs.peak),
        ]);
    }
    table.finish()
}
