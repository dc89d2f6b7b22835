//! The benchmark report: turns criterion's results into the README's "Measured here" section and
//! the plot `fd_count.svg`, and measures what criterion does not: allocations and peak memory.
//!
//! ```text
//! cargo bench
//! cargo xtask bench-report
//! cargo xtask paired-opens   # only the paired table of checked opens
//! ```
//!
//! It reads the median of every benchmark criterion left under
//! `target/criterion/<group>/<function>[/<param>]/new/` (`benchmark.json` names it,
//! `estimates.json` has `median.point_estimate` in ns), whatever groups, functions and params are
//! there, and writes:
//!
//! - one table per group, with ratios against the group's reference rows (the kernel floor, naive
//!   `std::fs::read_dir`, the `procfs` crate; see `FLOORS` and `COLUMNS`);
//! - `fd_count.svg` next to the README: time against open fds, log-log, one line per method of
//!   the `fd_count` group, each extrapolated linearly (dashed) to 1,000,000 fds;
//! - allocations, bytes and peak live bytes of ONE call of each fd-count method at each fd count,
//!   and of one host scan, under a counting global allocator (helpers hold the fds, as in
//!   `benches/fd_count.rs`);
//! - what those figures mean for an exporter at 1,000,000 fds.
//!
//! The markdown replaces the README between `<!-- bench:begin -->` and `<!-- bench:end -->` and
//! is printed. Missing groups are noted; with no criterion data at all it says what to run and
//! changes nothing.

#[path = "../../tests/common/mod.rs"]
mod common;
mod pairs_host;
mod pairs_proc;
mod serve_bench;
#[path = "../../benches/shared/stat_fields.rs"]
mod stat_fields;
mod tcp_bench;

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use procfast::{Budget, Fields, Method, Proc, Scanner};
use serde_json::Value;
use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::hint::black_box;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime};

const BEGIN: &str = "<!-- bench:begin -->";
const END: &str = "<!-- bench:end -->";
const SERVE_BEGIN: &str = "<!-- serve-bench:begin -->";
const SERVE_END: &str = "<!-- serve-bench:end -->";
const TCP_BEGIN: &str = "<!-- tcp-bench:begin -->";
const TCP_END: &str = "<!-- tcp-bench:end -->";
/// The groups the benches define, in the order the report shows them first; any other group
/// found (benches/parse.rs writes one per /proc file) follows.
const GROUPS: &[&str] = &["fd_count", "collect", "scan"];
/// The floor of each row: the syscalls its result cannot avoid. (group, function, floor)
const FLOORS: &[(&str, &str, &str)] = &[
    ("fd_count", "bare_fstat", "bare_fstat"),
    ("fd_count", "procfast_auto", "bare_fstat"),
    // procfs 0.18's fd_count is a stat of "fd" by path when st_size > 0, not a walk.
    ("fd_count", "procfs_fd_count", "bare_fstat"),
    ("fd_count", "raw_getdents64", "raw_getdents64"),
    ("fd_count", "procfast_walk", "raw_getdents64"),
    ("fd_count", "std_read_dir", "raw_getdents64"),
    ("scan", "floor_cold", "floor_cold"),
    ("scan", "procfast_cold", "floor_cold"),
    ("scan", "procfs_crate", "floor_cold"),
    ("scan", "floor_held", "floor_held"),
    ("scan", "procfast_kept", "floor_held"),
];
/// What the plot's legend says after a method's name.
const LEGEND_NOTES: &[(&str, &str)] = &[
    ("bare_fstat", " (floor: one fstat)"),
    ("raw_getdents64", " (floor: getdents64 loop)"),
    ("procfs_fd_count", " (stat by path, walk if 0)"),
];
/// What a group's param means, for its column header.
const PARAM_NAMES: &[(&str, &str)] = &[("fd_count", "open fds")];
/// Extra processes running during the scan measurement, as in `benches/scan.rs`.
const SCAN_HELPERS: usize = 200;
/// Where the plot's extrapolation ends.
const MILLION: f64 = 1_000_000.0;

// ---------------------------------------------------------------------------------------------
// A counting global allocator: allocations, bytes allocated, live bytes and their peak.

struct CountingAlloc;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ALLOCATED: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);

fn grown(bytes: u64) {
    let live = LIVE.fetch_add(bytes, Relaxed) + bytes;
    PEAK.fetch_max(live, Relaxed);
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counters are atomics
// and only updated when the system allocator succeeded.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc(layout);
        if !ptr.is_null() {
            ALLOCATIONS.fetch_add(1, Relaxed);
            ALLOCATED.fetch_add(layout.size() as u64, Relaxed);
            grown(layout.size() as u64);
        }
        ptr
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size() as u64, Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = System.realloc(ptr, layout, new_size);
        if !new.is_null() {
            ALLOCATIONS.fetch_add(1, Relaxed);
            ALLOCATED.fetch_add(new_size as u64, Relaxed);
            match new_size.checked_sub(layout.size()) {
                Some(more) => grown(more as u64),
                None => _ = LIVE.fetch_sub((layout.size() - new_size) as u64, Relaxed),
            }
        }
        new
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// What one call allocated.
struct Allocs {
    calls: u64,
    bytes: u64,
    /// The most bytes live at once during the call, above what was live before it.
    peak: u64,
    time: Duration,
}

/// Runs `f` once, counting its allocations. Only the main thread runs while it measures.
fn count_allocs<T>(f: impl FnOnce() -> T) -> (T, Allocs) {
    let (calls, bytes, live) = (
        ALLOCATIONS.load(Relaxed),
        ALLOCATED.load(Relaxed),
        LIVE.load(Relaxed),
    );
    PEAK.store(live, Relaxed);
    let started = Instant::now();
    let out = black_box(f());
    let time = started.elapsed();
    let allocs = Allocs {
        calls: ALLOCATIONS.load(Relaxed) - calls,
        bytes: ALLOCATED.load(Relaxed) - bytes,
        peak: PEAK.load(Relaxed).saturating_sub(live),
        time,
    };
    (out, allocs)
}

// ---------------------------------------------------------------------------------------------
// Criterion's results.

/// One benchmark's median, as criterion saved it.
#[derive(Clone)]
struct Bench {
    group: String,
    function: String,
    param: Option<String>,
    median_ns: f64,
}

/// The workspace's root, where the README, the plot and `target/` live.
fn workspace_root() -> &'static Path {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask)
}

