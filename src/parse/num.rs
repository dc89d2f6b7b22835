//! Strict decimal number parsing from bytes, the building block of every parser.
//!
//! Strict means: at least one ASCII digit, nothing else (no sign, no spaces, no `+`), and no
//! overflow. Anything else is `None`, for the caller to turn into an error naming its field.

/// Parses `bytes` as a decimal `u64`; `None` if empty, not all digits, or overflowing.
#[inline]
pub fn u64_dec(bytes: &[u8]) -> Option<u64> {
    match u64_prefix(bytes)? {
        (value, len) if len == bytes.len() => Some(value),
        _ => None,
    }
}

/// Parses the decimal digits at the start of `bytes`, stopping at the first non-digit: the value
/// and how many digits it took. `None` if `bytes` does not start with a digit, or on overflow.
///
/// This is how the parsers read a number and find where it ends in one pass. While eight bytes
/// remain it works on eight at a time (SWAR: a few arithmetic instructions find the first
/// non-digit and convert up to eight digits at once); /proc numbers are short, so most take a
/// single step.
///
/// ```
/// use procfast::parse::num::u64_prefix;
/// assert_eq!(u64_prefix(b"3060 kB"), Some((3060, 4)));
/// assert_eq!(u64_prefix(b"18446744073709551615 "), Some((u64::MAX, 20)));
/// assert_eq!(u64_prefix(b"18446744073709551616 "), None);
/// assert_eq!(u64_prefix(b"kB"), None);
/// ```
#[inline]
pub fn u64_prefix(bytes: &[u8]) -> Option<(u64, usize)> {
    if let Some(chunk) = bytes.get(..8) {
        let x = digits_xor(chunk)?;
        let non_digit = non_digits(x);
        if non_digit != 0 {
            // The common case: 1 to 7 digits, then a delimiter, all in one word.
            let digits = (non_digit.trailing_zeros() / 8) as usize;
            if digits == 0 {
                return None;
            }
            // Shift the digits to the high end: the low bytes become leading zeros.
            return Some((eight_digits(x << (64 - 8 * digits)), digits));
        }
        return long_prefix(bytes, eight_digits(x));
    }
    // Fewer than eight bytes: one at a time.
    let mut value: u64 = 0;
    let mut len = 0;
    for &b in bytes {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        value = value * 10 + u64::from(digit);
        len += 1;
    }
    (len > 0).then_some((value, len))
}

/// The eight bytes of `chunk` with every digit turned into its value 0..=9 (other bytes become
/// anything but 0..=9).
#[inline(always)]
fn digits_xor(chunk: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(chunk.try_into().ok()?) ^ 0x3030_3030_3030_3030)
}

/// Bit 7 of each byte of `x` (from [`digits_xor`]) that was not a digit. A carry out of a
/// non-digit byte can only disturb the bytes after it, and only the first non-digit matters.
#[inline(always)]
fn non_digits(x: u64) -> u64 {
    (x.wrapping_add(0x7676_7676_7676_7676) | x) & 0x8080_8080_8080_8080
}

/// The rest of [`u64_prefix`] once the first eight bytes were all digits, worth `value`.
#[cold]
fn long_prefix(bytes: &[u8], mut value: u64) -> Option<(u64, usize)> {
    let mut len = 8;
    while let Some(chunk) = bytes.get(len..len + 8) {
        let x = digits_xor(chunk)?;
        let non_digit = non_digits(x);
        let digits = if non_digit == 0 {
            8
        } else {
            (non_digit.trailing_zeros() / 8) as usize
        };
        if digits > 0 {
            let aligned = x << (64 - 8 * digits);
            let scale = POW10.get(digits).copied()?;
            value = value
                .checked_mul(scale)?
                .checked_add(eight_digits(aligned))?;
            len += digits;
        }
        if digits < 8 {
            return Some((value, len));
        }
    }
    for &b in bytes.get(len..).unwrap_or_default() {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(digit))?;
        len += 1;
    }
    Some((value, len))
}

