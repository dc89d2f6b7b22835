//! Go's duration syntax (`time.ParseDuration`), as process-exporter's duration flags read it:
//! `1m30s`, `500ms`, `1.5h`, `-2s`, `0`.
//!
//! Written here rather than taken from a crate: jiff (already a dependency) reads its own
//! "friendly" format, which refuses Go's `0`, `.5s` and `1.5h30m` and accepts `1 hour` and
//! ISO 8601, so a flag line valid for process-exporter could be refused, or one it refuses
//! taken.

/// Nanoseconds in each unit Go knows; `µs` is both U+00B5 and U+03BC, as in Go.
const UNITS: [(&str, u64); 8] = [
    ("ns", 1),
    ("us", 1_000),
    ("\u{b5}s", 1_000),
    ("\u{3bc}s", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// The largest magnitude a Go duration (an `int64` of nanoseconds) holds when negative.
const MAX_MAGNITUDE: u64 = 1 << 63;

/// Parses `text` as Go's `time.ParseDuration` does: an optional sign, then one or more
/// numbers (digits, an optional fraction) each followed by a unit. Returns nanoseconds, or
/// why the text is not a duration.
pub(super) fn parse_go_duration(text: &str) -> Result<i64, String> {
    let invalid = || format!("invalid duration {text:?}");
    let mut rest = text;
    let negative = rest.starts_with('-');
    if let Some(unsigned) = rest.strip_prefix(['-', '+']) {
        rest = unsigned;
    }
    // A bare zero needs no unit; nothing else does without one.
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
        let whole_len = digits(rest);
        let whole_text = &rest[..whole_len];
        rest = &rest[whole_len..];
        let mut fraction_text = "";
        if let Some(after) = rest.strip_prefix('.') {
            let len = digits(after);
            fraction_text = &after[..len];
            rest = &after[len..];
        }
        if whole_text.is_empty() && fraction_text.is_empty() {
            // No digits at all: `.s`, `-.s`, or a unit with no number.
            return Err(invalid());
        }
        let unit_len = rest
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(rest.len());
        if unit_len == 0 {
            return Err(format!("missing unit in duration {text:?}"));
        }
        let unit_text = &rest[..unit_len];
        rest = &rest[unit_len..];
        let Some(&(_, unit)) = UNITS.iter().find(|(name, _)| *name == unit_text) else {
            return Err(format!("unknown unit {unit_text:?} in duration {text:?}"));
        };
        let whole: u64 = if whole_text.is_empty() {
            0
        } else {
            whole_text.parse().map_err(|_| invalid())?
        };
        let mut value = whole
            .checked_mul(unit)
            .filter(|&v| v <= MAX_MAGNITUDE)
            .ok_or_else(invalid)?;
        value = value
            .checked_add(fraction_nanos(fraction_text, unit))
            .filter(|&v| v <= MAX_MAGNITUDE)
            .ok_or_else(invalid)?;
        total = total
            .checked_add(value)
            .filter(|&v| v <= MAX_MAGNITUDE)
            .ok_or_else(invalid)?;
    }
    if negative {
        // -(2^63) is the one value whose magnitude has no positive i64.
        return Ok(0i64.wrapping_sub_unsigned(total));
    }
    i64::try_from(total).map_err(|_| invalid())
}

/// The nanoseconds that the digits after a point add to a number of `unit`s. As in Go, digits
/// past what a `u64` holds are read but add nothing, and the fraction is scaled in floating
/// point.
fn fraction_nanos(digits: &str, unit: u64) -> u64 {
    let (mut fraction, mut scale) = (0u64, 1f64);
    let mut overflowed = false;
    for d in digits.bytes().map(|b| u64::from(b - b'0')) {
        if overflowed {
            continue;
        }
        match fraction.checked_mul(10).and_then(|f| f.checked_add(d)) {
            Some(f) => {
                fraction = f;
                scale *= 10.0;
            }
            None => overflowed = true,
        }
    }
    if fraction == 0 {
        return 0;
    }
    (fraction as f64 * (unit as f64 / scale)) as u64
}

#[cfg(test)]
mod tests {
    use super::parse_go_duration as parse;

    const S: i64 = 1_000_000_000;

    #[test]
    fn go_durations_read_as_go_reads_them() {
        let cases: &[(&str, i64)] = &[
            ("0", 0),
            ("-0", 0),
            ("+0", 0),
            ("0s", 0),
            ("5s", 5 * S),
            ("1m30s", 90 * S),
            ("500ms", S / 2),
            ("1.5h", 5400 * S),
            ("1.5h30m", 7200 * S),
            (".5s", S / 2),
            ("5.s", 5 * S),
            ("-2s", -2 * S),
            ("+2s", 2 * S),
            ("1us", 1_000),
            ("1\u{b5}s", 1_000),
            ("1\u{3bc}s", 1_000),
            ("7ns", 7),
            ("2h45m", 9900 * S),
            ("1h1m1s1ms1us1ns", 3_661_001_001_001),
            ("0.000000001s", 1),
            // The largest and smallest Go durations.
            ("9223372036854775807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
        ];
        for &(text, nanos) in cases {
            assert_eq!(parse(text), Ok(nanos), "{text}");
        }
    }

    #[test]
    fn what_go_refuses_is_refused() {
        for text in [
            "",
            "-",
            "+",
            "5",
            "1m30",
            ".s",
            "-.s",
            "s",
            "1d",
            "1 s",
            " 1s",
            "1s ",
            "1S",
            "1hour",
            "PT5S",
            "1.5.5s",
            "--1s",
            "9223372036854775808ns",
            "1e3s",
            "100000000000000000000s",
            "3000000h",
        ] {
            assert!(parse(text).is_err(), "{text:?} was taken");
        }
        assert_eq!(
            parse("5"),
            Err("missing unit in duration \"5\"".to_string())
        );
        assert_eq!(
            parse("5d"),
            Err("unknown unit \"d\" in duration \"5d\"".to_string())
        );
    }
}
