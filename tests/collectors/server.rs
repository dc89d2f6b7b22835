//! End to end: a real Prometheus server scrapes the exporter example and its HTTP API returns
//! the values procfast exported. Skipped, with a message, where the `prometheus` binary is
//! absent (`.ci/run` installs it). Everything stays on loopback; both servers are stopped at the
//! end.

use crate::support::child::{address_in, first_line};
use crate::support::helper::{naive_fd_count, Helper};
use crate::support::prometheus::{wait_for, Running, Server};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

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

#[test]
fn prometheus_scrapes_the_exporter() {
    let Some(prometheus) = Server::binary() else {
        return;
    };
    let helper = Helper::holding_fds(123);

    let mut exporter = Command::new(exporter_binary())
        .args(["--listen", "127.0.0.1:0", "--pid", &helper.pid.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let line = first_line(&mut exporter);
    let _exporter = Running(exporter);
    let target = address_in(&line).unwrap_or_else(|| panic!("exporter said {line:?}"));

    let server = Server::scraping(prometheus, "procfast", target, "800ms");
    let up = wait_for("a successful scrape", Duration::from_secs(60), || {
        server.query("up{job=\"procfast\"}").filter(|v| v == "1")
    });
    assert_eq!(up, "1");
    let open_fds = wait_for("process_open_fds", Duration::from_secs(30), || {
        server.query("process_open_fds{job=\"procfast\"}")
    });
    let truth = naive_fd_count(helper.pid).unwrap();
    assert_eq!(open_fds, truth.to_string());
    assert_eq!(open_fds, "123");
    let max_fds = server.query("process_max_fds{job=\"procfast\"}").unwrap();
    let hard = rustix::process::getrlimit(rustix::process::Resource::Nofile).maximum;
    assert_eq!(
        max_fds.parse::<f64>().ok(),
        hard.map(|h| h as f64),
        "{max_fds}"
    );
}
