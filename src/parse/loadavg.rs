//! `/proc/loadavg`: the load averages and a few scheduler counts.
//!
//! ```text
//! 1.45 1.04 0.48 1/81 10281
//! │    │    │    │ │  └ last_pid    the most recently allocated pid (in the reader's pid namespace)
//! │    │    │    │ └ total          scheduling entities (threads) that exist
//! │    │    │    └ runnable         entities runnable right now
//! │    │    └ fifteen               load average over 15 minutes
//! │    └ five                       … over 5 minutes
//! └ one                             … over 1 minute
//! ```
//!
//! The kernel prints each average as fixed point with two decimals (`%lu.%02lu`). They are parsed
//! exactly, without `str::parse::<f64>` (which would also accept `inf`, `1e3` or `+1`): the digits
//! form an integer that is divided by a power of ten, which rounds the same as a correct decimal
//! parse for every value the kernel can print.
//!
//! ```
//! let l = procfast::parse::loadavg::parse(b"1.45 1.04 0.48 1/81 10281\n")?;
//! assert_eq!((l.one, l.runnable, l.total, l.last_pid), (1.45, 1, 81, 10281));
//! # Ok::<(), procfast::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::parse::num::{i32_dec, u32_dec, u64_dec};
use crate::parse::text;

const FILE: &str = "loadavg";

/// The contents of `/proc/loadavg`.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Loadavg {
    /// Load average over the last minute.
    pub one: f64,
    /// Load average over the last 5 minutes.
    pub five: f64,
    /// Load average over the last 15 minutes.
    pub fifteen: f64,
    /// Scheduling entities (threads) currently runnable.
    pub runnable: u32,
    /// Scheduling entities (threads) that currently exist.
    pub total: u32,
    /// The pid most recently allocated, in the reader's pid namespace (-1 before any).
    pub last_pid: i32,
}

/// Parses `<digits>.<digits>` exactly; `None` for anything else or beyond 2^53 in total digits.
fn fixed_point(bytes: &[u8]) -> Option<f64> {
    const EXACT: u64 = 1 << 53;
    let (int, frac) = text::split_once(bytes, b'.')?;
    if frac.len() > 15 {
        return None;
    }
    let scale = 10u64.pow(frac.len() as u32);
    let scaled = u64_dec(int)?
        .checked_mul(scale)?
        .checked_add(u64_dec(frac)?)?;
    if scaled > EXACT {
        return None;
    }
    // Both integers are exact in f64, so the one division rounds correctly.
    Some(scaled as f64 / scale as f64)
}

/// Parses the bytes of `/proc/loadavg`.
pub fn parse(buf: &[u8]) -> Result<Loadavg> {
    let mut words = text::words(text::body(buf, FILE)?);
    let mut avg = |field| {
        words
            .next()
            .and_then(fixed_point)
            .ok_or(Error::parse(FILE, field))
    };
    let (one, five, fifteen) = (avg("one")?, avg("five")?, avg("fifteen")?);
    let (runnable, total) = words
        .next()
        .and_then(|w| text::split_once(w, b'/'))
        .ok_or(Error::parse(FILE, "runnable"))?;
    Ok(Loadavg {
        one,
        five,
        fifteen,
        runnable: u32_dec(runnable).ok_or(Error::parse(FILE, "runnable"))?,
        total: u32_dec(total).ok_or(Error::parse(FILE, "total"))?,
        last_pid: words
            .next()
            .and_then(i32_dec)
            .ok_or(Error::parse(FILE, "last_pid"))?,
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
        // This machine's file.
        let l = parse(b"1.45 1.04 0.48 1/81 10281\n").unwrap();
        assert_eq!((l.one, l.five, l.fifteen), (1.45, 1.04, 0.48));
        assert_eq!((l.runnable, l.total, l.last_pid), (1, 81, 10281));
        // A busy machine with a large load.
        let l = parse(b"123.99 0.00 10.10 300/12000 4194303\n").unwrap();
        assert_eq!(
            (l.one, l.five, l.fifteen, l.total),
            (123.99, 0.0, 10.1, 12000)
        );
    }

    errors_name_the_field! { parse, FILE, [
        ("", "empty"),
        ("1.45 1.04 0.48 1/81 10", "newline"),
        ("1.45 1.04\n", "fifteen"),
        ("1 1.04 0.48 1/81 10\n", "one"),
        ("inf 1.04 0.48 1/81 10\n", "one"),
        ("1.45 1e3 0.48 1/81 10\n", "five"),
        ("1.45 1.04 .48 1/81 10\n", "fifteen"),
        ("1.45 1.04 0.48 181 10\n", "runnable"),
        ("1.45 1.04 0.48 1/x 10\n", "total"),
        ("1.45 1.04 0.48 1/81 4294967296\n", "last_pid"),
        ("99999999999999999.00 0.00 0.00 1/1 1\n", "one"),
    ] }

    never_panics!(parse, 64);

    proptest! {
        #[test]
        fn agrees_with_a_decimal_parse(int in 0u64..100_000_000, frac in 0u64..100) {
            let text = format!("{int}.{frac:02}");
            prop_assert_eq!(fixed_point(text.as_bytes()), text.parse::<f64>().ok());
        }
    }
}
