//! `NETLINK_SOCK_DIAG` dumps of TCP sockets: the request to send, and the replies decoded.
//!
//! ```text
//! request (72 bytes)                       reply datagrams: messages, each padded to 4 bytes
//! ┌─ nlmsghdr ──────────────────────────┐  ┌─ nlmsghdr: len, type 20, flags, seq, pid ─┐
//! │ len 72, type 20 SOCK_DIAG_BY_FAMILY │  │ inet_diag_msg (72 bytes): family, state,   │
//! │ flags NLM_F_REQUEST | NLM_F_DUMP    │  │   timer, retrans, sockid (ports, addresses,│
//! │ seq, pid 0                          │  │   if, cookie), expires, rqueue, wqueue,    │
//! ├─ inet_diag_req_v2 ──────────────────┤  │   uid, inode                               │
//! │ family, protocol 6 (TCP), ext 0,    │  │ attributes (rtattr, ignored)               │
//! │ pad, states mask, sockid (zeroes)   │  └────────────────────────────────────────────┘
//! └─────────────────────────────────────┘  … then NLMSG_DONE (3) or NLMSG_ERROR (2)
//! ```
//!
//! [`request`] builds the bytes to `send` on a `socket(AF_NETLINK, SOCK_DGRAM,
//! NETLINK_SOCK_DIAG)`: a dump of the TCP sockets of one family (`AF_INET` or `AF_INET6`) in the
//! states of a mask (`1 << state`, [`TcpState::ALL_MASK`] for all). The kernel answers with
//! datagrams of `SOCK_DIAG_BY_FAMILY` messages, one per socket, and ends the dump with
//! `NLMSG_DONE`; [`messages`] decodes the bytes of one datagram, or of several concatenated, and
//! [`count_states`] counts them. Layouts are those of `linux/netlink.h`, `linux/sock_diag.h` and
//! `linux/inet_diag.h`: header and counters in native byte order, ports and addresses in network
//! order (ports come out in host order). Fields are read with `from_ne_bytes` from checked
//! sub-slices, so any bytes are safe to decode. Errors name the file `inet_diag`.
//!
//! ```
//! use procfast::parse::inet_diag::{self, Message, AF_INET, SOCK_DIAG_BY_FAMILY, NLMSG_DONE};
//! use procfast::parse::tcp_state::TcpState;
//!
//! let req = inet_diag::request(AF_INET, TcpState::ALL_MASK, 7);
//! assert_eq!((req.len(), &req[4..6]), (72, &SOCK_DIAG_BY_FAMILY.to_ne_bytes()[..]));
//!
//! // A reply: one listener on 127.0.0.1:8080 (uid 1000, inode 53107), then the end of the dump.
//! let mut msg = [0u8; 72];
//! msg[..2].copy_from_slice(&[AF_INET, 10]);
//! msg[4..6].copy_from_slice(&8080u16.to_be_bytes());
//! msg[8..12].copy_from_slice(&[127, 0, 0, 1]);
//! msg[64..68].copy_from_slice(&1000u32.to_ne_bytes());
//! msg[68..72].copy_from_slice(&53107u32.to_ne_bytes());
//! let mut reply = Vec::new();
//! for (kind, payload) in [(SOCK_DIAG_BY_FAMILY, &msg[..]), (NLMSG_DONE, &[0; 4][..])] {
//!     reply.extend_from_slice(&(16 + payload.len() as u32).to_ne_bytes());
//!     reply.extend_from_slice(&kind.to_ne_bytes());
//!     reply.extend_from_slice(&[2, 0, 7, 0, 0, 0, 0, 0, 0, 0]); // NLM_F_MULTI, seq 7, pid 0
//!     reply.extend_from_slice(payload);
//! }
//!
//! let mut it = inet_diag::messages(&reply);
//! let Some(Ok(Message::Socket(s))) = it.next() else { panic!() };
//! assert_eq!((s.tcp_state(), s.src().to_string(), s.sport), (Some(TcpState::Listen), "127.0.0.1".into(), 8080));
//! assert_eq!((s.uid, s.inode), (1000, 53107));
//! assert_eq!((it.next(), it.next()), (Some(Ok(Message::Done)), None));
//!
//! let part = inet_diag::count_states(&reply)?;
//! assert_eq!((part.states.get(TcpState::Listen), part.done), (1, true));
//! # Ok::<(), procfast::Error>(())
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::{Error, Result};
use crate::parse::tcp_state::{StateCounts, TcpState};

