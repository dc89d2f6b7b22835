//! The TCP socket parsers: `procfast::parse::{net_tcp, inet_diag, tcp_state}`.
//!
//! - **Fixtures** captured from this machine (kernel 6.18, x86_64) at one instant, with loopback
//!   listeners and connections in LISTEN, ESTABLISHED, FIN_WAIT2, CLOSE_WAIT and TIME_WAIT open:
//!   `/proc/net/tcp{,6}` (`net_tcp`, `net_tcp6`), the raw reply datagrams of a
//!   `NETLINK_SOCK_DIAG` dump per family (`inet_diag_tcp{4,6}`), the request bytes sent for
//!   them (`inet_diag_tcp{4,6}_request`, packed independently with Python's `struct`) and the
//!   output of `ss -tan -4` / `-6` (`inet_diag_tcp{4,6}_ss`). The capture script read the dump
//!   twice around `ss`, and `/proc/net/tcp{,6}` before and after, and kept the files only when all
//!   five agreed on every socket's (state, local port, remote port); so the three views of the
//!   same sockets are compared with each other here.
//! - **Round trips**: random sockets rendered as the kernel prints them (`get_tcp4_sock`'s
//!   formats, `seq_pad` to 149 columns for IPv4) or encodes them (`inet_diag_msg` in
//!   `nlmsghdr`s), parsed back.
//! - **Never panics** on arbitrary bytes, and **differential** against the naive oracles of
//!   [`oracle::tcp`](crate::oracle::tcp) on mutated fixtures and arbitrary bytes.
//! - **No allocation**: every parser, accessor and iterator over real files and dumps, broken
//!   ones and empty input.
//! - **Live**: this machine's `/proc/net/tcp{,6}` read in pieces as the kernel hands them out,
//!   and a live `NETLINK_SOCK_DIAG` dump sent with [`inet_diag::request`].

use crate::oracle::tcp as tcp_oracle;
use crate::support::alloc::assert_runs_allocate_nothing;
use crate::support::fixtures::{
    INET_DIAG_TCP4 as DIAG4, INET_DIAG_TCP4_REQUEST as DIAG4_REQUEST, INET_DIAG_TCP4_SS as SS4,
    INET_DIAG_TCP6 as DIAG6, INET_DIAG_TCP6_REQUEST as DIAG6_REQUEST, INET_DIAG_TCP6_SS as SS6,
    NET_TCP, NET_TCP6,
};
use crate::support::mutations::{config, edits, mutate};
use procfast::parse::inet_diag::{self, Message, AF_INET, AF_INET6};
use procfast::parse::net_tcp;
use procfast::parse::tcp_state::{StateCounts, TcpState};
use procfast::Error;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::io::Read;
use std::net::IpAddr;

/// The sequence numbers the capture script sent.
const SEQ4: u32 = 0x5EED_0004;
const SEQ6: u32 = 0x5EED_0006;

/// The `st` column counted the naive way: the fourth word of every line after the header.
fn naive_st_tally(text: &[u8]) -> [u64; 256] {
    let text = std::str::from_utf8(text).unwrap();
    tcp_oracle::tally(
        text.lines()
            .skip(1)
            .map(|l| u8::from_str_radix(l.split_whitespace().nth(3).unwrap(), 16).unwrap()),
    )
}

fn diag_counts(buf: &[u8]) -> StateCounts {
    let part = inet_diag::count_states(buf).unwrap();
    assert!(part.done);
    part.states
}

#[test]
fn fixtures_parse_and_agree_with_the_oracle() {
    for fixture in [NET_TCP, NET_TCP6] {
        let fast = tcp_oracle::net_tcp_fast(fixture).unwrap();
        assert_eq!(Ok(fast.clone()), tcp_oracle::net_tcp(fixture));
        let counts = net_tcp::count_states(fixture).unwrap();
        assert!(tcp_oracle::counts_match(&counts, &naive_st_tally(fixture)));
        assert_eq!(counts.total(), fast.len() as u64);
        // What the capture script set up is there.
        for state in [TcpState::Listen, TcpState::Established, TcpState::TimeWait] {
            assert!(counts.get(state) > 0, "{state}");
        }
    }
    for fixture in [DIAG4, DIAG6] {
        let fast = tcp_oracle::inet_diag_fast(fixture).unwrap();
        assert_eq!(Ok(fast.clone()), tcp_oracle::inet_diag(fixture));
        assert_eq!(fast.last(), Some(&tcp_oracle::DiagMsg::Done));
        // Attributes came along (INET_DIAG_PROTOCOL and friends) and were skipped over.
        assert!(fast.iter().any(|m| matches!(m,
            tcp_oracle::DiagMsg::Socket { attributes, .. } if !attributes.is_empty())));
    }
    let v4 = net_tcp::sockets(NET_TCP).unwrap().next().unwrap().unwrap();
    assert!(v4.local_addr.is_ipv4());
    let v6 = net_tcp::sockets(NET_TCP6).unwrap().next().unwrap().unwrap();
    assert!(v6.local_addr.is_ipv6());
}

