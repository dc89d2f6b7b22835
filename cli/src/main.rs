//! The procfast command line.
//!
//! ```text
//! procfast top [--by fds|threads|rss|cpu|pid] [-n N] [--interval SECONDS] [--watch]
//!              [--pid PID]... [--user NAME|UID] [--comm TEXT] [--threads] [--budget-ms MS] [--json]
//! procfast fds PID [--method auto|stat|walk] [--budget-entries N] [--budget-ms MS] [--json]
//! procfast metrics [PID] [--namespace NS] [--network]
//! procfast seed-demo [--fds N]
//! ```
//!
//! `top` scans every process and shows the largest by a figure, with %CPU over an interval and,
//! with `--watch`, repainted until `q`, as top does; `fds` counts one process's open fds;
//! `seed-demo` reproduces, in this one process, the scrape
//! that timed out: it opens as many fds as RLIMIT_NOFILE allows and counts them the naive ways and
//! procfast's ways, side by side, with time and allocations for each.
//!
//! Exit status: 0 on success, also when stdout's reader has gone (`procfast top | head -1`); 1
//! when the work fails; 2 for a usage error. Errors are one line on stderr.

mod host;
mod serve;
mod tcp;

use lexopt::prelude::*;
use procfast::{
    Budget, Error, Fields, Method, Proc, ProcessMetrics, ProcessSnapshot, Row, ScanSummary, Scanner,
};
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::io::Errno;
use rustix::termios::{self, LocalModes, OptionalActions, SpecialCodeIndex, Termios};
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::fmt::{Display, Write as _};
use std::io::{self, Write};
use std::ops::{ControlFlow, RangeInclusive};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};
use uzers::{Users, UsersCache};

const USAGE: &str = "\
usage: procfast top [--by fds|threads|rss|cpu|pid] [-n N] [--interval SECONDS] [--watch]
                    [--pid PID]... [--user NAME|UID] [--comm TEXT] [--threads] [--budget-ms MS]
                    [--json]
       procfast fds PID [--method auto|stat|walk] [--kinds] [--budget-entries N] [--budget-ms MS]
                    [--json]
       procfast metrics [PID] [--namespace NS] [--network]
       procfast host [--json] [--procfs DIR]
       procfast tcp [--pid PID] [--proc] [--budget-ms MS] [--json]
       procfast seed-demo [--fds N]
       procfast serve [--listen ADDR] [--config FILE] [--procfs DIR] [--budget-ms MS] [--once]
       procfast --help | --version

  top        scan every process (--threads: every thread); show the N largest by a figure
             (default: fds, 15); --interval for %CPU, --watch to repaint until q
  fds        count the open fds of process PID (one-shot: the time includes opening the handle)
  metrics    print PID's process metrics (default: this process) in the Prometheus text format
  host       one snapshot of the host: CPU, memory, load, pressure, paging, disks, network
  tcp        TCP connections by state (netlink sock_diag; /proc/net/tcp where refused)
  seed-demo  open as many fds as RLIMIT_NOFILE allows, then count them every way, side by side
  serve      a host process exporter, drop-in for process-exporter (config and metric names)

'procfast COMMAND --help' describes each command.

Exit status: 0 on success, also when stdout's reader has gone ('procfast top | head -1');
1 when the work fails; 2 for a usage error. Errors are one line on stderr.";

const TOP_USAGE: &str = "\
usage: procfast top [--by fds|threads|rss|cpu|pid] [-n N] [--interval SECONDS] [--watch]
                    [--pid PID]... [--user NAME|UID] [--comm TEXT] [--threads] [--budget-ms MS]
                    [--json]

Scans every process (--threads: every thread) and shows the N largest by a figure.

  --by FIGURE         rank by fds (the default), threads, rss, cpu, or pid (smallest first);
                      cpu is %CPU when sampled (--interval or --watch), else CPU time
  -n N                show N rows (default 15)
  --interval SECONDS  scan twice, SECONDS apart (like 0.5), and show %CPU over that time
                      (100 = one core busy); without it (and without --watch) %CPU is -
  --watch             repaint every interval (default 2 s) until q, Q or Ctrl-C; the first
                      frame comes at once, without %CPU
  --pid PID           only this process (repeatable); with --threads, its threads
  --user NAME|UID     only processes of this effective user
  --comm TEXT         only processes whose command name contains TEXT
  --threads           a row per thread: PID is the thread id, tgid (JSON) its process
  --budget-ms MS      end each scan after MS milliseconds (the summary says so)
  --json              one JSON object (per frame, one a line): complete, scanned, vanished,
                      denied, refused, micros, cpu_micros, interval_seconds (when sampled) and
                      rows of pid, tgid, comm, state, ppid, uid, user, fds, threads,
                      rss_bytes, cpu_seconds, cpu_percent (null: not available)

