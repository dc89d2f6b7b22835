//! Pure parsers: bytes in, borrowed views out.
//!
//! Nothing in this module does I/O, allocates or panics, whatever the input: every function takes
//! the bytes a /proc file (or a `getdents64` call) produced and returns views that borrow them, or
//! an [`Error::Parse`](crate::Error::Parse) naming the file and the field that failed. That makes
//! each parser testable with inline fixtures, comparable against a naive oracle, and fuzzable.

pub mod dirent;
pub mod num;

/// The state letter of a `/proc/<pid>/stat` line (`R`, `S`, `Z`, …), from the line or just its
/// head: it is the first byte after `") "`, found from the *last* `)` because the command name in
/// parentheses may itself contain `)`.
///
/// ```
/// assert_eq!(procfast::parse::stat_state(b"42 (a) (b) Z 1 2"), Some(b'Z'));
/// assert_eq!(procfast::parse::stat_state(b"42 (sh"), None);
/// ```
pub fn stat_state(line: &[u8]) -> Option<u8> {
    let close = memchr::memrchr(b')', line)?;
    match line.get(close + 1..close + 3)? {
        [b' ', state] => Some(*state),
        _ => None,
    }
}
