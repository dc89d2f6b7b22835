//! A host-wide scan over /proc: only the figures asked for, bounded by a budget, with exits and
//! permission denials counted as the normal outcomes they are.

use crate::budget::{Budget, Stop};
use crate::count::walk_numbered;
use crate::error::errno_error;
use crate::parse::{self, dirent, io, num, stat, status, ticks_to_seconds};
use crate::proc::ProcFs;
use crate::sys::{self, Beneath, DirBuf, Errno, Generated, MountOf, ReadBuf};
use crate::{Error, Result};
use core::ffi::CStr;
use core::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign, ControlFlow};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::path::DecInt;
use smallvec::SmallVec;

/// The figures a scan computes for each process; ask only for what you use.
///
/// The cost of a figure is the file it comes from: `COMM`, `STATE`, `PPID`, `THREADS`, `RSS`,
/// `CPU`, `START_TIME`, `FAULTS` and `VSIZE` all come from one read of `/proc/<pid>/stat`; `FDS`
/// from one `statx` of `/proc/<pid>/fd`; `UID` from one `statx` of `/proc/<pid>` (its owner, as
/// `ps` reads it); `CTXT_SWITCHES` and `SWAP` from one read of `/proc/<pid>/status`; `IO` from a read of `/proc/<pid>/io`, which needs ptrace access (so
/// another user's process reports it as denied); `FD_LIMIT` from `prlimit` where the mount is of
/// the caller's pid namespace and permits it, else from `/proc/<pid>/limits`. A scan for `FDS`
/// alone reads no file but for processes that report 0 fds.
///
/// ```
/// use procfast::Fields;
/// let fields = Fields::FDS | Fields::COMM;
/// assert!(fields.contains(Fields::FDS) && !fields.contains(Fields::RSS));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Fields(u32);

impl Fields {
    /// Nothing but the pid.
    pub const NONE: Fields = Fields(0);
    /// The command name (`comm`), from `stat`.
    pub const COMM: Fields = Fields(1);
    /// The state letter, from `stat`.
    pub const STATE: Fields = Fields(1 << 1);
    /// The parent's pid, from `stat`.
    pub const PPID: Fields = Fields(1 << 2);
    /// The thread count, from `stat`.
    pub const THREADS: Fields = Fields(1 << 3);
    /// The resident set size in bytes, from `stat` (pages × page size).
    pub const RSS: Fields = Fields(1 << 4);
    /// User and system CPU time in seconds, apart and summed, from `stat` (ticks ÷ the real tick
    /// rate).
    pub const CPU: Fields = Fields(1 << 5);
    /// The start time after boot, in seconds and in clock ticks, from `stat`.
    pub const START_TIME: Fields = Fields(1 << 6);
    /// The open fd count, from `fstat` of `/proc/<pid>/fd`.
    pub const FDS: Fields = Fields(1 << 7);
    /// The effective uid: the owner of `/proc/<pid>`, which the kernel sets to it (`ps` reads it
    /// so too), one `statx` rather than a read of `status`.
    pub const UID: Fields = Fields(1 << 8);
    /// Bytes read from and written to storage, from `io`.
    pub const IO: Fields = Fields(1 << 9);
    /// Minor and major page faults, from `stat`.
    pub const FAULTS: Fields = Fields(1 << 10);
    /// The virtual memory size in bytes, from `stat`.
    pub const VSIZE: Fields = Fields(1 << 11);
    /// Voluntary and involuntary context switches (of the main thread, as the kernel counts them
    /// in `status`).
    pub const CTXT_SWITCHES: Fields = Fields(1 << 12);
    /// Swapped-out memory in bytes (`VmSwap`), from `status`.
    pub const SWAP: Fields = Fields(1 << 13);
    /// The soft `RLIMIT_NOFILE`.
    pub const FD_LIMIT: Fields = Fields(1 << 14);
    /// Where the task sleeps in the kernel ([`Row::wchan`]): one more file read per row, by
    /// path (never held).
    pub const WCHAN: Fields = Fields(1 << 15);
    /// Every figure.
    pub const ALL: Fields = Fields((1 << 16) - 1);
    const FROM_STAT: Fields = Fields(((1 << 7) - 1) | (1 << 10) | (1 << 11));
    const FROM_STATUS: Fields = Fields((1 << 12) | (1 << 13));