Columns: PID, USER (the uid's name, or the uid when it has none), STATE (R running,
S sleeping, D in disk wait, Z zombie, T stopped, I idle), THREADS, FDS, RSS, %CPU, TIME (CPU
time, user + system: M:SS.hh, or H:MM:SS from an hour), COMMAND (the kernel's name, escaped).
A figure not available shows as - (a zombie has no fds or threads). The footer says what the
scan saw and what a refresh costs, in wall-clock and CPU time.";

const FDS_USAGE: &str = "\
usage: procfast fds PID [--method auto|stat|walk] [--kinds] [--budget-entries N] [--budget-ms MS]
                    [--json]

Counts the open fds of process PID, one-shot: the time shown includes opening its handle.

  --method M          auto (the default: one fstat where the kernel reports the count, a walk
                      elsewhere), stat (fstat only) or walk (list /proc/PID/fd)
  --budget-entries N  a walk stops after N entries: the count is then a lower bound
  --budget-ms MS      a walk stops after MS milliseconds
  --kinds             count by kind (socket, pipe, anon_inode and its kinds, file, other): a
                      walk and one readlinkat per fd, within the budget
  --json              one JSON object: pid, fds, method, complete, micros; with --kinds, pid,
                      fds, kinds {socket, pipe, anon_inode, file, other}, anon_inode_kinds
                      (eventpoll, eventfd, timerfd, …: those present), complete, micros";

const METRICS_USAGE: &str = "\
usage: procfast metrics [PID] [--namespace NS] [--network]

Prints the process metrics of PID (default: this process) in the Prometheus text format,
the metric set of the Prometheus process collector.

  --namespace NS  prefix every metric name with NS_ (a Prometheus name: letters, digits,
                  _ and :, not starting with a digit)
  --network       add the network byte counters of the process's network namespace";

const SERVE_USAGE: &str = "\
usage: procfast serve [--listen ADDR] [--config FILE] [--procfs DIR] [--budget-ms MS]
                      [--children true|false] [--threads] [--smaps]
                      [--smaps-max-rss-mib MIB] [--sockets] [--tcp] [--once]

A host process exporter, a drop-in for process-exporter: its YAML config (process_names with
comm, exe, cmdline and name templates), its metric names (namedprocess_namegroup_*), answering
a scrape within the timeout Prometheus announces (X-Prometheus-Scrape-Timeout-Seconds).

  --listen ADDR       where to serve /metrics (default 127.0.0.1:9256, process-exporter's port)
  --config FILE       process-exporter's config file (also --config.path); without one, every
                      process with a command line is its own group, named by its comm
  --procfs DIR        the procfs to read (default /proc; a host's /proc mounted elsewhere)
  --budget-ms MS      end every scan after MS milliseconds, whatever the scrape timeout
  --children BOOL     an unmatched process joins its nearest matched ancestor's group
                      (default true, as process-exporter's -children)
  --once              print one scrape to stdout and exit (a second scan after the first, so
                      counters have a baseline)
  --threads           also report per-thread metrics (namedprocess_namegroup_thread_*), by
                      thread name, for multi-threaded processes: a scan of every thread
  --smaps             also report PSS (memtype proportionalResident, proportionalSwapped) from
                      smaps_rollup, for processes whose RSS is at most 1 GiB
  --smaps-max-rss-mib MIB
                      --smaps, with that RSS cap (the kernel walks a process's page tables to
                      write smaps_rollup: its cost grows with the memory)
  --sockets           also report each group's open sockets (procfast_namegroup_open_sockets),
                      from a census of its members' fds: a readlinkat per fd, within the budget
  --tcp               also report the host's TCP connections by state
                      (procfast_tcp_connections{state}), by a netlink sock_diag dump

Every scrape also says how it went: procfast_scrape_complete (0 when the budget stopped the
scan, which then serves what it saw), procfast_scrape_duration_seconds,
procfast_scrape_budget_seconds and procfast_scrape_processes{outcome}.";

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
        Some(Value(cmd)) if cmd == "host" => host::host(args, &mut out),
        Some(Value(cmd)) if cmd == "tcp" => tcp::tcp(args, &mut out),
        Some(Value(cmd)) if cmd == "seed-demo" => seed_demo(args, &mut out),
        Some(Value(cmd)) if cmd == "serve" => serve_command(args, &mut out),
        Some(Short('h') | Long("help")) => Ok(writeln!(out, "{USAGE}")?),
        Some(Short('V') | Long("version")) => {
            Ok(writeln!(out, "procfast {}", env!("CARGO_PKG_VERSION"))?)
        }
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

/// Raises the soft `RLIMIT_NOFILE` to the hard one (always allowed) and returns the soft limit
/// now in force.
fn raise_fd_limit() -> usize {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    limit.current = limit.maximum;
    // If raising fails, the limit stays what it was, and so does the budget taken from it.
    let _ = setrlimit(Resource::Nofile, limit);
    let soft = getrlimit(Resource::Nofile).current.unwrap_or(1 << 20);
    usize::try_from(soft).unwrap_or(usize::MAX)
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

/// The figure `top` ranks by.
#[derive(Clone, Copy, PartialEq, Eq)]
enum By {
    Fds,
    Threads,
    Rss,
    Cpu,
    Pid,
}

/// Which rows `top` shows: every filter given must match. Applied before ranking, so `-n`
/// counts matching rows.
#[derive(Default)]
struct Filter {
    pids: Vec<i32>,
    uid: Option<u32>,
    comm: Option<Vec<u8>>,
}

impl Filter {
    fn matches(&self, row: &Row) -> bool {
        // A process's pid is its threads' tgid: with --threads, --pid shows its threads.
        let pid =
            self.pids.is_empty() || self.pids.contains(&row.pid) || self.pids.contains(&row.tgid);
        let uid = self.uid.is_none_or(|uid| row.uid == Some(uid));
        let comm = self.comm.as_deref().is_none_or(|text| {
            text.is_empty() || row.comm().windows(text.len()).any(|w| w == text)
        });
        pid && uid && comm
    }
}

struct TopOptions {
    by: By,
    n: usize,
    budget: Option<Duration>,
    json: bool,
    threads: bool,
    interval: Option<Duration>,
    watch: bool,
    filter: Filter,
}

/// `--watch` without `--interval` repaints this often, as top does (its default is 3 s).
const WATCH_INTERVAL: Duration = Duration::from_secs(2);

/// The longest `--interval`: a day, far beyond any use, and well inside what `poll` takes.
const MAX_INTERVAL: Duration = Duration::from_secs(86_400);

/// The widest COMMAND column: comm is at most 15 bytes, but its escapes are 4 characters each.
const COMMAND_WIDTH: usize = 32;

/// Parses `top`'s arguments; `None` when `--help` was asked for (and printed).
fn top_options(
    mut args: lexopt::Parser,
    out: &mut impl Write,
) -> Result<Option<TopOptions>, Failure> {
    let mut o = TopOptions {
        by: By::Fds,
        n: 15,
        budget: None,
        json: false,
        threads: false,
        interval: None,
        watch: false,
        filter: Filter::default(),
    };
    while let Some(arg) = args.next()? {
        match arg {
            Short('h') | Long("help") => {
                writeln!(out, "{TOP_USAGE}")?;
                return Ok(None);
            }
            Long("threads") => o.threads = true,
            Long("by") => {
                o.by = match args.value()?.string()?.as_str() {
                    "fds" => By::Fds,
                    "threads" => By::Threads,
                    "rss" => By::Rss,
                    "cpu" => By::Cpu,
                    "pid" => By::Pid,
                    other => {
                        return Err(usage_error(format!(
                            "unknown figure {other:?}: expected fds, threads, rss, cpu or pid"
                        )))
                    }
                }
            }
            Short('n') => o.n = number_value(&mut args, "-n", 0..=usize::MAX)?,
            Long("budget-ms") => {
                let ms = number_value(&mut args, "--budget-ms", 0..=u64::MAX)?;
                o.budget = Some(Duration::from_millis(ms));
            }
            Long("json") => o.json = true,
            Long("interval") => o.interval = Some(parse_interval(&args.value()?.string()?)?),
            Long("watch") => o.watch = true,
            Long("pid") => o.filter.pids.push(parse_pid(&args.value()?.string()?)?),
            Long("user") => o.filter.uid = Some(parse_user(&args.value()?.string()?)?),
            Long("comm") => o.filter.comm = Some(args.value()?.into_vec()),
            other => return Err(other.unexpected().into()),
        }
    }
    Ok(Some(o))
}

/// Parses `--interval`: digits with an optional decimal fraction, nothing else (`f64::from_str`
/// alone would also take `+1`, `1e3`, `inf` and `NaN`), more than 0 and at most a day.
fn parse_interval(text: &str) -> Result<Duration, Failure> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) {
        return Err(usage_error(format!(
            "invalid --interval {text:?}: expected seconds, like 2 or 0.5"
        )));
    }
    match text
        .parse()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
    {
        // Zero also when the fraction is below a nanosecond.
        Some(d) if !d.is_zero() && d <= MAX_INTERVAL => Ok(d),
        _ => Err(usage_error(format!(
            "--interval {text} is out of range (more than 0, at most {})",
            MAX_INTERVAL.as_secs()
        ))),
    }
}

/// A uid in digits, or a user name looked up in the user database.
fn parse_user(text: &str) -> Result<u32, Failure> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return parse_number("--user", text, 0..=u32::MAX);
    }
    uzers::get_user_by_name(text)
        .map(|user| user.uid())
        .ok_or_else(|| usage_error(format!("unknown user {text:?}")))
}

fn top(args: lexopt::Parser, out: &mut impl Write) -> Result<(), Failure> {
    let Some(o) = top_options(args, out)? else {
        return Ok(());
    };
    let fields = Fields::COMM
        | Fields::STATE
        | Fields::PPID
        | Fields::THREADS
        | Fields::RSS
        | Fields::CPU
        | Fields::START_TIME
        | Fields::FDS
        | Fields::UID;
    let mut scanner = Scanner::new(fields)
        .map_err(|e| failure(format!("scanning /proc: {e}")))?
        .threads(o.threads);
    if o.watch || o.interval.is_some() {
        // Every scan after the first then re-reads held files instead of opening them again.
        // top holds nothing else, so it may use most of the hard limit: 3 fds a process.
        scanner = scanner.keep_handles(raise_fd_limit().saturating_sub(256));
    }
    let mut sampler = Sampler {
        scanner,
        shown: Vec::new(),
        before: HashMap::new(),
        now: HashMap::new(),
        before_at: None,
    };
    let interval = o.interval.unwrap_or(WATCH_INTERVAL);
    // Restores the terminal when dropped, however this function returns.
    let keys = if o.watch { KeyMode::enter() } else { None };
    let clear = o.watch && !o.json && termios::isatty(rustix::stdio::stdout());
    let users = UsersCache::new();
    // A frame is written at once, so a repaint does not flicker line by line.
    let mut frame_text = Vec::new();
    loop {
        let budget = o.budget.map_or(Budget::UNLIMITED, Budget::within);
        let frame = sampler.sample(&o.filter, &budget)?;
        // Without --watch, --interval shows only the second scan: the first is its baseline.
        if o.watch || o.interval.is_none() || frame.interval.is_some() {
            rank(&mut sampler.shown, o.by, frame.interval.is_some(), o.n);
            frame_text.clear();
            if clear {
                frame_text.extend_from_slice(b"\x1b[H\x1b[2J");
            }
            if o.json {
                let line = json_frame(&sampler.shown, &frame, &users);
                writeln!(frame_text, "{line}")?;
            } else {
                let hint = if keys.is_some() { "; q quits" } else { "" };
                table(
                    &mut frame_text,
                    &sampler.shown,
                    &frame,
                    &users,
                    o.threads,
                    hint,
                )?;
            }
            out.write_all(&frame_text)?;
            out.flush()?;
            if !o.watch {
                return Ok(());
            }
        }
        if wait_until(frame.started + interval, keys.as_ref())? {
            return Ok(());
        }
    }
}

/// A row `top` shows, with its %CPU when its process was also in the previous scan.
struct Shown {
    row: Row,
    cpu_percent: Option<f64>,
}

/// What one scan took and saw.
struct Frame {
    summary: ScanSummary,
    started: Instant,
    /// Wall-clock and CPU time of the scan: what a refresh costs.
    wall: Duration,
    cpu: Duration,
    /// The time since the previous scan began, over which %CPU is measured.
    interval: Option<Duration>,
}

/// Scans with one scanner, remembering every process's CPU time so that the next scan can tell
/// its %CPU.
struct Sampler {
    scanner: Scanner,
    /// The rows of the last scan that pass the filter.
    shown: Vec<Shown>,
    /// CPU seconds of every process in the previous scan, by pid and start time: a reused pid
    /// has a later start time, so a new process is never charged for its predecessor.
    before: HashMap<(i32, u64), f64>,
    /// The same for the scan under way (kept only to reuse its allocation).
    now: HashMap<(i32, u64), f64>,
    before_at: Option<Instant>,
}

impl Sampler {
    fn sample(&mut self, filter: &Filter, budget: &Budget) -> Result<Frame, Failure> {
        self.now.clear();
        self.shown.clear();
        let (now, shown) = (&mut self.now, &mut self.shown);
        let started = Instant::now();
        let cpu_started = process_cpu_time();
        let summary = self
            .scanner
            .scan(budget, |row| {
                if let (Some(ticks), Some(cpu)) = (row.start_time_ticks, row.cpu_seconds) {
                    now.insert((row.pid, ticks), cpu);
                }
                if filter.matches(row) {
                    shown.push(Shown {
                        row: *row,
                        cpu_percent: None,
                    });
                }
                ControlFlow::Continue(())
            })
            .map_err(|e| failure(format!("scanning /proc: {e}")))?;
        let wall = started.elapsed();
        let cpu = process_cpu_time().saturating_sub(cpu_started);
        // Both scans read /proc in the same (pid) order, so the time between their starts is
        // about the time between a process's two readings.
        let interval = self.before_at.map(|at| started - at);
        if let Some(interval) = interval {
            let seconds = interval.as_secs_f64();
            for s in shown.iter_mut() {
                let key = s.row.start_time_ticks.map(|ticks| (s.row.pid, ticks));
                let before = key.and_then(|key| self.before.get(&key));
                s.cpu_percent = match (before, s.row.cpu_seconds) {
                    (Some(before), Some(now)) => Some((now - before).max(0.0) / seconds * 100.0),
                    // New since the previous scan: there is nothing to measure against.
                    _ => None,
                };
            }
        }
        std::mem::swap(&mut self.before, &mut self.now);
        self.before_at = Some(started);
        Ok(Frame {
            summary,
            started,
            wall,
            cpu,
            interval,
        })
    }
}

/// This process's CPU time so far (all its threads, user and system).
fn process_cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::try_from(t).unwrap_or_default()
}

