//! `/proc/<pid>/status`: a process's vital signs as `Key:<TAB>value` lines.
//!
//! ```text
//! Name:   memfd:sealed-91             ← the command name; may itself contain ':'
//! Umask:  0022
//! State:  S (sleeping)
//! Tgid:   1037
//! Pid:    1037
//! PPid:   1
//! Uid:    0   0   0   0               ← real, effective, saved, filesystem
//! Gid:    0   0   0   0
//! FDSize: 256                         ← fd table slots (not open fds)
//! VmPeak:     5588 kB                 ← absent for kernel threads, like every Vm*/Rss* line
//! VmRSS:      1088 kB
//! RssAnon:     100 kB
//! …
//! Threads:        1
//! voluntary_ctxt_switches:        4114
//! nonvoluntary_ctxt_switches:     45
//! ```
//!
//! (Abridged, and the tab the kernel writes after each colon is shown as spaces.)
//!
//! The real file has about 59 lines. Each line is split at its **first** colon only,
//! because the `Name` value is the command name and a command may be called `memfd:sealed-91`.
//! `Name` is escaped by the kernel (`\n` → `\\n`, `\` → `\\`), so it never spans lines; it is
//! returned as those raw bytes.
//!
//! [`parse`] makes one pass over the lines, matching each key once and parsing the values of the
//! keys below into a struct, so accessors are plain loads. Everything else stays reachable as raw
//! bytes through [`Status::iter`] and [`Status::get`].
//!
//! | accessor | key | present |
//! |---|---|---|
//! | [`name`](Status::name), [`name_str`](Status::name_str) | `Name` | always |
//! | [`state`](Status::state) | `State` | always |
//! | [`tgid`](Status::tgid), [`pid`](Status::pid), [`ppid`](Status::ppid) | `Tgid`, `Pid`, `PPid` | always |
//! | [`uid`](Status::uid), [`gid`](Status::gid) | `Uid`, `Gid` | always |
//! | [`fd_size`](Status::fd_size) | `FDSize` | always |
//! | [`threads`](Status::threads) | `Threads` | always |
//! | `vm_*_bytes`, `rss_*_bytes` | `VmPeak`, `VmSize`, `VmLck`, `VmHWM`, `VmRSS`, `RssAnon`, `RssFile`, `RssShmem`, `VmData`, `VmStk`, `VmExe`, `VmLib`, `VmPTE`, `VmSwap` | user processes only |
//! | [`voluntary_ctxt_switches`](Status::voluntary_ctxt_switches), [`nonvoluntary_ctxt_switches`](Status::nonvoluntary_ctxt_switches) | same | since 2.6.23 |
//! | [`nspid`](Status::nspid) | `NSpid` | since 4.1 |
//!
//! An "always" key that is missing is an error; an optional one that is missing is `None`; any of
//! them present but malformed is an error naming the key. `NSpid` alone is checked when it is
//! asked for, by [`Status::nspid`], so that `parse` accepts what it always accepted.
//!
//! ```
//! let text = b"Name:\tsh\nState:\tS (sleeping)\nTgid:\t7\nPid:\t7\nPPid:\t1\nUid:\t0\t0\t0\t0\n\
//!              Gid:\t0\t0\t0\t0\nFDSize:\t64\nVmRSS:\t    1628 kB\nThreads:\t1\n";
//! let st = procfast::parse::status::parse(text)?;
//! assert_eq!(st.name(), b"sh");
//! assert_eq!(st.vm_rss_bytes(), Some(1628 * 1024));
//! assert_eq!(st.vm_swap_bytes(), None);
//! assert_eq!(st.get(b"State"), Some(&b"S (sleeping)"[..]));
//! # Ok::<(), procfast::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::parse::text;

const FILE: &str = "status";

