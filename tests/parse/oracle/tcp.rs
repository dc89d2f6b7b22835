//! Naive oracles for `procfast::parse::net_tcp` and `procfast::parse::inet_diag`.
//!
//! Each implements the parser's rules in the plainest way: `split`, `Vec`, `str::parse`,
//! `from_str_radix` after an explicit digit check, fixed offsets from the C headers. Each returns
//! `Err(field)` where the fast parser returns an error for that field, and owned values the fast
//! parser's results are converted into (the `*_fast` functions) for comparison. Shared with the
//! fuzz targets (`#[path]`-included there), so it depends on nothing but std and procfast.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use procfast::parse::inet_diag::{self, Message};
use procfast::parse::net_tcp;
use procfast::parse::tcp_state::{StateCounts, TcpState};
use procfast::Error;

/// One line of `/proc/net/tcp{,6}`, owned, a field a column: `queues` is `tx_queue:rx_queue`,
/// `timer` is `tr:tm->when`, `rest` the words after `inode`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpLine {
    pub sl: u64,
    pub local: (IpAddr, u16),
    pub remote: (IpAddr, u16),
    pub state: u8,
    pub queues: (u32, u32),
    pub timer: (u8, u64),
    pub retransmits: u32,
    pub uid: u32,
    pub timeout: u32,
    pub inode: u64,
    pub rest: Vec<Vec<u8>>,
}

fn words(line: &[u8]) -> Vec<Vec<u8>> {
    line.split(|&b| b == b' ' || b == b'\t')
        .filter(|w| !w.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// Hex of 1..=max digits (either case), no sign.
fn hex(word: &[u8], max: usize) -> Option<u64> {
    if word.is_empty() || word.len() > max || !word.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(word).ok()?, 16).ok()
}

fn dec(word: &[u8]) -> Option<u64> {
    if word.is_empty() || !word.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(word).ok()?.parse().ok()
}

fn endpoint(word: &[u8]) -> Option<(IpAddr, u16)> {
    let colon = word.iter().position(|&b| b == b':')?;
    let (ip, port) = (&word[..colon], &word[colon + 1..]);
    let port = u16::try_from(hex(port, 4)?).ok()?;
    let mut octets = Vec::new();
    if ip.len() != 8 && ip.len() != 32 {
        return None;
    }
    for group in ip.chunks(8) {
        let value = u32::try_from(hex(group, 8)?).ok()?;
        octets.extend_from_slice(&value.to_ne_bytes());
    }
    let addr = if octets.len() == 4 {
        IpAddr::V4(Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]))
    } else {
        let array: [u8; 16] = octets.try_into().ok()?;
        IpAddr::V6(Ipv6Addr::from(array))
    };
    Some((addr, port))
}

fn tcp_line(line: &[u8]) -> Result<TcpLine, &'static str> {
    let w = words(line);
    let get = |i: usize| w.get(i).cloned().unwrap_or_default();
    let sl = get(0);
    let sl = sl.strip_suffix(b":").and_then(dec).ok_or("sl")?;
    let local = endpoint(&get(1)).ok_or("local_address")?;
    let remote = endpoint(&get(2)).ok_or("rem_address")?;
    if local.0.is_ipv4() != remote.0.is_ipv4() {
        return Err("rem_address");
    }
    let state = hex(&get(3), 2).ok_or("st")? as u8;
    let pair = |word: Vec<u8>, a: &'static str, b: &'static str, max_a, max_b| {
        let text = String::from_utf8_lossy(&word).into_owned();
        let mut parts = text.splitn(2, ':');
        let first = parts.next().unwrap_or("");
        let Some(second) = parts.next() else {
            return Err(a);
        };
        let first = hex(first.as_bytes(), max_a).ok_or(a)?;
        let second = hex(second.as_bytes(), max_b).ok_or(b)?;
        Ok((first, second))
    };
    let (tx_queue, rx_queue) = pair(get(4), "tx_queue", "rx_queue", 8, 8)?;
    let (timer, timer_ticks) = pair(get(5), "tr", "tm->when", 2, 16)?;
    let retransmits = hex(&get(6), 8).ok_or("retrnsmt")? as u32;
    let uid = dec(&get(7))
        .and_then(|v| u32::try_from(v).ok())
        .ok_or("uid")?;
    let timeout = dec(&get(8))
        .and_then(|v| u32::try_from(v).ok())
        .ok_or("timeout")?;
    let inode = dec(&get(9)).ok_or("inode")?;
    Ok(TcpLine {
        sl,
        local,
        remote,
        state,
        queues: (tx_queue as u32, rx_queue as u32),
        timer: (timer as u8, timer_ticks),
        retransmits,
        uid,
        timeout,
        inode,
        rest: w.get(10..).unwrap_or_default().to_vec(),
    })
}

