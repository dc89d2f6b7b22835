//! `cargo xtask tcp-bench`: counting TCP connections by state and fds by kind, against the
//! ways others do it, in the same moments (rotated rounds; ratios are medians of per-round
//! ratios). Helper processes hold the connections and fds; this machine's `RLIMIT_NOFILE`
//! (20,000) caps one process, so 20,000 connections are four processes of 2,500 pairs.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write as _};
use std::mem::MaybeUninit;
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use crate::alloc::count_allocs;
use crate::format::fmt_seconds;
use crate::python::Python;
use crate::report::{Report, Table};
use crate::running::Running;
use crate::timing::{median_of, median_ratio, rotated};
use procfast::{Budget, Proc, TcpCensus};

const ROUNDS: usize = 21;

/// Holds `pairs` loopback connections (both ends) and a listener, until its stdin closes.
const HOLD_PAIRS: &str = r#"
import resource, socket, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(8192)
keep = []
for _ in range(int(sys.argv[1])):
    c = socket.socket()
    c.connect(listener.getsockname())
    keep.append(c)
    keep.append(listener.accept()[0])
print("ready", flush=True)
sys.stdin.read()
"#;

/// Holds `sockets` unbound sockets and `pipes` pipes, until its stdin closes.
const HOLD_FDS: &str = r#"
import os, resource, socket, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
keep = [socket.socket() for _ in range(int(sys.argv[1]))]
keep += [os.pipe() for _ in range(int(sys.argv[2]))]
print("ready", flush=True)
sys.stdin.read()
"#;

/// Answers each line on stdin by running psutil's call once and printing how many items it
/// returned and the nanoseconds it took, measured inside Python (no start-up, no pipe).
const PSUTIL: &str = r#"
import psutil, sys, time
pid = int(sys.argv[1])
for line in sys.stdin:
    t = time.perf_counter_ns()
    if line.startswith("tcp"):
        n = len(psutil.net_connections("tcp"))
    else:
        p = psutil.Process(pid)
        n = len(p.open_files()) + len(p.connections("all"))
    print(n, time.perf_counter_ns() - t, flush=True)
"#;

/// A Python helper running `script`, once it has said it is ready.
fn hold(script: &str, args: &[String]) -> Option<Python> {
    Python::start(script, args).filter(|p| p.ready_line == "ready\n")
}

