//! serve's own health: its process_* metrics, build info, gzip and landing page, and that no
//! client can make a scrape wait or leave an fd behind.

use super::{
    crowding_the_host, group, open_fds, samples, scrape, serve, serve_with_fd_limit, tagged_config,
    Running,
};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

/// A field of `/proc/<pid>/stat`, counted from 1 as proc(5) counts them.
fn stat_field(pid: u32, field: usize) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_comm = stat.rsplit_once(") ").unwrap().1;
    // After the comm comes field 3, the state.
    after_comm
        .split(' ')
        .nth(field - 3)
        .unwrap()
        .parse()
        .unwrap()
}

/// The clock ticks per second `stat`'s times count in.
fn ticks_per_second() -> f64 {
    rustix::param::clock_ticks_per_second() as f64
}

fn boot_time() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap();
    let line = stat.lines().find(|l| l.starts_with("btime ")).unwrap();
    line[6..].trim().parse().unwrap()
}

/// The soft limit of `what` (a row of `/proc/<pid>/limits`), `None` for unlimited.
fn soft_limit(pid: u32, what: &str) -> Option<f64> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let row = limits.lines().find(|l| l.starts_with(what)).unwrap();
    row[what.len()..].split_whitespace().next()?.parse().ok()
}

/// GET `path` with `headers`, by a client that decodes nothing: the status, the headers
/// (names in lowercase) and the body as sent.
fn get(
    address: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut request = ureq::get(format!("http://{address}{path}"))
        .config()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build();
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = request.call().unwrap();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = value.to_str().unwrap_or_default().to_string();
            (name.as_str().to_string(), value)
        })
        .collect();
    let body = response
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .unwrap();
    (response.status().as_u16(), headers, body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The names of an exposition's metric families, from its `# TYPE` lines.
fn families(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .map(str::to_string)
        .collect()
}

#[test]
fn own_process_metrics_agree_with_proc() {
    let (serve, address) = serve(&[]);
    let pid = serve.0.id();
    let cpu_before = (stat_field(pid, 14) + stat_field(pid, 15)) / ticks_per_second();
    let (status, _, body) = get(&address, "/metrics", &[]);
    assert_eq!(status, 200);
    let got = samples(&String::from_utf8(body).unwrap());
    let cpu_after = (stat_field(pid, 14) + stat_field(pid, 15)) / ticks_per_second();
    // Read while serve is idle: the scrape's connection is closed. While it wrote the answer,
    // serve held that connection's socket too, and may have held one listing of /proc.
    let fds = open_fds(pid) as f64;
    let open = got["process_open_fds"];
    assert!(open >= fds && open <= fds + 2.0, "{open} fds, {fds} after");
    let cpu = got["process_cpu_seconds_total"];
    assert!(
        cpu >= cpu_before && cpu <= cpu_after,
        "{cpu_before} <= {cpu} <= {cpu_after}"
    );
    let page = rustix::param::page_size() as f64;
    let rss = stat_field(pid, 24) * page;
    let resident = got["process_resident_memory_bytes"];
    assert!(
        (resident - rss).abs() <= rss * 0.2,
        "RSS {resident}, {rss} after"
    );
    let vsize = stat_field(pid, 23);
    let virtual_bytes = got["process_virtual_memory_bytes"];
    assert!(
        (virtual_bytes - vsize).abs() <= vsize * 0.2,
        "virtual {virtual_bytes}, {vsize} after"
    );
    let start = boot_time() + stat_field(pid, 22) / ticks_per_second();
    let started = got["process_start_time_seconds"];
    assert!(
        (started - start).abs() < 1e-6,
        "started {started}, /proc says {start}"
    );
    let max_fds = soft_limit(pid, "Max open files").unwrap_or(f64::INFINITY);
    assert_eq!(got["process_max_fds"], max_fds);
    let max_vm = soft_limit(pid, "Max address space").unwrap_or(f64::INFINITY);
    assert_eq!(got["process_virtual_memory_max_bytes"], max_vm);
    assert_eq!(got["process_threads"], stat_field(pid, 20));
    assert!(got.contains_key("process_network_receive_bytes_total"));
    assert!(got.contains_key("process_network_transmit_bytes_total"));
}

#[test]
fn build_info_names_the_version_and_the_compiler() {
    let (_serve, address) = serve(&[]);
    let text = scrape(&address, None);
    let line = text
        .lines()
        .find(|l| l.starts_with("procfast_build_info{"))
        .unwrap_or_else(|| panic!("no build info in:\n{text}"));
    assert!(line.ends_with("} 1"), "{line}");
    let version = format!("version=\"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(line.contains(&version), "{line}");
    assert!(
        text.contains("# TYPE procfast_build_info gauge\n"),
        "{text}"
    );
    // The compiler the tests were built with built serve too.
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    match std::process::Command::new(rustc).arg("--version").output() {
        Ok(out) if out.status.success() => {
            let said = String::from_utf8_lossy(&out.stdout);
            let ours = said.split_whitespace().nth(1).unwrap();
            assert!(line.contains(&format!("rustversion=\"{ours}\"")), "{line}");
        }
        _ => eprintln!("skipped the compiler check: no rustc on PATH"),
    }
}

#[test]
fn gzip_when_accepted_identity_otherwise() {
    let (_serve, address) = serve(&[]);
    let (status, headers, body) = get(&address, "/metrics", &[("Accept-Encoding", "gzip")]);
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-encoding"), Some("gzip"));
    assert_eq!(header(&headers, "vary"), Some("Accept-Encoding"));
    let mut unzipped = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut unzipped)
        .expect("a gzip body");
    let (status, plain_headers, plain) = get(&address, "/metrics", &[]);
    assert_eq!(status, 200);
    assert_eq!(header(&plain_headers, "content-encoding"), None);
    assert_eq!(header(&plain_headers, "vary"), Some("Accept-Encoding"));
    let plain = String::from_utf8(plain).unwrap();
    assert!(families(&plain).contains("namedprocess_namegroup_num_procs"));
    assert_eq!(families(&unzipped), families(&plain));
    assert!(
        body.len() < plain.len() / 2,
        "{} of {}",
        body.len(),
        plain.len()
    );
    // Refused outright, or only through `*`: the text.
    for refusal in ["gzip;q=0", "*;q=0", "identity", "br;q=1, gzip;q=0.000"] {
        let (status, headers, body) = get(&address, "/metrics", &[("Accept-Encoding", refusal)]);
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-encoding"), None, "{refusal}");
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with("# HELP "), "{refusal}: {text:.60}");
    }
    // Prometheus' own header.
    let prometheus = "gzip";
    let (_, headers, _) = get(&address, "/metrics", &[("Accept-Encoding", prometheus)]);
    assert_eq!(header(&headers, "content-encoding"), Some("gzip"));
    // promtool reads the gzip answer's text like the plain one.
    if let Some(complaints) = super::promtool_complaints(&unzipped) {
        assert!(complaints.is_empty(), "{complaints:?}");
    }
}

