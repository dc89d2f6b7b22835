//! Figures and names written for people: escaped command names, bytes, durations, CPU times.

use std::fmt::Write as _;
use std::time::Duration;

/// Escapes a command name for a terminal, reversibly: `\n`, `\t` and `\\` as such, every other
/// control character (C0, DEL, C1) and every byte of invalid UTF-8 as `\xNN`, one escape per
/// byte; printable UTF-8 unchanged. (ps prints `?` instead, which loses the name.)
pub fn escape_comm(mut bytes: &[u8]) -> String {
    fn push_hex(escaped: &mut String, bytes: &[u8]) {
        for b in bytes {
            // Writing to a String cannot fail.
            let _ = write!(escaped, "\\x{b:02x}");
        }
    }
    fn push_text(escaped: &mut String, text: &str) {
        for c in text.chars() {
            match c {
                '\n' => escaped.push_str("\\n"),
                '\t' => escaped.push_str("\\t"),
                '\\' => escaped.push_str("\\\\"),
                c if c.is_control() => push_hex(escaped, c.encode_utf8(&mut [0; 4]).as_bytes()),
                c => escaped.push(c),
            }
        }
    }
    let mut escaped = String::with_capacity(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                push_text(&mut escaped, text);
                return escaped;
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                // The bytes before `valid_up_to` are valid UTF-8, so this never falls back.
                push_text(&mut escaped, std::str::from_utf8(valid).unwrap_or_default());
                // No `error_len`: the name ends inside a character.
                let (invalid, rest) = rest.split_at(e.error_len().unwrap_or(rest.len()));
                push_hex(&mut escaped, invalid);
                bytes = rest;
            }
        }
    }
}

/// `text` cut to `width` characters, the last one `+` if it was longer.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('+');
    cut
}

/// CPU time as top's TIME+ (`M:SS.hh`) under an hour, as ps's TIME (`H:MM:SS`) from then on.
pub fn format_cpu_time(seconds: f64) -> String {
    // `as` saturates: a negative or NaN figure shows as 0.
    let hundredths = (seconds * 100.0).round() as u64;
    if hundredths < 360_000 {
        let (minutes, rest) = (hundredths / 6000, hundredths % 6000);
        format!("{minutes}:{:02}.{:02}", rest / 100, rest % 100)
    } else {
        let s = hundredths / 100;
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    }
}

/// A size in binary units, to one decimal (`1.5 KiB`); below 1 KiB, whole bytes.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

pub fn format_duration(d: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros >= 1000.0 {
        format!("{:.2} ms", micros / 1000.0)
    } else {
        format!("{micros:.2} µs")
    }
}

/// Microseconds, to the nanosecond.
pub fn round_micros(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e9).round() / 1000.0
}

/// How far a bounded count got, for a line of text: `complete`, or that the figure is a lower
/// bound and what stopped it.
pub fn completeness(stopped: Option<procfast::Stop>) -> String {
    match stopped {
        None => "complete".to_string(),
        Some(stop) => format!("a lower bound: stopped by {stop:?}"),
    }
}