    /// These fields and `other`'s (a `const` `self | other`).
    pub const fn with(self, other: Fields) -> Fields {
        Fields(self.0 | other.0)
    }

    /// These fields but `other`'s (a `const` `self & !other`).
    pub const fn without(self, other: Fields) -> Fields {
        Fields(self.0 & !other.0)
    }

    /// True if every figure of `other` is in `self`.
    pub const fn contains(self, other: Fields) -> bool {
        self.0 & other.0 == other.0
    }

    const fn any(self, other: Fields) -> bool {
        self.0 & other.0 != 0
    }
}

impl Fields {
    /// Adds the figures of `other`.
    pub fn insert(&mut self, other: Fields) {
        self.0 |= other.0;
    }

    /// Removes the figures of `other`.
    ///
    /// ```
    /// use procfast::Fields;
    /// let mut fields = Fields::ALL;
    /// fields.remove(Fields::IO | Fields::UID);
    /// assert!(fields.contains(Fields::FDS) && !fields.contains(Fields::IO));
    /// ```
    pub fn remove(&mut self, other: Fields) {
        self.0 &= !other.0;
    }
}

impl BitOr for Fields {
    type Output = Fields;
    fn bitor(self, other: Fields) -> Fields {
        Fields(self.0 | other.0)
    }
}

impl BitOrAssign for Fields {
    fn bitor_assign(&mut self, other: Fields) {
        self.insert(other);
    }
}

/// The figures in both.
impl BitAnd for Fields {
    type Output = Fields;
    fn bitand(self, other: Fields) -> Fields {
        Fields(self.0 & other.0)
    }
}

impl BitAndAssign for Fields {
    fn bitand_assign(&mut self, other: Fields) {
        self.0 &= other.0;
    }
}

/// The longest command name a [`Row`] keeps; longer names (some kernel threads) are cut here.
pub const COMM_CAP: usize = 64;

/// The longest `wchan` symbol a [`Row`] keeps; longer ones are cut here.
pub const WCHAN_CAP: usize = 64;

/// A process (`tid == pid`) or one thread of it. Ordered as /proc lists them: by process, then
/// by thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Task {
    pid: i32,
    tid: i32,
    thread: bool,
}

impl Task {
    fn process(pid: i32) -> Task {
        Task {
            pid,
            tid: pid,
            thread: false,
        }
    }

    fn thread(pid: i32, tid: i32) -> Task {
        Task {
            pid,
            tid,
            thread: true,
        }
    }
}