#[cfg(target_endian = "little")]
#[test]
fn request_matches_what_the_kernel_answered() {
    assert_eq!(
        inet_diag::request(AF_INET, TcpState::ALL_MASK, SEQ4),
        DIAG4_REQUEST
    );
    assert_eq!(
        inet_diag::request(AF_INET6, TcpState::ALL_MASK, SEQ6),
        DIAG6_REQUEST
    );
    // Every reply message answers that request: its sequence number, its family.
    for (reply, seq, family) in [(DIAG4, SEQ4, AF_INET), (DIAG6, SEQ6, AF_INET6)] {
        let mut off = 0;
        while off < reply.len() {
            let len = u32::from_ne_bytes(reply[off..off + 4].try_into().unwrap()) as usize;
            assert_eq!(
                u32::from_ne_bytes(reply[off + 8..off + 12].try_into().unwrap()),
                seq
            );
            off += (len + 3) & !3;
        }
        for m in inet_diag::messages(reply) {
            if let Message::Socket(s) = m.unwrap() {
                assert_eq!((s.family, s.src().is_ipv4()), (family, family == AF_INET));
            }
        }
    }
}

/// `ss -tan` per state: its state names mapped to ours.
fn ss_counts(text: &str) -> BTreeMap<&'static str, u64> {
    let names = [
        ("ESTAB", "ESTABLISHED"),
        ("SYN-SENT", "SYN_SENT"),
        ("SYN-RECV", "SYN_RECV"),
        ("FIN-WAIT-1", "FIN_WAIT1"),
        ("FIN-WAIT-2", "FIN_WAIT2"),
        ("TIME-WAIT", "TIME_WAIT"),
        ("UNCONN", "CLOSE"),
        ("CLOSE-WAIT", "CLOSE_WAIT"),
        ("LAST-ACK", "LAST_ACK"),
        ("LISTEN", "LISTEN"),
        ("CLOSING", "CLOSING"),
    ];
    let mut out = BTreeMap::new();
    for line in text.lines().skip(1) {
        let word = line.split_whitespace().next().unwrap();
        let name = names.iter().find(|(ss, _)| *ss == word).unwrap().1;
        *out.entry(name).or_insert(0) += 1;
    }
    out
}

fn nonzero(counts: &StateCounts) -> BTreeMap<&'static str, u64> {
    counts
        .iter()
        .filter(|&(_, n)| n > 0)
        .map(|(s, n)| (s.name(), n))
        .collect()
}

#[cfg(target_endian = "little")]
#[test]
fn three_views_of_the_same_sockets_agree() {
    for (diag, proc_file, ss) in [(DIAG4, NET_TCP, SS4), (DIAG6, NET_TCP6, SS6)] {
        let counts = diag_counts(diag);
        assert_eq!(counts.other(), 0);
        // What `ss -tan` printed at that instant.
        assert_eq!(nonzero(&counts), ss_counts(ss));
        // /proc/net/tcp at that instant: the same counts, and the same sockets.
        assert_eq!(net_tcp::count_states(proc_file).unwrap(), counts);
        let mut from_proc: Vec<_> = net_tcp::sockets(proc_file)
            .unwrap()
            .map(|s| {
                let s = s.unwrap();
                (s.state, s.local(), s.remote(), s.uid, s.inode)
            })
            .collect();
        let mut from_diag: Vec<_> = inet_diag::messages(diag)
            .filter_map(|m| match m.unwrap() {
                Message::Socket(s) => Some((
                    s.state,
                    std::net::SocketAddr::new(s.src(), s.sport),
                    std::net::SocketAddr::new(s.dst(), s.dport),
                    s.uid,
                    u64::from(s.inode),
                )),
                _ => None,
            })
            .collect();
        from_proc.sort();
        from_diag.sort();
        assert_eq!(from_proc, from_diag);
    }
}

