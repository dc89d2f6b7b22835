//! Tabs where go-yaml refuses them. process-exporter reads its config with go-yaml (yaml.v2, a
//! port of libyaml), which takes a tab as white space only in some places; yaml-rust2 takes it
//! in more (YAML 1.2 allows a tab in a line with no content, or after the indentation), so a
//! config that process-exporter refuses would load here.
//!
//! This follows go-yaml's scanner as far as tabs need it: between tokens, a tab is white space
//! in a flow collection, or where no simple key may start; so not at the start of a line nor
//! after a `-` or `?` indicator in block context, even on a line with only a comment. In a
//! plain scalar running over lines, a tab may stand in the continuation's leading white space
//! only past the indentation of the collection around it; in a block scalar's lines, only past
//! its indentation, which the first line with content sets; in a quoted scalar, anywhere. Only
//! the first document is looked at, as go-yaml reads no further. Anything else wrong is left to
//! the YAML parser.

use super::ConfigError;

/// A 1-based line and column in the config text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pos {
    pub(super) line: usize,
    pub(super) column: usize,
}

/// Finds the first tab go-yaml would refuse in `text`, naming its line and column.
pub(super) fn check(text: &str) -> Result<(), ConfigError> {
    Scan {
        b: text.as_bytes(),
        i: 0,
        line: 1,
        line_start: 0,
        col: 0,
        flow: 0,
        allowed: true,
        keys: vec![None],
        indents: Vec::new(),
        started: false,
    }
    .run()
}

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
    line: usize,
    line_start: usize,
    /// In characters from the start of the line.
    col: usize,
    /// How deep in flow collections (`[`, `{`).
    flow: usize,
    /// go-yaml's `simple_key_allowed`: where it is, a tab cannot be skipped in block context.
    allowed: bool,
    /// For each flow level, the column of the node a `:` would make a simple key.
    keys: Vec<Option<usize>>,
    /// The columns of the open block collections (go-yaml's indents).
    indents: Vec<usize>,
    /// A document has begun: the next `---` ends what go-yaml reads.
    started: bool,
}

fn blank(c: Option<u8>) -> bool {
    matches!(c, Some(b' ' | b'\t'))
}

fn line_break(c: Option<u8>) -> bool {
    matches!(c, Some(b'\n' | b'\r'))
}

/// Blank, a line break, or the end.
fn blankz(c: Option<u8>) -> bool {
    c.is_none() || blank(c) || line_break(c)
}

fn flow_indicator(c: Option<u8>) -> bool {
    matches!(c, Some(b',' | b'[' | b']' | b'{' | b'}'))
}

