//! `procfast seed-demo`: the scrape that timed out, reproduced in this one process, and every
//! way of counting its fds side by side.

use crate::args::number_value;
use crate::failure::{explain, failure, Failure};
use crate::fd_limit::raise_fd_limit;
use crate::human::format_duration;
use lexopt::prelude::*;
use procfast::{Budget, Method, Proc};
use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Display;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

const SEED_DEMO_USAGE: &str = "\
usage: procfast seed-demo [--fds N]

Opens as many fds as RLIMIT_NOFILE allows (or N) in this process, then counts them every way,
side by side, with the time and the allocations of each.

  --fds N  open N fds instead";

/// Counts allocations so `seed-demo` can show the garbage each method makes.
struct CountingAlloc;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ALLOCATED_BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the counters are atomics.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        ALLOCATED_BYTES.fetch_add(layout.size() as u64, Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        ALLOCATED_BYTES.fetch_add(new_size as u64, Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

pub fn seed_demo(mut args: lexopt::Parser, out: &mut dyn Write) -> Result<(), Failure> {
    let mut wanted: Option<usize> = None;
    while let Some(arg) = args.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(writeln!(out, "{SEED_DEMO_USAGE}")?),
            Long("fds") => wanted = Some(number_value(&mut args, "--fds", 0..=usize::MAX)?),
            other => return Err(other.unexpected().into()),
        }
    }
    let soft = raise_fd_limit();
    let headroom = 64;
    let most = soft.saturating_sub(headroom);
    let n = wanted.unwrap_or(most);
    if n > most {
        return Err(failure(format!(
            "--fds {n} is more than RLIMIT_NOFILE ({soft}) allows with {headroom} spare"
        )));
    }

    let null = std::fs::File::open("/dev/null").map_err(|e| failure(format!("/dev/null: {e}")))?;
    let mut held = Vec::with_capacity(n);
    for _ in 0..n {
        held.push(
            null.try_clone()
                .map_err(|e| failure(format!("opening fd {}: {e}", held.len())))?,
        );
    }
    let mut me = Proc::myself().map_err(|e| explain(0, e))?;
    writeln!(
        out,
        "seed-demo: pid {} opened {n} fds (RLIMIT_NOFILE {soft}); each method runs 5 times, \
         median shown",
        me.pid()
    )?;
    writeln!(
        out,
        "{:<40} {:>8} {:>12} {:>12} {:>14}",
        "method", "count", "median", "allocations", "bytes"
    )?;

    measure(out, "std::fs::read_dir, counted", || {
        std::fs::read_dir("/proc/self/fd").map(|d| d.count() as u64)
    })?;
    measure(out, "read_dir, collect names (Go client)", || {
        // What client_golang's Readdirnames did: one String per fd, then len().
        std::fs::read_dir("/proc/self/fd").and_then(|d| {
            let names = d
                .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect::<Result<Vec<String>, _>>()?;
            Ok(names.len() as u64)
        })
    })?;
    // Open the handle's fd directory before measuring, as an exporter holding it would have.
    me.fd_count().map_err(|e| explain(me.pid(), e))?;
    measure(out, "procfast walk (getdents64, no alloc)", || {
        me.fd_count_with(Method::Walk, &Budget::UNLIMITED)
            .map(|c| c.count)
    })?;
    measure(out, "procfast auto (one fstat)", || {
        me.fd_count().map(|c| c.count)
    })?;
    writeln!(
        out,
        "Counts include the directory handles the methods themselves hold open while counting."
    )?;
    drop(held);
    Ok(())
}

fn measure<E: Display>(
    out: &mut (impl Write + ?Sized),
    name: &str,
    mut count: impl FnMut() -> Result<u64, E>,
) -> io::Result<()> {
    let mut times = Vec::new();
    let mut last = (0, 0, 0);
    for _ in 0..5 {
        let (allocs, bytes) = (ALLOCATIONS.load(Relaxed), ALLOCATED_BYTES.load(Relaxed));
        let started = Instant::now();
        let result = count();
        let elapsed = started.elapsed();
        let allocs = ALLOCATIONS.load(Relaxed) - allocs;
        let bytes = ALLOCATED_BYTES.load(Relaxed) - bytes;
        match result {
            Ok(n) => last = (n, allocs, bytes),
            Err(e) => return writeln!(out, "{name:<40} failed: {e}"),
        }
        times.push(elapsed);
    }
    times.sort();
    let median = times[times.len() / 2];
    writeln!(
        out,
        "{name:<40} {:>8} {:>12} {:>12} {:>14}",
        last.0,
        format_duration(median),
        last.1,
        last.2
    )
}
