//! `/proc/<pid>/stat`: one line of space-separated fields about a process.
//!
//! ```text
//! 1037 (memfd:sealed-91) S 1 1037 0 0 -1 4194560 1033 0 0 0 6 12 0 0 20 0 1 0 3525 1421312 242 …
//! │     │                │ │ │    │ │ │  │       │    │ │ │ │ │  │ │ │  │ │ │ │    │       └ rss (pages)
//! pid   comm             │ ppid   │ │ tpgid     minflt … │ utime  │ │  │ │ │ │    └ vsize (bytes)
//!                        state    │ tty_nr             cmajflt  stime │  │ │ │ starttime (ticks)
//!                            pgrp session  flags              cutime cstime priority nice …
//! ```
//!
//! The line is written by `do_task_stat()` in the kernel's `fs/proc/array.c`, fields separated by
//! exactly one space and ended by `\n`. Three things make it less simple than it looks:
//!
//! - **`comm` is arbitrary bytes** (a thread can rename itself with `prctl(PR_SET_NAME)`). It may
//!   hold spaces, `(`, `)`, even a newline, and need not be UTF-8. It is printed raw between
//!   parentheses, so the only safe split is at the *first* `(` and the *last* `)`: for a command
//!   named `a) (b` the line starts `42 (a) (b) S …`. [`Stat::comm`] holds the raw bytes and
//!   [`Stat::comm_str`] checks them.
//! - **The line grew over the years.** Fields 1–37 (`pid` … `cnswap`) are in every kernel since
//!   2.6; the rest arrived later (`exit_signal`, `processor` and `rt_priority`…`cguest_time`
//!   by 2.6.24, the `start_data`…`exit_code` group in 3.3 and 3.5). Those are `Option`s: `None`
//!   when the line ends before them. Fields newer than `exit_code` are ignored.
//! - **Units vary by field**: `utime`, `stime`, `cutime`, `cstime`, `starttime` and the guest
//!   times are clock ticks (see the `*_seconds` methods), `vsize` is bytes, `rss` is pages (see
//!   [`Stat::rss_bytes`]).
//!
//! ```
//! use procfast::parse::stat;
//!
//! let line = b"42 (a) (b) S 1 42 42 0 -1 4194560 97 0 0 0 150 25 0 0 20 0 1 0 27236 \
//!              3133440 366 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0\n";
//! let st = stat::parse(line)?;
//! assert_eq!(st.comm, b"a) (b");
//! assert_eq!(st.state, b'S');
//! assert_eq!(st.utime_seconds(100), 1.5);
//! assert_eq!(st.rss_bytes(4096), 366 * 4096);
//! assert_eq!(st.exit_signal, None); // a 2.4-era line: the optional tail is absent
//! # Ok::<(), procfast::Error>(())
//! ```

use crate::parse::num::{i32_dec, u64_dec};
use crate::parse::{text, ticks_to_seconds};
use crate::{Error, Result};

const FILE: &str = "stat";

