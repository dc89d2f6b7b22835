//! `--top N`: among 300 sleepers, a busy process, a large one and one holding 5,000 fds are
//! each the heaviest of their family, no family carries more than N samples, and the busy one
//! leaves the CPU family once it stops.

use super::common::{copy_program, installed, Running};
use super::{group, host_to_itself, scrape, serve, tagged};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const N: usize = 3;
const CPU: &str = "procfast_top_process_cpu_seconds_total";
const RESIDENT: &str = "procfast_top_process_resident_memory_bytes";
const FDS: &str = "procfast_top_process_open_fds";

/// A family's samples in the order written: (pid, groupname, value).
fn family(text: &str, name: &str) -> Vec<(i32, String, f64)> {
    let prefix = format!("{name}{{pid=\"");
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(&prefix)?;
            let (pid, rest) = rest.split_once('"')?;
            let group = rest.split_once("groupname=\"")?.1.split_once('"')?.0;
            let value = line.rsplit_once(' ')?.1.parse().ok()?;
            Some((pid.parse().ok()?, group.to_string(), value))
        })
        .collect()
}

/// Scrapes until `holds` is true of an exposition, checking every exposition has at most N
/// samples per family; fails after 30 s.
fn scrape_until(address: &str, what: &str, holds: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = scrape(address, None);
        for name in [CPU, RESIDENT, FDS] {
            let n = family(&text, name).len();
            assert!(n <= N, "{n} samples of {name}:\n{text}");
        }
        if holds(&text) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "never {what}; last scrape:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// A `python3 -c` helper that has done `setup` when this returns (it prints a line then),
/// then waits for its stdin to close.
fn python(python: &std::path::Path, setup: &str) -> Running {
    let script = format!(
        "import os, resource, sys\n{setup}\nprint('ready', flush=True)\nsys.stdin.read()\n"
    );
    let mut child = Command::new(python)
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let stdout = child.stdout.take().unwrap();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
    assert_eq!(line, "ready\n", "python helper failed: {setup}");
    Running(child)
}

#[test]
fn the_busiest_largest_and_most_fds_top_their_families_and_a_stopped_one_leaves() {
    // No other test's crowd of processes (or its serve's thousands of kept handles) meanwhile.
    let _host = host_to_itself();
    let Some(python3) = installed("python3", "to hold memory and fds") else {
        return;
    };
    let (dir, tag) = tagged("top", "pftop");
    let _sleepers = group(&dir, &format!("{tag}s"), 300);
    let spinner = dir.join(format!("{tag}b"));
    copy_program("sh", &spinner);
    let busy = Running(
        Command::new(&spinner)
            .args(["-c", "while :; do :; done"])
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // 768 MiB written, so resident; 5,000 fds, the soft limit raised to the hard one first.
    let large = python(&python3, "b = b'x' * (768 << 20)");
    let holder = python(
        &python3,
        "hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n\
         resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))\n\
         fds = [os.open('/dev/null', os.O_RDONLY) for _ in range(5000)]",
    );
    let (busy_pid, large_pid, holder_pid) = (
        busy.0.id() as i32,
        large.0.id() as i32,
        holder.0.id() as i32,
    );
    let (_serve, address) = serve(&["--top", &N.to_string()]);
    let first = |text: &str, name: &str| family(text, name).first().map(|s| s.0);
    let text = scrape_until(&address, "the busy process first by CPU", |text| {
        first(text, CPU) == Some(busy_pid)
    });
    // Every process is in its comm's group by default.
    let cpu = family(&text, CPU);
    assert_eq!(cpu[0].1, format!("{tag}b"));
    scrape_until(&address, "the large process first by memory", |text| {
        first(text, RESIDENT) == Some(large_pid)
    });
    let text = scrape_until(&address, "the fd holder first by fds", |text| {
        first(text, FDS) == Some(holder_pid)
    });
    let fds = family(&text, FDS);
    assert!(fds[0].2 >= 5000.0, "{fds:?}");
    // Descending order within a family.
    assert!(fds.windows(2).all(|w| w[0].2 >= w[1].2), "{fds:?}");
    // Stopped, it uses no CPU from the next scrape on: gone from the family, still alive.
    let stopped = Command::new("kill")
        .args(["-STOP", &busy_pid.to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    scrape_until(
        &address,
        "the stopped process out of the CPU family",
        |text| family(text, CPU).iter().all(|s| s.0 != busy_pid),
    );
    assert!(std::path::Path::new(&format!("/proc/{busy_pid}")).exists());
    drop((busy, large, holder));
    let _ = std::fs::remove_dir_all(&dir);
}
