//! Byte-slice helpers shared by the text parsers: line and field splitting without allocation.
//!
//! Every helper returns sub-slices of its input found with `memchr` or a short byte loop, so none
//! can index out of bounds, and none allocates.

use crate::error::Error;

/// Strips the final `\n` the kernel writes at the end of every /proc text file.
///
/// A missing one means the text was cut short (a read into a too-small buffer, or bytes that never
/// came from the kernel); the error names the pseudo-field `newline`. Empty input is reported as
/// `empty`.
#[inline]
pub(crate) fn body<'a>(buf: &'a [u8], file: &'static str) -> Result<&'a [u8], Error> {
    match buf.split_last() {
        Some((b'\n', body)) => Ok(body),
        Some(_) => Err(Error::parse(file, "newline")),
        None => Err(Error::parse(file, "empty")),
    }
}

/// Splits `buf` at the first `needle`: the part before it and the part after it.
#[inline]
pub(crate) fn split_once(buf: &[u8], needle: u8) -> Option<(&[u8], &[u8])> {
    let at = find(buf, needle)?;
    Some((buf.get(..at)?, buf.get(at + 1..)?))
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;
/// Bytes scanned a word at a time before handing over to `memchr`'s vector loops, whose setup
/// costs more than the short keys and lines of /proc files take to scan.
const SWAR_SPAN: usize = 32;

/// Bit 7 set in the lowest byte of `v` that is zero (higher bytes may be flagged spuriously, so
/// only the lowest flag is meaningful).
#[inline(always)]
fn zero_bytes(v: u64) -> u64 {
    v.wrapping_sub(ONES) & !v & HIGHS
}

#[inline(always)]
fn word_at(buf: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(buf.get(at..at + 8)?.try_into().ok()?))
}

/// The index of the first `needle` in `buf`, like `memchr` but cheaper for matches near the start.
#[inline]
pub(crate) fn find(buf: &[u8], needle: u8) -> Option<usize> {
    let repeated = u64::from(needle) * ONES;
    let mut at = 0;
    while at < SWAR_SPAN {
        let Some(word) = word_at(buf, at) else {
            let tail = buf.get(at..)?;
            return tail.iter().position(|&b| b == needle).map(|i| at + i);
        };
        let hits = zero_bytes(word ^ repeated);
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    memchr::memchr(needle, buf.get(at..)?).map(|i| at + i)
}

/// The index of the first `a` or `b` in `buf`, like `memchr2` but cheaper for matches near the
/// start.
#[inline]
pub(crate) fn find2(buf: &[u8], a: u8, b: u8) -> Option<usize> {
    let (ra, rb) = (u64::from(a) * ONES, u64::from(b) * ONES);
    let mut at = 0;
    while at < SWAR_SPAN {
        let Some(word) = word_at(buf, at) else {
            let tail = buf.get(at..)?;
            return tail.iter().position(|&c| c == a || c == b).map(|i| at + i);
        };
        let hits = zero_bytes(word ^ ra) | zero_bytes(word ^ rb);
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    memchr::memchr2(a, b, buf.get(at..)?).map(|i| at + i)
}

/// True for the blanks /proc pads its columns with.
#[inline]
pub(crate) fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `buf` without leading spaces and tabs.
///
/// /proc pads columns with runs of spaces, so spaces are skipped eight at a time (a word compared
/// with eight spaces); tabs one at a time.
#[inline]
pub(crate) fn trim_start(buf: &[u8]) -> &[u8] {
    let mut rest = buf;
    loop {
        match rest.split_first() {
            Some((b' ', _)) => {}
            Some((b'\t', tail)) => {
                rest = tail;
                continue;
            }
            _ => return rest,
        }
        // A run of spaces: skip whole words of them.
        while let Some(chunk) = rest.get(..8) {
            let x =
                u64::from_le_bytes(chunk.try_into().unwrap_or_default()) ^ 0x2020_2020_2020_2020;
            let spaces = if x == 0 {
                8
            } else {
                (x.trailing_zeros() / 8) as usize
            };
            rest = rest.get(spaces..).unwrap_or_default();
            if spaces < 8 {
                break;
            }
        }
        while let Some((b' ', tail)) = rest.split_first() {
            rest = tail;
        }
    }
}

/// `a == b`, without a call to `memcmp` for the short keys of /proc files: equal lengths, then
/// two overlapping word loads.
#[inline(always)]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    #[inline(always)]
    fn word(s: &[u8], at: usize) -> u64 {
        s.get(at..at + 8)
            .map_or(0, |w| u64::from_le_bytes(w.try_into().unwrap_or_default()))
    }
    #[inline(always)]
    fn half(s: &[u8], at: usize) -> u32 {
        s.get(at..at + 4)
            .map_or(0, |w| u32::from_le_bytes(w.try_into().unwrap_or_default()))
    }
    let len = a.len();
    if len != b.len() {
        return false;
    }
    match len {
        0..=3 => a == b,
        4..=8 => half(a, 0) == half(b, 0) && half(a, len - 4) == half(b, len - 4),
        9..=16 => word(a, 0) == word(b, 0) && word(a, len - 8) == word(b, len - 8),
        17..=24 => {
            word(a, 0) == word(b, 0)
                && word(a, 8) == word(b, 8)
                && word(a, len - 8) == word(b, len - 8)
        }
        _ => a == b,
    }
}

/// `buf` without trailing spaces and tabs.
#[inline]
pub(crate) fn trim_end(buf: &[u8]) -> &[u8] {
    let keep = buf.len() - buf.iter().rev().take_while(|&&b| is_blank(b)).count();
    buf.get(..keep).unwrap_or_default()
}

/// `buf` without leading and trailing spaces and tabs.
#[inline]
pub(crate) fn trim(buf: &[u8]) -> &[u8] {
    trim_end(trim_start(buf))
}

/// Iterator over the lines of a body (a file without its final newline): `a\nb` yields `a`, `b`.
///
/// An empty body yields one empty line, which callers treat like any other line.
#[derive(Clone, Debug)]
pub(crate) struct Lines<'a> {
    rest: Option<&'a [u8]>,
}

