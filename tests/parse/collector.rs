//! The parsers of the process collector's files (`stat`, `statm`, `status`, `limits`, `io`,
//! `net/dev`) and of `System`'s first ones (`/proc/stat`, `meminfo`, `loadavg`, `sockstat`,
//! `file-nr`), file by file, then all of them (and the `getdents64` decoder) at once:
//!
//! - **Round trips**: render a random valid record the way the kernel prints it, parse it, get
//!   the same values back.
//! - **Live**: every readable file of every process and thread on this machine, and the
//!   system-wide files, parse without error and agree with the `procfs` crate (procfs-core's
//!   parsers) on the very same bytes. Processes come and go meanwhile: a file that vanished
//!   (`ENOENT`, `ESRCH`) or is denied (`EACCES`, `EPERM`, e.g. another user's `io`) is skipped and
//!   counted, never a failure; where procfs-core itself cannot parse the bytes, or knowingly reads
//!   them differently (it cuts a status `Name` at a second colon), the comparison is skipped and
//!   counted too.
//! - **Differential**: on this machine's files mutated at random (bytes inserted, deleted,
//!   replaced with characters that matter to the format, tokens swapped for tricky words) and on
//!   arbitrary bytes, every parser and the naive oracle of
//!   [`oracle::collector`](crate::oracle::collector) agree: both reject, or both accept with the
//!   same values. Nothing panics.
//! - **No allocation**: every parser, accessor and iterator over real files, bad files and empty
//!   input.

use crate::oracle::collector as oracle;
use crate::support::alloc::assert_runs_allocate_nothing;
use crate::support::fixtures::{
    procfs_system_info, FILE_NR, IO, LIMITS, LOADAVG, MEMINFO, NET_DEV, PROC_STAT, SOCKSTAT,
    SOCKSTAT6, STAT, STATM, STATUS, STAT_PID1,
};
use crate::support::mutations::config;
use crate::support::truth::{pids, read_unless_gone};
use procfast::parse;
use procfs::{FromRead, FromReadSI};
use proptest::prelude::*;
use std::path::Path;

// ---------------------------------------------------------------------------------------------
// stat

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
}

fn check_stat(bytes: &[u8], pid: u32, t: &mut Tally) {
    let ours =
        parse::stat::parse(bytes).unwrap_or_else(|e| panic!("pid {pid} stat: {e}: {bytes:?}"));
    t.parsed += 1;
    assert_eq!(ours.pid as u32, pid);
    let Ok(theirs) = procfs::process::Stat::from_read(bytes) else {
        t.skipped += 1;
        return;
    };
    t.compared += 1;
    assert_eq!(String::from_utf8_lossy(ours.comm), theirs.comm, "pid {pid}");
    assert_eq!(ours.state as char, theirs.state);
    assert_eq!(
        (
            ours.ppid(),
            ours.pgrp(),
            ours.session(),
            ours.tty_nr(),
            ours.tpgid(),
            ours.flags()
        ),
        (
            theirs.ppid,
            theirs.pgrp,
            theirs.session,
            theirs.tty_nr,
            theirs.tpgid,
            theirs.flags
        )
    );
    assert_eq!(
        (
            ours.minflt(),
            ours.cminflt(),
            ours.majflt(),
            ours.cmajflt(),
            ours.utime(),
            ours.stime()
        ),
        (
            theirs.minflt,
            theirs.cminflt,
            theirs.majflt,
            theirs.cmajflt,
            theirs.utime,
            theirs.stime
        )
    );
    assert_eq!(
        (
            ours.cutime(),
            ours.cstime(),
            ours.priority(),
            ours.nice(),
            ours.num_threads(),
            ours.itrealvalue()
        ),
        (
            theirs.cutime,
            theirs.cstime,
            theirs.priority,
            theirs.nice,
            theirs.num_threads,
            theirs.itrealvalue
        )
    );
    assert_eq!(
        (
            ours.starttime(),
            ours.vsize(),
            ours.rss(),
            ours.rsslim(),
            ours.startcode(),
            ours.endcode()
        ),
        (
            theirs.starttime,
            theirs.vsize,
            theirs.rss,
            theirs.rsslim,
            theirs.startcode,
            theirs.endcode
        )
    );
    assert_eq!(
        (
            ours.startstack(),
            ours.kstkesp(),
            ours.kstkeip(),
            ours.signal(),
            ours.blocked(),
            ours.sigignore()
        ),
        (
            theirs.startstack,
            theirs.kstkesp,
            theirs.kstkeip,
            theirs.signal,
            theirs.blocked,
            theirs.sigignore
        )
    );
    assert_eq!(
        (
            ours.sigcatch(),
            ours.wchan(),
            ours.nswap(),
            ours.cnswap(),
            ours.exit_signal()
        ),
        (
            theirs.sigcatch,
            theirs.wchan,
            theirs.nswap,
            theirs.cnswap,
            theirs.exit_signal
        )
    );
    assert_eq!(ours.processor().map(|p| p as i32), theirs.processor);
    assert_eq!(
        (
            ours.rt_priority(),
            ours.policy(),
            ours.delayacct_blkio_ticks(),
            ours.guest_time(),
            ours.cguest_time()
        ),
        (
            theirs.rt_priority,
            theirs.policy,
            theirs.delayacct_blkio_ticks,
            theirs.guest_time,
            theirs.cguest_time
        )
    );
    assert_eq!(
        [
            ours.start_data(),
            ours.end_data(),
            ours.start_brk(),
            ours.arg_start(),
            ours.arg_end(),
            ours.env_start(),
            ours.env_end()
        ],
        [
            theirs.start_data,
            theirs.end_data,
            theirs.start_brk,
            theirs.arg_start,
            theirs.arg_end,
            theirs.env_start,
            theirs.env_end
        ]
    );
    assert_eq!(ours.exit_code(), theirs.exit_code);
}

