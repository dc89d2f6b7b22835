//! The heaviest processes of the host (`--top N`): in each scrape, the N that used the most CPU
//! since the previous scrape, the N largest in resident memory and the N holding the most fds,
//! each a series of its own labelled `pid`, `comm` and `groupname`. They are chosen from the
//! rows the scan read anyway, in bounded heaps kept from scrape to scrape: nothing is read for
//! them, and nothing is allocated per process.
//!
//! A process with nothing of a figure (no CPU since the previous scrape, no memory or no fds, as
//! a kernel thread) is never among the heaviest by it, so a quiet host has fewer than N CPU
//! samples rather than N sleepers picked at random.

use super::exposition::{escape_label, Family};
use procfast::Row;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt::Write as _;
use std::sync::Arc;

/// A figure the heaviest are ranked by, with the family that reports it.
#[derive(Clone, Copy)]
enum Figure {
    Cpu,
    Resident,
    Fds,
}

impl Figure {
    const ALL: [Figure; 3] = [Figure::Cpu, Figure::Resident, Figure::Fds];

    fn family(self) -> Family<'static> {
        match self {
            Figure::Cpu => Family::counter(
                "procfast_top_process_cpu_seconds_total",
                "User and system CPU seconds of a process among the N that used the most CPU \
                 since the previous scrape",
            ),
            Figure::Resident => Family::gauge(
                "procfast_top_process_resident_memory_bytes",
                "Resident memory of a process among the N largest in it",
            ),
            Figure::Fds => Family::gauge(
                "procfast_top_process_open_fds",
                "Open fds of a process among the N holding the most",
            ),
        }
    }

    /// What `row` is ranked by (0: not ranked): CPU in nanoseconds since `before`, the same
    /// process's row in the previous scrape, or since it started if there was none.
    fn rank_of(self, row: &Row, before: Option<&Row>) -> u64 {
        match self {
            Figure::Cpu => {
                let now = row.cpu_seconds.unwrap_or(0.0);
                let then = before.and_then(|r| r.cpu_seconds).unwrap_or(0.0);
                // A float to integer cast saturates; a negative difference is 0.
                ((now - then) * 1e9) as u64
            }
            Figure::Resident => row.rss_bytes.unwrap_or(0),
            Figure::Fds => row.fds.unwrap_or(0),
        }
    }

    /// The value a sample reports: a total for the counter, the gauge as it is.
    fn value_of(self, row: &Row) -> f64 {
        match self {
            Figure::Cpu => row.cpu_seconds.unwrap_or(0.0),
            Figure::Resident => row.rss_bytes.unwrap_or(0) as f64,
            Figure::Fds => row.fds.unwrap_or(0) as f64,
        }
    }
}

/// A process chosen: its row and its group, if it has one.
struct Pick {
    row: Row,
    group: Option<Arc<str>>,
}

/// What a heap holds: the rank, then the pid reversed so that of equal ranks the lower pid is
/// kept, then the row's index.
type Entry = (u64, Reverse<i32>, usize);

/// The N heaviest by each figure, chosen anew each scrape.
pub(super) struct Heaviest {
    n: usize,
    /// A min-heap of at most `n` entries: its top is the lightest kept, the one a heavier row
    /// displaces.
    heap: BinaryHeap<Reverse<Entry>>,
    /// For each figure of [`Figure::ALL`], the heaviest in descending order.
    picks: [Vec<Pick>; 3],
}

impl Heaviest {
    /// Ranks the `n` heaviest processes by each figure.
    pub(super) fn new(n: usize) -> Heaviest {
        Heaviest {
            n,
            heap: BinaryHeap::with_capacity(n + 1),
            picks: [
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
            ],
        }
    }

    /// Chooses the heaviest of `rows` (this scrape's, by ascending pid); `before` holds the
    /// previous scrape's rows, by ascending pid, and `group_of` gives a row's group.
    pub(super) fn choose<'g>(
        &mut self,
        rows: &[Row],
        before: &[Row],
        group_of: impl Fn(&Row) -> Option<&'g Arc<str>>,
    ) {
        for (figure, picks) in Figure::ALL.into_iter().zip(&mut self.picks) {
            self.heap.clear();
            for (at, row) in rows.iter().enumerate() {
                let earlier = matches!(figure, Figure::Cpu)
                    .then(|| same_process_in(before, row))
                    .flatten();
                let rank = figure.rank_of(row, earlier);
                if rank == 0 || self.n == 0 {
                    continue;
                }
                let entry = Reverse((rank, Reverse(row.pid), at));
                if self.heap.len() < self.n {
                    self.heap.push(entry);
                } else if self.heap.peek().is_some_and(|lightest| entry < *lightest) {
                    // `Reverse` orders the heavier first: this row outranks the lightest kept.
                    self.heap.pop();
                    self.heap.push(entry);
                }
            }
            picks.clear();
            // Lightest first out of the min-heap; reversed below into descending order.
            while let Some(Reverse((_, _, at))) = self.heap.pop() {
                let row = rows[at];
                picks.push(Pick {
                    group: group_of(&row).cloned(),
                    row,
                });
            }
            picks.reverse();
        }
    }

    /// Writes the three families, heaviest first; a process in no group has `groupname=""`.
    pub(super) fn write(&self, out: &mut String) {
        for (figure, picks) in Figure::ALL.into_iter().zip(&self.picks) {
            let family = figure.family();
            family.header(out);
            for Pick { row, group } in picks {
                let comm = escape_label(&String::from_utf8_lossy(row.comm()));
                let group = escape_label(group.as_deref().unwrap_or(""));
                // Writing to a String cannot fail.
                let _ = writeln!(
                    out,
                    "{}{{pid=\"{}\",comm=\"{comm}\",groupname=\"{group}\"}} {}",
                    family.name,
                    row.pid,
                    figure.value_of(row)
                );
            }
        }
    }
}