#[test]
fn the_landing_page_names_the_version_and_links_the_metrics() {
    let (_serve, address) = serve(&[]);
    let (status, headers, body) = get(&address, "/", &[]);
    assert_eq!(status, 200);
    let kind = header(&headers, "content-type").unwrap();
    assert!(kind.starts_with("text/html"), "{kind}");
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains("procfast serve"), "{page}");
    assert!(page.contains(env!("CARGO_PKG_VERSION")), "{page}");
    assert!(page.contains("<a href=\"/metrics\">"), "{page}");
    assert_eq!(get(&address, "/nothing-here", &[]).0, 404);

    // With another metrics path, linked escaped, served there and only there.
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_procfast"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    if !String::from_utf8_lossy(&help.stdout).contains("-web.telemetry-path") {
        eprintln!("skipped the custom path: serve has no -web.telemetry-path");
        return;
    }
    let (_custom, address) = serve(&["-web.telemetry-path", "/probe&metrics"]);
    let page = String::from_utf8(get(&address, "/", &[]).2).unwrap();
    assert!(page.contains("<a href=\"/probe&amp;metrics\">"), "{page}");
    assert!(!page.contains("/probe&metrics"), "{page}");
    let (status, _, body) = get(&address, "/probe&metrics", &[]);
    assert_eq!(status, 200);
    assert!(String::from_utf8(body)
        .unwrap()
        .contains("procfast_build_info"));
    assert_eq!(get(&address, "/metrics", &[]).0, 404);
}

