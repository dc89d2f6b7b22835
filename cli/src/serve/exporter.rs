//! The host exporter's state between scrapes: which group each process belongs to, what each
//! one had consumed when last seen, and each group's counters, which never go backwards.
//!
//! process-exporter's rules, kept here so its dashboards read the same:
//! - A process is known by its pid and start time; its group is decided once, when it is first
//!   seen: the first config entry that matches it, or with `children`, the group of its nearest
//!   tracked ancestor. A process neither matched nor descended from a match is ignored for good.
//! - A group's counters (CPU, I/O, faults, context switches) are the sum of its members' growth
//!   since they were first seen, accumulated: a member that exits takes nothing away. A process
//!   started after the exporter's first scrape counts from zero (all it has consumed is new); one
//!   already running at the first scrape counts from what it had then.
//! - A group stays in the output once seen, with gauges at zero when it has no members.

use super::config::{self, Config, ProcInfo};
use crate::failure::say;
use procfast::{Budget, Fields, ProcFs, Row, ScanSummary, Scanner};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use uzers::Users as _;

/// What one scan asks of a process first seen: everything process-exporter reports, from
/// `stat`, `status`, `io`, the fd directory, `/proc/<pid>` and the fd limit (and with
/// `--threads`, `wchan`).
const FIELDS: Fields = Fields::ALL.without(Fields::WCHAN);

/// What a scan asks of an ignored process it holds from the last scrape: one `stat` read, for
/// its parent (a `children` ancestry may pass through it).
const IGNORED: Fields = Fields::START_TIME.with(Fields::PPID);

/// A process as the tracker knows it across scrapes: pid and start time (a reused pid has a
/// later start time).
type Id = (i32, u64);

/// The counters of a process or a group.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counts {
    cpu_user: f64,
    cpu_system: f64,
    read_bytes: u64,
    write_bytes: u64,
    major_faults: u64,
    minor_faults: u64,
    voluntary: u64,
    nonvoluntary: u64,
    /// False where the context switches could not be read whole (with `--threads`, a thread
    /// scan stopped inside the process): they then grow by nothing, rather than by a part.
    switches_read: bool,
}

impl Counts {
    fn of(row: &Row) -> Counts {
        Counts {
            cpu_user: row.cpu_user_seconds.unwrap_or(0.0),
            cpu_system: row.cpu_system_seconds.unwrap_or(0.0),
            read_bytes: row.io_read_bytes.unwrap_or(0),
            write_bytes: row.io_write_bytes.unwrap_or(0),
            major_faults: row.major_faults.unwrap_or(0),
            minor_faults: row.minor_faults.unwrap_or(0),
            voluntary: row.voluntary_ctxt_switches.unwrap_or(0),
            nonvoluntary: row.nonvoluntary_ctxt_switches.unwrap_or(0),
            switches_read: row.voluntary_ctxt_switches.is_some()
                && row.nonvoluntary_ctxt_switches.is_some(),
        }
    }

    /// These counts, with the context switches of `earlier` where these have none.
    fn or_switches_of(mut self, earlier: &Counts) -> Counts {
        if !self.switches_read {
            self.voluntary = earlier.voluntary;
            self.nonvoluntary = earlier.nonvoluntary;
            self.switches_read = earlier.switches_read;
        }
        self
    }

    /// `self - earlier`, never below zero (a figure that could not be read this time reads 0).
    fn growth_since(&self, earlier: &Counts) -> Counts {
        let both = self.switches_read && earlier.switches_read;
        let switches = |now: u64, then: u64| if both { now.saturating_sub(then) } else { 0 };
        Counts {
            cpu_user: (self.cpu_user - earlier.cpu_user).max(0.0),
            cpu_system: (self.cpu_system - earlier.cpu_system).max(0.0),
            read_bytes: self.read_bytes.saturating_sub(earlier.read_bytes),
            write_bytes: self.write_bytes.saturating_sub(earlier.write_bytes),
            major_faults: self.major_faults.saturating_sub(earlier.major_faults),
            minor_faults: self.minor_faults.saturating_sub(earlier.minor_faults),
            voluntary: switches(self.voluntary, earlier.voluntary),
            nonvoluntary: switches(self.nonvoluntary, earlier.nonvoluntary),
            // A growth's switches were measured only if both ends were.
            switches_read: both,
        }
    }

    fn add(&mut self, other: &Counts) {
        self.cpu_user += other.cpu_user;
        self.cpu_system += other.cpu_system;
        self.read_bytes = self.read_bytes.saturating_add(other.read_bytes);
        self.write_bytes = self.write_bytes.saturating_add(other.write_bytes);
        self.major_faults = self.major_faults.saturating_add(other.major_faults);
        self.minor_faults = self.minor_faults.saturating_add(other.minor_faults);
        self.voluntary = self.voluntary.saturating_add(other.voluntary);
        self.nonvoluntary = self.nonvoluntary.saturating_add(other.nonvoluntary);
    }
}

/// A process's place in the tracker: its group (`None`: ignored for good), its last row and
/// counters, and the scrape that last saw it.
#[derive(Debug)]
struct Tracked {
    group: Option<Arc<str>>,
    row: Row,
    counts: Counts,
    seen: u64,
    /// PSS and swap PSS from `smaps_rollup`, with `--smaps`, for processes under its RSS cap.
    pss: Option<(u64, u64)>,
    /// With `--threads`, its threads by state (Running, Sleeping, Waiting, Zombie, Other) in
    /// this scrape, where every thread was read.
    thread_states: Option<[u64; 5]>,
}

