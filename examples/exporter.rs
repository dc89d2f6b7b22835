//! A Prometheus exporter of the process metrics, through procfast's `prometheus-client`
//! collector.
//!
//! ```text
//! cargo run --release --features prometheus-client --example exporter -- \
//!     [--listen 127.0.0.1:9898] [--pid PID] [--network] [--namespace NS]
//! ```
//!
//! Serves `GET /metrics` for itself, or for `--pid PID`. It prints the address it listens on
//! (useful with port 0). If the process goes away, scrapes carry no process samples and each
//! logs why, to stderr; the server keeps serving.

use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use axum::Router;
use procfast::{ProcessCollector, ProcessMetrics};
use prometheus_client::registry::Registry;
use std::sync::Arc;

const USAGE: &str =
    "usage: exporter [--listen ADDR] [--pid PID] [--network] [--namespace NS]  (ADDR default 127.0.0.1:9898)";

struct Options {
    listen: String,
    pid: Option<i32>,
    network: bool,
    namespace: Option<String>,
}

fn options() -> Result<Options, lexopt::Error> {
    use lexopt::prelude::*;
    let mut options = Options {
        listen: "127.0.0.1:9898".to_string(),
        pid: None,
        network: false,
        namespace: None,
    };
    let mut args = lexopt::Parser::from_env();
    while let Some(arg) = args.next()? {
        match arg {
            Long("listen") => options.listen = args.value()?.string()?,
            Long("pid") => options.pid = Some(args.value()?.parse()?),
            Long("network") => options.network = true,
            Long("namespace") => options.namespace = Some(args.value()?.string()?),
            Long("help") | Short('h') => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(other.unexpected()),
        }
    }
    Ok(options)
}

struct Exporter {
    registry: Registry,
    collector: Arc<ProcessCollector>,
    pid: i32,
}

impl Exporter {
    fn scrape(&self) -> String {
        let mut body = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut body, &self.registry) {
            eprintln!("exporter: encoding metrics failed: {e}");
        }
        if let Some(e) = self.collector.last_error() {
            eprintln!("exporter: no process metrics for pid {}: {e}", self.pid);
        }
        body
    }
}

fn main() {
    let options = options().unwrap_or_else(|e| {
        eprintln!("exporter: {e}\n{USAGE}");
        std::process::exit(2);
    });
    let pid = options.pid.unwrap_or(std::process::id() as i32);
    let metrics = ProcessMetrics::open(pid)
        .map(|m| m.with_network(options.network))
        .unwrap_or_else(|e| {
            eprintln!("exporter: cannot collect pid {pid}: {e}");
            std::process::exit(1);
        });
    let collector = Arc::new(ProcessCollector::new(metrics));
    let mut registry = match &options.namespace {
        Some(ns) => Registry::with_prefix(ns.clone()),
        None => Registry::default(),
    };
    registry.register_collector(Box::new(collector.clone()));
    let exporter = Arc::new(Exporter {
        registry,
        collector,
        pid,
    });

    // One thread is plenty for a scrape every few seconds.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap_or_else(|e| {
            eprintln!("exporter: cannot start the runtime: {e}");
            std::process::exit(1);
        });
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&options.listen)
            .await
            .unwrap_or_else(|e| {
                eprintln!("exporter: cannot listen on {}: {e}", options.listen);
                std::process::exit(1);
            });
        let address = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        println!("listening on http://{address}/metrics (pid {pid})");
        let app = Router::new().route(
            "/metrics",
            get(move || {
                let exporter = exporter.clone();
                async move {
                    (
                        [(
                            CONTENT_TYPE,
                            "application/openmetrics-text; version=1.0.0; charset=utf-8",
                        )],
                        exporter.scrape(),
                    )
                }
            }),
        );
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("exporter: server failed: {e}");
            std::process::exit(1);
        }
    });
}
