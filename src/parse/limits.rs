//! `/proc/<pid>/limits`: a process's resource limits (`getrlimit(2)`), as a table.
//!
//! ```text
//! Limit                     Soft Limit           Hard Limit           Units
//! Max cpu time              unlimited            unlimited            seconds
//! Max stack size            8388608              unlimited            bytes
//! Max open files            20000                20000                files
//! Max nice priority         0                    0
//! Max realtime timeout      unlimited            unlimited            us
//! ```
//!
//! (Abridged: there is one row per `RLIMIT_*`, 16 since Linux 2.6.25, always in that order.) The
//! kernel pads the columns with spaces to fixed widths, and each name is words separated by
//! single spaces, so a row is one of the known names followed by at least two blanks, then the
//! soft limit, the hard limit and an optional unit, separated by blanks. `unlimited`
//! (`RLIM_INFINITY`) is `None`: no limit. Rows are looked up starting after the previous one, so
//! the kernel's order costs one name comparison per row.
//!
//! For the own process, `prlimit(2)` is cheaper than reading this file; for others it is the only
//! way without `CAP_SYS_RESOURCE`.
//!
//! ```
//! use procfast::parse::limits;
//!
//! # let text = include_bytes!("../../tests/fixtures/limits");
//! let l = limits::parse(text)?;
//! let nofile = l.max_open_files();
//! assert_eq!((nofile.soft, nofile.hard, nofile.unit), (Some(32768), Some(32768), &b"files"[..]));
//! assert_eq!(l.max_cpu_time().hard, None); // unlimited
//! # Ok::<(), procfast::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::parse::key_enum::key_enum;
use crate::parse::num::u64_prefix;
use crate::parse::text;

const FILE: &str = "limits";

macro_rules! resources {
    ($( $variant:ident $name:literal $rlimit:ident $method:ident $doc:literal; )*) => {
        key_enum! {
            /// A row of `/proc/<pid>/limits`, in the kernel's order (which is `RLIMIT_*` order).
            enum Resource;
            ALL: "Every resource, in file order.";
            fn name: "The row's name as the file spells it.";
            $( $variant $name concat!("`", $name, "` (`", stringify!($rlimit), "`): ", $doc); )*
        }

        impl<'a> Limits<'a> {
            $(
                #[doc = concat!("`", $name, "` (`", stringify!($rlimit), "`): ", $doc)]
                pub fn $method(&self) -> Limit<'a> {
                    self.get(Resource::$variant)
                }
            )*
        }
    };
}

resources! {
    CpuTime "Max cpu time" RLIMIT_CPU max_cpu_time "CPU time, in seconds.";
    FileSize "Max file size" RLIMIT_FSIZE max_file_size "largest file the process may create, in bytes.";
    DataSize "Max data size" RLIMIT_DATA max_data_size "data segment (heap) size, in bytes.";
    StackSize "Max stack size" RLIMIT_STACK max_stack_size "main thread's stack size, in bytes.";
    CoreFileSize "Max core file size" RLIMIT_CORE max_core_file_size "core dump size, in bytes (0: no dumps).";
    ResidentSet "Max resident set" RLIMIT_RSS max_resident_set "resident set, in bytes (not enforced since 2.6).";
    Processes "Max processes" RLIMIT_NPROC max_processes "processes (threads) of the real user.";
    OpenFiles "Max open files" RLIMIT_NOFILE max_open_files "one more than the highest fd number that can be opened.";
    LockedMemory "Max locked memory" RLIMIT_MEMLOCK max_locked_memory "memory that may be locked in RAM, in bytes.";
    AddressSpace "Max address space" RLIMIT_AS max_address_space "virtual memory size, in bytes.";
    FileLocks "Max file locks" RLIMIT_LOCKS max_file_locks "flock locks and fcntl leases.";
    PendingSignals "Max pending signals" RLIMIT_SIGPENDING max_pending_signals "signals queued for the real user.";
    MsgqueueSize "Max msgqueue size" RLIMIT_MSGQUEUE max_msgqueue_size "POSIX message queue bytes of the real user.";
    NicePriority "Max nice priority" RLIMIT_NICE max_nice_priority "ceiling of the nice value, as 20 - nice (no unit).";
    RealtimePriority "Max realtime priority" RLIMIT_RTPRIO max_realtime_priority "ceiling of the real-time priority (no unit).";
    RealtimeTimeout "Max realtime timeout" RLIMIT_RTTIME max_realtime_timeout "CPU time without blocking under a real-time policy, in microseconds.";
}

