//! `/proc/<pid>/cmdline` and `/proc/<pid>/environ`: NUL-separated strings.
//!
//! ```text
//! /usr/bin/python3\0-m\0http.server\08080\0
//! ```
//!
//! Each argument ends in a NUL. A process may overwrite its own argument area (`setproctitle`),
//! leaving one string with spaces and no NUL, or a last string without its NUL: both are kept as
//! they are, never an error. A kernel thread and a zombie have an empty command line.
//!
//! `environ` has the same shape, each string a `KEY=value`: [`Cmdline::vars`] splits them. It
//! is the environment the process was started with; `setenv` in the process does not change it.

use crate::parse::text;

/// A command line (or environment) split at its NULs, borrowing the bytes read.
///
/// ```
/// use procfast::parse::cmdline::Cmdline;
/// let cmdline = Cmdline::new(b"sleep\x0030\x00");
/// assert_eq!(cmdline.args().collect::<Vec<_>>(), [&b"sleep"[..], b"30"]);
/// assert_eq!(cmdline.argv0(), Some(&b"sleep"[..]));
/// assert!(Cmdline::new(b"").is_empty());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cmdline<'a> {
    bytes: &'a [u8],
}

impl<'a> Cmdline<'a> {
    /// The view of `bytes`, as read from the file. Never fails: every byte string is a command
    /// line.
    pub fn new(bytes: &'a [u8]) -> Cmdline<'a> {
        Cmdline { bytes }
    }

    /// The bytes as read, NULs included.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// True for an empty command line (a kernel thread, a zombie).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The arguments, without their NULs: each NUL ends one (so `"\0"` is one empty argument),
    /// and a final argument without its NUL is kept. Empty input has none.
    pub fn args(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let bytes = self.bytes.strip_suffix(b"\0").unwrap_or(self.bytes);
        let none = self.bytes.is_empty();
        bytes.split(|&b| b == 0).filter(move |_| !none)
    }

    /// The first argument (the program as it was invoked), if any.
    pub fn argv0(&self) -> Option<&'a [u8]> {
        self.args().next()
    }

    /// For `environ`: each string split at its first `=` into the name and the value (which may
    /// itself contain `=`). Strings without a `=` are skipped, as `getenv` skips them; they
    /// remain in [`args`](Cmdline::args).
    ///
    /// ```
    /// use procfast::parse::cmdline::Cmdline;
    /// let environ = Cmdline::new(b"HOME=/root\0A=b=c\0junk\0=x\0");
    /// let vars: Vec<_> = environ.vars().collect();
    /// assert_eq!(vars, [(&b"HOME"[..], &b"/root"[..]), (b"A", b"b=c"), (b"", b"x")]);
    /// assert_eq!(Cmdline::new(b"").vars().count(), 0);
    /// ```
    pub fn vars(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'a {
        self.args().filter_map(|arg| text::split_once(arg, b'='))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(bytes: &[u8]) -> Vec<&[u8]> {
        Cmdline::new(bytes).args().collect()
    }

    #[test]
    fn splits_at_nuls_and_keeps_odd_shapes() {
        assert_eq!(args(b"a\0b\0"), [&b"a"[..], b"b"]);
        assert_eq!(args(b"a\0\0b\0"), [&b"a"[..], b"", b"b"]);
        // setproctitle: one string, spaces, no NUL.
        assert_eq!(
            args(b"nginx: worker process"),
            [&b"nginx: worker process"[..]]
        );
        assert_eq!(args(b"a\0b"), [&b"a"[..], b"b"]);
        assert!(args(b"").is_empty());
        assert_eq!(args(b"\0"), [&b""[..]]);
        assert_eq!(args(b"\0\0"), [&b""[..], b""]);
        assert_eq!(Cmdline::new(b"").argv0(), None);
    }

    #[test]
    fn vars_split_at_the_first_equals_sign() {
        let vars = |bytes: &'static [u8]| Cmdline::new(bytes).vars().collect::<Vec<_>>();
        assert_eq!(vars(b"A=1\0B=\0"), [(&b"A"[..], &b"1"[..]), (b"B", b"")]);
        assert_eq!(vars(b"A==1"), [(&b"A"[..], &b"=1"[..])]);
        assert!(vars(b"\0\0noequals\0").is_empty());
    }
}
