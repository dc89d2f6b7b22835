//! Bounding a walk: [`Budget`], and what a bounded walk returns.

use std::time::{Duration, Instant};

/// Limits on a directory walk or a scan: at most `max_entries` entries, and no new syscall once
/// its time is up.
///
/// The one-syscall paths never consult a budget; it only bounds the walks, whose cost grows with
/// the number of entries (about 0.9 µs per fd, all of it in the kernel), and scans. A walk that
/// runs out of budget is not an error: its count is a lower bound, and the result says why it
/// stopped.
///
/// Time comes in two kinds. A duration ([`within`](Budget::within)) is measured from the start
/// of each walk or scan the budget is given to, so one budget built once serves every scrape.
/// A deadline ([`until`](Budget::until)) is a point on the monotonic clock, for several walks
/// that must end together (a scrape's). Given both, the walk stops at whichever comes first.
///
/// ```
/// use procfast::Budget;
/// use std::time::Duration;
///
/// // Built once: each walk gets its own 5 ms.
/// let budget = Budget::entries(10_000).and_within(Duration::from_millis(5));
/// assert_eq!(budget.max_entries(), Some(10_000));
/// assert_eq!(budget.time(), Some(Duration::from_millis(5)));
/// assert_eq!(budget.deadline(), None);
/// assert_eq!(Budget::UNLIMITED.max_entries(), None);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    max_entries: Option<u64>,
    time: Option<Duration>,
    deadline: Option<Instant>,
}

impl Budget {
    /// No limit: walk to the end.
    pub const UNLIMITED: Budget = Budget {
        max_entries: None,
        time: None,
        deadline: None,
    };

    /// At most `n` entries.
    pub const fn entries(n: u64) -> Budget {
        Budget::UNLIMITED.and_entries(n)
    }

    /// No new syscall after `deadline`, however many walks share it.
    pub const fn until(deadline: Instant) -> Budget {
        Budget::UNLIMITED.and_until(deadline)
    }

    /// No new syscall once `time` has passed since the walk or scan began.
    pub const fn within(time: Duration) -> Budget {
        Budget::UNLIMITED.and_within(time)
    }

    /// This budget, also limited to `n` entries.
    pub const fn and_entries(self, n: u64) -> Budget {
        Budget {
            max_entries: Some(n),
            ..self
        }
    }

    /// This budget, also stopping once `time` has passed since the walk or scan began.
    pub const fn and_within(self, time: Duration) -> Budget {
        Budget {
            time: Some(time),
            ..self
        }
    }

    /// This budget, also stopping at `deadline`.
    pub const fn and_until(self, deadline: Instant) -> Budget {
        Budget {
            deadline: Some(deadline),
            ..self
        }
    }

    /// The entry limit, if any.
    pub const fn max_entries(&self) -> Option<u64> {
        self.max_entries
    }

    /// The time each walk or scan may take, if any.
    pub const fn time(&self) -> Option<Duration> {
        self.time
    }

    /// The deadline shared by every walk given this budget, if any.
    pub const fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The budget of one walk or scan beginning now: its time turned into a deadline (a
    /// duration too large to add to the clock is none).
    pub(crate) fn start(&self) -> Budget {
        let ends = self.time.and_then(|time| Instant::now().checked_add(time));
        let deadline = match (self.deadline, ends) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Budget {
            max_entries: self.max_entries,
            time: None,
            deadline,
        }
    }

    pub(crate) fn entries_exhausted(&self, count: u64) -> bool {
        matches!(self.max_entries, Some(max) if count >= max)
    }

    pub(crate) fn deadline_passed(&self) -> bool {
        matches!(self.deadline, Some(deadline) if Instant::now() >= deadline)
    }
}

/// Why a walk stopped before the end of the directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stop {
    /// The budget's entry limit was reached and more entries remained.
    Entries,
    /// The budget's deadline passed between two `getdents64` calls.
    Deadline,
    /// The visitor returned `ControlFlow::Break`.
    Visitor,
}

/// What a walk returns: how many entries it saw, and whether it saw them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Walk {
    /// Entries seen. If the walk stopped, the directory held at least this many.
    pub count: u64,
    /// `None` if the walk reached the end of the directory; otherwise why it stopped.
    pub stopped: Option<Stop>,
}

impl Walk {
    /// True if the walk reached the end, so `count` is exact rather than a lower bound.
    pub fn is_complete(&self) -> bool {
        self.stopped.is_none()
    }
}