/// A group's gauges, summed over its members in one scrape.
#[derive(Clone, Copy, Debug, Default)]
struct Gauges {
    procs: u64,
    resident: u64,
    virtual_bytes: u64,
    swapped: u64,
    proportional: u64,
    proportional_swapped: u64,
    open_fds: u64,
    worst_fd_ratio: f64,
    threads: u64,
    oldest_start: Option<f64>,
    running: u64,
    sleeping: u64,
    waiting: u64,
    zombie: u64,
    other: u64,
}

impl Gauges {
    fn add(&mut self, tracked: &Tracked, boot_time: f64) {
        let (row, pss) = (&tracked.row, tracked.pss);
        self.procs += 1;
        if let Some((pss, swap_pss)) = pss {
            self.proportional += pss;
            self.proportional_swapped += swap_pss;
        }
        self.resident += row.rss_bytes.unwrap_or(0);
        self.virtual_bytes += row.vsize_bytes.unwrap_or(0);
        self.swapped += row.swap_bytes.unwrap_or(0);
        self.open_fds += row.fds.unwrap_or(0);
        if let (Some(fds), Some(limit)) = (row.fds, row.fd_limit) {
            let ratio = fds as f64 / limit.max(1) as f64;
            self.worst_fd_ratio = self.worst_fd_ratio.max(ratio);
        }
        self.threads += row.threads.unwrap_or(0);
        if let Some(start) = row.start_time_seconds {
            let start = boot_time + start;
            self.oldest_start = Some(self.oldest_start.map_or(start, |o| o.min(start)));
        }
        let states = tracked.thread_states.unwrap_or_else(|| {
            let mut one = [0; 5];
            one[state_index(row.state)] = 1;
            one
        });
        for (sum, n) in [
            &mut self.running,
            &mut self.sleeping,
            &mut self.waiting,
            &mut self.zombie,
            &mut self.other,
        ]
        .into_iter()
        .zip(states)
        {
            *sum += n;
        }
    }
}

/// The place of a state letter among process-exporter's five states: Running, Sleeping,
/// Waiting (disk sleep), Zombie, Other.
fn state_index(state: Option<u8>) -> usize {
    match state {
        Some(b'R') => 0,
        Some(b'S') => 1,
        Some(b'D') => 2,
        Some(b'Z') => 3,
        _ => 4,
    }
}

/// How a metric's value comes from a group's counters and gauges.
type ValueOf<'a> = &'a dyn Fn(&Counts, &Gauges) -> f64;

/// Counters of the exporter's own work, as process-exporter names them.
#[derive(Clone, Copy, Debug, Default)]
struct ScrapeErrors {
    /// Scrapes that failed as a whole.
    scrape: u64,
    /// Processes whose figures could not be read at all.
    procread: u64,
    /// Processes some of whose figures were denied.
    partial: u64,
}

/// The exporter: a kept scanner and the tracker's state.
pub struct Exporter {
    procfs: &'static ProcFs,
    scanner: Scanner,
    config: Config,
    children: bool,
    boot_time: f64,
    tracked: HashMap<Id, Tracked>,
    groups: BTreeMap<Arc<str>, Counts>,
    scrapes: u64,
    first_scrape_ticks: Option<u64>,
    errors: ScrapeErrors,
    rows: Vec<Row>,
    /// The rows of the last scrape, by ascending pid: what a kept handle's process was.
    last_rows: Vec<Row>,
    users: uzers::UsersCache,
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
    /// With `--debug`: each scrape logs the processes it was denied figures of.
    debug: bool,
}

/// The per-thread metrics of `--threads`, as process-exporter keeps them: threads of a tracked
/// process with more than one thread, by group and thread name; counters grow by each thread's
/// growth since it was first seen, and start again when a group has no such threads left.
struct Threads {
    scanner: Scanner,
    rows: Vec<Row>,
    /// Each thread by tid and start time: its group, name and last counters.
    seen: HashMap<Id, (Arc<str>, Arc<str>, Counts, u64)>,
    /// Counters by (group, thread name).
    accum: BTreeMap<(Arc<str>, Arc<str>), Counts>,
    /// Threads by (group, thread name), in the last scrape.
    counts: BTreeMap<(Arc<str>, Arc<str>), u64>,
    /// Per multi-threaded process of this scrape whose every thread was read: its threads'
    /// context switches summed (process-exporter's figure), and its threads by state.
    whole: HashMap<i32, ([u64; 2], [u64; 5])>,
    /// Threads by group and `wchan`, in the last scrape (names kept, counts zeroed each time).
    wchans: BTreeMap<Arc<str>, BTreeMap<Box<[u8]>, u64>>,
    /// Whether the last thread scan visited every thread.
    complete: bool,
}

/// What one scrape saw, for the `procfast_scrape_*` metrics.
#[derive(Clone, Copy, Debug)]
pub struct ScrapeReport {
    /// The scan's summary (complete, scanned, vanished, denied, refused).
    pub summary: ScanSummary,
    /// How long the scan and the grouping took.
    pub duration: Duration,
    /// The budget the scan ran under.
    pub budget: Option<Duration>,
}

