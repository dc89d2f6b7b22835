//! `/proc/stat`: system-wide CPU time and scheduler counters.
//!
//! ```text
//! cpu  13241 0 2604 38198 257 0 23 16 0 0      ← all CPUs: user nice system idle iowait irq softirq steal guest guest_nice
//! cpu0 6486 0 1128 19493 61 0 4 4 0 0          ← one line per online CPU (offline ones are skipped)
//! cpu1 6755 0 1475 18705 195 0 18 12 0 0
//! intr 129114 0 0 0 …                          ← hundreds of per-IRQ counts: skipped
//! ctxt 199329                                  ← context switches since boot
//! btime 1795303762                             ← boot time, seconds since the epoch
//! processes 4302                               ← forks since boot
//! procs_running 3
//! procs_blocked 0
//! softirq 59748 0 9597 …                       ← skipped
//! ```
//!
//! CPU times are in clock ticks (`USER_HZ`): keep the raw ticks for rates, or convert with the
//! `*_seconds(ticks_per_second)` methods of [`CpuTime`]. The first four columns are in every
//! kernel; `iowait`, `irq`, `softirq` (2.6.0), `steal` (2.6.11), `guest` (2.6.24) and
//! `guest_nice` (2.6.33) are `Option`s. Note that `user` and `nice` already include `guest` and
//! `guest_nice`.
//!
//! [`parse`] reads the lines it needs and validates every `cpuN` line; [`ProcStat::cpus`] then
//! re-reads them from the borrowed bytes, so nothing is stored per CPU.
//!
//! ```
//! let text = b"cpu  13241 0 2604 38198 257 0 23 16 0 0\n\
//!               cpu0 6486 0 1128 19493 61 0 4 4 0 0\n\
//!               cpu1 6755 0 1475 18705 195 0 18 12 0 0\n\
//!               intr 129114 0 0 0\nctxt 199329\nbtime 1795303762\nprocesses 4302\n\
//!               procs_running 3\nprocs_blocked 0\nsoftirq 59748 0 9597 4\n";
//! let st = procfast::parse::proc_stat::parse(text)?;
//! assert_eq!(st.total.user, 13241);
//! assert_eq!(st.total.user_seconds(100), 132.41);
//! let (id, cpu1) = st.cpus().nth(1).expect("two CPUs");
//! assert_eq!((id, cpu1.idle), (1, 18705));
//! assert_eq!((st.btime, st.procs_running), (1795303762, 3));
//! # Ok::<(), procfast::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::parse::num::{u32_dec, u64_dec};
use crate::parse::{text, ticks_to_seconds};

const FILE: &str = "stat";

/// Time spent in each CPU state, in clock ticks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CpuTime {
    /// Normal processes in user mode (includes `guest`).
    pub user: u64,
    /// Niced processes in user mode (includes `guest_nice`).
    pub nice: u64,
    /// Kernel mode.
    pub system: u64,
    /// Idle.
    pub idle: u64,
    /// Idle while I/O was outstanding (unreliable: may even decrease).
    pub iowait: Option<u64>,
    /// Servicing hardware interrupts.
    pub irq: Option<u64>,
    /// Servicing softirqs.
    pub softirq: Option<u64>,
    /// Stolen by the hypervisor for other guests.
    pub steal: Option<u64>,
    /// Running a virtual CPU for a guest.
    pub guest: Option<u64>,
    /// Running a niced guest.
    pub guest_nice: Option<u64>,
}

macro_rules! seconds {
    ($($field:ident $method:ident;)*) => {$(
        #[doc = concat!("`", stringify!($field), "` in seconds, given `sysconf(_SC_CLK_TCK)`.")]
        pub fn $method(&self, ticks_per_second: u64) -> f64 {
            ticks_to_seconds(self.$field, ticks_per_second)
        }
    )*};
    ($($field:ident $method:ident?;)*) => {$(
        #[doc = concat!("`", stringify!($field), "` in seconds, given `sysconf(_SC_CLK_TCK)`; `None` on kernels without it.")]
        pub fn $method(&self, ticks_per_second: u64) -> Option<f64> {
            self.$field.map(|t| ticks_to_seconds(t, ticks_per_second))
        }
    )*};
}

impl CpuTime {
    seconds! {
        user user_seconds;
        nice nice_seconds;
        system system_seconds;
        idle idle_seconds;
    }
    seconds! {
        iowait iowait_seconds?;
        irq irq_seconds?;
        softirq softirq_seconds?;
        steal steal_seconds?;
        guest guest_seconds?;
        guest_nice guest_nice_seconds?;
    }
}

