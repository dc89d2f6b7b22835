//! The config of `procfast serve`: the YAML file of ncabatoff's process-exporter (0.7.10, the
//! version Debian ships as `prometheus-process-exporter`), loaded once into matchers that give
//! each process its group name.
//!
//! # Crates
//!
//! * YAML: `yaml-rust2` 0.11, without default features. It is pure Rust (no `unsafe-libyaml`,
//!   the transpiled C that every serde_yaml fork still carries), its maintainers keep it up while
//!   new work goes to `saphyr`, and 0.11 declares Rust 1.65, under this workspace's 1.77
//!   (0.12 and later ask for 1.85, as do `saphyr` and `serde-saphyr`, 1.89). Its event parser
//!   gives a line and column for every value, so every error below can name its line, and we
//!   drive it in a loop (not its recursive loader), so deep nesting cannot overflow the stack.
//!   Not `serde_yaml` (archived) nor `serde_yml` (unsound, now a deprecated shim); the maintained
//!   forks `serde_yaml_ng` and `serde_norway` need `indexmap`, which this workspace's lock
//!   resolves to 2.14 (Rust 1.85), so `cargo xtask msrv` would refuse them.
//! * Regex: `regex`, whose syntax is RE2's, as Go's `regexp` is.
//!
//! # process-exporter's semantics, as mirrored here
//!
//! From `config/config.go`, `cmd/process-exporter/main.go`, `proc/read.go` and
//! `proc/tracker.go` of process-exporter v0.7.10:
//!
//! * The file has one top-level key, `process_names`, a list of entries. Each entry has an
//!   optional `name` (a Go template; empty or absent means `{{.ExeBase}}`) and one or more of
//!   `comm`, `exe` and `cmdline`. Every kind present must match (they are tried in that order);
//!   the first entry that matches names the process, and a process no entry matches is not
//!   tracked (unless `-children` adopts it, below).
//! * `comm`: any listed string equal to the kernel's comm (the 2nd field of
//!   `/proc/<pid>/stat`, at most 15 bytes).
//! * `exe`: compared with **argv\[0\]**, not the `/proc/<pid>/exe` link: an entry containing `/`
//!   must equal argv\[0\], any other must equal argv\[0\]'s basename (Go's `filepath.Base`). A
//!   process with no argv (a kernel thread) matches no `exe`.
//! * `cmdline`: every regex must match (unanchored) argv joined by single spaces; named groups
//!   `(?P<N>..)` fill `{{.Matches.N}}` (a group that took no part gives ""; with the same name
//!   in two regexes, the later one wins).
//! * Template fields: `.Comm`; `.ExeBase` and `.ExeFull` (argv\[0\]'s basename and argv\[0\], or
//!   the comm when argv is empty); `.Username` (the effective uid's name, or the uid in decimal
//!   when it has none); `.PID` (decimal); `.StartTime` (boot time plus the stat start ticks, in
//!   UTC, printed as Go's `time.Time.String()`: `2024-05-01 10:00:00.37 +0000 UTC`);
//!   `.Cgroups` (the paths of `/proc/<pid>/cgroup`, printed as Go prints a `[]string`:
//!   `[/a /b]`); `.Matches.N`.
//! * `-children` (default on) is a command-line flag, not config: a process that no entry
//!   matches, seen for the first time, joins the group of its nearest tracked ancestor; the walk
//!   up stops with "not tracked" at an ancestor already seen and left untracked, or at a parent
//!   that is gone. Matching happens once, when a process is first seen (unless `-recheck`).
//!   That walk belongs to the caller: it has the process tree.
//! * Without `-config.path`, process-exporter groups only the comms named by `-procnames`
//!   (each group named by its comm), and with neither it tracks nothing; its deb and rpm
//!   packages ship `all.yaml`, one entry naming every process with a non-empty command line by
//!   its comm. [`Config::default_by_comm`] is that file.
//!
//! # Where this differs, on purpose
//!
//! * Go's yaml.v2 ignores unknown keys (a misspelt `proces_names` quietly tracks nothing); here
//!   they are errors. So are an empty or non-string list item, a template field other than the
//!   ones above (Go fails only when naming, and then uses the text printed so far), any other
//!   template action (pipelines, functions, `if`, comments), and a `{{.Matches.N}}` for which no
//!   regex of the entry has a group `N` (Go prints `<no value>`).
//! * An empty `comm: []` or `exe: []` never matches in Go and an empty `cmdline: []` always
//!   does; here an empty list is an error.
//! * Go keeps `exe` entries in a map keyed by basename, so of `/usr/bin/python3` and
//!   `/usr/local/bin/python3` only the later is kept; here every entry counts.
//! * A `comm` longer than 15 bytes can never match, in Go as here; it loads, with a warning in
//!   [`Config::warnings`].
//! * Go strings are bytes; names here are UTF-8 `String`s (what a Prometheus label must be), so
//!   bytes that are not UTF-8 in comm, argv or cgroups become U+FFFD, in the command line the
//!   regexes see as well as in names. In Go `.` matches such a byte as U+FFFD too. Rust's `\d`,
//!   `\s`, `\w` and `\b` are Unicode-aware where Go's are ASCII-only: only non-ASCII command
//!   lines can tell.
//! * YAML aliases are expanded (bounded in total size); the merge key `<<` is not supported
//!   (it is reported as an unknown key). Only the first YAML document is read, as yaml.v2 does.

use regex::Regex;
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// The longest comm the kernel keeps: TASK_COMM_LEN is 16 bytes with the NUL.
const COMM_MAX: usize = 15;
/// The name template of an entry without `name`, as process-exporter's.
const DEFAULT_NAME: &str = "{{.ExeBase}}";
/// A config file larger than this is refused rather than read whole (a path to a device, say).
const MAX_FILE_BYTES: u64 = 16 << 20;
/// The config is three levels deep; refuse anything much deeper instead of building it.
const MAX_DEPTH: usize = 64;
/// At most this many YAML nodes, aliases counted at their expanded size, so that an alias bomb
/// is an error, not an out-of-memory.
const MAX_NODES: usize = 100_000;
/// process-exporter's deb and rpm packages' `all.yaml`.
const ALL_BY_COMM: &str = "process_names:\n  - name: \"{{.Comm}}\"\n    cmdline: ['.+']\n";

