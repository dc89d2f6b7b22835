//! `procfast serve`'s config side by side with process-exporter's (Debian's
//! `prometheus-process-exporter` 0.7.10): for each regex and YAML case, whether each of the two
//! loads the file, and, for regexes Go and Rust read differently, which processes each groups.
//!
//! process-exporter has no `--once`: it loads its config, then listens. So it refused a config
//! if it exits, and took it once it answers on its port. procfast's verdict is
//! `procfast serve --once --config FILE`. The tests say they skipped when process-exporter is
//! not installed (`apt-get install prometheus-process-exporter`); none needs root.

mod common;
use common::{body_once, copy_program, find_in_path, peer, start_peer, Running};
use std::io::Read as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn scratch(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("procfast-config-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Whether a config loaded: `Err` holds what the program said when it refused it.
type Verdict = Result<(), String>;

/// process-exporter's verdict on `config`: it refused it if it exits, took it once it listens.
fn peer_verdict(peer: &Path, config: &Path) -> Verdict {
    for _ in 0..3 {
        let (mut child, address) = start_peer(peer, config, Stdio::piped());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.0.try_wait().unwrap() {
                let mut said = String::new();
                if let Some(mut stderr) = child.0.stderr.take() {
                    let _ = stderr.read_to_string(&mut said);
                }
                if said.contains("config") {
                    assert!(!status.success(), "{said}");
                    return Err(said.trim().to_string());
                }
                // Not about the config (the port taken a moment after we found it free): again.
                break;
            }
            if std::net::TcpStream::connect(&address).is_ok() {
                return Ok(());
            }
            assert!(
                Instant::now() < deadline,
                "process-exporter neither ran nor exited"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!("process-exporter could not start three times");
}

/// `procfast serve --once --config FILE`: its scrape and warnings, or why it refused the file.
fn procfast(config: &Path) -> Result<(String, String), String> {
    let out = Command::new(env!("CARGO_BIN_EXE_procfast"))
        .args(["serve", "--once", "--config"])
        .arg(config)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() {
        Ok((String::from_utf8_lossy(&out.stdout).into_owned(), stderr))
    } else {
        Err(stderr.trim().to_string())
    }
}

/// Both verdicts on each YAML text, a few at a time.
fn verdicts(peer: &Path, dir: &Path, texts: &[String]) -> Vec<(Verdict, Verdict)> {
    let paths: Vec<PathBuf> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let path = dir.join(format!("case{i}.yml"));
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect();
    let mut all = Vec::new();
    for chunk in paths.chunks(8) {
        std::thread::scope(|scope| {
            let running: Vec<_> = chunk
                .iter()
                .map(|path| {
                    scope.spawn(move || {
                        let ours = procfast(path).map(|_| ());
                        (ours, peer_verdict(peer, path))
                    })
                })
                .collect();
            for thread in running {
                all.push(thread.join().unwrap());
            }
        });
    }
    all
}

fn shown(verdict: &Verdict) -> &'static str {
    if verdict.is_ok() {
        "loads"
    } else {
        "refuses"
    }
}

/// A config with one `cmdline` regex, quoted for YAML.
fn with_regex(pattern: &str) -> String {
    format!(
        "process_names:\n  - cmdline: ['{}']\n",
        pattern.replace('\'', "''")
    )
}

/// Go regexes that the regex crate reads otherwise, or refuses, or takes where Go does not.
const REGEXES: &[&str] = &[
    r"\w{1000}",
    r"\w{1001}",
    r"\Q.*\E",
    r"\Q(unclosed",
    r"a(b",
    r"(?=x)",
    r"(?:a{10}){100}",
    r"(?:a{10}){101}",
    r"(?:a{500}){3}",
    r"(?:(?:a{1000}){0}){2}",
    r"a{,5}",
    r"a{1,2",
    r"a**",
    r"a*\Q\E*",
    r"a{2}{3}",
    r"x*??",
    r"^*",
    r"(?i-i)a",
    r"(?)",
    r"(?i-)a",
    r"(?x)a",
    r"(?u)a",
    r"(?<n>a)",
    r"(?P<1a>x)",
    r"(?P<a>x)(?P<a>y)",
    r"(?P<a-b>x)",
    r"\12",
    r"\1",
    r"\8",
    r"\x{D800}",
    r"\x{110000}",
    r"\xg0",
    r"\<",
    r"\e",
    r"\u0041",
    r"\C",
    r"\Z",
    r"\z",
    r"[\b]",
    r"[[:foo:]]",
    r"[[:alpha]",
    r"[a-b-c]",
    r"[z-a]",
    r"[]a]",
    r"[]",
    r"\p{Greek}",
    r"\p{^Greek}",
    r"\p{greek}",
    r"\p{Letter}",
    r"\p{Cn}",
    r"\p{LC}",
    r"\p{Yezidi}",
    r"\p{Kawi}",
    r"\pC",
    r"\p{Any}",
];

#[test]
fn regexes_load_where_process_exporter_s_load() {
    let Some(peer) = peer() else { return };
    let dir = scratch("regex");
    let mut patterns: Vec<String> = REGEXES.iter().map(|p| p.to_string()).collect();
    // Go's limit on the nesting of its parse tree: 999 groups around a literal are 1000 levels.
    let nested = |n: usize| format!("{}a{}", "(".repeat(n), ")".repeat(n));
    patterns.push(nested(999));
    patterns.push(nested(1000));
    let texts: Vec<String> = patterns.iter().map(|p| with_regex(p)).collect();
    let results = verdicts(&peer, &dir, &texts);
    let mut differ = Vec::new();
    for (pattern, (ours, theirs)) in patterns.iter().zip(&results) {
        let shown_pattern: String = pattern.chars().take(40).collect();
        println!(
            "{shown_pattern:<42} procfast {:<8} process-exporter {}",
            shown(ours),
            shown(theirs)
        );
        if ours.is_ok() != theirs.is_ok() {
            differ.push(format!("{pattern}: {ours:?} / {theirs:?}"));
        }
    }
    assert!(differ.is_empty(), "{differ:#?}");
    // The verdicts the task names, checked one by one as well.
    let verdict_of = |p: &str| &results[patterns.iter().position(|q| q == p).unwrap()];
    assert!(verdict_of(r"\w{1000}").0.is_ok());
    let refused = verdict_of(r"\w{1001}").0.clone().unwrap_err();
    assert!(refused.contains(".yml:2:"), "{refused}");
    assert!(refused.contains("invalid repeat count"), "{refused}");
    assert!(verdict_of(r"\Q.*\E").0.is_ok());
    assert!(verdict_of("a(b").0.is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// YAML with tabs and the empty configs, each with process-exporter's verdict as both ought
/// to give it; and the cases where go-yaml is more lenient than yaml-rust2, which differ.
const YAML: &[(&str, &str)] = &[
    ("tab-indented entry", "process_names:\n\t- comm: [a]\n"),
    ("spaces, then a tab", "process_names:\n  \t- comm: [a]\n"),
    ("tab after `-`", "process_names:\n  -\tcomm: [a]\n"),
    ("tab after a key's `:`", "process_names:\n  - comm:\t[a]\n"),
    ("tab after a value", "process_names:\n  - comm: [a]\t\n"),
    (
        "line with a tab only",
        "process_names:\n\t\n  - comm: [a]\n",
    ),
    (
        "tab before a comment",
        "process_names:\n\t# c\n  - comm: [a]\n",
    ),
    (
        "tabs in a flow list",
        "process_names:\n  - comm: [\ta,\tb]\n",
    ),
    (
        "tab in double quotes",
        "process_names:\n  - comm: [\"a\tb\"]\n",
    ),
    (
        "tab in a block scalar",
        "process_names:\n  - name: |\n      a\tb\n    comm: [a]\n",
    ),
    (
        "block scalar indented by a tab",
        "process_names:\n  - name: |\n\ta\n    comm: [a]\n",
    ),
    (
        "block scalar's first line: spaces, then a tab",
        "process_names:\n  - name: |\n      \ta\n    comm: [a]\n",
    ),
    (
        "block scalar's later line: spaces, then a tab",
        "process_names:\n  - name: |\n      a\n      \tb\n    comm: [a]\n",
    ),
    (
        "plain scalar continued past a tab",
        "process_names:\n  - name: a\n     \tb\n    comm: [a]\n",
    ),
    (
        "plain scalar continued by a tab",
        "process_names:\n  - name: a\n\tb\n    comm: [a]\n",
    ),
    (
        "tab before the first key",
        "\tprocess_names:\n  - comm: [a]\n",
    ),
    ("empty file", ""),
    ("comment only", "# nothing\n"),
    ("no entries", "process_names:\n"),
    ("empty list", "process_names: []\n"),
];

/// Where go-yaml takes what yaml-rust2 refuses: continuation lines indented less than the
/// block around them (the config module's docs list this).
const YAML_LENIENT_IN_GO: &[(&str, &str)] = &[
    (
        "flow list continued by a tab",
        "process_names:\n  - comm: [a,\n\tb]\n",
    ),
    (
        "flow list continued at column 1",
        "process_names:\n  - comm: [a,\nb]\n",
    ),
    (
        "double quotes continued by a tab",
        "process_names:\n  - comm: [\"a\n\tb\"]\n",
    ),
];

#[test]
fn yaml_loads_where_process_exporter_s_loads() {
    let Some(peer) = peer() else { return };
    let dir = scratch("yaml");
    let texts: Vec<String> = YAML
        .iter()
        .chain(YAML_LENIENT_IN_GO)
        .map(|(_, text)| text.to_string())
        .collect();
    let results = verdicts(&peer, &dir, &texts);
    let mut differ = Vec::new();
    for (i, ((what, _), (ours, theirs))) in YAML
        .iter()
        .chain(YAML_LENIENT_IN_GO)
        .zip(&results)
        .enumerate()
    {
        println!(
            "{what:<48} procfast {:<8} process-exporter {}",
            shown(ours),
            shown(theirs)
        );
        let lenient = i >= YAML.len();
        let expected_same = !lenient;
        if (ours.is_ok() == theirs.is_ok()) != expected_same {
            differ.push(format!("{what}: {ours:?} / {theirs:?}"));
        }
        if lenient {
            assert!(
                theirs.is_ok() && ours.is_err(),
                "{what}: {ours:?} / {theirs:?}"
            );
        }
    }
    assert!(differ.is_empty(), "{differ:#?}");
    // A tab in the indentation is refused naming its file and line.
    let tabbed = &results[0].0;
    let said = tabbed.clone().unwrap_err();
    assert!(
        said.contains("case0.yml:2:1: a tab in the indentation"),
        "{said}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_empty_config_starts_with_a_warning() {
    let dir = scratch("empty");
    for (i, text) in ["", "process_names:\n", "process_names: []\n"]
        .iter()
        .enumerate()
    {
        let path = dir.join(format!("empty{i}.yml"));
        std::fs::write(&path, text).unwrap();
        let (scrape, warnings) = procfast(&path).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert!(
            warnings.contains("serve: config: no process_names entries"),
            "{text:?}: {warnings}"
        );
        assert!(!scrape.contains("groupname="), "{text:?}: {scrape}");
        if let Some(peer) = find_in_path("prometheus-process-exporter") {
            assert_eq!(peer_verdict(&peer, &path), Ok(()), "{text:?}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The group sizes an exposition reports: `(group, count)` of `namedprocess_namegroup_num_procs`.
fn num_procs(text: &str, group: &str) -> Option<f64> {
    let key = format!("namedprocess_namegroup_num_procs{{groupname=\"{group}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&key))
        .and_then(|v| v.trim().parse().ok())
}

/// Processes whose command lines tell Go's regexps from the regex crate's defaults: a literal
/// `.*` (`\Q.*\E`), an `é` (not `\w` in Go), a Kelvin sign (`(?i)k` in Go), grouped the same by
/// both exporters.
#[test]
fn go_s_regex_meaning_groups_the_same_processes() {
    let dir = scratch("meaning");
    let tag = format!("{}", std::process::id() % 100_000);
    let comm = format!("pfcfg{tag}");
    let exe = dir.join(&comm);
    copy_program("sleep", &exe);
    let argv0s = [
        format!("pfq{tag}.*"),
        format!("pfq{tag}xy"),
        format!("pfw{tag}é"),
        format!("pfw{tag}e"),
        format!("pfk{tag}\u{212A}"),
    ];
    let _members: Vec<Running> = argv0s
        .iter()
        .map(|argv0| {
            Running(
                Command::new(&exe)
                    .arg0(argv0)
                    .arg("600")
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap(),
            )
        })
        .collect();
    let config = dir.join("meaning.yml");
    std::fs::write(
        &config,
        format!(
            "process_names:\n\
             \x20 - name: lit{tag}\n    cmdline: ['^pfq{tag}\\Q.*\\E 600$']\n\
             \x20 - name: word{tag}\n    cmdline: ['^pfw{tag}\\w 600$']\n\
             \x20 - name: fold{tag}\n    cmdline: ['(?i)^pfk{tag}k 600$']\n\
             \x20 - name: other{tag}\n    comm: [{comm}]\n"
        ),
    )
    .unwrap();
    // Go's meaning: the literal only, e and not é, the Kelvin sign folded to k.
    let want = [("lit", 1.0), ("word", 1.0), ("fold", 1.0), ("other", 2.0)];
    // Wait until every member runs as itself (its exec done).
    let deadline = Instant::now() + Duration::from_secs(20);
    while !_members.iter().all(|m| {
        std::fs::read(format!("/proc/{}/cmdline", m.0.id()))
            .is_ok_and(|c| c.ends_with(b"600\0") && c.starts_with(b"pf"))
    }) {
        assert!(Instant::now() < deadline, "the members never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    let (ours, _) = procfast(&config).unwrap_or_else(|e| panic!("{e}"));
    for (group, count) in want {
        let group = format!("{group}{tag}");
        assert_eq!(num_procs(&ours, &group), Some(count), "procfast, {group}");
    }
    if let Some(peer) = peer() {
        // Its stderr, unread, holds a few lines of start-up log: far below a pipe's buffer.
        let (_theirs, address) = start_peer(&peer, &config, Stdio::piped());
        let other = format!("other{tag}");
        let theirs = body_once(
            &format!("http://{address}/metrics"),
            "process-exporter",
            |b| num_procs(b, &other).is_some(),
        );
        for (group, count) in want {
            let group = format!("{group}{tag}");
            println!(
                "{group:<16} procfast {:?} process-exporter {:?}",
                num_procs(&ours, &group),
                num_procs(&theirs, &group)
            );
            assert_eq!(
                num_procs(&theirs, &group),
                Some(count),
                "process-exporter, {group}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