const COUNT: usize = Resource::ALL.len();

/// One row: the soft and hard limits, `None` meaning unlimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limit<'a> {
    /// The soft limit, which the kernel enforces; `None` for `unlimited`.
    pub soft: Option<u64>,
    /// The hard limit, the ceiling for the soft one; `None` for `unlimited`.
    pub hard: Option<u64>,
    /// The units column (`seconds`, `bytes`, `files`, `us`, …), empty for the two priorities.
    pub unit: &'a [u8],
}

/// The parsed `/proc/<pid>/limits`: one [`Limit`] per [`Resource`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits<'a> {
    rows: [Limit<'a>; COUNT],
}

impl<'a> Limits<'a> {
    /// The row for `resource`.
    #[inline]
    pub fn get(&self, resource: Resource) -> Limit<'a> {
        self.rows.get(resource as usize).copied().unwrap_or(UNSET)
    }

    /// Every row with its resource, in file order.
    pub fn iter(&self) -> impl Iterator<Item = (Resource, Limit<'a>)> + '_ {
        Resource::ALL
            .iter()
            .zip(self.rows.iter())
            .map(|(&r, &l)| (r, l))
    }
}

const UNSET: Limit<'static> = Limit {
    soft: None,
    hard: None,
    unit: b"",
};

/// The resource whose name starts `line` (followed by at least two blanks), and the text after
/// the name. The search starts at `hint`, the row after the previous one: rows a kernel lacks are
/// stepped over, and a row out of order wraps around.
#[inline]
fn resource_of(line: &[u8], hint: usize) -> Option<(usize, &[u8])> {
    let matches = |r: &Resource| {
        let name = r.name().as_bytes();
        if !text::same(line.get(..name.len())?, name) {
            return None;
        }
        let rest = line.get(name.len()..)?;
        match rest {
            [a, b, ..] if text::is_blank(*a) && text::is_blank(*b) => Some(rest),
            _ => None,
        }
    };
    if let Some(rest) = Resource::ALL.get(hint).and_then(matches) {
        return Some((hint, rest));
    }
    (hint + 1..COUNT)
        .chain(0..hint)
        .find_map(|i| Some((i, matches(Resource::ALL.get(i)?)?)))
}

/// A limit after optional blanks: `unlimited` or a decimal, ending at a blank or the newline.
#[inline]
fn value(rest: &mut &[u8]) -> Option<Option<u64>> {
    let text = text::trim_start(rest);
    let (value, len) = match text.get(..9) {
        Some(word) if text::same(word, b"unlimited") => (None, 9),
        _ => {
            let (v, len) = u64_prefix(text)?;
            (Some(v), len)
        }
    };
    let after = text.get(len..)?;
    match after.first() {
        Some(b' ' | b'\t' | b'\n') => {
            *rest = after;
            Some(value)
        }
        _ => None,
    }
}

/// Parses the bytes of one `/proc/<pid>/limits` file.
///
/// The header and rows with unknown names are skipped. A known row with a malformed value, or a
/// missing row, is an error whose field is the row's name (`"Max open files"`). Words after the
/// unit are ignored.
pub fn parse(buf: &[u8]) -> Result<Limits<'_>> {
    text::body(buf, FILE)?;
    let mut rows = [UNSET; COUNT];
    let mut present = 0u32;
    let mut hint = 0;
    // Every line ends with '\n' (checked above), and nothing below reads past one.
    let mut rest = buf;
    while !rest.is_empty() {
        let Some((index, after_name)) = resource_of(rest, hint) else {
            rest = skip_line(rest);
            continue;
        };
        hint = index + 1;
        let name = Resource::ALL.get(index).map_or("", |r| r.name());
        let mut r = after_name;
        let (Some(soft), Some(hard)) = (value(&mut r), value(&mut r)) else {
            return Err(Error::parse(FILE, name));
        };
        let r = text::trim_start(r);
        let unit_len = r
            .iter()
            .take_while(|&&b| !matches!(b, b' ' | b'\t' | b'\n'))
            .count();
        let (unit, r) = r.split_at(unit_len);
        // The padding after the unit, then the newline; anything else is skipped.
        rest = match text::trim_start(r).split_first() {
            Some((b'\n', next)) => next,
            _ => skip_line(r),
        };
        if let Some(row) = rows.get_mut(index) {
            *row = Limit { soft, hard, unit };
            present |= 1 << index;
        }
    }
    if let Some(missing) = Resource::ALL
        .iter()
        .find(|&&r| present & (1 << r as usize) == 0)
    {
        return Err(Error::parse(FILE, missing.name()));
    }
    Ok(Limits { rows })
}

