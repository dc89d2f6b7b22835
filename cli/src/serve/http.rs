//! serve's connections: accepting them and speaking HTTP/1 on them, so that no client can stop
//! the exporter.
//!
//! - At most `max_connections` at once, so that clients never take the fds that kept /proc
//!   handles and scans need; at the cap, the connection idle the longest is closed (after its
//!   request in progress, if any) to make room for the next.
//! - A failed `accept` (EMFILE, ENFILE, ENOBUFS, ENOMEM) is retried after a pause that doubles
//!   from 5 ms to 1 s, and logged once per burst.
//! - A client has [`HEADER_READ_TIMEOUT`] to send a request's headers, and a kept-alive
//!   connection is closed after [`IDLE_TIMEOUT`] without a request.
//! - With TLS, the handshake too must end within [`HEADER_READ_TIMEOUT`]; a failed one closes
//!   the connection without a word in the log. HTTP/2, where the web config allows it and the
//!   client asks for it by ALPN, shares the idle timeout and the cap.
//! - A panic while answering is contained in its connection's task and counted.
//!
//! What each request gets is [`super::routes`]' business.

use crate::failure::say;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};
use tokio_rustls::TlsAcceptor;

/// How long a client may take to send a request's headers (Go's exporters leave this unset;
/// slowloris is why it is not).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a kept-alive connection may wait for its next request. Longer than Prometheus'
/// default scrape interval (1 minute), so a scraper's connection is reused from scrape to
/// scrape.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// How long a closing connection may move no bytes before it is dropped with its answer
/// unsent: long enough for a slow network, short enough that a scraper waiting for its slot
/// stays inside its timeout.
const CLOSING_STALL: Duration = Duration::from_secs(2);

/// The longest pause between two failed `accept`s.
const MAX_ACCEPT_PAUSE: Duration = Duration::from_secs(1);

/// The options of the HTTP side.
pub struct Server {
    /// The bound listener.
    pub listener: TcpListener,
    /// The most connections served at once.
    pub max_connections: usize,
    /// What answers each request.
    pub app: Router,
    /// TLS on every connection; `None`, plain HTTP.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

impl Server {
    /// Serves until the process is killed.
    /// Serves until the process is killed; a panic in a connection's task adds one to `panics`.
    pub async fn run(self, panics: Arc<AtomicU64>) -> Result<(), String> {
        let app = self.app;
        let tls = self.tls.map(TlsAcceptor::from);
        let slots = Arc::new(Semaphore::new(self.max_connections.max(1)));
        let conns = Arc::new(Conns::new());
        let mut accept_failures = AcceptFailures::default();
        loop {
            // At the cap, the connection idle the longest makes room (a scraper waiting behind
            // idle clients would time out); then wait for a free slot before taking a
            // connection off the backlog.
            if slots.available_permits() == 0 {
                conns.close_idlest();
            }
            let slot = slots
                .clone()
                .acquire_owned()
                .await
                .map_err(|e| format!("connection slots: {e}"))?;
            let (stream, _peer) = match self.listener.accept().await {
                Ok(accepted) => {
                    accept_failures.recovered();
                    accepted
                }
                Err(e) => {
                    tokio::time::sleep(accept_failures.failed(&e)).await;
                    continue;
                }
            };
            let service = TowerToHyperService::new(app.clone());
            let panics = panics.clone();
            let (id, conn) = conns.open();
            let conns = conns.clone();
            let tls = tls.clone();
            let task = tokio::spawn(async move {
                serve_connection(stream, service, conn, conns.epoch, tls).await;
                conns.closed(id);
                drop(slot);
            });
            // A panic ends the connection's task, not the server; it is counted when the task
            // is joined.
            tokio::spawn(async move {
                if let Err(e) = task.await {
                    if e.is_panic() {
                        panics.fetch_add(1, Relaxed);
                    }
                }
            });
        }
    }
}

/// A connection as the accept loop sees it.
struct Conn {
    /// When it last moved bytes, in milliseconds after the server's epoch.
    activity: AtomicU64,
    /// Asks it to close once its request in progress, if any, is answered.
    close: Notify,
    /// True once asked, so that each ask makes room once.
    asked: AtomicBool,
}

/// The open connections, so that the idlest can be asked to make room.
struct Conns {
    epoch: Instant,
    open: Mutex<(u64, HashMap<u64, Arc<Conn>>)>,
}

impl Conns {
    fn new() -> Conns {
        Conns {
            epoch: Instant::now(),
            open: Mutex::new((0, HashMap::new())),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn open(&self) -> (u64, Arc<Conn>) {
        let conn = Arc::new(Conn {
            activity: AtomicU64::new(self.now()),
            close: Notify::new(),
            asked: AtomicBool::new(false),
        });
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let id = open.0;
        open.0 += 1;
        open.1.insert(id, conn.clone());
        (id, conn)
    }

    fn closed(&self, id: u64) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.1.remove(&id);
    }

    /// Asks the connection that moved no bytes for the longest to close.
    fn close_idlest(&self) {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let idlest = open
            .1
            .values()
            .filter(|c| !c.asked.load(Relaxed))
            .min_by_key(|c| c.activity.load(Relaxed));
        if let Some(conn) = idlest {
            conn.asked.store(true, Relaxed);
            conn.close.notify_one();
        }
    }
}

/// Serves one connection, over TLS where `tls` is given: HTTP/1 with a header-read timeout (or
/// HTTP/2 where TLS agreed on it), closed when idle too long or when asked to make room.
async fn serve_connection(
    stream: tokio::net::TcpStream,
    service: TowerToHyperService<Router>,
    conn: Arc<Conn>,
    epoch: Instant,
    tls: Option<TlsAcceptor>,
) {
    // Under TLS, so that handshakes and encrypted bytes count as activity too.
    let watched = Watched {
        inner: stream,
        epoch,
        conn: conn.clone(),
    };
    let Some(acceptor) = tls else {
        return serve_http1(TokioIo::new(watched), service, &conn, epoch).await;
    };
    // A handshake that never ends would hold its slot as a request that never ends would.
    let accepted = tokio::select! {
        accepted = tokio::time::timeout(HEADER_READ_TIMEOUT, acceptor.accept(watched)) => accepted,
        _ = conn.close.notified() => return,
    };
    // Plain HTTP, a bad certificate or a timeout: the client's business, nothing to log.
    let Ok(Ok(stream)) = accepted else {
        return;
    };
    if stream.get_ref().1.alpn_protocol() == Some(b"h2") {
        let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
        builder.timer(TokioTimer::new());
        let connection = pin!(builder.serve_connection(TokioIo::new(stream), service));
        drive(connection, |c| c.graceful_shutdown(), &conn, epoch).await;
    } else {
        serve_http1(TokioIo::new(stream), service, &conn, epoch).await;
    }
}

/// HTTP/1 on `io`, with the header-read timeout.
async fn serve_http1<I>(io: I, service: TowerToHyperService<Router>, conn: &Conn, epoch: Instant)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true);
    let connection = pin!(builder.serve_connection(io, service));
    drive(connection, |c| c.graceful_shutdown(), conn, epoch).await;
}

