//! Files a handle holds open below a directory and re-reads: shared by [`Proc`](crate::proc::Proc)
//! and [`System`](crate::system::System).

use crate::error::{errno_error, Error, Result};
use crate::sys::Errno;
use crate::sys::{self, Beneath, Generated, ReadBuf};
use core::ffi::CStr;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};

/// One held file: its slot in [`HeldFiles`], its path below the directory, its name in errors
/// and how the kernel generates it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FileSpec {
    pub(crate) slot: usize,
    pub(crate) path: &'static CStr,
    pub(crate) name: &'static str,
    pub(crate) generated: Generated,
}

impl FileSpec {
    /// A file generated whole on each read (seq_file's `single_open`).
    pub(crate) const fn whole(slot: usize, path: &'static CStr, name: &'static str) -> FileSpec {
        FileSpec {
            slot,
            path,
            name,
            generated: Generated::Whole,
        }
    }

    /// A file generated a page of records at a time.
    pub(crate) const fn records(slot: usize, path: &'static CStr, name: &'static str) -> FileSpec {
        FileSpec {
            slot,
            path,
            name,
            generated: Generated::Records,
        }
    }
}

/// `N` files held open below one directory, each opened on first use under one [`Beneath`]
/// rule, and the buffer they are read into.
#[derive(Debug)]
pub(crate) struct HeldFiles<const N: usize> {
    fds: [Option<OwnedFd>; N],
    buf: ReadBuf,
    rule: Beneath,
}

impl<const N: usize> HeldFiles<N> {
    pub(crate) fn new(rule: Beneath) -> HeldFiles<N> {
        HeldFiles {
            fds: core::array::from_fn(|_| None),
            buf: ReadBuf::new(),
            rule,
        }
    }

    /// The held fd of `file`, opening it below `dir` on first use.
    pub(crate) fn fd(&mut self, dir: BorrowedFd<'_>, file: FileSpec) -> Result<BorrowedFd<'_>> {
        open_once(dir, &mut self.fds[file.slot], file, self.rule).map(AsFd::as_fd)
    }

    /// Reads all of `file` afresh (`pread` at offset 0 on the held fd) into the buffer.
    pub(crate) fn read(&mut self, dir: BorrowedFd<'_>, file: FileSpec) -> Result<&[u8]> {
        let fd = open_once(dir, &mut self.fds[file.slot], file, self.rule)?;
        self.buf.pread_all(fd.as_fd(), file.name, file.generated)
    }

    /// Reads all of a file opened by the caller (not held) into the buffer, to its end.
    pub(crate) fn read_fd(&mut self, fd: BorrowedFd<'_>, name: &'static str) -> Result<&[u8]> {
        self.buf.pread_all(fd, name, Generated::Records)
    }

    /// The bytes of the last successful [`read`](HeldFiles::read).
    pub(crate) fn last_read(&self) -> &[u8] {
        self.buf.filled()
    }

    /// Replaces the read buffer and returns the previous one.
    pub(crate) fn replace_buf(&mut self, buf: ReadBuf) -> ReadBuf {
        core::mem::replace(&mut self.buf, buf)
    }
}

/// The fd in `slot`, opening `file` below `dir` into it on first use.
fn open_once<'a>(
    dir: BorrowedFd<'_>,
    slot: &'a mut Option<OwnedFd>,
    file: FileSpec,
    rule: Beneath,
) -> Result<&'a OwnedFd> {
    let fd = match slot.take() {
        Some(fd) => fd,
        None => sys::openat_file(dir, file.path, rule).map_err(|e| match (rule, e) {
            // Below a process a missing file is its exit; below the root, a file not shown.
            (Beneath::Procfs, Errno::NOENT) => Error::NotInMount { file: file.name },
            (_, e) => errno_error(e, file.name),
        })?,
    };
    Ok(slot.insert(fd))
}