/// The kernel structs, transcribed from `linux/netlink.h` and `linux/inet_diag.h`, to check the
/// offsets the decoder uses against the C layout (which `gcc` on this machine confirmed: 16, 48,
/// 56, 72 and 20 bytes).
#[allow(dead_code)]
mod layout {
    #[repr(C)]
    pub struct InetDiagSockid {
        pub sport: u16,
        pub dport: u16,
        pub src: [u32; 4],
        pub dst: [u32; 4],
        pub interface: u32,
        pub cookie: [u32; 2],
    }
    #[repr(C)]
    pub struct InetDiagReqV2 {
        pub family: u8,
        pub protocol: u8,
        pub ext: u8,
        pub pad: u8,
        pub states: u32,
        pub id: InetDiagSockid,
    }
    #[repr(C)]
    pub struct InetDiagMsg {
        pub family: u8,
        pub state: u8,
        pub timer: u8,
        pub retrans: u8,
        pub id: InetDiagSockid,
        pub expires: u32,
        pub rqueue: u32,
        pub wqueue: u32,
        pub uid: u32,
        pub inode: u32,
    }
}

#[test]
fn struct_sizes_and_constants() {
    use core::mem::{offset_of, size_of};
    use layout::*;
    assert_eq!(size_of::<libc::nlmsghdr>(), inet_diag::NLMSG_HDRLEN);
    assert_eq!(size_of::<libc::nlmsgerr>(), inet_diag::NLMSGERR_LEN);
    assert_eq!(size_of::<InetDiagSockid>(), 48);
    assert_eq!(size_of::<InetDiagReqV2>(), inet_diag::INET_DIAG_REQ_V2_LEN);
    assert_eq!(size_of::<InetDiagMsg>(), inet_diag::INET_DIAG_MSG_LEN);
    assert_eq!(inet_diag::REQUEST_LEN, 72);
    assert_eq!(offset_of!(InetDiagReqV2, states), 4);
    assert_eq!(offset_of!(InetDiagReqV2, id), 8);
    assert_eq!(
        [
            offset_of!(InetDiagMsg, id),
            offset_of!(InetDiagMsg, expires),
            offset_of!(InetDiagMsg, uid),
            offset_of!(InetDiagMsg, inode),
            offset_of!(InetDiagSockid, src),
            offset_of!(InetDiagSockid, dst),
            offset_of!(InetDiagSockid, interface),
            offset_of!(InetDiagSockid, cookie),
        ],
        [4, 52, 64, 68, 4, 20, 36, 40]
    );
    assert_eq!(inet_diag::NETLINK_SOCK_DIAG, libc::NETLINK_SOCK_DIAG);
    assert_eq!(i32::from(inet_diag::NLMSG_DONE), libc::NLMSG_DONE);
    assert_eq!(i32::from(inet_diag::NLMSG_ERROR), libc::NLMSG_ERROR);
    assert_eq!(i32::from(inet_diag::NLM_F_REQUEST), libc::NLM_F_REQUEST);
    assert_eq!(i32::from(inet_diag::NLM_F_DUMP), libc::NLM_F_DUMP);
    assert_eq!(i32::from(inet_diag::NLM_F_DUMP_INTR), libc::NLM_F_DUMP_INTR);
    assert_eq!(i32::from(AF_INET), libc::AF_INET);
    assert_eq!(i32::from(AF_INET6), libc::AF_INET6);
    assert_eq!(i32::from(inet_diag::IPPROTO_TCP), libc::IPPROTO_TCP);
}

/// Splits whole lines into pieces of at most `page` bytes (a longer line alone), as seq_file
/// hands /proc/net/tcp out: the header only in the first.
fn pieces(file: &[u8], page: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut end = 0;
    for (i, _) in file.iter().enumerate().filter(|&(_, &b)| b == b'\n') {
        if i + 1 - start > page && end > start {
            out.push(&file[start..end]);
            start = end;
        }
        end = i + 1;
    }
    if end > start {
        out.push(&file[start..end]);
    }
    out
}

