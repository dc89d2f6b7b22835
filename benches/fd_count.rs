//! Counting the open fds of a process holding 100 … ~19,000 of them, every method side by side:
//!
//! - `bare_fstat`: one `fstat` on a held `/proc/<pid>/fd` fd, the floor for a count;
//! - `procfast_auto`: `Proc::fd_count()` on a held handle (that `fstat`, on Linux ≥ 6.2);
//! - `raw_getdents64`: rewind + a `getdents64` loop into a reused buffer (rustix's `RawDir`),
//!   the floor for a walk;
//! - `procfast_walk`: `Proc::fd_count_with(Method::Walk, …)`;
//! - `std_read_dir`: `std::fs::read_dir(..).count()`, the naive way;
//! - `procfs_fd_count`: the `procfs` crate's `Process::fd_count()` on a held `Process`.
//!
//! The counted process is this bench binary re-executed to hold exactly N fds, so every method
//! is checked against N inside the timing loop. Run: `cargo bench --bench fd_count`.

#[path = "shared/helper_main.rs"]
mod helper_main;
#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{BenchmarkId, Criterion, Throughput};
use procfast::{Budget, Method, Proc};
use rustix::fd::OwnedFd;
use rustix::fs::{Mode, OFlags};
use std::hint::black_box;
use std::mem::MaybeUninit;
use std::time::Duration;

fn raw_getdents64_count(fd: &OwnedFd, buf: &mut [MaybeUninit<u8>]) -> usize {
    rustix::fs::seek(fd, rustix::fs::SeekFrom::Start(0)).unwrap();
    let mut dir = rustix::fs::RawDir::new(fd, buf);
    let mut n = 0;
    while let Some(entry) = dir.next() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            n += 1;
        }
    }
    n
}

fn bench_fd_count(c: &mut Criterion) {
    let mut group = c.benchmark_group("fd_count");
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    for n in support::helper::fd_count_sizes() {
        let helper = support::helper::Helper::holding_fds(n);
        let pid = helper.pid;
        let want = n as u64;
        let fd_path = format!("/proc/{pid}/fd");
        let fd_dir = rustix::fs::open(
            fd_path.as_str(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .unwrap();
        let mut proc = Proc::open(pid).unwrap();
        let procfs_proc = procfs::process::Process::new(pid).unwrap();
        group.throughput(Throughput::Elements(want));
        if n >= 10_000 {
            group.sample_size(20);
        } else {
            group.sample_size(60);
        }

        group.bench_function(BenchmarkId::new("bare_fstat", n), |b| {
            b.iter(|| {
                let st = rustix::fs::fstat(black_box(&fd_dir)).unwrap();
                assert_eq!(st.st_size as u64, want);
            })
        });
        group.bench_function(BenchmarkId::new("procfast_auto", n), |b| {
            b.iter(|| {
                let counted = black_box(&mut proc).fd_count().unwrap();
                assert_eq!(counted.count, want);
            })
        });
        group.bench_function(BenchmarkId::new("procfs_fd_count", n), |b| {
            b.iter(|| assert_eq!(black_box(&procfs_proc).fd_count().unwrap(), n))
        });
        let mut raw_buf = vec![MaybeUninit::uninit(); procfast::DirBuf::DEFAULT_CAPACITY];
        group.bench_function(BenchmarkId::new("raw_getdents64", n), |b| {
            b.iter(|| assert_eq!(raw_getdents64_count(&fd_dir, &mut raw_buf), n))
        });
        group.bench_function(BenchmarkId::new("procfast_walk", n), |b| {
            b.iter(|| {
                let counted = black_box(&mut proc)
                    .fd_count_with(Method::Walk, &Budget::UNLIMITED)
                    .unwrap();
                assert_eq!(counted.count, want);
            })
        });
        group.bench_function(BenchmarkId::new("std_read_dir", n), |b| {
            b.iter(|| assert_eq!(std::fs::read_dir(black_box(&fd_path)).unwrap().count(), n))
        });
        drop(helper);
    }
    group.finish();
}

fn main() {
    helper_main::main_with_helpers(bench_fd_count);
}
