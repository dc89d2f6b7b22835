//! `net_tcp`, `inet_diag` and `tcp_state` never allocate: a counting global allocator watches
//! every parser, accessor and iterator run over real files and dumps, broken ones and empty input.

use procfast::parse::inet_diag::{self, Message};
use procfast::parse::net_tcp;
use procfast::parse::tcp_state::{StateCounts, TcpState};

#[path = "shared/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::allocations;

const NET_TCP: &[u8] = include_bytes!("fixtures/net_tcp");
const NET_TCP6: &[u8] = include_bytes!("fixtures/net_tcp6");
const DIAG4: &[u8] = include_bytes!("fixtures/inet_diag_tcp4");
const DIAG6: &[u8] = include_bytes!("fixtures/inet_diag_tcp6");

const FIXTURES: &[&[u8]] = &[
    NET_TCP,
    NET_TCP6,
    DIAG4,
    DIAG6,
    // A piece of a file without its header, one cut mid-line, one with a bad field.
    NET_TCP.split_at(150).1,
    NET_TCP.split_at(400).0,
    b"   0: 00000000:0016 00000000:0000 0A 0:0 0:0 0 0 0 x\n",
    // A dump cut short, and one whose first length is wrong.
    DIAG4.split_at(100).0,
    &[15, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    b"",
    b"garbage",
    b"garbage\n",
];

/// Runs every parser, and everything its results offer, over `buf`.
fn exercise(buf: &[u8]) -> u64 {
    let mut sum = 0u64;
    if let Ok(sockets) = net_tcp::sockets(buf) {
        for s in sockets.flatten() {
            sum += u64::from(s.local().port()) + u64::from(s.remote().is_ipv4());
            sum += s.inode + u64::from(s.uid) + s.rest().len() as u64 + s.timer_ticks;
            sum += s.tcp_state().map_or(0, |st| st.name().len() as u64);
        }
    }
    if let Ok(counts) = net_tcp::count_states(buf) {
        sum += counts.total() + counts.iter().map(|(_, n)| n).sum::<u64>();
    }
    for m in inet_diag::messages(buf) {
        match m {
            Ok(Message::Socket(s)) => {
                sum += u64::from(s.src().is_ipv4()) + u64::from(s.dst().is_loopback());
                sum +=
                    u64::from(s.sport) + u64::from(s.inode) + s.cookie + s.attributes.len() as u64;
                sum += s.tcp_state().map_or(0, |st| u64::from(st.mask()));
            }
            Ok(Message::Done) => sum += 1,
            Ok(Message::Error(errno)) => sum += errno as u64,
            Err(_) => sum += 2,
        }
    }
    if let Ok(part) = inet_diag::count_states(buf) {
        let mut total = StateCounts::new();
        total.add(part.states);
        total.record(TcpState::Listen.kernel());
        sum += total.total() + total.get(TcpState::Established) + u64::from(part.done);
    }
    let request = inet_diag::request(inet_diag::AF_INET6, TcpState::ALL_MASK, sum as u32);
    sum + u64::from(request[20])
}

#[test]
fn parsers_never_allocate() {
    // Warm up anything lazily initialised (memchr's CPU feature detection, thread locals).
    for buf in FIXTURES {
        std::hint::black_box(exercise(buf));
    }
    for (i, buf) in FIXTURES.iter().enumerate() {
        let n = allocations(|| {
            std::hint::black_box(exercise(std::hint::black_box(buf)));
        });
        assert_eq!(n, 0, "fixture {i} allocated {n} times");
    }
    // The work was real: every fixture's sockets were seen.
    assert!(exercise(NET_TCP) > 0 && exercise(DIAG6) > 0);
    // The counter works: a Vec allocates.
    assert_eq!(
        allocations(|| {
            std::hint::black_box(vec![1u8; 10]);
        }),
        1
    );
}
