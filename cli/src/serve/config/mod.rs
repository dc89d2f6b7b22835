//! The config of `procfast serve`: the YAML file of ncabatoff's process-exporter (0.7.10, the
//! version Debian ships as `prometheus-process-exporter`), loaded once into matchers that give
//! each process its group name.
//!
//! Its parts, one job each (as process-exporter's `config/` keeps its matchers apart):
//! [`yaml`] reads the YAML into a tree with positions, after [`tabs`] has looked for the tabs
//! go-yaml refuses; [`matcher`] builds and runs the `process_names` entries; [`template`]
//! parses and fills in their names; [`go_syntax`] reads `cmdline` patterns as Go does and
//! [`regex`] compiles them within bounds.
//!
//! # Crates
//!
//! * YAML: `yaml-rust2` 0.11, without default features. It is pure Rust (no `unsafe-libyaml`,
//!   the transpiled C that every serde_yaml fork still carries), its maintainers keep it up while
//!   new work goes to `saphyr`, and 0.11 declares Rust 1.65, under this workspace's 1.77
//!   (0.12 and later ask for 1.85, as do `saphyr` and `serde-saphyr`, 1.89). Its event parser
//!   gives a line and column for every value, so every error below can name its line, and we
//!   drive it in a loop (not its recursive loader), so deep nesting cannot overflow the stack.
//!   Not `serde_yaml` (archived) nor `serde_yml` (unsound, a deprecated shim); the maintained
//!   forks `serde_yaml_ng` and `serde_norway` need `indexmap`, which this workspace's lock
//!   resolves to 2.14 (Rust 1.85), so `cargo xtask msrv` would refuse them.
//! * Regex: `regex`, whose syntax is RE2's, as Go's `regexp` is; where the two part (ASCII
//!   `\d\s\w\b` in Go, `\Q...\E`, repetition limits, Unicode class names, escapes), a pattern
//!   is translated to mean what it means in Go ([`go_syntax`]).
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
//!   tracked (unless `-children` adopts it, below). A config with no entries tracks nothing
//!   (it loads, with a warning in [`Config::warnings`]).
//! * `comm`: any listed string equal to the kernel's comm (the 2nd field of
//!   `/proc/<pid>/stat`, at most 15 bytes).
//! * `exe`: compared with **argv\[0\]**, not the `/proc/<pid>/exe` link: an entry containing `/`
//!   must equal argv\[0\], any other must equal argv\[0\]'s basename (Go's `filepath.Base`). A
//!   process with no argv (a kernel thread) matches no `exe`.
//! * `cmdline`: every regex (Go's syntax) must match (unanchored) argv joined by single spaces;
//!   named groups `(?P<N>..)` fill `{{.Matches.N}}` (a group that took no part gives ""; with
//!   the same name twice, the later group wins).
//! * Template fields: `.Comm`; `.ExeBase` and `.ExeFull` (argv\[0\]'s basename and argv\[0\], or
//!   the comm when argv is empty); `.Username` (the effective uid's name, or the uid in decimal
//!   when it has none); `.PID` (decimal); `.StartTime` (boot time plus the stat start ticks, in
//!   UTC, printed as Go's `time.Time.String()`: `2024-05-01 10:00:00.37 +0000 UTC`);
//!   `.Cgroups` (the paths of `/proc/<pid>/cgroup`, printed as Go prints a `[]string`:
//!   `[/a /b]`); `.Matches.N`.
//! * Fields of serve's own, which process-exporter does not have:
//!   `.PodUID`, `.ContainerID` and `.SystemdUnit`, the Kubernetes pod UID (with dashes), the
//!   container ID (64 hex digits) and the innermost systemd unit (`nginx.service`,
//!   `session-3.scope`, `cri-containerd-<id>.scope`) read from the cgroup paths by
//!   `procfast::parse::cgroup_identity`, whose docs list the layouts: kubelet with the systemd
//!   or the cgroupfs driver, containerd, CRI-O (its `crio-conmon-` monitor is not a
//!   container), Docker, Podman. Each is empty where the paths have none (`/`, a slice). Each
//!   field comes from the longest path that has it (the later of equals; the kernel lists the
//!   v2 line last): systemd's tree is whole in the v2 and `name=systemd` hierarchies and only
//!   as deep as a unit needs in a v1 controller's, so on a v1 or hybrid host the systemd path
//!   is read where the v2 line says nothing.
//! * `-children` (default on) is a command-line flag, not config: a process that no entry
//!   matches, seen for the first time, joins the group of its nearest tracked ancestor; the walk
//!   up stops with "not tracked" at an ancestor already seen and left untracked, or at a parent
//!   that is gone. Matching happens once, when a process is first seen (unless `-recheck`).
//!   That walk belongs to the caller: it has the process tree.
//! * Without `-config.path`, process-exporter groups only the comms named by `-procnames`
//!   and `-namemapping` ([`Config::from_names`], in [`names`]), and with neither it tracks
//!   nothing; its deb and rpm packages ship `all.yaml`, one entry naming every process with a
//!   non-empty command line by its comm. [`Config::default_by_comm`] is that file, serve's
//!   config when given neither a file nor names.
//! * YAML as go-yaml reads it where it is stricter: a tab in the indentation (or after a `-`,
//!   or on a line with only a comment) is an error, naming its line ([`tabs`]).
//!
//! # Bounds
//!
//! The file is read up to 16 MiB, its YAML up to 64 levels deep and 100,000 values (aliases
//! counted expanded). Its `cmdline` regexes together may have at most 256 KiB of text and 4096
//! Unicode classes, and compile to at most 64 MiB (each counting at least 64 KiB, so at most
//! 1024 regexes): see [`regex`]. process-exporter has none of these bounds.
//!
//! # Where this differs from process-exporter
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
//!   regexes see as well as in names. In Go `.` matches such a byte as U+FFFD too.
//! * Regexes: Unicode classes and case folding follow Unicode 16 here (the regex crate's
//!   tables) and Unicode 13 in Go 1.19, so characters assigned since differ; the depth limit of
//!   1000 is reckoned from the pattern, and may differ from Go's by a level near it; and the
//!   bounds above.
//! * YAML where go-yaml is more lenient than yaml-rust2: a flow collection or a quoted scalar
//!   whose continuation lines are indented less than the block around it loads in Go and is an
//!   error here; so is a line break in a plain scalar written as U+2028 or U+0085. YAML aliases
//!   are expanded (bounded in total size); the merge key `<<` is not supported (it is reported
//!   as an unknown key). Only the first YAML document is read, as yaml.v2 does.

