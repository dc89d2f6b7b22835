//! `procfast serve`: a host process exporter that reads process-exporter's config and writes its
//! metric names, answering a scrape in milliseconds and within Prometheus' scrape timeout.

pub mod config;
mod exporter;
mod exposition;
mod go_duration;
mod go_flags;
mod heaviest;
pub mod listen;
mod matcher;
pub mod options;
mod threads;
mod tracker;

mod http;
mod routes;
mod web;
mod worker;

use crate::failure::{failure, say, Failure};
use crate::fd_limit::raise_fd_limit;
use exporter::Exporter;
use procfast::ProcFs;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// The options of `procfast serve`.
#[derive(Debug)]
pub struct Options {
    /// Where to listen: process-exporter's default, port 9256 on every interface, as a remote
    /// Prometheus must reach it.
    pub listen: listen::ListenAddress,
    /// process-exporter's YAML config; `None` groups by `names`, or every process by its comm.
    pub config: Option<PathBuf>,
    /// The config of process-exporter's `-procnames` and `-namemapping`, if given.
    pub names: Option<config::Config>,
    /// process-exporter's `-recheck`: a process no entry matched is matched again each scrape
    /// (its comm and command line may have changed by an exec), rather than ignored for good.
    pub recheck: bool,
    /// process-exporter's `-recheck-with-time-limit`: recheck only processes younger than this.
    pub recheck_younger_than: Option<Duration>,
    /// process-exporter's `-remove-empty-groups`: a group with no members is no longer
    /// reported, and its counters start again from zero if it comes back.
    pub remove_empty_groups: bool,
    /// With `once`, the wait between the baseline scan and the scrape printed (process-exporter's
    /// `-once-to-stdout-delay`).
    pub once_delay: Duration,
    /// The procfs to read (a host's /proc mounted into a container, say).
    pub procfs: PathBuf,
    /// An upper bound on every scan, besides the scrape timeout.
    pub budget: Option<Duration>,
    /// process-exporter's `-children`: an unmatched process joins its nearest matched
    /// ancestor's group.
    pub children: bool,
    /// Serve one scrape to stdout and exit (for checking a config).
    pub once: bool,
    /// With `--smaps`: PSS from `smaps_rollup` for processes whose RSS is at most this.
    pub smaps_max_rss: Option<u64>,
    /// process-exporter's per-thread metrics, from a scan of every thread.
    pub threads: bool,
    /// Each group's open sockets, from a census of its members' fds.
    pub sockets: bool,
    /// The host's TCP connections by state.
    pub tcp: bool,
    /// The N heaviest processes by CPU, memory and fds, each a series of its own.
    pub top: Option<usize>,
    /// The share of RLIMIT_NOFILE, in percent, that handles kept open on /proc may take.
    pub kept_fds_percent: u8,
    /// Log at debug level: which processes were denied, each scrape.
    pub debug: bool,
    /// exporter-toolkit's web config: TLS, client certificates, basic auth, headers.
    pub web_config: Option<PathBuf>,
    /// The path scrapes ask for (process-exporter's `-web.telemetry-path`).
    pub telemetry_path: String,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            listen: listen::ListenAddress::any(9256),
            config: None,
            names: None,
            recheck: false,
            recheck_younger_than: None,
            remove_empty_groups: false,
            once_delay: Duration::ZERO,
            procfs: PathBuf::from("/proc"),
            budget: None,
            children: true,
            once: false,
            smaps_max_rss: None,
            threads: false,
            sockets: false,
            tcp: false,
            top: None,
            kept_fds_percent: 50,
            debug: false,
            web_config: None,
            telemetry_path: "/metrics".into(),
        }
    }
}

/// Runs the exporter until killed (with `once`, one scrape written to `out`). Errors are ready
/// to print as one line.
pub fn run(mut options: Options, out: &mut dyn Write) -> Result<(), Failure> {
    let config = match (&options.config, options.names.take()) {
        (Some(path), _) => config::Config::load(path).map_err(|e| failure(e.to_string()))?,
        (None, Some(names)) => names,
        (None, None) => config::Config::default_by_comm(),
    };
    let config_top = config.top_processes;
    for warning in &config.warnings {
        say(&format!("serve: config: {warning}"));
    }
    // TLS, auth and headers are checked before anything listens.
    let web = options
        .web_config
        .as_deref()
        .map(web::load)
        .transpose()
        .map_err(failure)?;
    // The procfs lives as long as the program; leaking one handle says so.
    let procfs: &'static ProcFs =
        Box::leak(Box::new(ProcFs::open(&options.procfs).map_err(|e| {
            failure(format!("{}: {e}", options.procfs.display()))
        })?));
    let fd_limit = raise_fd_limit();
    let kept_fds = fd_limit * usize::from(options.kept_fds_percent) / 100;
    let in_procfs = |e: procfast::Error| failure(format!("{}: {e}", options.procfs.display()));
    let mut exporter = Exporter::new(procfs, config, options.children, kept_fds)
        .map_err(in_procfs)?
        .with_smaps(options.smaps_max_rss)
        .with_threads(options.threads)
        .and_then(|e| e.with_tcp(options.tcp))
        .map_err(in_procfs)?
        .with_sockets(options.sockets)
        .with_top(options.top.or(config_top))
        .with_debug(options.debug)
        .with_recheck(options.recheck, options.recheck_younger_than)
        .with_remove_empty_groups(options.remove_empty_groups);
    // The first scrape sets the baseline every counter grows from.
    let mut text = String::new();
    exporter.scrape(options.budget, &mut text);
    if options.once {
        std::thread::sleep(options.once_delay);
        text.clear();
        exporter.scrape(options.budget, &mut text);
        out.write_all(text.as_bytes())?;
        return Ok(out.flush()?);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| failure(format!("starting the runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = listen::bind(&options.listen).map_err(failure)?;
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| failure(format!("cannot listen on {}: {e}", options.listen)))?;
        let worker = worker::start(
            move |budget, text: &mut String| {
                exporter.scrape(budget, text);
            },
            options.budget,
        )
        .map_err(|e| failure(format!("starting the scrape thread: {e}")))?;
        let bound = listener
            .local_addr()
            .map_or_else(|_| options.listen.to_string(), |a| a.to_string());
        let scheme = match web.as_ref().and_then(|w| w.tls.as_ref()) {
            Some(_) => "https",
            None => "http",
        };
        say(&format!(
            "serve: listening on {scheme}://{bound}{}",
            options.telemetry_path
        ));
        let panics = worker.panics.clone();
        let app = routes::app(worker, options.budget, &options.telemetry_path);
        let server = http::Server {
            listener,
            max_connections: max_connections(fd_limit, kept_fds),
            app: match &web {
                Some(web) => web::guard(app, web.guard.clone()),
                None => app,
            },
            tls: web.and_then(|w| w.tls),
        };
        server.run(panics).await.map_err(failure)
    })
}

/// The fds every serve process needs besides kept handles and connections: stdio, the procfs,
/// the runtime's epoll and wakers, a scan's open directory and file, netlink sockets.
const RESERVED_FDS: usize = 64;

/// Connections served at once: what the fd limit leaves after kept handles and the reserve.
fn max_connections(fd_limit: usize, kept_fds: usize) -> usize {
    fd_limit
        .saturating_sub(kept_fds)
        .saturating_sub(RESERVED_FDS)
        .max(1)
}
