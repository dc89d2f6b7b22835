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
//! assert_eq!(st.exit_signal(), None); // a 2.4-era line: the optional tail is absent
//! # Ok::<(), procfast::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::parse::bytes::{classify_at, ByteClasses};
use crate::parse::num::{i32_dec, i64_dec, u32_dec, u64_dec};
use crate::parse::{text, ticks_to_seconds};

const FILE: &str = "stat";

/// Fields 4 to 52, the numeric ones after the state.
const NUMBERS: usize = 49;
/// Fields 4 to 37 are required.
const REQUIRED: usize = 34;

/// The Rust type a numeric field is read as.
#[derive(Clone, Copy)]
enum Type {
    I32,
    U32,
    I64,
    U64,
}

impl Type {
    /// The most digits that always fit without a sign: wider fields and negative ones have their
    /// range checked by converting them.
    const fn safe_digits(self) -> u32 {
        match self {
            Type::I32 | Type::U32 => 9,
            Type::I64 => 18,
            Type::U64 => 19,
        }
    }

    /// Whether `field`, already known to be digits with perhaps a leading `-`, is a value of this
    /// type.
    fn fits(self, field: &[u8]) -> bool {
        match self {
            // 20 digits, as every rsslim of "unlimited" has: compare with u64::MAX as text.
            Type::U64 if field.len() == 20 && field.first() != Some(&b'-') => {
                field <= &b"18446744073709551615"[..]
            }
            Type::I32 => i32_dec(field).is_some(),
            Type::U32 => u32_dec(field).is_some(),
            Type::I64 => i64_dec(field).is_some(),
            Type::U64 => u64_dec(field).is_some(),
        }
    }
}

