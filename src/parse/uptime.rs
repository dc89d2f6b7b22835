//! `/proc/uptime`: seconds since boot, and idle time summed over the CPUs.
//!
//! ```text
//! 8378.09 8551.26
//! │       └ idle      seconds the CPUs spent idle, summed over all of them (so on a machine
//! │                   with n CPUs it grows up to n times as fast as the uptime)
//! └ uptime            seconds since boot, including time suspended (CLOCK_BOOTTIME)
//! ```
//!
//! The kernel prints both as fixed point with two decimals (`%lu.%02lu`). They are parsed
//! strictly, `<digits>.<digits>` and nothing else (no sign, exponent, `inf`, or missing part),
//! and exactly: the digits form an integer that is divided once by a power of ten, which rounds
//! the same as a correct decimal parse. Fields a future kernel appends are ignored.
//!
//! ```
//! let u = procfast::parse::uptime::parse(b"8378.09 8551.26\n")?;
//! assert_eq!((u.uptime_seconds, u.idle_seconds), (8378.09, 8551.26));
//! # Ok::<(), procfast::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::parse::num::{u64_prefix, POW10};
use crate::parse::text;

const FILE: &str = "uptime";

/// The two figures of `/proc/uptime`.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Uptime {
    /// Seconds since boot, time suspended included.
    pub uptime_seconds: f64,
    /// Seconds spent idle, summed over every CPU.
    pub idle_seconds: f64,
}

/// Parses the bytes of `/proc/uptime`. Errors name `uptime` or `idle`.
pub fn parse(buf: &[u8]) -> Result<Uptime> {
    let body = text::body(buf, FILE)?;
    let (uptime_seconds, len) = decimal_prefix(body).ok_or(Error::parse(FILE, "uptime"))?;
    let rest = body.get(len..).unwrap_or_default();
    let idle = Error::parse(FILE, "idle");
    let rest = match rest {
        // The kernel's one space.
        [b' ', next, ..] if !text::is_blank(*next) => rest.get(1..).unwrap_or_default(),
        [first, ..] if text::is_blank(*first) => text::trim_start(rest),
        [] => return Err(idle),
        _ => return Err(Error::parse(FILE, "uptime")),
    };
    let (idle_seconds, len) = decimal_prefix(rest).ok_or(idle)?;
    match rest.get(len) {
        None | Some(b' ' | b'\t' | b'\n') => Ok(Uptime {
            uptime_seconds,
            idle_seconds,
        }),
        Some(_) => Err(idle),
    }
}

/// Parses the fixed-point decimal `<digits>.<digits>` at the start of `bytes`: its value and
/// length. `None` without a digit on either side of the `.`, with more than 15 decimals, or when
/// the digits together exceed 2^53 (beyond that the value could not be computed exactly).
///
/// The digits form one integer (`8378.09` → 837809) that is divided by a power of ten (100):
/// both are exact in `f64`, so the one division rounds correctly, as `str::parse` would.
#[inline(always)]
pub(crate) fn decimal_prefix(bytes: &[u8]) -> Option<(f64, usize)> {
    const EXACT: u64 = 1 << 53;
    let (int, int_len) = u64_prefix(bytes)?;
    // The kernel's `%lu.%02lu`: two decimals, read without a second scan, and (below 2^53 / 100)
    // without overflow checks.
    if let Some(&[b'.', tens, ones, after]) = bytes.get(int_len..int_len + 4) {
        let (tens, ones) = (tens.wrapping_sub(b'0'), ones.wrapping_sub(b'0'));
        if tens < 10 && ones < 10 && !after.is_ascii_digit() && int < EXACT / 100 {
            let scaled = int * 100 + u64::from(tens * 10 + ones);
            // Below 2^53: exact as an i64 and as an f64.
            return Some((scaled as i64 as f64 / 100.0, int_len + 3));
        }
    }
    let frac_text = bytes.get(int_len..)?.strip_prefix(b".")?;
    let (frac, frac_len) = u64_prefix(frac_text)?;
    // More than 15 decimals find no power of ten here, and are refused.
    let scale = *POW10.get(frac_len)?;
    let scaled = int.checked_mul(scale)?.checked_add(frac)?;
    if scaled > EXACT {
        return None;
    }
    Some((scaled as i64 as f64 / scale as f64, int_len + 1 + frac_len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testing::errors_name_the_field;
    use crate::parse::testing::never_panics;
    use proptest::prelude::*;

    #[test]
    fn real_file() {
        let u = parse(include_bytes!("../../tests/fixtures/uptime")).unwrap();
        assert!(u.uptime_seconds > 0.0 && u.idle_seconds > 0.0);
        let u = parse(b"0.00 0.00\n").unwrap();
        assert_eq!((u.uptime_seconds, u.idle_seconds), (0.0, 0.0));
        // A future third field is ignored.
        let u = parse(b"12.5 30.25 7\n").unwrap();
        assert_eq!((u.uptime_seconds, u.idle_seconds), (12.5, 30.25));
    }

    errors_name_the_field! { parse, FILE, [
        ("", "empty"),
        ("1.00 2.00", "newline"),
        ("1.00\n", "idle"),
        ("1.00 \n", "idle"),
        ("1 2.00\n", "uptime"),
        ("1.00x 2.00\n", "uptime"),
        (" 1.00 2.00\n", "uptime"),
        ("+1.00 2.00\n", "uptime"),
        ("1.00 2.\n", "idle"),
        ("1.00 .5\n", "idle"),
        ("1.00 2.00x\n", "idle"),
        ("1.00 1e3\n", "idle"),
        ("1.00 inf\n", "idle"),
        ("99999999999999999.00 1.00\n", "uptime"),
    ] }

    never_panics!(parse, 64);

    proptest! {
        #[test]
        fn agrees_with_a_decimal_parse(int in 0u64..10_000_000_000, frac in 0u64..100, places in 1usize..=6, after in prop::sample::select(b" \n.x5".to_vec())) {
            // Two places (the kernel's) and others, followed by a delimiter or more digits.
            let text = format!("{int}.{:0places$}", frac % 10u64.pow(places as u32));
            let mut bytes = text.clone().into_bytes();
            bytes.push(after);
            let digits = if after.is_ascii_digit() { format!("{text}5") } else { text.clone() };
            // Beyond 2^53 in all its digits a value is refused rather than rounded twice.
            let exact = digits.replace('.', "").parse::<u64>().is_ok_and(|d| d <= 1 << 53);
            let want = digits.parse::<f64>().ok().filter(|_| exact).map(|v| (v, digits.len()));
            prop_assert_eq!(decimal_prefix(&bytes), want);
        }
    }
}
