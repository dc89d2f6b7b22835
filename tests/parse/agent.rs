//! The per-process files an agent reads beyond the collector's, file by file (`schedstat`,
//! `cgroup`, the single values of `oom_score`, `oom_score_adj` and `/proc/sys`, `environ`,
//! `status`'s `NSpid`), then all of them at once:
//!
//! - **Unit tests** on this machine's files (`tests/fixtures`) and on odd hand-made ones.
//! - **Round trips**: random values rendered the way the kernel prints them parse back.
//! - **Live**: every process on this machine, its files compared with the `procfs` crate's
//!   parsers on the very same bytes.
//! - **Differential**: on mutated fixtures, noise and arbitrary bytes the parsers agree with the
//!   naive, allocating, `String`-based oracles written here, and never panic.
//! - **No allocation**: every parser, accessor and iterator over real, odd and bad files.

use crate::support::alloc::assert_runs_allocate_nothing;
use crate::support::fixtures::{CGROUP, CGROUP_PID1, CMDLINE, OOM_SCORE_ADJ, SCHEDSTAT, STATUS};
use crate::support::mutations::{config, edits, mutate, noise};
use crate::support::truth::{pids, read_unless_gone};
use procfast::parse::{self, cgroup, cmdline::Cmdline, schedstat, value};
use procfast::Error;
use procfs::FromRead;
use proptest::prelude::*;
use std::path::Path;

// ---------------------------------------------------------------------------------------------
// What the oracles share

/// `String::from_utf8_lossy`, owned: the oracles work on `String`s, and the parsers' results
/// are compared after the same conversion (it keeps every ASCII byte, and so every delimiter,
/// where it was).
fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The file's text without its final newline; `None` if there is none (or no text at all).
fn body(buf: &[u8]) -> Option<String> {
    lossy(buf).strip_suffix('\n').map(str::to_owned)
}

