//! `procfast serve`'s command line: its own flags and process-exporter's, read as Go's `flag`
//! package reads them ([`super::go_flags`]), so that an operator can swap process-exporter's
//! binary for serve and keep the flags its unit or chart writes.

use super::config::{Config, TOP_MAX};
use super::go_duration::parse_go_duration;
use super::go_flags::{parse_go_bool, Flag, GoFlags, Kind, Parsed};
use super::Options;
use crate::args::parse_number;
use crate::failure::{usage_error, Failure};
use std::ffi::OsString;
use std::io::Write;
use std::time::Duration;

const SERVE_USAGE: &str = "\
usage: procfast serve [--listen ADDR] [--config FILE] [--procfs DIR] [--budget-ms MS]
                      [--children true|false] [--threads] [--smaps]
                      [--smaps-max-rss-mib MIB] [--sockets] [--tcp] [--top N]
                      [--kept-fds-percent P] [--debug] [--once]
       procfast serve [process-exporter's flags, as it takes them]

A host process exporter, a drop-in for process-exporter: its YAML config (process_names with
comm, exe, cmdline and name templates), its metric names (namedprocess_namegroup_*), answering
a scrape within the timeout Prometheus announces (X-Prometheus-Scrape-Timeout-Seconds).

  --listen ADDR       where to serve /metrics: [HOST]:PORT, like :9256 (every interface, IPv6
                      and IPv4, or IPv4 alone on a host without IPv6), 127.0.0.1:9256 or
                      [::1]:9256. Default :9256, process-exporter's: Prometheus scrapes from
                      another host. Use 127.0.0.1:9256 or a web config (TLS, basic auth)
                      where group names must not be seen from the network
  --config FILE       process-exporter's config file (also --config.path); without one, every
                      process with a command line is its own group, named by its comm
  --procfs DIR        the procfs to read (default /proc; a host's /proc mounted elsewhere)
  --budget-ms MS      end every scan after MS milliseconds, whatever the scrape timeout
  --children BOOL     an unmatched process joins its nearest matched ancestor's group
                      (default true, as process-exporter's -children)
  --once              print one scrape to stdout and exit (a second scan after the first, so
                      counters have a baseline)
  --threads           also report per-thread metrics (namedprocess_namegroup_thread_*), by
                      thread name, for multi-threaded processes: a scan of every thread
  --smaps             also report PSS (memtype proportionalResident, proportionalSwapped) from
                      smaps_rollup, for processes whose RSS is at most 1 GiB
  --smaps-max-rss-mib MIB
                      --smaps, with that RSS cap (the kernel walks a process's page tables to
                      write smaps_rollup: its cost grows with the memory)
  --sockets           also report each group's open sockets (procfast_namegroup_open_sockets),
                      from a census of its members' fds: a readlinkat per fd, within the budget
  --tcp               also report the host's TCP connections by state
                      (procfast_tcp_connections{state}), by a netlink sock_diag dump
  --top N             also report the N heaviest processes of the host, grouped or not: by CPU
                      used since the previous scrape, by resident memory and by open fds
                      (procfast_top_process_{cpu_seconds_total,resident_memory_bytes,
                      open_fds}{pid,comm,groupname}; at most N series each, 1 to 1000; also
                      the config's top_processes: N)
  --kept-fds-percent P
                      the share of RLIMIT_NOFILE (raised to its hard limit) that /proc handles
                      kept from scrape to scrape may take (default 50; 0 keeps none). Kept
                      handles are kernel memory too: 10,000 of them (3,000 processes) held
                      27-30 MB more slab than keeping none
  --debug             log which processes a scrape was denied figures of
  --web.config.file FILE
                      exporter-toolkit's web config, as process-exporter takes it: TLS by
                      tls_server_config (client certificates by client_auth_type and
                      client_ca_file; TLS12 and TLS13 only), basic_auth_users (bcrypt hashes),
                      http_server_config (its headers; http2, offered by ALPN under TLS). Read
                      with its certificates once, at start: a bad one stops serve; a change
                      takes a restart. A TLS handshake, like a request's headers, must end
                      within 10 s

Clients cannot take the fds that kept handles and scans need: connections are capped at what
the limit leaves (at the cap, the connection idle the longest is closed to make room, and
dropped if its answer stops moving for 2 s), a request's headers must come within 10 s, and
an idle connection closes after 90 s. Scrapes that arrive while a scan runs share it.

Every scrape also says how it went: procfast_scrape_complete (0 when the budget stopped the
scan, which then serves what it saw), procfast_scrape_duration_seconds,
procfast_scrape_budget_seconds and procfast_scrape_processes{outcome}; and carries serve's own
process_* metrics and procfast_build_info. /metrics is gzip-compressed for clients that accept
it, and / is a page linking it.

process-exporter's flags (0.7.10's and 0.8's) start serve unchanged, read as Go's flag
package reads them: one dash or two, -flag VALUE or -flag=VALUE, a boolean bare (true) or as
-flag=false (also 1/0, t/f, TRUE/FALSE, True/False; a bare boolean never takes the next
word), durations as Go writes them (500ms, 1m30s), and -- ends the flags.

  -web.listen-address ADDR    --listen
  -web.telemetry-path PATH    the path of the metrics (default /metrics)
  -web.config.file FILE       exporter-toolkit's web config: TLS, basic auth, headers
  -config.path FILE           --config
  -procfs DIR                 --procfs
  -procnames A,B              without a config: track only processes whose comm is one of
                              these, a group per comm
  -namemapping COMM,RE,...    without a config: track processes of comm COMM whose command
                              line RE matches, as group COMM:TEXT, TEXT the first of RE's
                              groups that matched some text (COMM need not be in -procnames)
  -children=BOOL              --children (default true)
  -threads                    --threads (default false here, true in process-exporter)
  -gather-smaps               --smaps (default false here, true in process-exporter)
  -recheck                    match the processes left out again at every scrape (an exec
                              may have renamed them); a tracked process keeps its group
  -recheck-with-time-limit D  -recheck, only for processes younger than D
  -remove-empty-groups        stop reporting a group once it has no members
  -once-to-stdout-delay D     --once, with D between the baseline scan and the one printed
  -debug                      --debug
  -version                    print the version and exit
  -man                        print this text and exit

-config.path cannot be given with -procnames or -namemapping. Without any of them, every
process with a command line is its own group, named by its comm (process-exporter tracks
nothing). -threads and -gather-smaps are off unless asked for: the first scans every thread
of the host each scrape, the second makes the kernel walk every member's page tables.";

/// `--smaps` reads `smaps_rollup` only of processes up to this RSS: the kernel walks every page
/// table of a process to write it, milliseconds for gigabytes.
const DEFAULT_SMAPS_MAX_RSS: u64 = 1 << 30;

/// Every flag serve takes, its own and process-exporter's, with what each takes.
const FLAGS: &[(&str, Kind)] = &[
    ("listen", Kind::Value),
    ("web.listen-address", Kind::Value),
    ("web.telemetry-path", Kind::Value),
    ("web.config.file", Kind::Value),
    ("config", Kind::Value),
    ("config.path", Kind::Value),
    ("procfs", Kind::Value),
    ("procnames", Kind::Value),
    ("namemapping", Kind::Value),
    ("budget-ms", Kind::Value),
    ("kept-fds-percent", Kind::Value),
    ("smaps-max-rss-mib", Kind::Value),
    ("top", Kind::Value),
    ("recheck-with-time-limit", Kind::Value),
    ("once-to-stdout-delay", Kind::Value),
    ("children", Kind::Bool),
    ("threads", Kind::Bool),
    ("smaps", Kind::Bool),
    ("gather-smaps", Kind::Bool),
    ("sockets", Kind::Bool),
    ("tcp", Kind::Bool),
    ("once", Kind::Bool),
    ("debug", Kind::Bool),
    ("recheck", Kind::Bool),
    ("remove-empty-groups", Kind::Bool),
    ("version", Kind::Bool),
    ("man", Kind::Bool),
];

/// What a command line asks for.
enum Command {
    Run(Box<Options>),
    /// `-h`, `--help`, `-man`: the usage text.
    Usage,
    /// `-version`.
    Version,
}

pub fn serve_command(mut args: lexopt::Parser, out: &mut dyn Write) -> Result<(), Failure> {
    let words: Vec<OsString> = args.raw_args()?.collect();
    match parse(words)? {
        Command::Usage => Ok(writeln!(out, "{SERVE_USAGE}")?),
        Command::Version => Ok(writeln!(
            out,
            "procfast serve version {}",
            env!("CARGO_PKG_VERSION")
        )?),
        Command::Run(options) => {
            out.flush()?;
            super::run(*options, out)
        }
    }
}

/// Reads serve's command line: every flag first, as Go does, then what they ask for together.
fn parse(words: Vec<OsString>) -> Result<Command, Failure> {
    let mut options = Options::default();
    let mut flags = GoFlags::new(words);
    let (mut procnames, mut namemapping) = (String::new(), String::new());
    let (mut version, mut manual) = (false, false);
    let mut recheck_limit = 0i64;
    let kind_of = |name: &str| FLAGS.iter().find(|(n, _)| *n == name).map(|&(_, k)| k);
    while let Some(parsed) = flags
        .next(kind_of)
        .map_err(|e| usage_error(e.to_string()))?
    {
        let flag = match parsed {
            Parsed::Help => return Ok(Command::Usage),
            Parsed::Flag(flag) => flag,
        };
        match flag.name.as_str() {
            "listen" | "web.listen-address" => {
                let text = text_of(&flag)?;
                options.listen = text.parse().map_err(|why| invalid(&flag, why))?;
            }
            "web.telemetry-path" => options.telemetry_path = metrics_path(&flag)?,
            // An empty path is none, as process-exporter takes it.
            "web.config.file" => options.web_config = path_of(&flag),
            "config" | "config.path" => options.config = path_of(&flag),
            "procfs" => options.procfs = flag.value.clone().unwrap_or_default().into(),
            "procnames" => procnames = text_of(&flag)?.to_string(),
            "namemapping" => namemapping = text_of(&flag)?.to_string(),
            "budget-ms" => {
                let ms = parse_number(&flag.written, text_of(&flag)?, 1..=u64::MAX)?;
                options.budget = Some(Duration::from_millis(ms));
            }
            "kept-fds-percent" => {
                options.kept_fds_percent = parse_number(&flag.written, text_of(&flag)?, 0..=100)?
            }
            "smaps-max-rss-mib" => {
                let mib = parse_number(&flag.written, text_of(&flag)?, 1..=u64::MAX >> 20)?;
                options.smaps_max_rss = Some(mib << 20);
            }
            "top" => {
                let n = parse_number(&flag.written, text_of(&flag)?, 1..=TOP_MAX as u64)?;
                options.top = Some(n as usize);
            }
            "recheck-with-time-limit" => recheck_limit = duration_of(&flag)?,
            "once-to-stdout-delay" => {
                let delay = duration_of(&flag)?;
                // Zero is process-exporter's "serve"; a negative wait is none.
                options.once = delay != 0;
                options.once_delay = Duration::from_nanos(delay.max(0).unsigned_abs());
            }
            "children" => {
                // serve's own form takes the next word (`--children false`); Go's never does.
                let word = match (&flag.value, flag.written.starts_with("--")) {
                    (None, true) => flags.next_word_if(&["true", "false"]),
                    _ => None,
                };
                options.children = match word {
                    Some(word) => word == "true",
                    None => bool_of(&flag)?,
                };
            }
            "threads" => options.threads = bool_of(&flag)?,
            "smaps" | "gather-smaps" => {
                options.smaps_max_rss = match bool_of(&flag)? {
                    true => options.smaps_max_rss.or(Some(DEFAULT_SMAPS_MAX_RSS)),
                    false => None,
                }
            }
            "sockets" => options.sockets = bool_of(&flag)?,
            "tcp" => options.tcp = bool_of(&flag)?,
            "once" => options.once = bool_of(&flag)?,
            "debug" => options.debug = bool_of(&flag)?,
            "recheck" => options.recheck = bool_of(&flag)?,
            "remove-empty-groups" => options.remove_empty_groups = bool_of(&flag)?,
            "version" => version = bool_of(&flag)?,
            "man" => manual = bool_of(&flag)?,
            // FLAGS and this match list the same names.
            other => {
                return Err(usage_error(format!(
                    "flag provided but not defined: -{other}"
                )))
            }
        }
    }
    if version {
        return Ok(Command::Version);
    }
    if manual {
        return Ok(Command::Usage);
    }
    if options.config.is_some() && !(procnames.is_empty() && namemapping.is_empty()) {
        return Err(usage_error(
            "-config.path cannot be used with -namemapping or -procnames",
        ));
    }
    options.names = Config::from_names(&procnames, &namemapping).map_err(|e| {
        usage_error(format!(
            "error parsing -namemapping argument '{namemapping}': {e}"
        ))
    })?;
    // As process-exporter: a time limit is a recheck, whatever -recheck says.
    if recheck_limit != 0 {
        options.recheck = true;
        options.recheck_younger_than =
            Some(Duration::from_nanos(recheck_limit.max(0).unsigned_abs()));
    }
    Ok(Command::Run(Box::new(options)))
}

/// A flag's value as text; paths may be any bytes, but these must be UTF-8.
fn text_of(flag: &Flag) -> Result<&str, Failure> {
    let value = flag.value.as_deref().unwrap_or_default();
    value
        .to_str()
        .ok_or_else(|| invalid(flag, "not UTF-8".to_string()))
}

/// A path flag's value: an empty one is none.
fn path_of(flag: &Flag) -> Option<std::path::PathBuf> {
    flag.value.clone().filter(|v| !v.is_empty()).map(Into::into)
}

/// A boolean flag: bare is true, else its `=value` as Go's `strconv.ParseBool` reads it.
fn bool_of(flag: &Flag) -> Result<bool, Failure> {
    let Some(value) = &flag.value else {
        return Ok(true);
    };
    let text = value.to_string_lossy();
    parse_go_bool(&text).ok_or_else(|| {
        usage_error(format!(
            "invalid boolean value {text:?} for {}: expected true or false (or 1, 0, t, f)",
            flag.written
        ))
    })
}

/// A duration flag, in Go's syntax, as signed nanoseconds.
fn duration_of(flag: &Flag) -> Result<i64, Failure> {
    parse_go_duration(text_of(flag)?).map_err(|why| {
        invalid(
            flag,
            format!("{why}; expected a Go duration like 1m30s or 500ms"),
        )
    })
}

/// `-web.telemetry-path`: a path the router can serve as it is written.
fn metrics_path(flag: &Flag) -> Result<String, Failure> {
    let path = text_of(flag)?;
    if !path.starts_with('/') {
        return Err(invalid(flag, "a path must start with '/'".to_string()));
    }
    // The router reads `{NAME}` and a segment starting with `*` or `:` as captures.
    let captures = path.contains(['{', '}']) || path.split('/').any(|s| s.starts_with(['*', ':']));
    if captures {
        return Err(invalid(
            flag,
            "'{', '}' and segments starting with '*' or ':' are not served".to_string(),
        ));
    }
    Ok(path.to_string())
}

/// A value refused: Go's wording, with why.
fn invalid(flag: &Flag, why: String) -> Failure {
    let value = flag.value.as_deref().unwrap_or_default().to_string_lossy();
    usage_error(format!(
        "invalid value {value:?} for flag {}: {why}",
        flag.written
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn options(line: &[&str]) -> Options {
        match parse(line.iter().map(OsString::from).collect()) {
            Ok(Command::Run(options)) => *options,
            Ok(_) => panic!("{line:?}: not a run"),
            Err(Failure::Usage(e) | Failure::Work(e)) => panic!("{line:?}: {e}"),
            Err(Failure::ClosedPipe) => panic!("{line:?}: closed pipe"),
        }
    }

    fn refusal(line: &[&str]) -> String {
        match parse(line.iter().map(OsString::from).collect()) {
            Err(Failure::Usage(e)) => e,
            _ => panic!("{line:?} was taken"),
        }
    }

    #[test]
    fn defaults_listen_everywhere_and_leave_the_costly_figures_off() {
        let o = options(&[]);
        assert_eq!(o.listen.to_string(), ":9256");
        assert!(o.children && !o.threads && o.smaps_max_rss.is_none());
        assert!(!o.recheck && !o.remove_empty_groups && !o.once);
        assert!(o.config.is_none() && o.names.is_none());
    }

    #[test]
    fn serves_own_flags_read_as_before() {
        let o = options(&[
            "--listen",
            "127.0.0.1:9300",
            "--config",
            "a.yml",
            "--children",
            "false",
            "--threads",
            "--smaps-max-rss-mib",
            "64",
            "--budget-ms=250",
            "--once",
        ]);
        assert_eq!(
            (o.listen.to_string(), o.config.as_deref()),
            ("127.0.0.1:9300".into(), Some(Path::new("a.yml")))
        );
        assert!(!o.children && o.threads && o.once);
        assert_eq!(o.smaps_max_rss, Some(64 << 20));
        assert_eq!(o.budget, Some(Duration::from_millis(250)));
        assert!(options(&["--children", "true"]).children);
        // `--smaps` keeps a cap given before it.
        let o = options(&["--smaps-max-rss-mib", "8", "--smaps"]);
        assert_eq!(o.smaps_max_rss, Some(8 << 20));
    }

    #[test]
    fn process_exporters_flags_set_the_same_options() {
        let o = options(&[
            "-web.listen-address",
            "[::1]:9256",
            "-config.path=b.yml",
            "-procfs",
            "/host/proc",
            "-children=false",
            "-threads=true",
            "-gather-smaps",
            "-web.telemetry-path",
            "/other",
            "-web.config.file=web.yml",
            "-debug=1",
            "-remove-empty-groups",
        ]);
        assert_eq!(
            (
                o.listen.to_string(),
                o.config.as_deref(),
                o.procfs.as_path()
            ),
            (
                "[::1]:9256".into(),
                Some(Path::new("b.yml")),
                Path::new("/host/proc")
            )
        );
        assert!(!o.children && o.threads && o.debug && o.remove_empty_groups);
        assert_eq!(o.smaps_max_rss, Some(DEFAULT_SMAPS_MAX_RSS));
        assert_eq!(o.telemetry_path, "/other");
        assert_eq!(o.web_config.as_deref(), Some(Path::new("web.yml")));
        // The last of a flag given twice counts, as in Go.
        assert!(!options(&["-threads", "-threads=f"]).threads);
        assert!(options(&["-gather-smaps=false"]).smaps_max_rss.is_none());
        // An empty path is no file, as process-exporter reads it.
        assert!(options(&["-config.path="]).config.is_none());
    }

    #[test]
    fn a_time_limit_is_a_recheck_and_a_delay_is_once() {
        let o = options(&["-recheck=false", "-recheck-with-time-limit", "1m30s"]);
        assert!(o.recheck);
        assert_eq!(o.recheck_younger_than, Some(Duration::from_secs(90)));
        let o = options(&["-recheck-with-time-limit=0s"]);
        assert!(!o.recheck && o.recheck_younger_than.is_none());
        let o = options(&["-once-to-stdout-delay", "500ms"]);
        assert!(o.once);
        assert_eq!(o.once_delay, Duration::from_millis(500));
        assert!(!options(&["-once-to-stdout-delay=0"]).once);
        assert_eq!(
            options(&["-once-to-stdout-delay=-1s"]).once_delay,
            Duration::ZERO
        );
    }

    #[test]
    fn names_build_a_config_and_refuse_a_file_beside_them() {
        assert!(options(&["-procnames", "bash,sshd"]).names.is_some());
        assert!(options(&["-namemapping", "java,-jar\\s+(\\S+)"])
            .names
            .is_some());
        assert_eq!(
            refusal(&["-procnames=a", "-config.path", "c.yml"]),
            "-config.path cannot be used with -namemapping or -procnames"
        );
    }

    #[test]
    fn top_takes_a_count_from_one_to_the_bound() {
        assert_eq!(options(&[]).top, None);
        assert_eq!(options(&["--top", "10"]).top, Some(10));
        assert_eq!(options(&["-top=1000"]).top, Some(1000));
        for bad in ["0", "1001", "x", ""] {
            assert!(refusal(&["--top", bad]).contains("--top"), "{bad}");
        }
    }

    #[test]
    fn version_and_manual_come_after_every_flag_is_read() {
        assert!(matches!(
            parse(vec!["-version".into()]),
            Ok(Command::Version)
        ));
        assert!(matches!(
            parse(vec!["-man".into(), "-threads".into()]),
            Ok(Command::Usage)
        ));
        assert_eq!(
            refusal(&["-version", "-nope"]),
            "flag provided but not defined: -nope"
        );
    }

    #[test]
    fn telemetry_paths_the_router_would_read_as_captures_are_refused() {
        for path in ["metrics", "", "/{x}", "/a/:id", "/*rest"] {
            let e = refusal(&["-web.telemetry-path", path]);
            assert!(e.starts_with("invalid value"), "{path}: {e}");
        }
    }
}
