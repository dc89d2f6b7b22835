//! [`ProcFs`], a handle on the /proc mount, and [`Proc`], a pid-reuse-safe handle on one process.

use crate::budget::{Budget, Walk};
use crate::error::{errno_error, Error, Result};
use crate::held::{FileSpec, HeldFiles};
use crate::parse;
use crate::sys::{self, Beneath, DirBuf, Errno, Generated, ReadBuf};
use crate::walk::walk_numbered;
use core::ffi::CStr;
use core::ops::ControlFlow;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::path::DecInt;
use std::path::Path;
use std::sync::OnceLock;

/// Declares each `pub fn name(&mut self) -> Result<View>` of a handle holding `files` open below
/// its directory fd `dir`: the held file, read afresh and parsed; the rows read
/// `name: FILE => parser => View;`.
macro_rules! held_reads {
    ($dir:ident; $($(#[$doc:meta])* $name:ident: $file:ident => $parse:path => $view:ty;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(&mut self) -> Result<$view> {
                $parse(self.files.read(self.$dir.as_fd(), $file)?)
            }
        )*
    };
}

pub(crate) use held_reads;

/// A procfs mount, opened and checked once.
///
/// Most programs use [`Proc::open`], which goes through the shared [`ProcFs::global`] handle on
/// `/proc`. Open another mount (a container's /proc, say) with [`ProcFs::open`].
///
/// Everything below the mount's root is opened with `openat2` so that no mount stacked over an
/// entry is crossed (see [`Error::CrossedMount`]).
#[derive(Debug)]
pub struct ProcFs {
    root: OwnedFd,
    stat_counts_fds: bool,
    /// Whether the mount is of the caller's pid namespace: probed on first use, since only the
    /// process collector needs it.
    callers_pid_namespace: OnceLock<bool>,
}

/// The shared handle on `/proc`.
static GLOBAL: OnceLock<Result<ProcFs>> = OnceLock::new();

impl ProcFs {
    /// Opens the procfs mounted at `path`, checking that it is the root of a procfs mount
    /// (statfs magic, root inode), which pid namespace it numbers processes in, and whether this
    /// kernel reports fd counts in `st_size` (Linux ≥ 6.2).
    ///
    /// ```
    /// use procfast::{Error, ProcFs};
    /// assert_eq!(ProcFs::open("/tmp").unwrap_err(), Error::NotProcfs);
    /// // A sub-directory of procfs is not a procfs root either.
    /// assert_eq!(ProcFs::open("/proc/self").unwrap_err(), Error::NotProcfs);
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<ProcFs> {
        // No process is involved yet, so ENOENT here is a missing mount, not a `Gone` process.
        let mount_error = |e: Errno| match e {
            Errno::ACCESS | Errno::PERM => Error::Denied { file: "/proc" },
            e => Error::Io {
                file: "/proc",
                errno: e.raw_os_error(),
            },
        };
        let root = sys::open_dir_path(path.as_ref()).map_err(mount_error)?;
        if !sys::fstatfs_is_procfs(root.as_fd()).map_err(mount_error)?
            || !sys::is_procfs_root(root.as_fd()).map_err(mount_error)?
        {
            return Err(Error::NotProcfs);
        }
        let stat_counts_fds = probe_stat_counts_fds(root.as_fd());
        Ok(ProcFs {
            root,
            stat_counts_fds,
            callers_pid_namespace: OnceLock::new(),
        })
    }

