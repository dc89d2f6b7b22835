//! The per-process file parsers in the paired table (see `super::paired_parse_table`): `schedstat`,
//! `smaps_rollup` and `cgroup` against procfs-core on the same bytes, procfs-core last in each
//! set.

use procfast::parse;
use procfs::FromRead;
use std::hint::black_box;

const SCHEDSTAT: &[u8] = fixture!("schedstat");
const SMAPS_ROLLUP: &[u8] = fixture!("smaps_rollup");
const CGROUP: &[u8] = fixture!("cgroup");
/// A cgroup v2 host's file: the one line (as in benches/parse_proc_files.rs).
const CGROUP_V2: &[u8] = b"0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-org.gnome.Terminal.slice/vte-spawn-8c2f.scope\n";

/// The contenders for one `cgroup` file: every line, its id, controllers and path, summed.
fn cgroup(fixture: &'static [u8]) -> Vec<(&'static str, super::Batch)> {
    vec![
        (
            "`cgroup`: parse + every line's id, controllers, path",
            super::batch(move || {
                parse::cgroup::parse(black_box(fixture)).map(|c| {
                    c.iter().fold(0usize, |sum, l| {
                        sum + l.hierarchy_id as usize + l.controllers().count() + l.path.len()
                    })
                })
            }),
        ),
        (
            "procfs-core",
            super::batch(move || {
                procfs::ProcessCGroups::from_read(black_box(fixture)).map(|c| {
                    c.0.iter().fold(0usize, |sum, l| {
                        sum + l.hierarchy as usize + l.controllers.len() + l.pathname.len()
                    })
                })
            }),
        ),
    ]
}

/// The sets this module adds to the paired table.
pub fn sets() -> Vec<(&'static str, Vec<(&'static str, super::Batch)>)> {
    vec![
        (
            "`schedstat`",
            vec![
                (
                    "`schedstat`",
                    super::batch(|| {
                        parse::schedstat::parse(black_box(SCHEDSTAT)).map(|s| s.cpu_time_ns)
                    }),
                ),
                (
                    "procfs-core",
                    super::batch(|| {
                        procfs::process::Schedstat::from_read(black_box(SCHEDSTAT))
                            .map(|s| s.sum_exec_runtime)
                    }),
                ),
            ],
        ),
        (
            "`smaps_rollup`",
            vec![
                (
                    "`smaps_rollup`",
                    super::batch(|| {
                        parse::smaps_rollup::parse(black_box(SMAPS_ROLLUP)).map(|s| s.pss_bytes)
                    }),
                ),
                (
                    "procfs-core",
                    super::batch(|| {
                        use procfs::FromBufRead;
                        procfs::process::SmapsRollup::from_buf_read(black_box(SMAPS_ROLLUP)).map(
                            |s| {
                                s.memory_map_rollup
                                    .0
                                    .first()
                                    .map_or(0, |m| m.extension.map.get("Pss").copied().unwrap_or(0))
                            },
                        )
                    }),
                ),
            ],
        ),
        ("`cgroup` (hybrid, 10 lines)", cgroup(CGROUP)),
        ("`cgroup` (v2, 1 line)", cgroup(CGROUP_V2)),
    ]
}
