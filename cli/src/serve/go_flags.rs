//! Command-line flags read as Go's `flag` package reads them, so that process-exporter's
//! command lines (`-config.path FILE -threads=false`) start serve unchanged.
//!
//! The rules, from Go's `flag.FlagSet.parseOne`: a flag is `-name` or `--name`; `-name=value`
//! and `-name value` give a value, except to a boolean, which takes one only after `=` (a bare
//! boolean is true and never takes the next word); `--` ends the flags. A flag may be given
//! again, the last one counting. Where Go stops at the first word that is not a flag and
//! ignores it and everything after it, this parser refuses that word, so that no flag written
//! after it is silently dropped.
//!
//! No crate reads this syntax: clap, lexopt and pico-args take `-name` as short options, and
//! getopts' long-only mode refuses `-bool=false`.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// What a flag takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A boolean: bare (true) or `=value`.
    Bool,
    /// A value: `=value` or the next word.
    Value,
}

/// One flag read from the command line.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Flag {
    /// Its name, without dashes.
    pub(super) name: String,
    /// As written, with its dashes and without a value (`-threads`, `--listen`), to name it in
    /// messages.
    pub(super) written: String,
    /// The value after `=`, or for a [`Kind::Value`] without one, the next word; `None` for a
    /// bare boolean.
    pub(super) value: Option<OsString>,
}

/// Why a command line was refused; its `Display` is one line, worded as Go's where Go has the
/// same error.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum FlagError {
    /// `---x`, `-=x`: not a flag at all.
    BadSyntax(String),
    /// A flag name nothing defines.
    NotDefined(String),
    /// A value flag last on the line.
    NeedsArgument(String),
    /// A word where a flag was expected; the boolean flag just before it, if it was bare.
    Unexpected(OsString, Option<String>),
}

impl std::fmt::Display for FlagError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FlagError::BadSyntax(arg) => write!(f, "bad flag syntax: {arg}"),
            FlagError::NotDefined(flag) => write!(f, "flag provided but not defined: {flag}"),
            FlagError::NeedsArgument(flag) => write!(f, "flag needs an argument: {flag}"),
            FlagError::Unexpected(word, bare) => {
                let word = word.to_string_lossy();
                write!(f, "unexpected argument {word:?}")?;
                match bare {
                    Some(flag) => write!(
                        f,
                        " after {flag}, a boolean flag that takes a value only after '=' \
                         ({flag}={word})"
                    ),
                    None => f.write_str(" (serve takes flags only)"),
                }
            }
        }
    }
}

/// What [`GoFlags::next`] read.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Parsed {
    /// A defined flag.
    Flag(Flag),
    /// `-h`, `-help`, `--h` or `--help`, none of them defined: Go's request for the usage.
    Help,
}

/// A reader of Go-style flags over the words of a command line.
pub(super) struct GoFlags {
    words: std::vec::IntoIter<OsString>,
    /// A bare boolean flag just read: named if a stray word follows it.
    last_bare_bool: Option<String>,
    ended: bool,
}

impl GoFlags {
    /// Reads `words`, the command line after the command word.
    pub(super) fn new(words: Vec<OsString>) -> GoFlags {
        GoFlags {
            words: words.into_iter(),
            last_bare_bool: None,
            ended: false,
        }
    }

    /// The next flag, `None` at the end; `kind_of` says what each name takes (`None`: not
    /// defined).
    pub(super) fn next(
        &mut self,
        kind_of: impl Fn(&str) -> Option<Kind>,
    ) -> Result<Option<Parsed>, FlagError> {
        let bare_before = self.last_bare_bool.take();
        let Some(word) = self.words.next() else {
            return Ok(None);
        };
        let bytes = word.as_bytes();
        if self.ended || bytes.len() < 2 || bytes[0] != b'-' {
            return Err(FlagError::Unexpected(word, bare_before));
        }
        let dashes = if bytes[1] == b'-' { 2 } else { 1 };
        if bytes.len() == 2 && dashes == 2 {
            // `--`: what follows is not flags, and serve takes nothing else.
            self.ended = true;
            return self.next(kind_of);
        }
        let body = &bytes[dashes..];
        if body.is_empty() || body[0] == b'-' || body[0] == b'=' {
            return Err(FlagError::BadSyntax(word.to_string_lossy().into_owned()));
        }
        let (name, value) = match body.iter().position(|&b| b == b'=') {
            Some(at) => (&body[..at], Some(OsStr::from_bytes(&body[at + 1..]))),
            None => (body, None),
        };
        let name = String::from_utf8_lossy(name).into_owned();
        let written = format!("{}{name}", "-".repeat(dashes));
        let Some(kind) = kind_of(&name) else {
            if name == "h" || name == "help" {
                return Ok(Some(Parsed::Help));
            }
            return Err(FlagError::NotDefined(written));
        };
        let value = match (kind, value) {
            (_, Some(value)) => Some(value.to_os_string()),
            (Kind::Bool, None) => {
                self.last_bare_bool = Some(written.clone());
                None
            }
            (Kind::Value, None) => match self.words.next() {
                Some(next) => Some(next),
                None => return Err(FlagError::NeedsArgument(written)),
            },
        };
        Ok(Some(Parsed::Flag(Flag {
            name,
            written,
            value,
        })))
    }