mod go_class;
mod go_error;
mod go_syntax;
mod matcher;
mod names;
mod regex;
mod tabs;
mod template;
mod yaml;

pub use matcher::Matcher;

use regex::Budget;
use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use template::Part;
use yaml::{keys, Pos, Value};

/// A config file larger than this is refused rather than read whole (a path to a device, say).
const MAX_FILE_BYTES: u64 = 16 << 20;
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
    /// Set by [`Config::from_names`] (`-procnames`, `-namemapping`): it names the groups in
    /// place of `matchers`.
    comm_names: Option<names::CommNames>,
    /// `top_processes: N`, procfast's own key (process-exporter ignores it): serve's `--top N`.
    pub top_processes: Option<usize>,
}

/// The most `top_processes` (and `--top`) may ask for: series enough for any dashboard, and a
/// bound on what a scrape carries.
pub const TOP_MAX: usize = 1000;

/// `top_processes`' value: a count from 1 to [`TOP_MAX`].
fn top_processes(node: &yaml::Node) -> Result<usize, ConfigError> {
    match &node.value {
        Value::Str(text) => text.parse().ok().filter(|n| (1..=TOP_MAX).contains(n)),
        _ => None,
    }
    .ok_or_else(|| {
        ConfigError::at(
            node.pos,
            format!("`top_processes` must be a count from 1 to {TOP_MAX}"),
        )
    })
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
            comm_names: None,
            top_processes: None,
        };
        // A byte-order mark is not content (yaml.v2 skips it; yaml-rust2 would read it as text).
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // An empty document, as for yaml.v2, is a config with no entries.
        let pairs = match yaml::read(text)? {
            None => Vec::new(),
            Some(root) => match root.value {
                Value::Null => Vec::new(),
                Value::Map(pairs) => pairs,
                _ => {
                    return Err(ConfigError::at(
                        root.pos,
                        "the config must be a mapping with a `process_names` list",
                    ))
                }
            },
        };
        let mut regexes = Budget::default();
        let fields = keys(
            pairs,
            &["process_names", "top_processes"],
            "at the top level (process-exporter's config has only `process_names`, \
             procfast adds `top_processes`; -children, -threads and -recheck are \
             command-line flags)",
        )?;
        for (key, value) in fields {
            if key == "top_processes" {
                config.top_processes = Some(top_processes(&value)?);
                continue;
            }
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
                let matcher = Matcher::from_node(entry, &mut config.warnings, &mut regexes)?;
                config.matchers.push(matcher);
            }
        }
        if config.matchers.is_empty() {
            config.warnings.push(
                "no process_names entries: no process is grouped, so no group is exported \
                 (process-exporter, too, starts and exports none)"
                    .to_string(),
            );
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
        self.matchers.iter().any(Matcher::uses_argv)
            || self
                .comm_names
                .as_ref()
                .is_some_and(names::CommNames::uses_argv)
    }

    /// Whether any name uses `{{.Username}}`: if not, no uid needs looking up.
    pub fn needs_username(&self) -> bool {
        self.uses(&Part::Username)
    }

    /// Whether any name uses `{{.Cgroups}}`, `{{.PodUID}}`, `{{.ContainerID}}` or
    /// `{{.SystemdUnit}}`: if not, `/proc/<pid>/cgroup` need not be read.
    pub fn needs_cgroups(&self) -> bool {
        self.matchers.iter().any(Matcher::names_with_cgroups)
    }

    fn uses(&self, part: &Part) -> bool {
        self.matchers.iter().any(|m| m.names_with(part))
    }

    /// The group name of a process: that of the first entry it matches; `None` when none does.
    pub fn group_name(&self, p: &ProcInfo) -> Option<String> {
        if let Some(names) = &self.comm_names {
            return names.name(p);
        }
        // The joined command line, built at most once, by the first entry that needs it.
        let mut line = None;
        self.matchers
            .iter()
            .find_map(|m| m.name_if_matched(p, &mut line))
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

/// What the tests of this module and its parts share: building configs and processes.
/// Go's `filepath.Base` on Unix: trailing slashes dropped, then what follows the last slash;
/// "." for an empty path and "/" for one of slashes only.
pub(super) fn go_base(path: &[u8]) -> &[u8] {
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

#[cfg(test)]
mod testing {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    /// The parts of an error, for the assertions (the command itself only prints them).
    impl ConfigError {
        pub(super) fn line(&self) -> Option<usize> {
            self.position.map(|(line, _)| line)
        }
        pub(super) fn column(&self) -> Option<usize> {
            self.position.map(|(_, column)| column)
        }
        pub(super) fn message(&self) -> &str {
            &self.message
        }
        pub(super) fn path(&self) -> Option<&Path> {
            self.path.as_deref()
        }
    }

    /// A process with argv `argv`; the other fields fixed.
    pub(super) fn proc<'a>(comm: &'a str, argv: &'a [&'a [u8]]) -> ProcInfo<'a> {
        ProcInfo {
            pid: 4242,
            comm: comm.as_bytes(),
            cmdline: argv,
            username: "alice",
            start_time: UNIX_EPOCH + Duration::from_secs(1_714_557_600),
            cgroups: &[],
        }
    }

    pub(super) fn load(yaml: &str) -> Config {
        Config::from_yaml(yaml).unwrap_or_else(|e| panic!("{e}"))
    }

    pub(super) fn reject(yaml: &str) -> ConfigError {
        match Config::from_yaml(yaml) {
            Ok(c) => panic!("accepted, with {} entries: {yaml}", c.matchers.len()),
            Err(e) => e,
        }
    }

    /// Asserts that `yaml` is refused at `(line, column)`, with a message holding `says`.
    pub(super) fn assert_refused_at(yaml: &str, at: (usize, usize), says: &str) {
        let e = reject(yaml);
        assert_eq!((e.line(), e.column()), (Some(at.0), Some(at.1)), "{e}");
        assert!(e.message().contains(says), "{e}");
    }

    /// Asserts that a process of `comm` and `argv` is grouped as `want` (`None`: in no group).
    #[track_caller]
    pub(super) fn assert_name(config: &Config, comm: &str, argv: &[&str], want: Option<&str>) {
        let got = name(config, comm, argv);
        assert_eq!(got.as_deref(), want, "{comm} {argv:?}");
    }

    pub(super) fn name(config: &Config, comm: &str, argv: &[&str]) -> Option<String> {
        let argv: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
        config.group_name(&proc(comm, &argv))
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{assert_name, assert_refused_at, load, name};
    use super::*;

    #[test]
    fn top_processes_is_a_count_beside_the_entries() {
        let c = load("top_processes: 10\nprocess_names:\n  - comm: [a]\n");
        assert_eq!((c.top_processes, c.matchers.len()), (Some(10), 1));
        assert_eq!(load("process_names:\n  - comm: [a]\n").top_processes, None);
        for bad in ["0", "1001", "-1", "ten", "[1]", "''"] {
            let yaml = format!("top_processes: {bad}\n");
            assert_refused_at(&yaml, (1, 16), "a count from 1 to 1000");
        }
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
        assert_name(&c, "zsh", &["/bin/zsh", "-l"], Some("zsh"));
        assert_name(&c, "mysqld", &["/usr/sbin/mysqld"], Some("mysqld"));
        assert_name(
            &c,
            "grafana",
            &["/opt/grafana/bin/grafana"],
            Some("grafana"),
        );
        // With a slash the whole argv[0] must match.
        assert_name(&c, "grafana", &["/usr/bin/grafana"], None);
        assert_eq!(
            name(
                &c,
                "node_exporter",
                &["/usr/bin/node_exporter", "--config.file", "/etc/n.yml"]
            )
            .as_deref(),
            Some("/usr/bin/node_exporter:/etc/n.yml")
        );
        assert_name(&c, "node_exporter", &["/usr/bin/node_exporter"], None);
        assert_name(&c, "bash", &["bash"], None);
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
        assert_name(&c, "vim", &["vim", "x"], Some("vim"));
        assert_name(
            &c,
            "systemd",
            &["/lib/systemd/systemd", "--user"],
            Some("systemd:user"),
        );
        assert_name(&c, "systemd", &["/lib/systemd/systemd", "--system"], None);
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
            assert_name(&c, "bash", &["bash"], None);
            // It serves nothing: say so.
            assert_eq!(c.warnings.len(), 1, "{yaml}");
            assert!(
                c.warnings[0].starts_with("no process_names entries"),
                "{yaml}"
            );
        }
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
        for field in ["PodUID", "ContainerID", "SystemdUnit"] {
            let c = load(&format!(
                "process_names:\n  - comm: [a]\n    name: '{{{{.{field}}}}}'\n"
            ));
            assert!(c.needs_cgroups() && !c.needs_username(), "{field}");
        }
    }

    #[test]
    fn default_by_comm_is_all_yaml() {
        let c = Config::default_by_comm();
        assert_name(&c, "bash", &["/bin/bash"], Some("bash"));
        assert_name(&c, "sshd", &["sshd: alice@pts/0"], Some("sshd"));
        // Kernel threads have no command line: left out, as process-exporter's all.yaml does.
        assert_name(&c, "kworker/0:1", &[], None);
        assert!(c.needs_cmdline());
        assert!(c.warnings.is_empty());
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
