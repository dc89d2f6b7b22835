//! serve behind its web config: TLS, client certificates and basic auth, as exporter-toolkit reads them.
//! Certificates are made here with `openssl`; the clients are `curl`, a raw TCP stream and a
//! real Prometheus; process-exporter gives its verdict on the same broken files.

use super::common::{find_in_path, free_port, installed, Running};
use super::{prometheus, scratch, serve};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The password of user `prometheus` in [`USERS`].
const PASSWORD: &str = "scrape-secret";

/// `basic_auth_users` with one user, `prometheus`, whose password is [`PASSWORD`] (bcrypt at
/// cost 10, as `htpasswd -nBC 10` makes).
const USERS: &str =
    "basic_auth_users:\n  prometheus: $2b$10$8qe7zCwGK3xG1jq73L4sPOcDwIiES9M3s4wJWT9JQn2O1OC5XYeYG\n";

/// A CA, a server certificate for 127.0.0.1 it signed, a client certificate it signed, and a
/// client certificate and key it did not sign, in a scratch directory of the test's own, removed
/// on drop.
struct Certs {
    dir: PathBuf,
}

impl Drop for Certs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Certs {
    /// Makes them with `openssl` in a scratch directory for `what`; `None`, with a message, where
    /// it is missing.
    fn make(what: &str) -> Option<Certs> {
        installed("openssl", "to make certificates")?;
        installed("curl", "to test TLS")?;
        let dir = &scratch(what);
        let openssl = |args: &[&str]| {
            super::succeeded(Command::new("openssl").args(args).current_dir(dir));
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        let self_signed = |name: &str, subject: &str| {
            let (key, crt) = (format!("{name}.key"), format!("{name}.crt"));
            let mut args = vec!["req", "-x509"];
            args.extend(ec);
            args.extend([
                "-keyout", &key, "-out", &crt, "-subj", subject, "-days", "2",
            ]);
            openssl(&args);
        };
        self_signed("ca", "/CN=procfast test CA");
        self_signed("stranger", "/CN=procfast test stranger");
        for (name, extensions) in [
            (
                "server",
                "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
            ),
            ("client", "extendedKeyUsage=clientAuth\n"),
        ] {
            std::fs::write(dir.join(format!("{name}.ext")), extensions).unwrap();
            let (key, csr) = (format!("{name}.key"), format!("{name}.csr"));
            let mut args = vec!["req"];
            args.extend(ec);
            let subject = format!("/CN=procfast test {name}");
            args.extend(["-keyout", &key, "-out", &csr, "-subj", &subject]);
            openssl(&args);
            let (crt, ext) = (format!("{name}.crt"), format!("{name}.ext"));
            openssl(&[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &crt,
                "-days",
                "2",
                "-extfile",
                &ext,
            ]);
        }
        Some(Certs {
            dir: dir.to_path_buf(),
        })
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    /// A web config: TLS with the server certificate (named relative to the file), then `more`.
    fn config(&self, file: &str, more: &str) -> PathBuf {
        let path = self.dir.join(file);
        let text =
            format!("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n{more}");
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// What curl got: the status (0 where no HTTP answer came), the headers and the body.
struct Answer {
    status: u16,
    headers: String,
    body: String,
    http_version: String,
}

/// `curl` GET of `url`, trusting the test CA, with `args` besides.
fn curl(certs: &Certs, url: &str, args: &[&str]) -> Answer {
    let headers = certs.dir.join(format!("headers-{}", free_port()));
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20", "--cacert", &certs.path("ca.crt")])
        .arg("-D")
        .arg(&headers)
        .args(["-w", "\n%{http_code} %{http_version}"])
        .args(args)
        .arg(url)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, codes) = text.rsplit_once('\n').unwrap_or(("", &text));
    let (status, http_version) = codes.split_once(' ').unwrap_or((codes, ""));
    Answer {
        status: status.parse().unwrap_or(0),
        headers: std::fs::read_to_string(&headers).unwrap_or_default(),
        body: body.to_string(),
        http_version: http_version.to_string(),
    }
}

#[test]
fn a_real_prometheus_scrapes_serve_over_tls_with_basic_auth() {
    let Some(certs) = Certs::make("web-prometheus") else {
        return;
    };
    let Some(prometheus) = prometheus::Server::binary() else {
        return;
    };
    let web = certs.config("web.yml", USERS);
    let (_serve, address) = serve(&["--web.config.file", web.to_str().unwrap()]);
    let job = format!(
        "    scheme: https\n    tls_config:\n      ca_file: {}\n    \
         basic_auth:\n      username: prometheus\n      password: {PASSWORD}\n",
        certs.path("ca.crt")
    );
    let prometheus =
        prometheus::Server::scraping_with(prometheus, "serve-tls", &address, "900ms", &job);
    let deadline = Instant::now() + Duration::from_secs(60);
    let up = loop {
        let up = prometheus.query("up{job=\"serve-tls\"}");
        let complete = prometheus.query("procfast_scrape_complete{job=\"serve-tls\"}");
        if up.as_deref() == Some("1") && complete.is_some() || Instant::now() > deadline {
            break up;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(
        up.as_deref(),
        Some("1"),
        "Prometheus never scraped serve over TLS"
    );
}

#[test]
fn basic_auth_refuses_a_wrong_password_an_unknown_user_and_none() {
    let Some(certs) = Certs::make("web-auth") else {
        return;
    };
    let headers = "http_server_config:\n  headers:\n    X-Frame-Options: deny\n";
    let web = certs.config("web.yml", &format!("{USERS}{headers}"));
    let (_serve, address) = serve(&["--web.config.file", web.to_str().unwrap()]);
    let url = format!("https://{address}/metrics");
    let right = format!("prometheus:{PASSWORD}");
    let ok = curl(&certs, &url, &["-u", &right]);
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.body.contains("procfast_scrape_complete"), "{}", ok.body);
    // The configured header is on every answer, refusals too.
    assert!(
        ok.headers.to_lowercase().contains("x-frame-options: deny"),
        "{}",
        ok.headers
    );
    for (who, args) in [
        ("no credentials", vec![]),
        ("a wrong password", vec!["-u", "prometheus:guess"]),
        ("an unknown user", vec!["-u", "mallory:scrape-secret"]),
        ("an empty password", vec!["-u", "prometheus:"]),
    ] {
        let refused = curl(&certs, &url, &args);
        assert_eq!(refused.status, 401, "{who}: {}", refused.body);
        let headers = refused.headers.to_lowercase();
        assert!(
            headers.contains("www-authenticate: basic"),
            "{who}: {headers}"
        );
        assert!(
            headers.contains("x-frame-options: deny"),
            "{who}: {headers}"
        );
        assert!(
            !refused.body.contains("namedprocess"),
            "{who}: {}",
            refused.body
        );
    }
    // Every path is behind the auth, not only the metrics.
    assert_eq!(
        curl(&certs, &format!("https://{address}/"), &[]).status,
        401
    );
    // And the right password, checked before, still gets through.
    assert_eq!(curl(&certs, &url, &["-u", &right]).status, 200);
}

#[test]
fn client_certificates_are_required_and_verified_when_asked() {
    let Some(certs) = Certs::make("web-mtls") else {
        return;
    };
    let mtls = "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n";
    let web = certs.config("web.yml", mtls);
    let (_serve, address) = serve(&["--web.config.file", web.to_str().unwrap()]);
    let url = format!("https://{address}/metrics");
    let none = curl(&certs, &url, &[]);
    assert_eq!(
        none.status, 0,
        "answered without a client certificate: {}",
        none.body
    );
    let (stranger_crt, stranger_key) = (certs.path("stranger.crt"), certs.path("stranger.key"));
    let stranger = curl(
        &certs,
        &url,
        &["--cert", &stranger_crt, "--key", &stranger_key],
    );
    assert_eq!(
        stranger.status, 0,
        "answered a certificate the CA did not sign"
    );
    let (client_crt, client_key) = (certs.path("client.crt"), certs.path("client.key"));
    let client = curl(&certs, &url, &["--cert", &client_crt, "--key", &client_key]);
    assert_eq!(client.status, 200, "{}", client.body);
    assert!(client.body.contains("procfast_scrape_complete"));
    // RequireAnyClientCert takes any certificate whose key the client holds, and none else.
    let any = certs.config("any.yml", "  client_auth_type: RequireAnyClientCert\n");
    let (_serve, address) = serve(&["--web.config.file", any.to_str().unwrap()]);
    let url = format!("https://{address}/metrics");
    assert_eq!(curl(&certs, &url, &[]).status, 0);
    let stranger = curl(
        &certs,
        &url,
        &["--cert", &stranger_crt, "--key", &stranger_key],
    );
    assert_eq!(stranger.status, 200, "{}", stranger.body);
}

#[test]
fn http2_is_offered_by_alpn_unless_turned_off() {
    let Some(certs) = Certs::make("web-h2") else {
        return;
    };
    let web = certs.config("web.yml", "");
    let (_serve, address) = serve(&["--web.config.file", web.to_str().unwrap()]);
    let url = format!("https://{address}/metrics");
    let h2 = curl(&certs, &url, &["--http2"]);
    assert_eq!(
        (h2.status, h2.http_version.as_str()),
        (200, "2"),
        "{}",
        h2.body
    );
    assert!(h2.body.contains("procfast_scrape_complete"));
    let h1 = curl(&certs, &url, &["--http1.1"]);
    assert_eq!((h1.status, h1.http_version.as_str()), (200, "1.1"));
    let off = certs.config("http1.yml", "http_server_config:\n  http2: false\n");
    let (_serve, address) = serve(&["--web.config.file", off.to_str().unwrap()]);
    let only_h1 = curl(&certs, &format!("https://{address}/metrics"), &["--http2"]);
    assert_eq!(
        (only_h1.status, only_h1.http_version.as_str()),
        (200, "1.1")
    );
}

/// Starts serve with `args`, its stderr into `log`; returns it and its address, read from the
/// log's first line.
fn serve_logging_to(log: &Path, args: &[&str]) -> (Running, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_procfast"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let running = Running(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(line) = text.lines().next().filter(|_| text.contains('\n')) {
            let address = line
                .split("https://")
                .nth(1)
                .and_then(|rest| rest.split('/').next())
                .unwrap_or_else(|| panic!("serve said {line:?}"));
            return (running, address.to_string());
        }
        assert!(Instant::now() < deadline, "serve said nothing");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn plain_http_and_stalled_handshakes_on_the_tls_port_get_nothing() {
    let Some(certs) = Certs::make("web-plain") else {
        return;
    };
    let web = certs.config("web.yml", "");
    let log = certs.dir.join("serve.log");
    let (_serve, address) = serve_logging_to(&log, &["--web.config.file", web.to_str().unwrap()]);
    for _ in 0..3 {
        let mut plain = std::net::TcpStream::connect(&address).unwrap();
        plain
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: procfast\r\n\r\n")
            .unwrap();
        plain
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut got = Vec::new();
        // The handshake fails and the connection closes (EOF or reset).
        let _ = plain.read_to_end(&mut got);
        let got = String::from_utf8_lossy(&got);
        assert!(
            !got.contains("procfast_") && !got.contains("200 OK"),
            "{got}"
        );
    }
    // A client that connects and never says a word is dropped within the header timeout
    // (10 s), as a half-sent request is on plain HTTP.
    let mut silent = std::net::TcpStream::connect(&address).unwrap();
    let started = Instant::now();
    assert!(
        super::closed_within(&mut silent, Duration::from_secs(30)),
        "a stalled handshake still holds its connection after {:?}",
        started.elapsed()
    );
    assert!(started.elapsed() >= Duration::from_secs(5));
    // TLS still answers, and none of the failed handshakes was logged.
    let ok = curl(&certs, &format!("https://{address}/metrics"), &[]);
    assert_eq!(ok.status, 200);
    let said = std::fs::read_to_string(&log).unwrap();
    assert_eq!(said.lines().count(), 1, "{said}");
}

/// How a program given a web config ended within `within`: `Some((status, stderr))`, or `None`
/// if it was still running (it took the file and served).
fn verdict(mut command: Command, within: Duration) -> Option<(bool, String)> {
    let stderr = std::env::temp_dir().join(format!("procfast-web-verdict-{}", free_port()));
    let mut child = Running(
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + within;
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let said = std::fs::read_to_string(&stderr).unwrap_or_default();
    let _ = std::fs::remove_file(&stderr);
    status.map(|s| (s.success(), said))
}

#[test]
fn each_malformed_web_config_is_refused_in_one_line_as_process_exporter_refuses_it() {
    // The files the cases name.
    let Some(certs) = Certs::make("web-bad") else {
        return;
    };
    let dir = &certs.dir;
    let peer = find_in_path("prometheus-process-exporter");
    if peer.is_none() {
        eprintln!("skipped: the comparison with process-exporter (not installed)");
    }
    let names = dir.join("names.yml");
    std::fs::write(&names, "process_names:\n  - comm: [nothing-matches-this]\n").unwrap();
    let missing = dir.join("missing.crt").display().to_string();
    // Each case: the file, what serve's line must name, and whether process-exporter 0.7.10
    // refuses it too.
    let cases: Vec<(&str, String, String, bool)> = vec![
        (
            "unknown-key",
            "  cert_fil: x\n".into(),
            "unknown key \"cert_fil\"".into(),
            true,
        ),
        (
            "bad-yaml",
            "  min_version: [TLS12\n".into(),
            "YAML syntax".into(),
            true,
        ),
        (
            "missing-cert",
            "  cert_file: missing.crt\n  key_file: server.key\n".into(),
            missing.clone(),
            true,
        ),
        (
            "mismatched-key",
            "  cert_file: server.crt\n  key_file: stranger.key\n".into(),
            "does not match the certificate".into(),
            true,
        ),
        (
            "bad-client-auth",
            "  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: Sometimes\n"
                .into(),
            "client_auth_type \"Sometimes\"".into(),
            true,
        ),
        (
            "non-bcrypt",
            format!(
                "  cert_file: server.crt\n  key_file: server.key\n{}",
                "basic_auth_users:\n  bob: hunter2\n"
            ),
            "not a bcrypt hash".into(),
            true,
        ),
        // Go still speaks TLS 1.0; rustls does not, so serve refuses what process-exporter takes.
        (
            "tls10",
            "  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS10\n".into(),
            "TLS 1.0 and 1.1 are not supported".into(),
            false,
        ),
    ];
    for (name, body, said, peer_refuses) in cases {
        let path = dir.join(format!("{name}.yml"));
        let text = match body.strip_prefix("  ") {
            // A top-level key (basic_auth_users) is appended after the TLS lines.
            Some(_) => format!("tls_server_config:\n{body}"),
            None => body.clone(),
        };
        std::fs::write(&path, text).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_procfast"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--web.config.file"])
            .arg(&path);
        let (success, stderr) = verdict(command, Duration::from_secs(30))
            .unwrap_or_else(|| panic!("{name}: serve took the file and served"));
        assert!(!success, "{name}: exit status 0");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{name}: {stderr}");
        assert!(stderr.contains(&said), "{name}: {stderr}");
        assert!(
            stderr.contains(&path.display().to_string()),
            "{name}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        let Some(peer) = &peer else {
            continue;
        };
        let mut command = Command::new(peer);
        command
            .arg(format!("-config.path={}", names.display()))
            .arg(format!("-web.config.file={}", path.display()))
            .arg(format!("-web.listen-address=127.0.0.1:{}", free_port()));
        // process-exporter reads the web config after it starts listening, then exits 1 on a
        // file it refuses.
        match verdict(command, Duration::from_secs(5)) {
            Some((false, said)) => {
                assert!(peer_refuses, "{name}: process-exporter refused it: {said}")
            }
            Some((true, said)) => panic!("{name}: process-exporter exited 0: {said}"),
            None => assert!(!peer_refuses, "{name}: process-exporter took it and served"),
        }
    }
}
