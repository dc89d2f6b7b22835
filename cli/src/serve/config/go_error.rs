//! Why Go's `regexp/syntax` refuses a pattern: its error codes, in its words, and the part of the
//! pattern each names. Shared by the translation of patterns and of their classes.

use std::fmt;

// Go's error codes, in its words.
pub(super) const MISSING_BRACKET: &str = "missing closing ]";
pub(super) const MISSING_PAREN: &str = "missing closing )";
pub(super) const UNEXPECTED_PAREN: &str = "unexpected )";
pub(super) const CHAR_RANGE: &str = "invalid character class range";
pub(super) const ESCAPE: &str = "invalid escape sequence";
pub(super) const NAMED: &str = "invalid named capture";
pub(super) const PERL_OP: &str = "invalid or unsupported Perl syntax";
pub(super) const REPEAT_OP: &str = "invalid nested repetition operator";
pub(super) const REPEAT_SIZE: &str = "invalid repeat count";
pub(super) const MISSING_ARG: &str = "missing argument to repetition operator";
pub(super) const TRAILING: &str = "trailing backslash at end of expression";
pub(super) const NESTING: &str = "expression nests too deeply";

/// Why Go refuses a pattern: its words, and the part of the pattern it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SyntaxError {
    pub(super) code: &'static str,
    pub(super) expr: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: `{}`", self.code, self.expr)
    }
}

pub(super) fn error(code: &'static str, expr: &str) -> SyntaxError {
    SyntaxError {
        code,
        expr: expr.to_string(),
    }
}