/// Sorts the rows, largest first (`pid`: smallest first), and keeps the first `n`.
fn rank(shown: &mut Vec<Shown>, by: By, sampled: bool, n: usize) {
    if by == By::Pid {
        // With --threads, a process's threads stay together.
        shown.sort_unstable_by_key(|s| (s.row.tgid, s.row.pid));
    } else {
        let key = |s: &Shown| {
            let figure = match by {
                By::Fds => s.row.fds.map(|v| v as f64),
                By::Threads => s.row.threads.map(|v| v as f64),
                By::Rss => s.row.rss_bytes.map(|v| v as f64),
                By::Cpu if sampled => s.cpu_percent,
                By::Cpu | By::Pid => s.row.cpu_seconds,
            };
            // A figure missing (a zombie has no fds) ranks below every real one.
            figure.unwrap_or(-1.0)
        };
        shown.sort_unstable_by(|a, b| key(b).total_cmp(&key(a)).then(a.row.pid.cmp(&b.row.pid)));
    }
    shown.truncate(n);
}

/// The state letter, or `?` for a byte that is not a printable letter (never seen in practice,
/// but it reaches a terminal).
fn state_letter(row: &Row) -> Option<char> {
    row.state.map(|b| {
        if b.is_ascii_graphic() {
            char::from(b)
        } else {
            '?'
        }
    })
}

