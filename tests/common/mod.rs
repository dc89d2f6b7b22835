//! Helper processes for the live tests: this test binary re-executed to hold an exact number of
//! fds, so counts can be checked against a known truth without the noise of the test harness's
//! own threads opening and closing fds in the parent.
//!
//! Each test file that uses it declares the entry point:
//! `#[test] #[ignore = "helper process"] fn helper_process() { common::helper_main() }`.
#![allow(dead_code)]

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FDS_VAR: &str = "PROCFAST_HELPER_FDS";
const RUN_VAR: &str = "PROCFAST_HELPER_RUN";

/// A helper process, killed and reaped on drop.
pub struct Helper {
    child: std::process::Child,
    /// Its pid.
    pub pid: i32,
}

impl Helper {
    /// Spawns a helper holding exactly `n` open fds (numbered `0..n`), and waits until it does.
    pub fn holding_fds(n: usize) -> Helper {
        let mut cmd = helper_command();
        cmd.env(FDS_VAR, n.to_string());
        let helper = Helper::spawn(cmd);
        helper.wait_for_fds(n);
        helper
    }

    fn spawn(mut cmd: Command) -> Helper {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn helper process");
        let pid = child.id() as i32;
        Helper { child, pid }
    }

    /// Waits until the helper has finished setting up (one of its threads is named `pf-ready`)
    /// and a naive `read_dir` of its fd directory lists exactly `n` entries. The name matters:
    /// the count alone can pass through `n` while the helper is still closing and duplicating.
    pub fn wait_for_fds(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let listed = naive_fd_count(self.pid);
            if listed == Some(n) && self.is_ready() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "helper {} never reached {n} fds (last seen {listed:?})",
                self.pid
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn is_ready(&self) -> bool {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{}/task", self.pid)) else {
            return false;
        };
        tasks.flatten().any(|task| {
            std::fs::read(task.path().join("comm")).is_ok_and(|comm| comm == b"pf-ready\n")
        })
    }

