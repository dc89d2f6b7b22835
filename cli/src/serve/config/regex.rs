//! A config's `cmdline` regexes: read as Go reads them ([`super::go_syntax`]), compiled by the
//! regex crate within bounds on the memory they take.
//!
//! process-exporter bounds none of it: a 10 MB alternation of literals takes it 900 MB. Here a
//! config's regexes together may have
//!
//! * at most [`MAX_TEXT`] (256 KiB) of pattern text: what the regex crate's parse of them
//!   takes, and the Aho-Corasick automaton it builds for a long alternation of literals (about
//!   130 bytes a byte), grow with it;
//! * at most [`MAX_UNICODE_CLASSES`] (4096) `\p` classes: each is up to about 700 ranges in the
//!   parse, some 5 KiB, before its compiled size is known;
//! * at most [`MAX_COMPILED`] (64 MiB) compiled, by the regex crate's measure (its
//!   `size_limit`, the size of the forward NFA; the reverse one is about as big), each regex
//!   counting at least [`MIN_CHARGE`] (64 KiB), so at most 1024 regexes. Each regex's two lazy
//!   DFA caches (forward and reverse), which grow as processes are matched, may each take as
//!   much as it counts, and at most 2 MiB (the regex crate's default).
//!
//! `\w{1000}` compiles to 96 KiB (ASCII, as in Go), `\pL{1000}` to 41 MiB. The compiled size
//! is found by compiling under doubling limits from 64 KiB, then halving the last step three
//! times, one build in memory at a time: a regex counts within an eighth of its size.
//!
//! Peak RSS of `procfast serve --once` (release build, this host): a 10 MB alternation,
//! refused, 25 MB; a 255 KiB one 38 MB; `\pL{1000}` 161 MB; 14 of `\pL{100}` 98 MB; 600 of
//! `\w{1000}` 114 MB; 4096 `\pL` in one regex, refused by its compiled size, 113 MB.

use super::go_syntax;
use regex::{Captures, Regex, RegexBuilder};

/// The most pattern text a config's regexes may have in all.
pub(super) const MAX_TEXT: usize = 256 << 10;
/// The most `\p`/`\P` classes a config's regexes may name in all.
pub(super) const MAX_UNICODE_CLASSES: usize = 4096;
/// The most a config's regexes may compile to in all.
pub(super) const MAX_COMPILED: usize = 64 << 20;
/// The least a regex counts for, and the first size limit it is compiled under.
pub(super) const MIN_CHARGE: usize = 64 << 10;
/// The largest lazy DFA cache a regex gets: the regex crate's default.
const MAX_DFA: usize = 2 << 20;

/// A `cmdline` regex, compiled, with Go's names of its groups.
#[derive(Debug, Clone)]
pub(super) struct GoRegex {
    re: Regex,
    /// By group number; 0, the whole match, has none.
    names: Vec<Option<String>>,
}

impl GoRegex {
    pub(super) fn is_match(&self, line: &str) -> bool {
        self.re.is_match(line)
    }

    pub(super) fn captures<'h>(&self, line: &'h str) -> Option<Captures<'h>> {
        self.re.captures(line)
    }

    /// The named groups: number and name.
    pub(super) fn named_groups(&self) -> impl Iterator<Item = (usize, &str)> {
        self.names
            .iter()
            .enumerate()
            .filter_map(|(i, name)| Some((i, name.as_deref()?)))
    }

    pub(super) fn has_group(&self, name: &str) -> bool {
        self.named_groups().any(|(_, n)| n == name)
    }
}

/// What one config's regexes have taken of the bounds so far.
#[derive(Debug, Default)]
pub(super) struct Budget {
    text: usize,
    classes: usize,
    compiled: usize,
    count: usize,
}

impl Budget {
    /// Compiles `pattern` as Go reads it, counting it against the bounds. The error is one
    /// line, naming the pattern (shortened if long).
    pub(super) fn compile(&mut self, pattern: &str) -> Result<GoRegex, String> {
        let shown = shorten(pattern);
        self.text += pattern.len();
        if self.text > MAX_TEXT {
            return Err(format!(
                "the cmdline regexes come to more than {} KiB of text with `{shown}`: \
                 procfast serve takes at most that much per config, to bound their memory",
                MAX_TEXT >> 10
            ));
        }
        let translated = go_syntax::translate(pattern).map_err(|e| {
            if e.expr == pattern {
                format!("bad cmdline regex `{shown}`: {}", e.code)
            } else {
                format!(
                    "bad cmdline regex `{shown}`: {}: `{}`",
                    e.code,
                    shorten(&e.expr)
                )
            }
        })?;
        self.classes += translated.unicode_classes;
        if self.classes > MAX_UNICODE_CLASSES {
            return Err(format!(
                "the cmdline regexes name more than {MAX_UNICODE_CLASSES} Unicode classes \
                 (\\p...) with `{shown}`: procfast serve takes at most that many per config, \
                 to bound their memory"
            ));
        }
        let too_big = |budget: &Budget| {
            if budget.count == 0 {
                format!(
                    "cmdline regex `{shown}` compiles to more than {} MiB, the most \
                     procfast serve lets a config's regexes take in all",
                    MAX_COMPILED >> 20
                )
            } else {
                format!(
                    "cmdline regex `{shown}` does not fit in the {} MiB procfast serve lets a \
                     config's regexes take in all: the {} before it take {:.1} MiB (each \
                     counts at least {} KiB)",
                    MAX_COMPILED >> 20,
                    budget.count,
                    budget.compiled as f64 / f64::from(1 << 20),
                    MIN_CHARGE >> 10
                )
            }
        };
        let room = MAX_COMPILED - self.compiled;
        if room < MIN_CHARGE {
            return Err(too_big(self));
        }
        let rust = translated.rust.as_str();
        let (mut limit, mut small) = (MIN_CHARGE, 0);
        let mut re = loop {
            match build(rust, limit) {
                Ok(re) => break re,
                Err(regex::Error::CompiledTooBig(_)) if limit < room => {
                    small = limit;
                    limit = (limit * 2).min(room);
                }
                Err(regex::Error::CompiledTooBig(_)) => return Err(too_big(self)),
                Err(e) => return Err(format!("bad cmdline regex `{shown}`: {}", one_line(&e))),
            }
        };
        if small > 0 {
            // One regex in memory at a time: each try is dropped, the one found built again.
            drop(re);
            for _ in 0..3 {
                let middle = small + (limit - small) / 2;
                match build(rust, middle) {
                    Ok(_) => limit = middle,
                    Err(_) => small = middle,
                }
            }
            re = build(rust, limit).map_err(|e| format!("bad cmdline regex `{shown}`: {e}"))?;
        }
        self.compiled += limit;
        self.count += 1;
        Ok(GoRegex {
            re,
            names: translated.names,
        })
    }
}

