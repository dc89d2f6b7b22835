//! Go's regexp syntax, as process-exporter 0.7.10 reads its `cmdline` patterns (the
//! `regexp/syntax` of Go 1.19, which Debian's build uses, with its Perl flags), translated into
//! the regex crate's syntax so that a pattern means there what it means in Go.
//!
//! Both are RE2's syntax; where they part, the translation follows Go:
//!
//! * `\d`, `\s`, `\w`, `\b` and their negations are ASCII in Go and Unicode in the regex crate:
//!   they become `[0-9]`, `[\t\n\f\r ]` (Go's `\s` has no `\v`), `[0-9A-Za-z_]` and
//!   `(?-u:\b)`; so do the POSIX classes (`[[:alpha:]]`). Under `(?i)` both fold such a class
//!   the same way (Go's `(?i)\w` matches the Kelvin sign K, as `(?i)[0-9A-Za-z_]` does here).
//! * `\Q...\E` quotes literal text (to the end of the pattern without `\E`).
//! * A counted repetition asks for at most 1000, and nested ones for at most 1000 copies in all
//!   (`(?:a{10}){101}` is an error in Go); a `{` that starts no repetition is a literal `{`;
//!   `a**` is an error.
//! * `\pN` and `\p{Name}` know Go's names only, spelt exactly: `Any`, the general categories
//!   (Go's `C` has no unassigned code points, and `Cs` matches nothing in text) and the scripts
//!   of Unicode 13, the version of Go 1.19; `\p{^Name}` negates.
//! * Escapes are Go's: octal `\123`, `\x7F`, `\x{10FFFF}`, `\a\f\n\r\t\v` and any ASCII
//!   punctuation (`\<` is a literal `<`, not a word start); `\e`, `\u0041`, `\C`, `\Z` are errors.
//! * Capture names are any `[0-9A-Za-z_]+`, twice the same allowed, in `(?P<name>...)` only
//!   (`(?<name>...)` came with Go 1.22); the groups are numbered as in Go and named on the side.
//! * Flags are `i`, `m`, `s` and `U`, as `(?flags)` or `(?flags:...)`.
//! * The parse tree may be at most 1000 deep, as Go's; its height is reckoned here from the
//!   pattern's groups, repetitions, concatenations and alternations as Go builds them, which
//!   can differ from Go's by a level where Go merges alternatives into one class.
//!
//! Errors use Go's words and name the part of the pattern that Go names.

use super::go_class::{self, NEVER};
use super::go_error::{
    error, SyntaxError, ESCAPE, MISSING_ARG, MISSING_PAREN, NAMED, NESTING, PERL_OP, REPEAT_OP,
    REPEAT_SIZE, UNEXPECTED_PAREN,
};

/// Go's limit on a counted repetition, and on the copies nested ones make.
const MAX_REPEAT: u64 = 1000;
/// Go's limit on the height of a parse tree.
const MAX_HEIGHT: usize = 1000;
/// A Go pattern in the regex crate's syntax.
#[derive(Debug)]
pub(super) struct Translated {
    /// The pattern for the regex crate.
    pub(super) rust: String,
    /// Go's name of each group by its number (0, the whole match, has none); the groups are
    /// unnamed in `rust`, as the regex crate refuses some names Go takes.
    pub(super) names: Vec<Option<String>>,
    /// How many Unicode classes (`\p`, `\P`) the pattern names: each is up to hundreds of
    /// ranges in the regex crate's parse.
    pub(super) unicode_classes: usize,
}

/// Translates a pattern Go's `regexp.Compile` reads; errors are Go's.
pub(super) fn translate(pattern: &str) -> Result<Translated, SyntaxError> {
    Translator {
        src: pattern,
        pos: 0,
        out: String::with_capacity(pattern.len() * 2),
        opens: Vec::new(),
        names: vec![None],
        classes: 0,
        frames: vec![Frame::new(false, 0)],
        flags: String::new(),
        last_repeat: None,
    }
    .run()
}

