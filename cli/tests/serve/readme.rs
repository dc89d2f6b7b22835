//! The examples the README and docs/serve.md give an operator hold: every PromQL query parses
//! (promtool checks them as recording rules) and every serve config loads (`serve --once`).

use super::common::{installed, succeeded};
use super::{scratch, write_config};
use std::path::Path;
use std::process::Command;

/// The documents with examples, relative to the workspace.
const DOCS: [&str; 2] = ["README.md", "docs/serve.md"];

fn doc(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The bodies of the fenced blocks of `language` in `markdown`, their indentation removed.
fn blocks(markdown: &str, language: &str) -> Vec<String> {
    let (mut out, mut open): (Vec<String>, Option<(usize, String)>) = (Vec::new(), None);
    for line in markdown.lines() {
        let text = line.trim_start();
        let indent = line.len() - text.len();
        match open.take() {
            None if text == format!("```{language}") => open = Some((indent, String::new())),
            None => {}
            Some((_, body)) if text == "```" => out.push(body),
            Some((at, mut body)) => {
                body.push_str(line.get(at..).unwrap_or(text));
                body.push('\n');
                open = Some((at, body));
            }
        }
    }
    out
}

/// The queries of a PromQL block: a `#` outside quotes starts a comment; a query ends at the
/// end of a line where its parentheses close.
fn queries(block: &str) -> Vec<String> {
    let (mut out, mut query, mut depth) = (Vec::new(), String::new(), 0i32);
    for line in block.lines() {
        let mut quoted = false;
        let code: String = line
            .chars()
            .take_while(|&c| {
                quoted ^= c == '"';
                quoted || c != '#'
            })
            .collect();
        depth += code.matches('(').count() as i32 - code.matches(')').count() as i32;
        query.push_str(&code);
        query.push('\n');
        if depth == 0 && !query.trim().is_empty() {
            out.push(std::mem::take(&mut query).trim().to_string());
        }
    }
    out
}

#[test]
fn the_docs_promql_parses_and_their_configs_load() {
    let (mut promql, mut configs) = (Vec::new(), Vec::new());
    for name in DOCS {
        let text = doc(name);
        promql.extend(blocks(&text, "promql").iter().flat_map(|b| queries(b)));
        configs.extend(
            blocks(&text, "yaml")
                .into_iter()
                .filter(|b| b.starts_with("process_names:")),
        );
    }
    assert!(promql.len() >= 4, "{promql:?}");
    assert!(configs.len() >= 2, "{configs:?}");
    let dir = scratch("readme");
    for yaml in &configs {
        let config = write_config(&dir, yaml);
        succeeded(
            Command::new(env!("CARGO_BIN_EXE_procfast"))
                .args(["serve", "--once", "--config"])
                .arg(&config),
        );
    }
    let Some(promtool) = installed("promtool", "to check the docs' PromQL") else {
        let _ = std::fs::remove_dir_all(&dir);
        return;
    };
    let mut rules = String::from("groups:\n  - name: docs\n    rules:\n");
    for (i, query) in promql.iter().enumerate() {
        let indented = query.replace('\n', "\n          ");
        rules.push_str(&format!(
            "      - record: docs:query{i}\n        expr: |\n          {indented}\n"
        ));
    }
    let file = dir.join("rules.yml");
    std::fs::write(&file, rules).unwrap();
    succeeded(Command::new(promtool).args(["check", "rules"]).arg(&file));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn promql_blocks_split_into_queries() {
    let block = "a # one\nsum(\n  b  # \"#\" in a comment\n) # two\nlabel_replace(c, \"x\", \"#\", \"y\", \"z\")\n";
    assert_eq!(
        queries(block),
        [
            "a",
            "sum(\n  b  \n)",
            "label_replace(c, \"x\", \"#\", \"y\", \"z\")"
        ]
    );
    let md = "x\n  ```yaml\n  a: 1\n    b\n  ```\n```promql\nq\n```\n";
    assert_eq!(blocks(md, "yaml"), ["a: 1\n  b\n"]);
    assert_eq!(blocks(md, "promql"), ["q\n"]);
}
