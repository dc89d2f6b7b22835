//! [`Fields`]: the figures a scan reads, as a set of bits.

use core::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign};

/// The figures a scan computes for each process; ask only for what you use.
///
/// The cost of a figure is the file it comes from: `COMM`, `STATE`, `PPID`, `THREADS`, `RSS`,
/// `CPU`, `START_TIME`, `FAULTS` and `VSIZE` all come from one read of `/proc/<pid>/stat`; `FDS`
/// from one `statx` of `/proc/<pid>/fd`; `UID` from one `statx` of `/proc/<pid>` (its owner, as
/// `ps` reads it); `CTXT_SWITCHES` and `SWAP` from one read of `/proc/<pid>/status`; `IO` from a read of `/proc/<pid>/io`, which needs ptrace access (so
/// another user's process reports it as denied); `FD_LIMIT` from `prlimit` where the mount is of
/// the caller's pid namespace and permits it, else from `/proc/<pid>/limits`. A scan for `FDS`
/// alone reads no file but for processes that report 0 fds.
///
/// ```
/// use procfast::Fields;
/// let fields = Fields::FDS | Fields::COMM;
/// assert!(fields.contains(Fields::FDS) && !fields.contains(Fields::RSS));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Fields(u32);

impl Fields {
    /// Nothing but the pid.
    pub const NONE: Fields = Fields(0);
    /// The command name (`comm`), from `stat`.
    pub const COMM: Fields = Fields(1);
    /// The state letter, from `stat`.
    pub const STATE: Fields = Fields(1 << 1);
    /// The parent's pid, from `stat`.
    pub const PPID: Fields = Fields(1 << 2);
    /// The thread count, from `stat`.
    pub const THREADS: Fields = Fields(1 << 3);
    /// The resident set size in bytes, from `stat` (pages × page size).
    pub const RSS: Fields = Fields(1 << 4);
    /// User and system CPU time in seconds, apart and summed, from `stat` (ticks ÷ the real tick
    /// rate).
    pub const CPU: Fields = Fields(1 << 5);
    /// The start time after boot, in seconds and in clock ticks, from `stat`.
    pub const START_TIME: Fields = Fields(1 << 6);
    /// The open fd count, from `fstat` of `/proc/<pid>/fd`.
    pub const FDS: Fields = Fields(1 << 7);
    /// The effective uid: the owner of `/proc/<pid>`, which the kernel sets to it (`ps` reads it
    /// so too), one `statx` rather than a read of `status`.
    pub const UID: Fields = Fields(1 << 8);
    /// Bytes read from and written to storage, from `io`.
    pub const IO: Fields = Fields(1 << 9);
    /// Minor and major page faults, from `stat`.
    pub const FAULTS: Fields = Fields(1 << 10);
    /// The virtual memory size in bytes, from `stat`.
    pub const VSIZE: Fields = Fields(1 << 11);
    /// Voluntary and involuntary context switches (of the main thread, as the kernel counts them
    /// in `status`).
    pub const CTXT_SWITCHES: Fields = Fields(1 << 12);
    /// Swapped-out memory in bytes (`VmSwap`), from `status`.
    pub const SWAP: Fields = Fields(1 << 13);
    /// The soft `RLIMIT_NOFILE`.
    pub const FD_LIMIT: Fields = Fields(1 << 14);
    /// Where the task sleeps in the kernel ([`Row::wchan`](super::row::Row::wchan)): one more
    /// file read per row, by path (never held).
    pub const WCHAN: Fields = Fields(1 << 15);
    /// Every figure.
    pub const ALL: Fields = Fields((1 << 16) - 1);
    /// What a process listing such as `ps` or `procfast top` shows of every row, at a cold cost
    /// of four syscalls a process: the fd count's `statx` and one read of `stat` (the owner,
    /// [`UID`](Fields::UID), is left to [`Scanner::fill_owner`](super::Scanner::fill_owner) for
    /// the rows shown).
    pub const LISTING: Fields = Fields::COMM
        .with(Fields::STATE)
        .with(Fields::PPID)
        .with(Fields::THREADS)
        .with(Fields::RSS)
        .with(Fields::CPU)
        .with(Fields::START_TIME)
        .with(Fields::FDS);
    pub(super) const FROM_STAT: Fields = Fields(((1 << 7) - 1) | (1 << 10) | (1 << 11));
    pub(super) const FROM_STATUS: Fields = Fields((1 << 12) | (1 << 13));

    /// These fields and `other`'s (a `const` `self | other`).
    pub const fn with(self, other: Fields) -> Fields {
        Fields(self.0 | other.0)
    }

    /// These fields but `other`'s (a `const` `self & !other`).
    pub const fn without(self, other: Fields) -> Fields {
        Fields(self.0 & !other.0)
    }

    /// True if every figure of `other` is in `self`.
    pub const fn contains(self, other: Fields) -> bool {
        self.0 & other.0 == other.0
    }

    pub(super) const fn any(self, other: Fields) -> bool {
        self.0 & other.0 != 0
    }
}

impl Fields {
    /// Adds the figures of `other`.
    pub fn insert(&mut self, other: Fields) {
        self.0 |= other.0;
    }

    /// Removes the figures of `other`.
    ///
    /// ```
    /// use procfast::Fields;
    /// let mut fields = Fields::ALL;
    /// fields.remove(Fields::IO | Fields::UID);
    /// assert!(fields.contains(Fields::FDS) && !fields.contains(Fields::IO));
    /// ```
    pub fn remove(&mut self, other: Fields) {
        self.0 &= !other.0;
    }
}

impl BitOr for Fields {
    type Output = Fields;
    fn bitor(self, other: Fields) -> Fields {
        Fields(self.0 | other.0)
    }
}

impl BitOrAssign for Fields {
    fn bitor_assign(&mut self, other: Fields) {
        self.insert(other);
    }
}

/// The figures in both.
impl BitAnd for Fields {
    type Output = Fields;
    fn bitand(self, other: Fields) -> Fields {
        Fields(self.0 & other.0)
    }
}

impl BitAndAssign for Fields {
    fn bitand_assign(&mut self, other: Fields) {
        self.0 &= other.0;
    }
}
