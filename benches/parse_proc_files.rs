//! The per-process file parsers against procfs-core's equivalents on the same bytes:
//! `schedstat` and `cgroup` (this machine's, and a cgroup v2 host's single line). Then, on their
//! own (procfs-core parses these inside `Process` only, from files it reads itself), the single
//! values of `oom_score_adj` and the variables of an `environ`.
//!
//! Each iteration checks a value of its result against one computed before the loop by a plain
//! `str` reading of the same bytes, so nothing can be optimised away or silently fail;
//! throughput is reported in input bytes. Run with `cargo bench --bench parse_proc_files`.

use criterion::{criterion_group, criterion_main, Criterion};
use procfast::parse::{cgroup, cmdline::Cmdline, schedstat, value};
use procfs::FromRead;

#[path = "shared/parse_group.rs"]
mod parse_group;
#[path = "../tests/support/mod.rs"]
mod support;
use parse_group::ParseGroup;
use support::fixtures::{CGROUP, OOM_SCORE_ADJ, SCHEDSTAT};

/// A cgroup v2 host's file: the one line.
const CGROUP_V2: &[u8] = b"0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-org.gnome.Terminal.slice/vte-spawn-8c2f.scope\n";
const ENVIRON: &[u8] = b"SHELL=/bin/bash\0PWD=/home/user/src/procfast\0LOGNAME=user\0HOME=/home/user\0LANG=C.UTF-8\0TERM=xterm-256color\0USER=user\0SHLVL=1\0PATH=/usr/local/bin:/usr/bin:/bin\0_=/usr/bin/env\0";

/// The sum of the hierarchy ids, the number of controllers and of path bytes, by `str` splits:
/// what each contender's result must add up to.
fn cgroup_digest(buf: &[u8]) -> (u64, usize, usize) {
    let text = std::str::from_utf8(buf).unwrap();
    text.lines().fold((0, 0, 0), |(ids, names, paths), line| {
        let mut parts = line.splitn(3, ':');
        let id: u64 = parts.next().unwrap().parse().unwrap();
        let controllers = parts.next().unwrap().split(',').filter(|c| !c.is_empty());
        (
            ids + id,
            names + controllers.count(),
            paths + parts.next().unwrap().len(),
        )
    })
}

fn benches(c: &mut Criterion) {
    let words: Vec<u64> = std::str::from_utf8(SCHEDSTAT)
        .unwrap()
        .split_whitespace()
        .map(|w| w.parse().unwrap())
        .collect();
    let (cpu, slices) = (words[0], words[2]);
    ParseGroup::new(c, "schedstat", SCHEDSTAT)
        .contender("procfast", |bytes| {
            let s = schedstat::parse(bytes).unwrap();
            assert_eq!(s.timeslices, slices);
            s.cpu_time_ns
        })
        .contender("procfs-core", |bytes| {
            let s = procfs::process::Schedstat::from_read(bytes).unwrap();
            assert_eq!(s.pcount, slices);
            s.sum_exec_runtime
        })
        .finish();
    assert!(cpu > 0, "the fixture is of a process that ran");

    for (name, fixture) in [("cgroup", CGROUP), ("cgroup_v2", CGROUP_V2)] {
        let digest = cgroup_digest(fixture);
        ParseGroup::new(c, name, fixture)
            .contender("procfast", |bytes| {
                let cgroups = cgroup::parse(bytes).unwrap();
                let got = cgroups.iter().fold((0, 0, 0), |(ids, names, paths), c| {
                    (
                        ids + u64::from(c.hierarchy_id),
                        names + c.controllers().count(),
                        paths + c.path.len(),
                    )
                });
                assert_eq!(got, digest);
                got
            })
            .contender("procfs-core", |bytes| {
                let cgroups = procfs::ProcessCGroups::from_read(bytes).unwrap();
                let got = cgroups.0.iter().fold((0, 0, 0), |(ids, names, paths), c| {
                    (
                        ids + u64::from(c.hierarchy),
                        names + c.controllers.len(),
                        paths + c.pathname.len(),
                    )
                });
                assert_eq!(got, digest);
                cgroups
            })
            .finish();
    }

    let adj: i32 = std::str::from_utf8(OOM_SCORE_ADJ)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    ParseGroup::new(c, "oom_score_adj", OOM_SCORE_ADJ)
        .contender("procfast", |bytes| {
            let v = value::i32(bytes, "oom_score_adj").unwrap();
            assert_eq!(v, adj);
            v
        })
        .finish();

    let vars = ENVIRON
        .split(|&b| b == 0)
        .filter(|s| s.contains(&b'='))
        .count();
    ParseGroup::new(c, "environ", ENVIRON)
        .contender("procfast-vars", |bytes| {
            let environ = Cmdline::new(bytes);
            let (n, len) = environ
                .vars()
                .fold((0, 0), |(n, len), (k, v)| (n + 1, len + k.len() + v.len()));
            assert_eq!(n, vars);
            len
        })
        .finish();
}

criterion_group!(parsers, benches);
criterion_main!(parsers);