/// The naive reading of whole lines of `/proc/net/tcp{,6}`.
pub fn net_tcp(buf: &[u8]) -> Result<Vec<TcpLine>, &'static str> {
    if buf.is_empty() {
        return Err("empty");
    }
    let body = buf.strip_suffix(b"\n").ok_or("newline")?;
    let mut lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    if words(lines[0]).first().map(Vec::as_slice) == Some(&b"sl"[..]) {
        lines.remove(0);
    }
    lines.into_iter().map(tcp_line).collect()
}

fn field(e: Error) -> &'static str {
    match e {
        Error::Parse { field, .. } => field,
        other => panic!("not a parse error: {other:?}"),
    }
}

/// The fast parser's reading, converted for comparison with [`net_tcp`].
pub fn net_tcp_fast(buf: &[u8]) -> Result<Vec<TcpLine>, &'static str> {
    let sockets = net_tcp::sockets(buf).map_err(field)?;
    let mut out = Vec::new();
    for s in sockets {
        let s = s.map_err(field)?;
        out.push(TcpLine {
            sl: s.sl,
            local: (s.local_addr, s.local_port),
            remote: (s.remote_addr, s.remote_port),
            state: s.state,
            queues: (s.tx_queue, s.rx_queue),
            timer: (s.timer, s.timer_ticks),
            retransmits: s.retransmits,
            uid: s.uid,
            timeout: s.timeout,
            inode: s.inode,
            rest: words(s.rest()),
        });
    }
    Ok(out)
}

/// Counts per state number (0..=255) of lines.
pub fn tally(states: impl IntoIterator<Item = u8>) -> [u64; 256] {
    let mut out = [0u64; 256];
    for s in states {
        out[usize::from(s)] += 1;
    }
    out
}

/// A [`StateCounts`] spread over state numbers, `other` unattributed: for comparing with
/// [`tally`] (`other` must equal the tally's sum outside 1..=11).
pub fn spread(counts: &StateCounts) -> ([u64; 12], u64) {
    let mut out = [0u64; 12];
    for (state, n) in counts.iter() {
        out[usize::from(state.kernel())] = n;
    }
    (out, counts.other())
}

/// True if `counts` agrees with the per-number `tally`.
pub fn counts_match(counts: &StateCounts, tally: &[u64; 256]) -> bool {
    let (known, other) = spread(counts);
    let tally_other: u64 = tally
        .iter()
        .enumerate()
        .filter(|&(i, _)| TcpState::from_kernel(i as u8).is_none())
        .map(|(_, n)| n)
        .sum();
    (1..12).all(|i| known[i] == tally[i]) && other == tally_other
}

/// One decoded netlink message, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiagMsg {
    Socket {
        family: u8,
        state: u8,
        timer: u8,
        retrans: u8,
        sport: u16,
        dport: u16,
        src: [u8; 16],
        dst: [u8; 16],
        interface: u32,
        cookie: u64,
        expires_ms: u32,
        rqueue: u32,
        wqueue: u32,
        uid: u32,
        inode: u32,
        attributes: Vec<u8>,
    },
    Done,
    Error(i32),
}

fn ne32(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The naive decoding of netlink reply bytes, with the offsets of `struct nlmsghdr` and
/// `struct inet_diag_msg` written out.
pub fn inet_diag(buf: &[u8]) -> Result<Vec<DiagMsg>, &'static str> {
    match inet_diag_prefix(buf) {
        (_, Some(field)) => Err(field),
        (messages, None) => Ok(messages),
    }
}