/// Runs `connection` until it ends, is idle for [`IDLE_TIMEOUT`] or is asked to make room; then
/// lets a request in progress finish (`graceful_shutdown`) while its bytes keep moving, and
/// closes it: a client that stops reading its answer is dropped after [`CLOSING_STALL`], so it
/// cannot hold the slot a waiting scraper needs.
async fn drive<F: Future>(
    mut connection: Pin<&mut F>,
    graceful_shutdown: impl FnOnce(Pin<&mut F>),
    conn: &Conn,
    epoch: Instant,
) {
    let last = || epoch + Duration::from_millis(conn.activity.load(Relaxed));
    loop {
        tokio::select! {
            // A broken or reset connection is the client's business; nothing to log.
            _ = connection.as_mut() => return,
            _ = conn.close.notified() => break,
            _ = tokio::time::sleep_until((last() + IDLE_TIMEOUT).into()) => {
                if last().elapsed() >= IDLE_TIMEOUT {
                    break;
                }
            }
        }
    }
    graceful_shutdown(connection.as_mut());
    let closing = Instant::now();
    while closing.elapsed() < IDLE_TIMEOUT {
        tokio::select! {
            _ = connection.as_mut() => return,
            _ = tokio::time::sleep_until((last().max(closing) + CLOSING_STALL).into()) => {
                if last().max(closing).elapsed() >= CLOSING_STALL {
                    return;
                }
            }
        }
    }
}

/// A TCP stream that notes when it last moved bytes.
struct Watched {
    inner: tokio::net::TcpStream,
    epoch: Instant,
    conn: Arc<Conn>,
}

impl Watched {
    fn touch(&self) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.conn.activity.store(ms, Relaxed);
    }
}

impl tokio::io::AsyncRead for Watched {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.touch();
        }
        polled
    }
}

impl tokio::io::AsyncWrite for Watched {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<io::Result<usize>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, std::task::Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        polled
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Failed `accept`s in a row: the pause before the next try, and one log line per burst.
#[derive(Default)]
struct AcceptFailures {
    in_a_row: u64,
    pause: Duration,
}

impl AcceptFailures {
    /// Notes a failure; returns how long to pause before accepting again.
    fn failed(&mut self, e: &io::Error) -> Duration {
        self.in_a_row += 1;
        self.pause = if self.in_a_row == 1 {
            say(&format!(
                "serve: accepting a connection: {e}; retrying, with pauses up to {} s",
                MAX_ACCEPT_PAUSE.as_secs()
            ));
            Duration::from_millis(5)
        } else {
            (self.pause * 2).min(MAX_ACCEPT_PAUSE)
        };
        self.pause
    }

    /// Notes a success, which ends a burst.
    fn recovered(&mut self) {
        if self.in_a_row > 0 {
            say(&format!(
                "serve: accepting connections again, after {} failed attempts",
                self.in_a_row
            ));
        }
        *self = AcceptFailures::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_accepts_pause_longer_each_time_up_to_a_second_until_one_succeeds() {
        let mut failures = AcceptFailures::default();
        // EMFILE: too many open files.
        let emfile = io::Error::from_raw_os_error(24);
        let pauses: Vec<Duration> = (0..10).map(|_| failures.failed(&emfile)).collect();
        assert_eq!(pauses[0], Duration::from_millis(5));
        assert_eq!(pauses[1], Duration::from_millis(10));
        assert!(pauses.windows(2).all(|w| w[1] >= w[0]));
        assert_eq!(pauses[9], MAX_ACCEPT_PAUSE);
        failures.recovered();
        assert_eq!(failures.failed(&emfile), Duration::from_millis(5));
    }

    #[test]
    fn the_idlest_connection_is_asked_to_close_once() {
        let conns = Conns::new();
        let (_, busy) = conns.open();
        let (_, idle) = conns.open();
        idle.activity.store(0, Relaxed);
        busy.activity.store(1_000, Relaxed);
        conns.close_idlest();
        assert!(idle.asked.load(Relaxed));
        assert!(!busy.asked.load(Relaxed));
        conns.close_idlest();
        assert!(busy.asked.load(Relaxed));
    }
}
