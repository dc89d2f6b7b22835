//! `/proc/net/tcp` and `/proc/net/tcp6`: one line per TCP socket of the reader's network
//! namespace.
//!
//! ```text
//!   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
//!    0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 53107 1 …
//!    1: 0100007F:A0C2 0100007F:1F90 06 00000000:00000000 03:00001770 00000000     0        0 0 3 …
//!
//!   sl  local_address                         remote_address                        st …
//!    0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A …
//! ```
//!
//! A header line, then per socket: the slot number `sl` and a colon, the local and remote
//! address as `HEXIP:HEXPORT`, the state `st` in hex (a [`TcpState`] number), `tx_queue:rx_queue`
//! and `tr:tm->when` (timer kind and clock ticks until it fires) in hex, `retrnsmt` in hex, then
//! `uid`, `timeout` and `inode` in decimal. Fields after `inode` differ between full, request and
//! TIME_WAIT sockets and are kept unparsed in [`Socket::rest`]. IPv4 lines (`tcp`) print the
//! address as 8 hex digits, IPv6 lines (`tcp6`) as 32, each group of 8 being one 32-bit word of
//! the address in native byte order (on x86 `0100007F` is 127.0.0.1); the port is in host order.
//! One parser reads both files, so errors name the file `net/tcp` for either.
//!
//! **Pieces.** The kernel produces the file one page at a time, and every `read` with a buffer
//! of at least a page returns whole lines, the header only in the first. [`sockets`] and
//! [`count_states`] take any run of whole lines, with or without the header line (a first line
//! whose first word is `sl`), so each read can be parsed as it arrives and the counts summed
//! with [`StateCounts::add`]; as for every file, a last line without `\n` is an error
//! (`newline`), and so is empty input (`empty`). A header anywhere but first is an error (`sl`).
//!
//! Strict like every parser: hex fields are 1 to as many digits as their type holds (addresses
//! exactly 8 or 32, local and remote alike; either case of `A-F`), decimal ones digits only,
//! nothing may overflow. A state number outside [`TcpState`] is not an error: [`Socket::state`]
//! keeps it and [`StateCounts::other`] counts it.
//!
//! **Speed.** The kernel prints everything from `local_address` to `retrnsmt` at fixed widths
//! (`%08X:%04X`, `%02X`, …), so a line in exactly that layout is checked separator by separator
//! and its hex decoded eight digits at a time (SWAR); any other line is read word by word, by
//! rules that accept the same text with the same values.
//!
//! ```
//! use procfast::parse::net_tcp;
//! use procfast::parse::tcp_state::TcpState;
//!
//! let text = b"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
//!    0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 53107 1 0000000000000000 100 0 0 10 0
//!    1: 0100007F:A0C2 0100007F:1F90 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000
//! ";
//! let listener = net_tcp::sockets(text)?.next().unwrap()?;
//! assert_eq!(listener.tcp_state(), Some(TcpState::Listen));
//! assert_eq!(listener.local().to_string(), "127.0.0.1:8080");
//! assert_eq!((listener.uid, listener.inode), (1000, 53107));
//!
//! let counts = net_tcp::count_states(text)?;
//! assert_eq!((counts.get(TcpState::Listen), counts.get(TcpState::TimeWait), counts.total()), (1, 1, 2));
//! # Ok::<(), procfast::Error>(())
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::error::{Error, Result};
use crate::parse::num;
use crate::parse::tcp_state::{StateCounts, TcpState};
use crate::parse::text;

const FILE: &str = "net/tcp";

