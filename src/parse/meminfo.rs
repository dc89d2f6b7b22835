//! `/proc/meminfo`: the system's memory, one `Key:  value [kB]` line per figure.
//!
//! ```text
//! MemTotal:       24684092 kB      ← kibibytes (the kernel's "kB" means 1024 bytes)
//! MemFree:        23667220 kB
//! MemAvailable:   24261736 kB      ← what a new workload could get without swapping (3.14+)
//! Buffers:            3764 kB
//! Cached:           783084 kB
//! …
//! HugePages_Total:       0         ← a count of pages, no unit
//! Hugepagesize:       2048 kB
//! DirectMap1G:    25165824 kB
//! ```
//!
//! Which lines appear depends on the kernel version and configuration (`Zswap` needs
//! `CONFIG_ZSWAP`, `HighTotal` a 32-bit highmem kernel, …), so every figure but `MemTotal` and
//! `MemFree` is an `Option`. Values printed in kB come out in **bytes**; the `HugePages_*` counts
//! stay counts. A value is the text after the colon, trimmed of blanks: `<digits> kB` or, for the
//! counts, `<digits>`.
//!
//! The kernel writes the lines in a fixed order, and [`Field`] lists them in that order; [`parse`]
//! looks each key up starting from the field after the previous line's, so a well-formed file
//! costs about one key comparison per line (a line this kernel lacks costs one more step).
//!
//! ```
//! use procfast::parse::meminfo::{self, Field};
//!
//! let m = meminfo::parse(b"MemTotal:       24684092 kB\nMemFree:        23667220 kB\n\
//!                          HugePages_Total:       0\n")?;
//! assert_eq!(m.mem_total_bytes(), 24684092 * 1024);
//! assert_eq!(m.mem_available_bytes(), None);
//! assert_eq!(m.get(Field::HugePagesTotal), Some(0));
//! # Ok::<(), procfast::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::parse::figures::Figures;
use crate::parse::key_enum::key_enum;
use crate::parse::text;

const FILE: &str = "meminfo";

macro_rules! fields {
    ($( $variant:ident $key:literal $kind:ident $method:ident $doc:literal; )*) => {
        key_enum! {
            /// A figure of `/proc/meminfo` that [`Meminfo`] parses, in the kernel's order.
            enum Field;
            ALL: "Every field, in the order the kernel writes them.";
            fn key: "The key as the file spells it, without the colon.";
            $( $variant $key concat!("`", $key, "`: ", $doc); )*
        }

        impl Field {
            /// True if the kernel prints this figure in kB (and [`Meminfo::get`] returns bytes);
            /// false for the `HugePages_*` page counts.
            pub const fn is_kb(self) -> bool {
                match self { $(Field::$variant => fields!(@is_kb $kind),)* }
            }
        }

        impl Meminfo<'_> {
            $( fields!(@method $kind $variant $method $key $doc); )*
        }
    };
    (@is_kb count) => { false };
    (@is_kb $other:ident) => { true };
    (@method required $variant:ident $method:ident $key:literal $doc:literal) => {
        #[doc = concat!("`", $key, "` in bytes: ", $doc)]
        pub fn $method(&self) -> u64 {
            self.get(Field::$variant).unwrap_or_default()
        }
    };
    (@method kb $variant:ident $method:ident $key:literal $doc:literal) => {
        #[doc = concat!("`", $key, "` in bytes: ", $doc)]
        pub fn $method(&self) -> Option<u64> {
            self.get(Field::$variant)
        }
    };
    (@method count $variant:ident $method:ident $key:literal $doc:literal) => {
        #[doc = concat!("`", $key, "`, a count of huge pages: ", $doc)]
        pub fn $method(&self) -> Option<u64> {
            self.get(Field::$variant)
        }
    };
}

