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
//!   its comm. [`Config::default_by_comm`] is that file; [`Config::from_procnames`] is
//!   `-procnames` (without `-namemapping`).
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
    /// `exe:`, if given: argv[0] (an entry with `/`) or its basename must equal one of these.
    exe: Option<Vec<String>>,
    /// `cmdline:`: every one must match argv joined by spaces. Empty when not given.
    cmdline: Vec<Regex>,
    /// The `name:` template, parsed once.
    name: Vec<Part>,
    /// Whether `name` uses `.Matches`: only then are regex captures worth their cost.
    wants_captures: bool,
    /// The entry's line in the file; 0 for one built in code.
    line: usize,
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

    /// The file's path, for an error from [`Config::load`].
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The 1-based line of the error, when it has one (a file that cannot be read has none).
    pub fn line(&self) -> Option<usize> {
        self.position.map(|(line, _)| line)
    }

    /// The 1-based column (in characters) of the error, when it has one.
    pub fn column(&self) -> Option<usize> {
        self.position.map(|(_, column)| column)
    }

    /// What is wrong, without the place.
    pub fn message(&self) -> &str {
        &self.message
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

    /// process-exporter's `-procnames a,b,c` (without `-namemapping`): a process whose comm is
    /// one of `names` is in the group named by its comm; empty names are skipped, as there.
    pub fn from_procnames<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Config {
        let names: Vec<String> = names
            .into_iter()
            .map(|s| s.as_ref().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        Config {
            matchers: vec![Matcher {
                comm: Some(names),
                exe: None,
                cmdline: Vec::new(),
                name: vec![Part::Comm],
                wants_captures: false,
                line: 0,
            }],
            warnings: Vec::new(),
        }
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
    /// The entry's line in the config file (0 for one built by [`Config::from_procnames`]).
    pub fn line(&self) -> usize {
        self.line
    }

    /// This entry's name for `p`, if `p` matches it; `None` if not.
    pub fn group_name(&self, p: &ProcInfo) -> Option<String> {
        self.name_if_matched(p, &mut None)
    }

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
                ConfigError::at(at, format!("bad cmdline regex `{pattern}`: {}", one_line(&e)))
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
            line: pos.line,
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
    let start = trimmed.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
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
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (secs, nanos) = (since.as_secs(), since.subsec_nanos());
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    );
    if nanos != 0 {
        let fraction = format!("{nanos:09}");
        out.push('.');
        out.push_str(fraction.trim_end_matches('0'));
    }
    out.push_str(" +0000 UTC");
}

/// The proleptic Gregorian date of a day count from 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
        trim_next = inner.len() > 1 && inner.ends_with('-') && inner[..inner.len() - 1].ends_with(space);
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
            ConfigError::at(Pos::from(*e.marker()), format!("YAML syntax error: {}", e.info()))
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
                None => parent.key = Some(done),
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
        return Err(ConfigError::at(node.pos, format!("`{key}` is an empty list")));
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
    let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    last.trim().trim_start_matches("error: ").to_string()
}
