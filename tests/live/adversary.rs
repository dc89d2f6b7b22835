//! What procfast guarantees when a careful user or an attacker pushes on it: exiting processes,
//! zombies, reused pids, mounts stacked over /proc entries, procfs mounts of other pid
//! namespaces, `subset=pid` and `hidepid` mounts. One test per case; those that mount run in a
//! private mount namespace of their own (and skip when not root).

use crate::support::helper::{most_fds, Helper};
use crate::support::rerun::{
    self, assert_passes_in_private_mount_namespace, mount, running_as_root, scratch_dir, test_name,
};
use crate::support::row_of;
use procfast::{Budget, Error, Fields, Method, Proc, ProcFs, ProcessMetrics, Scanner, System};
use std::ops::ControlFlow;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Accepts a count only if it is the whole truth: `n` and complete, or `Gone`.
fn assert_full_or_gone(what: &str, n: u64, got: procfast::Result<(u64, bool)>) -> bool {
    match got {
        Ok((count, complete)) => {
            assert!(
                count == n && complete,
                "{what}: {count} (complete: {complete}) while {n} fds were open"
            );
            false
        }
        Err(Error::Gone) => true,
        Err(e) => panic!("{what}: unexpected {e:?}"),
    }
}

// 1. The exit window: between the kernel's exit_files and the zombie state the state reads R
// but the table is gone or going. Every method, every round: the full count or Gone.
#[test]
fn the_exit_window_never_gives_a_short_count() {
    let mut sizes = vec![10, 1_000];
    sizes.push(most_fds());
    let mut in_window = 0;
    for &n in &sizes {
        let n64 = n as u64;
        for _ in 0..20 {
            let mut helper = Helper::holding_fds(n);
            let pid = helper.pid;
            let mut auto = Proc::open(pid).unwrap();
            let mut stat = Proc::open(pid).unwrap();
            let mut walk = Proc::open(pid).unwrap();
            let mut at_least = Proc::open(pid).unwrap();
            let mut metrics = ProcessMetrics::open(pid).unwrap();
            let mut scanner = Scanner::new(Fields::FDS | Fields::STATE | Fields::THREADS)
                .unwrap()
                .keep_handles(64);
            // Open every handle's files before the kill, as an exporter would have.
            assert_eq!(auto.fd_count().unwrap().count, n64);
            assert_eq!(metrics.snapshot().unwrap().open_fds, Some(n64));
            assert_eq!(row_of(&mut scanner, pid).0.and_then(|r| r.fds), Some(n64));

            helper.kill_only();
            let deadline = Instant::now() + Duration::from_secs(20);
            let mut all_gone = false;
            while !all_gone {
                assert!(Instant::now() < deadline, "pid {pid} never read as gone");
                let mut gone = 0;
                let by_auto = auto.fd_count().map(|c| (c.count, c.is_complete()));
                gone += usize::from(assert_full_or_gone("auto", n64, by_auto));
                let by_stat = stat.fd_count_with(Method::Stat, &Budget::UNLIMITED);
                let by_stat = by_stat.map(|c| (c.count, c.is_complete()));
                gone += usize::from(assert_full_or_gone("stat", n64, by_stat));
                let by_walk = walk.fd_count_with(Method::Walk, &Budget::UNLIMITED);
                let by_walk = by_walk.map(|c| (c.count, c.is_complete()));
                gone += usize::from(assert_full_or_gone("walk", n64, by_walk));
                let full = at_least
                    .fds_at_least(n64)
                    .map(|yes| (if yes { n64 } else { 0 }, true));
                gone += usize::from(assert_full_or_gone("fds_at_least", n64, full));
                match metrics.snapshot() {
                    Ok(snapshot) => assert_eq!(snapshot.open_fds, Some(n64), "snapshot"),
                    Err(Error::Gone) => gone += 1,
                    Err(e) => panic!("snapshot: {e:?}"),
                }
                if let (Some(row), _) = row_of(&mut scanner, pid) {
                    assert!(
                        row.fds.is_none() || row.fds == Some(n64),
                        "scan row: {:?} fds while {n} were open (state {:?})",
                        row.fds,
                        row.state.map(char::from)
                    );
                }
                all_gone = gone == 5;
                if gone > 0 && !all_gone {
                    in_window += 1;
                }
            }
        }
    }
    // How often a count landed while the exit was under way: each was Gone or the whole count.
    println!("counts taken mid-exit, each Gone or whole: {in_window}");
}