/// One line of `/proc/net/tcp` or `/proc/net/tcp6`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Socket<'a> {
    /// `sl`: the line's number in this listing (not stable across reads).
    pub sl: u64,
    /// The local address (`local_address`): IPv4 from `tcp`, IPv6 from `tcp6` (an IPv4
    /// connection of a dual-stack socket shows as `::ffff:a.b.c.d`).
    pub local_addr: IpAddr,
    /// The local port.
    pub local_port: u16,
    /// The remote address (`rem_address`); unspecified for a listener.
    pub remote_addr: IpAddr,
    /// The remote port; 0 for a listener.
    pub remote_port: u16,
    /// `st`: the kernel's state number; see [`Socket::tcp_state`].
    pub state: u8,
    /// `tx_queue`: bytes sent but not yet acknowledged.
    pub tx_queue: u32,
    /// `rx_queue`: bytes received but not yet read; for a listener, the accept backlog.
    pub rx_queue: u32,
    /// `tr`: the pending timer: 0 none, 1 retransmit (or loss probe), 2 keepalive, 3 TIME_WAIT,
    /// 4 zero-window probe.
    pub timer: u8,
    /// `tm->when`: clock ticks (`USER_HZ`) until the timer fires.
    pub timer_ticks: u64,
    /// `retrnsmt`: unrecovered retransmission timeouts (for a connection request, SYN-ACKs
    /// resent).
    pub retransmits: u32,
    /// `uid`: the owner's user id, in the reader's user namespace; 0 for TIME_WAIT sockets.
    pub uid: u32,
    /// `timeout`: unanswered zero-window or keepalive probes.
    pub timeout: u32,
    /// `inode`: the socket's inode, as in `socket:[inode]` of `/proc/<pid>/fd`; 0 for TIME_WAIT
    /// sockets and connection requests, which have no file.
    pub inode: u64,
    /// The line after `inode`, untrimmed; see [`Socket::rest`].
    tail: &'a [u8],
}

impl<'a> Socket<'a> {
    /// The fields after `inode`, unparsed and trimmed: reference count, kernel address, and for
    /// full sockets `rto`, `ato`, quick-ack/ping-pong, `snd_cwnd` and `ssthresh`.
    pub fn rest(&self) -> &'a [u8] {
        text::trim(self.tail)
    }

    /// The state, if the kernel's number is a [`TcpState`] (every kernel so far).
    #[inline]
    pub fn tcp_state(&self) -> Option<TcpState> {
        TcpState::from_kernel(self.state)
    }

    /// The local address and port.
    pub fn local(&self) -> SocketAddr {
        SocketAddr::new(self.local_addr, self.local_port)
    }

    /// The remote address and port.
    pub fn remote(&self) -> SocketAddr {
        SocketAddr::new(self.remote_addr, self.remote_port)
    }
}

/// Iterator over the sockets of whole lines of `/proc/net/tcp{,6}`, from [`sockets`].
///
/// Yields `Ok` per line; at the first malformed line it yields that line's `Err` and stops.
#[derive(Clone, Debug)]
pub struct Sockets<'a> {
    lines: Option<text::Lines<'a>>,
}

/// The sockets of `buf`: whole lines of `/proc/net/tcp` or `/proc/net/tcp6`, the header line
/// first or not at all (see the module docs on pieces).
///
/// Errors here: `empty` and `newline`. Errors of a line come from the iterator and name the
/// field: `sl`, `local_address`, `rem_address` (also for an address of the other family than
/// the local one), `st`, `tx_queue`, `rx_queue`, `tr`, `tm->when`, `retrnsmt`, `uid`,
/// `timeout` or `inode`.
pub fn sockets(buf: &[u8]) -> Result<Sockets<'_>> {
    let body = text::body(buf, FILE)?;
    let (first, after) = text::split_once(body, b'\n').unwrap_or((body, b""));
    let lines = if is_header(first) {
        // A header alone is a listing of no sockets.
        (body.len() > first.len()).then(|| text::lines(after))
    } else {
        Some(text::lines(body))
    };
    Ok(Sockets { lines })
}

/// Counts the sockets of `buf` per state: every line validated as by [`sockets`], with the same
/// errors (the first bad line's), keeping only the state. A listing read in pieces is counted
/// piece by piece and summed with [`StateCounts::add`].
pub fn count_states(buf: &[u8]) -> Result<StateCounts> {
    let mut counts = StateCounts::new();
    let Sockets { lines } = sockets(buf)?;
    for line in lines.into_iter().flatten() {
        counts.record(socket(line)?.state);
    }
    Ok(counts)
}

impl<'a> Iterator for Sockets<'a> {
    type Item = Result<Socket<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let parsed = socket(self.lines.as_mut()?.next()?);
        if parsed.is_err() {
            self.lines = None;
        }
        Some(parsed)
    }
}

fn is_header(line: &[u8]) -> bool {
    text::words(line).next() == Some(b"sl")
}

/// The next blank-separated word of `rest` (empty if none is left), consumed.
#[inline]
fn word<'a>(rest: &mut &'a [u8]) -> &'a [u8] {
    let text = text::trim_start(rest);
    let len = text::find2(text, b' ', b'\t').unwrap_or(text.len());
    let (word, after) = text.split_at(len.min(text.len()));
    *rest = after;
    word
}

