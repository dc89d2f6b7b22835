//! `/proc/vmstat`: the virtual memory counters, one `name value` line each.
//!
//! ```text
//! nr_free_pages 1812483          ← a page count (multiply by the page size for bytes)
//! nr_inactive_anon 407673
//! …
//! pgpgin 17725309                ← KiB read from block devices (the kernel halves its sector count)
//! pgpgout 41980660
//! pswpin 0                       ← pages swapped in
//! pswpout 0
//! …
//! pgfault 270518214              ← events since boot
//! pgmajfault 39300
//! …
//! oom_kill 0                     ← (4.13+)
//! ```
//!
//! Some 190 lines on a 6.x kernel, and the set changes with every release and configuration
//! (`CONFIG_NUMA`, `CONFIG_TRANSPARENT_HUGEPAGE`, …), so every figure but `nr_free_pages`, the
//! first line of every kernel's file, is an `Option`. Names are the kernel's. Every value is an
//! unsigned decimal: `nr_*` figures are page counts (gauges), the rest event counters, except
//! `pgpgin` and `pgpgout`, which count KiB ([`Vmstat::pgpgin_bytes`] converts).
//!
//! [`parse`] reads the values of the [`Field`]s it knows into an array and skips the other lines
//! unread; [`Vmstat::get`] and [`Vmstat::iter`] reach every line, known or not.
//!
//! ```
//! use procfast::parse::vmstat::{self, Field};
//!
//! let v = vmstat::parse(b"nr_free_pages 1812483\npgpgin 100\npgfault 270518214\nnew_thing 7\n")?;
//! assert_eq!(v.nr_free_pages(), 1812483);
//! assert_eq!(v.pgfault(), Some(270518214));
//! assert_eq!(v.pgpgin_bytes(), Some(100 * 1024));
//! assert_eq!(v.oom_kill(), None); // this "kernel" does not write it
//! assert_eq!(v.get(b"new_thing"), Some(7));
//! assert_eq!(v.field(Field::Pgpgin), Some(100)); // the raw value, in KiB
//! assert_eq!(v.iter().count(), 4);
//! # Ok::<(), procfast::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::parse::figures::Figures;
use crate::parse::key_enum::key_enum;
use crate::parse::keys::KeyTable;
use crate::parse::num::u64_dec;
use crate::parse::text;

const FILE: &str = "vmstat";

macro_rules! fields {
    ($( $variant:ident $key:literal $kind:ident $method:ident $doc:literal; )*) => {
        key_enum! {
            /// A figure of `/proc/vmstat` that [`Vmstat`] reads as it parses, in the kernel's order.
            enum Field;
            ALL: "Every field, in the order a 6.x kernel writes them.";
            fn key: "The name as the file spells it.";
            $( $variant $key concat!("`", $key, "`: ", $doc); )*
        }

        /// The known names, tagged for the [`KeyTable`].
        const TAGGED: &[(u8, &str)] = &[$((0, $key)),*];

        impl Vmstat<'_> {
            $( fields!(@method $kind $variant $method $key $doc); )*
        }
    };
    (@method required $variant:ident $method:ident $key:literal $doc:literal) => {
        #[doc = concat!("`", $key, "`: ", $doc)]
        #[inline]
        pub fn $method(&self) -> u64 {
            self.field(Field::$variant).unwrap_or_default()
        }
    };
    (@method count $variant:ident $method:ident $key:literal $doc:literal) => {
        #[doc = concat!("`", $key, "`: ", $doc)]
        #[inline]
        pub fn $method(&self) -> Option<u64> {
            self.field(Field::$variant)
        }
    };
    (@method kib $variant:ident $method:ident $key:literal $doc:literal) => {
        #[doc = concat!("`", $key, "` in bytes (the kernel counts KiB; saturates at `u64::MAX`): ", $doc)]
        #[inline]
        pub fn $method(&self) -> Option<u64> {
            self.field(Field::$variant).map(|kib| kib.saturating_mul(1024))
        }
    };
}