/// The messages before the first malformed one, and that one's error field.
pub fn inet_diag_prefix(buf: &[u8]) -> (Vec<DiagMsg>, Option<&'static str>) {
    let mut out = Vec::new();
    let mut off = 0usize;
    while off < buf.len() {
        let rest = &buf[off..];
        if rest.len() < 16 {
            return (out, Some("nlmsghdr"));
        }
        let len = ne32(rest, 0) as usize;
        let kind = u16::from_ne_bytes([rest[4], rest[5]]);
        if len < 16 || len > rest.len() {
            return (out, Some("nlmsg_len"));
        }
        let payload = rest[16..len].to_vec();
        match kind {
            // SOCK_DIAG_BY_FAMILY, and TCPDIAG_GETSOCK (the older request both families answer).
            20 | 18 => {
                if payload.len() < 72 {
                    return (out, Some("inet_diag_msg"));
                }
                let p = &payload;
                out.push(DiagMsg::Socket {
                    family: p[0],
                    state: p[1],
                    timer: p[2],
                    retrans: p[3],
                    sport: u16::from_be_bytes([p[4], p[5]]),
                    dport: u16::from_be_bytes([p[6], p[7]]),
                    src: p[8..24].try_into().unwrap(),
                    dst: p[24..40].try_into().unwrap(),
                    interface: ne32(p, 40),
                    cookie: u64::from(ne32(p, 44)) | u64::from(ne32(p, 48)) << 32,
                    expires_ms: ne32(p, 52),
                    rqueue: ne32(p, 56),
                    wqueue: ne32(p, 60),
                    uid: ne32(p, 64),
                    inode: ne32(p, 68),
                    attributes: p[72..].to_vec(),
                });
            }
            3 => {
                if payload.len() < 4 {
                    return (out, Some("nlmsg_done"));
                }
                match ne32(&payload, 0) as i32 {
                    0 => out.push(DiagMsg::Done),
                    code => out.push(DiagMsg::Error(code.checked_neg().unwrap_or(i32::MAX))),
                }
            }
            2 => {
                if payload.len() < 20 {
                    return (out, Some("nlmsgerr"));
                }
                match ne32(&payload, 0) as i32 {
                    0 => {}
                    code => out.push(DiagMsg::Error(code.checked_neg().unwrap_or(i32::MAX))),
                }
            }
            _ => {}
        }
        off += len.div_ceil(4) * 4;
    }
    (out, None)
}

/// The fast decoder's reading, converted for comparison with [`inet_diag`].
pub fn inet_diag_fast(buf: &[u8]) -> Result<Vec<DiagMsg>, &'static str> {
    let mut out = Vec::new();
    for m in inet_diag::messages(buf) {
        out.push(match m.map_err(field)? {
            Message::Socket(s) => DiagMsg::Socket {
                family: s.family,
                state: s.state,
                timer: s.timer,
                retrans: s.retrans,
                sport: s.sport,
                dport: s.dport,
                src: s.src_bytes,
                dst: s.dst_bytes,
                interface: s.interface,
                cookie: s.cookie,
                expires_ms: s.expires_ms,
                rqueue: s.rqueue,
                wqueue: s.wqueue,
                uid: s.uid,
                inode: s.inode,
                attributes: s.attributes.to_vec(),
            },
            Message::Done => DiagMsg::Done,
            Message::Error(errno) => DiagMsg::Error(errno),
        });
    }
    Ok(out)
}

/// The naive [`inet_diag::count_states`]: the per-number tally of the sockets before the first
/// `Done` and whether there was one; the errno of an error message before it; or the field of a
/// malformed message before it.
pub fn inet_diag_count(buf: &[u8]) -> Result<([u64; 256], bool), Error> {
    let (messages, malformed) = inet_diag_prefix(buf);
    let mut states = Vec::new();
    for m in messages {
        match m {
            DiagMsg::Socket { state, .. } => states.push(state),
            DiagMsg::Done => return Ok((tally(states), true)),
            DiagMsg::Error(errno) => {
                return Err(Error::Io {
                    file: "inet_diag",
                    errno,
                })
            }
        }
    }
    match malformed {
        Some(field) => Err(Error::parse("inet_diag", field)),
        None => Ok((tally(states), false)),
    }
}

/// Asserts that the fast parser agrees with [`net_tcp`] on `bytes`: the same sockets or the same
/// field, and `count_states` counting exactly those sockets.
pub fn assert_net_tcp_agrees(bytes: &[u8]) {
    let naive = net_tcp(bytes);
    assert_eq!(net_tcp_fast(bytes), naive);
    match (net_tcp::count_states(bytes), naive) {
        (Ok(counts), Ok(lines)) => {
            assert!(counts_match(&counts, &tally(lines.iter().map(|l| l.state))))
        }
        (Err(e), Err(field)) => assert_eq!(e, Error::parse("net/tcp", field)),
        (fast, naive) => panic!("count_states {fast:?}, oracle {naive:?}"),
    }
}

/// Asserts that the fast decoder agrees with [`inet_diag`] on `bytes`: the same messages and the
/// same error, and `count_states` agreeing with [`inet_diag_count`].
pub fn assert_inet_diag_agrees(bytes: &[u8]) {
    assert_eq!(inet_diag_fast(bytes), inet_diag(bytes));
    match (inet_diag::count_states(bytes), inet_diag_count(bytes)) {
        (Ok(part), Ok((tally, done))) => {
            assert_eq!(part.done, done);
            assert!(counts_match(&part.states, &tally));
        }
        (fast, naive) => assert_eq!(fast.map(|_| ()), naive.map(|_| ())),
    }
}