    /// The shared handle on `/proc`, opened on first use.
    pub fn global() -> Result<&'static ProcFs> {
        GLOBAL
            .get_or_init(|| ProcFs::open("/proc"))
            .as_ref()
            .map_err(|e| *e)
    }

    /// True if this kernel counts open fds in `st_size` of `/proc/<pid>/fd` (Linux ≥ 6.2), so
    /// [`Proc::fd_count`] costs one `fstat`. Otherwise counting walks the directory.
    pub fn stat_counts_fds(&self) -> bool {
        self.stat_counts_fds
    }

    /// True if this mount numbers processes in the caller's own pid namespace, so a pid read
    /// from it names the same process in a syscall (`prlimit`, `kill`). False for the procfs of
    /// another namespace (a container's /proc seen from the host, or the host's from a
    /// container), whose pids mean other processes, or none, to the caller.
    ///
    /// Probed once, on first use (a few syscalls).
    pub fn is_callers_pid_namespace(&self) -> bool {
        *self
            .callers_pid_namespace
            .get_or_init(|| probe_pid_namespace(self.root.as_fd()))
    }

    /// The calling process's pid as this mount numbers it (what its `self` link names); `None`
    /// where the caller is not in the mount's pid namespace.
    pub fn self_pid(&self) -> Option<i32> {
        self_pid(self.root.as_fd())
    }

    fn is_global(&self) -> bool {
        GLOBAL
            .get()
            .is_some_and(|global| global.as_ref().is_ok_and(|g| core::ptr::eq(g, self)))
    }

    /// The mount's directory fd, a base for `openat`.
    pub(crate) fn root(&self) -> BorrowedFd<'_> {
        self.root.as_fd()
    }

    /// Opens a handle on process `pid` in this mount. See [`Proc::open`].
    pub fn open_pid(&self, pid: i32) -> Result<Proc> {
        let dir = sys::openat_path_dir(self.root.as_fd(), DecInt::new(pid).as_c_str())
            .map_err(|e| errno_error(e, "/proc/<pid>"))?;
        Ok(Proc {
            pid,
            dir,
            fd_dir: None,
            task_dir: None,
            files: HeldFiles::new(Beneath::SameMount),
            dir_buf: DirBuf::new(),
            stat_counts_fds: self.stat_counts_fds,
            // The shared mount's answer is asked for when needed; another mount's now.
            callers_pid_namespace: (!self.is_global()).then(|| self.is_callers_pid_namespace()),
        })
    }

    /// Opens a handle on the calling process in this mount; [`Error::Gone`] where the caller is
    /// not in the mount's pid namespace.
    pub fn open_self(&self) -> Result<Proc> {
        self.open_pid(self.self_pid().ok_or(Error::Gone)?)
    }
}

/// The caller's pid in the mount's namespace, and whether that namespace is the caller's own.
///
/// The mount's `self` link names the caller's pid there, and names nothing where the caller is
/// not in the mount's namespace at all. The namespace itself is that of the mount's pid 1 (a
/// namespace's init belongs to it): `1/ns/pid` and `self/ns/pid` name one namespace exactly
/// when it is the caller's. Where pid 1's link may not be followed (not root), `self/status`
/// says the same: its `NSpid` lists the caller's pid in the mount's namespace and in each one
/// nested below, so a single entry means the caller's own.
pub(crate) fn probe_pid_namespace(root: BorrowedFd<'_>) -> bool {
    let Some(pid) = self_pid(root) else {
        return false;
    };
    if let (Ok(init), Ok(own)) = (
        sys::stat_identity(root, c"1/ns/pid"),
        sys::stat_identity(root, c"self/ns/pid"),
    ) {
        return init == own;
    }
    let mut buf = ReadBuf::new();
    let levels = sys::openat_file(root, c"self/status", Beneath::SameMount)
        .ok()
        .and_then(|file| {
            let status = buf
                .pread_all(file.as_fd(), "status", Generated::Whole)
                .ok()?;
            let status = parse::status::parse(status).ok()?;
            // No `NSpid` line (before Linux 4.1): no nested namespaces to list.
            Some(status.nspid().ok()?.map_or(1, Iterator::count))
        });
    levels == Some(1) && pid == sys::getpid()
}

/// What the mount's `self` link names: the caller's pid in the mount's namespace, if it is in it.
fn self_pid(root: BorrowedFd<'_>) -> Option<i32> {
    let mut link = [0u8; 16];
    sys::readlinkat(root, c"self", &mut link)
        .ok()
        .and_then(parse::num::u32_dec)
        .and_then(|pid| i32::try_from(pid).ok())
}

/// Whether `st_size` of a fd directory is a count: our own process holds at least one fd (the
/// root we just opened), so on a kernel that counts, our own `fd` directory reports a non-zero
/// size.
fn probe_stat_counts_fds(root: BorrowedFd<'_>) -> bool {
    // Where `self` names nothing (a mount of another pid namespace) there is no way to ask:
    // assume a modern kernel; `Auto` still walks whenever it sees size 0, so counts stay right.
    match sys::openat_path_dir(root, c"self/fd").and_then(|fd| sys::fstat(fd.as_fd())) {
        Ok(st) => st.size > 0,
        Err(_) => true,
    }
}

