//! Byte classification, sixteen bytes per instruction: the one place the parsers use SIMD.
//!
//! A `/proc/<pid>/stat` line is about fifty short numbers. Finding where each one ends with a
//! loop over bytes costs a compare and a branch per byte; asking the vector unit which of 64
//! bytes are spaces, digits or minus signs costs a dozen instructions, and the field boundaries
//! then come out of the mask with `trailing_zeros`. SSE2 is part of every x86-64 CPU, so there
//! this needs no runtime detection, and `safe_arch` wraps the intrinsics in safe functions;
//! elsewhere [`classify_scalar`] does the same work a byte at a time.

/// What each of 64 bytes is: bit `i` of a mask describes byte `i`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ByteClasses {
    /// Bytes equal to `b' '`.
    pub spaces: u64,
    /// Bytes that are not an ASCII digit `0..=9`.
    pub non_digits: u64,
    /// Bytes equal to `b'-'`.
    pub minus: u64,
}

/// Classifies the 64 bytes of `block`.
#[inline]
pub(crate) fn classify(block: &[u8; 64]) -> ByteClasses {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        classify_sse2(block)
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        classify_scalar(block)
    }
}

/// Classifies the 64 bytes of `text` from `base`; past its end, zeros (neither digits nor spaces,
/// like the newline that ends a line), which each caller marks as its format needs.
#[inline(always)]
pub(crate) fn classify_at(text: &[u8], base: usize) -> ByteClasses {
    if let Some(Ok(block)) = text.get(base..base + 64).map(<&[u8; 64]>::try_from) {
        return classify(block);
    }
    let mut block = [0u8; 64];
    let tail = text.get(base..).unwrap_or_default();
    block.iter_mut().zip(tail).for_each(|(b, t)| *b = *t);
    classify(&block)
}

/// [`classify`] a byte at a time: the portable fallback, and the oracle the SSE2 version is
/// tested against.
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
pub(crate) fn classify_scalar(block: &[u8; 64]) -> ByteClasses {
    let mut classes = ByteClasses {
        spaces: 0,
        non_digits: 0,
        minus: 0,
    };
    for (i, &b) in block.iter().enumerate() {
        classes.spaces |= u64::from(b == b' ') << i;
        classes.non_digits |= u64::from(!b.is_ascii_digit()) << i;
        classes.minus |= u64::from(b == b'-') << i;
    }
    classes
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn classify_sse2(block: &[u8; 64]) -> ByteClasses {
    use safe_arch::{
        bitxor_m128i, cmp_eq_mask_i8_m128i, load_unaligned_m128i, max_u8_m128i, move_mask_i8_m128i,
        set_splat_i8_m128i,
    };
    let nine = set_splat_i8_m128i(9);
    let zero = set_splat_i8_m128i(b'0' as i8);
    let space = set_splat_i8_m128i(b' ' as i8);
    let minus = set_splat_i8_m128i(b'-' as i8);
    let mut classes = ByteClasses {
        spaces: 0,
        non_digits: 0,
        minus: 0,
    };
    for (i, chunk) in block.chunks_exact(16).enumerate() {
        let Ok(chunk) = <&[u8; 16]>::try_from(chunk) else {
            continue;
        };
        let v = load_unaligned_m128i(chunk);
        // After xor '0' the digits are the bytes x <= 9, i.e. those with max(x, 9) == 9 (SSE2
        // has no unsigned byte compare).
        let x = bitxor_m128i(v, zero);
        let digits = cmp_eq_mask_i8_m128i(max_u8_m128i(x, nine), nine);
        // movemask fills the low 16 bits of an i32; they are this lane's 16 bits of the mask.
        let lane = |mask: i32| u64::from(mask as u16) << (16 * i);
        classes.spaces |= lane(move_mask_i8_m128i(cmp_eq_mask_i8_m128i(v, space)));
        classes.non_digits |= lane(!move_mask_i8_m128i(digits));
        classes.minus |= lane(move_mask_i8_m128i(cmp_eq_mask_i8_m128i(v, minus)));
    }
    classes
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn block(text: &[u8]) -> [u8; 64] {
        let mut block = [b'x'; 64];
        block[..text.len()].copy_from_slice(text);
        block
    }

    #[test]
    fn marks_spaces_digits_and_minus() {
        let c = classify(&block(b"12 -3 x\n"));
        assert_eq!(c.spaces, 0b0010_0100);
        assert_eq!(c.minus, 0b0000_1000);
        // Every byte but 1, 2 and 3 is a non-digit, including the padding.
        assert_eq!(c.non_digits, !0b0001_0011);
    }

    proptest! {
        #[test]
        fn agrees_with_the_scalar_version(
            bytes in prop::array::uniform32(any::<u8>()),
            likely in prop::array::uniform32(prop::sample::select(b"0123456789 -/:".to_vec())),
        ) {
            let mut block = [0u8; 64];
            block[..32].copy_from_slice(&bytes);
            block[32..].copy_from_slice(&likely);
            prop_assert_eq!(classify(&block), classify_scalar(&block));
        }
    }
}