    /// Kills the helper and reaps it: afterwards its pid names no process (until reused).
    pub fn kill_and_reap(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGKILL and returns at once, neither waiting for the exit nor reaping: the exit
    /// runs while the caller looks.
    pub fn kill_only(&mut self) {
        let _ = self.child.kill();
    }

    /// Kills the helper without reaping it: it stays a zombie until dropped.
    pub fn kill_leave_zombie(&mut self) {
        let _ = self.child.kill();
        let proc_stat = format!("/proc/{}/stat", self.pid);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let stat = std::fs::read_to_string(&proc_stat).unwrap_or_default();
            if stat
                .rsplit(')')
                .next()
                .map(str::trim_start)
                .is_some_and(|s| s.starts_with('Z'))
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        panic!("helper {} did not become a zombie", self.pid);
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        self.kill_and_reap();
    }
}

/// The naive oracle: list `/proc/<pid>/fd` with std, allocating a name per entry, as the seed's
/// collector did. `None` if the directory cannot be listed.
pub fn naive_fd_count(pid: i32) -> Option<usize> {
    let dir = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    let mut n = 0;
    for entry in dir {
        entry.ok()?;
        n += 1;
    }
    Some(n)
}

/// The most fds a helper can hold here: RLIMIT_NOFILE's hard limit (20,000 on this machine,
/// not raisable) less room for the helper's own few.
pub fn most_fds() -> usize {
    let hard = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .maximum
        .unwrap_or(20_000);
    (hard.min(20_000) as usize).saturating_sub(1_000)
}

/// The fd counts the benchmarks and the report measure at: 10 … [`most_fds`].
pub fn fd_count_sizes() -> Vec<usize> {
    let most = most_fds();
    [10, 100, 1_000, 10_000, most]
        .into_iter()
        .filter(|&n| n <= most)
        .collect()
}

/// This test binary, set up to run only `helper_process`.
pub fn helper_command() -> Command {
    let exe = std::env::current_exe().expect("current_exe");
    let mut cmd = Command::new(exe);
    cmd.args([
        "--exact",
        "helper_process",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    cmd.env(RUN_VAR, "1");
    cmd
}

/// Runs `test` in this binary (an `#[ignore]`d test named by `name`) as uid/gid `nobody`, with
/// `env` set; returns its exit status and output, or `None` if the binary cannot be executed by
/// that user (say, under a home directory closed to others).
pub fn run_as_nobody(name: &str, env: &[(&str, String)]) -> Option<std::process::Output> {
    let exe = std::env::current_exe().expect("current_exe");
    if !readable_by_others(&exe) {
        return None;
    }
    let mut cmd = Command::new(exe);
    cmd.args([
        "--exact",
        name,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    cmd.env(RUN_VAR, "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.uid(65534).gid(65534);
    cmd.output().ok()
}

/// Runs the `#[ignore]`d test `name` of this binary as `nobody` with `env`, and asserts that it
/// passed and printed `marker` (so a test that silently returned early cannot pass). Skips, with
/// a message, when not root or when `nobody` cannot execute the binary.
pub fn assert_passes_as_nobody(name: &str, env: &[(&str, String)], marker: &str) {
    if !running_as_root() {
        eprintln!("skipped: needs root to run {name} as nobody");
        return;
    }
    let Some(out) = run_as_nobody(name, env) else {
        eprintln!("skipped: the test binary is not executable by nobody");
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(marker),
        "{name} as nobody: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs the `#[ignore]`d test `name` of this binary in a private mount namespace of its own
/// (`unshare --mount --propagation private`), so the mounts it makes over /proc vanish with it,
/// and asserts that it passed and printed `marker`. Skips, with a message, when not root.
pub fn assert_passes_in_private_mount_namespace(name: &str, marker: &str) {
    if !running_as_root() {
        eprintln!("skipped: needs root to mount for {name}");
        return;
    }
    let exe = std::env::current_exe().expect("current_exe");
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private"])
        .arg(exe)
        .args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(RUN_VAR, "1")
        .output()
        .expect("run unshare");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(marker),
        "{name} in a private mount namespace: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `mount ARGS…`, asserting that it worked.
pub fn mount(args: &[&str]) {
    let status = Command::new("mount")
        .args(args)
        .status()
        .expect("run mount");
    assert!(status.success(), "mount {args:?} failed");
}

/// A fresh empty directory under the temp dir, named for `what` and this process.
pub fn scratch_dir(what: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("procfast-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

fn readable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.ancestors()
        .skip(1)
        .all(|dir| std::fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o001 != 0))
        && std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o005 == 0o005)
}

/// True inside a helper process started by this module.
pub fn in_helper() -> bool {
    std::env::var_os(RUN_VAR).is_some()
}

pub fn running_as_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// The body of `helper_process`: holds the requested fds, then sleeps until killed. Outside a
/// helper process it returns at once.
pub fn helper_main() {
    let Some(n) = std::env::var(FDS_VAR)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    else {
        return;
    };
    hold_exactly(n);
    // Die with the test that spawned us, and in any case after a while.
    let deadline = Instant::now() + Duration::from_secs(300);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::process::exit(0);
}

/// Leaves this process with exactly the fds `0..n`.
#[allow(unsafe_code)]
fn hold_exactly(n: usize) {
    let hard = rustix::process::getrlimit(rustix::process::Resource::Nofile).maximum;
    let _ = rustix::process::setrlimit(
        rustix::process::Resource::Nofile,
        rustix::process::Rlimit {
            current: hard,
            maximum: hard,
        },
    );
    let null = std::ffi::CString::new("/dev/null").unwrap();
    // SAFETY: plain fd syscalls on integers; this helper process owns every fd it touches and
    // no other code in it uses them (its test harness writes only through buffered captures).
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        let first = libc::open(null.as_ptr(), libc::O_RDONLY);
        assert!(first >= 0, "open /dev/null");
        for fd in 0..n as i32 {
            if fd != first {
                assert_eq!(libc::dup2(first, fd), fd, "dup2 to {fd}");
            }
        }
        if first as usize >= n {
            libc::close(first);
        }
        libc::syscall(libc::SYS_close_range, n as u32, u32::MAX, 0u32);
        // Tell the parent the fds are final (see `Helper::wait_for_fds`).
        libc::prctl(libc::PR_SET_NAME, c"pf-ready".as_ptr());
    }
}