/// A hex number of 1 to `max` (at most 16) digits, either case.
#[inline]
fn hex(digits: &[u8], max: usize) -> Option<u64> {
    if digits.is_empty() || digits.len() > max.min(16) {
        return None;
    }
    let mut value = 0u64;
    for &b in digits {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'A'..=b'F' => b - b'A' + 10,
            b'a'..=b'f' => b - b'a' + 10,
            _ => return None,
        };
        value = value << 4 | u64::from(digit);
    }
    Some(value)
}

/// A hex number that fits `T` (1 to `2 * size_of::<T>()` digits).
#[inline]
fn hex_as<T: TryFrom<u64>>(digits: &[u8]) -> Option<T> {
    T::try_from(hex(digits, 2 * core::mem::size_of::<T>())?).ok()
}

/// An address word, `HEXIP:HEXPORT`: IPv4 from 8 hex digits, IPv6 from 32, each 8 digits one
/// 32-bit word in native order.
fn endpoint(word: &[u8]) -> Option<(IpAddr, u16)> {
    let (ip, port) = text::split_once(word, b':')?;
    if ip.len() != 8 && ip.len() != 32 {
        return None;
    }
    let port = hex_as::<u16>(port)?;
    let mut octets = [0u8; 16];
    for (group, out) in ip.chunks(8).zip(octets.chunks_mut(4)) {
        let value = hex_as::<u32>(group)?;
        out.copy_from_slice(&value.to_ne_bytes());
    }
    let addr = if ip.len() == 8 {
        let [a, b, c, d, ..] = octets;
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    } else {
        IpAddr::V6(Ipv6Addr::from(octets))
    };
    Some((addr, port))
}

/// `A:B` of two hex numbers.
fn hex_pair<A: TryFrom<u64>, B: TryFrom<u64>>(
    word: &[u8],
    a: &'static str,
    b: &'static str,
) -> Result<(A, B)> {
    let (first, second) = text::split_once(word, b':').ok_or(Error::parse(FILE, a))?;
    let first = hex_as(first).ok_or(Error::parse(FILE, a))?;
    let second = hex_as(second).ok_or(Error::parse(FILE, b))?;
    Ok((first, second))
}

/// A socket of nothing but zeros, for the head parsers to fill the fields from `local_address`
/// to `retrnsmt` (which the kernel prints in hex) and [`socket`] the rest.
const BLANK: Socket<'static> = Socket {
    sl: 0,
    local_addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    local_port: 0,
    remote_addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    remote_port: 0,
    state: 0,
    tx_queue: 0,
    rx_queue: 0,
    timer: 0,
    timer_ticks: 0,
    retransmits: 0,
    uid: 0,
    timeout: 0,
    inode: 0,
    tail: &[],
};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Bit 7 of each byte of `x` (all bytes ASCII) that lies in `lo..=hi`. The additions cannot carry
/// from one byte into the next, since every byte is below 0x80.
#[inline(always)]
fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
    let at_least = x.wrapping_add(ONES * u64::from(0x80 - lo));
    let above = x.wrapping_add(ONES * u64::from(0x7F - hi));
    at_least & !above & HIGHS
}

/// Exactly 8 hex digits (either case), the first the most significant, eight at a time (SWAR):
/// the kernel's `%08X`.
#[inline]
fn hex8(digits: &[u8]) -> Option<u32> {
    hex8_word(u64::from_le_bytes(digits.get(..8)?.try_into().ok()?))
}

/// Exactly `n` (1 to 8) hex digits at the start of `window`, which has at least 8 bytes: the
/// bytes after the digits are replaced by `'0'`, then the value shifted back down.
#[inline(always)]
fn hex_short(window: &[u8], n: u32) -> Option<u32> {
    let x = u64::from_le_bytes(window.get(..8)?.try_into().ok()?);
    let keep = u64::MAX >> (64 - 8 * n);
    let padded = (x & keep) | ((ONES * u64::from(b'0')) & !keep);
    Some(hex8_word(padded)? >> (4 * (8 - n)))
}

