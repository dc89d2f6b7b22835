//! The I/O layer: every syscall procfast makes, and every `unsafe` block.
//!
//! Functions are named after the syscall they wrap and return raw [`Errno`]s; the layers above
//! attach the file name and classify them into [`Error`](crate::Error). Most wrappers are thin
//! calls into rustix's safe API; `getdents64` (which rustix does not expose raw) and `prlimit` of
//! another process go through `libc` in `unsafe` blocks.

use core::ffi::CStr;
use rustix::fd::{AsRawFd, BorrowedFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
pub use rustix::io::Errno;
use std::path::Path;

mod dirbuf;
mod readbuf;
pub use dirbuf::DirBuf;
pub use readbuf::{Generated, ReadBuf};

/// `PROC_SUPER_MAGIC` from `linux/magic.h`: the `f_type` statfs reports for procfs.
const PROC_SUPER_MAGIC: u64 = 0x9fa0;

/// `open(path, O_RDONLY|O_DIRECTORY|O_CLOEXEC)`: a directory to list and to `openat` below.
pub fn open_dir_path(path: &Path) -> Result<OwnedFd, Errno> {
    rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// `openat(dirfd, ".", O_RDONLY|O_DIRECTORY|O_CLOEXEC)`: a second open file description of a
/// directory, with its own position, so that two walks of it do not disturb each other.
pub fn reopen_dir(dirfd: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
    rustix::fs::openat(
        dirfd,
        c".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// `openat(dirfd, name, O_RDONLY|O_DIRECTORY|O_CLOEXEC)`: a directory that can be listed.
pub fn openat_dir(dirfd: BorrowedFd<'_>, name: &CStr) -> Result<OwnedFd, Errno> {
    rustix::fs::openat(
        dirfd,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::empty(),
    )
}

/// `openat(dirfd, name, O_PATH|O_DIRECTORY|O_CLOEXEC)`: a directory handle good for `fstat` and
/// as an `openat` base, which needs only search permission on the parent (so it succeeds where
/// listing is denied).
pub fn openat_path_dir(dirfd: BorrowedFd<'_>, name: &CStr) -> Result<OwnedFd, Errno> {
    rustix::fs::openat(
        dirfd,
        name,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::empty(),
    )
}

/// `openat(dirfd, name, O_RDONLY|O_CLOEXEC)`: a file to re-read with [`pread`].
pub fn openat_file(dirfd: BorrowedFd<'_>, name: &CStr) -> Result<OwnedFd, Errno> {
    rustix::fs::openat(
        dirfd,
        name,
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::empty(),
    )
}

/// The two figures procfast takes from `fstat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatSize {
    /// `st_size`: for `/proc/<pid>/fd` on Linux ≥ 6.2, the number of open fds.
    pub size: u64,
    /// `st_nlink`: for `/proc/<pid>/task`, 2 + the number of threads.
    pub nlink: u64,
}

/// `fstat(fd)`, keeping `st_size` and `st_nlink`.
pub fn fstat(fd: BorrowedFd<'_>) -> Result<StatSize, Errno> {
    let st = rustix::fs::fstat(fd)?;
    Ok(StatSize {
        // A negative size never comes from procfs; treat it as "no count".
        size: u64::try_from(st.st_size).unwrap_or(0),
        nlink: st.st_nlink,
    })
}

/// `fstatat(dirfd, path, 0)`, keeping `st_size` and `st_nlink`: a stat by path with no fd held.
pub fn fstatat(dirfd: BorrowedFd<'_>, path: &CStr) -> Result<StatSize, Errno> {
    let st = rustix::fs::statat(dirfd, path, rustix::fs::AtFlags::empty())?;
    Ok(StatSize {
        size: u64::try_from(st.st_size).unwrap_or(0),
        nlink: st.st_nlink,
    })
}

/// `fstatfs(fd)` and a check of the magic number: is `fd` on a procfs mount?
pub fn fstatfs_is_procfs(fd: BorrowedFd<'_>) -> Result<bool, Errno> {
    let st = rustix::fs::fstatfs(fd)?;
    // f_type's integer type differs between architectures; compare as u64.
    #[allow(clippy::useless_conversion, clippy::unnecessary_cast)]
    let magic = st.f_type as u64;
    Ok(magic == PROC_SUPER_MAGIC)
}

/// `lseek(fd, 0, SEEK_SET)`: rewinds a directory so the next `getdents64` starts again.
pub fn rewind(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    rustix::fs::seek(fd, rustix::fs::SeekFrom::Start(0)).map(drop)
}

/// `getdents64(fd, buf)`: fills `buf` with `linux_dirent64` records, returning the number of bytes
/// written; 0 at the end of the directory. `EINVAL` means one record does not fit `buf`.
#[allow(unsafe_code)]
pub fn getdents64(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY:
    // - `buf` is a valid, exclusively borrowed, initialized byte slice for the whole call, and we
    //   pass its true length, so the kernel writes only inside it.
    // - `fd` is a live descriptor borrowed for the call; the kernel validates it.
    // - The kernel treats the buffer as bytes; no alignment or type invariant is assumed here
    //   (records are decoded later with `from_ne_bytes` in `parse::dirent`).
    let ret = unsafe {
        libc::syscall(
            libc::SYS_getdents64,
            fd.as_raw_fd(),
            buf.as_mut_ptr(),
            buf.len(),
        )
    };
    if ret < 0 {
        return Err(Errno::from_raw_os_error(libc_errno()));
    }
    // The kernel never returns more than the length passed in; clamp anyway rather than trust it.
    Ok(usize::try_from(ret).unwrap_or(0).min(buf.len()))
}

fn libc_errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// `pread(fd, buf, offset)`, retrying `EINTR`. On a held /proc file, offset 0 makes the kernel
/// generate fresh contents on every call, without a `close`/`open` pair.
pub fn pread(fd: BorrowedFd<'_>, buf: &mut [u8], offset: u64) -> Result<usize, Errno> {
    loop {
        match rustix::io::pread(fd, &mut *buf, offset) {
            Err(Errno::INTR) => continue,
            other => return other,
        }
    }
}

/// `getpid()`.
pub fn getpid() -> i32 {
    rustix::process::getpid().as_raw_nonzero().get()
}

/// `sysconf(_SC_CLK_TCK)`: the unit of the tick counts in /proc files (usually 100), read from
/// the auxiliary vector once per process, never assumed.
pub fn clock_ticks_per_second() -> u64 {
    rustix::param::clock_ticks_per_second()
}

/// `sysconf(_SC_PAGESIZE)`: the unit of the page counts in /proc files.
pub fn page_size() -> u64 {
    rustix::param::page_size() as u64
}

/// The resource limits procfast reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rlimit {
    /// `RLIMIT_NOFILE`: one more than the highest fd number that can be opened.
    Nofile,
    /// `RLIMIT_AS`: the address space, in bytes.
    As,
}

/// `getrlimit(resource)` for the calling process: the soft limit, `None` for unlimited.
pub fn getrlimit_soft(resource: Rlimit) -> Option<u64> {
    let resource = match resource {
        Rlimit::Nofile => rustix::process::Resource::Nofile,
        Rlimit::As => rustix::process::Resource::As,
    };
    rustix::process::getrlimit(resource).current
}

/// `prlimit(pid, resource, NULL, &old)`: another process's soft limit without changing it,
/// `None` for unlimited. Needs the caller to match the target's uids or `CAP_SYS_RESOURCE`
/// (else `EPERM`). rustix's `prlimit` always sets a new limit, hence libc here.
#[allow(unsafe_code)]
pub fn prlimit_soft(pid: i32, resource: Rlimit) -> Result<Option<u64>, Errno> {
    let resource = match resource {
        Rlimit::Nofile => libc::RLIMIT_NOFILE,
        Rlimit::As => libc::RLIMIT_AS,
    };
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY:
    // - A null `new_limit` makes prlimit read only; it never writes through it.
    // - `old` is a valid, exclusively borrowed `rlimit` the kernel fills for the call's duration.
    let ret = unsafe { libc::prlimit(pid, resource, core::ptr::null(), &mut old) };
    if ret != 0 {
        return Err(Errno::from_raw_os_error(libc_errno()));
    }
    Ok((old.rlim_cur != libc::RLIM_INFINITY).then_some(old.rlim_cur))
}