/// The four ids of a `Uid:` or `Gid:` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ids {
    /// The real id: who owns the process.
    pub real: u32,
    /// The effective id: what permission checks use.
    pub effective: u32,
    /// The saved set-id.
    pub saved: u32,
    /// The filesystem id: what file access checks use.
    pub filesystem: u32,
}

/// The parsed `/proc/<pid>/status`, borrowing the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status<'a> {
    body: &'a [u8],
    name: &'a [u8],
    state: u8,
    tgid: i32,
    pid: i32,
    ppid: i32,
    uid: Ids,
    gid: Ids,
    fd_size: u32,
    threads: u64,
    vm_peak: Option<u64>,
    vm_size: Option<u64>,
    vm_lck: Option<u64>,
    vm_hwm: Option<u64>,
    vm_rss: Option<u64>,
    rss_anon: Option<u64>,
    rss_file: Option<u64>,
    rss_shmem: Option<u64>,
    vm_data: Option<u64>,
    vm_stk: Option<u64>,
    vm_exe: Option<u64>,
    vm_lib: Option<u64>,
    vm_pte: Option<u64>,
    vm_swap: Option<u64>,
    voluntary_ctxt_switches: Option<u64>,
    nonvoluntary_ctxt_switches: Option<u64>,
    nspid: Option<&'a [u8]>,
}

/// The value of a line, after the tab the kernel writes following the colon.
#[inline]
fn value_of(after_colon: &[u8]) -> &[u8] {
    after_colon.strip_prefix(b"\t").unwrap_or(after_colon)
}

/// The four ids of a `Uid:`/`Gid:` value; words after the fourth are ignored.
#[inline]
fn ids(cursor: &mut text::Cursor<'_>) -> Option<Ids> {
    let mut next = || u32::try_from(cursor.u64_word()?).ok();
    let ids = Ids {
        real: next()?,
        effective: next()?,
        saved: next()?,
        filesystem: next()?,
    };
    cursor.skip_line();
    Some(ids)
}

