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
//!
//! Exit status: 0 on success, also when stdout's reader has gone (`procfast top | head -1`); 1
//! when the work fails; 2 for a usage error. Errors are one line on stderr.

use lexopt::prelude::*;
use procfast::{
    Budget, Error, Fields, Method, Proc, ProcessMetrics, ProcessSnapshot, Scanner, SortKey,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::{Display, Write as _};
use std::io::{self, Write};
use std::ops::RangeInclusive;
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

/// Why the command stopped early. Every message is one line.
enum Failure {
    /// A mistake in the command line (exit 2).
    Usage(String),
    /// The work itself failed (exit 1).
    Work(String),
    /// stdout's reader has gone (`procfast top | head -1`): end quietly, with success.
    ClosedPipe,
}

impl From<lexopt::Error> for Failure {
    fn from(e: lexopt::Error) -> Failure {
        Failure::Usage(e.to_string())
    }
}

/// `?` converts only the errors of writing to stdout: other I/O errors are given their context
/// with `map_err`.
impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        match e.kind() {
            io::ErrorKind::BrokenPipe => Failure::ClosedPipe,
            _ => failure(format!("writing to stdout: {e}")),
        }
    }
}

fn usage_error(message: impl Into<String>) -> Failure {
    Failure::Usage(message.into())
}

fn failure(message: impl Into<String>) -> Failure {
    Failure::Work(message.into())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) | Err(Failure::ClosedPipe) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            say(&format!("{message}; see 'procfast --help'"));
            ExitCode::from(2)
        }
        Err(Failure::Work(message)) => {
            say(&message);
            ExitCode::FAILURE
        }
    }
}

/// Writes a one-line message to stderr. Unlike `eprintln!` it does not panic if stderr is gone:
/// then there is no one left to tell.
fn say(message: &str) {
    let _ = writeln!(io::stderr(), "procfast: {message}");
}

fn run() -> Result<(), Failure> {
    let mut args = lexopt::Parser::from_env();
    let mut out = io::stdout().lock();
    match args.next()? {
        Some(Value(cmd)) if cmd == "top" => top(args, &mut out),
        Some(Value(cmd)) if cmd == "fds" => fds(args, &mut out),
        Some(Value(cmd)) if cmd == "metrics" => metrics(args, &mut out),
        Some(Value(cmd)) if cmd == "seed-demo" => seed_demo(args, &mut out),
        Some(Short('h') | Long("help")) => Ok(writeln!(out, "{USAGE}")?),
        Some(other) => Err(other.unexpected().into()),
        None => Err(usage_error("missing command")),
    }?;
    Ok(out.flush()?)
}

/// Parses a number argument: ASCII digits only (`str::parse` would also take a leading `+`),
/// within `range`. `what` names the argument in the message.
fn parse_number<T>(what: &str, text: &str, range: RangeInclusive<T>) -> Result<T, Failure>
where
    T: std::str::FromStr + PartialOrd + Display,
{
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_a_number(what, text));
    }
    // Digits only, so parsing fails only when the number does not fit in `T`.
    match text.parse::<T>() {
        Ok(v) if range.contains(&v) => Ok(v),
        _ => Err(usage_error(format!(
            "{what} {text} is out of range ({}..={})",
            range.start(),
            range.end()
        ))),
    }
}

fn not_a_number(what: &str, text: &str) -> Failure {
    usage_error(format!("invalid {what} {text:?}: expected digits only"))
}

/// The value of option `what`, as a number (see [`parse_number`]).
fn number_value<T>(
    args: &mut lexopt::Parser,
    what: &str,
    range: RangeInclusive<T>,
) -> Result<T, Failure>
where
    T: std::str::FromStr + PartialOrd + Display,
{
    parse_number(what, &args.value()?.string()?, range)
}

fn parse_pid(text: &str) -> Result<i32, Failure> {
    parse_number("pid", text, 1..=i32::MAX)
}

/// A pid written with a minus sign: lexopt reads `-5` as option `-5`, so rebuild the text to say
/// what is wrong with it.
fn negative_pid(args: &mut lexopt::Parser, first: char) -> Failure {
    let rest = args.optional_value().unwrap_or_default();
    not_a_number("pid", &format!("-{first}{}", rest.to_string_lossy()))
}

/// Escapes a command name for a terminal, reversibly: `\n`, `\t` and `\\` as such, every other
/// control character (C0, DEL, C1) and every byte of invalid UTF-8 as `\xNN`, one escape per
/// byte; printable UTF-8 unchanged. (ps prints `?` instead, which loses the name.)
fn escape_comm(mut bytes: &[u8]) -> String {
    fn push_hex(escaped: &mut String, bytes: &[u8]) {
        for b in bytes {
            // Writing to a String cannot fail.
            let _ = write!(escaped, "\\x{b:02x}");
        }
    }
    fn push_text(escaped: &mut String, text: &str) {
        for c in text.chars() {
            match c {
                '\n' => escaped.push_str("\\n"),
                '\t' => escaped.push_str("\\t"),
                '\\' => escaped.push_str("\\\\"),
                c if c.is_control() => push_hex(escaped, c.encode_utf8(&mut [0; 4]).as_bytes()),
                c => escaped.push(c),
            }
        }
    }
    let mut escaped = String::with_capacity(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                push_text(&mut escaped, text);
                return escaped;
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                // The bytes before `valid_up_to` are valid UTF-8, so this never falls back.
                push_text(&mut escaped, std::str::from_utf8(valid).unwrap_or_default());
                // No `error_len`: the name ends inside a character.
                let (invalid, rest) = rest.split_at(e.error_len().unwrap_or(rest.len()));
                push_hex(&mut escaped, invalid);
                bytes = rest;
            }
        }
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

