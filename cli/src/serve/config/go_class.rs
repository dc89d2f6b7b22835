//! Go's escapes and character classes, as Go 1.19's `regexp/syntax` reads them (its
//! parseEscape, parseUnicodeClass, parsePerlClassEscape and parseClass), written for the regex
//! crate. Each reader takes the rest of the pattern from where the escape or class starts and
//! gives back what it read and how many bytes it took.

use super::go_error::{error, SyntaxError, CHAR_RANGE, ESCAPE, MISSING_BRACKET, TRAILING};

/// Every code point, written for inside brackets.
pub(super) const FULL: &str = r"\x{0}-\x{10FFFF}";
/// A class that matches nothing.
pub(super) const NEVER: &str = r"[^\x{0}-\x{10FFFF}]";

/// Go's general categories (Go 1.19 has no `Cn` nor `LC`).
pub(super) const CATEGORIES: &str =
    "C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi \
                          Po Ps S Sc Sk Sm So Z Zl Zp Zs";
/// The scripts of Unicode 13, Go 1.19's `unicode.Scripts`.
pub(super) const SCRIPTS: &str =
    "Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum \
    Bassa_Vah Batak Bengali Bhaiksuki Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal \
    Carian Caucasian_Albanian Chakma Cham Cherokee Chorasmian Common Coptic Cuneiform Cypriot \
    Cyrillic Deseret Devanagari Dives_Akuru Dogra Duployan Egyptian_Hieroglyphs Elbasan Elymaic \
    Ethiopic Georgian Glagolitic Gothic Grantha Greek Gujarati Gunjala_Gondi Gurmukhi Han Hangul \
    Hanifi_Rohingya Hanunoo Hatran Hebrew Hiragana Imperial_Aramaic Inherited \
    Inscriptional_Pahlavi Inscriptional_Parthian Javanese Kaithi Kannada Katakana Kayah_Li \
    Kharoshthi Khitan_Small_Script Khmer Khojki Khudawadi Lao Latin Lepcha Limbu Linear_A \
    Linear_B Lisu Lycian Lydian Mahajani Makasar Malayalam Mandaic Manichaean Marchen \
    Masaram_Gondi Medefaidrin Meetei_Mayek Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs \
    Miao Modi Mongolian Mro Multani Myanmar Nabataean Nandinagari New_Tai_Lue Newa Nko Nushu \
    Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Old_Hungarian Old_Italic Old_North_Arabian Old_Permic \
    Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic Oriya Osage Osmanya Pahawh_Hmong \
    Palmyrene Pau_Cin_Hau Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic Samaritan Saurashtra \
    Sharada Shavian Siddham SignWriting Sinhala Sogdian Sora_Sompeng Soyombo Sundanese \
    Syloti_Nagri Syriac Tagalog Tagbanwa Tai_Le Tai_Tham Tai_Viet Takri Tamil Tangut Telugu \
    Thaana Thai Tibetan Tifinagh Tirhuta Ugaritic Vai Wancho Warang_Citi Yezidi Yi \
    Zanabazar_Square";
/// Go's POSIX classes, as ranges for inside brackets.
const POSIX: [(&str, &str); 14] = [
    ("alnum", "0-9A-Za-z"),
    ("alpha", "A-Za-z"),
    ("ascii", r"\x{0}-\x{7F}"),
    ("blank", r"\t "),
    ("cntrl", r"\x{0}-\x{1F}\x{7F}"),
    ("digit", "0-9"),
    ("graph", r"!-\~"),
    ("lower", "a-z"),
    ("print", r" -\~"),
    ("punct", r"!-/:-@\[-`\{-\~"),
    ("space", r"\t-\r "),
    ("upper", "A-Z"),
    ("word", "0-9A-Za-z_"),
    ("xdigit", "0-9A-Fa-f"),
];

