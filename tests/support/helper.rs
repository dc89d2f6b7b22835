//! Helper processes holding an exact number of fds: the running binary re-executed, so counts
//! can be checked against a known truth without the noise of the test harness's own threads
//! opening and closing fds in the parent.
//!
//! In a test binary the re-executed process runs the ignored test [`HELPER_TEST`] (declared once,
//! in `tests/support/mod.rs`); a binary without a test harness (a bench, `xtask`) calls
//! [`helper_main`] first thing in `main` when [`in_helper`] says it is one. Nothing here depends
//! on the rest of the support module, so `xtask` can include this file alone.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FDS_VAR: &str = "PROCFAST_HELPER_FDS";
const RUN_VAR: &str = "PROCFAST_HELPER_RUN";

/// The harness's name of the ignored test whose body is [`helper_main`].
pub const HELPER_TEST: &str = "support::helper_process";

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
        wait_until_zombie(self.pid);
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        self.kill_and_reap();
    }
}

/// Waits (up to 10 s) until the killed, unreaped process `pid` is a zombie: its stat's state,
/// after the last `)`, reads `Z`.
pub fn wait_until_zombie(pid: i32) {
    let proc_stat = format!("/proc/{pid}/stat");
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
    panic!("process {pid} did not become a zombie");
}

/// The naive oracle: list `/proc/<pid>/fd` with std, allocating a name per entry. `None` if the
/// directory cannot be listed.
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

/// Raises this process's soft RLIMIT_NOFILE to its hard limit, so that it can hold
/// [`most_fds`] fds.
pub fn raise_fd_limit() {
    let hard = rustix::process::getrlimit(rustix::process::Resource::Nofile).maximum;
    let _ = rustix::process::setrlimit(
        rustix::process::Resource::Nofile,
        rustix::process::Rlimit {
            current: hard,
            maximum: hard,
        },
    );
}

/// The running binary, set up to run only [`HELPER_TEST`].
pub fn helper_command() -> Command {
    let exe = std::env::current_exe().expect("current_exe");
    let mut cmd = Command::new(exe);
    cmd.args([
        "--exact",
        HELPER_TEST,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    cmd.env(RUN_VAR, "1");
    cmd
}

/// True inside a helper process started by this module.
pub fn in_helper() -> bool {
    std::env::var_os(RUN_VAR).is_some()
}

/// The body of a helper process: holds the requested fds, then sleeps until killed. Outside a
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
    raise_fd_limit();
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
