//! The process collector and its adapters against the truth, read independently of procfast:
//!
//! - [`snapshot`]: `ProcessMetrics`, the snapshot every adapter exports;
//! - [`client`]: the `Collector` for `prometheus-client` (feature `prometheus-client`);
//! - [`tikv`]: the `Collector` for the tikv `prometheus` crate, under the names and types of that
//!   crate's own process collector (feature `prometheus`);
//! - [`metrics_rs`]: the recorder into the metrics-rs facade (feature `metrics`);
//! - [`server`]: a real Prometheus server scraping the exporter example (feature
//!   `prometheus-client`; skipped where the `prometheus` binary is absent).

#[path = "../support/mod.rs"]
mod support;

#[cfg(feature = "prometheus-client")]
mod client;
#[cfg(feature = "metrics")]
mod metrics_rs;
#[cfg(feature = "prometheus-client")]
mod server;
mod snapshot;
#[cfg(feature = "prometheus")]
mod tikv;