#[test]
fn pieces_add_up() {
    for fixture in [NET_TCP, NET_TCP6] {
        let whole = net_tcp::count_states(fixture).unwrap();
        for page in [1, 150, 512, 4096] {
            let parts = pieces(fixture, page);
            assert_eq!(parts.concat(), fixture);
            assert!(page > fixture.len() || parts.len() > 1);
            let mut sum = StateCounts::new();
            let mut lines = 0;
            for part in &parts {
                sum.add(net_tcp::count_states(part).unwrap());
                lines += net_tcp::sockets(part).unwrap().count();
            }
            assert_eq!(sum, whole);
            assert_eq!(lines as u64, whole.total());
        }
    }
    // A piece cut mid-line is refused, not half-counted.
    let cut = &NET_TCP[..NET_TCP.len() - 10];
    assert_eq!(
        net_tcp::count_states(cut),
        Err(Error::parse("net/tcp", "newline"))
    );
}

#[test]
fn errors_report_the_first_bad_field() {
    let mut bad = NET_TCP.to_vec();
    // The second socket's state: "0A" → "0G".
    let first = bad.iter().position(|&b| b == b'\n').unwrap() + 1;
    let second = first + bad[first..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let st = second + 34;
    assert_eq!(&bad[st - 1..st + 3], b" 0A ");
    bad[st + 1] = b'G';
    assert_eq!(
        net_tcp::count_states(&bad),
        Err(Error::parse("net/tcp", "st"))
    );
    let results: Vec<_> = net_tcp::sockets(&bad).unwrap().collect();
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    assert_eq!(results[1], Err(Error::parse("net/tcp", "st")));
    let mut diag = DIAG4.to_vec();
    diag[0] = 15; // the first message's length, below a header
    assert_eq!(
        inet_diag::count_states(&diag),
        Err(Error::parse("inet_diag", "nlmsg_len"))
    );
}

// ---- Round trips --------------------------------------------------------------------------

/// A socket as `get_tcp4_sock` (or `get_tcp6_sock`) sees it.
#[derive(Clone, Debug)]
struct Rec {
    sl: u32,
    v6: bool,
    local: [u8; 16],
    local_port: u16,
    remote: [u8; 16],
    remote_port: u16,
    state: u8,
    tx_queue: u32,
    rx_queue: u32,
    timer: u8,
    timer_ticks: u64,
    retransmits: u32,
    uid: u32,
    timeout: u32,
    inode: u64,
    tail: u8,
}

fn recs() -> impl Strategy<Value = Rec> {
    (
        (any::<u16>(), any::<bool>(), any::<[u8; 16]>(), any::<u16>()),
        (any::<[u8; 16]>(), any::<u16>()),
        prop_oneof![4 => 1u8..=11, 1 => any::<u8>()],
        (
            any::<u32>(),
            any::<u32>(),
            0u8..=4,
            any::<u64>(),
            any::<u32>(),
        ),
        (any::<u32>(), 0u32..=i32::MAX as u32, any::<u64>(), 0u8..3),
    )
        .prop_map(
            |(
                (sl, v6, local, local_port),
                (remote, remote_port),
                state,
                (tx_queue, rx_queue, timer, timer_ticks, retransmits),
                (uid, timeout, inode, tail),
            )| Rec {
                sl: u32::from(sl),
                v6,
                local,
                local_port,
                remote,
                remote_port,
                state,
                tx_queue,
                rx_queue,
                timer,
                timer_ticks,
                retransmits,
                uid,
                timeout,
                inode,
                tail,
            },
        )
}

const HEADER4: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
const HEADER6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";

fn hex_addr(bytes: &[u8; 16], v6: bool) -> String {
    let words = if v6 { 4 } else { 1 };
    bytes
        .chunks(4)
        .take(words)
        .map(|w| format!("{:08X}", u32::from_ne_bytes(w.try_into().unwrap())))
        .collect()
}

fn ip(bytes: &[u8; 16], v6: bool) -> IpAddr {
    if v6 {
        IpAddr::from(*bytes)
    } else {
        IpAddr::from([bytes[0], bytes[1], bytes[2], bytes[3]])
    }
}

/// One line as the kernel prints it: IPv4 lines padded to 149 columns (`seq_pad`), then `\n`.
fn render(r: &Rec, v6_file: bool) -> String {
    let tail = match r.tail {
        // A full socket: refcount, pointer, rto, ato, quick/pingpong, cwnd, ssthresh.
        0 => " 1 0000000000000000 20 4 0 10 -1".to_string(),
        // TIME_WAIT: refcount, pointer.
        1 => " 3 0000000000000000".to_string(),
        // A future kernel with nothing after the inode.
        _ => String::new(),
    };
    let mut line = format!(
        "{:4}: {}:{:04X} {}:{:04X} {:02X} {:08X}:{:08X} {:02X}:{:08X} {:08X} {:5} {:8} {}{}",
        r.sl,
        hex_addr(&r.local, v6_file),
        r.local_port,
        hex_addr(&r.remote, v6_file),
        r.remote_port,
        r.state,
        r.tx_queue,
        r.rx_queue,
        r.timer,
        r.timer_ticks,
        r.retransmits,
        r.uid,
        r.timeout,
        r.inode,
        tail
    );
    if !v6_file {
        while line.len() < 149 {
            line.push(' ');
        }
    }
    line.push('\n');
    line
}

fn render_file(recs: &[Rec], v6: bool) -> String {
    let mut out = if v6 {
        HEADER6.to_string()
    } else {
        format!("{HEADER4:149}")
    };
    out.push('\n');
    for r in recs {
        out.push_str(&render(r, v6));
    }
    out
}

fn encode_message(kind: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(16 + payload.len() as u32).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(&2u16.to_ne_bytes()); // NLM_F_MULTI
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&4242u32.to_ne_bytes());
    out.extend_from_slice(payload);
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out
}

