//! `/proc/net/snmp` and `/proc/net/netstat`: the network stack's counters, per protocol.
//!
//! ```text
//! Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens … CurrEstab InSegs …   ← names
//! Tcp: 1 200 120000 -1 2448 2084 … 0 48962 …                                              ← values
//! Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors …
//! Udp: 202 0 0 204 0 0 …
//! ```
//!
//! Both files are pairs of lines: `Proto:` and the names of its counters, then `Proto:` and their
//! values, in the same order. `/proc/net/snmp` holds the MIB-II groups (`Ip`, `Icmp`, `IcmpMsg`,
//! `Tcp`, `Udp`, `UdpLite`); `/proc/net/netstat` the Linux extensions (`TcpExt`, `IpExt`,
//! `MPTcpExt`). One [`Snmp`] type holds either: [`parse`] reads `net/snmp` (and requires
//! `Ip Forwarding`), [`parse_netstat`] reads `net/netstat` (and requires `TcpExt SyncookiesSent`);
//! the typed accessors of the other file's counters are `None`. Both describe the network
//! namespace of the reader.
//!
//! Values are decimals, unsigned except `Tcp MaxConn` (`-1`: no fixed limit). The kernel prints
//! the rest with `%lu` and sums some of them over CPUs as they change, so a gauge such as
//! `Tcp CurrEstab` can momentarily read as 2^64 − 1: [`Snmp::get`] returns the 64 bits as an
//! `i64`, in which that is `-1`, and the counters' accessors return them as `u64`. A value line
//! with more or fewer values than its names line is an error naming the protocol.
//!
//! ```
//! let text = b"Tcp: RtoAlgorithm MaxConn CurrEstab ActiveOpens\nTcp: 1 -1 3 2448\n\
//!              Ip: Forwarding DefaultTTL\nIp: 2 64\n";
//! let snmp = procfast::parse::snmp::parse(text)?;
//! assert_eq!(snmp.tcp_max_conn(), Some(-1));
//! assert_eq!((snmp.tcp_curr_estab(), snmp.tcp_active_opens()), (Some(3), Some(2448)));
//! assert_eq!(snmp.get(b"Tcp", b"RtoAlgorithm"), Some(1));
//! assert_eq!(snmp.tcp_ext_listen_overflows(), None); // that is in /proc/net/netstat
//! assert_eq!(snmp.iter().count(), 6);
//! # Ok::<(), procfast::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::parse::figures::Figures;
use crate::parse::keys::KeyTable;
use crate::parse::num::{i64_prefix, u64_prefix};
use crate::parse::text;

/// The protocols whose names errors can spell (an `Error` holds only `&'static str`), and whose
/// counters may have accessors.
const PROTOS: [&str; 9] = [
    "Ip", "Icmp", "IcmpMsg", "Tcp", "Udp", "UdpLite", "TcpExt", "IpExt", "MPTcpExt",
];

/// The index of `proto` in [`PROTOS`], at compile time.
const fn proto_tag(proto: &str) -> u8 {
    let mut i = 0;
    while i < PROTOS.len() {
        let (a, b) = (PROTOS[i].as_bytes(), proto.as_bytes());
        if a.len() == b.len() {
            let mut k = 0;
            while k < a.len() && a[k] == b[k] {
                k += 1;
            }
            if k == a.len() {
                return i as u8;
            }
        }
        i += 1;
    }
    panic!("not in PROTOS")
}

macro_rules! counters {
    ($( $variant:ident $proto:literal $name:literal $ty:ident $method:ident $doc:literal; )*) => {
        #[derive(Clone, Copy)]
        enum Counter { $($variant,)* }

        /// Each known counter: its protocol's tag, its name, and the two as errors name them.
        const COUNTERS: &[(u8, &[u8], &str)] = &[
            $((proto_tag($proto), $name.as_bytes(), concat!($proto, " ", $name)),)*
        ];
        const TAGGED: &[(u8, &str)] = &[$((proto_tag($proto), $name),)*];

        impl Snmp<'_> {
            $(
                #[doc = concat!("`", $proto, " ", $name, "`: ", $doc)]
                #[inline]
                pub fn $method(&self) -> Option<$ty> {
                    self.counter(Counter::$variant).map(|v| v as $ty)
                }
            )*
        }
    };
}