/// serve's side of the connection from `client`: its send queue, from `/proc/net/tcp`.
fn send_queue_towards(serve_port: u16, client: SocketAddr) -> Option<u64> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    let port_of = |address: &str| u16::from_str_radix(address.rsplit(':').next()?, 16).ok();
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (local, remote, queues) = (fields.get(1)?, fields.get(2)?, fields.get(4)?);
        (port_of(local)? == serve_port && port_of(remote)? == client.port())
            .then(|| u64::from_str_radix(queues.split(':').next()?, 16).ok())
            .flatten()
    })
}

/// A connection with a receive buffer as small as the kernel allows, that asks for /metrics
/// and never reads.
fn stalled_scraper(address: SocketAddr) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(1).unwrap();
    socket.connect(&address.into()).unwrap();
    let mut stream: TcpStream = socket.into();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: procfast\r\n\r\n")
        .unwrap();
    stream
}

/// Writes to `config` one group per process whose comm is `tag`, named by its pid and a tail of
/// `len` bytes (a large exposition from few processes); returns the tail.
fn write_group_per_member(config: &Path, tag: &str, len: usize) -> String {
    let tail = "x".repeat(len);
    let yaml = format!("process_names:\n  - name: \"{{{{.PID}}}}-{tail}\"\n    comm: [{tag}]\n");
    std::fs::write(config, yaml).unwrap();
    tail
}