/// The parsed `/proc/<pid>/stat` line; `comm` borrows from the input.
///
/// Field names follow `proc(5)`. Fields 1–37 are always present; later ones are `None` on
/// kernels that do not write them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stat<'a> {
    /// (1) The process id.
    pub pid: i32,
    /// (2) The command name, raw bytes without the parentheses (up to 15 bytes for processes,
    /// longer for some kernel threads). See [`Stat::comm_str`].
    pub comm: &'a [u8],
    /// (3) The state character: `R` running, `S` sleeping, `D` disk sleep, `Z` zombie, `T`
    /// stopped, `t` tracing stop, `X` dead, `I` idle kernel thread, …
    pub state: u8,
    /// (4) The parent's pid (0 for init and kernel threads' parent).
    pub ppid: i32,
    /// (5) The process group id.
    pub pgrp: i32,
    /// (6) The session id.
    pub session: i32,
    /// (7) The controlling terminal, as an encoded device number (0: none).
    pub tty_nr: i32,
    /// (8) The foreground process group of the controlling terminal (-1: none).
    pub tpgid: i32,
    /// (9) The kernel's `PF_*` flags word.
    pub flags: u32,
    /// (10) Minor page faults (no disk read needed).
    pub minflt: u64,
    /// (11) Minor page faults of waited-for children.
    pub cminflt: u64,
    /// (12) Major page faults (a page was read from disk).
    pub majflt: u64,
    /// (13) Major page faults of waited-for children.
    pub cmajflt: u64,
    /// (14) Time scheduled in user mode, in clock ticks (guest time included).
    pub utime: u64,
    /// (15) Time scheduled in kernel mode, in clock ticks.
    pub stime: u64,
    /// (16) User time of waited-for children, in clock ticks.
    pub cutime: i64,
    /// (17) Kernel time of waited-for children, in clock ticks.
    pub cstime: i64,
    /// (18) Scheduling priority as the kernel stores it (20 + nice for normal processes,
    /// -2 … -100 for real-time ones).
    pub priority: i64,
    /// (19) The nice value, 19 (lowest priority) to -20.
    pub nice: i64,
    /// (20) Number of threads.
    pub num_threads: i64,
    /// (21) Obsolete interval-timer value, always 0 since 2.6.17.
    pub itrealvalue: i64,
    /// (22) Start time after system boot, in clock ticks.
    pub starttime: u64,
    /// (23) Virtual memory size, in bytes.
    pub vsize: u64,
    /// (24) Resident set size, in pages. See [`Stat::rss_bytes`].
    pub rss: u64,
    /// (25) Soft limit on the resident set, in bytes.
    pub rsslim: u64,
    /// (26) Address above which program text can run (0 or 1 when hidden).
    pub startcode: u64,
    /// (27) Address below which program text can run.
    pub endcode: u64,
    /// (28) Address of the start (bottom) of the stack.
    pub startstack: u64,
    /// (29) Current stack pointer (0 unless the process is being dumped).
    pub kstkesp: u64,
    /// (30) Current instruction pointer (0 unless the process is being dumped).
    pub kstkeip: u64,
    /// (31) Obsolete bitmap of pending signals (use `status` instead).
    pub signal: u64,
    /// (32) Obsolete bitmap of blocked signals.
    pub blocked: u64,
    /// (33) Obsolete bitmap of ignored signals.
    pub sigignore: u64,
    /// (34) Obsolete bitmap of caught signals.
    pub sigcatch: u64,
    /// (35) 0 if running, non-zero if waiting (the address itself is hidden since 4.x).
    pub wchan: u64,
    /// (36) Not maintained, always 0.
    pub nswap: u64,
    /// (37) Not maintained, always 0.
    pub cnswap: u64,
    /// (38) Signal sent to the parent when the process dies.
    pub exit_signal: Option<i32>,
    /// (39) CPU number last executed on.
    pub processor: Option<u32>,
    /// (40) Real-time priority, 1 … 99 for real-time policies, else 0.
    pub rt_priority: Option<u32>,
    /// (41) Scheduling policy (`SCHED_*`).
    pub policy: Option<u32>,
    /// (42) Aggregated block I/O delays, in clock ticks.
    pub delayacct_blkio_ticks: Option<u64>,
    /// (43) Guest time (running a virtual CPU), in clock ticks.
    pub guest_time: Option<u64>,
    /// (44) Guest time of waited-for children, in clock ticks.
    pub cguest_time: Option<i64>,
    /// (45) Address above which initialized and uninitialized (BSS) data are placed (3.3+).
    pub start_data: Option<u64>,
    /// (46) Address below which initialized and BSS data are placed (3.3+).
    pub end_data: Option<u64>,
    /// (47) Address above which the heap can be expanded with `brk` (3.3+).
    pub start_brk: Option<u64>,
    /// (48) Address above which the command-line arguments are placed (3.5+).
    pub arg_start: Option<u64>,
    /// (49) Address below which the command-line arguments are placed (3.5+).
    pub arg_end: Option<u64>,
    /// (50) Address above which the environment is placed (3.5+).
    pub env_start: Option<u64>,
    /// (51) Address below which the environment is placed (3.5+).
    pub env_end: Option<u64>,
    /// (52) The exit status, in the form `waitpid(2)` reports it (3.5+).
    pub exit_code: Option<i32>,
}

