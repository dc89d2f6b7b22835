//! `cargo xtask scrapers-bench`: `procfast serve` answering 1, 2, 3 and 5 scrapers at once, each
//! announcing a 0.1 s scrape timeout, on a host of 3,000 more processes. Each scraper times its
//! own request, from the connect to the last byte; rounds rotate through the scraper counts, so
//! that every count meets the machine's speed of the moment alike.

use crate::bench_host::{self, Exporter};
use crate::report::{Report, Table};
use crate::running::release_procfast;
use crate::timing::rotated;
use std::io::{Read, Write};
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// The scraper counts compared.
const SCRAPERS: [usize; 4] = [1, 2, 3, 5];
/// The scrape timeout every scraper announces.
const TIMEOUT: Duration = Duration::from_millis(100);
const ROUNDS: usize = 30;
const SLEEPERS: usize = 3_000;

/// One scrape: how long it took and whether its scan was complete.
struct Answer {
    took: Duration,
    complete: bool,
}

/// GET /metrics with the timeout header, over a plain socket, timed to the last byte.
fn scrape(address: &str) -> Option<Answer> {
    let started = Instant::now();
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let request = format!(
        "GET /metrics HTTP/1.0\r\nHost: {address}\r\nX-Prometheus-Scrape-Timeout-Seconds: {}\r\n\r\n",
        TIMEOUT.as_secs_f64()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let took = started.elapsed();
    let (head, body) = response.split_once("\r\n\r\n")?;
    let ok = head.starts_with("HTTP/1.") && head.split(' ').nth(1) == Some("200");
    ok.then(|| Answer {
        took,
        complete: body.contains("\nprocfast_scrape_complete 1\n"),
    })
}

/// Measures and writes the section.
pub fn run(report: &Report) -> Result<(), String> {
    report.publish("scrapers-bench", &measure(report)?)
}

fn measure(report: &Report) -> Result<String, String> {
    let root = report.root();
    let procfast = release_procfast(root)?;
    let sleepers = bench_host::sleepers(SLEEPERS)?;
    let serve = Exporter::start("procfast serve", &procfast, &["serve"])?;
    let address = serve.address.clone();
    let processes = bench_host::processes_on_host();

    // Every answer of each scraper count, over the rounds.
    let mut answers: Vec<Vec<Answer>> = SCRAPERS.iter().map(|_| Vec::new()).collect();
    let mut failed = 0;
    rotated(ROUNDS, SCRAPERS.len(), |_, which| {
        let count = SCRAPERS[which];
        let start = Barrier::new(count);
        let got: Vec<Option<Answer>> = std::thread::scope(|scope| {
            let scrapers: Vec<_> = (0..count)
                .map(|_| {
                    scope.spawn(|| {
                        start.wait();
                        scrape(&address)
                    })
                })
                .collect();
            scrapers
                .into_iter()
                .map(|s| s.join().ok().flatten())
                .collect()
        });
        for answer in got {
            match answer {
                Some(answer) => answers[which].push(answer),
                None => failed += 1,
            }
        }
        // The scrapes of a real Prometheus are seconds apart; a pause keeps rounds apart too.
        std::thread::sleep(Duration::from_millis(50));
    });
    drop(sleepers);

    let ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1e3);
    let mut table = Table::new(
        &[
            "scrapers at once",
            "answers",
            "median ms",
            "90th percentile ms",
            "slowest ms",
            "over the 100 ms timeout",
            "scans complete",
        ],
        "rrrrrrr",
    );
    for (count, got) in SCRAPERS.iter().zip(&mut answers) {
        if got.is_empty() {
            table.row([
                count.to_string(),
                "0".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
            ]);
            continue;
        }
        got.sort_by_key(|a| a.took);
        let at = |q: f64| got[((got.len() - 1) as f64 * q) as usize].took;
        let over = got.iter().filter(|a| a.took > TIMEOUT).count();
        let complete = got.iter().filter(|a| a.complete).count();
        table.row([
            count.to_string(),
            got.len().to_string(),
            ms(at(0.5)),
            ms(at(0.9)),
            ms(at(1.0)),
            over.to_string(),
            format!("{complete} of {}", got.len()),
        ]);
    }
    let mut md = format!(
        "`procfast serve` (default config: every process by its comm) on {processes} processes; \
         {ROUNDS} rounds, rotating through the scraper counts; each scraper sends \
         `X-Prometheus-Scrape-Timeout-Seconds: 0.1` and times its request from the connect to the \
         last byte. Scrapes that arrive while a scan runs share it.\n\n"
    );
    md.push_str(&table.finish());
    if failed > 0 {
        md.push_str(&format!("\n{failed} scrapes got no answer.\n"));
    }
    Ok(md)
}