const FILE: &str = "inet_diag";

/// `NETLINK_SOCK_DIAG`, the netlink protocol to open (`socket(AF_NETLINK, SOCK_DGRAM, 4)`).
pub const NETLINK_SOCK_DIAG: i32 = 4;
/// `SOCK_DIAG_BY_FAMILY`: the message type of the request and of each socket in the reply.
pub const SOCK_DIAG_BY_FAMILY: u16 = 20;
/// `TCPDIAG_GETSOCK`: the older request (`struct inet_diag_req`), which dumps IPv4 and IPv6
/// sockets in one walk of the kernel's hash table; each socket of its reply has this type.
pub const TCPDIAG_GETSOCK: u16 = 18;
/// `sizeof(struct inet_diag_req)`: the payload of a [`TCPDIAG_GETSOCK`] request.
pub const INET_DIAG_REQ_LEN: usize = 60;
/// The length of [`request_both_families`]' request.
pub const REQUEST_BOTH_LEN: usize = NLMSG_HDRLEN + INET_DIAG_REQ_LEN;
/// `NLMSG_ERROR`: the message type of an error (`struct nlmsgerr`).
pub const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`: the message type ending a dump.
pub const NLMSG_DONE: u16 = 3;
/// `NLM_F_REQUEST`: the flag of every request.
pub const NLM_F_REQUEST: u16 = 0x1;
/// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`): asks for every matching socket.
pub const NLM_F_DUMP: u16 = 0x300;
/// `NLM_F_DUMP_INTR`: set on messages of a dump the kernel saw change while it was taken.
pub const NLM_F_DUMP_INTR: u16 = 0x10;
/// `AF_INET`: IPv4.
pub const AF_INET: u8 = 2;
/// `AF_INET6`: IPv6.
pub const AF_INET6: u8 = 10;
/// `IPPROTO_TCP`, the protocol [`request`] asks for.
pub const IPPROTO_TCP: u8 = 6;
/// Size of `struct nlmsghdr`, which starts every message.
pub const NLMSG_HDRLEN: usize = 16;
/// Size of `struct inet_diag_req_v2`.
pub const INET_DIAG_REQ_V2_LEN: usize = 56;
/// Size of `struct inet_diag_msg`, the fixed part of a socket's message.
pub const INET_DIAG_MSG_LEN: usize = 72;
/// Size of `struct nlmsgerr` (the error, then the header of the failed request).
pub const NLMSGERR_LEN: usize = 20;
/// Size of the request [`request`] builds: a header and an `inet_diag_req_v2`.
pub const REQUEST_LEN: usize = NLMSG_HDRLEN + INET_DIAG_REQ_V2_LEN;

