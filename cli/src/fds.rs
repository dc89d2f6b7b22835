//! `procfast fds PID`: one process's open fds, counted, or counted by kind.

use crate::args::{negative_pid, number_value, open_procfs, parse_pid};
use crate::failure::{explain, usage_error, Failure};
use crate::human::{completeness, round_micros};
use lexopt::prelude::*;
use procfast::{Budget, Method, ProcFs};
use std::io::Write;
use std::time::{Duration, Instant};

const FDS_USAGE: &str = "\
usage: procfast fds PID [--method auto|stat|walk] [--kinds] [--budget-entries N] [--budget-ms MS]
                    [--procfs DIR] [--json]

Counts the open fds of process PID, one-shot: the time shown includes opening its handle.

  --method M          auto (the default: one fstat where the kernel reports the count, a walk
                      elsewhere), stat (fstat only) or walk (list /proc/PID/fd)
  --budget-entries N  a walk stops after N entries: the count is then a lower bound
  --budget-ms MS      a walk stops after MS milliseconds
  --procfs DIR        the procfs to read (default /proc; a host's /proc mounted elsewhere)
  --kinds             count by kind (socket, pipe, anon_inode and its kinds, file, other): a
                      walk and one readlinkat per fd, within the budget
  --json              one JSON object: pid, fds, method, complete, micros; with --kinds, pid,
                      fds, kinds {socket, pipe, anon_inode, file, other}, anon_inode_kinds
                      (eventpoll, eventfd, timerfd, …: those present), complete, micros";

pub fn fds(mut args: lexopt::Parser, out: &mut dyn Write) -> Result<(), Failure> {
    let mut pid = None;
    let mut method = Method::Auto;
    let mut budget = Budget::UNLIMITED;
    let mut json = false;
    let mut kinds = false;
    let mut procfs_dir = None;
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
            Long("procfs") => procfs_dir = Some(args.value()?),
            Value(v) if pid.is_none() => pid = Some(parse_pid(&v.string()?)?),
            Short(c) if pid.is_none() && c.is_ascii_digit() => {
                return Err(negative_pid(&mut args, c))
            }
            other => return Err(other.unexpected().into()),
        }
    }
    let pid = pid.ok_or_else(|| usage_error("fds needs a PID"))?;
    let procfs = open_procfs(procfs_dir.as_ref())?;
    if kinds {
        return fd_kinds(procfs, pid, &budget, json, out);
    }

    let started = Instant::now();
    let counted = procfs
        .open_pid(pid)
        .and_then(|mut proc| proc.fd_count_with(method, &budget))
        .map_err(|e| explain(pid, e))?;
    let micros = round_micros(started.elapsed());

    if json {
        let line = serde_json::json!({
            "pid": pid,
            "fds": counted.count,
            "method": counted.method.as_str(),
            "complete": counted.is_complete(),
            "micros": micros,
        });
        writeln!(out, "{line}")?;
    } else {
        let bound = completeness(counted.stopped);
        writeln!(
            out,
            "pid {pid}: {} open fds (method {}, {bound}) in {micros:.1} µs",
            counted.count, counted.method
        )?;
    }
    Ok(())
}

/// `procfast fds PID --kinds`: the census by kind, one `readlinkat` per fd.
fn fd_kinds(
    procfs: &ProcFs,
    pid: i32,
    budget: &Budget,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    use procfast::parse::fd_target::AnonKind;
    let started = Instant::now();
    let (kinds, walk) = procfs
        .open_pid(pid)
        .and_then(|mut proc| proc.fd_kinds(budget))
        .map_err(|e| explain(pid, e))?;
    let micros = round_micros(started.elapsed());
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
            "micros": micros,
        });
        writeln!(out, "{line}")?;
    } else {
        let bound = completeness(walk.stopped);
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
