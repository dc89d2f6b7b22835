//! Reading held files through `Proc` and `System`: fresh data on every read, growth, the cap,
//! and errors naming the file.

use procfast::{Error, Proc, ReadBuf, System};

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
    let keys_a: Vec<_> = small
        .status()
        .unwrap()
        .iter()
        .map(|(k, _)| k.to_vec())
        .collect();
    let keys_b: Vec<_> = big
        .status()
        .unwrap()
        .iter()
        .map(|(k, _)| k.to_vec())
        .collect();
    assert_eq!(keys_a, keys_b);
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
    let mut me = Proc::myself().unwrap();
    me.replace_read_buf(ReadBuf::with_cap(64));
    assert_eq!(
        me.status().unwrap_err(),
        Error::TooLarge {
            file: "status",
            cap: 64
        }
    );
    let mut system = System::open().unwrap();
    system.replace_read_buf(ReadBuf::with_cap(32));
    assert_eq!(
        system.meminfo().unwrap_err(),
        Error::TooLarge {
            file: "meminfo",
            cap: 32
        }
    );
    // The cap is the caller's to raise.
    me.replace_read_buf(ReadBuf::new());
    assert!(me.status().is_ok());
}

#[test]
fn files_of_an_exited_process_are_gone() {
    let mut child = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let mut proc = Proc::open(child.id() as i32).unwrap();
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