counters! {
    IpForwarding "Ip" "Forwarding" u64 ip_forwarding "1 if the host forwards IPv4 (a router), 2 if not.";
    IpDefaultTtl "Ip" "DefaultTTL" u64 ip_default_ttl "the TTL of datagrams this host originates.";
    IpInReceives "Ip" "InReceives" u64 ip_in_receives "datagrams received, including those in error.";
    IpInHdrErrors "Ip" "InHdrErrors" u64 ip_in_hdr_errors "datagrams discarded for errors in their headers.";
    IpInAddrErrors "Ip" "InAddrErrors" u64 ip_in_addr_errors "datagrams discarded for an invalid destination address.";
    IpForwDatagrams "Ip" "ForwDatagrams" u64 ip_forw_datagrams "datagrams forwarded.";
    IpInUnknownProtos "Ip" "InUnknownProtos" u64 ip_in_unknown_protos "datagrams discarded for an unknown protocol.";
    IpInDiscards "Ip" "InDiscards" u64 ip_in_discards "datagrams discarded without error (no buffer space).";
    IpInDelivers "Ip" "InDelivers" u64 ip_in_delivers "datagrams delivered to the protocols above IP.";
    IpOutRequests "Ip" "OutRequests" u64 ip_out_requests "datagrams the protocols above IP asked to send.";
    IpOutDiscards "Ip" "OutDiscards" u64 ip_out_discards "outgoing datagrams discarded without error.";
    IpOutNoRoutes "Ip" "OutNoRoutes" u64 ip_out_no_routes "datagrams discarded for want of a route.";
    IcmpInMsgs "Icmp" "InMsgs" u64 icmp_in_msgs "ICMP messages received.";
    IcmpInErrors "Icmp" "InErrors" u64 icmp_in_errors "ICMP messages received with ICMP-specific errors.";
    IcmpOutMsgs "Icmp" "OutMsgs" u64 icmp_out_msgs "ICMP messages sent.";
    IcmpOutErrors "Icmp" "OutErrors" u64 icmp_out_errors "ICMP messages not sent for ICMP-specific errors.";
    TcpMaxConn "Tcp" "MaxConn" i64 tcp_max_conn "the limit of TCP connections; -1 on Linux, where it is dynamic.";
    TcpActiveOpens "Tcp" "ActiveOpens" u64 tcp_active_opens "connections this host opened (SYN-SENT from CLOSED).";
    TcpPassiveOpens "Tcp" "PassiveOpens" u64 tcp_passive_opens "connections accepted (SYN-RCVD from LISTEN).";
    TcpAttemptFails "Tcp" "AttemptFails" u64 tcp_attempt_fails "connection attempts that failed.";
    TcpEstabResets "Tcp" "EstabResets" u64 tcp_estab_resets "established connections reset.";
    TcpCurrEstab "Tcp" "CurrEstab" i64 tcp_curr_estab "connections established or in CLOSE-WAIT now (a gauge; a sum over CPUs, which can momentarily read -1).";
    TcpInSegs "Tcp" "InSegs" u64 tcp_in_segs "segments received, including those in error.";
    TcpOutSegs "Tcp" "OutSegs" u64 tcp_out_segs "segments sent, excluding retransmissions.";
    TcpRetransSegs "Tcp" "RetransSegs" u64 tcp_retrans_segs "segments retransmitted.";
    TcpInErrs "Tcp" "InErrs" u64 tcp_in_errs "segments received in error (bad checksum, …).";
    TcpOutRsts "Tcp" "OutRsts" u64 tcp_out_rsts "segments sent with the RST flag.";
    UdpInDatagrams "Udp" "InDatagrams" u64 udp_in_datagrams "datagrams delivered to UDP sockets.";
    UdpNoPorts "Udp" "NoPorts" u64 udp_no_ports "datagrams received for a port nobody listens on.";
    UdpInErrors "Udp" "InErrors" u64 udp_in_errors "datagrams received that could not be delivered for other reasons.";
    UdpOutDatagrams "Udp" "OutDatagrams" u64 udp_out_datagrams "datagrams sent.";
    UdpRcvbufErrors "Udp" "RcvbufErrors" u64 udp_rcvbuf_errors "datagrams dropped for a full receive buffer.";
    UdpSndbufErrors "Udp" "SndbufErrors" u64 udp_sndbuf_errors "datagrams dropped for a full send buffer.";
    TcpExtSyncookiesSent "TcpExt" "SyncookiesSent" u64 tcp_ext_syncookies_sent "SYN cookies sent (a SYN flood, or a full accept queue).";
    TcpExtSyncookiesRecv "TcpExt" "SyncookiesRecv" u64 tcp_ext_syncookies_recv "valid SYN cookies received.";
    TcpExtSyncookiesFailed "TcpExt" "SyncookiesFailed" u64 tcp_ext_syncookies_failed "invalid SYN cookies received.";
    TcpExtListenOverflows "TcpExt" "ListenOverflows" u64 tcp_ext_listen_overflows "connections dropped because a listener's accept queue was full.";
    TcpExtListenDrops "TcpExt" "ListenDrops" u64 tcp_ext_listen_drops "SYNs to a listener dropped, for any reason (overflows included).";
    TcpExtTimeouts "TcpExt" "TCPTimeouts" u64 tcp_ext_timeouts "retransmission timeouts.";
    TcpExtOfoQueue "TcpExt" "TCPOFOQueue" u64 tcp_ext_ofo_queue "segments queued out of order.";
    TcpExtSynRetrans "TcpExt" "TCPSynRetrans" u64 tcp_ext_syn_retrans "SYN and SYN/ACK retransmissions.";
    IpExtInOctets "IpExt" "InOctets" u64 ip_ext_in_octets "bytes received in IP datagrams.";
    IpExtOutOctets "IpExt" "OutOctets" u64 ip_ext_out_octets "bytes sent in IP datagrams.";
}