/// Go's parseEscape at a backslash: the code point, and the bytes taken.
pub(super) fn escape(rest: &str) -> Result<(u32, usize), SyntaxError> {
    let Some(c) = rest[1..].chars().next() else {
        return Err(error(TRAILING, ""));
    };
    let mut used = 1 + c.len_utf8();
    let next = |used: usize| rest[used..].chars().next();
    let octal = |d: Option<char>| d.filter(|d| ('0'..='7').contains(d));
    let value = match c {
        // A lone digit would be a backreference, which Go does not have.
        '1'..='7' if octal(next(used)).is_none() => return Err(error(ESCAPE, &rest[..used])),
        '0'..='7' => {
            let mut value = c as u32 - '0' as u32;
            for _ in 1..3 {
                let Some(d) = octal(next(used)) else { break };
                value = value * 8 + (d as u32 - '0' as u32);
                used += 1;
            }
            value
        }
        'x' => return hex(rest),
        'a' => 0x07,
        'f' => 0x0C,
        'n' => 0x0A,
        'r' => 0x0D,
        't' => 0x09,
        'v' => 0x0B,
        _ if c.is_ascii() && !c.is_ascii_alphanumeric() => c as u32,
        _ => return Err(error(ESCAPE, &rest[..used])),
    };
    Ok((value, used))
}

/// `\x7F` or `\x{10FFFF}`.
fn hex(rest: &str) -> Result<(u32, usize), SyntaxError> {
    let next = |used: usize| rest[used..].chars().next();
    let mut used = 2;
    let bad = |used: usize| Err(error(ESCAPE, &rest[..used]));
    let Some(first) = next(used) else {
        return bad(used);
    };
    used += first.len_utf8();
    if first != '{' {
        let second = next(used);
        used += second.map_or(0, char::len_utf8);
        return match (first.to_digit(16), second.and_then(|d| d.to_digit(16))) {
            (Some(x), Some(y)) => Ok((x * 16 + y, used)),
            _ => bad(used),
        };
    }
    let (mut value, mut digits) = (0u32, 0);
    loop {
        let Some(d) = next(used) else {
            return bad(used);
        };
        used += d.len_utf8();
        if d == '}' {
            break;
        }
        let Some(v) = d.to_digit(16) else {
            return bad(used);
        };
        value = value * 16 + v;
        if value > 0x10_FFFF {
            return bad(used);
        }
        digits += 1;
    }
    if digits == 0 {
        return bad(used);
    }
    Ok((value, used))
}

/// `\pN`, `\p{Name}`, `\PN`, `\P{^Name}`: the class's members for inside brackets, and the
/// bytes taken.
pub(super) fn unicode(rest: &str) -> Result<(String, usize), SyntaxError> {
    let mut negated = rest[1..].starts_with('P');
    let (len, name) = match rest[2..].chars().next() {
        None => return Err(error(CHAR_RANGE, &rest[..2])),
        Some('{') => match rest.find('}') {
            Some(end) => (end + 1, &rest[3..end]),
            None => return Err(error(CHAR_RANGE, rest)),
        },
        Some(c) => (2 + c.len_utf8(), &rest[2..2 + c.len_utf8()]),
    };
    let name = match name.strip_prefix('^') {
        Some(name) => {
            negated = !negated;
            name
        }
        None => name,
    };
    let members = unicode_members(name, negated).ok_or_else(|| error(CHAR_RANGE, &rest[..len]))?;
    Ok((members, len))
}

/// A `[...]` class read as Go's parseClass reads it.
pub(super) struct Bracket {
    /// The class in the regex crate's syntax.
    pub(super) rust: String,
    /// The bytes taken.
    pub(super) len: usize,
    /// How many Unicode classes it names.
    pub(super) unicode: usize,
}

