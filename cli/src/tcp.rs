//! `procfast tcp`: TCP connections by state, host-wide or of one process.

use crate::args::{number_value, open_procfs, parse_pid};
use crate::failure::{explain, failure, Failure};
use crate::human::{completeness, round_micros};
use lexopt::prelude::*;
use procfast::parse::tcp_state::TcpState;
use procfast::{Budget, TcpCensus};
use std::io::Write;
use std::time::{Duration, Instant};

pub const TCP_USAGE: &str = "\
usage: procfast tcp [--pid PID] [--proc] [--procfs DIR] [--budget-ms MS] [--json]

Counts the TCP connections (IPv4 and IPv6) of this network namespace by state, by a
NETLINK_SOCK_DIAG dump (binary records, no text), or by /proc/net/tcp and tcp6 where netlink
is refused.

  --pid PID       only the sockets of process PID (its fds' socket inodes joined with the dump:
                  a readlinkat per fd more)
  --proc          read /proc/net/tcp{,6} even where netlink is allowed
  --procfs DIR    the procfs to read (default /proc; a host's /proc mounted elsewhere)
  --budget-ms MS  stop after MS milliseconds (the counts are then lower bounds)
  --json          one JSON object: states {ESTABLISHED, LISTEN, TIME_WAIT, CLOSE_WAIT,
                  FIN_WAIT1, FIN_WAIT2, SYN_SENT, SYN_RECV, LAST_ACK, CLOSING, CLOSE}, method
                  (netlink or proc), complete, micros";

/// `procfast tcp`.
pub fn tcp(mut args: lexopt::Parser, out: &mut dyn Write) -> Result<(), Failure> {
    let (mut pid, mut proc_files, mut json) = (None, false, false);
    let mut budget = Budget::UNLIMITED;
    let mut procfs_dir = None;
    while let Some(arg) = args.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(writeln!(out, "{TCP_USAGE}")?),
            Long("pid") => pid = Some(parse_pid(&args.value()?.string()?)?),
            Long("proc") => proc_files = true,
            Long("procfs") => procfs_dir = Some(args.value()?),
            Long("budget-ms") => {
                let ms = number_value(&mut args, "--budget-ms", 0..=u64::MAX)?;
                budget = budget.and_within(Duration::from_millis(ms));
            }
            Long("json") => json = true,
            other => return Err(other.unexpected().into()),
        }
    }
    let started = Instant::now();
    let procfs = open_procfs(procfs_dir.as_ref())?;
    let census = TcpCensus::in_procfs(procfs).map_err(|e| failure(format!("tcp: {e}")))?;
    let mut census = if proc_files {
        census.proc_only()
    } else {
        census
    };
    let count = match pid {
        Some(pid) => procfs
            .open_pid(pid)
            .and_then(|mut proc| census.count_of(&mut proc, &budget))
            .map_err(|e| explain(pid, e))?,
        None => census
            .count(&budget)
            .map_err(|e| failure(format!("tcp: {e}")))?,
    };
    let micros = round_micros(started.elapsed());
    if json {
        let states: serde_json::Map<String, serde_json::Value> = TcpState::ALL
            .iter()
            .map(|s| (s.name().to_string(), count.states.get(*s).into()))
            .collect();
        let line = serde_json::json!({
            "states": states,
            "method": count.method.as_str(),
            "complete": count.is_complete(),
            "micros": micros,
        });
        writeln!(out, "{line}")?;
        return Ok(());
    }
    let whose = pid.map_or("this network namespace".to_string(), |p| format!("pid {p}"));
    let bound = completeness(count.stopped);
    writeln!(
        out,
        "{} TCP sockets of {whose} (by {}, {bound}) in {micros:.0} µs",
        count.states.total(),
        count.method.as_str()
    )?;
    for state in TcpState::ALL {
        let n = count.states.get(state);
        if n > 0 {
            writeln!(out, "  {:<12} {n}", state.name())?;
        }
    }
    Ok(())
}
