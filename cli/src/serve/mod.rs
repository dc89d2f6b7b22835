//! `procfast serve`: a host process exporter that reads process-exporter's config and writes its
//! metric names, answering a scrape in milliseconds and within Prometheus' scrape timeout.

pub mod config;
mod exporter;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use exporter::Exporter;
use procfast::ProcFs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The header Prometheus sends with every scrape: the scrape's timeout in seconds.
const SCRAPE_TIMEOUT: &str = "x-prometheus-scrape-timeout-seconds";

/// The options of `procfast serve`.
#[derive(Debug)]
pub struct Options {
    /// Where to listen (process-exporter's default port, loopback).
    pub listen: SocketAddr,
    /// process-exporter's YAML config; `None` groups every process by its comm.
    pub config: Option<PathBuf>,
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
}

impl Default for Options {
    fn default() -> Options {
        Options {
            listen: SocketAddr::from(([127, 0, 0, 1], 9256)),
            config: None,
            procfs: PathBuf::from("/proc"),
            budget: None,
            children: true,
            once: false,
            smaps_max_rss: None,
            threads: false,
            sockets: false,
            tcp: false,
        }
    }
}

/// How much of the scrape timeout the scan may use: the rest is for writing, sending and the
/// network. 10% and at least 50 ms, as a scrape's answer also has to travel.
fn scan_budget(timeout: Option<Duration>, cap: Option<Duration>) -> Option<Duration> {
    let from_timeout = timeout.map(|t| {
        let margin = (t / 10).max(Duration::from_millis(50));
        t.saturating_sub(margin).max(Duration::from_millis(1))
    });
    match (from_timeout, cap) {
        (Some(t), Some(c)) => Some(t.min(c)),
        (t, c) => t.or(c),
    }
}

/// The scrape timeout Prometheus announced, if the header is there and makes sense.
fn announced_timeout(headers: &HeaderMap) -> Option<Duration> {
    let seconds: f64 = headers
        .get(SCRAPE_TIMEOUT)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (seconds.is_finite() && seconds > 0.0).then(|| Duration::from_secs_f64(seconds.min(3600.0)))
}

/// Runs the exporter until killed. Errors are ready to print as one line.
pub fn run(options: Options) -> Result<(), String> {
    let config = match &options.config {
        Some(path) => config::Config::load(path).map_err(|e| e.to_string())?,
        None => config::Config::default_by_comm(),
    };
    for warning in &config.warnings {
        eprintln!("procfast serve: config: {warning}");
    }
    // The procfs lives as long as the program; leaking one handle says so.
    let procfs: &'static ProcFs = Box::leak(Box::new(
        ProcFs::open(&options.procfs).map_err(|e| format!("{}: {e}", options.procfs.display()))?,
    ));
    // Keep handles for at most half the fds this process may hold.
    let fd_budget = crate::raise_fd_limit() / 2;
    let mut exporter = Exporter::new(procfs, config, options.children, fd_budget)
        .map_err(|e| format!("{}: {e}", options.procfs.display()))?
        .with_smaps(options.smaps_max_rss)
        .with_threads(options.threads)
        .and_then(|e| e.with_tcp(options.tcp))
        .map_err(|e| format!("{}: {e}", options.procfs.display()))?
        .with_sockets(options.sockets);
    // The first scrape sets the baseline every counter grows from.
    let mut text = String::new();
    exporter.scrape(options.budget, &mut text);
    if options.once {
        text.clear();
        exporter.scrape(options.budget, &mut text);
        print!("{text}");
        return Ok(());
    }
    let state = Arc::new(Mutex::new(exporter));
    let cap = options.budget;
    let metrics = move |headers: HeaderMap| {
        let state = state.clone();
        async move {
            let budget = scan_budget(announced_timeout(&headers), cap);
            let mut text = String::with_capacity(64 * 1024);
            match state.lock() {
                Ok(mut exporter) => {
                    exporter.scrape(budget, &mut text);
                }
                Err(_) => {
                    return (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "exporter state poisoned\n",
                    )
                        .into_response()
                }
            }
            (
                [(
                    header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                )],
                text,
            )
                .into_response()
        }
    };
    let app = Router::new().route("/metrics", get(metrics)).route(
        "/",
        get(|| async { "procfast serve: metrics at /metrics\n" }),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|e| format!("starting the runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|e| format!("listening on {}: {e}", options.listen))?;
        let bound = listener.local_addr().unwrap_or(options.listen);
        eprintln!("procfast serve: listening on http://{bound}/metrics");
        axum::serve(listener, app)
            .await
            .map_err(|e| format!("serving: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_leaves_a_margin_inside_the_timeout() {
        let ms = Duration::from_millis;
        assert_eq!(scan_budget(Some(ms(10_000)), None), Some(ms(9_000)));
        assert_eq!(scan_budget(Some(ms(200)), None), Some(ms(150)));
        assert_eq!(scan_budget(Some(ms(20)), None), Some(ms(1)));
        assert_eq!(scan_budget(Some(ms(10_000)), Some(ms(500))), Some(ms(500)));
        assert_eq!(scan_budget(None, Some(ms(500))), Some(ms(500)));
        assert_eq!(scan_budget(None, None), None);
    }

    #[test]
    fn the_timeout_header_is_read_with_care() {
        let mut headers = HeaderMap::new();
        assert_eq!(announced_timeout(&headers), None);
        for (value, want) in [
            ("10", Some(Duration::from_secs(10))),
            ("0.5", Some(Duration::from_millis(500))),
            ("-1", None),
            ("nan", None),
            ("inf", None),
            ("x", None),
        ] {
            headers.insert(SCRAPE_TIMEOUT, value.parse().unwrap());
            assert_eq!(announced_timeout(&headers), want, "{value}");
        }
    }
}