/// The request for a dump of the TCP sockets of both families whose state is in `states`,
/// with sequence number `seq`: `TCPDIAG_GETSOCK`, whose one walk of the kernel's socket hash
/// serves IPv4 and IPv6 together, where two [`request`]s walk it twice (an IPv6 dump of a host
/// of IPv4 connections costs the walk and finds nothing). Its reply is read as [`request`]'s.
///
/// The bytes: `nlmsghdr { len 76, type TCPDIAG_GETSOCK, flags NLM_F_REQUEST | NLM_F_DUMP, seq,
/// pid 0 }` then `inet_diag_req { family 0, src_len 0, dst_len 0, ext 0, sockid all zero,
/// states, dbs 0 }`, native byte order.
///
/// ```
/// use procfast::parse::inet_diag::{request_both_families, TCPDIAG_GETSOCK};
/// let req = request_both_families(u32::MAX, 7);
/// assert_eq!((req.len(), &req[4..6]), (76, &TCPDIAG_GETSOCK.to_ne_bytes()[..]));
/// ```
pub fn request_both_families(states: u32, seq: u32) -> [u8; REQUEST_BOTH_LEN] {
    let mut out = [0u8; REQUEST_BOTH_LEN];
    let fields: [(usize, &[u8]); 5] = [
        (0, &(REQUEST_BOTH_LEN as u32).to_ne_bytes()),
        (4, &TCPDIAG_GETSOCK.to_ne_bytes()),
        (6, &(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes()),
        (8, &seq.to_ne_bytes()),
        // Family, lengths and ext 0, a zero sockid (48 bytes), then the states.
        (NLMSG_HDRLEN + 4 + 48, &states.to_ne_bytes()),
    ];
    for (at, bytes) in fields {
        if let Some(dst) = out.get_mut(at..at + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
    }
    out
}

/// The request for a dump of the TCP sockets of `family` ([`AF_INET`] or [`AF_INET6`]) whose
/// state is in `states` (bit `1 << state` per state, [`TcpState::ALL_MASK`] for all; see
/// [`TcpState::mask`]), with sequence number `seq`. Send it to the kernel (port id 0) on a
/// `NETLINK_SOCK_DIAG` socket; the replies carry the same `seq`.
///
/// The bytes: `nlmsghdr { len 72, type SOCK_DIAG_BY_FAMILY, flags NLM_F_REQUEST | NLM_F_DUMP,
/// seq, pid 0 }` then `inet_diag_req_v2 { family, IPPROTO_TCP, idiag_ext 0, pad 0, states,
/// sockid all zero }`, native byte order.
pub fn request(family: u8, states: u32, seq: u32) -> [u8; REQUEST_LEN] {
    let mut out = [0u8; REQUEST_LEN];
    let fields: [(usize, &[u8]); 7] = [
        (0, &(REQUEST_LEN as u32).to_ne_bytes()),
        (4, &SOCK_DIAG_BY_FAMILY.to_ne_bytes()),
        (6, &(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes()),
        (8, &seq.to_ne_bytes()),
        // 12: nlmsg_pid 0, the kernel.
        (NLMSG_HDRLEN, &[family]),
        (NLMSG_HDRLEN + 1, &[IPPROTO_TCP]),
        // idiag_ext and pad 0, then the states, then a zero sockid (a dump matches everything).
        (NLMSG_HDRLEN + 4, &states.to_ne_bytes()),
    ];
    for (at, bytes) in fields {
        if let Some(dst) = out.get_mut(at..at + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
    }
    out
}

/// One socket of a dump: a decoded `struct inet_diag_msg`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DiagSocket<'a> {
    /// `idiag_family`: [`AF_INET`] or [`AF_INET6`].
    pub family: u8,
    /// `idiag_state`: the kernel's state number; see [`DiagSocket::tcp_state`].
    pub state: u8,
    /// `idiag_timer`: the pending timer, as `tr` of `/proc/net/tcp` (0 none, 1 retransmit,
    /// 2 keepalive, 3 TIME_WAIT, 4 zero-window probe).
    pub timer: u8,
    /// `idiag_retrans`: retransmissions (or probes) of that timer.
    pub retrans: u8,
    /// `idiag_sport`: the local port, in host order.
    pub sport: u16,
    /// `idiag_dport`: the remote port, in host order.
    pub dport: u16,
    /// `idiag_src`: the local address in network order; for [`AF_INET`] its first 4 bytes.
    pub src_bytes: [u8; 16],
    /// `idiag_dst`: the remote address in network order; for [`AF_INET`] its first 4 bytes.
    pub dst_bytes: [u8; 16],
    /// `idiag_if`: the interface index the socket is bound to, 0 if none.
    pub interface: u32,
    /// `idiag_cookie`: the socket's cookie, a 64-bit id unique while the system runs
    /// (`cookie[0]` the low half).
    pub cookie: u64,
    /// `idiag_expires`: milliseconds until the timer fires.
    pub expires_ms: u32,
    /// `idiag_rqueue`: bytes received but not read; for a listener, the accept backlog.
    pub rqueue: u32,
    /// `idiag_wqueue`: bytes sent but not acknowledged; for a listener, the backlog's limit.
    pub wqueue: u32,
    /// `idiag_uid`: the owner's user id.
    pub uid: u32,
    /// `idiag_inode`: the socket's inode (the kernel truncates it to 32 bits here); 0 for
    /// TIME_WAIT sockets and connection requests.
    pub inode: u32,
    /// The message's attributes after the `inet_diag_msg` (`struct rtattr` records), unparsed.
    pub attributes: &'a [u8],
}

impl DiagSocket<'_> {
    /// The state, if the kernel's number is a [`TcpState`] (every kernel so far).
    #[inline]
    pub fn tcp_state(&self) -> Option<TcpState> {
        TcpState::from_kernel(self.state)
    }

    /// The local address: IPv4 for [`AF_INET`], else IPv6.
    pub fn src(&self) -> IpAddr {
        addr(self.family, self.src_bytes)
    }

    /// The remote address: IPv4 for [`AF_INET`], else IPv6.
    pub fn dst(&self) -> IpAddr {
        addr(self.family, self.dst_bytes)
    }
}

fn addr(family: u8, bytes: [u8; 16]) -> IpAddr {
    match (family, bytes) {
        (AF_INET, [a, b, c, d, ..]) => IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
        _ => IpAddr::V6(Ipv6Addr::from(bytes)),
    }
}

/// A message of a dump's reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Message<'a> {
    /// A `SOCK_DIAG_BY_FAMILY` message: one socket.
    Socket(DiagSocket<'a>),
    /// `NLMSG_DONE` with code 0: the dump is complete.
    Done,
    /// The dump failed: `NLMSG_ERROR` with a nonzero error, or `NLMSG_DONE` with a nonzero code.
    /// The value is the positive errno (the kernel sends it negated), for
    /// [`Error::from_errno`] or `std::io::Error::from_raw_os_error`.
    Error(i32),
}

/// Iterator over the messages of reply datagrams, from [`messages`].
///
/// Yields a message per `SOCK_DIAG_BY_FAMILY`, `NLMSG_DONE` and (nonzero) `NLMSG_ERROR`;
/// other types (`NLMSG_NOOP`, an acknowledgement, a type a later kernel adds) are skipped. A
/// malformed message yields one `Err` and ends the iteration: `nlmsghdr` for fewer than 16
/// bytes left, `nlmsg_len` for a length below 16 or past the end of the buffer,
/// `inet_diag_msg`, `nlmsg_done` or `nlmsgerr` for a payload too short for its type.
#[derive(Clone, Debug)]
pub struct Messages<'a> {
    rest: &'a [u8],
}

/// The messages in `buf`: the bytes of one reply datagram, or of several concatenated. Each
/// message starts at the previous one's length rounded up to 4 (`NLMSG_ALIGN`); padding missing
/// at the very end of `buf` is tolerated.
pub fn messages(buf: &[u8]) -> Messages<'_> {
    Messages { rest: buf }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<Message<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.rest.is_empty() {
            match decode(self.rest) {
                Ok((message, len)) => {
                    let next = len.saturating_add(3) & !3;
                    self.rest = self.rest.get(next..).unwrap_or_default();
                    if let Some(message) = message {
                        return Some(Ok(message));
                    }
                }
                Err(e) => {
                    self.rest = &[];
                    return Some(Err(e));
                }
            }
        }
        None
    }
}