    /// Takes the next word if it is one of `words` and flags have not ended: for a flag whose
    /// native form takes its value as the next word (`--children false`).
    pub(super) fn next_word_if(&mut self, words: &[&str]) -> Option<String> {
        let next = self.words.as_slice().first()?;
        let hit = !self.ended && words.iter().any(|w| OsStr::new(w) == next);
        if !hit {
            return None;
        }
        self.last_bare_bool = None;
        self.words
            .next()
            .map(|w| String::from_utf8_lossy(&w.into_vec()).into_owned())
    }
}

/// Go's `strconv.ParseBool`: `1 t T TRUE true True` and `0 f F FALSE false False`.
pub(super) fn parse_go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_of(name: &str) -> Option<Kind> {
        match name {
            "threads" | "children" => Some(Kind::Bool),
            "config.path" | "web.listen-address" => Some(Kind::Value),
            _ => None,
        }
    }

    /// Every flag of `line` as (name, value), or the first error.
    fn read(line: &[&str]) -> Result<Vec<(String, Option<String>)>, FlagError> {
        let mut flags = GoFlags::new(line.iter().map(OsString::from).collect());
        let mut got = Vec::new();
        while let Some(parsed) = flags.next(kind_of)? {
            match parsed {
                Parsed::Flag(f) => {
                    got.push((f.name, f.value.map(|v| v.to_string_lossy().into_owned())))
                }
                Parsed::Help => got.push(("<help>".into(), None)),
            }
        }
        Ok(got)
    }

    fn flag(name: &str, value: Option<&str>) -> (String, Option<String>) {
        (name.to_string(), value.map(str::to_string))
    }

    #[test]
    fn one_or_two_dashes_and_either_value_form() {
        for line in [
            &["-config.path", "a.yml"][..],
            &["--config.path", "a.yml"],
            &["-config.path=a.yml"],
            &["--config.path=a.yml"],
        ] {
            assert_eq!(read(line), Ok(vec![flag("config.path", Some("a.yml"))]));
        }
        // The next word is the value whatever it looks like, as in Go.
        assert_eq!(
            read(&["-config.path", "-threads"]),
            Ok(vec![flag("config.path", Some("-threads"))])
        );
        assert_eq!(
            read(&["-config.path", "--"]),
            Ok(vec![flag("config.path", Some("--"))])
        );
        // Only the first '=' splits.
        assert_eq!(
            read(&["-config.path=a=b"]),
            Ok(vec![flag("config.path", Some("a=b"))])
        );
        assert_eq!(
            read(&["-config.path="]),
            Ok(vec![flag("config.path", Some(""))])
        );
    }

    #[test]
    fn a_bare_boolean_never_takes_the_next_word() {
        assert_eq!(
            read(&["-threads", "-children=false"]),
            Ok(vec![flag("threads", None), flag("children", Some("false"))])
        );
        let e = read(&["-threads", "false"]).unwrap_err();
        assert_eq!(
            e,
            FlagError::Unexpected("false".into(), Some("-threads".into()))
        );
        assert_eq!(
            e.to_string(),
            "unexpected argument \"false\" after -threads, a boolean flag that takes a value \
             only after '=' (-threads=false)"
        );
    }

    #[test]
    fn double_dash_ends_the_flags() {
        assert_eq!(read(&["-threads", "--"]), Ok(vec![flag("threads", None)]));
        assert_eq!(
            read(&["--", "-threads"]),
            Err(FlagError::Unexpected("-threads".into(), None))
        );
    }

    #[test]
    fn errors_are_worded_as_go_words_them() {
        for (word, message) in [
            ("-foo", "flag provided but not defined: -foo"),
            ("--foo=1", "flag provided but not defined: --foo"),
            ("-config.path", "flag needs an argument: -config.path"),
            ("---x", "bad flag syntax: ---x"),
            ("-=x", "bad flag syntax: -=x"),
            ("x", "unexpected argument \"x\" (serve takes flags only)"),
            // A lone dash is a word, not a flag, for Go too.
            ("-", "unexpected argument \"-\" (serve takes flags only)"),
        ] {
            assert_eq!(read(&[word]).unwrap_err().to_string(), message);
        }
    }

    #[test]
    fn help_in_every_spelling() {
        for h in ["-h", "--h", "-help", "--help"] {
            assert_eq!(read(&[h]), Ok(vec![flag("<help>", None)]), "{h}");
        }
    }

    #[test]
    fn a_word_is_taken_only_when_asked_and_only_if_listed() {
        let mut flags = GoFlags::new(vec!["--children".into(), "false".into()]);
        assert!(matches!(flags.next(kind_of), Ok(Some(Parsed::Flag(_)))));
        assert_eq!(flags.next_word_if(&["maybe"]), None);
        assert_eq!(
            flags.next_word_if(&["true", "false"]).as_deref(),
            Some("false")
        );
        assert_eq!(flags.next(kind_of), Ok(None));
    }

    #[test]
    fn go_booleans() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(parse_go_bool(t), Some(true), "{t}");
        }
        for f in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(parse_go_bool(f), Some(false), "{f}");
        }
        for bad in ["", "yes", "no", "tRUE", "on", "2", " true"] {
            assert_eq!(parse_go_bool(bad), None, "{bad}");
        }
    }
}