impl Scan<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.b.get(self.i + ahead).copied()
    }

    /// Steps over one byte that is no line break; UTF-8 continuation bytes take no column.
    fn bump(&mut self) {
        if let Some(c) = self.peek(0) {
            self.col += usize::from(c & 0xC0 != 0x80);
            self.i += 1;
        }
    }

    /// Steps over a line break (`\n`, `\r\n` or `\r`); a simple key cannot span one.
    fn newline(&mut self) {
        if self.peek(0) == Some(b'\r') {
            self.i += 1;
        }
        if self.peek(0) == Some(b'\n') {
            self.i += 1;
        }
        self.line += 1;
        self.line_start = self.i;
        self.col = 0;
        self.keys.iter_mut().for_each(|k| *k = None);
    }

    fn skip_to_break(&mut self) {
        while self.peek(0).is_some() && !line_break(self.peek(0)) {
            self.bump();
        }
    }

    fn at_marker(&self) -> bool {
        self.col == 0
            && (self.b[self.i..].starts_with(b"---") || self.b[self.i..].starts_with(b"..."))
            && blankz(self.peek(3))
    }

    fn error(&self, message: &str) -> ConfigError {
        let pos = Pos {
            line: self.line,
            column: self.col + 1,
        };
        ConfigError::at(
            pos,
            format!("{message}: YAML takes only spaces there (process-exporter refuses it too)"),
        )
    }

    fn tab_error(&self) -> ConfigError {
        let before = &self.b[self.line_start..self.i];
        match before.iter().rposition(|&c| c != b' ' && c != b'\t') {
            None => self.error("a tab in the indentation"),
            Some(at) if before[at].is_ascii() => {
                self.error(&format!("a tab after `{}`", char::from(before[at])))
            }
            Some(_) => self.error("a tab here"),
        }
    }

    fn save_key(&mut self) {
        if self.allowed {
            let col = self.col;
            if let Some(key) = self.keys.last_mut() {
                *key = Some(col);
            }
        }
    }

    fn forget_key(&mut self) -> Option<usize> {
        self.keys.last_mut().and_then(Option::take)
    }

    /// A block collection at `col`, if deeper than the one open.
    fn roll(&mut self, col: usize) {
        if self.indents.last().is_none_or(|&open| col > open) {
            self.indents.push(col);
        }
    }

    fn run(&mut self) -> Result<(), ConfigError> {
        loop {
            self.skip_to_token()?;
            let Some(c) = self.peek(0) else {
                return Ok(());
            };
            let col = self.col;
            if self.flow == 0 {
                while self.indents.last().is_some_and(|&open| open > col) {
                    self.indents.pop();
                }
            }
            if self.at_marker() {
                if self.started || c == b'.' {
                    return Ok(());
                }
                self.started = true;
                self.allowed = false;
                self.indents.clear();
                (0..3).for_each(|_| self.bump());
                continue;
            }
            if col == 0 && c == b'%' {
                self.skip_to_break();
                continue;
            }
            self.started = true;
            match c {
                b'[' | b'{' => {
                    self.save_key();
                    self.flow += 1;
                    self.keys.push(None);
                    self.allowed = true;
                    self.bump();
                }
                b']' | b'}' => {
                    if self.flow > 0 {
                        self.flow -= 1;
                        self.keys.pop();
                    }
                    self.allowed = false;
                    self.bump();
                }
                b',' => {
                    self.forget_key();
                    self.allowed = true;
                    self.bump();
                }
                b'-' if self.flow == 0 && blankz(self.peek(1)) => {
                    self.roll(col);
                    self.forget_key();
                    self.allowed = true;
                    self.bump();
                }
                b'?' if self.flow > 0 || blankz(self.peek(1)) => {
                    if self.flow == 0 {
                        self.roll(col);
                    }
                    self.forget_key();
                    self.allowed = self.flow == 0;
                    self.bump();
                }
                b':' if self.flow > 0 || blankz(self.peek(1)) => {
                    // After a simple key's `:` a tab is white space; after a complex key's, in
                    // block context, it is not.
                    match self.forget_key() {
                        Some(key) => {
                            if self.flow == 0 {
                                self.roll(key);
                            }
                            self.allowed = false;
                        }
                        None => {
                            if self.flow == 0 {
                                self.roll(col);
                            }
                            self.allowed = self.flow == 0;
                        }
                    }
                    self.bump();
                }
                b'*' | b'&' | b'!' => {
                    self.save_key();
                    self.bump();
                    // A name or tag runs to a blank, or in a flow collection to its indicators.
                    let ends =
                        |s: &Self| blankz(s.peek(0)) || (s.flow > 0 && flow_indicator(s.peek(0)));
                    while !ends(self) {
                        self.bump();
                    }
                    self.allowed = false;
                }
                b'|' | b'>' if self.flow == 0 => {
                    self.block_scalar()?;
                    self.forget_key();
                    self.allowed = true;
                }
                b'\'' | b'"' => {
                    self.save_key();
                    self.quoted(c);
                    self.allowed = false;
                }
                _ => {
                    self.save_key();
                    self.plain()?;
                }
            }
        }
    }

    /// go-yaml's scan_to_next_token: spaces, tabs where they may be, comments, line breaks.
    fn skip_to_token(&mut self) -> Result<(), ConfigError> {
        loop {
            match self.peek(0) {
                Some(b' ') => self.bump(),
                Some(b'\t') if self.flow > 0 || !self.allowed => self.bump(),
                Some(b'\t') => return Err(self.tab_error()),
                Some(b'#') => self.skip_to_break(),
                Some(b'\n' | b'\r') => {
                    self.newline();
                    if self.flow == 0 {
                        self.allowed = true;
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// A plain scalar, with the white space after it, which go-yaml reads as its own: the
    /// leading white space of a continuation line may hold a tab only past `indent`.
    fn plain(&mut self) -> Result<(), ConfigError> {
        let indent = self.indents.last().map_or(0, |&open| open + 1);
        let mut leading = false;
        loop {
            if self.at_marker() || self.peek(0) == Some(b'#') {
                break;
            }
            while let Some(c) = self.peek(0) {
                let ends = match c {
                    b' ' | b'\t' | b'\n' | b'\r' => true,
                    b':' => blankz(self.peek(1)) || self.flow > 0,
                    b',' | b'?' | b'[' | b']' | b'{' | b'}' => self.flow > 0,
                    _ => false,
                };
                if ends {
                    break;
                }
                self.bump();
            }
            if !blank(self.peek(0)) && !line_break(self.peek(0)) {
                break;
            }
            loop {
                match self.peek(0) {
                    Some(b' ') => self.bump(),
                    Some(b'\t') if leading && self.col < indent => {
                        return Err(self.error("a tab in the indentation of a continued scalar"))
                    }
                    Some(b'\t') => self.bump(),
                    Some(b'\n' | b'\r') => {
                        self.newline();
                        leading = true;
                    }
                    _ => break,
                }
            }
            if self.flow == 0 && self.col < indent {
                break;
            }
        }
        self.allowed = leading;
        Ok(())
    }

    /// A quoted scalar: a tab is content or white space anywhere in it.
    fn quoted(&mut self, quote: u8) {
        self.bump();
        loop {
            match self.peek(0) {
                None => return,
                Some(b'\n' | b'\r') => self.newline(),
                Some(b'\'') if quote == b'\'' && self.peek(1) == Some(b'\'') => {
                    self.bump();
                    self.bump();
                }
                Some(c) if c == quote => {
                    self.bump();
                    return;
                }
                Some(b'\\') if quote == b'"' => {
                    self.bump();
                    if line_break(self.peek(0)) {
                        self.newline();
                    } else {
                        self.bump();
                    }
                }
                Some(_) => self.bump(),
            }
        }
    }

    /// A `|` or `>` scalar: its header line, then its lines as go-yaml's
    /// scan_block_scalar reads them.
    fn block_scalar(&mut self) -> Result<(), ConfigError> {
        let parent = self.indents.last().copied();
        self.bump();
        let mut increment = 0;
        for _ in 0..2 {
            match self.peek(0) {
                Some(b'+' | b'-') => self.bump(),
                Some(d @ b'1'..=b'9') if increment == 0 => {
                    increment = usize::from(d - b'0');
                    self.bump();
                }
                _ => {}
            }
        }
        while blank(self.peek(0)) {
            self.bump();
        }
        if self.peek(0) == Some(b'#') {
            self.skip_to_break();
        }
        if !line_break(self.peek(0)) {
            // A bad header (the parser says so), or the end.
            self.i = self.b.len();
            return Ok(());
        }
        self.newline();
        let mut indent = match (increment, parent) {
            (0, _) => 0,
            (n, Some(open)) => open + n,
            (n, None) => n,
        };
        self.block_breaks(&mut indent, parent)?;
        while self.col == indent && self.peek(0).is_some() {
            self.skip_to_break();
            if !line_break(self.peek(0)) {
                break;
            }
            self.newline();
            self.block_breaks(&mut indent, parent)?;
        }
        Ok(())
    }

    /// The indentation of a block scalar's next lines (all spaces while `indent` is unknown),
    /// and its empty lines; sets `indent` from the first line with content.
    fn block_breaks(
        &mut self,
        indent: &mut usize,
        parent: Option<usize>,
    ) -> Result<(), ConfigError> {
        let mut deepest = 0;
        loop {
            while (*indent == 0 || self.col < *indent) && self.peek(0) == Some(b' ') {
                self.bump();
            }
            deepest = deepest.max(self.col);
            if (*indent == 0 || self.col < *indent) && self.peek(0) == Some(b'\t') {
                return Err(self.error("a tab in the indentation of a block scalar"));
            }
            if !line_break(self.peek(0)) {
                break;
            }
            self.newline();
        }
        if *indent == 0 {
            *indent = deepest.max(parent.map_or(0, |open| open + 1)).max(1);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tab placements go-yaml refuses (process-exporter 0.7.10 run on each), with the line of
    /// its error.
    const REFUSED: &[(&str, usize)] = &[
        ("process_names:\n\t- comm: [a]\n", 2),
        ("process_names:\n  \t- comm: [a]\n", 2),
        ("process_names:\n  -\tcomm: [a]\n", 2),
        ("process_names:\n\t\n  - comm: [a]\n", 2),
        ("process_names:\n\t# c\n  - comm: [a]\n", 2),
        ("process_names:\n  \t# c\n  - comm: [a]\n", 2),
        ("process_names:\n  - name: |\n\ta\n    comm: [a]\n", 3),
        ("process_names:\n  - name: |\n      \ta\n    comm: [a]\n", 3),
        (
            "process_names:\n  - name: |\n  \t\n      a\n    comm: [a]\n",
            3,
        ),
        ("process_names:\n  - name: a\n\tb\n    comm: [a]\n", 3),
        ("process_names:\n  - name: a\n   \tb\n    comm: [a]\n", 3),
        ("\tprocess_names:\n  - comm: [a]\n", 1),
        ("process_names:\n  - comm:\n\t- a\n", 3),
        ("process_names:\n  - comm: [a]\n        \t# c\n", 3),
        ("process_names:\n  - comm: [a]\n\t", 3),
        ("process_names:\r\n\t- comm: [a]\r\n", 2),
    ];

    /// Tab placements go-yaml loads (process-exporter 0.7.10 run on each).
    const LOADED: &[&str] = &[
        "process_names:\n  - comm:\t[a]\n",
        "process_names:\n  - comm: [a]\t\n",
        "process_names:\n  - comm: [\ta,\tb]\n",
        "process_names:\n  - comm: [a,\n\tb]\n",
        "process_names:\n  - comm: [\"a\tb\"]\n",
        "process_names:\n  - comm: [\"a\n\tb\"]\n",
        "process_names:\n  - name: 'a\n\tb'\n    comm: [a]\n",
        "process_names:\n  - name: |\n      a\tb\n    comm: [a]\n",
        "process_names:\n  - name: |\n      a\n      \tb\n    comm: [a]\n",
        "process_names:\n  - name: a\n     \tb\n    comm: [a]\n",
        "process_names:\n  - name: a\n        \t# c\n    comm: [a]\n",
        "process_names:\n  - comm\t: [a]\n",
        "process_names:\t\n  - comm: [a]\n",
        "process_names: []\n---\n\tnot read: [\n",
    ];

    #[test]
    fn tabs_as_go_yaml_takes_them() {
        let line_of = |yaml| {
            check(yaml)
                .err()
                .and_then(|e| e.position)
                .map(|(line, _)| line)
        };
        for &(yaml, line) in REFUSED {
            assert_eq!(line_of(yaml), Some(line), "{yaml:?}");
        }
        for &yaml in LOADED {
            assert_eq!(line_of(yaml), None, "{yaml:?}");
        }
    }

    #[test]
    fn the_error_names_the_line_and_what() {
        let e = check("process_names:\n  \t- comm: [a]\n").err();
        let e = e.map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            e,
            "line 2, column 3: a tab in the indentation: YAML takes only spaces there \
             (process-exporter refuses it too)"
        );
        let e = check("process_names:\n  -\tcomm: [a]\n").err();
        assert!(e.is_some_and(|e| e.to_string().contains("a tab after `-`")));
    }

    #[test]
    fn odd_text_does_not_panic() {
        for junk in [
            "", "\t", "|", "|\n", "'", "\"\\", "[", "]]", "- |2\n\t", "%\t", "é\tx", ">\n \n\t",
        ] {
            let _ = check(junk);
        }
    }
}
