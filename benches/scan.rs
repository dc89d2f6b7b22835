//! A whole-host scan (pid, comm, fds, threads, rss, cpu) with 200 extra sleeping processes, side
//! by side with the kernel's floor and the `procfs` crate:
//!
//! - `floor_cold`: getdents64 of /proc, then per process one open+read+close of `stat` and one
//!   `fstatat` of `fd`: the syscalls a cold scan cannot avoid;
//! - `floor_held`: the same with the per-process `stat` and `fd` handles held: one `pread` and
//!   one `fstat` per process;
//! - `procfast_cold` / `procfast_kept`: `Scanner::scan`, without and with kept handles;
//! - `procfast_fds_only`: a scan asking only for fds (no `stat` read at all);
//! - `procfs_crate`: `procfs::process::all_processes()` + `stat()` + `fd_count()`.
//!
//! Each asserts inside the loop that it saw at least the 200 helpers. Run:
//! `cargo bench --bench scan`.

#[path = "shared/helper_main.rs"]
mod helper_main;
#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, Throughput};
use procfast::{Budget, Fields, Scanner};
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{AtFlags, Mode, OFlags};
use std::ffi::CString;
use std::hint::black_box;
use std::mem::MaybeUninit;
use std::ops::ControlFlow;
use std::time::Duration;

const HELPERS: usize = 200;

fn open_proc() -> OwnedFd {
    rustix::fs::open(
        "/proc",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .unwrap()
}

/// The pids /proc lists now, by a raw getdents64 loop.
fn list_pids(proc_dir: &OwnedFd, buf: &mut [MaybeUninit<u8>], pids: &mut Vec<i32>) {
    pids.clear();
    rustix::fs::seek(proc_dir, rustix::fs::SeekFrom::Start(0)).unwrap();
    let mut dir = rustix::fs::RawDir::new(proc_dir, buf);
    while let Some(entry) = dir.next() {
        let entry = entry.unwrap();
        if let Ok(pid) = entry.file_name().to_str().unwrap_or("").parse::<i32>() {
            pids.push(pid);
        }
    }
}

/// `"<pid><suffix>"` on the stack, as any careful scanner would build it.
fn pid_path<'a>(buf: &'a mut [u8; 32], pid: i32, suffix: &[u8]) -> &'a std::ffi::CStr {
    let digits = rustix::path::DecInt::new(pid);
    let digits = digits.as_bytes();
    buf[..digits.len()].copy_from_slice(digits);
    buf[digits.len()..digits.len() + suffix.len()].copy_from_slice(suffix);
    std::ffi::CStr::from_bytes_with_nul(&buf[..digits.len() + suffix.len()]).unwrap()
}

/// One cold pass of the floor: per process, read `stat` and stat `fd`, nothing parsed.
fn floor_cold(proc_dir: &OwnedFd, dir_buf: &mut [MaybeUninit<u8>], pids: &mut Vec<i32>) -> usize {
    list_pids(proc_dir, dir_buf, pids);
    let mut read_buf = [0u8; 4096];
    let mut seen = 0;
    for &pid in pids.iter() {
        let (mut stat_buf, mut fd_buf) = ([0u8; 32], [0u8; 32]);
        let stat_path = pid_path(&mut stat_buf, pid, b"/stat\0");
        let fd_path = pid_path(&mut fd_buf, pid, b"/fd\0");
        let Ok(file) = rustix::fs::openat(proc_dir, stat_path, OFlags::RDONLY, Mode::empty())
        else {
            continue;
        };
        if rustix::io::read(&file, &mut read_buf).is_err() {
            continue;
        }
        drop(file);
        if rustix::fs::statat(proc_dir, fd_path, AtFlags::empty()).is_ok() {
            seen += 1;
        }
    }
    seen
}

