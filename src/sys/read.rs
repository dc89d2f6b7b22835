//! Reading files: `pread` at offset 0 re-reads a held /proc file, `read` takes a long one piece
//! by piece.

use rustix::fd::BorrowedFd;
use rustix::io::Errno;

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

/// `read(fd, buf)`, retrying `EINTR`: the next piece of a file read from start to end (a
/// /proc file too long to read whole, generated a page of whole records per call).
pub fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    loop {
        match rustix::io::read(fd, &mut *buf) {
            Err(Errno::INTR) => continue,
            other => return other,
        }
    }
}