/// Parses the bytes of one `/proc/<pid>/status` (or `/proc/<pid>/task/<tid>/status`) file.
///
/// A value is the text after the colon, trimmed of blanks; numbers must be strict decimals and
/// `Vm*`/`Rss*` values `<digits> kB`. `Uid` and `Gid` need four ids (more are ignored).
pub fn parse(buf: &[u8]) -> Result<Status<'_>> {
    let body = text::body(buf, FILE)?;
    let mut name = None;
    let mut state = None;
    let (mut tgid, mut pid, mut ppid) = (None, None, None);
    let (mut uid, mut gid) = (None, None);
    let (mut fd_size, mut threads) = (None, None);
    let mut st = Status {
        body,
        name: b"",
        state: 0,
        tgid: 0,
        pid: 0,
        ppid: 0,
        uid: Ids {
            real: 0,
            effective: 0,
            saved: 0,
            filesystem: 0,
        },
        gid: Ids {
            real: 0,
            effective: 0,
            saved: 0,
            filesystem: 0,
        },
        fd_size: 0,
        threads: 0,
        vm_peak: None,
        vm_size: None,
        vm_lck: None,
        vm_hwm: None,
        vm_rss: None,
        rss_anon: None,
        rss_file: None,
        rss_shmem: None,
        vm_data: None,
        vm_stk: None,
        vm_exe: None,
        vm_lib: None,
        vm_pte: None,
        vm_swap: None,
        voluntary_ctxt_switches: None,
        nonvoluntary_ctxt_switches: None,
        nspid: None,
    };
    let mut c = text::Cursor::new(buf);
    let err = |field| Error::parse(FILE, field);
    while !c.is_empty() {
        let Some(key) = c.key(b':') else {
            c.skip_line();
            continue;
        };
        macro_rules! kb {
            ($slot:ident, $field:literal) => {
                st.$slot = Some(c.kb_line().ok_or(err($field))?)
            };
        }
        macro_rules! number {
            ($field:literal, $ty:ty) => {
                Some(
                    c.u64_line()
                        .and_then(|v| <$ty>::try_from(v).ok())
                        .ok_or(err($field))?,
                )
            };
        }
        match key {
            b"Name" => name = Some(value_of(c.line())),
            b"State" => {
                c.skip_blanks();
                match c.byte() {
                    Some(b'\n') | None => return Err(err("State")),
                    Some(letter) => state = Some(letter),
                }
                c.skip_line();
            }
            b"Tgid" => tgid = number!("Tgid", i32),
            b"Pid" => pid = number!("Pid", i32),
            b"PPid" => ppid = number!("PPid", i32),
            b"Uid" => uid = Some(ids(&mut c).ok_or(err("Uid"))?),
            b"Gid" => gid = Some(ids(&mut c).ok_or(err("Gid"))?),
            b"FDSize" => fd_size = number!("FDSize", u32),
            b"VmPeak" => kb!(vm_peak, "VmPeak"),
            b"VmSize" => kb!(vm_size, "VmSize"),
            b"VmLck" => kb!(vm_lck, "VmLck"),
            b"VmHWM" => kb!(vm_hwm, "VmHWM"),
            b"VmRSS" => kb!(vm_rss, "VmRSS"),
            b"RssAnon" => kb!(rss_anon, "RssAnon"),
            b"RssFile" => kb!(rss_file, "RssFile"),
            b"RssShmem" => kb!(rss_shmem, "RssShmem"),
            b"VmData" => kb!(vm_data, "VmData"),
            b"VmStk" => kb!(vm_stk, "VmStk"),
            b"VmExe" => kb!(vm_exe, "VmExe"),
            b"VmLib" => kb!(vm_lib, "VmLib"),
            b"VmPTE" => kb!(vm_pte, "VmPTE"),
            b"VmSwap" => kb!(vm_swap, "VmSwap"),
            b"Threads" => threads = number!("Threads", u64),
            b"NSpid" => st.nspid = Some(value_of(c.line())),
            b"voluntary_ctxt_switches" => {
                st.voluntary_ctxt_switches = number!("voluntary_ctxt_switches", u64)
            }
            b"nonvoluntary_ctxt_switches" => {
                st.nonvoluntary_ctxt_switches = number!("nonvoluntary_ctxt_switches", u64)
            }
            _ => c.skip_line(),
        }
    }
    st.name = name.ok_or(err("Name"))?;
    st.state = state.ok_or(err("State"))?;
    st.tgid = tgid.ok_or(err("Tgid"))?;
    st.pid = pid.ok_or(err("Pid"))?;
    st.ppid = ppid.ok_or(err("PPid"))?;
    st.uid = uid.ok_or(err("Uid"))?;
    st.gid = gid.ok_or(err("Gid"))?;
    st.fd_size = fd_size.ok_or(err("FDSize"))?;
    st.threads = threads.ok_or(err("Threads"))?;
    Ok(st)
}