fields! {
    MemTotal "MemTotal" required mem_total_bytes "usable RAM (physical RAM minus reserved memory and the kernel image).";
    MemFree "MemFree" required mem_free_bytes "RAM left unused.";
    MemAvailable "MemAvailable" kb mem_available_bytes "estimate of memory available to start new workloads without swapping (3.14+).";
    Buffers "Buffers" kb buffers_bytes "block device cache.";
    Cached "Cached" kb cached_bytes "page cache (files, tmpfs, shmem), without SwapCached.";
    SwapCached "SwapCached" kb swap_cached_bytes "memory swapped out and back in, still in the swap file.";
    Active "Active" kb active_bytes "memory used recently, not reclaimed unless needed.";
    Inactive "Inactive" kb inactive_bytes "memory used less recently, first to be reclaimed.";
    ActiveAnon "Active(anon)" kb active_anon_bytes "active anonymous memory.";
    InactiveAnon "Inactive(anon)" kb inactive_anon_bytes "inactive anonymous memory.";
    ActiveFile "Active(file)" kb active_file_bytes "active file-backed memory.";
    InactiveFile "Inactive(file)" kb inactive_file_bytes "inactive file-backed memory.";
    Unevictable "Unevictable" kb unevictable_bytes "memory that cannot be reclaimed (mlocked, ramfs, …).";
    Mlocked "Mlocked" kb mlocked_bytes "memory locked with mlock.";
    HighTotal "HighTotal" kb high_total_bytes "highmem total (32-bit kernels).";
    HighFree "HighFree" kb high_free_bytes "highmem free (32-bit kernels).";
    LowTotal "LowTotal" kb low_total_bytes "lowmem total (32-bit kernels).";
    LowFree "LowFree" kb low_free_bytes "lowmem free (32-bit kernels).";
    SwapTotal "SwapTotal" kb swap_total_bytes "swap space.";
    SwapFree "SwapFree" kb swap_free_bytes "unused swap space.";
    Zswap "Zswap" kb zswap_bytes "memory used by the zswap compressed cache (5.19+).";
    Zswapped "Zswapped" kb zswapped_bytes "anonymous memory stored in zswap, uncompressed size (5.19+).";
    Dirty "Dirty" kb dirty_bytes "memory waiting to be written back to disk.";
    Writeback "Writeback" kb writeback_bytes "memory being written back to disk.";
    AnonPages "AnonPages" kb anon_pages_bytes "anonymous pages mapped into user page tables.";
    Mapped "Mapped" kb mapped_bytes "files mapped into memory (mmap, libraries).";
    Shmem "Shmem" kb shmem_bytes "shared memory and tmpfs.";
    KReclaimable "KReclaimable" kb k_reclaimable_bytes "kernel allocations reclaimable under pressure (4.20+).";
    Slab "Slab" kb slab_bytes "kernel slab caches.";
    SReclaimable "SReclaimable" kb s_reclaimable_bytes "reclaimable part of Slab.";
    SUnreclaim "SUnreclaim" kb s_unreclaim_bytes "unreclaimable part of Slab.";
    KernelStack "KernelStack" kb kernel_stack_bytes "kernel stacks of all tasks.";
    PageTables "PageTables" kb page_tables_bytes "page tables.";
    SecPageTables "SecPageTables" kb sec_page_tables_bytes "secondary page tables (KVM, IOMMU; 6.1+).";
    NfsUnstable "NFS_Unstable" kb nfs_unstable_bytes "always 0 (NFS pages sent but not committed, before 5.x).";
    Bounce "Bounce" kb bounce_bytes "block device bounce buffers.";
    WritebackTmp "WritebackTmp" kb writeback_tmp_bytes "FUSE temporary writeback buffers.";
    CommitLimit "CommitLimit" kb commit_limit_bytes "allocation limit under strict overcommit (mode 2).";
    CommittedAs "Committed_AS" kb committed_as_bytes "memory allocated by all processes, even if not yet used.";
    VmallocTotal "VmallocTotal" kb vmalloc_total_bytes "size of the vmalloc address space.";
    VmallocUsed "VmallocUsed" kb vmalloc_used_bytes "vmalloc area in use.";
    VmallocChunk "VmallocChunk" kb vmalloc_chunk_bytes "largest free vmalloc block (0 since 4.4).";
    Percpu "Percpu" kb percpu_bytes "per-CPU allocator memory (4.16+).";
    HardwareCorrupted "HardwareCorrupted" kb hardware_corrupted_bytes "memory poisoned by hardware errors.";
    AnonHugePages "AnonHugePages" kb anon_huge_pages_bytes "anonymous transparent huge pages.";
    ShmemHugePages "ShmemHugePages" kb shmem_huge_pages_bytes "shmem and tmpfs in huge pages.";
    ShmemPmdMapped "ShmemPmdMapped" kb shmem_pmd_mapped_bytes "shmem mapped into user space with huge pages.";
    FileHugePages "FileHugePages" kb file_huge_pages_bytes "file cache in huge pages.";
    FilePmdMapped "FilePmdMapped" kb file_pmd_mapped_bytes "file cache mapped into user space with huge pages.";
    CmaTotal "CmaTotal" kb cma_total_bytes "contiguous memory allocator reserve.";
    CmaFree "CmaFree" kb cma_free_bytes "free part of the CMA reserve.";
    Unaccepted "Unaccepted" kb unaccepted_bytes "memory not yet accepted by a confidential-computing guest (6.5+).";
    Balloon "Balloon" kb balloon_bytes "memory taken by a virtio balloon driver (6.12+).";
    HugePagesTotal "HugePages_Total" count huge_pages_total "size of the hugetlb pool.";
    HugePagesFree "HugePages_Free" count huge_pages_free "hugetlb pages not yet allocated.";
    HugePagesRsvd "HugePages_Rsvd" count huge_pages_rsvd "hugetlb pages reserved but not yet faulted in.";
    HugePagesSurp "HugePages_Surp" count huge_pages_surp "hugetlb pages above the pool size (overcommit).";
    Hugepagesize "Hugepagesize" kb hugepagesize_bytes "the default huge page size.";
    Hugetlb "Hugetlb" kb hugetlb_bytes "memory used by huge pages of all sizes (4.16+).";
    DirectMap4k "DirectMap4k" kb direct_map_4k_bytes "kernel direct map in 4 kB pages (x86).";
    DirectMap2M "DirectMap2M" kb direct_map_2m_bytes "kernel direct map in 2 MB pages (x86-64).";
    DirectMap4M "DirectMap4M" kb direct_map_4m_bytes "kernel direct map in 4 MB pages (x86 without PAE).";
    DirectMap1G "DirectMap1G" kb direct_map_1g_bytes "kernel direct map in 1 GB pages (x86-64).";
}

