//! `/proc/<pid>/smaps_rollup`: the process's memory summed over its mappings (Linux ≥ 4.14).
//!
//! ```text
//! 55b4fc014000-7ffd6b31c000 ---p 00000000 00:00 0                          [rollup]
//! Rss:                1764 kB
//! Pss:                 347 kB
//! Pss_Anon:            112 kB
//! ...
//! SwapPss:               0 kB
//! ```
//!
//! One header line (the address range, `[rollup]`), then `Key: value kB` lines. Generating it
//! walks the page tables of every mapping, so it costs in proportion to the process's resident
//! memory: read it deliberately. `Rss` and `Pss` are required; the rest are `None` where this
//! kernel does not write them (`Pss_Anon`, `Pss_File`, `Pss_Shmem` since 5.9).

use crate::error::{Error, Result};
use crate::parse::num::u64_dec;
use crate::parse::text;

const FILE: &str = "smaps_rollup";

/// The figures of `smaps_rollup`, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SmapsRollup {
    /// `Rss`: resident memory.
    pub rss_bytes: u64,
    /// `Pss`: proportional set size, each shared page divided among the processes mapping it.
    pub pss_bytes: u64,
    /// `Pss_Anon`: the anonymous part of `Pss`.
    pub pss_anon_bytes: Option<u64>,
    /// `Pss_File`: the file-backed part of `Pss`.
    pub pss_file_bytes: Option<u64>,
    /// `Pss_Shmem`: the shared-memory part of `Pss`.
    pub pss_shmem_bytes: Option<u64>,
    /// `Shared_Clean`.
    pub shared_clean_bytes: Option<u64>,
    /// `Shared_Dirty`.
    pub shared_dirty_bytes: Option<u64>,
    /// `Private_Clean`.
    pub private_clean_bytes: Option<u64>,
    /// `Private_Dirty`.
    pub private_dirty_bytes: Option<u64>,
    /// `Swap`: swapped-out anonymous memory.
    pub swap_bytes: Option<u64>,
    /// `SwapPss`: the proportional share of `Swap`.
    pub swap_pss_bytes: Option<u64>,
}

/// Parses `smaps_rollup`.
///
/// ```
/// let text = b"0-1 ---p 00000000 00:00 0 [rollup]\nRss: 8 kB\nPss: 3 kB\nSwapPss: 1 kB\n";
/// let smaps = procfast::parse::smaps_rollup::parse(text)?;
/// assert_eq!((smaps.rss_bytes, smaps.pss_bytes), (8192, 3072));
/// assert_eq!(smaps.swap_pss_bytes, Some(1024));
/// assert_eq!(smaps.pss_anon_bytes, None);
/// # Ok::<(), procfast::Error>(())
/// ```
pub fn parse(buf: &[u8]) -> Result<SmapsRollup> {
    let mut lines = text::lines(text::body(buf, FILE)?);
    // The header names the address range and ends in "[rollup]".
    if !lines
        .next()
        .is_some_and(|header| header.ends_with(b"[rollup]"))
    {
        return Err(Error::parse(FILE, "header"));
    }
    let mut smaps = SmapsRollup::default();
    let (mut rss, mut pss) = (None, None);
    for line in lines {
        let Some((key, value)) = text::split_once(line, b':') else {
            continue;
        };
        let slot = match key {
            b"Rss" => &mut rss,
            b"Pss" => &mut pss,
            b"Pss_Anon" => &mut smaps.pss_anon_bytes,
            b"Pss_File" => &mut smaps.pss_file_bytes,
            b"Pss_Shmem" => &mut smaps.pss_shmem_bytes,
            b"Shared_Clean" => &mut smaps.shared_clean_bytes,
            b"Shared_Dirty" => &mut smaps.shared_dirty_bytes,
            b"Private_Clean" => &mut smaps.private_clean_bytes,
            b"Private_Dirty" => &mut smaps.private_dirty_bytes,
            b"Swap" => &mut smaps.swap_bytes,
            b"SwapPss" => &mut smaps.swap_pss_bytes,
            _ => continue,
        };
        let field = field_name(key);
        let kb = text::trim(value)
            .strip_suffix(b" kB")
            .map(text::trim)
            .and_then(u64_dec)
            .ok_or(Error::parse(FILE, field))?;
        *slot = Some(kb.checked_mul(1024).ok_or(Error::parse(FILE, field))?);
    }
    smaps.rss_bytes = rss.ok_or(Error::parse(FILE, "Rss"))?;
    smaps.pss_bytes = pss.ok_or(Error::parse(FILE, "Pss"))?;
    Ok(smaps)
}

/// The kernel's name of a known key, for errors (`&'static`, as `Error` holds no heap data).
fn field_name(key: &[u8]) -> &'static str {
    match key {
        b"Rss" => "Rss",
        b"Pss" => "Pss",
        b"Pss_Anon" => "Pss_Anon",
        b"Pss_File" => "Pss_File",
        b"Pss_Shmem" => "Pss_Shmem",
        b"Shared_Clean" => "Shared_Clean",
        b"Shared_Dirty" => "Shared_Dirty",
        b"Private_Clean" => "Private_Clean",
        b"Private_Dirty" => "Private_Dirty",
        b"Swap" => "Swap",
        _ => "SwapPss",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testing::assert_errors;

    const LIVE: &[u8] =
        b"55b4fc014000-7ffd6b31c000 ---p 00000000 00:00 0                          [rollup]
Rss:                1764 kB
Pss:                 347 kB
Pss_Dirty:           112 kB
Pss_Anon:            112 kB
Pss_File:            235 kB
Pss_Shmem:             0 kB
Shared_Clean:       1596 kB
Shared_Dirty:          0 kB
Private_Clean:        56 kB
Private_Dirty:       112 kB
Referenced:         1764 kB
Anonymous:           112 kB
Swap:                  0 kB
SwapPss:               0 kB
Locked:                0 kB
";

    #[test]
    fn reads_every_known_figure() {
        let s = parse(LIVE).unwrap();
        assert_eq!((s.rss_bytes, s.pss_bytes), (1764 * 1024, 347 * 1024));
        assert_eq!(s.pss_anon_bytes, Some(112 * 1024));
        assert_eq!(s.pss_file_bytes, Some(235 * 1024));
        assert_eq!(s.shared_clean_bytes, Some(1596 * 1024));
        assert_eq!(s.private_dirty_bytes, Some(112 * 1024));
        assert_eq!((s.swap_bytes, s.swap_pss_bytes), (Some(0), Some(0)));
    }

    #[test]
    fn errors_name_the_field() {
        assert_errors(parse, FILE, &[("", "empty"), ("x\nRss: 1 kB\n", "header")]);
        let no_pss = b"0-0 ---p 0 00:00 0 [rollup]\nRss: 1 kB\n";
        assert_eq!(parse(no_pss), Err(Error::parse(FILE, "Pss")));
        let bad = b"0-0 ---p 0 00:00 0 [rollup]\nRss: x kB\nPss: 1 kB\n";
        assert_eq!(parse(bad), Err(Error::parse(FILE, "Rss")));
        let huge = b"0-0 ---p 0 00:00 0 [rollup]\nRss: 18446744073709551615 kB\nPss: 1 kB\n";
        assert_eq!(parse(huge), Err(Error::parse(FILE, "Rss")));
        assert_eq!(
            parse(&LIVE[..LIVE.len() - 1]),
            Err(Error::parse(FILE, "newline"))
        );
    }
}
