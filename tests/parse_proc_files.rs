//! The per-process files read through the held handle: `schedstat`, `cgroup`, `oom_score`,
//! `oom_score_adj`, `environ`, `status`'s `NSpid`, links below `/proc/<pid>` and the thread list.
//!
//! 1. **Unit tests** on this machine's files (`tests/fixtures`) and on odd hand-made ones.
//! 2. **Properties**: render random values the way the kernel prints them and parse them back;
//!    arbitrary bytes never panic; on mutated fixtures and noise the parsers agree with naive,
//!    allocating, `String`-based oracles written here.
//! 3. **Live**: every process on this machine, its files compared with the `procfs` crate's
//!    parsers on the very same bytes; and the `Proc` methods on this process, on a helper child
//!    and on a child that exits.

mod common;

use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::ops::ControlFlow;
use std::path::Path;

use procfast::parse::{self, cgroup, cmdline::Cmdline, schedstat, value};
use procfast::{Budget, Error, Proc, Stop};
use procfs::FromRead;
use proptest::prelude::*;

#[path = "shared/mutations.rs"]
mod mutations;
use mutations::{config, edits, mutate};
/// The characters the formats of this file's fixtures are built of, for [`edits`].
const ALPHABET: &[u8] = b"0123456789 \t\n:,=/-+x\0";

const SCHEDSTAT: &[u8] = include_bytes!("fixtures/schedstat");
const CGROUP: &[u8] = include_bytes!("fixtures/cgroup");
const CGROUP_PID1: &[u8] = include_bytes!("fixtures/cgroup_pid1");
const OOM_SCORE_ADJ: &[u8] = include_bytes!("fixtures/oom_score_adj");
const STATUS: &[u8] = include_bytes!("fixtures/status");
const CMDLINE: &[u8] = include_bytes!("fixtures/cmdline");

/// A cgroup v1 host's file as a container sees it: several hierarchies, controllers sharing
/// one, a named hierarchy, paths with colons (a path is split at the first two only), a path
/// above the cgroup namespace's root, and the v2 line last.
const CGROUP_V1: &[u8] = b"12:cpu,cpuacct:/docker/0123abcd:ef\n\
11:name=systemd:/system.slice/docker-1.scope\n\
10:memory:/a::b:\n\
4:net_cls,net_prio:/../..\n\
0::/user.slice/user-0.slice/session-1.scope\n";

/// An environment as `environ` holds it: values with `=`, an empty value, a string without
/// `=` (skipped by `vars`), an empty string.
const ENVIRON: &[u8] = b"HOME=/root\0OPTS=-Da=b=c\0EMPTY=\0no-equals\0\0PATH=/usr/bin:/bin\0";

/// `String::from_utf8_lossy`, owned: the oracles work on `String`s, and the parsers' results
/// are compared after the same conversion (it keeps every ASCII byte, and so every delimiter,
/// where it was).
fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Oracles: the plain reading of each format, allocating freely.

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

fn oracle_value_u64(buf: &[u8]) -> Option<u64> {
    strict_u64(&body(buf)?)
}

fn oracle_value_i64(buf: &[u8]) -> Option<i64> {
    strict_i64(&body(buf)?)
}

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
    let u = oracle_value_u64(buf);
    let i = oracle_value_i64(buf);
    prop_assert_eq!(value::u64(buf, "f").ok(), u);
    prop_assert_eq!(value::i64(buf, "f").ok(), i);
    prop_assert_eq!(
        value::u32(buf, "f").ok(),
        u.and_then(|v| u32::try_from(v).ok())
    );
    prop_assert_eq!(
        value::i32(buf, "f").ok(),
        i.and_then(|v| i32::try_from(v).ok())
    );
    prop_assert_eq!(ours_vars(buf), oracle_vars(buf));
    if let Ok(status) = parse::status::parse(buf) {
        prop_assert_eq!(ours_nspid(&status), oracle_nspid(buf));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Unit tests.

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
    ] {
        assert_eq!(
            cgroup::parse(bad),
            Err(Error::parse("cgroup", field)),
            "{bad:?}"
        );
    }
    assert_eq!(cgroup::parse(b""), Err(Error::parse("cgroup", "empty")));
    assert_eq!(
        cgroup::parse(b"0::/"),
        Err(Error::parse("cgroup", "newline"))
    );
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
        // `parse` accepts the file as it always did; the accessor names the field.
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

// ---------------------------------------------------------------------------------------------
// Properties.

