//! Kept handles: a kept scanner follows processes that come and go, reads only the fields asked
//! for, and `scan_choosing` reads less of the processes it holds and a reused pid as new.

use crate::support::helper::Helper;
use crate::support::row_of;
use crate::zombies;
use procfast::{Budget, Fields, Row, Scanner, SortKey};
use std::ops::ControlFlow;
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn scanning_while_processes_come_and_go_never_errors() {
    // Its children are zombies between their exit and their reaping (see `zombies`).
    let _zombies = zombies();
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let stop = Arc::new(AtomicBool::new(false));
    let spawner = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut spawned = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let children: Vec<_> = (0..8)
                    .filter_map(|_| std::process::Command::new("true").spawn().ok())
                    .collect();
                for mut child in children {
                    let _ = child.wait();
                    spawned += 1;
                }
            }
            spawned
        })
    };
    let mut cold = Scanner::new(Fields::ALL).unwrap();
    let mut kept = Scanner::new(Fields::ALL).unwrap().keep_handles(4_000);
    let (mut vanished, mut scans) = (0, 0);
    let give_up = Instant::now() + Duration::from_secs(20);
    while scans < 200 || (vanished == 0 && Instant::now() < give_up) {
        for scanner in [&mut cold, &mut kept] {
            let summary = scanner
                .scan(&Budget::UNLIMITED, |_| ControlFlow::Continue(()))
                .unwrap();
            assert!(summary.is_complete());
            vanished += summary.vanished;
            scans += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let spawned = spawner.join().unwrap();
    assert!(spawned > 0);
    assert!(
        vanished > 0,
        "{scans} scans racing {spawned} short-lived processes saw none vanish"
    );
    // The kept scanner dropped the handles of every process that exited.
    let live = kept
        .scan(&Budget::UNLIMITED, |_| ControlFlow::Continue(()))
        .unwrap()
        .scanned;
    // At most one fd per source of a process: stat, status, io, fd and schedstat.
    assert!(
        kept.held_fds() <= 5 * live as usize,
        "{} fds held for {live} processes",
        kept.held_fds()
    );
}

#[test]
fn kept_handles_follow_the_fields_asked_for() {
    let helper = Helper::holding_fds(2_345);
    let mut scanner = Scanner::new(Fields::COMM).unwrap().keep_handles(1_000);
    let (row, _) = row_of(&mut scanner, helper.pid);
    assert_eq!(row.unwrap().fds, None, "not asked for");
    // top() adds its key's figure: handles kept for COMM alone must not hide it.
    // Others on the host (parallel tests) may hold more fds: find the helper among the top.
    let (top, _) = scanner.top(64, SortKey::Fds, &Budget::UNLIMITED).unwrap();
    let ours = top.iter().find(|r| r.pid == helper.pid).map(|r| r.fds);
    assert_eq!(ours, Some(Some(2_345)));
    let (row, _) = row_of(&mut scanner, helper.pid);
    let row = row.unwrap();
    assert!(!row.comm().is_empty());
    assert_eq!(
        row.fds, None,
        "held handles do not add figures that were not asked for"
    );
}

/// The rows of one `scan_choosing` of the processes `ours` (others are read for nothing, so
/// the fd budget is theirs whatever else runs on the host), with what `choose` was told.
fn scan_choosing_rows(
    scanner: &mut Scanner,
    ours: &[i32],
    choose: impl Fn(bool) -> Fields,
) -> (Vec<Row>, Vec<(i32, bool)>) {
    let (mut rows, mut told) = (Vec::new(), Vec::new());
    scanner
        .scan_choosing(
            &Budget::UNLIMITED,
            |pid, kept| {
                if !ours.contains(&pid) {
                    return Fields::NONE;
                }
                told.push((pid, kept));
                choose(kept)
            },
            |row| {
                if ours.contains(&row.pid) {
                    rows.push(*row);
                }
                ControlFlow::Continue(())
            },
        )
        .unwrap();
    (rows, told)
}

#[test]
fn scan_choosing_reads_less_of_processes_it_holds() {
    let fields = Fields::COMM | Fields::CPU | Fields::UID | Fields::FDS;
    let mut scanner = Scanner::new(fields).unwrap().keep_handles(100);
    let less = |kept: bool| {
        if kept {
            Fields::CPU
        } else {
            Fields::ALL
        }
    };
    let helper = Helper::holding_fds(10);
    let late = Helper::holding_fds(20);
    let (first, _) = scan_choosing_rows(&mut scanner, &[helper.pid], less);
    assert!(!first[0].kept, "first sight");
    // Asked for ALL, read within the scanner's own fields only.
    let figures = |r: &Row| (r.fds, r.uid.is_some(), r.io_read_bytes);
    assert_eq!(figures(&first[0]), (Some(10), true, None));

    let (second, told) = scan_choosing_rows(&mut scanner, &[helper.pid, late.pid], less);
    let ours = second.iter().find(|r| r.pid == helper.pid).unwrap();
    assert!(ours.kept && told.contains(&(helper.pid, true)));
    assert_eq!((ours.fds, ours.uid), (None, None), "only what was chosen");
    assert!(ours.cpu_seconds.is_some() && ours.comm().is_empty());
    let new = second.iter().find(|r| r.pid == late.pid).unwrap();
    assert!(!new.kept && told.contains(&(late.pid, false)));
    assert_eq!(figures(new), (Some(20), true, None));
}

#[test]
fn scan_choosing_reads_a_reused_pid_as_new() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: reusing a pid on purpose needs root (ns_last_pid)");
        return;
    }
    let mut scanner = Scanner::new(Fields::ALL).unwrap().keep_handles(100);
    let less = |kept: bool| if kept { Fields::CPU } else { Fields::ALL };
    let sleep = || Command::new("sleep").arg("30").spawn().unwrap();
    // Other processes may take the pid first: retry.
    for _ in 0..50 {
        let mut first = sleep();
        let pid = first.id() as i32;
        scan_choosing_rows(&mut scanner, &[pid], less);
        let _ = first.kill();
        let _ = first.wait();
        std::fs::write("/proc/sys/kernel/ns_last_pid", (pid - 1).to_string()).unwrap();
        let mut again = sleep();
        if again.id() as i32 != pid {
            let _ = again.kill();
            let _ = again.wait();
            continue;
        }
        let (rows, told) = scan_choosing_rows(&mut scanner, &[pid], less);
        let _ = again.kill();
        let _ = again.wait();
        // Its held handles were the old process's: asked again as new, and read whole.
        assert_eq!(told, [(pid, true), (pid, false)]);
        assert!(!rows[0].kept && rows[0].uid.is_some() && rows[0].fds.is_some());
        println!("pid {pid} reused; read as a new process");
        return;
    }
    eprintln!("skipped: no pid could be had again in 50 tries");
}