/// Parses the columns after `cpu`/`cpuN`; `field` names the line in errors.
fn cpu_time(columns: &[u8], field: &'static str) -> Result<CpuTime> {
    let mut rest = columns;
    let err = Error::parse(FILE, field);
    let mut req = || text::next_u64(&mut rest).ok().flatten().ok_or(err);
    let (user, nice, system, idle) = (req()?, req()?, req()?, req()?);
    // Once the line has ended, `next_u64` keeps answering `Ok(None)`.
    let mut opt = || text::next_u64(&mut rest).map_err(|()| err);
    Ok(CpuTime {
        user,
        nice,
        system,
        idle,
        iowait: opt()?,
        irq: opt()?,
        softirq: opt()?,
        steal: opt()?,
        guest: opt()?,
        guest_nice: opt()?,
    })
}

/// `Some((id, columns))` for a `cpuN …` line.
#[inline]
fn per_cpu(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = line.strip_prefix(b"cpu")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let (id, columns) = rest.split_at(digits);
    Some((id, columns))
}

/// The parsed `/proc/stat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProcStat<'a> {
    /// The `cpu` line: all CPUs together.
    pub total: CpuTime,
    /// `ctxt`: context switches since boot.
    pub ctxt: u64,
    /// `btime`: boot time, in seconds since the Unix epoch.
    pub btime: u64,
    /// `processes`: processes and threads created since boot.
    pub processes: u64,
    /// `procs_running`: runnable threads right now.
    pub procs_running: u32,
    /// `procs_blocked`: threads blocked on I/O right now.
    pub procs_blocked: u32,
    /// From the first `cpuN` line to the end of the last one.
    cpu_lines: &'a [u8],
    cpu_count: usize,
}

/// Parses the bytes of `/proc/stat`.
///
/// Errors name `cpu` for the total line, `cpuN` for any per-CPU line, else the key (`ctxt`,
/// `btime`, `processes`, `procs_running`, `procs_blocked`) that is missing or malformed.
pub fn parse(buf: &[u8]) -> Result<ProcStat<'_>> {
    let body = text::body(buf, FILE)?;
    let (mut total, mut ctxt, mut btime, mut processes) = (None, None, None, None);
    let (mut procs_running, mut procs_blocked) = (None, None);
    let (mut cpu_start, mut cpu_end, mut cpu_count) = (None, 0, 0);
    let mut offset = 0;
    for line in text::lines(body) {
        let line_start = offset;
        offset += line.len() + 1;
        if let Some((id, columns)) = per_cpu(line) {
            u32_dec(id).ok_or(Error::parse(FILE, "cpuN"))?;
            cpu_time(columns, "cpuN")?;
            cpu_start.get_or_insert(line_start);
            cpu_end = line_start + line.len();
            cpu_count += 1;
            continue;
        }
        let (key, value) = text::split_once(line, b' ').unwrap_or((line, b""));
        let number = |field| u64_dec(text::trim(value)).ok_or(Error::parse(FILE, field));
        let small = |field| u32_dec(text::trim(value)).ok_or(Error::parse(FILE, field));
        match key {
            b"cpu" => total = Some(cpu_time(value, "cpu")?),
            b"ctxt" => ctxt = Some(number("ctxt")?),
            b"btime" => btime = Some(number("btime")?),
            b"processes" => processes = Some(number("processes")?),
            b"procs_running" => procs_running = Some(small("procs_running")?),
            b"procs_blocked" => procs_blocked = Some(small("procs_blocked")?),
            _ => {}
        }
    }
    let cpu_lines = cpu_start
        .and_then(|start| body.get(start..cpu_end))
        .unwrap_or_default();
    Ok(ProcStat {
        total: total.ok_or(Error::parse(FILE, "cpu"))?,
        ctxt: ctxt.ok_or(Error::parse(FILE, "ctxt"))?,
        btime: btime.ok_or(Error::parse(FILE, "btime"))?,
        processes: processes.ok_or(Error::parse(FILE, "processes"))?,
        procs_running: procs_running.ok_or(Error::parse(FILE, "procs_running"))?,
        procs_blocked: procs_blocked.ok_or(Error::parse(FILE, "procs_blocked"))?,
        cpu_lines,
        cpu_count,
    })
}

impl<'a> ProcStat<'a> {
    /// The `cpuN` lines in file order, as `(N, times)`. CPU numbers can have gaps where CPUs are
    /// offline.
    pub fn cpus(&self) -> Cpus<'a> {
        Cpus {
            lines: text::lines(self.cpu_lines),
            left: self.cpu_count,
        }
    }
}

/// Iterator over the per-CPU lines of a [`ProcStat`].
#[derive(Clone, Debug)]
pub struct Cpus<'a> {
    lines: text::Lines<'a>,
    left: usize,
}

