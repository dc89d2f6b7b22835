//! The command line run as a user runs it, through the `procfast` binary that cargo builds for
//! these tests.

use procfast::TextError;
use std::io::{BufRead, BufReader};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

/// The binary under test (always `Some`: cargo builds it for its own integration tests).
fn binary() -> Option<PathBuf> {
    Some(PathBuf::from(env!("CARGO_BIN_EXE_procfast")))
}

fn procfast(args: &[&str]) -> Option<Command> {
    let mut command = Command::new(binary()?);
    command.args(args).stdin(Stdio::null());
    Some(command)
}

/// Runs procfast with `args`, capturing its output.
fn run(args: &[&str]) -> Option<Output> {
    Some(procfast(args)?.output().unwrap())
}

/// The write end of a pipe whose read end is already closed: every write to it fails with EPIPE,
/// as `procfast top | head -1` does once head has exited.
fn closed_pipe() -> Stdio {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills `fds` with two new descriptors, which are then owned here only.
    let (read, write) = unsafe {
        assert_eq!(libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC), 0);
        (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1]))
    };
    drop(read);
    Stdio::from(write)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_closed_stdout_ends_quietly_with_success() {
    let me = std::process::id().to_string();
    let cases: [&[&str]; 9] = [
        &["top", "-n", "100000"],
        &["top", "-n", "100000", "--threads"],
        &["top", "--json"],
        &["fds", &me],
        &["fds", &me, "--json"],
        &["metrics"],
        &["metrics", &me, "--namespace", "ok_ns"],
        &["seed-demo", "--fds", "100"],
        &["--help"],
    ];
    for args in cases {
        let Some(mut command) = procfast(args) else {
            return;
        };
        let out = command.stdout(closed_pipe()).output().unwrap();
        let stderr = text(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?} said something");
    }
}

#[test]
fn another_write_error_is_one_line_and_exit_1() {
    let Some(mut command) = procfast(&["top"]) else {
        return;
    };
    let full = std::fs::File::create("/dev/full").unwrap();
    let out = command.stdout(full).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "procfast: writing to stdout: No space left on device (os error 28)\n"
    );
}

/// A process whose comm is `printf`'s rendering of `format` (a process may set only its own
/// comm, so the shell sets it, then waits on its stdin). Killed when dropped.
struct Named {
    child: Child,
    pid: i32,
}

impl Named {
    fn spawn(format: &str, comm: &[u8]) -> Named {
        let script = r#"printf "$1" > /proc/self/comm && echo ready && read line"#;
        let mut child = Command::new("sh")
            .args(["-c", script, "sh", format])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut ready = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut ready)
            .unwrap();
        assert_eq!(ready, "ready\n", "sh could not set its comm");
        let pid = child.id() as i32;
        let set = std::fs::read(format!("/proc/{pid}/comm")).unwrap();
        assert_eq!(set, [comm, b"\n"].concat());
        Named { child, pid }
    }
}

impl Drop for Named {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn hostile_command_names_are_escaped_in_the_table_only() {
    if binary().is_none() {
        return;
    }
    // The escape sequence that would turn the terminal red, split by a newline.
    let red = Named::spawn(r"a\nb\033[31mc", b"a\nb\x1b[31mc");
    // Invalid UTF-8, a tab, a backslash, DEL.
    let binary_name = Named::spawn(r"\377\t\\\177z", b"\xff\t\\\x7fz");
    // 15 ESCs escape to 60 characters: cut to the column's 16.
    let long = Named::spawn(&r"\033".repeat(15), &[0x1b; 15]);
    let out = run(&["top", "-n", "100000"]).unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !out.stdout.contains(&0x1b),
        "a raw ESC reached the terminal"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();

    // Every row has the header's layout: a pid, then the same width.
    let lines: Vec<&str> = stdout.lines().collect();
    let (header, rest) = lines.split_first().unwrap();
    let (summary, rows) = rest.split_last().unwrap();
    assert!(header.starts_with("     PID  COMMAND"), "{header}");
    assert!(summary.starts_with("scanned "), "{summary}");
    let width = header.chars().count();
    let mut comms = std::collections::HashMap::new();
    for row in rows {
        assert_eq!(
            row.chars().count(),
            width,
            "row split or misaligned: {row:?}"
        );
        let pid: String = row.chars().take(8).collect();
        let pid: i32 = pid.trim().parse().unwrap();
        let comm: String = row.chars().skip(10).take(16).collect();
        comms.insert(pid, comm.trim_end().to_string());
    }
    assert_eq!(comms[&red.pid], r"a\nb\x1b[31mc");
    assert_eq!(comms[&binary_name.pid], r"\xff\t\\\x7fz");
    assert_eq!(comms[&long.pid], r"\x1b\x1b\x1b\x1b");

