//! Pressure stall information (PSI): `/proc/pressure/{cpu,memory,io}` and cgroup v2's
//! `cpu.pressure`, `memory.pressure`, `io.pressure` (Linux ≥ 4.20, `CONFIG_PSI`).
//!
//! ```text
//! some avg10=0.06 avg60=0.48 avg300=2.48 total=947173679
//! full avg10=0.00 avg60=0.00 avg300=0.00 total=0
//! │    │          │          │           └ total     µs stalled since boot (or cgroup creation)
//! │    │          │          └ avg300                % of the last 300 s spent stalled
//! │    │          └ avg60                            % of the last 60 s
//! │    └ avg10                                       % of the last 10 s
//! └ some: at least one task was stalled on the resource; full: all non-idle tasks were at once
//! ```
//!
//! Every file has a `some` line. `full` is `None` where the kernel does not write it: the
//! system-wide `cpu` file has it since 5.13 (always zeros there, since some task is always
//! running if any is), and older kernels lack it. The averages are printed as fixed point with two
//! decimals and parsed exactly (see [`uptime`](super::uptime)); `total` is in microseconds, see
//! [`Stall::total_seconds`]. Lines other than `some` and `full`, and fields after `total`, are
//! ignored. (cgroup v2's `irq.pressure` has only a `full` line and is not this format.)
//!
//! ```
//! use procfast::parse::pressure;
//!
//! let psi = pressure::parse(b"some avg10=0.06 avg60=0.48 avg300=2.48 total=947173679\n")?;
//! assert_eq!((psi.some.avg10, psi.some.avg300), (0.06, 2.48));
//! assert_eq!(psi.some.total_seconds(), 947.173679);
//! assert!(psi.full.is_none()); // a kernel older than 5.13, reading cpu
//! # Ok::<(), procfast::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::parse::num::u64_prefix;
use crate::parse::text;
use crate::parse::uptime::decimal_prefix;

/// A resource whose pressure the kernel reports: which `/proc/pressure/` file to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Pressure {
    /// Tasks waiting for a CPU.
    Cpu,
    /// Tasks waiting for memory: reclaim, refaults, swap-in, compaction.
    Memory,
    /// Tasks waiting for block I/O.
    Io,
}

impl Pressure {
    /// Every resource.
    pub const ALL: [Pressure; 3] = [Pressure::Cpu, Pressure::Memory, Pressure::Io];

    /// The file below /proc: `pressure/cpu`, `pressure/memory`, `pressure/io`.
    pub const fn proc_file(self) -> &'static str {
        match self {
            Pressure::Cpu => "pressure/cpu",
            Pressure::Memory => "pressure/memory",
            Pressure::Io => "pressure/io",
        }
    }

    /// The file in a cgroup v2 directory: `cpu.pressure`, `memory.pressure`, `io.pressure`.
    pub const fn cgroup_file(self) -> &'static str {
        match self {
            Pressure::Cpu => "cpu.pressure",
            Pressure::Memory => "memory.pressure",
            Pressure::Io => "io.pressure",
        }
    }
}

/// One line of a pressure file: how much of the time tasks were stalled.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Stall {
    /// Percent of the last 10 seconds spent stalled (0 to 100, a decaying average).
    pub avg10: f64,
    /// Percent of the last 60 seconds spent stalled.
    pub avg60: f64,
    /// Percent of the last 300 seconds spent stalled.
    pub avg300: f64,
    /// Total time stalled, in microseconds: the counter to take rates of.
    pub total_us: u64,
}

impl Stall {
    /// [`total_us`](Stall::total_us) in seconds.
    #[inline]
    pub fn total_seconds(&self) -> f64 {
        self.total_us as f64 / 1e6
    }
}

/// A parsed pressure file.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Psi {
    /// Time in which at least one task was stalled.
    pub some: Stall,
    /// Time in which every non-idle task was stalled at once; `None` if the file has no `full`
    /// line (system-wide `cpu` before Linux 5.13).
    pub full: Option<Stall>,
}

/// Parses a pressure file; errors name the file `pressure`. See [`parse_file`] to name it.
pub fn parse(buf: &[u8]) -> Result<Psi> {
    parse_file(buf, "pressure")
}

/// Parses a pressure file, naming it `file` in errors (`pressure/cpu`, `io.pressure`, …).
///
/// Each `some` or `full` line must be exactly `avg10=<d.d> avg60=<d.d> avg300=<d.d> total=<n>`
/// after its name, one space between fields; errors name the line and the field (`some avg60`),
/// or `some` if there is no `some` line. Should a line appear twice, the last counts.
pub fn parse_file(buf: &[u8], file: &'static str) -> Result<Psi> {
    let body = text::body(buf, file)?;
    let (mut some, mut full) = (None, None);
    for line in text::lines(body) {
        if let Some(fields) = line.strip_prefix(b"some ") {
            some = Some(stall(fields).map_err(|at| named(file, &SOME, at))?);
        } else if let Some(fields) = line.strip_prefix(b"full ") {
            full = Some(stall(fields).map_err(|at| named(file, &FULL, at))?);
        }
    }
    Ok(Psi {
        some: some.ok_or(Error::parse(file, "some"))?,
        full,
    })
}

