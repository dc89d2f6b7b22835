//! `TcpCensus` against `ss -tan` and a naive `/proc/net/tcp` oracle, on a helper holding
//! thousands of loopback connections in known states (IPv4 and IPv6); netlink and the
//! `/proc` fallback, forced and under a seccomp filter that refuses netlink.

use crate::support::python::Python;
use crate::support::rerun::{self, test_name};
use crate::support::seccomp::refuse_netlink_sockets;
use procfast::parse::tcp_state::TcpState;
use procfast::{Budget, Proc, Stop, TcpCensus, TcpMethod};
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Per family: 1 listener, `ESTABLISHED` pairs, pairs half-closed by the client (client
/// FIN_WAIT2, server CLOSE_WAIT), and connections closed by the client first (client
/// TIME_WAIT, no fd).
const ESTABLISHED: usize = 1_000;
const HALF_CLOSED: usize = 300;
const TIME_WAIT: usize = 300;

const SCRIPT: &str = r#"
import resource, socket, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
established, half, tw = map(int, sys.argv[1:4])
keep, ports = [], []
for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    try:
        listener = socket.socket(family)
        listener.bind((host, 0))
        listener.listen(8192)
    except OSError:
        continue
    port = listener.getsockname()[1]
    ports.append(port)
    keep.append(listener)
    def pair():
        c = socket.socket(family)
        c.connect((host, port))
        s, _ = listener.accept()
        return c, s
    for _ in range(established):
        keep.extend(pair())
    for _ in range(half):
        c, s = pair()
        c.shutdown(socket.SHUT_WR)
        keep.extend((c, s))
    for _ in range(tw):
        c, s = pair()
        c.close()
        time.sleep(0)
        s.close()
time.sleep(0.5)
print(" ".join(map(str, ports)), flush=True)
sys.stdin.read()
"#;

/// The helper and the ports of its listeners (one per family it could bind). One at a time in
/// this binary: thousands of sockets opened or closed while another test reads
/// `/proc/net/tcp` make the pieces it reads repeat or skip lines.
struct Holder {
    python: Python,
    ports: Vec<u16>,
    _one_at_a_time: MutexGuard<'static, ()>,
}

impl Holder {
    fn start() -> Option<Holder> {
        static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
        let one_at_a_time = ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let args = [ESTABLISHED, HALF_CLOSED, TIME_WAIT].map(|n| n.to_string());
        let python = Python::start(SCRIPT, &args)?;
        let ports: Vec<u16> = python
            .ready_line
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect();
        (!ports.is_empty()).then_some(Holder {
            python,
            ports,
            _one_at_a_time: one_at_a_time,
        })
    }

    fn ours(&self, local: u16, remote: u16) -> bool {
        self.ports.contains(&local) || self.ports.contains(&remote)
    }

    /// What the helper built, per state name.
    fn expected(&self) -> BTreeMap<&'static str, u64> {
        let families = self.ports.len() as u64;
        let n = |k: usize| k as u64 * families;
        BTreeMap::from([
            ("LISTEN", families),
            ("ESTABLISHED", n(2 * ESTABLISHED)),
            ("FIN_WAIT2", n(HALF_CLOSED)),
            ("CLOSE_WAIT", n(HALF_CLOSED)),
            ("TIME_WAIT", n(TIME_WAIT)),
        ])
    }
}

/// The helper's sockets by state, by a census.
fn census_of(census: &mut TcpCensus, holder: &Holder) -> (BTreeMap<&'static str, u64>, TcpMethod) {
    let mut states = BTreeMap::new();
    let count = census
        .for_each(&Budget::UNLIMITED, |s| {
            if holder.ours(s.local_port, s.remote_port) {
                let name = TcpState::from_kernel(s.state).map_or("?", |s| s.name());
                *states.entry(name).or_insert(0) += 1;
            }
            ControlFlow::Continue(())
        })
        .unwrap();
    assert!(count.is_complete());
    (states, count.method)
}

/// `ss -tan`'s count of the helper's sockets by state, in procfast's names.
fn ss(holder: &Holder) -> Option<BTreeMap<&'static str, u64>> {
    let out = Command::new("ss").arg("-tanH").output().ok()?;
    let mut states = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let port = |w: &str| w.rsplit(':').next()?.parse::<u16>().ok();
        let (Some(state), Some(local), Some(peer)) = (words.first(), words.get(3), words.get(4))
        else {
            continue;
        };
        if !holder.ours(port(local).unwrap_or(0), port(peer).unwrap_or(0)) {
            continue;
        }
        let name = match *state {
            "ESTAB" => "ESTABLISHED",
            "LISTEN" => "LISTEN",
            "TIME-WAIT" => "TIME_WAIT",
            "CLOSE-WAIT" => "CLOSE_WAIT",
            "FIN-WAIT-1" => "FIN_WAIT1",
            "FIN-WAIT-2" => "FIN_WAIT2",
            "SYN-SENT" => "SYN_SENT",
            "SYN-RECV" => "SYN_RECV",
            "LAST-ACK" => "LAST_ACK",
            "CLOSING" => "CLOSING",
            _ => "?",
        };
        *states.entry(name).or_insert(0) += 1;
    }
    Some(states)
}