/// A directory below `/proc/<pid>` held open: listable (`O_RDONLY`) when permitted, otherwise an
/// `O_PATH` handle that still answers `fstat`.
#[derive(Debug)]
pub(crate) struct HeldDir {
    pub(crate) fd: OwnedFd,
    listable: bool,
}

impl HeldDir {
    /// The handle to list the directory with, or [`Error::Denied`] naming `file` where only the
    /// `O_PATH` one could be opened (listing another user's `fd` or `task` needs ptrace access).
    pub(crate) fn listing(&self, file: &'static str) -> Result<BorrowedFd<'_>> {
        if self.listable {
            Ok(self.fd.as_fd())
        } else {
            Err(Error::Denied { file })
        }
    }

    fn open(parent: BorrowedFd<'_>, name: &CStr, file: &'static str) -> Result<HeldDir> {
        match sys::openat_dir(parent, name) {
            Ok(fd) => Ok(HeldDir { fd, listable: true }),
            Err(Errno::ACCESS | Errno::PERM) => match sys::openat_path_dir(parent, name) {
                Ok(fd) => Ok(HeldDir {
                    fd,
                    listable: false,
                }),
                Err(e) => Err(errno_error(e, file)),
            },
            Err(e) => Err(errno_error(e, file)),
        }
    }
}

/// A handle on one process, safe against pid reuse.
///
/// `Proc` holds a directory fd of `/proc/<pid>`. Everything it reads later is opened relative to
/// that fd, so it always refers to the process that was running when the handle was opened: once
/// that process exits, every call returns [`Error::Gone`], even if a new process has taken the
/// pid since. Files and sub-directories are opened lazily on first use and then kept, so repeated
/// calls cost one syscall each (`fstat`, or `pread` at offset 0) and allocate nothing.
///
/// ```
/// let mut me = procfast::Proc::myself()?;
/// let fds = me.fd_count()?;
/// assert!(fds.count >= 1);
/// assert!(me.thread_count()? >= 1);
/// # Ok::<(), procfast::Error>(())
/// ```
#[derive(Debug)]
pub struct Proc {
    pid: i32,
    dir: OwnedFd,
    fd_dir: Option<HeldDir>,
    task_dir: Option<HeldDir>,
    files: HeldFiles<11>,
    dir_buf: DirBuf,
    pub(crate) stat_counts_fds: bool,
    /// `None` for the shared `/proc`, which is asked when needed.
    callers_pid_namespace: Option<bool>,
}

impl Proc {
    /// Opens a handle on process `pid` through `/proc`.
    ///
    /// The pid is formatted on the stack; the handle allocates its [`DirBuf`] (8 KiB) here, once,
    /// so that no later call allocates. Returns [`Error::Gone`] if there is no such process.
    pub fn open(pid: i32) -> Result<Proc> {
        ProcFs::global()?.open_pid(pid)
    }

    /// Opens a handle on the calling process.
    pub fn myself() -> Result<Proc> {
        ProcFs::global()?.open_self()
    }

    /// The process id this handle was opened for, as its procfs mount numbers it.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// True if the handle's mount numbers processes in the caller's pid namespace (see
    /// [`ProcFs::is_callers_pid_namespace`]), so [`pid`](Proc::pid) means this process to a
    /// syscall too.
    pub fn is_callers_pid_namespace(&self) -> bool {
        self.callers_pid_namespace
            .unwrap_or_else(|| ProcFs::global().is_ok_and(ProcFs::is_callers_pid_namespace))
    }

    /// Replaces the buffer walks use (for a larger one, or one shared between handles) and returns
    /// the previous one.
    pub fn replace_dir_buf(&mut self, buf: DirBuf) -> DirBuf {
        core::mem::replace(&mut self.dir_buf, buf)
    }

    /// The held `/proc/<pid>/fd` directory, opened on first use, and the buffer to walk it with.
    pub(crate) fn fd_dir(&mut self) -> Result<(&HeldDir, &mut DirBuf)> {
        let dir = held(&self.dir, &mut self.fd_dir, c"fd", "fd")?;
        Ok((dir, &mut self.dir_buf))
    }

