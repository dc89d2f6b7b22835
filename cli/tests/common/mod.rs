//! What the command's integration tests share: children that cannot outlive a test, and finding
//! the peers they run against.

#![allow(dead_code)] // Each test file uses the part it needs.

#[path = "../../../tests/support/child.rs"]
pub mod child;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process killed and reaped on drop.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `command` to its end and returns its output, asserting that it succeeded (showing its
/// stderr when it did not).
pub fn succeeded(command: &mut Command) -> std::process::Output {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("run {command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `name` in a directory of `PATH`, if it is there.
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// Copies the program `name` from `PATH` to `to` and returns once the copy runs: another test's
/// fork may hold a fresh copy open for writing until that child execs, and an exec of it fails
/// with ETXTBSY until then.
pub fn copy_program(name: &str, to: &Path) {
    let from = find_in_path(name).unwrap_or_else(|| panic!("no {name} on PATH"));
    std::fs::copy(&from, to).unwrap_or_else(|e| panic!("copy {name} to {}: {e}", to.display()));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // Any exit will do, --version or a usage error: the exec is what is tried.
        let ran = Command::new(to)
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        match ran {
            Ok(_) => return,
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("run the copy of {name} at {}: {e}", to.display()),
        }
    }
}

/// `name` from `PATH`, or `None` having said that the test skipped without it (`why` says what
/// it was for, or what installs it).
pub fn installed(name: &str, why: &str) -> Option<PathBuf> {
    let found = find_in_path(name);
    if found.is_none() {
        eprintln!("skipped: no {name} on PATH ({why})");
    }
    found
}

/// process-exporter (Debian's `prometheus-process-exporter`), or `None` having said that the test
/// skipped without it.
pub fn peer() -> Option<PathBuf> {
    installed(
        "prometheus-process-exporter",
        "apt-get install prometheus-process-exporter",
    )
}

/// A loopback port free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts process-exporter (`peer`) with `config` on a free loopback port, its stderr to
/// `stderr`; returns it and its address.
pub fn start_peer(peer: &Path, config: &Path, stderr: Stdio) -> (Running, String) {
    let address = format!("127.0.0.1:{}", free_port());
    let child = Command::new(peer)
        .arg(format!("-config.path={}", config.display()))
        .arg(format!("-web.listen-address={address}"))
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    (Running(child), address)
}

/// The body `url` answers once `ready` accepts it, asked every 100 ms for up to 30 s (a peer
/// answers before its first scan is done); panics naming `who` if it never does.
pub fn body_once(url: &str, who: &str, ready: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let body = ureq::get(url)
            .call()
            .ok()
            .and_then(|mut r| r.body_mut().read_to_string().ok());
        if let Some(body) = body.filter(|b| ready(b)) {
            return body;
        }
        assert!(Instant::now() < deadline, "{who} never answered as asked");
        std::thread::sleep(Duration::from_millis(100));
    }
}
