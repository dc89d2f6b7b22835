//! Pure parsers: bytes in, borrowed views out.
//!
//! Nothing in this module does I/O, allocates or panics, whatever the input: every function takes
//! the bytes a /proc file (or a `getdents64` call) produced and returns views that borrow them, or
//! an [`Error::Parse`](crate::Error::Parse) naming the file and the field that failed. That makes
//! each parser testable with inline fixtures, comparable against a naive oracle, and fuzzable.

pub mod dirent;
pub mod num;
