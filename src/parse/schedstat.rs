//! `/proc/<pid>/schedstat` and `/proc/<pid>/task/<tid>/schedstat`: the scheduler's three
//! counters of a task (Linux ≥ 2.6.9, `CONFIG_SCHED_INFO`).
//!
//! ```text
//! 2357123645 40811563 1276
//! ```
//!
//! Time on the CPU (ns), time spent runnable but waiting on a runqueue (ns), and the number of
//! timeslices run: the kernel's `sum_exec_runtime`, `run_delay` and `pcount`. For a process
//! (`/proc/<pid>/schedstat`) they are its main thread's; each thread has its own under `task/`.
//! Where the kernel keeps no scheduler statistics (`schedstats` off and no delay accounting) the
//! last two stay 0. Time on the CPU is counted in nanoseconds, finer than the clock ticks of
//! `stat`'s `utime` + `stime`, and not split into user and system time.
//!
//! ```
//! let s = procfast::parse::schedstat::parse(b"2357123645 40811563 1276\n")?;
//! assert_eq!(s.cpu_time_ns, 2_357_123_645);
//! assert_eq!(s.run_delay_seconds(), 0.040811563);
//! assert_eq!(s.timeslices, 1276);
//! # Ok::<(), procfast::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::parse::{num, text};

const FILE: &str = "schedstat";

/// The three counters of `schedstat`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Schedstat {
    /// `sum_exec_runtime`: time spent on the CPU, in nanoseconds.
    pub cpu_time_ns: u64,
    /// `run_delay`: time spent runnable, waiting on a runqueue for a CPU, in nanoseconds.
    pub run_delay_ns: u64,
    /// `pcount`: timeslices run (times the task was put on a CPU).
    pub timeslices: u64,
}

impl Schedstat {
    /// [`cpu_time_ns`](Schedstat::cpu_time_ns) in seconds.
    pub fn cpu_time_seconds(&self) -> f64 {
        ns_to_seconds(self.cpu_time_ns)
    }

    /// [`run_delay_ns`](Schedstat::run_delay_ns) in seconds.
    pub fn run_delay_seconds(&self) -> f64 {
        ns_to_seconds(self.run_delay_ns)
    }
}

fn ns_to_seconds(ns: u64) -> f64 {
    ns as f64 / 1e9
}

/// Parses `schedstat`: three strict decimals separated by blanks, then the newline. Words after
/// the third (none today) are ignored.
pub fn parse(buf: &[u8]) -> Result<Schedstat> {
    let body = text::body(buf, FILE)?;
    match as_printed(body) {
        Some(schedstat) => Ok(schedstat),
        None => by_words(body),
    }
}

/// The line as the kernel prints it (`"%llu %llu %lu"`, one space apart): each number read and
/// delimited in one pass. `None` for anything else, which [`by_words`] then reads or rejects.
#[inline(always)]
fn as_printed(body: &[u8]) -> Option<Schedstat> {
    let (cpu_time_ns, len) = num::u64_prefix(body)?;
    let rest = body.get(len..)?.strip_prefix(b" ")?;
    let (run_delay_ns, len) = num::u64_prefix(rest)?;
    let rest = rest.get(len..)?.strip_prefix(b" ")?;
    let (timeslices, len) = num::u64_prefix(rest)?;
    match rest.get(len..)?.first() {
        None | Some(b' ' | b'\t') => Some(Schedstat {
            cpu_time_ns,
            run_delay_ns,
            timeslices,
        }),
        _ => None,
    }
}

/// The general reading: blank-separated words, errors naming the field.
#[cold]
fn by_words(mut rest: &[u8]) -> Result<Schedstat> {
    let mut next = |field| match text::next_u64(&mut rest) {
        Ok(Some(value)) => Ok(value),
        _ => Err(Error::parse(FILE, field)),
    };
    Ok(Schedstat {
        cpu_time_ns: next("sum_exec_runtime")?,
        run_delay_ns: next("run_delay")?,
        timeslices: next("pcount")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testing::errors_name_the_field;

    #[test]
    fn reads_the_three_counters() {
        let s = parse(b"2357123645 40811563 1276\n").unwrap();
        assert_eq!(
            (s.cpu_time_ns, s.run_delay_ns, s.timeslices),
            (2357123645, 40811563, 1276)
        );
        assert_eq!(s.cpu_time_seconds(), 2.357123645);
        assert_eq!(parse(b"0 0 0 7\n").unwrap(), Schedstat::default());
    }

    errors_name_the_field! { parse, FILE, [
        ("", "empty"),
        ("1 2 3", "newline"),
        ("x 2 3\n", "sum_exec_runtime"),
        ("1 -2 3\n", "run_delay"),
        ("1 2\n", "pcount"),
        ("1 2 18446744073709551616\n", "pcount"),
        ("1 2 3\n4\n", "pcount"),
    ] }
}
