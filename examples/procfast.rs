//! The procfast command line.
//!
//! ```text
//! procfast top [--by fds|threads|rss|cpu] [-n N] [--budget-ms MS] [--threads] [--json]
//! procfast fds PID [--method auto|stat|walk] [--budget-entries N] [--budget-ms MS] [--json]
//! procfast metrics [PID] [--namespace NS] [--network]
//! procfast seed-demo [--fds N]
//! ```
//!
//! `top` scans every process and shows the largest by a figure; `fds` counts one process's open
//! fds; `seed-demo` reproduces, in this one process, the scrape
//! that timed out: it opens as many fds as RLIMIT_NOFILE allows and counts them the naive ways and
//! procfast's ways, side by side, with time and allocations for each.

use lexopt::prelude::*;
use procfast::{Budget, Error, Fields, Method, Proc, ProcessMetrics, Scanner, SortKey};
use std::alloc::{GlobalAlloc, Layout, System};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: procfast top [--by fds|threads|rss|cpu] [-n N] [--budget-ms MS] [--threads] [--json]
       procfast fds PID [--method auto|stat|walk] [--budget-entries N] [--budget-ms MS] [--json]
       procfast metrics [PID] [--namespace NS] [--network]
       procfast seed-demo [--fds N]

  top        scan every process (--threads: every thread); show the N largest by a figure
             (default: fds, 15)
  fds        count the open fds of process PID (one-shot: the time includes opening the handle)
  metrics    print PID's process metrics (default: this process) in the Prometheus text format
  seed-demo  open as many fds as RLIMIT_NOFILE allows, then count them every way, side by side";

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

/// A command-line failure: the message, and whether it was a usage error (exit 2) or a failure
/// of the work itself (exit 1).
struct Failure {
    message: String,
    usage: bool,
}

impl From<lexopt::Error> for Failure {
    fn from(e: lexopt::Error) -> Failure {
        Failure {
            message: e.to_string(),
            usage: true,
        }
    }
}

fn usage_error(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        usage: true,
    }
}

