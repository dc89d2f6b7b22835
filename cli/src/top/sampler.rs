//! Scans, and %CPU from one scan to the next.

use super::options::{By, Filter};
use crate::failure::{failure, Failure};
use procfast::parse::cgroup_identity;
use procfast::{Budget, Error, Fields, ProcFs, Row, ScanSummary, Scanner};
use std::collections::HashMap;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// A row `top` shows, with its %CPU when its process was also in the previous scan.
pub struct Shown {
    pub row: Row,
    pub cpu_percent: Option<f64>,
    /// With `--cgroup`: where its cgroup places it; `None` if not read (or it has exited).
    pub placement: Option<Placement>,
}

/// A process's pod, container and systemd unit, read from its cgroup as serve reads them for
/// `{{.PodUID}}`, `{{.ContainerID}}` and `{{.SystemdUnit}}`.
#[derive(Default)]
pub struct Placement {
    pub pod_uid: Option<String>,
    pub container_id: Option<String>,
    pub systemd_unit: Option<String>,
}

impl Placement {
    /// The placement of the process `pid`, if it is the one that started at `start_ticks` or
    /// earlier (a thread row's process started no later than the thread; a pid reused since
    /// the scan names a later process).
    fn of(procfs: &ProcFs, pid: i32, start_ticks: Option<u64>) -> Option<Placement> {
        let mut proc = procfs.open_pid(pid).ok()?;
        let started = proc.stat().ok()?.starttime();
        if start_ticks.is_none_or(|ticks| started > ticks) {
            return None;
        }
        let cgroups = proc.cgroup().ok()?;
        let id = cgroup_identity::from_cgroups(&cgroups);
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        Some(Placement {
            pod_uid: id.pod_uid.as_ref().map(|uid| text(uid.as_bytes())),
            container_id: id.container_id.map(text),
            systemd_unit: id.systemd_unit.map(text),
        })
    }
}

/// What one scan took and saw.
pub struct Frame {
    pub summary: ScanSummary,
    pub started: Instant,
    /// Wall-clock and CPU time of the scan: what a refresh costs.
    pub wall: Duration,
    pub cpu: Duration,
    /// The time since the previous scan began, over which %CPU is measured.
    pub interval: Option<Duration>,
}

/// Scans with one scanner, remembering every process's CPU time so that the next scan can tell
/// its %CPU.
pub struct Sampler {
    pub scanner: Scanner,
    /// The rows of the last scan that pass the filter.
    pub shown: Vec<Shown>,
    /// CPU seconds of every process in the previous scan, by pid and start time: a reused pid
    /// has a later start time, so a new process is never charged for its predecessor.
    pub before: HashMap<(i32, u64), f64>,
    /// The same for the scan under way (kept only to reuse its allocation).
    pub now: HashMap<(i32, u64), f64>,
    pub before_at: Option<Instant>,
    /// Whether the scanner makes a row per thread.
    pub threads: bool,
}

impl Sampler {
    pub fn sample(
        &mut self,
        filter: &Filter,
        budget: &Budget,
        procfs_name: &str,
    ) -> Result<Frame, Failure> {
        self.now.clear();
        self.shown.clear();
        let (now, shown) = (&mut self.now, &mut self.shown);
        let started = Instant::now();
        let cpu_started = process_cpu_time();
        // A scan of processes picked by pid reads nothing of the others.
        let fields = self.scanner.fields();
        let picked = !self.threads && !filter.pids.is_empty();
        let choose = |pid: i32, _kept: bool| match picked && !filter.pids.contains(&pid) {
            true => Fields::NONE,
            false => fields,
        };
        let summary = self
            .scanner
            .scan_choosing(budget, choose, |row| {
                if let (Some(ticks), Some(cpu)) = (row.start_time_ticks, row.cpu_seconds) {
                    now.insert((row.pid, ticks), cpu);
                }
                if filter.matches(row) {
                    shown.push(Shown {
                        row: *row,
                        cpu_percent: None,
                        placement: None,
                    });
                }
                ControlFlow::Continue(())
            })
            .map_err(|e| failure(format!("scanning {procfs_name}: {e}")))?;
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

impl Sampler {
    /// Reads the owner of each shown row the scan did not read it for (the scan asks for it
    /// only where a filter needs it: a `statx` a process saved), and counts the time in the
    /// frame's cost. A process that has exited since keeps its row, without an owner.
    pub fn fill_owners(&mut self, frame: &mut Frame, procfs_name: &str) -> Result<(), Failure> {
        let started = Instant::now();
        let cpu_started = process_cpu_time();
        for shown in self.shown.iter_mut().filter(|s| s.row.uid.is_none()) {
            match self.scanner.fill_owner(&mut shown.row) {
                Ok(()) | Err(Error::Gone | Error::CrossedMount { .. }) => {}
                Err(e) => return Err(failure(format!("scanning {procfs_name}: {e}"))),
            }
        }
        frame.wall += started.elapsed();
        frame.cpu += process_cpu_time().saturating_sub(cpu_started);
        Ok(())
    }
}

impl Sampler {
    /// Reads where each shown row's cgroup places it (`--cgroup`), counting the time in the
    /// frame's cost: a read of `cgroup` for the rows shown, none for the others.
    pub fn fill_placements(&mut self, frame: &mut Frame, procfs: &ProcFs) {
        let started = Instant::now();
        let cpu_started = process_cpu_time();
        for shown in &mut self.shown {
            let row = &shown.row;
            shown.placement = Placement::of(procfs, row.tgid, row.start_time_ticks);
        }
        frame.wall += started.elapsed();
        frame.cpu += process_cpu_time().saturating_sub(cpu_started);
    }
}

/// This process's CPU time so far (all its threads, user and system).
pub fn process_cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::try_from(t).unwrap_or_default()
}

/// Sorts the rows, largest first (`pid`: smallest first), and keeps the first `n`.
pub fn rank(shown: &mut Vec<Shown>, by: By, sampled: bool, n: usize) {
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