/// An `inet_diag_msg` as `inet_sk_diag_fill` writes it, with `attrs` after it.
fn encode_diag(r: &Rec, cookie: u64, attrs: &[u8]) -> Vec<u8> {
    let mut p = vec![
        if r.v6 { AF_INET6 } else { AF_INET },
        r.state,
        r.timer,
        r.retransmits as u8,
    ];
    p.extend_from_slice(&r.local_port.to_be_bytes());
    p.extend_from_slice(&r.remote_port.to_be_bytes());
    let zero4 = |b: &[u8; 16]| {
        if r.v6 {
            *b
        } else {
            [&b[..4], &[0; 12][..]].concat().try_into().unwrap()
        }
    };
    p.extend_from_slice(&zero4(&r.local));
    p.extend_from_slice(&zero4(&r.remote));
    p.extend_from_slice(&r.tx_queue.to_ne_bytes()); // idiag_if
    p.extend_from_slice(&(cookie as u32).to_ne_bytes());
    p.extend_from_slice(&((cookie >> 32) as u32).to_ne_bytes());
    for v in [r.rx_queue, r.sl, r.tx_queue, r.uid, r.inode as u32] {
        p.extend_from_slice(&v.to_ne_bytes());
    }
    assert_eq!(p.len(), 72);
    p.extend_from_slice(attrs);
    p
}

