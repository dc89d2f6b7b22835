//! `cargo xtask scan-bench`: cold listings of every process, as a user runs them (a process
//! from spawn to exit, its output read to the end), against `ps` and the exporters, on this
//! host. At serve-bench's population (2,000 more processes, 200 of them with 20 threads): the
//! syscalls each listing makes per task it lists (strace's summary), `procfast top` and `ps`
//! timed in the same rounds, and `serve --threads` against process-exporter with its threads.
//! Then hosts of 100 to 20,000 processes (sleepers added to what runs): the time per process
//! of `top`, a warm serve scrape, `ps`, process-exporter and node_exporter's processes
//! collector. Rounds rotate; ratios are medians of per-round ratios. Needs root, strace, ps,
//! python3, process-exporter and node_exporter.

use crate::bench_host::{
    self, rss_of, Exporter, Scrape, Scratch, ALL_BY_COMM, SLEEPERS, THREADED, THREADS_EACH,
};
use crate::format::{fmt_bytes, fmt_ns, fmt_ratio, fmt_scrape, group_digits};
use crate::report::{Report, Table};
use crate::running::{find_in_path, release_procfast};
use crate::strace::{self, Syscalls};
use crate::timing::{median_of, median_ratio, rounds_of};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Rounds of the paired listings at 2,000 processes.
const LISTING_ROUNDS: usize = 15;
/// Rounds of the thread scrapes at 2,000 processes.
const THREAD_SCRAPE_ROUNDS: usize = 11;
/// Scrapes of each exporter before its timed ones.
const WARM_SCRAPES: usize = 3;
/// The hosts of the scaling table, in processes, and the rounds at each.
const SIZES: [(usize, usize); 4] = [(100, 7), (1_000, 7), (5_000, 7), (20_000, 7)];
/// How far a cost per process may move from its figure at 1,000 processes and still be flat.
const FLAT: f64 = 0.3;

/// A metric every scrape of serve and process-exporter carries, and one of every thread scrape.
const GROUP_METRIC: &str = "namedprocess_namegroup_num_procs";
const THREAD_METRIC: &str = "namedprocess_namegroup_thread_count";
/// A metric of node_exporter's processes collector.
const NODE_METRIC: &str = "node_processes_pids";

/// The programs the benchmark runs.
struct Programs {
    procfast: PathBuf,
    strace: PathBuf,
    ps: PathBuf,
    process_exporter: PathBuf,
    node_exporter: PathBuf,
}

/// A command that lists every process (or every thread) of the host.
struct Listing<'a> {
    program: &'a Path,
    args: &'static [&'static str],
    threads: bool,
}