/// One node of what Go builds, written at `start..` of the output.
#[derive(Debug, Clone, Copy)]
struct Item {
    start: usize,
    /// A literal run's last character, which a repetition after it takes alone.
    run_last: usize,
    literal: bool,
    repeated: bool,
    height: usize,
    /// The largest product of the counts of nested counted repetitions in it (Go's
    /// `repeatIsValid`): 1 with none, 0 under `{0}`, which Go does not look into.
    prod: u64,
}

impl Item {
    fn leaf(start: usize, literal: bool) -> Item {
        Item {
            start,
            run_last: start,
            literal,
            repeated: false,
            height: 1,
            prod: 1,
        }
    }
}

/// A concatenation being read: its finished nodes summed up, and the last, which a
/// repetition may still take.
#[derive(Debug, Default)]
struct Concat {
    nodes: usize,
    height: usize,
    prod: u64,
    last: Option<Item>,
}

impl Concat {
    fn fold(&mut self, item: Item) {
        self.nodes += 1;
        self.height = self.height.max(item.height);
        self.prod = self.prod.max(item.prod);
    }

    fn push(&mut self, item: Item) {
        if let Some(last) = self.last.take() {
            self.fold(last);
        }
        self.last = Some(item);
    }

    /// Height and product: one node is itself, none is Go's empty match, more a concatenation.
    fn finish(mut self) -> (usize, u64) {
        if let Some(last) = self.last.take() {
            self.fold(last);
        }
        match self.nodes {
            0 => (1, 1),
            1 => (self.height, self.prod),
            _ => (self.height + 1, self.prod),
        }
    }
}

/// An open group (the whole pattern is the first).
#[derive(Debug)]
struct Frame {
    capture: bool,
    start: usize,
    branches: usize,
    height: usize,
    prod: u64,
    concat: Concat,
}

impl Frame {
    fn new(capture: bool, start: usize) -> Frame {
        Frame {
            capture,
            start,
            branches: 0,
            height: 0,
            prod: 0,
            concat: Concat::default(),
        }
    }

    fn end_branch(&mut self) {
        let (height, prod) = std::mem::take(&mut self.concat).finish();
        self.branches += 1;
        self.height = self.height.max(height);
        self.prod = self.prod.max(prod);
    }

    fn finish(mut self) -> (usize, u64) {
        self.end_branch();
        let alternation = usize::from(self.branches > 1);
        let capture = usize::from(self.capture);
        (self.height + alternation + capture, self.prod)
    }
}

struct Translator<'a> {
    src: &'a str,
    pos: usize,
    out: String,
    /// Output offsets to open a `(?:` at, for a repetition of a repetition (Go's `a*\Q\E*`):
    /// inserted at the end, so that wrapping costs no copying while reading.
    opens: Vec<usize>,
    names: Vec<Option<String>>,
    classes: usize,
    frames: Vec<Frame>,
    /// Flags set by `(?flags)`, written before the next item: a repetition right after them
    /// takes the item before them, as in Go.
    flags: String,
    /// Where the repetition operator just read starts (Go's `lastRepeat`).
    last_repeat: Option<usize>,
}