/// A loaded config: the `process_names` entries, in file order.
#[derive(Debug, Clone)]
pub struct Config {
    /// The entries, in file order; the first that matches a process names it.
    pub matchers: Vec<Matcher>,
    /// Things that load but are surely mistakes (a `comm` too long to ever match), one line
    /// each, naming the line; for the caller to log.
    pub warnings: Vec<String>,
}

/// One `process_names` entry: what a process must match, and the template of its group name.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// `comm:`, if given: the process's comm must equal one of these.
    comm: Option<Vec<String>>,
    /// `exe:`, if given: argv\[0\] (an entry with `/`) or its basename must equal one of these.
    exe: Option<Vec<String>>,
    /// `cmdline:`: every one must match argv joined by spaces. Empty when not given.
    cmdline: Vec<Regex>,
    /// The `name:` template, parsed once.
    name: Vec<Part>,
    /// Whether `name` uses `.Matches`: only then are regex captures worth their cost.
    wants_captures: bool,
}

/// A piece of a parsed name template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Comm,
    ExeBase,
    ExeFull,
    Username,
    Pid,
    StartTime,
    Cgroups,
    Capture(String),
}

/// What the caller has read of one process. Matching is pure: it reads nothing itself.
#[derive(Debug, Clone, Copy)]
pub struct ProcInfo<'a> {
    /// The pid, printed by `{{.PID}}`.
    pub pid: i32,
    /// The comm, the 2nd field of `/proc/<pid>/stat` without its parentheses.
    pub comm: &'a [u8],
    /// argv, as [`split_cmdline`] splits `/proc/<pid>/cmdline`; empty for a kernel thread. It
    /// is what `exe` and `cmdline` match and what `.ExeBase`/`.ExeFull` print: the caller may
    /// leave it empty when [`Config::needs_cmdline`] is false. process-exporter never reads
    /// `/proc/<pid>/exe`, so neither is there a field for it.
    pub cmdline: &'a [&'a [u8]],
    /// The name of the effective uid (2nd uid of `/proc/<pid>/status`), or the uid in decimal
    /// when the user database has none, as process-exporter does; may be empty when
    /// [`Config::needs_username`] is false.
    pub username: &'a str,
    /// Boot time (`btime` of `/proc/stat`, whole seconds) plus the start ticks (22nd field of
    /// stat) over USER_HZ, as process-exporter computes it; printed by `{{.StartTime}}`.
    pub start_time: SystemTime,
    /// The paths of `/proc/<pid>/cgroup`, as [`cgroup_paths`] gives them; may be empty when
    /// [`Config::needs_cgroups`] is false.
    pub cgroups: &'a [&'a [u8]],
}

/// Why a config did not load: what is wrong, and where (file, line and column) when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    path: Option<PathBuf>,
    /// 1-based line and column.
    position: Option<(usize, usize)>,
    message: String,
}

impl ConfigError {
    /// An error at a place in the YAML text.
    fn at(pos: Pos, message: impl Into<String>) -> ConfigError {
        ConfigError {
            path: None,
            position: Some((pos.line, pos.column)),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    /// One line: `PATH:LINE:COLUMN: MESSAGE`, as compilers print, so editors can jump there.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.path, self.position) {
            (Some(path), Some((line, column))) => {
                write!(f, "{}:{line}:{column}: {}", path.display(), self.message)
            }
            (Some(path), None) => write!(f, "{}: {}", path.display(), self.message),
            (None, Some((line, column))) => {
                write!(f, "line {line}, column {column}: {}", self.message)
            }
            (None, None) => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Loads the config file at `path`; errors name the path, and the line when there is one.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let with_path = |mut e: ConfigError| {
            e.path = Some(path.to_path_buf());
            e
        };
        let whole = |message: String| {
            with_path(ConfigError {
                path: None,
                position: None,
                message,
            })
        };
        let file = std::fs::File::open(path)
            .map_err(|e| whole(format!("cannot open the config file: {e}")))?;
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| whole(format!("cannot read the config file: {e}")))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(whole(format!(
                "the config file is larger than {MAX_FILE_BYTES} bytes"
            )));
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            // Name the line of the first bad byte, as a YAML parser reading bytes would.
            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = 1 + good.iter().filter(|&&b| b == b'\n').count();
            let column = 1 + good.iter().rev().take_while(|&&b| b != b'\n').count();
            with_path(ConfigError::at(
                Pos { line, column },
                "the config file is not UTF-8",
            ))
        })?;
        Config::from_yaml(&text).map_err(with_path)
    }

    /// Parses a config from YAML text: errors name the line and column.
    pub fn from_yaml(text: &str) -> Result<Config, ConfigError> {
        let mut config = Config {
            matchers: Vec::new(),
            warnings: Vec::new(),
        };
        // A byte-order mark is not content (yaml.v2 skips it; yaml-rust2 would read it as text).
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // An empty document, as for yaml.v2, is a config with no entries.
        let root = match parse_yaml(text)? {
            None => return Ok(config),
            Some(Node {
                value: Value::Null, ..
            }) => return Ok(config),
            Some(root) => root,
        };
        let Value::Map(pairs) = root.value else {
            return Err(ConfigError::at(
                root.pos,
                "the config must be a mapping with a `process_names` list",
            ));
        };
        let fields = keys(
            pairs,
            &["process_names"],
            "at the top level (process-exporter's config has only `process_names`; \
             -children, -threads and -recheck are command-line flags)",
        )?;
        for (_, value) in fields {
            let entries = match value.value {
                Value::Null => Vec::new(),
                Value::Seq(entries) => entries,
                _ => {
                    return Err(ConfigError::at(
                        value.pos,
                        "`process_names` must be a list of entries",
                    ))
                }
            };
            for entry in entries {
                config
                    .matchers
                    .push(Matcher::from_node(entry, &mut config.warnings)?);
            }
        }
        Ok(config)
    }

    /// The config to use without a file: process-exporter's packaged `all.yaml`, which names
    /// every process by its comm (`name: "{{.Comm}}"`, `cmdline: ['.+']`). Kernel threads have
    /// an empty command line, so, as there, they are left out; this reads cmdlines.
    pub fn default_by_comm() -> Config {
        // A constant the tests load: it cannot fail.
        Config::from_yaml(ALL_BY_COMM).expect("the built-in all.yaml loads")
    }

    /// Whether any entry matches or names by argv (`exe`, `cmdline`, `.ExeBase`, `.ExeFull`):
    /// if not, the caller need not read `/proc/<pid>/cmdline`.
    pub fn needs_cmdline(&self) -> bool {
        self.matchers.iter().any(|m| {
            m.exe.is_some()
                || !m.cmdline.is_empty()
                || m.name
                    .iter()
                    .any(|p| matches!(p, Part::ExeBase | Part::ExeFull))
        })
    }

    /// Whether any name uses `{{.Username}}`: if not, no uid needs looking up.
    pub fn needs_username(&self) -> bool {
        self.uses(&Part::Username)
    }

    /// Whether any name uses `{{.Cgroups}}`: if not, `/proc/<pid>/cgroup` need not be read.
    pub fn needs_cgroups(&self) -> bool {
        self.uses(&Part::Cgroups)
    }

    fn uses(&self, part: &Part) -> bool {
        self.matchers.iter().any(|m| m.name.contains(part))
    }

    /// The group name of a process: that of the first entry it matches; `None` when none does.
    pub fn group_name(&self, p: &ProcInfo) -> Option<String> {
        // The joined command line, built at most once, by the first entry that needs it.
        let mut line = None;
        self.matchers
            .iter()
            .find_map(|m| m.name_if_matched(p, &mut line))
    }
}

