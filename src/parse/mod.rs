//! Pure parsers: bytes in, borrowed views out.
//!
//! Nothing in this module does I/O, allocates or panics, whatever the input: every function takes
//! the bytes a /proc file (or a `getdents64` call) produced and returns views that borrow them, or
//! an [`Error::Parse`](crate::error::Error::Parse) naming the file and the field that failed.
//! That makes each parser testable with inline fixtures, comparable against a naive oracle, and
//! fuzzable.
//!
//! # One module per file
//!
//! | module | file | result |
//! |---|---|---|
//! | [`stat`] | `/proc/<pid>/stat` | [`stat::Stat`] |
//! | [`statm`] | `/proc/<pid>/statm` | [`statm::Statm`] |
//! | [`status`] | `/proc/<pid>/status` | [`status::Status`] |
//! | [`limits`] | `/proc/<pid>/limits` | [`limits::Limits`] |
//! | [`io`] | `/proc/<pid>/io` | [`io::Io`] |
//! | [`net_dev`] | `/proc/<pid>/net/dev`, `/proc/net/dev` | [`net_dev::NetDev`] |
//! | [`proc_stat`] | `/proc/stat` | [`proc_stat::ProcStat`] |
//! | [`meminfo`] | `/proc/meminfo` | [`meminfo::Meminfo`] |
//! | [`loadavg`] | `/proc/loadavg` | [`loadavg::Loadavg`] |
//! | [`smaps_rollup`] | `/proc/<pid>/smaps_rollup` | [`smaps_rollup::SmapsRollup`] |
//! | [`schedstat`] | `/proc/<pid>/schedstat`, `/proc/<pid>/task/<tid>/schedstat` | [`schedstat::Schedstat`] |
//! | [`cgroup`] | `/proc/<pid>/cgroup` | [`cgroup::Cgroups`] |
//! | [`cgroup_identity`] | a path of `/proc/<pid>/cgroup` | [`cgroup_identity::Identity`] (pod UID, container ID, systemd unit) |
//! | [`value`] | `/proc/<pid>/oom_score`, `oom_score_adj`, `/proc/sys/…` of one number | `u64`, `i64`, `u32`, `i32` |
//! | [`sockstat`] | `/proc/net/sockstat`, `/proc/net/sockstat6` | [`sockstat::Sockstat`] |
//! | [`net_tcp`] | `/proc/net/tcp`, `/proc/net/tcp6` (whole lines, any piece) | [`net_tcp::Sockets`], [`net_tcp::count_states`] |
//! | [`inet_diag`] | `NETLINK_SOCK_DIAG` dump replies for TCP (and the request) | [`inet_diag::Messages`], [`inet_diag::count_states`] |
//! | [`tcp_state`] | (shared by `net_tcp` and `inet_diag`) | [`tcp_state::TcpState`], [`tcp_state::StateCounts`] |
//! | [`file_nr`] | `/proc/sys/fs/file-nr` | [`file_nr::FileNr`] |
//! | [`swaps`] | `/proc/swaps` | [`swaps::Swaps`] |
//! | [`vmstat`] | `/proc/vmstat` | [`vmstat::Vmstat`] |
//! | [`diskstats`] | `/proc/diskstats` | [`diskstats::Diskstats`] |
//! | [`pressure`] | `/proc/pressure/{cpu,memory,io}`, cgroup v2 `*.pressure` | [`pressure::Psi`] |
//! | [`uptime`] | `/proc/uptime` | [`uptime::Uptime`] |
//! | [`snmp`] | `/proc/net/snmp`, `/proc/net/netstat` | [`snmp::Snmp`] |
//! | [`cmdline`] | `/proc/<pid>/cmdline`, `/proc/<pid>/environ` | [`cmdline::Cmdline`] ([`vars`](cmdline::Cmdline::vars) for `environ`) |
//! | [`fd_target`] | the target of a `/proc/<pid>/fd/N` link | [`fd_target::FdKind`] |
//! | [`dirent`] | `getdents64` output | [`dirent::Dirents`] |
//!
//! # Rules every parser follows
//!
//! - **Whole files only.** The kernel ends every text file with `\n`; input without it was cut
//!   short and is an error naming the pseudo-field `newline` (empty input: `empty`).
//! - **Strict numbers.** Decimal digits only (see [`num`]), no overflow; a malformed or missing
//!   required value is `Error::Parse { file, field }` with the kernel's own name for the field.
//! - **Unknown is ignored.** Lines, keys and trailing fields a parser does not know (newer
//!   kernels keep adding them) are skipped, never an error.
//! - **Units are explicit.** Values the kernel prints in kB come out in bytes (accessors named
//!   `*_bytes`); clock-tick values keep their raw ticks and have `*_seconds(ticks_per_second)`,
//!   nanosecond values (`schedstat`) are `*_ns` with `*_seconds()`;
//!   page counts stay pages, with `*_bytes(page_size)`. Tick rate and page size are arguments,
//!   never guessed: read them once with `sysconf(_SC_CLK_TCK)` and `sysconf(_SC_PAGESIZE)`.

