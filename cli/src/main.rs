//! The procfast command line.
//!
//! ```text
//! procfast top [--by fds|threads|rss|cpu|pid] [-n N] [--interval SECONDS] [--watch]
//!              [--pid PID]... [--user NAME|UID] [--comm TEXT] [--threads] [--budget-ms MS] [--json]
//! procfast fds PID [--method auto|stat|walk] [--budget-entries N] [--budget-ms MS] [--json]
//! procfast metrics [PID] [--namespace NS] [--network]
//! procfast seed-demo [--fds N]
//! ```
//!
//! `top` scans every process and shows the largest by a figure, with %CPU over an interval and,
//! with `--watch`, repainted until `q`, as top does; `fds` counts one process's open fds;
//! `seed-demo` reproduces, in this one process, the scrape
//! that timed out: it opens as many fds as RLIMIT_NOFILE allows and counts them the naive ways and
//! procfast's ways, side by side, with time and allocations for each.
//!
//! Exit status: 0 on success, also when stdout's reader has gone (`procfast top | head -1`); 1
//! when the work fails; 2 for a usage error. Errors are one line on stderr.

mod args;
mod failure;
mod fd_limit;
mod fds;
mod host;
mod human;
mod metrics;
mod seed_demo;
pub mod serve;
mod tcp;
mod top;

use failure::{say, usage_error, Failure};
use lexopt::prelude::*;
use std::io::{self, Write};
use std::process::ExitCode;

const USAGE: &str = "\
usage: procfast top [--by fds|threads|rss|cpu|pid] [-n N] [--interval SECONDS] [--watch]
                    [--pid PID]... [--user NAME|UID] [--comm TEXT] [--threads] [--budget-ms MS]
                    [--json]
       procfast fds PID [--method auto|stat|walk] [--kinds] [--budget-entries N] [--budget-ms MS]
                    [--json]
       procfast metrics [PID] [--namespace NS] [--network]
       procfast host [--json] [--procfs DIR]
       procfast tcp [--pid PID] [--proc] [--budget-ms MS] [--json]
       procfast seed-demo [--fds N]
       procfast serve [--listen ADDR] [--config FILE] [--procfs DIR] [--budget-ms MS] [--once]
       procfast help [COMMAND] | --help | --version

  top        scan every process (--threads: every thread); show the N largest by a figure
             (default: fds, 15); --interval for %CPU, --watch to repaint until q
  fds        count the open fds of process PID (one-shot: the time includes opening the handle)
  metrics    print PID's process metrics (default: this process) in the Prometheus text format
  host       one snapshot of the host: CPU, memory, load, pressure, paging, disks, network
  tcp        TCP connections by state (netlink sock_diag; /proc/net/tcp where refused)
  seed-demo  open as many fds as RLIMIT_NOFILE allows, then count them every way, side by side
  serve      a host process exporter, drop-in for process-exporter (config and metric names)

'procfast COMMAND --help' (or 'procfast help COMMAND') describes each command.

Exit status: 0 on success, also when stdout's reader has gone ('procfast top | head -1');
1 when the work fails; 2 for a usage error. Errors are one line on stderr.";

/// A command word and the function that runs it.
type Command = fn(lexopt::Parser, &mut dyn Write) -> Result<(), Failure>;

const COMMANDS: [(&str, Command); 7] = [
    ("top", top::top),
    ("fds", fds::fds),
    ("metrics", metrics::metrics),
    ("host", host::host),
    ("tcp", tcp::tcp),
    ("seed-demo", seed_demo::seed_demo),
    ("serve", serve::options::serve_command),
];

fn main() -> ExitCode {
    let (command, result) = run();
    match result {
        Ok(()) | Err(Failure::ClosedPipe) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            let help = command.map_or("procfast --help".to_string(), |c| {
                format!("procfast {c} --help")
            });
            say(&format!("{message}; see '{help}'"));
            ExitCode::from(2)
        }
        Err(Failure::Work(message)) => {
            say(&message);
            ExitCode::FAILURE
        }
    }
}

/// Runs the command line; returns the command word it named, for the hint of a usage error.
fn run() -> (Option<&'static str>, Result<(), Failure>) {
    let mut out = io::stdout().lock();
    let (command, result) = dispatch(lexopt::Parser::from_env(), &mut out);
    // Output left in the buffer fails here if the disk is full or the reader has gone.
    (command, result.and_then(|()| Ok(out.flush()?)))
}

fn dispatch(
    mut args: lexopt::Parser,
    out: &mut dyn Write,
) -> (Option<&'static str>, Result<(), Failure>) {
    let first = match args.next() {
        Ok(first) => first,
        Err(e) => return (None, Err(e.into())),
    };
    let word = match first {
        Some(Value(word)) => word,
        Some(Short('h') | Long("help")) => return (None, help(out)),
        Some(Short('V') | Long("version")) => {
            let version = writeln!(out, "procfast {}", env!("CARGO_PKG_VERSION"));
            return (None, version.map_err(Failure::from));
        }
        Some(other) => return (None, Err(other.unexpected().into())),
        None => return (None, Err(usage_error("missing command"))),
    };
    // `procfast help [COMMAND]`, as git and cargo take it.
    if word == "help" {
        return match args.next() {
            Ok(None) => (None, help(out)),
            Ok(Some(Value(topic))) => match find(&topic) {
                Some((name, command)) => (
                    Some(name),
                    command(lexopt::Parser::from_args(["--help"]), out),
                ),
                None => (None, Err(unknown_command(&topic))),
            },
            Ok(Some(other)) => (None, Err(other.unexpected().into())),
            Err(e) => (None, Err(e.into())),
        };
    }
    match find(&word) {
        Some((name, command)) => (Some(name), command(args, out)),
        None => (None, Err(unknown_command(&word))),
    }
}

fn find(word: &std::ffi::OsStr) -> Option<(&'static str, Command)> {
    COMMANDS.iter().copied().find(|(name, _)| word == *name)
}

fn unknown_command(word: &std::ffi::OsStr) -> Failure {
    usage_error(format!("unknown command {:?}", word.to_string_lossy()))
}

fn help(out: &mut dyn Write) -> Result<(), Failure> {
    Ok(writeln!(out, "{USAGE}")?)
}
