//! The host exporter: a kept scanner and the tracker, and what each scrape reads besides with
//! the options that ask for it (PSS, threads, sockets, TCP). A scrape is a scan that brings
//! the tracker up to date, then the exposition of what it holds.

use super::config::Config;
use super::exposition::{self, ScrapeReport};
use super::heaviest::Heaviest;
use super::matcher::Matcher;
use super::threads::Threads;
use super::tracker::{self, ScrapeErrors, Tracker};
use crate::failure::say;
use procfast::{Budget, Fields, ProcFs, ProcessMetrics, Row, ScanSummary, Scanner};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one scan asks of a process first seen: everything process-exporter reports, from
/// `stat`, `status`, `io`, the fd directory, `/proc/<pid>` and the fd limit (and with
/// `--threads`, `wchan`).
const FIELDS: Fields = Fields::ALL.without(Fields::WCHAN);

/// What a scan asks of an ignored process it holds from the last scrape: one `stat` read, for
/// its parent (a `children` ancestry may pass through it).
const IGNORED: Fields = Fields::START_TIME.with(Fields::PPID);

/// What `--top` ranks every process by, ignored or not: from the same `stat` read, and the fd
/// directory's `fstat`.
const RANKED: Fields = Fields::COMM
    .with(Fields::CPU)
    .with(Fields::RSS)
    .with(Fields::FDS);

/// The exporter: a kept scanner and the tracker's state.
pub(super) struct Exporter {
    procfs: &'static ProcFs,
    scanner: Scanner,
    matcher: Matcher,
    tracker: Tracker,
    scrapes: u64,
    errors: ScrapeErrors,
    rows: Vec<Row>,
    /// The rows of the last scrape, by ascending pid: what a kept handle's process was.
    last_rows: Vec<Row>,
    /// With `--smaps`: read `smaps_rollup` of tracked processes whose RSS is at most this.
    smaps_max_rss: Option<u64>,
    /// With `--threads`: a scanner of every thread, and what it has seen.
    threads: Option<Threads>,
    /// What a scan asks of a process first seen.
    fields: Fields,
    /// With `--sockets`: each group's open sockets in the last scrape, and whether every
    /// member's census finished.
    sockets: Option<(BTreeMap<Arc<str>, u64>, bool)>,
    /// With `--tcp`: the census of the host's TCP connections, and its last count.
    tcp: Option<(procfast::TcpCensus, Option<procfast::TcpCount>)>,
    /// With `--top N`: the N heaviest processes by CPU, memory and fds, chosen each scrape.
    heaviest: Option<Heaviest>,
    /// What a scan asks of an ignored process held since the last scrape.
    ignored: Fields,
    /// With `--debug`: each scrape logs the processes it was denied figures of.
    debug: bool,
    /// serve's own process collector (`process_*`), read once per scrape; `None` if /proc/self
    /// could not be opened.
    myself: Option<ProcessMetrics>,
}

impl Exporter {
    /// An exporter of the processes of `procfs`, grouped by `config`; with `children`, a process
    /// no entry matches joins its nearest tracked ancestor's group. Keeps handles for up to
    /// `fd_budget` fds.
    pub(super) fn new(
        procfs: &'static ProcFs,
        config: Config,
        children: bool,
        fd_budget: usize,
    ) -> procfast::Result<Exporter> {
        let scanner = Scanner::in_procfs(procfs, FIELDS)?.keep_handles(fd_budget);
        let boot_time = tracker::boot_time(procfs)?;
        Ok(Exporter {
            procfs,
            scanner,
            matcher: Matcher::new(procfs, config, boot_time),
            tracker: Tracker::new(boot_time, children),
            scrapes: 0,
            errors: ScrapeErrors::default(),
            rows: Vec::new(),
            last_rows: Vec::new(),
            smaps_max_rss: None,
            threads: None,
            fields: FIELDS,
            sockets: None,
            tcp: None,
            heaviest: None,
            ignored: IGNORED,
            debug: false,
            myself: own_collector(),
        })
    }

    /// Match the processes left out again each scrape (`-recheck`), only while younger than
    /// `younger_than` if given (`-recheck-with-time-limit`).
    pub(super) fn with_recheck(mut self, recheck: bool, younger_than: Option<Duration>) -> Self {
        self.tracker = self.tracker.with_recheck(recheck, younger_than);
        self
    }

    /// Forget a group once it has no members (`-remove-empty-groups`).
    pub(super) fn with_remove_empty_groups(mut self, remove: bool) -> Self {
        self.tracker = self.tracker.with_remove_empty_groups(remove);
        self
    }

    /// Log, each scrape, which processes some figures were denied of (`--debug`).
    pub(super) fn with_debug(mut self, debug: bool) -> Exporter {
        self.debug = debug;
        self
    }

    /// Also report PSS (`memtype="proportionalResident"` and `"proportionalSwapped"`) from
    /// `smaps_rollup`, for tracked processes whose RSS is at most `max_rss` (the kernel walks
    /// every page table of a process to write that file).
    pub(super) fn with_smaps(mut self, max_rss: Option<u64>) -> Exporter {
        self.smaps_max_rss = max_rss;
        self
    }

