//! `procfast serve`'s command line.

use super::Options;
use crate::args::number_value;
use crate::failure::{usage_error, Failure};
use lexopt::prelude::*;
use std::io::Write;
use std::time::Duration;

const SERVE_USAGE: &str = "\
usage: procfast serve [--listen ADDR] [--config FILE] [--procfs DIR] [--budget-ms MS]
                      [--children true|false] [--threads] [--smaps]
                      [--smaps-max-rss-mib MIB] [--sockets] [--tcp]
                      [--kept-fds-percent P] [--debug] [--once]

A host process exporter, a drop-in for process-exporter: its YAML config (process_names with
comm, exe, cmdline and name templates), its metric names (namedprocess_namegroup_*), answering
a scrape within the timeout Prometheus announces (X-Prometheus-Scrape-Timeout-Seconds).

  --listen ADDR       where to serve /metrics (default 127.0.0.1:9256, process-exporter's port)
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
  --kept-fds-percent P
                      the share of RLIMIT_NOFILE (raised to its hard limit) that /proc handles
                      kept from scrape to scrape may take (default 50; 0 keeps none). Kept
                      handles are kernel memory too: 10,000 of them (3,000 processes) held
                      27-30 MB more slab than keeping none
  --debug             log which processes a scrape was denied figures of

Clients cannot take the fds that kept handles and scans need: connections are capped at what
the limit leaves (at the cap, the connection idle the longest is closed to make room), a
request's headers must come within 10 s, and an idle connection closes after 90 s. Scrapes
that arrive while a scan runs share it.

Every scrape also says how it went: procfast_scrape_complete (0 when the budget stopped the
scan, which then serves what it saw), procfast_scrape_duration_seconds,
procfast_scrape_budget_seconds and procfast_scrape_processes{outcome}.";

/// `--smaps` reads `smaps_rollup` only of processes up to this RSS: the kernel walks every page
/// table of a process to write it, milliseconds for gigabytes.
const DEFAULT_SMAPS_MAX_RSS: u64 = 1 << 30;

pub fn serve_command(mut args: lexopt::Parser, out: &mut dyn Write) -> Result<(), Failure> {
    let mut options = Options::default();
    while let Some(arg) = args.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(writeln!(out, "{SERVE_USAGE}")?),
            Long("listen") => {
                let text = args.value()?.string()?;
                options.listen = text.parse().map_err(|_| {
                    usage_error(format!(
                        "--listen {text:?}: expected ADDRESS:PORT, like 127.0.0.1:9256"
                    ))
                })?;
            }
            Long("config" | "config.path") => options.config = Some(args.value()?.into()),
            Long("procfs") => options.procfs = args.value()?.into(),
            Long("budget-ms") => {
                let ms = number_value(&mut args, "--budget-ms", 1..=u64::MAX)?;
                options.budget = Some(Duration::from_millis(ms));
            }
            Long("children") => {
                options.children = match args.value()?.string()?.as_str() {
                    "true" => true,
                    "false" => false,
                    other => {
                        return Err(usage_error(format!(
                            "--children {other:?}: expected true or false"
                        )))
                    }
                }
            }
            Long("once") => options.once = true,
            Long("debug") => options.debug = true,
            Long("web.config.file") => options.web_config = Some(args.value()?.into()),
            Long("kept-fds-percent") => {
                options.kept_fds_percent = number_value(&mut args, "--kept-fds-percent", 0..=100)?
            }
            Long("threads") => options.threads = true,
            Long("sockets") => options.sockets = true,
            Long("tcp") => options.tcp = true,
            Long("smaps") => {
                options.smaps_max_rss.get_or_insert(DEFAULT_SMAPS_MAX_RSS);
            }
            Long("smaps-max-rss-mib") => {
                let mib = number_value(&mut args, "--smaps-max-rss-mib", 1..=u64::MAX >> 20)?;
                options.smaps_max_rss = Some(mib << 20);
            }
            other => return Err(other.unexpected().into()),
        }
    }
    out.flush()?;
    super::run(options, out)
}
