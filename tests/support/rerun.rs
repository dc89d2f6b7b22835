//! Running one test of this binary again, in a process of its own: alone (no other test thread
//! of the binary opens fds, starts threads or allocates meanwhile), as the user `nobody`, or in
//! a private mount namespace (so that the mounts it makes vanish with it).
//!
//! The test run that way is `#[ignore]`d, prints a marker once it has checked everything (so
//! that one which returned early cannot pass), and names itself to the runner with
//! [`test_name!`](crate::support::rerun::test_name).

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

const RERUN_VAR: &str = "PROCFAST_RERUN";

/// The harness's name of the test function `$test` of the calling module (its module path
/// without the crate's name); a name that is not a function in scope does not compile.
#[allow(unused_macros)] // Each binary uses the part it needs.
macro_rules! test_name {
    ($test:ident) => {{
        let _: fn() = $test;
        $crate::support::rerun::test_path(module_path!(), stringify!($test))
    }};
}
#[allow(unused_imports)]
pub(crate) use test_name;

/// `name` in the module `module` (a `module_path!()`), as the harness names it.
pub fn test_path(module: &str, name: &str) -> String {
    match module.split_once("::") {
        Some((_crate, path)) => format!("{path}::{name}"),
        None => name.to_string(),
    }
}

/// True in a process started by this module.
pub fn in_rerun() -> bool {
    std::env::var_os(RERUN_VAR).is_some()
}

/// For a test that must run alone: true, with a message naming the test that runs it
/// (`runner`), in any process not started by this module; the test then returns at once.
pub fn outside_rerun(runner: &str) -> bool {
    let outside = !in_rerun();
    if outside {
        eprintln!("skipped: run alone by {runner}");
    }
    outside
}

fn this_binary() -> std::path::PathBuf {
    std::env::current_exe().expect("current_exe")
}

/// Adds to `cmd` (this binary, or a runner of it) the arguments that make the binary run only
/// `test`, runs it, and asserts that the test passed and printed `marker`.
fn assert_run_passes(mut cmd: Command, how: &str, test: &str, marker: &str) {
    cmd.args([
        "--exact",
        test,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    cmd.env(RERUN_VAR, "1");
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("run {test} {how}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(marker),
        "{test} {how}: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs the ignored test `test` of this binary alone, with `env` set, and asserts that it
/// passed and printed `marker`.
pub fn assert_passes_alone(test: &str, env: &[(&str, String)], marker: &str) {
    let mut cmd = Command::new(this_binary());
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    assert_run_passes(cmd, "alone", test, marker);
}

/// Runs the ignored test `test` of this binary as uid/gid `nobody`, with `env` set, and asserts
/// that it passed and printed `marker`. Skips, with a message, when not root or when `nobody`
/// cannot execute the binary (say, under a home directory closed to others).
pub fn assert_passes_as_nobody(test: &str, env: &[(&str, String)], marker: &str) {
    if !running_as_root() {
        eprintln!("skipped: needs root to run {test} as nobody");
        return;
    }
    let exe = this_binary();
    if !readable_by_others(&exe) {
        eprintln!("skipped: the test binary is not executable by nobody");
        return;
    }
    let mut cmd = Command::new(exe);
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    cmd.uid(65534).gid(65534);
    assert_run_passes(cmd, "as nobody", test, marker);
}

/// Runs the ignored test `test` of this binary in a private mount namespace of its own
/// (`unshare --mount --propagation private`), so the mounts it makes over /proc vanish with it,
/// and asserts that it passed and printed `marker`. Skips, with a message, when not root.
pub fn assert_passes_in_private_mount_namespace(test: &str, marker: &str) {
    if !running_as_root() {
        eprintln!("skipped: needs root to mount for {test}");
        return;
    }
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private"])
        .arg(this_binary());
    assert_run_passes(cmd, "in a private mount namespace", test, marker);
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

pub fn running_as_root() -> bool {
    rustix::process::geteuid().is_root()
}
