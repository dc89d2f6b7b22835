//! A host-wide scan over /proc: only the figures asked for, bounded by a budget, with exits and
//! permission denials counted as the normal outcomes they are.
//!
//! The [`Scanner`] here lists /proc and hands each row over; `fields` is what a caller asks
//! for, `row` what a scan hands over, `task` which process or thread a row is of and its paths,
//! `read` how one row is read (by path, or through the handles `cache` keeps between scans), and
//! `top` the ranking of rows.

use crate::budget::{Budget, Stop};
use crate::error::{errno_error, Error, Result};
use crate::parse::{dirent, num};
use crate::proc::ProcFs;
use crate::sys::{self, DirBuf, MountOf, ReadBuf};
use crate::walk::walk_opened;
use cache::Cache;
use core::ops::ControlFlow;
use rustix::fd::{AsFd, OwnedFd};
use smallvec::SmallVec;
use task::{PidPath, Task};

mod cache;
mod fields;
mod read;
mod row;
mod task;
mod top;

pub use fields::Fields;
pub use row::{Row, COMM_CAP, WCHAN_CAP};
pub use top::{SortKey, TopRows};

/// What a scan saw: every process listed is exactly one of scanned, vanished or refused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanSummary {
    /// Processes whose row was produced (including partly denied ones).
    pub scanned: u64,
    /// Processes that exited between being listed and being read: normal, never an error.
    pub vanished: u64,
    /// Processes skipped because a mount is stacked over their /proc entries (see
    /// [`Error::CrossedMount`]): what it shows is not the kernel's, so no row is made of it.
    pub refused: u64,
    /// Scanned processes with at least one figure denied; in a [`threads`](Scanner::threads)
    /// scan, also processes whose thread list was denied (no rows are made for them).
    pub denied: u64,
    /// `None` if the scan reached the end of /proc; otherwise why it stopped.
    pub stopped: Option<Stop>,
}

impl ScanSummary {
    /// True if every process in /proc was visited.
    pub fn is_complete(&self) -> bool {
        self.stopped.is_none()
    }
}

/// Scans every process in /proc, computing only the [`Fields`] asked for.
///
/// A one-shot ("cold") scan holds at most two fds of its own at any moment (its listing of
/// /proc and one file being read), however many processes there are. A scanner kept between
/// scans can [`keep_handles`](Scanner::keep_handles) under an fd budget, re-reading held files
/// with `pread` at offset 0 and `fstat` instead of opening them again.
///
/// ```
/// use procfast::{Budget, Fields, Scanner, SortKey};
///
/// let mut scanner = Scanner::new(Fields::FDS | Fields::COMM)?;
/// let (top, summary) = scanner.top(5, SortKey::Fds, &Budget::UNLIMITED)?;
/// assert!(summary.scanned >= 1 && top.len() <= 5);
/// for row in &top {
///     println!("{} {} {:?}", row.pid, String::from_utf8_lossy(row.comm()), row.fds);
/// }
/// # Ok::<(), procfast::Error>(())
/// ```
#[derive(Debug)]
pub struct Scanner {
    list: OwnedFd,
    /// The mount `list` is on: an entry stat'ed by path must lie on it.
    mount: MountOf,
    stat_counts_fds: bool,
    fields: Fields,
    dir_buf: DirBuf,
    read_buf: ReadBuf,
    ticks_per_second: u64,
    page_size: u64,
    cache: Option<Cache>,
    threads: bool,
    /// The thread ids of the process being scanned, reused so threads cost no allocation.
    tids: Vec<i32>,
    /// Whether the mount numbers pids as `prlimit` does; probed when `FD_LIMIT` is first asked.
    callers_pid_namespace: Option<bool>,
    /// Whether `/proc/swaps` listed an area (or could not be read) at the start of this scan.
    swap_listed: bool,
}

impl Scanner {
    /// A cold scanner of `/proc` computing `fields`.
    pub fn new(fields: Fields) -> Result<Scanner> {
        Scanner::in_procfs(ProcFs::global()?, fields)
    }

    /// A cold scanner of the given procfs mount.
    pub fn in_procfs(procfs: &ProcFs, fields: Fields) -> Result<Scanner> {
        // Its own open file description, so its listing position is its own.
        let list = sys::reopen_dir(procfs.root()).map_err(|e| errno_error(e, "/proc"))?;
        let mount = sys::mount_of(list.as_fd()).map_err(|e| errno_error(e, "/proc"))?;
        Ok(Scanner {
            list,
            mount,
            stat_counts_fds: procfs.stat_counts_fds(),
            fields,
            dir_buf: DirBuf::new(),
            read_buf: ReadBuf::new(),
            ticks_per_second: sys::clock_ticks_per_second(),
            page_size: sys::page_size(),
            cache: None,
            threads: false,
            tids: Vec::new(),
            callers_pid_namespace: None,
            swap_listed: true,
        })
    }

