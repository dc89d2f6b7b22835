//! Property tests for `procfast::parse`, three kinds per parser:
//!
//! 1. **Round trip**: render a random valid record the way the kernel prints it, parse it, get
//!    the same values back.
//! 2. **Never panics**: arbitrary bytes give `Ok` or `Err`, nothing else.
//! 3. **Differential**: on real files from this machine mutated at random (bytes inserted,
//!    deleted, replaced with characters that matter to the format), and on arbitrary bytes, the
//!    fast parser and the naive oracle of `tests/oracle` agree: both reject, or both accept with
//!    the same values.

mod oracle;

use procfast::parse;
use procfast::Error;
use proptest::prelude::*;

#[path = "shared/mutations.rs"]
mod mutations;
use mutations::{config, edits, mutate, token_edits, token_mutate};
/// The characters the formats of this file's fixtures are built of, for [`edits`].
const ALPHABET: &[u8] = b"0123456789 \t\n:-+()/.|kBxu";

const STAT: &[u8] = include_bytes!("fixtures/stat");
const STAT_PID1: &[u8] = include_bytes!("fixtures/stat_pid1");
const STATM: &[u8] = include_bytes!("fixtures/statm");
const STATUS: &[u8] = include_bytes!("fixtures/status");
const LIMITS: &[u8] = include_bytes!("fixtures/limits");
const IO: &[u8] = include_bytes!("fixtures/io");
const NET_DEV: &[u8] = include_bytes!("fixtures/net_dev");
const PROC_STAT: &[u8] = include_bytes!("fixtures/proc_stat");
const MEMINFO: &[u8] = include_bytes!("fixtures/meminfo");
const LOADAVG: &[u8] = include_bytes!("fixtures/loadavg");
const SOCKSTAT: &[u8] = include_bytes!("fixtures/sockstat");
const SOCKSTAT6: &[u8] = include_bytes!("fixtures/sockstat6");
const FILE_NR: &[u8] = include_bytes!("fixtures/file_nr");

/// Any byte but `\n`, uniformly, generated rather than filtered: a filter rejects one byte in 256,
/// and at millions of cases proptest gives up on "Too many local rejects".
fn byte_but_newline() -> impl Strategy<Value = u8> {
    (0u8..u8::MAX).prop_map(|b| if b >= b'\n' { b + 1 } else { b })
}

const VOCABULARY: &[&[u8]] = &[
    b"",
    b"0",
    b"-1",
    b"-0",
    b"+1",
    b"007",
    b"4294967296",
    b"2147483648",
    b"18446744073709551615",
    b"18446744073709551616",
    b"99999999999999999999999",
    b"kB",
    b"KB",
    b"unlimited",
    b"x",
    b"1.5",
    b"1/2",
    b":",
    b"::",
    b"(",
    b")",
    b"|",
    b"\t",
    b" ",
    b"  ",
    b"\n",
    b"cpu",
    b"cpu0",
    b"Name:",
    b"VmRSS:",
    b"MemTotal:",
    b"Max",
    b"lo:",
    b"TCP:",
    b"inuse",
];

/// Asserts fast and oracle agree on `buf` for every parser.
fn all_agree(buf: &[u8]) -> Result<(), TestCaseError> {
    prop_assert_eq!(oracle::stat(buf), oracle::stat_fast(buf));
    prop_assert_eq!(oracle::statm(buf), oracle::statm_fast(buf));
    prop_assert_eq!(oracle::status(buf), oracle::status_fast(buf));
    prop_assert_eq!(oracle::limits(buf), oracle::limits_fast(buf));
    prop_assert_eq!(oracle::io(buf), oracle::io_fast(buf));
    prop_assert_eq!(oracle::net_dev(buf), oracle::net_dev_fast(buf));
    prop_assert_eq!(oracle::proc_stat(buf), oracle::proc_stat_fast(buf));
    prop_assert_eq!(oracle::meminfo(buf), oracle::meminfo_fast(buf));
    prop_assert_eq!(oracle::loadavg(buf), oracle::loadavg_fast(buf));
    prop_assert_eq!(
        oracle::sockstat(buf, false),
        oracle::sockstat_fast(buf, false)
    );
    prop_assert_eq!(
        oracle::sockstat(buf, true),
        oracle::sockstat_fast(buf, true)
    );
    prop_assert_eq!(oracle::file_nr(buf), oracle::file_nr_fast(buf));
    prop_assert_eq!(oracle::dirents(buf), oracle::dirents_fast(buf));
    if let Ok(st) = parse::status::parse(buf) {
        let pairs: Vec<_> = st.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
        prop_assert_eq!(Some(pairs), oracle::status_pairs(buf));
    }
    for six in [false, true] {
        if oracle::sockstat_fast(buf, six).is_some() {
            prop_assert_eq!(
                oracle::sockstat_triples_fast(buf, six),
                oracle::sockstat_triples(buf)
            );
        }
    }
    Ok(())
}

