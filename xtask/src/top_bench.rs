//! `cargo xtask top-bench`: what `serve --top 10` adds to a scrape, at serve-bench's population
//! (2,000 more processes). Four serves scraped in the same rotated rounds: with and without
//! `--top 10`, under a config that groups every process by comm and under one that groups
//! none of them (where every process is an ignored one, whose CPU, memory and fds `--top`
//! makes the scan read besides its parent). A scrape is timed from the request to the last
//! byte, with the serve's CPU time over it; the cost is the median of the per-round ratios.
//! Needs root (to read every process as an operator's serve does).

use crate::bench_host::{self, Exporter, Scrape, Scratch, ALL_BY_COMM};
use crate::format::{fmt_bytes, fmt_scrape, group_digits};
use crate::report::{Report, Table};
use crate::running::release_procfast;
use crate::timing::{median_of, median_ratio, rounds_of};

/// Rounds of a scrape of each serve.
const ROUNDS: usize = 41;
/// Scrapes of each serve before its timed ones: its handles kept, its groups known.
const WARM_SCRAPES: usize = 3;
/// The N of `--top`.
const TOP: &str = "10";
/// The most `--top` may add to a scrape, as a share of it.
const ALLOWED: f64 = 0.05;
/// A config whose only entry matches no process of the host.
const NONE_GROUPED: &str = "process_names:\n  - name: \"none\"\n    comm: [pf-no-such]\n";
/// A family every `--top` scrape carries.
const TOP_METRIC: &str = "procfast_top_process_open_fds";

pub fn run(report: &Report) -> Result<(), String> {
    report.publish("top-bench", &measure(report)?)
}

/// The section's markdown; an error where the benchmark cannot run here or a serve fails.
pub fn measure(report: &Report) -> Result<String, String> {
    if !rustix::process::geteuid().is_root() {
        return Err("top-bench needs root, so that serve reads every process".into());
    }
    let procfast = release_procfast(report.root())?;
    let scratch = Scratch::new("top-bench")?;
    let configs = [
        (
            "every process by comm",
            scratch.write("all.yaml", ALL_BY_COMM)?,
        ),
        (
            "no process grouped",
            scratch.write("none.yaml", NONE_GROUPED)?,
        ),
    ];
    eprintln!("top-bench: starting the population");
    let population = bench_host::population()?;
    let processes = bench_host::processes_on_host();
    // For each config, a serve without `--top` then one with it.
    let mut serves = Vec::new();
    for (_, config) in &configs {
        let plain = ["serve", "-config.path", config];
        serves.push(Exporter::start("serve", &procfast, &plain)?);
        let top = ["serve", "-config.path", config, "--top", TOP];
        serves.push(Exporter::start("serve --top 10", &procfast, &top)?);
    }
    let metric = |k: usize| match k % 2 {
        0 => "procfast_scrape_complete",
        _ => TOP_METRIC,
    };
    for (k, serve) in serves.iter().enumerate() {
        for _ in 0..WARM_SCRAPES {
            serve.checked_scrape(metric(k))?;
        }
    }
    eprintln!("top-bench: {ROUNDS} rounds of four scrapes");
    let scrapes = rounds_of(ROUNDS, serves.len(), |k| {
        serves[k].checked_scrape(metric(k))
    })?;
    drop(population);
    let (wall, cpu) = Scrape::seconds(&scrapes);
    let mut table = Table::new(
        &[
            "config",
            "serve",
            "scrape latency",
            "CPU per scrape",
            "response",
            "cost of `--top 10`",
        ],
        "llrrrl",
    );
    let mut verdicts = Vec::new();
    for (c, (what, _)) in configs.iter().enumerate() {
        let (plain, top) = (2 * c, 2 * c + 1);
        let latency = median_ratio(&wall[top], &wall[plain], 1e-9) - 1.0;
        let cpu_cost = median_ratio(&cpu[top], &cpu[plain], 1e-9) - 1.0;
        for k in [plain, top] {
            let bytes: Vec<f64> = scrapes[k].iter().map(|s| s.body.len() as f64).collect();
            let cost = match k == top {
                true => format!("latency {}, CPU {}", percent(latency), percent(cpu_cost)),
                false => String::new(),
            };
            table.row([
                what.to_string(),
                format!("`{}`", serves[k].name),
                fmt_scrape(median_of(&wall[k])),
                fmt_scrape(median_of(&cpu[k])),
                fmt_bytes(median_of(&bytes) as u64),
                cost,
            ]);
        }
        let within = latency <= ALLOWED && cpu_cost <= ALLOWED;
        verdicts.push(format!(
            "{what}: {} the {:.0}% allowed",
            if within { "within" } else { "over" },
            ALLOWED * 100.0
        ));
    }
    Ok(format!(
        "At {} processes on the host (serve-bench's population added to what runs): four \
         warm serves ({WARM_SCRAPES} scrapes each first), then {ROUNDS} rotated rounds of a \
         scrape each, timed from the request to the last byte; CPU is the serve's \
         `schedstat` over the scrape; medians, and the cost as the median of the per-round \
         ratios with `--top 10` ÷ without.\n\n{}\n{}.\n\n",
        group_digits(processes as u64),
        table.finish(),
        verdicts.join("; "),
    ))
}

/// A cost as a signed percentage.
fn percent(share: f64) -> String {
    format!("{:+.1}%", share * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_are_signed_percentages() {
        assert_eq!(percent(0.0312), "+3.1%");
        assert_eq!(percent(-0.004), "-0.4%");
    }
}
