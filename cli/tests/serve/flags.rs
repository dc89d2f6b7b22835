//! serve started with process-exporter's own command lines (Go flags), side by side with it:
//! the same flag line starts both, and both give the same groups, member counts and metric
//! names. Where process-exporter 0.7.10 lacks a flag (`-remove-empty-groups`,
//! `-recheck-with-time-limit`), serve is checked against the truth of its helpers.

use super::common::{body_once, copy_program, find_in_path, free_port, peer, Running};
use super::{comm_groups, group, peer_samples, sample, samples, spawn_serve, tagged};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PROCS: &str = "namedprocess_namegroup_num_procs";

/// Starts process-exporter with `flags` on a free loopback port; returns it and its address.
fn start_peer_with(peer: &Path, flags: &[String]) -> (Running, String) {
    let address = format!("127.0.0.1:{}", free_port());
    let child = Command::new(peer)
        .args(flags)
        .args(["-web.listen-address", &address])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (Running(child), address)
}

/// Starts serve with exactly process-exporter's `flags` (and a loopback port of its own).
fn serve_with(flags: &[String]) -> (Running, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_procfast"));
    command
        .arg("serve")
        .args(flags)
        .args(["-web.listen-address", "127.0.0.1:0"]);
    spawn_serve(command)
}

/// The text at `path` of the exporter at `address`.
fn get(address: &str, path: &str) -> String {
    ureq::get(format!("http://{address}{path}"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap()
}

/// Each group whose name starts with `tag`, with its member count.
fn groups_of(samples: &BTreeMap<String, f64>, tag: &str) -> BTreeMap<String, f64> {
    let prefix = format!("{PROCS}{{groupname=\"{tag}");
    samples
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|(k, &v)| (k[PROCS.len() + 12..k.len() - 2].to_string(), v))
        .collect()
}

/// The samples of the groups whose name starts with `tag`, without their values:
/// `name{labels}`. Not `threads_wchan`: process-exporter writes it even with `-threads=false`,
/// serve only with `-threads` (it reads every member's `wchan` for it).
fn group_keys(samples: &BTreeMap<String, f64>, tag: &str) -> BTreeSet<String> {
    let label = format!("groupname=\"{tag}");
    samples
        .keys()
        .filter(|k| k.starts_with("namedprocess_namegroup_") && k.contains(&label))
        .filter(|k| !k.starts_with("namedprocess_namegroup_threads_wchan{"))
        .cloned()
        .collect()
}

fn strings(flags: &[&str]) -> Vec<String> {
    flags.iter().map(|f| f.to_string()).collect()
}

/// Starts both with `flags`; returns the groups starting with `tag` each reports at `path`, and
/// both exports' samples, once process-exporter has scanned.
fn side_by_side(
    peer: &Path,
    flags: &[String],
    path: &str,
    tag: &str,
) -> [BTreeMap<String, f64>; 2] {
    let (_theirs, peer_address) = start_peer_with(peer, flags);
    let (_ours, address) = serve_with(flags);
    let url = format!("http://{peer_address}{path}");
    let theirs = samples(&body_once(&url, "process-exporter", |b| {
        b.contains("namedprocess_scrape_errors")
    }));
    let ours = samples(&get(&address, path));
    assert_eq!(groups_of(&ours, tag), groups_of(&theirs, tag), "{flags:?}");
    [ours, theirs]
}

#[test]
fn procnames_and_namemapping_give_process_exporters_groups() {
    let Some(peer) = peer() else {
        return;
    };
    let (dir, tag) = tagged("flags-names", "pfnames");
    let _a = group(&dir, &format!("{tag}a"), 3);
    let _b = group(&dir, &format!("{tag}b"), 2);
    let _c = group(&dir, &format!("{tag}c"), 4);
    let flags = strings(&[
        &format!("-procnames={tag}a,{tag}b"),
        // The mapped comm names its group by the first capture that took text: `(x)?` takes
        // none, the seconds do.
        "-namemapping",
        &format!("{tag}c,(x)?{tag}c (\\d+)"),
        "-children=false",
        "-threads=false",
        "-gather-smaps=false",
    ]);
    let [ours, theirs] = side_by_side(&peer, &flags, "/metrics", &tag);
    let groups = groups_of(&ours, &tag);
    let want: BTreeMap<String, f64> = [
        (format!("{tag}a"), 3.0),
        (format!("{tag}b"), 2.0),
        (format!("{tag}c:600"), 4.0),
    ]
    .into_iter()
    .collect();
    assert_eq!(groups, want);
    // Every sample process-exporter writes for these groups, serve writes, and no other.
    assert_eq!(group_keys(&ours, &tag), group_keys(&theirs, &tag));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_config_path_and_a_telemetry_path_as_process_exporter_takes_them() {
    let Some(peer) = peer() else {
        return;
    };
    let (dir, tag) = tagged("flags-config", "pfcfgpath");
    let config = comm_groups(&dir, &[&format!("{tag}a"), &format!("{tag}b")]);
    let _a = group(&dir, &format!("{tag}a"), 2);
    let _b = group(&dir, &format!("{tag}b"), 1);
    let flags = strings(&[
        "--config.path",
        config.to_str().unwrap(),
        "-web.telemetry-path",
        "/other",
        "-threads=0",
        "-gather-smaps=F",
    ]);
    let [ours, theirs] = side_by_side(&peer, &flags, "/other", &tag);
    assert_eq!(groups_of(&ours, &tag).len(), 2, "{ours:?}");
    assert_eq!(group_keys(&ours, &tag), group_keys(&theirs, &tag));
    // With -config.path, -procnames is refused, by both.
    let out = Command::new(env!("CARGO_BIN_EXE_procfast"))
        .args(["serve", "-config.path", config.to_str().unwrap()])
        .args(["-procnames", "x"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("-config.path cannot be used with -namemapping or -procnames"),
        "{stderr}"
    );
    let theirs = Command::new(&peer)
        .args(["-config.path", config.to_str().unwrap(), "-procnames", "x"])
        .output()
        .unwrap();
    assert!(!theirs.status.success());
    assert!(
        String::from_utf8_lossy(&theirs.stderr).contains("-config.path cannot be used"),
        "{}",
        String::from_utf8_lossy(&theirs.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A shell (a copy of dash named `name`) in a process group of its own, with `kids` children
/// (copies of sleep named `kid`), all killed on drop.
struct Family(Running);

impl Drop for Family {
    fn drop(&mut self) {
        // SAFETY: kill(2) of the process group this test created; no memory is involved.
        unsafe { libc::kill(-(self.0 .0.id() as i32), libc::SIGKILL) };
    }
}

fn family(dir: &Path, name: &str, kid: &str, kids: usize) -> Family {
    use std::os::unix::process::CommandExt;
    let shell = dir.join(name);
    copy_program("dash", &shell);
    let kid_path = dir.join(kid);
    copy_program("sleep", &kid_path);
    let script = format!("{} 600 & ", kid_path.display()).repeat(kids) + "wait";
    let child = Command::new(&shell)
        .args(["-c", &script])
        .process_group(0)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let parent = child.id();
    let deadline = Instant::now() + Duration::from_secs(20);
    while children_of(parent) < kids {
        assert!(
            Instant::now() < deadline,
            "{name} never started its children"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    Family(Running(child))
}

/// How many processes have `parent` as their parent.
fn children_of(parent: u32) -> usize {
    let Ok(children) = std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children"))
    else {
        return 0;
    };
    children.split_whitespace().count()
}

#[test]
fn children_join_their_parents_group_unless_children_is_false() {
    let Some(peer) = peer() else {
        return;
    };
    let (dir, tag) = tagged("flags-children", "pfkids");
    let _family = family(&dir, &format!("{tag}p"), &format!("{tag}k"), 2);
    for (children, members) in [("-children", 3.0), ("-children=false", 1.0)] {
        let flags = strings(&[&format!("-procnames={tag}p"), children]);
        let [ours, _] = side_by_side(&peer, &flags, "/metrics", &tag);
        assert_eq!(
            sample(&ours, PROCS, &format!("{tag}p"), ""),
            Some(members),
            "{children}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A shell named `name` that, once told on its stdin, execs a copy of sleep named `into`.
struct Execing {
    shell: Running,
}

impl Execing {
    fn start(dir: &Path, name: &str, into: &str) -> Execing {
        let shell = dir.join(name);
        copy_program("dash", &shell);
        let target = dir.join(into);
        copy_program("sleep", &target);
        let child = Command::new(&shell)
            .args(["-c", &format!("read x; exec {} 600", target.display())])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let execing = Execing {
            shell: Running(child),
        };
        execing.wait_for_comm(name);
        execing
    }

    fn wait_for_comm(&self, comm: &str) {
        let path = format!("/proc/{}/comm", self.shell.0.id());
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::fs::read_to_string(&path).map_or(true, |c| c.trim_end() != comm) {
            assert!(Instant::now() < deadline, "comm never became {comm}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Execs, and returns when the comm has changed.
    fn exec(&mut self, into: &str) {
        let stdin = self.shell.0.stdin.as_mut().unwrap();
        stdin.write_all(b"go\n").unwrap();
        stdin.flush().unwrap();
        self.wait_for_comm(into);
    }
}

/// Both exporters started with `flags` see `shell` as it is; then it execs into `into`, and
/// the groups starting with `tag` both give after that are returned (they must agree).
fn after_exec(
    peer: &Path,
    flags: &[String],
    shell: &mut Execing,
    into: &str,
    tag: &str,
) -> BTreeMap<String, f64> {
    let (_theirs, peer_address) = start_peer_with(peer, flags);
    peer_samples(&peer_address, "namedprocess_scrape_errors");
    // serve scans once before it listens.
    let (_ours, address) = serve_with(flags);
    shell.exec(into);
    let ours = groups_of(&samples(&get(&address, "/metrics")), tag);
    let theirs = groups_of(&samples(&get(&peer_address, "/metrics")), tag);
    assert_eq!(ours, theirs, "{flags:?}");
    ours
}

#[test]
fn recheck_moves_a_process_left_out_that_execs_into_a_tracked_name() {
    let Some(peer) = peer() else {
        return;
    };
    let (dir, tag) = tagged("flags-recheck", "pfexec");
    let (sh, new) = (format!("{tag}s"), format!("{tag}n"));
    let one = |name: &str| -> BTreeMap<String, f64> { [(name.to_string(), 1.0)].into() };

    // A tracked process keeps its group for life, whatever it execs, with -recheck or not.
    for recheck in ["-recheck=false", "-recheck"] {
        let mut shell = Execing::start(&dir, &sh, &new);
        let flags = strings(&[&format!("-procnames={sh},{new}"), recheck]);
        let groups = after_exec(&peer, &flags, &mut shell, &new, &tag);
        assert_eq!(groups, one(&sh), "{recheck}");
    }
    // A process left out is matched again only with -recheck: then it joins the group of the
    // name it execs into.
    for (recheck, want) in [("-recheck=false", BTreeMap::new()), ("-recheck", one(&new))] {
        let mut shell = Execing::start(&dir, &sh, &new);
        let flags = strings(&[&format!("-procnames={new}"), recheck]);
        let groups = after_exec(&peer, &flags, &mut shell, &new, &tag);
        assert_eq!(groups, want, "{recheck}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn recheck_with_a_time_limit_rechecks_only_younger_processes() {
    // process-exporter 0.7.10 lacks the flag: serve against the truth of the exec.
    let (dir, tag) = tagged("flags-recheck-limit", "pflimit");
    let (sh, new) = (format!("{tag}s"), format!("{tag}n"));
    for (limit, members) in [("1h", Some(1.0)), ("1ms", None)] {
        let mut shell = Execing::start(&dir, &sh, &new);
        // Older than a millisecond (and than a clock tick) before serve first sees it.
        std::thread::sleep(Duration::from_millis(50));
        let flags = strings(&[
            &format!("-procnames={new}"),
            "-recheck-with-time-limit",
            limit,
        ]);
        let (_ours, address) = serve_with(&flags);
        shell.exec(&new);
        let got = samples(&get(&address, "/metrics"));
        assert_eq!(sample(&got, PROCS, &new, ""), members, "{limit}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn remove_empty_groups_stops_reporting_a_group_without_members() {
    // process-exporter 0.7.10 lacks the flag: serve against the truth of its helpers.
    let (dir, tag) = tagged("flags-empty", "pfempty");
    for (flag, after) in [
        ("-remove-empty-groups=false", Some(0.0)),
        ("-remove-empty-groups", None),
    ] {
        let members = group(&dir, &tag, 2);
        let (_ours, address) = serve_with(&strings(&[&format!("-procnames={tag}"), flag]));
        let before = samples(&get(&address, "/metrics"));
        assert_eq!(sample(&before, PROCS, &tag, ""), Some(2.0), "{flag}");
        drop(members);
        let got = samples(&get(&address, "/metrics"));
        assert_eq!(sample(&got, PROCS, &tag, ""), after, "{flag}");
        let cpu = sample(
            &got,
            "namedprocess_namegroup_cpu_seconds_total",
            &tag,
            ",mode=\"user\"",
        );
        assert_eq!(cpu.is_some(), after.is_some(), "{flag}: {got:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// serve's and process-exporter's exit status and stderr for `args`.
fn refused(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_procfast"))
        .arg("serve")
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?} wrote to stdout");
    (out.status.code(), stderr)
}

#[test]
fn bad_flags_are_one_clear_line_as_process_exporter_words_them() {
    let peer = find_in_path("prometheus-process-exporter");
    // Flag syntax errors: worded as Go's flag package words them, exit 2 in both.
    for (args, go) in [
        (&["-foo"][..], "flag provided but not defined: -foo"),
        (&["-config.path"], "flag needs an argument: -config.path"),
        (&["-threads=x"], "invalid boolean value \"x\" for -threads"),
        (
            &["--web.listen-address"],
            "flag needs an argument: --web.listen-address",
        ),
    ] {
        let (code, stderr) = refused(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(go), "{args:?}: {stderr}");
        if let Some(peer) = &peer {
            let theirs = Command::new(peer).args(args).output().unwrap();
            assert_eq!(theirs.status.code(), Some(2), "{args:?}");
            let first = String::from_utf8_lossy(&theirs.stderr);
            // Go names a flag with one dash however it was written.
            let go_line = go.replace("--", "-");
            assert!(first.starts_with(&go_line), "{args:?}: {first}");
        }
    }
    // Values: each says which flag, what it got and what it expects.
    for (args, says) in [
        (
            &["-recheck-with-time-limit", "5"][..],
            "invalid value \"5\" for flag -recheck-with-time-limit: missing unit in duration",
        ),
        (
            &["-once-to-stdout-delay=1d"],
            "for flag -once-to-stdout-delay: unknown unit \"d\"",
        ),
        (
            &["-web.listen-address", "9256"],
            "for flag -web.listen-address: missing port; expected [HOST]:PORT",
        ),
        (&["--listen", "[::1]"], "for flag --listen: missing port"),
        (
            &["-web.listen-address=:http"],
            "port \"http\" is not a number",
        ),
        (
            &["-web.telemetry-path", "metrics"],
            "for flag -web.telemetry-path: a path must start with '/'",
        ),
        (
            &["-namemapping", "a,b,c"],
            "-namemapping argument 'a,b,c': bad namemapper: odd number of tokens",
        ),
        (&["-namemapping", "a,("], "error compiling regexp '('"),
        (&["-threads", "false"], "after -threads, a boolean flag"),
        (&["-procnames", "a", "b"], "unexpected argument \"b\""),
        (&["--", "-threads"], "unexpected argument \"-threads\""),
    ] {
        let (code, stderr) = refused(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn version_help_and_manual() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_procfast"))
            .arg("serve")
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["-version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("procfast serve version {}\n", env!("CARGO_PKG_VERSION"))
    );
    let usage = run(&["--help"]).stdout;
    for args in [
        &["-h"][..],
        &["-help"],
        &["--h"],
        &["-man"],
        &["-man=true", "-threads"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(out.stderr.is_empty(), "{args:?}");
        assert_eq!(out.stdout, usage, "{args:?}");
    }
    let text = String::from_utf8_lossy(&usage);
    // Every flag of process-exporter 0.7.10's -h is described.
    if let Some(peer) = find_in_path("prometheus-process-exporter") {
        let theirs = Command::new(peer).arg("-h").output().unwrap();
        let theirs = String::from_utf8_lossy(&theirs.stderr);
        let flags: Vec<&str> = theirs
            .lines()
            .filter_map(|l| l.strip_prefix("  -"))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        assert!(flags.len() >= 14, "{theirs}");
        for flag in flags {
            assert!(text.contains(&format!("-{flag}")), "-{flag} undescribed");
        }
    }
}

#[test]
fn every_interface_is_reached_over_ipv4_and_ipv6_and_ipv4_alone_without_ipv6() {
    let port = free_port();
    let flags = strings(&["-web.listen-address", &format!(":{port}"), "-procnames=x"]);
    let mut command = Command::new(env!("CARGO_BIN_EXE_procfast"));
    command.arg("serve").args(&flags);
    let (ours, said) = spawn_serve(command);
    assert!(get(&format!("127.0.0.1:{port}"), "/metrics").contains("namedprocess_scrape_errors"));
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        assert_eq!(said, format!("[::]:{port}"));
        assert!(get(&format!("[::1]:{port}"), "/metrics").contains("namedprocess_scrape_errors"));
    }
    drop(ours);
    // A kernel booted without IPv6 refuses its sockets (EAFNOSUPPORT): serve listens on IPv4.
    let port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_procfast"));
    command
        .args(["serve", "-web.listen-address", &format!(":{port}")])
        .arg("-procnames=x");
    refuse_ipv6_sockets(&mut command);
    let (_ours, said) = spawn_serve(command);
    assert_eq!(said, format!("0.0.0.0:{port}"));
    assert!(get(&format!("127.0.0.1:{port}"), "/metrics").contains("namedprocess_scrape_errors"));
}

/// Makes `socket(AF_INET6, …)` fail with EAFNOSUPPORT in the process `command` starts, as on a
/// kernel booted with `ipv6.disable=1`.
fn refuse_ipv6_sockets(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    const LD: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
    const JEQ: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
    const RET: u16 = 0x06; // BPF_RET | BPF_K
    let op = |code: u16, jt: u8, jf: u8, k: u32| libc::sock_filter { code, jt, jf, k };
    let filter = [
        op(LD, 0, 0, 0), // seccomp_data.nr
        op(JEQ, 0, 3, libc::SYS_socket as u32),
        op(LD, 0, 0, 16), // seccomp_data.args[0], its low half
        op(JEQ, 0, 1, libc::AF_INET6 as u32),
        op(
            RET,
            0,
            0,
            libc::SECCOMP_RET_ERRNO | libc::EAFNOSUPPORT as u32,
        ),
        op(RET, 0, 0, libc::SECCOMP_RET_ALLOW),
    ];
    // SAFETY:
    // - The closure runs in the child between fork and exec, and only makes two prctl calls,
    //   which are async-signal-safe and allocate nothing.
    // - `program` points at `filter`, which the closure owns and outlives the call; the
    //   kernel copies it. The filter only turns socket(AF_INET6) into EAFNOSUPPORT.
    unsafe {
        command.pre_exec(move || {
            let program = libc::sock_fprog {
                len: filter.len() as u16,
                filter: filter.as_ptr() as *mut libc::sock_filter,
            };
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::prctl(
                    libc::PR_SET_SECCOMP,
                    libc::SECCOMP_MODE_FILTER,
                    &program as *const libc::sock_fprog,
                ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}