fn build(rust: &str, limit: usize) -> Result<Regex, regex::Error> {
    RegexBuilder::new(rust)
        .size_limit(limit)
        .dfa_size_limit(limit.min(MAX_DFA))
        // The translation bounds the nesting as Go does; the regex crate's own limit (250
        // levels, counting groups Go builds nothing for) would refuse patterns Go reads.
        .nest_limit(u32::MAX)
        .build()
}

/// A pattern as an error shows it: at most 60 characters.
fn shorten(pattern: &str) -> String {
    match pattern.char_indices().nth(60) {
        Some((end, _)) => format!("{}...", &pattern[..end]),
        None => pattern.to_string(),
    }
}

/// A regex error on one line: its syntax errors come as a drawing over several lines whose
/// last says what is wrong.
fn one_line(e: &regex::Error) -> String {
    let text = e.to_string();
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    last.trim().trim_start_matches("error: ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(budget: &mut Budget, pattern: &str) -> GoRegex {
        budget
            .compile(pattern)
            .unwrap_or_else(|e| panic!("{pattern}: {e}"))
    }

    #[test]
    fn go_patterns_compile_with_their_meaning() {
        let mut budget = Budget::default();
        let re = compile(&mut budget, r"\w{1000}");
        assert!(re.is_match(&"a".repeat(1000)));
        assert!(!re.is_match(&"é".repeat(1000)));
        // ASCII, so about 96 KiB, where Unicode's \w{1000} exceeds the regex crate's default
        // limit of 10 MiB.
        assert!((MIN_CHARGE..2 * MIN_CHARGE).contains(&budget.compiled));
        let re = compile(&mut budget, r"^\Q.*\E$");
        assert!(re.is_match(".*") && !re.is_match("ab"));
        let re = compile(&mut budget, r"(?P<x>a)(b)(?P<1y>c)?");
        let caps = re.captures("ab").unwrap_or_else(|| panic!("no match"));
        let named: Vec<(usize, &str, Option<&str>)> = re
            .named_groups()
            .map(|(i, n)| (i, n, caps.get(i).map(|m| m.as_str())))
            .collect();
        assert_eq!(named, [(1, "x", Some("a")), (3, "1y", None)]);
        assert!(re.has_group("1y") && !re.has_group("b"));
    }

    #[test]
    fn errors_are_one_line_and_name_the_pattern() {
        let mut budget = Budget::default();
        let e = budget.compile("a(b").unwrap_err();
        assert_eq!(e, "bad cmdline regex `a(b`: missing closing )");
        let e = budget.compile(r"x\w{1001}").unwrap_err();
        assert_eq!(
            e,
            r"bad cmdline regex `x\w{1001}`: invalid repeat count: `{1001}`"
        );
        let long = format!("{}(", "a".repeat(100));
        let e = budget.compile(&long).unwrap_err();
        assert!(e.contains(&format!("`{}...`", "a".repeat(60))), "{e}");
        assert!(e.len() < 200 && !e.contains('\n'), "{e}");
    }

    #[test]
    fn text_and_classes_are_bounded() {
        let mut budget = Budget::default();
        let half = "a".repeat(MAX_TEXT / 2);
        compile(&mut budget, &half);
        compile(&mut budget, &half);
        let e = budget.compile("b").unwrap_err();
        assert!(e.contains("256 KiB") && e.contains("`b`"), "{e}");
        let mut budget = Budget::default();
        compile(&mut budget, &r"\p{Greek}".repeat(MAX_UNICODE_CLASSES));
        let e = budget.compile(r"\pL").unwrap_err();
        assert!(e.contains("4096 Unicode classes"), "{e}");
    }

    #[test]
    fn compiled_size_is_bounded_in_all() {
        // 1024 regexes of the least charge fit, not one more.
        let mut budget = Budget::default();
        for _ in 0..MAX_COMPILED / MIN_CHARGE {
            compile(&mut budget, "a");
        }
        let e = budget.compile("a").unwrap_err();
        assert!(e.contains("the 1024 before it take 64.0 MiB"), "{e}");
        // A big regex counts near its size, and one too big alone says so.
        let mut budget = Budget::default();
        compile(&mut budget, r"\pL{200}");
        assert!(
            (8 << 20..10 << 20).contains(&budget.compiled),
            "{}",
            budget.compiled
        );
        let e = Budget::default()
            .compile(r"(?:\pL{1000}){1}\pL{600}")
            .unwrap_err();
        assert!(e.contains("compiles to more than 64 MiB"), "{e}");
    }
}
