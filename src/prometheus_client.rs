//! A [`Collector`] for the `prometheus-client` crate (feature `prometheus-client`).

use crate::collect::{MetricKind, ProcessMetrics, Value};
use crate::error::Error;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use std::sync::Mutex;

/// The process collector for `prometheus-client`, which has none of its own.
///
/// Register it and every scrape exports client_golang's process metric set, read afresh from
/// held handles:
///
/// ```
/// use prometheus_client::registry::Registry;
///
/// let mut registry = Registry::default();
/// registry.register_collector(Box::new(procfast::ProcessCollector::myself()?));
/// let mut text = String::new();
/// prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
/// assert!(text.contains("process_open_fds "));
/// # Ok::<(), procfast::Error>(())
/// ```
///
/// If the process has exited (or a read fails), a scrape exports none of its samples and the
/// error is kept for [`last_error`](ProcessCollector::last_error): a missing sample, never a
/// failed scrape.
#[derive(Debug)]
pub struct ProcessCollector {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    metrics: ProcessMetrics,
    last_error: Option<Error>,
}

impl ProcessCollector {
    /// Collects the calling process.
    pub fn myself() -> crate::error::Result<ProcessCollector> {
        Ok(ProcessCollector::new(ProcessMetrics::myself()?))
    }

    /// Collects through `metrics` (another process, or with network counters).
    pub fn new(metrics: ProcessMetrics) -> ProcessCollector {
        ProcessCollector {
            state: Mutex::new(State {
                metrics,
                last_error: None,
            }),
        }
    }

    /// The error of the most recent scrape, if it failed; `None` after a successful one.
    pub fn last_error(&self) -> Option<Error> {
        self.lock().last_error
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves nothing half-written that matters.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let snapshot = {
            let mut state = self.lock();
            let snapshot = state.metrics.snapshot();
            state.last_error = snapshot.err();
            match snapshot {
                Ok(snapshot) => snapshot,
                Err(_) => return Ok(()),
            }
        };
        for metric in snapshot.metrics() {
            // prometheus-client appends `_total` to counters itself.
            let (name, kind) = match metric.kind {
                MetricKind::Counter => (
                    metric.name.strip_suffix("_total").unwrap_or(metric.name),
                    MetricType::Counter,
                ),
                MetricKind::Gauge => (metric.name, MetricType::Gauge),
            };
            let sample = encoder.encode_descriptor(name, metric.help, None, kind)?;
            match (metric.kind, metric.value) {
                (MetricKind::Counter, Value::Int(v)) => ConstCounter::new(v).encode(sample)?,
                (MetricKind::Counter, Value::Float(v)) => ConstCounter::new(v).encode(sample)?,
                (MetricKind::Gauge, Value::Int(v)) => ConstGauge::new(v).encode(sample)?,
                (MetricKind::Gauge, Value::Float(v)) => ConstGauge::new(v).encode(sample)?,
            }
        }
        Ok(())
    }
}