/// Decimal digits only, at least one, no overflow.
fn strict_u64(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// [`strict_u64`] with an optional leading `-`.
fn strict_i64(s: &str) -> Option<i64> {
    match s.strip_prefix('-') {
        Some(digits) => i64::try_from(-i128::from(strict_u64(digits)?)).ok(),
        None => i64::try_from(strict_u64(s)?).ok(),
    }
}

fn blank_words(s: &str) -> impl Iterator<Item = &str> {
    s.split([' ', '\t']).filter(|w| !w.is_empty())
}

// ---------------------------------------------------------------------------------------------
// schedstat

fn oracle_schedstat(buf: &[u8]) -> Option<(u64, u64, u64)> {
    let body = body(buf)?;
    let mut words = blank_words(&body);
    Some((
        strict_u64(words.next()?)?,
        strict_u64(words.next()?)?,
        strict_u64(words.next()?)?,
    ))
}

fn ours_schedstat(buf: &[u8]) -> Option<(u64, u64, u64)> {
    let s = schedstat::parse(buf).ok()?;
    Some((s.cpu_time_ns, s.run_delay_ns, s.timeslices))
}

#[test]
fn schedstat_fixture_values() {
    let text = std::str::from_utf8(SCHEDSTAT).unwrap();
    let words: Vec<u64> = text
        .split_whitespace()
        .map(|w| w.parse().unwrap())
        .collect();
    let s = schedstat::parse(SCHEDSTAT).unwrap();
    assert_eq!(vec![s.cpu_time_ns, s.run_delay_ns, s.timeslices], words);
    assert_eq!(s.cpu_time_seconds(), s.cpu_time_ns as f64 / 1e9);
    assert_eq!(s.run_delay_seconds(), s.run_delay_ns as f64 / 1e9);
    let odd = schedstat::parse(b"18446744073709551615\t0  7 99 new\n").unwrap();
    assert_eq!(
        (odd.cpu_time_ns, odd.run_delay_ns, odd.timeslices),
        (u64::MAX, 0, 7)
    );
    assert_eq!(
        schedstat::parse(b"1 2 3x\n"),
        Err(Error::parse("schedstat", "pcount"))
    );
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn schedstat_round_trips(v in prop::array::uniform3(any::<u64>()), sep in "[ \t]{1,3}") {
        let text = format!("{}{sep}{}{sep}{}\n", v[0], v[1], v[2]);
        let s = schedstat::parse(text.as_bytes()).unwrap();
        prop_assert_eq!([s.cpu_time_ns, s.run_delay_ns, s.timeslices], v);
    }
}

fn check_schedstat(bytes: &[u8], what: &str, t: &mut Tally) {
    let ours = schedstat::parse(bytes).unwrap_or_else(|e| panic!("{what}: {e}: {bytes:?}"));
    let theirs = procfs::process::Schedstat::from_read(bytes).unwrap();
    assert_eq!(
        (ours.cpu_time_ns, ours.run_delay_ns, ours.timeslices),
        (theirs.sum_exec_runtime, theirs.run_delay, theirs.pcount),
        "{what}"
    );
    assert_eq!(ours_schedstat(bytes), oracle_schedstat(bytes), "{what}");
    t.compared += 1;
}

// ---------------------------------------------------------------------------------------------
// cgroup

/// A cgroup v1 host's file as a container sees it: several hierarchies, controllers sharing
/// one, a named hierarchy, paths with colons (a path is split at the first two only), a path
/// above the cgroup namespace's root, and the v2 line last.
const CGROUP_V1: &[u8] = b"12:cpu,cpuacct:/docker/0123abcd:ef\n\
11:name=systemd:/system.slice/docker-1.scope\n\
10:memory:/a::b:\n\
4:net_cls,net_prio:/../..\n\
0::/user.slice/user-0.slice/session-1.scope\n";

/// One cgroup line: id, raw controller list, its controllers, path.
type CgroupLine = (u32, String, Vec<String>, String);

fn oracle_cgroup(buf: &[u8]) -> Option<Vec<CgroupLine>> {
    body(buf)?
        .split('\n')
        .map(|line| {
            let mut parts = line.splitn(3, ':');
            let id = u32::try_from(strict_u64(parts.next()?)?).ok()?;
            let list = parts.next()?;
            let path = parts.next()?;
            let controllers = list.split(',').filter(|c| !c.is_empty());
            Some((
                id,
                list.to_owned(),
                controllers.map(str::to_owned).collect(),
                path.to_owned(),
            ))
        })
        .collect()
}

fn ours_cgroup(buf: &[u8]) -> Option<Vec<CgroupLine>> {
    let cgroups = cgroup::parse(buf).ok()?;
    Some(
        cgroups
            .iter()
            .map(|c| {
                (
                    c.hierarchy_id,
                    lossy(c.controller_list),
                    c.controllers().map(lossy).collect(),
                    lossy(c.path),
                )
            })
            .collect(),
    )
}

/// What `v2_path` and `v1_path(controller)` should answer, from the oracle's lines.
fn oracle_paths(lines: &[CgroupLine], controller: &str) -> (Option<String>, Option<String>) {
    let v2 = lines
        .iter()
        .find(|(id, list, _, _)| *id == 0 && list.is_empty())
        .map(|l| l.3.clone());
    let v1 = lines
        .iter()
        .find(|(id, _, names, _)| *id != 0 && names.iter().any(|n| n == controller))
        .map(|l| l.3.clone());
    (v2, v1)
}

#[test]
fn cgroup_v1_with_several_hierarchies_and_colons_in_paths() {
    let c = cgroup::parse(CGROUP_V1).unwrap();
    let lines: Vec<_> = c.iter().collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0].hierarchy_id, 12);
    assert_eq!(
        lines[0].controllers().collect::<Vec<_>>(),
        [&b"cpu"[..], b"cpuacct"]
    );
    assert_eq!(lines[0].path, b"/docker/0123abcd:ef");
    assert_eq!(lines[2].path, b"/a::b:");
    assert!(!lines[0].is_v2() && lines[4].is_v2());
    assert_eq!(
        c.v1_path(b"name=systemd"),
        Some(&b"/system.slice/docker-1.scope"[..])
    );
    assert_eq!(c.v1_path(b"net_prio"), Some(&b"/../.."[..]));
    assert_eq!(c.v1_path(b"pids"), None);
    assert_eq!(
        c.v2_path(),
        Some(&b"/user.slice/user-0.slice/session-1.scope"[..])
    );
    // A v2-only host: the one line.
    let v2 = cgroup::parse(b"0::/system.slice/sshd.service\n").unwrap();
    assert_eq!(v2.v2_path(), Some(&b"/system.slice/sshd.service"[..]));
    assert_eq!(v2.iter().next().unwrap().controllers().count(), 0);
    // This machine's (hybrid) files.
    for fixture in [CGROUP, CGROUP_PID1] {
        let c = cgroup::parse(fixture).unwrap();
        let lines = fixture.iter().filter(|&&b| b == b'\n').count();
        assert_eq!(c.iter().count(), lines);
        assert!(c.iter().all(|l| l.path.starts_with(b"/")));
    }
    for (bad, field) in [
        (&b"0::/\n:cpu:/\n"[..], "hierarchy-ID"),
        (b"4294967296:cpu:/\n", "hierarchy-ID"),
        (b"+1:cpu:/\n", "hierarchy-ID"),
        (b"1 :cpu:/\n", "hierarchy-ID"),
        (b"1-cpu-/\n", "hierarchy-ID"),
        (b"1:cpu\n", "controller-list"),
        (b"", "empty"),
        (b"0::/", "newline"),
    ] {
        assert_eq!(
            cgroup::parse(bad),
            Err(Error::parse("cgroup", field)),
            "{bad:?}"
        );
    }
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn cgroup_round_trips(
        lines in prop::collection::vec(
            (any::<u32>(), prop::collection::vec("[a-z_=]{1,10}", 0..4), "/[a-zA-Z0-9:._/ -]{0,24}"),
            1..8,
        )
    ) {
        let text: String = lines
            .iter()
            .map(|(id, controllers, path)| format!("{id}:{}:{path}\n", controllers.join(",")))
            .collect();
        let c = cgroup::parse(text.as_bytes()).unwrap();
        let back: Vec<(u32, Vec<String>, String)> = c
            .iter()
            .map(|l| (l.hierarchy_id, l.controllers().map(lossy).collect(), lossy(l.path)))
            .collect();
        prop_assert_eq!(back, lines);
    }
}