impl<'a> Status<'a> {
    /// `Name`: the command name as the kernel escaped it (`\n` written as `\\n`, `\` as `\\`).
    pub fn name(&self) -> &'a [u8] {
        self.name
    }

    /// `Name` as UTF-8, or `Error::Parse { file: "status", field: "Name" }` if it is not.
    pub fn name_str(&self) -> Result<&'a str> {
        core::str::from_utf8(self.name).map_err(|_| Error::parse(FILE, "Name"))
    }

    /// `State`: the state letter (`R`, `S`, `D`, `Z`, `T`, `t`, `X`, `I`); the same as in `stat`.
    pub fn state(&self) -> u8 {
        self.state
    }

    /// `Tgid`: the thread group id, i.e. the process id.
    pub fn tgid(&self) -> i32 {
        self.tgid
    }

    /// `Pid`: the thread id (equal to `tgid` for a process's main thread).
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// `PPid`: the parent's process id.
    pub fn ppid(&self) -> i32 {
        self.ppid
    }

    /// `Uid`: real, effective, saved and filesystem user ids.
    pub fn uid(&self) -> Ids {
        self.uid
    }

    /// `Gid`: real, effective, saved and filesystem group ids.
    pub fn gid(&self) -> Ids {
        self.gid
    }

    /// `FDSize`: slots in the fd table (a power of two ≥ the highest fd), not the open count.
    pub fn fd_size(&self) -> u32 {
        self.fd_size
    }

    /// `Threads`: threads in the process.
    pub fn threads(&self) -> u64 {
        self.threads
    }

    /// `VmPeak`: peak virtual memory size, in bytes.
    pub fn vm_peak_bytes(&self) -> Option<u64> {
        self.vm_peak
    }

    /// `VmSize`: virtual memory size, in bytes.
    pub fn vm_size_bytes(&self) -> Option<u64> {
        self.vm_size
    }

    /// `VmLck`: locked memory (`mlock`), in bytes.
    pub fn vm_lck_bytes(&self) -> Option<u64> {
        self.vm_lck
    }

    /// `VmHWM`: peak resident set size ("high water mark"), in bytes.
    pub fn vm_hwm_bytes(&self) -> Option<u64> {
        self.vm_hwm
    }

    /// `VmRSS`: resident set size (`RssAnon + RssFile + RssShmem`), in bytes.
    pub fn vm_rss_bytes(&self) -> Option<u64> {
        self.vm_rss
    }

    /// `RssAnon`: resident anonymous memory, in bytes (since 4.5).
    pub fn rss_anon_bytes(&self) -> Option<u64> {
        self.rss_anon
    }

    /// `RssFile`: resident file mappings, in bytes (since 4.5).
    pub fn rss_file_bytes(&self) -> Option<u64> {
        self.rss_file
    }

    /// `RssShmem`: resident shared memory (SysV shm, tmpfs, shared anonymous), in bytes
    /// (since 4.5).
    pub fn rss_shmem_bytes(&self) -> Option<u64> {
        self.rss_shmem
    }

    /// `VmData`: data segment size, in bytes.
    pub fn vm_data_bytes(&self) -> Option<u64> {
        self.vm_data
    }

    /// `VmStk`: stack size, in bytes.
    pub fn vm_stk_bytes(&self) -> Option<u64> {
        self.vm_stk
    }

    /// `VmExe`: text segment size, in bytes.
    pub fn vm_exe_bytes(&self) -> Option<u64> {
        self.vm_exe
    }

    /// `VmLib`: shared library code size, in bytes.
    pub fn vm_lib_bytes(&self) -> Option<u64> {
        self.vm_lib
    }

    /// `VmPTE`: page table size, in bytes.
    pub fn vm_pte_bytes(&self) -> Option<u64> {
        self.vm_pte
    }

    /// `VmSwap`: swapped-out anonymous memory, in bytes.
    pub fn vm_swap_bytes(&self) -> Option<u64> {
        self.vm_swap
    }

    /// `voluntary_ctxt_switches`: times the process gave up the CPU (blocked).
    pub fn voluntary_ctxt_switches(&self) -> Option<u64> {
        self.voluntary_ctxt_switches
    }

    /// `nonvoluntary_ctxt_switches`: times the process was preempted.
    pub fn nonvoluntary_ctxt_switches(&self) -> Option<u64> {
        self.nonvoluntary_ctxt_switches
    }

    /// `NSpid`: the thread's pid in each pid namespace it is in, from the namespace of the procfs
    /// mount read (the same as [`pid`](Status::pid)) down to the process's own (the last); one
    /// pid where the process is in that namespace itself. `Ok(None)` before Linux 4.1, which
    /// does not write the line; `Error::Parse { file: "status", field: "NSpid" }` if a value is
    /// not a pid.
    ///
    /// ```
    /// let text = b"Name:\tsh\nState:\tS\nTgid:\t9\nPid:\t9\nPPid:\t1\nUid:\t0\t0\t0\t0\n\
    ///              Gid:\t0\t0\t0\t0\nFDSize:\t64\nNSpid:\t9\t1\nThreads:\t1\n";
    /// let st = procfast::parse::status::parse(text)?;
    /// let pids: Vec<i32> = st.nspid()?.unwrap().collect();
    /// assert_eq!(pids, [9, 1]);
    /// assert_eq!(st.nspid()?.unwrap().last(), Some(1));
    /// # Ok::<(), procfast::Error>(())
    /// ```
    pub fn nspid(&self) -> Result<Option<NsPids<'a>>> {
        let Some(value) = self.nspid else {
            return Ok(None);
        };
        let mut words = text::words(value);
        if words.clone().next().is_none() || !words.all(|w| pid_word(w).is_some()) {
            return Err(Error::parse(FILE, "NSpid"));
        }
        Ok(Some(NsPids {
            words: text::words(value),
        }))
    }

    /// Every `(key, value)` pair in file order, known or not: the key before the first colon,
    /// the value after it without the kernel's separating tab (so `Vm*` values keep their padding
    /// and ` kB`). Lines without a colon are skipped.
    pub fn iter(&self) -> Fields<'a> {
        Fields {
            lines: text::keyed_lines(self.body, b':'),
        }
    }

    /// The raw value of the first line whose key is `key`, as [`Status::iter`] yields it; for
    /// keys without an accessor (`Umask`, `Cpus_allowed_list`, `SigQ`, …). A linear scan.
    pub fn get(&self, key: &[u8]) -> Option<&'a [u8]> {
        self.iter().find(|&(k, _)| k == key).map(|(_, v)| v)
    }
}