    /// The held `/proc/<pid>/task` directory, opened on first use, and the buffer to walk it with.
    pub(crate) fn task_dir(&mut self) -> Result<(&HeldDir, &mut DirBuf)> {
        let dir = held(&self.dir, &mut self.task_dir, c"task", "task")?;
        Ok((dir, &mut self.dir_buf))
    }
}

impl Proc {
    /// [`Error::Gone`] if the process has begun to exit or is a zombie (see
    /// [`parse::is_exiting`]). A count taken *before* this check is the process's own: the
    /// kernel sets `PF_EXITING` before it empties the fd table, and a zombie has no fds left.
    pub(crate) fn check_not_exiting(&mut self) -> Result<()> {
        let file = self.files.fd(self.dir.as_fd(), STAT)?;
        // State and flags come right after the command name (at most 64 bytes): the head of
        // the line is enough, read into the stack.
        let mut head = [0u8; 512];
        let n = sys::pread(file, &mut head, 0).map_err(|e| errno_error(e, "stat"))?;
        let (state, flags) = parse::stat_state_flags(head.get(..n).unwrap_or_default())
            .ok_or(Error::parse("stat", "flags"))?;
        if parse::is_exiting(state, flags) {
            Err(Error::Gone)
        } else {
            Ok(())
        }
    }

    held_reads! { dir;
        /// `/proc/<pid>/stat`, read afresh: state, times in ticks, memory, start time.
        ///
        /// ```
        /// let mut me = procfast::Proc::myself()?;
        /// let stat = me.stat()?;
        /// assert_eq!(stat.pid, me_pid());
        /// # fn me_pid() -> i32 { std::process::id() as i32 }
        /// # Ok::<(), procfast::Error>(())
        /// ```
        stat: STAT => parse::stat::parse => parse::stat::Stat<'_>;
        /// `/proc/<pid>/statm`, read afresh: memory in pages (the cheapest memory figures).
        statm: STATM => parse::statm::parse => parse::statm::Statm;
        /// `/proc/<pid>/status`, read afresh: names, ids and memory in bytes.
        status: STATUS => parse::status::parse => parse::status::Status<'_>;
        /// `/proc/<pid>/limits`, read afresh: soft and hard resource limits.
        limits: LIMITS => parse::limits::parse => parse::limits::Limits<'_>;
        /// `/proc/<pid>/io`, read afresh: I/O counters (needs ptrace access to the process).
        io: IO => parse::io::parse => parse::io::Io;
    }

    /// `/proc/<pid>/net/dev`, read afresh: per-interface traffic of the process's network
    /// namespace (not of the process alone).
    ///
    /// The held file refers to the namespace, not the process, and would go on answering after
    /// the process is gone; so each read is followed by a check of the process, and one that has
    /// exited (a zombie included) is [`Error::Gone`].
    pub fn net_dev(&mut self) -> Result<parse::net_dev::NetDev<'_>> {
        // Read first, check after: a process alive after the read was alive during it.
        self.files.read(self.dir.as_fd(), NET_DEV)?;
        self.check_not_exiting()?;
        parse::net_dev::parse(self.files.last_read())
    }