fn json_frame(shown: &[Shown], frame: &Frame, users: &UsersCache) -> serde_json::Value {
    let rows: Vec<_> = shown
        .iter()
        .map(|Shown { row, cpu_percent }| {
            let user = row
                .uid
                .and_then(|uid| users.get_user_by_uid(uid))
                .map(|u| u.name().to_string_lossy().into_owned());
            serde_json::json!({
                "pid": row.pid,
                "tgid": row.tgid,
                // serde_json escapes control characters; invalid UTF-8 becomes U+FFFD.
                "comm": String::from_utf8_lossy(row.comm()),
                "state": state_letter(row).map(String::from),
                "ppid": row.ppid,
                "uid": row.uid,
                // null when the uid has no name.
                "user": user,
                "fds": row.fds,
                "threads": row.threads,
                "rss_bytes": row.rss_bytes,
                "cpu_seconds": row.cpu_seconds,
                "cpu_percent": cpu_percent.map(|p| (p * 100.0).round() / 100.0),
            })
        })
        .collect();
    let summary = &frame.summary;
    let mut line = serde_json::json!({
        "complete": summary.is_complete(),
        "scanned": summary.scanned,
        "vanished": summary.vanished,
        "denied": summary.denied,
        "refused": summary.refused,
        "micros": round_micros(frame.wall),
        "cpu_micros": round_micros(frame.cpu),
        "rows": rows,
    });
    if let Some(interval) = frame.interval {
        line["interval_seconds"] = serde_json::json!(interval.as_secs_f64());
    }
    line
}

