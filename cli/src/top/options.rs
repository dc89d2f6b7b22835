//! `top`'s command line.

use super::TOP_USAGE;
use crate::args::{number_value, parse_pid, parse_user};
use crate::failure::{usage_error, Failure};
use lexopt::prelude::*;
use procfast::Row;
use std::ffi::OsString;
use std::fmt;
use std::io::Write;
use std::os::unix::ffi::OsStringExt;
use std::time::Duration;

/// The figure `top` ranks by.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum By {
    Fds,
    Threads,
    Rss,
    Cpu,
    Pid,
}

/// Which rows `top` shows: every filter given must match. Applied before ranking, so `-n`
/// counts matching rows.
#[derive(Default)]
pub struct Filter {
    pub pids: Vec<i32>,
    pub uid: Option<u32>,
    pub comm: Option<Vec<u8>>,
}

impl Filter {
    /// True if any filter was given.
    pub fn is_set(&self) -> bool {
        !self.pids.is_empty() || self.uid.is_some() || self.comm.is_some()
    }

    pub fn matches(&self, row: &Row) -> bool {
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

pub struct TopOptions {
    pub by: By,
    pub n: usize,
    pub budget: Option<Duration>,
    pub json: bool,
    pub threads: bool,
    pub interval: Option<Duration>,
    pub watch: bool,
    pub filter: Filter,
    pub procfs: Option<OsString>,
    /// Show each row's container or systemd unit, read from its cgroup.
    pub cgroup: bool,
}

/// `--watch` without `--interval` repaints this often, as top does (its default is 3 s).
pub const WATCH_INTERVAL: Duration = Duration::from_secs(2);

/// The longest `--interval`: a day, far beyond any use, and well inside what `poll` takes.
pub const MAX_INTERVAL: Duration = Duration::from_secs(86_400);

/// The widest COMMAND column: comm is at most 15 bytes, but its escapes are 4 characters each.
pub const COMMAND_WIDTH: usize = 32;

/// Parses `top`'s arguments; `None` when `--help` was asked for (and printed).
pub fn top_options(
    mut args: lexopt::Parser,
    out: &mut (impl Write + ?Sized),
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
        procfs: None,
        cgroup: false,
    };
    while let Some(arg) = args.next()? {
        match arg {
            Short('h') | Long("help") => {
                writeln!(out, "{TOP_USAGE}")?;
                return Ok(None);
            }
            Long("threads") => o.threads = true,
            Long("cgroup") => o.cgroup = true,
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
            Long("procfs") => o.procfs = Some(args.value()?),
            other => return Err(other.unexpected().into()),
        }
    }
    Ok(Some(o))
}

/// Parses `--interval`: digits with an optional decimal fraction, nothing else (`f64::from_str`
/// alone would also take `+1`, `1e3`, `inf` and `NaN`), more than 0 and at most a day.
pub fn parse_interval(text: &str) -> Result<Duration, Failure> {
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

/// The filters given, as the command line wrote them.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut said = Vec::new();
        said.extend(self.pids.iter().map(|pid| format!("--pid {pid}")));
        said.extend(self.uid.map(|uid| format!("--user {uid}")));
        said.extend(
            self.comm
                .as_ref()
                .map(|c| format!("--comm {:?}", String::from_utf8_lossy(c))),
        );
        f.write_str(&said.join(" "))
    }
}
