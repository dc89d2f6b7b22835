//! Files that hold a single decimal number and a newline.
//!
//! ```text
//! -1000
//! ```
//!
//! `/proc/<pid>/oom_score` (the OOM killer's badness: 0 never chosen, higher chosen first),
//! `/proc/<pid>/oom_score_adj` (-1000 to 1000), and most of `/proc/sys`: `fs/file-max`, `fs/nr_open`, `kernel/pid_max`,
//! `kernel/threads-max`, `vm/max_map_count`, … The kernel prints the number with `%d`, `%u`,
//! `%ld` or `%lu` and ends it with `\n`; nothing else may stand on the line (a file of several
//! numbers, such as `kernel/printk`, is not one of these). The `file` argument names the file in
//! errors, whose field is `value`.
//!
//! ```
//! use procfast::parse::value;
//! assert_eq!(value::i32(b"-1000\n", "oom_score_adj")?, -1000);
//! assert_eq!(value::u64(b"9223372036854775807\n", "fs/file-max")?, i64::MAX as u64);
//! assert!(value::u64(b"-1\n", "oom_score").is_err());
//! assert!(value::u64(b"1 2\n", "kernel/printk").is_err());
//! # Ok::<(), procfast::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::parse::{num, text};

/// Declares, for each number type, `pub fn <type>(buf, file) -> Result<type>`: the file's one
/// line read by the given decimal parser; `Error::Parse { file, field: "value" }` if it rejects
/// it.
macro_rules! one_number {
    ($( $(#[$doc:meta])* $ty:ident by $decimal:path; )*) => {$(
        $(#[$doc])*
        #[inline]
        pub fn $ty(buf: &[u8], file: &'static str) -> Result<$ty> {
            $decimal(text::body(buf, file)?).ok_or(Error::parse(file, "value"))
        }
    )*};
}

one_number! {
    /// An unsigned decimal (`%u`, `%lu`) and the newline: `/proc/<pid>/oom_score`,
    /// `/proc/sys/fs/file-max`, `/proc/sys/kernel/pid_max`.
    u64 by num::u64_dec;
    /// A decimal with an optional `-` (`%d`, `%ld`) and the newline:
    /// `/proc/<pid>/oom_score_adj`, `/proc/sys/kernel/perf_event_paranoid`.
    i64 by num::i64_dec;
    /// Like [`u64()`], for a value that fits 32 bits (`oom_score`, `kernel/pid_max`); a larger
    /// one is an error.
    u32 by num::u32_dec;
    /// Like [`i64()`], for a value that fits 32 bits (`oom_score_adj`); a larger one is an error.
    i32 by num::i32_dec;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_number_and_the_newline() {
        assert_eq!(u64(b"0\n", "f"), Ok(0));
        assert_eq!(u64(b"18446744073709551615\n", "f"), Ok(u64::MAX));
        assert_eq!(i64(b"-9223372036854775808\n", "f"), Ok(i64::MIN));
        assert_eq!(u32(b"4194304\n", "f"), Ok(4_194_304));
        assert_eq!(i32(b"-1000\n", "f"), Ok(-1000));
        assert_eq!(i32(b"1000\n", "f"), Ok(1000));
    }

    #[test]
    fn anything_else_is_an_error_naming_the_file() {
        assert_eq!(u64(b"", "f"), Err(Error::parse("f", "empty")));
        assert_eq!(u64(b"1", "f"), Err(Error::parse("f", "newline")));
        const BAD: &[&[u8]] = &[
            b"\n", b" 1\n", b"1 \n", b"+1\n", b"1\t2\n", b"1\n2\n", b"0x10\n",
        ];
        for &bad in BAD {
            assert_eq!(i64(bad, "g"), Err(Error::parse("g", "value")), "{bad:?}");
        }
        assert_eq!(u64(b"-1\n", "f"), Err(Error::parse("f", "value")));
        assert_eq!(u32(b"4294967296\n", "f"), Err(Error::parse("f", "value")));
        assert_eq!(i32(b"2147483648\n", "f"), Err(Error::parse("f", "value")));
        assert_eq!(
            u64(b"18446744073709551616\n", "f"),
            Err(Error::parse("f", "value"))
        );
    }
}
