//! What the exporter keeps between scrapes: which group each process belongs to, what each
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
//! - A group stays in the output once seen, with gauges at zero when it has no members;
//!   with `-remove-empty-groups`, it leaves the output, and its counters start again from
//!   zero if it comes back.
//! - With `-recheck`, only the processes left out are matched again, each scrape (an exec may
//!   have changed their comm and command line): one that now matches, or now has a tracked
//!   ancestor, joins that group and counts as a process first seen then. A tracked process
//!   keeps its group for life, whatever it execs. `-recheck-with-time-limit` rechecks only
//!   processes younger than the limit; older ones left out are ignored for good.

use procfast::{ProcFs, Row};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// A process as the tracker knows it across scrapes: pid and start time (a reused pid has a
/// later start time).
pub(super) type Id = (i32, u64);

/// A process's threads by state (Running, Sleeping, Waiting, Zombie, Other).
pub(super) type States = [u64; 5];

/// The counters of a process or a group.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct Counts {
    pub(super) cpu_user: f64,
    pub(super) cpu_system: f64,
    pub(super) read_bytes: u64,
    pub(super) write_bytes: u64,
    pub(super) major_faults: u64,
    pub(super) minor_faults: u64,
    pub(super) voluntary: u64,
    pub(super) nonvoluntary: u64,
    /// False where the context switches could not be read whole (with `--threads`, a thread
    /// scan stopped inside the process): they then grow by nothing, rather than by a part.
    switches_read: bool,
}

impl Counts {
    /// The counters a scan read of a process or a thread; a figure it could not read is 0.
    pub(super) fn of(row: &Row) -> Counts {
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
    pub(super) fn growth_since(&self, earlier: &Counts) -> Counts {
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

    /// Adds `other` into these counts, saturating rather than wrapping.
    pub(super) fn add(&mut self, other: &Counts) {
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
    /// With `--threads`, its threads by state in this scrape, where every thread was read.
    thread_states: Option<States>,
}

/// A group's gauges, summed over its members in one scrape.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Gauges {
    pub(super) procs: u64,
    pub(super) resident: u64,
    pub(super) virtual_bytes: u64,
    pub(super) swapped: u64,
    pub(super) proportional: u64,
    pub(super) proportional_swapped: u64,
    pub(super) open_fds: u64,
    pub(super) worst_fd_ratio: f64,
    pub(super) threads: u64,
    pub(super) oldest_start: Option<f64>,
    pub(super) running: u64,
    pub(super) sleeping: u64,
    pub(super) waiting: u64,
    pub(super) zombie: u64,
    pub(super) other: u64,
}

impl Gauges {
    /// Adds a member's figures; `boot_time` dates its start.
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
pub(super) fn state_index(state: Option<u8>) -> usize {
    match state {
        Some(b'R') => 0,
        Some(b'S') => 1,
        Some(b'D') => 2,
        Some(b'Z') => 3,
        _ => 4,
    }
}

/// Counters of the exporter's own work, as process-exporter names them.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct ScrapeErrors {
    /// Scrapes that failed as a whole.
    pub(super) scrape: u64,
    /// Processes whose figures could not be read at all.
    pub(super) procread: u64,
    /// Processes some of whose figures were denied.
    pub(super) partial: u64,
}

/// One group as the exposition writes it: its counters, and its gauges in this scrape.
pub(super) struct Group<'a> {
    /// The group's name, unescaped.
    pub(super) name: &'a Arc<str>,
    /// What its members have consumed since they were first seen.
    pub(super) counts: &'a Counts,
    /// Its members' gauges, summed.
    pub(super) gauges: Gauges,
}

/// The processes and groups kept across scrapes.
pub(super) struct Tracker {
    /// Seconds since the epoch at boot, to date start times.
    boot_time: f64,
    /// process-exporter's `-children`: an unmatched process joins its nearest tracked
    /// ancestor's group.
    children: bool,
    tracked: HashMap<Id, Tracked>,
    groups: BTreeMap<Arc<str>, Counts>,
    /// Clock ticks since boot at the first scrape.
    first_scrape_ticks: Option<u64>,
    /// `-recheck`: processes left out are matched again each scrape, while younger than the
    /// limit in clock ticks, if there is one.
    recheck: Option<Option<u64>>,
    /// `-remove-empty-groups`: a group without members is forgotten.
    remove_empty_groups: bool,
}

impl Tracker {
    /// A tracker with nothing seen yet; `boot_time` in seconds since the epoch.
    pub(super) fn new(boot_time: f64, children: bool) -> Tracker {
        Tracker {
            boot_time,
            children,
            tracked: HashMap::new(),
            groups: BTreeMap::new(),
            first_scrape_ticks: None,
            recheck: None,
            remove_empty_groups: false,
        }
    }