impl Exporter {
    /// An exporter of the processes of `procfs`, grouped by `config`; with `children`, a process
    /// no entry matches joins its nearest tracked ancestor's group. Keeps handles for up to
    /// `fd_budget` fds.
    pub fn new(
        procfs: &'static ProcFs,
        config: Config,
        children: bool,
        fd_budget: usize,
    ) -> procfast::Result<Exporter> {
        let scanner = Scanner::in_procfs(procfs, FIELDS)?.keep_handles(fd_budget);
        let boot_time = procfast::System::in_procfs(procfs)?
            .stat()
            .map(|stat| stat.btime as f64)
            .unwrap_or_else(|_| boot_time_from_clock());
        Ok(Exporter {
            procfs,
            scanner,
            config,
            children,
            boot_time,
            tracked: HashMap::new(),
            groups: BTreeMap::new(),
            scrapes: 0,
            first_scrape_ticks: None,
            errors: ScrapeErrors::default(),
            rows: Vec::new(),
            last_rows: Vec::new(),
            users: uzers::UsersCache::new(),
            smaps_max_rss: None,
            threads: None,
            fields: FIELDS,
            sockets: None,
            tcp: None,
            debug: false,
        })
    }

    /// Log, each scrape, which processes some figures were denied of (`--debug`).
    pub fn with_debug(mut self, debug: bool) -> Exporter {
        self.debug = debug;
        self
    }

    /// Also report PSS (`memtype="proportionalResident"` and `"proportionalSwapped"`) from
    /// `smaps_rollup`, for tracked processes whose RSS is at most `max_rss` (the kernel walks
    /// every page table of a process to write that file).
    pub fn with_smaps(mut self, max_rss: Option<u64>) -> Exporter {
        self.smaps_max_rss = max_rss;
        self
    }

    /// Also report each group's open sockets (`procfast_namegroup_open_sockets`): a census of
    /// every member's fds, one `readlinkat` per fd, within the scrape's budget.
    pub fn with_sockets(mut self, sockets: bool) -> Exporter {
        self.sockets = sockets.then(|| (BTreeMap::new(), true));
        self
    }

    /// Also report the host's TCP connections by state (`procfast_tcp_connections`), by a
    /// netlink dump each scrape (or `/proc/net/tcp{,6}` where netlink is refused).
    pub fn with_tcp(mut self, tcp: bool) -> procfast::Result<Exporter> {
        if tcp {
            self.tcp = Some((procfast::TcpCensus::in_procfs(self.procfs)?, None));
        }
        Ok(self)
    }

    /// Also report process-exporter's per-thread metrics (`namedprocess_namegroup_thread_*`),
    /// from a scan of every thread each scrape.
    pub fn with_threads(mut self, threads: bool) -> procfast::Result<Exporter> {
        if threads {
            let fields = Fields::COMM
                | Fields::STATE
                | Fields::CPU
                | Fields::START_TIME
                | Fields::FAULTS
                | Fields::CTXT_SWITCHES
                | Fields::IO
                | Fields::WCHAN;
            // A single-threaded process's wchan is its own thread's.
            self.fields.insert(Fields::WCHAN);
            self.threads = Some(Threads {
                scanner: Scanner::in_procfs(self.procfs, fields)?.threads(true),
                rows: Vec::new(),
                seen: HashMap::new(),
                accum: BTreeMap::new(),
                counts: BTreeMap::new(),
                whole: HashMap::new(),
                wchans: BTreeMap::new(),
                complete: false,
            });
        }
        Ok(self)
    }

    /// Scans, updates the groups and writes the exposition text into `out`. The scan ends
    /// within `budget` if one is given; a scan it stopped serves what it has and says so
    /// (`procfast_scrape_complete 0`).
    pub fn scrape(&mut self, budget: Option<Duration>, out: &mut String) -> ScrapeReport {
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
        report
    }