/// Microseconds, to the nanosecond.
fn round_micros(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e9).round() / 1000.0
}

fn table(
    out: &mut impl Write,
    shown: &[Shown],
    frame: &Frame,
    users: &UsersCache,
    threads: bool,
    hint: &str,
) -> io::Result<()> {
    writeln!(
        out,
        "{:>8} {:<8} {:<5} {:>7} {:>7} {:>10} {:>6} {:>10}  COMMAND",
        "PID", "USER", "STATE", "THREADS", "FDS", "RSS", "%CPU", "TIME"
    )?;
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_string());
    for Shown { row, cpu_percent } in shown {
        let user = row.uid.map(|uid| match users.get_user_by_uid(uid) {
            // A name longer than the column is cut with a `+`, as top does.
            Some(user) => fit(&escape_comm(user.name().as_bytes()), 8),
            None => uid.to_string(),
        });
        writeln!(
            out,
            "{:>8} {:<8} {:<5} {:>7} {:>7} {:>10} {:>6} {:>10}  {:.*}",
            row.pid,
            or_dash(user),
            or_dash(state_letter(row).map(String::from)),
            or_dash(row.threads.map(|v| v.to_string())),
            or_dash(row.fds.map(|v| v.to_string())),
            or_dash(row.rss_bytes.map(format_bytes)),
            or_dash(cpu_percent.map(|p| format!("{p:.1}"))),
            or_dash(row.cpu_seconds.map(format_cpu_time)),
            COMMAND_WIDTH,
            escape_comm(row.comm()),
        )?;
    }
    let summary = &frame.summary;
    writeln!(
        out,
        "scanned {} {}, {} vanished, {} denied, {} refused; {}; refresh: {:.1} ms ({:.1} ms CPU){}{hint}",
        summary.scanned,
        if threads { "threads" } else { "processes" },
        summary.vanished,
        summary.denied,
        summary.refused,
        match summary.stopped {
            None => "complete".to_string(),
            Some(stop) => format!("stopped early ({stop:?})"),
        },
        frame.wall.as_secs_f64() * 1e3,
        frame.cpu.as_secs_f64() * 1e3,
        match frame.interval {
            Some(interval) => format!("; %CPU over {:.2} s", interval.as_secs_f64()),
            None => String::new(),
        },
    )
}