// ---------------------------------------------------------------------------------------------
// Single values: oom_score, oom_score_adj, /proc/sys

fn oracle_value_u64(buf: &[u8]) -> Option<u64> {
    strict_u64(&body(buf)?)
}

fn oracle_value_i64(buf: &[u8]) -> Option<i64> {
    strict_i64(&body(buf)?)
}

#[test]
fn single_values_negative_and_sysctl() {
    assert_eq!(value::i32(b"-1000\n", "oom_score_adj"), Ok(-1000));
    assert_eq!(value::i64(b"-17\n", "oom_score_adj"), Ok(-17));
    assert_eq!(
        value::u32(b"-1\n", "oom_score"),
        Err(Error::parse("oom_score", "value"))
    );
    assert_eq!(
        value::u64(b"9223372036854775807\n", "fs/file-max"),
        Ok(i64::MAX as u64)
    );
    let text = std::str::from_utf8(OOM_SCORE_ADJ).unwrap();
    assert_eq!(
        value::i32(OOM_SCORE_ADJ, "oom_score_adj"),
        Ok(text.trim_end().parse().unwrap())
    );
    for file in [
        "/proc/sys/kernel/pid_max",
        "/proc/sys/fs/file-max",
        "/proc/sys/fs/nr_open",
    ] {
        let Ok(bytes) = std::fs::read(file) else {
            continue;
        };
        let want: u64 = std::str::from_utf8(&bytes).unwrap().trim().parse().unwrap();
        assert_eq!(value::u64(&bytes, "sysctl"), Ok(want), "{file}");
    }
    // A file of several numbers is not a single value.
    if let Ok(printk) = std::fs::read("/proc/sys/kernel/printk") {
        assert_eq!(
            value::u64(&printk, "printk"),
            Err(Error::parse("printk", "value"))
        );
    }
    assert_eq!(value::i64(b"", "f"), Err(Error::parse("f", "empty")));
    assert_eq!(value::i64(b"-1", "f"), Err(Error::parse("f", "newline")));
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn values_round_trip(u: u64, i: i64) {
        prop_assert_eq!(value::u64(format!("{u}\n").as_bytes(), "f"), Ok(u));
        prop_assert_eq!(value::i64(format!("{i}\n").as_bytes(), "f"), Ok(i));
        let (u32v, i32v) = (u as u32, i as i32);
        prop_assert_eq!(value::u32(format!("{u32v}\n").as_bytes(), "f"), Ok(u32v));
        prop_assert_eq!(value::i32(format!("{i32v}\n").as_bytes(), "f"), Ok(i32v));
    }
}