fields! {
    NrFreePages "nr_free_pages" required nr_free_pages "free pages.";
    NrInactiveAnon "nr_inactive_anon" count nr_inactive_anon "pages on the inactive anonymous LRU list.";
    NrActiveAnon "nr_active_anon" count nr_active_anon "pages on the active anonymous LRU list.";
    NrInactiveFile "nr_inactive_file" count nr_inactive_file "pages on the inactive file LRU list.";
    NrActiveFile "nr_active_file" count nr_active_file "pages on the active file LRU list.";
    NrUnevictable "nr_unevictable" count nr_unevictable "pages that cannot be reclaimed (mlocked, ramfs, …).";
    NrSlabReclaimable "nr_slab_reclaimable" count nr_slab_reclaimable "pages of reclaimable slab caches.";
    NrSlabUnreclaimable "nr_slab_unreclaimable" count nr_slab_unreclaimable "pages of unreclaimable slab caches.";
    WorkingsetRefaultAnon "workingset_refault_anon" count workingset_refault_anon "anonymous pages faulted back in soon after eviction (5.9+).";
    WorkingsetRefaultFile "workingset_refault_file" count workingset_refault_file "file pages read back in soon after eviction (5.9+).";
    NrAnonPages "nr_anon_pages" count nr_anon_pages "anonymous pages mapped into user page tables.";
    NrMapped "nr_mapped" count nr_mapped "file pages mapped into user page tables.";
    NrFilePages "nr_file_pages" count nr_file_pages "pages of the page cache.";
    NrDirty "nr_dirty" count nr_dirty "pages waiting to be written back.";
    NrWriteback "nr_writeback" count nr_writeback "pages being written back.";
    NrShmem "nr_shmem" count nr_shmem "pages of shared memory and tmpfs.";
    Pgpgin "pgpgin" kib pgpgin_bytes "data read from block devices.";
    Pgpgout "pgpgout" kib pgpgout_bytes "data written to block devices.";
    Pswpin "pswpin" count pswpin "pages swapped in.";
    Pswpout "pswpout" count pswpout "pages swapped out.";
    Pgfree "pgfree" count pgfree "pages freed.";
    Pgactivate "pgactivate" count pgactivate "pages moved from the inactive to the active LRU lists.";
    Pgdeactivate "pgdeactivate" count pgdeactivate "pages moved from the active to the inactive LRU lists.";
    Pgfault "pgfault" count pgfault "page faults, minor and major.";
    Pgmajfault "pgmajfault" count pgmajfault "major page faults (those that waited for I/O).";
    PgstealKswapd "pgsteal_kswapd" count pgsteal_kswapd "pages reclaimed by kswapd.";
    PgstealDirect "pgsteal_direct" count pgsteal_direct "pages reclaimed by allocating tasks (direct reclaim).";
    PgscanKswapd "pgscan_kswapd" count pgscan_kswapd "pages scanned by kswapd.";
    PgscanDirect "pgscan_direct" count pgscan_direct "pages scanned by direct reclaim.";
    OomKill "oom_kill" count oom_kill "processes killed by the OOM killer (4.13+).";
    CompactStall "compact_stall" count compact_stall "allocations that stalled for memory compaction.";
    ThpFaultAlloc "thp_fault_alloc" count thp_fault_alloc "transparent huge pages allocated on a page fault.";
}

const COUNT: usize = Field::ALL.len();
static KEYS: KeyTable<128> = KeyTable::new(TAGGED);

/// The parsed `/proc/vmstat`: the known figures, plus the raw lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vmstat<'a> {
    body: &'a [u8],
    figures: Figures<u64, COUNT>,
}

/// The known field named `key`, if any.
#[inline]
fn field_index(key: &[u8]) -> Option<usize> {
    KEYS.candidate(0, key).filter(|&i| {
        Field::ALL
            .get(i)
            .is_some_and(|f| text::same(f.key().as_bytes(), key))
    })
}

