//! `/proc/diskstats`: I/O counters per block device and partition.
//!
//! ```text
//!  254       0 vda 1137504 52617 34997698 774238 74573 205490 83961320 321555 0 73972 1126231 87916 39 39024240 27743 1567 2694
//!  │         │ │   │       │     │        │      │     │      │        │      │ │     │       │     │  │        │     │    └ flush_time_ms
//!  major minor name reads  │     │        │      writes │     │        │      │ │     │       discards …          flushes
//!                          │     sectors_read    │     │      sectors_written │ io_time_ms     (4.18+: 4 columns)  (5.5+: 2)
//!                          reads_merged   read_time_ms writes_merged  write_time_ms │ weighted_io_time_ms
//!                                                                          in_flight
//! ```
//!
//! One line per device: major and minor number, the name, then 11 counters in every kernel since
//! 2.6, 4 more about discards since Linux 4.18 and 2 about flushes since 5.5 (those are `Option`s;
//! columns a newer kernel appends are ignored). The layout is `Documentation/admin-guide/iostats`.
//! Units: sectors are **always 512 bytes**, whatever the device's sector size
//! ([`Disk::read_bytes`]); times are milliseconds (the `*_seconds` methods convert). `in_flight`
//! is a gauge, everything else a counter since boot (or since the device appeared).
//!
//! [`parse`] validates every line up front, so iterating over [`Diskstats::disks`] cannot fail.
//! A host without block devices has an empty file, which parses as no disks.
//!
//! ```
//! use procfast::parse::diskstats;
//!
//! let text = b" 254       0 vda 1137504 52617 34997698 774238 74573 205490 83961320 321555 0 73972 1126231\n\
//!              254       1 vda1 20 0 160 3 0 0 0 0 0 4 3 0 0 0 0\n";
//! let stats = diskstats::parse(text)?;
//! let vda = stats.get(b"vda").expect("vda is there");
//! assert_eq!(vda.read_bytes(), 34997698 * 512);
//! assert_eq!(vda.io_time_seconds(), 73.972);
//! assert_eq!(vda.discards, None); // a kernel older than 4.18
//! assert_eq!(stats.disks().nth(1).and_then(|d| d.flushes), None);
//! assert_eq!(stats.len(), 2);
//! # Ok::<(), procfast::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::parse::bytes::classify_at;
use crate::parse::num::u64_prefix;
use crate::parse::text;

const FILE: &str = "diskstats";

/// The bytes in one of `/proc/diskstats`' sectors, on every device.
pub const SECTOR_BYTES: u64 = 512;

/// The counters of one block device or partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Disk<'a> {
    /// The device's major number.
    pub major: u32,
    /// The device's minor number.
    pub minor: u32,
    /// The device name (`sda`, `nvme0n1p1`, `dm-0`, …).
    pub name: &'a [u8],
    /// Reads completed.
    pub reads: u64,
    /// Adjacent reads merged into one before they were issued.
    pub reads_merged: u64,
    /// 512-byte sectors read; see [`Disk::read_bytes`].
    pub sectors_read: u64,
    /// Milliseconds spent by all reads (from issue to completion, summed over concurrent ones).
    pub read_time_ms: u64,
    /// Writes completed.
    pub writes: u64,
    /// Adjacent writes merged.
    pub writes_merged: u64,
    /// 512-byte sectors written; see [`Disk::written_bytes`].
    pub sectors_written: u64,
    /// Milliseconds spent by all writes.
    pub write_time_ms: u64,
    /// I/Os in flight now (a gauge).
    pub in_flight: u64,
    /// Milliseconds during which the device had I/O in flight (its busy time: divided by the
    /// wall time, its utilisation).
    pub io_time_ms: u64,
    /// Milliseconds of I/O weighted by the number in flight (for the average queue size).
    pub weighted_io_time_ms: u64,
    /// Discards completed (4.18+).
    pub discards: Option<u64>,
    /// Adjacent discards merged (4.18+).
    pub discards_merged: Option<u64>,
    /// 512-byte sectors discarded (4.18+).
    pub sectors_discarded: Option<u64>,
    /// Milliseconds spent by all discards (4.18+).
    pub discard_time_ms: Option<u64>,
    /// Flush requests completed (5.5+).
    pub flushes: Option<u64>,
    /// Milliseconds spent by all flushes (5.5+).
    pub flush_time_ms: Option<u64>,
}