/// A numeric field as read: magnitude and sign, converted to its type afterwards.
#[derive(Clone, Copy, Default)]
struct Num {
    magnitude: u64,
    negative: bool,
}

/// Fields 4 to 52, the numeric ones after the state.
const NUMBERS: usize = 49;
/// Fields 4 to 37 are required.
const REQUIRED: usize = 34;

/// Reads up to [`NUMBERS`] decimal fields, each separated by exactly one space and optionally
/// negative, in a single pass over the bytes: digits are accumulated as they are met, and only a
/// field longer than 19 digits is re-read with the overflow-checked [`u64_dec`]. Text after the
/// last wanted field is not looked at (newer kernels append fields).
///
/// Returns how many fields were read, or `Err(index)` of the first malformed one (an empty field,
/// from a doubled or trailing space, is malformed).
///
/// Measured against the alternatives on real lines, this byte loop won: reading each field with
/// eight-byte word arithmetic (SWAR), or finding all spaces with word masks first and converting
/// the fields between them, both came out 1.2 to 1.5 times slower. Fields are short, and a
/// mispredicted branch per field costs more than the digits themselves.
fn scan(rest: &[u8], out: &mut [Num; NUMBERS]) -> core::result::Result<usize, usize> {
    const SAFE_DIGITS: usize = 19;
    let mut n = 0;
    let mut start = 0;
    let mut acc = 0u64;
    let mut negative = false;
    let mut finish = |n: usize, start: usize, end: usize, acc: u64, negative: bool| {
        let first_digit = start + usize::from(negative);
        let digits = end.saturating_sub(first_digit);
        let magnitude = match digits {
            0 => return Err(n),
            1..=SAFE_DIGITS => acc,
            _ => rest.get(first_digit..end).and_then(u64_dec).ok_or(n)?,
        };
        match out.get_mut(n) {
            Some(slot) => {
                *slot = Num {
                    magnitude,
                    negative,
                }
            }
            None => return Err(n),
        }
        Ok(())
    };
    for (i, &b) in rest.iter().enumerate() {
        let digit = b.wrapping_sub(b'0');
        if digit < 10 {
            acc = acc.wrapping_mul(10).wrapping_add(u64::from(digit));
        } else if b == b' ' {
            finish(n, start, i, acc, negative)?;
            n += 1;
            if n == NUMBERS {
                return Ok(n);
            }
            (start, acc, negative) = (i + 1, 0, false);
        } else if b == b'-' && i == start {
            negative = true;
        } else {
            return Err(n);
        }
    }
    finish(n, start, rest.len(), acc, negative)?;
    Ok(n + 1)
}

fn to_u64(v: Num) -> Option<u64> {
    (!v.negative).then_some(v.magnitude)
}

fn to_i64(v: Num) -> Option<i64> {
    if v.negative {
        0i64.checked_sub_unsigned(v.magnitude)
    } else {
        i64::try_from(v.magnitude).ok()
    }
}

fn to_u32(v: Num) -> Option<u32> {
    u32::try_from(to_u64(v)?).ok()
}

fn to_i32(v: Num) -> Option<i32> {
    i32::try_from(to_i64(v)?).ok()
}

