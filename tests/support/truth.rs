//! The truth of what procfast reports, from `/proc` text parsed here the plain way and from
//! syscalls, never through procfast; and the reading of `/proc` files that may vanish while a
//! test reads them.

use std::io::ErrorKind;
use std::path::Path;

/// The fields of `/proc/<pid>/stat` the collectors report.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stat {
    pub cpu_ticks: u64,
    pub threads: u64,
    pub start_ticks: u64,
    pub vsize: u64,
    pub rss_pages: u64,
}

/// The `stat` fields of process `pid` (or `"self"`), parsed from its text.
pub fn stat(pid: &str) -> Stat {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which ends at the last ')': the state is field 3.
    let rest = &text[text.rfind(')').unwrap() + 2..];
    let field = |n: usize| -> u64 { rest.split(' ').nth(n - 3).unwrap().parse().unwrap() };
    Stat {
        cpu_ticks: field(14) + field(15),
        threads: field(20),
        start_ticks: field(22),
        vsize: field(23),
        rss_pages: field(24),
    }
}

/// `sysconf(_SC_CLK_TCK)`.
pub fn clk_tck() -> u64 {
    rustix::param::clock_ticks_per_second()
}

/// The boot time, `btime` of `/proc/stat`, in seconds since the epoch.
pub fn btime() -> u64 {
    let text = std::fs::read_to_string("/proc/stat").unwrap();
    let line = text.lines().find(|l| l.starts_with("btime ")).unwrap();
    line["btime ".len()..].trim().parse().unwrap()
}

/// The start time of process `pid` (or `"self"`) in seconds since the epoch, as the Prometheus
/// clients compute it: boot time plus the start ticks.
pub fn start_time(pid: &str) -> f64 {
    btime() as f64 + stat(pid).start_ticks as f64 / clk_tck() as f64
}

/// The soft limit of a row of `/proc/<pid>/limits` (`Max open files`, …), `+Inf` if unlimited.
pub fn soft_limit(pid: i32, row: &str) -> f64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = text.lines().find(|l| l.starts_with(row)).unwrap();
    match line[row.len()..].split_whitespace().next().unwrap() {
        "unlimited" => f64::INFINITY,
        v => v.parse().unwrap(),
    }
}

/// This process's soft limit of `resource`, by `getrlimit`, `+Inf` if unlimited.
pub fn rlimit_soft(resource: rustix::process::Resource) -> f64 {
    rustix::process::getrlimit(resource)
        .current
        .map_or(f64::INFINITY, |v| v as f64)
}

/// Entries of `/proc/<pid>/fd` (or `"self"`), listed with std.
pub fn listed_fds(pid: &str) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count() as u64
}

/// Received and transmitted bytes summed over the interfaces of `/proc/<pid>/net/dev`.
pub fn net_dev(pid: i32) -> (u64, u64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/net/dev")).unwrap();
    // Two header lines, then `iface: rx_bytes …` with 8 receive fields before `tx_bytes`.
    text.lines().skip(2).fold((0, 0), |(rx, tx), line| {
        let fields: Vec<u64> = line
            .split_once(':')
            .unwrap()
            .1
            .split_whitespace()
            .map(|f| f.parse().unwrap())
            .collect();
        (rx + fields[0], tx + fields[8])
    })
}

/// Burns CPU until this process's CPU time is not a whole number of seconds, so that a
/// truncation to whole seconds shows.
pub fn burn_until_fractional_cpu() {
    let tck = clk_tck();
    let mut sum = 0u64;
    while stat("self").cpu_ticks % tck == 0 {
        for i in 0..200_000u64 {
            sum = sum.wrapping_add(std::hint::black_box(i));
        }
    }
    std::hint::black_box(sum);
}

/// The pids `/proc` lists now, in order; more than three, or the test would mean little.
pub fn pids() -> Vec<u32> {
    let mut pids: Vec<u32> = std::fs::read_dir("/proc")
        .expect("/proc is mounted")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    assert!(
        pids.len() > 3,
        "too few processes to be a meaningful test: {pids:?}"
    );
    pids
}

/// Reads a whole file of a process; `None` if it vanished (`ENOENT`, `ESRCH`) or is denied
/// (`EACCES`, `EPERM`: another user's `io`, say). Any other error fails the test.
pub fn read_unless_gone(path: &Path) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::PermissionDenied) => None,
        Err(e) if e.raw_os_error() == Some(libc::ESRCH) => None,
        Err(e) => panic!("reading {}: {e}", path.display()),
    }
}

/// Reads a whole host file; `None` if this kernel or mount does not have it (`ENOENT`,
/// `EOPNOTSUPP`). Any other error fails the test.
pub fn read_if_present(path: &str) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) if e.raw_os_error() == Some(libc::EOPNOTSUPP) => None,
        Err(e) => panic!("reading {path}: {e}"),
    }
}
