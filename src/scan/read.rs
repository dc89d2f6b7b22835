//! Reading one row: cold (opened by path, read and closed) or through the handles the cache
//! keeps, each figure from the cheapest source, and counts of an exiting task dropped.

use super::cache::{Cache, Held, Seen, StatusFigures};
use super::fields::Fields;
use super::row::Row;
use super::task::{PidPath, Task};
use super::Scanner;
use crate::budget::Budget;
use crate::error::{errno_error, Error, Result};
use crate::parse::{self, io, stat, status, ticks_to_seconds};
use crate::sys::{self, Beneath, Errno, Generated, ReadBuf};
use crate::walk::walk_opened;
use core::ops::ControlFlow;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};

impl Scanner {
    /// One process's row, through kept handles where there are some.
    pub(super) fn row(
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
            self.fill_uid(&mut row, task)?;
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
            exiting = fill_from_stat(&mut row, fields, read, ticks, page)?.map(|(e, _)| e);
        } else if suspect {
            let read = read_cold(list, &mut self.read_buf, task, b"/stat\0", "stat");
            exiting = exiting_from_stat(&mut row, read)?;
        }
        forget_counts_of_exiting(&mut row, exiting, suspect);
        if fields.any(Fields::FROM_STATUS) {
            let read = read_cold(list, &mut self.read_buf, task, b"/status\0", "status");
            fill_from_status(&mut row, fields, read, true)?;
        }
        if fields.contains(Fields::IO) {
            let read = read_cold(list, &mut self.read_buf, task, b"/io\0", "io");
            fill_from_io(&mut row, read)?;
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
        // Read once in a process's life, so by path rather than through a handle held for it.
        if fields.contains(Fields::UID) {
            self.fill_uid(&mut row, task)?;
        }
        if fields.contains(Fields::FD_LIMIT) {
            self.fill_fd_limit(&mut row, task)?;
        }
        if fields.contains(Fields::WCHAN) {
            self.fill_wchan(&mut row, task)?;
        }
        // A figure read by path is the held process's if the held `stat` still reads after it.
        let by_path = fields.any(Fields::UID.with(Fields::FD_LIMIT).with(Fields::WCHAN));
        // Before `stat`, whose thread count then covers every thread made since.
        let ran = match held.schedstat.as_ref() {
            Some(fd) if fields.any(Fields::FROM_STATUS.with(Fields::IO)) => self
                .read_buf
                .pread_all(fd.as_fd(), "schedstat", Generated::Whole)
                .and_then(parse::schedstat::parse)
                .ok()
                // A task has always run some time: 0 is a kernel that does not count it.
                .filter(|ran| ran.cpu_time_ns > 0),
            _ => None,
        };
        let (mut exiting, mut one_thread) = (None, false);
        if let Some(fd) = held.stat.as_ref() {
            if fields.any(Fields::FROM_STAT) || suspect || by_path {
                let read = self
                    .read_buf
                    .pread_all(fd.as_fd(), "stat", Generated::Whole);
                exiting = if fields.any(Fields::FROM_STAT) {
                    let (ticks, page) = (self.ticks_per_second, self.page_size);
                    let read = fill_from_stat(&mut row, fields, read, ticks, page)?;
                    one_thread = read == Some((false, 1));
                    read.map(|(exiting, _)| exiting)
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
        // What was read while the task's `schedstat` read as it does now still holds.
        let seen = held.seen.filter(|seen| Some(seen.ran) == ran);
        let mut status_seen = seen.and_then(|seen| seen.status);
        if let Some(fd) = held
            .status
            .as_ref()
            .filter(|_| fields.any(Fields::FROM_STATUS))
        {
            // Swap can change while a task sleeps, but not on a host without a swap area.
            let reusable =
                status_seen.filter(|_| !(fields.contains(Fields::SWAP) && self.swap_listed));
            status_seen = match reusable {
                Some(figures) => {
                    fill_status_figures(&mut row, fields, figures, self.swap_listed);
                    Some(figures)
                }
                None => fill_from_status(
                    &mut row,
                    fields,
                    self.read_buf
                        .pread_all(fd.as_fd(), "status", Generated::Whole),
                    self.swap_listed,
                )?,
            };
        }
        // Kept only from a scan that read or reused them: one thread now does not vouch for
        // counts read while there were more.
        let mut io_seen = None;
        if let Some(fd) = held.io.as_ref().filter(|_| fields.contains(Fields::IO)) {
            let alone = task.thread || seen.is_some_and(|seen| seen.one_thread);
            io_seen = match seen.and_then(|seen| seen.io).filter(|_| alone) {
                Some(bytes) => {
                    fill_io_bytes(&mut row, bytes);
                    Some(bytes)
                }
                None => fill_from_io(
                    &mut row,
                    self.read_buf.pread_all(fd.as_fd(), "io", Generated::Whole),
                )?,
            };
        }
        held.seen = ran.map(|ran| Seen {
            ran,
            one_thread,
            status: status_seen,
            io: io_seen,
        });
        Ok(row)
    }

    /// Fills `row.uid`, the effective uid, after the scan: for a caller that needs the owner of
    /// a few rows only (those it shows) and so scans without [`Fields::UID`], saving a `statx` a
    /// process.
    ///
    /// The owner is that of `/proc/<pid>` (of `/proc/<pid>/task/<tid>` for a thread row); where
    /// the row has its start time, the task's `stat` is read after it, and a pid that has since
    /// named another process gives [`Error::Gone`], as one that has exited does. The owner is
    /// not taken from the `statx` that counts fds: the kernel shows `/proc/<pid>/fd` as root's
    /// (its user namespace's root) for tasks that may not be dumped, such as a daemon that
    /// dropped its privileges, a setuid program or a zombie.
    ///
    /// ```
    /// use procfast::{Budget, Fields, Scanner, SortKey};
    ///
    /// let mut scanner = Scanner::new(Fields::FDS | Fields::COMM | Fields::START_TIME)?;
    /// let (mut top, _) = scanner.top(3, SortKey::Fds, &Budget::UNLIMITED)?;
    /// for row in top.iter_mut() {
    ///     match scanner.fill_owner(row) {
    ///         Ok(()) => assert!(row.uid.is_some() || row.denied),
    ///         Err(procfast::Error::Gone) => {} // exited since the scan
    ///         Err(e) => return Err(e),
    ///     }
    /// }
    /// # Ok::<(), procfast::Error>(())
    /// ```
    pub fn fill_owner(&mut self, row: &mut Row) -> Result<()> {
        let task = if row.pid == row.tgid {
            Task::process(row.pid)
        } else {
            Task::thread(row.tgid, row.pid)
        };
        let mut filled = *row;
        self.fill_uid(&mut filled, task)?;
        if let Some(ticks) = row.start_time_ticks {
            let list = self.list.as_fd();
            match read_cold(list, &mut self.read_buf, task, b"/stat\0", "stat") {
                Ok(bytes) if stat::parse(bytes)?.starttime() != ticks => return Err(Error::Gone),
                Ok(_) => {}
                Err(Error::Denied { .. }) => filled.denied = true,
                Err(e) => return Err(e),
            }
        }
        *row = filled;
        Ok(())
    }

    /// Fills `row.uid` from the owner of `/proc/<pid>` (the effective uid), by path.
    fn fill_uid(&mut self, row: &mut Row, task: Task) -> Result<()> {
        let path = PidPath::new(task, b"\0");
        let owner = sys::statx_on(self.list.as_fd(), path.as_c_str()?, self.mount);
        match owner.map_err(|e| errno_error(e, "/proc/<pid>")) {
            Ok(st) => row.uid = Some(st.uid),
            Err(Error::Denied { .. }) => row.denied = true,
            Err(e) => return Err(e),
        }
        Ok(())
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
                        walk_opened(
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

/// Fills the figures of `stat` asked for; returns whether the task has begun to exit and its
/// thread count (`None` where the read was denied).
fn fill_from_stat(
    row: &mut Row,
    fields: Fields,
    read: Result<&[u8]>,
    ticks_per_second: u64,
    page_size: u64,
) -> Result<Option<(bool, i64)>> {
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
    Ok(Some((st.is_exiting(), st.num_threads())))
}

/// Fills the bytes read and written; returns them, or `None` where the read was denied.
fn fill_from_io(row: &mut Row, read: Result<&[u8]>) -> Result<Option<(u64, u64)>> {
    match read {
        Ok(bytes) => {
            let io = io::parse(bytes)?;
            let bytes = (io.read_bytes, io.write_bytes);
            fill_io_bytes(row, bytes);
            Ok(Some(bytes))
        }
        Err(Error::Denied { .. }) => {
            row.denied = true;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

fn fill_io_bytes(row: &mut Row, (read, written): (u64, u64)) {
    row.io_read_bytes = Some(read);
    row.io_write_bytes = Some(written);
}

/// Fills the figures of `status` asked for; returns all of them, or `None` where the read was
/// denied. `swap_listed` is false where the host has no swap area, whose `VmSwap` is then 0.
fn fill_from_status(
    row: &mut Row,
    fields: Fields,
    read: Result<&[u8]>,
    swap_listed: bool,
) -> Result<Option<StatusFigures>> {
    let st = match read {
        Ok(bytes) => status::parse(bytes)?,
        Err(Error::Denied { .. }) => {
            row.denied = true;
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let figures = StatusFigures {
        voluntary: st.voluntary_ctxt_switches(),
        nonvoluntary: st.nonvoluntary_ctxt_switches(),
        swap: st.vm_swap_bytes(),
    };
    fill_status_figures(row, fields, figures, swap_listed);
    Ok(Some(figures))
}

/// Fills the figures asked for from those `status` gave; with no swap area listed (`swap_listed`
/// false), a task with memory has none swapped out, whatever it had when read.
fn fill_status_figures(row: &mut Row, fields: Fields, figures: StatusFigures, swap_listed: bool) {
    if fields.contains(Fields::CTXT_SWITCHES) {
        row.voluntary_ctxt_switches = figures.voluntary;
        row.nonvoluntary_ctxt_switches = figures.nonvoluntary;
    }
    if fields.contains(Fields::SWAP) {
        row.swap_bytes = figures
            .swap
            .map(|bytes| if swap_listed { bytes } else { 0 });
    }
}
