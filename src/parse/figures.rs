//! The figures a keyed parser found: a value per known key, and whether its line was there.
//!
//! `meminfo`, `vmstat`, `snmp` and `sockstat` each know a fixed list of keys and read the ones
//! the kernel wrote into an array indexed by the key's position in that list. A line this kernel
//! lacks must read as `None`, not as 0, so a bit per key records presence; 64 keys at most keep
//! that a single word, which is what makes the parsed structs `Copy` and free of allocation.

/// Up to 64 values by index, each present or absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Figures<T, const N: usize> {
    present: u64,
    values: [T; N],
}

impl<T: Copy + Default, const N: usize> Figures<T, N> {
    /// Checked where [`Figures::new`] is instantiated, so an over-long key list fails the build.
    const FITS: () = assert!(N <= 64, "presence is tracked in a u64 bit set");

    /// No figure present.
    #[inline]
    pub(crate) fn new() -> Self {
        let () = Self::FITS;
        Figures {
            present: 0,
            values: [T::default(); N],
        }
    }

    /// The value at `index`, if its line was read.
    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<T> {
        // Bounds first: past them the shift below would overflow.
        let value = self.values.get(index).copied()?;
        (self.present >> index & 1 == 1).then_some(value)
    }

    /// Records `value` at `index`; false (and nothing recorded) if `index` is out of range.
    #[inline]
    pub(crate) fn set(&mut self, index: usize, value: T) -> bool {
        let Some(slot) = self.values.get_mut(index) else {
            return false;
        };
        *slot = value;
        self.present |= 1 << index;
        true
    }
}
