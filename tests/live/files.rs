//! Reading held files through `Proc` and `System`: fresh data on every read, growth, the cap,
//! errors naming the file; the per-process files, links and thread list read through the handle.

use crate::support::fixtures::CGROUP_PATH;
use crate::support::helper::{wait_until_zombie, Helper};
use procfast::parse::{cgroup, schedstat, value};
use procfast::{Budget, Error, Proc, ReadBuf, Stop, System};
use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::ops::ControlFlow;
use std::path::Path;

#[test]
fn a_held_file_returns_fresh_data_on_every_read() {
    let mut me = Proc::myself().unwrap();
    let before = me.io().unwrap().rchar;
    // Reading /proc/self/io itself counts as reading: rchar must have moved on the next read.
    let _ = std::fs::read("/proc/self/stat").unwrap();
    let after = me.io().unwrap().rchar;
    assert!(after > before, "{before} -> {after}");
    assert_eq!(me.stat().unwrap().pid, std::process::id() as i32);
}

#[test]
fn a_small_buffer_grows_and_reads_the_same_bytes() {
    let mut small = Proc::myself().unwrap();
    small.replace_read_buf(ReadBuf::with_capacity(16, 1 << 20));
    let mut big = Proc::myself().unwrap();
    let (a, b) = (small.status().unwrap(), big.status().unwrap());
    assert_eq!(a.name(), b.name());
    assert_eq!((a.pid(), a.ppid(), a.uid()), (b.pid(), b.ppid(), b.uid()));
    let keys = |p: &mut Proc| -> Vec<Vec<u8>> {
        let status = p.status().unwrap();
        status.iter().map(|(k, _)| k.to_vec()).collect()
    };
    assert_eq!(keys(&mut small), keys(&mut big));
    // net/dev is generated a page of records at a time: read to the real end too.
    let mut tiny = Proc::myself().unwrap();
    tiny.replace_read_buf(ReadBuf::with_capacity(8, 1 << 20));
    let names: Vec<_> = tiny
        .net_dev()
        .unwrap()
        .interfaces()
        .map(|i| i.name.to_vec())
        .collect();
    assert!(names.iter().any(|n| n == b"lo"), "{names:?}");
}

#[test]
fn a_file_over_the_cap_is_too_large_not_truncated() {
    let too_large = |file, cap| Error::TooLarge { file, cap };
    let mut me = Proc::myself().unwrap();
    me.replace_read_buf(ReadBuf::with_cap(64));
    assert_eq!(me.status().unwrap_err(), too_large("status", 64));
    let mut system = System::open().unwrap();
    system.replace_read_buf(ReadBuf::with_cap(32));
    assert_eq!(system.meminfo().unwrap_err(), too_large("meminfo", 32));
    // The cap is the caller's to raise.
    me.replace_read_buf(ReadBuf::new());
    assert!(me.status().is_ok());
}

/// A `sleep 30` child, and a handle on it.
fn sleeper() -> (std::process::Child, Proc) {
    let child = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let proc = Proc::open(child.id() as i32).unwrap();
    (child, proc)
}

#[test]
fn files_of_an_exited_process_are_gone() {
    let (mut child, mut proc) = sleeper();
    assert_eq!(proc.stat().unwrap().comm, b"sleep");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(proc.stat().unwrap_err(), Error::Gone);
    assert_eq!(proc.status().unwrap_err(), Error::Gone);
    assert_eq!(proc.limits().unwrap_err(), Error::Gone);
}

#[test]
fn system_figures_are_sane() {
    let mut system = System::open().unwrap();
    let ticks = procfast::clock_ticks_per_second();
    assert!(ticks > 0);
    assert!(procfast::page_size().is_power_of_two());
    let stat = system.stat().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(stat.btime > 0 && stat.btime <= now);
    let nr = system.file_nr().unwrap();
    assert!(nr.allocated > 0);
    let load = system.loadavg().unwrap();
    assert!(load.runnable >= 1, "{load:?}");
}

