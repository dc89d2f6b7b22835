//! The command line run as a user runs it, through the `procfast` binary that cargo builds for
//! these tests.

mod common;
use common::child::first_line;
use procfast::TextError;
use std::io::{BufRead, BufReader};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
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
    let cases: [&[&str]; 17] = [
        &["top", "-n", "100000"],
        &["host"],
        &["host", "--json"],
        &["tcp"],
        &["serve", "--once"],
        &["help", "serve"],
        &["--version"],
        &["top", "--interval", "0.05", "--json"],
        &["top", "--help"],
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
fn a_full_disk_is_one_line_and_exit_1_for_every_command() {
    let me = std::process::id().to_string();
    let cases: [&[&str]; 10] = [
        &["top"],
        &["top", "--json", "--threads"],
        &["fds", &me, "--kinds"],
        &["metrics"],
        &["host"],
        &["tcp", "--json"],
        &["serve", "--once"],
        &["seed-demo", "--fds", "10"],
        &["help", "top"],
        &["--help"],
    ];
    for args in cases {
        let Some(mut command) = procfast(args) else {
            return;
        };
        let full = std::fs::File::create("/dev/full").unwrap();
        let out = command.stdout(full).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(
            text(&out.stderr),
            "procfast: writing to stdout: No space left on device (os error 28)\n",
            "{args:?}"
        );
    }
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
        assert_eq!(
            first_line(&mut child),
            "ready\n",
            "sh could not set its comm"
        );
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
    // 15 ESCs escape to 60 characters: cut to the column's 32.
    let long = Named::spawn(&r"\033".repeat(15), &[0x1b; 15]);
    let out = run(&["top", "-n", "100000"]).unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !out.stdout.contains(&0x1b),
        "a raw ESC reached the terminal"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();

    // Every row has the header's layout: the columns before COMMAND end where the header's do,
    // and COMMAND, the last, runs to the end of the line.
    let lines: Vec<&str> = stdout.lines().collect();
    let (header, rest) = lines.split_first().unwrap();
    let (summary, rows) = rest.split_last().unwrap();
    assert!(header.starts_with("     PID USER"), "{header}");
    assert!(summary.starts_with("scanned "), "{summary}");
    let command = header.find("COMMAND").unwrap();
    let mut comms = std::collections::HashMap::new();
    for row in rows {
        let chars: Vec<char> = row.chars().collect();
        assert!(
            chars.len() > command
                && chars[command - 3] != ' '
                && chars[command - 2..command] == [' ', ' '],
            "row split or misaligned: {row:?}"
        );
        let pid: String = chars[..8].iter().collect();
        let pid: i32 = pid.trim().parse().unwrap();
        comms.insert(pid, chars[command..].iter().collect::<String>());
    }
    assert_eq!(comms[&red.pid], r"a\nb\x1b[31mc");
    assert_eq!(comms[&binary_name.pid], r"\xff\t\\\x7fz");
    assert_eq!(comms[&long.pid], r"\x1b".repeat(8));

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
    // The hint names the command's own help when the command word was understood.
    let commands = [
        "top",
        "fds",
        "metrics",
        "host",
        "tcp",
        "seed-demo",
        "serve",
        "help",
    ];
    let help = match args.first() {
        Some(&command) if commands.contains(&command) && command != "help" => {
            format!("procfast {command} --help")
        }
        _ => "procfast --help".to_string(),
    };
    assert_eq!(
        stderr,
        format!("procfast: {message}; see '{help}'\n"),
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
            r#"unknown figure "size": expected fds, threads, rss, cpu or pid"#.into(),
        ),
        (&["top", "-n"], "missing argument for option '-n'".into()),
        (
            &["top", "--user", "nosuchuser"],
            r#"unknown user "nosuchuser""#.into(),
        ),
        (
            &["top", "--user", "99999999999"],
            format!("--user 99999999999 is out of range (0..={})", u32::MAX),
        ),
        (
            &["top", "--pid", "-1"],
            r#"invalid pid "-1": expected digits only"#.into(),
        ),
        (
            &["top", "--pid", "0"],
            format!("pid 0 is out of range {pid_range}"),
        ),
        (&["top", "--wat"], "invalid option '--wat'".into()),
        (&["bogus"], r#"unknown command "bogus""#.into()),
        (&["help", "bogus"], r#"unknown command "bogus""#.into()),
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

#[test]
fn an_interval_is_positive_decimal_seconds() {
    for text in [
        "abc", "", "+1", "-1", "1e3", "inf", "NaN", ".5", "1.", "1.2.3", " 1", "0x1",
    ] {
        assert_usage_error(
            &["top", "--interval", text],
            &format!("invalid --interval {text:?}: expected seconds, like 2 or 0.5"),
        );
    }
    // Zero, a fraction below the clock's nanosecond, and more than a day.
    for text in [
        "0",
        "0.0",
        "0.0000000001",
        "86400.5",
        "99999999999999999999999",
    ] {
        assert_usage_error(
            &["top", "--interval", text],
            &format!("--interval {text} is out of range (more than 0, at most 86400)"),
        );
    }
}

/// A child process, killed and reaped when dropped.
struct Kid(Child);

impl Kid {
    fn spawn(program: &str, args: &[&str]) -> Kid {
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        Kid(child)
    }

    fn pid(&self) -> i64 {
        i64::from(self.0.id())
    }
}

impl Drop for Kid {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `top` with `args` and `--json`, and parses its one line.
fn top_json(args: &[&str]) -> Option<serde_json::Value> {
    let out = run(&[&["top", "--json"], args].concat())?;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        text(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn rows(json: &serde_json::Value) -> &Vec<serde_json::Value> {
    json["rows"].as_array().unwrap()
}

#[test]
fn cpu_percent_over_an_interval_ranks_a_busy_process_first() {
    let busy = Kid::spawn("sh", &["-c", "while :; do :; done"]);
    let idle = Kid::spawn("sleep", &["30"]);
    let (busy_pid, idle_pid) = (busy.pid().to_string(), idle.pid().to_string());
    // The sleeper has the smaller pid, so a ranking by pid or by nothing would put it first.
    let args = [
        "--interval",
        "0.3",
        "--by",
        "cpu",
        "--pid",
        &idle_pid,
        "--pid",
        &busy_pid,
    ];
    let Some(json) = top_json(&args) else {
        return;
    };
    let interval = json["interval_seconds"].as_f64().unwrap();
    assert!((0.3..1.0).contains(&interval), "{json}");
    let rows = rows(&json);
    assert_eq!(rows.len(), 2, "{json}");
    // One core busy is 100%; a 2-core host shared with other tests may give it less.
    assert_eq!(rows[0]["pid"], busy.pid(), "{json}");
    let percent = rows[0]["cpu_percent"].as_f64().unwrap();
    assert!(
        (50.0..=110.0).contains(&percent),
        "busy child at {percent}%: {json}"
    );
    assert_eq!(rows[1]["pid"], idle.pid(), "{json}");
    let percent = rows[1]["cpu_percent"].as_f64().unwrap();
    assert!(percent < 5.0, "sleeping child at {percent}%: {json}");
}

#[test]
fn without_an_interval_there_is_no_cpu_percent() {
    let Some(json) = top_json(&["-n", "100000"]) else {
        return;
    };
    assert!(json.get("interval_seconds").is_none(), "{json}");
    assert!(
        rows(&json).iter().all(|row| row["cpu_percent"].is_null()),
        "{json}"
    );
    // And the table shows "-" in the %CPU column of every row.
    let out = run(&["top", "-n", "5"]).unwrap();
    let stdout = text(&out.stdout);
    for row in stdout
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with("scanned "))
    {
        assert_eq!(row.split_whitespace().nth(7), Some("-"), "{row}");
    }
}

#[test]
fn the_user_filter_keeps_that_users_processes_only() {
    // A process of another user, where this test may make one (as root).
    let nobody = Command::new("sleep")
        .arg("30")
        .uid(65534)
        .spawn()
        .ok()
        .map(Kid);
    for user in ["root", "0"] {
        let Some(json) = top_json(&["-n", "100000", "--user", user]) else {
            return;
        };
        let rows = rows(&json);
        // pid 1 is root's.
        assert!(rows.iter().any(|row| row["pid"] == 1), "{json}");
        for row in rows {
            assert_eq!(row["uid"], 0, "{row}");
            assert_eq!(row["user"], "root", "{row}");
        }
    }
    let Some(nobody) = nobody else {
        return;
    };
    let json = top_json(&["-n", "100000", "--user", "65534"]).unwrap();
    let rows = rows(&json);
    assert!(rows.iter().any(|row| row["pid"] == nobody.pid()), "{json}");
    assert!(rows.iter().all(|row| row["uid"] == 65534), "{json}");
}

#[test]
fn the_user_column_is_the_effective_uid_ps_shows_for_a_daemon_that_dropped_privileges() {
    // The kernel shows such a process's fds and stat as root's; its USER is still nobody.
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: needs root to drop privileges");
        return;
    }
    let script = "import os, sys\n\
                  os.setgroups([]); os.setresgid(65534, 65534, 65534); os.setresuid(65534, 65534, 65534)\n\
                  print('dropped', flush=True); sys.stdin.read()";
    let Ok(mut child) = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    else {
        eprintln!("skipped: no python3");
        return;
    };
    let mut line = String::new();
    let stdout = child.stdout.as_mut().unwrap();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
    let dropped = Kid(child);
    assert_eq!(line, "dropped\n");
    let pid = dropped.pid().to_string();
    let ps = Command::new("ps")
        .args(["-o", "euid=", "-p", &pid])
        .output()
        .unwrap();
    let ps_euid: i64 = text(&ps.stdout).trim().parse().unwrap();
    assert_eq!(ps_euid, 65534);
    // Picked by pid, and among every process of the host.
    for args in [&["--pid", pid.as_str()][..], &["-n", "100000"][..]] {
        let json = top_json(args).unwrap();
        let row = rows(&json).iter().find(|row| row["pid"] == dropped.pid());
        let row = row.unwrap_or_else(|| panic!("{args:?}: pid {pid} not shown: {json}"));
        assert_eq!(row["uid"], ps_euid, "{args:?}: {row}");
    }
}

#[test]
fn a_process_new_in_the_second_scan_has_no_cpu_percent() {
    let Some(mut command) =
        procfast(&["top", "--json", "--interval", "1", "--comm", "pfnew_probe"])
    else {
        return;
    };
    let child = command.stdout(Stdio::piped()).spawn().unwrap();
    // Started well after the first scan, well before the second.
    std::thread::sleep(std::time::Duration::from_millis(400));
    let named = Named::spawn("pfnew_probe", b"pfnew_probe");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows(&json);
    assert_eq!(rows.len(), 1, "{json}");
    assert_eq!(rows[0]["pid"], named.pid, "{json}");
    assert!(rows[0]["cpu_seconds"].is_number(), "{json}");
    assert!(rows[0]["cpu_percent"].is_null(), "{json}");
}

#[test]
fn the_comm_filter_applies_before_ranking() {
    if binary().is_none() {
        return;
    }
    let named = Named::spawn("pfcomm_probe", b"pfcomm_probe");
    // -n 1: a filter applied after ranking would show the process with the most fds instead.
    let json = top_json(&["-n", "1", "--comm", "comm_pro"]).unwrap();
    let rows = rows(&json);
    assert_eq!(rows.len(), 1, "{json}");
    assert_eq!(rows[0]["pid"], named.pid, "{json}");
    assert_eq!(rows[0]["comm"], "pfcomm_probe", "{json}");

    let json = top_json(&["-n", "100000", "--comm", "sh"]).unwrap();
    let rows = self::rows(&json);
    assert!(!rows.is_empty(), "{json}");
    for row in rows {
        assert!(row["comm"].as_str().unwrap().contains("sh"), "{row}");
    }
}

/// Asserts that `value` is a number of the kind `is`, or null where `nullable`.
fn assert_kind(
    row: &serde_json::Value,
    key: &str,
    is: fn(&serde_json::Value) -> bool,
    nullable: bool,
) {
    let value = row.get(key).unwrap_or_else(|| panic!("no {key}: {row}"));
    assert!(is(value) || (nullable && value.is_null()), "{key}: {row}");
}

#[test]
fn json_rows_have_every_figure_with_its_type() {
    let Some(json) = top_json(&["-n", "100000", "--interval", "0.1"]) else {
        return;
    };
    for key in ["scanned", "vanished", "denied", "refused"] {
        assert_kind(&json, key, serde_json::Value::is_u64, false);
    }
    for key in ["micros", "cpu_micros", "interval_seconds"] {
        assert_kind(&json, key, serde_json::Value::is_f64, false);
    }
    assert_kind(&json, "complete", serde_json::Value::is_boolean, false);
    let rows = rows(&json);
    assert!(rows.len() > 1, "{json}");
    for row in rows {
        assert_kind(row, "pid", serde_json::Value::is_i64, false);
        assert_eq!(row["tgid"], row["pid"], "{row}");
        assert_kind(row, "comm", serde_json::Value::is_string, false);
        let state = row["state"].as_str().unwrap();
        assert!(state.len() == 1 && "RSDZTtXxKWPI".contains(state), "{row}");
        for key in ["ppid", "uid", "rss_bytes"] {
            assert_kind(row, key, serde_json::Value::is_u64, false);
        }
        // A zombie has no fds or threads.
        for key in ["fds", "threads"] {
            assert_kind(row, key, serde_json::Value::is_u64, true);
        }
        assert_kind(row, "user", serde_json::Value::is_string, true);
        assert_kind(row, "cpu_seconds", serde_json::Value::is_number, false);
        // Null for a process new since the first scan.
        assert_kind(row, "cpu_percent", serde_json::Value::is_number, true);
    }
    let me = i64::from(std::process::id());
    let mine = rows.iter().find(|row| row["pid"] == me).unwrap();
    assert!(mine["cpu_percent"].is_number(), "{mine}");
    if mine["uid"] == 0 {
        assert_eq!(mine["user"], "root", "{mine}");
    }
}

#[test]
fn thread_rows_name_their_process_in_tgid() {
    if binary().is_none() {
        return;
    }
    // A thread of this test's own, parked until the scan is over.
    let (done, wait) = std::sync::mpsc::channel::<()>();
    let parked = std::thread::spawn(move || wait.recv());
    let me = i64::from(std::process::id());
    let json = top_json(&["-n", "100000", "--threads", "--pid", &me.to_string()]).unwrap();
    drop(done);
    let _ = parked.join();
    let rows = rows(&json);
    assert!(rows.len() >= 2, "{json}");
    assert!(rows.iter().all(|row| row["tgid"] == me), "{json}");
    assert!(rows.iter().any(|row| row["pid"] == me), "{json}");
    assert!(rows.iter().any(|row| row["pid"] != me), "{json}");
}

#[test]
fn watch_writes_a_frame_per_interval_to_a_pipe() {
    let Some(mut command) = procfast(&["top", "--watch", "--interval", "0.2", "--json"]) else {
        return;
    };
    let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map(Result::unwrap)
            .collect::<Vec<_>>()
    });
    std::thread::sleep(std::time::Duration::from_millis(1000));
    child.kill().unwrap();
    child.wait().unwrap();
    let frames = reader.join().unwrap();
    // The first at once, then every 0.2 s: about 5.
    assert!(frames.len() >= 3, "{frames:?}");
    for (i, frame) in frames.iter().enumerate() {
        let json: serde_json::Value = serde_json::from_str(frame).unwrap();
        assert!(json["rows"].is_array(), "{frame}");
        // Every frame after the first is sampled against the one before.
        assert_eq!(json["interval_seconds"].is_f64(), i > 0, "{frame}");
    }

    // The table is not cleared between frames when stdout is not a terminal.
    let mut command = procfast(&["top", "--watch", "--interval", "0.2", "-n", "2"]).unwrap();
    let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        std::io::Read::read_to_end(&mut BufReader::new(stdout), &mut all).unwrap();
        all
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    child.kill().unwrap();
    child.wait().unwrap();
    let all = reader.join().unwrap();
    assert!(!all.contains(&0x1b), "{}", text(&all));
    assert!(
        text(&all).matches("     PID USER").count() >= 2,
        "{}",
        text(&all)
    );
}

/// Runs `top --watch` on a pseudo-terminal (through script(1)), sends `key` once the first frame
/// is painted, and returns what the terminal showed, with `stty -a` run after procfast.
fn watch_on_a_terminal(key: &str) -> Option<String> {
    let binary = binary()?;
    let script = format!(
        "{} top --watch --interval 0.2 -n 2; echo procfast-exit=$?; stty -a",
        binary.display()
    );
    let Ok(mut child) = Command::new("script")
        .args(["-qec", &script, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    else {
        // No script(1) here: nothing to drive a terminal with.
        return None;
    };
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, from_reader) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let timeout = std::time::Duration::from_secs(10);
    let mut shown = String::new();
    let mut sent = false;
    while let Ok(line) = from_reader.recv_timeout(timeout) {
        shown.push_str(&line);
        shown.push('\n');
        // "q quits": the keys are read, so the terminal is switched.
        if !sent && line.contains("q quits") {
            std::io::Write::write_all(&mut stdin, key.as_bytes()).unwrap();
            sent = true;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    Some(shown)
}

#[test]
fn on_a_terminal_q_and_ctrl_c_quit_and_restore_the_mode() {
    // Ctrl-C is read as a key, not delivered as SIGINT (which would exit 130).
    for key in ["q", "\x03"] {
        let Some(shown) = watch_on_a_terminal(key) else {
            return;
        };
        assert!(shown.contains("procfast-exit=0"), "{key:?}: {shown}");
        let stty: Vec<&str> = shown.split_whitespace().collect();
        for mode in ["icanon", "echo", "isig"] {
            assert!(
                stty.contains(&mode),
                "{key:?}: {mode} not restored: {shown}"
            );
        }
        // Frames are painted over one another on a terminal.
        assert!(shown.contains("\x1b[H\x1b[2J"), "{shown}");
    }
}

#[test]
fn every_command_has_help_and_the_binary_a_version() {
    for command in ["top", "fds", "metrics", "host", "tcp", "seed-demo", "serve"] {
        // `procfast help COMMAND` is `procfast COMMAND --help`.
        let asked = run(&["help", command]).unwrap();
        assert_eq!(asked.status.code(), Some(0), "help {command}");
        assert_eq!(asked.stdout, run(&[command, "--help"]).unwrap().stdout);
        for flag in ["--help", "-h"] {
            let Some(out) = run(&[command, flag]) else {
                return;
            };
            assert_eq!(out.status.code(), Some(0), "{command} {flag}");
            assert_eq!(text(&out.stderr), "", "{command} {flag}");
            let stdout = text(&out.stdout);
            assert!(
                stdout.starts_with(&format!("usage: procfast {command}")),
                "{command} {flag}: {stdout}"
            );
        }
    }
    let out = run(&["--help"]).unwrap();
    assert_eq!(run(&["help"]).unwrap().stdout, out.stdout);
    assert!(
        text(&out.stdout).contains("Exit status: 0"),
        "{}",
        text(&out.stdout)
    );
    for flag in ["--version", "-V"] {
        let out = run(&[flag]).unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(text(&out.stdout), "procfast 0.1.0\n");
    }
}

#[test]
fn the_table_has_the_columns_of_ps_and_top() {
    let Some(out) = run(&["top", "-n", "3", "--interval", "0.1"]) else {
        return;
    };
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let header: Vec<&str> = stdout.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["PID", "USER", "STATE", "THREADS", "FDS", "RSS", "%CPU", "TIME", "COMMAND"]
    );
    let summary = stdout.lines().last().unwrap();
    assert!(
        summary.contains("; refresh: ") && summary.contains(" ms CPU)"),
        "{summary}"
    );
    assert!(summary.contains("; %CPU over 0.1"), "{summary}");
}

#[test]
fn fds_by_kind_match_the_links() {
    let mut child = Command::new("sleep")
        .arg("30")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let out = run(&["fds", &pid, "--kinds", "--json"]).unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (mut pipes, mut files, mut all) = (0, 0, 0);
    for entry in std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap() {
        let target = std::fs::read_link(entry.unwrap().path()).unwrap();
        let target = target.to_string_lossy();
        pipes += u64::from(target.starts_with("pipe:["));
        files += u64::from(target.starts_with('/'));
        all += 1;
    }
    assert_eq!(v["fds"], all, "{v}");
    assert_eq!(
        (v["kinds"]["pipe"].as_u64(), v["kinds"]["file"].as_u64()),
        (Some(pipes), Some(files))
    );
    assert!(pipes >= 1 && files >= 1 && v["complete"] == true, "{v}");
    let out = run(&["fds", &pid, "--kinds", "--budget-entries", "1", "--json"]).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["fds"].as_u64(), v["complete"].as_bool()),
        (Some(1), Some(false)),
        "{v}"
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn tcp_counts_by_state_both_ways() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    for (args, method) in [
        (&["tcp", "--json"][..], "netlink"),
        (&["tcp", "--proc", "--json"][..], "proc"),
    ] {
        let out = run(args).unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            (v["method"].as_str(), v["complete"].as_bool()),
            (Some(method), Some(true))
        );
        let states = v["states"].as_object().unwrap();
        assert_eq!(states.len(), 11, "{v}");
        assert!(states["LISTEN"].as_u64() >= Some(1) && states["ESTABLISHED"].as_u64() >= Some(2));
    }
    // This process's own: one listener and both ends of the connection.
    let me = std::process::id().to_string();
    let out = run(&["tcp", "--pid", &me, "--json"]).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["states"]["LISTEN"].as_u64() >= Some(1), "{v}");
    assert!(v["states"]["ESTABLISHED"].as_u64() >= Some(2), "{v}");
    drop((client, server));
    let out = run(&["tcp", "--pid", "999999999"]).unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let out = run(&["tcp", "--pid", "x1"]).unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn top_selecting_no_process_fails_as_ps_does() {
    // A pid above pid_max (at most 2^22) never exists.
    let Some(out) = run(&["top", "--pid", "9999999"]) else {
        return;
    };
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "procfast: no process matches --pid 9999999\n"
    );
    // The frame is still written, as ps writes its header.
    assert!(text(&out.stdout).starts_with("     PID USER"));
    let me = std::process::id().to_string();
    let out = run(&["top", "--pid", "9999999", "--pid", &me]).unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(&["top", "--comm", "no such command name"]).unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

#[test]
fn every_command_reading_proc_takes_procfs_and_names_it_in_errors() {
    let me = std::process::id().to_string();
    let commands: [&[&str]; 4] = [&["top"], &["host"], &["tcp"], &["fds", &me]];
    for command in commands {
        let Some(out) = run(&[command, &["--procfs", "/proc"]].concat()) else {
            return;
        };
        assert_eq!(
            out.status.code(),
            Some(0),
            "{command:?}: {}",
            text(&out.stderr)
        );
        let missing = run(&[command, &["--procfs", "/nonexistent"]].concat()).unwrap();
        assert_eq!(missing.status.code(), Some(1), "{command:?}");
        assert_eq!(
            text(&missing.stderr),
            "procfast: --procfs /nonexistent: No such file or directory (os error 2)\n",
            "{command:?}"
        );
        let not_procfs = run(&[command, &["--procfs", "/tmp"]].concat()).unwrap();
        assert_eq!(not_procfs.status.code(), Some(1), "{command:?}");
        let stderr = text(&not_procfs.stderr);
        assert!(
            stderr.starts_with("procfast: --procfs /tmp: ") && stderr.contains("procfs"),
            "{command:?}: {stderr}"
        );
    }
}
