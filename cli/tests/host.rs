//! `procfast host --json` against node_exporter (Debian's `prometheus-node-exporter`) reading
//! the same files at the same moments: every counter node_exporter reports lies between
//! procfast's readings just before and just after its scrape; constants are equal; gauges agree
//! within what they move in a few milliseconds.

mod common;
use common::{free_port, installed, succeeded, Running};
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn host_json() -> Value {
    let out = succeeded(Command::new(env!("CARGO_BIN_EXE_procfast")).args(["host", "--json"]));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// node_exporter's samples, by name with sorted labels.
fn node_samples(address: &str) -> Option<BTreeMap<String, f64>> {
    let body = ureq::get(format!("http://{address}/metrics"))
        .call()
        .ok()?
        .body_mut()
        .read_to_string()
        .ok()?;
    Some(
        body.lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .filter_map(|l| {
                let (key, value) = l.rsplit_once(' ')?;
                Some((key.to_string(), value.parse().ok()?))
            })
            .collect(),
    )
}

/// The figure at `path` (keys and array indexes, `/`-separated) of a snapshot.
fn at(v: &Value, path: &str) -> Option<f64> {
    let mut v = v;
    for part in path.split('/') {
        v = match part.parse::<usize>() {
            Ok(i) => v.get(i)?,
            Err(_) => v.get(part)?,
        };
    }
    v.as_f64()
}

/// The entry of `list` (disks, net) named `name`.
fn named<'a>(list: &'a Value, name: &str) -> Option<&'a Value> {
    list.as_array()?.iter().find(|d| d["name"] == name)
}

/// Where in `list` (disks, net) the entry named `name` is.
fn position(list: &Value, name: &str) -> Option<usize> {
    list.as_array()?.iter().position(|d| d["name"] == name)
}

/// The `device` labels of node_exporter's samples of `family`.
fn device_names(samples: &BTreeMap<String, f64>, family: &str) -> Vec<String> {
    samples
        .keys()
        .filter(|k| k.starts_with(&format!("{family}{{")))
        .filter_map(|k| Some(k.split("device=\"").nth(1)?.split('"').next()?.to_string()))
        .collect()
}

