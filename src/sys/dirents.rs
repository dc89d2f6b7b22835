//! Reading directories: `getdents64` into the caller's buffer (through `libc`, since rustix does
//! not expose it raw), rewinding, and a second open file description to read with.

use super::errno::last_errno;
use rustix::fd::{AsRawFd, BorrowedFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

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
        return Err(last_errno());
    }
    // The kernel never returns more than the length passed in; clamp anyway rather than trust it.
    Ok(usize::try_from(ret).unwrap_or(0).min(buf.len()))
}