const COUNT: usize = Field::ALL.len();

/// The parsed `/proc/meminfo`: every known figure, plus the raw lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Meminfo<'a> {
    body: &'a [u8],
    figures: Figures<u64, COUNT>,
}

impl<'a> Meminfo<'a> {
    /// The figure for `field`: bytes if [`Field::is_kb`], else a page count; `None` if this
    /// kernel does not write the line.
    #[inline]
    pub fn get(&self, field: Field) -> Option<u64> {
        self.figures.get(field as usize)
    }

    /// Every `(key, value)` line in file order, known or not: the key before the colon and the
    /// value text after the padding (`24684092 kB`, `0`). Lines without a colon are skipped.
    pub fn iter(&self) -> Lines<'a> {
        Lines {
            lines: text::keyed_lines(self.body, b':'),
        }
    }
}

/// Iterator over the raw lines of a [`Meminfo`]; see [`Meminfo::iter`].
#[derive(Clone, Debug)]
pub struct Lines<'a> {
    lines: text::KeyedLines<'a>,
}

impl<'a> Iterator for Lines<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let (key, value) = self.lines.next()?;
        Some((key, text::trim(value)))
    }
}

/// The field `key` names, searching from `hint` (the successor of the previous line's field):
/// lines absent from this kernel only make the search step over them, and a key out of order
/// wraps around.
#[inline]
fn field_of(key: &[u8], hint: usize) -> Option<usize> {
    let matches = |i: &usize| {
        Field::ALL
            .get(*i)
            .is_some_and(|f| text::same(f.key().as_bytes(), key))
    };
    (hint..COUNT).chain(0..hint).find(matches)
}