/// Random whole-line piece boundaries of a rendered file.
fn split_at_lines(text: &str, cuts: &[usize]) -> Vec<String> {
    let ends: Vec<usize> = text.match_indices('\n').map(|(i, _)| i + 1).collect();
    let mut chosen: Vec<usize> = cuts.iter().map(|c| ends[c % ends.len()]).collect();
    chosen.push(text.len());
    chosen.sort_unstable();
    chosen.dedup();
    let mut out = Vec::new();
    let mut start = 0;
    for end in chosen {
        out.push(text[start..end].to_string());
        start = end;
    }
    out
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn net_tcp_round_trips(
        recs in prop::collection::vec(recs(), 0..40),
        v6 in any::<bool>(),
        cuts in prop::collection::vec(any::<usize>(), 0..5),
    ) {
        let text = render_file(&recs, v6);
        let got: Vec<_> = net_tcp::sockets(text.as_bytes()).unwrap().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(got.len(), recs.len());
        for (g, r) in got.iter().zip(&recs) {
            prop_assert_eq!(g.sl, u64::from(r.sl));
            prop_assert_eq!((g.local_addr, g.local_port), (ip(&r.local, v6), r.local_port));
            prop_assert_eq!((g.remote_addr, g.remote_port), (ip(&r.remote, v6), r.remote_port));
            prop_assert_eq!((g.state, g.tcp_state()), (r.state, TcpState::from_kernel(r.state)));
            prop_assert_eq!((g.tx_queue, g.rx_queue), (r.tx_queue, r.rx_queue));
            prop_assert_eq!((g.timer, g.timer_ticks, g.retransmits), (r.timer, r.timer_ticks, r.retransmits));
            prop_assert_eq!((g.uid, g.timeout, g.inode), (r.uid, r.timeout, r.inode));
            prop_assert_eq!(g.rest().is_empty(), r.tail == 2);
        }
        let counts = net_tcp::count_states(text.as_bytes()).unwrap();
        prop_assert!(tcp_oracle::counts_match(&counts, &tcp_oracle::tally(recs.iter().map(|r| r.state))));
        prop_assert_eq!(tcp_oracle::net_tcp(text.as_bytes()), tcp_oracle::net_tcp_fast(text.as_bytes()));
        // Read in pieces of whole lines: the sum is the same.
        let mut sum = StateCounts::new();
        for piece in split_at_lines(&text, &cuts) {
            sum.add(net_tcp::count_states(piece.as_bytes()).unwrap());
        }
        prop_assert_eq!(sum, counts);
    }

    #[test]
    fn inet_diag_round_trips(
        recs in prop::collection::vec((recs(), any::<u64>(), prop::collection::vec(any::<u8>(), 0..24), 0u8..4), 0..30),
        seq in any::<u32>(),
    ) {
        let mut buf = Vec::new();
        for (r, cookie, attrs, noise) in &recs {
            match noise {
                0 => buf.extend(encode_message(1, seq, &[])), // NLMSG_NOOP
                1 => buf.extend(encode_message(2, seq, &[0; 20])), // an acknowledgement
                2 => buf.extend(encode_message(99, seq, attrs)), // a type from the future
                _ => {}
            }
            buf.extend(encode_message(20, seq, &encode_diag(r, *cookie, attrs)));
        }
        buf.extend(encode_message(3, seq, &0i32.to_ne_bytes()));
        let got: Vec<_> = inet_diag::messages(&buf).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(got.len(), recs.len() + 1);
        prop_assert_eq!(got.last(), Some(&Message::Done));
        for (g, (r, cookie, attrs, _)) in got.iter().zip(&recs) {
            let Message::Socket(s) = g else { panic!("{g:?}") };
            prop_assert_eq!((s.family == AF_INET6, s.state, s.timer, s.retrans), (r.v6, r.state, r.timer, r.retransmits as u8));
            prop_assert_eq!((s.sport, s.dport), (r.local_port, r.remote_port));
            prop_assert_eq!((s.src(), s.dst()), (ip(&r.local, r.v6), ip(&r.remote, r.v6)));
            prop_assert_eq!((s.interface, s.cookie, s.expires_ms), (r.tx_queue, *cookie, r.rx_queue));
            prop_assert_eq!((s.rqueue, s.wqueue, s.uid, s.inode), (r.sl, r.tx_queue, r.uid, r.inode as u32));
            prop_assert_eq!(s.attributes, &attrs[..]);
        }
        let part = inet_diag::count_states(&buf).unwrap();
        prop_assert!(part.done);
        prop_assert!(tcp_oracle::counts_match(&part.states, &tcp_oracle::tally(recs.iter().map(|r| r.0.state))));
        prop_assert_eq!(tcp_oracle::inet_diag(&buf), tcp_oracle::inet_diag_fast(&buf));
        // Datagram by datagram: the same sum, done in the last.
        let mut sum = StateCounts::new();
        let mut off = 0;
        let mut done = false;
        while off < buf.len() {
            let len = u32::from_ne_bytes(buf[off..off + 4].try_into().unwrap()) as usize;
            let next = (len + 3) & !3;
            let one = inet_diag::count_states(&buf[off..off + next]).unwrap();
            sum.add(one.states);
            done = one.done;
            off += next;
        }
        prop_assert!(done);
        prop_assert_eq!(sum, part.states);
    }
}

// ---- Never panics, and agrees with the oracle ----------------------------------------------

/// Checks the fast parsers against the oracles on `bytes`, both as text and as netlink.
fn agree(bytes: &[u8]) {
    tcp_oracle::assert_net_tcp_agrees(bytes);
    tcp_oracle::assert_inet_diag_agrees(bytes);
}

