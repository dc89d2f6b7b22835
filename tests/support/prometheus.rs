//! The Prometheus side of the collector tests: reading the text exposition format, `promtool
//! check metrics`, and a real Prometheus server scraping a target on loopback.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Sample name (with its labels) → value, from either exposition format. `+Inf` and `inf` (the
/// tikv crate writes f64 with `Display`) are both infinity.
pub fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (name, value) = line.rsplit_once(' ').unwrap();
            let value = match value {
                "+Inf" | "inf" => f64::INFINITY,
                v => v.parse().unwrap(),
            };
            (name.to_string(), value)
        })
        .collect()
}

/// Family name → (type, help), from the `# TYPE` and `# HELP` lines.
pub fn families(text: &str) -> BTreeMap<String, (String, String)> {
    let mut out: BTreeMap<String, (String, String)> = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap();
            out.entry(name.into()).or_default().1 = help.into();
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            out.entry(name.into()).or_default().0 = kind.into();
        }
    }
    out
}

/// `promtool check metrics` on `text`: whether it passed, and what it said. `None`, with a
/// message, where promtool is not on PATH.
pub fn promtool_check(text: &str) -> Option<(bool, String)> {
    let Ok(mut child) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        eprintln!("skipped: promtool is not on PATH");
        return None;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success(), report))
}

/// The path of the program `name` on PATH.
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// A child process killed and reaped on drop.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port free at the time of the call.
pub fn free_loopback_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `f` every 200 ms until it returns `Some`, for at most `limit`.
pub fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = f() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A Prometheus server on loopback scraping one target every second, stopped (and its data
/// removed) on drop.
pub struct Server {
    /// Its HTTP API, `http://127.0.0.1:<port>`.
    pub api: String,
    dir: PathBuf,
    child: Child,
}

impl Server {
    /// The `prometheus` binary on PATH; `None`, with a message, where there is none.
    pub fn binary() -> Option<PathBuf> {
        let found = find_in_path("prometheus");
        if found.is_none() {
            eprintln!("skipped: no prometheus binary on PATH (apt-get install prometheus)");
        }
        found
    }

    /// Starts `prometheus` (see [`Server::binary`]) scraping `target` (`host:port`) as job
    /// `job` every second with a `timeout` (Prometheus' duration syntax, like `800ms`), and
    /// waits until it is ready.
    pub fn scraping(prometheus: PathBuf, job: &str, target: &str, timeout: &str) -> Server {
        Server::scraping_with(prometheus, job, target, timeout, "")
    }

    /// [`Server::scraping`], with `job_settings` (YAML lines indented for the job, like
    /// `    scheme: https\n`) added to the job's scrape config.
    pub fn scraping_with(
        prometheus: PathBuf,
        job: &str,
        target: &str,
        timeout: &str,
        job_settings: &str,
    ) -> Server {
        let dir =
            std::env::temp_dir().join(format!("procfast-prometheus-{job}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: {timeout}\n\
                 scrape_configs:\n  - job_name: {job}\n{job_settings}    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        let web = format!("127.0.0.1:{}", free_loopback_port());
        let child = Command::new(prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={web}"))
            .arg("--log.level=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Server {
            api: format!("http://{web}"),
            dir,
            child,
        };
        wait_for("prometheus to be ready", Duration::from_secs(60), || {
            ureq::get(format!("{}/-/ready", server.api))
                .call()
                .ok()
                .map(drop)
        });
        server
    }

    /// The value of an instant query's single sample, as the API returns it.
    pub fn query(&self, promql: &str) -> Option<String> {
        let body = ureq::get(format!("{}/api/v1/query", self.api))
            .query("query", promql)
            .call()
            .ok()?
            .body_mut()
            .read_to_string()
            .ok()?;
        let json: serde_json::Value = serde_json::from_str(&body).ok()?;
        let result = json["data"]["result"].as_array()?;
        Some(result.first()?["value"][1].as_str()?.to_string())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
