//! The handles a kept scanner holds between scans ([`Scanner::keep_handles`]): per process, the
//! files it reads, sorted by pid and merged with each listing of /proc, under an fd budget.
//!
//! [`Scanner::keep_handles`]: super::Scanner::keep_handles

use super::fields::Fields;
use super::task::{PidPath, Task};
use crate::parse::schedstat::Schedstat;
use crate::sys::{self, Beneath, Errno};
use rustix::fd::{BorrowedFd, OwnedFd};

/// What a scan takes from `status`.
#[derive(Clone, Copy, Debug)]
pub(super) struct StatusFigures {
    pub(super) voluntary: Option<u64>,
    pub(super) nonvoluntary: Option<u64>,
    /// `VmSwap`, which only a task with memory of its own has.
    pub(super) swap: Option<u64>,
}

/// Handles kept for one process between scans.
#[derive(Debug)]
pub(super) struct Held {
    task: Task,
    /// The figures these handles were opened for.
    pub(super) fields: Fields,
    pub(super) stat: Option<OwnedFd>,
    pub(super) status: Option<OwnedFd>,
    pub(super) io: Option<OwnedFd>,
    pub(super) fd_dir: Option<OwnedFd>,
    /// `schedstat`, held with `status` or `io`: whether the task has run since they were read.
    pub(super) schedstat: Option<OwnedFd>,
    /// What `status` and `io` gave when last read, and the task's `schedstat` just before.
    pub(super) seen: Option<Seen>,
    /// Some source could not be opened for lack of permission.
    pub(super) denied: bool,
    /// A kernel thread (`PF_KTHREAD`, learned from a check): its 0 fds need no check again.
    pub(super) kthread: bool,
}

impl Held {
    pub(super) fn fds(&self) -> usize {
        usize::from(self.stat.is_some())
            + usize::from(self.status.is_some())
            + usize::from(self.io.is_some())
            + usize::from(self.fd_dir.is_some())
            + usize::from(self.schedstat.is_some())
    }
}

/// The figures of `status` and `io` a held task showed, valid for as long as its `schedstat`
/// reads the same: a task's context switches change only when it runs, as do the I/O counts of
/// a thread, or of a process whose only thread it is (a second thread needs the first to run
/// to be made).
#[derive(Clone, Copy, Debug)]
pub(super) struct Seen {
    /// `schedstat` read before the figures.
    pub(super) ran: Schedstat,
    /// The process had one thread when its `stat` was read, after `ran`.
    pub(super) one_thread: bool,
    /// `None` where `status` was not read.
    pub(super) status: Option<StatusFigures>,
    /// Bytes read and written; `None` where `io` was not read.
    pub(super) io: Option<(u64, u64)>,
}

/// The handle cache of a kept scanner: entries sorted by pid, merged with each listing.
#[derive(Debug)]
pub(super) struct Cache {
    fd_budget: usize,
    /// Fds held by the entries, kept in step by whoever drops one.
    pub(super) held_fds: usize,
    entries: Vec<Held>,
    next: Vec<Held>,
}

impl Cache {
    /// An empty cache that holds at most `fd_budget` fds.
    pub(super) fn new(fd_budget: usize) -> Cache {
        // Every entry holds at least one fd, so the budget bounds the entries: reserving that
        // many now means scans never allocate for the cache.
        let entries = fd_budget.min(1 << 16);
        Cache {
            fd_budget,
            held_fds: 0,
            entries: Vec::with_capacity(entries),
            next: Vec::with_capacity(entries),
        }
    }

    /// The handles of `task` held since an earlier scan, taken out of the cache.
    pub(super) fn take_held(&mut self, task: Task) -> Option<Held> {
        // Entries are sorted by pid and /proc lists pids in ascending order: entries before
        // `pid` belong to processes that exited since the last scan.
        while let Some(first) = self.entries.last() {
            // `entries` is kept in descending order so the smallest pid pops from the end.
            if first.task < task {
                if let Some(gone) = self.entries.pop() {
                    self.held_fds -= gone.fds();
                }
            } else {
                break;
            }
        }
        if self.entries.last().is_some_and(|held| held.task == task) {
            return self.entries.pop();
        }
        None
    }

    /// Handles of `task` for `fields`, newly opened within the budget; `None` to read the
    /// process cold.
    pub(super) fn open(
        &mut self,
        task: Task,
        fields: Fields,
        list: BorrowedFd<'_>,
    ) -> Option<Held> {
        // `stat` is also what tells a real 0 fds from an exiting process's.
        let stat_wanted = fields.any(Fields::FROM_STAT) || fields.contains(Fields::FDS);
        let changing = fields.any(Fields::FROM_STATUS.with(Fields::IO));
        let wanted = usize::from(stat_wanted)
            + usize::from(fields.any(Fields::FROM_STATUS))
            + usize::from(fields.contains(Fields::IO))
            + usize::from(fields.contains(Fields::FDS))
            + usize::from(changing);
        if wanted == 0 || self.held_fds + wanted > self.fd_budget {
            return None;
        }
        let mut held = Held {
            task,
            fields,
            stat: None,
            status: None,
            io: None,
            fd_dir: None,
            schedstat: None,
            seen: None,
            denied: false,
            kthread: false,
        };
        let sources = [
            (stat_wanted, &mut held.stat, &b"/stat\0"[..]),
            (
                fields.any(Fields::FROM_STATUS),
                &mut held.status,
                b"/status\0",
            ),
            (fields.contains(Fields::IO), &mut held.io, b"/io\0"),
            (fields.contains(Fields::FDS), &mut held.fd_dir, b"/fd\0"),
            (changing, &mut held.schedstat, b"/schedstat\0"),
        ];
        let mut denied = false;
        for (wanted, slot, suffix) in sources {
            if !wanted {
                continue;
            }
            let path = PidPath::new(task, suffix);
            let name = path.as_c_str().ok()?;
            let opened = if suffix == b"/fd\0" {
                sys::openat_path_dir(list, name)
            } else {
                sys::openat_file(list, name, Beneath::SameMount)
            };
            match opened {
                Ok(fd) => *slot = Some(fd),
                // Only a shortcut (a kernel without `CONFIG_SCHED_INFO` has none): do without.
                Err(_) if suffix == b"/schedstat\0" => {}
                // Denied stays denied for this process: remember it rather than retry each scan.
                Err(Errno::ACCESS | Errno::PERM) => denied = true,
                // Vanished, or something odd: let the cold path report it.
                Err(_) => return None,
            }
        }
        if held.fds() == 0 {
            // Nothing to hold (all denied): an entry would cost memory and save nothing.
            return None;
        }
        held.denied = denied;
        self.held_fds += held.fds();
        Some(held)
    }

    pub(super) fn keep(&mut self, held: Held) {
        self.next.push(held);
    }

    /// Ends a scan: `next` holds the entries seen, in ascending order. A complete scan drops the
    /// entries not seen (their processes exited); a stopped one keeps them for next time.
    pub(super) fn finish(&mut self, complete: bool) {
        if complete {
            for gone in self.entries.drain(..) {
                self.held_fds -= gone.fds();
            }
        }
        // Remaining entries have larger pids than any seen: they go after `next`'s.
        self.entries.reverse();
        self.next.append(&mut self.entries);
        // Store in descending order so the scan pops the smallest pid from the end.
        self.next.reverse();
        core::mem::swap(&mut self.entries, &mut self.next);
    }
}