// ---------------------------------------------------------------------------------------------
// statm and file-nr

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn statm_and_file_nr_round_trip(v in prop::array::uniform7(any::<u64>())) {
        let text = format!("{} {} {} {} {} {} {}\n", v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
        prop_assert_eq!(oracle::statm_fast(text.as_bytes()), Some(v));
        let text = format!("{}\t{}\t{}\n", v[0], v[1], v[2]);
        prop_assert_eq!(oracle::file_nr_fast(text.as_bytes()), Some([v[0], v[1], v[2]]));
    }
}

fn check_statm(bytes: &[u8], t: &mut Tally) {
    let ours = parse::statm::parse(bytes)
        .map(|m| [m.size, m.resident, m.shared, m.text, m.lib, m.data, m.dt])
        .unwrap_or_else(|e| panic!("statm: {e}: {bytes:?}"));
    t.parsed += 1;
    let m = procfs::process::StatM::from_read(bytes).expect("procfs parses statm");
    t.compared += 1;
    assert_eq!(
        ours,
        [m.size, m.resident, m.shared, m.text, m.lib, m.data, m.dt]
    );
}

// ---------------------------------------------------------------------------------------------
// status

/// Any byte but `\n`, uniformly, generated rather than filtered: a filter rejects one byte in 256,
/// and at millions of cases proptest gives up on "Too many local rejects".
fn byte_but_newline() -> impl Strategy<Value = u8> {
    (0u8..u8::MAX).prop_map(|b| if b >= b'\n' { b + 1 } else { b })
}

proptest! {
    #![proptest_config(config(500))]

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
}