    /// Also report each group's open sockets (`procfast_namegroup_open_sockets`): a census of
    /// every member's fds, one `readlinkat` per fd, within the scrape's budget.
    pub(super) fn with_sockets(mut self, sockets: bool) -> Exporter {
        self.sockets = sockets.then(|| (BTreeMap::new(), true));
        self
    }

    /// Also report the host's TCP connections by state (`procfast_tcp_connections`), by a
    /// netlink dump each scrape (or `/proc/net/tcp{,6}` where netlink is refused).
    pub(super) fn with_tcp(mut self, tcp: bool) -> procfast::Result<Exporter> {
        if tcp {
            self.tcp = Some((procfast::TcpCensus::in_procfs(self.procfs)?, None));
        }
        Ok(self)
    }

    /// Also report the `n` heaviest processes of the host by CPU since the previous scrape, by
    /// resident memory and by open fds (`procfast_top_process_*`), whether grouped or not.
    pub(super) fn with_top(mut self, n: Option<usize>) -> Exporter {
        self.heaviest = n.map(Heaviest::new);
        if self.heaviest.is_some() {
            self.ignored.insert(RANKED);
        }
        self
    }

    /// Also report process-exporter's per-thread metrics (`namedprocess_namegroup_thread_*`),
    /// from a scan of every thread each scrape.
    pub(super) fn with_threads(mut self, threads: bool) -> procfast::Result<Exporter> {
        if threads {
            // A single-threaded process's wchan is its own thread's.
            self.fields.insert(Fields::WCHAN);
            self.threads = Some(Threads::new(self.procfs)?);
        }
        Ok(self)
    }

    /// Scans, updates the groups and writes the exposition text into `out`, serve's own
    /// process metrics and build info last. The scan ends
    /// within `budget` if one is given; a scan it stopped serves what it has and says so
    /// (`procfast_scrape_complete 0`).
    pub(super) fn scrape(&mut self, budget: Option<Duration>, out: &mut String) -> ScrapeReport {
        let started = Instant::now();
        self.scrapes += 1;
        let summary = match self.update(budget) {
            Ok(summary) => summary,
            Err(e) => {
                self.errors.scrape += 1;
                say(&format!("serve: scanning /proc: {e}"));
                ScanSummary::default()
            }
        };
        let report = ScrapeReport {
            summary,
            duration: started.elapsed(),
            budget,
        };
        self.write(out, &report);
        self.write_own(out);
        report
    }

    /// serve's own `process_*` metrics, as Go exporters report theirs, and its build info.
    fn write_own(&mut self, out: &mut String) {
        if let Some(myself) = self.myself.as_mut() {
            match myself.snapshot() {
                Ok(snapshot) => exposition::write_own_process(out, &snapshot),
                Err(e) => {
                    say(&format!(
                        "serve: reading its own /proc/self: {e}; process_* metrics left out"
                    ));
                    self.myself = None;
                }
            }
        }
        exposition::write_build_info(out);
    }

    /// One scan: rows for every process the budget allows, the tracker brought up to date.
    fn update(&mut self, budget: Option<Duration>) -> procfast::Result<ScanSummary> {
        // One deadline for the scrape, shared by the scan of processes and that of threads.
        let budget = budget
            .and_then(|b| Instant::now().checked_add(b))
            .map_or(Budget::UNLIMITED, Budget::until);
        let mut rows = std::mem::take(&mut self.rows);
        rows.clear();
        let (last, tracker, first_sight) = (&self.last_rows, &self.tracker, self.fields);
        let ignored = self.ignored;
        // Its owner (read for `{{.Username}}`, once) cannot have changed.
        let known_fields = first_sight.without(Fields::UID);
        // A process held since the last scrape is the one that scrape saw at its pid: what is
        // known of it need not be read again.
        let choose = |pid: i32, kept: bool| {
            let known = kept
                .then(|| last.binary_search_by_key(&pid, |r| r.pid).ok())
                .flatten()
                .and_then(|i| tracker.is_grouped((pid, last[i].start_time_ticks?)));
            match known {
                Some(true) => known_fields,
                Some(false) => ignored,
                None => first_sight,
            }
        };
        let scanned = self.scanner.scan_choosing(&budget, choose, |row| {
            rows.push(*row);
            ControlFlow::Continue(())
        });
        let summary = match scanned {
            Ok(summary) => summary,
            Err(e) => {
                self.rows = rows;
                return Err(e);
            }
        };
        if let Some(threads) = self.threads.as_mut() {
            threads.scan(&mut rows, &budget)?;
        }
        let first = self.tracker.first_scrape_ticks();
        let gen = self.scrapes;
        if self.debug {
            log_denied(&rows);
        }
        let (matcher, threads) = (&mut self.matcher, self.threads.as_ref());
        self.tracker.update(
            &rows,
            gen,
            first,
            &mut self.errors,
            |row| matcher.group_of(row),
            |pid| threads.and_then(|t| t.states_of(pid)),
        );
        if let Some(heaviest) = self.heaviest.as_mut() {
            let tracker = &self.tracker;
            heaviest.choose(&rows, &self.last_rows, |row| tracker.group_of(row));
        }
        // Processes not seen by a complete scan have exited; a stopped scan proves nothing.
        if summary.is_complete() {
            self.tracker.forget_unseen(gen);
        }
        if let Some(max_rss) = self.smaps_max_rss {
            self.read_smaps(gen, max_rss);
        }
        if let Some(threads) = self.threads.as_mut() {
            threads.update(&self.tracker, gen, first);
        }
        if self.sockets.is_some() {
            self.count_sockets(gen, &budget);
        }
        if let Some((census, last)) = self.tcp.as_mut() {
            *last = census
                .count(&budget)
                .map_err(|e| say(&format!("serve: counting TCP connections: {e}")))
                .ok();
        }
        // A stopped scan's rows are a prefix; the scanner still holds the processes after it,
        // as the last scrape saw them.
        if !summary.is_complete() {
            let end = rows.last().map_or(i32::MIN, |r| r.pid);
            rows.extend(self.last_rows.iter().filter(|r| r.pid > end).copied());
        }
        self.rows = std::mem::replace(&mut self.last_rows, rows);
        Ok(summary)
    }