fn failure(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        usage: false,
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) if f.usage => {
            eprintln!("procfast: {}\n\n{USAGE}", f.message);
            ExitCode::from(2)
        }
        Err(f) => {
            eprintln!("procfast: {}", f.message);
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Failure> {
    let mut args = lexopt::Parser::from_env();
    match args.next()? {
        Some(Value(cmd)) if cmd == "top" => top(args),
        Some(Value(cmd)) if cmd == "fds" => fds(args),
        Some(Value(cmd)) if cmd == "metrics" => metrics(args),
        Some(Value(cmd)) if cmd == "seed-demo" => seed_demo(args),
        Some(Short('h') | Long("help")) => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(other.unexpected().into()),
        None => Err(usage_error("missing command")),
    }
}

/// Explains a library error about process `pid` in words.
fn explain(pid: i32, e: Error) -> Failure {
    match e {
        Error::Gone => failure(format!(
            "process {pid} not found: it has exited or never existed"
        )),
        e => failure(format!("process {pid}: {e}")),
    }
}

fn top(mut args: lexopt::Parser) -> Result<(), Failure> {
    let mut key = SortKey::Fds;
    let mut n = 15usize;
    let mut budget = Budget::UNLIMITED;
    let mut json = false;
    let mut threads = false;
    while let Some(arg) = args.next()? {
        match arg {
            Long("threads") => threads = true,
            Long("by") => {
                key = match args.value()?.string()?.as_str() {
                    "fds" => SortKey::Fds,
                    "threads" => SortKey::Threads,
                    "rss" => SortKey::Rss,
                    "cpu" => SortKey::Cpu,
                    other => {
                        return Err(usage_error(format!(
                            "unknown figure {other:?}: expected fds, threads, rss or cpu"
                        )))
                    }
                }
            }
            Short('n') => n = args.value()?.parse()?,
            Long("budget-ms") => {
                budget = budget.and_within(Duration::from_millis(args.value()?.parse()?))
            }
            Long("json") => json = true,
            other => return Err(other.unexpected().into()),
        }
    }
    let fields = Fields::COMM | Fields::FDS | Fields::THREADS | Fields::RSS | Fields::CPU;
    let started = Instant::now();
    let (rows, summary) = Scanner::new(fields)
        .and_then(|scanner| scanner.threads(threads).top(n, key, &budget))
        .map_err(|e| failure(format!("scanning /proc: {e}")))?;
    let micros = started.elapsed().as_secs_f64() * 1e6;

    if json {
        let rows: Vec<_> = rows
            .iter()
            .map(|row| {
                serde_json::json!({
                    "pid": row.pid,
                    "comm": String::from_utf8_lossy(row.comm()),
                    "fds": row.fds,
                    "threads": row.threads,
                    "rss_bytes": row.rss_bytes,
                    "cpu_seconds": row.cpu_seconds,
                })
            })
            .collect();
        let line = serde_json::json!({
            "complete": summary.is_complete(),
            "scanned": summary.scanned,
            "vanished": summary.vanished,
            "denied": summary.denied,
            "micros": (micros * 1000.0).round() / 1000.0,
            "rows": rows,
        });
        println!("{line}");
        return Ok(());
    }
    println!(
        "{:>8}  {:<16} {:>8} {:>8} {:>10} {:>10}",
        "PID", "COMMAND", "FDS", "THREADS", "RSS", "CPU s"
    );
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_string());
    for row in &rows {
        println!(
            "{:>8}  {:<16.16} {:>8} {:>8} {:>10} {:>10}",
            row.pid,
            String::from_utf8_lossy(row.comm()),
            or_dash(row.fds.map(|v| v.to_string())),
            or_dash(row.threads.map(|v| v.to_string())),
            or_dash(row.rss_bytes.map(format_bytes)),
            or_dash(row.cpu_seconds.map(|v| format!("{v:.2}"))),
        );
    }
    println!(
        "scanned {} {}, {} vanished, {} denied; {} in {:.1} ms",
        summary.scanned,
        if threads { "threads" } else { "processes" },
        summary.vanished,
        summary.denied,
        match summary.stopped {
            None => "complete".to_string(),
            Some(stop) => format!("stopped early ({stop:?})"),
        },
        micros / 1000.0
    );
    Ok(())
}

fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn parse_pid(text: &str) -> Result<i32, Failure> {
    text.parse::<i32>()
        .ok()
        .filter(|&p| p > 0)
        .ok_or_else(|| usage_error(format!("invalid pid {text:?}: expected a positive integer")))
}

fn metrics(mut args: lexopt::Parser) -> Result<(), Failure> {
    let mut pid = None;
    let mut namespace = None;
    let mut network = false;
    while let Some(arg) = args.next()? {
        match arg {
            Long("namespace") => namespace = Some(args.value()?.string()?),
            Long("network") => network = true,
            Value(v) if pid.is_none() => pid = Some(parse_pid(&v.string()?)?),
            other => return Err(other.unexpected().into()),
        }
    }
    let pid = pid.unwrap_or(std::process::id() as i32);
    let snapshot = ProcessMetrics::open(pid)
        .map(|m| m.with_network(network))
        .and_then(|mut m| m.snapshot())
        .map_err(|e| explain(pid, e))?;
    let stdout = std::io::stdout();
    snapshot
        .write_text_io(&mut stdout.lock(), namespace.as_deref())
        .map_err(|e| failure(format!("writing metrics: {e}")))
}