// 2. A zombie: counts are Gone (None in a scan row); its parsed files stay readable, as `ps` and
// `top` show zombies, and say `Z`.
#[test]
fn a_zombies_counts_are_gone_and_its_files_say_z() {
    let mut helper = Helper::holding_fds(10);
    let pid = helper.pid;
    let mut proc = Proc::open(pid).unwrap();
    let mut metrics = ProcessMetrics::open(pid).unwrap().with_network(true);
    assert!(proc.net_dev().is_ok() && proc.thread_count().unwrap() >= 1);
    let mut kept = Scanner::new(Fields::ALL).unwrap().keep_handles(256);
    row_of(&mut kept, pid);
    helper.kill_leave_zombie();

    for method in [Method::Auto, Method::Stat, Method::Walk] {
        let got = proc.fd_count_with(method, &Budget::UNLIMITED);
        assert_eq!(got, Err(Error::Gone), "{method}");
    }
    assert_eq!(proc.fds_at_least(1), Err(Error::Gone));
    assert_eq!(proc.thread_count(), Err(Error::Gone));
    assert_eq!(proc.net_dev().unwrap_err(), Error::Gone);
    assert_eq!(metrics.snapshot(), Err(Error::Gone));
    assert_eq!(proc.stat().unwrap().state, b'Z');
    assert_eq!(proc.status().unwrap().state(), b'Z');
    // A handle opened on the zombie itself says the same.
    let mut late = Proc::open(pid).unwrap();
    assert_eq!(late.fd_count(), Err(Error::Gone));
    assert_eq!(late.thread_count(), Err(Error::Gone));

    let mut cold = Scanner::new(Fields::ALL).unwrap();
    let mut fds_only = Scanner::new(Fields::FDS).unwrap();
    for scanner in [&mut kept, &mut cold] {
        let row = row_of(scanner, pid).0.expect("a zombie has a row");
        assert_eq!(row.state, Some(b'Z'));
        assert_eq!((row.fds, row.threads), (None, None));
        assert!(row.cpu_seconds.is_some());
    }
    assert_eq!(row_of(&mut fds_only, pid).0.and_then(|r| r.fds), None);
}

// 3. A held handle answers for its process only: after the exit, and after the pid is reused,
// every call is Gone (net/dev refers to the network namespace, not the task).
#[test]
fn a_handle_outlives_neither_its_process_nor_a_reused_pid() {
    let mut helper = Helper::holding_fds(10);
    let pid = helper.pid;
    let mut proc = Proc::open(pid).unwrap();
    assert!(proc.net_dev().is_ok() && proc.stat().is_ok() && proc.io().is_ok());
    helper.kill_and_reap();
    assert_every_call_is_gone(&mut proc);

    if !running_as_root() {
        eprintln!("skipped: reusing a pid on purpose needs root (ns_last_pid)");
        return;
    }
    // Ask the kernel for the same pid again; other processes may take it first, so retry.
    for _ in 0..50 {
        std::fs::write("/proc/sys/kernel/ns_last_pid", (pid - 1).to_string()).unwrap();
        let mut again = Command::new("sleep")
            .arg("30")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        if again.id() as i32 == pid {
            assert_every_call_is_gone(&mut proc);
            assert!(Proc::open(pid).unwrap().stat().is_ok(), "the new process");
            let _ = again.kill();
            let _ = again.wait();
            println!("pid {pid} reused; the old handle stayed Gone");
            return;
        }
        let _ = again.kill();
        let _ = again.wait();
    }
    eprintln!("skipped: pid {pid} could not be had again in 50 tries");
}