#[inline]
fn u16_at(buf: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(buf.get(at..at + 2)?.try_into().ok()?))
}

#[inline]
fn u32_at(buf: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(buf.get(at..at + 4)?.try_into().ok()?))
}

#[inline]
fn i32_at(buf: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_ne_bytes(buf.get(at..at + 4)?.try_into().ok()?))
}

#[inline]
fn be16_at(buf: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(buf.get(at..at + 2)?.try_into().ok()?))
}

#[inline]
fn bytes16_at(buf: &[u8], at: usize) -> Option<[u8; 16]> {
    buf.get(at..at + 16)?.try_into().ok()
}

/// The message at the start of `buf` (`None` for a type that is skipped) and its length.
fn decode(buf: &[u8]) -> Result<(Option<Message<'_>>, usize)> {
    let header = Error::parse(FILE, "nlmsghdr");
    if buf.len() < NLMSG_HDRLEN {
        return Err(header);
    }
    let (len, kind) = u32_at(buf, 0).zip(u16_at(buf, 4)).ok_or(header)?;
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    let payload = buf
        .get(NLMSG_HDRLEN..len)
        .ok_or(Error::parse(FILE, "nlmsg_len"))?;
    let message = match kind {
        SOCK_DIAG_BY_FAMILY | TCPDIAG_GETSOCK => Some(Message::Socket(
            socket(payload).ok_or(Error::parse(FILE, "inet_diag_msg"))?,
        )),
        NLMSG_DONE => match i32_at(payload, 0).ok_or(Error::parse(FILE, "nlmsg_done"))? {
            0 => Some(Message::Done),
            code => Some(Message::Error(code.saturating_neg())),
        },
        NLMSG_ERROR => {
            if payload.len() < NLMSGERR_LEN {
                return Err(Error::parse(FILE, "nlmsgerr"));
            }
            match i32_at(payload, 0) {
                // An acknowledgement, not an error.
                Some(0) | None => None,
                Some(error) => Some(Message::Error(error.saturating_neg())),
            }
        }
        _ => None,
    };
    Ok((message, len))
}