impl Translator<'_> {
    fn run(mut self) -> Result<Translated, SyntaxError> {
        let src = self.src;
        while let Some(c) = src[self.pos..].chars().next() {
            let start = self.pos;
            let mut repeat = None;
            match c {
                '(' => self.open()?,
                '|' => {
                    self.pos += 1;
                    self.flush();
                    self.out.push('|');
                    self.frame().end_branch();
                }
                ')' => {
                    self.pos += 1;
                    self.close()?;
                }
                '^' | '$' | '.' => {
                    self.pos += 1;
                    self.atom(&src[start..self.pos]);
                }
                '[' => {
                    let class = go_class::bracket(&src[start..])?;
                    self.pos += class.len;
                    self.classes += class.unicode;
                    self.atom(&class.rust);
                }
                '*' | '+' | '?' => {
                    self.pos += 1;
                    self.repeat(start, &src[start..self.pos], None)?;
                    repeat = Some(start);
                }
                '{' => match parse_repeat(&src[start..]) {
                    None => {
                        self.pos += 1;
                        self.literal('{');
                    }
                    Some((min, max, len)) => {
                        self.pos += len;
                        let text = &src[start..self.pos];
                        if !(0..=1000).contains(&min) || max > 1000 || (max >= 0 && min > max) {
                            return Err(error(REPEAT_SIZE, text));
                        }
                        let written = match max {
                            -1 => format!("{{{min},}}"),
                            _ if max == min => format!("{{{min}}}"),
                            _ => format!("{{{min},{max}}}"),
                        };
                        self.repeat(start, &written, Some((min, max)))?;
                        repeat = Some(start);
                    }
                },
                '\\' => self.escape()?,
                _ => {
                    self.pos += c.len_utf8();
                    self.literal(c);
                }
            }
            self.last_repeat = repeat;
        }
        if self.frames.len() > 1 {
            return Err(error(MISSING_PAREN, src));
        }
        let whole = self.frames.pop().map_or((1, 1), Frame::finish);
        if whole.0 > MAX_HEIGHT {
            return Err(error(NESTING, src));
        }
        let mut rust = String::with_capacity(self.out.len() + 3 * self.opens.len());
        self.opens.sort_unstable();
        let mut at = 0;
        for &open in &self.opens {
            rust.push_str(&self.out[at..open]);
            rust.push_str("(?:");
            at = open;
        }
        rust.push_str(&self.out[at..]);
        Ok(Translated {
            rust,
            names: self.names,
            unicode_classes: self.classes,
        })
    }

    fn frame(&mut self) -> &mut Frame {
        if self.frames.is_empty() {
            // The outermost frame lives until the end of `run`.
            self.frames.push(Frame::new(false, 0));
        }
        let last = self.frames.len() - 1;
        &mut self.frames[last]
    }

    /// Writes pending flags: the next item is under them.
    fn flush(&mut self) {
        if !self.flags.is_empty() {
            self.out.push_str(&self.flags);
            self.flags.clear();
        }
    }

    fn atom(&mut self, text: &str) {
        self.flush();
        let at = self.out.len();
        self.out.push_str(text);
        self.frame().concat.push(Item::leaf(at, false));
    }

    fn literal(&mut self, c: char) {
        self.flush();
        let at = self.out.len();
        self.out
            .push_str(&regex::escape(c.encode_utf8(&mut [0; 4])));
        let concat = &mut self.frame().concat;
        match &mut concat.last {
            // Go merges a run of literals into one node.
            Some(last) if last.literal => last.run_last = at,
            _ => concat.push(Item::leaf(at, true)),
        }
    }

    /// A code point from an escape: the regex crate has no surrogates, and text never holds
    /// one in Go (a bad byte reads as U+FFFD), so one matches nothing.
    fn code_point(&mut self, value: u32) {
        match char::from_u32(value) {
            Some(c) => self.literal(c),
            None => self.atom(NEVER),
        }
    }

    /// A class outside brackets (`\d`, `\pL`), from its members.
    fn class_atom(&mut self, members: &str) {
        if members.is_empty() {
            self.atom(NEVER);
        } else {
            self.atom(&format!("[{members}]"));
        }
    }

    fn push_group(&mut self, capture: bool, text: &str) {
        self.flush();
        let start = self.out.len();
        self.out.push_str(text);
        self.frames.push(Frame::new(capture, start));
    }

    /// `(`, `(?P<name>` or `(?flags` (Go 1.19's parsePerlFlags).
    fn open(&mut self) -> Result<(), SyntaxError> {
        let rest = &self.src[self.pos..];
        if !rest.starts_with("(?") {
            self.pos += 1;
            self.push_group(true, "(");
            self.names.push(None);
            return Ok(());
        }
        if rest.len() > 4 && rest[2..].starts_with("P<") {
            let Some(end) = rest.find('>') else {
                return Err(error(NAMED, rest));
            };
            let name = &rest[4..end];
            if name.is_empty() || !name.bytes().all(|b| b == b'_' || b.is_ascii_alphanumeric()) {
                return Err(error(NAMED, &rest[..=end]));
            }
            self.pos += end + 1;
            self.push_group(true, "(");
            self.names.push(Some(name.to_string()));
            return Ok(());
        }
        let (mut set, mut clear) = (String::new(), String::new());
        let (mut negated, mut saw_flag) = (false, false);
        let mut used = 2;
        loop {
            let Some(c) = rest[used..].chars().next() else {
                return Err(error(PERL_OP, rest));
            };
            used += c.len_utf8();
            match c {
                'i' | 'm' | 's' | 'U' => {
                    saw_flag = true;
                    let to = if negated { &mut clear } else { &mut set };
                    if !to.contains(c) {
                        to.push(c);
                    }
                }
                '-' if !negated => {
                    negated = true;
                    saw_flag = false;
                }
                ':' | ')' if !negated || saw_flag => {
                    self.pos += used;
                    // Go reads `(?i-i)` as clearing i; the regex crate refuses the repeat.
                    set.retain(|f| !clear.contains(f));
                    let mut flags = set;
                    if !clear.is_empty() {
                        flags.push('-');
                        flags.push_str(&clear);
                    }
                    if c == ':' {
                        self.push_group(false, &format!("(?{flags}:"));
                    } else if !flags.is_empty() {
                        self.flags.push_str(&format!("(?{flags})"));
                    }
                    return Ok(());
                }
                _ => return Err(error(PERL_OP, &rest[..used])),
            }
        }
    }

    fn close(&mut self) -> Result<(), SyntaxError> {
        if self.frames.len() < 2 {
            return Err(error(UNEXPECTED_PAREN, self.src));
        }
        // Flags set inside a group end with it.
        self.flags.clear();
        self.out.push(')');
        let Some(frame) = self.frames.pop() else {
            return Err(error(UNEXPECTED_PAREN, self.src));
        };
        let start = frame.start;
        let (height, prod) = frame.finish();
        if height > MAX_HEIGHT {
            return Err(error(NESTING, self.src));
        }
        let item = Item {
            height,
            prod,
            ..Item::leaf(start, false)
        };
        self.frame().concat.push(item);
        Ok(())
    }

    /// Applies a repetition (`op`, already in the regex crate's form) to the last item, with
    /// Go's checks: no repetition right after another, something to repeat, and at most 1000
    /// copies made by nested counted ones.
    fn repeat(
        &mut self,
        op_start: usize,
        op: &str,
        count: Option<(i64, i64)>,
    ) -> Result<(), SyntaxError> {
        let src = self.src;
        let lazy = src[self.pos..].starts_with('?');
        if lazy {
            self.pos += 1;
        }
        let text = &src[op_start..self.pos];
        if let Some(previous) = self.last_repeat {
            return Err(error(REPEAT_OP, &src[previous..self.pos]));
        }
        let frame = self.frame();
        let Some(mut item) = frame.concat.last.take() else {
            return Err(error(MISSING_ARG, text));
        };
        if item.literal && item.run_last > item.start {
            // `ab*` repeats the b alone.
            frame.concat.fold(Item::leaf(item.start, true));
            item.start = item.run_last;
        }
        let prod = match count {
            None => item.prod,
            Some((min, max)) => {
                let copies = if max < 0 { min } else { max };
                if copies == 0 {
                    0
                } else {
                    let prod = copies.unsigned_abs() * item.prod.max(1);
                    if (min >= 2 || max >= 2) && prod > MAX_REPEAT {
                        return Err(error(REPEAT_SIZE, text));
                    }
                    prod
                }
            }
        };
        if item.repeated {
            // The regex crate would read `a*??` as a lazy star made optional.
            self.opens.push(item.start);
            self.out.push(')');
        }
        self.out.push_str(op);
        if lazy {
            self.out.push('?');
        }
        let height = item.height + 1;
        if height > MAX_HEIGHT {
            return Err(error(NESTING, src));
        }
        self.frame().concat.last = Some(Item {
            literal: false,
            repeated: true,
            height,
            prod,
            ..item
        });
        Ok(())
    }

    /// What follows a backslash outside brackets.
    fn escape(&mut self) -> Result<(), SyntaxError> {
        let src = self.src;
        let rest = &src[self.pos..];
        match rest[1..].chars().next() {
            Some(c @ ('A' | 'z' | 'b' | 'B')) => {
                self.pos += 2;
                self.atom(match c {
                    'A' => r"\A",
                    'z' => r"\z",
                    'b' => r"(?-u:\b)",
                    _ => r"(?-u:\B)",
                });
            }
            Some('C') => return Err(error(ESCAPE, r"\C")),
            Some('Q') => {
                let body = &rest[2..];
                let (text, used) = match body.find(r"\E") {
                    Some(end) => (&body[..end], end + 4),
                    None => (body, rest.len()),
                };
                self.pos += used;
                for c in text.chars() {
                    self.literal(c);
                }
            }
            Some('p' | 'P') => {
                let (members, len) = go_class::unicode(rest)?;
                self.pos += len;
                self.classes += 1;
                self.class_atom(&members);
            }
            Some(c @ ('d' | 'D' | 's' | 'S' | 'w' | 'W')) => {
                self.pos += 2;
                self.class_atom(&go_class::perl_members(c));
            }
            _ => {
                let (value, len) = go_class::escape(rest)?;
                self.pos += len;
                self.code_point(value);
            }
        }
        Ok(())
    }
}