    /// Keeps per-process handles between scans, holding at most `fd_budget` fds for them
    /// (processes beyond the budget are read cold). Handles of exited processes are dropped, and
    /// a pid that comes back is opened afresh.
    ///
    /// A kept scan also skips reads whose answer cannot have changed. It reads a held task's
    /// `schedstat` first (one small file) and, where that reads as at the last scan, the task has
    /// not run since: its context switches are those `status` gave then, and so are its I/O
    /// counts where it is a thread, or a process whose only thread it is. `VmSwap` changes
    /// while a task sleeps, so with [`Fields::SWAP`] `status` is read every scan on a host
    /// with a swap area in `/proc/swaps`; on a host without one every `VmSwap` is 0.
    pub fn keep_handles(mut self, fd_budget: usize) -> Scanner {
        self.cache = Some(Cache::new(fd_budget));
        self
    }

    /// Visits a row per thread instead of per process: `pid` is then the thread id and `tgid`
    /// the process's, and every figure is the thread's own (from `/proc/<pid>/task/<tid>/`;
    /// fds are shared by the threads of a process).
    pub fn threads(mut self, threads: bool) -> Scanner {
        self.threads = threads;
        self
    }

    /// A default fd budget for [`keep_handles`](Scanner::keep_handles): a quarter of the soft
    /// `RLIMIT_NOFILE`, leaving the rest to the program.
    pub fn default_fd_budget() -> usize {
        let soft = sys::getrlimit_soft(sys::Rlimit::Nofile);
        (soft.unwrap_or(4096) / 4) as usize
    }

    /// Fds the scanner holds for kept handles now.
    pub fn held_fds(&self) -> usize {
        self.cache.as_ref().map_or(0, |c| c.held_fds)
    }

    /// The figures this scanner computes.
    pub fn fields(&self) -> Fields {
        self.fields
    }

    /// Scans /proc, handing each process's [`Row`] to `visit` until the end, the `budget`
    /// (`max_entries` counts processes) or the visitor's `Break`.
    pub fn scan(
        &mut self,
        budget: &Budget,
        mut visit: impl FnMut(&Row) -> ControlFlow<()>,
    ) -> Result<ScanSummary> {
        self.scan_inner(budget, None, &mut visit)
    }

    /// Scans as [`scan`](Scanner::scan) does, reading for each process only the fields
    /// `choose` returns (within the scanner's own).
    ///
    /// `choose` is told the pid and whether the scanner holds handles for it from an earlier
    /// scan ([`keep_handles`](Scanner::keep_handles)). Held handles stay with the process they
    /// were opened on, so `true` means *the same process as that scan's row of this pid*: a
    /// caller that already knows it can ask for less, e.g. only what changes. If the held
    /// handles turn out to belong to a process that has exited, the pid is read afresh and
    /// `choose` is asked again with `false`; the row's [`kept`](Row::kept) says which it was.
    ///
    /// ```
    /// use procfast::{Budget, Fields, Scanner};
    /// use std::ops::ControlFlow;
    ///
    /// let mut scanner = Scanner::new(Fields::COMM | Fields::CPU | Fields::UID)?.keep_handles(1024);
    /// for _ in 0..2 {
    ///     // The owner of a process never changes: read it once, at first sight.
    ///     scanner.scan_choosing(
    ///         &Budget::UNLIMITED,
    ///         |_pid, kept| if kept { Fields::COMM | Fields::CPU } else { Fields::ALL },
    ///         |row| {
    ///             assert!(row.kept || row.cpu_seconds.is_some() || row.denied);
    ///             ControlFlow::Continue(())
    ///         },
    ///     )?;
    /// }
    /// # Ok::<(), procfast::Error>(())
    /// ```
    pub fn scan_choosing(
        &mut self,
        budget: &Budget,
        mut choose: impl FnMut(i32, bool) -> Fields,
        mut visit: impl FnMut(&Row) -> ControlFlow<()>,
    ) -> Result<ScanSummary> {
        self.scan_inner(budget, Some(&mut choose), &mut visit)
    }

    fn scan_inner(
        &mut self,
        budget: &Budget,
        mut choose: Option<&mut dyn FnMut(i32, bool) -> Fields>,
        visit: &mut dyn FnMut(&Row) -> ControlFlow<()>,
    ) -> Result<ScanSummary> {
        // A budget's time counts from the start of this scan.
        let budget = &budget.start();
        let mut summary = ScanSummary::default();
        let mut cache = self.cache.take();
        if cache.is_some() && self.fields.contains(Fields::SWAP) {
            self.swap_listed = self.swap_listed_now();
        }
        let result = self.scan_into(budget, &mut summary, cache.as_mut(), &mut choose, visit);
        if let Some(cache) = cache.as_mut() {
            cache.finish(result.is_ok() && summary.is_complete());
        }
        self.cache = cache;
        result.map(|()| summary)
    }