fn top(mut args: lexopt::Parser, out: &mut impl Write) -> Result<(), Failure> {
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
            Short('n') => n = number_value(&mut args, "-n", 0..=usize::MAX)?,
            Long("budget-ms") => {
                let ms = number_value(&mut args, "--budget-ms", 0..=u64::MAX)?;
                budget = budget.and_within(Duration::from_millis(ms))
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
                    // serde_json escapes control characters; invalid UTF-8 becomes U+FFFD.
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
            "refused": summary.refused,
            "micros": (micros * 1000.0).round() / 1000.0,
            "rows": rows,
        });
        writeln!(out, "{line}")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>8}  {:<16} {:>8} {:>8} {:>10} {:>10}",
        "PID", "COMMAND", "FDS", "THREADS", "RSS", "CPU s"
    )?;
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_string());
    for row in &rows {
        // Escaped, then cut to the column's 16 characters.
        writeln!(
            out,
            "{:>8}  {:<16.16} {:>8} {:>8} {:>10} {:>10}",
            row.pid,
            escape_comm(row.comm()),
            or_dash(row.fds.map(|v| v.to_string())),
            or_dash(row.threads.map(|v| v.to_string())),
            or_dash(row.rss_bytes.map(format_bytes)),
            or_dash(row.cpu_seconds.map(|v| format!("{v:.2}"))),
        )?;
    }
    writeln!(
        out,
        "scanned {} {}, {} vanished, {} denied, {} refused; {} in {:.1} ms",
        summary.scanned,
        if threads { "threads" } else { "processes" },
        summary.vanished,
        summary.denied,
        summary.refused,
        match summary.stopped {
            None => "complete".to_string(),
            Some(stop) => format!("stopped early ({stop:?})"),
        },
        micros / 1000.0
    )?;
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

fn metrics(mut args: lexopt::Parser, out: &mut impl Write) -> Result<(), Failure> {
    let mut pid = None;
    let mut namespace = None;
    let mut network = false;
    while let Some(arg) = args.next()? {
        match arg {
            Long("namespace") => namespace = Some(args.value()?.string()?),
            Long("network") => network = true,
            Value(v) if pid.is_none() => pid = Some(parse_pid(&v.string()?)?),
            Short(c) if pid.is_none() && c.is_ascii_digit() => {
                return Err(negative_pid(&mut args, c))
            }
            other => return Err(other.unexpected().into()),
        }
    }
    if let Some(ns) = &namespace {
        ProcessSnapshot::check_namespace(ns)
            .map_err(|e| usage_error(format!("--namespace {ns:?}: {e}")))?;
    }
    let pid = pid.unwrap_or(std::process::id() as i32);
    let snapshot = ProcessMetrics::open(pid)
        .map(|m| m.with_network(network))
        .and_then(|mut m| m.snapshot())
        .map_err(|e| explain(pid, e))?;
    Ok(snapshot.write_text_io(out, namespace.as_deref())?)
}

fn fds(mut args: lexopt::Parser, out: &mut impl Write) -> Result<(), Failure> {
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
            Long("budget-entries") => {
                budget =
                    budget.and_entries(number_value(&mut args, "--budget-entries", 0..=u64::MAX)?)
            }
            Long("budget-ms") => {
                let ms = number_value(&mut args, "--budget-ms", 0..=u64::MAX)?;
                budget = budget.and_within(Duration::from_millis(ms))
            }
            Long("json") => json = true,
            Value(v) if pid.is_none() => pid = Some(parse_pid(&v.string()?)?),
            Short(c) if pid.is_none() && c.is_ascii_digit() => {
                return Err(negative_pid(&mut args, c))
            }
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
        writeln!(out, "{line}")?;
    } else {
        let bound = if counted.is_complete() {
            "complete".to_string()
        } else {
            format!("a lower bound: stopped by {:?}", counted.stopped)
        };
        writeln!(
            out,
            "pid {pid}: {} open fds (method {}, {bound}) in {micros:.1} µs",
            counted.count, counted.method
        )?;
    }
    Ok(())
}

fn seed_demo(mut args: lexopt::Parser, out: &mut impl Write) -> Result<(), Failure> {
    let mut wanted: Option<usize> = None;
    while let Some(arg) = args.next()? {
        match arg {
            Long("fds") => wanted = Some(number_value(&mut args, "--fds", 0..=usize::MAX)?),
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
    out: &mut impl Write,
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

fn format_duration(d: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros >= 1000.0 {
        format!("{:.2} ms", micros / 1000.0)
    } else {
        format!("{micros:.2} µs")
    }
}
