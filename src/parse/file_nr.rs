//! `/proc/sys/fs/file-nr`: the system-wide count of open file handles.
//!
//! ```text
//! 362     0       2466177
//! │       │       └ max         the limit, /proc/sys/fs/file-max
//! │       └ free                allocated but unused handles (always 0 since Linux 2.6)
//! └ allocated                   file handles in use
//! ```
//!
//! Three tab-separated decimals (tabs shown as spaces above). `allocated` is what a "file descriptors in use" gauge wants;
//! `allocated / max` is the host-wide exhaustion ratio.
//!
//! ```
//! let nr = procfast::parse::file_nr::parse(b"362\t0\t2466177\n")?;
//! assert_eq!((nr.allocated, nr.free, nr.max), (362, 0, 2466177));
//! # Ok::<(), procfast::Error>(())
//! ```

use crate::error::Result;
use crate::parse::text;

const FILE: &str = "sys/fs/file-nr";

/// The three numbers of `/proc/sys/fs/file-nr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileNr {
    /// File handles allocated (in use).
    pub allocated: u64,
    /// Allocated but unused handles; always 0 since Linux 2.6.
    pub free: u64,
    /// The maximum number of file handles (`fs.file-max`).
    pub max: u64,
}

/// Parses the bytes of `/proc/sys/fs/file-nr`.
pub fn parse(buf: &[u8]) -> Result<FileNr> {
    let [allocated, free, max] = text::u64_fields(buf, FILE, ["allocated", "free", "max"])?;
    Ok(FileNr {
        allocated,
        free,
        max,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testing::errors_name_the_field;
    use crate::parse::testing::never_panics;
    use proptest::prelude::*;

    #[test]
    fn real_file() {
        let nr = parse(include_bytes!("../../tests/fixtures/file_nr")).unwrap();
        assert_eq!((nr.allocated, nr.free, nr.max), (362, 0, 2466177));
        // fs.file-max can be set up to LONG_MAX.
        assert_eq!(
            parse(b"1\t0\t9223372036854775807\n").unwrap().max,
            i64::MAX as u64
        );
    }

    errors_name_the_field! { parse, FILE, [
        ("", "empty"),
        ("362\t0\t24", "newline"),
        ("362\t0\n", "max"),
        ("x\t0\t1\n", "allocated"),
        ("1\t-0\t1\n", "free"),
        ("1\t0\t18446744073709551616\n", "max"),
    ] }

    never_panics!(parse, 64);

    proptest! {
        #[test]
        fn round_trips(a: u64, f: u64, m: u64) {
            let nr = parse(format!("{a}\t{f}\t{m}\n").as_bytes()).unwrap();
            prop_assert_eq!((nr.allocated, nr.free, nr.max), (a, f, m));
        }
    }
}
