//! `/proc/swaps`: the swap areas in use, a header and then one line per area.
//!
//! ```text
//! Filename                                Type            Size    Used    Priority
//! /dev/zram0                              partition       4194300 0       100
//! /swapfile                               file            16380   0       -2
//! ```
//!
//! Sizes are in KiB (bytes here). A host with no line after the header has no swap area, so no
//! process has memory swapped out (every `VmSwap` is 0): an area is listed from `swapon` until
//! `swapoff` has brought every page back. Blanks, tabs, newlines and backslashes in a file name
//! are printed as octal escapes (`\040`), so the name is one word, kept as printed.
//!
//! ```
//! let swaps = procfast::parse::swaps::parse(
//!     b"Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/swapfile file\t16380\t\t0\t\t-2\n",
//! )?;
//! let area = swaps.iter().next().unwrap();
//! assert_eq!((area.filename, area.size_bytes, area.priority), (&b"/swapfile"[..], 16380 * 1024, -2));
//! assert!(!swaps.is_empty());
//! # Ok::<(), procfast::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::parse::{num, text};

const FILE: &str = "swaps";

/// The areas of `/proc/swaps`, every line checked by [`parse`].
#[derive(Clone, Copy, Debug)]
pub struct Swaps<'a> {
    /// The lines after the header.
    areas: &'a [u8],
}

/// One swap area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Area<'a> {
    /// The device or file, as printed (with octal escapes).
    pub filename: &'a [u8],
    /// `partition` or `file`.
    pub kind: &'a [u8],
    /// The area's size in bytes.
    pub size_bytes: u64,
    /// Bytes of the area in use.
    pub used_bytes: u64,
    /// The priority: higher areas are used first; negative ones were not given one.
    pub priority: i64,
}

impl<'a> Swaps<'a> {
    /// True if the host has no swap area.
    pub fn is_empty(&self) -> bool {
        area_lines(self.areas).next().is_none()
    }

    /// The areas, in the kernel's order.
    pub fn iter(&self) -> impl Iterator<Item = Area<'a>> + 'a {
        // Every line was checked by `parse`, so none is dropped here.
        area_lines(self.areas).filter_map(|line| area(line).ok())
    }
}

/// The lines of `areas`: none for an empty body.
fn area_lines(areas: &[u8]) -> impl Iterator<Item = &[u8]> {
    text::lines(areas).filter(|line| !line.is_empty())
}

/// Parses `/proc/swaps`: the header (its first word `Filename`), then five words an area.
pub fn parse(buf: &[u8]) -> Result<Swaps<'_>> {
    let body = text::body(buf, FILE)?;
    let (header, areas) = text::split_once(body, b'\n').unwrap_or((body, &[]));
    if text::words(header).next() != Some(&b"Filename"[..]) {
        return Err(Error::parse(FILE, "header"));
    }
    for line in area_lines(areas) {
        area(line)?;
    }
    Ok(Swaps { areas })
}

fn area(line: &[u8]) -> Result<Area<'_>> {
    let mut words = text::words(line);
    let mut word = |field| words.next().ok_or(Error::parse(FILE, field));
    let filename = word("Filename")?;
    let kind = word("Type")?;
    let kib = |w: &[u8], field| {
        num::u64_dec(w)
            .and_then(|k| k.checked_mul(1024))
            .ok_or(Error::parse(FILE, field))
    };
    let size_bytes = kib(word("Size")?, "Size")?;
    let used_bytes = kib(word("Used")?, "Used")?;
    let priority = num::i64_dec(word("Priority")?).ok_or(Error::parse(FILE, "Priority"))?;
    Ok(Area {
        filename,
        kind,
        size_bytes,
        used_bytes,
        priority,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testing::{errors_name_the_field, never_panics};

    const HEADER: &str = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";

    #[test]
    fn real_file() {
        let swaps = parse(include_bytes!("../../tests/fixtures/swaps")).unwrap();
        let areas: Vec<_> = swaps.iter().collect();
        assert_eq!(areas.len(), 1);
        assert_eq!(areas[0].filename, b"/tmp/sw");
        assert_eq!(areas[0].kind, b"file");
        assert_eq!(
            (areas[0].size_bytes, areas[0].used_bytes),
            (16380 * 1024, 0)
        );
        assert_eq!(areas[0].priority, -2);
    }

    #[test]
    fn no_area_is_empty_and_several_are_in_order() {
        assert!(parse(HEADER.as_bytes()).unwrap().is_empty());
        let two = format!(
            "{HEADER}/dev/zram0 partition\t4194300\t\t1024\t\t100\n/a\\040b file\t8\t\t0\t\t-3\n"
        );
        let swaps = parse(two.as_bytes()).unwrap();
        let names: Vec<_> = swaps.iter().map(|a| a.filename).collect();
        assert_eq!(names, [&b"/dev/zram0"[..], b"/a\\040b"]);
        assert_eq!(swaps.iter().next().unwrap().used_bytes, 1024 * 1024);
        assert!(!swaps.is_empty());
    }

    errors_name_the_field! { parse, FILE, [
        ("", "empty"),
        ("Filename\tType", "newline"),
        ("Name\tType\n", "header"),
        ("Filename\n/a file 1 0\n", "Priority"),
        ("Filename\n/a file x 0 1\n", "Size"),
        ("Filename\n/a file 1 -1 1\n", "Used"),
        ("Filename\n/a file 18014398509481984 0 1\n", "Size"),
        ("Filename\n/a file 1 0 +\n", "Priority"),
        ("Filename\n/a\n", "Type"),
    ]}

    never_panics!(parse, 256);
}
