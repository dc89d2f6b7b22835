//! A perfect hash of the keys a parser knows, built at compile time.
//!
//! `/proc/vmstat` has about 190 lines of which an exporter wants a few dozen, and the `TcpExt`
//! section of `/proc/net/netstat` about 150 names of which it wants a handful. Comparing each
//! key of the file with every known key costs tens of comparisons per line; walking the known
//! keys in the kernel's order (as `meminfo` does) does not work when most lines are unknown.
//! A [`KeyTable`] answers "which known key could this be?" with one multiply and one table load;
//! the caller then compares the key with that one candidate.
//!
//! The table is computed by a `const fn` that tries multipliers until the known keys land in
//! distinct slots, so a key list that cannot be hashed (two keys with the same length, tag and
//! first and last eight bytes) fails the build rather than a lookup.

/// Maps each of up to 255 known keys (a tag, such as a protocol's index, and the key's bytes) to
/// its index, and any other key to at most one candidate index, in `SLOTS` slots (a power of
/// two; about four times the keys makes a separating multiplier quick to find).
#[derive(Debug)]
pub(crate) struct KeyTable<const SLOTS: usize> {
    /// Index + 1 of the known key in each slot; 0 for an empty slot.
    slots: [u8; SLOTS],
    /// The odd multiplier that separates the known keys.
    seed: u64,
}

/// What the hash looks at: the first and the last eight bytes of `key` (all of it when it has
/// at most 16), its length and `tag`, folded into one word. The `const` version, for building.
const fn signature(tag: u8, key: &[u8]) -> u64 {
    let len = key.len();
    let (first, last) = if len >= 8 {
        (load(key, 0, 8), load(key, len - 8, 8))
    } else {
        (load(key, 0, len), 0)
    };
    fold(tag, len, first, last)
}

/// [`signature`] for lookups: the same value, with word loads.
#[inline(always)]
fn signature_of(tag: u8, key: &[u8]) -> u64 {
    let word = |at: usize| {
        key.get(at..at + 8)
            .map_or(0, |w| u64::from_le_bytes(w.try_into().unwrap_or_default()))
    };
    let len = key.len();
    let (first, last) = if len >= 8 {
        (word(0), word(len - 8))
    } else {
        (load(key, 0, len), 0)
    };
    fold(tag, len, first, last)
}

#[inline(always)]
const fn fold(tag: u8, len: usize, first: u64, last: u64) -> u64 {
    first ^ last.rotate_left(29) ^ ((len as u64) << 56) ^ ((tag as u64) << 48).rotate_left(7)
}

/// Bytes `start..start + n` of `key` (`n` at most 8, within `key`) as a little-endian word.
#[inline(always)]
const fn load(key: &[u8], start: usize, n: usize) -> u64 {
    let mut word = 0;
    let mut i = 0;
    while i < n && start + i < key.len() {
        word |= (key[start + i] as u64) << (8 * i);
        i += 1;
    }
    word
}

impl<const SLOTS: usize> KeyTable<SLOTS> {
    /// Builds the table of `keys` (tag, key); key `i` is found as index `i`. Panics, at compile
    /// time when used in a `const`, if no multiplier separates them.
    pub(crate) const fn new(keys: &[(u8, &str)]) -> KeyTable<SLOTS> {
        assert!(
            SLOTS.is_power_of_two() && SLOTS >= 2,
            "slots: a power of two"
        );
        assert!(keys.len() < 256 && keys.len() < SLOTS, "too many keys");
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut tries = 0;
        while tries < 100_000 {
            let mut slots = [0u8; SLOTS];
            let mut ok = true;
            let mut i = 0;
            while i < keys.len() {
                let slot = slot_of(seed, SLOTS, signature(keys[i].0, keys[i].1.as_bytes()));
                if slots[slot] != 0 {
                    ok = false;
                    break;
                }
                slots[slot] = (i + 1) as u8;
                i += 1;
            }
            if ok {
                return KeyTable { slots, seed };
            }
            // The next odd multiplier, from a 64-bit LCG.
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407)
                | 1;
            tries += 1;
        }
        panic!("no multiplier separates the keys: two share a signature")
    }

    /// The index of the only known key `key` (under `tag`) can be, if any: the caller compares
    /// the two.
    #[inline(always)]
    pub(crate) fn candidate(&self, tag: u8, key: &[u8]) -> Option<usize> {
        let slot = slot_of(self.seed, SLOTS, signature_of(tag, key));
        match self.slots.get(slot) {
            Some(&n) if n != 0 => Some(usize::from(n) - 1),
            _ => None,
        }
    }
}

/// The slot of `signature`: the top bits of its product with `seed`.
#[inline(always)]
const fn slot_of(seed: u64, slots: usize, signature: u64) -> usize {
    let bits = slots.trailing_zeros();
    // Mix the high bytes down before the multiply so that every byte reaches the top bits.
    let x = signature ^ (signature >> 32);
    let x = x.wrapping_mul(seed);
    ((x ^ (x >> 29)).wrapping_mul(seed) >> (64 - bits)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: &[(u8, &str)] = &[(0, "pgfault"), (0, "pgmajfault"), (1, "pgfault"), (0, "")];
    const TABLE: KeyTable<16> = KeyTable::new(KEYS);

    #[test]
    fn both_signatures_agree() {
        let long = b"TCPFastOpenPassiveAltKey_and_more";
        for len in 0..long.len() {
            for tag in [0, 3, 255] {
                let key = &long[..len];
                assert_eq!(signature(tag, key), signature_of(tag, key), "{len}");
            }
        }
    }

    #[test]
    fn every_key_is_its_own_candidate() {
        for (i, (tag, key)) in KEYS.iter().enumerate() {
            assert_eq!(TABLE.candidate(*tag, key.as_bytes()), Some(i));
        }
        // Unknown keys have at most one candidate, which is not them.
        for key in [&b"pgfaulx"[..], b"x", b"nr_free_pages", b"pgmajfaul"] {
            if let Some(i) = TABLE.candidate(0, key) {
                assert_ne!(KEYS[i].1.as_bytes(), key);
            }
        }
    }
}
