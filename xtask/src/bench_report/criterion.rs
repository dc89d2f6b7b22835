//! Criterion's results: the median of every benchmark under
//! `target/criterion/<group>/<function>[/<param>]/new/` (`benchmark.json` names it,
//! `estimates.json` has `median.point_estimate` in ns), and one table per group with ratios
//! against the group's reference rows (the kernel floor, naive `std::fs::read_dir`, the `procfs`
//! crate; see `FLOORS` and `COLUMNS`).

use crate::format::{fmt_ns, fmt_param, fmt_ratio};
use crate::report::{workspace_root, Table};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

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

/// What a group's param means, for its column header.
const PARAM_NAMES: &[(&str, &str)] = &[("fd_count", "open fds")];

/// One benchmark's median, as criterion saved it.
#[derive(Clone)]
pub struct Bench {
    pub group: String,
    pub function: String,
    pub param: Option<String>,
    pub median_ns: f64,
}

/// Where criterion left its results.
pub fn criterion_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("criterion")
}

/// Every `new/estimates.json` below `dir`, with the time it was written.
pub fn read_benches(
    root: &Path,
    dir: &Path,
    out: &mut Vec<Bench>,
    newest: &mut Option<SystemTime>,
) {
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
            eprintln!("bench-report: no median in {}", estimates.display());
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
pub fn group_table(group: &str, benches: &[Bench]) -> String {
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
    let mut header = vec![];
    if has_params {
        header.push(param_name);
    }
    header.extend(["function", "median"]);
    header.extend(columns.iter().map(|c| c.header));
    // The function's name to the left, numbers to the right.
    let align: String = (0..header.len())
        .map(|i| {
            if i == usize::from(has_params) {
                'l'
            } else {
                'r'
            }
        })
        .collect();
    let mut table = Table::new(&header, &align);
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
            table.row(cells);
        }
    }
    table.finish()
}