    fn scan_into(
        &mut self,
        budget: &Budget,
        summary: &mut ScanSummary,
        mut cache: Option<&mut Cache>,
        choose: &mut Option<&mut dyn FnMut(i32, bool) -> Fields>,
        visit: &mut dyn FnMut(&Row) -> ControlFlow<()>,
    ) -> Result<()> {
        sys::rewind(self.list.as_fd()).map_err(|e| errno_error(e, "/proc"))?;
        loop {
            let filled = self
                .dir_buf
                .getdents64(self.list.as_fd())
                .map_err(|e| errno_error(e, "/proc"))?;
            if filled.is_empty() {
                return Ok(());
            }
            // Copy the batch's pids out so the buffer is free while each process is read.
            let mut pids: SmallVec<[i32; 512]> = SmallVec::new();
            for entry in dirent::dirents(filled) {
                if let Some(pid) = num::u32_dec(entry?.name).and_then(|n| i32::try_from(n).ok()) {
                    pids.push(pid);
                }
            }
            for pid in pids {
                if !self.threads {
                    self.visit_task(
                        Task::process(pid),
                        budget,
                        summary,
                        cache.as_deref_mut(),
                        choose,
                        visit,
                    )?;
                } else {
                    match self.list_threads(pid) {
                        Ok(()) => {}
                        Err(Error::Gone) => summary.vanished += 1,
                        Err(Error::CrossedMount { .. }) => summary.refused += 1,
                        // Under hidepid=noaccess another user's task list is closed: count it
                        // and go on, as a scan of processes does with their files.
                        Err(Error::Denied { .. }) => summary.denied += 1,
                        Err(e) => return Err(e),
                    }
                    for i in 0..self.tids.len() {
                        let task = Task::thread(pid, self.tids[i]);
                        let cache = cache.as_deref_mut();
                        self.visit_task(task, budget, summary, cache, choose, visit)?;
                        if summary.stopped.is_some() {
                            return Ok(());
                        }
                    }
                }
                if summary.stopped.is_some() {
                    return Ok(());
                }
            }
        }
    }

    /// Reads one row and hands it over, accounting for it in `summary`; sets `summary.stopped`
    /// when the scan must end.
    fn visit_task(
        &mut self,
        task: Task,
        budget: &Budget,
        summary: &mut ScanSummary,
        cache: Option<&mut Cache>,
        choose: &mut Option<&mut dyn FnMut(i32, bool) -> Fields>,
        visit: &mut dyn FnMut(&Row) -> ControlFlow<()>,
    ) -> Result<()> {
        if budget.entries_exhausted(summary.scanned + summary.vanished + summary.refused) {
            summary.stopped = Some(Stop::Entries);
            return Ok(());
        }
        match self.row(task, cache, choose) {
            Ok(row) => {
                summary.scanned += 1;
                summary.denied += u64::from(row.denied);
                if visit(&row).is_break() {
                    summary.stopped = Some(Stop::Visitor);
                    return Ok(());
                }
            }
            Err(Error::Gone) => summary.vanished += 1,
            Err(Error::CrossedMount { .. }) => summary.refused += 1,
            Err(e) => return Err(e),
        }
        if budget.deadline_passed() {
            summary.stopped = Some(Stop::Deadline);
        }
        Ok(())
    }

    /// Whether `/proc/swaps` lists a swap area; true where it cannot be read, as then no
    /// `VmSwap` can be known without reading it.
    fn swap_listed_now(&mut self) -> bool {
        let Ok(fd) = sys::openat_file(self.list.as_fd(), c"swaps", sys::Beneath::SameMount) else {
            return true;
        };
        let read = self
            .read_buf
            .pread_all(fd.as_fd(), "swaps", sys::Generated::Whole);
        read.and_then(crate::parse::swaps::parse)
            .map_or(true, |swaps| !swaps.is_empty())
    }

    /// Lists the threads of `pid` into `self.tids`.
    fn list_threads(&mut self, pid: i32) -> Result<()> {
        self.tids.clear();
        let path = PidPath::new(Task::process(pid), b"/task\0");
        let dir = sys::openat_dir(self.list.as_fd(), path.as_c_str()?)
            .map_err(|e| errno_error(e, "task"))?;
        let tids = &mut self.tids;
        walk_opened(
            dir.as_fd(),
            "task",
            &mut self.dir_buf,
            &Budget::UNLIMITED,
            |tid| {
                tids.push(tid);
                ControlFlow::Continue(())
            },
        )?;
        Ok(())
    }
}
