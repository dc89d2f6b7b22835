//! What serve answers: `/metrics` within the scrape's timeout, and a landing page.
//!
//! A scrape's timeout (the `X-Prometheus-Scrape-Timeout-Seconds` header) counts from when its
//! request arrived: the answer is the scan the worker makes for it (or shares with other
//! scrapes), or, if that would come too late, the newest complete one.

use super::worker::{self, Answer};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// The header Prometheus sends with every scrape: the scrape's timeout in seconds.
const SCRAPE_TIMEOUT: &str = "x-prometheus-scrape-timeout-seconds";

/// What the answer may still need after the scan: writing and sending it.
const ANSWER_MARGIN: Duration = Duration::from_millis(20);

#[derive(Clone)]
struct AppState {
    worker: worker::Handle,
    cap: Option<Duration>,
}

/// The routes: scrapes of `metrics_path` go to `worker`, each scan bounded by `cap` besides its
/// timeout.
pub fn app(worker: worker::Handle, cap: Option<Duration>, metrics_path: &str) -> Router {
    Router::new()
        .route(metrics_path, get(metrics))
        .route(
            "/",
            get(|| async { "procfast serve: metrics at /metrics\n" }),
        )
        .with_state(AppState { worker, cap })
}

async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let arrived = Instant::now();
    let timeout = announced_timeout(&headers);
    let scan_deadline =
        scan_budget(timeout, state.cap).and_then(|budget| arrived.checked_add(budget));
    let (reply, answer) = oneshot::channel::<Answer>();
    let request = worker::Request {
        scan_deadline,
        reply,
    };
    if state.worker.send(request).is_err() {
        return unavailable("the scrape worker has stopped\n");
    }
    // Wait for the scan until the scrape's own deadline; past it, the newest complete answer
    // still arrives in time.
    let answer_deadline = timeout
        .map(|t| t.saturating_sub(ANSWER_MARGIN))
        .and_then(|t| arrived.checked_add(t));
    let answer = match answer_deadline {
        None => answer.await.ok(),
        Some(deadline) => match tokio::time::timeout_at(deadline.into(), answer).await {
            Ok(answer) => answer.ok(),
            Err(_) => state.worker.latest().map(Ok),
        },
    };
    match answer {
        Some(Ok(text)) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            Body::from(text),
        )
            .into_response(),
        Some(Err(message)) => (StatusCode::INTERNAL_SERVER_ERROR, message).into_response(),
        None => unavailable("no scan finished within the scrape's timeout\n"),
    }
}

fn unavailable(message: &'static str) -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, message).into_response()
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