impl Disk<'_> {
    /// Bytes read: [`sectors_read`](Disk::sectors_read) × 512 (saturating).
    #[inline]
    pub fn read_bytes(&self) -> u64 {
        self.sectors_read.saturating_mul(SECTOR_BYTES)
    }

    /// Bytes written: [`sectors_written`](Disk::sectors_written) × 512 (saturating).
    #[inline]
    pub fn written_bytes(&self) -> u64 {
        self.sectors_written.saturating_mul(SECTOR_BYTES)
    }

    /// Bytes discarded (4.18+): [`sectors_discarded`](Disk::sectors_discarded) × 512.
    #[inline]
    pub fn discarded_bytes(&self) -> Option<u64> {
        self.sectors_discarded
            .map(|s| s.saturating_mul(SECTOR_BYTES))
    }

    /// [`read_time_ms`](Disk::read_time_ms) in seconds.
    #[inline]
    pub fn read_time_seconds(&self) -> f64 {
        ms_to_seconds(self.read_time_ms)
    }

    /// [`write_time_ms`](Disk::write_time_ms) in seconds.
    #[inline]
    pub fn write_time_seconds(&self) -> f64 {
        ms_to_seconds(self.write_time_ms)
    }

    /// [`io_time_ms`](Disk::io_time_ms) in seconds: the device's busy time.
    #[inline]
    pub fn io_time_seconds(&self) -> f64 {
        ms_to_seconds(self.io_time_ms)
    }

    /// [`weighted_io_time_ms`](Disk::weighted_io_time_ms) in seconds.
    #[inline]
    pub fn weighted_io_time_seconds(&self) -> f64 {
        ms_to_seconds(self.weighted_io_time_ms)
    }

    /// [`discard_time_ms`](Disk::discard_time_ms) in seconds (4.18+).
    #[inline]
    pub fn discard_time_seconds(&self) -> Option<f64> {
        self.discard_time_ms.map(ms_to_seconds)
    }

    /// [`flush_time_ms`](Disk::flush_time_ms) in seconds (5.5+).
    #[inline]
    pub fn flush_time_seconds(&self) -> Option<f64> {
        self.flush_time_ms.map(ms_to_seconds)
    }
}

#[inline]
fn ms_to_seconds(ms: u64) -> f64 {
    ms as f64 / 1e3
}

/// The counters after the name, in column order, as errors name them.
const COUNTERS: [&str; 17] = [
    "reads",
    "reads_merged",
    "sectors_read",
    "read_time_ms",
    "writes",
    "writes_merged",
    "sectors_written",
    "write_time_ms",
    "in_flight",
    "io_time_ms",
    "weighted_io_time_ms",
    "discards",
    "discards_merged",
    "sectors_discarded",
    "discard_time_ms",
    "flushes",
    "flush_time_ms",
];
/// Counters every kernel writes.
const REQUIRED: usize = 11;

/// A decimal after optional blanks that fits a `u32`, then a blank or the newline.
#[inline]
fn device_number(rest: &mut &[u8]) -> Option<u32> {
    let text = text::trim_start(rest);
    let (value, len) = u64_prefix(text)?;
    let after = text.get(len..)?;
    if !matches!(after.first(), Some(b' ' | b'\t' | b'\n')) {
        return None;
    }
    *rest = after;
    u32::try_from(value).ok()
}