impl Listing<'_> {
    /// How the section writes the command: `procfast top -n 15`.
    fn shown(&self) -> String {
        let name = self
            .program
            .file_name()
            .unwrap_or_default()
            .to_string_lossy();
        format!("`{name} {}`", self.args.join(" "))
    }

    /// What /proc shows of what it lists, now: processes, or threads.
    fn tasks_on_host(&self) -> usize {
        if self.threads {
            bench_host::threads_on_host()
        } else {
            bench_host::processes_on_host()
        }
    }

    /// Runs it once, its stdout a pipe read to the end: the time from spawn to exit. It must
    /// succeed and list at least half of `expected` tasks.
    fn run(&self, expected: usize) -> Result<Duration, String> {
        let started = Instant::now();
        let output = Command::new(self.program)
            .args(self.args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("running {}: {e}", self.shown()))?;
        let took = started.elapsed();
        if !output.status.success() {
            return Err(format!(
                "{} failed ({}): {}",
                self.shown(),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let listed = self.listed(&String::from_utf8_lossy(&output.stdout));
        if listed.unwrap_or(0) * 2 < expected {
            return Err(format!(
                "{} listed {listed:?} tasks where /proc shows {expected}",
                self.shown()
            ));
        }
        Ok(took)
    }

    /// Runs it once under `strace -f -c`: the tasks /proc showed right before, and the summary.
    fn trace(&self, strace: &Path, scratch: &Scratch) -> Result<(usize, Syscalls), String> {
        let tasks = self.tasks_on_host();
        let summary = strace::trace(strace, self.program, self.args, &self.shown(), scratch)?;
        Ok((tasks, summary))
    }

    /// The tasks its output says it listed: `top`'s `scanned N` (text or JSON), or `ps`'s lines
    /// below its header.
    fn listed(&self, stdout: &str) -> Option<usize> {
        if self.program.ends_with("ps") {
            return stdout.lines().count().checked_sub(1);
        }
        let after = &stdout[stdout.find("scanned")? + "scanned".len()..];
        let digits = after.trim_start_matches(|c: char| !c.is_ascii_digit());
        let end = digits
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(digits.len());
        digits[..end].parse().ok()
    }
}

fn seconds(times: &[Duration]) -> Vec<f64> {
    times.iter().map(Duration::as_secs_f64).collect()
}

/// The syscall table at the population.
fn syscall_table(programs: &Programs, scratch: &Scratch) -> Result<String, String> {
    let top = &programs.procfast;
    let ps = &programs.ps;
    let listings = [
        Listing {
            program: top,
            args: &["top", "-n", "15"],
            threads: false,
        },
        Listing {
            program: top,
            args: &["top", "--json", "-n", "1"],
            threads: false,
        },
        Listing {
            program: top,
            args: &["top", "--threads", "-n", "15"],
            threads: true,
        },
        Listing {
            program: ps,
            args: &["-eo", "pid,comm,nlwp,rss,time"],
            threads: false,
        },
        Listing {
            program: ps,
            args: &["-eLo", "pid,lwp,comm,rss,time"],
            threads: true,
        },
    ];
    let mut table = Table::new(
        &[
            "command",
            "tasks listed",
            "syscalls per task",
            "per task, by syscall",
        ],
        "lrrl",
    );
    for listing in &listings {
        let (tasks, summary) = listing.trace(&programs.strace, scratch)?;
        let kind = if listing.threads {
            "threads"
        } else {
            "processes"
        };
        table.row([
            listing.shown(),
            format!("{} {kind}", group_digits(tasks as u64)),
            format!("{:.2}", summary.total as f64 / tasks.max(1) as f64),
            strace::breakdown(&summary, tasks),
        ]);
    }
    Ok(format!(
        "**Syscalls per task listed** (`strace -f -c`, every syscall of the run from `execve` \
         to exit, over the processes or threads /proc showed right before it):\n\n{}\n",
        table.finish()
    ))
}

/// `top` and `ps` listing every process, and every thread, in the same rounds.
fn paired_listings(programs: &Programs) -> Result<String, String> {
    let listing = |program, args, threads| Listing {
        program,
        args,
        threads,
    };
    let (top, ps) = (programs.procfast.as_path(), programs.ps.as_path());
    let contenders = [
        listing(top, &["top", "-n", "15"], false),
        listing(ps, &["-eo", "pid,comm,nlwp,rss,time"], false),
        listing(top, &["top", "--threads", "-n", "15"], true),
        listing(ps, &["-eLo", "pid,lwp,comm,rss,time"], true),
    ];
    let expected: Vec<usize> = contenders.iter().map(|c| c.tasks_on_host()).collect();
    let times = rounds_of(LISTING_ROUNDS, contenders.len(), |k| {
        contenders[k].run(expected[k])
    })?;
    let times: Vec<Vec<f64>> = times.iter().map(|t| seconds(t)).collect();
    let mut table = Table::new(
        &["`procfast`", "time", "`ps`", "time", "ps ÷ procfast"],
        "lrlrr",
    );
    for pair in [0, 2] {
        let (ours, theirs) = (&times[pair], &times[pair + 1]);
        table.row([
            format!(
                "{} ({} {})",
                contenders[pair].shown(),
                group_digits(expected[pair] as u64),
                if contenders[pair].threads {
                    "threads"
                } else {
                    "processes"
                }
            ),
            fmt_scrape(median_of(ours)),
            contenders[pair + 1].shown(),
            fmt_scrape(median_of(theirs)),
            format!("{:.2}×", median_ratio(theirs, ours, 1e-9)),
        ]);
    }
    Ok(format!(
        "**`top` against `ps`** ({LISTING_ROUNDS} rotated rounds of the four commands; each \
         from spawn to exit, its stdout a pipe read to the end; medians):\n\n{}\n",
        table.finish()
    ))
}

/// `serve --threads` against process-exporter with its threads, both on every process by
/// comm, warm, a scrape each a round.
fn thread_scrapes(programs: &Programs, config: &str) -> Result<String, String> {
    let flags = [
        "-config.path",
        config,
        "-threads=true",
        "-gather-smaps=false",
    ];
    let serve_args: Vec<&str> = std::iter::once("serve").chain(flags).collect();
    let exporters = [
        Exporter::start("`procfast serve`", &programs.procfast, &serve_args)?,
        Exporter::start(
            "process-exporter 0.7.10",
            &programs.process_exporter,
            &flags,
        )?,
    ];
    for exporter in &exporters {
        for _ in 0..WARM_SCRAPES {
            exporter.checked_scrape(THREAD_METRIC)?;
        }
    }
    let scrapes = rounds_of(THREAD_SCRAPE_ROUNDS, exporters.len(), |k| {
        exporters[k].checked_scrape(THREAD_METRIC)
    })?;
    let (wall, cpu) = Scrape::seconds(&scrapes);
    let mut table = Table::new(
        &["exporter", "scrape latency", "CPU per scrape", "response"],
        "lrrr",
    );
    for (k, exporter) in exporters.iter().enumerate() {
        let bytes: Vec<f64> = scrapes[k].iter().map(|s| s.body.len() as f64).collect();
        table.row([
            exporter.name.to_string(),
            fmt_scrape(median_of(&wall[k])),
            fmt_scrape(median_of(&cpu[k])),
            fmt_bytes(median_of(&bytes) as u64),
        ]);
    }
    Ok(format!(
        "**`serve` against process-exporter, both with threads** (`-config.path` of every \
         process by comm, `-threads=true -gather-smaps=false`, the same flags for both; \
         {WARM_SCRAPES} scrapes each first, then {THREAD_SCRAPE_ROUNDS} rotated rounds of a \
         scrape each, timed from the request to the last byte; CPU is the exporter's \
         `schedstat`; medians):\n\n{}\nprocess-exporter ÷ serve, median of the rounds: latency \
         {}, CPU {}.\n\n",
        table.finish(),
        fmt_ratio(median_ratio(&wall[1], &wall[0], 1e-9)),
        fmt_ratio(median_ratio(&cpu[1], &cpu[0], 1e-9)),
    ))
}

/// The contenders of the scaling table.
const CONTENDERS: [&str; 5] = [
    "`procfast top -n 15`",
    "`serve`, warm scrape",
    "`ps -eo pid,comm,nlwp,rss,time`",
    "process-exporter scrape",
    "node_exporter scrape (processes collector)",
];

/// One host of the scaling table: the processes /proc showed, the rounds, each contender's
/// median time (seconds, in [`CONTENDERS`]' order), serve's resident memory after its
/// scrapes, and the processes and syscalls of one traced `top` run.
struct Size {
    processes: usize,
    rounds: usize,
    medians: [f64; 5],
    serve_rss: i64,
    top_syscalls: (usize, u64),
}

impl Size {
    /// Contender `k`'s median time per process, in seconds.
    fn per_process(&self, k: usize) -> f64 {
        self.medians[k] / self.processes.max(1) as f64
    }
}

/// Every host of [`SIZES`], each grown from the last by sleepers.
fn scaling(programs: &Programs, config: &str, scratch: &Scratch) -> Result<Vec<Size>, String> {
    let mut crowd = bench_host::sleepers(0)?;
    let top = Listing {
        program: &programs.procfast,
        args: &["top", "-n", "15"],
        threads: false,
    };
    let ps = Listing {
        program: &programs.ps,
        args: &["-eo", "pid,comm,nlwp,rss,time"],
        threads: false,
    };
    let mut sizes = Vec::new();
    for (size, rounds) in SIZES {
        let have = bench_host::processes_on_host();
        if have < size {
            crowd.extend(bench_host::sleepers(size - have)?);
        }
        eprintln!("scan-bench: {} processes", group_digits(size as u64));
        let serve = Exporter::start(
            "serve",
            &programs.procfast,
            &["serve", "-config.path", config],
        )?;
        let peer = Exporter::start(
            "process-exporter",
            &programs.process_exporter,
            &[
                "-config.path",
                config,
                "-threads=false",
                "-gather-smaps=false",
            ],
        )?;
        let node = Exporter::start(
            "node_exporter",
            &programs.node_exporter,
            &["--collector.disable-defaults", "--collector.processes"],
        )?;
        let scraped = [
            (&serve, GROUP_METRIC),
            (&peer, GROUP_METRIC),
            (&node, NODE_METRIC),
        ];
        for (exporter, metric) in scraped {
            for _ in 0..WARM_SCRAPES {
                exporter.checked_scrape(metric)?;
            }
        }
        let processes = bench_host::processes_on_host();
        let times = rounds_of(rounds, CONTENDERS.len(), |k| match k {
            0 => top.run(processes),
            1 => serve.checked_scrape(GROUP_METRIC).map(|s| s.wall),
            2 => ps.run(processes),
            3 => peer.checked_scrape(GROUP_METRIC).map(|s| s.wall),
            _ => node.checked_scrape(NODE_METRIC).map(|s| s.wall),
        })?;
        let medians = [0, 1, 2, 3, 4].map(|k| median_of(&seconds(&times[k])));
        let (traced, summary) = top.trace(&programs.strace, scratch)?;
        sizes.push(Size {
            processes,
            rounds,
            medians,
            serve_rss: rss_of(serve.pid()),
            top_syscalls: (traced, summary.total),
        });
    }
    drop(crowd);
    Ok(sizes)
}

/// Whether a contender's cost per process stays within ±[`FLAT`] of its figure at the first
/// host of 1,000 processes or more, on every host from there on, and if not, how far it moves.
fn flatness(name: &str, costs: &[(usize, f64)]) -> String {
    let from = costs.iter().position(|&(n, _)| n >= 1_000).unwrap_or(0);
    let (Some(&(first_n, base)), Some(&(last_n, last))) = (costs.get(from), costs.last()) else {
        return format!("{name}: not measured.");
    };
    let span = format!(
        "from {} to {} processes",
        group_digits(first_n as u64),
        group_digits(last_n as u64)
    );
    let ratio = |c: f64| c / base.max(1e-12);
    let outside = costs[from..]
        .iter()
        .filter(|&&(_, c)| (ratio(c) - 1.0).abs() > FLAT)
        .max_by(|a, b| {
            (ratio(a.1) - 1.0)
                .abs()
                .total_cmp(&(ratio(b.1) - 1.0).abs())
        });
    let path = format!(
        "{} → {} per process",
        fmt_ns(base * 1e9),
        fmt_ns(last * 1e9)
    );
    match outside {
        None => format!(
            "{name}: flat {span} ({path}, within ±{:.0}%).",
            FLAT * 100.0
        ),
        Some(&(worst_n, worst)) => {
            let moved = if last > base { "grows" } else { "falls to" };
            let mut text = format!("{name}: {moved} {} {span} ({path})", fmt_ratio(ratio(last)));
            if worst_n != last_n {
                let _ = write!(
                    text,
                    "; the furthest from its figure at {} is {} at {}",
                    group_digits(first_n as u64),
                    fmt_ratio(ratio(worst)),
                    group_digits(worst_n as u64)
                );
            }
            text.push('.');
            text
        }
    }
}

/// The scaling table and what it says.
fn scaling_section(sizes: &[Size]) -> String {
    let mut header = vec!["processes on the host", "rounds"];
    header.extend(CONTENDERS);
    header.push("serve's RSS");
    let mut table = Table::new(&header, "rrrrrrrr");
    for size in sizes {
        let mut row = vec![group_digits(size.processes as u64), size.rounds.to_string()];
        for k in 0..CONTENDERS.len() {
            row.push(format!(
                "{} ({})",
                fmt_ns(size.per_process(k) * 1e9),
                fmt_scrape(size.medians[k])
            ));
        }
        row.push(fmt_bytes(size.serve_rss.max(0) as u64));
        table.row(row);
    }
    let mut md = format!(
        "**Time per process as the host grows** (`sleep 3600`s added to what runs; serve, \
         process-exporter and node_exporter started anew at each size, each scraped \
         {WARM_SCRAPES} times first; rotated rounds of the five; a cell is the median time ÷ the \
         processes on the host, the median itself in brackets; serve and process-exporter on \
         every process by comm, process-exporter with `-threads=false -gather-smaps=false` as \
         serve runs by default; node_exporter with `--collector.disable-defaults \
         --collector.processes`; serve's RSS is its `VmRSS` after its scrapes):\n\n{}\n",
        table.finish()
    );
    for (k, name) in CONTENDERS.iter().enumerate() {
        let costs: Vec<(usize, f64)> = sizes
            .iter()
            .map(|s| (s.processes, s.per_process(k)))
            .collect();
        let _ = writeln!(md, "- {}", flatness(name, &costs));
    }
    md.push_str(&syscall_slope(sizes));
    if let Some(last) = sizes.last() {
        let _ = writeln!(
            md,
            "\nserve's resident memory at {} processes: {}.",
            group_digits(last.processes as u64),
            fmt_bytes(last.serve_rss.max(0) as u64)
        );
    }
    md
}

/// What a process adds to `top`'s syscalls as the host grows, apart from what every run costs
/// (starting, listing /proc, the rows shown).
fn syscall_slope(sizes: &[Size]) -> String {
    let runs: Vec<(usize, u64)> = sizes.iter().map(|s| s.top_syscalls).collect();
    let counts: Vec<String> = runs
        .iter()
        .map(|&(n, calls)| {
            format!(
                "{} at {} ({:.2} a process)",
                group_digits(calls),
                group_digits(n as u64),
                calls as f64 / n.max(1) as f64
            )
        })
        .collect();
    let mut md = format!(
        "\n`procfast top -n 15`'s syscalls (`strace -f -c`, one run at each host): {}.",
        counts.join(", ")
    );
    if let Some((per_process, fixed)) = strace::slope(&runs) {
        let _ = write!(
            md,
            " Each process the host gains adds {per_process:.2}; the rest, about {fixed:.0} \
             syscalls a run, is its start, its listing of /proc and the rows it shows."
        );
    }
    md.push('\n');
    md
}

/// Measures and writes the section.
pub fn run(report: &Report) -> Result<(), String> {
    report.publish("scan-bench", &measure(report)?)
}

/// A program the benchmark needs, or the error that says how to install it.
fn needed(names: &[&str], package: &str) -> Result<PathBuf, String> {
    names.iter().find_map(|n| find_in_path(n)).ok_or_else(|| {
        format!(
            "scan-bench needs {} on PATH (apt-get install {package})",
            names.join(" or ")
        )
    })
}

/// The section's markdown; an error where the benchmark cannot run here (not root, a program
/// missing) or a command or exporter fails.
pub fn measure(report: &Report) -> Result<String, String> {
    if !rustix::process::geteuid().is_root() {
        return Err(
            "scan-bench needs root, so that every listing and exporter reads every process's \
             files"
                .into(),
        );
    }
    let started = Instant::now();
    needed(&["python3"], "python3")?;
    needed(&["sleep"], "coreutils")?;
    let mut programs = Programs {
        procfast: PathBuf::new(),
        strace: needed(&["strace"], "strace")?,
        ps: needed(&["ps"], "procps")?,
        process_exporter: needed(
            &["prometheus-process-exporter"],
            "prometheus-process-exporter",
        )?,
        node_exporter: needed(
            &["prometheus-node-exporter", "node_exporter"],
            "prometheus-node-exporter",
        )?,
    };
    programs.procfast = release_procfast(report.root())?;
    let scratch = Scratch::new("scan-bench")?;
    let config = scratch.write("all.yaml", ALL_BY_COMM)?;

    eprintln!("scan-bench: starting the population");
    let population = bench_host::population()?;
    let mut md = format!(
        "At {} processes on the host: {} `sleep 3600`s and {THREADED} python3 processes of \
         {THREADS_EACH} threads each added to what runs.\n\n",
        group_digits(bench_host::processes_on_host() as u64),
        group_digits(SLEEPERS as u64),
    );
    eprintln!("scan-bench: tracing the listings");
    md.push_str(&syscall_table(&programs, &scratch)?);
    eprintln!("scan-bench: timing the listings");
    md.push_str(&paired_listings(&programs)?);
    eprintln!("scan-bench: scraping threads");
    md.push_str(&thread_scrapes(&programs, &config)?);
    drop(population);

    let sizes = scaling(&programs, &config, &scratch)?;
    md.push_str(&scaling_section(&sizes));
    eprintln!(
        "scan-bench: measured in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(md)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_count_tops_footer_and_ps_lines() {
        let top = Listing {
            program: Path::new("/x/procfast"),
            args: &[],
            threads: false,
        };
        let ps = Listing {
            program: Path::new("/usr/bin/ps"),
            args: &[],
            threads: false,
        };
        assert_eq!(
            top.listed("PID\nscanned 2071 processes, 0 vanished"),
            Some(2071)
        );
        assert_eq!(
            top.listed("{\"complete\":true,\"scanned\":2071,"),
            Some(2071)
        );
        assert_eq!(top.listed("no footer"), None);
        assert_eq!(ps.listed("PID COMMAND\n1 init\n2 kthreadd\n"), Some(2));
    }

    #[test]
    fn flat_costs_are_called_flat_and_growing_ones_say_how_much() {
        let flat = [(100, 9e-6), (1_000, 5e-6), (5_000, 5.5e-6), (20_000, 6e-6)];
        assert_eq!(
            flatness("x", &flat),
            "x: flat from 1,000 to 20,000 processes (5.00 µs → 6.00 µs per process, within ±30%)."
        );
        let grows = [(1_000, 5e-6), (5_000, 10e-6), (20_000, 20e-6)];
        assert_eq!(
            flatness("y", &grows),
            "y: grows 4.0× from 1,000 to 20,000 processes (5.00 µs → 20.0 µs per process)."
        );
        let bump = [(1_000, 5e-6), (5_000, 10e-6), (20_000, 6e-6)];
        assert!(flatness("z", &bump).ends_with("is 2.0× at 5,000."));
        let falls = [(1_000, 5e-6), (20_000, 3e-6)];
        assert!(flatness("w", &falls).starts_with("w: falls to 0.60× from 1,000"));
    }
}