fn assert_every_call_is_gone(proc: &mut Proc) {
    assert_eq!(proc.net_dev().unwrap_err(), Error::Gone, "net_dev");
    assert_eq!(proc.stat().unwrap_err(), Error::Gone, "stat");
    assert_eq!(proc.statm().unwrap_err(), Error::Gone, "statm");
    assert_eq!(proc.status().unwrap_err(), Error::Gone, "status");
    assert_eq!(proc.limits().unwrap_err(), Error::Gone, "limits");
    assert_eq!(proc.io().unwrap_err(), Error::Gone, "io");
    assert_eq!(proc.fd_count(), Err(Error::Gone), "fd_count");
    assert_eq!(proc.thread_count(), Err(Error::Gone), "thread_count");
}

// 4. The procfs of another pid namespace numbers its processes its own way: its limits come from
// its limits file, never from prlimit with its pid read as one of ours.
#[test]
fn another_pid_namespaces_procfs_reports_its_own_processes_limits() {
    if !running_as_root() {
        eprintln!("skipped: a new pid namespace needs root");
        return;
    }
    let mut unshare = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "--kill-child"])
        .args(["sh", "-c", "ulimit -n 777 && exec sleep 60"])
        .stdin(Stdio::null())
        .spawn()
        .expect("run unshare");
    let init = child_running(unshare.id() as i32, b"sleep\n");
    let procfs = ProcFs::open(format!("/proc/{init}/root/proc")).unwrap();
    assert!(!procfs.is_callers_pid_namespace());
    assert_eq!(
        procfs.self_pid(),
        None,
        "we are not in the container's namespace"
    );
    assert_eq!(procfs.open_self().unwrap_err(), Error::Gone);
    let host = ProcFs::global().unwrap();
    assert!(host.is_callers_pid_namespace());
    assert_eq!(host.self_pid(), Some(std::process::id() as i32));

    // Its pid 1 is our `init`; our pid 1 is another process with other limits.
    let container_init = procfs.open_pid(1).unwrap();
    assert!(!container_init.is_callers_pid_namespace());
    let snapshot = ProcessMetrics::new(container_init)
        .unwrap()
        .snapshot()
        .unwrap();
    assert_eq!(snapshot.max_fds, Some(777.0));
    let host_init = ProcessMetrics::open(1).unwrap().snapshot().unwrap();
    assert_ne!(host_init.max_fds, Some(777.0));
    let _ = unshare.kill();
    let _ = unshare.wait();
}

