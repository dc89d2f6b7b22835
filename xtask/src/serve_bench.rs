//! `cargo xtask serve-bench`: `procfast serve` against process-exporter (Debian's
//! `prometheus-process-exporter`, 0.7.10) on the same host in the same moments: scrape latency,
//! the exporter's CPU per scrape and the kernel's slab growth per scrape, at ~1M fds (50
//! processes at the per-process limit) and at 2,000 processes (200 of them with 20 threads),
//! then the exporters' memory after 100 scrapes. Each round scrapes both, in rotating order;
//! ratios are medians of per-round ratios. Needs root (to drop the dentry cache between
//! scrapes, so that each scrape pays for the dentries it makes) and both binaries.

use crate::common;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process killed and reaped on drop.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One exporter under test: its name, process and address.
struct Exporter {
    name: &'static str,
    process: Running,
    address: String,
}

/// What one scrape cost.
#[derive(Clone, Copy, Debug)]
struct Cost {
    wall: Duration,
    cpu: Duration,
    slab_bytes: i64,
    bytes: usize,
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .ok()
        .and_then(|l| l.local_addr().ok())
        .map_or(0, |a| a.port())
}

/// The CPU time a process has used, summed over its threads, to the nanosecond: the first field
/// of each thread's `schedstat` (the clock-tick counts of `stat` are too coarse for a scrape of
/// a few milliseconds).
fn cpu_of(pid: u32) -> Duration {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Duration::ZERO;
    };
    let nanos: u64 = tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|s| s.split(' ').next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}

