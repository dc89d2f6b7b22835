//! Ranking a scan's rows: [`Scanner::top`] keeps the `n` largest by a [`SortKey`] in a bounded
//! heap, never sorting the whole scan.

use super::fields::Fields;
use super::row::Row;
use super::{ScanSummary, Scanner};
use crate::budget::Budget;
use crate::error::Result;
use core::ops::ControlFlow;
use smallvec::SmallVec;

/// The figure [`Scanner::top`] ranks by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SortKey {
    /// Open fds.
    Fds,
    /// Threads.
    Threads,
    /// Resident set size.
    Rss,
    /// CPU seconds.
    Cpu,
}

impl SortKey {
    fn field(self) -> Fields {
        match self {
            SortKey::Fds => Fields::FDS,
            SortKey::Threads => Fields::THREADS,
            SortKey::Rss => Fields::RSS,
            SortKey::Cpu => Fields::CPU,
        }
    }

    fn of(self, row: &Row) -> f64 {
        let value = match self {
            SortKey::Fds => row.fds.map(|v| v as f64),
            SortKey::Threads => row.threads.map(|v| v as f64),
            SortKey::Rss => row.rss_bytes.map(|v| v as f64),
            SortKey::Cpu => row.cpu_seconds,
        };
        value.unwrap_or(-1.0)
    }
}

/// The `n` largest rows by a key, kept in a small heap (inline up to 16 rows), never a full sort.
///
/// This is smallvec 1's `SmallVec` (a `Vec`-like type that holds up to 16 rows without
/// allocating): smallvec is a public dependency of procfast, and a new major version of it would
/// be a new major version of procfast. Use it as a slice (`&top[..]`, `top.iter()`) or turn it
/// into a `Vec` with `into_vec()` to depend on nothing but std.
pub type TopRows = SmallVec<[Row; 16]>;

impl Scanner {
    /// The `n` rows largest by `key` (the scanner's fields plus the key's), in descending order,
    /// and the scan's summary. Keeps a heap of `n` rows: no allocation for `n` ≤ 16.
    pub fn top(
        &mut self,
        n: usize,
        key: SortKey,
        budget: &Budget,
    ) -> Result<(TopRows, ScanSummary)> {
        let asked = self.fields;
        self.fields = asked | key.field();
        let mut heap = TopRows::new();
        let result = self.scan(budget, |row| {
            push_bounded(&mut heap, n, *row, key);
            ControlFlow::Continue(())
        });
        self.fields = asked;
        let summary = result?;
        heap.sort_unstable_by(|a, b| key.of(b).total_cmp(&key.of(a)).then(a.pid.cmp(&b.pid)));
        Ok((heap, summary))
    }
}

/// Inserts `row` into a min-heap of at most `n` rows ordered by `key`.
fn push_bounded(heap: &mut TopRows, n: usize, row: Row, key: SortKey) {
    let less = |a: &Row, b: &Row| key.of(a) < key.of(b);
    if n == 0 {
        return;
    }
    if heap.len() < n {
        heap.push(row);
        let mut i = heap.len() - 1;
        while i > 0 {
            let parent = (i - 1) / 2;
            if less(&heap[i], &heap[parent]) {
                heap.swap(i, parent);
                i = parent;
            } else {
                break;
            }
        }
        return;
    }
    if !less(&heap[0], &row) {
        return;
    }
    heap[0] = row;
    let mut i = 0;
    loop {
        let (l, r) = (2 * i + 1, 2 * i + 2);
        let mut smallest = i;
        if l < heap.len() && less(&heap[l], &heap[smallest]) {
            smallest = l;
        }
        if r < heap.len() && less(&heap[r], &heap[smallest]) {
            smallest = r;
        }
        if smallest == i {
            break;
        }
        heap.swap(i, smallest);
        i = smallest;
    }
}

#[cfg(test)]
mod tests {
    use super::super::task::Task;
    use super::*;

    #[test]
    fn bounded_heap_keeps_the_largest() {
        let mut heap = TopRows::new();
        for (pid, fds) in [(1, 5), (2, 50), (3, 7), (4, 1), (5, 70), (6, 50), (7, 3)] {
            let mut row = Row::new(Task::process(pid));
            row.fds = Some(fds);
            push_bounded(&mut heap, 3, row, SortKey::Fds);
        }
        let mut got: Vec<_> = heap.iter().map(|r| (r.fds.unwrap(), r.pid)).collect();
        got.sort();
        assert_eq!(got, vec![(50, 2), (50, 6), (70, 5)]);
        push_bounded(&mut heap, 0, Row::new(Task::process(9)), SortKey::Fds);
    }
}