fn check_status(bytes: &[u8], pid: u32, t: &mut Tally) {
    let ours = parse::status::parse(bytes).unwrap_or_else(|e| panic!("pid {pid} status: {e}"));
    t.parsed += 1;
    assert_eq!(ours.tgid() as u32, pid);
    assert_eq!(
        oracle::status(bytes),
        oracle::status_fast(bytes),
        "pid {pid}"
    );
    let Ok(theirs) = procfs::process::Status::from_read(bytes) else {
        t.skipped += 1;
        return;
    };
    t.compared += 1;
    let name = String::from_utf8_lossy(ours.name());
    if name.contains(':') {
        // procfs-core splits every line at each colon and keeps the second piece only.
        assert!(
            name.starts_with(theirs.name.as_str()),
            "{name} / {}",
            theirs.name
        );
    } else {
        assert_eq!(name.trim(), theirs.name);
    }
    assert_eq!(Some(ours.state() as char), theirs.state.chars().next());
    assert_eq!(
        (ours.tgid(), ours.pid(), ours.ppid()),
        (theirs.tgid, theirs.pid, theirs.ppid)
    );
    let (u, g) = (ours.uid(), ours.gid());
    assert_eq!(
        [
            u.real,
            u.effective,
            u.saved,
            u.filesystem,
            g.real,
            g.effective,
            g.saved,
            g.filesystem
        ],
        [
            theirs.ruid,
            theirs.euid,
            theirs.suid,
            theirs.fuid,
            theirs.rgid,
            theirs.egid,
            theirs.sgid,
            theirs.fgid
        ]
    );
    assert_eq!(
        (ours.fd_size(), ours.threads()),
        (theirs.fdsize, theirs.threads)
    );
    let kb = |v: Option<u64>| v.map(|kb| kb * 1024);
    assert_eq!(
        [
            ours.vm_peak_bytes(),
            ours.vm_size_bytes(),
            ours.vm_lck_bytes(),
            ours.vm_hwm_bytes(),
            ours.vm_rss_bytes()
        ],
        [
            kb(theirs.vmpeak),
            kb(theirs.vmsize),
            kb(theirs.vmlck),
            kb(theirs.vmhwm),
            kb(theirs.vmrss)
        ]
    );
    assert_eq!(
        [
            ours.rss_anon_bytes(),
            ours.rss_file_bytes(),
            ours.rss_shmem_bytes(),
            ours.vm_data_bytes(),
            ours.vm_stk_bytes()
        ],
        [
            kb(theirs.rssanon),
            kb(theirs.rssfile),
            kb(theirs.rssshmem),
            kb(theirs.vmdata),
            kb(theirs.vmstk)
        ]
    );
    assert_eq!(
        [
            ours.vm_exe_bytes(),
            ours.vm_lib_bytes(),
            ours.vm_pte_bytes(),
            ours.vm_swap_bytes()
        ],
        [
            kb(theirs.vmexe),
            kb(theirs.vmlib),
            kb(theirs.vmpte),
            kb(theirs.vmswap)
        ]
    );
    assert_eq!(
        (
            ours.voluntary_ctxt_switches(),
            ours.nonvoluntary_ctxt_switches()
        ),
        (
            theirs.voluntary_ctxt_switches,
            theirs.nonvoluntary_ctxt_switches
        )
    );
}

// ---------------------------------------------------------------------------------------------
// limits

proptest! {
    #![proptest_config(config(500))]

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
}

fn check_limits(bytes: &[u8], t: &mut Tally) {
    use procfs::process::LimitValue;
    let ours = parse::limits::parse(bytes).unwrap_or_else(|e| panic!("limits: {e}"));
    t.parsed += 1;
    let theirs = procfs::process::Limits::from_read(bytes).expect("procfs parses limits");
    t.compared += 1;
    let v = |l: LimitValue| match l {
        LimitValue::Unlimited => None,
        LimitValue::Value(v) => Some(v),
    };
    let pairs = [
        (ours.max_cpu_time(), theirs.max_cpu_time),
        (ours.max_file_size(), theirs.max_file_size),
        (ours.max_data_size(), theirs.max_data_size),
        (ours.max_stack_size(), theirs.max_stack_size),
        (ours.max_core_file_size(), theirs.max_core_file_size),
        (ours.max_resident_set(), theirs.max_resident_set),
        (ours.max_processes(), theirs.max_processes),
        (ours.max_open_files(), theirs.max_open_files),
        (ours.max_locked_memory(), theirs.max_locked_memory),
        (ours.max_address_space(), theirs.max_address_space),
        (ours.max_file_locks(), theirs.max_file_locks),
        (ours.max_pending_signals(), theirs.max_pending_signals),
        (ours.max_msgqueue_size(), theirs.max_msgqueue_size),
        (ours.max_nice_priority(), theirs.max_nice_priority),
        (ours.max_realtime_priority(), theirs.max_realtime_priority),
        (ours.max_realtime_timeout(), theirs.max_realtime_timeout),
    ];
    for (o, th) in pairs {
        assert_eq!((o.soft, o.hard), (v(th.soft_limit), v(th.hard_limit)));
    }
}