fn criterion_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("criterion")
}

/// Every `new/estimates.json` below `dir`, with the time it was written.
fn read_benches(root: &Path, dir: &Path, out: &mut Vec<Bench>, newest: &mut Option<SystemTime>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if !path.is_dir() || name == "report" || name == "base" || name == "change" {
            continue;
        }
        if name != "new" {
            read_benches(root, &path, out, newest);
            continue;
        }
        let estimates = path.join("estimates.json");
        let Some(median_ns) = read_json(&estimates)
            .and_then(|v| v.pointer("/median/point_estimate").and_then(Value::as_f64))
        else {
            eprintln!("bench_report: no median in {}", estimates.display());
            continue;
        };
        if let Ok(modified) = std::fs::metadata(&estimates).and_then(|m| m.modified()) {
            *newest = (*newest).max(Some(modified));
        }
        // benchmark.json has the names as the bench spelled them ("stat/procfast", not the
        // directory's "stat_procfast"); the directory path is the fallback.
        let id = read_json(&path.join("benchmark.json"));
        let field = |key: &str| {
            id.as_ref()
                .and_then(|v| v.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let dirs: Vec<String> = path
            .parent()
            .and_then(|p| p.strip_prefix(root).ok())
            .map(|p| p.iter().map(|c| c.to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        let (Some(group), Some(function)) = (
            field("group_id").or_else(|| dirs.first().cloned()),
            field("function_id").or_else(|| dirs.get(1).cloned()),
        ) else {
            continue;
        };
        let param = if id.is_some() {
            field("value_str")
        } else {
            dirs.get(2).cloned()
        };
        out.push(Bench {
            group,
            function,
            param,
            median_ns,
        });
    }
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// The part of a function's name before its last '/': "stat" for "stat/procfast", "" for
/// "procfast_walk". Rows are compared with references of the same prefix.
fn prefix(function: &str) -> &str {
    function.rsplit_once('/').map_or("", |(p, _)| p)
}

fn last_segment(function: &str) -> &str {
    function.rsplit_once('/').map_or(function, |(_, s)| s)
}

/// A reference column: its header, and which function of the group (if any) a row is compared
/// with.
struct Column {
    header: &'static str,
    pick: fn(&str, &str, &[String]) -> Option<String>,
}

const COLUMNS: &[Column] = &[
    Column {
        header: "÷ floor",
        pick: |group, function, _| {
            FLOORS
                .iter()
                .find(|(g, f, _)| *g == group && *f == function)
                .map(|(_, _, floor)| floor.to_string())
        },
    },
    Column {
        header: "÷ `std_read_dir`",
        pick: |_, function, all| reference(function, all, |s| s == "std_read_dir"),
    },
    Column {
        header: "÷ `procfs`",
        pick: |_, function, all| reference(function, all, |s| s.starts_with("procfs")),
    },
];

/// The function among `all` with the same prefix as `function` whose last segment matches.
fn reference(function: &str, all: &[String], matches: fn(&str) -> bool) -> Option<String> {
    all.iter()
        .find(|f| prefix(f) == prefix(function) && matches(last_segment(f)))
        .cloned()
}

/// Sorts params numerically where they are numbers.
fn param_key(param: &Option<String>) -> (f64, String) {
    let text = param.clone().unwrap_or_default();
    (text.parse().unwrap_or(f64::INFINITY), text)
}

fn median(benches: &[Bench], function: &str, param: &Option<String>) -> Option<f64> {
    benches
        .iter()
        .find(|b| b.function == function && &b.param == param)
        .map(|b| b.median_ns)
}

/// One markdown table for a group: a row per (param, function), fastest first within each file
/// prefix, with a column per reference the group has.
fn group_table(group: &str, benches: &[Bench]) -> String {
    let mut params: Vec<Option<String>> = benches.iter().map(|b| b.param.clone()).collect();
    params.sort_by(|a, b| {
        let (a, b) = (param_key(a), param_key(b));
        a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
    });
    params.dedup();
    let mut functions: Vec<String> = benches.iter().map(|b| b.function.clone()).collect();
    functions.sort();
    functions.dedup();
    let last = params.last().cloned().flatten();
    let at_last = |f: &String| median(benches, f, &last).unwrap_or(f64::INFINITY);
    functions.sort_by(|a, b| {
        prefix(a)
            .cmp(prefix(b))
            .then(at_last(a).total_cmp(&at_last(b)))
    });
    let columns: Vec<&Column> = COLUMNS
        .iter()
        .filter(|c| {
            functions
                .iter()
                .any(|f| (c.pick)(group, f, &functions).is_some())
        })
        .collect();

    let has_params = params.iter().any(Option::is_some);
    let param_name = PARAM_NAMES
        .iter()
        .find(|(g, _)| *g == group)
        .map_or("param", |(_, name)| name);
    let mut md = String::new();
    let mut header = vec![];
    if has_params {
        header.push(param_name.to_string());
    }
    header.extend(["function".to_string(), "median".to_string()]);
    header.extend(columns.iter().map(|c| c.header.to_string()));
    let _ = writeln!(md, "| {} |", header.join(" | "));
    let aligns: Vec<&str> = header
        .iter()
        .enumerate()
        .map(|(i, _)| {
            if i == usize::from(has_params) {
                "---"
            } else {
                "---:"
            }
        })
        .collect();
    let _ = writeln!(md, "|{}|", aligns.join("|"));
    for param in &params {
        for function in &functions {
            let Some(ns) = median(benches, function, param) else {
                continue;
            };
            let mut cells = vec![];
            if has_params {
                cells.push(param.as_deref().map_or(String::new(), fmt_param));
            }
            cells.push(format!("`{function}`"));
            cells.push(fmt_ns(ns));
            for column in &columns {
                let ratio = (column.pick)(group, function, &functions)
                    .and_then(|r| median(benches, &r, param))
                    .map_or("–".to_string(), |r| fmt_ratio(ns / r));
                cells.push(ratio);
            }
            let _ = writeln!(md, "| {} |", cells.join(" | "));
        }
    }
    md
}

// ---------------------------------------------------------------------------------------------
// Formatting.

/// Three significant digits in the largest unit that keeps the value ≥ 1.
fn fmt_ns(ns: f64) -> String {
    let (value, unit) = match ns {
        ns if ns >= 1e9 => (ns / 1e9, "s"),
        ns if ns >= 1e6 => (ns / 1e6, "ms"),
        ns if ns >= 1e3 => (ns / 1e3, "µs"),
        ns => (ns, "ns"),
    };
    format!("{} {unit}", sig3(value))
}

fn sig3(value: f64) -> String {
    match value {
        v if v >= 100.0 => format!("{v:.0}"),
        v if v >= 10.0 => format!("{v:.1}"),
        v => format!("{v:.2}"),
    }
}

/// A ratio to about two significant digits; below 0.1 as a fraction, "1/23,000".
fn fmt_ratio(r: f64) -> String {
    match r {
        r if r >= 10.0 => format!("{}×", group_digits(round_sig2(r))),
        r if r >= 1.0 => format!("{r:.1}×"),
        r if r >= 0.1 => format!("{r:.2}×"),
        r if r > 0.0 => format!("1/{}", group_digits(round_sig2(1.0 / r))),
        _ => "–".to_string(),
    }
}

/// `n` rounded to two significant digits: 11,023 → 11,000.
fn round_sig2(n: f64) -> u64 {
    let scale = 10f64.powi((n.log10().floor() as i32 - 1).max(0));
    ((n / scale).round() * scale) as u64
}

fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn fmt_param(param: &str) -> String {
    param.parse::<u64>().map_or(param.to_string(), group_digits)
}

fn fmt_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{} MiB", sig3(b as f64 / (1 << 20) as f64)),
        b if b >= 1 << 10 => format!("{} KiB", sig3(b as f64 / 1024.0)),
        b => format!("{b} B"),
    }
}

/// Axis labels for times at powers of ten: "100 ns", "1 µs", "10 ms".
fn fmt_tick(ns: f64) -> String {
    fmt_ns(ns).replace(".00 ", " ").replace(".0 ", " ")
}

/// Axis labels: 10, 100, 1k, 10k, 100k, 1M.
fn fmt_count(n: f64) -> String {
    match n {
        n if n >= 1e6 => format!("{}M", n / 1e6),
        n if n >= 1e3 => format!("{}k", n / 1e3),
        n => format!("{n}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The machine.

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or("unknown".into(), |s| s.trim().to_string());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or("rustc (unknown version)".into(), |s| s.trim().to_string());
    let nofile = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .maximum
        .map_or("unlimited".into(), group_digits);
    format!("{cpu}, {cores} cores · Linux {kernel} · {rustc} · RLIMIT_NOFILE hard limit {nofile}")
}

/// `YYYY-MM-DD` (UTC) of a point in time.
fn date(t: SystemTime) -> String {
    jiff::Timestamp::try_from(t).map_or_else(|_| "?".into(), |t| t.strftime("%Y-%m-%d").to_string())
}

// ---------------------------------------------------------------------------------------------
// Lines: the fd_count group's medians against fds, and their linear extrapolation.

struct Line {
    name: String,
    points: Vec<(f64, f64)>,
    /// Least-squares slope, ns per fd, never below 0 (a constant-time method's noise).
    slope: f64,
}

impl Line {
    /// The time at `n` fds, extrapolated from the last measured point along the slope.
    fn at(&self, n: f64) -> f64 {
        let &(last_n, last_t) = self.points.last().unwrap();
        last_t + self.slope * (n - last_n)
    }
}

fn lines(benches: &[Bench]) -> Vec<Line> {
    let mut names: Vec<&str> = benches.iter().map(|b| b.function.as_str()).collect();
    names.sort();
    names.dedup();
    let mut lines: Vec<Line> = names
        .into_iter()
        .filter_map(|name| {
            let mut points: Vec<(f64, f64)> = benches
                .iter()
                .filter(|b| b.function == name && b.median_ns > 0.0)
                .filter_map(|b| Some((b.param.as_deref()?.parse().ok()?, b.median_ns)))
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            (points.len() >= 2).then(|| Line {
                name: name.to_string(),
                slope: least_squares_slope(&points).max(0.0),
                points,
            })
        })
        .collect();
    // Slowest at 1,000,000 first: the legend then reads top to bottom like the lines.
    lines.sort_by(|a, b| b.at(MILLION).total_cmp(&a.at(MILLION)));
    lines
}

fn least_squares_slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    if sxx > 0.0 {
        sxy / sxx
    } else {
        0.0
    }
}

const COLORS: [RGBColor; 8] = [
    RGBColor(214, 39, 40),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(23, 190, 207),
    RGBColor(140, 86, 75),
    RGBColor(127, 127, 127),
];

fn plot(path: &Path, lines: &[Line], limit: Option<f64>) -> Result<(), Box<dyn std::error::Error>> {
    let lowest = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(f64::INFINITY, f64::min);
    let highest = lines.iter().map(|l| l.at(MILLION)).fold(0.0, f64::max);
    let (low, high) = (lowest.log10().floor(), highest.log10().ceil());
    let y_range = 10f64.powf(low)..10f64.powf(high.max(low + 1.0));

    let root = SVGBackend::new(path, (960, 640)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Counting one process's open fds: time per count",
            ("sans-serif", 22),
        )
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size(85)
        .build_cartesian_2d((7f64..1.5e6).log_scale(), y_range.clone().log_scale())?;
    chart
        .configure_mesh()
        .x_desc("open fds in the counted process (log scale)")
        .y_desc("median time per count (log scale)")
        .x_label_formatter(&|x| fmt_count(*x))
        .y_label_formatter(&|y| fmt_tick(*y))
        .axis_desc_style(("sans-serif", 16))
        .label_style(("sans-serif", 14))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;

    if let Some(limit) = limit {
        let gray = BLACK.mix(0.35);
        chart.draw_series(DashedLineSeries::new(
            [(limit, y_range.start), (limit, y_range.end)],
            3,
            3,
            gray.stroke_width(1),
        ))?;
        let font = ("sans-serif", 13).into_font().color(&gray);
        let y = y_range.start * 1.5;
        chart.draw_series([
            Text::new(
                "measured ←".to_string(),
                (limit / 1.08, y),
                font.pos(Pos::new(HPos::Right, VPos::Center)),
            ),
            Text::new(
                format!(
                    "→ extrapolated (RLIMIT_NOFILE hard limit: {})",
                    fmt_count(limit)
                ),
                (limit * 1.08, y),
                font.pos(Pos::new(HPos::Left, VPos::Center)),
            ),
        ])?;
    }
    for (line, color) in lines.iter().zip(COLORS.iter().cycle()) {
        let style = color.stroke_width(2);
        chart
            .draw_series(LineSeries::new(line.points.iter().copied(), style).point_size(3))?
            .label(format!(
                "{}{}",
                line.name,
                LEGEND_NOTES
                    .iter()
                    .find(|(name, _)| *name == line.name)
                    .map_or("", |(_, note)| note)
            ))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], style));
        let last = *line.points.last().unwrap();
        chart.draw_series(DashedLineSeries::new(
            [last, (MILLION, line.at(MILLION))],
            6,
            5,
            style,
        ))?;
    }
    chart
        .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
        .label("dashed: linear extrapolation to 1M fds")
        .legend(|(x, y)| {
            DashedPathElement::new([(x, y), (x + 24, y)], 5, 4, BLACK.stroke_width(2))
        });
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.5))
        .draw()?;
    root.present()?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Allocations per call.