/// The row of `rows` (by ascending pid) of the same process as `row`: its pid, and its start
/// time where both have one.
fn same_process_in<'r>(rows: &'r [Row], row: &Row) -> Option<&'r Row> {
    let at = rows.binary_search_by_key(&row.pid, |r| r.pid).ok()?;
    let earlier = &rows[at];
    (earlier.start_time_ticks == row.start_time_ticks).then_some(earlier)
}

#[cfg(test)]
mod tests {
    use super::*;
    use procfast::{Budget, Fields, Scanner};
    use std::ops::ControlFlow;
    use std::sync::OnceLock;

    /// This test process's row (rows are made by scans only), its comm read.
    fn own_row() -> Row {
        static OWN: OnceLock<Row> = OnceLock::new();
        *OWN.get_or_init(|| {
            let me = std::process::id() as i32;
            let mut scanner = Scanner::new(Fields::COMM).unwrap();
            let mut own = None;
            let choose = |pid: i32, _| {
                if pid == me {
                    Fields::COMM
                } else {
                    Fields::NONE
                }
            };
            scanner
                .scan_choosing(&Budget::UNLIMITED, choose, |row| {
                    own = own.or((row.pid == me).then_some(*row));
                    ControlFlow::Continue(())
                })
                .unwrap();
            own.unwrap()
        })
    }

    fn row(pid: i32, cpu: f64, rss: u64, fds: u64) -> Row {
        let mut row = own_row();
        (row.pid, row.tgid) = (pid, pid);
        row.cpu_seconds = Some(cpu);
        row.rss_bytes = Some(rss);
        row.fds = Some(fds);
        row.start_time_ticks = Some(7);
        row
    }

    fn pids(heaviest: &Heaviest, figure: usize) -> Vec<i32> {
        heaviest.picks[figure].iter().map(|p| p.row.pid).collect()
    }

    #[test]
    fn each_figure_keeps_its_n_heaviest_in_descending_order() {
        let rows: Vec<Row> = (1..=50)
            .map(|pid| row(pid, f64::from(pid % 7), (pid as u64 * 37) % 101, pid as u64))
            .collect();
        let mut heaviest = Heaviest::new(3);
        heaviest.choose(&rows, &[], |_| None);
        // A naive oracle: sort everything, ties to the lower pid, drop zeros.
        for (i, figure) in Figure::ALL.into_iter().enumerate() {
            let mut all: Vec<(u64, i32)> = rows
                .iter()
                .map(|r| (figure.rank_of(r, None), r.pid))
                .filter(|&(rank, _)| rank > 0)
                .collect();
            all.sort_by_key(|&(rank, pid)| (Reverse(rank), pid));
            let expected: Vec<i32> = all.iter().take(3).map(|&(_, pid)| pid).collect();
            assert_eq!(pids(&heaviest, i), expected);
        }
    }

    #[test]
    fn cpu_is_ranked_by_what_was_used_since_the_previous_scrape() {
        let before = [row(1, 100.0, 1, 1), row(2, 5.0, 1, 1)];
        // pid 1 used nothing since; pid 2 used 1 s; pid 3, new, 0.5 s since it started.
        let now = [row(1, 100.0, 1, 1), row(2, 6.0, 1, 1), row(3, 0.5, 1, 1)];
        let mut heaviest = Heaviest::new(5);
        heaviest.choose(&now, &before, |_| None);
        assert_eq!(pids(&heaviest, 0), [2, 3]);
        // A reused pid (another start time) counts from nothing.
        let mut reused = now;
        reused[0].start_time_ticks = Some(8);
        heaviest.choose(&reused, &before, |_| None);
        assert_eq!(pids(&heaviest, 0), [1, 2, 3]);
    }

    #[test]
    fn no_more_than_n_and_none_when_n_is_zero() {
        let rows: Vec<Row> = (1..=20).map(|pid| row(pid, 1.0, 1, 1)).collect();
        let mut heaviest = Heaviest::new(0);
        heaviest.choose(&rows, &[], |_| None);
        assert!(heaviest.picks.iter().all(Vec::is_empty));
        let mut heaviest = Heaviest::new(4);
        heaviest.choose(&rows, &[], |_| None);
        assert!(heaviest.picks.iter().all(|p| p.len() == 4));
        // Of equal ranks, the lowest pids.
        assert_eq!(pids(&heaviest, 2), [1, 2, 3, 4]);
    }

    #[test]
    fn samples_name_the_process_and_its_group_escaped() {
        let rows = [row(9, 2.5, 4096, 3)];
        let comm = escape_label(&String::from_utf8_lossy(rows[0].comm()));
        let group: Arc<str> = Arc::from("web\\1");
        let mut heaviest = Heaviest::new(1);
        heaviest.choose(&rows, &[], |_| Some(&group));
        let mut out = String::new();
        heaviest.write(&mut out);
        assert!(out.contains(&format!(
            "procfast_top_process_open_fds{{pid=\"9\",comm=\"{comm}\",groupname=\"web\\\\1\"}} 3\n"
        )));
        assert!(out.contains("procfast_top_process_cpu_seconds_total{pid=\"9\","));
        assert!(out.contains("# TYPE procfast_top_process_resident_memory_bytes gauge\n"));
    }
}
