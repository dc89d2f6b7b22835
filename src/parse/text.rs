//! Byte-slice helpers shared by the text parsers: line and field splitting without allocation.
//!
//! Every helper returns sub-slices of its input found with `memchr` or a short byte loop, so none
//! can index out of bounds, and none allocates.

use crate::Error;

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
    let at = memchr::memchr(needle, buf)?;
    Some((buf.get(..at)?, buf.get(at + 1..)?))
}

/// True for the blanks /proc pads its columns with.
#[inline]
pub(crate) fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `buf` without leading spaces and tabs.
#[inline]
pub(crate) fn trim_start(buf: &[u8]) -> &[u8] {
    let skip = buf.iter().take_while(|&&b| is_blank(b)).count();
    buf.get(skip..).unwrap_or_default()
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
        match split_once(rest, b'\n') {
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

/// Parses a value printed as `<digits> kB` (after the blanks following the colon) into bytes.
///
/// `None` if the unit is missing, the number is not strict decimal, or bytes overflow a `u64`.
#[inline]
pub(crate) fn kb_to_bytes(value: &[u8]) -> Option<u64> {
    let digits = trim_start(value).strip_suffix(b" kB")?;
    crate::parse::num::u64_dec(digits)?.checked_mul(1024)
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
    fn kilobytes() {
        assert_eq!(kb_to_bytes(b"    3060 kB"), Some(3060 * 1024));
        assert_eq!(kb_to_bytes(b"3060"), None);
        assert_eq!(kb_to_bytes(b"x kB"), None);
        assert_eq!(kb_to_bytes(b"18014398509481984 kB"), None);
    }
}