/// The naive way: read `/proc/net/tcp{,6}` whole, split every line on spaces, parse the hex.
fn naive(holder: &Holder) -> BTreeMap<&'static str, u64> {
    let mut states = BTreeMap::new();
    for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let words: Vec<&str> = line.split_whitespace().collect();
            let port = |w: &str| u16::from_str_radix(w.rsplit(':').next().unwrap(), 16).unwrap();
            let state = u8::from_str_radix(words[3], 16).unwrap();
            if holder.ours(port(words[1]), port(words[2])) {
                let name = TcpState::from_kernel(state).map_or("?", |s| s.name());
                *states.entry(name).or_insert(0) += 1;
            }
        }
    }
    states
}

#[test]
fn states_agree_with_ss_and_the_naive_parse() {
    let Some(holder) = Holder::start() else {
        eprintln!("skipped: no python3 to hold the connections");
        return;
    };
    let expected = holder.expected();
    let mut census = TcpCensus::open().unwrap();
    assert_eq!(
        census.method(),
        TcpMethod::Netlink,
        "netlink is allowed here"
    );
    let (by_netlink, method) = census_of(&mut census, &holder);
    assert_eq!(method, TcpMethod::Netlink);
    assert_eq!(by_netlink, expected);
    // A request per family, as ss asks, counts the same.
    let mut per_family = TcpCensus::open().unwrap().per_family();
    assert_eq!(
        census_of(&mut per_family, &holder),
        (expected.clone(), TcpMethod::Netlink)
    );
    let mut fallback = TcpCensus::open().unwrap().proc_only();
    let (by_proc, method) = census_of(&mut fallback, &holder);
    assert_eq!((method, &by_proc), (TcpMethod::Proc, &expected));
    assert_eq!(naive(&holder), expected);
    match ss(&holder) {
        Some(by_ss) => assert_eq!(by_ss, expected),
        None => eprintln!("skipped the ss comparison: no ss"),
    }
    // The whole namespace holds at least the helper's, and a kept census counts again.
    let all = census.count(&Budget::UNLIMITED).unwrap();
    let ours: u64 = expected.values().sum();
    assert!(all.states.total() >= ours && all.is_complete(), "{all:?}");
    println!(
        "{ours} helper sockets ({} families) agree: netlink (one dump, and one per family), /proc, naive, ss",
        holder.ports.len()
    );
}

#[test]
fn a_process_sockets_by_state() {
    let Some(holder) = Holder::start() else {
        eprintln!("skipped: no python3 to hold the connections");
        return;
    };
    let mut proc = Proc::open(holder.python.pid()).unwrap();
    for mut census in [
        TcpCensus::open().unwrap(),
        TcpCensus::open().unwrap().proc_only(),
    ] {
        let count = census.count_of(&mut proc, &Budget::UNLIMITED).unwrap();
        assert!(count.is_complete());
        let mut expected = holder.expected();
        // TIME_WAIT sockets have no fd: they belong to no process.
        expected.remove("TIME_WAIT");
        let got: BTreeMap<&str, u64> = count
            .states
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| (s.name(), n))
            .collect();
        assert_eq!(got, expected, "{:?}", count.method);
    }
}

#[test]
fn a_budget_stops_the_dump_and_the_next_count_is_whole() {
    let Some(holder) = Holder::start() else {
        eprintln!("skipped: no python3 to hold the connections");
        return;
    };
    let ours: u64 = holder.expected().values().sum();
    let mut census = TcpCensus::open().unwrap();
    for _ in 0..2 {
        let stopped = census.count(&Budget::entries(100)).unwrap();
        assert_eq!(
            (stopped.states.total(), stopped.stopped),
            (100, Some(Stop::Entries))
        );
        let past = census
            .count(&Budget::until(Instant::now() - Duration::from_millis(1)))
            .unwrap();
        assert_eq!(past.stopped, Some(Stop::Deadline), "{past:?}");
        // What was left of the stopped dumps does not leak into this one: a leak would begin
        // it with the rest of a stopped dump's batch and end it at that dump's end, thousands
        // off. The kernel resumes a dump by position within a hash bucket, so a socket another
        // test opens or closes meanwhile can make it see one of ours twice or skip it: a dump
        // may be a socket or two off, and one of a few is exact.
        let mut seen = Vec::new();
        for _ in 0..3 {
            let (states, _) = census_of(&mut census, &holder);
            let total = states.values().sum::<u64>();
            assert!(total.abs_diff(ours) <= 2, "{total} of {ours}");
            seen.push(total);
            if total == ours {
                break;
            }
        }
        assert!(seen.contains(&ours), "{seen:?} of {ours}");
    }
}

#[test]
fn refused_netlink_falls_back_to_proc() {
    rerun::assert_passes_alone(
        &test_name!(under_a_filter_refusing_netlink),
        &[],
        "fell back to /proc",
    );
}

#[test]
#[ignore = "installs a seccomp filter: run by refused_netlink_falls_back_to_proc"]
fn under_a_filter_refusing_netlink() {
    if rerun::outside_rerun("refused_netlink_falls_back_to_proc") {
        return;
    }
    refuse_netlink_sockets();
    let raw = std::os::unix::net::UnixDatagram::unbound();
    assert!(raw.is_ok(), "other sockets are still allowed");
    let mut census = TcpCensus::open().unwrap();
    assert_eq!(census.method(), TcpMethod::Proc);
    let _listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let count = census.count(&Budget::UNLIMITED).unwrap();
    assert_eq!(count.method, TcpMethod::Proc);
    assert!(count.states.get(TcpState::Listen) >= 1, "{count:?}");
    println!("fell back to /proc");
}