#[test]
fn agrees_with_node_exporter() {
    let Some(node) = installed(
        "prometheus-node-exporter",
        "apt-get install prometheus-node-exporter",
    ) else {
        return;
    };
    let address = format!("127.0.0.1:{}", free_port());
    let collectors = [
        "cpu",
        "meminfo",
        "loadavg",
        "pressure",
        "vmstat",
        "diskstats",
        "netdev",
        "filefd",
        "sockstat",
        "stat",
        "time",
    ];
    let mut command = Command::new(node);
    command
        .arg(format!("--web.listen-address={address}"))
        .arg("--collector.disable-defaults")
        .args(collectors.map(|c| format!("--collector.{c}")))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _node = Running(command.spawn().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    while node_samples(&address).is_none() {
        assert!(Instant::now() < deadline, "node_exporter never answered");
        std::thread::sleep(Duration::from_millis(50));
    }
    let before = host_json();
    let theirs = node_samples(&address).unwrap();
    let after = host_json();
    let node = |key: &str| -> f64 {
        *theirs
            .get(key)
            .unwrap_or_else(|| panic!("node_exporter has no {key}"))
    };
    let cpus = theirs
        .keys()
        .filter(|k| k.starts_with("node_cpu_seconds_total{") && k.contains("mode=\"idle\""))
        .count();
    assert!(cpus >= 1);
    let mut checked = 0;
    // Counters: procfast before ≤ node_exporter ≤ procfast after, within `slack`.
    let mut between = |what: &str, theirs: f64, path: &str, slack: f64| {
        let (lo, hi) = (at(&before, path).unwrap(), at(&after, path).unwrap());
        assert!(
            lo - slack <= theirs && theirs <= hi + slack,
            "{what}: node_exporter {theirs}, procfast {lo} … {hi}"
        );
        checked += 1;
    };
    // The kernel's total CPU line is its per-CPU lines summed (node_exporter sums those), each
    // rounded to a tick: one tick per CPU of slack.
    let tick = cpus as f64 * 0.01 + 1e-9;
    for mode in [
        "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal",
    ] {
        let sum: f64 = theirs
            .iter()
            .filter(|(k, _)| {
                k.starts_with("node_cpu_seconds_total{") && k.contains(&format!("mode=\"{mode}\""))
            })
            .map(|(_, v)| v)
            .sum();
        between(mode, sum, &format!("cpu_seconds/{mode}"), tick);
    }
    for (node_name, ours) in [
        ("node_vmstat_pgfault", "vmstat/pgfault"),
        ("node_vmstat_pgmajfault", "vmstat/pgmajfault"),
        ("node_vmstat_pswpin", "vmstat/pswpin"),
        ("node_vmstat_pswpout", "vmstat/pswpout"),
        ("node_vmstat_pgpgin", "vmstat/pgpgin"),
        ("node_vmstat_pgpgout", "vmstat/pgpgout"),
        ("node_vmstat_oom_kill", "vmstat/oom_kill"),
    ] {
        between(node_name, node(node_name), ours, 0.0);
    }
    for (resource, some, full) in [
        ("cpu", "node_pressure_cpu_waiting_seconds_total", None),
        (
            "memory",
            "node_pressure_memory_waiting_seconds_total",
            Some("node_pressure_memory_stalled_seconds_total"),
        ),
        (
            "io",
            "node_pressure_io_waiting_seconds_total",
            Some("node_pressure_io_stalled_seconds_total"),
        ),
    ] {
        if !theirs.contains_key(some) {
            eprintln!("no PSI here: pressure not compared");
            break;
        }
        let path = format!("pressure/{resource}/some_total_seconds");
        between(some, node(some), &path, 1e-6);
        if let Some(full) = full {
            let path = format!("pressure/{resource}/full_total_seconds");
            between(full, node(full), &path, 1e-6);
        }
    }
    // Every disk and interface node_exporter reports (it leaves out partitions, loop and ram
    // devices by default), by name: each of its families against procfast's figure.
    let mut per_device = |list: &str, first: &str, pairs: &[(&str, &str)], slack: f64| {
        let names = device_names(&theirs, first);
        for name in &names {
            let i = position(&before[list], name)
                .unwrap_or_else(|| panic!("procfast lacks {list} entry {name}"));
            for (node_name, ours) in pairs {
                let key = format!("{node_name}{{device=\"{name}\"}}");
                between(&key, node(&key), &format!("{list}/{i}/{ours}"), slack);
            }
        }
        names.len()
    };
    let devices = per_device(
        "disks",
        "node_disk_reads_completed_total",
        &[
            ("node_disk_reads_completed_total", "reads_completed"),
            ("node_disk_writes_completed_total", "writes_completed"),
            ("node_disk_read_bytes_total", "read_bytes"),
            ("node_disk_written_bytes_total", "written_bytes"),
            ("node_disk_io_time_seconds_total", "io_time_seconds"),
        ],
        1e-9,
    );
    let interfaces = per_device(
        "net",
        "node_network_receive_bytes_total",
        &[
            ("node_network_receive_bytes_total", "receive_bytes"),
            ("node_network_transmit_bytes_total", "transmit_bytes"),
        ],
        0.0,
    );
    assert!(
        devices >= 1 && interfaces >= 1,
        "{devices} disks, {interfaces} interfaces"
    );
    assert!(named(&after["net"], "lo").is_some());

    // Constants are equal.
    for (node_name, ours) in [
        ("node_memory_MemTotal_bytes", "memory_bytes/total"),
        ("node_memory_SwapTotal_bytes", "memory_bytes/swap_total"),
        ("node_filefd_maximum", "file_nr/max"),
    ] {
        assert_eq!(at(&before, ours), Some(node(node_name)), "{node_name}");
        checked += 1;
    }
    // Gauges move a little between the reads: within what they moved from before to after,
    // plus a margin.
    let mut near = |what: &str, theirs: f64, path: &str, margin: f64| {
        let (lo, hi) = (at(&before, path).unwrap(), at(&after, path).unwrap());
        let (lo, hi) = (lo.min(hi) - margin, lo.max(hi) + margin);
        assert!(
            lo <= theirs && theirs <= hi,
            "{what}: node_exporter {theirs}, procfast {lo} … {hi}"
        );
        checked += 1;
    };
    const MIB: f64 = 1024.0 * 1024.0;
    for (node_name, ours) in [
        ("node_memory_MemFree_bytes", "memory_bytes/free"),
        ("node_memory_MemAvailable_bytes", "memory_bytes/available"),
        ("node_memory_Buffers_bytes", "memory_bytes/buffers"),
        ("node_memory_Cached_bytes", "memory_bytes/cached"),
        ("node_memory_SwapFree_bytes", "memory_bytes/swap_free"),
    ] {
        near(node_name, node(node_name), ours, 64.0 * MIB);
    }
    for (k, node_name) in ["node_load1", "node_load5", "node_load15"]
        .iter()
        .enumerate()
    {
        near(node_name, node(node_name), &format!("load/{k}"), 0.5);
    }
    near(
        "node_filefd_allocated",
        node("node_filefd_allocated"),
        "file_nr/allocated",
        64.0,
    );
    near(
        "node_sockstat_sockets_used",
        node("node_sockstat_sockets_used"),
        "sockstat/sockets_used",
        16.0,
    );
    near(
        "node_sockstat_TCP_inuse",
        node("node_sockstat_TCP_inuse"),
        "sockstat/tcp_inuse",
        16.0,
    );
    near(
        "node_sockstat_TCP_tw",
        node("node_sockstat_TCP_tw"),
        "sockstat/tcp_tw",
        16.0,
    );
    // Uptime: node_exporter's clock less its boot time (whole seconds).
    let uptime = node("node_time_seconds") - node("node_boot_time_seconds");
    near("uptime", uptime, "uptime_seconds", 2.0);
    println!("{checked} figures agree with node_exporter ({cpus} CPUs, {devices} disks, {interfaces} interfaces)");
}

#[test]
fn text_and_errors() {
    let out = Command::new(env!("CARGO_BIN_EXE_procfast"))
        .arg("host")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for part in [
        "cpu ",
        "memory ",
        "load ",
        "pressure ",
        "paging ",
        "net ",
        "files ",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(part)),
            "no {part:?} line in\n{text}"
        );
    }
    // Not a procfs: one line, exit 1.
    let out = Command::new(env!("CARGO_BIN_EXE_procfast"))
        .args(["host", "--procfs", "/tmp"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("procfast: --procfs /tmp:") && err.lines().count() == 1,
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_procfast"))
        .args(["host", "--bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
