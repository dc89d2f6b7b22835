//! [`ProcFs`], a handle on the /proc mount, and [`Proc`], a pid-reuse-safe handle on one process.

use crate::error::errno_error;
use crate::held::{FileSpec, HeldFiles};
use crate::sys::{self, Beneath, DirBuf, Errno, Generated, ReadBuf};
use crate::{parse, Error, Result};
use core::ffi::CStr;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::path::DecInt;
use std::path::Path;
use std::sync::OnceLock;

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
            let nspid = status.get(b"NSpid").unwrap_or(b"0");
            Some(
                nspid
                    .split(u8::is_ascii_whitespace)
                    .filter(|p| !p.is_empty())
                    .count(),
            )
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
    pub(crate) listable: bool,
}

impl HeldDir {
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
    files: HeldFiles<7>,
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

    /// `/proc/<pid>/stat`, read afresh: state, times in ticks, memory, start time.
    ///
    /// ```
    /// let mut me = procfast::Proc::myself()?;
    /// let stat = me.stat()?;
    /// assert_eq!(stat.pid, me_pid());
    /// # fn me_pid() -> i32 { std::process::id() as i32 }
    /// # Ok::<(), procfast::Error>(())
    /// ```
    pub fn stat(&mut self) -> Result<parse::stat::Stat<'_>> {
        parse::stat::parse(self.files.read(self.dir.as_fd(), STAT)?)
    }

    /// `/proc/<pid>/statm`, read afresh: memory in pages (the cheapest memory figures).
    pub fn statm(&mut self) -> Result<parse::statm::Statm> {
        parse::statm::parse(self.files.read(self.dir.as_fd(), STATM)?)
    }

    /// `/proc/<pid>/status`, read afresh: names, ids and memory in bytes.
    pub fn status(&mut self) -> Result<parse::status::Status<'_>> {
        parse::status::parse(self.files.read(self.dir.as_fd(), STATUS)?)
    }

    /// `/proc/<pid>/limits`, read afresh: soft and hard resource limits.
    pub fn limits(&mut self) -> Result<parse::limits::Limits<'_>> {
        parse::limits::parse(self.files.read(self.dir.as_fd(), LIMITS)?)
    }

    /// `/proc/<pid>/io`, read afresh: I/O counters (needs ptrace access to the process).
    pub fn io(&mut self) -> Result<parse::io::Io> {
        parse::io::parse(self.files.read(self.dir.as_fd(), IO)?)
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
    /// `" (deleted)"` appended if the file was since removed), read into `buf` and cut at its
    /// length; `None` for a process with no executable (a kernel thread). Reading it needs
    /// ptrace access to the process (else [`Error::Denied`]).
    pub fn exe<'b>(&mut self, buf: &'b mut [u8]) -> Result<Option<&'b [u8]>> {
        match sys::readlinkat(self.dir.as_fd(), c"exe", buf) {
            Ok(target) => Ok(Some(target)),
            // No link: a kernel thread, or a process that has gone; the state tells which.
            Err(Errno::NOENT) => self.check_not_exiting().map(|()| None),
            Err(e) => Err(errno_error(e, "exe")),
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