#[inline]
pub(crate) fn lines(body: &[u8]) -> Lines<'_> {
    Lines { rest: Some(body) }
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        // Plain memchr: the files read line by line have long lines (net/dev, limits, intr).
        match memchr::memchr(b'\n', rest)
            .and_then(|at| Some((rest.get(..at)?, rest.get(at + 1..)?)))
        {
            Some((line, after)) => {
                self.rest = Some(after);
                Some(line)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// Iterator over the `key<sep>value` lines of a body, split at the first `sep`; lines without
/// one are skipped.
#[derive(Clone, Debug)]
pub(crate) struct KeyedLines<'a> {
    lines: Lines<'a>,
    sep: u8,
}

#[inline]
pub(crate) fn keyed_lines(body: &[u8], sep: u8) -> KeyedLines<'_> {
    KeyedLines {
        lines: lines(body),
        sep,
    }
}

impl<'a> Iterator for KeyedLines<'a> {
    type Item = (&'a [u8], &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let sep = self.sep;
        self.lines.by_ref().find_map(|line| split_once(line, sep))
    }
}

/// Iterator over the blank-separated words of a line; runs of blanks count as one separator.
#[derive(Clone, Debug)]
pub(crate) struct Words<'a> {
    rest: &'a [u8],
}

#[inline]
pub(crate) fn words(line: &[u8]) -> Words<'_> {
    Words { rest: line }
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = trim_start(self.rest);
        if rest.is_empty() {
            self.rest = rest;
            return None;
        }
        let len = rest.iter().take_while(|&&b| !is_blank(b)).count();
        let (word, after) = rest.split_at(len);
        self.rest = after;
        Some(word)
    }
}

impl Words<'_> {
    /// The next word as a strict decimal `u64`, or a parse error naming `file` and `field`.
    #[inline]
    pub(crate) fn u64_field(
        &mut self,
        file: &'static str,
        field: &'static str,
    ) -> Result<u64, Error> {
        self.next()
            .and_then(crate::parse::num::u64_dec)
            .ok_or(Error::parse(file, field))
    }
}