/// Field names in line order, as `proc(5)` numbers them from 1.
const NAMES: [&str; 52] = [
    "pid",
    "comm",
    "state",
    "ppid",
    "pgrp",
    "session",
    "tty_nr",
    "tpgid",
    "flags",
    "minflt",
    "cminflt",
    "majflt",
    "cmajflt",
    "utime",
    "stime",
    "cutime",
    "cstime",
    "priority",
    "nice",
    "num_threads",
    "itrealvalue",
    "starttime",
    "vsize",
    "rss",
    "rsslim",
    "startcode",
    "endcode",
    "startstack",
    "kstkesp",
    "kstkeip",
    "signal",
    "blocked",
    "sigignore",
    "sigcatch",
    "wchan",
    "nswap",
    "cnswap",
    "exit_signal",
    "processor",
    "rt_priority",
    "policy",
    "delayacct_blkio_ticks",
    "guest_time",
    "cguest_time",
    "start_data",
    "end_data",
    "start_brk",
    "arg_start",
    "arg_end",
    "env_start",
    "env_end",
    "exit_code",
];

/// Parses the bytes of one `/proc/<pid>/stat` (or `/proc/<pid>/task/<tid>/stat`) file.
///
/// Errors name the first field that is missing or malformed: `pid`, `comm` (no parentheses),
/// `state`, …, or `newline` when the input does not end with `\n`.
pub fn parse(buf: &[u8]) -> Result<Stat<'_>> {
    let line = text::body(buf, FILE)?;
    // pid, then " (": the first '(' opens comm.
    let open = memchr::memchr(b'(', line).ok_or(Error::parse(FILE, "comm"))?;
    let pid = line
        .get(..open)
        .and_then(|head| head.strip_suffix(b" "))
        .and_then(i32_dec)
        .ok_or(Error::parse(FILE, "pid"))?;
    let after_open = line.get(open + 1..).unwrap_or_default();
    // The last ')' closes comm, whatever comm holds.
    let close = memchr::memrchr(b')', after_open).ok_or(Error::parse(FILE, "comm"))?;
    let comm = after_open.get(..close).unwrap_or_default();
    let rest = after_open
        .get(close + 1..)
        .and_then(|r| r.strip_prefix(b" "))
        .ok_or(Error::parse(FILE, "state"))?;
    let (state, numbers) = match rest {
        [state, b' ', numbers @ ..] => (*state, numbers),
        [_] => return Err(Error::parse(FILE, "ppid")),
        _ => return Err(Error::parse(FILE, "state")),
    };
    let mut nums = [Num::default(); NUMBERS];
    let read = scan(numbers, &mut nums).map_err(|k| Error::parse(FILE, name(k)))?;
    if read < REQUIRED {
        return Err(Error::parse(FILE, name(read)));
    }
    macro_rules! req {
        ($k:literal, $convert:ident) => {
            $convert(nums[$k]).ok_or(Error::parse(FILE, name($k)))?
        };
    }
    macro_rules! opt {
        ($k:literal, $convert:ident) => {
            if $k < read {
                Some(req!($k, $convert))
            } else {
                None
            }
        };
    }
    Ok(Stat {
        pid,
        comm,
        state,
        ppid: req!(0, to_i32),
        pgrp: req!(1, to_i32),
        session: req!(2, to_i32),
        tty_nr: req!(3, to_i32),
        tpgid: req!(4, to_i32),
        flags: req!(5, to_u32),
        minflt: req!(6, to_u64),
        cminflt: req!(7, to_u64),
        majflt: req!(8, to_u64),
        cmajflt: req!(9, to_u64),
        utime: req!(10, to_u64),
        stime: req!(11, to_u64),
        cutime: req!(12, to_i64),
        cstime: req!(13, to_i64),
        priority: req!(14, to_i64),
        nice: req!(15, to_i64),
        num_threads: req!(16, to_i64),
        itrealvalue: req!(17, to_i64),
        starttime: req!(18, to_u64),
        vsize: req!(19, to_u64),
        rss: req!(20, to_u64),
        rsslim: req!(21, to_u64),
        startcode: req!(22, to_u64),
        endcode: req!(23, to_u64),
        startstack: req!(24, to_u64),
        kstkesp: req!(25, to_u64),
        kstkeip: req!(26, to_u64),
        signal: req!(27, to_u64),
        blocked: req!(28, to_u64),
        sigignore: req!(29, to_u64),
        sigcatch: req!(30, to_u64),
        wchan: req!(31, to_u64),
        nswap: req!(32, to_u64),
        cnswap: req!(33, to_u64),
        exit_signal: opt!(34, to_i32),
        processor: opt!(35, to_u32),
        rt_priority: opt!(36, to_u32),
        policy: opt!(37, to_u32),
        delayacct_blkio_ticks: opt!(38, to_u64),
        guest_time: opt!(39, to_u64),
        cguest_time: opt!(40, to_i64),
        start_data: opt!(41, to_u64),
        end_data: opt!(42, to_u64),
        start_brk: opt!(43, to_u64),
        arg_start: opt!(44, to_u64),
        arg_end: opt!(45, to_u64),
        env_start: opt!(46, to_u64),
        env_end: opt!(47, to_u64),
        exit_code: opt!(48, to_i32),
    })
}