    // JSON stays faithful: serde_json escapes, and invalid UTF-8 becomes U+FFFD.
    let out = run(&["top", "-n", "100000", "--json"]).unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let comm_of = |pid: i32| {
        let rows = json["rows"].as_array().unwrap();
        let row = rows.iter().find(|r| r["pid"] == pid).unwrap();
        row["comm"].as_str().unwrap().to_string()
    };
    assert_eq!(comm_of(red.pid), "a\nb\x1b[31mc");
    assert_eq!(comm_of(binary_name.pid), "\u{fffd}\t\\\x7fz");
}

/// Asserts that `args` is refused as a usage error with exactly this one-line message.
fn assert_usage_error(args: &[&str], message: &str) {
    let Some(out) = run(args) else {
        return;
    };
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(text(&out.stdout), "", "{args:?} wrote to stdout");
    assert_eq!(
        stderr,
        format!("procfast: {message}; see 'procfast --help'\n"),
        "{args:?}"
    );
}

#[test]
fn usage_errors_are_one_line() {
    let pid_range = "(1..=2147483647)";
    let cases: &[(&[&str], String)] = &[
        (
            &["fds", "99999999999"],
            format!("pid 99999999999 is out of range {pid_range}"),
        ),
        (&["fds", "0"], format!("pid 0 is out of range {pid_range}")),
        (
            &["fds", "+5"],
            r#"invalid pid "+5": expected digits only"#.into(),
        ),
        (
            &["fds", "-5"],
            r#"invalid pid "-5": expected digits only"#.into(),
        ),
        (
            &["fds", "abc"],
            r#"invalid pid "abc": expected digits only"#.into(),
        ),
        (
            &["fds", " 5"],
            r#"invalid pid " 5": expected digits only"#.into(),
        ),
        (&["fds"], "fds needs a PID".into()),
        (
            &["metrics", "+1"],
            r#"invalid pid "+1": expected digits only"#.into(),
        ),
        (
            &["top", "-n", "+3"],
            r#"invalid -n "+3": expected digits only"#.into(),
        ),
        (
            &["top", "-n", "-3"],
            r#"invalid -n "-3": expected digits only"#.into(),
        ),
        (
            &["top", "-n", "99999999999999999999"],
            format!(
                "-n 99999999999999999999 is out of range (0..={})",
                usize::MAX
            ),
        ),
        (
            &["top", "--budget-ms", "1.5"],
            r#"invalid --budget-ms "1.5": expected digits only"#.into(),
        ),
        (
            &["top", "--budget-ms", "18446744073709551616"],
            format!(
                "--budget-ms 18446744073709551616 is out of range (0..={})",
                u64::MAX
            ),
        ),
        (
            &["fds", "1", "--budget-entries", "+1"],
            r#"invalid --budget-entries "+1": expected digits only"#.into(),
        ),
        (
            &["seed-demo", "--fds", ""],
            r#"invalid --fds "": expected digits only"#.into(),
        ),
        (
            &["top", "--by", "size"],
            r#"unknown figure "size": expected fds, threads, rss or cpu"#.into(),
        ),
        (&["top", "-n"], "missing argument for option '-n'".into()),
        (&["top", "--wat"], "invalid option '--wat'".into()),
        (&["bogus"], r#"unexpected argument "bogus""#.into()),
        (&[], "missing command".into()),
    ];
    for (args, message) in cases {
        assert_usage_error(args, message);
    }
}

#[test]
fn help_prints_the_usage_to_stdout() {
    for flag in ["--help", "-h"] {
        let Some(out) = run(&[flag]) else {
            return;
        };
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(text(&out.stderr), "");
        let stdout = text(&out.stdout);
        assert!(stdout.starts_with("usage: procfast top "), "{stdout}");
        assert!(stdout.contains("seed-demo  open as many fds"), "{stdout}");
    }
}

#[test]
fn an_invalid_metrics_namespace_is_a_usage_error() {
    let invalid = TextError::InvalidNamespace;
    assert_usage_error(
        &["metrics", "--namespace", "x\nevil_metric 1"],
        &format!(r#"--namespace "x\nevil_metric 1": {invalid}"#),
    );
    assert_usage_error(
        &["metrics", "--namespace", "my-app"],
        &format!(r#"--namespace "my-app": {invalid}"#),
    );

    let Some(out) = run(&["metrics", "--namespace", "ok_ns"]) else {
        return;
    };
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.lines().count() > 3, "{stdout}");
    for line in stdout.lines() {
        assert!(
            ["ok_ns_", "# HELP ok_ns_", "# TYPE ok_ns_"]
                .iter()
                .any(|start| line.starts_with(start)),
            "{line:?}"
        );
    }
}
