//! Whose a process is: a row's `uid` is the effective uid `ps` shows, also for the tasks the
//! kernel shows as root's below `/proc/<pid>`.
//!
//! The kernel gives every entry below `/proc/<pid>` the task's owner, except that an entry other
//! than a world-readable directory (`fd`, `stat`, …) of a task that may not be dumped (a setuid
//! program, a daemon that changed its uid, a process that said so with `prctl`) or has no
//! memory (a zombie) is owned by root — the root of the task's user namespace. `/proc/<pid>`
//! itself always carries the effective uid. So the owner cannot come from the `statx` that
//! counts the fds: these tests show where the two differ, and that the row follows the
//! directory.

use crate::support::python::Python;
use crate::support::rerun::{running_as_root, scratch_dir};
use crate::support::row_of;
use procfast::{Error, Fields, Proc, Scanner};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

/// Python helpers, started as root: `dropped` changes its uid and gid to nobody's, as a daemon
/// dropping its privileges does; `userns` forks a child into a new user namespace whose root is
/// uid 100000 and gid 200000 of this one, which then becomes its uid 5 and gid 7 (100005 and
/// 200007 here). Each prints the pid to look at, and ends when its stdin closes.
/// Python helpers, started as root and printing the pid to look at; each ends when its stdin
/// closes. `dropped` changes its uid and gid to nobody's, as a daemon dropping its privileges
/// does. `userns` forks a child into a new user namespace whose root is uid 100000 and gid
/// 200000 of this one, where it becomes uid 5 and gid 7 (100005 and 200007 here); with `exec`,
/// the child first execs a new program as the namespace's root, as a container's init does, so
/// that its memory belongs to the namespace.
const HELPERS: &str = r#"
import os, sys, ctypes
def become(uid, gid):
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
if sys.argv[1] == "dropped":
    os.setgroups([])
    become(65534, 65534)
    print(os.getpid(), flush=True)
    sys.stdin.read()
    sys.exit(0)
def inside(ready, alive):
    become(5, 7)
    os.write(ready, b"b")
    os.read(alive, 1)  # until the parent ends
    os._exit(0)
if sys.argv[1] == "inside":
    inside(int(sys.argv[2]), int(sys.argv[3]))
unshared_r, unshared_w = os.pipe()
mapped_r, mapped_w = os.pipe()
alive_r, alive_w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(alive_w)
    if ctypes.CDLL(None).unshare(0x10000000) != 0:  # CLONE_NEWUSER
        os._exit(1)
    os.write(unshared_w, b"u")
    os.read(mapped_r, 1)
    if sys.argv[1] == "userns-exec":
        become(0, 0)  # the namespace's root, so that the new program has its capabilities
        os.set_inheritable(unshared_w, True)
        os.set_inheritable(alive_r, True)
        args = ["-c", sys.argv[2], "inside", str(unshared_w), str(alive_r)]
        # A python the namespace's root can reach (this one may lie under a closed home).
        python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
        os.execv(python, [python] + args)
    inside(unshared_w, alive_r)
for end in (unshared_w, mapped_r, alive_r):
    os.close(end)
if os.read(unshared_r, 1) != b"u":
    sys.exit("the child could not enter a user namespace")
with open(f"/proc/{pid}/uid_map", "w") as f:
    f.write("0 100000 1000\n")
with open(f"/proc/{pid}/gid_map", "w") as f:
    f.write("0 200000 1000\n")
os.write(mapped_w, b"m")
if os.read(unshared_r, 1) != b"b":
    sys.exit("the child could not become uid 5")
print(pid, flush=True)
sys.stdin.read()
"#;

/// Keeps a task alive while a case looks at it: a [`Python`] helper, or a child killed and
/// reaped on drop.
type Held = Box<dyn std::any::Any>;

struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn python(mode: &str) -> Option<(Held, i32)> {
    let python = Python::start(HELPERS, &[mode.to_owned(), HELPERS.to_owned()])?;
    let pid = python.ready_line.trim().parse().unwrap_or_else(|_| {
        panic!("the {mode} helper failed (its stderr is above)");
    });
    Some((Box::new(python), pid))
}

/// `program 60` started as `uid`: dumpable, as any program started under its own uid.
fn sleep_as(uid: u32, program: &str) -> (Held, i32) {
    let child = Command::new(program)
        .arg("60")
        .uid(uid)
        .gid(uid)
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn sleep");
    let pid = child.id() as i32;
    (Box::new(Reaped(child)), pid)
}