    /// One scan: rows for every process the budget allows, the tracker brought up to date.
    fn update(&mut self, budget: Option<Duration>) -> procfast::Result<ScanSummary> {
        // One deadline for the scrape, shared by the scan of processes and that of threads.
        let budget = budget
            .and_then(|b| Instant::now().checked_add(b))
            .map_or(Budget::UNLIMITED, Budget::until);
        let mut rows = std::mem::take(&mut self.rows);
        rows.clear();
        let (last, tracked, first_sight) = (&self.last_rows, &self.tracked, self.fields);
        // Its owner (read for `{{.Username}}`, once) cannot have changed.
        let known_fields = first_sight.without(Fields::UID);
        // A process held since the last scrape is the one that scrape saw at its pid: what is
        // known of it need not be read again.
        let choose = |pid: i32, kept: bool| {
            let known = kept
                .then(|| last.binary_search_by_key(&pid, |r| r.pid).ok())
                .flatten()
                .and_then(|i| tracked.get(&(pid, last[i].start_time_ticks?)));
            match known {
                Some(t) if t.group.is_some() => known_fields,
                Some(_) => IGNORED,
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
        if self.threads.is_some() {
            self.scan_threads(&mut rows, &budget)?;
        }
        // A process counts from zero if it started after the first scrape: what it consumed
        // happened while we were watching.
        let ticks_now = uptime_ticks();
        let first = *self.first_scrape_ticks.get_or_insert(ticks_now);

        let gen = self.scrapes;
        let mut new: Vec<usize> = Vec::new();
        if self.debug {
            log_denied(&rows);
        }
        for (i, row) in rows.iter().enumerate() {
            self.errors.partial += u64::from(row.denied);
            let Some(start) = row.start_time_ticks else {
                self.errors.procread += 1;
                continue;
            };
            match self.tracked.get_mut(&(row.pid, start)) {
                Some(tracked) => {
                    let now = Counts::of(row);
                    let growth = now.growth_since(&tracked.counts);
                    tracked.counts = now.or_switches_of(&tracked.counts);
                    tracked.row = *row;
                    tracked.seen = gen;
                    tracked.thread_states = self
                        .threads
                        .as_ref()
                        .and_then(|t| t.whole.get(&row.pid).map(|&(_, states)| states));
                    if let Some(group) = &tracked.group {
                        self.groups.entry(group.clone()).or_default().add(&growth);
                    }
                }
                None => new.push(i),
            }
        }
        // New processes: named by the config first, then (children) by their ancestry.
        let mut unnamed = Vec::new();
        for &i in &new {
            let row = &rows[i];
            let group = self.name(row);
            if group.is_none() {
                unnamed.push(i);
            }
            self.track(row, group, first, gen);
        }
        if self.children {
            let by_pid: HashMap<i32, usize> =
                rows.iter().enumerate().map(|(i, r)| (r.pid, i)).collect();
            for &i in &unnamed {
                let group = self.ancestor_group(&rows, &by_pid, i);
                if let Some(group) = group {
                    let row = &rows[i];
                    if let Some(start) = row.start_time_ticks {
                        if let Some(tracked) = self.tracked.get_mut(&(row.pid, start)) {
                            tracked.group = Some(group.clone());
                            let counts = if start > first {
                                tracked.counts
                            } else {
                                Counts::default()
                            };
                            self.groups.entry(group).or_default().add(&counts);
                        }
                    }
                }
            }
        }
        // Processes not seen by a complete scan have exited; a stopped scan proves nothing.
        if summary.is_complete() {
            self.tracked.retain(|_, t| t.seen == gen);
        }
        if let Some(max_rss) = self.smaps_max_rss {
            self.read_smaps(gen, max_rss);
        }
        if self.threads.is_some() {
            self.update_threads(gen, first);
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

    /// One scan of every thread, keeping those of multi-threaded processes among `processes`.
    /// Where every thread of a process was read, its row's context switches become its
    /// threads' sum, as process-exporter reports them; where not, they are left unread.
    fn scan_threads(&mut self, processes: &mut [Row], budget: &Budget) -> procfast::Result<()> {
        let Some(threads) = self.threads.as_mut() else {
            return Ok(());
        };
        let multi: HashMap<i32, u64> = processes
            .iter()
            .filter_map(|r| Some((r.pid, r.threads.filter(|&n| n > 1)?)))
            .collect();
        let mut rows = std::mem::take(&mut threads.rows);
        rows.clear();
        let summary = threads.scanner.scan(budget, |row| {
            if multi.contains_key(&row.tgid) {
                rows.push(*row);
            }
            ControlFlow::Continue(())
        })?;
        // A thread scan lists a process's threads one after another: sum them up by process.
        threads.whole.clear();
        let mut at = 0;
        while at < rows.len() {
            let tgid = rows[at].tgid;
            let end = at + rows[at..].iter().take_while(|r| r.tgid == tgid).count();
            let mine = &rows[at..end];
            let mut switches = Some([0u64; 2]);
            let mut states = [0u64; 5];
            for t in mine {
                switches = switches.and_then(|[v, n]| {
                    Some([
                        v + t.voluntary_ctxt_switches?,
                        n + t.nonvoluntary_ctxt_switches?,
                    ])
                });
                states[state_index(t.state)] += 1;
            }
            // The last process of a stopped scan may have been cut short.
            let cut = end == rows.len() && !summary.is_complete();
            if let (Some(switches), false) = (switches, cut) {
                threads.whole.insert(tgid, (switches, states));
            }
            at = end;
        }
        for row in processes.iter_mut().filter(|r| multi.contains_key(&r.pid)) {
            let summed = threads.whole.get(&row.pid).map(|&(s, _)| s);
            row.voluntary_ctxt_switches = summed.map(|[v, _]| v);
            row.nonvoluntary_ctxt_switches = summed.map(|[_, n]| n);
        }
        threads.complete = summary.is_complete();
        threads.rows = rows;
        Ok(())
    }

    /// The per-thread metrics of this scrape's thread rows, by group and thread name, and the
    /// group's threads by `wchan`.
    fn update_threads(&mut self, gen: u64, first: u64) {
        let Some(threads) = self.threads.as_mut() else {
            return;
        };
        threads.counts.clear();
        for counts in threads.wchans.values_mut() {
            counts.values_mut().for_each(|n| *n = 0);
        }
        let mut count_wchan = |group: &Arc<str>, wchan: &[u8]| {
            if wchan.is_empty() {
                return;
            }
            let of_group = threads.wchans.entry(group.clone()).or_default();
            match of_group.get_mut(wchan) {
                Some(n) => *n += 1,
                None => {
                    of_group.insert(wchan.into(), 1);
                }
            }
        };
        // The group of each tracked process seen now, by pid. A process whose threads were
        // not all read counts as its main thread in the wchan census.
        let mut groups: HashMap<i32, &Arc<str>> = HashMap::new();
        for tracked in self.tracked.values().filter(|t| t.seen == gen) {
            if let Some(group) = &tracked.group {
                groups.insert(tracked.row.pid, group);
                if !threads.whole.contains_key(&tracked.row.pid) {
                    count_wchan(group, tracked.row.wchan());
                }
            }
        }
        for row in &threads.rows {
            let Some(start) = row.start_time_ticks else {
                continue;
            };
            let Some(group) = groups.get(&row.tgid) else {
                continue;
            };
            if threads.whole.contains_key(&row.tgid) {
                count_wchan(group, row.wchan());
            }
            let name: Arc<str> = Arc::from(String::from_utf8_lossy(row.comm()).as_ref());
            let now = Counts::of(row);
            let key = ((*group).clone(), name.clone());
            let growth = match threads.seen.get(&(row.pid, start)) {
                Some((_, _, last, _)) => now.growth_since(last),
                // A thread started while we watched counts from zero.
                None if start > first => now,
                None => Counts::default(),
            };
            threads
                .seen
                .insert((row.pid, start), ((*group).clone(), name, now, gen));
            threads.accum.entry(key.clone()).or_default().add(&growth);
            *threads.counts.entry(key).or_default() += 1;
        }
        // Threads not seen by a complete scan have exited; a stopped scan proves nothing.
        if threads.complete {
            threads.seen.retain(|_, t| t.3 == gen);
            // A name no thread of the group has now starts again from zero, as
            // process-exporter's.
            let counts = &threads.counts;
            threads.accum.retain(|key, _| counts.contains_key(key));
        }
    }

    /// The open sockets of every group: a census of each member's fds, through a handle
    /// checked to be it, until the budget runs out.
    fn count_sockets(&mut self, gen: u64, budget: &Budget) {
        let Some((groups, complete)) = self.sockets.as_mut() else {
            return;
        };
        groups.values_mut().for_each(|n| *n = 0);
        *complete = true;
        for tracked in self.tracked.values().filter(|t| t.seen == gen) {
            let Some(group) = &tracked.group else {
                continue;
            };
            if budget.deadline().is_some_and(|d| Instant::now() >= d) {
                *complete = false;
                break;
            }
            let Ok(mut proc) = self.procfs.open_pid(tracked.row.pid) else {
                continue;
            };
            let same = proc
                .stat()
                .is_ok_and(|st| Some(st.starttime()) == tracked.row.start_time_ticks);
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
        for tracked in self.tracked.values_mut() {
            if tracked.group.is_none() || tracked.seen != gen {
                continue;
            }
            if tracked.row.rss_bytes.is_none_or(|rss| rss > max_rss) {
                tracked.pss = None;
                continue;
            }
            let Ok(mut proc) = self.procfs.open_pid(tracked.row.pid) else {
                continue;
            };
            let same = proc
                .stat()
                .is_ok_and(|st| Some(st.starttime()) == tracked.row.start_time_ticks);
            tracked.pss = proc
                .smaps_rollup()
                .ok()
                .filter(|_| same)
                .map(|s| (s.pss_bytes, s.swap_pss_bytes.unwrap_or(0)));
        }
    }

    /// Starts tracking a process first seen now, in `group` (or ignored).
    fn track(&mut self, row: &Row, group: Option<Arc<str>>, first: u64, gen: u64) {
        let Some(start) = row.start_time_ticks else {
            return;
        };
        let counts = Counts::of(row);
        if let Some(group) = &group {
            // Started after the first scrape: all it has consumed is growth we saw.
            let initial = if start > first {
                counts
            } else {
                Counts::default()
            };
            self.groups.entry(group.clone()).or_default().add(&initial);
        }
        self.tracked.insert(
            (row.pid, start),
            Tracked {
                group,
                row: *row,
                counts,
                seen: gen,
                pss: None,
                thread_states: self
                    .threads
                    .as_ref()
                    .and_then(|t| t.whole.get(&row.pid).map(|&(_, states)| states)),
            },
        );
    }

    /// The group the config gives a process, reading its command line, cgroups and user name
    /// only if the config uses them.
    fn name(&mut self, row: &Row) -> Option<Arc<str>> {
        let username = match (self.config.needs_username(), row.uid) {
            (true, Some(uid)) => self
                .users
                .get_user_by_uid(uid)
                .map(|u| u.name().to_string_lossy().into_owned())
                .unwrap_or_else(|| uid.to_string()),
            _ => String::new(),
        };
        let (mut args, mut cgroups) = (Vec::new(), Vec::new());
        if self.config.needs_cmdline() || self.config.needs_cgroups() {
            // Through a handle, checked to be the process of the row (same start time).
            if let Ok(mut proc) = self.procfs.open_pid(row.pid) {
                let same = proc
                    .stat()
                    .is_ok_and(|st| Some(st.starttime()) == row.start_time_ticks);
                if same && self.config.needs_cmdline() {
                    // Split as process-exporter splits it (every trailing NUL dropped).
                    if let Ok(cmdline) = proc.cmdline() {
                        args = config::split_cmdline(cmdline.as_bytes())
                            .into_iter()
                            .map(<[u8]>::to_vec)
                            .collect();
                    }
                }
                if same && self.config.needs_cgroups() {
                    if let Ok(raw) = proc.read_file(c"cgroup") {
                        cgroups = config::cgroup_paths(raw)
                            .into_iter()
                            .map(<[u8]>::to_vec)
                            .collect();
                    }
                }
            }
        }
        let argv: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        let cgroup_paths: Vec<&[u8]> = cgroups.iter().map(Vec::as_slice).collect();
        let start_ticks = row.start_time_ticks.unwrap_or(0);
        let start_time = SystemTime::UNIX_EPOCH
            + Duration::from_secs(self.boot_time as u64)
            + Duration::from_secs_f64(
                start_ticks as f64 / procfast::clock_ticks_per_second() as f64,
            );
        let info = ProcInfo {
            pid: row.pid,
            comm: row.comm(),
            cmdline: &argv,
            username: &username,
            start_time,
            cgroups: &cgroup_paths,
        };
        self.config.group_name(&info).map(Arc::from)
    }

    /// The group of the nearest tracked ancestor of `rows[i]`, if the chain of parents reaches
    /// one: a new parent without a group passes the question on to its own parent.
    fn ancestor_group(
        &self,
        rows: &[Row],
        by_pid: &HashMap<i32, usize>,
        i: usize,
    ) -> Option<Arc<str>> {
        let mut at = i;
        // A chain of parents is at most as long as the list of processes.
        for _ in 0..rows.len() {
            let ppid = rows[at].ppid?;
            if ppid < 1 {
                return None;
            }
            let &parent = by_pid.get(&ppid)?;
            let start = rows[parent].start_time_ticks?;
            let tracked = self.tracked.get(&(ppid, start))?;
            if tracked.group.is_some() {
                return tracked.group.clone();
            }
            at = parent;
        }
        None
    }

    /// Writes the exposition: process-exporter's metrics per group, its scrape counters, and
    /// procfast's own account of the scrape.
    fn write(&self, out: &mut String, report: &ScrapeReport) {
        let mut gauges: BTreeMap<&Arc<str>, Gauges> =
            self.groups.keys().map(|g| (g, Gauges::default())).collect();
        for tracked in self.tracked.values() {
            if let Some(group) = &tracked.group {
                if let Some(g) = gauges.get_mut(group) {
                    g.add(tracked, self.boot_time);
                }
            }
        }
        let groups: Vec<(String, &Counts, &Gauges)> = self
            .groups
            .iter()
            .filter_map(|(name, counts)| Some((escape_label(name), counts, gauges.get(name)?)))
            .collect();
        let family = |out: &mut String, name: &str, help: &str, kind: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        let per_group = |out: &mut String, name: &str, help: &str, kind: &str, value: ValueOf| {
            family(out, name, help, kind);
            for (group, counts, g) in &groups {
                let _ = writeln!(out, "{name}{{groupname=\"{group}\"}} {}", value(counts, g));
            }
        };
        let labelled = |out: &mut String,
                        name: &str,
                        help: &str,
                        kind: &str,
                        label: &str,
                        values: &[(&str, ValueOf)]| {
            family(out, name, help, kind);
            for (group, counts, g) in &groups {
                for (label_value, value) in values {
                    let _ = writeln!(
                        out,
                        "{name}{{groupname=\"{group}\",{label}=\"{label_value}\"}} {}",
                        value(counts, g)
                    );
                }
            }
        };
        let n = |v: u64| v as f64;
        per_group(
            out,
            "namedprocess_namegroup_num_procs",
            "number of processes in this group",
            "gauge",
            &|_, g| n(g.procs),
        );
        labelled(
            out,
            "namedprocess_namegroup_cpu_seconds_total",
            "Cpu user usage in seconds",
            "counter",
            "mode",
            &[
                ("user", &|c, _| c.cpu_user),
                ("system", &|c, _| c.cpu_system),
            ],
        );
        per_group(
            out,
            "namedprocess_namegroup_read_bytes_total",
            "number of bytes read by this group",
            "counter",
            &|c, _| n(c.read_bytes),
        );
        per_group(
            out,
            "namedprocess_namegroup_write_bytes_total",
            "number of bytes written by this group",
            "counter",
            &|c, _| n(c.write_bytes),
        );
        per_group(
            out,
            "namedprocess_namegroup_major_page_faults_total",
            "Major page faults",
            "counter",
            &|c, _| n(c.major_faults),
        );
        per_group(
            out,
            "namedprocess_namegroup_minor_page_faults_total",
            "Minor page faults",
            "counter",
            &|c, _| n(c.minor_faults),
        );
        labelled(
            out,
            "namedprocess_namegroup_context_switches_total",
            "Context switches",
            "counter",
            "ctxswitchtype",
            &[
                ("voluntary", &|c, _| n(c.voluntary)),
                ("nonvoluntary", &|c, _| n(c.nonvoluntary)),
            ],
        );
        let resident = |_: &Counts, g: &Gauges| n(g.resident);
        let virtual_bytes = |_: &Counts, g: &Gauges| n(g.virtual_bytes);
        let swapped = |_: &Counts, g: &Gauges| n(g.swapped);
        let proportional = |_: &Counts, g: &Gauges| n(g.proportional);
        let proportional_swapped = |_: &Counts, g: &Gauges| n(g.proportional_swapped);
        let mut memory: Vec<(&str, ValueOf)> = vec![
            ("resident", &resident),
            ("virtual", &virtual_bytes),
            ("swapped", &swapped),
        ];
        if self.smaps_max_rss.is_some() {
            memory.push(("proportionalResident", &proportional));
            memory.push(("proportionalSwapped", &proportional_swapped));
        }
        labelled(
            out,
            "namedprocess_namegroup_memory_bytes",
            "number of bytes of memory in use",
            "gauge",
            "memtype",
            &memory,
        );
        per_group(
            out,
            "namedprocess_namegroup_open_filedesc",
            "number of open file descriptors for this group",
            "gauge",
            &|_, g| n(g.open_fds),
        );
        per_group(
            out,
            "namedprocess_namegroup_worst_fd_ratio",
            "the worst (closest to 1) ratio between open fds and max fds among all procs in this group",
            "gauge",
            &|_, g| g.worst_fd_ratio,
        );
        per_group(
            out,
            "namedprocess_namegroup_oldest_start_time_seconds",
            "start time in seconds since 1970/01/01 of oldest process in group",
            "gauge",
            &|_, g| g.oldest_start.map_or(0.0, f64::trunc),
        );
        per_group(
            out,
            "namedprocess_namegroup_num_threads",
            "Number of threads",
            "gauge",
            &|_, g| n(g.threads),
        );
        labelled(
            out,
            "namedprocess_namegroup_states",
            "Number of processes in states Running, Sleeping, Waiting, Zombie, or Other",
            "gauge",
            "state",
            &[
                ("Running", &|_, g| n(g.running)),
                ("Sleeping", &|_, g| n(g.sleeping)),
                ("Waiting", &|_, g| n(g.waiting)),
                ("Zombie", &|_, g| n(g.zombie)),
                ("Other", &|_, g| n(g.other)),
            ],
        );
        if let Some(threads) = &self.threads {
            self.write_threads(out, threads);
        }
        if let Some((sockets, complete)) = &self.sockets {
            family(
                out,
                "procfast_namegroup_open_sockets",
                "Open socket fds of the group's processes (a census of their fds; a lower bound when procfast_namegroup_sockets_complete is 0).",
                "gauge",
            );
            for name in self.groups.keys() {
                let n = sockets.get(name).copied().unwrap_or(0);
                let group = escape_label(name);
                let _ = writeln!(
                    out,
                    "procfast_namegroup_open_sockets{{groupname=\"{group}\"}} {n}"
                );
            }
            family(
                out,
                "procfast_namegroup_sockets_complete",
                "1 if every member's fd census finished within the scrape's budget.",
                "gauge",
            );
            let _ = writeln!(
                out,
                "procfast_namegroup_sockets_complete {}",
                u8::from(*complete)
            );
        }
        if let Some((_, Some(count))) = &self.tcp {
            family(
                out,
                "procfast_tcp_connections",
                "TCP sockets of the exporter's network namespace, by state.",
                "gauge",
            );
            for state in procfast::parse::tcp_state::TcpState::ALL {
                let _ = writeln!(
                    out,
                    "procfast_tcp_connections{{state=\"{}\"}} {}",
                    state.name(),
                    count.states.get(state)
                );
            }
            family(
                out,
                "procfast_tcp_census_complete",
                "1 if the TCP census saw every socket; method says how it counted.",
                "gauge",
            );
            let _ = writeln!(
                out,
                "procfast_tcp_census_complete{{method=\"{}\"}} {}",
                count.method.as_str(),
                u8::from(count.is_complete())
            );
        }
        let scalar = |out: &mut String, name: &str, help: &str, kind: &str, value: f64| {
            family(out, name, help, kind);
            let _ = writeln!(out, "{name} {value}");
        };
        scalar(
            out,
            "namedprocess_scrape_errors",
            "general scrape errors: no proc metrics collected during a cycle",
            "counter",
            n(self.errors.scrape),
        );
        scalar(
            out,
            "namedprocess_scrape_procread_errors",
            "incremented each time a proc's metrics collection fails",
            "counter",
            n(self.errors.procread),
        );
        scalar(
            out,
            "namedprocess_scrape_partial_errors",
            "incremented each time a tracked proc's metrics collection fails partially, e.g. unreadable I/O stats",
            "counter",
            n(self.errors.partial),
        );
        let summary = &report.summary;
        scalar(
            out,
            "procfast_scrape_complete",
            "1 if the scrape visited every process, 0 if its time budget stopped it first.",
            "gauge",
            if summary.is_complete() { 1.0 } else { 0.0 },
        );
        scalar(
            out,
            "procfast_scrape_duration_seconds",
            "Time the scrape's scan and grouping took.",
            "gauge",
            report.duration.as_secs_f64(),
        );
        scalar(
            out,
            "procfast_scrape_budget_seconds",
            "The time budget the scan ran under (from the scrape timeout and --budget-ms); 0 for none.",
            "gauge",
            report.budget.map_or(0.0, |b| b.as_secs_f64()),
        );
        family(
            out,
            "procfast_scrape_processes",
            "Processes the scrape's scan accounted for, by outcome.",
            "gauge",
        );
        for (outcome, count) in [
            ("scanned", summary.scanned),
            ("vanished", summary.vanished),
            ("denied", summary.denied),
            ("refused", summary.refused),
        ] {
            let _ = writeln!(
                out,
                "procfast_scrape_processes{{outcome=\"{outcome}\"}} {count}"
            );
        }
    }
}

impl Exporter {
    /// process-exporter's `namedprocess_namegroup_thread_*` families.
    fn write_threads(&self, out: &mut String, threads: &Threads) {
        type Of = fn(&Counts, u64) -> f64;
        /// Name, help, type, the label that tells values apart, and the values.
        type Family<'a> = (
            &'a str,
            &'a str,
            &'a str,
            Option<&'a str>,
            &'a [(&'a str, Of)],
        );
        let families: [Family; 6] = [
            (
                "namedprocess_namegroup_thread_count",
                "Number of threads in this group with same threadname",
                "gauge",
                None,
                &[("", |_, n| n as f64)],
            ),
            (
                "namedprocess_namegroup_thread_cpu_seconds_total",
                "Cpu user/system usage in seconds",
                "counter",
                Some("mode"),
                &[("user", |c, _| c.cpu_user), ("system", |c, _| c.cpu_system)],
            ),
            (
                "namedprocess_namegroup_thread_io_bytes_total",
                "number of bytes read/written by these threads",
                "counter",
                Some("iomode"),
                &[
                    ("read", |c, _| c.read_bytes as f64),
                    ("write", |c, _| c.write_bytes as f64),
                ],
            ),
            (
                "namedprocess_namegroup_thread_major_page_faults_total",
                "Major page faults for these threads",
                "counter",
                None,
                &[("", |c, _| c.major_faults as f64)],
            ),
            (
                "namedprocess_namegroup_thread_minor_page_faults_total",
                "Minor page faults for these threads",
                "counter",
                None,
                &[("", |c, _| c.minor_faults as f64)],
            ),
            (
                "namedprocess_namegroup_thread_context_switches_total",
                "Context switches for these threads",
                "counter",
                Some("ctxswitchtype"),
                &[
                    ("voluntary", |c, _| c.voluntary as f64),
                    ("nonvoluntary", |c, _| c.nonvoluntary as f64),
                ],
            ),
        ];
        for (name, help, kind, label, values) in families {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for ((group, thread), count) in &threads.counts {
                let counts = threads
                    .accum
                    .get(&(group.clone(), thread.clone()))
                    .copied()
                    .unwrap_or_default();
                let (group, thread) = (escape_label(group), escape_label(thread));
                for (value_label, value) in values {
                    let extra = label.map_or(String::new(), |l| format!(",{l}=\"{value_label}\""));
                    let _ = writeln!(
                        out,
                        "{name}{{groupname=\"{group}\",threadname=\"{thread}\"{extra}}} {}",
                        value(&counts, *count)
                    );
                }
            }
        }
        let name = "namedprocess_namegroup_threads_wchan";
        let _ = writeln!(
            out,
            "# HELP {name} Number of threads in this group waiting on each wchan\n# TYPE {name} gauge"
        );
        for (group, wchans) in &threads.wchans {
            let group = escape_label(group);
            for (wchan, count) in wchans.iter().filter(|(_, &n)| n > 0) {
                let wchan = escape_label(&String::from_utf8_lossy(wchan));
                let _ = writeln!(
                    out,
                    "{name}{{groupname=\"{group}\",wchan=\"{wchan}\"}} {count}"
                );
            }
        }
    }
}

/// A label value as the text format writes it: `\`, `"` and newlines escaped.
fn escape_label(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// Seconds since the epoch at boot, from the clock (for mounts without `/proc/stat`).
fn boot_time_from_clock() -> f64 {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    now - uptime_seconds()
}

fn uptime_seconds() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}

/// Clock ticks since boot now, in the unit of a process's start time.
fn uptime_ticks() -> u64 {
    (uptime_seconds() * procfast::clock_ticks_per_second() as f64) as u64
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_never_goes_below_zero() {
        let earlier = Counts {
            cpu_user: 2.0,
            read_bytes: 10,
            ..Counts::default()
        };
        let now = Counts {
            cpu_user: 1.5,
            read_bytes: 4,
            ..Counts::default()
        };
        assert_eq!(now.growth_since(&earlier), Counts::default());
    }

    #[test]
    fn switches_unread_grow_by_nothing_and_keep_the_last_sum() {
        let read = |voluntary| Counts {
            voluntary,
            switches_read: true,
            ..Counts::default()
        };
        let unread = Counts {
            voluntary: 3,
            ..Counts::default()
        };
        assert_eq!(read(50).growth_since(&read(20)).voluntary, 30);
        // A part of the threads read (a stopped scan) is no figure: no growth from or to it.
        assert_eq!(unread.growth_since(&read(20)).voluntary, 0);
        assert_eq!(read(50).growth_since(&unread).voluntary, 0);
        let kept = unread.or_switches_of(&read(20));
        assert_eq!((kept.voluntary, kept.switches_read), (20, true));
        assert_eq!(read(50).growth_since(&kept).voluntary, 30);
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}