impl Iterator for Cpus<'_> {
    type Item = (u32, CpuTime);

    fn next(&mut self) -> Option<(u32, CpuTime)> {
        for line in self.lines.by_ref() {
            // Lines between cpuN lines (none in kernel output) are skipped; cpuN lines were
            // validated by `parse`.
            if let Some((id, columns)) = per_cpu(line) {
                self.left = self.left.saturating_sub(1);
                return Some((u32_dec(id)?, cpu_time(columns, "cpuN").ok()?));
            }
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Cpus<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testing::edits_name_the_field;
    use proptest::prelude::*;

    /// This machine's `/proc/stat`, with the 300-odd zero IRQ counts of `intr` abridged.
    const REAL: &[u8] = b"cpu  13241 0 2604 38198 257 0 23 16 0 0
cpu0 6486 0 1128 19493 61 0 4 4 0 0
cpu1 6755 0 1475 18705 195 0 18 12 0 0
intr 129114 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 1 14 0 0 0 0 54 26 0 17 1 8206 0 1625 1126 0 1422 2651 1 0 0 0 0 0 0 0
ctxt 199329
btime 1795303762
processes 4302
procs_running 3
procs_blocked 0
softirq 59748 0 9597 4 2580 8205 0 105 16594 0 22663
";

    /// In the shape of a 2.6.9 kernel's file: seven CPU columns, before steal and guest existed.
    const OLD: &[u8] = b"cpu  2255 34 2290 22625563 6290 127 456
cpu0 1132 34 1441 11311718 3675 127 438
cpu1 1123 0 849 11313845 2614 0 18
intr 114930548 113199788 3 0 5 263 0 4 0 1 0 0 0 0 0 0 0 0
ctxt 1990473
btime 1062191376
processes 2915
procs_running 1
procs_blocked 0
";

    #[test]
    fn real_file() {
        let st = parse(REAL).unwrap();
        let t = st.total;
        assert_eq!((t.user, t.nice, t.system, t.idle), (13241, 0, 2604, 38198));
        assert_eq!(
            (t.iowait, t.softirq, t.steal, t.guest_nice),
            (Some(257), Some(23), Some(16), Some(0))
        );
        assert_eq!(t.system_seconds(100), 26.04);
        assert_eq!(t.steal_seconds(100), Some(0.16));
        assert_eq!(
            (st.ctxt, st.btime, st.processes),
            (199329, 1795303762, 4302)
        );
        assert_eq!((st.procs_running, st.procs_blocked), (3, 0));
        let cpus: Vec<_> = st.cpus().collect();
        assert_eq!(st.cpus().len(), 2);
        assert_eq!(cpus[0].0, 0);
        assert_eq!(
            (cpus[1].0, cpus[1].1.user, cpus[1].1.steal),
            (1, 6755, Some(12))
        );
    }

    #[test]
    fn old_kernel_and_offline_cpus() {
        let st = parse(OLD).unwrap();
        assert_eq!(
            (st.total.softirq, st.total.steal, st.total.guest),
            (Some(456), None, None)
        );
        assert_eq!(st.total.guest_seconds(100), None);
        // CPU 1 offline: only cpu0 and cpu2 are listed.
        let text = std::str::from_utf8(REAL).unwrap().replace("cpu1 ", "cpu2 ");
        let st = parse(text.as_bytes()).unwrap();
        assert_eq!(st.cpus().map(|(id, _)| id).collect::<Vec<_>>(), [0, 2]);
        // No per-CPU lines at all.
        let text = std::str::from_utf8(REAL)
            .unwrap()
            .replace("cpu0 ", "xcpu0 ")
            .replace("cpu1 ", "xcpu1 ");
        assert_eq!(parse(text.as_bytes()).unwrap().cpus().count(), 0);
    }

    edits_name_the_field!(parse, FILE, REAL, {
        "cpu  13241 0 2604 38198 257 0 23 16 0 0" => "cpu  13241 0 2604": "cpu",
        "cpu " => "cpux ": "cpu",
        "6755 0 1475" => "6755 0 -1475": "cpuN",
        "cpu1 " => "cpu99999999999 ": "cpuN",
        "195 0 18 12 0 0" => "195 0 18 12 0 x": "cpuN",
        "ctxt 199329" => "ctxt": "ctxt",
        "btime 1795303762" => "boot 1795303762": "btime",
        "processes 4302" => "processes 18446744073709551616": "processes",
        "procs_running 3" => "procs_running 4294967296": "procs_running",
        "procs_blocked 0" => "procs_blocked": "procs_blocked",
    });

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok(st) = parse(&bytes) {
                prop_assert_eq!(st.cpus().count(), st.cpu_count);
            }
        }
    }
}