// ---------------------------------------------------------------------------------------------
// io

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn io_round_trips(v in prop::array::uniform7(any::<u64>())) {
        let text: String = oracle::IO_KEYS.split(' ').zip(v).map(|(k, v)| format!("{k}: {v}\n")).collect();
        prop_assert_eq!(oracle::io_fast(text.as_bytes()), Some(v));
    }
}

fn check_io(bytes: &[u8], t: &mut Tally) {
    if let Err(e) = parse::io::parse(bytes) {
        panic!("io: {e}");
    }
    t.parsed += 1;
    let io = procfs::process::Io::from_read(bytes).expect("procfs parses io");
    t.compared += 1;
    let theirs = [
        io.rchar,
        io.wchar,
        io.syscr,
        io.syscw,
        io.read_bytes,
        io.write_bytes,
        io.cancelled_write_bytes,
    ];
    assert_eq!(oracle::io_fast(bytes), Some(theirs));
}

#[test]
fn own_process_io_parses_and_agrees_with_procfs() {
    // io is the file most often denied for other processes; our own is always readable.
    let mut t = Tally::default();
    check_io(
        &read_unless_gone(Path::new("/proc/self/io")).expect("own io"),
        &mut t,
    );
    assert_eq!(t.compared, 1);
}

// ---------------------------------------------------------------------------------------------
// net/dev

proptest! {
    #![proptest_config(config(500))]

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
}

fn check_net_dev(bytes: &[u8], t: &mut Tally) {
    let ours = parse::net_dev::parse(bytes).unwrap_or_else(|e| panic!("net/dev: {e}"));
    t.parsed += 1;
    assert!(ours.get(b"lo").is_some(), "every network namespace has lo");
    let theirs =
        procfs::net::InterfaceDeviceStatus::from_read(bytes).expect("procfs parses net/dev");
    t.compared += 1;
    assert_eq!(ours.len(), theirs.0.len());
    for i in ours.interfaces() {
        let th = &theirs.0[std::str::from_utf8(i.name).unwrap()];
        assert_eq!(
            i.counters(),
            [
                th.recv_bytes,
                th.recv_packets,
                th.recv_errs,
                th.recv_drop,
                th.recv_fifo,
                th.recv_frame,
                th.recv_compressed,
                th.recv_multicast,
                th.sent_bytes,
                th.sent_packets,
                th.sent_errs,
                th.sent_drop,
                th.sent_fifo,
                th.sent_colls,
                th.sent_carrier,
                th.sent_compressed,
            ]
        );
    }
}

// ---------------------------------------------------------------------------------------------
// /proc/stat

proptest! {
    #![proptest_config(config(500))]

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
}

// ---------------------------------------------------------------------------------------------
// meminfo

proptest! {
    #![proptest_config(config(500))]

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
}

// ---------------------------------------------------------------------------------------------
// loadavg

proptest! {
    #![proptest_config(config(500))]

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
}

// ---------------------------------------------------------------------------------------------
// sockstat

