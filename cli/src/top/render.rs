//! A frame of `top`: the table, or one JSON line.

use super::options::COMMAND_WIDTH;
use super::sampler::{Frame, Placement, Shown};
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

/// The CGROUP column's width: a pod's and a container's short IDs, or most unit names.
const CGROUP_WIDTH: usize = 24;

/// The CGROUP cell: `<pod UID's first 8>/<container ID's first 12>` (Docker's short ID), the
/// container's short ID alone outside a pod, else the systemd unit (cut with a `+`), else `-`.
fn cgroup_cell(placement: Option<&Placement>) -> String {
    let Some(p) = placement else {
        return "-".to_string();
    };
    let short = |id: &str, n: usize| id.chars().take(n).collect::<String>();
    match (&p.pod_uid, &p.container_id, &p.systemd_unit) {
        (Some(pod), Some(ctr), _) => format!("{}/{}", short(pod, 8), short(ctr, 12)),
        (None, Some(ctr), _) => short(ctr, 12),
        (_, None, Some(unit)) => fit(&escape_comm(unit.as_bytes()), CGROUP_WIDTH),
        (Some(pod), None, None) => format!("{}/-", short(pod, 8)),
        (None, None, None) => "-".to_string(),
    }
}

pub fn json_frame(
    shown: &[Shown],
    frame: &Frame,
    users: &UsersCache,
    cgroup: bool,
) -> serde_json::Value {
    let rows: Vec<_> = shown
        .iter()
        .map(
            |Shown {
                 row,
                 cpu_percent,
                 placement,
             }| {
                let user = row
                    .uid
                    .and_then(|uid| users.get_user_by_uid(uid))
                    .map(|u| u.name().to_string_lossy().into_owned());
                let mut line = serde_json::json!({
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
                });
                if cgroup {
                    let p = placement.as_ref();
                    line["pod_uid"] = serde_json::json!(p.and_then(|p| p.pod_uid.as_ref()));
                    line["container_id"] =
                        serde_json::json!(p.and_then(|p| p.container_id.as_ref()));
                    line["systemd_unit"] =
                        serde_json::json!(p.and_then(|p| p.systemd_unit.as_ref()));
                }
                line
            },
        )
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
    cgroup: bool,
    hint: &str,
) -> io::Result<()> {
    let cgroup_header = match cgroup {
        true => format!("{:<CGROUP_WIDTH$}  ", "CGROUP"),
        false => String::new(),
    };
    writeln!(
        out,
        "{:>8} {:<8} {:<5} {:>7} {:>7} {:>10} {:>6} {:>10}  {cgroup_header}COMMAND",
        "PID", "USER", "STATE", "THREADS", "FDS", "RSS", "%CPU", "TIME"
    )?;
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_string());
    for Shown {
        row,
        cpu_percent,
        placement,
    } in shown
    {
        let cgroup_cell = match cgroup {
            true => format!("{:<CGROUP_WIDTH$}  ", cgroup_cell(placement.as_ref())),
            false => String::new(),
        };
        let user = row.uid.map(|uid| match users.get_user_by_uid(uid) {
            // A name longer than the column is cut with a `+`, as top does.
            Some(user) => fit(&escape_comm(user.name().as_bytes()), 8),
            None => uid.to_string(),
        });
        writeln!(
            out,
            "{:>8} {:<8} {:<5} {:>7} {:>7} {:>10} {:>6} {:>10}  {cgroup_cell}{:.*}",
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