/// Error names of the fields of each line, by the index [`stall`] fails with.
const SOME: [&str; 4] = ["some avg10", "some avg60", "some avg300", "some total"];
const FULL: [&str; 4] = ["full avg10", "full avg60", "full avg300", "full total"];

fn named(file: &'static str, names: &[&'static str; 4], at: usize) -> Error {
    Error::parse(file, names.get(at).copied().unwrap_or("total"))
}

/// The four fields after `some ` or `full `; on error the index of the field that failed.
#[inline]
fn stall(fields: &[u8]) -> core::result::Result<Stall, usize> {
    let mut rest = fields;
    let mut avg = |key: &[u8], index: usize| -> core::result::Result<f64, usize> {
        let text = rest.strip_prefix(key).ok_or(index)?;
        let (value, len) = decimal_prefix(text).ok_or(index)?;
        rest = text.get(len..).ok_or(index)?;
        Ok(value)
    };
    let avg10 = avg(b"avg10=", 0)?;
    let avg60 = avg(b" avg60=", 1)?;
    let avg300 = avg(b" avg300=", 2)?;
    let (total_us, len) = rest
        .strip_prefix(b" total=")
        .and_then(u64_prefix)
        .ok_or(3usize)?;
    // The value ends the line, or a blank separates fields a newer kernel might add.
    match rest.get(" total=".len() + len) {
        None | Some(b' ' | b'\t') => Ok(Stall {
            avg10,
            avg60,
            avg300,
            total_us,
        }),
        Some(_) => Err(3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testing::never_panics;

    #[test]
    fn real_files() {
        let psi = parse(b"some avg10=0.95 avg60=0.19 avg300=0.25 total=41303844\nfull avg10=0.95 avg60=0.19 avg300=0.24 total=29764460\n").unwrap();
        assert_eq!(
            psi.some,
            Stall {
                avg10: 0.95,
                avg60: 0.19,
                avg300: 0.25,
                total_us: 41303844
            }
        );
        let full = psi.full.unwrap();
        assert_eq!((full.avg300, full.total_us), (0.24, 29764460));
        assert_eq!(full.total_seconds(), 29.76446);
        for fixture in [
            &include_bytes!("../../tests/fixtures/pressure_cpu")[..],
            include_bytes!("../../tests/fixtures/pressure_memory"),
            include_bytes!("../../tests/fixtures/pressure_io"),
        ] {
            assert!(parse(fixture).unwrap().full.is_some());
        }
    }

    #[test]
    fn errors_name_the_field() {
        let err = |t: &[u8]| parse_file(t, "pressure/io").unwrap_err();
        let e = |field| Error::parse("pressure/io", field);
        assert_eq!(err(b""), e("empty"));
        assert_eq!(
            err(b"some avg10=0.00 avg60=0.00 avg300=0.00 total=0"),
            e("newline")
        );
        assert_eq!(
            err(b"full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"),
            e("some")
        );
        assert_eq!(
            err(b"some avg10=0.00 avg60=0.00 avg300=0.00\n"),
            e("some total")
        );
        assert_eq!(
            err(b"some avg10=0.00 avg60=0.00 avg300=0.00 total=-1\n"),
            e("some total")
        );
        assert_eq!(
            err(b"some avg10=0.00 avg60=0.00 avg300=0.00 total=1x\n"),
            e("some total")
        );
        assert_eq!(
            err(b"some avg10=1 avg60=0.00 avg300=0.00 total=0\n"),
            e("some avg10")
        );
        assert_eq!(
            err(b"some avg10=0.00  avg60=0.00 avg300=0.00 total=0\n"),
            e("some avg60")
        );
        assert_eq!(
            err(b"some avg10=0.00 avg300=0.00 avg60=0.00 total=0\n"),
            e("some avg60")
        );
        assert_eq!(
            err(b"some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=x total=0\n"),
            e("full avg300")
        );
        // A field after total, and an unknown line, are ignored.
        let psi = parse(b"some avg10=0.00 avg60=0.00 avg300=0.00 total=5 avg1=0.00\nwhat ever\n")
            .unwrap();
        assert_eq!((psi.some.total_us, psi.full), (5, None));
    }

    never_panics!(parse, 200);
}
