//! Counting a command's syscalls with `strace -f -c`: one run, its summary read back.

use crate::bench_host::Scratch;
use std::path::Path;
use std::process::{Command, Stdio};

/// strace's summary of one run: the calls of every syscall, most first, and their total.
#[derive(Debug, PartialEq)]
pub struct Syscalls {
    pub total: u64,
    pub by_name: Vec<(String, u64)>,
}

/// Reads the table `strace -c` writes: `% time  seconds  usecs/call  calls  [errors]  syscall`,
/// a line a syscall and a last line `total`.
pub fn parse_summary(text: &str) -> Option<Syscalls> {
    let mut total = None;
    let mut by_name = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (Some(name), Some(calls)) = (words.last(), words.get(3)) else {
            continue;
        };
        // The header's fourth word is `usecs/call`, the rules have one word.
        let Ok(calls) = calls.parse::<u64>() else {
            continue;
        };
        match *name {
            "total" => total = Some(calls),
            name => by_name.push((name.to_string(), calls)),
        }
    }
    by_name.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Some(Syscalls {
        total: total?,
        by_name,
    })
}

/// Runs `program args` under `strace -f -c` once, its output thrown away, and returns the
/// summary; `shown` names the command in errors.
pub fn trace(
    strace: &Path,
    program: &Path,
    args: &[&str],
    shown: &str,
    scratch: &Scratch,
) -> Result<Syscalls, String> {
    let file = scratch.write("strace.txt", "")?;
    let status = Command::new(strace)
        .args(["-f", "-c", "-o", &file])
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("running strace: {e}"))?;
    if !status.success() {
        return Err(format!("strace of {shown} failed ({status})"));
    }
    let text = std::fs::read_to_string(&file).map_err(|e| format!("reading {file}: {e}"))?;
    parse_summary(&text).ok_or_else(|| format!("no total in strace's summary of {shown}"))
}

/// The syscalls of at least 0.05 a task, by name, and the rest together: "statx 2.00 ·
/// pread64 1.00 · … · other 0.21".
pub fn breakdown(summary: &Syscalls, tasks: usize) -> String {
    let per = |calls: u64| calls as f64 / tasks.max(1) as f64;
    let (shown, rest): (Vec<_>, Vec<_>) =
        summary.by_name.iter().partition(|(_, c)| per(*c) >= 0.05);
    let mut parts: Vec<String> = shown
        .iter()
        .map(|(name, calls)| format!("{name} {:.2}", per(*calls)))
        .collect();
    let other: u64 = rest.iter().map(|(_, c)| c).sum();
    if other > 0 {
        parts.push(format!("other {:.2}", per(other)));
    }
    parts.join(" · ")
}

/// What each task adds to a run: the growth in syscalls between the first and the last of
/// `runs` (tasks, syscalls) over the growth in tasks, and what a run costs besides (its calls
/// less that slope times its tasks, at the last run); `None` without two sizes apart.
pub fn slope(runs: &[(usize, u64)]) -> Option<(f64, f64)> {
    let (&(n0, c0), &(n1, c1)) = (runs.first()?, runs.last()?);
    if n1 <= n0 {
        return None;
    }
    let per_task = (c1 as f64 - c0 as f64) / (n1 - n0) as f64;
    Some((per_task, c1 as f64 - per_task * n1 as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUMMARY: &str = "\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ------------------
 34.46    0.001523          10       146           statx
 18.94    0.000837          11        73           openat2
  0.86    0.000038          19         2         2 connect
------ ----------- ----------- --------- --------- ------------------
100.00    0.004420           9       221         2 total
";

    #[test]
    fn strace_summaries_give_the_total_and_each_syscall() {
        let summary = parse_summary(SUMMARY).unwrap();
        assert_eq!(summary.total, 221);
        let names: Vec<(&str, u64)> = summary
            .by_name
            .iter()
            .map(|(n, c)| (n.as_str(), *c))
            .collect();
        assert_eq!(names, [("statx", 146), ("openat2", 73), ("connect", 2)]);
        assert_eq!(
            breakdown(&summary, 73),
            "statx 2.00 · openat2 1.00 · other 0.03"
        );
        assert_eq!(parse_summary("no table here\n"), None);
    }

    #[test]
    fn the_slope_is_what_each_task_adds_and_the_rest_is_fixed() {
        let runs = [
            (100, 4_300),
            (1_000, 4_300 + 4 * 900),
            (20_000, 4_300 + 4 * 19_900),
        ];
        assert_eq!(slope(&runs), Some((4.0, 4_300.0 - 400.0)));
        assert_eq!(slope(&runs[..1]), None);
        assert_eq!(slope(&[(5, 10), (5, 20)]), None);
    }
}