#[test]
fn fixtures_parse_and_agree_with_the_oracles() {
    for (name, fixture) in [
        ("stat", STAT),
        ("stat_pid1", STAT_PID1),
        ("statm", STATM),
        ("status", STATUS),
        ("limits", LIMITS),
        ("io", IO),
        ("net_dev", NET_DEV),
        ("proc_stat", PROC_STAT),
        ("meminfo", MEMINFO),
        ("loadavg", LOADAVG),
        ("sockstat", SOCKSTAT),
        ("sockstat6", SOCKSTAT6),
        ("file_nr", FILE_NR),
    ] {
        all_agree(fixture).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // Each fixture is accepted by its own parser (not just rejected by both).
    assert!(oracle::stat_fast(STAT).is_some() && oracle::stat_fast(STAT_PID1).is_some());
    assert!(oracle::statm_fast(STATM).is_some());
    assert!(oracle::status_fast(STATUS).is_some());
    assert!(oracle::limits_fast(LIMITS).is_some());
    assert!(oracle::io_fast(IO).is_some());
    assert!(oracle::net_dev_fast(NET_DEV).is_some());
    assert!(oracle::proc_stat_fast(PROC_STAT).is_some());
    assert!(oracle::meminfo_fast(MEMINFO).is_some());
    assert!(oracle::loadavg_fast(LOADAVG).is_some());
    assert!(oracle::sockstat_fast(SOCKSTAT, false).is_some());
    assert!(oracle::sockstat_fast(SOCKSTAT6, true).is_some());
    assert!(oracle::file_nr_fast(FILE_NR).is_some());
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn mutated_fixtures_agree(which in 0usize..13, edits in edits(ALPHABET)) {
        let fixture = [STAT, STAT_PID1, STATM, STATUS, LIMITS, IO, NET_DEV, PROC_STAT, MEMINFO,
                       LOADAVG, SOCKSTAT, SOCKSTAT6, FILE_NR][which];
        all_agree(&mutate(fixture, &edits))?;
    }

    #[test]
    fn token_mutated_fixtures_agree(which in 0usize..13, edits in token_edits(VOCABULARY.len())) {
        let fixture = [STAT, STAT_PID1, STATM, STATUS, LIMITS, IO, NET_DEV, PROC_STAT, MEMINFO,
                       LOADAVG, SOCKSTAT, SOCKSTAT6, FILE_NR][which];
        all_agree(&token_mutate(fixture, &edits, VOCABULARY))?;
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_agree(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        all_agree(&bytes)?;
    }

    #[test]
    fn format_shaped_noise_agrees(
        bytes in prop::collection::vec(prop::sample::select(b"0123456789 \t\n:-+()|/.kBu".to_vec()), 0..200),
        newline in any::<bool>(),
    ) {
        let mut bytes = bytes;
        if newline {
            bytes.push(b'\n');
        }
        all_agree(&bytes)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Round trips: render the kernel's format from random values, parse it back.

/// The value types of stat fields 4..=52, as the kernel prints them.
#[derive(Clone, Debug)]
enum Num {
    I(i64),
    U(u64),
}

fn stat_field(ty: u8) -> BoxedStrategy<Num> {
    match ty {
        b'i' => any::<i32>().prop_map(|v| Num::I(v.into())).boxed(),
        b'u' => any::<u32>().prop_map(|v| Num::U(v.into())).boxed(),
        b'U' => prop_oneof![any::<u64>(), 0u64..1000]
            .prop_map(Num::U)
            .boxed(),
        _ => prop_oneof![any::<i64>(), -5i64..5].prop_map(Num::I).boxed(),
    }
}

fn stat_line() -> impl Strategy<Value = (i32, Vec<u8>, u8, Vec<Num>, Vec<u64>)> {
    const TYPES: &[u8; 49] = b"iiiiiuUUUUUUIIIIIIUUUUUUUUUUUUUUUUiuuuUUIUUUUUUUi";
    let fields: Vec<BoxedStrategy<Num>> = TYPES.iter().map(|&t| stat_field(t)).collect();
    (
        0..i32::MAX,
        prop::collection::vec(any::<u8>(), 0..20),
        prop::sample::select(b"RSDZTtXIPKWx".to_vec()),
        fields,
        34usize..=49,
        prop::collection::vec(any::<u64>(), 0..3),
    )
        .prop_map(|(pid, comm, state, mut fields, keep, extra)| {
            fields.truncate(keep);
            // Newer kernels may append fields, but only after the 49th.
            let extra = if keep == 49 { extra } else { Vec::new() };
            (pid, comm, state, fields, extra)
        })
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn stat_round_trips((pid, comm, state, fields, extra) in stat_line()) {
        let mut line = format!("{pid} (").into_bytes();
        line.extend_from_slice(&comm);
        line.extend_from_slice(format!(") {}", state as char).as_bytes());
        for f in &fields {
            match f {
                Num::I(v) => line.extend_from_slice(format!(" {v}").as_bytes()),
                Num::U(v) => line.extend_from_slice(format!(" {v}").as_bytes()),
            }
        }
        for e in &extra {
            line.extend_from_slice(format!(" {e}").as_bytes());
        }
        line.push(b'\n');
        let got = oracle::stat_fast(&line).expect("a valid line parses");
        prop_assert_eq!(got.pid, pid);
        prop_assert_eq!(&got.comm, &comm);
        prop_assert_eq!(got.state, state);
        for (i, f) in got.numbers.iter().enumerate() {
            let want = fields.get(i).map(|f| match f {
                Num::I(v) => i128::from(*v),
                Num::U(v) => i128::from(*v),
            });
            prop_assert_eq!(*f, want, "field {}", i + 4);
        }
        let st = parse::stat::parse(&line).unwrap();
        prop_assert_eq!(st.comm_str().ok(), std::str::from_utf8(&comm).ok());
    }

    #[test]
    fn statm_and_file_nr_round_trip(v in prop::array::uniform7(any::<u64>())) {
        let text = format!("{} {} {} {} {} {} {}\n", v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
        prop_assert_eq!(oracle::statm_fast(text.as_bytes()), Some(v));
        let text = format!("{}\t{}\t{}\n", v[0], v[1], v[2]);
        prop_assert_eq!(oracle::file_nr_fast(text.as_bytes()), Some([v[0], v[1], v[2]]));
    }

    #[test]
    fn io_round_trips(v in prop::array::uniform7(any::<u64>())) {
        let keys = ["rchar", "wchar", "syscr", "syscw", "read_bytes", "write_bytes", "cancelled_write_bytes"];
        let text: String = keys.iter().zip(v).map(|(k, v)| format!("{k}: {v}\n")).collect();
        prop_assert_eq!(oracle::io_fast(text.as_bytes()), Some(v));
    }

    #[test]
    fn loadavg_round_trips(
        hundredths in prop::array::uniform3(0u64..100_000_000),
        runnable: u32, total: u32, last in -1i32..i32::MAX,
    ) {
        let avg = |h: u64| format!("{}.{:02}", h / 100, h % 100);
        let text = format!("{} {} {} {runnable}/{total} {last}\n", avg(hundredths[0]), avg(hundredths[1]), avg(hundredths[2]));
        let l = parse::loadavg::parse(text.as_bytes()).unwrap();
        prop_assert_eq!(l.one, avg(hundredths[0]).parse::<f64>().unwrap());
        prop_assert_eq!(l.fifteen, avg(hundredths[2]).parse::<f64>().unwrap());
        prop_assert_eq!((l.runnable, l.total, l.last_pid), (runnable, total, last));
    }

    #[test]
    fn status_round_trips(
        name in prop::collection::vec(byte_but_newline(), 0..20),
        state in prop::sample::select(b"RSDZTtXI".to_vec()),
        pids in prop::array::uniform3(0..i32::MAX),
        uid in prop::array::uniform4(any::<u32>()),
        gid in prop::array::uniform4(any::<u32>()),
        fd_size: u32,
        threads: u64,
        vm in prop::collection::vec(prop::option::of(0u64..(u64::MAX / 1024)), 14),
        switches in prop::option::of((any::<u64>(), any::<u64>())),
    ) {
        let vm_keys = ["VmPeak", "VmSize", "VmLck", "VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem",
                       "VmData", "VmStk", "VmExe", "VmLib", "VmPTE", "VmSwap"];
        let mut text = b"Name:\t".to_vec();
        text.extend_from_slice(&name);
        text.extend_from_slice(format!(
            "\nUmask:\t0022\nState:\t{} (whatever)\nTgid:\t{}\nNgid:\t0\nPid:\t{}\nPPid:\t{}\nTracerPid:\t0\n\
             Uid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\nFDSize:\t{fd_size}\nGroups:\t \n",
            state as char, pids[0], pids[1], pids[2],
            uid[0], uid[1], uid[2], uid[3], gid[0], gid[1], gid[2], gid[3],
        ).as_bytes());
        for (k, v) in vm_keys.iter().zip(&vm) {
            if let Some(v) = v {
                text.extend_from_slice(format!("{k}:\t{v:>8} kB\n").as_bytes());
            }
        }
        text.extend_from_slice(format!("Threads:\t{threads}\nSigQ:\t0/96365\n").as_bytes());
        if let Some((vol, nonvol)) = switches {
            text.extend_from_slice(format!("voluntary_ctxt_switches:\t{vol}\nnonvoluntary_ctxt_switches:\t{nonvol}\n").as_bytes());
        }
        let st = parse::status::parse(&text).unwrap();
        prop_assert_eq!(st.name(), &name[..]);
        prop_assert_eq!((st.state(), st.tgid(), st.pid(), st.ppid()), (state, pids[0], pids[1], pids[2]));
        prop_assert_eq!(st.uid(), parse::status::Ids { real: uid[0], effective: uid[1], saved: uid[2], filesystem: uid[3] });
        prop_assert_eq!(st.gid().filesystem, gid[3]);
        prop_assert_eq!((st.fd_size(), st.threads()), (fd_size, threads));
        let got = [st.vm_peak_bytes(), st.vm_size_bytes(), st.vm_lck_bytes(), st.vm_hwm_bytes(),
                   st.vm_rss_bytes(), st.rss_anon_bytes(), st.rss_file_bytes(), st.rss_shmem_bytes(),
                   st.vm_data_bytes(), st.vm_stk_bytes(), st.vm_exe_bytes(), st.vm_lib_bytes(),
                   st.vm_pte_bytes(), st.vm_swap_bytes()];
        for (g, v) in got.iter().zip(&vm) {
            prop_assert_eq!(*g, v.map(|kb| kb * 1024));
        }
        prop_assert_eq!(st.voluntary_ctxt_switches(), switches.map(|s| s.0));
        prop_assert_eq!(st.nonvoluntary_ctxt_switches(), switches.map(|s| s.1));
        prop_assert_eq!(st.get(b"SigQ"), Some(&b"0/96365"[..]));
    }

    #[test]
    fn meminfo_round_trips(
        values in prop::collection::vec(prop::option::of(0u64..(u64::MAX / 1024)), parse::meminfo::Field::ALL.len()),
        unknown in prop::option::of(0u64..1000),
    ) {
        use parse::meminfo::Field;
        let mut text = String::new();
        let mut values = values;
        values[0] = values[0].or(Some(1));
        values[1] = values[1].or(Some(2));
        for (f, v) in Field::ALL.iter().zip(&values) {
            if let Some(v) = v {
                let unit = if f.is_kb() { " kB" } else { "" };
                text += &format!("{:<16}{v:>8}{unit}\n", format!("{}:", f.key()));
            }
            if let (Field::Slab, Some(u)) = (f, unknown) {
                text += &format!("FutureThing:    {u:>8} kB\n");
            }
        }
        let m = parse::meminfo::parse(text.as_bytes()).unwrap();
        for (f, v) in Field::ALL.iter().zip(&values) {
            let want = v.map(|v| if f.is_kb() { v * 1024 } else { v });
            prop_assert_eq!(m.get(*f), want, "{:?}", f);
        }
        prop_assert_eq!(m.iter().count(), values.iter().flatten().count() + usize::from(unknown.is_some()));
    }

    #[test]
    fn limits_round_trip(values in prop::collection::vec((prop::option::of(any::<u64>()), prop::option::of(any::<u64>())), 16)) {
        use parse::limits::Resource;
        let units = ["seconds", "bytes", "bytes", "bytes", "bytes", "bytes", "processes", "files",
                     "bytes", "bytes", "locks", "signals", "bytes", "", "", "us"];
        let show = |v: Option<u64>| v.map_or("unlimited".to_string(), |v| v.to_string());
        let mut text = format!("{:<25} {:<20} {:<20} {:<10}\n", "Limit", "Soft Limit", "Hard Limit", "Units");
        for ((r, (soft, hard)), unit) in Resource::ALL.iter().zip(&values).zip(units) {
            text += &format!("{:<25} {:<20} {:<20} ", r.name(), show(*soft), show(*hard));
            if !unit.is_empty() {
                text += &format!("{unit:<10}");
            }
            text += "\n";
        }
        let l = parse::limits::parse(text.as_bytes()).unwrap();
        for ((r, (soft, hard)), unit) in Resource::ALL.iter().zip(&values).zip(units) {
            let got = l.get(*r);
            prop_assert_eq!((got.soft, got.hard, got.unit), (*soft, *hard, unit.as_bytes()));
        }
    }

    #[test]
    fn net_dev_round_trips(rows in prop::collection::vec(("[a-z][a-z0-9_.-]{0,14}", prop::array::uniform16(any::<u64>())), 0..6)) {
        let mut text = String::from("Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n");
        for (name, v) in &rows {
            text += &format!("{name:>6}: {:>7} {:>7} {:>4} {:>4} {:>4} {:>5} {:>10} {:>9} {:>8} {:>7} {:>4} {:>4} {:>4} {:>5} {:>7} {:>10}\n",
                v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]);
        }
        let got = oracle::net_dev_fast(text.as_bytes()).unwrap();
        let want: Vec<_> = rows.iter().map(|(n, v)| (n.as_bytes().to_vec(), *v)).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn proc_stat_round_trips(
        cpus in prop::collection::vec((0u32..4096, prop::array::uniform10(any::<u64>())), 0..8),
        columns in 4usize..=10,
        counters in prop::array::uniform3(any::<u64>()),
        running: u32, blocked: u32,
    ) {
        let line = |label: &str, v: &[u64; 10]| {
            let cols: Vec<String> = v[..columns].iter().map(u64::to_string).collect();
            format!("{label} {}\n", cols.join(" "))
        };
        let total = [7u64; 10];
        let mut text = line("cpu ", &total);
        for (id, v) in &cpus {
            text += &line(&format!("cpu{id}"), v);
        }
        text += &format!("intr 1 2 3\nctxt {}\nbtime {}\nprocesses {}\nprocs_running {running}\nprocs_blocked {blocked}\nsoftirq 1 2\n",
            counters[0], counters[1], counters[2]);
        let st = parse::proc_stat::parse(text.as_bytes()).unwrap();
        prop_assert_eq!((st.ctxt, st.btime, st.processes), (counters[0], counters[1], counters[2]));
        prop_assert_eq!((st.procs_running, st.procs_blocked), (running, blocked));
        prop_assert_eq!(st.total.iowait, (columns > 4).then_some(7));
        prop_assert_eq!(st.cpus().len(), cpus.len());
        for ((id, c), (want_id, v)) in st.cpus().zip(&cpus) {
            prop_assert_eq!(id, *want_id);
            prop_assert_eq!((c.user, c.nice, c.system, c.idle), (v[0], v[1], v[2], v[3]));
            prop_assert_eq!(c.guest_nice, (columns == 10).then_some(v[9]));
        }
    }

    #[test]
    fn sockstat_round_trips(v in prop::array::uniform12(any::<u64>()), v6 in prop::array::uniform6(any::<u64>())) {
        let text = format!("sockets: used {}\nTCP: inuse {} orphan {} tw {} alloc {} mem {}\nUDP: inuse {} mem {}\nUDPLITE: inuse {}\nRAW: inuse {}\nFRAG: inuse {} memory {}\n",
            v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]);
        let s = parse::sockstat::parse(text.as_bytes()).unwrap();
        prop_assert_eq!((s.sockets_used(), s.tcp_inuse(), s.tcp_orphan(), s.tcp_tw()), (Some(v[0]), Some(v[1]), Some(v[2]), Some(v[3])));
        prop_assert_eq!((s.tcp_alloc(), s.tcp_mem_pages(), s.udp_inuse(), s.udp_mem_pages()), (Some(v[4]), Some(v[5]), Some(v[6]), Some(v[7])));
        prop_assert_eq!((s.udplite_inuse(), s.raw_inuse(), s.frag_inuse(), s.frag_memory_bytes()), (Some(v[8]), Some(v[9]), Some(v[10]), Some(v[11])));
        let text = format!("TCP6: inuse {}\nUDP6: inuse {}\nUDPLITE6: inuse {}\nRAW6: inuse {}\nFRAG6: inuse {} memory {}\n",
            v6[0], v6[1], v6[2], v6[3], v6[4], v6[5]);
        let s = parse::sockstat::parse6(text.as_bytes()).unwrap();
        prop_assert_eq!((s.tcp6_inuse(), s.udp6_inuse(), s.udplite6_inuse()), (Some(v6[0]), Some(v6[1]), Some(v6[2])));
        prop_assert_eq!((s.raw6_inuse(), s.frag6_inuse(), s.frag6_memory_bytes()), (Some(v6[3]), Some(v6[4]), Some(v6[5])));
    }
}

/// Every error a parser returns names the parser's own file.
#[test]
fn errors_name_their_file() {
    let file = |r: Result<(), Error>| match r {
        Err(Error::Parse { file, .. }) => file,
        other => panic!("{other:?}"),
    };
    let bad = b"garbage\n";
    assert_eq!(file(parse::stat::parse(bad).map(|_| ())), "stat");
    assert_eq!(file(parse::statm::parse(bad).map(|_| ())), "statm");
    assert_eq!(file(parse::status::parse(bad).map(|_| ())), "status");
    assert_eq!(file(parse::limits::parse(bad).map(|_| ())), "limits");
    assert_eq!(file(parse::io::parse(bad).map(|_| ())), "io");
    assert_eq!(file(parse::net_dev::parse(bad).map(|_| ())), "net/dev");
    assert_eq!(file(parse::proc_stat::parse(bad).map(|_| ())), "stat");
    assert_eq!(file(parse::meminfo::parse(bad).map(|_| ())), "meminfo");
    assert_eq!(file(parse::loadavg::parse(bad).map(|_| ())), "loadavg");
    assert_eq!(
        file(parse::sockstat::parse(bad).map(|_| ())),
        "net/sockstat"
    );
    assert_eq!(
        file(parse::sockstat::parse6(bad).map(|_| ())),
        "net/sockstat6"
    );
    assert_eq!(
        file(parse::file_nr::parse(bad).map(|_| ())),
        "sys/fs/file-nr"
    );
}