/// One process's (or thread's) figures, reused from row to row: figures not asked for, or
/// denied, are `None`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Row {
    /// The process id; in a [`threads`](Scanner::threads) scan, the thread id.
    pub pid: i32,
    /// The process the row belongs to: equal to `pid` for a process row, the owning process of a
    /// thread row.
    pub tgid: i32,
    comm: [u8; COMM_CAP],
    comm_len: u8,
    wchan: [u8; WCHAN_CAP],
    wchan_len: u8,
    /// The state letter (`R`, `S`, `D`, `Z`, …).
    pub state: Option<u8>,
    /// The parent's pid.
    pub ppid: Option<i32>,
    /// The effective uid (the owner of `/proc/<pid>`).
    pub uid: Option<u32>,
    /// Open fds.
    pub fds: Option<u64>,
    /// Threads.
    pub threads: Option<u64>,
    /// Resident set size, bytes.
    pub rss_bytes: Option<u64>,
    /// User + system CPU time, seconds.
    pub cpu_seconds: Option<f64>,
    /// User CPU time, seconds.
    pub cpu_user_seconds: Option<f64>,
    /// System CPU time, seconds.
    pub cpu_system_seconds: Option<f64>,
    /// Minor page faults (no disk read).
    pub minor_faults: Option<u64>,
    /// Major page faults (a page read from disk).
    pub major_faults: Option<u64>,
    /// Virtual memory size, bytes.
    pub vsize_bytes: Option<u64>,
    /// Swapped-out memory, bytes (`VmSwap`; `None` for kernel threads, which have no memory).
    pub swap_bytes: Option<u64>,
    /// Voluntary context switches of the main thread.
    pub voluntary_ctxt_switches: Option<u64>,
    /// Involuntary context switches of the main thread.
    pub nonvoluntary_ctxt_switches: Option<u64>,
    /// The soft `RLIMIT_NOFILE`; `u64::MAX` when unlimited.
    pub fd_limit: Option<u64>,
    /// Start time, seconds after boot.
    pub start_time_seconds: Option<f64>,
    /// Start time, clock ticks after boot, exact: with the pid, it names one process across
    /// scans (a reused pid has a later start time).
    pub start_time_ticks: Option<u64>,
    /// Bytes fetched from storage (`read_bytes` of `io`).
    pub io_read_bytes: Option<u64>,
    /// Bytes sent to storage (`write_bytes` of `io`).
    pub io_write_bytes: Option<u64>,
    /// True if some figure asked for was denied; the others are still filled.
    pub denied: bool,
    /// True if read through handles held since an earlier scan: the same process as that
    /// scan's row of this pid (see [`Scanner::scan_choosing`]).
    pub kept: bool,
}

impl Row {
    fn new(task: Task) -> Row {
        Row {
            pid: task.tid,
            tgid: task.pid,
            comm: [0; COMM_CAP],
            comm_len: 0,
            wchan: [0; WCHAN_CAP],
            wchan_len: 0,
            state: None,
            ppid: None,
            uid: None,
            fds: None,
            threads: None,
            rss_bytes: None,
            cpu_seconds: None,
            cpu_user_seconds: None,
            cpu_system_seconds: None,
            minor_faults: None,
            major_faults: None,
            vsize_bytes: None,
            swap_bytes: None,
            voluntary_ctxt_switches: None,
            nonvoluntary_ctxt_switches: None,
            fd_limit: None,
            start_time_seconds: None,
            start_time_ticks: None,
            io_read_bytes: None,
            io_write_bytes: None,
            denied: false,
            kept: false,
        }
    }

    /// The command name as the kernel wrote it (raw bytes, cut at [`COMM_CAP`]); empty if not
    /// asked for.
    pub fn comm(&self) -> &[u8] {
        self.comm
            .get(..usize::from(self.comm_len))
            .unwrap_or_default()
    }

    fn set_comm(&mut self, comm: &[u8]) {
        let len = comm.len().min(COMM_CAP);
        self.comm[..len].copy_from_slice(&comm[..len]);
        self.comm_len = len as u8;
    }

    /// The kernel function the task sleeps in (`wchan`, cut at [`WCHAN_CAP`]); empty if it is
    /// running, if the kernel hides it from the caller (another user's task, without
    /// `CAP_SYS_PTRACE`), or if not asked for.
    pub fn wchan(&self) -> &[u8] {
        &self.wchan[..usize::from(self.wchan_len).min(WCHAN_CAP)]
    }

    fn set_wchan(&mut self, wchan: &[u8]) {
        let len = wchan.len().min(WCHAN_CAP);
        self.wchan[..len].copy_from_slice(&wchan[..len]);
        self.wchan_len = len as u8;
    }
}

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

/// Handles kept for one process between scans.
#[derive(Debug)]
struct Held {
    task: Task,
    /// The figures these handles were opened for.
    fields: Fields,
    stat: Option<OwnedFd>,
    status: Option<OwnedFd>,
    io: Option<OwnedFd>,
    fd_dir: Option<OwnedFd>,
    /// `/proc/<pid>` itself (`O_PATH`), whose owner is the effective uid.
    pid_dir: Option<OwnedFd>,
    /// Some source could not be opened for lack of permission.
    denied: bool,
    /// A kernel thread (`PF_KTHREAD`, learned from a check): its 0 fds need no check again.
    kthread: bool,
}

