//! Counting a process's open fds and threads: one syscall where the kernel allows, bounded walks where
//! it does not.

use crate::budget::{Budget, Stop, Walk};
use crate::error::{errno_error, Error, Result};
use crate::parse;
use crate::proc::Proc;
use crate::sys;
use crate::walk::walk_numbered;
use core::ffi::CStr;
use core::fmt;
use core::ops::ControlFlow;
use rustix::fd::{AsFd, RawFd};
use rustix::io::Errno;

/// How to count a process's open fds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Method {
    /// `Stat` where the kernel counts (Linux ≥ 6.2, `st_size > 0`), else `Walk`. The right choice
    /// unless you are measuring the methods themselves. Results never report `Auto`.
    #[default]
    Auto,
    /// One `fstat` of the held `/proc/<pid>/fd`: the kernel's popcount of the fd bitmap (one
    /// 64-bit word per 64 fds, so nearly constant), allowed even where listing the directory
    /// is denied. On a kernel older than 6.2 this returns [`Error::Unsupported`].
    Stat,
    /// List `/proc/<pid>/fd` with `getdents64` into the handle's
    /// [`DirBuf`](crate::sys::DirBuf), counting entries without allocating: O(n) in the kernel,
    /// bounded by a [`Budget`].
    Walk,
}

impl Method {
    /// The lowercase name: `"auto"`, `"stat"` or `"walk"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Method::Auto => "auto",
            Method::Stat => "stat",
            Method::Walk => "walk",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of counting fds: the count, how it was obtained, and whether it is exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FdCount {
    /// Open fds. Exact if [`complete`](FdCount::is_complete), else a lower bound.
    pub count: u64,
    /// [`Method::Stat`] or [`Method::Walk`]: the method that produced `count`.
    pub method: Method,
    /// `None` if the count is exact; why the walk stopped if it is a lower bound.
    pub stopped: Option<Stop>,
}

impl FdCount {
    /// True if `count` is exact; false if a budget stopped the walk and `count` is a lower bound.
    pub fn is_complete(&self) -> bool {
        self.stopped.is_none()
    }
}

impl fmt::Display for FdCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.stopped {
            None => write!(f, "{} ({})", self.count, self.method),
            Some(stop) => write!(f, "≥ {} ({}, stopped: {stop:?})", self.count, self.method),
        }
    }
}

impl Proc {
    /// The number of open fds, by [`Method::Auto`] with no budget: one `fstat` on Linux ≥ 6.2,
    /// a full walk otherwise or when the process has no fds at all.
    ///
    /// ```
    /// let mut me = procfast::Proc::myself()?;
    /// let fds = me.fd_count()?;
    /// assert!(fds.is_complete() && fds.count >= 1);
    /// # Ok::<(), procfast::Error>(())
    /// ```
    pub fn fd_count(&mut self) -> Result<FdCount> {
        self.fd_count_with(Method::Auto, &Budget::UNLIMITED)
    }

    /// The number of open fds by `method`, any walk bounded by `budget`.
    ///
    /// `st_size == 0` is ambiguous (a kernel before 6.2, or truly no fds), so `Auto` walks then;
    /// a process with no fds walks an empty directory and reports 0. A walk that the budget stops
    /// reports a lower bound with `stopped` set.
    ///
    /// ```
    /// use procfast::{Budget, Method, Proc};
    ///
    /// let mut me = Proc::myself()?;
    /// let walked = me.fd_count_with(Method::Walk, &Budget::entries(1))?;
    /// assert_eq!(walked.method, Method::Walk);
    /// assert!(walked.count <= 1);
    /// # Ok::<(), procfast::Error>(())
    /// ```
    pub fn fd_count_with(&mut self, method: Method, budget: &Budget) -> Result<FdCount> {
        if method != Method::Walk {
            if let Some(count) = self.fd_count_by_stat(method == Method::Stat)? {
                return Ok(FdCount {
                    count,
                    method: Method::Stat,
                    stopped: None,
                });
            }
        }
        let walk = self.for_each_fd(budget, |_| ControlFlow::Continue(()))?;
        Ok(FdCount {
            count: walk.count,
            method: Method::Walk,
            stopped: walk.stopped,
        })
    }

