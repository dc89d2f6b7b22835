//! Strict decimal number parsing from bytes, the building block of every parser.
//!
//! Strict means: at least one ASCII digit, nothing else (no sign, no spaces, no `+`), and no
//! overflow. Anything else is `None`, for the caller to turn into an error naming its field.

/// Parses `bytes` as a decimal `u64`; `None` if empty, not all digits, or overflowing.
#[inline]
pub fn u64_dec(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for &b in bytes {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(digit))?;
    }
    Some(value)
}

/// Parses `bytes` as a decimal `u32`; `None` if empty, not all digits, or overflowing.
#[inline]
pub fn u32_dec(bytes: &[u8]) -> Option<u32> {
    u64_dec(bytes).and_then(|v| u32::try_from(v).ok())
}

/// Parses `bytes` as a decimal `i64` with an optional leading `-`.
#[inline]
pub fn i64_dec(bytes: &[u8]) -> Option<i64> {
    match bytes.split_first() {
        Some((b'-', digits)) => {
            let magnitude = u64_dec(digits)?;
            0i64.checked_sub_unsigned(magnitude)
        }
        _ => i64::try_from(u64_dec(bytes)?).ok(),
    }
}

/// Parses `bytes` as a decimal `i32` with an optional leading `-` (pids, tty numbers, exit codes).
#[inline]
pub fn i32_dec(bytes: &[u8]) -> Option<i32> {
    i64_dec(bytes).and_then(|v| i32::try_from(v).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn edges() {
        assert_eq!(u64_dec(b"0"), Some(0));
        assert_eq!(u64_dec(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(u64_dec(b"18446744073709551616"), None);
        assert_eq!(u64_dec(b""), None);
        assert_eq!(u64_dec(b"+1"), None);
        assert_eq!(u64_dec(b"1 "), None);
        assert_eq!(u64_dec(b"."), None);
        assert_eq!(u32_dec(b"4294967295"), Some(u32::MAX));
        assert_eq!(u32_dec(b"4294967296"), None);
        assert_eq!(i64_dec(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(i64_dec(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(i64_dec(b"9223372036854775808"), None);
        assert_eq!(i64_dec(b"-9223372036854775809"), None);
        assert_eq!(i64_dec(b"-"), None);
        assert_eq!(i64_dec(b"--1"), None);
        assert_eq!(i32_dec(b"-1"), Some(-1));
        assert_eq!(i32_dec(b"2147483647"), Some(i32::MAX));
        assert_eq!(i32_dec(b"2147483648"), None);
    }

    proptest! {
        #[test]
        fn agrees_with_std(s in "[-+0-9a ]{0,24}") {
            // std's parsers accept a leading '+', which /proc never writes; everything else agrees.
            prop_assume!(!s.starts_with('+'));
            prop_assert_eq!(u64_dec(s.as_bytes()), s.parse::<u64>().ok());
            prop_assert_eq!(i64_dec(s.as_bytes()), s.parse::<i64>().ok());
        }

        #[test]
        fn round_trips(v: u64, w: i64) {
            prop_assert_eq!(u64_dec(v.to_string().as_bytes()), Some(v));
            prop_assert_eq!(i64_dec(w.to_string().as_bytes()), Some(w));
        }
    }
}