impl Matcher {
    fn name_if_matched(&self, p: &ProcInfo, line: &mut Option<String>) -> Option<String> {
        // Cheapest first, as process-exporter does: comm, exe, then the regexes.
        if let Some(comms) = &self.comm {
            if !comms.iter().any(|c| c.as_bytes() == p.comm) {
                return None;
            }
        }
        if let Some(exes) = &self.exe {
            let argv0 = p.cmdline.first()?;
            let base = go_base(argv0);
            let hit = |e: &String| {
                let want = if e.contains('/') { *argv0 } else { base };
                e.as_bytes() == want
            };
            if !exes.iter().any(hit) {
                return None;
            }
        }
        let mut captures: Vec<(&str, &str)> = Vec::new();
        if !self.cmdline.is_empty() {
            let line: &str = line.get_or_insert_with(|| join_args(p.cmdline));
            for re in &self.cmdline {
                if !self.wants_captures {
                    if !re.is_match(line) {
                        return None;
                    }
                    continue;
                }
                let caps = re.captures(line)?;
                for (i, name) in re.capture_names().enumerate() {
                    let Some(name) = name else { continue };
                    let value = caps.get(i).map_or("", |m| m.as_str());
                    match captures.iter_mut().find(|(n, _)| *n == name) {
                        Some(slot) => slot.1 = value,
                        None => captures.push((name, value)),
                    }
                }
            }
        }
        Some(render(&self.name, p, &captures))
    }

    /// Builds an entry from its YAML mapping, checking everything a process will not.
    fn from_node(node: Node, warnings: &mut Vec<String>) -> Result<Matcher, ConfigError> {
        let pos = node.pos;
        let Value::Map(pairs) = node.value else {
            return Err(ConfigError::at(
                pos,
                "a process_names entry must be a mapping with comm, exe and/or cmdline",
            ));
        };
        let (mut name, mut comm, mut exe, mut cmdline) = (None, None, None, None);
        let known = ["name", "comm", "exe", "cmdline"];
        for (key, value) in keys(pairs, &known, "in a process_names entry")? {
            match key.as_str() {
                "name" => name = Some(value),
                "comm" => comm = strings("comm", value)?,
                "exe" => exe = strings("exe", value)?,
                _ => cmdline = strings("cmdline", value)?,
            }
        }
        if comm.is_none() && exe.is_none() && cmdline.is_none() {
            return Err(ConfigError::at(
                pos,
                "this process_names entry has no matcher: give comm, exe or cmdline",
            ));
        }
        for (c, at) in comm.iter().flatten() {
            if c.len() > COMM_MAX {
                warnings.push(format!(
                    "line {}: comm `{c}` is {} bytes, but the kernel keeps at most {COMM_MAX}, \
                     so it never matches",
                    at.line,
                    c.len()
                ));
            }
        }
        let mut regexes = Vec::new();
        for (pattern, at) in cmdline.into_iter().flatten() {
            let re = Regex::new(&pattern).map_err(|e| {
                ConfigError::at(
                    at,
                    format!("bad cmdline regex `{pattern}`: {}", one_line(&e)),
                )
            })?;
            regexes.push(re);
        }
        let (template, at) = match name {
            None => (DEFAULT_NAME.to_string(), pos),
            Some(node) => match node.value {
                Value::Null => (DEFAULT_NAME.to_string(), node.pos),
                Value::Str(s) if s.is_empty() => (DEFAULT_NAME.to_string(), node.pos),
                Value::Str(s) => (s, node.pos),
                _ => return Err(ConfigError::at(node.pos, "`name` must be a string")),
            },
        };
        let parts = parse_template(&template).map_err(|e| ConfigError::at(at, e))?;
        for part in &parts {
            if let Part::Capture(group) = part {
                let defined = regexes
                    .iter()
                    .any(|re| re.capture_names().any(|n| n == Some(group.as_str())));
                if !defined {
                    return Err(ConfigError::at(
                        at,
                        format!(
                            "`{{{{.Matches.{group}}}}}` in the name, but no cmdline regex of \
                             this entry has a group (?P<{group}>...)"
                        ),
                    ));
                }
            }
        }
        Ok(Matcher {
            comm: comm.map(|v| v.into_iter().map(|(s, _)| s).collect()),
            exe: exe.map(|v| v.into_iter().map(|(s, _)| s).collect()),
            wants_captures: parts.iter().any(|p| matches!(p, Part::Capture(_))),
            cmdline: regexes,
            name: parts,
        })
    }
}