    /// `/proc/<pid>/cmdline`, read afresh: the arguments the process was started with (or what
    /// it has written over them). Empty for a kernel thread or a zombie. A command line longer
    /// than the read buffer's cap (1 MiB by default; `ARG_MAX` allows more) is
    /// [`Error::TooLarge`].
    pub fn cmdline(&mut self) -> Result<parse::cmdline::Cmdline<'_>> {
        self.files
            .read(self.dir.as_fd(), CMDLINE)
            .map(parse::cmdline::Cmdline::new)
    }

    /// The target of `/proc/<pid>/exe` (the executable's path as the kernel knows it, with
    /// `" (deleted)"` appended if the file was since removed), read into `buf`; `None` for a
    /// process with no executable (a kernel thread). Reading it needs ptrace access to the
    /// process (else [`Error::Denied`]). [`readlink`](Proc::readlink) of `c"exe"`, with errors
    /// naming `exe`.
    pub fn exe<'b>(&mut self, buf: &'b mut [u8]) -> Result<Option<&'b [u8]>> {
        self.readlink_named(c"exe", "exe", buf)
    }

    /// The target of the symbolic link `name` below `/proc/<pid>`: `c"exe"`, `c"cwd"`,
    /// `c"root"`, `c"fd/3"`, `c"ns/net"`, `c"task/123/cwd"`. The link itself is opened through
    /// the handle (pid-reuse safe, refusing a stacked mount like every open), never followed,
    /// and its target read into `buf`; nothing is allocated.
    ///
    /// - `Ok(Some(target))`: the target's bytes, cut from `buf`. A path, with `" (deleted)"`
    ///   appended if the file was removed since; for fds of other kinds `socket:[1234]`,
    ///   `pipe:[5678]`, `anon_inode:[eventfd]`.
    /// - `Ok(None)`: the process is alive but the link names nothing: no `exe`, `cwd` or `root`
    ///   (a kernel thread), no such fd (closed, or never open).
    /// - [`Error::TooLarge`] `{ cap: buf.len() }` if the target fills `buf`, for it may then
    ///   have been cut: nothing is truncated silently. The kernel writes at most 4095 bytes, so
    ///   a buffer of 4096 (`PATH_MAX`) always suffices.
    /// - [`Error::Denied`] without ptrace access to the process (another user's, unless root),
    ///   [`Error::Gone`] once it has exited, [`Error::Io`] with `EINVAL` if `name` is not a
    ///   link.
    ///
    /// Errors name the file as `"/proc/<pid>/…"`.
    ///
    /// ```
    /// let mut me = procfast::Proc::myself()?;
    /// let mut buf = [0u8; 4096];
    /// let cwd = me.readlink(c"cwd", &mut buf)?.unwrap().to_vec();
    /// assert_eq!(cwd, std::env::current_dir().unwrap().into_os_string().into_encoded_bytes());
    /// assert_eq!(me.readlink(c"fd/999999", &mut buf)?, None);
    /// assert!(me.readlink(c"cwd", &mut [0u8; 1]).unwrap_err().to_string().contains("larger"));
    /// # Ok::<(), procfast::Error>(())
    /// ```
    pub fn readlink<'b>(&mut self, name: &CStr, buf: &'b mut [u8]) -> Result<Option<&'b [u8]>> {
        self.readlink_named(name, "/proc/<pid>/…", buf)
    }

    fn readlink_named<'b>(
        &mut self,
        name: &CStr,
        file: &'static str,
        buf: &'b mut [u8],
    ) -> Result<Option<&'b [u8]>> {
        let cap = buf.len();
        // No link, or none to read: a kernel thread's `exe`, a closed fd, or a process that has
        // gone; the state tells which.
        let link = match sys::openat_link(self.dir.as_fd(), name) {
            Ok(link) => link,
            Err(Errno::NOENT) => return self.check_not_exiting().map(|()| None),
            Err(e) => return Err(errno_error(e, file)),
        };
        match sys::readlinkat(link.as_fd(), c"", buf) {
            Ok(target) if target.len() < cap => Ok(Some(target)),
            Ok(_) => Err(Error::TooLarge { file, cap }),
            // With an empty path the kernel says ENOENT for a file that is no link at all, too.
            Err(Errno::NOENT)
                if !sys::is_symlink(link.as_fd()).map_err(|e| errno_error(e, file))? =>
            {
                Err(errno_error(Errno::INVAL, file))
            }
            Err(Errno::NOENT) => self.check_not_exiting().map(|()| None),
            Err(e) => Err(errno_error(e, file)),
        }
    }

    /// `/proc/<pid>/environ`, read afresh: the environment the process was started with, as
    /// NUL-separated `KEY=value` strings (split them with
    /// [`Cmdline::vars`](parse::cmdline::Cmdline::vars)). What the process changed with
    /// `setenv` is not there. Empty for a kernel thread, or a process started with none.
    ///
    /// The kernel ties an open `environ` to the process's memory at the time it was opened, so
    /// it is opened afresh each time (a held one would read as empty after an `exec`); and since
    /// an exited process's memory also reads as empty, the process is checked after the read:
    /// one that has exited is [`Error::Gone`]. Reading another user's process needs ptrace
    /// access (else [`Error::Denied`]).
    ///
    /// ```
    /// let mut me = procfast::Proc::myself()?;
    /// let path = std::env::var_os("PATH").map(std::ffi::OsString::into_encoded_bytes);
    /// let environ = me.environ()?;
    /// let found = environ.vars().find(|&(k, _)| k == b"PATH").map(|(_, v)| v.to_vec());
    /// assert_eq!(found, path);
    /// # Ok::<(), procfast::Error>(())
    /// ```
    pub fn environ(&mut self) -> Result<parse::cmdline::Cmdline<'_>> {
        let fd = sys::openat_file(self.dir.as_fd(), c"environ", Beneath::SameMount)
            .map_err(|e| errno_error(e, "environ"))?;
        self.files.read_fd(fd.as_fd(), "environ")?;
        // Read first, check after: a process alive after the read was alive during it.
        self.check_not_exiting()?;
        Ok(parse::cmdline::Cmdline::new(self.files.last_read()))
    }

    /// `/proc/<pid>/schedstat`, read afresh: time on the CPU and waiting for one, in
    /// nanoseconds, and timeslices run (those of the main thread; read
    /// `task/<tid>/schedstat` with [`read_file`](Proc::read_file) for another thread's). A
    /// kernel built without `CONFIG_SCHED_INFO` has no such file: [`Error::NotInMount`].
    ///
    /// ```
    /// let mut me = procfast::Proc::myself()?;
    /// let s = me.schedstat()?;
    /// // This process has been put on a CPU at least once to run this.
    /// assert!(s.timeslices >= 1);
    /// let _seconds = s.cpu_time_seconds() + s.run_delay_seconds();
    /// # Ok::<(), procfast::Error>(())
    /// ```
    pub fn schedstat(&mut self) -> Result<parse::schedstat::Schedstat> {
        parse::schedstat::parse(self.read_held(SCHEDSTAT)?)
    }

    /// `/proc/<pid>/cgroup`, read afresh: the process's cgroup in each hierarchy. A kernel
    /// built without cgroups has no such file: [`Error::NotInMount`].
    ///
    /// ```
    /// let mut me = procfast::Proc::myself()?;
    /// let cgroups = me.cgroup()?;
    /// assert!(cgroups.iter().all(|c| c.path.starts_with(b"/")));
    /// # Ok::<(), procfast::Error>(())
    /// ```
    pub fn cgroup(&mut self) -> Result<parse::cgroup::Cgroups<'_>> {
        parse::cgroup::parse(self.read_held(CGROUP)?)
    }

    /// `/proc/<pid>/oom_score`, read afresh: the badness the OOM killer would see in the process
    /// now (0 never chosen; higher, chosen first), `oom_score_adj` included.
    pub fn oom_score(&mut self) -> Result<u32> {
        parse::value::u32(self.read_held(OOM_SCORE)?, OOM_SCORE.name)
    }

    /// `/proc/<pid>/oom_score_adj`, read afresh: the adjustment of the OOM killer's badness,
    /// from -1000 (never chosen) to 1000.
    ///
    /// ```
    /// let mut me = procfast::Proc::myself()?;
    /// assert!((-1000..=1000).contains(&me.oom_score_adj()?));
    /// # Ok::<(), procfast::Error>(())
    /// ```
    pub fn oom_score_adj(&mut self) -> Result<i32> {
        parse::value::i32(self.read_held(OOM_SCORE_ADJ)?, OOM_SCORE_ADJ.name)
    }

    /// Visits the ids of the process's threads (the names in `/proc/<pid>/task`, the main
    /// thread's being the pid) in the kernel's order, parsed from the directory entries into the
    /// handle's [`DirBuf`] without allocating, until the end, the `budget`, or the visitor's
    /// `Break`. Threads that start or exit during the walk may or may not be seen.
    ///
    /// A zombie still lists its main thread, so a walk that saw at most one is checked against
    /// the process's state: a zombie or an exiting process is [`Error::Gone`] (as in
    /// [`thread_count`](Proc::thread_count)). Listing needs search and read permission on
    /// `task`, which every process grants unless /proc is mounted with `hidepid` (else
    /// [`Error::Denied`]).
    ///
    /// ```
    /// use core::ops::ControlFlow;
    /// use procfast::{Budget, Proc};
    ///
    /// let mut me = Proc::myself()?;
    /// let mut main_thread = false;
    /// let walk = me.tids(&Budget::UNLIMITED, |tid| {
    ///     main_thread |= tid == me_pid();
    ///     ControlFlow::Continue(())
    /// })?;
    /// assert!(walk.is_complete() && walk.count >= 1 && main_thread);
    /// # fn me_pid() -> i32 { std::process::id() as i32 }
    /// # Ok::<(), procfast::Error>(())
    /// ```
    pub fn tids(
        &mut self,
        budget: &Budget,
        visit: impl FnMut(i32) -> ControlFlow<()>,
    ) -> Result<Walk> {
        let (dir, buf) = self.task_dir()?;
        let walk = walk_numbered(dir.listing("task")?, "task", buf, budget, visit)?;
        if walk.count <= 1 {
            self.check_not_exiting()?;
        }
        Ok(walk)
    }

    /// Reads a held file that a kernel may be built without: where it is missing but the
    /// process is alive, [`Error::NotInMount`] rather than [`Error::Gone`].
    fn read_held(&mut self, file: FileSpec) -> Result<&[u8]> {
        match self.files.read(self.dir.as_fd(), file) {
            Ok(_) => Ok(self.files.last_read()),
            Err(Error::Gone) => {
                self.check_not_exiting()?;
                Err(Error::NotInMount { file: file.name })
            }
            Err(e) => Err(e),
        }
    }

    /// `/proc/<pid>/smaps_rollup`, read afresh: RSS, PSS and their parts, in bytes. The kernel
    /// walks every page table of the process to write it, so it costs in proportion to the
    /// process's memory (milliseconds for gigabytes): read it deliberately, not every scrape of
    /// every process.
    pub fn smaps_rollup(&mut self) -> Result<parse::smaps_rollup::SmapsRollup> {
        parse::smaps_rollup::parse(self.read_file(c"smaps_rollup")?)
    }

    /// Any file below `/proc/<pid>` (`c"cgroup"`, `c"smaps_rollup"`, `c"task/123/stat"`, …),
    /// opened through the handle (so pid-reuse safe, and refusing a stacked mount like every
    /// open), read whole into the handle's buffer and closed: the general door, for files
    /// procfast does not parse. Errors name the file as `"/proc/<pid>/…"`.
    ///
    /// ```
    /// let mut me = procfast::Proc::myself()?;
    /// let cgroup = me.read_file(c"cgroup")?;
    /// assert!(cgroup.ends_with(b"\n"));
    /// # Ok::<(), procfast::Error>(())
    /// ```
    pub fn read_file(&mut self, name: &CStr) -> Result<&[u8]> {
        const FILE: &str = "/proc/<pid>/…";
        let fd = sys::openat_file(self.dir.as_fd(), name, Beneath::SameMount)
            .map_err(|e| errno_error(e, FILE))?;
        self.files.read_fd(fd.as_fd(), FILE)
    }

    /// Replaces the buffer files are read into (to change its cap) and returns the previous one.
    pub fn replace_read_buf(&mut self, buf: ReadBuf) -> ReadBuf {
        self.files.replace_buf(buf)
    }
}

