//! The parsers compared with procfs-core on the same bytes, in the same moments.
//!
//! This machine (a VM) runs for seconds at a time at one of two speeds, and criterion measures
//! one function at a time, so the ratio of two criterion medians can pair one speed with the
//! other (procfs-core's `stat` samples fall in two clusters here, about 0.7 and 1.35 µs). Each
//! round here times a batch of every contender, in rotating order, and a ratio is the median
//! over rounds of that round's ratio. procfs-core is the last contender of each set.

/// The bytes of a fixture under `tests/fixtures/`.
macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/",
            $name
        ))
    };
}

mod host;
mod proc;

use crate::format::fmt_ns;
use crate::report::Table;
use crate::stat_fields;
use crate::timing::{median_of, median_ratio, rotated_rounds};
use std::hint::black_box;
use std::time::Instant;

/// A contender: runs its parser `n` times on its fixture.
pub type Batch = Box<dyn FnMut(usize)>;

/// A [`Batch`] of `parse`, asserting each result and keeping one value of it, so that nothing
/// fails silently or is optimised away.
fn batch<T, E>(parse: impl Fn() -> Result<T, E> + 'static) -> Batch {
    Box::new(move |n| {
        for _ in 0..n {
            let parsed = parse();
            assert!(parsed.is_ok(), "a fixture failed to parse");
            black_box(parsed.ok());
        }
    })
}

/// The table: every set, each contender's median and procfs-core's, and the median of the
/// per-round ratios.
pub fn paired_parse_table() -> String {
    use procfast::parse;
    use procfs::FromRead;
    const ROUNDS: usize = 101;
    const STAT: &[u8] = fixture!("stat");
    const STAT_PID1: &[u8] = fixture!("stat_pid1");
    const STATUS: &[u8] = fixture!("status");
    const LIMITS: &[u8] = fixture!("limits");
    const MEMINFO: &[u8] = fixture!("meminfo");
    let stat = |fixture: &'static [u8]| -> Vec<(&'static str, Batch)> {
        let parsed = move || parse::stat::parse(black_box(fixture));
        vec![
            (
                "`stat`: parse (every field checked)",
                batch(move || parsed().map(|st| st.rss())),
            ),
            (
                "`stat`: parse + the 7 fields an exporter reads",
                batch(move || parsed().map(|st| stat_fields::exporter_fields(&st))),
            ),
            (
                "`stat`: parse + all 49 numbers",
                batch(move || parsed().map(|st| stat_fields::all_fields(&st))),
            ),
            (
                "procfs-core",
                batch(move || {
                    procfs::process::Stat::from_read(black_box(fixture)).map(|st| st.rss)
                }),
            ),
        ]
    };
    let mut sets: Vec<(&str, Vec<(&'static str, Batch)>)> = vec![
        ("`stat` (bash, 333 B)", stat(STAT)),
        ("`stat` (pid 1, 184 B)", stat(STAT_PID1)),
        (
            "`status`",
            vec![
                (
                    "`status`",
                    batch(|| parse::status::parse(black_box(STATUS)).map(|s| s.vm_rss_bytes())),
                ),
                (
                    "procfs-core",
                    batch(|| {
                        procfs::process::Status::from_read(black_box(STATUS)).map(|s| s.vmrss)
                    }),
                ),
            ],
        ),
        (
            "`limits`",
            vec![
                (
                    "`limits`",
                    batch(|| {
                        parse::limits::parse(black_box(LIMITS)).map(|l| l.max_open_files().soft)
                    }),
                ),
                (
                    "procfs-core",
                    batch(|| {
                        procfs::process::Limits::from_read(black_box(LIMITS))
                            .map(|l| l.max_open_files.soft_limit)
                    }),
                ),
            ],
        ),
        (
            "`meminfo`",
            vec![
                (
                    "`meminfo`",
                    batch(|| {
                        parse::meminfo::parse(black_box(MEMINFO)).map(|m| m.mem_total_bytes())
                    }),
                ),
                (
                    "procfs-core",
                    batch(|| procfs::Meminfo::from_read(black_box(MEMINFO)).map(|m| m.mem_total)),
                ),
            ],
        ),
    ];
    sets.extend(proc::sets());
    sets.extend(host::sets());
    let mut table = Table::new(
        &[
            "file",
            "procfast",
            "median",
            "procfs-core",
            "procfs-core ÷ procfast",
        ],
        "llrrr",
    );
    for (file, mut contenders) in sets {
        // Calibrate: a batch of each contender takes about 200 µs.
        let batches: Vec<usize> = contenders
            .iter_mut()
            .map(|(_, run)| {
                let started = Instant::now();
                run(100);
                let per_call = started.elapsed().as_secs_f64() / 100.0;
                ((200e-6 / per_call) as usize).clamp(1, 100_000)
            })
            .collect();
        let count = contenders.len();
        let times = rotated_rounds(ROUNDS, count, |which| {
            contenders[which].1(batches[which]);
            batches[which]
        });
        let reference = &times[count - 1];
        for (k, (name, _)) in contenders.iter().enumerate().take(count - 1) {
            table.row([
                file.to_string(),
                name.to_string(),
                fmt_ns(median_of(&times[k])),
                fmt_ns(median_of(reference)),
                format!("{:.1}×", median_ratio(reference, &times[k], 0.0)),
            ]);
        }
    }
    format!(
        "Parsers against procfs-core in the same moments (each round times a batch of every \
         contender in rotating order; medians of {ROUNDS} rounds, and the median of each round's \
         ratio), since this machine switches between two speeds for seconds at a time and a \
         ratio of two criterion medians can pair one with the other:\n\n{}",
        table.finish()
    )
}