/// `text` cut to `width` characters, the last one `+` if it was longer.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('+');
    cut
}

/// CPU time as top's TIME+ (`M:SS.hh`) under an hour, as ps's TIME (`H:MM:SS`) from then on.
fn format_cpu_time(seconds: f64) -> String {
    // `as` saturates: a negative or NaN figure shows as 0.
    let hundredths = (seconds * 100.0).round() as u64;
    if hundredths < 360_000 {
        let (minutes, rest) = (hundredths / 6000, hundredths % 6000);
        format!("{minutes}:{:02}.{:02}", rest / 100, rest % 100)
    } else {
        let s = hundredths / 100;
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    }
}

/// Sleeps until `deadline`, or, with keys, until then or a quitting key. True if one came.
fn wait_until(deadline: Instant, keys: Option<&KeyMode>) -> Result<bool, Failure> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(false);
        }
        match keys {
            None => std::thread::sleep(left),
            Some(keys) => {
                if keys.wait(left)? {
                    return Ok(true);
                }
            }
        }
    }
}

/// A terminal on stdin switched to reading single keys, unechoed, with Ctrl-C read as a key
/// (ISIG off) so that quitting goes through [`Drop`], which puts the terminal back as it was
/// on every way out: a key, an error, a closed pipe.
struct KeyMode {
    saved: Termios,
}