const COUNT: usize = COUNTERS.len();
static KEYS: KeyTable<256> = KeyTable::new(TAGGED);

/// The parsed `/proc/net/snmp` or `/proc/net/netstat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snmp<'a> {
    body: &'a [u8],
    figures: Figures<i64, COUNT>,
}

/// Parses the bytes of `/proc/net/snmp`; errors name the file `net/snmp` and, as their field, the
/// protocol whose lines are malformed (`Tcp`), or `proto` for a line without a colon or of a
/// protocol not in the list above.
pub fn parse(buf: &[u8]) -> Result<Snmp<'_>> {
    parse_file(buf, "net/snmp", Counter::IpForwarding)
}

/// Parses the bytes of `/proc/net/netstat`; errors name the file `net/netstat`.
pub fn parse_netstat(buf: &[u8]) -> Result<Snmp<'_>> {
    parse_file(buf, "net/netstat", Counter::TcpExtSyncookiesSent)
}

/// The index in [`PROTOS`] of `proto`, if it is one.
#[inline]
fn tag_of(proto: &[u8]) -> Option<u8> {
    PROTOS
        .iter()
        .position(|p| text::same(p.as_bytes(), proto))
        .and_then(|i| u8::try_from(i).ok())
}

/// A value: an `i64`, or the bits of a `u64` printed with `%lu`.
#[inline]
fn value_prefix(bytes: &[u8]) -> Option<(i64, usize)> {
    if bytes.first() == Some(&b'-') {
        i64_prefix(bytes)
    } else {
        u64_prefix(bytes).map(|(v, len)| (v as i64, len))
    }
}

