//! The per-thread metrics of `--threads`, as process-exporter keeps them: threads of a tracked
//! process with more than one thread, by group and thread name; counters grow by each thread's
//! growth since it was first seen, and start again when a group has no such threads left.

use super::tracker::{state_index, Counts, Id, States, Tracker};
use procfast::{Budget, Fields, ProcFs, Row, Scanner};
use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;
use std::sync::Arc;

/// What the scan of threads reads of each: process-exporter's per-thread figures and its state
/// and `wchan`.
const FIELDS: Fields = Fields::COMM
    .with(Fields::STATE)
    .with(Fields::CPU)
    .with(Fields::START_TIME)
    .with(Fields::FAULTS)
    .with(Fields::CTXT_SWITCHES)
    .with(Fields::IO)
    .with(Fields::WCHAN);

/// A scanner of every thread, and what it has seen across scrapes.
pub(super) struct Threads {
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
    whole: HashMap<i32, ([u64; 2], States)>,
    /// Threads by group and `wchan`, in the last scrape (names kept, counts zeroed each time).
    wchans: BTreeMap<Arc<str>, BTreeMap<Box<[u8]>, u64>>,
    /// Whether the last thread scan visited every thread.
    complete: bool,
}

impl Threads {
    /// Nothing seen yet, and a scanner of the threads of `procfs`.
    pub(super) fn new(procfs: &'static ProcFs) -> procfast::Result<Threads> {
        Ok(Threads {
            scanner: Scanner::in_procfs(procfs, FIELDS)?.threads(true),
            rows: Vec::new(),
            seen: HashMap::new(),
            accum: BTreeMap::new(),
            counts: BTreeMap::new(),
            whole: HashMap::new(),
            wchans: BTreeMap::new(),
            complete: false,
        })
    }

    /// One scan of every thread, keeping those of multi-threaded processes among `processes`.
    /// Where every thread of a process was read, its row's context switches become its
    /// threads' sum, as process-exporter reports them; where not, they are left unread.
    pub(super) fn scan(&mut self, processes: &mut [Row], budget: &Budget) -> procfast::Result<()> {
        let multi: HashMap<i32, u64> = processes
            .iter()
            .filter_map(|r| Some((r.pid, r.threads.filter(|&n| n > 1)?)))
            .collect();
        let mut rows = std::mem::take(&mut self.rows);
        rows.clear();
        let summary = self.scanner.scan(budget, |row| {
            if multi.contains_key(&row.tgid) {
                rows.push(*row);
            }
            ControlFlow::Continue(())
        })?;
        // A thread scan lists a process's threads one after another: sum them up by process.
        self.whole.clear();
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
                self.whole.insert(tgid, (switches, states));
            }
            at = end;
        }
        for row in processes.iter_mut().filter(|r| multi.contains_key(&r.pid)) {
            let summed = self.whole.get(&row.pid).map(|&(s, _)| s);
            row.voluntary_ctxt_switches = summed.map(|[v, _]| v);
            row.nonvoluntary_ctxt_switches = summed.map(|[_, n]| n);
        }
        self.complete = summary.is_complete();
        self.rows = rows;
        Ok(())
    }

    /// The threads of process `pid` by state, in the last scan, if it read all of them.
    pub(super) fn states_of(&self, pid: i32) -> Option<States> {
        self.whole.get(&pid).map(|&(_, states)| states)
    }

    /// The per-thread metrics of this scrape's thread rows, by group and thread name, and the
    /// group's threads by `wchan`, for the members of `tracker` scrape `gen` saw.
    pub(super) fn update(&mut self, tracker: &Tracker, gen: u64, first: u64) {
        self.counts.clear();
        for counts in self.wchans.values_mut() {
            counts.values_mut().for_each(|n| *n = 0);
        }
        let wchans = &mut self.wchans;
        let mut count_wchan = |group: &Arc<str>, wchan: &[u8]| {
            if wchan.is_empty() {
                return;
            }
            let of_group = wchans.entry(group.clone()).or_default();
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
        for (group, row) in tracker.members_seen(gen) {
            groups.insert(row.pid, group);
            if !self.whole.contains_key(&row.pid) {
                count_wchan(group, row.wchan());
            }
        }
        for row in &self.rows {
            let Some(start) = row.start_time_ticks else {
                continue;
            };
            let Some(group) = groups.get(&row.tgid) else {
                continue;
            };
            if self.whole.contains_key(&row.tgid) {
                count_wchan(group, row.wchan());
            }
            let name: Arc<str> = Arc::from(String::from_utf8_lossy(row.comm()).as_ref());
            let now = Counts::of(row);
            let key = ((*group).clone(), name.clone());
            let growth = match self.seen.get(&(row.pid, start)) {
                Some((_, _, last, _)) => now.growth_since(last),
                // A thread started while we watched counts from zero.
                None if start > first => now,
                None => Counts::default(),
            };
            self.seen
                .insert((row.pid, start), ((*group).clone(), name, now, gen));
            self.accum.entry(key.clone()).or_default().add(&growth);
            *self.counts.entry(key).or_default() += 1;
        }
        // Threads not seen by a complete scan have exited; a stopped scan proves nothing.
        if self.complete {
            self.seen.retain(|_, t| t.3 == gen);
            // A name no thread of the group has now starts again from zero, as
            // process-exporter's.
            let counts = &self.counts;
            self.accum.retain(|key, _| counts.contains_key(key));
        }
    }

    /// Each group and thread name of the last scrape: its threads then, and its counters.
    pub(super) fn by_name(&self) -> impl Iterator<Item = (&Arc<str>, &Arc<str>, u64, Counts)> {
        self.counts.iter().map(|(key, &count)| {
            let counts = self.accum.get(key).copied().unwrap_or_default();
            (&key.0, &key.1, count, counts)
        })
    }

    /// Each group's threads by `wchan` in the last scrape; a `wchan` of an earlier scrape and
    /// not of the last counts 0.
    pub(super) fn wchans(&self) -> impl Iterator<Item = (&Arc<str>, &BTreeMap<Box<[u8]>, u64>)> {
        self.wchans.iter()
    }
}