/// Go's parseRepeat at a `{`: `{n}`, `{n,}` (max -1) or `{n,m}`, numbers without leading
/// zeros, and the length read; `None` when it is none of them (the `{` is then a literal).
/// A number of 10^8 or more makes min -1, an invalid count.
fn parse_repeat(s: &str) -> Option<(i64, i64, usize)> {
    let b = s.as_bytes();
    let mut at = 1;
    let mut min = parse_int(b, &mut at)?;
    let max = if b.get(at) == Some(&b',') {
        at += 1;
        if b.get(at) == Some(&b'}') {
            -1
        } else {
            let max = parse_int(b, &mut at)?;
            if max < 0 {
                min = -1;
            }
            max
        }
    } else {
        min
    };
    (b.get(at) == Some(&b'}')).then_some((min, max, at + 1))
}

fn parse_int(b: &[u8], at: &mut usize) -> Option<i64> {
    let digits = b[*at..].iter().take_while(|d| d.is_ascii_digit()).count();
    if digits == 0 || (digits > 1 && b[*at] == b'0') {
        return None;
    }
    let mut n: i64 = 0;
    for &d in &b[*at..*at + digits] {
        if n >= 100_000_000 {
            n = -1;
            break;
        }
        n = n * 10 + i64::from(d - b'0');
    }
    *at += digits;
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::super::go_error::{CHAR_RANGE, MISSING_BRACKET, TRAILING};
    use super::go_class::{CATEGORIES, SCRIPTS};
    use super::*;

    fn rust(pattern: &str) -> String {
        match translate(pattern) {
            Ok(t) => t.rust,
            Err(e) => panic!("{pattern}: {e}"),
        }
    }

    fn refused(pattern: &str) -> SyntaxError {
        match translate(pattern) {
            Ok(t) => panic!("{pattern} translated to {}", t.rust),
            Err(e) => e,
        }
    }

    fn matches(pattern: &str, text: &str) -> bool {
        let translated = rust(pattern);
        let built = regex::RegexBuilder::new(&translated)
            .size_limit(1 << 26)
            .nest_limit(u32::MAX)
            .build();
        match built {
            Ok(re) => re.is_match(text),
            Err(e) => panic!("{pattern} -> {translated}: {e}"),
        }
    }

    #[test]
    fn perl_classes_are_ascii() {
        assert!(matches(r"^\w+$", "abc_09"));
        assert!(!matches(r"^\w$", "é"));
        assert!(matches(r"^\W$", "é"));
        assert!(!matches(r"^\d$", "٣"));
        assert!(matches(r"^\s$", "\x0C"));
        // Go's \s has no \v; [[:space:]] has.
        assert!(!matches(r"^\s$", "\x0B"));
        assert!(matches(r"^[[:space:]]$", "\x0B"));
        assert!(!matches(r"^[\s]$", "\u{a0}"));
        assert!(matches(r"^[^\d\s]$", "x"));
        assert!(!matches(r"^[\D]$", "7"));
        // \b is an ASCII word boundary: é is no word character to Go.
        assert!(matches(r"a\b", "aé"));
        assert!(!matches(r"a\B", "aé"));
        assert!(!matches(r"\B", "aéa"));
    }

    #[test]
    fn case_folding_as_go() {
        // Go folds \w's k and s to the Kelvin sign and the long s.
        assert!(matches(r"(?i)^\w$", "\u{212A}"));
        assert!(matches(r"(?i)^\w$", "\u{17F}"));
        assert!(!matches(r"^\w$", "\u{212A}"));
        assert!(!matches(r"(?i)^\W$", "\u{212A}"));
        assert!(matches(r"(?i)^[[:lower:]]$", "Q"));
        assert!(matches(r"(?i)ǅ", "ǆ"));
        // Flags reach the next branch, and end with their group.
        assert!(matches(r"x(?i)a|b", "B"));
        assert!(!matches(r"(?:(?i)a)b", "AB"));
        assert_eq!(rust("(?i-i)a"), "(?-i)a");
        assert_eq!(rust("(?ii)a"), "(?i)a");
        assert_eq!(rust("(?)a"), "a");
    }

    #[test]
    fn quoted_text_is_literal() {
        assert!(matches(r"^\Q.*\E$", ".*"));
        assert!(!matches(r"^\Q.*\E$", "ab"));
        // Without \E, to the end.
        assert!(matches(r"^a\Q(b|$", "a(b|$"));
        assert!(matches(r"^\Q\\E$", "\\"));
        // Go's \Q ends at the first \E, even after a backslash.
        assert_eq!(refused(r"\Q\\E\E"), error(ESCAPE, r"\E"));
        // A repetition takes the last quoted character.
        assert!(matches(r"^\Qab\E+$", "abbb"));
        assert!(!matches(r"^\Qab\E+$", "abab"));
        // `a*\Q\E*` is two stars in Go, and a lazy question on a star stays one.
        assert_eq!(rust(r"a*\Q\E*"), "(?:a*)*");
        assert_eq!(rust(r"a*(?i)??b"), "(?:a*)??(?i)b");
        assert_eq!(rust(r"(?:a*\Q\E*)*\Q\E+"), "(?:(?:(?:a*)*)*)+");
    }

    #[test]
    fn repetition_limits_are_go_s() {
        assert!(translate(r"\w{1000}").is_ok());
        assert!(translate(r"\w{1000,}").is_ok());
        assert_eq!(refused(r"\w{1001}"), error(REPEAT_SIZE, "{1001}"));
        assert_eq!(refused(r"x{0,1001}"), error(REPEAT_SIZE, "{0,1001}"));
        assert_eq!(refused(r"x{2,1}"), error(REPEAT_SIZE, "{2,1}"));
        assert_eq!(refused(r"x{100000000}"), error(REPEAT_SIZE, "{100000000}"));
        assert!(translate(r"(?:a{10}){100}").is_ok());
        assert_eq!(refused(r"(?:a{10}){101}"), error(REPEAT_SIZE, "{101}"));
        assert_eq!(refused(r"(?:a{500}){3}"), error(REPEAT_SIZE, "{3}"));
        assert!(translate(r"((a{500})b){2}?").is_ok());
        assert_eq!(refused(r"((a{500})b){3}?"), error(REPEAT_SIZE, "{3}?"));
        // Go does not look under a {0}.
        assert!(translate(r"(?:(?:a{1000}){0}){2}").is_ok());
        assert!(translate(r"(?:a{1000}){1}").is_ok());
        assert!(translate(r"(?:a{1000})*").is_ok());
        // Not repetitions: literals.
        for literal in ["a{,5}", "a{01}", "a{1,2", "{", "a{x}"] {
            assert!(matches(&format!("^{literal}$"), literal), "{literal}");
        }
        assert_eq!(refused("a**"), error(REPEAT_OP, "**"));
        assert_eq!(refused("x*??"), error(REPEAT_OP, "*??"));
        assert_eq!(refused("a{2}{3}"), error(REPEAT_OP, "{2}{3}"));
        assert_eq!(refused("*a"), error(MISSING_ARG, "*"));
        assert_eq!(refused("a|*"), error(MISSING_ARG, "*"));
        assert_eq!(refused("(?i)*"), error(MISSING_ARG, "*"));
        assert_eq!(refused(r"(\Q\E*)"), error(MISSING_ARG, "*"));
        // Empty-width things repeat.
        for ok in ["^*", r"\b+", "(?:)*", "()+", "$?"] {
            assert!(translate(ok).is_ok(), "{ok}");
        }
        // `ab*` repeats the b alone.
        assert!(matches("^ab*$", "abbb"));
        assert!(!matches("^ab*$", "abab"));
    }

    #[test]
    fn nesting_is_bounded_as_go_s() {
        let captures = |n: usize| format!("{}a{}", "(".repeat(n), ")".repeat(n));
        assert!(translate(&captures(999)).is_ok());
        assert_eq!(refused(&captures(1000)).code, NESTING);
        let stars = |n: usize| format!("{}{}", "(a*".repeat(n), ")".repeat(n));
        assert!(translate(&stars(400)).is_ok());
        assert_eq!(refused(&stars(500)).code, NESTING);
        // Go builds no node for a non-capturing group.
        let groups = format!("{}a{}", "(?:".repeat(5000), ")".repeat(5000));
        assert!(matches(&groups, "a"));
    }

    #[test]
    fn groups_are_numbered_and_named_as_go_s() {
        let t = translate(r"(?P<a>x)(y)(?P<1b>z)(?P<a>w)").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.rust, "(x)(y)(z)(w)");
        let names: Vec<Option<&str>> = t.names.iter().map(Option::as_deref).collect();
        assert_eq!(names, [None, Some("a"), None, Some("1b"), Some("a")]);
        assert_eq!(refused("(?P<>x)"), error(NAMED, "(?P<>"));
        assert_eq!(refused("(?P<a-b>x)"), error(NAMED, "(?P<a-b>"));
        assert_eq!(refused("(?P<é>x)"), error(NAMED, "(?P<é>"));
        assert_eq!(refused("(?P<a"), error(NAMED, "(?P<a"));
        assert_eq!(refused("(?<n>a)"), error(PERL_OP, "(?<"));
        assert_eq!(refused("(?P=a)"), error(PERL_OP, "(?P"));
        assert_eq!(refused("(?x)a"), error(PERL_OP, "(?x"));
        assert_eq!(refused("(?i-)a"), error(PERL_OP, "(?i-)"));
        assert_eq!(refused("(?--i)a"), error(PERL_OP, "(?--"));
        assert_eq!(refused("(?#c)"), error(PERL_OP, "(?#"));
        assert_eq!(refused("(?"), error(PERL_OP, "(?"));
        assert_eq!(refused("((a)"), error(MISSING_PAREN, "((a)"));
        assert_eq!(refused("a)"), error(UNEXPECTED_PAREN, "a)"));
    }

    #[test]
    fn escapes_are_go_s() {
        assert!(matches(r"^\12$", "\n"));
        assert!(matches(r"^\0$", "\0"));
        assert!(matches(r"^\08$", "\u{0}8"));
        assert!(matches(r"^\400$", "\u{100}"));
        assert!(matches(r"^\1234$", "S4"));
        assert!(matches(r"^\x41\x{1F600}$", "A\u{1F600}"));
        assert!(matches(r"^\a\f\t\v\r\n$", "\x07\x0C\t\x0B\r\n"));
        assert!(matches(r"^\<\>\_\ \%$", "<>_ %"));
        assert!(!matches(r"\x{D800}", "\u{FFFD}"));
        for (pattern, expr) in [
            (r"\1", r"\1"),
            (r"\8", r"\8"),
            (r"\e", r"\e"),
            (r"\u0041", r"\u"),
            (r"\Z", r"\Z"),
            (r"\C", r"\C"),
            (r"\x4", r"\x4"),
            (r"\xg0", r"\xg0"),
            (r"\x{}", r"\x{}"),
            (r"\x{110000}", r"\x{110000"),
            (r"\x{41", r"\x{41"),
            (r"\é", r"\é"),
        ] {
            assert_eq!(refused(pattern), error(ESCAPE, expr), "{pattern}");
        }
        assert_eq!(refused("a\\"), error(TRAILING, ""));
    }

    #[test]
    fn classes_are_go_s() {
        assert!(matches("^[]a]+$", "]a"));
        assert!(matches("^[^]a]$", "b"));
        assert!(matches("^[a-b-c]+$", "ab-c"));
        assert!(matches("^[a-]+$", "a-"));
        assert!(matches("^[-a]+$", "-a"));
        assert!(matches(r"^[\pL-z]+$", "é-z"));
        assert!(matches(r"^[\d-z]+$", "1-z"));
        assert!(matches(r"^[[[]+$", "[["));
        assert!(matches(r"^[:a:]+$", ":a"));
        assert!(matches(r"^[[:alpha]+$", "[:alph"));
        assert!(matches(r"^[&&~~^-]+$", "&~-^"));
        assert_eq!(refused("[~--]"), error(CHAR_RANGE, "~--"));
        assert!(matches(r"^[[:^alpha:]]$", "1"));
        assert!(!matches(r"[^\x00-\x{10FFFF}]", "a"));
        assert!(matches(r"^[^\x{D800}-\x{DFFF}]$", "a"));
        assert!(matches(r"^[\x{D000}-\x{E000}]$", "\u{E000}"));
        assert!(!matches(r"[\x{D800}]", "\u{FFFD}"));
        assert!(matches(r"(?s)^[^a]$", "\n"));
        assert_eq!(refused("[z-a]"), error(CHAR_RANGE, "z-a"));
        assert_eq!(refused(r"[a-\]"), error(CHAR_RANGE, r"a-\]"));
        assert_eq!(refused("[[:foo:]]"), error(CHAR_RANGE, "[:foo:]"));
        assert_eq!(refused(r"[a-\d]"), error(ESCAPE, r"\d"));
        assert_eq!(refused(r"[a-\pL]"), error(ESCAPE, r"\p"));
        assert_eq!(refused(r"[\b]"), error(ESCAPE, r"\b"));
        assert_eq!(refused(r"[\Q]"), error(ESCAPE, r"\Q"));
        assert_eq!(refused("[a"), error(MISSING_BRACKET, "[a"));
        assert_eq!(refused("x[]"), error(MISSING_BRACKET, "[]"));
        assert_eq!(refused(r"[\"), error(TRAILING, ""));
    }

    #[test]
    fn unicode_classes_are_go_s() {
        assert!(matches(r"^\pL\p{Greek}\p{^Latin}\PN$", "éλ1x"));
        assert!(matches(r"^\P{^L}$", "é"));
        assert!(matches(r"^[\p{Han}\d]+$", "漢1"));
        assert!(matches(r"^\p{Any}$", "\n"));
        assert!(!matches(r"\P{Any}", "a"));
        assert!(!matches(r"\p{Cs}", "\u{FFFD}"));
        assert!(matches(r"^\P{Cs}$", "a"));
        // Go's C has no unassigned code points.
        assert!(matches(r"^\pC$", "\u{200B}"));
        assert!(!matches(r"\pC", "\u{0378}"));
        assert!(matches(r"^\PC$", "\u{0378}"));
        for name in CATEGORIES
            .split(' ')
            .chain(SCRIPTS.split_ascii_whitespace())
        {
            for form in [r"\p{N}", r"[^\P{N}]"] {
                let pattern = form.replace('N', name);
                let t = rust(&pattern);
                assert!(regex::Regex::new(&t).is_ok(), "{pattern} -> {t}");
            }
        }
        for bad in [
            r"\p{Cn}",
            r"\p{LC}",
            r"\p{greek}",
            r"\p{Letter}",
            r"\p{Kawi}",
            r"\pé",
            r"\p",
        ] {
            assert_eq!(refused(bad).code, CHAR_RANGE, "{bad}");
        }
        assert_eq!(refused(r"\p{L"), error(CHAR_RANGE, r"\p{L"));
        assert_eq!(
            translate(r"\pL[\p{Greek}\PN]x").map(|t| t.unicode_classes),
            Ok(3)
        );
    }
}
