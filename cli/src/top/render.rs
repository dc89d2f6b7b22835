//! A frame of `top`: the table, or one JSON line.

use super::options::COMMAND_WIDTH;
use super::sampler::{Frame, Shown};
use crate::human::{escape_comm, fit, format_bytes, format_cpu_time, round_micros};
use procfast::Row;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use uzers::{Users, UsersCache};

/// The state letter, or `?` for a byte that is not a printable letter (never seen in practice,
/// but it reaches a terminal).
pub fn state_letter(row: &Row) -> Option<char> {
    row.state.map(|b| {
        if b.is_ascii_graphic() {
            char::from(b)
        } else {
            '?'
        }
    })
}

pub fn json_frame(shown: &[Shown], frame: &Frame, users: &UsersCache) -> serde_json::Value {
    let rows: Vec<_> = shown
        .iter()
        .map(|Shown { row, cpu_percent }| {
            let user = row
                .uid
                .and_then(|uid| users.get_user_by_uid(uid))
                .map(|u| u.name().to_string_lossy().into_owned());
            serde_json::json!({
                "pid": row.pid,
                "tgid": row.tgid,
                // serde_json escapes control characters; invalid UTF-8 becomes U+FFFD.
                "comm": String::from_utf8_lossy(row.comm()),
                "state": state_letter(row).map(String::from),
                "ppid": row.ppid,
                "uid": row.uid,
                // null when the uid has no name.
                "user": user,
                "fds": row.fds,
                "threads": row.threads,
                "rss_bytes": row.rss_bytes,
                "cpu_seconds": row.cpu_seconds,
                "cpu_percent": cpu_percent.map(|p| (p * 100.0).round() / 100.0),
            })
        })
        .collect();
    let summary = &frame.summary;
    let mut line = serde_json::json!({
        "complete": summary.is_complete(),
        "scanned": summary.scanned,
        "vanished": summary.vanished,
        "denied": summary.denied,
        "refused": summary.refused,
        "micros": round_micros(frame.wall),
        "cpu_micros": round_micros(frame.cpu),
        "rows": rows,
    });
    if let Some(interval) = frame.interval {
        line["interval_seconds"] = serde_json::json!(interval.as_secs_f64());
    }
    line
}

pub fn table(
    out: &mut impl Write,
    shown: &[Shown],
    frame: &Frame,
    users: &UsersCache,
    threads: bool,
    hint: &str,
) -> io::Result<()> {
    writeln!(
        out,
        "{:>8} {:<8} {:<5} {:>7} {:>7} {:>10} {:>6} {:>10}  COMMAND",
        "PID", "USER", "STATE", "THREADS", "FDS", "RSS", "%CPU", "TIME"
    )?;
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_string());
    for Shown { row, cpu_percent } in shown {
        let user = row.uid.map(|uid| match users.get_user_by_uid(uid) {
            // A name longer than the column is cut with a `+`, as top does.
            Some(user) => fit(&escape_comm(user.name().as_bytes()), 8),
            None => uid.to_string(),
        });
        writeln!(
            out,
            "{:>8} {:<8} {:<5} {:>7} {:>7} {:>10} {:>6} {:>10}  {:.*}",
            row.pid,
            or_dash(user),
            or_dash(state_letter(row).map(String::from)),
            or_dash(row.threads.map(|v| v.to_string())),
            or_dash(row.fds.map(|v| v.to_string())),
            or_dash(row.rss_bytes.map(format_bytes)),
            or_dash(cpu_percent.map(|p| format!("{p:.1}"))),
            or_dash(row.cpu_seconds.map(format_cpu_time)),
            COMMAND_WIDTH,
            escape_comm(row.comm()),
        )?;
    }
    let summary = &frame.summary;
    writeln!(
        out,
        "scanned {} {}, {} vanished, {} denied, {} refused; {}; refresh: {:.1} ms ({:.1} ms CPU){}{hint}",
        summary.scanned,
        if threads { "threads" } else { "processes" },
        summary.vanished,
        summary.denied,
        summary.refused,
        match summary.stopped {
            None => "complete".to_string(),
            Some(stop) => format!("stopped early ({stop:?})"),
        },
        frame.wall.as_secs_f64() * 1e3,
        frame.cpu.as_secs_f64() * 1e3,
        match frame.interval {
            Some(interval) => format!("; %CPU over {:.2} s", interval.as_secs_f64()),
            None => String::new(),
        },
    )
}
