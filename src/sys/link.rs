//! Symbolic links below /proc (`exe`, `cwd`, `fd/N`): their targets, read into the caller's
//! buffer, and telling a link from a file that is none.

use core::ffi::CStr;
use rustix::fd::BorrowedFd;
use rustix::io::Errno;

/// `readlinkat(dirfd, name)` into `buf`: the bytes of a symlink's target (cut at `buf`'s length).
/// With an empty `name`, the link that `dirfd` itself is (from [`openat_link`]).
pub fn readlinkat<'b>(
    dirfd: BorrowedFd<'_>,
    name: &CStr,
    buf: &'b mut [u8],
) -> Result<&'b [u8], Errno> {
    let len = rustix::fs::readlinkat_raw(dirfd, name, &mut *buf)?;
    Ok(buf.get(..len).unwrap_or_default())
}

/// `fstat(fd)`: is `fd` (an `O_PATH` handle from [`openat_link`]) a symbolic link? Tells a link
/// that names nothing (`readlinkat` fails with `ENOENT`) from a file that is no link at all
/// (which `readlinkat` with an empty path reports as `ENOENT` too).
pub fn is_symlink(fd: BorrowedFd<'_>) -> Result<bool, Errno> {
    let st = rustix::fs::fstat(fd)?;
    Ok(rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Symlink)
}