impl KeyMode {
    /// `None` when stdin is not a terminal (or will not be switched): then frames just sleep,
    /// and SIGINT ends the process.
    fn enter() -> Option<KeyMode> {
        let stdin = rustix::stdio::stdin();
        if !termios::isatty(stdin) {
            return None;
        }
        let saved = termios::tcgetattr(stdin).ok()?;
        let mut keys = saved.clone();
        keys.local_modes
            .remove(LocalModes::ICANON | LocalModes::ECHO | LocalModes::ISIG);
        // A read returns as soon as one byte is there.
        keys.special_codes[SpecialCodeIndex::VMIN] = 1;
        keys.special_codes[SpecialCodeIndex::VTIME] = 0;
        termios::tcsetattr(stdin, OptionalActions::Now, &keys).ok()?;
        Some(KeyMode { saved })
    }

    /// Waits up to `timeout` for keys; true if one of them is `q`, `Q` or Ctrl-C, or the
    /// terminal has gone.
    fn wait(&self, timeout: Duration) -> Result<bool, Failure> {
        let stdin = rustix::stdio::stdin();
        let mut fds = [PollFd::new(&stdin, PollFlags::IN)];
        // At most MAX_INTERVAL, which always fits a Timespec.
        let timeout = Timespec::try_from(timeout)
            .map_err(|_| failure(format!("cannot wait {timeout:?} for a key")))?;
        match rustix::event::poll(&mut fds, Some(&timeout)) {
            Ok(0) | Err(Errno::INTR) => return Ok(false),
            Ok(_) => {}
            Err(e) => return Err(failure(format!("waiting for a key on stdin: {e}"))),
        }
        let mut keys = [0u8; 64];
        match rustix::io::read(stdin, &mut keys) {
            // End of input: no key will ever come.
            Ok(0) => Ok(true),
            Ok(n) => Ok(keys[..n].iter().any(|k| matches!(k, b'q' | b'Q' | 0x03))),
            Err(Errno::INTR | Errno::AGAIN) => Ok(false),
            Err(e) => Err(failure(format!("reading a key from stdin: {e}"))),
        }
    }
}

