//! Live truth: every readable /proc file of every process on this machine, and the system-wide
//! files, parse without error, and agree with the `procfs` crate (procfs-core's parsers) on the
//! very same bytes.
//!
//! Processes come and go while the test runs: a file that vanished (`ENOENT`, `ESRCH`) or is
//! denied (`EACCES`, `EPERM`, e.g. another user's `io`) is skipped and counted, never a failure.
//! Where procfs-core itself cannot parse the bytes, or knowingly reads them differently (it cuts
//! a status `Name` at a second colon), the comparison is skipped and counted too.

mod oracle;

use std::io::ErrorKind;
use std::path::Path;

use procfast::parse;
use procfs::{FromRead, FromReadSI};

/// Reads a whole /proc file; `None` if it vanished or is denied.
fn read(path: &Path) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::PermissionDenied) => None,
        Err(e) if e.raw_os_error() == Some(libc::ESRCH) => None,
        Err(e) => panic!("reading {}: {e}", path.display()),
    }
}

#[derive(Default, Debug)]
struct Tally {
    parsed: usize,
    compared: usize,
    skipped: usize,
}

fn pids() -> Vec<u32> {
    let mut pids: Vec<u32> = std::fs::read_dir("/proc")
        .expect("/proc is mounted")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    assert!(
        pids.len() > 3,
        "too few processes to be a meaningful test: {pids:?}"
    );
    pids
}

fn info() -> procfs::ExplicitSystemInfo {
    procfs::ExplicitSystemInfo {
        boot_time_secs: 0,
        ticks_per_second: 100,
        page_size: 4096,
        is_little_endian: cfg!(target_endian = "little"),
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

fn check_statm(bytes: &[u8], t: &mut Tally) {
    let ours = parse::statm::parse(bytes).unwrap_or_else(|e| panic!("statm: {e}: {bytes:?}"));
    t.parsed += 1;
    let theirs = procfs::process::StatM::from_read(bytes).expect("procfs parses statm");
    t.compared += 1;
    assert_eq!(
        [
            ours.size,
            ours.resident,
            ours.shared,
            ours.text,
            ours.lib,
            ours.data,
            ours.dt
        ],
        [
            theirs.size,
            theirs.resident,
            theirs.shared,
            theirs.text,
            theirs.lib,
            theirs.data,
            theirs.dt
        ]
    );
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

fn check_io(bytes: &[u8], t: &mut Tally) {
    let ours = parse::io::parse(bytes).unwrap_or_else(|e| panic!("io: {e}"));
    t.parsed += 1;
    let theirs = procfs::process::Io::from_read(bytes).expect("procfs parses io");
    t.compared += 1;
    assert_eq!(
        [
            ours.rchar,
            ours.wchar,
            ours.syscr,
            ours.syscw,
            ours.read_bytes,
            ours.write_bytes,
            ours.cancelled_write_bytes
        ],
        [
            theirs.rchar,
            theirs.wchar,
            theirs.syscr,
            theirs.syscw,
            theirs.read_bytes,
            theirs.write_bytes,
            theirs.cancelled_write_bytes
        ]
    );
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
            let Some(bytes) = read(&dir.join(*file)) else {
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
fn own_process_io_parses_and_agrees_with_procfs() {
    // io is the file most often denied for other processes; our own is always readable.
    let mut t = Tally::default();
    check_io(&read(Path::new("/proc/self/io")).expect("own io"), &mut t);
    assert_eq!(t.compared, 1);
}

#[test]
fn system_files_parse_and_agree() {
    let read = |p: &str| read(Path::new(p)).unwrap_or_else(|| panic!("{p} unreadable"));

    let bytes = read("/proc/stat");
    let ours = parse::proc_stat::parse(&bytes).expect("/proc/stat");
    let theirs = procfs::KernelStats::from_read(&bytes[..], &info()).expect("procfs /proc/stat");
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
    if let Some(bytes) = self::read(Path::new("/proc/net/sockstat6")) {
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
            if let Some(bytes) = read(&task.path().join("stat")).filter(|b| !b.is_empty()) {
                check_stat(&bytes, tid, &mut stat);
            }
            if let Some(bytes) = read(&task.path().join("status")).filter(|b| !b.is_empty()) {
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