mod bytes;
pub mod cgroup;
pub mod cgroup_identity;
pub mod cmdline;
pub mod dirent;
pub mod diskstats;
pub mod fd_target;
mod figures;
pub mod file_nr;
pub mod inet_diag;
pub mod io;
mod key_enum;
mod keys;
pub mod limits;
pub mod loadavg;
pub mod meminfo;
pub mod net_dev;
pub mod net_tcp;
pub mod num;
pub mod pressure;
pub mod proc_stat;
pub mod schedstat;
pub mod smaps_rollup;
pub mod snmp;
pub mod sockstat;
pub mod stat;
pub mod statm;
pub mod status;
pub mod swaps;
pub mod tcp_state;
#[cfg(test)]
mod testing;
mod text;
pub mod uptime;
pub mod value;
pub mod vmstat;

/// Converts a count of clock ticks to seconds, given the kernel's `USER_HZ`
/// (`sysconf(_SC_CLK_TCK)`, 100 on nearly every system).
///
/// A `ticks_per_second` of 0 gives infinity or NaN rather than a panic.
///
/// ```
/// assert_eq!(procfast::parse::ticks_to_seconds(250, 100), 2.5);
/// ```
#[inline]
pub fn ticks_to_seconds(ticks: u64, ticks_per_second: u64) -> f64 {
    ticks as f64 / ticks_per_second as f64
}

/// The state letter of a `/proc/<pid>/stat` line (`R`, `S`, `Z`, …), from the line or just its
/// head: it is the first byte after `") "`, found from the *last* `)` because the command name in
/// parentheses may itself contain `)`.
///
/// ```
/// assert_eq!(procfast::parse::stat_state(b"42 (a) (b) Z 1 2"), Some(b'Z'));
/// assert_eq!(procfast::parse::stat_state(b"42 (sh"), None);
/// ```
pub fn stat_state(line: &[u8]) -> Option<u8> {
    let close = memchr::memrchr(b')', line)?;
    match line.get(close + 1..close + 3)? {
        [b' ', state] => Some(*state),
        _ => None,
    }
}

/// `PF_EXITING` of the kernel's task flags (the 9th field of `stat`): set in `exit_signals`,
/// before `exit_files` empties the fd table and long before the task becomes a zombie.
pub const PF_EXITING: u32 = 0x4;

/// `PF_KTHREAD` of the kernel's task flags: a kernel thread (which holds no fds of its own).
pub const PF_KTHREAD: u32 = 0x0020_0000;

/// True if a task in `state` with `flags` has begun to exit or has exited (`PF_EXITING`, or
/// state `Z`, `X`, `x`): its fd table and threads are being taken apart or are gone, so a count
/// taken from it says nothing about the process that was.
///
/// ```
/// use procfast::parse::{is_exiting, PF_EXITING};
/// assert!(is_exiting(b'R', PF_EXITING) && is_exiting(b'Z', 0) && !is_exiting(b'S', 0));
/// ```
pub fn is_exiting(state: u8, flags: u32) -> bool {
    flags & PF_EXITING != 0 || matches!(state, b'Z' | b'X' | b'x')
}

/// The state letter and the `PF_*` flags (field 9) from the head of a `/proc/<pid>/stat` line:
/// enough of the line to tell a living task from an exiting one (see [`is_exiting`]) without
/// parsing the rest. `None` if the head is too short or malformed.
///
/// ```
/// let head = b"42 (a) b) R 1 42 42 0 -1 4194564 120 0";
/// assert_eq!(procfast::parse::stat_state_flags(head), Some((b'R', 4194564)));
/// assert_eq!(procfast::parse::stat_state_flags(b"42 (a) R 1 42"), None);
/// ```
pub fn stat_state_flags(line: &[u8]) -> Option<(u8, u32)> {
    let state = stat_state(line)?;
    let close = memchr::memrchr(b')', line)?;
    // After ") S ": ppid pgrp session tty_nr tpgid flags.
    let mut fields = line.get(close + 4..)?.split(|&b| b == b' ');
    let flags = fields.nth(5)?;
    // A field after it proves the flags were not cut short by the end of the head.
    fields.next()?;
    Some((state, num::u32_dec(flags)?))
}

/// The symbol of a `/proc/<pid>/wchan` file: the kernel function the task sleeps in, or `None`
/// where the kernel wrote `0` (the task is running, or the caller may not see it). The kernel
/// writes the name without a newline; one is tolerated.
///
/// ```
/// assert_eq!(procfast::parse::wchan(b"do_epoll_wait"), Some(&b"do_epoll_wait"[..]));
/// assert_eq!(procfast::parse::wchan(b"0"), None);
/// ```
pub fn wchan(bytes: &[u8]) -> Option<&[u8]> {
    let name = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    match name {
        b"" | b"0" => None,
        name => Some(name),
    }
}