// ---------------------------------------------------------------------------------------------
// environ

/// An environment as `environ` holds it: values with `=`, an empty value, a string without
/// `=` (skipped by `vars`), an empty string.
const ENVIRON: &[u8] = b"HOME=/root\0OPTS=-Da=b=c\0EMPTY=\0no-equals\0\0PATH=/usr/bin:/bin\0";

fn oracle_vars(buf: &[u8]) -> Vec<(String, String)> {
    if buf.is_empty() {
        return Vec::new();
    }
    let text = lossy(buf);
    let text = text.strip_suffix('\0').unwrap_or(&text);
    text.split('\0')
        .filter_map(|s| s.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn ours_vars(buf: &[u8]) -> Vec<(String, String)> {
    Cmdline::new(buf)
        .vars()
        .map(|(k, v)| (lossy(k), lossy(v)))
        .collect()
}

#[test]
fn environ_vars() {
    let vars: Vec<_> = Cmdline::new(ENVIRON).vars().collect();
    assert_eq!(
        vars,
        [
            (&b"HOME"[..], &b"/root"[..]),
            (b"OPTS", b"-Da=b=c"),
            (b"EMPTY", b""),
            (b"PATH", b"/usr/bin:/bin"),
        ]
    );
    // Every string is still there as an argument, the one without `=` included.
    assert_eq!(Cmdline::new(ENVIRON).args().count(), 6);
    // An empty environment (`env -i`, a kernel thread) has no variables.
    assert_eq!(Cmdline::new(b"").vars().count(), 0);
    assert!(Cmdline::new(b"").is_empty());
    // A last string without its NUL is kept.
    assert_eq!(
        Cmdline::new(b"A=1\0B=2").vars().collect::<Vec<_>>(),
        [(&b"A"[..], &b"1"[..]), (b"B", b"2")]
    );
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn environ_round_trips(
        vars in prop::collection::vec(("[A-Za-z_][A-Za-z0-9_]{0,10}", "[ -~]{0,16}"), 0..8)
    ) {
        let bytes: Vec<u8> = vars
            .iter()
            .flat_map(|(k, v)| format!("{k}={v}\0").into_bytes())
            .collect();
        prop_assert_eq!(ours_vars(&bytes), vars);
    }
}

#[test]
fn environ_of_every_readable_process_agrees_with_procfs() {
    let mut compared = 0;
    for pid in pids() {
        let Some(bytes) =
            read_unless_gone(&Path::new("/proc").join(pid.to_string()).join("environ"))
        else {
            continue;
        };
        let Ok(theirs) = procfs::process::Process::new(pid as i32).and_then(|p| p.environ()) else {
            continue;
        };
        // procfs keeps the last of a repeated name, as a map does.
        let ours: std::collections::HashMap<_, _> = Cmdline::new(&bytes)
            .vars()
            .map(|(k, v)| {
                use std::os::unix::ffi::OsStrExt;
                (
                    std::ffi::OsStr::from_bytes(k).to_os_string(),
                    std::ffi::OsStr::from_bytes(v).to_os_string(),
                )
            })
            .collect();
        assert_eq!(ours, theirs, "pid {pid}");
        assert_eq!(ours_vars(&bytes), oracle_vars(&bytes), "pid {pid}");
        compared += 1;
    }
    assert!(compared > 0);
}

// ---------------------------------------------------------------------------------------------
// status's NSpid

/// `NSpid` of a status file the parser accepted: `None` for an error, `Some(None)` for no line,
/// else the pids of the last `NSpid` line.
fn oracle_nspid(buf: &[u8]) -> Option<Option<Vec<i32>>> {
    let body = body(buf)?;
    let value = body
        .split('\n')
        .filter_map(|line| line.split_once(':'))
        .rfind(|(key, _)| *key == "NSpid")
        .map(|(_, v)| v.strip_prefix('\t').unwrap_or(v).to_owned());
    let Some(value) = value else {
        return Some(None);
    };
    let pids: Vec<i32> = blank_words(&value)
        .map(|w| i32::try_from(strict_u64(w)?).ok().filter(|&p| p > 0))
        .collect::<Option<_>>()?;
    (!pids.is_empty()).then_some(Some(pids))
}

fn ours_nspid(status: &parse::status::Status<'_>) -> Option<Option<Vec<i32>>> {
    status.nspid().ok().map(|p| p.map(Iterator::collect))
}

fn status_with_nspid(line: &str) -> Vec<u8> {
    let text = std::str::from_utf8(STATUS).unwrap();
    assert!(text.contains("\nNSpid:\t1\n"));
    text.replacen("\nNSpid:\t1\n", &format!("\n{line}\n"), 1)
        .into_bytes()
}

#[test]
fn status_nspid() {
    let st = parse::status::parse(STATUS).unwrap();
    assert_eq!(st.nspid().unwrap().unwrap().collect::<Vec<_>>(), [st.pid()]);
    let nested = status_with_nspid("NSpid:\t4321\t17\t1");
    let st = parse::status::parse(&nested).unwrap();
    assert_eq!(
        st.nspid().unwrap().unwrap().collect::<Vec<_>>(),
        [4321, 17, 1]
    );
    let absent = status_with_nspid("NSother:\t1");
    assert!(parse::status::parse(&absent)
        .unwrap()
        .nspid()
        .unwrap()
        .is_none());
    for bad in ["NSpid:\t1 one", "NSpid:\t", "NSpid:\t-1", "NSpid:\t1\t0"] {
        let text = status_with_nspid(bad);
        // `parse` accepts the file; the accessor names the field.
        let st = parse::status::parse(&text).unwrap();
        assert_eq!(
            st.nspid().map(|p| p.map(|p| p.count())),
            Err(Error::parse("status", "NSpid")),
            "{bad}"
        );
    }
    // The fields process exporters read are all there.
    let st = parse::status::parse(STATUS).unwrap();
    assert!(st.voluntary_ctxt_switches().is_some() && st.nonvoluntary_ctxt_switches().is_some());
    assert!(st.vm_swap_bytes().is_some() && st.vm_hwm_bytes().is_some());
    assert!(st.vm_peak_bytes().is_some());
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn nspid_round_trips(pids in prop::collection::vec(1..=i32::MAX, 1..5)) {
        let line: Vec<String> = pids.iter().map(i32::to_string).collect();
        let text = status_with_nspid(&format!("NSpid:\t{}", line.join("\t")));
        let st = parse::status::parse(&text).unwrap();
        prop_assert_eq!(st.nspid().unwrap().unwrap().collect::<Vec<_>>(), pids);
    }
}

// ---------------------------------------------------------------------------------------------
// Every parser here at once

/// Asserts that every parser here agrees with its oracle on `buf`.
fn all_agree(buf: &[u8]) -> Result<(), TestCaseError> {
    prop_assert_eq!(ours_schedstat(buf), oracle_schedstat(buf));
    let lines = ours_cgroup(buf);
    prop_assert_eq!(&lines, &oracle_cgroup(buf));
    if let (Some(lines), Ok(cgroups)) = (lines, cgroup::parse(buf)) {
        for controller in ["cpu", "memory", "name=systemd", "x"] {
            let (v2, v1) = oracle_paths(&lines, controller);
            prop_assert_eq!(cgroups.v2_path().map(lossy), v2);
            prop_assert_eq!(cgroups.v1_path(controller.as_bytes()).map(lossy), v1);
        }
        prop_assert_eq!(cgroups.into_iter().count(), lines.len());
    }
    let (u, i) = (oracle_value_u64(buf), oracle_value_i64(buf));
    prop_assert_eq!(
        (value::u64(buf, "f").ok(), value::i64(buf, "f").ok()),
        (u, i)
    );
    prop_assert_eq!(
        (value::u32(buf, "f").ok(), value::i32(buf, "f").ok()),
        (
            u.and_then(|v| u32::try_from(v).ok()),
            i.and_then(|v| i32::try_from(v).ok())
        )
    );
    prop_assert_eq!(ours_vars(buf), oracle_vars(buf));
    if let Ok(status) = parse::status::parse(buf) {
        prop_assert_eq!(ours_nspid(&status), oracle_nspid(buf));
    }
    Ok(())
}

#[test]
fn fixtures_parse_and_agree_with_the_oracles() {
    for (name, fixture) in [
        ("schedstat", SCHEDSTAT),
        ("cgroup", CGROUP),
        ("cgroup_pid1", CGROUP_PID1),
        ("oom_score_adj", OOM_SCORE_ADJ),
        ("status", STATUS),
        ("cmdline", CMDLINE),
        ("cgroup v1", CGROUP_V1),
        ("environ", ENVIRON),
    ] {
        all_agree(fixture).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // Each fixture is accepted by its parser, not merely rejected by both.
    assert!(ours_schedstat(SCHEDSTAT).is_some());
    for fixture in [CGROUP, CGROUP_PID1, CGROUP_V1] {
        assert!(!ours_cgroup(fixture).unwrap().is_empty());
    }
    assert!(value::i32(OOM_SCORE_ADJ, "oom_score_adj").is_ok());
    assert!(ours_nspid(&parse::status::parse(STATUS).unwrap())
        .unwrap()
        .is_some());
}

/// The characters the formats of this file's fixtures are built of, for [`edits`].
const ALPHABET: &[u8] = b"0123456789 \t\n:,=/-+x\0";

const FIXTURES: &[&[u8]] = &[
    SCHEDSTAT,
    CGROUP,
    CGROUP_PID1,
    OOM_SCORE_ADJ,
    STATUS,
    CGROUP_V1,
    ENVIRON,
    CMDLINE,
];

/// Runs every parser here, and everything its result offers, over `buf`: it must neither panic
/// nor allocate. Returns a sum of what they gave, so that nothing is optimised away.
fn exercise(buf: &[u8]) -> u64 {
    let mut sum = 0u64;
    let mut add = |v: u64| sum = sum.wrapping_add(v);
    if let Ok(s) = schedstat::parse(buf) {
        add(s.cpu_time_ns ^ s.run_delay_ns ^ s.timeslices);
        add((s.cpu_time_seconds() + s.run_delay_seconds()) as u64);
    }
    if let Ok(c) = cgroup::parse(buf) {
        for line in c.iter() {
            add(u64::from(line.hierarchy_id) + u64::from(line.is_v2()));
            add(line.controllers().map(|n| n.len() as u64).sum());
            add((line.path.len() + line.controller_list.len()) as u64);
        }
        add(c.into_iter().count() as u64);
        add(c.v2_path().map_or(0, |p| p.len() as u64));
        add(c.v1_path(b"memory").map_or(0, |p| p.len() as u64));
        add(c.v1_path(b"name=systemd").map_or(0, |p| p.len() as u64));
    }
    add(value::u64(buf, "f").unwrap_or(0));
    add(value::i64(buf, "f").unwrap_or(0) as u64);
    add(u64::from(value::u32(buf, "f").unwrap_or(0)));
    add(value::i32(buf, "f").unwrap_or(0) as u64);
    let environ = Cmdline::new(buf);
    add(environ
        .vars()
        .map(|(k, v)| (k.len() + v.len()) as u64)
        .sum());
    if let Ok(st) = parse::status::parse(buf) {
        add(st
            .nspid()
            .ok()
            .flatten()
            .map_or(0, |p| p.map(|p| p as u64).sum()));
        add(st.voluntary_ctxt_switches().unwrap_or(0) + st.vm_swap_bytes().unwrap_or(0));
    }
    sum
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn mutated_fixtures_agree(which in 0..FIXTURES.len(), edits in edits(ALPHABET)) {
        let buf = mutate(FIXTURES[which], &edits);
        exercise(&buf);
        all_agree(&buf)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_agree(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        exercise(&bytes);
        all_agree(&bytes)?;
    }

    #[test]
    fn format_shaped_noise_agrees(bytes in noise(b"0123456789 \t\n:,=/-x\0", 120)) {
        exercise(&bytes);
        all_agree(&bytes)?;
    }
}

/// What the zero-allocation test runs every parser here over: the fixtures, then hand-made odd
/// files, bad ones and empty input.
const ALLOCATION_INPUTS: &[&[u8]] = &[
    SCHEDSTAT,
    CGROUP,
    CGROUP_PID1,
    OOM_SCORE_ADJ,
    STATUS,
    CMDLINE,
    b"12:cpu,cpuacct:/docker/ab:cd\n11:name=systemd:/x\n4:net_cls,,net_prio:/a::b:\n0::/u\n",
    b"-1000\n",
    b"18446744073709551615\n",
    b"HOME=/root\0A=b=c\0no-equals\0\0",
    b"1 2 3 4\n",
    b"",
    b"\n",
    b"garbage",
    b"garbage\n",
    b"x:y\n",
    b"1 2 x\n",
    b"0::/\n1\n",
];

#[test]
fn parsers_never_allocate() {
    assert_runs_allocate_nothing(ALLOCATION_INPUTS, exercise);
}

#[derive(Debug, Default)]
struct Tally {
    compared: usize,
    skipped: usize,
}

/// Checks the single-value `file` of `pid` in `dir`, as `ours` reads it, against `theirs` of its
/// trimmed text: procfs reads such files inside `Process` as `from_str_radix(text.trim(), 10)`
/// (what `parse` is), so the same reading, on the same bytes.
fn check_value<T: PartialEq + std::fmt::Debug, E: PartialEq + std::fmt::Debug>(
    dir: &Path,
    pid: u32,
    file: &'static str,
    ours: fn(&[u8], &'static str) -> Result<T, Error>,
    theirs: impl Fn(&str) -> Result<T, E>,
    t: &mut Tally,
) {
    let Some(bytes) = read_unless_gone(&dir.join(file)) else {
        return;
    };
    let ours = ours(&bytes, file).unwrap_or_else(|e| panic!("pid {pid} {file}: {e}: {bytes:?}"));
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(Ok(ours), theirs(text.trim()), "pid {pid} {file}");
    t.compared += 1;
}

#[test]
fn every_process_agrees_with_procfs() {
    let [mut sched, mut cgroups, mut oom, mut adj, mut nspid] = <[Tally; 5]>::default();
    for pid in pids() {
        let dir = Path::new("/proc").join(pid.to_string());
        if let Some(bytes) = read_unless_gone(&dir.join("schedstat")) {
            check_schedstat(&bytes, &format!("pid {pid} schedstat"), &mut sched);
        }
        if let Ok(tasks) = std::fs::read_dir(dir.join("task")) {
            for task in tasks.flatten() {
                if let Some(bytes) = read_unless_gone(&task.path().join("schedstat")) {
                    check_schedstat(&bytes, &format!("{:?} schedstat", task.path()), &mut sched);
                }
            }
        }
        if let Some(bytes) = read_unless_gone(&dir.join("cgroup")) {
            let ours = cgroup::parse(&bytes)
                .unwrap_or_else(|e| panic!("pid {pid} cgroup: {e}: {bytes:?}"));
            match procfs::ProcessCGroups::from_read(&bytes[..]) {
                Ok(theirs) => {
                    let ours: Vec<_> = ours
                        .iter()
                        .map(|c| {
                            (
                                c.hierarchy_id,
                                c.controllers().map(lossy).collect::<Vec<_>>(),
                                lossy(c.path),
                            )
                        })
                        .collect();
                    let theirs: Vec<_> = theirs
                        .into_iter()
                        .map(|c| (c.hierarchy, c.controllers, c.pathname))
                        .collect();
                    assert_eq!(ours, theirs, "pid {pid} cgroup");
                    cgroups.compared += 1;
                }
                Err(_) => cgroups.skipped += 1,
            }
            assert_eq!(ours_cgroup(&bytes), oracle_cgroup(&bytes), "pid {pid}");
        }
        let to_u32 = |text: &str| text.parse::<u16>().map(u32::from);
        check_value(&dir, pid, "oom_score", value::u32, to_u32, &mut oom);
        let to_i32 = |text: &str| text.parse::<i16>().map(i32::from);
        check_value(&dir, pid, "oom_score_adj", value::i32, to_i32, &mut adj);
        if let Some(bytes) = read_unless_gone(&dir.join("status")) {
            let ours = parse::status::parse(&bytes).unwrap();
            match procfs::process::Status::from_read(&bytes[..]) {
                Ok(theirs) => {
                    assert_eq!(
                        ours.nspid().unwrap().map(Iterator::collect::<Vec<_>>),
                        theirs.nspid,
                        "pid {pid} status"
                    );
                    nspid.compared += 1;
                }
                Err(_) => nspid.skipped += 1,
            }
        }
    }
    eprintln!("schedstat {sched:?} cgroup {cgroups:?} oom_score {oom:?} oom_score_adj {adj:?} NSpid {nspid:?}");
    for t in [&sched, &cgroups, &oom, &adj, &nspid] {
        assert!(t.compared > 3, "{t:?}");
    }
}