const FIXTURES: [&[u8]; 8] = [
    SCHEDSTAT,
    CGROUP,
    CGROUP_PID1,
    OOM_SCORE_ADJ,
    STATUS,
    CGROUP_V1,
    ENVIRON,
    CMDLINE,
];

/// Every parser, accessor and iterator over `buf`: must not panic. Returns a sum of what they
/// gave, so that nothing is optimised away.
fn exercise(buf: &[u8]) -> u64 {
    let mut values: Vec<u64> = Vec::new();
    if let Ok(s) = schedstat::parse(buf) {
        values.extend([
            s.timeslices,
            s.cpu_time_seconds() as u64,
            s.run_delay_seconds() as u64,
        ]);
    }
    if let Ok(c) = cgroup::parse(buf) {
        for line in c {
            values.extend([
                u64::from(line.hierarchy_id),
                line.controllers().count() as u64,
            ]);
            values.extend([u64::from(line.is_v2()), line.path.len() as u64]);
        }
        values.push(c.v2_path().map_or(0, |p| p.len() as u64));
        values.push(c.v1_path(b"memory").map_or(0, |p| p.len() as u64));
    }
    values.extend([
        value::u64(buf, "f").unwrap_or(0),
        value::i64(buf, "f").unwrap_or(0) as u64,
    ]);
    values.extend([
        u64::from(value::u32(buf, "f").unwrap_or(0)),
        value::i32(buf, "f").unwrap_or(0) as u64,
    ]);
    values.push(Cmdline::new(buf).vars().count() as u64);
    if let Ok(st) = parse::status::parse(buf) {
        values.push(st.nspid().ok().flatten().map_or(0, |p| p.count() as u64));
    }
    values.into_iter().fold(0, u64::wrapping_add)
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
    fn format_shaped_noise_agrees(
        bytes in prop::collection::vec(prop::sample::select(b"0123456789 \t\n:,=/-x\0".to_vec()), 0..120),
        newline in any::<bool>(),
    ) {
        let mut bytes = bytes;
        if newline {
            bytes.push(b'\n');
        }
        exercise(&bytes);
        all_agree(&bytes)?;
    }

    #[test]
    fn schedstat_round_trips(v in prop::array::uniform3(any::<u64>()), sep in "[ \t]{1,3}") {
        let text = format!("{}{sep}{}{sep}{}\n", v[0], v[1], v[2]);
        let s = schedstat::parse(text.as_bytes()).unwrap();
        prop_assert_eq!([s.cpu_time_ns, s.run_delay_ns, s.timeslices], v);
    }

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

    #[test]
    fn values_round_trip(u: u64, i: i64) {
        prop_assert_eq!(value::u64(format!("{u}\n").as_bytes(), "f"), Ok(u));
        prop_assert_eq!(value::i64(format!("{i}\n").as_bytes(), "f"), Ok(i));
        let (u32v, i32v) = (u as u32, i as i32);
        prop_assert_eq!(value::u32(format!("{u32v}\n").as_bytes(), "f"), Ok(u32v));
        prop_assert_eq!(value::i32(format!("{i32v}\n").as_bytes(), "f"), Ok(i32v));
    }

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

    #[test]
    fn nspid_round_trips(pids in prop::collection::vec(1..=i32::MAX, 1..5)) {
        let line: Vec<String> = pids.iter().map(i32::to_string).collect();
        let text = status_with_nspid(&format!("NSpid:\t{}", line.join("\t")));
        let st = parse::status::parse(&text).unwrap();
        prop_assert_eq!(st.nspid().unwrap().unwrap().collect::<Vec<_>>(), pids);
    }
}

// ---------------------------------------------------------------------------------------------
// Live: every process on this machine, against procfs on the same bytes.

/// Reads a whole /proc file; `None` if it vanished or is denied.
fn read(path: &Path) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::PermissionDenied) => None,
        Err(e) if e.raw_os_error() == Some(libc::ESRCH) => None,
        Err(e) => panic!("reading {}: {e}", path.display()),
    }
}

fn pids() -> Vec<u32> {
    let mut pids: Vec<u32> = std::fs::read_dir("/proc")
        .expect("/proc is mounted")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    assert!(pids.len() > 3, "too few processes: {pids:?}");
    pids
}

