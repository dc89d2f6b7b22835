//! What the parsers' unit tests share: error tables and the property that no input panics.

use crate::error::{Error, Result};

/// A parser under test, whatever its view borrows: all the tables below ask is whether it failed,
/// and how.
pub(crate) trait Outcome<'a> {
    /// The parse of `input`, its view dropped.
    fn outcome(&self, input: &'a [u8]) -> Result<()>;
}

impl<'a, F, T> Outcome<'a> for F
where
    F: Fn(&'a [u8]) -> Result<T>,
{
    fn outcome(&self, input: &'a [u8]) -> Result<()> {
        self(input).map(|_| ())
    }
}

/// Asserts that each input of `cases` fails to parse with the error naming `file` and the
/// case's field.
pub(crate) fn assert_errors(
    parse: impl for<'a> Outcome<'a>,
    file: &'static str,
    cases: &[(&str, &'static str)],
) {
    for &(input, field) in cases {
        assert_eq!(
            parse.outcome(input.as_bytes()),
            Err(Error::parse(file, field)),
            "input {input:?}"
        );
    }
}

/// `real` with the first `from` replaced by `to`; `from` must be there, so that no case goes
/// untested by a typo.
pub(crate) fn replaced(real: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = std::str::from_utf8(real).expect("fixtures are text");
    assert!(text.contains(from), "{from:?} is not in the fixture");
    text.replacen(from, to, 1).into_bytes()
}

/// The lines of `text` in reverse order, each ending in a newline: for parsers that must not
/// depend on the order the kernel writes its lines in.
pub(crate) fn reversed_lines(text: &[u8]) -> Vec<u8> {
    let mut lines: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    lines.reverse();
    lines
        .iter()
        .flat_map(|l| l.iter().chain(b"\n"))
        .copied()
        .collect()
}

/// Asserts what every file of lines shares, an empty file naming `empty` and `real` cut before
/// its last newline naming `newline`, and that each edit `(from, to, field)` of `real` fails to
/// parse with the error naming `file` and `field`.
pub(crate) fn assert_edit_errors(
    parse: impl for<'a> Outcome<'a>,
    file: &'static str,
    real: &[u8],
    edits: &[(&str, &str, &'static str)],
) {
    assert_eq!(parse.outcome(b""), Err(Error::parse(file, "empty")));
    let cut = real
        .strip_suffix(b"\n")
        .expect("the fixture ends its last line");
    assert_eq!(parse.outcome(cut), Err(Error::parse(file, "newline")));
    for &(from, to, field) in edits {
        assert_eq!(
            parse.outcome(&replaced(real, from, to)),
            Err(Error::parse(file, field)),
            "{from:?} made {to:?}"
        );
    }
}

/// A property test named `never_panics`: `parse` returns, whatever it is given, on every input
/// of up to `max` arbitrary bytes.
macro_rules! never_panics {
    ($parse:expr, $max:expr) => {
        proptest::proptest! {
            #[test]
            fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..$max)) {
                let _ = $parse(&bytes);
            }
        }
    };
}

pub(crate) use never_panics;

/// A test named `errors_name_the_field`: each `(input, field)` fails to parse with the error
/// naming `file` and `field` (see [`assert_errors`]).
macro_rules! errors_name_the_field {
    ($parse:expr, $file:expr, [$( ($input:expr, $field:expr) ),* $(,)?]) => {
        #[test]
        fn errors_name_the_field() {
            $crate::parse::testing::assert_errors($parse, $file, &[$(($input, $field)),*]);
        }
    };
}

pub(crate) use errors_name_the_field;

/// A test named `errors_name_the_field` for a file of lines and a real sample of it: see
/// [`assert_edit_errors`]; each edit reads `from => to: field`.
macro_rules! edits_name_the_field {
    ($parse:expr, $file:expr, $real:expr, {
        $( $from:literal => $to:literal: $field:literal ),* $(,)?
    }) => {
        #[test]
        fn errors_name_the_field() {
            $crate::parse::testing::assert_edit_errors(
                $parse,
                $file,
                $real,
                &[$(($from, $to, $field)),*],
            );
        }
    };
}

pub(crate) use edits_name_the_field;