/// The next name and its value from the two lines of a section, consumed; `Ok(None)` at the end
/// of both, `Err(())` if one ends first or a value is malformed.
#[inline]
fn next_pair<'a>(
    names: &mut &'a [u8],
    values: &mut &'a [u8],
) -> core::result::Result<Option<(&'a [u8], i64)>, ()> {
    let (n, v) = (text::trim_start(names), text::trim_start(values));
    match (n.is_empty(), v.is_empty()) {
        (true, true) => return Ok(None),
        (false, false) => {}
        _ => return Err(()),
    }
    let name_len = text::find2(n, b' ', b'\t').unwrap_or(n.len());
    let (value, value_len) = value_prefix(v).ok_or(())?;
    if !matches!(v.get(value_len), None | Some(b' ' | b'\t')) {
        return Err(());
    }
    let (name, rest) = n.split_at(name_len);
    *names = rest;
    *values = v.get(value_len..).ok_or(())?;
    Ok(Some((name, value)))
}

/// A pair of lines: the protocol, its index in [`PROTOS`], and the text after each colon.
struct Section<'a> {
    proto: &'a [u8],
    tag: Option<u8>,
    names: &'a [u8],
    values: &'a [u8],
}

/// The next section of `lines`. Errors name the protocol, as far as it is known.
#[inline]
fn section<'a>(lines: &mut text::Lines<'a>, file: &'static str) -> Option<Result<Section<'a>>> {
    let header = lines.next()?;
    let Some((proto, names)) = text::split_once(header, b':') else {
        return Some(Err(Error::parse(file, "proto")));
    };
    let tag = tag_of(proto);
    let err = Error::parse(
        file,
        tag.and_then(|t| PROTOS.get(usize::from(t)).copied())
            .unwrap_or("proto"),
    );
    let values = lines
        .next()
        .and_then(|line| text::split_once(line, b':'))
        .filter(|(p, _)| *p == proto)
        .map(|(_, values)| values);
    Some(match values {
        Some(values) => Ok(Section {
            proto,
            tag,
            names,
            values,
        }),
        None => Err(err),
    })
}

fn parse_file<'a>(buf: &'a [u8], file: &'static str, required: Counter) -> Result<Snmp<'a>> {
    let body = text::body(buf, file)?;
    let mut snmp = Snmp {
        body,
        figures: Figures::new(),
    };
    let mut lines = text::lines(body);
    while let Some(found) = section(&mut lines, file) {
        let Section {
            tag,
            mut names,
            mut values,
            ..
        } = found?;
        let mismatch = Error::parse(
            file,
            tag.and_then(|t| PROTOS.get(usize::from(t)).copied())
                .unwrap_or("proto"),
        );
        while let Some((name, value)) = next_pair(&mut names, &mut values).map_err(|()| mismatch)? {
            let Some(tag) = tag else { continue };
            let known = KEYS.candidate(tag, name).filter(|&i| {
                COUNTERS
                    .get(i)
                    .is_some_and(|&(t, n, _)| t == tag && text::same(n, name))
            });
            if let Some(i) = known {
                snmp.figures.set(i, value);
            }
        }
    }
    if snmp.counter(required).is_none() {
        let name = COUNTERS.get(required as usize).map_or(file, |c| c.2);
        return Err(Error::parse(file, name));
    }
    Ok(snmp)
}

impl<'a> Snmp<'a> {
    #[inline]
    fn counter(&self, counter: Counter) -> Option<i64> {
        self.figures.get(counter as usize)
    }

    /// The value of `proto`'s counter `name` (`get(b"TcpExt", b"TCPFastOpenActive")`), known or
    /// not; `None` if absent. Values printed unsigned above `i64::MAX` come out as their bits
    /// (negative); `as u64` restores them. A lookup for the counters with accessors, a scan of
    /// the file for others; should a name appear twice, the last counts.
    pub fn get(&self, proto: &[u8], name: &[u8]) -> Option<i64> {
        if let Some(tag) = tag_of(proto) {
            let known = KEYS.candidate(tag, name).filter(|&i| {
                COUNTERS
                    .get(i)
                    .is_some_and(|&(t, n, _)| t == tag && n == name)
            });
            if let Some(i) = known {
                return self.figures.get(i);
            }
        }
        self.iter()
            .filter(|&(p, n, _)| p == proto && n == name)
            .last()
            .map(|(_, _, v)| v)
    }