/// Splits `/proc/<pid>/cmdline` into argv as process-exporter's procfs does: trailing NULs are
/// dropped, the rest split at each NUL (so a lone "\0" gives one empty argument, and an empty
/// file no argument at all).
pub fn split_cmdline(raw: &[u8]) -> Vec<&[u8]> {
    if raw.is_empty() {
        return Vec::new();
    }
    let end = raw.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    raw[..end].split(|&b| b == 0).collect()
}

/// The paths of `/proc/<pid>/cgroup` (lines `ID:CONTROLLERS:PATH`), as process-exporter takes
/// them; one malformed line makes its procfs fail the whole file, and process-exporter then
/// uses no cgroups, so this gives none either.
pub fn cgroup_paths(raw: &[u8]) -> Vec<&[u8]> {
    let mut paths = Vec::new();
    let text = raw.strip_suffix(b"\n").unwrap_or(raw);
    if text.is_empty() {
        return paths;
    }
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut fields = line.splitn(3, |&b| b == b':');
        let (Some(id), Some(_), Some(path)) = (fields.next(), fields.next(), fields.next()) else {
            return Vec::new();
        };
        if std::str::from_utf8(id).map_or(true, |id| id.parse::<i64>().is_err()) {
            return Vec::new();
        }
        paths.push(path);
    }
    paths
}

// ----------------------------------------------------------------------------------------------
// Naming.

/// Go's `filepath.Base` on Unix: trailing slashes dropped, then what follows the last slash;
/// "." for an empty path and "/" for one of slashes only.
fn go_base(path: &[u8]) -> &[u8] {
    if path.is_empty() {
        return b".";
    }
    let end = path.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
    if end == 0 {
        return b"/";
    }
    let trimmed = &path[..end];
    let start = trimmed
        .iter()
        .rposition(|&b| b == b'/')
        .map_or(0, |i| i + 1);
    &trimmed[start..]
}

/// argv joined by single spaces, as Go's `strings.Join(cmdline, " ")`, made UTF-8.
fn join_args(args: &[&[u8]]) -> String {
    let mut bytes = Vec::with_capacity(args.iter().map(|a| a.len() + 1).sum());
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            bytes.push(b' ');
        }
        bytes.extend_from_slice(arg);
    }
    // Valid UTF-8, the usual case, is kept without a copy.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn render(parts: &[Part], p: &ProcInfo, captures: &[(&str, &str)]) -> String {
    let lossy = |out: &mut String, bytes: &[u8]| out.push_str(&String::from_utf8_lossy(bytes));
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Text(text) => out.push_str(text),
            Part::Comm => lossy(&mut out, p.comm),
            Part::ExeBase => lossy(&mut out, p.cmdline.first().map_or(p.comm, |a| go_base(a))),
            Part::ExeFull => lossy(&mut out, p.cmdline.first().copied().unwrap_or(p.comm)),
            Part::Username => out.push_str(p.username),
            Part::Pid => {
                let _ = write!(out, "{}", p.pid);
            }
            Part::StartTime => go_time(&mut out, p.start_time),
            Part::Cgroups => {
                // fmt's %v of a []string.
                out.push('[');
                for (i, path) in p.cgroups.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    lossy(&mut out, path);
                }
                out.push(']');
            }
            Part::Capture(group) => {
                let value = captures.iter().find(|(n, _)| n == group);
                out.push_str(value.map_or("", |(_, v)| v));
            }
        }
    }
    out
}

/// Go's `time.Time.String()` of a UTC time without a monotonic reading (as process-exporter's
/// start times are): `2006-01-02 15:04:05.999999999 +0000 UTC`, the fraction without trailing
/// zeros, and without its dot when it is zero. Times before 1970 print as 1970.
fn go_time(out: &mut String, t: SystemTime) {
    let t = jiff::Timestamp::try_from(t.max(UNIX_EPOCH)).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let _ = write!(out, "{}", t.strftime("%Y-%m-%d %H:%M:%S%.f +0000 UTC"));
}

// ----------------------------------------------------------------------------------------------
// Templates.

/// Parses a name template into parts. Only what process-exporter's fields need is taken:
/// text, `{{.Field}}` and `{{.Matches.NAME}}`, with spaces inside the braces and Go's trim
/// markers (`{{- ` and ` -}}` drop the white space beside them); anything else is an error.
fn parse_template(src: &str) -> Result<Vec<Part>, String> {
    // Go's text/template white space, for trim markers and inside actions.
    let space = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
    let mut parts = Vec::new();
    let mut rest = src;
    let mut trim_next = false;
    loop {
        let (mut text, action) = match rest.find("{{") {
            None => (rest, None),
            Some(i) => (&rest[..i], Some(&rest[i + 2..])),
        };
        if trim_next {
            text = text.trim_start_matches(space);
        }
        let Some(after) = action else {
            push_text(&mut parts, text);
            return Ok(parts);
        };
        let Some(end) = after.find("}}") else {
            return Err(format!("unclosed action in the name template `{src}`"));
        };
        let mut inner = &after[..end];
        if inner.len() > 1 && inner.starts_with('-') && inner[1..].starts_with(space) {
            text = text.trim_end_matches(space);
            inner = &inner[1..];
        }
        trim_next =
            inner.len() > 1 && inner.ends_with('-') && inner[..inner.len() - 1].ends_with(space);
        if trim_next {
            inner = &inner[..inner.len() - 1];
        }
        push_text(&mut parts, text);
        parts.push(parse_field(inner.trim_matches(space))?);
        rest = &after[end + 2..];
    }
}

fn push_text(parts: &mut Vec<Part>, text: &str) {
    if !text.is_empty() {
        parts.push(Part::Text(text.to_string()));
    }
}

