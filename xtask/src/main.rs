//! procfast's dev tooling: `cargo xtask <task> [--dry-run]` (the alias is in
//! `.cargo/config.toml`). One module per task; what they share is in `report` (BENCHMARKS.md's
//! sections, plots, tables), `timing` (rotated rounds, medians), `format` and `alloc`.
//!
//! The report tasks measure on this machine and write their markdown into BENCHMARKS.md between
//! markers each owns, `<!-- <task>:begin -->` and `<!-- <task>:end -->`, and print it;
//! `--dry-run` checks the markers and writes nothing (plots go to a temporary directory).

mod alloc;
mod bench_host;
mod bench_report;
mod format;
// The tests' helper processes; the tests use what xtask does not.
#[allow(dead_code)]
#[path = "../../tests/support/helper.rs"]
mod helper;
mod msrv;
mod paired_opens;
#[path = "../../tests/support/python.rs"]
mod python;
mod report;
mod running;
mod scan_bench;
mod scrapers_bench;
mod serve_bench;
#[path = "../../benches/shared/stat_fields.rs"]
mod stat_fields;
mod strace;
mod tcp_bench;
mod timing;
mod top_bench;

use std::process::ExitCode;

/// A task: its name, whether it writes a section of BENCHMARKS.md, and what it does.
struct Task {
    name: &'static str,
    report: bool,
    what: &'static str,
}

const TASKS: &[Task] = &[
    Task {
        name: "bench-report",
        report: true,
        what: "criterion's medians (run `cargo bench` first), allocations, paired walks and \
               parsers, docs/fd_count.svg; then serve-bench, scan-bench, top-bench and tcp-bench. Minutes.",
    },
    Task {
        name: "serve-bench",
        report: true,
        what: "`procfast serve` against process-exporter at ~1M fds and 2,000 processes, \
               docs/serve.svg. Root and prometheus-process-exporter; several minutes.",
    },
    Task {
        name: "scan-bench",
        report: true,
        what: "cold listings: `procfast top` against `ps` (syscalls per process, paired \
               times), serve --threads against process-exporter, and the cost per process of \
               top, serve, ps, process-exporter and node_exporter from 100 to 20,000 processes. \
               Root, strace, both exporters; about 10 minutes.",
    },
    Task {
        name: "scrapers-bench",
        report: true,
        what: "`procfast serve` answering 1, 2, 3 and 5 scrapers at once, each with a 0.1 s \
               timeout, on 3,000 more processes. About a minute.",
    },
    Task {
        name: "tcp-bench",
        report: true,
        what: "TCP connections by state and fds by kind against the procfs crate, ss and \
               psutil. About a minute.",
    },
    Task {
        name: "top-bench",
        report: true,
        what: "what `serve --top 10` adds to a scrape at 2,000 processes, paired, with every \
               process grouped and with none. Root; about a minute.",
    },
    Task {
        name: "paired-opens",
        report: true,
        what: "the cost of the mount checks on opens below /proc, paired. Seconds.",
    },
    Task {
        name: "msrv",
        report: false,
        what: "no dependency of procfast or procfast-cli declares a newer rust-version than \
               they do (CI runs it). Seconds.",
    },
];

fn usage() -> String {
    let mut text = String::from(
        "usage: cargo xtask <task> [--dry-run]\n\n\
         The report tasks write their section of BENCHMARKS.md and print it; --dry-run checks \
         its markers and writes nothing.\n\ntasks:\n",
    );
    for task in TASKS {
        let writes = if task.report { " (BENCHMARKS.md)" } else { "" };
        text.push_str(&format!("  {:<14} {}{writes}\n", task.name, task.what));
    }
    text
}

fn main() -> ExitCode {
    // This binary re-executed as a helper process holding fds (see tests/support/helper.rs).
    if helper::in_helper() {
        helper::helper_main();
        return ExitCode::SUCCESS;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dry_run = args.iter().any(|a| a == "--dry-run");
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--dry-run")
        .collect();
    let task = match words.as_slice() {
        ["-h" | "--help" | "help"] => {
            print!("{}", usage());
            return ExitCode::SUCCESS;
        }
        [task] if TASKS.iter().any(|t| t.name == *task) => *task,
        _ => {
            eprint!("{}", usage());
            return ExitCode::from(2);
        }
    };
    let report = report::Report::new(dry_run);
    let outcome = match task {
        "bench-report" => bench_report::run(&report),
        "serve-bench" => serve_bench::run(&report),
        "scan-bench" => scan_bench::run(&report),
        "scrapers-bench" => scrapers_bench::run(&report),
        "tcp-bench" => tcp_bench::run(&report),
        "top-bench" => top_bench::run(&report),
        "paired-opens" => paired_opens::run(&report),
        _ => msrv::run(),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{task}: {e}");
            ExitCode::FAILURE
        }
    }
}