    /// `Some(count)` from `st_size`, or `None` where the size says nothing (old kernel, or 0
    /// when not `forced`).
    ///
    /// The size is all or nothing: the whole table's count, or 0 once the exiting task has let
    /// go of its table. A non-zero size is therefore the process's count and costs one `fstat`;
    /// a forced 0 is checked against the process's state before it is believed.
    fn fd_count_by_stat(&mut self, forced: bool) -> Result<Option<u64>> {
        if !self.stat_counts_fds {
            return if forced {
                Err(Error::Unsupported)
            } else {
                Ok(None)
            };
        }
        let (dir, _) = self.fd_dir()?;
        let size = sys::fstat(dir.fd.as_fd())
            .map_err(|e| errno_error(e, "fd"))?
            .size;
        if size > 0 {
            return Ok(Some(size));
        }
        if !forced {
            // `Auto` walks, and the walk makes the same check.
            return Ok(None);
        }
        self.check_not_exiting()?;
        Ok(Some(0))
    }

    /// True if the process has at least `n` open fds: answered by one `fstat` where the kernel
    /// counts, otherwise by a walk that stops as soon as it has seen `n` entries.
    ///
    /// ```
    /// let mut me = procfast::Proc::myself()?;
    /// assert!(me.fds_at_least(1)?);
    /// assert!(!me.fds_at_least(u64::MAX)?);
    /// # Ok::<(), procfast::Error>(())
    /// ```
    pub fn fds_at_least(&mut self, n: u64) -> Result<bool> {
        if n == 0 {
            return Ok(true);
        }
        if let Some(count) = self.fd_count_by_stat(false)? {
            return Ok(count >= n);
        }
        let mut seen = 0u64;
        self.for_each_fd(&Budget::UNLIMITED, |_| {
            seen += 1;
            if seen >= n {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })?;
        Ok(seen >= n)
    }

    /// Visits the process's open fd numbers in ascending order, parsed from the directory entries
    /// without allocating, until the end, the `budget`, or the visitor's `Break`.
    ///
    /// Listing another user's fds needs ptrace access to the process; without it this returns
    /// [`Error::Denied`] (while [`Method::Stat`] can still count them). A process that exits
    /// mid-walk is reported as [`Error::Gone`], never as a short count.
    ///
    /// ```
    /// use core::ops::ControlFlow;
    /// use procfast::{Budget, Proc};
    ///
    /// let mut me = Proc::myself()?;
    /// let mut lowest = None;
    /// me.for_each_fd(&Budget::UNLIMITED, |fd| {
    ///     lowest = Some(fd);
    ///     ControlFlow::Break(())
    /// })?;
    /// assert!(lowest.is_some());
    /// # Ok::<(), procfast::Error>(())
    /// ```
    pub fn for_each_fd(
        &mut self,
        budget: &Budget,
        visit: impl FnMut(RawFd) -> ControlFlow<()>,
    ) -> Result<Walk> {
        let (dir, buf) = self.fd_dir()?;
        let walk = walk_numbered(dir.listing("fd")?, "fd", buf, budget, visit)?;
        self.vouch_for_walk()?;
        Ok(walk)
    }

    /// After a walk of `fd`: [`Error::Gone`] unless the walk saw the process's whole table.
    ///
    /// An exiting process empties its table one fd at a time, and a zombie's is empty: a walk
    /// can end anywhere in between, complete or not. The kernel lets go of the table before it
    /// closes anything, so a table still held *after* the walk (a non-zero `st_size`, one
    /// `fstat`) was whole during it. Otherwise the state decides: the kernel marks the task
    /// exiting before it lets go, so one not exiting after the walk was not exiting during it.
    fn vouch_for_walk(&mut self) -> Result<()> {
        let held_after = self.stat_counts_fds && {
            let (dir, _) = self.fd_dir()?;
            sys::fstat(dir.fd.as_fd())
                .map_err(|e| errno_error(e, "fd"))?
                .size
                > 0
        };
        if !held_after {
            self.check_not_exiting()?;
        }
        Ok(())
    }

    /// Visits the process's open fds in ascending order with the target of each one's link
    /// (`/dev/null`, `socket:[34391894]`, `anon_inode:[eventpoll]`: see
    /// [`parse::fd_target`](crate::parse::fd_target)), read by one `readlinkat` into a buffer
    /// on the stack (a target longer than 256 bytes is cut there), without allocating, until
    /// the end, the `budget`, or the visitor's `Break`. An fd closed between the listing and
    /// its `readlinkat` is skipped.
    ///
    /// As [`for_each_fd`](Proc::for_each_fd): another user's fds need ptrace access
    /// ([`Error::Denied`]), and a process that exits mid-walk is [`Error::Gone`].
    pub fn for_each_fd_target(
        &mut self,
        budget: &Budget,
        mut visit: impl FnMut(RawFd, &[u8]) -> ControlFlow<()>,
    ) -> Result<Walk> {
        let (dir, buf) = self.fd_dir()?;
        let fd_dir = dir.listing("fd")?;
        let mut target = [0u8; 256];
        let mut failed = None;
        let walk = walk_numbered(fd_dir, "fd", buf, budget, |fd| {
            let mut name = [0u8; 12];
            let Some(name) = fd_name(fd, &mut name) else {
                return ControlFlow::Continue(());
            };
            match sys::readlinkat(fd_dir, name, &mut target) {
                Ok(link) => visit(fd, link),
                Err(Errno::NOENT) => ControlFlow::Continue(()),
                Err(e) => {
                    failed = Some(errno_error(e, "fd"));
                    ControlFlow::Break(())
                }
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        self.vouch_for_walk()?;
        Ok(walk)
    }

    /// The process's fds counted by kind (sockets, pipes, `anon_inode` kinds, files, other):
    /// a `readlinkat` of each, under `budget`. A walk the budget stopped is a lower bound of
    /// each count, and says so.
    ///
    /// ```
    /// use procfast::{Budget, Proc};
    ///
    /// let _socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// let (kinds, walk) = Proc::myself()?.fd_kinds(&Budget::UNLIMITED)?;
    /// assert!(walk.is_complete() && kinds.socket >= 1 && kinds.file >= 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fd_kinds(&mut self, budget: &Budget) -> Result<(parse::fd_target::FdKinds, Walk)> {
        let mut kinds = parse::fd_target::FdKinds::default();
        let walk = self.for_each_fd_target(budget, |_, target| {
            kinds.add(parse::fd_target::classify(target));
            ControlFlow::Continue(())
        })?;
        // The count is of fds classified: one closed before its link was read is not one.
        Ok((
            kinds,
            Walk {
                count: kinds.total(),
                stopped: walk.stopped,
            },
        ))
    }

    /// The number of threads: one `fstat` of the held `/proc/<pid>/task`, whose `st_nlink` is
    /// 2 + the threads; a walk of `task` where the link count says nothing.
    ///
    /// A zombie still lists its main thread, so a count of 1 (and any walked count) is checked
    /// against the process's state: a zombie or an exiting process is [`Error::Gone`]. A
    /// process whose threads are exiting one by one reports those not yet gone.
    pub fn thread_count(&mut self) -> Result<u64> {
        let (dir, buf) = self.task_dir()?;
        let nlink = sys::fstat(dir.fd.as_fd())
            .map_err(|e| errno_error(e, "task"))?
            .nlink;
        let count = if nlink > 2 {
            nlink - 2
        } else {
            // A procfs that does not count links: list the threads instead.
            let walk = walk_numbered(
                dir.listing("task")?,
                "task",
                buf,
                &Budget::UNLIMITED,
                |_| ControlFlow::Continue(()),
            )?;
            walk.count
        };
        if count <= 1 || nlink <= 2 {
            self.check_not_exiting()?;
        }
        Ok(count)
    }
}

/// The decimal name of `fd` as a C string in `buf`, for `readlinkat` in `fd/`.
fn fd_name(fd: RawFd, buf: &mut [u8; 12]) -> Option<&CStr> {
    let mut digits = [0u8; 10];
    let mut n = u32::try_from(fd).ok()?;
    let mut len = 0;
    loop {
        *digits.get_mut(len)? = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for (slot, digit) in buf.iter_mut().zip(digits[..len].iter().rev()) {
        *slot = *digit;
    }
    *buf.get_mut(len)? = 0;
    CStr::from_bytes_with_nul(buf.get(..=len)?).ok()
}