/// Parses the bytes of `/proc/meminfo`.
///
/// Lines whose key is not a [`Field`] are skipped unread. A known line with a malformed value (not
/// decimal, missing or unexpected `kB`, overflowing bytes) is an error naming its key, and so is a
/// missing `MemTotal` or `MemFree`.
pub fn parse(buf: &[u8]) -> Result<Meminfo<'_>> {
    let body = text::body(buf, FILE)?;
    let mut info = Meminfo {
        body,
        figures: Figures::new(),
    };
    let mut hint = 0;
    let mut cursor = text::Cursor::new(buf);
    while !cursor.is_empty() {
        let Some(key) = cursor.key(b':') else {
            cursor.skip_line();
            continue;
        };
        let Some((index, &field)) = field_of(key, hint).and_then(|i| Some((i, Field::ALL.get(i)?)))
        else {
            cursor.skip_line();
            continue;
        };
        hint = index + 1;
        let parsed = if field.is_kb() {
            cursor.kb_line()
        } else {
            cursor.u64_line()
        };
        if !parsed.is_some_and(|value| info.figures.set(index, value)) {
            return Err(Error::parse(FILE, field.key()));
        }
    }
    for required in [Field::MemTotal, Field::MemFree] {
        if info.get(required).is_none() {
            return Err(Error::parse(FILE, required.key()));
        }
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testing::edits_name_the_field;
    use crate::parse::testing::never_panics;
    use crate::parse::testing::reversed_lines;

    /// This machine's `/proc/meminfo` (kernel 6.18, x86-64).
    const REAL: &[u8] = b"MemTotal:       24684092 kB
MemFree:        23667220 kB
MemAvailable:   24261736 kB
Buffers:            3764 kB
Cached:           783084 kB
SwapCached:            0 kB
Active:           345308 kB
Inactive:         499368 kB
Active(anon):       1544 kB
Inactive(anon):    65180 kB
Active(file):     343764 kB
Inactive(file):   434188 kB
Unevictable:       11216 kB
Mlocked:           10316 kB
SwapTotal:             0 kB
SwapFree:              0 kB
Zswap:                 0 kB
Zswapped:              0 kB
Dirty:             10260 kB
Writeback:             0 kB
AnonPages:         69036 kB
Mapped:           114304 kB
Shmem:              8856 kB
KReclaimable:      49472 kB
Slab:              71328 kB
SReclaimable:      49472 kB
SUnreclaim:        21856 kB
KernelStack:        1540 kB
PageTables:         2476 kB
SecPageTables:         0 kB
NFS_Unstable:          0 kB
Bounce:                0 kB
WritebackTmp:          0 kB
CommitLimit:    12342044 kB
Committed_AS:     133552 kB
VmallocTotal:   34359738367 kB
VmallocUsed:       14364 kB
VmallocChunk:          0 kB
Percpu:              664 kB
AnonHugePages:         0 kB
ShmemHugePages:        0 kB
ShmemPmdMapped:        0 kB
FileHugePages:      6144 kB
FilePmdMapped:         0 kB
Balloon:               0 kB
HugePages_Total:       0
HugePages_Free:        0
HugePages_Rsvd:        0
HugePages_Surp:        0
Hugepagesize:       2048 kB
Hugetlb:               0 kB
DirectMap4k:       32768 kB
DirectMap2M:     2064384 kB
DirectMap1G:    25165824 kB
";

    /// Abridged, in the shape of a 2.6.32 kernel's file: no MemAvailable, no Hugetlb.
    const OLD: &[u8] = b"MemTotal:        1922092 kB
MemFree:          110328 kB
Buffers:          198692 kB
Cached:          1241284 kB
SwapCached:         1760 kB
Active:           893064 kB
Inactive:         658440 kB
SwapTotal:       4128764 kB
SwapFree:        4094388 kB
HugePages_Total:       0
HugePages_Free:        0
Hugepagesize:       2048 kB
DirectMap4k:        8192 kB
";

    #[test]
    fn real_file() {
        let m = parse(REAL).unwrap();
        assert_eq!(m.mem_total_bytes(), 24684092 * 1024);
        assert_eq!(m.mem_free_bytes(), 23667220 * 1024);
        assert_eq!(m.mem_available_bytes(), Some(24261736 * 1024));
        assert_eq!(m.active_anon_bytes(), Some(1544 * 1024));
        assert_eq!(m.committed_as_bytes(), Some(133552 * 1024));
        assert_eq!(m.vmalloc_total_bytes(), Some(34359738367 * 1024));
        assert_eq!(m.huge_pages_total(), Some(0));
        assert_eq!(m.hugepagesize_bytes(), Some(2048 * 1024));
        assert_eq!(m.direct_map_1g_bytes(), Some(25165824 * 1024));
        assert_eq!(m.high_total_bytes(), None);
        assert_eq!(m.cma_total_bytes(), None);
        assert_eq!(m.iter().count(), 54);
        assert_eq!(
            m.iter().nth(8),
            Some((&b"Active(anon)"[..], &b"1544 kB"[..]))
        );
        // Every line of the file is a known field.
        for (key, _) in m.iter() {
            let field = Field::ALL
                .iter()
                .find(|f| f.key().as_bytes() == key)
                .unwrap();
            assert!(m.get(*field).is_some(), "{field:?}");
        }
    }

    #[test]
    fn old_kernel_and_shuffled_order() {
        let m = parse(OLD).unwrap();
        assert_eq!(m.mem_available_bytes(), None);
        assert_eq!(m.swap_free_bytes(), Some(4094388 * 1024));
        assert_eq!(m.huge_pages_free(), Some(0));
        // Order is only a speed hint.
        let shuffled = reversed_lines(OLD);
        assert_eq!(parse(&shuffled).map(|m| m.figures), Ok(m.figures));
    }

    #[test]
    fn unknown_lines_are_skipped() {
        let text = b"MemTotal: 2 kB\nFuture(x):  what ever\nno colon here\nMemFree: 1 kB\n";
        let m = parse(text).unwrap();
        assert_eq!((m.mem_total_bytes(), m.mem_free_bytes()), (2048, 1024));
        assert_eq!(
            m.iter().nth(1),
            Some((&b"Future(x)"[..], &b"what ever"[..]))
        );
    }

    edits_name_the_field!(parse, FILE, REAL, {
        "MemTotal:       24684092 kB\n" => "": "MemTotal",
        "MemFree:        23667220 kB\n" => "": "MemFree",
        "3764 kB" => "3764": "Buffers",
        "3764 kB" => "3764 MB": "Buffers",
        "10316 kB" => "-1 kB": "Mlocked",
        "34359738367 kB" => "18014398509481984 kB": "VmallocTotal",
        "HugePages_Free:        0" => "HugePages_Free:        0 kB": "HugePages_Free",
    });

    never_panics!(parse, 600);
}