/// [`hex8`] of the eight bytes of `x`, the first in its lowest byte.
#[inline(always)]
fn hex8_word(x: u64) -> Option<u32> {
    if x & HIGHS != 0 {
        return None;
    }
    let letters = in_range(x | (ONES * 0x20), b'a', b'f');
    if in_range(x, b'0', b'9') | letters != HIGHS {
        return None;
    }
    // Each byte's value 0..=15: the low nibble, plus 9 for a letter.
    let nibbles = (x & (ONES * 0x0F)) + (letters >> 7) * 9;
    // Then pairs of nibbles into bytes, pairs of bytes into 16 bits, pairs of those into 32.
    let bytes = (nibbles << 4 | nibbles >> 8) & 0x00FF_00FF_00FF_00FF;
    let halves = (bytes << 8 | bytes >> 16) & 0x0000_FFFF_0000_FFFF;
    Some((halves << 16 | halves >> 32) as u32)
}

/// The head of a socket from the kernel's own fixed-width layout, `width` (8 or 32) the address's digits:
/// `%0*X:%04X %0*X:%04X %02X %08X:%08X %02X:%08lX %08X ` (the IPv6 address as four `%08X`).
/// `None` for anything else (a `tm->when` past 8 digits, other blanks), which the word-by-word
/// parse then reads; it accepts all that this does, with the same values.
#[inline]
fn fixed_head<const WIDTH: usize>(text: &[u8]) -> Option<Socket<'static>> {
    let t = text.get(..2 * WIDTH + 54)?;
    let byte = |at: usize| t.get(at).copied();
    let seps = [
        (WIDTH, b':'),
        (WIDTH + 5, b' '),
        (2 * WIDTH + 6, b':'),
        (2 * WIDTH + 11, b' '),
        (2 * WIDTH + 14, b' '),
        (2 * WIDTH + 23, b':'),
        (2 * WIDTH + 32, b' '),
        (2 * WIDTH + 35, b':'),
        (2 * WIDTH + 44, b' '),
        (2 * WIDTH + 53, b' '),
    ];
    if !seps.iter().all(|&(at, sep)| byte(at) == Some(sep)) {
        return None;
    }
    let short = |at: usize, len: u32| hex_short(t.get(at..)?, len);
    let addr = |at: usize| -> Option<IpAddr> {
        let mut octets = [0u8; 16];
        for (i, out) in octets.chunks_mut(4).take(WIDTH / 8).enumerate() {
            out.copy_from_slice(&hex8(t.get(at + 8 * i..)?)?.to_ne_bytes());
        }
        Some(match (WIDTH, octets) {
            (8, [a, b, c, d, ..]) => IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
            _ => IpAddr::V6(Ipv6Addr::from(octets)),
        })
    };
    let w = 2 * WIDTH;
    Some(Socket {
        local_addr: addr(0)?,
        local_port: short(WIDTH + 1, 4)? as u16,
        remote_addr: addr(WIDTH + 6)?,
        remote_port: short(w + 7, 4)? as u16,
        state: short(w + 12, 2)? as u8,
        tx_queue: hex8(t.get(w + 15..)?)?,
        rx_queue: hex8(t.get(w + 24..)?)?,
        timer: short(w + 33, 2)? as u8,
        timer_ticks: u64::from(hex8(t.get(w + 36..)?)?),
        retransmits: hex8(t.get(w + 45..)?)?,
        ..BLANK
    })
}

/// The head of a socket word by word, for any widths and blanks.
fn general_head(rest: &mut &[u8]) -> Result<Socket<'static>> {
    let err = |field| Error::parse(FILE, field);
    let mut head = BLANK;
    (head.local_addr, head.local_port) = endpoint(word(rest)).ok_or(err("local_address"))?;
    (head.remote_addr, head.remote_port) = endpoint(word(rest))
        .filter(|(addr, _)| addr.is_ipv4() == head.local_addr.is_ipv4())
        .ok_or(err("rem_address"))?;
    head.state = hex_as::<u8>(word(rest)).ok_or(err("st"))?;
    (head.tx_queue, head.rx_queue) = hex_pair(word(rest), "tx_queue", "rx_queue")?;
    (head.timer, head.timer_ticks) = hex_pair(word(rest), "tr", "tm->when")?;
    head.retransmits = hex_as::<u32>(word(rest)).ok_or(err("retrnsmt"))?;
    Ok(head)
}