/// A psutil process answering timing requests (Debian's python3-psutil is for
/// /usr/bin/python3).
struct Psutil {
    _child: Running,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Psutil {
    fn start(pid: u32) -> Option<Psutil> {
        let mut child = Command::new("/usr/bin/python3")
            .args(["-c", PSUTIL, &pid.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let stdin = child.stdin.take()?;
        let stdout = BufReader::new(child.stdout.take()?);
        let mut psutil = Psutil {
            _child: Running(child),
            stdin,
            stdout,
        };
        psutil.time("tcp")?;
        Some(psutil)
    }

    /// One call: (items, seconds).
    fn time(&mut self, what: &str) -> Option<(u64, f64)> {
        writeln!(self.stdin, "{what}").ok()?;
        let mut line = String::new();
        self.stdout.read_line(&mut line).ok()?;
        let mut words = line.split_whitespace();
        let n = words.next()?.parse().ok()?;
        let ns: f64 = words.next()?.parse().ok()?;
        Some((n, ns / 1e9))
    }
}

/// A contender: its name and one timed run, returning (items it saw, seconds).
type Run<'a> = (&'static str, Box<dyn FnMut() -> (u64, f64) + 'a>);

/// Rotated rounds of every contender; a table of medians and of each one's median per-round
/// ratio to the first.
fn table(md: &mut String, header: &str, contenders: &mut [Run<'_>]) -> Vec<(f64, f64, u64)> {
    let count = contenders.len();
    let mut times = vec![Vec::new(); count];
    let mut items = vec![0; count];
    rotated(ROUNDS, count, |_, which| {
        let (n, seconds) = (contenders[which].1)();
        items[which] = n;
        times[which].push(seconds);
    });
    let mut table = Table::new(&[header, "median", "÷ procfast", "items seen"], "lrrr");
    let mut out = Vec::new();
    for k in 0..count {
        let ratio = median_ratio(&times[k], &times[0], 1e-12);
        let m = median_of(&times[k]);
        table.row([
            contenders[k].0.to_string(),
            fmt_seconds(m),
            if k == 0 {
                "1".into()
            } else {
                format!("{ratio:.1}×")
            },
            items[k].to_string(),
        ]);
        out.push((m, ratio, items[k]));
    }
    md.push_str(&table.finish());
    md.push('\n');
    out
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let started = Instant::now();
    let out = std::hint::black_box(f());
    (out, started.elapsed().as_secs_f64())
}

/// A `getdents64` and `readlinkat` loop over `/proc/<pid>/fd` into stack buffers: the floor
/// of a census by kind.
fn raw_readlinkat_loop(pid: u32) -> u64 {
    let Ok(dir) = rustix::fs::open(
        format!("/proc/{pid}/fd"),
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    ) else {
        return 0;
    };
    let mut entries = [MaybeUninit::<u8>::uninit(); 32 * 1024];
    let mut target = [MaybeUninit::<u8>::uninit(); 256];
    let mut raw = rustix::fs::RawDir::new(&dir, &mut entries);
    let mut n = 0;
    while let Some(Ok(entry)) = raw.next() {
        let name = entry.file_name();
        if name.to_bytes().first().is_some_and(u8::is_ascii_digit)
            && rustix::fs::readlinkat_raw(&dir, name, &mut target).is_ok()
        {
            n += 1;
        }
    }
    n
}

/// Measures and writes the section.
pub fn run(report: &Report) -> Result<(), String> {
    report.publish("tcp-bench", &measure()?)
}

/// The section's markdown; an error where the helpers cannot hold their connections or fds.
pub fn measure() -> Result<String, String> {
    let mut md = String::new();
    // ~20,000 connections: four processes of 2,500 pairs.
    let holders: Vec<Python> = (0..4)
        .map(|_| hold(HOLD_PAIRS, &["2500".into()]).ok_or("python3 could not hold connections"))
        .collect::<Result<_, _>>()?;
    let mut census = TcpCensus::open().map_err(|e| e.to_string())?;
    let mut fallback = TcpCensus::open().map_err(|e| e.to_string())?.proc_only();
    let mut per_family = TcpCensus::open().map_err(|e| e.to_string())?.per_family();
    let mut psutil = Psutil::start(holders[0].pid() as u32);
    let mut raw_buf = Vec::with_capacity(8 << 20);
    let count = |c: procfast::Result<procfast::TcpCount>| c.map_or(0, |c| c.states.total());
    let total = count(census.count(&Budget::UNLIMITED));
    let mut tcp: Vec<Run> = vec![
        (
            "procfast `TcpCensus` (netlink sock_diag)",
            Box::new(|| timed(|| count(census.count(&Budget::UNLIMITED)))),
        ),
        (
            "procfast, a dump per family (as `ss` asks)",
            Box::new(|| timed(|| count(per_family.count(&Budget::UNLIMITED)))),
        ),
        (
            "procfast, `/proc/net/tcp{,6}` fallback",
            Box::new(|| timed(|| count(fallback.count(&Budget::UNLIMITED)))),
        ),
        (
            "read `/proc/net/tcp{,6}` whole, no parse",
            Box::new(|| {
                timed(|| {
                    use std::io::Read;
                    raw_buf.clear();
                    for f in ["/proc/net/tcp", "/proc/net/tcp6"] {
                        if let Ok(mut file) = std::fs::File::open(f) {
                            let _ = file.read_to_end(&mut raw_buf);
                        }
                    }
                    raw_buf.iter().filter(|&&b| b == b'\n').count() as u64
                })
            }),
        ),
        (
            "procfs crate `net::tcp()` + `tcp6()`",
            Box::new(|| {
                timed(|| {
                    let mut by_state = [0u64; 16];
                    for list in [procfs::net::tcp(), procfs::net::tcp6()]
                        .into_iter()
                        .flatten()
                    {
                        for entry in list {
                            by_state[(entry.state as usize) & 15] += 1;
                        }
                    }
                    by_state.iter().sum()
                })
            }),
        ),
        (
            "`ss -tan` (a process, output to /dev/null)",
            Box::new(|| {
                timed(|| {
                    let status = Command::new("ss")
                        .arg("-tan")
                        .stdout(Stdio::null())
                        .status();
                    u64::from(status.is_ok_and(|s| s.success()))
                })
            }),
        ),
    ];
    if let Some(p) = psutil.as_mut() {
        tcp.push((
            "psutil `net_connections(\"tcp\")` (timed inside Python)",
            Box::new(|| p.time("tcp").unwrap_or((0, f64::NAN))),
        ));
    }
    let _ = writeln!(
        md,
        "**TCP connections by state**, {total} sockets in this namespace ({} helper processes \
         of 2,500 loopback pairs each, and whatever else is open):\n",
        holders.len()
    );
    let results = table(&mut md, "census", &mut tcp);
    drop(tcp);
    let per_socket = results[0].0 / total.max(1) as f64;
    let _ = writeln!(
        md,
        "procfast's dump costs {:.0} ns per socket here: about {} at 1,000,000 connections, \
         extrapolated linearly (more than this machine's fd limit lets it hold).\n",
        per_socket * 1e9,
        fmt_seconds(per_socket * 1e6)
    );
    if let (Some(raw), Some(procfs)) = (results.get(3), results.get(4)) {
        let _ = writeln!(
            md,
            "Most of every route is the kernel's: reading `/proc/net/tcp{{,6}}` without parsing \
             it takes {} of the procfs crate's {}, and the dump itself, which procfast only \
             counts, takes {}, more than a fifth of the procfs crate's time, so no census can be \
             5× faster than it here.\n",
            fmt_seconds(raw.0),
            fmt_seconds(procfs.0),
            fmt_seconds(results[0].0),
        );
    }
    let ratio_of = |name: &str| {
        results
            .iter()
            .zip([
                "netlink",
                "per-family",
                "proc",
                "raw",
                "procfs",
                "ss",
                "psutil",
            ])
            .find(|(_, n)| *n == name)
            .map(|((_, r, _), _)| *r)
    };
    drop(holders);

    // fds by kind: one process at the fd limit.
    let holder =
        hold(HOLD_FDS, &["10000".into(), "4500".into()]).ok_or("python3 could not hold fds")?;
    let pid = holder.pid() as u32;
    let mut proc = Proc::open(pid as i32).map_err(|e| e.to_string())?;
    let fds = proc.fd_count().map_err(|e| e.to_string())?.count;
    let mut psutil_fds = Psutil::start(pid);
    let (_, allocs) = {
        let _ = proc.fd_kinds(&Budget::UNLIMITED);
        count_allocs(|| proc.fd_kinds(&Budget::UNLIMITED).map(|(k, _)| k.total()))
    };
    let mut kinds: Vec<Run> = vec![
        (
            "procfast `Proc::fd_kinds`",
            Box::new(|| {
                timed(|| {
                    proc.fd_kinds(&Budget::UNLIMITED)
                        .map_or(0, |(k, _)| k.total())
                })
            }),
        ),
        (
            "raw `getdents64` + `readlinkat` loop, no classifying",
            Box::new(|| timed(|| raw_readlinkat_loop(pid))),
        ),
        (
            "`read_dir` + `read_link` per fd (Go procfs' `FileDescriptorTargets`)",
            Box::new(|| {
                timed(|| {
                    let mut sockets = 0u64;
                    for entry in std::fs::read_dir(format!("/proc/{pid}/fd"))
                        .into_iter()
                        .flatten()
                    {
                        let Ok(entry) = entry else { continue };
                        if let Ok(t) = std::fs::read_link(entry.path()) {
                            sockets += u64::from(t.to_string_lossy().starts_with("socket:"));
                        }
                    }
                    sockets
                })
            }),
        ),
    ];
    if let Some(p) = psutil_fds.as_mut() {
        kinds.push((
            "psutil `open_files()` + `connections(\"all\")` (timed inside Python)",
            Box::new(|| p.time("fds").unwrap_or((0, f64::NAN))),
        ));
    }
    let _ = writeln!(
        md,
        "**fds by kind**, one process holding {fds} fds (10,000 sockets, 4,500 pipes):\n"
    );
    let fd_results = table(&mut md, "census", &mut kinds);
    drop(kinds);
    let floor = fd_results.get(1).map_or(f64::NAN, |r| 1.0 / r.1);
    let _ = writeln!(
        md,
        "`fd_kinds` allocates {} times ({} bytes) per census once its handle has been used.\n",
        allocs.calls, allocs.bytes
    );
    let verdict = |ok: bool| if ok { "met" } else { "not met" };
    let (ss, psutil_ratio, procfs) = (ratio_of("ss"), ratio_of("psutil"), ratio_of("procfs"));
    let mut table = Table::new(&["target", "measured", ""], "lll");
    table.row([
        "netlink count faster than `ss -tan`".into(),
        ss.map_or("-".into(), |r| format!("{r:.1}×")),
        verdict(ss.is_some_and(|r| r > 1.0)).into(),
    ]);
    table.row([
        "≥ 10× faster than psutil".into(),
        psutil_ratio.map_or("no psutil".into(), |r| format!("{r:.0}×")),
        verdict(psutil_ratio.is_some_and(|r| r >= 10.0)).into(),
    ]);
    table.row([
        "≥ 5× faster than the procfs crate".into(),
        procfs.map_or("-".into(), |r| format!("{r:.1}×")),
        verdict(procfs.is_some_and(|r| r >= 5.0)).into(),
    ]);
    table.row([
        "fd kinds ≤ 1.1× a raw `readlinkat` loop".into(),
        format!("{floor:.2}×"),
        verdict(floor <= 1.1).into(),
    ]);
    table.row([
        "fd kinds: 0 allocations".to_string(),
        allocs.calls.to_string(),
        verdict(allocs.calls == 0).into(),
    ]);
    let _ = writeln!(md, "{}", table.finish());
    drop(holder);
    Ok(md)
}
