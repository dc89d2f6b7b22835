//! The YAML of the config: a small tree with a position on every node, built from
//! yaml-rust2's events, after a check for the tabs go-yaml refuses ([`super::tabs`]).

use super::tabs;
pub(super) use super::tabs::Pos;
use super::ConfigError;
use std::collections::HashMap;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// The config is three levels deep; refuse anything much deeper instead of building it.
const MAX_DEPTH: usize = 64;
/// At most this many YAML nodes, aliases counted at their expanded size, so that an alias bomb
/// is an error, not an out-of-memory.
const MAX_NODES: usize = 100_000;

/// The first YAML document of `text` as a tree (`None` for a stream with none), or the first
/// thing wrong with it as go-yaml reads it: a syntax error, or a tab where go-yaml takes none.
pub(super) fn read(text: &str) -> Result<Option<Node>, ConfigError> {
    let tab = tabs::check(text).err();
    match (parse_yaml(text), tab) {
        (Ok(_), Some(tab)) => Err(tab),
        (Err(syntax), Some(tab)) if tab.position < syntax.position => Err(tab),
        (parsed, _) => parsed,
    }
}

impl From<Marker> for Pos {
    fn from(m: Marker) -> Pos {
        // yaml-rust2's lines count from 1 and its columns from 0.
        Pos {
            line: m.line(),
            column: m.col() + 1,
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Node {
    pub(super) pos: Pos,
    pub(super) value: Value,
    /// Nodes in this subtree, itself included: what an alias to it costs.
    size: usize,
}

#[derive(Debug, Clone)]
pub(super) enum Value {
    Null,
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// Parses the first YAML document of `text` into a tree; `None` for a stream with none.
fn parse_yaml(text: &str) -> Result<Option<Node>, ConfigError> {
    /// A sequence or mapping being filled, with its anchor and, in a mapping, a key whose value
    /// has not come yet.
    struct Open {
        node: Node,
        anchor: usize,
        key: Option<Node>,
    }
    let mut parser = Parser::new_from_str(text);
    let mut open: Vec<Open> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut nodes = 0usize;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| {
            ConfigError::at(
                Pos::from(*e.marker()),
                format!("YAML syntax error: {}", e.info()),
            )
        })?;
        let pos = Pos::from(mark);
        let start = |value| Node {
            pos,
            value,
            size: 1,
        };
        let (done, anchor, cost) = match event {
            Event::StreamEnd => return Ok(None),
            Event::Scalar(text, style, anchor, _tag) => {
                // yaml.v2's nulls: ~, null and empty, unquoted.
                let null = style == TScalarStyle::Plain
                    && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL");
                let value = if null { Value::Null } else { Value::Str(text) };
                (start(value), anchor, 1)
            }
            Event::Alias(id) => {
                let Some(node) = anchors.get(&id) else {
                    return Err(ConfigError::at(pos, "YAML alias to an unknown anchor"));
                };
                let cost = node.size;
                (node.clone(), 0, cost)
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if open.len() >= MAX_DEPTH {
                    return Err(ConfigError::at(pos, "the YAML is nested too deeply"));
                }
                let value = if matches!(event, Event::SequenceStart(..)) {
                    Value::Seq(Vec::new())
                } else {
                    Value::Map(Vec::new())
                };
                open.push(Open {
                    node: start(value),
                    anchor,
                    key: None,
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match open.pop() {
                // Its children were counted as they came.
                Some(o) => (o.node, o.anchor, 1),
                None => continue,
            },
            _ => continue,
        };
        nodes += cost;
        if nodes > MAX_NODES {
            return Err(ConfigError::at(
                pos,
                format!("the YAML has more than {MAX_NODES} values, aliases expanded"),
            ));
        }
        if anchor != 0 {
            anchors.insert(anchor, done.clone());
        }
        let Some(parent) = open.last_mut() else {
            // The first document's root is complete: yaml.v2 reads no further either.
            return Ok(Some(done));
        };
        parent.node.size += done.size;
        match &mut parent.node.value {
            Value::Seq(items) => items.push(done),
            Value::Map(pairs) => match parent.key.take() {
                None => {
                    // A block mapping's start event is marked after its first key; the key's
                    // own place is where a reader looks for the entry.
                    let (p, k) = (parent.node.pos, done.pos);
                    if pairs.is_empty() && (k.line, k.column) < (p.line, p.column) {
                        parent.node.pos = k;
                    }
                    parent.key = Some(done);
                }
                Some(key) => pairs.push((key, done)),
            },
            Value::Null | Value::Str(_) => {}
        }
    }
}

/// A mapping's pairs as (key, value), every key a known string and none twice.
pub(super) fn keys(
    pairs: Vec<(Node, Node)>,
    known: &[&str],
    place: &str,
) -> Result<Vec<(String, Node)>, ConfigError> {
    let mut out: Vec<(String, Node)> = Vec::new();
    for (key, value) in pairs {
        let Value::Str(name) = key.value else {
            return Err(ConfigError::at(key.pos, "expected a key name here"));
        };
        if !known.contains(&name.as_str()) {
            return Err(ConfigError::at(
                key.pos,
                format!("unknown key `{name}` {place}"),
            ));
        }
        if out.iter().any(|(k, _)| *k == name) {
            return Err(ConfigError::at(key.pos, format!("duplicate key `{name}`")));
        }
        out.push((name, value));
    }
    Ok(out)
}

/// A `comm`, `exe` or `cmdline` value: `None` when null (as yaml.v2 leaves the list nil), else
/// a non-empty list of strings, each with its position.
pub(super) fn strings(key: &str, node: Node) -> Result<Option<Vec<(String, Pos)>>, ConfigError> {
    let items = match node.value {
        Value::Null => return Ok(None),
        Value::Seq(items) => items,
        _ => {
            return Err(ConfigError::at(
                node.pos,
                format!("`{key}` must be a list, e.g. `{key}: [\"...\"]`"),
            ))
        }
    };
    if items.is_empty() {
        return Err(ConfigError::at(
            node.pos,
            format!("`{key}` is an empty list"),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item.value {
            Value::Str(s) => out.push((s, item.pos)),
            _ => {
                return Err(ConfigError::at(
                    item.pos,
                    format!("each `{key}` item must be a string"),
                ))
            }
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_name, assert_refused_at, load, reject};
    use super::super::Config;

    #[test]
    fn yaml_syntax_error_names_its_line() {
        let e = reject("process_names:\n  - comm: [bash\n  - exe: [x]\n");
        assert!(e.message().starts_with("YAML syntax error"), "{e}");
        assert!(matches!(e.line(), Some(2..=3)), "{e}");
        let e = reject("process_names:\n  - comm: [a]\n name: x\n");
        assert_eq!(e.line(), Some(3), "{e}");
        assert!(e.column().is_some());
        assert!(e.to_string().starts_with("line 3, column "), "{e}");
    }

    #[test]
    fn unknown_keys_are_rejected_by_name() {
        let entry = "process_names:\n  - comm: [a]\n";
        assert_refused_at(
            &format!("{entry}children: true\n"),
            (3, 1),
            "unknown key `children`",
        );
        let cmdlines = format!("{entry}    cmdlines: ['x']\n");
        assert_refused_at(&cmdlines, (3, 5), "unknown key `cmdlines`");
        let e = reject("proces_names:\n  - comm: [a]\n");
        assert!(e.message().contains("`proces_names`"), "{e}");
        let e = reject("process_names:\n  - comm: [a]\n    comm: [b]\n");
        assert!(e.message().contains("duplicate key `comm`"), "{e}");
        assert_eq!(e.line(), Some(3));
    }

    #[test]
    fn wrong_shapes_are_rejected() {
        for (yaml, says) in [
            ("process_names:\n  - comm: bash\n", "must be a list"),
            ("process_names:\n  - comm: []\n", "empty list"),
            ("process_names:\n  - exe: [[a]]\n", "must be a string"),
            ("process_names:\n  - exe: [~]\n", "must be a string"),
            ("process_names:\n  - bash\n", "must be a mapping"),
            ("process_names: bash\n", "list of entries"),
            ("- comm: [a]\n", "mapping with a `process_names`"),
            (
                "process_names:\n  - comm: [a]\n    name: [x]\n",
                "`name` must be a string",
            ),
            ("process_names:\n  - {[a]: 1}\n", "key name"),
        ] {
            let e = reject(yaml);
            assert!(e.message().contains(says), "{yaml}: {e}");
            assert!(e.line().is_some(), "{e}");
        }
    }

    #[test]
    fn yaml_forms() {
        // Quoted strings, block and flow lists, anchors and aliases, a second document ignored.
        let c = load(
            "process_names:\n\
             \x20 - name: \"a:{{.Comm}}\"\n\
             \x20   comm: &shells\n\
             \x20     - \"bash\"\n\
             \x20     - 'zsh'\n\
             \x20 - name: b\n\
             \x20   comm: *shells\n\
             \x20   cmdline: [\"x\"]\n\
             ---\n\
             not: [read\n",
        );
        assert_eq!(c.matchers.len(), 2);
        assert_name(&c, "zsh", &["x"], Some("a:zsh"));
        // A byte-order mark is skipped.
        assert_eq!(
            load("\u{feff}process_names:\n  - comm: [a]\n")
                .matchers
                .len(),
            1
        );
        // Numbers and booleans are strings where strings are wanted.
        let c = load("process_names:\n  - comm: [123, true]\n    name: 7\n");
        assert_name(&c, "true", &[], Some("7"));
    }

    #[test]
    fn hostile_yaml() {
        // Deep nesting: refused, not recursed into.
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(Config::from_yaml(&deep).is_err());
        let deep_block: String = (0..5000)
            .map(|i| format!("{}- \n", " ".repeat(i * 2)))
            .collect();
        assert!(Config::from_yaml(&deep_block).is_err());
        // An alias bomb: refused by size.
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let e = reject(&bomb);
        assert!(e.message().contains("aliases expanded"), "{e}");
        // Assorted junk: an error or a config, never a panic.
        for junk in [
            "\u{0}",
            "{",
            "}",
            "[",
            ":",
            "- -",
            "? a",
            "&a *a",
            "*unknown",
            "process_names: *x",
            "!!binary abc",
            "%YAML 1.2\n---\n",
            "process_names:\n- comm: [a]\n  exe: [\u{7f}]\n",
            "'",
            "\"\\x\"",
            "a: b: c",
            "process_names:\n  - comm: [\u{fffd}]\n",
            "\t",
            "---\n---\n...",
            ">\n  x",
        ] {
            let _ = Config::from_yaml(junk);
        }
    }

    #[test]
    fn tabs_go_yaml_refuses_are_refused_with_their_line() {
        assert_refused_at(
            "process_names:\n  -\tcomm: [a]\n",
            (2, 4),
            "a tab after `-`",
        );
        // Tabs in quoted and block scalars are content.
        let c = load("process_names:\n  - name: |\n      a\tb\n    comm: ['x\ty']\n");
        assert_name(&c, "x\ty", &[], Some("a\tb\n"));
        // The first thing wrong is what is reported: here the syntax error of line 1.
        assert_eq!(reject("x: y: z\n\t- a\n").line(), Some(1));
    }
}