proptest! {
    #![proptest_config(config(4096))]

    #[test]
    fn arbitrary_bytes_never_panic_and_agree(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        agree(&bytes);
    }

    #[test]
    fn likely_text_agrees(text in "([0-9A-Fa-f:sl -]{0,30}\n){0,6}") {
        agree(text.as_bytes());
    }

    #[test]
    fn field_widths_and_blanks_agree(
        // Per hex field, the kernel's width (often) or any other (0 to 18 digits).
        widths in prop::collection::vec(prop_oneof![3 => Just(None), 1 => (0usize..19).prop_map(Some)], 10),
        v6 in any::<bool>(),
        digits in "[0-9A-Fa-f]{200}",
        blanks in prop::collection::vec(prop::sample::select(vec![" ", " ", " ", "  ", "\t", ""]), 11),
    ) {
        let kernel = [if v6 { 32 } else { 8 }, 4, if v6 { 32 } else { 8 }, 4, 2, 8, 8, 2, 8, 8];
        let mut at = 0;
        let fields: Vec<&str> = widths.iter().zip(kernel).map(|(w, k)| {
            let n = w.unwrap_or(k);
            let field = &digits[at..at + n];
            at += n;
            field
        }).collect();
        let b = &blanks;
        let line = format!(
            "   0:{}{}:{}{}{}:{}{}{}{}{}:{}{}{}:{}{}{}{}  1000 {}0{}77 1 0\n",
            b[0], fields[0], fields[1], b[1], fields[2], fields[3], b[2], fields[4], b[3],
            fields[5], fields[6], b[4], fields[7], fields[8], b[5], fields[9], b[6], b[7], b[8],
        );
        agree(line.as_bytes());
    }

    #[test]
    fn mutated_text_fixtures_agree(
        six in any::<bool>(),
        edits in edits(b"0123456789ABCDEFabcdefx :\n\t-+sl"),
    ) {
        agree(&mutate(if six { NET_TCP6 } else { NET_TCP }, &edits));
    }

    #[test]
    fn mutated_netlink_fixtures_agree(
        six in any::<bool>(),
        edits in edits(&[0, 1, 2, 3, 4, 15, 16, 19, 20, 72, 88, 124, 255]),
    ) {
        agree(&mutate(if six { DIAG6 } else { DIAG4 }, &edits));
    }

    #[test]
    fn truncated_netlink_fixtures_agree(six in any::<bool>(), at in 0.0..1.0f64) {
        let fixture = if six { DIAG6 } else { DIAG4 };
        agree(&fixture[..(fixture.len() as f64 * at) as usize]);
    }
}

// ---- Live -----------------------------------------------------------------------------------

/// Reads a /proc file the way a collector would, `read` after `read` into a page-or-larger
/// buffer, keeping each read's bytes apart.
fn read_pieces(path: &str) -> Vec<Vec<u8>> {
    let mut file = std::fs::File::open(path).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut out = Vec::new();
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            return out;
        }
        out.push(buf[..n].to_vec());
    }
}

/// Loopback sockets held open while a live test reads: per family that works, a listener and
/// `pairs` connections to it (each an ESTABLISHED pair), so the listing spans several pages.
struct Held {
    _listeners: Vec<std::net::TcpListener>,
    _streams: Vec<std::net::TcpStream>,
    v6: bool,
}

fn hold_loopback_sockets(pairs: usize) -> Held {
    let mut held = Held {
        _listeners: Vec::new(),
        _streams: Vec::new(),
        v6: false,
    };
    for addr in ["127.0.0.1:0", "[::1]:0"] {
        let Ok(listener) = std::net::TcpListener::bind(addr) else {
            continue; // no IPv6 here
        };
        held.v6 |= addr.starts_with('[');
        let to = listener.local_addr().unwrap();
        for _ in 0..pairs {
            held._streams
                .push(std::net::TcpStream::connect(to).unwrap());
            held._streams.push(listener.accept().unwrap().0);
        }
        held._listeners.push(listener);
    }
    held
}

/// Pairs per family: 2 × 30 ESTABLISHED lines of 150 bytes fill more than two pages.
const PAIRS: usize = 30;

