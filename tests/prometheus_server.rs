//! End to end: a real Prometheus server scrapes the exporter example and its HTTP API returns
//! the values procfast exported. Skipped, with a message, where the `prometheus` binary is
//! absent (`.ci/run` installs it). Everything stays on loopback; both servers are stopped at the
//! end.
#![cfg(feature = "prometheus-client")]

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[test]
#[ignore = "helper process, started by the other tests"]
fn helper_process() {
    common::helper_main()
}

/// A child process killed and reaped on drop.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// The exporter example, which `cargo test --all-features` builds next to the test binaries.
fn exporter_binary() -> PathBuf {
    let deps = std::env::current_exe().unwrap();
    let path = deps
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/exporter");
    assert!(
        path.is_file(),
        "{} missing: run with --all-features",
        path.display()
    );
    path
}

fn free_loopback_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `f` every 200 ms until it returns `Some`, for at most `limit`.
fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = f() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The value of an instant query's single sample, as Prometheus' API returns it.
fn query(api: &str, promql: &str) -> Option<String> {
    let body = ureq::get(format!("{api}/api/v1/query"))
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

#[test]
fn prometheus_scrapes_the_exporter() {
    let Some(prometheus) = find_in_path("prometheus") else {
        eprintln!("skipped: no prometheus binary on PATH (apt-get install prometheus)");
        return;
    };
    let helper = common::Helper::holding_fds(123);

    let mut exporter = Command::new(exporter_binary())
        .args(["--listen", "127.0.0.1:0", "--pid", &helper.pid.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(exporter.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _exporter = Running(exporter);
    let target = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("exporter said {line:?}"))
        .to_string();

    let dir = std::env::temp_dir().join(format!("procfast-prometheus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 800ms\n\
             scrape_configs:\n  - job_name: procfast\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .unwrap();
    let web = format!("127.0.0.1:{}", free_loopback_port());
    let server = Command::new(prometheus)
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
    let _server = Running(server);
    let api = format!("http://{web}");

    wait_for("prometheus to be ready", Duration::from_secs(60), || {
        ureq::get(format!("{api}/-/ready")).call().ok().map(drop)
    });
    let up = wait_for("a successful scrape", Duration::from_secs(60), || {
        query(&api, "up{job=\"procfast\"}").filter(|v| v == "1")
    });
    assert_eq!(up, "1");
    let open_fds = wait_for("process_open_fds", Duration::from_secs(30), || {
        query(&api, "process_open_fds{job=\"procfast\"}")
    });
    let truth = common::naive_fd_count(helper.pid).unwrap();
    assert_eq!(open_fds, truth.to_string());
    assert_eq!(open_fds, "123");
    let max_fds = query(&api, "process_max_fds{job=\"procfast\"}").unwrap();
    let hard = rustix::process::getrlimit(rustix::process::Resource::Nofile).maximum;
    assert_eq!(
        max_fds.parse::<f64>().ok(),
        hard.map(|h| h as f64),
        "{max_fds}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