    /// With `recheck`, processes left out are matched again each scrape, while younger than
    /// `younger_than` if that is given.
    pub(super) fn with_recheck(mut self, recheck: bool, younger_than: Option<Duration>) -> Self {
        let ticks = |d: Duration| {
            (d.as_secs_f64() * procfast::clock_ticks_per_second() as f64).ceil() as u64
        };
        self.recheck = recheck.then(|| younger_than.map(ticks));
        self
    }

    /// With `remove`, a group is forgotten when it has no members.
    pub(super) fn with_remove_empty_groups(mut self, remove: bool) -> Self {
        self.remove_empty_groups = remove;
        self
    }

    /// Whether a process left out, started at `start` (clock ticks since boot), is to be
    /// matched again in this scrape.
    fn rechecks(&self, start: u64) -> bool {
        match self.recheck {
            None => false,
            Some(None) => true,
            Some(Some(limit)) => start.saturating_add(limit) > uptime_ticks(),
        }
    }

    /// Clock ticks since boot at the first scrape (this one, if it is the first): a process
    /// started after it counts from zero, as what it consumed happened while we were watching.
    pub(super) fn first_scrape_ticks(&mut self) -> u64 {
        *self.first_scrape_ticks.get_or_insert_with(uptime_ticks)
    }

    /// Whether a process is tracked in a group (`Some(true)`), ignored for good
    /// (`Some(false)`) or to be matched as if not seen yet (`None`: new, or rechecked).
    pub(super) fn is_grouped(&self, id: Id) -> Option<bool> {
        match self.tracked.get(&id)?.group {
            Some(_) => Some(true),
            None if self.rechecks(id.1) => None,
            None => Some(false),
        }
    }

    /// The group of the process of `row`, if it is tracked in one.
    pub(super) fn group_of(&self, row: &Row) -> Option<&Arc<str>> {
        let id = (row.pid, row.start_time_ticks?);
        self.tracked.get(&id)?.group.as_ref()
    }