/// The next blank-separated word as a strict decimal that fits `T`.
#[inline]
fn decimal<T: TryFrom<u64>>(rest: &mut &[u8], field: &'static str) -> Result<T> {
    text::next_u64(rest)
        .ok()
        .flatten()
        .and_then(|v| T::try_from(v).ok())
        .ok_or(Error::parse(FILE, field))
}

#[inline(always)]
fn socket(line: &[u8]) -> Result<Socket<'_>> {
    // `sl:`, a word of digits and a colon.
    let text = text::trim_start(line);
    let sl = num::u64_prefix(text).and_then(|(sl, len)| {
        let after = text.get(len..)?.strip_prefix(b":")?;
        matches!(after.first(), None | Some(b' ' | b'\t')).then_some((sl, after))
    });
    let Some((sl, mut rest)) = sl else {
        return Err(Error::parse(FILE, "sl"));
    };
    // The kernel writes one space after the colon; a fixed layout follows.
    let fixed = rest.strip_prefix(b" ").and_then(|t| {
        let head = match t.get(8) {
            Some(b':') => fixed_head::<8>(t)?,
            _ => fixed_head::<32>(t)?,
        };
        let width = if head.local_addr.is_ipv4() { 8 } else { 32 };
        Some((head, t.get(2 * width + 53..)?))
    });
    let head = match fixed {
        Some((head, after)) => {
            rest = after;
            head
        }
        None => general_head(&mut rest)?,
    };
    let uid = decimal(&mut rest, "uid")?;
    let timeout = decimal(&mut rest, "timeout")?;
    let inode = decimal(&mut rest, "inode")?;
    Ok(Socket {
        sl,
        uid,
        timeout,
        inode,
        tail: rest,
        ..head
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HEADER: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     \n";
    const LISTEN: &str = "   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1078 1 00000000f98de902 100 0 0 10 0                      \n";
    const TW: &str = "   1: 0100007F:A0C2 0100007F:1F90 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000                                      \n";

    fn all(buf: &[u8]) -> Result<Vec<Socket<'_>>> {
        sockets(buf)?.collect()
    }

    #[test]
    fn lines_with_and_without_header() {
        let file = format!("{HEADER}{LISTEN}{TW}");
        let got = all(file.as_bytes()).unwrap();
        assert_eq!(got.len(), 2);
        let l = got[0];
        assert_eq!(
            (l.sl, l.local().to_string(), l.remote().to_string()),
            (0, "0.0.0.0:2024".to_string(), "0.0.0.0:0".to_string())
        );
        assert_eq!(
            (l.tcp_state(), l.uid, l.inode, l.timeout, l.timer),
            (Some(TcpState::Listen), 0, 1078, 0, 0)
        );
        assert_eq!(l.rest(), b"1 00000000f98de902 100 0 0 10 0");
        let tw = got[1];
        assert_eq!(
            (tw.state, tw.timer, tw.timer_ticks, tw.local_port),
            (6, 3, 0x1770, 0xA0C2)
        );
        // A later piece of the file: no header.
        assert_eq!(all(TW.as_bytes()).unwrap(), [tw]);
        // The header alone.
        assert_eq!(all(HEADER.as_bytes()).unwrap(), []);
        let counts = count_states(file.as_bytes()).unwrap();
        assert_eq!(
            (
                counts.get(TcpState::Listen),
                counts.get(TcpState::TimeWait),
                counts.total()
            ),
            (1, 1, 2)
        );
    }

    #[test]
    fn ipv6_words_are_native_order() {
        let line = "   0: 0000000000000000FFFF00000100007F:1F90 00000000000000000000000001000000:0016 01 00000001:00000002 01:0000000A 00000003 1000 4 77\n";
        let s = all(line.as_bytes()).unwrap()[0];
        if cfg!(target_endian = "little") {
            assert_eq!(s.local().to_string(), "[::ffff:127.0.0.1]:8080");
            assert_eq!(s.remote().to_string(), "[::1]:22");
        }
        assert_eq!(
            (s.tx_queue, s.rx_queue, s.timer_ticks, s.retransmits, s.uid),
            (1, 2, 10, 3, 1000)
        );
        assert_eq!((s.timeout, s.inode, s.rest()), (4, 77, &b""[..]));
    }

    #[test]
    fn errors_name_the_field() {
        let err = |text: &str| all(text.as_bytes()).unwrap_err();
        let f = |field| Error::parse(FILE, field);
        assert_eq!(sockets(b"").unwrap_err(), f("empty"));
        assert_eq!(
            sockets(LISTEN.trim_end().as_bytes()).unwrap_err(),
            f("newline")
        );
        assert_eq!(err(&format!("{LISTEN}{HEADER}")), f("sl"));
        assert_eq!(err("\n"), f("sl"));
        assert_eq!(err("0 00000000:0000 00000000:0000 0A\n"), f("sl"));
        assert_eq!(err("-1: 00000000:0000\n"), f("sl"));
        assert_eq!(err("0: 0000000:0000 00000000:0000\n"), f("local_address"));
        assert_eq!(err("0: 00000000:00000 00000000:0000\n"), f("local_address"));
        assert_eq!(err("0: 0000000G:0000 00000000:0000\n"), f("local_address"));
        let v6 = "00000000000000000000000000000000:0000";
        assert_eq!(err(&format!("0: 00000000:0000 {v6}\n")), f("rem_address"));
        assert_eq!(err("0: 00000000:0000 00000000:0000 100\n"), f("st"));
        let head = "0: 00000000:0000 00000000:0000 0A";
        assert_eq!(err(&format!("{head} 0:1:2\n")), f("rx_queue"));
        assert_eq!(err(&format!("{head} 000000000:0\n")), f("tx_queue"));
        assert_eq!(err(&format!("{head} 0:0 100:0\n")), f("tr"));
        assert_eq!(
            err(&format!("{head} 0:0 0:00000000000000000\n")),
            f("tm->when")
        );
        assert_eq!(err(&format!("{head} 0:0 0:0 +1\n")), f("retrnsmt"));
        assert_eq!(err(&format!("{head} 0:0 0:0 0 4294967296\n")), f("uid"));
        assert_eq!(err(&format!("{head} 0:0 0:0 0 0 -1 1\n")), f("timeout"));
        assert_eq!(err(&format!("{head} 0:0 0:0 0 0 0\n")), f("inode"));
        // The first error ends the iteration; earlier lines came out.
        let mut it =
            sockets(b"0: 00000000:0000 00000000:0000 0A 0:0 0:0 0 0 0 1\nx\n1: y\n").unwrap();
        assert!(it.next().unwrap().is_ok());
        assert_eq!(it.next(), Some(Err(f("sl"))));
        assert_eq!(it.next(), None);
        // An unknown state number is not an error.
        let odd = count_states(
            format!("{head} 0:0 0:0 0 0 0 1\n")
                .replace("0A", "0D")
                .as_bytes(),
        );
        assert_eq!(odd.map(|c| (c.other(), c.total())), Ok((1, 1)));
    }

    #[test]
    fn swar_hex_agrees_with_the_loop_on_every_byte() {
        for at in 0..8 {
            for b in 0..=255u8 {
                let mut digits = *b"9aF0b1C2";
                digits[at] = b;
                assert_eq!(hex8(&digits).map(u64::from), hex(&digits, 8), "{digits:?}");
                for n in 1..=8u32 {
                    let want = hex(&digits[..n as usize], 8);
                    assert_eq!(hex_short(&digits, n).map(u64::from), want, "{digits:?} {n}");
                }
            }
        }
        assert_eq!(hex8(b"FFFFFFFF"), Some(u32::MAX));
        assert_eq!(hex8(b"0100007f"), Some(0x0100_007F));
        assert_eq!(hex8(b"0100007"), None);
    }

    proptest! {
        #[test]
        fn swar_hex_agrees_with_the_loop(
            digits in proptest::collection::vec(prop_oneof![
                4 => proptest::sample::select(b"0123456789abcdefABCDEF".to_vec()),
                1 => any::<u8>(),
            ], 8),
            n in 1u32..=8,
        ) {
            prop_assert_eq!(hex8(&digits).map(u64::from), hex(&digits, 8));
            prop_assert_eq!(hex_short(&digits, n).map(u64::from), hex(&digits[..n as usize], 8));
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(it) = sockets(&bytes) {
                let ok = it.clone().take_while(Result::is_ok).count() as u64;
                let failed = it.clone().any(|s| s.is_err());
                match count_states(&bytes) {
                    Ok(c) => prop_assert!(!failed && c.total() == ok),
                    Err(_) => prop_assert!(failed),
                }
            }
        }
    }
}