fn parse_field(action: &str) -> Result<Part, String> {
    const FIELDS: &str =
        ".Comm, .ExeBase, .ExeFull, .Username, .PID, .StartTime, .Cgroups and .Matches.NAME";
    let part = match action {
        ".Comm" => Part::Comm,
        ".ExeBase" => Part::ExeBase,
        ".ExeFull" => Part::ExeFull,
        ".Username" => Part::Username,
        ".PID" => Part::Pid,
        ".StartTime" => Part::StartTime,
        ".Cgroups" => Part::Cgroups,
        ".Matches" => {
            return Err(
                "`{{.Matches}}` prints the whole map; name one capture: {{.Matches.NAME}}".into(),
            )
        }
        _ => match action.strip_prefix(".Matches.") {
            Some(group)
                if !group.is_empty() && group.chars().all(|c| c.is_alphanumeric() || c == '_') =>
            {
                Part::Capture(group.to_string())
            }
            _ if action.starts_with('.')
                && action.len() > 1
                && action[1..].chars().all(|c| c.is_alphanumeric() || c == '_') =>
            {
                return Err(format!(
                    "unknown template field `{action}`; the fields are {FIELDS}"
                ))
            }
            _ => {
                return Err(format!(
                    "unsupported template action `{{{{{action}}}}}`; only the fields {FIELDS} \
                     are supported, each alone in its braces"
                ))
            }
        },
    };
    Ok(part)
}

// ----------------------------------------------------------------------------------------------
// YAML: a small tree with a position on every node, built from yaml-rust2's events.

/// A 1-based line and column in the config text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pos {
    line: usize,
    column: usize,
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
struct Node {
    pos: Pos,
    value: Value,
    /// Nodes in this subtree, itself included: what an alias to it costs.
    size: usize,
}