fn socket(msg: &[u8]) -> Option<DiagSocket<'_>> {
    let attributes = msg.get(INET_DIAG_MSG_LEN..)?;
    let (&[family, state, timer, retrans], _) = msg.split_first_chunk::<4>()?;
    // struct inet_diag_sockid at offset 4.
    let cookie_low = u32_at(msg, 44)?;
    let cookie_high = u32_at(msg, 48)?;
    Some(DiagSocket {
        family,
        state,
        timer,
        retrans,
        sport: be16_at(msg, 4)?,
        dport: be16_at(msg, 6)?,
        src_bytes: bytes16_at(msg, 8)?,
        dst_bytes: bytes16_at(msg, 24)?,
        interface: u32_at(msg, 40)?,
        cookie: u64::from(cookie_high) << 32 | u64::from(cookie_low),
        expires_ms: u32_at(msg, 52)?,
        rqueue: u32_at(msg, 56)?,
        wqueue: u32_at(msg, 60)?,
        uid: u32_at(msg, 64)?,
        inode: u32_at(msg, 68)?,
        attributes,
    })
}

/// What [`count_states`] found in one datagram (or several).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DumpCounts {
    /// The sockets counted per state.
    pub states: StateCounts,
    /// True if the bytes held the `NLMSG_DONE` that ends the dump (messages after it are not
    /// counted): stop receiving.
    pub done: bool,
}