    /// Brings the tracker up to date with the rows of scrape `gen`: a known process grows
    /// its group's counters, a new one gets a group from `group_of` (or with `children`, its
    /// ancestry) and starts counting; `thread_states` gives a process's threads by state where
    /// all were read. Counts the rows that could not be read, or only in part, into `errors`.
    pub(super) fn update(
        &mut self,
        rows: &[Row],
        gen: u64,
        first: u64,
        errors: &mut ScrapeErrors,
        mut group_of: impl FnMut(&Row) -> Option<Arc<str>>,
        thread_states: impl Fn(i32) -> Option<States>,
    ) {
        let mut new: Vec<usize> = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            errors.partial += u64::from(row.denied);
            let Some(start) = row.start_time_ticks else {
                errors.procread += 1;
                continue;
            };
            let recheck = self.recheck.is_some() && self.is_grouped((row.pid, start)).is_none();
            match self.tracked.get_mut(&(row.pid, start)) {
                // Left out until now: matched again, as if first seen.
                Some(_) if recheck => new.push(i),
                Some(tracked) => {
                    let now = Counts::of(row);
                    let growth = now.growth_since(&tracked.counts);
                    tracked.counts = now.or_switches_of(&tracked.counts);
                    tracked.row = *row;
                    tracked.seen = gen;
                    tracked.thread_states = thread_states(row.pid);
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
            let group = group_of(row);
            if group.is_none() {
                unnamed.push(i);
            }
            self.track(row, group, first, gen, thread_states(row.pid));
        }
        if self.children {
            self.adopt(rows, &unnamed, first);
        }
    }

    /// Puts each process of `rows[unnamed]` in the group of its nearest tracked ancestor, if
    /// it has one, counting what it consumed as `track` would have.
    fn adopt(&mut self, rows: &[Row], unnamed: &[usize], first: u64) {
        let by_pid: HashMap<i32, usize> =
            rows.iter().enumerate().map(|(i, r)| (r.pid, i)).collect();
        for &i in unnamed {
            let group = self.ancestor_group(rows, &by_pid, i);
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

    /// Forgets the processes scrape `gen` did not see: called after a complete scan only, as
    /// a stopped one proves nothing about the processes after it.
    pub(super) fn forget_unseen(&mut self, gen: u64) {
        self.tracked.retain(|_, t| t.seen == gen);
        if self.remove_empty_groups {
            let live: HashSet<&Arc<str>> = self
                .tracked
                .values()
                .filter_map(|t| t.group.as_ref())
                .collect();
            self.groups.retain(|group, _| live.contains(group));
        }
    }

    /// Starts tracking a process first seen now, in `group` (or ignored).
    fn track(
        &mut self,
        row: &Row,
        group: Option<Arc<str>>,
        first: u64,
        gen: u64,
        thread_states: Option<States>,
    ) {
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
                thread_states,
            },
        );
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

    /// The grouped processes scrape `gen` saw, each with its group.
    pub(super) fn members_seen(&self, gen: u64) -> impl Iterator<Item = (&Arc<str>, &Row)> {
        self.tracked
            .values()
            .filter(move |t| t.seen == gen)
            .filter_map(|t| Some((t.group.as_ref()?, &t.row)))
    }

    /// The grouped processes scrape `gen` saw, each with its PSS and swap PSS to fill in.
    pub(super) fn pss_of_members_seen(
        &mut self,
        gen: u64,
    ) -> impl Iterator<Item = (&Row, &mut Option<(u64, u64)>)> {
        self.tracked
            .values_mut()
            .filter(move |t| t.group.is_some() && t.seen == gen)
            .map(|t| (&t.row, &mut t.pss))
    }

    /// Every group seen so far, by name, with its counters and its members' gauges in this
    /// scrape.
    pub(super) fn groups(&self) -> Vec<Group<'_>> {
        let mut gauges: BTreeMap<&Arc<str>, Gauges> =
            self.groups.keys().map(|g| (g, Gauges::default())).collect();
        for tracked in self.tracked.values() {
            if let Some(group) = &tracked.group {
                if let Some(g) = gauges.get_mut(group) {
                    g.add(tracked, self.boot_time);
                }
            }
        }
        self.groups
            .iter()
            .filter_map(|(name, counts)| {
                let gauges = *gauges.get(name)?;
                Some(Group {
                    name,
                    counts,
                    gauges,
                })
            })
            .collect()
    }
}

/// Seconds since the epoch at boot: `btime` of the procfs's `stat`, or from the clock where
/// the mount has no `/proc/stat`.
pub(super) fn boot_time(procfs: &ProcFs) -> procfast::Result<f64> {
    Ok(procfast::System::in_procfs(procfs)?
        .stat()
        .map(|stat| stat.btime as f64)
        .unwrap_or_else(|_| boot_time_from_clock()))
}

/// Seconds since the epoch at boot, from the clock.
fn boot_time_from_clock() -> f64 {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    now - uptime_seconds()
}

/// Seconds since boot, suspended time included (as a process's start time counts it).
fn uptime_seconds() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}

/// Clock ticks since boot now, in the unit of a process's start time.
fn uptime_ticks() -> u64 {
    (uptime_seconds() * procfast::clock_ticks_per_second() as f64) as u64
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
}