/// Declares the numeric fields once: their names (for errors and `Debug`), their types (for
/// validation) and one documented accessor each.
macro_rules! fields {
    (
        required { $($(#[$rdoc:meta])* $rk:literal $rname:ident: $rty:ident $rtype:ident,)* }
        optional { $($(#[$odoc:meta])* $ok:literal $oname:ident: $oty:ident $otype:ident,)* }
    ) => {
        /// Field names in line order from `ppid` (field 4), as `proc(5)` names them.
        const NAMES: [&str; NUMBERS] = [$(stringify!($rname),)* $(stringify!($oname),)*];
        const TYPES: [Type; NUMBERS] = [$(Type::$rtype,)* $(Type::$otype,)*];
        const SAFE_DIGITS: [u32; NUMBERS] =
            [$(Type::$rtype.safe_digits(),)* $(Type::$otype.safe_digits(),)*];

        impl<'a> Stat<'a> {
            $(
                $(#[$rdoc])*
                #[inline]
                pub fn $rname(&self) -> $rty {
                    self.value::<$rty>($rk).unwrap_or_default()
                }
            )*
            $(
                $(#[$odoc])*
                #[inline]
                pub fn $oname(&self) -> Option<$oty> {
                    self.value::<$oty>($ok)
                }
            )*
        }

        impl core::fmt::Debug for Stat<'_> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                let mut s = f.debug_struct("Stat");
                s.field("pid", &self.pid);
                match self.comm_str() {
                    Ok(comm) => s.field("comm", &comm),
                    Err(_) => s.field("comm", &self.comm),
                };
                s.field("state", &char::from(self.state));
                $(s.field(stringify!($rname), &self.$rname());)*
                $(s.field(stringify!($oname), &self.$oname());)*
                s.finish()
            }
        }
    };
}

/// A parsed `/proc/<pid>/stat` line, borrowing the input.
///
/// `pid`, `comm` and `state` are fields; the 49 numbers after them are methods named as in
/// `proc(5)`. [`parse`] has already checked every one of them (digits only, a sign only where the
/// type allows it, no overflow), so the methods cannot fail: each converts its field's digits when
/// called. That split is what makes the parse cheap, since an exporter reads about seven of the
/// 52 fields. Fields 4–37 are always present; later ones return `None` on kernels that do not
/// write them.
///
/// Two `Stat`s are equal when they have the same pid, comm, state and field text.
#[derive(Clone, Copy)]
pub struct Stat<'a> {
    /// (1) The process id.
    pub pid: i32,
    /// (2) The command name, raw bytes without the parentheses (up to 15 bytes for processes,
    /// longer for some kernel threads). See [`Stat::comm_str`].
    pub comm: &'a [u8],
    /// (3) The state character: `R` running, `S` sleeping, `D` disk sleep, `Z` zombie, `T`
    /// stopped, `t` tracing stop, `X` dead, `I` idle kernel thread, …
    pub state: u8,
    /// The text after the state: the numeric fields.
    numbers: &'a [u8],
    /// Where each numeric field ends in `numbers` (at its space, or at the end of the line).
    ends: [u32; NUMBERS],
    /// How many numeric fields the line has, at most [`NUMBERS`].
    present: usize,
}

/// Parses the bytes of one `/proc/<pid>/stat` (or `/proc/<pid>/task/<tid>/stat`) file.
///
/// Every field is checked here, so the accessors cannot fail. Errors name the first field that is
/// missing or malformed: `pid`, `comm` (no parentheses), `state`, …, or `newline` when the input
/// does not end with `\n`.
///
/// # How
///
/// The line is about fifty short numbers, and a loop that meets them a byte at a time pays a
/// compare, a branch and a multiply-add for every byte. Instead, 64 bytes at a time are
/// classified with vector compares (SSE2 on x86-64) into masks of spaces, non-digits and minus
/// signs. Each field's end is then one `trailing_zeros` of the space mask, and the whole line is
/// validated with a few mask operations per 64 bytes: a non-digit must be a space, or a `-`
/// right after one. What is left per field is a width check (no more digits than always fit its
/// type; wider or negative fields are converted to check their range). Digits are converted to
/// numbers only when an accessor asks.
pub fn parse(buf: &[u8]) -> Result<Stat<'_>> {
    let line = text::body(buf, FILE)?;
    // pid, then " (": the first '(' opens comm.
    let open = text::find(line, b'(').ok_or(Error::parse(FILE, "comm"))?;
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
    let mut ends = [0u32; NUMBERS];
    let found = split(numbers, &mut ends);
    // The first field that fails, by any of the checks.
    let mut failed = found.first_bad;
    if found.present < REQUIRED {
        failed = failed.min(found.present);
    }
    // Fields that may not fit their type (negative, empty, or wider than always fits), among
    // those before the first failure: convert them to be sure.
    let suspects = found.negative | wide_fields(&ends);
    let mut suspects = suspects & !(u64::MAX << found.present.min(failed));
    while suspects != 0 {
        let k = suspects.trailing_zeros() as usize;
        suspects &= suspects - 1;
        let start = match k.checked_sub(1).and_then(|before| ends.get(before)) {
            Some(&before) => before as usize + 1,
            None => 0,
        };
        let end = ends.get(k).map_or(0, |&end| end as usize);
        let field = numbers.get(start..end).unwrap_or_default();
        if !TYPES.get(k).is_some_and(|ty| ty.fits(field)) {
            failed = failed.min(k);
            break;
        }
    }
    match NAMES.get(failed) {
        Some(name) => Err(Error::parse(FILE, name)),
        None => Ok(Stat {
            pid,
            comm,
            state,
            numbers,
            ends,
            present: found.present,
        }),
    }
}

/// What [`split`] found.
struct Split {
    /// How many fields there are, at most [`NUMBERS`].
    present: usize,
    /// The first field holding a byte that does not belong in a number (anything but a digit,
    /// or a `-` at the start of the field); [`NUMBERS`] if there is none.
    first_bad: usize,
    /// Bit `k` set for each negative field, whose range must be checked by converting it.
    negative: u64,
}

/// Finds where the first [`NUMBERS`] fields of `numbers` end, writing `ends` (a field ends at a
/// space or at the end of `numbers`), and checks every byte of them.
fn split(numbers: &[u8], ends: &mut [u32; NUMBERS]) -> Split {
    let mut found = Split {
        present: NUMBERS,
        first_bad: NUMBERS,
        negative: 0,
    };
    let mut count = 0;
    let mut base = 0;
    // Whether the byte before this block ends a field: the first byte of the line starts one.
    let mut field_starts_here = 1;
    loop {
        let classes = classify_numbers_at(numbers, base);
        let mut separators = classes.spaces;
        let mut at = count;
        while separators != 0 {
            // Separators past the last field wanted are counted, not kept.
            if let Some(end) = ends.get_mut(at) {
                // Fields end before 2^32: `numbers` is at most the read buffer's cap.
                *end = (base + separators.trailing_zeros() as usize) as u32;
            }
            separators &= separators - 1;
            at += 1;
        }
        // Bad bytes and signs after the last field wanted map to field NUMBERS: ignored.
        let known = ends.get(..at.min(NUMBERS)).unwrap_or_default();
        check_block(base, &classes, field_starts_here, known, &mut found);
        if at >= NUMBERS {
            break;
        }
        count = at;
        field_starts_here = classes.spaces >> 63;
        base += 64;
        if base > numbers.len() {
            found.present = count;
            break;
        }
    }
    found
}

/// Bit `k` set for each field that is empty (width 0 wraps around) or wider than its type always
/// holds. Written over whole arrays, without a loop-carried variable, so that it vectorizes.
#[inline(always)]
fn wide_fields(ends: &[u32; NUMBERS]) -> u64 {
    let mut wide = [0u8; 56];
    wide[0] = u8::from(ends[0].wrapping_sub(1) >= SAFE_DIGITS[0]);
    for k in 1..NUMBERS {
        // Field k spans ends[k - 1] + 1 .. ends[k].
        let width = ends[k].wrapping_sub(ends[k - 1]).wrapping_sub(1);
        wide[k] = u8::from(width.wrapping_sub(1) >= SAFE_DIGITS[k]);
    }
    // Eight 0/1 bytes to eight bits: the multiply gathers byte i's bit into bit 56 + i.
    wide.chunks_exact(8)
        .enumerate()
        .fold(0, |mask, (i, chunk)| {
            let bytes = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
            mask | (bytes.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * i)
        })
}

/// Checks the bytes of the block at `base`: a non-digit must be a space or a `-` that starts a
/// field. Notes the first bad field and the negative ones in `found`. `ends` are the ends of the
/// fields found so far, which include every field that ends before any byte checked here.
#[inline(always)]
fn check_block(
    base: usize,
    c: &ByteClasses,
    field_starts_here: u64,
    ends: &[u32],
    found: &mut Split,
) {
    let field_of = |bit: u64| ends.partition_point(|&end| (end as usize) < base + bit as usize);
    let starts = c.spaces << 1 | field_starts_here;
    let bad = (c.non_digits & !c.spaces & !c.minus) | (c.minus & !starts);
    if bad != 0 {
        found.first_bad = found
            .first_bad
            .min(field_of(u64::from(bad.trailing_zeros())));
    }
    let mut minus = c.minus & starts;
    while minus != 0 {
        found.negative |= 1 << field_of(u64::from(minus.trailing_zeros()));
        minus &= minus - 1;
    }
}

/// Classifies bytes `base .. base + 64` of `numbers`. Where `numbers` ends within the block, its
/// end is marked as a space (the last field ends there) and nothing after it is marked.
#[inline(always)]
fn classify_numbers_at(numbers: &[u8], base: usize) -> ByteClasses {
    let mut classes = classify_at(numbers, base);
    if numbers.len() >= base + 64 {
        return classes;
    }
    let end = numbers.len().saturating_sub(base) & 63;
    classes.spaces |= 1 << end;
    classes.non_digits &= !(u64::MAX << end);
    classes
}

/// A numeric type a field converts to, from its sign and magnitude.
trait FieldValue: Sized + Default {
    /// Whether the type has negative values: [`parse`] allows a `-` only in such fields, so
    /// the others need not look for one.
    const SIGNED: bool;
    fn from_parts(negative: bool, magnitude: u64) -> Option<Self>;
}

impl FieldValue for u64 {
    const SIGNED: bool = false;
    #[inline]
    fn from_parts(_: bool, magnitude: u64) -> Option<Self> {
        Some(magnitude)
    }
}

impl FieldValue for u32 {
    const SIGNED: bool = false;
    #[inline]
    fn from_parts(_: bool, magnitude: u64) -> Option<Self> {
        u32::try_from(magnitude).ok()
    }
}

impl FieldValue for i64 {
    const SIGNED: bool = true;
    #[inline]
    fn from_parts(negative: bool, magnitude: u64) -> Option<Self> {
        if negative {
            0i64.checked_sub_unsigned(magnitude)
        } else {
            i64::try_from(magnitude).ok()
        }
    }
}

impl FieldValue for i32 {
    const SIGNED: bool = true;
    #[inline]
    fn from_parts(negative: bool, magnitude: u64) -> Option<Self> {
        i32::try_from(i64::from_parts(negative, magnitude)?).ok()
    }
}

impl<'a> Stat<'a> {
    /// Where numeric field `k` (0 is `ppid`) starts and ends in `numbers`; `None` if the line
    /// does not have it.
    #[inline(always)]
    fn span(&self, k: usize) -> Option<(usize, usize)> {
        if k >= self.present {
            return None;
        }
        let start = match k.checked_sub(1) {
            Some(before) => *self.ends.get(before)? as usize + 1,
            None => 0,
        };
        Some((start, *self.ends.get(k)? as usize))
    }

    /// The text of numeric field `k`.
    fn field(&self, k: usize) -> Option<&'a [u8]> {
        let (start, end) = self.span(k)?;
        self.numbers.get(start..end)
    }

    /// Field `k` converted; [`parse`] checked that it converts. The digits go through
    /// [`u64_dec`], which reads eight at a time.
    #[inline(always)]
    fn value<T: FieldValue>(&self, k: usize) -> Option<T> {
        let (start, end) = self.span(k)?;
        let negative = T::SIGNED && self.numbers.get(start) == Some(&b'-');
        let digits = self.numbers.get(start + usize::from(negative)..end)?;
        let magnitude = u64_dec(digits)?;
        T::from_parts(negative, magnitude)
    }

    /// How many of the 49 numeric fields (4 to 52) the line has: 34 to 49, by kernel version.
    pub fn fields_present(&self) -> usize {
        self.present
    }
}

impl PartialEq for Stat<'_> {
    fn eq(&self, other: &Self) -> bool {
        (self.pid, self.comm, self.state, self.present)
            == (other.pid, other.comm, other.state, other.present)
            && (0..self.present).all(|k| self.field(k) == other.field(k))
    }
}

impl Eq for Stat<'_> {}

fields! {
    required {
        /// (4) The parent's pid (0 for init and kernel threads' parent).
        0 ppid: i32 I32,
        /// (5) The process group id.
        1 pgrp: i32 I32,
        /// (6) The session id.
        2 session: i32 I32,
        /// (7) The controlling terminal, as an encoded device number (0: none).
        3 tty_nr: i32 I32,
        /// (8) The foreground process group of the controlling terminal (-1: none).
        4 tpgid: i32 I32,
        /// (9) The kernel's `PF_*` flags word.
        5 flags: u32 U32,
        /// (10) Minor page faults (no disk read needed).
        6 minflt: u64 U64,
        /// (11) Minor page faults of waited-for children.
        7 cminflt: u64 U64,
        /// (12) Major page faults (a page was read from disk).
        8 majflt: u64 U64,
        /// (13) Major page faults of waited-for children.
        9 cmajflt: u64 U64,
        /// (14) Time scheduled in user mode, in clock ticks (guest time included).
        10 utime: u64 U64,
        /// (15) Time scheduled in kernel mode, in clock ticks.
        11 stime: u64 U64,
        /// (16) User time of waited-for children, in clock ticks.
        12 cutime: i64 I64,
        /// (17) Kernel time of waited-for children, in clock ticks.
        13 cstime: i64 I64,
        /// (18) Scheduling priority as the kernel stores it (20 + nice for normal processes,
        /// -2 … -100 for real-time ones).
        14 priority: i64 I64,
        /// (19) The nice value, 19 (lowest priority) to -20.
        15 nice: i64 I64,
        /// (20) Number of threads.
        16 num_threads: i64 I64,
        /// (21) Obsolete interval-timer value, always 0 since 2.6.17.
        17 itrealvalue: i64 I64,
        /// (22) Start time after system boot, in clock ticks.
        18 starttime: u64 U64,
        /// (23) Virtual memory size, in bytes.
        19 vsize: u64 U64,
        /// (24) Resident set size, in pages. See [`Stat::rss_bytes`].
        20 rss: u64 U64,
        /// (25) Soft limit on the resident set, in bytes.
        21 rsslim: u64 U64,
        /// (26) Address above which program text can run (0 or 1 when hidden).
        22 startcode: u64 U64,
        /// (27) Address below which program text can run.
        23 endcode: u64 U64,
        /// (28) Address of the start (bottom) of the stack.
        24 startstack: u64 U64,
        /// (29) Current stack pointer (0 unless the process is being dumped).
        25 kstkesp: u64 U64,
        /// (30) Current instruction pointer (0 unless the process is being dumped).
        26 kstkeip: u64 U64,
        /// (31) Obsolete bitmap of pending signals (use `status` instead).
        27 signal: u64 U64,
        /// (32) Obsolete bitmap of blocked signals.
        28 blocked: u64 U64,
        /// (33) Obsolete bitmap of ignored signals.
        29 sigignore: u64 U64,
        /// (34) Obsolete bitmap of caught signals.
        30 sigcatch: u64 U64,
        /// (35) 0 if running, non-zero if waiting (the address itself is hidden since 4.x).
        31 wchan: u64 U64,
        /// (36) Not maintained, always 0.
        32 nswap: u64 U64,
        /// (37) Not maintained, always 0.
        33 cnswap: u64 U64,
    }
    optional {
        /// (38) Signal sent to the parent when the process dies.
        34 exit_signal: i32 I32,
        /// (39) CPU number last executed on.
        35 processor: u32 U32,
        /// (40) Real-time priority, 1 … 99 for real-time policies, else 0.
        36 rt_priority: u32 U32,
        /// (41) Scheduling policy (`SCHED_*`).
        37 policy: u32 U32,
        /// (42) Aggregated block I/O delays, in clock ticks.
        38 delayacct_blkio_ticks: u64 U64,
        /// (43) Guest time (running a virtual CPU), in clock ticks.
        39 guest_time: u64 U64,
        /// (44) Guest time of waited-for children, in clock ticks.
        40 cguest_time: i64 I64,
        /// (45) Address above which initialized and uninitialized (BSS) data are placed (3.3+).
        41 start_data: u64 U64,
        /// (46) Address below which initialized and BSS data are placed (3.3+).
        42 end_data: u64 U64,
        /// (47) Address above which the heap can be expanded with `brk` (3.3+).
        43 start_brk: u64 U64,
        /// (48) Address above which the command-line arguments are placed (3.5+).
        44 arg_start: u64 U64,
        /// (49) Address below which the command-line arguments are placed (3.5+).
        45 arg_end: u64 U64,
        /// (50) Address above which the environment is placed (3.5+).
        46 env_start: u64 U64,
        /// (51) Address below which the environment is placed (3.5+).
        47 env_end: u64 U64,
        /// (52) The exit status, in the form `waitpid(2)` reports it (3.5+).
        48 exit_code: i32 I32,
    }
}

impl<'a> Stat<'a> {
    /// True if the task has begun to exit (`PF_EXITING` in [`flags`](Stat::flags)) or is a
    /// zombie or dead (state `Z`, `X`): its fds and threads are going or gone, so counts of it are
    /// not the process's. See [`is_exiting`](super::is_exiting).
    pub fn is_exiting(&self) -> bool {
        super::is_exiting(self.state, self.flags())
    }

    /// `comm` as UTF-8, or `Error::Parse { file: "stat", field: "comm" }` if it is not (a thread
    /// may name itself with any bytes). Use [`Stat::comm`] for the raw bytes.
    pub fn comm_str(&self) -> Result<&'a str> {
        core::str::from_utf8(self.comm).map_err(|_| Error::parse(FILE, "comm"))
    }

    /// User-mode time in seconds, given `sysconf(_SC_CLK_TCK)`.
    pub fn utime_seconds(&self, ticks_per_second: u64) -> f64 {
        ticks_to_seconds(self.utime(), ticks_per_second)
    }

    /// Kernel-mode time in seconds, given `sysconf(_SC_CLK_TCK)`.
    pub fn stime_seconds(&self, ticks_per_second: u64) -> f64 {
        ticks_to_seconds(self.stime(), ticks_per_second)
    }

    /// Waited-for children's user time in seconds, given `sysconf(_SC_CLK_TCK)`.
    pub fn cutime_seconds(&self, ticks_per_second: u64) -> f64 {
        self.cutime() as f64 / ticks_per_second as f64
    }

    /// Waited-for children's kernel time in seconds, given `sysconf(_SC_CLK_TCK)`.
    pub fn cstime_seconds(&self, ticks_per_second: u64) -> f64 {
        self.cstime() as f64 / ticks_per_second as f64
    }

    /// Start time in seconds after boot, given `sysconf(_SC_CLK_TCK)`. Add `btime` from
    /// [`proc_stat`](crate::parse::proc_stat) for seconds since the epoch.
    pub fn starttime_seconds(&self, ticks_per_second: u64) -> f64 {
        ticks_to_seconds(self.starttime(), ticks_per_second)
    }

    /// Guest time in seconds, given `sysconf(_SC_CLK_TCK)`; `None` on kernels before 2.6.24.
    pub fn guest_time_seconds(&self, ticks_per_second: u64) -> Option<f64> {
        self.guest_time()
            .map(|t| ticks_to_seconds(t, ticks_per_second))
    }

    /// Waited-for children's guest time in seconds; `None` on kernels before 2.6.24.
    pub fn cguest_time_seconds(&self, ticks_per_second: u64) -> Option<f64> {
        self.cguest_time()
            .map(|t| t as f64 / ticks_per_second as f64)
    }

    /// Block I/O delay in seconds; `None` on kernels before 2.6.18.
    pub fn delayacct_blkio_seconds(&self, ticks_per_second: u64) -> Option<f64> {
        self.delayacct_blkio_ticks()
            .map(|t| ticks_to_seconds(t, ticks_per_second))
    }

    /// Resident set size in bytes, given `sysconf(_SC_PAGESIZE)`; saturates at `u64::MAX`.
    pub fn rss_bytes(&self, page_size: u64) -> u64 {
        self.rss().saturating_mul(page_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testing::never_panics;
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
        assert_eq!(
            (st.state, st.ppid(), st.pgrp(), st.session()),
            (b'S', 1, 1037, 0)
        );
        assert_eq!((st.tty_nr(), st.tpgid(), st.flags()), (0, -1, 4194560));
        assert_eq!((st.minflt(), st.utime(), st.stime()), (1033, 6, 12));
        assert_eq!((st.priority(), st.nice(), st.num_threads()), (20, 0, 1));
        assert_eq!((st.starttime(), st.vsize(), st.rss()), (3525, 1421312, 242));
        assert_eq!(st.rsslim(), u64::MAX);
        assert_eq!(st.sigignore(), 268439552);
        assert_eq!(st.exit_signal(), Some(17));
        assert_eq!(st.processor(), Some(1));
        assert_eq!(st.start_data(), Some(139736640854824));
        assert_eq!(st.env_end(), Some(140735453884396));
        assert_eq!(st.exit_code(), Some(0));
        assert_eq!(st.utime_seconds(100), 0.06);
        assert_eq!(st.starttime_seconds(100), 35.25);
        assert_eq!(st.rss_bytes(4096), 242 * 4096);
    }

    #[test]
    fn kernel_thread() {
        let st = parse(KTHREAD).unwrap();
        assert_eq!((st.pid, st.comm, st.ppid()), (2, &b"kthreadd"[..], 0));
        assert_eq!((st.vsize(), st.rss(), st.exit_code()), (0, 0, Some(0)));
    }

    #[test]
    fn linux_3_2_line_has_no_tail() {
        let st = parse(LINUX_3_2).unwrap();
        assert_eq!((st.pid, st.comm, st.starttime()), (1, &b"init"[..], 4));
        assert_eq!(st.cguest_time(), Some(0));
        assert_eq!(st.guest_time_seconds(100), Some(0.0));
        assert_eq!(
            (st.start_data(), st.arg_start(), st.exit_code()),
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
        const COMMS: &[&[u8]] = &[
            b"a) (b",
            b"with  spaces ",
            b"(",
            b")",
            b"",
            b") R 1 2 (",
            b"new\nline",
        ];
        for &comm in COMMS {
            let line = [&b"77 ("[..], comm, b")", tail].concat();
            let st = parse(&line).unwrap();
            assert_eq!(st.comm, comm);
            assert_eq!(
                (st.pid, st.state, st.ppid(), st.cnswap()),
                (77, b'R', 1, 34)
            );
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

    /// `MODERN` with field `index` (0 is the pid) replaced by `value`.
    fn modern_with(edits: &[(usize, &str)]) -> Vec<u8> {
        let text = std::str::from_utf8(MODERN).unwrap().trim_end();
        let mut parts: Vec<&str> = text.split(' ').collect();
        for &(index, value) in edits {
            parts[index] = value;
        }
        format!("{}\n", parts.join(" ")).into_bytes()
    }

    #[test]
    fn every_alignment_of_the_fields_to_the_blocks() {
        // Leading zeros on ppid shift every later field across the 64-byte blocks the parser
        // classifies, one byte per step: signs, bad bytes and field ends meet every offset.
        for zeros in 0..140 {
            let ppid = format!("{}1", "0".repeat(zeros));
            let line = modern_with(&[(3, &ppid)]);
            let st = parse(&line).unwrap();
            assert_eq!((st.ppid(), st.tpgid(), st.rsslim()), (1, -1, u64::MAX));
            assert_eq!(
                (st.env_end(), st.exit_code()),
                (Some(140735453884396), Some(0))
            );
            // Text after the 52nd field is not looked at.
            let mut longer = line[..line.len() - 1].to_vec();
            longer.extend_from_slice(b" x -\n");
            assert_eq!(parse(&longer), Ok(st));
            let err = |edits: &[(usize, &str)]| parse(&modern_with(edits)).unwrap_err();
            let name = |field| Error::parse(FILE, field);
            assert_eq!(err(&[(3, &ppid), (7, "1-")]), name("tpgid"));
            assert_eq!(err(&[(3, &ppid), (10, "-3")]), name("cminflt"));
            assert_eq!(err(&[(3, &ppid), (37, "4x")]), name("exit_signal"));
            assert_eq!(err(&[(3, &ppid), (51, "")]), name("exit_code"));
        }
    }

    #[test]
    fn a_bad_byte_in_a_short_lines_tail_is_an_error() {
        // Found by fuzzing: a line of 36 fields whose 35th holds non-digits.
        let line = b"1 (p) S 0 0 0 0 -1 4194560 32059 5287096 0 660 42 225 19575 2415 20 0 13 0 24 39882752 2595 18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 \xff\xff0 0\n";
        assert_eq!(parse(line), Err(Error::parse(FILE, "exit_signal")));
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
        assert_eq!((st.ppid(), st.utime(), st.exit_code()), (42, 42, Some(42)));
        let bad = line.replacen(big, "-0000000000000000004x", 3);
        assert_eq!(parse(bad.as_bytes()), Err(Error::parse(FILE, "ppid")));
        let bad = line.replacen(big, "99999999999999999999", 9);
        assert_eq!(parse(bad.as_bytes()), Err(Error::parse(FILE, "ppid")));
    }

    never_panics!(parse, 400);

    proptest! {
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