/// Row of the allocation table: method, fds, what one call did, and the matching criterion row.
struct AllocRow {
    method: &'static str,
    bench: Option<&'static str>,
    fds: usize,
    counted: Result<u64, String>,
    allocs: Allocs,
}

fn measure_fd_counts() -> Vec<AllocRow> {
    let mut rows = vec![];
    for n in common::fd_count_sizes() {
        let helper = common::Helper::holding_fds(n);
        let pid = helper.pid;
        let path = format!("/proc/{pid}/fd");
        let mut proc = match Proc::open(pid) {
            Ok(proc) => proc,
            Err(e) => {
                eprintln!("bench_report: cannot open process {pid}: {e}");
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

/// Runs `rounds` rounds of `count` contenders, each round in a rotated order so that drift in the
/// machine's speed falls on all alike. `run(k)` runs contender `k` and says how many calls it
/// made; the result holds, per contender, the nanoseconds per call of each round.
fn rotated_rounds(
    rounds: usize,
    count: usize,
    mut run: impl FnMut(usize) -> usize,
) -> Vec<Vec<f64>> {
    let mut times = vec![Vec::with_capacity(rounds); count];
    for round in 0..rounds {
        for k in 0..count {
            let which = (round + k) % count;
            let started = Instant::now();
            let calls = run(which);
            times[which].push(started.elapsed().as_nanos() as f64 / calls.max(1) as f64);
        }
    }
    times
}

/// The median of `values` (the upper one of an even count); 0 if there are none.
fn median_of(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(0.0)
}

/// The three walks compared in the same moments: each round runs procfast's walk, a raw
/// `getdents64` loop and `read_dir(..).count()` once each, in rotating order, so that the kernel's
/// run-to-run drift (±20% at 10,000+ fds here) falls on all three alike; medians of the rounds.
fn paired_walk_table() -> String {
    const ROUNDS: usize = 41;
    let mut md = String::from(
        "Walks compared in the same moments (each round runs the three once, in rotating order; \
         medians of 41 rounds), since a walk's cost drifts by ±20% between criterion runs:\n\n\
         | open fds | procfast walk | raw `getdents64` | `read_dir(..).count()` | walk ÷ raw | \
         `read_dir` ÷ walk |\n|---:|---:|---:|---:|---:|---:|\n",
    );
    for n in common::fd_count_sizes().into_iter().filter(|&n| n >= 100) {
        let helper = common::Helper::holding_fds(n);
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
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} |",
            group_digits(n as u64),
            fmt_ns(walk_ns),
            fmt_ns(raw_ns),
            fmt_ns(read_dir_ns),
            fmt_ratio(walk_ns / raw_ns),
            fmt_ratio(read_dir_ns / walk_ns)
        );
    }
    md
}

/// What checking opens below /proc costs (issue 10), timed in the same moments: per round, each
/// contender runs `CALLS` times on a live helper's entries, in rotating order; medians of the
/// rounds. The pairs are the old syscall and the new one: `openat` against `openat2` with
/// `RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH` (the pid directory of
/// `Proc::open`, the `stat` a cold scan reads), and `fstatat` against `statx` with the mount id
/// (the `fd` count of a cold scan).
fn paired_open_table() -> String {
    use rustix::fs::{AtFlags, Mode, OFlags, ResolveFlags, StatxFlags};
    const ROUNDS: usize = 41;
    const CALLS: usize = 200;
    let helper = common::Helper::holding_fds(10);
    let Ok(root) = rustix::fs::open("/proc", OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty())
    else {
        return "(no /proc)\n".to_string();
    };
    let path = |suffix: &str| std::ffi::CString::new(format!("{}{suffix}", helper.pid)).ok();
    let (Some(pid_dir), Some(stat), Some(fd_dir)) = (path(""), path("/stat"), path("/fd")) else {
        return "(bad path)\n".to_string();
    };
    let resolve = ResolveFlags::NO_XDEV | ResolveFlags::NO_MAGICLINKS | ResolveFlags::BENEATH;
    let dir_flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
    let file_flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
    let (mut buf, mut buf2) = ([0u8; 4096], [0u8; 4096]);
    type Contender<'a> = (&'static str, Box<dyn FnMut() -> bool + 'a>);
    let contenders: [Contender; 7] = [
        (
            "`openat` pid dir + close",
            Box::new(|| rustix::fs::openat(&root, &pid_dir, dir_flags, Mode::empty()).is_ok()),
        ),
        (
            "`openat2` pid dir + close",
            Box::new(|| {
                rustix::fs::openat2(&root, &pid_dir, dir_flags, Mode::empty(), resolve).is_ok()
            }),
        ),
        (
            "`Proc::open` (openat2, the handle)",
            Box::new(|| Proc::open(helper.pid).is_ok()),
        ),
        (
            "`openat` + read + close of `stat`",
            Box::new(|| {
                let fd = rustix::fs::openat(&root, &stat, file_flags, Mode::empty());
                fd.is_ok_and(|fd| rustix::io::read(&fd, &mut buf).is_ok_and(|n| n > 0))
            }),
        ),
        (
            "`openat2` + read + close of `stat`",
            Box::new(|| {
                let fd = rustix::fs::openat2(&root, &stat, file_flags, Mode::empty(), resolve);
                fd.is_ok_and(|fd| rustix::io::read(&fd, &mut buf2).is_ok_and(|n| n > 0))
            }),
        ),
        (
            "`fstatat` of `fd`",
            Box::new(|| {
                rustix::fs::statat(&root, &fd_dir, AtFlags::empty())
                    .is_ok_and(|st| st.st_size == 10)
            }),
        ),
        (
            "`statx` of `fd` with the mount id",
            Box::new(|| {
                let mask = StatxFlags::SIZE | StatxFlags::MNT_ID;
                let st = rustix::fs::statx(&root, &fd_dir, AtFlags::SYMLINK_NOFOLLOW, mask);
                st.is_ok_and(|st| st.stx_size == 10 && st.stx_mnt_id != 0)
            }),
        ),
    ];
    let mut contenders = contenders;
    let times = rotated_rounds(ROUNDS, contenders.len(), |which| {
        for _ in 0..CALLS {
            assert!((contenders[which].1)(), "{} failed", contenders[which].0);
        }
        CALLS
    });
    let mut md = format!(
        "Opens below /proc with and without the mount checks, in the same moments (each round \
         runs every contender {CALLS} times, in rotating order; medians of {ROUNDS} rounds):\n\n\
         | operation | median | ÷ the unchecked one |\n|---|---:|---:|\n"
    );
    let medians: Vec<f64> = times.iter().map(|t| median_of(t)).collect();
    for (k, (name, _)) in contenders.iter().enumerate() {
        let reference = match k {
            1 | 2 => Some(medians[0]),
            4 => Some(medians[3]),
            6 => Some(medians[5]),
            _ => None,
        };
        let ratio = reference.map_or("–".to_string(), |r| format!("{:.2}×", medians[k] / r));
        let _ = writeln!(md, "| {name} | {} | {ratio} |", fmt_ns(medians[k]));
    }
    md
}

/// A contender in [`paired_parse_table`]: runs its parser `n` times on its fixture.
type Batch = Box<dyn FnMut(usize)>;

/// A [`Batch`] of `parse`, asserting each result and keeping one value of it, so that nothing
/// fails silently or is optimised away.
fn batch<T, E>(parse: impl Fn() -> Result<T, E> + 'static) -> Batch {
    Box::new(move |n| {
        for _ in 0..n {
            let parsed = parse();
            assert!(parsed.is_ok(), "a fixture failed to parse");
            black_box(parsed.ok());
        }
    })
}

/// The parsers whose speed the issues set against procfs-core, compared in the same moments.
///
/// This machine (a VM) runs for seconds at a time at one of two speeds, and criterion measures
/// one function at a time, so the ratio of two criterion medians can pair one speed with the
/// other (procfs-core's `stat` samples fall in two clusters here, about 0.7 and 1.35 µs). Each
/// round here times a batch of every contender, in rotating order, and a ratio is the median
/// over rounds of that round's ratio.
fn paired_parse_table() -> String {
    use procfast::parse;
    use procfs::FromRead;
    const ROUNDS: usize = 101;
    const STAT: &[u8] = include_bytes!("../../tests/fixtures/stat");
    const STAT_PID1: &[u8] = include_bytes!("../../tests/fixtures/stat_pid1");
    const STATUS: &[u8] = include_bytes!("../../tests/fixtures/status");
    const LIMITS: &[u8] = include_bytes!("../../tests/fixtures/limits");
    const MEMINFO: &[u8] = include_bytes!("../../tests/fixtures/meminfo");
    let stat = |fixture: &'static [u8]| -> Vec<(&'static str, Batch)> {
        let parsed = move || parse::stat::parse(black_box(fixture));
        vec![
            (
                "`stat`: parse (every field checked)",
                batch(move || parsed().map(|st| st.rss())),
            ),
            (
                "`stat`: parse + the 7 fields an exporter reads",
                batch(move || parsed().map(|st| stat_fields::exporter_fields(&st))),
            ),
            (
                "`stat`: parse + all 49 numbers",
                batch(move || parsed().map(|st| stat_fields::all_fields(&st))),
            ),
            (
                "procfs-core",
                batch(move || {
                    procfs::process::Stat::from_read(black_box(fixture)).map(|st| st.rss)
                }),
            ),
        ]
    };
    let mut sets: Vec<(&str, Vec<(&'static str, Batch)>)> = vec![
        ("`stat` (bash, 333 B)", stat(STAT)),
        ("`stat` (pid 1, 184 B)", stat(STAT_PID1)),
        (
            "`status`",
            vec![
                (
                    "`status`",
                    batch(|| parse::status::parse(black_box(STATUS)).map(|s| s.vm_rss_bytes())),
                ),
                (
                    "procfs-core",
                    batch(|| {
                        procfs::process::Status::from_read(black_box(STATUS)).map(|s| s.vmrss)
                    }),
                ),
            ],
        ),
        (
            "`limits`",
            vec![
                (
                    "`limits`",
                    batch(|| {
                        parse::limits::parse(black_box(LIMITS)).map(|l| l.max_open_files().soft)
                    }),
                ),
                (
                    "procfs-core",
                    batch(|| {
                        procfs::process::Limits::from_read(black_box(LIMITS))
                            .map(|l| l.max_open_files.soft_limit)
                    }),
                ),
            ],
        ),
        (
            "`meminfo`",
            vec![
                (
                    "`meminfo`",
                    batch(|| {
                        parse::meminfo::parse(black_box(MEMINFO)).map(|m| m.mem_total_bytes())
                    }),
                ),
                (
                    "procfs-core",
                    batch(|| procfs::Meminfo::from_read(black_box(MEMINFO)).map(|m| m.mem_total)),
                ),
            ],
        ),
    ];
    sets.extend(pairs_proc::sets());
    sets.extend(pairs_host::sets());
    let mut md = format!(
        "Parsers against procfs-core in the same moments (each round times a batch of every \
         contender in rotating order; medians of {ROUNDS} rounds, and the median of each round's \
         ratio), since this machine switches between two speeds for seconds at a time and a \
         ratio of two criterion medians can pair one with the other:\n\n\
         | file | procfast | median | procfs-core | procfs-core ÷ procfast |\n\
         |---|---|---:|---:|---:|\n"
    );
    for (file, mut contenders) in sets {
        // Calibrate: a batch of each contender takes about 200 µs.
        let batches: Vec<usize> = contenders
            .iter_mut()
            .map(|(_, run)| {
                let started = Instant::now();
                run(100);
                let per_call = started.elapsed().as_secs_f64() / 100.0;
                ((200e-6 / per_call) as usize).clamp(1, 100_000)
            })
            .collect();
        let count = contenders.len();
        let times = rotated_rounds(ROUNDS, count, |which| {
            contenders[which].1(batches[which]);
            batches[which]
        });
        let reference = &times[count - 1];
        for (k, (name, _)) in contenders.iter().enumerate().take(count - 1) {
            let ratios: Vec<f64> = reference
                .iter()
                .zip(&times[k])
                .map(|(r, t)| r / t)
                .collect();
            let _ = writeln!(
                md,
                "| {file} | {name} | {} | {} | {:.1}× |",
                fmt_ns(median_of(&times[k])),
                fmt_ns(median_of(reference)),
                median_of(&ratios)
            );
        }
    }
    md
}

/// One scan by procfast (after a warm-up scan) and by the procfs crate, with the allocations of
/// each; the process count each saw.
fn measure_scans() -> Vec<(&'static str, &'static str, Result<u64, String>, Allocs)> {
    let helpers: Vec<_> = (0..SCAN_HELPERS)
        .map(|_| common::Helper::holding_fds(4))
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
        Err(e) => eprintln!("bench_report: Scanner::new: {e}"),
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

fn alloc_table(rows: &[AllocRow], benches: &[Bench]) -> String {
    let mut md = String::from(
        "| open fds | method | median (criterion) | this call | allocations | bytes allocated \
         | peak live |\n|---:|---|---:|---:|---:|---:|---:|\n",
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
        let _ = writeln!(
            md,
            "| {} | {method} | {median} | {} | {} | {} | {} |",
            group_digits(row.fds as u64),
            fmt_ns(row.allocs.time.as_nanos() as f64),
            group_digits(row.allocs.calls),
            fmt_bytes(row.allocs.bytes),
            fmt_bytes(row.allocs.peak),
        );
    }
    md
}

fn scan_table(
    rows: &[(&'static str, &'static str, Result<u64, String>, Allocs)],
    benches: &[Bench],
) -> String {
    let mut md = String::from(
        "| scan | median (criterion) | this call | processes | allocations | per process \
         | bytes allocated | peak live |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
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
        let _ = writeln!(
            md,
            "| {method} | {median} | {} | {seen} | {} | {per} | {} | {} |",
            fmt_ns(allocs.time.as_nanos() as f64),
            group_digits(allocs.calls),
            fmt_bytes(allocs.bytes),
            fmt_bytes(allocs.peak),
        );
    }
    md
}

// ---------------------------------------------------------------------------------------------
// What it means for an exporter.

fn exporter_paragraph(lines: &[Line], allocs: &[AllocRow]) -> String {
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

// ---------------------------------------------------------------------------------------------

/// A version `a.b[.c]` as numbers, for comparing `rust-version`s.
fn version_key(version: &str) -> Vec<u64> {
    version.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// Prints the `rust-version` of every normal dependency of `root`, transitively, and returns how
/// many declare a newer one than `root` does.
/// The normal dependencies reached from `start` (transitively), not through `skip`.
fn reached(
    start: &str,
    nodes: &[Value],
    packages: &[Value],
    skip: &[&str],
) -> std::collections::BTreeSet<String> {
    let name_of = |id: &str| {
        packages
            .iter()
            .find(|p| p["id"] == id)
            .and_then(|p| p["name"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    let mut todo = vec![start.to_string()];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(id) = todo.pop() {
        let Some(node) = nodes.iter().find(|n| n["id"] == id.as_str()) else {
            continue;
        };
        for dep in node["deps"].as_array().into_iter().flatten() {
            let normal = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k["kind"].is_null());
            let dep_id = dep["pkg"].as_str().unwrap_or_default().to_string();
            if normal && !skip.contains(&name_of(&dep_id).as_str()) && seen.insert(dep_id.clone()) {
                todo.push(dep_id);
            }
        }
    }
    seen
}

/// Checks the `rust-version` of every normal dependency of `root` against its own. An optional
/// dependency named in `[package.metadata.msrv-by-feature]` (feature → Rust version) is held,
/// with what only it brings in, to that version instead: the feature's documented MSRV.
fn check_rust_versions(root: &Value, packages: &[Value], nodes: &[Value]) -> usize {
    let package = |id: &str| packages.iter().find(|p| p["id"] == id);
    let ours = root["rust_version"].as_str().unwrap_or("0").to_string();
    let by_feature: Vec<(String, String)> = root["metadata"]["msrv-by-feature"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(dep, v)| (dep.clone(), v.as_str().unwrap_or("0").to_string()))
        .collect();
    let skip: Vec<&str> = by_feature.iter().map(|(d, _)| d.as_str()).collect();
    let root_id = root["id"].as_str().unwrap_or_default();
    let always = reached(root_id, nodes, packages, &skip);
    let mut checks: Vec<(String, String, String)> = always
        .iter()
        .map(|id| (id.clone(), ours.clone(), String::new()))
        .collect();
    for (dep, version) in &by_feature {
        let Some(dep_id) = packages
            .iter()
            .find(|p| p["name"] == dep.as_str())
            .and_then(|p| p["id"].as_str())
        else {
            continue;
        };
        let mut only = reached(dep_id, nodes, packages, &[]);
        only.insert(dep_id.to_string());
        for id in only.into_iter().filter(|id| !always.contains(id)) {
            checks.push((id, version.clone(), format!(" (feature {dep}: {version})")));
        }
    }
    let mut too_new = 0;
    println!(
        "{}'s rust-version: {ours}",
        root["name"].as_str().unwrap_or("?")
    );
    for (id, allowed, why) in &checks {
        let Some(p) = package(id) else { continue };
        let (name, version) = (&p["name"], &p["version"]);
        let theirs = p["rust_version"].as_str();
        let verdict = match theirs {
            Some(v) if version_key(v) > version_key(allowed) => {
                too_new += 1;
                "NEWER"
            }
            Some(_) => "ok",
            None => "ok (none declared)",
        };
        println!(
            "  {} {}: {} {verdict}{why}",
            name.as_str().unwrap_or("?"),
            version.as_str().unwrap_or("?"),
            theirs.unwrap_or("-")
        );
    }
    too_new
}

/// `cargo xtask msrv`: the library's and the command's normal dependencies (every feature on, transitively) must
/// not declare a `rust-version` newer than the library's own. One stable toolchain is installed
/// here, so this and clippy's `incompatible_msrv` (std APIs) are what checks the MSRV; language
/// features newer than it would still need an old toolchain to catch.
fn msrv() -> ExitCode {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--all-features",
            "--locked",
        ])
        .current_dir(workspace_root())
        .output();
    let metadata: Option<Value> = output
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| serde_json::from_slice(&o.stdout).ok());
    let Some(metadata) = metadata else {
        eprintln!("msrv: cargo metadata failed");
        return ExitCode::FAILURE;
    };
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    let nodes = metadata["resolve"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut too_new = 0;
    for name in ["procfast", "procfast-cli"] {
        let Some(root) = packages.iter().find(|p| p["name"] == name) else {
            eprintln!("msrv: no package {name}");
            return ExitCode::FAILURE;
        };
        too_new += check_rust_versions(root, &packages, &nodes);
    }
    if too_new > 0 {
        eprintln!("msrv: {too_new} dependencies need a newer Rust than their dependent declares");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    // This binary re-executed as a helper process holding fds (see tests/common).
    if common::in_helper() {
        common::helper_main();
        return ExitCode::SUCCESS;
    }
    match std::env::args().nth(1).as_deref() {
        Some("bench-report") => {}
        Some("paired-opens") => {
            print!("{}", paired_open_table());
            return ExitCode::SUCCESS;
        }
        Some("msrv") => return msrv(),
        Some("serve-bench") => {
            let root = workspace_root();
            return match serve_bench::run(root) {
                Ok(md) => {
                    print!("{md}");
                    match write_section(&root.join("README.md"), SERVE_BEGIN, SERVE_END, &md) {
                        Ok(()) => ExitCode::SUCCESS,
                        Err(e) => {
                            eprintln!("serve-bench: {e}");
                            ExitCode::FAILURE
                        }
                    }
                }
                Err(e) => {
                    eprintln!("serve-bench: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        Some("tcp-bench") => {
            let root = workspace_root();
            return match tcp_bench::run() {
                Ok(md) => {
                    print!("{md}");
                    match write_section(&root.join("README.md"), TCP_BEGIN, TCP_END, &md) {
                        Ok(()) => ExitCode::SUCCESS,
                        Err(e) => {
                            eprintln!("tcp-bench: {e}");
                            ExitCode::FAILURE
                        }
                    }
                }
                Err(e) => {
                    eprintln!("tcp-bench: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        _ => {
            eprintln!(
                "usage: cargo xtask bench-report | paired-opens | msrv | serve-bench | tcp-bench"
            );
            return ExitCode::from(2);
        }
    }
    let dir = criterion_dir();
    let mut benches = vec![];
    let mut newest = None;
    read_benches(&dir, &dir, &mut benches, &mut newest);
    if benches.is_empty() {
        eprintln!(
            "bench_report: no criterion results under {}.\nRun `cargo bench` first (or \
             `cargo bench --bench fd_count` and `cargo bench --bench scan`), then \
             `cargo xtask bench-report`. Nothing was changed.",
            dir.display()
        );
        return ExitCode::FAILURE;
    }
    let mut groups: Vec<String> = benches.iter().map(|b| b.group.clone()).collect();
    groups.sort_by_key(|g| {
        (
            GROUPS.iter().position(|k| k == g).unwrap_or(usize::MAX),
            g.clone(),
        )
    });
    groups.dedup();

    let root = workspace_root();
    let mut md = String::new();
    let _ = writeln!(
        md,
        "_Generated by `cargo xtask bench-report` from `cargo bench` results \
         of {}; do not edit by hand._\n\n**Machine:** {}.\n",
        newest.map_or("unknown date".into(), date),
        machine()
    );
    let _ = writeln!(
        md,
        "Medians of criterion's samples. A ratio is this row's median ÷ the reference row's \
         median at the same parameter (below 1: faster than the reference). Floors: \
         `bare_fstat` for counts, `raw_getdents64` for walks, `floor_cold`/`floor_held` for \
         scans.\n"
    );

    for group in &groups {
        let in_group: Vec<Bench> = benches
            .iter()
            .filter(|b| &b.group == group)
            .cloned()
            .collect();
        let _ = writeln!(md, "### `{group}`\n\n{}", group_table(group, &in_group));
        if group == "fd_count" {
            let fd_lines = lines(&in_group);
            let fd_rows = measure_fd_counts();
            let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
                .maximum
                .map(|m| m as f64);
            if fd_lines.is_empty() {
                md.push_str("_Too few fd counts measured to plot._\n\n");
            } else if let Err(e) = plot(&root.join("fd_count.svg"), &fd_lines, limit) {
                eprintln!("bench_report: drawing fd_count.svg: {e}");
            } else {
                eprintln!(
                    "bench_report: wrote {}",
                    root.join("fd_count.svg").display()
                );
                md.push_str(
                    "![Time to count a process's open fds against the number of open fds, \
                     log-log, one line per method, dashed lines extrapolated to 1,000,000 fds]\
                     (fd_count.svg)\n\n",
                );
            }
            let _ = writeln!(
                md,
                "Allocations of one call of each method on a handle used once before (a \
                 counting global allocator; peak live is the most memory held at once during \
                 the call):\n\n{}",
                alloc_table(&fd_rows, &benches)
            );
            let _ = writeln!(md, "{}", exporter_paragraph(&fd_lines, &fd_rows));
            let _ = writeln!(md, "{}", paired_walk_table());
        }
        if group == "stat_pid1" {
            let _ = writeln!(md, "{}", paired_parse_table());
        }
        if group == "scan" {
            let _ = writeln!(
                md,
                "Allocations of one whole-host scan (pid, comm, fds, threads, rss, cpu; {} \
                 helper processes running; procfast after one warm-up scan):\n\n{}",
                SCAN_HELPERS,
                scan_table(&measure_scans(), &benches)
            );
        }
    }
    for group in GROUPS.iter().filter(|g| !groups.iter().any(|h| h == *g)) {
        let _ = writeln!(
            md,
            "_No `{group}` results: its benchmark has not run here, or does not exist yet._\n"
        );
    }
    print!("{md}");

    if let Err(e) = write_section(&root.join("README.md"), BEGIN, END, &md) {
        eprintln!("bench_report: {e}");
        return ExitCode::FAILURE;
    }
    // The serve benchmark needs root and process-exporter; without them its section stays.
    match serve_bench::run(root) {
        Ok(md) => {
            print!("{md}");
            if let Err(e) = write_section(&root.join("README.md"), SERVE_BEGIN, SERVE_END, &md) {
                eprintln!("bench_report: {e}");
                return ExitCode::FAILURE;
            }
        }
        Err(e) => eprintln!("bench_report: serve section left as it was: {e}"),
    }
    match tcp_bench::run() {
        Ok(md) => {
            print!("{md}");
            if let Err(e) = write_section(&root.join("README.md"), TCP_BEGIN, TCP_END, &md) {
                eprintln!("bench_report: {e}");
                return ExitCode::FAILURE;
            }
        }
        Err(e) => eprintln!("bench_report: TCP section left as it was: {e}"),
    }
    ExitCode::SUCCESS
}

/// Rewrites the part of `readme` between the `begin` and `end` markers with `md`.
fn write_section(readme: &Path, begin: &str, end: &str, md: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(readme)
        .map_err(|e| format!("reading {}: {e}", readme.display()))?;
    let markers = text
        .find(begin)
        .and_then(|at| Some((at, at + text[at..].find(end)?)));
    let Some((at, until)) = markers else {
        return Err(format!(
            "{} has no {begin} … {end} markers; not written",
            readme.display()
        ));
    };
    let updated = format!(
        "{}{begin}\n{}\n{}",
        &text[..at],
        md.trim_end(),
        &text[until..]
    );
    std::fs::write(readme, updated).map_err(|e| format!("writing {}: {e}", readme.display()))?;
    eprintln!("wrote {} ({begin})", readme.display());
    Ok(())
}