/// Counts the sockets of the messages in `buf` per state, up to `NLMSG_DONE`. A dump spans
/// several datagrams: count each as it is received, sum with [`StateCounts::add`], and stop once
/// [`DumpCounts::done`].
///
/// Errors: those of [`Messages`], and for a [`Message::Error`] `Error::Io { file: "inet_diag",
/// errno }`.
pub fn count_states(buf: &[u8]) -> Result<DumpCounts> {
    let mut counts = DumpCounts::default();
    for message in messages(buf) {
        match message? {
            Message::Socket(s) => counts.states.record(s.state),
            Message::Done => {
                counts.done = true;
                break;
            }
            Message::Error(errno) => return Err(Error::Io { file: FILE, errno }),
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn message(kind: u16, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&(16 + payload.len() as u32).to_ne_bytes());
        out.extend_from_slice(&kind.to_ne_bytes());
        out.extend_from_slice(&2u16.to_ne_bytes());
        out.extend_from_slice(&9u32.to_ne_bytes());
        out.extend_from_slice(&0u32.to_ne_bytes());
        out.extend_from_slice(payload);
        out.resize((out.len() + 3) & !3, 0);
        out
    }

    fn diag_msg(state: u8, sport: u16, attrs: &[u8]) -> Vec<u8> {
        let mut m = vec![0u8; INET_DIAG_MSG_LEN];
        m[0] = AF_INET6;
        m[1] = state;
        m[4..6].copy_from_slice(&sport.to_be_bytes());
        m[6..8].copy_from_slice(&443u16.to_be_bytes());
        m[8 + 15] = 1;
        m[44..48].copy_from_slice(&1u32.to_ne_bytes());
        m[48..52].copy_from_slice(&2u32.to_ne_bytes());
        m[68..72].copy_from_slice(&u32::MAX.to_ne_bytes());
        m.extend_from_slice(attrs);
        m
    }

    #[test]
    fn request_layout() {
        let r = request(AF_INET6, TcpState::Listen.mask(), 0x0102_0304);
        assert_eq!(u32::from_ne_bytes(r[0..4].try_into().unwrap()), 72);
        assert_eq!(u16::from_ne_bytes(r[4..6].try_into().unwrap()), 20);
        assert_eq!(u16::from_ne_bytes(r[6..8].try_into().unwrap()), 0x301);
        assert_eq!(
            u32::from_ne_bytes(r[8..12].try_into().unwrap()),
            0x0102_0304
        );
        assert_eq!(&r[12..20], &[0, 0, 0, 0, AF_INET6, 6, 0, 0]);
        assert_eq!(u32::from_ne_bytes(r[20..24].try_into().unwrap()), 1 << 10);
        assert!(r[24..].iter().all(|&b| b == 0));
    }

    #[test]
    fn decodes_sockets_done_and_errors() {
        let mut buf = message(SOCK_DIAG_BY_FAMILY, &diag_msg(1, 8080, &[5, 0, 1, 0, 9]));
        buf.extend(message(1, &[])); // NLMSG_NOOP: skipped
        buf.extend(message(NLMSG_ERROR, &[0; 20])); // an acknowledgement: skipped
        buf.extend(message(NLMSG_DONE, &0i32.to_ne_bytes()));
        buf.extend(message(
            NLMSG_ERROR,
            &[&(-16i32).to_ne_bytes()[..], &[0; 16]].concat(),
        ));
        buf.extend(message(NLMSG_DONE, &(-4i32).to_ne_bytes()));
        let got: Vec<_> = messages(&buf).collect::<Result<_>>().unwrap();
        assert_eq!(got.len(), 4);
        let Message::Socket(s) = got[0] else {
            panic!("{got:?}")
        };
        assert_eq!(
            (s.tcp_state(), s.sport, s.dport),
            (Some(TcpState::Established), 8080, 443)
        );
        assert_eq!(
            (s.src().to_string(), s.dst().to_string()),
            ("::1".into(), "::".into())
        );
        assert_eq!((s.cookie, s.inode), (2 << 32 | 1, u32::MAX));
        assert_eq!(s.attributes, &[5, 0, 1, 0, 9]);
        assert_eq!(
            got[1..],
            [Message::Done, Message::Error(16), Message::Error(4)]
        );
        let part = count_states(&buf).unwrap();
        assert_eq!((part.states.total(), part.done), (1, true));
        let failed = message(
            NLMSG_ERROR,
            &[&(-105i32).to_ne_bytes()[..], &[0; 16]].concat(),
        );
        assert_eq!(
            count_states(&failed),
            Err(Error::Io {
                file: FILE,
                errno: 105
            })
        );
        assert_eq!(count_states(&[]).map(|p| p.done), Ok(false));
    }

    #[test]
    fn malformed_stops_with_an_error() {
        let f = |field| Some(Err(Error::parse(FILE, field)));
        let one = message(SOCK_DIAG_BY_FAMILY, &diag_msg(10, 1, &[]));
        assert_eq!(messages(&one[..15]).next(), f("nlmsghdr"));
        assert_eq!(messages(&one[..87]).next(), f("nlmsg_len"));
        let mut short = one.clone();
        short[0..4].copy_from_slice(&15u32.to_ne_bytes());
        assert_eq!(messages(&short).next(), f("nlmsg_len"));
        short[0..4].copy_from_slice(&87u32.to_ne_bytes());
        assert_eq!(messages(&short).next(), f("inet_diag_msg"));
        assert_eq!(messages(&message(NLMSG_DONE, &[])).next(), f("nlmsg_done"));
        assert_eq!(
            messages(&message(NLMSG_ERROR, &[1; 19])).next(),
            f("nlmsgerr")
        );
        // A good message, then a bad one, then nothing more.
        let mut two = one.clone();
        two.extend_from_slice(&[0; 8]);
        let mut it = messages(&two);
        assert!(matches!(it.next(), Some(Ok(Message::Socket(_)))));
        assert_eq!((it.next(), it.next()), (f("nlmsghdr"), None));
        // Padding missing at the end is tolerated.
        let unpadded = message(NLMSG_DONE, &[0; 5]);
        assert_eq!(
            messages(&unpadded[..21]).collect::<Vec<_>>(),
            [Ok(Message::Done)]
        );
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let n = messages(&bytes).count();
            prop_assert!(n <= bytes.len() / NLMSG_HDRLEN + 1);
            let _ = count_states(&bytes);
        }
    }
}