/// The powers of ten from 10^0 to 10^15: every one below 2^53, so each is exact as an `f64`
/// too (decimal parsing divides by them; digit chunks multiply by at most 10^8).
pub(crate) const POW10: [u64; 16] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
];

/// The value of eight digits 0..=9, one per byte, the most significant in the lowest byte
/// (the order they have in memory). The multiply-and-shift reduction of simdjson.
#[inline(always)]
fn eight_digits(x: u64) -> u64 {
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 100 + (1_000_000 << 32);
    const MUL2: u64 = 1 + (10_000 << 32);
    // Pairs: each 16-bit lane becomes 10 * first + second.
    let x = x.wrapping_mul(10).wrapping_add(x >> 8);
    // Quads and then all eight, in the top half of one product.
    ((x & MASK)
        .wrapping_mul(MUL1)
        .wrapping_add(((x >> 16) & MASK).wrapping_mul(MUL2)))
        >> 32
}

/// Like [`u64_prefix`] for an `i64` with an optional leading `-` (counted in the length).
#[inline]
pub fn i64_prefix(bytes: &[u8]) -> Option<(i64, usize)> {
    match bytes.split_first() {
        Some((b'-', digits)) => {
            let (magnitude, len) = u64_prefix(digits)?;
            Some((0i64.checked_sub_unsigned(magnitude)?, len + 1))
        }
        _ => {
            let (value, len) = u64_prefix(bytes)?;
            Some((i64::try_from(value).ok()?, len))
        }
    }
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

    /// The plain one-byte-at-a-time definition `u64_prefix` must agree with.
    fn prefix_reference(bytes: &[u8]) -> Option<(u64, usize)> {
        let len = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        let mut value: u64 = 0;
        for &b in &bytes[..len] {
            value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
        }
        (len > 0).then_some((value, len))
    }

    #[test]
    fn prefix_edges() {
        const EDGES: &[&[u8]] = &[
            b"0",
            b"00000000",
            b"12345678",
            b"123456789",
            b"1234567 ",
            b"99999999999999999999",
            b"18446744073709551615",
            b"18446744073709551616",
            b"000000000000000000000000001x",
            b"9/",
            b"9:",
            b"\xff12345678",
            b"1\xff2345678",
            b"12345678\xff",
            b"1234567\x8a9",
        ];
        for &text in EDGES {
            assert_eq!(
                u64_prefix(text),
                prefix_reference(text),
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    proptest! {
        #[test]
        fn prefix_agrees_with_the_reference(
            bytes in proptest::collection::vec(
                prop_oneof![4 => b'0'..=b'9', 1 => any::<u8>()], 0..30)
        ) {
            prop_assert_eq!(u64_prefix(&bytes), prefix_reference(&bytes));
        }


        #[test]
        fn agrees_with_std(s in "[-+0-9a ]{0,24}") {
            // std's parsers accept a leading '+', which /proc never writes; everything else agrees.
            prop_assume!(!s.starts_with('+'));
            prop_assert_eq!(u64_dec(s.as_bytes()), s.parse::<u64>().ok());
            prop_assert_eq!(i64_dec(s.as_bytes()), s.parse::<i64>().ok());
        }

        #[test]
        fn prefixes_agree_with_whole_parses(s in "-?[0-9]{0,22}[ a-]?[0-9]{0,3}") {
            let digits = s.bytes().skip(usize::from(s.starts_with('-'))).take_while(u8::is_ascii_digit).count();
            let head = &s[..digits + usize::from(s.starts_with('-'))];
            prop_assert_eq!(i64_prefix(s.as_bytes()), i64_dec(head.as_bytes()).map(|v| (v, head.len())));
            if !s.starts_with('-') {
                prop_assert_eq!(u64_prefix(s.as_bytes()), u64_dec(head.as_bytes()).map(|v| (v, head.len())));
            }
        }

        #[test]
        fn round_trips(v: u64, w: i64) {
            prop_assert_eq!(u64_dec(v.to_string().as_bytes()), Some(v));
            prop_assert_eq!(i64_dec(w.to_string().as_bytes()), Some(w));
        }
    }
}