fn fds(mut args: lexopt::Parser) -> Result<(), Failure> {
    let mut pid = None;
    let mut method = Method::Auto;
    let mut budget = Budget::UNLIMITED;
    let mut json = false;
    while let Some(arg) = args.next()? {
        match arg {
            Long("method") => {
                method = match args.value()?.string()?.as_str() {
                    "auto" => Method::Auto,
                    "stat" => Method::Stat,
                    "walk" => Method::Walk,
                    other => {
                        return Err(usage_error(format!(
                            "unknown method {other:?}: expected auto, stat or walk"
                        )))
                    }
                }
            }
            Long("budget-entries") => budget = budget.and_entries(args.value()?.parse()?),
            Long("budget-ms") => {
                budget = budget.and_within(Duration::from_millis(args.value()?.parse()?))
            }
            Long("json") => json = true,
            Value(v) if pid.is_none() => pid = Some(parse_pid(&v.string()?)?),
            other => return Err(other.unexpected().into()),
        }
    }
    let pid = pid.ok_or_else(|| usage_error("fds needs a PID"))?;

    let started = Instant::now();
    let counted = Proc::open(pid)
        .and_then(|mut proc| proc.fd_count_with(method, &budget))
        .map_err(|e| explain(pid, e))?;
    let micros = started.elapsed().as_secs_f64() * 1e6;

    if json {
        let line = serde_json::json!({
            "pid": pid,
            "fds": counted.count,
            "method": counted.method.as_str(),
            "complete": counted.is_complete(),
            "micros": (micros * 1000.0).round() / 1000.0,
        });
        println!("{line}");
    } else {
        let bound = if counted.is_complete() {
            "complete".to_string()
        } else {
            format!("a lower bound: stopped by {:?}", counted.stopped)
        };
        println!(
            "pid {pid}: {} open fds (method {}, {bound}) in {micros:.1} µs",
            counted.count, counted.method
        );
    }
    Ok(())
}

fn seed_demo(mut args: lexopt::Parser) -> Result<(), Failure> {
    let mut wanted: Option<usize> = None;
    while let Some(arg) = args.next()? {
        match arg {
            Long("fds") => wanted = Some(args.value()?.parse()?),
            other => return Err(other.unexpected().into()),
        }
    }
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    limit.current = limit.maximum;
    // Raising the soft limit to the hard one is always allowed; if it fails we use what we have.
    let _ = setrlimit(Resource::Nofile, limit);
    let soft = getrlimit(Resource::Nofile).current.unwrap_or(1 << 20) as usize;
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
    println!(
        "seed-demo: pid {} opened {n} fds (RLIMIT_NOFILE {soft}); each method runs 5 times, \
         median shown",
        me.pid()
    );
    println!(
        "{:<40} {:>8} {:>12} {:>12} {:>14}",
        "method", "count", "median", "allocations", "bytes"
    );

    measure("std::fs::read_dir, counted", || {
        std::fs::read_dir("/proc/self/fd").map(|d| d.count() as u64)
    });
    measure("read_dir, collect names (Go client)", || {
        // What client_golang's Readdirnames did: one String per fd, then len().
        std::fs::read_dir("/proc/self/fd").and_then(|d| {
            let names = d
                .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect::<Result<Vec<String>, _>>()?;
            Ok(names.len() as u64)
        })
    });
    // Open the handle's fd directory before measuring, as an exporter holding it would have.
    me.fd_count().map_err(|e| explain(me.pid(), e))?;
    measure("procfast walk (getdents64, no alloc)", || {
        me.fd_count_with(Method::Walk, &Budget::UNLIMITED)
            .map(|c| c.count)
    });
    measure("procfast auto (one fstat)", || {
        me.fd_count().map(|c| c.count)
    });
    println!(
        "Counts include the directory handles the methods themselves hold open while counting."
    );
    drop(held);
    Ok(())
}

fn measure<E: std::fmt::Display>(name: &str, mut count: impl FnMut() -> Result<u64, E>) {
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
            Err(e) => {
                println!("{name:<40} failed: {e}");
                return;
            }
        }
        times.push(elapsed);
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "{name:<40} {:>8} {:>12} {:>12} {:>14}",
        last.0,
        format_duration(median),
        last.1,
        last.2
    );
}

fn format_duration(d: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros >= 1000.0 {
        format!("{:.2} ms", micros / 1000.0)
    } else {
        format!("{micros:.2} µs")
    }
}