fn bench_scan(c: &mut Criterion) {
    let helpers: Vec<_> = (0..HELPERS)
        .map(|_| support::helper::Helper::holding_fds(4))
        .collect();
    let fields = Fields::COMM | Fields::FDS | Fields::THREADS | Fields::RSS | Fields::CPU;

    let mut group = c.benchmark_group("scan");
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    group.sample_size(30);
    let processes = {
        let mut n = 0u64;
        Scanner::new(fields)
            .unwrap()
            .scan(&Budget::UNLIMITED, |_| {
                n += 1;
                ControlFlow::Continue(())
            })
            .unwrap();
        n
    };
    group.throughput(Throughput::Elements(processes));

    let proc_dir = open_proc();
    let mut dir_buf = vec![MaybeUninit::uninit(); procfast::DirBuf::DEFAULT_CAPACITY];
    let mut pids = Vec::new();
    group.bench_function("floor_cold", |b| {
        b.iter(|| assert!(floor_cold(&proc_dir, &mut dir_buf, &mut pids) >= HELPERS))
    });

    // The floor with handles held: open every process's stat and fd once, outside the loop.
    list_pids(&proc_dir, &mut dir_buf, &mut pids);
    let held: Vec<(OwnedFd, OwnedFd)> = pids
        .iter()
        .filter_map(|pid| {
            let stat = CString::new(format!("{pid}/stat")).unwrap();
            let fd = CString::new(format!("{pid}/fd")).unwrap();
            let stat = rustix::fs::openat(&proc_dir, &*stat, OFlags::RDONLY, Mode::empty()).ok()?;
            let fd = rustix::fs::openat(&proc_dir, &*fd, OFlags::PATH, Mode::empty()).ok()?;
            Some((stat, fd))
        })
        .collect();
    group.bench_function("floor_held", |b| {
        let mut read_buf = [0u8; 4096];
        b.iter(|| {
            list_pids(&proc_dir, &mut dir_buf, &mut pids);
            let mut seen = 0;
            for (stat, fd) in &held {
                let read = rustix::io::pread(stat, &mut read_buf, 0);
                let size = rustix::fs::fstat(fd.as_fd());
                seen += usize::from(read.is_ok() && size.is_ok());
            }
            assert!(seen >= HELPERS && pids.len() >= HELPERS);
        })
    });
    drop(held);

    // A scanner that opens every process afresh, and one that keeps their handles between scans.
    let cold = Scanner::new(fields).unwrap();
    let kept = Scanner::new(fields).unwrap().keep_handles(4_000);
    for (name, mut scanner) in [("procfast_cold", cold), ("procfast_kept", kept)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let summary = scanner
                    .scan(&Budget::UNLIMITED, |row| {
                        black_box(row);
                        ControlFlow::Continue(())
                    })
                    .unwrap();
                assert!(summary.is_complete() && summary.scanned >= HELPERS as u64);
            })
        });
    }

    let mut fds_only = Scanner::new(Fields::FDS).unwrap();
    group.bench_function("procfast_fds_only", |b| {
        b.iter(|| {
            let mut total = 0u64;
            let summary = fds_only
                .scan(&Budget::UNLIMITED, |row| {
                    total += row.fds.unwrap_or(0);
                    ControlFlow::Continue(())
                })
                .unwrap();
            assert!(summary.scanned >= HELPERS as u64 && total >= 4 * HELPERS as u64);
        })
    });

    group.bench_function("procfs_crate", |b| {
        b.iter(|| {
            let mut seen = 0;
            for process in procfs::process::all_processes().unwrap() {
                let Ok(process) = process else { continue };
                let (Ok(stat), Ok(fds)) = (process.stat(), process.fd_count()) else {
                    continue;
                };
                black_box((stat.comm, stat.num_threads, stat.rss, stat.utime, fds));
                seen += 1;
            }
            assert!(seen >= HELPERS);
        })
    });
    group.finish();
    drop(helpers);
}

fn main() {
    helper_main::main_with_helpers(bench_scan);
}
