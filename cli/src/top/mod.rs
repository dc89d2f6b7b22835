//! `procfast top`: every process (or thread), the largest by a figure, once or repainted.

mod keys;
mod options;
mod render;
mod sampler;

use crate::args::{open_procfs, procfs_name};
use crate::failure::{failure, Failure};
use crate::fd_limit::raise_fd_limit;
use keys::{wait_until, KeyMode};
use options::{top_options, WATCH_INTERVAL};
use procfast::{Budget, Fields, Scanner};
use render::{json_frame, table};
use rustix::termios;
use sampler::{rank, Sampler};
use std::collections::HashMap;
use std::io::Write;
use uzers::UsersCache;

pub const TOP_USAGE: &str = "\
usage: procfast top [--by fds|threads|rss|cpu|pid] [-n N] [--interval SECONDS] [--watch]
                    [--pid PID]... [--user NAME|UID] [--comm TEXT] [--threads] [--budget-ms MS]
                    [--cgroup] [--procfs DIR] [--json]

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
  --cgroup            a CGROUP column: the container (its pod UID's first 8 digits / the
                      container ID's first 12) or else the systemd unit, from the cgroup, as
                      serve's {{.PodUID}}, {{.ContainerID}} and {{.SystemdUnit}} read them
                      (JSON: pod_uid, container_id, systemd_unit in full)
  --budget-ms MS      end each scan after MS milliseconds (the summary says so)
  --procfs DIR        the procfs to read (default /proc; a host's /proc mounted elsewhere)
  --json              one JSON object (per frame, one a line): complete, scanned, vanished,
                      denied, refused, micros, cpu_micros, interval_seconds (when sampled) and
                      rows of pid, tgid, comm, state, ppid, uid, user, fds, threads,
                      rss_bytes, cpu_seconds, cpu_percent (null: not available)

Columns: PID, USER (the uid's name, or the uid when it has none), STATE (R running,
S sleeping, D in disk wait, Z zombie, T stopped, I idle), THREADS, FDS, RSS, %CPU, TIME (CPU
time, user + system: M:SS.hh, or H:MM:SS from an hour), COMMAND (the kernel's name, escaped).
A figure not available shows as - (a zombie has no fds or threads). The footer says what the
scan saw and what a refresh costs, in wall-clock and CPU time.";

pub fn top(args: lexopt::Parser, out: &mut dyn Write) -> Result<(), Failure> {
    let Some(o) = top_options(args, out)? else {
        return Ok(());
    };
    let mut fields = Fields::LISTING;
    // The owner of every process only where --user picks by it; else only the rows shown.
    if o.filter.uid.is_some() {
        fields |= Fields::UID;
    }
    let procfs = open_procfs(o.procfs.as_ref())?;
    let procfs_name = procfs_name(o.procfs.as_ref());
    let mut scanner = Scanner::in_procfs(procfs, fields)
        .map_err(|e| failure(format!("scanning {procfs_name}: {e}")))?
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
        threads: o.threads,
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
        let mut frame = sampler.sample(&o.filter, &budget, &procfs_name)?;
        // As ps: selecting no process at all is a failure (the frame still shows).
        let none_matched =
            o.filter.is_set() && sampler.shown.is_empty() && frame.summary.is_complete();
        // Without --watch, --interval shows only the second scan: the first is its baseline.
        if o.watch || o.interval.is_none() || frame.interval.is_some() {
            rank(&mut sampler.shown, o.by, frame.interval.is_some(), o.n);
            sampler.fill_owners(&mut frame, &procfs_name)?;
            if o.cgroup {
                sampler.fill_placements(&mut frame, procfs);
            }
            frame_text.clear();
            if clear {
                frame_text.extend_from_slice(b"\x1b[H\x1b[2J");
            }
            if o.json {
                let line = json_frame(&sampler.shown, &frame, &users, o.cgroup);
                writeln!(frame_text, "{line}")?;
            } else {
                let hint = if keys.is_some() { "; q quits" } else { "" };
                table(
                    &mut frame_text,
                    &sampler.shown,
                    &frame,
                    &users,
                    o.threads,
                    o.cgroup,
                    hint,
                )?;
            }
            out.write_all(&frame_text)?;
            out.flush()?;
            if !o.watch {
                return match none_matched {
                    true => Err(failure(format!("no process matches {}", o.filter))),
                    false => Ok(()),
                };
            }
        }
        if wait_until(frame.started + interval, keys.as_ref())? {
            return Ok(());
        }
    }
}