/// Read syscalls this thread has made so far (`syscr`, which counts `pread`s too).
fn reads_so_far() -> u64 {
    let io = std::fs::read_to_string("/proc/thread-self/io").unwrap();
    let syscr = io.lines().find_map(|l| l.strip_prefix("syscr: ")).unwrap();
    syscr.parse().unwrap()
}

/// A task's context switches and bytes written, as its own files say now.
fn switches_and_writes(pid: i32) -> (Option<u64>, Option<u64>, Option<u64>) {
    let status = std::fs::read(format!("/proc/{pid}/status")).unwrap();
    let status = procfast::parse::status::parse(&status).unwrap();
    let io = std::fs::read(format!("/proc/{pid}/io")).unwrap();
    let io = procfast::parse::io::parse(&io).unwrap();
    (
        status.voluntary_ctxt_switches(),
        status.nonvoluntary_ctxt_switches(),
        Some(io.write_bytes),
    )
}

/// Waits until task `pid` sleeps where its wchan names `wchan` (`pipe_read` is
/// `anon_pipe_read` on newer kernels), with its `schedstat` the same twice running.
fn wait_asleep_in(pid: i32, wchan: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let schedstat = || std::fs::read(format!("/proc/{pid}/schedstat")).unwrap();
    loop {
        let before = schedstat();
        std::thread::sleep(Duration::from_millis(20));
        let waits = std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap();
        if waits.contains(wchan) && schedstat() == before {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{pid} still not asleep in {wchan}: {waits}"
        );
    }
}