impl Held {
    fn fds(&self) -> usize {
        usize::from(self.stat.is_some())
            + usize::from(self.status.is_some())
            + usize::from(self.io.is_some())
            + usize::from(self.fd_dir.is_some())
            + usize::from(self.pid_dir.is_some())
    }
}

/// The handle cache of a kept scanner: entries sorted by pid, merged with each listing.
#[derive(Debug)]
struct Cache {
    fd_budget: usize,
    held_fds: usize,
    entries: Vec<Held>,
    next: Vec<Held>,
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
        })
    }

    /// Keeps per-process handles between scans, holding at most `fd_budget` fds for them
    /// (processes beyond the budget are read cold). Handles of exited processes are dropped, and
    /// a pid that comes back is opened afresh.
    pub fn keep_handles(mut self, fd_budget: usize) -> Scanner {
        // Every entry holds at least one fd, so the budget bounds the entries: reserving that
        // many now means scans never allocate for the cache.
        let entries = fd_budget.min(1 << 16);
        self.cache = Some(Cache {
            fd_budget,
            held_fds: 0,
            entries: Vec::with_capacity(entries),
            next: Vec::with_capacity(entries),
        });
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
        let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
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

    /// Lists the threads of `pid` into `self.tids`.
    fn list_threads(&mut self, pid: i32) -> Result<()> {
        self.tids.clear();
        let path = PidPath::new(Task::process(pid), b"/task\0");
        let dir = sys::openat_dir(self.list.as_fd(), path.as_c_str()?)
            .map_err(|e| errno_error(e, "task"))?;
        let tids = &mut self.tids;
        walk_numbered(
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

    /// One process's row, through kept handles where there are some.
    fn row(
        &mut self,
        task: Task,
        cache: Option<&mut Cache>,
        choose: &mut Option<&mut dyn FnMut(i32, bool) -> Fields>,
    ) -> Result<Row> {
        let own = self.fields;
        let mut fields_for = |kept: bool| match choose.as_mut() {
            Some(choose) => choose(task.tid, kept) & own,
            None => own,
        };
        let Some(cache) = cache else {
            return self.row_cold(task, fields_for(false));
        };
        let list = self.list.as_fd();
        let (mut held, fields, kept) = match cache.take_held(task) {
            Some(held) => {
                let fields = fields_for(true);
                if held.fields.contains(fields) {
                    (held, fields, true)
                } else {
                    // Opened for fewer figures than asked now: reopen, on whatever is there now.
                    cache.held_fds -= held.fds();
                    drop(held);
                    let fields = fields_for(false);
                    match cache.open(task, fields, list) {
                        Some(held) => (held, fields, false),
                        None => return self.row_cold(task, fields),
                    }
                }
            }
            None => {
                let fields = fields_for(false);
                match cache.open(task, fields, list) {
                    Some(held) => (held, fields, false),
                    None => return self.row_cold(task, fields),
                }
            }
        };
        match self.row_held(task, &mut held, fields) {
            Ok(mut row) => {
                row.kept = kept;
                cache.keep(held);
                Ok(row)
            }
            // The held handles belong to a process that exited; the pid may be back already.
            Err(Error::Gone) => {
                cache.held_fds -= held.fds();
                drop(held);
                let fields = if kept { fields_for(false) } else { fields };
                self.row_cold(task, fields)
            }
            Err(e) => {
                cache.keep(held);
                Err(e)
            }
        }
    }

    fn row_cold(&mut self, task: Task, fields: Fields) -> Result<Row> {
        let mut row = Row::new(task);
        // fds before stat: a stat read after the count tells whether the count can be believed.
        let mut suspect = false;
        if fields.contains(Fields::FDS) {
            let path = PidPath::new(task, b"/fd\0");
            let size =
                sys::statx_on(self.list.as_fd(), path.as_c_str()?, self.mount).map(|st| st.size);
            suspect = self.fill_fds(&mut row, size, |list| {
                sys::openat_dir(list, path.as_c_str().map_err(|_| Errno::INVAL)?)
            })?;
        }
        if fields.contains(Fields::UID) {
            let path = PidPath::new(task, b"\0");
            let owner = sys::statx_on(self.list.as_fd(), path.as_c_str()?, self.mount);
            fill_uid(&mut row, owner)?;
        }
        if fields.contains(Fields::FD_LIMIT) {
            self.fill_fd_limit(&mut row, task)?;
        }
        if fields.contains(Fields::WCHAN) {
            self.fill_wchan(&mut row, task)?;
        }
        let list = self.list.as_fd();
        let mut exiting = None;
        if fields.any(Fields::FROM_STAT) {
            let read = read_cold(list, &mut self.read_buf, task, b"/stat\0", "stat");
            let (ticks, page) = (self.ticks_per_second, self.page_size);
            exiting = fill_from_stat(&mut row, fields, read, ticks, page)?;
        } else if suspect {
            let read = read_cold(list, &mut self.read_buf, task, b"/stat\0", "stat");
            exiting = exiting_from_stat(&mut row, read)?;
        }
        forget_counts_of_exiting(&mut row, exiting, suspect);
        if fields.any(Fields::FROM_STATUS) {
            let read = read_cold(list, &mut self.read_buf, task, b"/status\0", "status");
            fill_from_status(&mut row, fields, read)?;
        }
        if fields.contains(Fields::IO) {
            fill_from_io(
                &mut row,
                read_cold(list, &mut self.read_buf, task, b"/io\0", "io"),
            )?;
        }
        Ok(row)
    }

    fn row_held(&mut self, task: Task, held: &mut Held, fields: Fields) -> Result<Row> {
        let mut row = Row::new(task);
        row.denied = held.denied;
        let mut suspect = false;
        if let Some(fd) = held
            .fd_dir
            .as_ref()
            .filter(|_| fields.contains(Fields::FDS))
        {
            let size = sys::fstat(fd.as_fd()).map(|st| st.size);
            suspect = self.fill_fds(&mut row, size, |_| sys::reopen_dir(fd.as_fd()))?;
        }
        // A kernel thread's 0 is real, and it stays a kernel thread: no check needed.
        suspect &= !held.kthread;
        if let Some(fd) = held
            .pid_dir
            .as_ref()
            .filter(|_| fields.contains(Fields::UID))
        {
            fill_uid(&mut row, sys::fstat(fd.as_fd()))?;
        }
        if fields.contains(Fields::FD_LIMIT) {
            self.fill_fd_limit(&mut row, task)?;
        }
        if fields.contains(Fields::WCHAN) {
            self.fill_wchan(&mut row, task)?;
        }
        // A figure read by path is the held process's if the held `stat` still reads after it.
        let by_path = fields.any(Fields::FD_LIMIT.with(Fields::WCHAN));
        let mut exiting = None;
        if let Some(fd) = held.stat.as_ref() {
            if fields.any(Fields::FROM_STAT) || suspect || by_path {
                let read = self
                    .read_buf
                    .pread_all(fd.as_fd(), "stat", Generated::Whole);
                exiting = if fields.any(Fields::FROM_STAT) {
                    let (ticks, page) = (self.ticks_per_second, self.page_size);
                    fill_from_stat(&mut row, fields, read, ticks, page)?
                } else {
                    exiting_from_stat(&mut row, read)?
                };
                if suspect && exiting == Some(false) {
                    let flags = parse::stat_state_flags(self.read_buf.filled());
                    held.kthread = flags.is_some_and(|(_, f)| f & parse::PF_KTHREAD != 0);
                }
            }
        }
        forget_counts_of_exiting(&mut row, exiting, suspect);
        if let Some(fd) = held
            .status
            .as_ref()
            .filter(|_| fields.any(Fields::FROM_STATUS))
        {
            fill_from_status(
                &mut row,
                fields,
                self.read_buf
                    .pread_all(fd.as_fd(), "status", Generated::Whole),
            )?;
        }
        if let Some(fd) = held.io.as_ref().filter(|_| fields.contains(Fields::IO)) {
            fill_from_io(
                &mut row,
                self.read_buf.pread_all(fd.as_fd(), "io", Generated::Whole),
            )?;
        }
        Ok(row)
    }

    /// Fills the row's `wchan` from its file, read by path; called before the `stat` read.
    fn fill_wchan(&mut self, row: &mut Row, task: Task) -> Result<()> {
        let list = self.list.as_fd();
        match read_cold(list, &mut self.read_buf, task, b"/wchan\0", "wchan") {
            Ok(bytes) => row.set_wchan(parse::wchan(bytes).unwrap_or_default()),
            Err(Error::Denied { .. }) => row.denied = true,
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Fills `row.fd_limit`: `prlimit`, one syscall, where the mount numbers pids as the caller's
    /// namespace does and the caller may ask; the `limits` file otherwise. Called before the
    /// `stat` read, which then vouches that the pid was still this process.
    fn fill_fd_limit(&mut self, row: &mut Row, task: Task) -> Result<()> {
        let list = self.list.as_fd();
        let callers = *self
            .callers_pid_namespace
            .get_or_insert_with(|| crate::proc::probe_pid_namespace(list));
        if callers {
            match sys::prlimit_soft(task.tid, sys::Rlimit::Nofile) {
                Ok(limit) => {
                    row.fd_limit = Some(limit.unwrap_or(u64::MAX));
                    return Ok(());
                }
                Err(Errno::SRCH) => return Err(Error::Gone),
                // Another user's process: its limits file may still be readable.
                Err(Errno::PERM) => {}
                Err(e) => return Err(errno_error(e, "prlimit")),
            }
        }
        match read_cold(list, &mut self.read_buf, task, b"/limits\0", "limits") {
            Ok(bytes) => {
                let limits = parse::limits::parse(bytes)?;
                let soft = limits.get(parse::limits::Resource::OpenFiles).soft;
                row.fd_limit = Some(soft.unwrap_or(u64::MAX));
            }
            Err(Error::Denied { .. }) => row.denied = true,
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Fills `row.fds` from an `fstat` size; where the kernel does not count fds there, walks
    /// the directory opened by `open_listable`. Returns true if the count is one that an exiting
    /// process could also show (0, or any walked count), so it must be checked against the
    /// task's state.
    fn fill_fds(
        &mut self,
        row: &mut Row,
        size: core::result::Result<u64, Errno>,
        open_listable: impl FnOnce(BorrowedFd<'_>) -> core::result::Result<OwnedFd, Errno>,
    ) -> Result<bool> {
        match size.map_err(|e| errno_error(e, "fd")) {
            // The size is the whole table's count, or 0 once an exiting task let go of it.
            Ok(size) if size > 0 || self.stat_counts_fds => {
                row.fds = Some(size);
                Ok(size == 0)
            }
            Ok(_) => {
                let walked = open_listable(self.list.as_fd())
                    .map_err(|e| errno_error(e, "fd"))
                    .and_then(|dir| {
                        walk_numbered(
                            dir.as_fd(),
                            "fd",
                            &mut self.dir_buf,
                            &Budget::UNLIMITED,
                            |_| ControlFlow::Continue(()),
                        )
                    });
                match walked {
                    Ok(walk) => {
                        row.fds = Some(walk.count);
                        Ok(true)
                    }
                    Err(Error::Denied { .. }) => {
                        row.denied = true;
                        Ok(false)
                    }
                    Err(e) => Err(e),
                }
            }
            Err(Error::Denied { .. }) => {
                row.denied = true;
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }
}

/// Counts of a task that has begun to exit, or is a zombie, are not the process's: its fd table
/// is being emptied and its threads are going. Such a row keeps its other figures (a zombie's
/// state and times are real) but has no fd or thread count. A suspect count that could not be
/// checked (its `stat` denied) is dropped too.
fn forget_counts_of_exiting(row: &mut Row, exiting: Option<bool>, suspect: bool) {
    if exiting == Some(true) || (suspect && exiting.is_none()) {
        row.fds = None;
    }
    if exiting == Some(true) {
        row.threads = None;
    }
}

/// Whether the task of a `stat` read has begun to exit; `None` (and the row marked denied) where
/// the read was denied.
fn exiting_from_stat(row: &mut Row, read: Result<&[u8]>) -> Result<Option<bool>> {
    match read {
        Ok(bytes) => {
            let (state, flags) =
                parse::stat_state_flags(bytes).ok_or(Error::parse("stat", "flags"))?;
            Ok(Some(parse::is_exiting(state, flags)))
        }
        Err(Error::Denied { .. }) => {
            row.denied = true;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Opens `<pid><suffix>` below /proc, reads it whole and closes it: a cold read.
fn read_cold<'b>(
    list: BorrowedFd<'_>,
    buf: &'b mut ReadBuf,
    task: Task,
    suffix: &'static [u8],
    file: &'static str,
) -> Result<&'b [u8]> {
    let path = PidPath::new(task, suffix);
    let fd = sys::openat_file(list, path.as_c_str()?, Beneath::SameMount)
        .map_err(|e| errno_error(e, file))?;
    buf.pread_all(fd.as_fd(), file, Generated::Whole)
}

/// Fills the figures of `stat` asked for; returns whether the task has begun to exit (`None`
/// where the read was denied).
fn fill_from_stat(
    row: &mut Row,
    fields: Fields,
    read: Result<&[u8]>,
    ticks_per_second: u64,
    page_size: u64,
) -> Result<Option<bool>> {
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(Error::Denied { .. }) => {
            row.denied = true;
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let st = stat::parse(bytes)?;
    if fields.contains(Fields::COMM) {
        row.set_comm(st.comm);
    }
    if fields.contains(Fields::STATE) {
        row.state = Some(st.state);
    }
    if fields.contains(Fields::PPID) {
        row.ppid = Some(st.ppid());
    }
    if fields.contains(Fields::THREADS) {
        row.threads = Some(u64::try_from(st.num_threads()).unwrap_or(0));
    }
    if fields.contains(Fields::RSS) {
        row.rss_bytes = Some(st.rss_bytes(page_size));
    }
    if fields.contains(Fields::CPU) {
        let cpu_ticks = st.utime().saturating_add(st.stime());
        row.cpu_seconds = Some(ticks_to_seconds(cpu_ticks, ticks_per_second));
        row.cpu_user_seconds = Some(ticks_to_seconds(st.utime(), ticks_per_second));
        row.cpu_system_seconds = Some(ticks_to_seconds(st.stime(), ticks_per_second));
    }
    if fields.contains(Fields::FAULTS) {
        row.minor_faults = Some(st.minflt());
        row.major_faults = Some(st.majflt());
    }
    if fields.contains(Fields::VSIZE) {
        row.vsize_bytes = Some(st.vsize());
    }
    if fields.contains(Fields::START_TIME) {
        row.start_time_seconds = Some(st.starttime_seconds(ticks_per_second));
        row.start_time_ticks = Some(st.starttime());
    }
    Ok(Some(st.is_exiting()))
}

fn fill_from_io(row: &mut Row, read: Result<&[u8]>) -> Result<()> {
    match read {
        Ok(bytes) => {
            let io = io::parse(bytes)?;
            row.io_read_bytes = Some(io.read_bytes);
            row.io_write_bytes = Some(io.write_bytes);
        }
        Err(Error::Denied { .. }) => row.denied = true,
        Err(e) => return Err(e),
    }
    Ok(())
}

/// Fills `row.uid` from the owner of `/proc/<pid>` (the effective uid).
fn fill_uid(row: &mut Row, owner: core::result::Result<sys::StatSize, Errno>) -> Result<()> {
    match owner.map_err(|e| errno_error(e, "/proc/<pid>")) {
        Ok(st) => row.uid = Some(st.uid),
        Err(Error::Denied { .. }) => row.denied = true,
        Err(e) => return Err(e),
    }
    Ok(())
}

fn fill_from_status(row: &mut Row, fields: Fields, read: Result<&[u8]>) -> Result<()> {
    let st = match read {
        Ok(bytes) => status::parse(bytes)?,
        Err(Error::Denied { .. }) => {
            row.denied = true;
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    if fields.contains(Fields::CTXT_SWITCHES) {
        row.voluntary_ctxt_switches = st.voluntary_ctxt_switches();
        row.nonvoluntary_ctxt_switches = st.nonvoluntary_ctxt_switches();
    }
    if fields.contains(Fields::SWAP) {
        row.swap_bytes = st.vm_swap_bytes();
    }
    Ok(())
}

impl Cache {
    /// The handles of `task` held since an earlier scan, taken out of the cache.
    fn take_held(&mut self, task: Task) -> Option<Held> {
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
    fn open(&mut self, task: Task, fields: Fields, list: BorrowedFd<'_>) -> Option<Held> {
        // `stat` is also what tells a real 0 fds from an exiting process's.
        let stat_wanted = fields.any(Fields::FROM_STAT) || fields.contains(Fields::FDS);
        let wanted = usize::from(stat_wanted)
            + usize::from(fields.any(Fields::FROM_STATUS))
            + usize::from(fields.contains(Fields::IO))
            + usize::from(fields.contains(Fields::FDS))
            + usize::from(fields.contains(Fields::UID));
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
            pid_dir: None,
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
            (fields.contains(Fields::UID), &mut held.pid_dir, b"\0"),
        ];
        let mut denied = false;
        for (wanted, slot, suffix) in sources {
            if !wanted {
                continue;
            }
            let path = PidPath::new(task, suffix);
            let name = path.as_c_str().ok()?;
            let opened = if suffix == b"/fd\0" || suffix == b"\0" {
                sys::openat_path_dir(list, name)
            } else {
                sys::openat_file(list, name, Beneath::SameMount)
            };
            match opened {
                Ok(fd) => *slot = Some(fd),
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

    fn keep(&mut self, held: Held) {
        self.next.push(held);
    }

    /// Ends a scan: `next` holds the entries seen, in ascending order. A complete scan drops the
    /// entries not seen (their processes exited); a stopped one keeps them for next time.
    fn finish(&mut self, complete: bool) {
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

/// `"<pid><suffix>"`, or `"<pid>/task/<tid><suffix>"` for a thread, formatted on the stack;
/// `suffix` ends in NUL.
struct PidPath {
    bytes: [u8; 48],
    len: usize,
}

impl PidPath {
    fn new(task: Task, suffix: &'static [u8]) -> PidPath {
        let mut path = PidPath {
            bytes: [0; 48],
            len: 0,
        };
        // At most 11 characters a number, 6 for "/task/" and 8 for our longest suffix.
        path.push(DecInt::new(task.pid).as_bytes());
        if task.thread {
            path.push(b"/task/");
            path.push(DecInt::new(task.tid).as_bytes());
        }
        path.push(suffix);
        path
    }

    fn push(&mut self, part: &[u8]) {
        let end = self.len + part.len();
        self.bytes[self.len..end].copy_from_slice(part);
        self.len = end;
    }

    fn as_c_str(&self) -> Result<&CStr> {
        CStr::from_bytes_with_nul(&self.bytes[..self.len]).map_err(|_| Error::parse("/proc", "pid"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_paths() {
        let path = |task, suffix| PidPath::new(task, suffix).as_c_str().unwrap().to_owned();
        assert_eq!(
            path(Task::process(1234), b"/stat\0"),
            c"1234/stat".to_owned()
        );
        assert_eq!(
            path(Task::thread(i32::MAX, i32::MIN), b"/status\0"),
            c"2147483647/task/-2147483648/status".to_owned()
        );
    }

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