#[test]
fn cmdline_and_exe_through_the_handle() {
    let mut child = std::process::Command::new("sleep")
        // GNU sleep adds up its arguments.
        .args(["30", "0.5"])
        .spawn()
        .unwrap();
    let mut proc = Proc::open(child.id() as i32).unwrap();
    // The child may still be between fork and exec: wait for its new command line.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while proc.cmdline().unwrap().argv0() != Some(b"sleep") {
        assert!(
            std::time::Instant::now() < deadline,
            "sleep never ran: {:?} vs {:?} fresh {:?}",
            proc.cmdline()
                .map(|c| String::from_utf8_lossy(c.as_bytes()).into_owned()),
            std::fs::read(format!("/proc/{}/cmdline", child.id())),
            Proc::open(child.id() as i32)
                .unwrap()
                .cmdline()
                .map(|c| c.as_bytes().len())
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let args: Vec<Vec<u8>> = proc.cmdline().unwrap().args().map(<[u8]>::to_vec).collect();
    assert_eq!(args, [b"sleep".to_vec(), b"30".to_vec(), b"0.5".to_vec()]);
    let mut buf = [0u8; 4096];
    let exe = proc.exe(&mut buf).unwrap().unwrap().to_vec();
    assert_eq!(
        exe,
        std::fs::read_link(format!("/proc/{}/exe", child.id()))
            .unwrap()
            .into_os_string()
            .into_encoded_bytes()
    );
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(proc.cmdline().unwrap_err(), Error::Gone);
    assert_eq!(proc.exe(&mut buf).unwrap_err(), Error::Gone);

    // A kernel thread has neither (kthreadd is pid 2 in the host's pid namespace).
    let mut kthreadd = Proc::open(2).unwrap();
    if kthreadd.stat().unwrap().comm == b"kthreadd" {
        assert!(kthreadd.cmdline().unwrap().is_empty());
        assert_eq!(kthreadd.exe(&mut buf).unwrap(), None);
    }
}

#[test]
fn smaps_rollup_through_the_handle() {
    let mut me = Proc::myself().unwrap();
    let smaps = me.smaps_rollup().unwrap();
    assert!(
        smaps.rss_bytes > 0 && smaps.pss_bytes <= smaps.rss_bytes,
        "{smaps:?}"
    );
    // The same figures as a read by path, within what the process touched in between.
    let text = std::fs::read("/proc/self/smaps_rollup").unwrap();
    let again = procfast::parse::smaps_rollup::parse(&text).unwrap();
    assert!(
        again.rss_bytes.abs_diff(smaps.rss_bytes) < 1 << 20,
        "{smaps:?} {again:?}"
    );
}

#[test]
fn cpu_times_are_copied_out_and_sys_numbers_read() {
    let mut system = System::open().unwrap();
    let text = std::fs::read_to_string("/proc/stat").unwrap();
    let listed = text
        .lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .count();
    let mut per_cpu = [(u32::MAX, Default::default()); 4096];
    let (total, cpus) = system.cpu_times(&mut per_cpu).unwrap();
    assert_eq!(cpus, listed);
    // The copies outlive the read: other files read in between leave them as they were.
    let _ = system.meminfo().unwrap();
    let (short, _) = system.cpu_times(&mut per_cpu[..1]).unwrap();
    assert!(short.user >= total.user && short.idle >= total.idle);
    let ids: Vec<u32> = per_cpu[..cpus].iter().map(|(id, _)| *id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert_eq!(per_cpu[cpus].0, u32::MAX, "nothing past the listed CPUs");
    let summed: u64 = per_cpu[..cpus].iter().map(|(_, t)| t.user).sum();
    // The total line is the per-CPU lines summed, each rounded to a tick.
    assert!(
        summed.abs_diff(total.user) <= cpus as u64,
        "{summed} vs {}",
        total.user
    );

    let file_max: u64 = std::fs::read_to_string("/proc/sys/fs/file-max")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(system.sys_u64(c"fs/file-max").unwrap(), file_max);
    let paranoid = system.sys_i64(c"kernel/perf_event_paranoid");
    assert!(
        paranoid.is_ok() || matches!(paranoid, Err(Error::Io { .. })),
        "{paranoid:?}"
    );
    assert!(matches!(
        system.sys_u64(c"fs/no-such-file"),
        Err(Error::NotInMount { .. })
    ));
    // Two numbers (file-nr) are not one.
    assert!(matches!(
        system.sys_u64(c"fs/file-nr"),
        Err(Error::Parse { .. })
    ));
    let long = std::ffi::CString::new("a".repeat(300)).unwrap();
    assert!(matches!(system.sys_u64(&long), Err(Error::Parse { .. })));
}

// ---------------------------------------------------------------------------------------------
// The per-process files and links below `/proc/<pid>`, and its thread list, through the handle:
// this process, a helper child, a child that exits.

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
    assert_eq!(me.cgroup().unwrap(), cgroup::parse(&by_path).unwrap());
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
    let file = std::fs::File::open(CGROUP_PATH).unwrap();
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
        .ends_with(CGROUP_PATH));
    assert_eq!(
        me.exe(&mut buf).unwrap(),
        me.readlink(c"exe", &mut [0; 4096]).unwrap()
    );
    // A closed fd: the process is alive, the link names nothing. Closed near the fd limit,
    // where the files other tests' threads open meanwhile do not take its number again.
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
    let near_limit = limit.map_or(1024, |l| l.min(1 << 20) as i32 - 16).max(64);
    let high = rustix::io::fcntl_dupfd_cloexec(&file, near_limit).unwrap();
    let closed = std::os::fd::AsRawFd::as_raw_fd(&high);
    drop(high);
    drop(file);
    assert_eq!(
        me.readlink(
            &std::ffi::CString::new(format!("fd/{closed}")).unwrap(),
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
    let helper = Helper::holding_fds(4);
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
    let (mut child, mut proc) = sleeper();
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
    wait_until_zombie(child.id() as i32);
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