    /// The open sockets of every group: a census of each member's fds, through a handle
    /// checked to be it, until the budget runs out.
    fn count_sockets(&mut self, gen: u64, budget: &Budget) {
        let Some((groups, complete)) = self.sockets.as_mut() else {
            return;
        };
        groups.values_mut().for_each(|n| *n = 0);
        *complete = true;
        for (group, row) in self.tracker.members_seen(gen) {
            if budget.deadline().is_some_and(|d| Instant::now() >= d) {
                *complete = false;
                break;
            }
            let Some((mut proc, same)) = open_row(self.procfs, row) else {
                continue;
            };
            let counted = same.then(|| proc.fd_kinds(budget));
            let sockets = groups.entry(group.clone()).or_default();
            // Exited, or another user's: counted as the scan counts it.
            if let Some(Ok((kinds, walk))) = counted {
                *sockets += kinds.socket;
                *complete &= walk.is_complete();
            }
        }
    }

    /// PSS of every tracked process seen in this scrape, through a handle checked to be it.
    fn read_smaps(&mut self, gen: u64, max_rss: u64) {
        for (row, pss) in self.tracker.pss_of_members_seen(gen) {
            if row.rss_bytes.is_none_or(|rss| rss > max_rss) {
                *pss = None;
                continue;
            }
            let Some((mut proc, same)) = open_row(self.procfs, row) else {
                continue;
            };
            *pss = proc
                .smaps_rollup()
                .ok()
                .filter(|_| same)
                .map(|s| (s.pss_bytes, s.swap_pss_bytes.unwrap_or(0)));
        }
    }

    /// Writes the exposition: process-exporter's metrics per group, its scrape counters, and
    /// procfast's own account of the scrape.
    fn write(&self, out: &mut String, report: &ScrapeReport) {
        let groups = self.tracker.groups();
        exposition::write_groups(out, &groups, self.smaps_max_rss.is_some());
        if let Some(threads) = &self.threads {
            exposition::write_threads(out, threads);
        }
        if let Some((sockets, complete)) = &self.sockets {
            exposition::write_sockets(out, &groups, sockets, *complete);
        }
        if let Some((_, Some(count))) = &self.tcp {
            exposition::write_tcp(out, count);
        }
        if let Some(heaviest) = &self.heaviest {
            heaviest.write(out);
        }
        exposition::write_scrape_errors(out, &self.errors);
        exposition::write_scrape_report(out, report);
    }
}

/// A handle on the process of `row`, and whether it is still the process the scan saw (the same
/// start time, not a reused pid); `None` if it cannot be opened.
fn open_row(procfs: &ProcFs, row: &Row) -> Option<(procfast::Proc, bool)> {
    let mut proc = procfs.open_pid(row.pid).ok()?;
    let same = proc
        .stat()
        .is_ok_and(|st| Some(st.starttime()) == row.start_time_ticks);
    Some((proc, same))
}

/// serve's own process collector, with the network counters client_golang reports (one more
/// read of `/proc/self/net/dev` per scrape); `None`, said once, if /proc/self cannot be opened.
fn own_collector() -> Option<ProcessMetrics> {
    ProcessMetrics::myself()
        .map(|m| m.with_network(true))
        .map_err(|e| {
            say(&format!(
                "serve: opening its own /proc/self: {e}; process_* metrics left out"
            ))
        })
        .ok()
}

/// Names, in one line, the processes a scan was denied figures of (`--debug`): those figures
/// need ptrace access (CAP_SYS_PTRACE for a non-root serve).
fn log_denied(rows: &[Row]) {
    let mut line = String::new();
    let mut denied = 0;
    for row in rows.iter().filter(|r| r.denied) {
        denied += 1;
        // Writing to a String cannot fail.
        let _ = write!(
            line,
            " {} ({})",
            row.pid,
            String::from_utf8_lossy(row.comm()).escape_debug()
        );
    }
    if denied > 0 {
        say(&format!(
            "serve: debug: denied figures of {denied} processes:{line}"
        ));
    }
}