/// Parses the line at the start of `text`, which is the rest of the file and ends with `\n`
/// (reading on to the newline lets every number be read a word at a time): the device and the
/// length of its line, newline included.
fn disk(text: &[u8]) -> Result<(Disk<'_>, usize)> {
    let mut rest = text;
    let major = device_number(&mut rest).ok_or(Error::parse(FILE, "major"))?;
    let minor = device_number(&mut rest).ok_or(Error::parse(FILE, "minor"))?;
    let named = text::trim_start(rest);
    let name_len = named
        .iter()
        .position(|&b| matches!(b, b' ' | b'\t' | b'\n'))
        .unwrap_or(named.len());
    let (name, after) = named.split_at(name_len);
    if name.is_empty() {
        return Err(Error::parse(FILE, "name"));
    }
    let mut v = [0u64; 17];
    let (present, after) = match split_counters(after, &mut v) {
        Some(found) => found,
        None => counters(after, &mut v)
            .map_err(|k| Error::parse(FILE, COUNTERS.get(k).copied().unwrap_or("")))?,
    };
    // Columns after the 17th are skipped to the newline.
    let line_len =
        text.len() - after.len() + text::find(after, b'\n').map_or(after.len(), |n| n + 1);
    let optional = |k: usize| (k < present).then(|| v.get(k).copied()).flatten();
    let [reads, reads_merged, sectors_read, read_time_ms, writes, writes_merged, sectors_written, write_time_ms, in_flight, io_time_ms, weighted_io_time_ms, ..] =
        v;
    let disk = Disk {
        major,
        minor,
        name,
        reads,
        reads_merged,
        sectors_read,
        read_time_ms,
        writes,
        writes_merged,
        sectors_written,
        write_time_ms,
        in_flight,
        io_time_ms,
        weighted_io_time_ms,
        discards: optional(11),
        discards_merged: optional(12),
        sectors_discarded: optional(13),
        discard_time_ms: optional(14),
        flushes: optional(15),
        flush_time_ms: optional(16),
    };
    Ok((disk, line_len))
}

/// [`counters`] for a line as the kernel writes it, with the field boundaries found 64 bytes at a
/// time: `None` for anything else (blank runs, tabs, a malformed or overflowing number, fewer
/// than [`REQUIRED`] counters), which [`counters`] then reads, or rejects with the right error.
///
/// Reading numbers one after the other makes each wait for the previous one's end. Here the
/// vector classifier of [`bytes`](crate::parse::bytes) marks every space and the line's end in a
/// block at once, so the numbers' starts are known up front and their conversions (a word at a
/// time, checked to end exactly at the next separator) do not wait for each other.
#[inline]
fn split_counters<'a>(line: &'a [u8], v: &mut [u64; 17]) -> Option<(usize, &'a [u8])> {
    // A separator precedes every counter: the space at 0, then each one's end.
    let mut start: usize = match line {
        [b' ', digit, ..] if digit.is_ascii_digit() => 1,
        _ => return None,
    };
    let mut k = 0;
    let mut base: usize = 0;
    loop {
        let classes = classify_at(line, base);
        let other = classes.non_digits & !classes.spaces;
        let end = other.trailing_zeros();
        let in_line = if end < 64 {
            (1u64 << end) - 1
        } else {
            u64::MAX
        };
        // The spaces of the line in this block, and its end; those before `start` are behind.
        let mut separators = (classes.spaces & in_line) | (1u64 << end.min(63) & !in_line);
        // (A field in progress may have begun in the block before: then none is behind.)
        separators &= u64::MAX
            .checked_shl(start.saturating_sub(base) as u32)
            .unwrap_or(0);
        while separators != 0 {
            let at = base + separators.trailing_zeros() as usize;
            separators &= separators - 1;
            let (value, len) = u64_prefix(line.get(start..)?)?;
            // Digits up to the separator, which is a space or the newline (not a tab or junk).
            if start + len != at || !matches!(line.get(at), Some(b' ' | b'\n')) {
                return None;
            }
            *v.get_mut(k)? = value;
            k += 1;
            start = at + 1;
            if k == v.len() {
                return Some((k, line.get(at..)?));
            }
        }
        if end < 64 {
            // The line's end: it must be the newline, after enough counters.
            let at = base + end as usize;
            return match line.get(at) {
                Some(b'\n') if k >= REQUIRED => Some((k, line.get(at..)?)),
                _ => None,
            };
        }
        base += 64;
    }
}

