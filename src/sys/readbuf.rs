//! [`ReadBuf`]: the reusable buffer held /proc files are re-read into.

use super::read::pread;
use crate::error::Error;
use rustix::fd::BorrowedFd;
use rustix::io::Errno;

/// A reusable buffer for re-reading held /proc files with `pread` at offset 0, growing
/// geometrically up to a cap.
///
/// /proc files report a size of 0 to `stat`, so the only way to know a file's length is to read
/// it to the end. `ReadBuf` reads until `pread` returns 0 (short reads happen), doubling when
/// full; past its cap it returns [`Error::TooLarge`] instead of allocating without bound. Once
/// it has grown to fit a file, re-reading that file allocates nothing.
///
/// ```
/// let buf = procfast::ReadBuf::with_cap(64 * 1024);
/// assert_eq!(buf.cap(), 64 * 1024);
/// ```
#[derive(Clone, Debug)]
pub struct ReadBuf {
    bytes: Vec<u8>,
    /// How much of `bytes` the last successful read filled.
    filled: usize,
    initial: usize,
    cap: usize,
}

impl ReadBuf {
    /// The default cap: 1 MiB, far above any per-process file and the system files of a large
    /// host.
    pub const DEFAULT_CAP: usize = 1 << 20;
    /// The first allocation, made on the first read: fits `stat`, `status`, `limits` and
    /// `meminfo` in one `pread`.
    const INITIAL: usize = 4096;

    /// An empty buffer with the default cap; it allocates on first use.
    pub const fn new() -> ReadBuf {
        ReadBuf::with_cap(Self::DEFAULT_CAP)
    }

    /// An empty buffer that will never grow past `cap` bytes.
    pub const fn with_cap(cap: usize) -> ReadBuf {
        ReadBuf::with_capacity(Self::INITIAL, cap)
    }

    /// An empty buffer that allocates `initial` bytes on first use (at least 1, at most `cap`)
    /// and never grows past `cap`.
    pub const fn with_capacity(initial: usize, cap: usize) -> ReadBuf {
        ReadBuf {
            bytes: Vec::new(),
            filled: 0,
            initial,
            cap,
        }
    }

    /// The largest file, in bytes, this buffer will hold.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// The bytes of the last successful [`pread_all`](ReadBuf::pread_all); empty before one.
    pub(crate) fn filled(&self) -> &[u8] {
        self.bytes.get(..self.filled).unwrap_or_default()
    }

    /// Reads all of `fd` from offset 0 and returns the bytes. `file` names the file in errors.
    pub(crate) fn pread_all(
        &mut self,
        fd: BorrowedFd<'_>,
        file: &'static str,
        generated: Generated,
    ) -> Result<&[u8], Error> {
        let mut len = 0;
        self.filled = 0;
        loop {
            if len == self.bytes.len() {
                if len >= self.cap {
                    return Err(Error::TooLarge {
                        file,
                        cap: self.cap,
                    });
                }
                let grown = (len * 2).clamp(self.initial.clamp(1, self.cap.max(1)), self.cap);
                self.bytes.resize(grown, 0);
            }
            let spare = self.bytes.get_mut(len..).unwrap_or_default();
            let n = pread(fd, spare, len as u64)
                .map_err(|e: Errno| Error::from_errno(e.raw_os_error(), file))?;
            len += n;
            let ended = match generated {
                Generated::Whole => len < self.bytes.len(),
                Generated::Records => n == 0,
            };
            if ended || n == 0 {
                self.filled = len;
                return Ok(self.bytes.get(..len).unwrap_or_default());
            }
        }
    }
}

/// How the kernel generates a /proc file, which decides how its end is recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generated {
    /// Whole, by one `show` call into a buffer grown until it fits (seq_file's `single_open`:
    /// every per-process file procfast reads but `net/dev`, and most host files). A read that
    /// does not fill the buffer has returned all of it, which saves the `pread` that returns 0.
    Whole,
    /// Record by record, at most a page per read (`net/dev`): a short read may be followed by
    /// more, so only a read of 0 is the end.
    Records,
}

impl Default for ReadBuf {
    fn default() -> ReadBuf {
        ReadBuf::new()
    }
}
