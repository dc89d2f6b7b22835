//! What serve answers: the metrics path within the scrape's timeout, and a landing page at `/`.
//!
//! A scrape's timeout (the `X-Prometheus-Scrape-Timeout-Seconds` header) counts from when its
//! request arrived: the answer is the scan the worker makes for it (or shares with other
//! scrapes), or, if that would come too late, the newest complete one. A scrape whose
//! `Accept-Encoding` accepts gzip gets the gzip form the worker made of that scan.

use super::worker::{self, Answer, Exposition};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// The header Prometheus sends with every scrape: the scrape's timeout in seconds.
const SCRAPE_TIMEOUT: &str = "x-prometheus-scrape-timeout-seconds";

/// What the answer may still need after the scan: writing and sending it.
const ANSWER_MARGIN: Duration = Duration::from_millis(20);

/// The text format's content type, as Prometheus' client libraries send it.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone)]
struct AppState {
    worker: worker::Handle,
    cap: Option<Duration>,
}

/// The routes: scrapes of `metrics_path` go to `worker`, each scan bounded by `cap` besides its
/// timeout; `/` is a page linking `metrics_path`.
pub fn app(worker: worker::Handle, cap: Option<Duration>, metrics_path: &str) -> Router {
    let page = Bytes::from(landing_page(metrics_path));
    let mut router = Router::new().route(metrics_path, get(metrics));
    // A metrics path of `/` leaves no room for the page.
    if metrics_path != "/" {
        router = router.route("/", get(move || std::future::ready(Html(page.clone()))));
    }
    router.with_state(AppState { worker, cap })
}

/// The landing page: what answers here, its version, and a link to the metrics.
fn landing_page(metrics_path: &str) -> String {
    let href = html_escape::encode_double_quoted_attribute(metrics_path);
    let text = html_escape::encode_text(metrics_path);
    let version = env!("CARGO_PKG_VERSION");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">\
         <title>procfast serve</title></head>\n<body>\n<h1>procfast serve</h1>\n\
         <p>A host process exporter with process-exporter's metrics, procfast {version}.</p>\n\
         <p><a href=\"{href}\">Metrics</a> at {text}</p>\n</body>\n</html>\n"
    )
}

async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let arrived = Instant::now();
    let timeout = announced_timeout(&headers);
    let gzip = accepts_gzip(&headers);
    let scan_deadline =
        scan_budget(timeout, state.cap).and_then(|budget| arrived.checked_add(budget));
    let (reply, answer) = oneshot::channel::<Answer>();
    let request = worker::Request {
        scan_deadline,
        gzip,
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
        Some(Ok(exposition)) => exposition_response(exposition, gzip),
        Some(Err(message)) => (StatusCode::INTERNAL_SERVER_ERROR, message).into_response(),
        None => unavailable("no scan finished within the scrape's timeout\n"),
    }
}

/// The exposition as the scrape accepts it: gzip where it does and the worker made that form
/// (a fallback to an older scan's answer may lack it), the text otherwise.
fn exposition_response(exposition: Exposition, accepts_gzip: bool) -> Response {
    let (body, encoding) = match exposition.gzip {
        Some(gzip) if accepts_gzip => (gzip, Some("gzip")),
        _ => (exposition.text, None),
    };
    let mut response = (
        [
            (header::CONTENT_TYPE, TEXT_FORMAT),
            (header::VARY, "Accept-Encoding"),
        ],
        Body::from(body),
    )
        .into_response();
    if let Some(encoding) = encoding {
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    response
}

/// True if the request's `Accept-Encoding` headers accept gzip (RFC 9110, 12.5.3): `gzip` or
/// `x-gzip` with a weight above 0, or, where neither is named, `*` with one. An unreadable
/// weight accepts nothing, as the text is always acceptable.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut named = None;
    let mut any = None;
    let codings = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','));
    for coding in codings {
        let mut parts = coding.split(';');
        let name = parts.next().unwrap_or("").trim();
        let weight = parts
            .find_map(|p| {
                let (key, value) = p.split_once('=')?;
                key.trim().eq_ignore_ascii_case("q").then(|| value.trim())
            })
            .map_or(Some(1.0), |q| {
                q.parse::<f32>().ok().filter(|q| (0.0..=1.0).contains(q))
            });
        let accepted = weight.is_some_and(|q| q > 0.0);
        if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
            // Named twice: any refusal wins.
            named = Some(named.unwrap_or(true) && accepted);
        } else if name == "*" {
            any = Some(any.unwrap_or(true) && accepted);
        }
    }
    named.or(any).unwrap_or(false)
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
    fn gzip_is_accepted_as_rfc_9110_weighs_it() {
        for (value, want) in [
            ("gzip", true),
            ("GZip", true),
            ("deflate, gzip;q=1.0, *;q=0.5", true),
            ("x-gzip", true),
            ("gzip;q=0.001", true),
            ("gzip;q=0", false),
            ("gzip; q=0.000", false),
            ("gzip;Q=0", false),
            ("*", true),
            ("*;q=0", false),
            ("gzip;q=0, *", false),
            ("*;q=0, gzip", true),
            ("identity", false),
            ("br, deflate", false),
            ("gzip;q=x", false),
            ("gzip;q=2", false),
            ("", false),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT_ENCODING, value.parse().unwrap());
            assert_eq!(accepts_gzip(&headers), want, "{value:?}");
        }
        assert!(!accepts_gzip(&HeaderMap::new()));
        // Two headers are one list.
        let mut headers = HeaderMap::new();
        headers.append(header::ACCEPT_ENCODING, "deflate".parse().unwrap());
        headers.append(header::ACCEPT_ENCODING, "gzip".parse().unwrap());
        assert!(accepts_gzip(&headers));
    }

    #[test]
    fn the_landing_page_escapes_the_metrics_path() {
        let page = landing_page("/a\"<b>&");
        assert!(page.contains("href=\"/a&quot;&lt;b&gt;&amp;\""), "{page}");
        assert!(!page.contains("<b>"), "{page}");
        assert!(page.contains(env!("CARGO_PKG_VERSION")), "{page}");
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