/// A field of /proc/meminfo, in bytes.
fn meminfo_bytes(key: &str) -> i64 {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse::<i64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn rss_of(pid: u32) -> i64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse::<i64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Frees the dentry and inode caches, so a scrape pays for the dentries it makes.
fn drop_dentries() {
    let _ = std::fs::write("/proc/sys/vm/drop_caches", "2");
}

/// One HTTP/1.0 GET of /metrics over a plain socket (std only; a 60 s timeout announced).
fn get(address: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .ok()?;
    let request = format!(
        "GET /metrics HTTP/1.0\r\nHost: {address}\r\nX-Prometheus-Scrape-Timeout-Seconds: 60\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.").then(|| body.to_string())
}

fn scrape(exporter: &Exporter) -> Cost {
    drop_dentries();
    let pid = exporter.process.0.id();
    let (slab, cpu) = (meminfo_bytes("Slab"), cpu_of(pid));
    let started = Instant::now();
    let body = get(&exporter.address).unwrap_or_default();
    let wall = started.elapsed();
    Cost {
        wall,
        cpu: cpu_of(pid).saturating_sub(cpu),
        slab_bytes: meminfo_bytes("Slab") - slab,
        bytes: body.len(),
    }
}

fn start(name: &'static str, program: &Path, args: &[String]) -> Option<Exporter> {
    let port = free_port();
    let address = format!("127.0.0.1:{port}");
    let mut command = Command::new(program);
    match name {
        "procfast serve" => command.args(["serve", "--listen", &address]),
        _ => command.arg(format!("-web.listen-address={address}")),
    };
    let process = Running(
        command
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?,
    );
    let exporter = Exporter {
        name,
        process,
        address,
    };
    // Ready once it answers; its start-up scan is done by then.
    let deadline = Instant::now() + Duration::from_secs(120);
    while get(&exporter.address).is_none() {
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(exporter)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

fn fmt_ms(d: f64) -> String {
    if d >= 0.1 {
        format!("{:.2} s", d)
    } else {
        format!("{:.1} ms", d * 1e3)
    }
}

/// Scrapes both exporters `rounds` times in rotating order and writes a table; returns each
/// exporter's median latency and CPU per scrape, in seconds.
fn compare(md: &mut String, title: &str, exporters: &[Exporter], rounds: usize) -> Vec<(f64, f64)> {
    let mut costs: Vec<Vec<Cost>> = vec![Vec::new(); exporters.len()];
    for round in 0..rounds {
        for k in 0..exporters.len() {
            let which = (round + k) % exporters.len();
            costs[which].push(scrape(&exporters[which]));
        }
    }
    let _ = writeln!(
        md,
        "**{title}** ({rounds} rounds, dentry cache dropped before each scrape)\n\n\
         | exporter | scrape latency | CPU per scrape (schedstat) | slab growth per scrape | response |\n\
         |---|---:|---:|---:|---:|"
    );
    let mut medians = Vec::new();
    for (e, c) in exporters.iter().zip(&costs) {
        let wall = median(c.iter().map(|c| c.wall.as_secs_f64()).collect());
        let cpu = median(c.iter().map(|c| c.cpu.as_secs_f64()).collect());
        medians.push((wall, cpu));
        let slab = median(c.iter().map(|c| c.slab_bytes as f64).collect());
        let bytes = median(c.iter().map(|c| c.bytes as f64).collect());
        let _ = writeln!(
            md,
            "| {} | {} | {} | {:.1} MiB | {:.0} KiB |",
            e.name,
            fmt_ms(wall),
            fmt_ms(cpu),
            slab / (1024.0 * 1024.0),
            bytes / 1024.0
        );
    }
    if costs.len() == 2 {
        let ratio = |f: &dyn Fn(&Cost) -> f64| {
            median(
                costs[1]
                    .iter()
                    .zip(&costs[0])
                    .map(|(peer, ours)| f(peer) / f(ours).max(1e-6))
                    .collect(),
            )
        };
        let _ = writeln!(
            md,
            "\nprocess-exporter ÷ procfast, median of the rounds: latency {:.0}×, CPU {:.0}×.\n",
            ratio(&|c| c.wall.as_secs_f64()),
            ratio(&|c| c.cpu.as_secs_f64()),
        );
    }
    medians
}

/// A config naming every process by its comm (process-exporter's all.yaml).
const ALL_BY_COMM: &str = "process_names:\n  - name: \"{{.Comm}}\"\n    cmdline: ['.+']\n";

pub fn run(root: &Path) -> Result<String, String> {
    if !rustix::process::geteuid().is_root() {
        return Err("serve-bench needs root (it drops the dentry cache between scrapes)".into());
    }
    let peer = find_in_path("prometheus-process-exporter").ok_or(
        "no prometheus-process-exporter on PATH (apt-get install prometheus-process-exporter)",
    )?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let built = Command::new(cargo)
        .args(["build", "--release", "--quiet", "-p", "procfast-cli"])
        .current_dir(root)
        .status()
        .map_err(|e| e.to_string())?;
    if !built.success() {
        return Err("building procfast-cli failed".into());
    }
    let procfast = root.join("target/release/procfast");
    let dir = std::env::temp_dir().join(format!("procfast-serve-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let config = dir.join("all.yaml");
    std::fs::write(&config, ALL_BY_COMM).map_err(|e| e.to_string())?;
    let config = config.display().to_string();
    let start_both = || -> Result<Vec<Exporter>, String> {
        let ours = start(
            "procfast serve",
            &procfast,
            &["--config".into(), config.clone()],
        )
        .ok_or("procfast serve did not start")?;
        let theirs = start(
            "process-exporter 0.7.10",
            &peer,
            &[format!("-config.path={config}")],
        )
        .ok_or("process-exporter did not start")?;
        Ok(vec![ours, theirs])
    };
    let mut md = String::new();

    // ~1M fds: 50 processes at the per-process limit.
    let per = common::most_fds();
    let holders: Vec<_> = (0..50).map(|_| common::Helper::holding_fds(per)).collect();
    let exporters = start_both()?;
    let title = format!(
        "{} processes × {per} fds ({} fds)",
        holders.len(),
        holders.len() * per
    );
    let at_fds = compare(&mut md, &title, &exporters, 5);
    drop(exporters);
    drop(holders);

    // 2,000 processes, 200 of them with 20 threads.
    let sleepers: Vec<_> = (0..1_800)
        .filter_map(|_| {
            Command::new("sleep")
                .arg("3600")
                .stdin(Stdio::null())
                .spawn()
                .ok()
                .map(Running)
        })
        .collect();
    let threaded: Vec<_> = (0..200)
        .filter_map(|_| {
            Command::new("python3")
                .args([
                    "-c",
                    "import threading,time\n\
                     [threading.Thread(target=time.sleep,args=(3600,),daemon=True).start() for _ in range(19)]\n\
                     time.sleep(3600)",
                ])
                .stdin(Stdio::null())
                .spawn()
                .ok()
                .map(Running)
        })
        .collect();
    std::thread::sleep(Duration::from_secs(3));
    let exporters = start_both()?;
    let title = format!(
        "{} extra processes, {} of them with 20 threads",
        sleepers.len() + threaded.len(),
        threaded.len()
    );
    let at_procs = compare(&mut md, &title, &exporters, 5);
    let svg = root.join("serve.svg");
    match plot(
        &svg,
        &[("~1M fds", &at_fds), ("2,000 processes", &at_procs)],
    ) {
        Ok(()) => {
            let _ = writeln!(
                md,
                "![procfast serve against process-exporter](serve.svg)\n"
            );
        }
        Err(e) => eprintln!("serve-bench: drawing {}: {e}", svg.display()),
    }
    // procfast top's cold listing of the same host, for the warm scrape to be held against.
    let mut top = Vec::new();
    let mut warm = Vec::new();
    for _ in 0..5 {
        let out = Command::new(&procfast)
            .args(["top", "--json", "-n", "1"])
            .output();
        let micros = out
            .ok()
            .and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok())
            .and_then(|v| v["micros"].as_f64())
            .unwrap_or(0.0);
        top.push(micros / 1e6);
        let body = get(&exporters[0].address).unwrap_or_default();
        let duration = body
            .lines()
            .find_map(|l| l.strip_prefix("procfast_scrape_duration_seconds "))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0);
        warm.push(duration);
    }
    let (top, warm) = (median(top), median(warm));
    let _ = writeln!(
        md,
        "A warm scrape's scan and grouping (procfast_scrape_duration_seconds) took {}, \
         `procfast top`'s cold scan of the same host {}: {:.2}×.\n",
        fmt_ms(warm),
        fmt_ms(top),
        warm / top.max(1e-9)
    );
    for _ in 0..100 {
        for e in &exporters {
            let _ = get(&e.address);
        }
    }
    let _ = writeln!(md, "| exporter | RSS after 100 scrapes |\n|---|---:|");
    for e in &exporters {
        let _ = writeln!(
            md,
            "| {} | {:.1} MiB |",
            e.name,
            rss_of(e.process.0.id()) as f64 / (1024.0 * 1024.0)
        );
    }
    drop(exporters);
    drop(threaded);
    drop(sleepers);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(md)
}

/// `serve.svg`: scrape latency and CPU per scrape of both exporters in each scenario, as bars
/// on a log scale (medians of the rounds).
fn plot(
    path: &Path,
    scenarios: &[(&str, &Vec<(f64, f64)>)],
) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    let root = SVGBackend::new(path, (900, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let bars = scenarios.len() * 4;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "One scrape: procfast serve against process-exporter 0.7.10 (log scale)",
            ("sans-serif", 20),
        )
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..bars as f64 + 1.0, (1e-4f64..10.0).log_scale())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .disable_x_axis()
        .y_desc("seconds per scrape")
        .y_label_formatter(&|y| fmt_ms(*y))
        .label_style(("sans-serif", 13))
        .draw()?;
    let colors = [RGBColor(0x1f, 0x77, 0xb4), RGBColor(0xd6, 0x27, 0x28)];
    let names = ["procfast serve", "process-exporter"];
    for (i, (scenario, medians)) in scenarios.iter().enumerate() {
        for (j, (wall, cpu)) in medians.iter().enumerate().take(2) {
            for (k, (value, what)) in [(*wall, "latency"), (*cpu, "CPU")].into_iter().enumerate() {
                let x = (i * 4 + k * 2 + j) as f64 + 0.6;
                let style = if k == 0 {
                    colors[j].filled()
                } else {
                    colors[j].mix(0.45).filled()
                };
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x, 1e-4), (x + 0.8, value.max(1e-4))],
                    style,
                )))?;
                chart.draw_series(std::iter::once(Text::new(
                    format!("{what} {}", fmt_ms(value)),
                    (x, value.max(1e-4) * 1.4),
                    ("sans-serif", 11),
                )))?;
            }
            if i == 0 {
                chart
                    .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())?
                    .label(names[j])
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 12, y + 5)], colors[j].filled())
                    });
            }
        }
        chart.draw_series(std::iter::once(Text::new(
            scenario.to_string(),
            ((i * 4) as f64 + 1.2, 1.6e-4),
            ("sans-serif", 15),
        )))?;
    }
    chart
        .configure_series_labels()
        // Above the bars: none reaches 10 s.
        .position(SeriesLabelPosition::UpperMiddle)
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .draw()?;
    root.present()?;
    Ok(())
}