/// Parses the bytes of `/proc/vmstat`.
///
/// A line is a name, a space and a value. Lines with a known name must have a strict decimal
/// value (blanks around it allowed); an error names the line. Other lines are skipped unread.
/// `nr_free_pages` is required.
pub fn parse(buf: &[u8]) -> Result<Vmstat<'_>> {
    let body = text::body(buf, FILE)?;
    let mut stat = Vmstat {
        body,
        figures: Figures::new(),
    };
    let mut cursor = text::Cursor::new(buf);
    while !cursor.is_empty() {
        let Some(index) = cursor.key(b' ').and_then(field_index) else {
            cursor.skip_line();
            continue;
        };
        if !cursor
            .u64_line()
            .is_some_and(|value| stat.figures.set(index, value))
        {
            let key = Field::ALL.get(index).map_or(FILE, |f| f.key());
            return Err(Error::parse(FILE, key));
        }
    }
    if stat.field(Field::NrFreePages).is_none() {
        return Err(Error::parse(FILE, Field::NrFreePages.key()));
    }
    Ok(stat)
}

impl<'a> Vmstat<'a> {
    /// The raw value of a known `field` as the file prints it (KiB for `pgpgin`/`pgpgout`, pages
    /// for `nr_*`); `None` if this kernel does not write it.
    #[inline]
    pub fn field(&self, field: Field) -> Option<u64> {
        self.figures.get(field as usize)
    }

    /// The raw value of any line by its name (`get(b"numa_hit")`); `None` if absent or not a
    /// decimal. Known names are a lookup, others a scan of the lines. Should a name appear twice,
    /// the last line counts.
    pub fn get(&self, name: &[u8]) -> Option<u64> {
        if let Some(index) = field_index(name) {
            return Field::ALL.get(index).and_then(|&f| self.field(f));
        }
        self.iter()
            .filter(|&(n, _)| n == name)
            .last()
            .map(|(_, v)| v)
    }

    /// Every `(name, value)` line in file order, known or not. Lines without a space, or whose
    /// value is not a decimal, are skipped.
    pub fn iter(&self) -> Pairs<'a> {
        Pairs {
            lines: text::lines(self.body),
        }
    }
}

/// Iterator over the `(name, value)` lines of a [`Vmstat`]; see [`Vmstat::iter`].
#[derive(Clone, Debug)]
pub struct Pairs<'a> {
    lines: text::Lines<'a>,
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a [u8], u64);

    fn next(&mut self) -> Option<Self::Item> {
        for line in self.lines.by_ref() {
            if let Some((name, value)) = text::split_once(line, b' ') {
                if let Some(value) = u64_dec(text::trim(value)) {
                    return Some((name, value));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testing::assert_errors;
    use proptest::prelude::*;

    const REAL: &[u8] = include_bytes!("../../tests/fixtures/vmstat");

    #[test]
    fn every_known_field_is_in_the_fixture() {
        let v = parse(REAL).unwrap();
        for &f in Field::ALL {
            let line = REAL
                .split(|&b| b == b'\n')
                .find(|l| l.split(|&b| b == b' ').next() == Some(f.key().as_bytes()))
                .unwrap_or_else(|| panic!("{f:?} not in the fixture"));
            let value = std::str::from_utf8(&line[f.key().len() + 1..]).unwrap();
            assert_eq!(v.field(f), value.parse().ok(), "{f:?}");
            assert_eq!(v.get(f.key().as_bytes()), v.field(f));
        }
    }

    #[test]
    fn errors_name_the_field() {
        assert_errors(
            parse,
            FILE,
            &[
                ("", "empty"),
                ("nr_free_pages 1", "newline"),
                ("pgfault 1\n", "nr_free_pages"),
                ("nr_free_pages 1\npgfault -1\n", "pgfault"),
                ("nr_free_pages 1\npgfault 18446744073709551616\n", "pgfault"),
                ("nr_free_pages x\n", "nr_free_pages"),
            ],
        );
        // Unknown lines are not read.
        let v = parse(b"nr_free_pages 1\nfuture x\nno_space\n").unwrap();
        assert_eq!((v.get(b"future"), v.iter().count()), (None, 1));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(v) = parse(&bytes) {
                prop_assert!(v.iter().count() >= 1);
            }
        }
    }
}