/// The first `N` blank-separated words of a one-line file, each a strict decimal: the file's
/// figures in order, an error naming the first that is missing or malformed. Words after them
/// are ignored.
pub(crate) fn u64_fields<const N: usize>(
    buf: &[u8],
    file: &'static str,
    fields: [&'static str; N],
) -> Result<[u64; N], Error> {
    let mut words = words(body(buf, file)?);
    let mut out = [0; N];
    for (slot, field) in out.iter_mut().zip(fields) {
        *slot = words.u64_field(file, field)?;
    }
    Ok(out)
}

/// The next blank-separated word of `rest`, read as a strict decimal and consumed: `Ok(None)` when
/// only blanks remain, `Err(())` if the word is not all digits or overflows. The same as taking a
/// word from [`words`] and parsing it, in one pass.
#[inline]
pub(crate) fn next_u64(rest: &mut &[u8]) -> core::result::Result<Option<u64>, ()> {
    let text = trim_start(rest);
    if text.is_empty() {
        *rest = text;
        return Ok(None);
    }
    let (value, len) = crate::parse::num::u64_prefix(text).ok_or(())?;
    let after = text.get(len..).ok_or(())?;
    match after.first() {
        None | Some(b' ' | b'\t') => {
            *rest = after;
            Ok(Some(value))
        }
        _ => Err(()),
    }
}

/// A read position in a whole file (one that ends with `\n`), moved forward line by line.
///
/// The line-oriented parsers read a key, then either parse the value in place (digits are read
/// and delimited in one pass, and the newline is consumed right after them) or skip the line
/// with one `memchr`. A known line is thus scanned once, with no separate search for its end.
#[derive(Clone, Debug)]
pub(crate) struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `file`, which should end with `\n` (see [`body`]).
    #[inline]
    pub(crate) fn new(file: &'a [u8]) -> Cursor<'a> {
        Cursor { rest: file }
    }

    /// True once every line has been consumed.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The text before `sep` on the current line, moving past `sep`; `None`, without moving, if
    /// the line has no `sep`.
    #[inline]
    pub(crate) fn key(&mut self, sep: u8) -> Option<&'a [u8]> {
        let at = find2(self.rest, sep, b'\n')?;
        let (key, rest) = self.rest.split_at(at);
        self.rest = rest.strip_prefix(&[sep])?;
        Some(key)
    }

    /// The rest of the current line without its newline, moving past the newline.
    #[inline]
    pub(crate) fn line(&mut self) -> &'a [u8] {
        match split_once(self.rest, b'\n') {
            Some((line, rest)) => {
                self.rest = rest;
                line
            }
            None => core::mem::take(&mut self.rest),
        }
    }

    /// Skips the rest of the current line and its newline.
    #[inline]
    pub(crate) fn skip_line(&mut self) {
        self.line();
    }

    /// Skips spaces and tabs.
    #[inline]
    pub(crate) fn skip_blanks(&mut self) {
        self.rest = trim_start(self.rest);
    }

    /// Consumes `literal` if the text continues with it.
    #[inline]
    pub(crate) fn eat(&mut self, literal: &[u8]) -> Option<()> {
        self.rest = self.rest.strip_prefix(literal)?;
        Some(())
    }

    /// The next byte, consumed.
    #[inline]
    pub(crate) fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(first)
    }

    /// A decimal word after optional blanks: digits that end at a blank or the newline.
    #[inline]
    pub(crate) fn u64_word(&mut self) -> Option<u64> {
        self.skip_blanks();
        let (value, len) = crate::parse::num::u64_prefix(self.rest)?;
        let rest = self.rest.get(len..)?;
        match rest.first() {
            Some(b' ' | b'\t' | b'\n') => {
                self.rest = rest;
                Some(value)
            }
            _ => None,
        }
    }

    /// Expects the end of the line (optional blanks, then the newline) and moves past it.
    #[inline]
    pub(crate) fn end_line(&mut self) -> Option<()> {
        self.skip_blanks();
        self.eat(b"\n")
    }

    /// Expects `unit` (empty for none), then the end of the line, and moves past them. The kernel
    /// writes `unit` and the newline right after the value: that takes a comparison or two,
    /// anything else the long way.
    #[inline]
    fn end_line_after(&mut self, unit: &[u8]) -> Option<()> {
        if let Some(rest) = self
            .rest
            .strip_prefix(unit)
            .and_then(|r| r.strip_prefix(b"\n"))
        {
            self.rest = rest;
            return Some(());
        }
        self.eat(unit)?;
        self.end_line()
    }

    /// A line's whole value as one decimal number: [`Cursor::u64_word`], then the end of line.
    #[inline]
    pub(crate) fn u64_line(&mut self) -> Option<u64> {
        let value = self.u64_word()?;
        self.end_line_after(b"")?;
        Some(value)
    }

    /// A line's value as `<digits> kB`, converted to bytes; `None` on overflow.
    #[inline]
    pub(crate) fn kb_line(&mut self) -> Option<u64> {
        let value = self.u64_word()?;
        self.end_line_after(b" kB")?;
        value.checked_mul(1024)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting() {
        assert_eq!(body(b"a\n", "f"), Ok(&b"a"[..]));
        assert_eq!(body(b"a", "f"), Err(Error::parse("f", "newline")));
        assert_eq!(body(b"", "f"), Err(Error::parse("f", "empty")));
        assert_eq!(lines(b"a\n\nb").collect::<Vec<_>>(), [&b"a"[..], b"", b"b"]);
        assert_eq!(
            words(b"  a \t bb  c ").collect::<Vec<_>>(),
            [&b"a"[..], b"bb", b"c"]
        );
        assert_eq!(words(b" \t ").next(), None);
        assert_eq!(trim(b" \t x y \t"), b"x y");
        assert_eq!(split_once(b"k:v:w", b':'), Some((&b"k"[..], &b"v:w"[..])));
        assert_eq!(split_once(b"kv", b':'), None);
    }

    #[test]
    fn numbers_like_words() {
        const LINES: &[&[u8]] = &[
            b"",
            b"  ",
            b"1 2\t 3 ",
            b"1x 2",
            b"x",
            b"18446744073709551616",
            b" 7",
            b"00012345678901 5",
        ];
        for &text in LINES {
            let mut rest = text;
            let mut got = Vec::new();
            while let Ok(Some(v)) = next_u64(&mut rest) {
                got.push(v);
            }
            let all_ok = words(text).all(|w| crate::parse::num::u64_dec(w).is_some());
            let want: Vec<u64> = words(text).map_while(crate::parse::num::u64_dec).collect();
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(text));
            assert_eq!(next_u64(&mut rest).is_ok(), all_ok);
        }
    }

    #[test]
    fn finds_like_memchr() {
        let mut text = Vec::new();
        for len in 0..80 {
            for at in 0..=len {
                text.clear();
                text.resize(len, b'a');
                if at < len {
                    text[at] = b':';
                }
                let expect = (at < len).then_some(at);
                assert_eq!(find(&text, b':'), expect);
                assert_eq!(find2(&text, b'\n', b':'), expect);
                if at + 1 < len {
                    text[at + 1] = b'\n';
                    assert_eq!(find2(&text, b'\n', b':'), expect);
                    assert_eq!(find(&text, b'\n'), Some(at + 1));
                }
            }
        }
        // Bytes just above and below the needle, and high bytes, are not matches.
        assert_eq!(
            find(
                &[0x3b, 0x39, 0xba, 0xff, 0x00, 0x01, 0x3a, 0x3a, 0x3a],
                b':'
            ),
            Some(6)
        );
    }

    #[test]
    fn same_is_eq() {
        let words: [&[u8]; 9] = [
            b"",
            b"a",
            b"abc",
            b"abcd",
            b"MemFree",
            b"MemTotal",
            b"Active(anon)",
            b"Inactive(file)x",
            b"HugePages_Total_and_more",
        ];
        for a in words {
            for b in words {
                assert_eq!(same(a, b), a == b);
                for at in 0..a.len() {
                    let mut c = a.to_vec();
                    c[at] ^= 1;
                    assert!(!same(a, &c));
                }
            }
        }
        for (i, w) in (0..40).map(|n| (n, vec![b' '; n])) {
            let mut v = w.clone();
            v.extend_from_slice(b"\t \tx ");
            assert_eq!(trim_start(&v), b"x ", "{i}");
            assert_eq!(trim_start(&w), b"");
        }
    }

    #[test]
    fn cursor() {
        let mut c = Cursor::new(b"Key: 12 kB\nNo colon\nN:\t7 \nName:\ta:b\nX: 1x\n");
        assert_eq!(c.key(b':'), Some(&b"Key"[..]));
        assert_eq!(c.kb_line(), Some(12 * 1024));
        assert_eq!(c.key(b':'), None);
        c.skip_line();
        assert_eq!(c.key(b':'), Some(&b"N"[..]));
        assert_eq!(c.u64_line(), Some(7));
        assert_eq!(c.key(b':'), Some(&b"Name"[..]));
        assert_eq!(c.line(), b"\ta:b");
        assert_eq!(c.key(b':'), Some(&b"X"[..]));
        assert_eq!(c.u64_line(), None);
        c.skip_line();
        assert!(c.is_empty());
        assert_eq!(Cursor::new(b"1 kB \n").kb_line(), Some(1024));
        assert_eq!(Cursor::new(b"1 kB x\n").kb_line(), None);
        assert_eq!(Cursor::new(b"1\n").kb_line(), None);
        assert_eq!(Cursor::new(b"18014398509481984 kB\n").kb_line(), None);
    }
}