proptest! {
    #![proptest_config(config(500))]

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

// ---------------------------------------------------------------------------------------------
// Every parser at once

/// Every error a parser returns names the parser's own file.
#[test]
fn errors_name_their_file() {
    let bad = b"garbage\n";
    assert_eq!(crate::file_of(parse::stat::parse(bad)), "stat");
    assert_eq!(crate::file_of(parse::statm::parse(bad)), "statm");
    assert_eq!(crate::file_of(parse::status::parse(bad)), "status");
    assert_eq!(crate::file_of(parse::limits::parse(bad)), "limits");
    assert_eq!(crate::file_of(parse::io::parse(bad)), "io");
    assert_eq!(crate::file_of(parse::net_dev::parse(bad)), "net/dev");
    assert_eq!(crate::file_of(parse::proc_stat::parse(bad)), "stat");
    assert_eq!(crate::file_of(parse::meminfo::parse(bad)), "meminfo");
    assert_eq!(crate::file_of(parse::loadavg::parse(bad)), "loadavg");
    assert_eq!(crate::file_of(parse::sockstat::parse(bad)), "net/sockstat");
    assert_eq!(
        crate::file_of(parse::sockstat::parse6(bad)),
        "net/sockstat6"
    );
    assert_eq!(crate::file_of(parse::file_nr::parse(bad)), "sys/fs/file-nr");
}

/// The characters the formats of this file's fixtures are built of, for [`edits`].
const ALPHABET: &[u8] = b"0123456789 \t\n:-+()/.|kBxu";

/// The words of this file's formats that token edits draw from, besides
/// [`ODD_NUMBERS`](crate::support::mutations::ODD_NUMBERS).
const VOCABULARY: &[&[u8]] = &[
    b"2147483648",
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

/// The fixtures the property tests mutate.
const FIXTURES: [&[u8]; 13] = [
    STAT, STAT_PID1, STATM, STATUS, LIMITS, IO, NET_DEV, PROC_STAT, MEMINFO, LOADAVG, SOCKSTAT,
    SOCKSTAT6, FILE_NR,
];

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

crate::agreement_properties! {
    cases: 2000,
    agree: all_agree,
    fixtures: FIXTURES,
    alphabet: ALPHABET,
    vocabulary: VOCABULARY,
    noise: b"0123456789 \t\n:-+()|/.kBu",
}

/// What the zero-allocation test runs every parser over after the fixtures: bad files and empty
/// input.
const BAD: &[&[u8]] = &[b"", b"garbage", b"garbage\n"];

/// Runs every parser, and everything its result offers, over `buf`.
fn exercise(buf: &[u8]) -> u64 {
    let mut sum = 0u64;
    if let Ok(s) = parse::stat::parse(buf) {
        sum += s.rss_bytes(4096) + s.comm_str().map_or(0, |c| c.len() as u64);
        sum += s.utime_seconds(100) as u64;
    }
    if let Ok(m) = parse::statm::parse(buf) {
        sum += m.resident_bytes(4096);
    }
    if let Ok(s) = parse::status::parse(buf) {
        sum += s.vm_rss_bytes().unwrap_or(0) + s.threads() + s.name().len() as u64;
        sum += s.iter().count() as u64 + s.get(b"SigQ").map_or(0, |v| v.len() as u64);
    }
    if let Ok(l) = parse::limits::parse(buf) {
        sum += l.max_open_files().soft.unwrap_or(0) + l.iter().count() as u64;
    }
    if let Ok(io) = parse::io::parse(buf) {
        sum += io.rchar;
    }
    if let Ok(d) = parse::net_dev::parse(buf) {
        sum += d.interfaces().map(|i| i.rx_bytes).sum::<u64>()
            + d.get(b"lo").map_or(0, |i| i.tx_bytes);
    }
    if let Ok(s) = parse::proc_stat::parse(buf) {
        sum += s.cpus().map(|(_, c)| c.idle).sum::<u64>() + s.total.user_seconds(100) as u64;
    }
    if let Ok(m) = parse::meminfo::parse(buf) {
        sum += m.mem_total_bytes() + m.iter().count() as u64;
        sum += parse::meminfo::Field::ALL
            .iter()
            .filter_map(|&f| m.get(f))
            .sum::<u64>();
    }
    if let Ok(l) = parse::loadavg::parse(buf) {
        sum += l.one as u64 + u64::from(l.total);
    }
    for s in [parse::sockstat::parse(buf), parse::sockstat::parse6(buf)]
        .into_iter()
        .flatten()
    {
        sum += s.tcp_inuse().unwrap_or(0) + s.iter().count() as u64;
        sum += s.get(b"TCP", b"mem").unwrap_or(0);
    }
    if let Ok(f) = parse::file_nr::parse(buf) {
        sum += f.allocated;
    }
    sum += parse::dirent::dirents(buf).count() as u64;
    sum
}

#[test]
fn parsers_never_allocate() {
    let inputs: Vec<&[u8]> = FIXTURES.iter().chain(BAD).copied().collect();
    assert_runs_allocate_nothing(&inputs, exercise);
}

#[derive(Default, Debug)]
struct Tally {
    parsed: usize,
    compared: usize,
    skipped: usize,
}

#[test]
fn every_process_parses_and_agrees_with_procfs() {
    let mut tallies: [(&str, Tally); 6] = Default::default();
    for (slot, name) in tallies
        .iter_mut()
        .zip(["stat", "statm", "status", "limits", "io", "net/dev"])
    {
        slot.0 = name;
    }
    let mut vanished_or_denied = 0;
    let pids = pids();
    for &pid in &pids {
        let dir = Path::new("/proc").join(pid.to_string());
        for (i, (file, tally)) in tallies.iter_mut().enumerate() {
            let Some(bytes) = read_unless_gone(&dir.join(*file)) else {
                vanished_or_denied += 1;
                continue;
            };
            if bytes.is_empty() {
                // A zombie's or exiting process's file can read back empty: nothing to parse.
                tally.skipped += 1;
                continue;
            }
            match i {
                0 => check_stat(&bytes, pid, tally),
                1 => check_statm(&bytes, tally),
                2 => check_status(&bytes, pid, tally),
                3 => check_limits(&bytes, tally),
                4 => check_io(&bytes, tally),
                _ => check_net_dev(&bytes, tally),
            }
        }
    }
    eprintln!(
        "{} processes, {vanished_or_denied} files vanished or denied",
        pids.len()
    );
    for (file, t) in &tallies {
        eprintln!("{file:8} {t:?}");
    }
    // Most processes are ours to read: the test must have checked something real.
    for (file, t) in &tallies {
        assert!(t.parsed * 2 > pids.len() || *file == "io", "{file}: {t:?}");
        assert!(t.compared > 0, "{file}: {t:?}");
    }
}

#[test]
fn system_files_parse_and_agree() {
    let read = |p: &str| read_unless_gone(Path::new(p)).unwrap_or_else(|| panic!("{p} unreadable"));

    let bytes = read("/proc/stat");
    let ours = parse::proc_stat::parse(&bytes).expect("/proc/stat");
    let theirs = procfs::KernelStats::from_read(&bytes[..], &procfs_system_info())
        .expect("procfs /proc/stat");
    assert_eq!(
        (ours.ctxt, ours.btime, ours.processes),
        (theirs.ctxt, theirs.btime, theirs.processes)
    );
    assert_eq!(
        (Some(ours.procs_running), Some(ours.procs_blocked)),
        (theirs.procs_running, theirs.procs_blocked)
    );
    let cpus: Vec<_> = ours.cpus().collect();
    assert_eq!(cpus.len(), theirs.cpu_time.len());
    let online = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert!(
        cpus.len() >= online,
        "{} cpu lines, {online} CPUs usable",
        cpus.len()
    );
    for (o, th) in std::iter::once(&ours.total)
        .chain(cpus.iter().map(|(_, c)| c))
        .zip(std::iter::once(&theirs.total).chain(&theirs.cpu_time))
    {
        assert_eq!(
            [o.user, o.nice, o.system, o.idle],
            [th.user, th.nice, th.system, th.idle]
        );
        assert_eq!(
            [o.iowait, o.irq, o.softirq, o.steal, o.guest, o.guest_nice],
            [
                th.iowait,
                th.irq,
                th.softirq,
                th.steal,
                th.guest,
                th.guest_nice
            ]
        );
    }

    let bytes = read("/proc/meminfo");
    let ours = parse::meminfo::parse(&bytes).expect("/proc/meminfo");
    let theirs = procfs::Meminfo::from_read(&bytes[..]).expect("procfs meminfo");
    assert_eq!(
        (ours.mem_total_bytes(), ours.mem_free_bytes()),
        (theirs.mem_total, theirs.mem_free)
    );
    assert_eq!(
        [
            ours.mem_available_bytes(),
            ours.buffers_bytes(),
            ours.cached_bytes(),
            ours.swap_cached_bytes()
        ],
        [
            theirs.mem_available,
            Some(theirs.buffers),
            Some(theirs.cached),
            Some(theirs.swap_cached)
        ]
    );
    assert_eq!(
        [
            ours.active_anon_bytes(),
            ours.inactive_file_bytes(),
            ours.shmem_bytes(),
            ours.s_reclaimable_bytes()
        ],
        [
            theirs.active_anon,
            theirs.inactive_file,
            theirs.shmem,
            theirs.s_reclaimable
        ]
    );
    assert_eq!(
        [
            ours.committed_as_bytes(),
            ours.vmalloc_total_bytes(),
            ours.hugepagesize_bytes(),
            ours.direct_map_2m_bytes()
        ],
        [
            Some(theirs.committed_as),
            Some(theirs.vmalloc_total),
            theirs.hugepagesize,
            theirs.direct_map_2M
        ]
    );
    assert_eq!(
        [
            ours.huge_pages_total(),
            ours.huge_pages_free(),
            ours.huge_pages_rsvd(),
            ours.huge_pages_surp()
        ],
        [
            theirs.hugepages_total,
            theirs.hugepages_free,
            theirs.hugepages_rsvd,
            theirs.hugepages_surp
        ]
    );
    assert_eq!(oracle::meminfo(&bytes), oracle::meminfo_fast(&bytes));

    let bytes = read("/proc/loadavg");
    let ours = parse::loadavg::parse(&bytes).expect("/proc/loadavg");
    let theirs = procfs::LoadAverage::from_read(&bytes[..]).expect("procfs loadavg");
    for (o, th) in [
        (ours.one, theirs.one),
        (ours.five, theirs.five),
        (ours.fifteen, theirs.fifteen),
    ] {
        assert!(
            (o as f32 - th).abs() <= f32::EPSILON * th.abs().max(1.0),
            "{o} vs {th}"
        );
    }
    assert_eq!(
        (ours.runnable, ours.total, ours.last_pid as u32),
        (theirs.cur, theirs.max, theirs.latest_pid)
    );

    // No procfs parser reads these from bytes: the naive oracle is the second opinion.
    let bytes = read("/proc/net/sockstat");
    let ours = parse::sockstat::parse(&bytes).expect("/proc/net/sockstat");
    assert!(ours.sockets_used().is_some() && ours.tcp_inuse().is_some());
    assert_eq!(
        oracle::sockstat(&bytes, false),
        oracle::sockstat_fast(&bytes, false)
    );
    if let Some(bytes) = read_unless_gone(Path::new("/proc/net/sockstat6")) {
        let ours = parse::sockstat::parse6(&bytes).expect("/proc/net/sockstat6");
        assert!(ours.tcp6_inuse().is_some());
        assert_eq!(
            oracle::sockstat(&bytes, true),
            oracle::sockstat_fast(&bytes, true)
        );
    }

    let bytes = read("/proc/sys/fs/file-nr");
    let ours = parse::file_nr::parse(&bytes).expect("file-nr");
    assert_eq!(oracle::file_nr(&bytes), oracle::file_nr_fast(&bytes));
    let theirs = procfs::sys::fs::file_nr().expect("procfs file-nr");
    assert_eq!(ours.max, theirs.max, "fs.file-max changed during the test?");
    assert!(ours.allocated > 0 && ours.allocated <= ours.max);

    let bytes = read("/proc/net/dev");
    let mut t = Tally::default();
    check_net_dev(&bytes, &mut t);
}

#[test]
fn every_thread_stat_and_status_parse_and_agree() {
    let (mut stat, mut status) = (Tally::default(), Tally::default());
    for pid in pids() {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for task in tasks.filter_map(Result::ok) {
            let Some(tid) = task
                .file_name()
                .to_str()
                .and_then(|t| t.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(bytes) =
                read_unless_gone(&task.path().join("stat")).filter(|b| !b.is_empty())
            {
                check_stat(&bytes, tid, &mut stat);
            }
            if let Some(bytes) =
                read_unless_gone(&task.path().join("status")).filter(|b| !b.is_empty())
            {
                let ours =
                    parse::status::parse(&bytes).unwrap_or_else(|e| panic!("tid {tid}: {e}"));
                assert_eq!((ours.pid() as u32, ours.tgid() as u32), (tid, pid));
                status.parsed += 1;
            }
        }
    }
    eprintln!("threads: stat {stat:?}, status {status:?}");
    assert!(stat.compared > 0 && status.parsed > 0);
}