/// A pid of an `NSpid` line: a strict decimal above 0 that fits an `i32`.
fn pid_word(word: &[u8]) -> Option<i32> {
    crate::parse::num::i32_dec(word).filter(|&pid| pid > 0)
}

/// Iterator over the pids of an `NSpid` line, outermost namespace first; see [`Status::nspid`].
#[derive(Clone, Debug)]
pub struct NsPids<'a> {
    words: text::Words<'a>,
}

impl Iterator for NsPids<'_> {
    type Item = i32;

    fn next(&mut self) -> Option<i32> {
        // `Status::nspid` checked every word.
        self.words.next().and_then(pid_word)
    }
}

/// Iterator over the `(key, value)` pairs of a [`Status`]; see [`Status::iter`].
#[derive(Clone, Debug)]
pub struct Fields<'a> {
    lines: text::KeyedLines<'a>,
}

impl<'a> Iterator for Fields<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let (key, rest) = self.lines.next()?;
        Some((key, value_of(rest)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testing::edits_name_the_field;
    use crate::parse::testing::never_panics;
    use crate::parse::testing::replaced;
    use proptest::prelude::*;

    /// This machine's `/proc/1037/status` (kernel 6.18): a process named `memfd:sealed-91`.
    const REAL: &[u8] = b"Name:\tmemfd:sealed-91
Umask:\t0022
State:\tS (sleeping)
Tgid:\t1037
Ngid:\t0
Pid:\t1037
PPid:\t1
TracerPid:\t0
Uid:\t0\t0\t0\t0
Gid:\t0\t0\t0\t0
FDSize:\t256
Groups:\t 
NStgid:\t1037
NSpid:\t1037
NSpgid:\t1037
NSsid:\t0
Kthread:\t0
VmPeak:\t    5588 kB
VmSize:\t    1388 kB
VmLck:\t       0 kB
VmPin:\t       0 kB
VmHWM:\t    1624 kB
VmRSS:\t    1088 kB
RssAnon:\t     100 kB
RssFile:\t       4 kB
RssShmem:\t     984 kB
VmData:\t     100 kB
VmStk:\t     132 kB
VmExe:\t     844 kB
VmLib:\t       8 kB
VmPTE:\t      36 kB
VmSwap:\t       0 kB
HugetlbPages:\t       0 kB
CoreDumping:\t0
THP_enabled:\t1
untag_mask:\t0xffffffffffffffff
Threads:\t1
SigQ:\t0/96365
SigPnd:\t0000000000000000
ShdPnd:\t0000000000000000
SigBlk:\t0000000000000000
SigIgn:\t0000000010001000
SigCgt:\t0000000000004440
CapInh:\t0000000000000000
CapPrm:\t000001fffeffffff
CapEff:\t000001fffeffffff
CapBnd:\t000001fffeffffff
CapAmb:\t0000000000000000
NoNewPrivs:\t0
Seccomp:\t0
Seccomp_filters:\t0
Speculation_Store_Bypass:\tvulnerable
SpeculationIndirectBranch:\talways enabled
Cpus_allowed:\t3
Cpus_allowed_list:\t0-1
Mems_allowed:\t00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000001
Mems_allowed_list:\t0
voluntary_ctxt_switches:\t4114
nonvoluntary_ctxt_switches:\t45
";

    /// A kernel thread (`/proc/2/status` here): no Vm*/Rss* lines at all.
    const KTHREAD: &[u8] = b"Name:\tkthreadd\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t2\nNgid:\t0\nPid:\t2\nPPid:\t0\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t \nNStgid:\t2\nNSpid:\t2\nNSpgid:\t0\nNSsid:\t0\nKthread:\t1\nThreads:\t1\nSigQ:\t0/96365\nvoluntary_ctxt_switches:\t112\nnonvoluntary_ctxt_switches:\t0\n";

    #[test]
    fn real_file_with_a_colon_in_the_name() {
        let st = parse(REAL).unwrap();
        assert_eq!(st.name(), b"memfd:sealed-91");
        assert_eq!(st.name_str(), Ok("memfd:sealed-91"));
        assert_eq!(
            (st.state(), st.tgid(), st.pid(), st.ppid()),
            (b'S', 1037, 1037, 1)
        );
        let root = Ids {
            real: 0,
            effective: 0,
            saved: 0,
            filesystem: 0,
        };
        assert_eq!(
            (st.uid(), st.gid(), st.fd_size(), st.threads()),
            (root, root, 256, 1)
        );
        assert_eq!(st.vm_peak_bytes(), Some(5588 * 1024));
        assert_eq!(st.vm_size_bytes(), Some(1388 * 1024));
        assert_eq!(st.vm_hwm_bytes(), Some(1624 * 1024));
        assert_eq!(st.vm_rss_bytes(), Some(1088 * 1024));
        assert_eq!(st.rss_anon_bytes(), Some(100 * 1024));
        assert_eq!(st.rss_file_bytes(), Some(4 * 1024));
        assert_eq!(st.rss_shmem_bytes(), Some(984 * 1024));
        assert_eq!(st.vm_exe_bytes(), Some(844 * 1024));
        assert_eq!(st.vm_pte_bytes(), Some(36 * 1024));
        assert_eq!(st.vm_swap_bytes(), Some(0));
        assert_eq!(st.voluntary_ctxt_switches(), Some(4114));
        assert_eq!(st.nonvoluntary_ctxt_switches(), Some(45));
        assert_eq!(st.get(b"SigQ"), Some(&b"0/96365"[..]));
        assert_eq!(st.get(b"Groups"), Some(&b" "[..]));
        assert_eq!(st.get(b"Nope"), None);
        assert_eq!(st.nspid().unwrap().unwrap().collect::<Vec<_>>(), [1037]);
        assert_eq!(st.iter().count(), 59);
        assert_eq!(
            st.iter().next(),
            Some((&b"Name"[..], &b"memfd:sealed-91"[..]))
        );
    }

    #[test]
    fn kernel_thread_has_no_memory_lines() {
        let st = parse(KTHREAD).unwrap();
        assert_eq!((st.name(), st.pid(), st.ppid()), (&b"kthreadd"[..], 2, 0));
        assert_eq!(
            (st.vm_rss_bytes(), st.vm_size_bytes(), st.vm_swap_bytes()),
            (None, None, None)
        );
        assert_eq!(st.voluntary_ctxt_switches(), Some(112));
    }

    #[test]
    fn odd_names_are_kept_verbatim() {
        const NAMES: &[&[u8]] = &[
            b"a:b:c",
            b" lead",
            b"tab\there",
            b"esc\\\\aped\\n",
            b"",
            b"\xff",
        ];
        for &name in NAMES {
            let text = [&b"Name:\t"[..], name, &KTHREAD[b"Name:\tkthreadd".len()..]].concat();
            let st = parse(&text).unwrap();
            assert_eq!(st.name(), name);
            assert_eq!(st.name_str().is_ok(), core::str::from_utf8(name).is_ok());
        }
    }

    edits_name_the_field!(parse, FILE, REAL, {
        "Threads:\t1\n" => "": "Threads",
        "Name:" => "Nome:": "Name",
        "State:\tS (sleeping)" => "State:\t": "State",
        "PPid:\t1" => "PPid:\tone": "PPid",
        "Uid:\t0\t0\t0\t0" => "Uid:\t0\t0\t0": "Uid",
        "Gid:\t0\t0\t0\t0" => "Gid:\t0\t0\t0\t4294967296": "Gid",
        // Present but malformed optional fields are errors too.
        "    1624 kB" => "    1624": "VmHWM",
        "     100 kB" => "     -100 kB": "RssAnon",
        "VmSwap:\t       0 kB" => "VmSwap:\t18014398509481984 kB": "VmSwap",
        "voluntary_ctxt_switches:\t4114" => "voluntary_ctxt_switches:\t4114x":
            "voluntary_ctxt_switches",
    });

    #[test]
    fn unknown_keys_are_never_validated() {
        let text = replaced(REAL, "SigQ:\t0/96365", "SigQ:\t???");
        assert_eq!(
            parse(&text).map(|st| st.get(b"SigQ")),
            Ok(Some(&b"???"[..]))
        );
    }

    #[test]
    fn nspid_is_checked_when_asked_for() {
        let nspid = |line: &str| {
            let text = std::str::from_utf8(REAL)
                .unwrap()
                .replacen("NSpid:\t1037", line, 1);
            let st = parse(text.as_bytes())
                .map(|st| st.nspid().map(|p| p.map(Iterator::collect::<Vec<_>>)));
            st.unwrap()
        };
        assert_eq!(nspid("NSpid:\t1037\t12\t1"), Ok(Some(vec![1037, 12, 1])));
        assert_eq!(nspid("NSnope:\t1"), Ok(None));
        for bad in [
            "NSpid:\t",
            "NSpid:\t1 x",
            "NSpid:\t-1",
            "NSpid:\t0",
            "NSpid:\t2147483648",
        ] {
            assert_eq!(nspid(bad), Err(Error::parse(FILE, "NSpid")), "{bad}");
        }
    }

    never_panics!(parse, 600);

    proptest! {
        #[test]
        fn a_cut_file_is_an_error_unless_cut_after_the_last_required_line(cut in 0..REAL.len()) {
            let part = &REAL[..cut];
            let threads_line = memchr::memmem::find(part, b"Threads:\t1\n").is_some();
            match parse(part) {
                Ok(st) => {
                    prop_assert!(threads_line && part.ends_with(b"\n"));
                    prop_assert_eq!(st.name(), b"memfd:sealed-91");
                }
                Err(_) => prop_assert!(!threads_line || !part.ends_with(b"\n")),
            }
        }
    }
}