    /// Every `(proto, name, value)` triple in file order: `(b"Tcp", b"MaxConn", -1)`.
    pub fn iter(&self) -> Triples<'a> {
        Triples {
            lines: text::lines(self.body),
            proto: b"",
            names: b"",
            values: b"",
        }
    }
}

/// Iterator over the `(proto, name, value)` triples of a [`Snmp`]; see [`Snmp::iter`].
#[derive(Clone, Debug)]
pub struct Triples<'a> {
    lines: text::Lines<'a>,
    proto: &'a [u8],
    names: &'a [u8],
    values: &'a [u8],
}

impl<'a> Iterator for Triples<'a> {
    type Item = (&'a [u8], &'a [u8], i64);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Ok(Some((name, value))) = next_pair(&mut self.names, &mut self.values) {
                return Some((self.proto, name, value));
            }
            // `parse` validated every section; should one fail anyway, iteration just ends.
            let next = section(&mut self.lines, "").and_then(|s| s.ok())?;
            (self.proto, self.names, self.values) = (next.proto, next.names, next.values);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testing::assert_errors;
    use proptest::prelude::*;

    const SNMP: &[u8] = include_bytes!("../../tests/fixtures/snmp");
    const NETSTAT: &[u8] = include_bytes!("../../tests/fixtures/netstat");

    #[test]
    fn every_counter_is_in_a_fixture() {
        let (snmp, netstat) = (parse(SNMP).unwrap(), parse_netstat(NETSTAT).unwrap());
        for (i, &(tag, name, label)) in COUNTERS.iter().enumerate() {
            let proto = PROTOS[usize::from(tag)].as_bytes();
            let from = if snmp.figures.get(i).is_some() {
                snmp
            } else {
                netstat
            };
            assert!(from.figures.get(i).is_some(), "{label} in neither fixture");
            let scanned = from
                .iter()
                .find(|&(p, n, _)| p == proto && n == name)
                .map(|(_, _, v)| v);
            assert_eq!(from.get(proto, name), scanned, "{label}");
            assert_eq!(from.figures.get(i), scanned, "{label}");
        }
        assert_eq!(snmp.tcp_max_conn(), Some(-1));
        assert_eq!(netstat.tcp_max_conn(), None);
    }

    #[test]
    fn errors_name_the_proto() {
        assert_errors(
            parse,
            "net/snmp",
            &[
                ("", "empty"),
                ("Ip: Forwarding\nIp: 1", "newline"),
                ("Ip: Forwarding\n", "Ip"),
                ("Ip: Forwarding\nIp: 1 2\n", "Ip"),
                ("Ip: Forwarding DefaultTTL\nIp: 1\n", "Ip"),
                ("Ip: Forwarding\nIp: 1\nTcp: A\nUdp: 1\n", "Tcp"),
                ("Ip: Forwarding\nIp: 1\nTcp: A\nTcp: x\n", "Tcp"),
                ("Ip: Forwarding\nIp: 1\nTcp: A\nTcp: +1\n", "Tcp"),
                ("Ip: Forwarding\nIp: 1\nNew: A\nNew: 1 2\n", "proto"),
                ("Ip: Forwarding\nIp: 1\nno colon\n", "proto"),
                ("Tcp: MaxConn\nTcp: -1\n", "Ip Forwarding"),
            ],
        );
        assert_eq!(
            parse_netstat(SNMP).unwrap_err(),
            Error::parse("net/netstat", "TcpExt SyncookiesSent")
        );
        let wrapped = parse(b"Ip: Forwarding\nIp: 18446744073709551615\n").unwrap();
        assert_eq!(
            (wrapped.ip_forwarding(), wrapped.get(b"Ip", b"Forwarding")),
            (Some(u64::MAX), Some(-1))
        );
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(s) = parse(&bytes) {
                prop_assert!(s.iter().count() >= 1);
            }
            let _ = parse_netstat(&bytes);
        }
    }
}
