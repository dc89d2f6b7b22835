//! [`DirBuf`]: the reusable buffer `getdents64` fills.

use super::dirents::getdents64;
use rustix::fd::BorrowedFd;
use rustix::io::Errno;

/// A reusable buffer for `getdents64(2)`, owned by the caller or by a handle.
///
/// A walk fills it once per syscall and decodes the records in place, so walking a directory of
/// any size allocates nothing. It grows (doubling, up to [`DirBuf::MAX_CAPACITY`]) only in the rare
/// case that a single record does not fit, which the kernel reports as `EINVAL`.
///
/// ```
/// let buf = procfast::DirBuf::with_capacity(64 * 1024);
/// assert_eq!(buf.capacity(), 64 * 1024);
/// ```
#[derive(Clone, Debug)]
pub struct DirBuf {
    bytes: Vec<u8>,
}

impl DirBuf {
    /// The capacity [`DirBuf::new`] allocates: room for about 340 fd entries per syscall.
    pub const DEFAULT_CAPACITY: usize = 8 * 1024;
    /// The largest capacity growth will reach; a record is at most 280 bytes, so growth stops
    /// long before this unless the caller started above it.
    pub const MAX_CAPACITY: usize = 1 << 20;

    /// A buffer of [`DirBuf::DEFAULT_CAPACITY`] bytes.
    pub fn new() -> DirBuf {
        DirBuf::with_capacity(Self::DEFAULT_CAPACITY)
    }

    /// A buffer of `capacity` bytes (at least 1). A larger buffer means fewer syscalls per walk
    /// but a coarser deadline check, which happens between syscalls.
    pub fn with_capacity(capacity: usize) -> DirBuf {
        DirBuf {
            bytes: vec![0; capacity.max(1)],
        }
    }

    /// The buffer's size in bytes.
    pub fn capacity(&self) -> usize {
        self.bytes.len()
    }

    /// One `getdents64` call into the buffer: the filled bytes, empty at the end of the
    /// directory. Retries `EINTR`; grows on `EINVAL` (one record does not fit).
    pub(crate) fn getdents64(&mut self, fd: BorrowedFd<'_>) -> Result<&[u8], Errno> {
        loop {
            match getdents64(fd, &mut self.bytes) {
                Ok(n) => return Ok(self.bytes.get(..n).unwrap_or_default()),
                Err(Errno::INTR) => continue,
                Err(Errno::INVAL) if self.bytes.len() < Self::MAX_CAPACITY => {
                    let grown = (self.bytes.len() * 2).min(Self::MAX_CAPACITY);
                    self.bytes.resize(grown, 0);
                }
                Err(e) => return Err(e),
            }
        }
    }
}

impl Default for DirBuf {
    fn default() -> DirBuf {
        DirBuf::new()
    }
}
