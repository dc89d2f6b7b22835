//! `/proc/<pid>/io`: a process's I/O counters.
//!
//! ```text
//! rchar: 6976                  bytes passed to read(2) and friends (cache hits included)
//! wchar: 0                     bytes passed to write(2) and friends
//! syscr: 10                    read syscalls
//! syscw: 0                     write syscalls
//! read_bytes: 4096             bytes really fetched from storage
//! write_bytes: 4096            bytes really sent (or to be sent) to storage
//! cancelled_write_bytes: 0     written bytes that never reached storage (truncated page cache)
//! ```
//!
//! Every line is `key: value` with a decimal value; all seven keys are written by every kernel
//! with task I/O accounting, and all are required. Reading another user's `io` needs ptrace
//! rights, so expect `Denied` more often than for `stat`.
//!
//! ```
//! let io = procfast::parse::io::parse(
//!     b"rchar: 6976\nwchar: 0\nsyscr: 10\nsyscw: 0\nread_bytes: 4096\nwrite_bytes: 0\n\
//!       cancelled_write_bytes: 0\n",
//! )?;
//! assert_eq!((io.rchar, io.read_bytes), (6976, 4096));
//! # Ok::<(), procfast::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::parse::num::u64_dec;
use crate::parse::text;

const FILE: &str = "io";

/// The seven counters of `/proc/<pid>/io`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Io {
    /// Bytes read through read-like syscalls, whether or not they hit storage.
    pub rchar: u64,
    /// Bytes written through write-like syscalls.
    pub wchar: u64,
    /// Read-like syscalls made.
    pub syscr: u64,
    /// Write-like syscalls made.
    pub syscw: u64,
    /// Bytes fetched from the storage layer.
    pub read_bytes: u64,
    /// Bytes sent (or to be sent) to the storage layer.
    pub write_bytes: u64,
    /// Bytes accounted in `write_bytes` whose write-out was cancelled (truncated page cache).
    pub cancelled_write_bytes: u64,
}

/// Parses the bytes of one `/proc/<pid>/io` file. Unknown keys are ignored; a known key with a
/// malformed value, or a missing key, is an error naming it.
pub fn parse(buf: &[u8]) -> Result<Io> {
    let mut values = [None::<u64>; 7];
    for line in text::lines(text::body(buf, FILE)?) {
        let Some((key, value)) = text::split_once(line, b':') else {
            continue;
        };
        let slot = match key {
            b"rchar" => 0,
            b"wchar" => 1,
            b"syscr" => 2,
            b"syscw" => 3,
            b"read_bytes" => 4,
            b"write_bytes" => 5,
            b"cancelled_write_bytes" => 6,
            _ => continue,
        };
        let name = NAMES.get(slot).copied().unwrap_or("io");
        let parsed = u64_dec(text::trim(value)).ok_or(Error::parse(FILE, name))?;
        if let Some(v) = values.get_mut(slot) {
            *v = Some(parsed);
        }
    }
    let get = |slot: usize| {
        let name = NAMES.get(slot).copied().unwrap_or("io");
        values
            .get(slot)
            .copied()
            .flatten()
            .ok_or(Error::parse(FILE, name))
    };
    Ok(Io {
        rchar: get(0)?,
        wchar: get(1)?,
        syscr: get(2)?,
        syscw: get(3)?,
        read_bytes: get(4)?,
        write_bytes: get(5)?,
        cancelled_write_bytes: get(6)?,
    })
}

const NAMES: [&str; 7] = [
    "rchar",
    "wchar",
    "syscr",
    "syscw",
    "read_bytes",
    "write_bytes",
    "cancelled_write_bytes",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testing::never_panics;

    /// This machine's `/proc/self/io` (as read by cat).
    const REAL: &[u8] = b"rchar: 6976\nwchar: 0\nsyscr: 10\nsyscw: 0\nread_bytes: 4096\nwrite_bytes: 4096\ncancelled_write_bytes: 0\n";

    #[test]
    fn real_file() {
        let io = parse(REAL).unwrap();
        assert_eq!((io.rchar, io.wchar, io.syscr, io.syscw), (6976, 0, 10, 0));
        assert_eq!(
            (io.read_bytes, io.write_bytes, io.cancelled_write_bytes),
            (4096, 4096, 0)
        );
    }

    #[test]
    fn unknown_keys_and_lines_are_ignored() {
        let text = b"future: x\nrchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: 5\nwrite_bytes: 6\ncancelled_write_bytes: 7\nno colon\n";
        let io = parse(text).unwrap();
        assert_eq!((io.rchar, io.cancelled_write_bytes), (1, 7));
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(parse(b""), Err(Error::parse(FILE, "empty")));
        assert_eq!(parse(&REAL[..30]), Err(Error::parse(FILE, "newline")));
        assert_eq!(parse(&REAL[..57]), Err(Error::parse(FILE, "write_bytes")));
        let with = |from: &str, to: &str| {
            let text = std::str::from_utf8(REAL).unwrap().replace(from, to);
            parse(text.as_bytes())
        };
        assert_eq!(
            with("syscr: 10", "syscr: ten"),
            Err(Error::parse(FILE, "syscr"))
        );
        assert_eq!(
            with("rchar: 6976", "rchar: -1"),
            Err(Error::parse(FILE, "rchar"))
        );
        assert_eq!(
            with("wchar: 0", "wchar: 18446744073709551616"),
            Err(Error::parse(FILE, "wchar"))
        );
        assert_eq!(with("syscw: 0", "syscw:"), Err(Error::parse(FILE, "syscw")));
    }

    never_panics!(parse, 256);
}