#[derive(Debug, Clone)]
enum Value {
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
fn keys(
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
fn strings(key: &str, node: Node) -> Result<Option<Vec<(String, Pos)>>, ConfigError> {
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
    use std::time::Duration;

    /// The parts of an error, for the assertions (the command itself only prints them).
    impl ConfigError {
        fn line(&self) -> Option<usize> {
            self.position.map(|(line, _)| line)
        }
        fn column(&self) -> Option<usize> {
            self.position.map(|(_, column)| column)
        }
        fn message(&self) -> &str {
            &self.message
        }
        fn path(&self) -> Option<&Path> {
            self.path.as_deref()
        }
    }

    /// A process with argv `argv`; the other fields fixed.
    fn proc<'a>(comm: &'a str, argv: &'a [&'a [u8]]) -> ProcInfo<'a> {
        ProcInfo {
            pid: 4242,
            comm: comm.as_bytes(),
            cmdline: argv,
            username: "alice",
            start_time: UNIX_EPOCH + Duration::from_secs(1_714_557_600),
            cgroups: &[],
        }
    }

    fn load(yaml: &str) -> Config {
        Config::from_yaml(yaml).unwrap_or_else(|e| panic!("{e}"))
    }

    fn reject(yaml: &str) -> ConfigError {
        match Config::from_yaml(yaml) {
            Ok(c) => panic!("accepted, with {} entries: {yaml}", c.matchers.len()),
            Err(e) => e,
        }
    }

    fn name(config: &Config, comm: &str, argv: &[&str]) -> Option<String> {
        let argv: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
        config.group_name(&proc(comm, &argv))
    }

    #[test]
    fn readme_selector_example() {
        // The README's example of the three selectors, with values of our own.
        let c = load(
            "process_names:\n\
             \x20 # comm: the kernel's name\n\
             \x20 - comm:\n\
             \x20   - zsh\n\
             \x20 - exe:\n\
             \x20   - mysqld\n\
             \x20   - /opt/grafana/bin/grafana\n\
             \x20 - name: \"{{.ExeFull}}:{{.Matches.Cfg}}\"\n\
             \x20   exe:\n\
             \x20   - /usr/bin/node_exporter\n\
             \x20   cmdline:\n\
             \x20   - --config\\.file\\s+(?P<Cfg>\\S+)\n",
        );
        assert_eq!(c.matchers.len(), 3);
        assert_eq!(name(&c, "zsh", &["/bin/zsh", "-l"]).as_deref(), Some("zsh"));
        assert_eq!(
            name(&c, "mysqld", &["/usr/sbin/mysqld"]).as_deref(),
            Some("mysqld")
        );
        assert_eq!(
            name(&c, "grafana", &["/opt/grafana/bin/grafana"]).as_deref(),
            Some("grafana")
        );
        // With a slash the whole argv[0] must match.
        assert_eq!(name(&c, "grafana", &["/usr/bin/grafana"]), None);
        assert_eq!(
            name(
                &c,
                "node_exporter",
                &["/usr/bin/node_exporter", "--config.file", "/etc/n.yml"]
            )
            .as_deref(),
            Some("/usr/bin/node_exporter:/etc/n.yml")
        );
        assert_eq!(name(&c, "node_exporter", &["/usr/bin/node_exporter"]), None);
        assert_eq!(name(&c, "bash", &["bash"]), None);
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn readme_home_machine_example() {
        let c = load(
            "process_names:\n\
             \x20 - comm:\n\
             \x20   - firefox-esr\n\
             \x20   - vim\n\
             \x20 - exe:\n\
             \x20   - /lib/systemd/systemd\n\
             \x20   cmdline:\n\
             \x20   - --user\n\
             \x20   name: systemd:user\n",
        );
        assert_eq!(name(&c, "vim", &["vim", "x"]).as_deref(), Some("vim"));
        assert_eq!(
            name(&c, "systemd", &["/lib/systemd/systemd", "--user"]).as_deref(),
            Some("systemd:user")
        );
        assert_eq!(
            name(&c, "systemd", &["/lib/systemd/systemd", "--system"]),
            None
        );
    }

    #[test]
    fn comm_is_exact() {
        let c = load("process_names:\n  - comm: [bash, 'kworker/0:1']\n");
        assert_eq!(name(&c, "bash", &[]).as_deref(), Some("bash"));
        assert_eq!(name(&c, "kworker/0:1", &[]).as_deref(), Some("kworker/0:1"));
        assert_eq!(name(&c, "bas", &["bash"]), None);
        assert_eq!(name(&c, "bashx", &["bash"]), None);
        assert_eq!(name(&c, "Bash", &["bash"]), None);
        // The comm, not argv, is matched.
        assert_eq!(name(&c, "sh", &["bash"]), None);
    }

    #[test]
    fn long_comm_warns_but_loads() {
        let c = load("process_names:\n  - comm: [chromium-browser, chromium-browse]\n");
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].contains("chromium-browser") && c.warnings[0].starts_with("line 2"));
        assert_eq!(
            name(&c, "chromium-browse", &[]).as_deref(),
            Some("chromium-browse")
        );
    }

    #[test]
    fn exe_matches_argv0_or_its_basename() {
        let c = load(
            "process_names:\n  - exe: [bash]\n  - exe: [/usr/bin/python3, /usr/local/bin/python3]\n",
        );
        assert_eq!(name(&c, "bash", &["/bin/bash"]).as_deref(), Some("bash"));
        assert_eq!(
            name(&c, "bash", &["bash", "-c", "x"]).as_deref(),
            Some("bash")
        );
        // A login shell's argv[0] is "-bash": not "bash".
        assert_eq!(name(&c, "bash", &["-bash"]), None);
        // No argv (a kernel thread) matches no exe, whatever the comm.
        assert_eq!(name(&c, "bash", &[]), None);
        // Both full paths count (Go would keep only the later of the same basename).
        assert_eq!(
            name(&c, "python3", &["/usr/bin/python3"]).as_deref(),
            Some("python3")
        );
        assert_eq!(
            name(&c, "python3", &["/usr/local/bin/python3"]).as_deref(),
            Some("python3")
        );
        assert_eq!(name(&c, "python3", &["python3"]), None);
        // argv[0] is what counts, whatever the binary: the trailing slash is dropped by Base.
        assert_eq!(name(&c, "x", &["/weird/bash/"]).as_deref(), Some("bash"));
    }

    #[test]
    fn cmdline_regexes_all_match_the_joined_line() {
        let c = load("process_names:\n  - name: both\n    cmdline: ['-jar', 'app\\.jar --port']\n");
        // Unanchored, and across arguments: argv is joined by single spaces.
        assert_eq!(
            name(&c, "java", &["java", "-jar", "app.jar", "--port", "80"]).as_deref(),
            Some("both")
        );
        assert_eq!(name(&c, "java", &["java", "-jar", "other.jar"]), None);
        assert_eq!(name(&c, "java", &["java", "app.jar", "--port"]), None);
    }

    #[test]
    fn kinds_in_one_entry_must_all_match() {
        let c = load(
            "process_names:\n  - comm: [postgres]\n    exe: [postgres]\n    cmdline: ['-D']\n",
        );
        assert_eq!(
            name(&c, "postgres", &["postgres", "-D", "/d"]).as_deref(),
            Some("postgres")
        );
        assert_eq!(name(&c, "postmaster", &["postgres", "-D", "/d"]), None);
        assert_eq!(name(&c, "postgres", &["/usr/bin/pg", "-D", "/d"]), None);
        assert_eq!(name(&c, "postgres", &["postgres"]), None);
    }

    #[test]
    fn first_matching_entry_wins() {
        let c = load(
            "process_names:\n\
             \x20 - {name: first, comm: [nginx], cmdline: ['master']}\n\
             \x20 - {name: second, comm: [nginx]}\n\
             \x20 - {name: third, cmdline: ['.']}\n",
        );
        assert_eq!(
            name(&c, "nginx", &["nginx: master process"]).as_deref(),
            Some("first")
        );
        assert_eq!(
            name(&c, "nginx", &["nginx: worker process"]).as_deref(),
            Some("second")
        );
        assert_eq!(name(&c, "cat", &["cat"]).as_deref(), Some("third"));
        assert_eq!(name(&c, "kthreadd", &[]), None);
    }

    #[test]
    fn named_captures_feed_the_name() {
        let c = load(
            "process_names:\n\
             \x20 - name: '{{.Matches.Svc}}/{{.Matches.Env}}|{{.Matches.Opt}}'\n\
             \x20   cmdline:\n\
             \x20   - '--svc=(?P<Svc>\\w+)'\n\
             \x20   - '--env=(?P<Env>\\w+)(?P<Opt>-x)?'\n\
             \x20   - '(?P<Svc>api)'\n",
        );
        assert_eq!(
            name(&c, "srv", &["srv", "--svc=api", "--env=prod"]).as_deref(),
            // The later regex's Svc wins (it is "api" both ways here); Opt took no part.
            Some("api/prod|")
        );
        assert_eq!(
            name(&c, "srv", &["srv", "--svc=api", "--env=dev-x"]).as_deref(),
            Some("api/dev|-x")
        );
        // The third regex must match too.
        assert_eq!(name(&c, "srv", &["srv", "--svc=web", "--env=prod"]), None);
        let later = load(
            "process_names:\n  - name: '{{.Matches.A}}'\n    cmdline: ['(?P<A>x+)', '(?P<A>y+)']\n",
        );
        assert_eq!(name(&later, "p", &["xx yyy"]).as_deref(), Some("yyy"));
    }

    #[test]
    fn every_template_field() {
        let c = load(
            "process_names:\n  - name: 'c={{.Comm}} b={{.ExeBase}} f={{.ExeFull}} u={{.Username}} \
             p={{.PID}} t={{.StartTime}} g={{.Cgroups}}'\n    comm: [svc]\n",
        );
        let argv: [&[u8]; 2] = [b"/usr/sbin/svc-real", b"-f"];
        let cgroups: [&[u8]; 2] = [b"/system.slice/svc.service", b"/"];
        let mut p = proc("svc", &argv);
        p.cgroups = &cgroups;
        p.start_time = UNIX_EPOCH + Duration::from_millis(1_714_557_600_370);
        assert_eq!(
            c.group_name(&p).as_deref(),
            Some(
                "c=svc b=svc-real f=/usr/sbin/svc-real u=alice p=4242 \
                 t=2024-05-01 10:00:00.37 +0000 UTC g=[/system.slice/svc.service /]"
            )
        );
        // Without argv, ExeBase and ExeFull are the comm; no cgroups print as [].
        p.cmdline = &[];
        p.cgroups = &[];
        assert_eq!(
            c.group_name(&p).as_deref(),
            Some("c=svc b=svc f=svc u=alice p=4242 t=2024-05-01 10:00:00.37 +0000 UTC g=[]")
        );
    }

    #[test]
    fn default_name_is_exebase() {
        for yaml in [
            "process_names:\n  - comm: [sshd]\n",
            "process_names:\n  - comm: [sshd]\n    name: ''\n",
            "process_names:\n  - comm: [sshd]\n    name:\n",
        ] {
            let c = load(yaml);
            assert_eq!(
                name(&c, "sshd", &["/usr/sbin/sshd", "-D"]).as_deref(),
                Some("sshd")
            );
            // Go's filepath.Base of a rewritten argv[0]: what follows the last slash.
            assert_eq!(
                name(&c, "sshd", &["sshd: alice@pts/0"]).as_deref(),
                Some("0")
            );
            assert_eq!(name(&c, "sshd", &[]).as_deref(), Some("sshd"));
            assert_eq!(name(&c, "sshd", &[""]).as_deref(), Some("."));
        }
    }

    #[test]
    fn go_time_format() {
        let at = |secs: u64, nanos: u32| {
            let mut s = String::new();
            go_time(&mut s, UNIX_EPOCH + Duration::new(secs, nanos));
            s
        };
        assert_eq!(at(1_714_557_600, 0), "2024-05-01 10:00:00 +0000 UTC");
        assert_eq!(
            at(1_714_557_600, 500_000_000),
            "2024-05-01 10:00:00.5 +0000 UTC"
        );
        assert_eq!(
            at(951_782_400, 10_000_000),
            "2000-02-29 00:00:00.01 +0000 UTC"
        );
        assert_eq!(
            at(4_102_444_799, 1),
            "2099-12-31 23:59:59.000000001 +0000 UTC"
        );
        assert_eq!(at(0, 0), "1970-01-01 00:00:00 +0000 UTC");
        let mut s = String::new();
        go_time(&mut s, UNIX_EPOCH - Duration::from_secs(5));
        assert_eq!(s, "1970-01-01 00:00:00 +0000 UTC");
    }

    #[test]
    fn template_spaces_and_trim_markers() {
        let c = load(
            "process_names:\n  - name: \"{{ .Comm }}:{{\t.PID\t}} [ {{- .Comm -}} ] {{.Comm}}\"\n    comm: [a]\n",
        );
        assert_eq!(name(&c, "a", &[]).as_deref(), Some("a:4242 [a] a"));
        assert_eq!(
            parse_template("x }} y"),
            Ok(vec![Part::Text("x }} y".into())])
        );
    }

    #[test]
    fn bad_templates_are_rejected_with_their_line() {
        let at_line_3 = |template: &str, says: &str| {
            let e = reject(&format!(
                "process_names:\n  - comm: [a]\n    name: '{template}'\n    cmdline: ['(?P<Got>.)']\n"
            ));
            assert_eq!(e.line(), Some(3), "{e}");
            assert!(e.message().contains(says), "{template}: {e}");
        };
        at_line_3("{{.Foo}}", "unknown template field `.Foo`");
        at_line_3("x{{.comm}}", "unknown template field `.comm`");
        at_line_3("{{.Matches.Nope}}", "(?P<Nope>");
        at_line_3("{{.Matches}}", "whole map");
        at_line_3("{{.Comm", "unclosed action");
        at_line_3("{{printf \"%s\" .Comm}}", "unsupported template action");
        at_line_3("{{.Comm | upper}}", "unsupported template action");
        at_line_3("{{}}", "unsupported template action");
        at_line_3("{{.Matches.Got.X}}", "unsupported template action");
        // A capture is fine where its group exists.
        load("process_names:\n  - name: '{{.Matches.Got}}'\n    cmdline: ['(?P<Got>.)']\n");
    }

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
        let e = reject("process_names:\n  - comm: [a]\nchildren: true\n");
        assert_eq!((e.line(), e.column()), (Some(3), Some(1)), "{e}");
        assert!(e.message().contains("unknown key `children`"), "{e}");
        let e = reject("process_names:\n  - comm: [a]\n    cmdlines: ['x']\n");
        assert_eq!((e.line(), e.column()), (Some(3), Some(5)), "{e}");
        assert!(e.message().contains("unknown key `cmdlines`"), "{e}");
        let e = reject("proces_names:\n  - comm: [a]\n");
        assert!(e.message().contains("`proces_names`"), "{e}");
        let e = reject("process_names:\n  - comm: [a]\n    comm: [b]\n");
        assert!(e.message().contains("duplicate key `comm`"), "{e}");
        assert_eq!(e.line(), Some(3));
    }

    #[test]
    fn bad_regex_is_named() {
        let e = reject("process_names:\n  - cmdline:\n    - 'ok'\n    - 'a(b'\n");
        assert_eq!(e.line(), Some(4), "{e}");
        assert!(e.message().contains("bad cmdline regex `a(b`"), "{e}");
        assert!(!e.to_string().contains('\n'), "one line: {e}");
        // Go's RE2 has no look-around; neither has regex.
        let e = reject("process_names:\n  - cmdline: ['(?=x)']\n");
        assert!(e.message().contains("(?=x)"), "{e}");
    }

    #[test]
    fn entries_need_a_matcher() {
        for yaml in [
            "process_names:\n  - name: lonely\n",
            "process_names:\n  - comm:\n    name: x\n",
            "process_names:\n  - {}\n",
        ] {
            let e = reject(yaml);
            assert!(e.message().contains("no matcher"), "{yaml}: {e}");
            // The entry's first key (or its brace).
            assert_eq!((e.line(), e.column()), (Some(2), Some(5)), "{e}");
        }
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
    fn empty_configs_match_nothing() {
        for yaml in [
            "",
            "# nothing\n",
            "---\n",
            "process_names:\n",
            "process_names: []\n",
        ] {
            let c = load(yaml);
            assert!(c.matchers.is_empty(), "{yaml}");
            assert_eq!(name(&c, "bash", &["bash"]), None);
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
        assert_eq!(name(&c, "zsh", &["x"]).as_deref(), Some("a:zsh"));
        // A byte-order mark is skipped.
        assert_eq!(
            load("\u{feff}process_names:\n  - comm: [a]\n")
                .matchers
                .len(),
            1
        );
        // Numbers and booleans are strings where strings are wanted.
        let c = load("process_names:\n  - comm: [123, true]\n    name: 7\n");
        assert_eq!(name(&c, "true", &[]).as_deref(), Some("7"));
    }

    #[test]
    fn needs() {
        let comm_only = load("process_names:\n  - comm: [a]\n    name: '{{.Comm}}'\n");
        assert!(!comm_only.needs_cmdline());
        assert!(!comm_only.needs_username());
        assert!(!comm_only.needs_cgroups());
        // The default name is argv[0]'s basename.
        assert!(load("process_names:\n  - comm: [a]\n").needs_cmdline());
        assert!(load("process_names:\n  - exe: [a]\n    name: x\n").needs_cmdline());
        assert!(load("process_names:\n  - cmdline: [a]\n    name: x\n").needs_cmdline());
        assert!(load("process_names:\n  - comm: [a]\n    name: '{{.ExeFull}}'\n").needs_cmdline());
        let u = load("process_names:\n  - comm: [a]\n    name: '{{.Username}}{{.Cgroups}}'\n");
        assert!(u.needs_username() && u.needs_cgroups() && !u.needs_cmdline());
    }

    #[test]
    fn default_by_comm_is_all_yaml() {
        let c = Config::default_by_comm();
        assert_eq!(name(&c, "bash", &["/bin/bash"]).as_deref(), Some("bash"));
        assert_eq!(
            name(&c, "sshd", &["sshd: alice@pts/0"]).as_deref(),
            Some("sshd")
        );
        // Kernel threads have no command line: left out, as process-exporter's all.yaml does.
        assert_eq!(name(&c, "kworker/0:1", &[]), None);
        assert!(c.needs_cmdline());
    }

    #[test]
    fn non_utf8_does_not_panic() {
        let c = load(
            "process_names:\n  - name: '{{.Comm}}|{{.ExeBase}}|{{.Matches.A}}'\n    cmdline: ['(?P<A>o.)']\n",
        );
        let argv: [&[u8]; 2] = [b"/bin/\xffx", b"fo\xfe"];
        let mut p = proc("", &argv);
        p.comm = b"c\xc3";
        // The regexes see U+FFFD where a byte is not UTF-8, and `.` matches it, as in Go.
        assert_eq!(
            c.group_name(&p).as_deref(),
            Some("c\u{fffd}|\u{fffd}x|o\u{fffd}")
        );
        let comm = load("process_names:\n  - comm: [a]\n");
        p.comm = b"\xff\xfe";
        assert_eq!(comm.group_name(&p), None);
    }

    #[test]
    fn hostile_processes() {
        let c = load(
            "process_names:\n  - name: '{{.Matches.T}}'\n    cmdline: ['(?P<T>z+)$']\n  - name: '{{.Comm}}'\n    cmdline: ['.*']\n",
        );
        // A huge argument and a huge argv.
        let big = vec![b'z'; 4 << 20];
        let argv: [&[u8]; 2] = [b"x", &big];
        assert_eq!(
            c.group_name(&proc("x", &argv)).map(|n| n.len()),
            Some(4 << 20)
        );
        let many: Vec<&[u8]> = vec![b"a".as_slice(); 200_000];
        assert_eq!(c.group_name(&proc("many", &many)).as_deref(), Some("many"));
        // Empty argv, and an empty comm.
        assert_eq!(c.group_name(&proc("", &[])).as_deref(), Some(""));
        // A comm with a newline (a program may set any comm with prctl) is kept as it is.
        assert_eq!(c.group_name(&proc("a\nb", &[])).as_deref(), Some("a\nb"));
        let nl = load("process_names:\n  - comm: [\"a\\nb\"]\n");
        assert_eq!(name(&nl, "a\nb", &[]).as_deref(), Some("a\nb"));
        assert_eq!(name(&nl, "a", &[]), None);
        // Odd argv[0]s for Base.
        let base = load("process_names:\n  - comm: [x]\n");
        for (argv0, want) in [
            ("/", "/"),
            ("///", "/"),
            ("a//", "a"),
            ("", "."),
            ("/a/b", "b"),
        ] {
            assert_eq!(
                name(&base, "x", &[argv0]).as_deref(),
                Some(want),
                "{argv0:?}"
            );
        }
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
    fn split_cmdline_like_procfs() {
        assert!(split_cmdline(b"").is_empty());
        assert_eq!(split_cmdline(b"\0"), vec![b"".as_slice()]);
        assert_eq!(split_cmdline(b"a\0b\0\0"), vec![b"a".as_slice(), b"b"]);
        assert_eq!(split_cmdline(b"a\0\0b\0"), vec![b"a".as_slice(), b"", b"b"]);
        // A program that rewrote its argv into one string with no trailing NUL.
        assert_eq!(split_cmdline(b"sshd: x"), vec![b"sshd: x".as_slice()]);
    }

    #[test]
    fn cgroup_paths_like_procfs() {
        assert_eq!(
            cgroup_paths(b"0::/user.slice/a.scope\n"),
            vec![b"/user.slice/a.scope".as_slice()]
        );
        assert_eq!(
            cgroup_paths(b"12:cpu,cpuacct:/a\n1:name=systemd:/b:c\n"),
            vec![b"/a".as_slice(), b"/b:c"]
        );
        assert!(cgroup_paths(b"").is_empty());
        assert!(cgroup_paths(b"0::/a\ngarbage\n").is_empty());
        assert!(cgroup_paths(b"x::/a\n").is_empty());
    }

    #[test]
    fn load_names_the_file() {
        let dir = std::env::temp_dir().join(format!("procfast-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.yml");
        let e = Config::load(&missing).unwrap_err();
        assert_eq!(e.path(), Some(missing.as_path()));
        assert!(
            e.to_string().starts_with(&missing.display().to_string()),
            "{e}"
        );
        assert!(e.line().is_none());

        let bad = dir.join("bad.yml");
        std::fs::write(&bad, "process_names:\n  - comm: [a]\n    nam: x\n").unwrap();
        let e = Config::load(&bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}:3:5: unknown key `nam` in a process_names entry",
                bad.display()
            )
        );

        let latin1 = dir.join("latin1.yml");
        std::fs::write(&latin1, b"process_names:\n  - comm: [caf\xe9]\n").unwrap();
        let e = Config::load(&latin1).unwrap_err();
        assert_eq!((e.line(), e.column()), (Some(2), Some(15)), "{e}");

        let good = dir.join("good.yml");
        std::fs::write(&good, "process_names:\n  - comm: [a]\n").unwrap();
        assert_eq!(Config::load(&good).unwrap().matchers.len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