/// The text after the next newline (empty if there is none).
#[inline]
fn skip_line(text: &[u8]) -> &[u8] {
    memchr::memchr(b'\n', text)
        .and_then(|at| text.get(at + 1..))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testing::edits_name_the_field;
    use crate::parse::testing::never_panics;
    use crate::parse::testing::reversed_lines;

    /// This machine's `/proc/1/limits`, trailing padding included.
    const REAL: &[u8] =
        b"Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max file size             unlimited            unlimited            bytes     
Max data size             unlimited            unlimited            bytes     
Max stack size            8388608              unlimited            bytes     
Max core file size        0                    unlimited            bytes     
Max resident set          unlimited            unlimited            bytes     
Max processes             96365                96365                processes 
Max open files            32768                32768                files     
Max locked memory         unlimited            unlimited            bytes     
Max address space         unlimited            unlimited            bytes     
Max file locks            unlimited            unlimited            locks     
Max pending signals       96365                96365                signals   
Max msgqueue size         819200               819200               bytes     
Max nice priority         0                    0                    
Max realtime priority     0                    0                    
Max realtime timeout      unlimited            unlimited            us        
";

    fn unlimited_everywhere() -> Vec<u8> {
        let mut out =
            b"Limit                     Soft Limit           Hard Limit           Units     \n"
                .to_vec();
        for r in Resource::ALL {
            out.extend_from_slice(
                format!(
                    "{:<25} {:<20} {:<20} {:<10}\n",
                    r.name(),
                    "unlimited",
                    "unlimited",
                    "x"
                )
                .as_bytes(),
            );
        }
        out
    }

    #[test]
    fn real_file() {
        let l = parse(REAL).unwrap();
        let row = |soft, hard, unit: &'static [u8]| Limit { soft, hard, unit };
        assert_eq!(l.max_cpu_time(), row(None, None, b"seconds"));
        assert_eq!(l.max_stack_size(), row(Some(8388608), None, b"bytes"));
        assert_eq!(l.max_core_file_size(), row(Some(0), None, b"bytes"));
        assert_eq!(
            l.max_processes(),
            row(Some(96365), Some(96365), b"processes")
        );
        assert_eq!(l.max_open_files(), row(Some(32768), Some(32768), b"files"));
        assert_eq!(l.max_nice_priority(), row(Some(0), Some(0), b""));
        assert_eq!(l.max_realtime_priority(), row(Some(0), Some(0), b""));
        assert_eq!(l.max_realtime_timeout(), row(None, None, b"us"));
        assert_eq!(
            l.get(Resource::MsgqueueSize),
            row(Some(819200), Some(819200), b"bytes")
        );
        assert_eq!(l.iter().count(), 16);
    }

    #[test]
    fn unlimited_everywhere_and_any_order() {
        let text = unlimited_everywhere();
        let l = parse(&text).unwrap();
        assert!(l
            .iter()
            .all(|(_, limit)| limit.soft.is_none() && limit.hard.is_none()));
        let reversed = reversed_lines(REAL);
        assert_eq!(parse(&reversed), parse(REAL));
    }

    #[test]
    fn extreme_values_and_unknown_rows() {
        let text = std::str::from_utf8(REAL).unwrap().replace(
            "Max file locks            unlimited            unlimited            locks     ",
            "Max file locks            18446744073709551614 0                    locks     \n\
             Max future thing          1                    2                    things    ",
        );
        let l = parse(text.as_bytes()).unwrap();
        assert_eq!(l.max_file_locks().soft, Some(u64::MAX - 1));
        assert_eq!(l.max_file_locks().hard, Some(0));
    }

    edits_name_the_field!(parse, FILE, REAL, {
        "Max nice priority         0                    0                    \n" => "":
            "Max nice priority",
        "8388608 " => "8388608x": "Max stack size",
        "96365                96365" => "96365": "Max processes",
        "819200 " => "-819200": "Max msgqueue size",
        "32768                32768" => "32768                18446744073709551616":
            "Max open files",
        "unlimited" => "Unlimited": "Max cpu time",
        // A name run into its value is not that row: the row goes missing.
        "Max cpu time              " => "Max cpu time 1": "Max cpu time",
    });

    never_panics!(parse, 800);
}