/// Reads the counters after the name into `v`: how many the line has (at least [`REQUIRED`], at
/// most 17; more are ignored) and the text after the last one read, or the index of the first
/// one missing or malformed.
///
/// Each counter is a blank (the kernel writes exactly one space), then digits read a word at a
/// time by [`u64_prefix`], then a blank or the newline.
#[inline]
fn counters<'a>(
    line: &'a [u8],
    v: &mut [u64; 17],
) -> core::result::Result<(usize, &'a [u8]), usize> {
    let mut rest = line;
    for (k, slot) in v.iter_mut().enumerate() {
        rest = match rest {
            [b' ', digit, ..] if digit.is_ascii_digit() => rest.get(1..).unwrap_or_default(),
            _ => text::trim_start(rest),
        };
        if matches!(rest.first(), None | Some(b'\n')) {
            return if k >= REQUIRED { Ok((k, rest)) } else { Err(k) };
        }
        let (value, len) = u64_prefix(rest).ok_or(k)?;
        *slot = value;
        rest = rest.get(len..).unwrap_or_default();
        if !matches!(rest.first(), None | Some(b' ' | b'\t' | b'\n')) {
            return Err(k);
        }
    }
    Ok((v.len(), rest))
}

/// A validated `/proc/diskstats`; see [`Diskstats::disks`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Diskstats<'a> {
    /// The whole file, which ends with a newline (or is empty).
    text: &'a [u8],
    len: usize,
}

/// Parses and validates the bytes of `/proc/diskstats`.
///
/// Errors name the first column of a line that is missing or malformed: `major`, `minor`, `name`,
/// then the counters (`reads` … `weighted_io_time_ms`, and `discards` … `flush_time_ms` where a
/// line has them).
pub fn parse(buf: &[u8]) -> Result<Diskstats<'_>> {
    if !buf.is_empty() {
        text::body(buf, FILE)?;
    }
    let mut len = 0;
    let mut rest = buf;
    while !rest.is_empty() {
        let (_, line_len) = disk(rest)?;
        rest = rest.get(line_len..).unwrap_or_default();
        len += 1;
    }
    Ok(Diskstats { text: buf, len })
}

impl<'a> Diskstats<'a> {
    /// The devices in file order.
    pub fn disks(&self) -> Disks<'a> {
        Disks { rest: self.text }
    }

    /// The device called `name`, if listed.
    pub fn get(&self, name: &[u8]) -> Option<Disk<'a>> {
        self.disks().find(|d| d.name == name)
    }

    /// Number of devices.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if no device is listed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Iterator over the devices of a [`Diskstats`].
#[derive(Clone, Debug)]
pub struct Disks<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Disks<'a> {
    type Item = Disk<'a>;

    fn next(&mut self) -> Option<Disk<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        // Every line was validated by `parse`; should one fail anyway, iteration just ends.
        let Ok((disk, line_len)) = disk(self.rest) else {
            self.rest = b"";
            return None;
        };
        self.rest = self.rest.get(line_len..).unwrap_or_default();
        Some(disk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testing::assert_errors;
    use proptest::prelude::*;

    #[test]
    fn column_counts() {
        let d = parse(b"   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n").unwrap();
        let sda = d.disks().next().unwrap();
        assert_eq!((sda.major, sda.minor, sda.name), (8, 0, &b"sda"[..]));
        assert_eq!(
            (sda.reads, sda.weighted_io_time_ms, sda.discards),
            (1, 11, None)
        );
        let d = parse(b"8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n").unwrap();
        let sda = d.disks().next().unwrap();
        assert_eq!((sda.discard_time_ms, sda.flushes), (Some(15), None));
        let d = parse(b"8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 x\n").unwrap();
        let sda = d.disks().next().unwrap();
        assert_eq!((sda.flushes, sda.flush_time_ms), (Some(16), Some(17)));
        assert!(parse(b"").unwrap().is_empty());
    }

    #[test]
    fn errors_name_the_field() {
        assert_errors(
            parse,
            FILE,
            &[
                ("8 0 sda 1 2 3 4 5 6 7 8 9 10 11", "newline"),
                ("\n", "major"),
                ("x 0 sda 1\n", "major"),
                ("4294967296 0 sda 1\n", "major"),
                ("8 -1 sda 1\n", "minor"),
                ("8 0\n", "name"),
                ("8 0 sda\n", "reads"),
                ("8 0 sda 1 2 3 4 5 6 7 8 9 10\n", "weighted_io_time_ms"),
                ("8 0 sda 1 2 3 4 5 6 7 8 9 10 11 x\n", "discards"),
                (
                    "8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 1.5\n",
                    "flushes",
                ),
            ],
        );
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(d) = parse(&bytes) {
                prop_assert_eq!(d.disks().count(), d.len());
            }
        }
    }
}