/// The kept scan's row of `pid` for `fields`, and the reads the scan made.
fn kept_row(scanner: &mut Scanner, pid: i32, fields: Fields) -> (Row, u64) {
    let before = reads_so_far();
    let (rows, _) = scan_choosing_rows(scanner, &[pid], |_| fields);
    let reads = reads_so_far() - before;
    (rows[0], reads)
}

fn figures_of(row: &Row) -> (Option<u64>, Option<u64>, Option<u64>) {
    (
        row.voluntary_ctxt_switches,
        row.nonvoluntary_ctxt_switches,
        row.io_write_bytes,
    )
}

/// Held by a test that counts reads a swap area changes, and by the test that adds one.
static SWAP_AREAS: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn swap_area_listed() -> bool {
    let swaps = std::fs::read_to_string("/proc/swaps").unwrap();
    swaps.lines().count() > 1
}

#[test]
fn status_and_io_are_read_again_only_once_the_task_has_run() {
    use std::io::Write;
    let _swap = SWAP_AREAS.lock().unwrap_or_else(|e| e.into_inner());
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("kept-cat.out");
    let mut cat = Command::new("cat")
        .stdin(std::process::Stdio::piped())
        .stdout(std::fs::File::create(&out).unwrap())
        .spawn()
        .unwrap();
    let pid = cat.id() as i32;
    let mut stdin = cat.stdin.take().unwrap();
    wait_asleep_in(pid, "pipe_read");
    let fields = Fields::COMM | Fields::CTXT_SWITCHES | Fields::IO | Fields::SWAP;
    let mut scanner = Scanner::new(fields).unwrap().keep_handles(100);
    let (first, _) = kept_row(&mut scanner, pid, fields);
    assert_eq!(figures_of(&first), switches_and_writes(pid));
    let (asleep, reads_asleep) = kept_row(&mut scanner, pid, fields);
    assert_eq!(figures_of(&asleep), switches_and_writes(pid));

    // Woken: it reads what was written, writes it to its file and sleeps again.
    stdin.write_all(&[b'x'; 64 << 10]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::metadata(&out).unwrap().len() < 64 << 10 {
        assert!(Instant::now() < deadline, "cat wrote nothing");
        std::thread::sleep(Duration::from_millis(5));
    }
    wait_asleep_in(pid, "pipe_read");
    let (woken, reads_woken) = kept_row(&mut scanner, pid, fields);
    assert!(figures_of(&woken).0 > figures_of(&asleep).0, "it ran");
    assert_eq!(figures_of(&woken), switches_and_writes(pid));
    let (again, reads_again) = kept_row(&mut scanner, pid, fields);
    assert_eq!(figures_of(&again), switches_and_writes(pid));
    assert_eq!(reads_again, reads_asleep);
    // Once it has run, `status` and `io` are read again; asleep, neither (but for `status`
    // where the host has a swap area, whose `VmSwap` may change while it sleeps).
    let skipped = if swap_area_listed() { 1 } else { 2 };
    assert_eq!(reads_woken, reads_asleep + skipped);
    drop(stdin);
    let _ = cat.wait();
}

#[test]
fn the_io_of_a_process_of_several_threads_is_read_while_its_first_sleeps() {
    use std::io::{BufRead, BufReader, Write};
    // The main thread waits in join(); the other writes a file for each line it is sent.
    let script = "import sys, threading\n\
        def work():\n    \
            with open(sys.argv[1], 'w') as f:\n        \
                for line in sys.stdin:\n            \
                    f.write('x' * 65536); f.flush(); print('wrote', flush=True)\n\
        t = threading.Thread(target=work); t.start(); print('ready', flush=True); t.join()\n";
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("kept-threads.out");
    let Ok(mut python) = Command::new("python3")
        .args(["-c", script])
        .arg(&out)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
    else {
        eprintln!("skipped: no python3");
        return;
    };
    let pid = python.id() as i32;
    let mut stdin = python.stdin.take().unwrap();
    let mut said = BufReader::new(python.stdout.take().unwrap());
    let mut line = String::new();
    said.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    let fields = Fields::COMM | Fields::THREADS | Fields::IO;
    let mut scanner = Scanner::new(fields).unwrap().keep_handles(100);
    let writes = |pid| switches_and_writes(pid).2;
    let (first, _) = kept_row(&mut scanner, pid, fields);
    assert_eq!(first.threads, Some(2));
    let main_thread = || std::fs::read(format!("/proc/{pid}/schedstat")).unwrap();
    for _ in 0..3 {
        let before = main_thread();
        stdin.write_all(b"write\n").unwrap();
        line.clear();
        said.read_line(&mut line).unwrap();
        assert_eq!(line, "wrote\n");
        let (row, _) = kept_row(&mut scanner, pid, fields);
        if main_thread() == before {
            // The first thread slept throughout, yet the process wrote.
            assert_eq!(row.io_write_bytes, writes(pid));
            drop(stdin);
            let _ = python.wait();
            return;
        }
    }
    panic!("python's main thread ran at every write: the case is not reached");
}

/// A swap file in use while it lives: `swapoff` on drop.
struct SwapFile(std::path::PathBuf);

impl SwapFile {
    fn on() -> Option<SwapFile> {
        let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("kept.swap");
        // dd's zeros rather than a sparse file, which swapon refuses.
        let zeros = Command::new("dd")
            .args(["if=/dev/zero", "bs=1M", "count=16", "status=none"])
            .arg(format!("of={}", path.display()))
            .status()
            .is_ok_and(|s| s.success());
        use std::os::unix::fs::PermissionsExt;
        let private = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
        let run = |program: &str| {
            Command::new(program)
                .arg(&path)
                .stdout(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        (zeros && private.is_ok() && run("mkswap") && run("swapon")).then_some(SwapFile(path))
    }
}

impl Drop for SwapFile {
    fn drop(&mut self) {
        let _ = Command::new("swapoff").arg(&self.0).status();
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn with_a_swap_area_status_is_read_every_scan() {
    let _swap = SWAP_AREAS.lock().unwrap_or_else(|e| e.into_inner());
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: adding a swap area needs root");
        return;
    }
    let mut sleeper = Command::new("sleep").arg("60").spawn().unwrap();
    let pid = sleeper.id() as i32;
    wait_asleep_in(pid, "nanosleep");
    // Reads of two asleep scans apart: for the swap figure, and without it.
    let asleep_reads = |fields: Fields| {
        let mut scanner = Scanner::new(fields).unwrap().keep_handles(100);
        kept_row(&mut scanner, pid, fields);
        kept_row(&mut scanner, pid, fields)
    };
    let with = Fields::COMM | Fields::CTXT_SWITCHES | Fields::SWAP;
    let without = Fields::COMM | Fields::CTXT_SWITCHES;
    let was_listed = swap_area_listed();
    let Some(area) = SwapFile::on() else {
        eprintln!("skipped: no swap file could be put in use here");
        let _ = sleeper.kill();
        let _ = sleeper.wait();
        return;
    };
    let (row, swapped) = asleep_reads(with);
    let (_, unswapped) = asleep_reads(without);
    drop(area);
    let status = std::fs::read(format!("/proc/{pid}/status")).unwrap();
    let status = procfast::parse::status::parse(&status).unwrap();
    assert_eq!(row.swap_bytes, status.vm_swap_bytes());
    // `/proc/swaps`, then `status` as well as `schedstat` and `stat`.
    assert_eq!(swapped, unswapped + 2);
    if !was_listed && !swap_area_listed() {
        // And with the area gone, only `/proc/swaps` more.
        let (row, swapped) = asleep_reads(with);
        let (_, unswapped) = asleep_reads(without);
        assert_eq!(row.swap_bytes, Some(0));
        assert_eq!(swapped, unswapped + 1);
    }
    let _ = sleeper.kill();
    let _ = sleeper.wait();
}