/// Reads the class at `rest` (which starts with `[`).
pub(super) fn bracket(rest: &str) -> Result<Bracket, SyntaxError> {
    let mut at = 1;
    let negated = rest[at..].starts_with('^');
    at += usize::from(negated);
    let (mut members, mut unicode_classes) = (String::new(), 0);
    let mut first = true;
    loop {
        let tail = &rest[at..];
        if tail.is_empty() {
            // Go names the rest of the pattern when the `]` is missing.
            return Err(error(MISSING_BRACKET, rest));
        }
        // `]` first is a member.
        if tail.starts_with(']') && !first {
            at += 1;
            break;
        }
        first = false;
        if tail.len() > 2 && tail.starts_with("[:") {
            if let Some(end) = tail[2..].find(":]") {
                let name = &tail[..end + 4];
                let named = posix_members(name).ok_or_else(|| error(CHAR_RANGE, name))?;
                members.push_str(&named);
                at += name.len();
                continue;
            }
        }
        if tail.starts_with(r"\p") || tail.starts_with(r"\P") {
            let (named, len) = unicode(tail)?;
            members.push_str(&named);
            unicode_classes += 1;
            at += len;
            continue;
        }
        let perl = tail.strip_prefix('\\').and_then(|t| t.chars().next());
        if let Some(c @ ('d' | 'D' | 's' | 'S' | 'w' | 'W')) = perl {
            members.push_str(&perl_members(c));
            at += 2;
            continue;
        }
        let lo_at = at;
        let (lo, len) = class_char(&rest[at..], rest)?;
        at += len;
        let mut hi = lo;
        let tail = &rest[at..];
        // `[a-]` is a and -.
        if tail.len() >= 2 && tail.starts_with('-') && !tail[1..].starts_with(']') {
            let (end, len) = class_char(&tail[1..], rest)?;
            at += 1 + len;
            if end < lo {
                return Err(error(CHAR_RANGE, &rest[lo_at..at]));
            }
            hi = end;
        }
        push_range(&mut members, lo, hi);
    }
    let rust = match (members.is_empty(), negated) {
        (true, false) => NEVER.to_string(),
        (true, true) => format!("[{FULL}]"),
        (false, false) => format!("[{members}]"),
        (false, true) => format!("[^{members}]"),
    };
    Ok(Bracket {
        rust,
        len: at,
        unicode: unicode_classes,
    })
}

/// A member of a class, or a range's end: an escape or a character.
fn class_char(tail: &str, whole: &str) -> Result<(u32, usize), SyntaxError> {
    match tail.chars().next() {
        None => Err(error(MISSING_BRACKET, whole)),
        Some('\\') => escape(tail),
        Some(c) => Ok((c as u32, c.len_utf8())),
    }
}

/// `\d`, `\s`, `\w` as Go has them (ASCII), negated for capitals, for inside brackets.
pub(super) fn perl_members(c: char) -> String {
    let ranges = match c.to_ascii_lowercase() {
        'd' => "0-9",
        's' => r"\t\n\x0C\r ",
        _ => "0-9A-Za-z_",
    };
    if c.is_ascii_uppercase() {
        format!("[^{ranges}]")
    } else {
        ranges.to_string()
    }
}

/// `[:name:]` or `[:^name:]`; `None` for a name Go does not know.
fn posix_members(text: &str) -> Option<String> {
    let name = text.strip_prefix("[:")?.strip_suffix(":]")?;
    let (name, negated) = match name.strip_prefix('^') {
        Some(name) => (name, true),
        None => (name, false),
    };
    let (_, ranges) = POSIX.iter().find(|(n, _)| *n == name)?;
    Some(if negated {
        format!("[^{ranges}]")
    } else {
        ranges.to_string()
    })
}

/// The members of a Go Unicode class, for inside brackets (empty for none); `None` for a name
/// Go does not know.
fn unicode_members(name: &str, negated: bool) -> Option<String> {
    let (yes, no) = match name {
        "Any" => (FULL.to_string(), String::new()),
        "Cs" => (String::new(), FULL.to_string()),
        // Go's C has no unassigned code points, the regex crate's Other has.
        "C" => {
            let others = r"\p{gc=Cc}\p{gc=Cf}\p{gc=Co}";
            (others.to_string(), format!("[^{others}]"))
        }
        _ if CATEGORIES.split(' ').any(|c| c == name) => {
            (format!(r"\p{{gc={name}}}"), format!(r"\P{{gc={name}}}"))
        }
        _ if SCRIPTS.split_ascii_whitespace().any(|s| s == name) => {
            (format!(r"\p{{sc={name}}}"), format!(r"\P{{sc={name}}}"))
        }
        _ => return None,
    };
    Some(if negated { no } else { yes })
}

/// A range of code points for inside brackets, without the surrogates the regex crate has no
/// characters for.
fn push_range(out: &mut String, lo: u32, hi: u32) {
    for (a, b) in [(lo, hi.min(0xD7FF)), (lo.max(0xE000), hi)] {
        let (Some(a), Some(b)) = (char::from_u32(a), char::from_u32(b)) else {
            continue;
        };
        if a > b {
            continue;
        }
        out.push_str(&regex::escape(a.encode_utf8(&mut [0; 4])));
        if b > a {
            out.push('-');
            out.push_str(&regex::escape(b.encode_utf8(&mut [0; 4])));
        }
    }
}