#[test]
fn a_client_that_never_reads_delays_no_other_scrape() {
    // 1,000 groups of one process each, named by its pid and a long tail: an exposition of
    // about 9 MB, more than the kernel buffers for a socket (4 MiB at most here).
    let _crowd = crowding_the_host();
    let (dir, tag, config) = tagged_config("stalled", "pfstall");
    let tail = write_group_per_member(&config, &tag, 400);
    let members = group(&dir, &tag, 1_000);
    let (_serve, address) = serve(&["--config", config.to_str().unwrap()]);
    let socket: SocketAddr = address.parse().unwrap();
    let stalled: Vec<TcpStream> = (0..4).map(|_| stalled_scraper(socket)).collect();
    // Each stalled answer is backed up in serve's send queue: serve is blocked writing it.
    let deadline = Instant::now() + Duration::from_secs(60);
    for stream in &stalled {
        let client = stream.local_addr().unwrap();
        while send_queue_towards(socket.port(), client).unwrap_or(0) == 0 {
            assert!(Instant::now() < deadline, "serve never wrote to {client}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    // Other scrapers, one after another (each a scan of its own) and at once, get their
    // whole answers; the stalled ones are still stalled.
    let whole = |text: &str| {
        text.contains(&format!(
            "namedprocess_namegroup_num_procs{{groupname=\"{}-{tail}\"}} 1",
            members[0].0.id()
        )) && text.ends_with("procfast_serve_panics_total 0\n")
    };
    let mut answer_bytes = 0;
    for _ in 0..3 {
        let (status, _, body) = get(
            &address,
            "/metrics",
            &[("X-Prometheus-Scrape-Timeout-Seconds", "10")],
        );
        assert_eq!(status, 200);
        answer_bytes = body.len();
        assert!(whole(&String::from_utf8(body).unwrap()));
    }
    std::thread::scope(|scope| {
        let scrapers: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| get(&address, "/metrics", &[("Accept-Encoding", "gzip")])))
            .collect();
        for scraper in scrapers {
            let (status, _, body) = scraper.join().unwrap();
            assert_eq!(status, 200);
            let mut text = String::new();
            flate2::read::GzDecoder::new(&body[..])
                .read_to_string(&mut text)
                .unwrap();
            assert!(whole(&text));
        }
    });
    // Still stalled, with part of each answer not yet handed to the kernel (the client's
    // buffer holds a few KiB): serve's writes to them were waiting all along.
    for stream in &stalled {
        let client = stream.local_addr().unwrap();
        let queued = send_queue_towards(socket.port(), client).unwrap_or(0);
        assert!(queued > 0, "{client} drained");
        assert!(
            queued < answer_bytes as u64 / 2,
            "{queued} of {answer_bytes} bytes queued"
        );
    }
    drop(stalled);
    drop(members);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn at_the_connection_cap_clients_that_never_read_make_room() {
    // 200 fds: half for kept handles, 64 reserved, 36 connections. More clients than that ask
    // for an answer of about 10 MB (400 groups with long names) and never read it.
    let (dir, tag, config) = tagged_config("stalled-cap", "pfstcap");
    write_group_per_member(&config, &tag, 800);
    let members = group(&dir, &tag, 400);
    let Some((_serve, address)) = serve_with_fd_limit(200, &["--config", config.to_str().unwrap()])
    else {
        return;
    };
    let socket: SocketAddr = address.parse().unwrap();
    let stalled: Vec<TcpStream> = (0..40).map(|_| stalled_scraper(socket)).collect();
    // A scraper behind them is answered: each stalled connection asked to make room is
    // dropped once its answer stops moving, rather than when it would finish.
    let (status, _, body) = get(
        &address,
        "/metrics",
        &[("X-Prometheus-Scrape-Timeout-Seconds", "10")],
    );
    assert_eq!(status, 200);
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.ends_with("procfast_serve_panics_total 0\n"),
        "a whole answer"
    );
    drop(stalled);
    drop(members);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The fds of `serve` once they have held still at one count for a moment (closing a
/// connection is the runtime's next turn, not the client's).
fn settled_fds(serve: &Running, within: Duration) -> usize {
    let deadline = Instant::now() + within;
    let mut last = open_fds(serve.0.id());
    let mut still_since = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(50));
        let now = open_fds(serve.0.id());
        if now != last {
            (last, still_since) = (now, Instant::now());
        } else if still_since.elapsed() >= Duration::from_millis(500) || Instant::now() > deadline {
            return now;
        }
    }
}

#[test]
fn clients_that_come_and_go_leave_no_fd_behind() {
    // Only this test's own group, and no kept handles: serve's fds are its own and its
    // clients'.
    let (dir, tag, config) = tagged_config("fds", "pffds");
    let _members = group(&dir, &tag, 3);
    let (serve, address) = serve(&[
        "--config",
        config.to_str().unwrap(),
        "--kept-fds-percent",
        "0",
    ]);
    scrape(&address, None);
    let before = settled_fds(&serve, Duration::from_secs(10));
    let socket: SocketAddr = address.parse().unwrap();
    for round in 0..40 {
        // A whole scrape, plain and gzip.
        get(&address, "/metrics", &[]);
        get(&address, "/metrics", &[("Accept-Encoding", "gzip")]);
        // Connected, then gone without a word.
        drop(TcpStream::connect(socket).unwrap());
        // Half a request, then gone.
        let mut half = TcpStream::connect(socket).unwrap();
        half.write_all(b"GET /metrics HTTP/1.1\r\nHost: pro")
            .unwrap();
        drop(half);
        // A request, gone before its answer.
        let mut impatient = TcpStream::connect(socket).unwrap();
        impatient
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: procfast\r\n\r\n")
            .unwrap();
        drop(impatient);
        // A request, reset mid-answer (SO_LINGER 0 sends RST on close).
        let reset =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        reset.connect(&socket.into()).unwrap();
        reset.set_linger(Some(Duration::ZERO)).unwrap();
        let mut reset: TcpStream = reset.into();
        reset
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: procfast\r\n\r\n")
            .unwrap();
        let mut first = [0u8; 16];
        let _ = reset.read(&mut first);
        drop(reset);
        // A kept-alive connection that asked twice and left.
        let mut kept = TcpStream::connect(socket).unwrap();
        kept.write_all(b"GET / HTTP/1.1\r\nHost: procfast\r\n\r\n")
            .unwrap();
        let _ = kept.read(&mut [0u8; 4096]);
        if round % 10 == 0 {
            // Several at once, all closed together.
            let many: Vec<TcpStream> = (0..50)
                .map(|_| TcpStream::connect(socket).unwrap())
                .collect();
            drop(many);
        }
        drop(kept);
    }
    let after = settled_fds(&serve, Duration::from_secs(30));
    assert_eq!(
        after, before,
        "{before} fds before the clients, {after} after"
    );
    // serve's own count says so too (its scrape's connection is one more).
    let (_, _, body) = get(&address, "/metrics", &[]);
    let got = samples(&String::from_utf8(body).unwrap());
    let own = got["process_open_fds"] as usize;
    assert!(
        own == before + 1 || own == before,
        "process_open_fds {own}, {before} idle"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
