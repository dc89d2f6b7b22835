//! `/proc/<pid>/statm`: a process's memory use, in pages.
//!
//! ```text
//! 765 445 416 5 0 123 0
//! │   │   │   │ │ │   └ dt       always 0 since 2.6
//! │   │   │   │ │ └ data         data + stack
//! │   │   │   │ └ lib            always 0 since 2.6
//! │   │   │   └ text             code
//! │   │   └ shared               resident file-backed + shared memory (RssFile + RssShmem)
//! │   └ resident                 resident set (VmRSS)
//! └ size                         virtual size (VmSize)
//! ```
//!
//! The cheapest memory figure /proc offers (one short line, no key lookup): prefer it to
//! `status` when pages are all you need. Values stay in pages; the `*_bytes(page_size)` methods
//! convert, given `sysconf(_SC_PAGESIZE)`.
//!
//! ```
//! let m = procfast::parse::statm::parse(b"765 445 416 5 0 123 0\n")?;
//! assert_eq!(m.resident, 445);
//! assert_eq!(m.resident_bytes(4096), 445 * 4096);
//! # Ok::<(), procfast::Error>(())
//! ```

use crate::error::Result;
use crate::parse::text;

const FILE: &str = "statm";

/// The seven page counts of `/proc/<pid>/statm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Statm {
    /// Total virtual size, in pages.
    pub size: u64,
    /// Resident set size, in pages.
    pub resident: u64,
    /// Resident shared pages (file-backed and shared memory).
    pub shared: u64,
    /// Text (code) pages.
    pub text: u64,
    /// Library pages; always 0 since Linux 2.6.
    pub lib: u64,
    /// Data and stack pages.
    pub data: u64,
    /// Dirty pages; always 0 since Linux 2.6.
    pub dt: u64,
}

/// Parses the bytes of one `/proc/<pid>/statm` file. Fields after the seventh are ignored.
pub fn parse(buf: &[u8]) -> Result<Statm> {
    let names = ["size", "resident", "shared", "text", "lib", "data", "dt"];
    let [size, resident, shared, text, lib, data, dt] = text::u64_fields(buf, FILE, names)?;
    Ok(Statm {
        size,
        resident,
        shared,
        text,
        lib,
        data,
        dt,
    })
}

impl Statm {
    /// Virtual size in bytes; saturates at `u64::MAX`.
    pub fn size_bytes(&self, page_size: u64) -> u64 {
        self.size.saturating_mul(page_size)
    }

    /// Resident set size in bytes; saturates at `u64::MAX`.
    pub fn resident_bytes(&self, page_size: u64) -> u64 {
        self.resident.saturating_mul(page_size)
    }

    /// Resident shared memory in bytes; saturates at `u64::MAX`.
    pub fn shared_bytes(&self, page_size: u64) -> u64 {
        self.shared.saturating_mul(page_size)
    }

    /// Text (code) size in bytes; saturates at `u64::MAX`.
    pub fn text_bytes(&self, page_size: u64) -> u64 {
        self.text.saturating_mul(page_size)
    }

    /// Data and stack size in bytes; saturates at `u64::MAX`.
    pub fn data_bytes(&self, page_size: u64) -> u64 {
        self.data.saturating_mul(page_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testing::errors_name_the_field;
    use crate::parse::testing::never_panics;

    /// This machine's `/proc/1/statm`.
    const REAL: &[u8] = include_bytes!("../../tests/fixtures/statm");

    #[test]
    fn real_file() {
        let m = Statm {
            size: 9737,
            resident: 2612,
            shared: 1617,
            text: 1327,
            lib: 0,
            data: 7895,
            dt: 0,
        };
        assert_eq!(parse(REAL), Ok(m));
        assert_eq!(m.size_bytes(4096), 9737 * 4096);
        assert_eq!(m.data_bytes(4096), 7895 * 4096);
        assert_eq!(m.size_bytes(u64::MAX), u64::MAX);
        // A kernel thread: no memory at all.
        assert_eq!(parse(b"0 0 0 0 0 0 0\n").unwrap().resident, 0);
        // Extra fields from a future kernel are ignored.
        assert_eq!(parse(b"9737 2612 1617 1327 0 7895 0 5\n"), parse(REAL));
    }

    errors_name_the_field! { parse, FILE, [
        ("", "empty"),
        ("1 2 3", "newline"),
        ("1 2 3\n", "text"),
        ("1 x 3 4 5 6 7\n", "resident"),
        ("1 2 3 4 5 6 -7\n", "dt"),
        ("18446744073709551616 2 3 4 5 6 7\n", "size"),
    ] }

    never_panics!(parse, 64);
}