/// The name of numeric field `k` (0 is `ppid`).
fn name(k: usize) -> &'static str {
    NAMES.get(k + 3).copied().unwrap_or("exit_code")
}

impl<'a> Stat<'a> {
    /// `comm` as UTF-8, or `Error::Parse { file: "stat", field: "comm" }` if it is not (a thread
    /// may name itself with any bytes). Use [`Stat::comm`] for the raw bytes.
    pub fn comm_str(&self) -> Result<&'a str> {
        core::str::from_utf8(self.comm).map_err(|_| Error::parse(FILE, "comm"))
    }

    /// User-mode time in seconds, given `sysconf(_SC_CLK_TCK)`.
    pub fn utime_seconds(&self, ticks_per_second: u64) -> f64 {
        ticks_to_seconds(self.utime, ticks_per_second)
    }

    /// Kernel-mode time in seconds, given `sysconf(_SC_CLK_TCK)`.
    pub fn stime_seconds(&self, ticks_per_second: u64) -> f64 {
        ticks_to_seconds(self.stime, ticks_per_second)
    }

    /// Waited-for children's user time in seconds, given `sysconf(_SC_CLK_TCK)`.
    pub fn cutime_seconds(&self, ticks_per_second: u64) -> f64 {
        self.cutime as f64 / ticks_per_second as f64
    }

    /// Waited-for children's kernel time in seconds, given `sysconf(_SC_CLK_TCK)`.
    pub fn cstime_seconds(&self, ticks_per_second: u64) -> f64 {
        self.cstime as f64 / ticks_per_second as f64
    }

    /// Start time in seconds after boot, given `sysconf(_SC_CLK_TCK)`. Add `btime` from
    /// [`proc_stat`](crate::parse::proc_stat) for seconds since the epoch.
    pub fn starttime_seconds(&self, ticks_per_second: u64) -> f64 {
        ticks_to_seconds(self.starttime, ticks_per_second)
    }

    /// Guest time in seconds, given `sysconf(_SC_CLK_TCK)`; `None` on kernels before 2.6.24.
    pub fn guest_time_seconds(&self, ticks_per_second: u64) -> Option<f64> {
        self.guest_time
            .map(|t| ticks_to_seconds(t, ticks_per_second))
    }

    /// Waited-for children's guest time in seconds; `None` on kernels before 2.6.24.
    pub fn cguest_time_seconds(&self, ticks_per_second: u64) -> Option<f64> {
        self.cguest_time.map(|t| t as f64 / ticks_per_second as f64)
    }

    /// Block I/O delay in seconds; `None` on kernels before 2.6.18.
    pub fn delayacct_blkio_seconds(&self, ticks_per_second: u64) -> Option<f64> {
        self.delayacct_blkio_ticks
            .map(|t| ticks_to_seconds(t, ticks_per_second))
    }

    /// Resident set size in bytes, given `sysconf(_SC_PAGESIZE)`; saturates at `u64::MAX`.
    pub fn rss_bytes(&self, page_size: u64) -> u64 {
        self.rss.saturating_mul(page_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// This machine's `/proc/1037/stat` (kernel 6.18): 52 fields, comm with a colon.
    const MODERN: &[u8] = b"1037 (memfd:sealed-91) S 1 1037 0 0 -1 4194560 1033 0 0 0 6 12 0 0 20 0 1 0 3525 1421312 242 18446744073709551615 139736639750144 139736640610461 140735453876960 0 0 0 0 268439552 17472 1 0 0 17 1 0 0 0 0 0 139736640854824 139736640883592 93825826435072 140735453881993 140735453883357 140735453883357 140735453884396 0\n";

    /// A kernel thread on this machine (`/proc/2/stat`): no memory, zero addresses.
    const KTHREAD: &[u8] = b"2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 24 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

    /// A Linux 3.2 line (Debian wheezy init): 44 fields, ends at cguest_time.
    const LINUX_3_2: &[u8] = b"1 (init) S 0 1 1 0 -1 4202752 6994 2880551 23 1234 41 2013 17532 5498 20 0 1 0 4 24399872 199 18446744073709551615 1 1 0 0 0 0 0 4096 536962595 18446744073709551615 0 0 17 0 0 0 12 0 0\n";

    #[test]
    fn modern_line_has_every_field() {
        let st = parse(MODERN).unwrap();
        assert_eq!(st.pid, 1037);
        assert_eq!(st.comm, b"memfd:sealed-91");
        assert_eq!(st.comm_str(), Ok("memfd:sealed-91"));
        assert_eq!((st.state, st.ppid, st.pgrp, st.session), (b'S', 1, 1037, 0));
        assert_eq!((st.tty_nr, st.tpgid, st.flags), (0, -1, 4194560));
        assert_eq!((st.minflt, st.utime, st.stime), (1033, 6, 12));
        assert_eq!((st.priority, st.nice, st.num_threads), (20, 0, 1));
        assert_eq!((st.starttime, st.vsize, st.rss), (3525, 1421312, 242));
        assert_eq!(st.rsslim, u64::MAX);
        assert_eq!(st.sigignore, 268439552);
        assert_eq!(st.exit_signal, Some(17));
        assert_eq!(st.processor, Some(1));
        assert_eq!(st.start_data, Some(139736640854824));
        assert_eq!(st.env_end, Some(140735453884396));
        assert_eq!(st.exit_code, Some(0));
        assert_eq!(st.utime_seconds(100), 0.06);
        assert_eq!(st.starttime_seconds(100), 35.25);
        assert_eq!(st.rss_bytes(4096), 242 * 4096);
    }

    #[test]
    fn kernel_thread() {
        let st = parse(KTHREAD).unwrap();
        assert_eq!((st.pid, st.comm, st.ppid), (2, &b"kthreadd"[..], 0));
        assert_eq!((st.vsize, st.rss, st.exit_code), (0, 0, Some(0)));
    }

    #[test]
    fn linux_3_2_line_has_no_tail() {
        let st = parse(LINUX_3_2).unwrap();
        assert_eq!((st.pid, st.comm, st.starttime), (1, &b"init"[..], 4));
        assert_eq!(st.cguest_time, Some(0));
        assert_eq!(st.guest_time_seconds(100), Some(0.0));
        assert_eq!(
            (st.start_data, st.arg_start, st.exit_code),
            (None, None, None)
        );
    }

    #[test]
    fn newer_kernels_may_append_fields() {
        let mut line = MODERN[..MODERN.len() - 1].to_vec();
        line.extend_from_slice(b" 7 8 9\n");
        assert_eq!(parse(&line), parse(MODERN));
    }

    #[test]
    fn comm_with_parentheses_and_spaces() {
        let tail = b" R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34\n";
        for comm in [
            &b"a) (b"[..],
            b"with  spaces ",
            b"(",
            b")",
            b"",
            b") R 1 2 (",
            b"new\nline",
        ] {
            let mut line = b"77 (".to_vec();
            line.extend_from_slice(comm);
            line.push(b')');
            line.extend_from_slice(tail);
            let st = parse(&line).unwrap();
            assert_eq!(st.comm, comm);
            assert_eq!((st.pid, st.state, st.ppid, st.cnswap), (77, b'R', 1, 34));
        }
    }

    #[test]
    fn comm_not_utf8() {
        let st = parse(b"9 (\xff\xfe) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34\n").unwrap();
        assert_eq!(st.comm, b"\xff\xfe");
        assert_eq!(st.comm_str(), Err(Error::parse("stat", "comm")));
    }

    #[test]
    fn errors_name_the_field() {
        let err = |line: &[u8]| parse(line).unwrap_err();
        assert_eq!(err(b""), Error::parse(FILE, "empty"));
        // Truncated: the read stopped mid-line.
        assert_eq!(err(&MODERN[..100]), Error::parse(FILE, "newline"));
        assert_eq!(err(b"12 (x) S 1 2 3\n"), Error::parse(FILE, "tty_nr"));
        assert_eq!(err(b"12 x S 1\n"), Error::parse(FILE, "comm"));
        assert_eq!(err(b"12 (x S 1\n"), Error::parse(FILE, "comm"));
        assert_eq!(err(b"x (y) S 1\n"), Error::parse(FILE, "pid"));
        assert_eq!(err(b"12(y) S 1\n"), Error::parse(FILE, "pid"));
        assert_eq!(err(b"12 (y)S 1\n"), Error::parse(FILE, "state"));
        assert_eq!(err(b"12 (y) SS 1\n"), Error::parse(FILE, "state"));
        // Non-numeric, negative where unsigned, overflowing, doubled separator.
        let bad = |field: usize, value: &str| {
            let text = std::str::from_utf8(MODERN).unwrap().trim_end();
            let mut parts: Vec<&str> = text.split(' ').collect();
            parts[field] = value;
            parse(format!("{}\n", parts.join(" ")).as_bytes()).unwrap_err()
        };
        assert_eq!(bad(3, "x"), Error::parse(FILE, "ppid"));
        assert_eq!(bad(9, "-1"), Error::parse(FILE, "minflt"));
        assert_eq!(bad(22, "18446744073709551616"), Error::parse(FILE, "vsize"));
        assert_eq!(bad(8, "4294967296"), Error::parse(FILE, "flags"));
        assert_eq!(bad(23, ""), Error::parse(FILE, "rss"));
        assert_eq!(bad(51, "zero"), Error::parse(FILE, "exit_code"));
        assert_eq!(err(b"1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 \n"), Error::parse(FILE, "exit_signal"));
    }

    #[test]
    fn long_fields_and_leading_zeros() {
        let big = "00000000000000000042";
        let mut line = String::from("5 (x) S");
        for _ in 0..NUMBERS {
            line.push(' ');
            line.push_str(big);
        }
        line.push('\n');
        let st = parse(line.as_bytes()).unwrap();
        assert_eq!((st.ppid, st.utime, st.exit_code), (42, 42, Some(42)));
        let bad = line.replacen(big, "-0000000000000000004x", 3);
        assert_eq!(parse(bad.as_bytes()), Err(Error::parse(FILE, "ppid")));
        let bad = line.replacen(big, "99999999999999999999", 9);
        assert_eq!(parse(bad.as_bytes()), Err(Error::parse(FILE, "ppid")));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn any_prefix_of_a_line_is_an_error_or_a_shorter_line(cut in 0..MODERN.len()) {
            let mut line = MODERN[..cut].to_vec();
            // Without its newline, every cut is an error.
            prop_assert!(parse(&line).is_err());
            line.push(b'\n');
            if let Ok(st) = parse(&line) {
                prop_assert_eq!(st.pid, 1037);
            }
        }
    }
}