/// The pid of the child of `parent` once it runs the program whose comm is `comm`.
fn child_running(parent: i32, comm: &[u8]) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let children = std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children"))
            .unwrap_or_default();
        for child in children.split_whitespace() {
            if std::fs::read(format!("/proc/{child}/comm")).is_ok_and(|c| c == comm) {
                return child.parse().unwrap();
            }
        }
        assert!(
            Instant::now() < deadline,
            "no child of {parent} runs {comm:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

// 5. Mounts stacked over /proc entries are refused, never read as the kernel's.
#[test]
fn mounts_over_proc_entries_are_refused() {
    assert_passes_in_private_mount_namespace(
        &test_name!(forged_mounts_inside),
        "forged mounts refused",
    );
}

#[test]
#[ignore = "mounts: run by mounts_over_proc_entries_are_refused"]
fn forged_mounts_inside() {
    let scratch = scratch_dir("forged");
    let forged_stat = scratch.join("stat");
    std::fs::write(&forged_stat, "1 (forged) R 0 0 0 0 -1 0 0 0 0 0 999999 0 0 0 20 0 64 0 1 1 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n").unwrap();
    let (forged, over_fd, over_dir, source) = (
        Helper::holding_fds(10),
        Helper::holding_fds(10),
        Helper::holding_fds(10),
        Helper::holding_fds(12),
    );
    mount(&[
        "--bind",
        forged_stat.to_str().unwrap(),
        &format!("/proc/{}/stat", forged.pid),
    ]);
    mount(&["-t", "tmpfs", "none", &format!("/proc/{}/fd", over_fd.pid)]);
    std::fs::write(format!("/proc/{}/fd/3", over_fd.pid), "").unwrap();
    mount(&[
        "--bind",
        &format!("/proc/{}", source.pid),
        &format!("/proc/{}", over_dir.pid),
    ]);

    let refused = |file| Err::<(), _>(Error::CrossedMount { file });
    let mut proc = Proc::open(forged.pid).unwrap();
    assert_eq!(proc.stat().map(drop), refused("stat"));
    assert_eq!(
        proc.fd_count().map(|c| c.count),
        Ok(10),
        "its fd dir is real"
    );
    let snapshot = ProcessMetrics::open(forged.pid).unwrap().snapshot();
    assert_eq!(snapshot, Err(Error::CrossedMount { file: "stat" }));

    let mut proc = Proc::open(over_fd.pid).unwrap();
    for method in [Method::Auto, Method::Stat, Method::Walk] {
        let got = proc.fd_count_with(method, &Budget::UNLIMITED);
        assert_eq!(got.map(drop), refused("fd"), "{method}");
    }
    assert_eq!(Proc::open(over_dir.pid).map(drop), refused("/proc/<pid>"));

    // A scan makes no row of a refused process and says how many it refused, cold and kept.
    for fields in [Fields::COMM | Fields::FDS, Fields::FDS, Fields::COMM] {
        let mut cold = Scanner::new(fields).unwrap();
        let mut kept = Scanner::new(fields).unwrap().keep_handles(1024);
        for scanner in [&mut cold, &mut kept] {
            for _ in 0..2 {
                let mut rows = Vec::new();
                let summary = scanner
                    .scan(&Budget::UNLIMITED, |row| {
                        rows.push(*row);
                        ControlFlow::Continue(())
                    })
                    .unwrap();
                let pids: Vec<i32> = rows.iter().map(|r| r.pid).collect();
                assert!(!pids.contains(&over_dir.pid), "{fields:?}");
                assert!(pids.contains(&source.pid), "{fields:?}");
                if fields.contains(Fields::COMM) {
                    assert!(!pids.contains(&forged.pid), "{fields:?}");
                    assert!(rows.iter().all(|r| r.comm() != b"forged"));
                }
                if fields.contains(Fields::FDS) {
                    assert!(!pids.contains(&over_fd.pid), "{fields:?}");
                }
                assert!(summary.refused >= 2, "{fields:?}: {summary:?}");
            }
        }
    }

    // Host files: another mount of procfs is procfs's own text; anything else is refused.
    mount(&["--bind", "-o", "ro", "/proc/sys", "/proc/sys"]);
    let fake_meminfo = scratch.join("meminfo");
    std::fs::write(&fake_meminfo, "MemTotal: 1 kB\nMemFree: 1 kB\n").unwrap();
    mount(&["--bind", fake_meminfo.to_str().unwrap(), "/proc/meminfo"]);
    let mut system = System::open().unwrap();
    assert!(system.file_nr().is_ok(), "/proc/sys bound over itself");
    assert_eq!(system.meminfo().map(drop), refused("meminfo"));
    assert!(Error::CrossedMount { file: "meminfo" }
        .to_string()
        .contains("meminfo"));
    let _ = std::fs::remove_dir_all(&scratch);
    println!("forged mounts refused");
}

// 6. Only the root of a procfs mount is a procfs.
#[test]
fn only_the_root_of_a_procfs_mount_is_accepted() {
    for path in [
        "/proc/1",
        "/proc/sys",
        "/proc/self/fd",
        "/proc/self/task",
        "/tmp",
    ] {
        assert_eq!(ProcFs::open(path).unwrap_err(), Error::NotProcfs, "{path}");
    }
    assert_passes_in_private_mount_namespace(
        &test_name!(bound_subdirectories_inside),
        "roots only",
    );
}

#[test]
#[ignore = "mounts: run by only_the_root_of_a_procfs_mount_is_accepted"]
fn bound_subdirectories_inside() {
    let scratch = scratch_dir("roots");
    let (one, sys, whole) = (
        scratch.join("one"),
        scratch.join("sys"),
        scratch.join("all"),
    );
    for (dir, source) in [(&one, "/proc/1"), (&sys, "/proc/sys"), (&whole, "/proc")] {
        std::fs::create_dir(dir).unwrap();
        mount(&["--bind", source, dir.to_str().unwrap()]);
    }
    assert_eq!(ProcFs::open(&one).unwrap_err(), Error::NotProcfs);
    assert_eq!(ProcFs::open(&sys).unwrap_err(), Error::NotProcfs);
    let procfs = ProcFs::open(&whole).unwrap();
    assert!(procfs.is_callers_pid_namespace());
    let (_, summary) = row_of(&mut Scanner::in_procfs(&procfs, Fields::FDS).unwrap(), 1);
    assert!(summary.scanned > 1);
    println!("roots only");
}

// 7. A subset=pid mount shows processes only: host files are "not in this mount", not an exit,
// and the process collector works on it.
#[test]
fn a_subset_pid_mount_says_what_it_lacks_and_still_collects() {
    assert_passes_in_private_mount_namespace(&test_name!(subset_pid_inside), "subset=pid collects");
}

#[test]
#[ignore = "mounts: run by a_subset_pid_mount_says_what_it_lacks_and_still_collects"]
fn subset_pid_inside() {
    // Over /proc itself, before anything in this process opens it.
    mount(&["-t", "proc", "-o", "subset=pid", "proc", "/proc"]);
    let mut system = System::open().unwrap();
    let lacks = |file| Err::<(), _>(Error::NotInMount { file });
    assert_eq!(system.stat().map(drop), lacks("/proc/stat"));
    assert_eq!(system.meminfo().map(drop), lacks("meminfo"));
    assert_eq!(system.loadavg().map(drop), lacks("loadavg"));
    assert_eq!(system.file_nr().map(drop), lacks("sys/fs/file-nr"));
    assert!(Error::NotInMount { file: "meminfo" }
        .to_string()
        .contains("not in this procfs mount"));

    let mut metrics = ProcessMetrics::myself().unwrap();
    let snapshot = metrics.snapshot().unwrap();
    let started = snapshot.start_time_seconds.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(
        started <= now + 1.0 && started > now - 3600.0,
        "{started} vs {now}"
    );
    assert!(snapshot.open_fds.unwrap() >= 3);
    println!("subset=pid collects");
}

// 8. hidepid=noaccess, as nobody: another user's task lists are closed; a thread scan counts
// them as denied and goes on, cold and kept.
#[test]
fn a_thread_scan_under_hidepid_counts_denied_tasks_and_goes_on() {
    assert_passes_in_private_mount_namespace(&test_name!(hidepid_inside), "hidepid scanned");
}

#[test]
#[ignore = "mounts: run by a_thread_scan_under_hidepid_counts_denied_tasks_and_goes_on"]
fn hidepid_inside() {
    let dir = scratch_dir("hidepid");
    // World-searchable, so nobody can reach the mount point.
    let mode = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(&dir, mode).unwrap();
    mount(&[
        "-t",
        "proc",
        "-o",
        "hidepid=noaccess",
        "proc",
        dir.to_str().unwrap(),
    ]);
    let env = [("PROCFAST_PROCFS", dir.to_string_lossy().into_owned())];
    rerun::assert_passes_as_nobody(&test_name!(hidepid_as_nobody), &env, "denied tasks counted");
    println!("hidepid scanned");
}

#[test]
#[ignore = "run as nobody by hidepid_inside"]
fn hidepid_as_nobody() {
    let Ok(path) = std::env::var("PROCFAST_PROCFS") else {
        return;
    };
    let procfs = ProcFs::open(path).unwrap();
    let fields = Fields::COMM | Fields::FDS;
    let mut cold = Scanner::in_procfs(&procfs, fields).unwrap().threads(true);
    let mut kept = Scanner::in_procfs(&procfs, fields)
        .unwrap()
        .threads(true)
        .keep_handles(256);
    for scanner in [&mut cold, &mut kept] {
        for _ in 0..2 {
            let mut own_rows = 0;
            let summary = scanner
                .scan(&Budget::UNLIMITED, |row| {
                    own_rows += usize::from(row.tgid == std::process::id() as i32);
                    ControlFlow::Continue(())
                })
                .unwrap();
            assert!(summary.is_complete() && summary.denied > 0, "{summary:?}");
            assert!(own_rows >= 1, "our own threads are scanned");
        }
    }
    println!("denied tasks counted");
}
