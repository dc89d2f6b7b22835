//! [`ProcFs`], a handle on the /proc mount, and [`Proc`], a pid-reuse-safe handle on one process.

use crate::held::{FileSpec, HeldFiles};
use crate::sys::{self, DirBuf, Errno, ReadBuf};
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
#[derive(Debug)]
pub struct ProcFs {
    root: OwnedFd,
    stat_counts_fds: bool,
}

impl ProcFs {
    /// Opens the procfs mounted at `path`, checking that it is procfs (statfs magic) and whether
    /// this kernel reports fd counts in `st_size` (Linux ≥ 6.2).
    ///
    /// ```
    /// assert_eq!(procfast::ProcFs::open("/tmp").unwrap_err(), procfast::Error::NotProcfs);
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
        if !sys::fstatfs_is_procfs(root.as_fd()).map_err(mount_error)? {
            return Err(Error::NotProcfs);
        }
        let stat_counts_fds = probe_stat_counts_fds(root.as_fd());
        Ok(ProcFs {
            root,
            stat_counts_fds,
        })
    }

    /// The shared handle on `/proc`, opened on first use.
    pub fn global() -> Result<&'static ProcFs> {
        static GLOBAL: OnceLock<Result<ProcFs>> = OnceLock::new();
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
            files: HeldFiles::new(),
            dir_buf: DirBuf::new(),
            stat_counts_fds: self.stat_counts_fds,
        })
    }
}

/// Whether `st_size` of a fd directory is a count: our own process holds at least one fd (the
/// root we just opened), so on a kernel that counts, `/proc/self/fd` reports a non-zero size.
fn probe_stat_counts_fds(root: BorrowedFd<'_>) -> bool {
    let own = DecInt::new(sys::getpid());
    let Ok(own_dir) = sys::openat_path_dir(root, own.as_c_str()) else {
        // A mount of another pid namespace: no way to ask. Assume a modern kernel; `Auto` still
        // falls back to a walk whenever it sees size 0, so counts stay right either way.
        return true;
    };
    match sys::openat_path_dir(own_dir.as_fd(), c"fd").and_then(|fd| sys::fstat(fd.as_fd())) {
        Ok(st) => st.size > 0,
        Err(_) => true,
    }
}

pub(crate) fn errno_error(errno: Errno, file: &'static str) -> Error {
    Error::from_errno(errno.raw_os_error(), file)
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
    files: HeldFiles<6>,
    dir_buf: DirBuf,
    pub(crate) stat_counts_fds: bool,
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
        Proc::open(sys::getpid())
    }

    /// The process id this handle was opened for.
    pub fn pid(&self) -> i32 {
        self.pid
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
    /// True if the process has exited and awaits its parent's `wait` (state `Z`, or `X` while
    /// being reaped). A zombie keeps its /proc directory but has no fds left, so an empty fd
    /// listing must be checked against this before it is reported as a count of 0.
    pub(crate) fn is_zombie(&mut self) -> Result<bool> {
        let file = self.files.fd(self.dir.as_fd(), STAT)?;
        // The state follows the command name, which is at most 64 bytes: the head of the line
        // is enough, read into the stack.
        let mut head = [0u8; 256];
        let n = sys::pread(file, &mut head, 0).map_err(|e| errno_error(e, "stat"))?;
        let state = parse::stat_state(head.get(..n).unwrap_or_default())
            .ok_or(Error::parse("stat", "state"))?;
        Ok(matches!(state, b'Z' | b'X' | b'x'))
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
    pub fn net_dev(&mut self) -> Result<parse::net_dev::NetDev<'_>> {
        parse::net_dev::parse(self.files.read(self.dir.as_fd(), NET_DEV)?)
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
