//! How the reports write numbers: times, ratios, byte sizes, counts and axis labels.

/// Three significant digits in the largest unit that keeps the value ≥ 1.
pub fn fmt_ns(ns: f64) -> String {
    let (value, unit) = match ns {
        ns if ns >= 1e9 => (ns / 1e9, "s"),
        ns if ns >= 1e6 => (ns / 1e6, "ms"),
        ns if ns >= 1e3 => (ns / 1e3, "µs"),
        ns => (ns, "ns"),
    };
    format!("{} {unit}", sig3(value))
}

/// Three significant digits (none after the point from 100).
fn sig3(value: f64) -> String {
    match value {
        v if v >= 100.0 => format!("{v:.0}"),
        v if v >= 10.0 => format!("{v:.1}"),
        v => format!("{v:.2}"),
    }
}

/// A ratio to about two significant digits; below 0.1 as a fraction, "1/23,000".
pub fn fmt_ratio(r: f64) -> String {
    match r {
        r if r >= 10.0 => format!("{}×", group_digits(round_sig2(r))),
        r if r >= 1.0 => format!("{r:.1}×"),
        r if r >= 0.1 => format!("{r:.2}×"),
        r if r > 0.0 => format!("1/{}", group_digits(round_sig2(1.0 / r))),
        _ => "–".to_string(),
    }
}

/// `n` rounded to two significant digits: 11,023 → 11,000.
pub fn round_sig2(n: f64) -> u64 {
    let scale = 10f64.powi((n.log10().floor() as i32 - 1).max(0));
    ((n / scale).round() * scale) as u64
}

/// Thousands separated by commas: 19,000.
pub fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A criterion parameter: grouped digits if it is a number.
pub fn fmt_param(param: &str) -> String {
    param.parse::<u64>().map_or(param.to_string(), group_digits)
}

/// Bytes in B, KiB or MiB, three significant digits.
pub fn fmt_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{} MiB", sig3(b as f64 / (1 << 20) as f64)),
        b if b >= 1 << 10 => format!("{} KiB", sig3(b as f64 / 1024.0)),
        b => format!("{b} B"),
    }
}

/// Axis labels for times at powers of ten: "100 ns", "1 µs", "10 ms".
pub fn fmt_tick(ns: f64) -> String {
    fmt_ns(ns).replace(".00 ", " ").replace(".0 ", " ")
}

/// Axis labels: 10, 100, 1k, 10k, 100k, 1M.
pub fn fmt_count(n: f64) -> String {
    match n {
        n if n >= 1e6 => format!("{}M", n / 1e6),
        n if n >= 1e3 => format!("{}k", n / 1e3),
        n => format!("{n}"),
    }
}

/// Seconds as a scrape's time: "0.78 s" from 0.1 s, "1.7 ms" below.
pub fn fmt_scrape(seconds: f64) -> String {
    if seconds >= 0.1 {
        format!("{seconds:.2} s")
    } else {
        format!("{:.1} ms", seconds * 1e3)
    }
}

/// Seconds with two decimals in s or ms, one in µs: "12.04 ms".
pub fn fmt_seconds(seconds: f64) -> String {
    if seconds >= 1.0 {
        format!("{seconds:.2} s")
    } else if seconds >= 1e-3 {
        format!("{:.2} ms", seconds * 1e3)
    } else {
        format!("{:.1} µs", seconds * 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_the_reports_print_them() {
        assert_eq!(fmt_ns(137.0), "137 ns");
        assert_eq!(fmt_ns(1_720.0), "1.72 µs");
        assert_eq!(fmt_ns(12_300.0), "12.3 µs");
        assert_eq!(fmt_ratio(22.4), "22×");
        assert_eq!(fmt_ratio(1.14), "1.1×");
        assert_eq!(fmt_ratio(0.44), "0.44×");
        assert_eq!(fmt_ratio(1.0 / 15_123.0), "1/15,000");
        assert_eq!(group_digits(1_000_000), "1,000,000");
        assert_eq!(fmt_bytes(774), "774 B");
        assert_eq!(fmt_bytes(6_779), "6.62 KiB");
        assert_eq!(fmt_tick(1e3), "1 µs");
        assert_eq!(fmt_count(1e6), "1M");
        assert_eq!(fmt_scrape(0.78), "0.78 s");
        assert_eq!(fmt_scrape(0.0017), "1.7 ms");
        assert_eq!(fmt_seconds(0.01204), "12.04 ms");
    }
}