// The files below `/proc/<pid>` a `Proc` reads and holds open: all but `net/dev` are generated
// whole by `single_open`.
const STAT: FileSpec = FileSpec::whole(0, c"stat", "stat");
const STATM: FileSpec = FileSpec::whole(1, c"statm", "statm");
const STATUS: FileSpec = FileSpec::whole(2, c"status", "status");
const LIMITS: FileSpec = FileSpec::whole(3, c"limits", "limits");
const IO: FileSpec = FileSpec::whole(4, c"io", "io");
const NET_DEV: FileSpec = FileSpec::records(5, c"net/dev", "net/dev");
// Read from the process's memory a page at a time, not generated by seq_file.
const CMDLINE: FileSpec = FileSpec::records(6, c"cmdline", "cmdline");
const SCHEDSTAT: FileSpec = FileSpec::whole(7, c"schedstat", "schedstat");
const CGROUP: FileSpec = FileSpec::whole(8, c"cgroup", "cgroup");
const OOM_SCORE: FileSpec = FileSpec::whole(9, c"oom_score", "oom_score");
// Not seq_file: `simple_read_from_buffer` of a formatted number, to the end of it.
const OOM_SCORE_ADJ: FileSpec = FileSpec::whole(10, c"oom_score_adj", "oom_score_adj");

fn held<'a>(
    dir: &OwnedFd,
    slot: &'a mut Option<HeldDir>,
    name: &CStr,
    file: &'static str,
) -> Result<&'a HeldDir> {
    let held = match slot.take() {
        Some(held) => held,
        None => HeldDir::open(dir.as_fd(), name, file)?,
    };
    Ok(slot.insert(held))
}