#[test]
fn live_proc_net_tcp_in_pieces() {
    let held = hold_loopback_sockets(PAIRS);
    for path in ["/proc/net/tcp", "/proc/net/tcp6"] {
        if path.ends_with('6') && !held.v6 {
            eprintln!("{path}: no IPv6 loopback here, skipped");
            continue;
        }
        let pieces = read_pieces(path);
        // Ours are there, so the kernel needed several reads.
        assert!(pieces.len() > 1, "{path}: {} reads", pieces.len());
        let whole = pieces.concat();
        let mut sum = StateCounts::new();
        for piece in &pieces {
            // The kernel hands out whole lines, at most a page at a time.
            assert_eq!(piece.last(), Some(&b'\n'), "{path}");
            sum.add(net_tcp::count_states(piece).unwrap());
        }
        assert!(
            tcp_oracle::counts_match(&sum, &naive_st_tally(&whole)),
            "{path}"
        );
        assert_eq!(net_tcp::count_states(&whole).unwrap(), sum);
        assert_eq!(
            tcp_oracle::net_tcp_fast(&whole),
            tcp_oracle::net_tcp(&whole)
        );
        assert!(
            sum.get(TcpState::Established) >= 2 * PAIRS as u64,
            "{path}: {sum:?}"
        );
        assert!(sum.get(TcpState::Listen) >= 1, "{path}: {sum:?}");
        eprintln!("{path}: {} sockets in {} reads", sum.total(), pieces.len());
    }
}

/// A live dump on a `NETLINK_SOCK_DIAG` socket: each datagram received, or `None` where this
/// sandbox has no such socket.
fn live_dump(family: u8, seq: u32) -> Option<Vec<Vec<u8>>> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    // SAFETY: plain syscalls on a socket this function owns, with buffers it owns and their
    // true lengths.
    unsafe {
        let raw = libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
            inet_diag::NETLINK_SOCK_DIAG,
        );
        if raw < 0 {
            return None;
        }
        let fd = OwnedFd::from_raw_fd(raw);
        let req = inet_diag::request(family, TcpState::ALL_MASK, seq);
        let mut kernel: libc::sockaddr_nl = core::mem::zeroed();
        kernel.nl_family = libc::AF_NETLINK as u16;
        let sent = libc::sendto(
            fd.as_raw_fd(),
            req.as_ptr().cast(),
            req.len(),
            0,
            (&kernel as *const libc::sockaddr_nl).cast(),
            core::mem::size_of::<libc::sockaddr_nl>() as u32,
        );
        assert_eq!(sent, req.len() as isize);
        let mut datagrams = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0);
            assert!(n > 0, "recv: {}", std::io::Error::last_os_error());
            let datagram = buf[..n as usize].to_vec();
            let done = inet_diag::count_states(&datagram).unwrap().done;
            datagrams.push(datagram);
            if done {
                return Some(datagrams);
            }
        }
    }
}

#[test]
fn live_netlink_dump() {
    let held = hold_loopback_sockets(PAIRS);
    for (family, seq) in [(AF_INET, 0x11), (AF_INET6, 0x12)] {
        if family == AF_INET6 && !held.v6 {
            continue;
        }
        let Some(datagrams) = live_dump(family, seq) else {
            eprintln!("no NETLINK_SOCK_DIAG socket here: skipped");
            return;
        };
        let mut sum = StateCounts::new();
        for d in &datagrams {
            assert_eq!(tcp_oracle::inet_diag_fast(d), tcp_oracle::inet_diag(d));
            sum.add(inet_diag::count_states(d).unwrap().states);
            for m in inet_diag::messages(d) {
                if let Message::Socket(s) = m.unwrap() {
                    assert_eq!(s.family, family);
                    assert!(s.tcp_state().is_some(), "{s:?}");
                }
            }
            // Each message answers our request.
            assert_eq!(u32::from_ne_bytes(d[8..12].try_into().unwrap()), seq);
        }
        let all = datagrams.concat();
        let whole = inet_diag::count_states(&all).unwrap();
        assert!(whole.done);
        assert_eq!(whole.states, sum);
        assert!(
            sum.get(TcpState::Established) >= 2 * PAIRS as u64,
            "{sum:?}"
        );
        assert!(sum.get(TcpState::Listen) >= 1, "{sum:?}");
        eprintln!(
            "family {family}: {} sockets in {} datagrams",
            sum.total(),
            datagrams.len()
        );
    }
}

// ---- No allocation --------------------------------------------------------------------------

/// What the zero-allocation test runs every parser over: the fixtures, then broken pieces and
/// dumps, and empty input.
const ALLOCATION_INPUTS: &[&[u8]] = &[
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
    assert_runs_allocate_nothing(ALLOCATION_INPUTS, exercise);
    // The work was real: every fixture's sockets were seen.
    assert!(exercise(NET_TCP) > 0 && exercise(DIAG6) > 0);
}