impl Drop for KeyMode {
    fn drop(&mut self) {
        // Nothing more can be done if the terminal refuses.
        let _ = termios::tcsetattr(rustix::stdio::stdin(), OptionalActions::Now, &self.saved);
    }
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

/// `--smaps` reads `smaps_rollup` only of processes up to this RSS: the kernel walks every page
/// table of a process to write it, milliseconds for gigabytes.
const DEFAULT_SMAPS_MAX_RSS: u64 = 1 << 30;

fn serve_command(mut args: lexopt::Parser, out: &mut impl Write) -> Result<(), Failure> {
    let mut options = serve::Options::default();
    while let Some(arg) = args.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(writeln!(out, "{SERVE_USAGE}")?),
            Long("listen") => {
                let text = args.value()?.string()?;
                options.listen = text.parse().map_err(|_| {
                    usage_error(format!(
                        "--listen {text:?}: expected ADDRESS:PORT, like 127.0.0.1:9256"
                    ))
                })?;
            }
            Long("config" | "config.path") => options.config = Some(args.value()?.into()),
            Long("procfs") => options.procfs = args.value()?.into(),
            Long("budget-ms") => {
                let ms = number_value(&mut args, "--budget-ms", 1..=u64::MAX)?;
                options.budget = Some(Duration::from_millis(ms));
            }
            Long("children") => {
                options.children = match args.value()?.string()?.as_str() {
                    "true" => true,
                    "false" => false,
                    other => {
                        return Err(usage_error(format!(
                            "--children {other:?}: expected true or false"
                        )))
                    }
                }
            }
            Long("once") => options.once = true,
            Long("threads") => options.threads = true,
            Long("sockets") => options.sockets = true,
            Long("tcp") => options.tcp = true,
            Long("smaps") => {
                options.smaps_max_rss.get_or_insert(DEFAULT_SMAPS_MAX_RSS);
            }
            Long("smaps-max-rss-mib") => {
                let mib = number_value(&mut args, "--smaps-max-rss-mib", 1..=u64::MAX >> 20)?;
                options.smaps_max_rss = Some(mib << 20);
            }
            other => return Err(other.unexpected().into()),
        }
    }
    out.flush()?;
    serve::run(options).map_err(failure)
}

fn metrics(mut args: lexopt::Parser, out: &mut impl Write) -> Result<(), Failure> {
    let mut pid = None;
    let mut namespace = None;
    let mut network = false;
    while let Some(arg) = args.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(writeln!(out, "{METRICS_USAGE}")?),
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
    let mut kinds = false;
    while let Some(arg) = args.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(writeln!(out, "{FDS_USAGE}")?),
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
            Long("kinds") => kinds = true,
            Value(v) if pid.is_none() => pid = Some(parse_pid(&v.string()?)?),
            Short(c) if pid.is_none() && c.is_ascii_digit() => {
                return Err(negative_pid(&mut args, c))
            }
            other => return Err(other.unexpected().into()),
        }
    }
    let pid = pid.ok_or_else(|| usage_error("fds needs a PID"))?;
    if kinds {
        return fd_kinds(pid, &budget, json, out);
    }

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

/// `procfast fds PID --kinds`: the census by kind, one `readlinkat` per fd.
fn fd_kinds(pid: i32, budget: &Budget, json: bool, out: &mut impl Write) -> Result<(), Failure> {
    use procfast::parse::fd_target::AnonKind;
    let started = Instant::now();
    let (kinds, walk) = Proc::open(pid)
        .and_then(|mut proc| proc.fd_kinds(budget))
        .map_err(|e| explain(pid, e))?;
    let micros = started.elapsed().as_secs_f64() * 1e6;
    let anon: serde_json::Map<String, serde_json::Value> = AnonKind::ALL
        .iter()
        .filter(|k| kinds.anon(**k) > 0)
        .map(|k| (k.name().to_string(), kinds.anon(*k).into()))
        .collect();
    if json {
        let line = serde_json::json!({
            "pid": pid,
            "fds": kinds.total(),
            "kinds": {
                "socket": kinds.socket,
                "pipe": kinds.pipe,
                "anon_inode": kinds.anon_inode,
                "file": kinds.file,
                "other": kinds.other,
            },
            "anon_inode_kinds": anon,
            "complete": walk.is_complete(),
            "micros": (micros * 1000.0).round() / 1000.0,
        });
        writeln!(out, "{line}")?;
    } else {
        let bound = if walk.is_complete() {
            "complete".to_string()
        } else {
            format!("a lower bound: stopped by {:?}", walk.stopped)
        };
        let anon = anon
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        writeln!(
            out,
            "pid {pid}: {} open fds ({bound}) in {micros:.1} µs\n  socket {}\n  pipe {}\n  \
             anon_inode {}{}\n  file {}\n  other {}",
            kinds.total(),
            kinds.socket,
            kinds.pipe,
            kinds.anon_inode,
            if anon.is_empty() {
                String::new()
            } else {
                format!(" ({anon})")
            },
            kinds.file,
            kinds.other,
        )?;
    }
    Ok(())
}

fn seed_demo(mut args: lexopt::Parser, out: &mut impl Write) -> Result<(), Failure> {
    let mut wanted: Option<usize> = None;
    while let Some(arg) = args.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(writeln!(out, "{SEED_DEMO_USAGE}")?),
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
