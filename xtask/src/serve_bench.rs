//! `cargo xtask serve-bench`: `procfast serve` against process-exporter (Debian's
//! `prometheus-process-exporter`, 0.7.10) on the same host in the same moments: scrape latency,
//! the exporter's CPU per scrape and the kernel's slab growth per scrape, at ~1M fds (50
//! processes at the per-process limit) and at 2,000 processes (200 of them with 20 threads),
//! then the exporters' memory after 100 scrapes. Each round scrapes both, in rotating order;
//! ratios are medians of per-round ratios. Needs root (to drop the dentry cache between
//! scrapes, so that each scrape pays for the dentries it makes) and both binaries.

use crate::bench_host::{
    self, get, rss_of, Exporter, Scratch, ALL_BY_COMM, THREADED, THREADS_EACH,
};
use crate::format::fmt_scrape;
use crate::helper;
use crate::report::{Report, Table};
use crate::running::{find_in_path, release_procfast};
use crate::timing::{median_of, median_ratio, rotated};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// What one scrape cost.
#[derive(Clone, Copy, Debug)]
struct Cost {
    wall: Duration,
    cpu: Duration,
    slab_bytes: i64,
    bytes: usize,
}

/// A field of /proc/meminfo, in bytes.
fn meminfo_bytes(key: &str) -> i64 {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse::<i64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Frees the dentry and inode caches, so a scrape pays for the dentries it makes.
fn drop_dentries() {
    let _ = std::fs::write("/proc/sys/vm/drop_caches", "2");
}

fn scrape(exporter: &Exporter) -> Cost {
    drop_dentries();
    let slab = meminfo_bytes("Slab");
    let scrape = exporter.scrape();
    Cost {
        wall: scrape.wall,
        cpu: scrape.cpu,
        slab_bytes: meminfo_bytes("Slab") - slab,
        bytes: scrape.body.len(),
    }
}

/// Scrapes both exporters `rounds` times in rotating order and writes a table; returns each
/// exporter's median latency and CPU per scrape, in seconds.
fn compare(md: &mut String, title: &str, exporters: &[Exporter], rounds: usize) -> Compared {
    let mut costs: Vec<Vec<Cost>> = vec![Vec::new(); exporters.len()];
    rotated(rounds, exporters.len(), |_, which| {
        costs[which].push(scrape(&exporters[which]));
    });
    // One figure of every scrape of exporter `k`.
    let each = |k: usize, f: fn(&Cost) -> f64| -> Vec<f64> { costs[k].iter().map(f).collect() };
    let wall = |c: &Cost| c.wall.as_secs_f64();
    let cpu = |c: &Cost| c.cpu.as_secs_f64();
    let _ = writeln!(
        md,
        "**{title}** ({rounds} rounds, dentry cache dropped before each scrape)\n"
    );
    let mut table = Table::new(
        &[
            "exporter",
            "scrape latency",
            "CPU per scrape (schedstat)",
            "slab growth per scrape",
            "response",
        ],
        "lrrrr",
    );
    let mut medians = Vec::new();
    let mut slabs = Vec::new();
    for (k, e) in exporters.iter().enumerate() {
        let (wall, cpu) = (median_of(&each(k, wall)), median_of(&each(k, cpu)));
        medians.push((wall, cpu));
        let slab = median_of(&each(k, |c| c.slab_bytes as f64));
        slabs.push(slab);
        let bytes = median_of(&each(k, |c| c.bytes as f64));
        table.row([
            e.name.to_string(),
            fmt_scrape(wall),
            fmt_scrape(cpu),
            format!("{:.1} MiB", slab / (1024.0 * 1024.0)),
            format!("{:.0} KiB", bytes / 1024.0),
        ]);
    }
    md.push_str(&table.finish());
    let ratios = (
        median_ratio(&each(1, wall), &each(0, wall), 1e-6),
        median_ratio(&each(1, cpu), &each(0, cpu), 1e-6),
    );
    let _ = writeln!(
        md,
        "\nprocess-exporter ÷ procfast, median of the rounds: latency {:.0}×, CPU {:.0}×.\n",
        ratios.0, ratios.1
    );
    Compared {
        medians,
        ratios,
        slab: slabs.first().copied().unwrap_or(0.0),
    }
}

/// What [`compare`] measured: each exporter's median latency and CPU per scrape (seconds),
/// process-exporter ÷ procfast for both, and procfast's median slab growth (bytes).
struct Compared {
    medians: Vec<(f64, f64)>,
    ratios: (f64, f64),
    slab: f64,
}

/// Rounds of the warm-scrape comparison.
const WARM_ROUNDS: usize = 11;

/// A config naming only the benchmark's threaded python3 processes, as a real config names a
/// few services and leaves the rest of the host ignored.
const NAMED_PYTHON: &str = "process_names:\n  - name: \"{{.Comm}}\"\n    comm: [python3]\n";

/// What each file a warm scrape reads beyond `top`'s costs, per scan of this host: kept
/// scanners of `top`'s fields and of those plus one more source, timed in rotated rounds (two
/// at a time, so their held handles fit the fd limit). The host's processes sleep, so for
/// `status` and `io` this is the cost of finding that they have not run. Returns the table.
fn per_file_costs() -> String {
    use procfast::{Budget, Fields, Scanner};
    use std::ops::ControlFlow;
    let top = Fields::LISTING;
    let extra: [(&str, Fields); 3] = [
        (
            "`status` (context switches, `VmSwap`)",
            Fields::CTXT_SWITCHES | Fields::SWAP,
        ),
        ("`io` (read and write bytes)", Fields::IO),
        ("the fd limit (`prlimit`)", Fields::FD_LIMIT),
    ];
    let mut table = Table::new(&["source", "per scan", "per process"], "lrr");
    // Two kept scanners of every process at once: as many fds as the hard limit allows.
    let nofile = rustix::process::Resource::Nofile;
    let mut limit = rustix::process::getrlimit(nofile);
    limit.current = limit.maximum;
    let _ = rustix::process::setrlimit(nofile, limit);
    let budget = (Scanner::default_fd_budget() * 4).saturating_sub(512) / 2;
    for (name, fields) in extra {
        let scanners = [top, top | fields].map(|f| Scanner::new(f).map(|s| s.keep_handles(budget)));
        let [Ok(mut base), Ok(mut more)] = scanners else {
            table.row([name, "(no scanner)", ""]);
            continue;
        };
        let mut times = [Vec::new(), Vec::new()];
        let mut processes = 0u64;
        rotated(41, 2, |round, which| {
            let scanner = if which == 0 { &mut base } else { &mut more };
            let started = Instant::now();
            let mut n = 0u64;
            let _ = scanner.scan(&Budget::UNLIMITED, |_| {
                n += 1;
                ControlFlow::Continue(())
            });
            // The first rounds open the handles.
            if round >= 2 {
                times[which].push(started.elapsed().as_secs_f64());
            }
            processes = n;
        });
        let growth: Vec<f64> = times[1].iter().zip(&times[0]).map(|(m, b)| m - b).collect();
        let cost = median_of(&growth);
        table.row([
            name.to_string(),
            fmt_scrape(cost),
            format!("{:.2} µs", cost / processes.max(1) as f64 * 1e6),
        ]);
    }
    format!(
        "What each source a scrape reads beyond `top`'s costs (kept scanners, warm; `top`'s \
         fields against `top`'s plus one source, in rotated rounds). These processes sleep: a \
         kept scan reads each one's `schedstat`, finds it has not run since the last scan, and \
         reads neither `status` nor (for a process of one thread) `io`; a process that has run \
         is read for both.\n\n{}\n",
        table.finish()
    )
}

/// Measures and writes the section.
pub fn run(report: &Report) -> Result<(), String> {
    report.publish("serve-bench", &measure(report)?)
}

/// The section's markdown; an error where the benchmark cannot run here (not root, no
/// process-exporter) or an exporter does not start.
pub fn measure(report: &Report) -> Result<String, String> {
    let root = report.root();
    if !rustix::process::geteuid().is_root() {
        return Err("serve-bench needs root (it drops the dentry cache between scrapes)".into());
    }
    let peer = find_in_path("prometheus-process-exporter").ok_or(
        "no prometheus-process-exporter on PATH (apt-get install prometheus-process-exporter)",
    )?;
    let procfast = release_procfast(root)?;
    let dir = Scratch::new("serve-bench")?;
    let config = dir.write("all.yaml", ALL_BY_COMM)?;
    let start_both = || -> Result<Vec<Exporter>, String> {
        let ours = Exporter::start("procfast serve", &procfast, &["serve", "--config", &config])?;
        let config_path = format!("-config.path={config}");
        let theirs = Exporter::start("process-exporter 0.7.10", &peer, &[&config_path])?;
        Ok(vec![ours, theirs])
    };
    let mut md = String::new();

    // ~1M fds: 50 processes at the per-process limit.
    let per = helper::most_fds();
    let holders: Vec<_> = (0..50).map(|_| helper::Helper::holding_fds(per)).collect();
    let exporters = start_both()?;
    let title = format!(
        "{} processes × {per} fds ({} fds)",
        holders.len(),
        holders.len() * per
    );
    let at_fds = compare(&mut md, &title, &exporters, 5);
    let (at_fds_ratios, at_fds_slab) = (at_fds.ratios, at_fds.slab);
    drop(exporters);
    drop(holders);

    // 2,000 processes, 200 of them with 20 threads.
    let population = bench_host::population()?;
    let exporters = start_both()?;
    let title = format!(
        "{} extra processes, {THREADED} of them with {THREADS_EACH} threads",
        population.len()
    );
    let at_procs = compare(&mut md, &title, &exporters, 5);
    let at_procs_ratios = at_procs.ratios;
    let (svg, link) = report.plot("serve.svg");
    match plot(
        &svg,
        &[
            ("~1M fds", &at_fds.medians),
            ("2,000 processes", &at_procs.medians),
        ],
    ) {
        Ok(()) => {
            let _ = writeln!(md, "![procfast serve against process-exporter]({link})\n");
        }
        Err(e) => eprintln!("serve-bench: drawing {}: {e}", svg.display()),
    }
    // procfast top's cold listing of the same host, for the warm scrape to be held against:
    // a warm scrape of every process (all by comm) and one of a config naming the 200
    // threaded processes only (the rest ignored, as most of a real host is), in rotated
    // rounds.
    let named = dir.write("python.yaml", NAMED_PYTHON)?;
    let selective = Exporter::start("procfast serve", &procfast, &["serve", "--config", &named])?;
    let top_cold = || -> f64 {
        let out = Command::new(&procfast)
            .args(["top", "--json", "-n", "1"])
            .output();
        let micros = out
            .ok()
            .and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok())
            .and_then(|v| v["micros"].as_f64())
            .unwrap_or(0.0);
        micros / 1e6
    };
    let warm = |e: &Exporter| -> f64 {
        let body = get(&e.address).unwrap_or_default();
        body.lines()
            .find_map(|l| l.strip_prefix("procfast_scrape_duration_seconds "))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let mut times = [Vec::new(), Vec::new(), Vec::new()];
    rotated(WARM_ROUNDS, 3, |_, which| {
        times[which].push(match which {
            0 => top_cold(),
            1 => warm(&exporters[0]),
            _ => warm(&selective),
        });
    });
    let ratio = |k: usize| median_ratio(&times[k], &times[0], 1e-9);
    let [top, every, some] = [0, 1, 2].map(|k| median_of(&times[k]));
    let (every_ratio, some_ratio) = (ratio(1), ratio(2));
    let mut table = Table::new(&["", "time", "÷ `top` cold"], "lrr");
    table.row([
        "`procfast top --json -n 1`, cold".into(),
        fmt_scrape(top),
        "1".into(),
    ]);
    table.row([
        "`serve`, every process grouped by comm (process-exporter's all.yaml)".into(),
        fmt_scrape(every),
        format!("{every_ratio:.2}×"),
    ]);
    table.row([
        "`serve`, the 200 python3 processes named, the rest ignored".into(),
        fmt_scrape(some),
        format!("{some_ratio:.2}×"),
    ]);
    let _ = writeln!(
        md,
        "**A warm scrape against `procfast top`'s cold listing of the same host** ({WARM_ROUNDS} \
         rotated rounds; the scrape's own `procfast_scrape_duration_seconds`, the listing's \
         `micros`; ratios are medians of per-round ratios)\n\n{}",
        table.finish()
    );
    md.push_str(&per_file_costs());
    drop(selective);
    let verdict = |met: bool| if met { "met" } else { "not met" };
    let (fds_latency, fds_cpu) = at_fds_ratios;
    let (procs_latency, procs_cpu) = at_procs_ratios;
    let mut table = Table::new(&["target", "measured", ""], "lll");
    table.row([
        "≥ 100× faster at ~1M fds".into(),
        format!("latency {fds_latency:.0}×, CPU {fds_cpu:.0}×"),
        verdict(fds_latency >= 100.0).into(),
    ]);
    table.row([
        "slab growth < 16 MiB per scrape".into(),
        format!("{:.1} MiB", at_fds_slab / (1024.0 * 1024.0)),
        verdict(at_fds_slab < 16.0 * 1024.0 * 1024.0).into(),
    ]);
    table.row([
        "≥ 20× less CPU per scrape at 2,000 processes".into(),
        format!("{procs_cpu:.0}× (latency {procs_latency:.0}×)"),
        verdict(procs_cpu >= 20.0).into(),
    ]);
    table.row([
        "a warm scrape at or below `top`'s cold listing".to_string(),
        format!(
            "every process grouped: {every_ratio:.2}×; the usual config naming a few services: \
             {some_ratio:.2}×"
        ),
        if every_ratio <= 1.0 {
            "met"
        } else if some_ratio <= 1.0 {
            "met for a selective config; not with every process grouped"
        } else {
            "not met"
        }
        .into(),
    ]);
    let _ = writeln!(md, "{}", table.finish());
    let mut table = Table::new(&["exporter", "RSS after 100 scrapes"], "lr");
    for e in &exporters {
        table.row([
            e.name.to_string(),
            format!("{:.1} MiB", rss_of(e.pid()) as f64 / (1024.0 * 1024.0)),
        ]);
    }
    md.push_str(&table.finish());
    drop(exporters);
    drop(population);
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
        .y_label_formatter(&|y| fmt_scrape(*y))
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
                    format!("{what} {}", fmt_scrape(value)),
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