#[derive(Debug, Default)]
struct Tally {
    compared: usize,
    skipped: usize,
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

#[test]
fn every_process_agrees_with_procfs() {
    let [mut sched, mut cgroups, mut oom, mut adj, mut nspid] = <[Tally; 5]>::default();
    for pid in pids() {
        let dir = Path::new("/proc").join(pid.to_string());
        if let Some(bytes) = read(&dir.join("schedstat")) {
            check_schedstat(&bytes, &format!("pid {pid} schedstat"), &mut sched);
        }
        if let Ok(tasks) = std::fs::read_dir(dir.join("task")) {
            for task in tasks.flatten() {
                if let Some(bytes) = read(&task.path().join("schedstat")) {
                    check_schedstat(&bytes, &format!("{:?} schedstat", task.path()), &mut sched);
                }
            }
        }
        if let Some(bytes) = read(&dir.join("cgroup")) {
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
        // procfs reads these two inside `Process`, as `from_str_radix(text.trim(), 10)` (what
        // `parse` is): the same reading, on the same bytes.
        if let Some(bytes) = read(&dir.join("oom_score")) {
            let ours = value::u32(&bytes, "oom_score")
                .unwrap_or_else(|e| panic!("pid {pid} oom_score: {e}: {bytes:?}"));
            let theirs = String::from_utf8(bytes).unwrap().trim().parse::<u16>();
            assert_eq!(Ok(ours), theirs.map(u32::from), "pid {pid} oom_score");
            oom.compared += 1;
        }
        if let Some(bytes) = read(&dir.join("oom_score_adj")) {
            let ours = value::i32(&bytes, "oom_score_adj")
                .unwrap_or_else(|e| panic!("pid {pid} oom_score_adj: {e}: {bytes:?}"));
            let theirs = String::from_utf8(bytes).unwrap().trim().parse::<i16>();
            assert_eq!(Ok(ours), theirs.map(i32::from), "pid {pid} oom_score_adj");
            adj.compared += 1;
        }
        if let Some(bytes) = read(&dir.join("status")) {
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

#[test]
fn environ_of_every_readable_process_agrees_with_procfs() {
    let mut compared = 0;
    for pid in pids() {
        let Some(bytes) = read(&Path::new("/proc").join(pid.to_string()).join("environ")) else {
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
// `Proc` methods: this process, a helper child, a child that exits.

#[test]
#[ignore = "helper process"]
fn helper_process() {
    common::helper_main()
}

/// The thread ids `/proc/<pid>/task` lists, by std.
fn naive_tids(pid: i32) -> BTreeSet<i32> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_str().unwrap().parse().unwrap())
        .collect()
}

fn tids(proc: &mut Proc) -> BTreeSet<i32> {
    let mut tids = BTreeSet::new();
    let walk = proc
        .tids(&Budget::UNLIMITED, |tid| {
            assert!(tids.insert(tid), "{tid} listed twice");
            ControlFlow::Continue(())
        })
        .unwrap();
    assert!(walk.is_complete());
    assert_eq!(walk.count, tids.len() as u64);
    tids
}

/// Asserts that `Proc::tids` lists what std lists, at a moment when std's listing did not change
/// around it (threads of this test binary come and go with other tests).
fn assert_tids_match(proc: &mut Proc) -> BTreeSet<i32> {
    let pid = proc.pid();
    for _ in 0..100 {
        let before = naive_tids(pid);
        let ours = tids(proc);
        if naive_tids(pid) == before {
            assert_eq!(ours, before);
            return ours;
        }
    }
    panic!("the threads of {pid} never held still");
}

#[test]
fn the_handle_reads_this_process() {
    let mut me = Proc::myself().unwrap();
    // cgroup and oom_score_adj change only when someone changes them.
    let by_path = std::fs::read("/proc/self/cgroup").unwrap();
    assert_eq!(
        ours_cgroup(by_path.as_slice()),
        Some(
            me.cgroup()
                .unwrap()
                .iter()
                .map(|c| (
                    c.hierarchy_id,
                    lossy(c.controller_list),
                    c.controllers().map(lossy).collect(),
                    lossy(c.path)
                ))
                .collect()
        )
    );
    let adj = value::i32(&std::fs::read("/proc/self/oom_score_adj").unwrap(), "f").unwrap();
    assert_eq!(me.oom_score_adj().unwrap(), adj);
    // oom_score moves with memory use: a read by path between two of ours.
    let score = |me: &mut Proc| me.oom_score().unwrap();
    let (a, b, c) = (
        score(&mut me),
        value::u32(&std::fs::read("/proc/self/oom_score").unwrap(), "f").unwrap(),
        score(&mut me),
    );
    assert!(
        a.min(c) <= b && b <= a.max(c) || a == b || b == c,
        "{a} {b} {c}"
    );
    // The scheduler's counters only grow.
    let a = me.schedstat().unwrap();
    let b = schedstat::parse(&std::fs::read("/proc/self/schedstat").unwrap()).unwrap();
    let c = me.schedstat().unwrap();
    for (x, y) in [(a, b), (b, c)] {
        assert!(x.cpu_time_ns <= y.cpu_time_ns && x.run_delay_ns <= y.run_delay_ns);
        assert!(x.timeslices <= y.timeslices, "{x:?} {y:?}");
    }
    assert!(c.timeslices >= 1);
    // environ is the area the process started with: read by path, the same bytes.
    let environ = std::fs::read("/proc/self/environ").unwrap();
    assert_eq!(me.environ().unwrap().as_bytes(), &environ[..]);
    assert!(!environ.is_empty());

    // Links: an fd of a file opened here, exe, cwd.
    let file = std::fs::File::open("tests/fixtures/cgroup").unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
    let mut buf = [0u8; 4096];
    for name in [
        format!("fd/{fd}"),
        "exe".into(),
        "cwd".into(),
        "root".into(),
    ] {
        let want = std::fs::read_link(format!("/proc/self/{name}"))
            .unwrap()
            .into_os_string()
            .into_encoded_bytes();
        let cname = std::ffi::CString::new(name.clone()).unwrap();
        let got = me.readlink(&cname, &mut buf).unwrap().unwrap().to_vec();
        assert_eq!(got, want, "{name}");
        // A buffer the target fills may have cut it: too large, never a silent cut.
        let mut exact = vec![0u8; want.len()];
        assert_eq!(
            me.readlink(&cname, &mut exact),
            Err(Error::TooLarge {
                file: "/proc/<pid>/…",
                cap: want.len()
            })
        );
        let mut roomy = vec![0u8; want.len() + 1];
        assert_eq!(me.readlink(&cname, &mut roomy), Ok(Some(&want[..])));
    }
    assert!(std::fs::read_link(format!("/proc/self/fd/{fd}"))
        .unwrap()
        .ends_with("tests/fixtures/cgroup"));
    assert_eq!(
        me.exe(&mut buf).unwrap(),
        me.readlink(c"exe", &mut [0; 4096]).unwrap()
    );
    drop(file);
    // A closed fd: the process is alive, the link names nothing.
    assert_eq!(
        me.readlink(
            &std::ffi::CString::new(format!("fd/{fd}")).unwrap(),
            &mut buf
        ),
        Ok(None)
    );
    assert_eq!(me.readlink(c"fd/1073741824", &mut buf), Ok(None));
    // Not a link.
    assert_eq!(
        me.readlink(c"stat", &mut buf),
        Err(Error::Io {
            file: "/proc/<pid>/…",
            errno: libc::EINVAL
        })
    );
    // The exe's errors name exe.
    assert_eq!(
        me.exe(&mut [0u8; 1]),
        Err(Error::TooLarge {
            file: "exe",
            cap: 1
        })
    );

    // Threads: this one, and three more that wait to be told to end.
    let my_tid = rustix::thread::gettid().as_raw_nonzero().get();
    let (tx, rx) = std::sync::mpsc::channel::<i32>();
    let stop = std::sync::Arc::new(std::sync::Barrier::new(4));
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let (tx, stop) = (tx.clone(), stop.clone());
            std::thread::spawn(move || {
                tx.send(rustix::thread::gettid().as_raw_nonzero().get())
                    .unwrap();
                stop.wait();
            })
        })
        .collect();
    let spawned: BTreeSet<i32> = (0..3).map(|_| rx.recv().unwrap()).collect();
    let listed = assert_tids_match(&mut me);
    assert!(listed.contains(&me.pid()) && listed.contains(&my_tid));
    assert!(spawned.is_subset(&listed), "{spawned:?} {listed:?}");
    // Bounded walks stop where they were told to.
    let walk = me
        .tids(&Budget::entries(2), |_| ControlFlow::Continue(()))
        .unwrap();
    assert_eq!((walk.count, walk.stopped), (2, Some(Stop::Entries)));
    let mut first = None;
    let walk = me
        .tids(&Budget::UNLIMITED, |tid| {
            first = Some(tid);
            ControlFlow::Break(())
        })
        .unwrap();
    assert_eq!((walk.count, walk.stopped), (1, Some(Stop::Visitor)));
    assert!(listed.contains(&first.unwrap()));
    stop.wait();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn the_handle_reads_a_child() {
    let helper = common::Helper::holding_fds(4);
    let pid = helper.pid;
    let mut child = Proc::open(pid).unwrap();
    let dir = format!("/proc/{pid}");
    // Its threads, its fds (all four /dev/null), and no fifth.
    let tids = assert_tids_match(&mut child);
    assert!(tids.contains(&pid));
    let mut buf = [0u8; 256];
    for fd in 0..4 {
        let name = std::ffi::CString::new(format!("fd/{fd}")).unwrap();
        let want = std::fs::read_link(format!("{dir}/fd/{fd}")).unwrap();
        assert_eq!(want, Path::new("/dev/null"));
        assert_eq!(
            child.readlink(&name, &mut buf).unwrap(),
            Some(want.as_os_str().as_encoded_bytes())
        );
    }
    assert_eq!(child.readlink(c"fd/4", &mut buf), Ok(None));
    // Its environment, with the variable that told it how many fds to hold.
    let environ = std::fs::read(format!("{dir}/environ")).unwrap();
    let got = child.environ().unwrap();
    assert_eq!(got.as_bytes(), &environ[..]);
    assert!(got
        .vars()
        .any(|(k, v)| k == b"PROCFAST_HELPER_FDS" && v == b"4"));
    // Its cgroups, as read by path; its OOM adjustment, as set here (raising it is always
    // allowed; lowering it below 0 needs CAP_SYS_RESOURCE in the initial user namespace).
    let cgroup = std::fs::read(format!("{dir}/cgroup")).unwrap();
    assert_eq!(child.cgroup().unwrap(), cgroup::parse(&cgroup).unwrap());
    std::fs::write(format!("{dir}/oom_score_adj"), "321").unwrap();
    assert_eq!(child.oom_score_adj().unwrap(), 321);
    match std::fs::write(format!("{dir}/oom_score_adj"), "-999") {
        Ok(()) => assert_eq!(child.oom_score_adj().unwrap(), -999),
        Err(e) if e.kind() == ErrorKind::PermissionDenied => {
            eprintln!("skipped: a negative oom_score_adj needs CAP_SYS_RESOURCE")
        }
        Err(e) => panic!("{e}"),
    }
    let score = value::u32(&std::fs::read(format!("{dir}/oom_score")).unwrap(), "f").unwrap();
    let ours = child.oom_score().unwrap();
    assert!(ours.abs_diff(score) <= 2, "{ours} vs {score}");
    let s = child.schedstat().unwrap();
    let by_path = schedstat::parse(&std::fs::read(format!("{dir}/schedstat")).unwrap()).unwrap();
    assert!(s.timeslices >= 1 && s.cpu_time_ns <= child.schedstat().unwrap().cpu_time_ns);
    assert!(by_path.timeslices >= 1);
}

#[test]
fn every_method_of_an_exited_process_is_gone() {
    let mut child = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let mut proc = Proc::open(child.id() as i32).unwrap();
    // Use everything once, so that the held files are open when the process goes.
    let mut buf = [0u8; 4096];
    proc.schedstat().unwrap();
    proc.cgroup().unwrap();
    proc.oom_score().unwrap();
    proc.oom_score_adj().unwrap();
    proc.environ().unwrap();
    proc.readlink(c"fd/0", &mut buf).unwrap();
    tids(&mut proc);

    // A zombie: its threads, environment and links are gone with it.
    child.kill().unwrap();
    let stat = format!("/proc/{}/stat", child.id());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !std::fs::read_to_string(&stat)
        .unwrap()
        .rsplit(')')
        .next()
        .is_some_and(|s| s.trim_start().starts_with('Z'))
    {
        assert!(std::time::Instant::now() < deadline, "no zombie");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    assert_eq!(
        proc.tids(&Budget::UNLIMITED, |_| ControlFlow::Continue(())),
        Err(Error::Gone)
    );
    assert_eq!(proc.environ().map(|e| e.as_bytes().len()), Err(Error::Gone));
    assert_eq!(proc.readlink(c"exe", &mut buf), Err(Error::Gone));
    assert_eq!(proc.readlink(c"fd/0", &mut buf), Err(Error::Gone));

    // Reaped: everything.
    child.wait().unwrap();
    assert_eq!(proc.schedstat(), Err(Error::Gone));
    assert_eq!(proc.cgroup().map(|c| c.iter().count()), Err(Error::Gone));
    assert_eq!(proc.oom_score(), Err(Error::Gone));
    assert_eq!(proc.oom_score_adj(), Err(Error::Gone));
    assert_eq!(proc.environ().map(|e| e.as_bytes().len()), Err(Error::Gone));
    assert_eq!(proc.readlink(c"cwd", &mut buf), Err(Error::Gone));
    assert_eq!(proc.exe(&mut buf), Err(Error::Gone));
    assert_eq!(
        proc.tids(&Budget::UNLIMITED, |_| ControlFlow::Continue(())),
        Err(Error::Gone)
    );
}