/// The task's effective uid once it is `euid`, or after 10 s (a helper execs, then changes uid).
fn effective_uid(pid: i32, euid: u32) -> u32 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let now = Proc::open(pid)
            .and_then(|mut p| Ok(p.status()?.uid().effective))
            .unwrap();
        if now == euid || std::time::Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

fn owner(path: &str) -> (u32, u32) {
    let meta = std::fs::metadata(path).unwrap();
    (meta.uid(), meta.gid())
}

#[test]
fn a_rows_owner_is_the_effective_uid_where_the_fd_directory_shows_root() {
    if !running_as_root() {
        eprintln!("skipped: needs root to start processes of other users");
        return;
    }
    // A setuid copy of sleep, owned by 65533 and run by nobody: effective uid 65533.
    let dir = scratch_dir("setuid");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let setuid_sleep = dir.join("sleep");
    std::fs::copy("/bin/sleep", &setuid_sleep).unwrap();
    std::os::unix::fs::chown(&setuid_sleep, Some(65533), Some(65533)).unwrap();
    std::fs::set_permissions(&setuid_sleep, std::fs::Permissions::from_mode(0o4755)).unwrap();

    // (what, task, its effective uid, what the fd directory shows: None where it is the same)
    let mut cases = vec![
        ("started as nobody", sleep_as(65534, "sleep"), 65534, None),
        (
            "a setuid program",
            sleep_as(65534, setuid_sleep.to_str().unwrap()),
            65533,
            Some((0, 0)),
        ),
    ];
    match (python("dropped"), python("userns"), python("userns-exec")) {
        (Some(dropped), Some(forked), Some(execed)) => {
            cases.push((
                "a daemon that dropped to nobody",
                dropped,
                65534,
                Some((0, 0)),
            ));
            // The root of the namespace its memory was made in: this one's for a fork.
            let forked_what = "uid 5 of a user namespace, forked into it";
            cases.push((forked_what, forked, 100_005, Some((0, 0))));
            let execed_what = "uid 5 of a user namespace, after an exec in it";
            cases.push((execed_what, execed, 100_005, Some((100_000, 200_000))));
        }
        _ => eprintln!("skipped the python cases: no python3"),
    }
    let mut scanner = Scanner::new(Fields::UID | Fields::FDS | Fields::COMM).unwrap();
    let mut after = Scanner::new(Fields::FDS | Fields::START_TIME).unwrap();
    for (what, (_held, pid), euid, stand_in) in &cases {
        assert_eq!(effective_uid(*pid, *euid), *euid, "{what}");
        let (row, _) = row_of(&mut scanner, *pid);
        let row = row.unwrap_or_else(|| panic!("{what}: pid {pid} not listed"));
        assert_eq!(row.uid, Some(*euid), "{what}");
        // Read after a scan without it, as `top` does for the rows it shows.
        let (row, _) = row_of(&mut after, *pid);
        let mut row = row.unwrap_or_else(|| panic!("{what}: pid {pid} not listed"));
        assert_eq!(row.uid, None);
        after.fill_owner(&mut row).unwrap();
        assert_eq!(row.uid, Some(*euid), "{what}: filled after the scan");
        assert_eq!(owner(&format!("/proc/{pid}")).0, *euid, "{what}");
        let fd_owner = owner(&format!("/proc/{pid}/fd"));
        let directory = owner(&format!("/proc/{pid}"));
        assert_eq!(fd_owner, stand_in.unwrap_or(directory), "{what}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_owner_filled_after_the_scan_is_of_the_rows_process_or_none() {
    let child = Command::new("sleep")
        .arg("60")
        .spawn()
        .expect("spawn sleep");
    let pid = child.id() as i32;
    let held = Reaped(child);
    let mut scanner = Scanner::new(Fields::FDS | Fields::START_TIME).unwrap();
    let (row, _) = row_of(&mut scanner, pid);
    let row = row.expect("sleep listed");
    // A pid that names a later process than the row's (a reused pid) has no owner to give.
    let mut later = row;
    later.start_time_ticks = row.start_time_ticks.map(|ticks| ticks + 1);
    assert!(matches!(scanner.fill_owner(&mut later), Err(Error::Gone)));
    assert_eq!(later.uid, None);
    drop(held);
    let mut gone = row;
    assert!(matches!(scanner.fill_owner(&mut gone), Err(Error::Gone)));
    assert_eq!(gone.uid, None);
}
