//! Bounding a walk: [`Budget`], and what a bounded walk returns.

use std::time::{Duration, Instant};

/// Limits on a directory walk: at most `max_entries` entries, and no new `getdents64` call after
/// `deadline` (a point on the monotonic clock).
///
/// The one-syscall paths never consult a budget; it only bounds the walks, whose cost grows with
/// the number of entries (about 0.9 µs per fd, all of it in the kernel). A walk that runs out of
/// budget is not an error: its count is a lower bound, and the result says why it stopped.
///
/// ```
/// use procfast::Budget;
/// use std::time::Duration;
///
/// let budget = Budget::entries(10_000).and_within(Duration::from_millis(5));
/// assert_eq!(budget.max_entries(), Some(10_000));
/// assert!(budget.deadline().is_some());
/// assert_eq!(Budget::UNLIMITED.max_entries(), None);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    max_entries: Option<u64>,
    deadline: Option<Instant>,
}

impl Budget {
    /// No limit: walk to the end.
    pub const UNLIMITED: Budget = Budget {
        max_entries: None,
        deadline: None,
    };

    /// At most `n` entries.
    pub const fn entries(n: u64) -> Budget {
        Budget {
            max_entries: Some(n),
            deadline: None,
        }
    }

    /// No new syscall after `deadline`.
    pub const fn until(deadline: Instant) -> Budget {
        Budget {
            max_entries: None,
            deadline: Some(deadline),
        }
    }

    /// No new syscall once `time` has passed from now.
    pub fn within(time: Duration) -> Budget {
        Budget::UNLIMITED.and_within(time)
    }

    /// This budget, also limited to `n` entries.
    pub const fn and_entries(self, n: u64) -> Budget {
        Budget {
            max_entries: Some(n),
            ..self
        }
    }

    /// This budget, also stopping once `time` has passed from now. A duration too large to add
    /// to the clock means no deadline.
    pub fn and_within(self, time: Duration) -> Budget {
        Budget {
            deadline: Instant::now().checked_add(time),
            ..self
        }
    }

    /// The entry limit, if any.
    pub const fn max_entries(&self) -> Option<u64> {
        self.max_entries
    }

    /// The deadline, if any.
    pub const fn deadline(&self) -> Option<Instant> {
        self.deadline
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
