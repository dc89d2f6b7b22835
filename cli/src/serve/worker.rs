//! The scrape worker: one thread that owns the exporter and scans for every waiting scrape.
//!
//! Scrapes that arrive while a scan runs wait for it and share its answer, so concurrent
//! scrapers (an HA pair of Prometheus servers, a person with curl) cost one scan, not one each,
//! and none waits behind the others' scans. A scan's budget is what the most hurried waiting
//! scrape has left, counted from when its request arrived. A panic in a scan is contained: that
//! scan's scrapers get a 500, the next scan runs as usual, and the panic is counted.
//!
//! The gzip form of an answer is made here too, once per scan when a waiting scrape accepts it
//! (Prometheus always does), so that scrapers sharing a scan share its compression and the HTTP
//! thread never spends its time compressing.

use bytes::Bytes;
use flate2::write::GzEncoder;
use std::io::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// What a scrape gets: the exposition, or why there is none.
pub type Answer = Result<Exposition, &'static str>;

/// A scan's exposition text, and its gzip form when a scrape waiting for it accepted gzip.
#[derive(Clone, Debug)]
pub struct Exposition {
    /// The text, uncompressed.
    pub text: Bytes,
    /// The same text gzip-compressed at the fastest level.
    pub gzip: Option<Bytes>,
}

/// One scrape waiting for an answer.
pub struct Request {
    /// The latest moment its scan may end; `None` when the scrape set no timeout.
    pub scan_deadline: Option<Instant>,
    /// True if the scrape accepts a gzip-compressed answer.
    pub gzip: bool,
    /// Where the answer goes; a closed receiver (the client left) is skipped.
    pub reply: oneshot::Sender<Answer>,
}

/// What the HTTP side shares with the worker.
#[derive(Clone)]
pub struct Handle {
    requests: mpsc::Sender<Request>,
    /// The newest complete answer, for a scrape whose own timeout comes before the scan it
    /// waits for ends.
    latest: Arc<Mutex<Option<Exposition>>>,
    /// Panics contained so far, in scans and in requests.
    pub panics: Arc<AtomicU64>,
}

impl Handle {
    /// Queues a scrape; `Err` when the worker has stopped.
    pub fn send(&self, request: Request) -> Result<(), ()> {
        self.requests.send(request).map_err(|_| ())
    }

