//! What the property tests of every parser share: the case count, and random edits of real
//! files, byte by byte and token by token.

use proptest::prelude::*;

/// `cases` per property, or `PROPTEST_CASES` where set (for a deep run).
pub fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// An edit to a fixture: at a position (a fraction of its length), delete, insert or replace a
/// byte drawn mostly from `alphabet`, the characters the format is built of.
pub fn edits(alphabet: &'static [u8]) -> impl Strategy<Value = Vec<(f64, u8, u8)>> {
    let byte = prop_oneof![
        8 => prop::sample::select(alphabet.to_vec()),
        1 => any::<u8>(),
    ];
    prop::collection::vec((0.0..1.0f64, 0u8..3, byte), 1..4)
}

/// `fixture` with `edits` applied in order.
pub fn mutate(fixture: &[u8], edits: &[(f64, u8, u8)]) -> Vec<u8> {
    let mut out = fixture.to_vec();
    for &(at, op, byte) in edits {
        let i = ((out.len() as f64) * at) as usize;
        match op {
            0 if i < out.len() => {
                out.remove(i);
            }
            1 => out.insert(i.min(out.len()), byte),
            _ if i < out.len() => out[i] = byte,
            _ => {}
        }
    }
    out
}

/// Format-shaped noise: up to `max_len` bytes drawn from `alphabet`, then a `\n` or not (the
/// kernel ends every text file with one).
pub fn noise(alphabet: &'static [u8], max_len: usize) -> impl Strategy<Value = Vec<u8>> {
    let bytes = prop::collection::vec(prop::sample::select(alphabet.to_vec()), 0..max_len);
    (bytes, any::<bool>()).prop_map(|(mut bytes, newline)| {
        if newline {
            bytes.push(b'\n');
        }
        bytes
    })
}

/// Splits `text` into runs of non-blank bytes and runs of blanks (space, tab, newline), so that
/// concatenating the pieces gives `text` back.
pub fn tokens(text: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let blank = |b: u8| b == b' ' || b == b'\t' || b == b'\n';
    for &b in text {
        match out.last_mut() {
            Some(last) if blank(last[0]) == blank(b) => last.push(b),
            _ => out.push(vec![b]),
        }
    }
    out
}

/// The words every format's token edits draw from besides its own vocabulary: nothing, zero,
/// signs, leading zeros and the edges of 32 and 64 bits.
pub const ODD_NUMBERS: &[&[u8]] = &[
    b"",
    b"0",
    b"-1",
    b"-0",
    b"+1",
    b"007",
    b"4294967296",
    b"18446744073709551615",
    b"18446744073709551616",
];

/// Token-level edits (see [`tokens`]): delete, replace with one of [`ODD_NUMBERS`] or of a
/// vocabulary of `words` words, duplicate a token, or truncate the text after it.
pub fn token_edits(words: usize) -> impl Strategy<Value = Vec<(f64, u8, usize)>> {
    let words = ODD_NUMBERS.len() + words;
    prop::collection::vec((0.0..1.0f64, 0u8..4, 0usize..words), 1..3)
}

/// `fixture` with token-level `edits` applied in order, replacements drawn from
/// [`ODD_NUMBERS`], then `vocabulary`.
pub fn token_mutate(fixture: &[u8], edits: &[(f64, u8, usize)], vocabulary: &[&[u8]]) -> Vec<u8> {
    let mut toks = tokens(fixture);
    for &(at, op, word) in edits {
        if toks.is_empty() {
            break;
        }
        let i = ((toks.len() as f64) * at) as usize % toks.len();
        match op {
            0 => {
                toks.remove(i);
            }
            1 => {
                let words = ODD_NUMBERS.iter().chain(vocabulary);
                toks[i] = words.copied().nth(word).unwrap_or_default().to_vec();
            }
            2 => toks.insert(i, toks[i].clone()),
            _ => toks.truncate(i + 1),
        }
    }
    toks.concat()
}

/// The four agreement properties of a family of parsers: fast and oracle agree (`$agree`) on
/// byte-mutated and token-mutated fixtures, on arbitrary bytes and on noise drawn from the
/// formats' characters. A macro because proptest's tests are items of the module invoking it,
/// where its regressions file is found.
#[macro_export]
macro_rules! agreement_properties {
    (
        cases: $cases:expr,
        agree: $agree:path,
        fixtures: $fixtures:path,
        alphabet: $alphabet:path,
        vocabulary: $vocabulary:path,
        noise: $noise:expr $(,)?
    ) => {
        ::proptest::proptest! {
            #![proptest_config($crate::support::mutations::config($cases))]

            #[test]
            fn mutated_fixtures_agree(
                which in 0usize..$fixtures.len(),
                edits in $crate::support::mutations::edits($alphabet),
            ) {
                $agree(&$crate::support::mutations::mutate($fixtures[which], &edits))?;
            }

            #[test]
            fn token_mutated_fixtures_agree(
                which in 0usize..$fixtures.len(),
                edits in $crate::support::mutations::token_edits($vocabulary.len()),
            ) {
                $agree(&$crate::support::mutations::token_mutate(
                    $fixtures[which],
                    &edits,
                    $vocabulary,
                ))?;
            }

            #[test]
            fn arbitrary_bytes_never_panic_and_agree(
                bytes in ::proptest::collection::vec(::proptest::prelude::any::<u8>(), 0..300),
            ) {
                $agree(&bytes)?;
            }

            #[test]
            fn format_shaped_noise_agrees(bytes in $crate::support::mutations::noise($noise, 200)) {
                $agree(&bytes)?;
            }
        }
    };
}