    /// The newest answer a scan produced, if any.
    pub fn latest(&self) -> Option<Exposition> {
        self.latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Starts the worker thread. `scrape(budget, text)` scans within `budget` (`None`: unbounded,
/// but for `cap`) and writes the exposition; `panics` is added to the text so that a contained
/// panic is seen by whoever scrapes.
pub fn start<S>(mut scrape: S, cap: Option<Duration>) -> std::io::Result<Handle>
where
    S: FnMut(Option<Duration>, &mut String) + Send + 'static,
{
    let (requests, queue) = mpsc::channel::<Request>();
    let handle = Handle {
        requests,
        latest: Arc::new(Mutex::new(None)),
        panics: Arc::new(AtomicU64::new(0)),
    };
    let (latest, panics) = (handle.latest.clone(), handle.panics.clone());
    std::thread::Builder::new()
        .name("scrape".into())
        .spawn(move || {
            let mut waiting = Vec::new();
            let mut text = String::with_capacity(64 * 1024);
            // Ends when every sender (the HTTP side) has gone.
            while let Ok(first) = queue.recv() {
                waiting.push(first);
                waiting.extend(queue.try_iter());
                waiting.retain(|r: &Request| !r.reply.is_closed());
                if waiting.is_empty() {
                    continue;
                }
                let budget = scan_budget(&waiting, Instant::now(), cap);
                text.clear();
                let scanned = panic::catch_unwind(AssertUnwindSafe(|| scrape(budget, &mut text)));
                // Everyone who came while the scan ran shares it too: it ended just now.
                waiting.extend(queue.try_iter());
                let answer = match scanned {
                    Ok(()) => {
                        write_panics(&mut text, panics.load(Relaxed));
                        let exposition = Exposition {
                            text: Bytes::copy_from_slice(text.as_bytes()),
                            gzip: waiting
                                .iter()
                                .any(|r| r.gzip)
                                .then(|| gzip(&text))
                                .flatten(),
                        };
                        *latest.lock().unwrap_or_else(PoisonError::into_inner) =
                            Some(exposition.clone());
                        Ok(exposition)
                    }
                    Err(_) => {
                        panics.fetch_add(1, Relaxed);
                        Err("the scrape failed: procfast serve caught a panic (see its log)\n")
                    }
                };
                for request in waiting.drain(..) {
                    // The client may have gone; nothing is owed to it then.
                    let _ = request.reply.send(answer.clone());
                }
            }
        })?;
    Ok(handle)
}

/// The budget of a scan for `waiting` scrapes: until the earliest of their deadlines, within
/// `cap`. At least a millisecond, so that a scrape already late still gets what a short scan
/// sees rather than nothing.
fn scan_budget(waiting: &[Request], now: Instant, cap: Option<Duration>) -> Option<Duration> {
    let earliest = waiting.iter().filter_map(|r| r.scan_deadline).min();
    let left = earliest.map(|d| {
        d.saturating_duration_since(now)
            .max(Duration::from_millis(1))
    });
    match (left, cap) {
        (Some(l), Some(c)) => Some(l.min(c)),
        (l, c) => l.or(c),
    }
}

/// `text` gzip-compressed at the fastest level: an exposition's repeated names and labels
/// shrink about tenfold even so, at a fraction of the scan's time.
/// (Writing into a Vec cannot fail; were it to, the scrape would get the text.)
fn gzip(text: &str) -> Option<Bytes> {
    let mut encoder = GzEncoder::new(
        Vec::with_capacity(text.len() / 8),
        flate2::Compression::fast(),
    );
    encoder.write_all(text.as_bytes()).ok()?;
    encoder.finish().ok().map(Bytes::from)
}

fn write_panics(text: &mut String, panics: u64) {
    use std::fmt::Write as _;
    // Writing to a String cannot fail.
    let _ = write!(
        text,
        "# HELP procfast_serve_panics_total Panics caught while answering requests; each failed \
         only its own request.\n# TYPE procfast_serve_panics_total counter\n\
         procfast_serve_panics_total {panics}\n"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(handle: &Handle, deadline: Option<Instant>) -> oneshot::Receiver<Answer> {
        ask_for(handle, deadline, false)
    }

    fn ask_for(
        handle: &Handle,
        deadline: Option<Instant>,
        gzip: bool,
    ) -> oneshot::Receiver<Answer> {
        let (reply, answer) = oneshot::channel();
        handle
            .send(Request {
                scan_deadline: deadline,
                gzip,
                reply,
            })
            .expect("the worker runs");
        answer
    }

    #[test]
    fn a_panicking_scan_fails_its_scrape_only_and_is_counted() {
        let mut calls = 0;
        let handle = start(
            move |_, text: &mut String| {
                calls += 1;
                if calls == 1 {
                    panic!("a defect in one scan");
                }
                text.push_str("up 1\n");
            },
            None,
        )
        .expect("the thread starts");
        let first = ask(&handle, None).blocking_recv().expect("an answer");
        assert!(first.is_err(), "{first:?}");
        let second = ask(&handle, None).blocking_recv().expect("an answer");
        let text = String::from_utf8(second.expect("a text").text.to_vec()).expect("UTF-8");
        assert!(text.starts_with("up 1\n"), "{text}");
        assert!(text.contains("procfast_serve_panics_total 1\n"), "{text}");
        assert_eq!(handle.panics.load(Relaxed), 1);
        assert!(handle.latest().is_some());
    }

    #[test]
    fn scrapes_waiting_together_share_one_scan_with_the_earliest_deadline() {
        let (started, scans) = mpsc::channel();
        let (go, wait) = mpsc::channel::<()>();
        let handle = start(
            move |budget, text: &mut String| {
                let _ = started.send(budget);
                // Hold the scan until the test has queued more scrapes.
                let _ = wait.recv();
                text.push_str("up 1\n");
            },
            Some(Duration::from_secs(60)),
        )
        .expect("the thread starts");
        let now = Instant::now();
        let first = ask(&handle, Some(now + Duration::from_secs(30)));
        let first_budget = scans.recv().expect("a scan").expect("a budget");
        assert!(first_budget <= Duration::from_secs(30), "{first_budget:?}");
        // These arrive while the first scan runs: they share it.
        let second = ask(&handle, Some(now + Duration::from_secs(20)));
        let third = ask(&handle, None);
        go.send(()).expect("the scan waits");
        for answer in [first, second, third] {
            assert!(answer.blocking_recv().expect("an answer").is_ok());
        }
        // One scan answered all three.
        assert!(scans.try_recv().is_err());
        // The next scan's budget is the cap when no scrape set a timeout.
        let fourth = ask(&handle, None);
        assert_eq!(scans.recv().expect("a scan"), Some(Duration::from_secs(60)));
        go.send(()).expect("the scan waits");
        assert!(fourth.blocking_recv().expect("an answer").is_ok());
    }

    #[test]
    fn the_budget_is_the_most_hurried_scrapes_within_the_cap() {
        let now = Instant::now();
        let request = |deadline| Request {
            scan_deadline: deadline,
            gzip: false,
            reply: oneshot::channel().0,
        };
        let s = Duration::from_secs;
        let waiting = [
            request(Some(now + s(5))),
            request(Some(now + s(2))),
            request(None),
        ];
        assert_eq!(scan_budget(&waiting, now, None), Some(s(2)));
        assert_eq!(scan_budget(&waiting, now, Some(s(1))), Some(s(1)));
        assert_eq!(scan_budget(&waiting[2..], now, None), None);
        // Already late: the least scan still runs.
        assert_eq!(
            scan_budget(&waiting[1..2], now + s(3), None),
            Some(Duration::from_millis(1))
        );
    }

    #[test]
    fn the_gzip_form_is_made_when_a_waiting_scrape_accepts_it() {
        use std::io::Read as _;
        let handle =
            start(|_, text: &mut String| text.push_str("up 1\n"), None).expect("the thread starts");
        let plain = ask(&handle, None).blocking_recv().expect("an answer");
        assert!(plain.expect("a text").gzip.is_none());
        let answer = ask_for(&handle, None, true)
            .blocking_recv()
            .expect("an answer");
        let exposition = answer.expect("a text");
        let mut unzipped = String::new();
        flate2::read::GzDecoder::new(&exposition.gzip.expect("gzip")[..])
            .read_to_string(&mut unzipped)
            .expect("valid gzip");
        assert_eq!(unzipped.as_bytes(), &exposition.text[..]);
    }
}
