//! `/proc/net/sockstat` and `/proc/net/sockstat6`: socket counts per protocol.
//!
//! ```text
//! sockets: used 14                                 ← /proc/net/sockstat
//! TCP: inuse 1 orphan 0 tw 0 alloc 1 mem 201       ← mem is in pages
//! UDP: inuse 0 mem 0
//! UDPLITE: inuse 0
//! RAW: inuse 0
//! FRAG: inuse 0 memory 0                           ← memory is in bytes
//!
//! TCP6: inuse 0                                    ← /proc/net/sockstat6
//! UDP6: inuse 0
//! UDPLITE6: inuse 0
//! RAW6: inuse 0
//! FRAG6: inuse 0 memory 0
//! ```
//!
//! Each line is `PROTOCOL:` followed by `key value` pairs. Both files are for the reader's network
//! namespace, except `sockets used`, `TCP orphan/tw/alloc` and `mem`, which are host-wide. One
//! [`Sockstat`] type holds either file: [`parse`] reads `sockstat` (and requires `sockets used`),
//! [`parse6`] reads `sockstat6` (and requires `TCP6 inuse`); the counters the file does not have
//! are `None`. [`Sockstat::iter`] yields every `(protocol, key, value)` triple, known or not, for
//! exporters that publish them all.
//!
//! ```
//! let text = b"sockets: used 14\nTCP: inuse 1 orphan 0 tw 0 alloc 1 mem 201\nUDP: inuse 0 mem 0\n";
//! let s = procfast::parse::sockstat::parse(text)?;
//! assert_eq!((s.sockets_used(), s.tcp_inuse(), s.tcp_mem_pages()), (Some(14), Some(1), Some(201)));
//! assert_eq!(s.tcp_mem_bytes(4096), Some(201 * 4096));
//! assert_eq!(s.tcp6_inuse(), None); // that is in sockstat6
//! # Ok::<(), procfast::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::parse::figures::Figures;
use crate::parse::num::u64_dec;
use crate::parse::text;

macro_rules! counters {
    ($( $variant:ident $proto:literal $key:literal $method:ident $doc:literal; )*) => {
        #[derive(Clone, Copy)]
        enum Counter { $($variant,)* }

        const COUNTERS: &[(Counter, &[u8], &[u8], &str)] = &[
            $((Counter::$variant, $proto.as_bytes(), $key.as_bytes(), concat!($proto, " ", $key)),)*
        ];

        impl Sockstat<'_> {
            $(
                #[doc = concat!("`", $proto, ": ", $key, "`: ", $doc)]
                pub fn $method(&self) -> Option<u64> {
                    self.get_counter(Counter::$variant)
                }
            )*
        }
    };
}

counters! {
    SocketsUsed "sockets" "used" sockets_used "sockets allocated, host-wide, all families.";
    TcpInuse "TCP" "inuse" tcp_inuse "IPv4 TCP sockets in use (listening and connected).";
    TcpOrphan "TCP" "orphan" tcp_orphan "TCP sockets no longer attached to a file descriptor, host-wide.";
    TcpTw "TCP" "tw" tcp_tw "TCP sockets in TIME_WAIT, host-wide.";
    TcpAlloc "TCP" "alloc" tcp_alloc "TCP sockets allocated (all states, IPv4 and IPv6), host-wide.";
    TcpMem "TCP" "mem" tcp_mem_pages "pages used by TCP buffers, host-wide; see `tcp_mem_bytes`.";
    UdpInuse "UDP" "inuse" udp_inuse "IPv4 UDP sockets in use.";
    UdpMem "UDP" "mem" udp_mem_pages "pages used by UDP buffers, host-wide; see `udp_mem_bytes`.";
    UdpliteInuse "UDPLITE" "inuse" udplite_inuse "IPv4 UDP-Lite sockets in use.";
    RawInuse "RAW" "inuse" raw_inuse "IPv4 raw sockets in use.";
    FragInuse "FRAG" "inuse" frag_inuse "IPv4 reassembly queues in use.";
    FragMemory "FRAG" "memory" frag_memory_bytes "bytes held by IPv4 reassembly.";
    Tcp6Inuse "TCP6" "inuse" tcp6_inuse "IPv6 TCP sockets in use.";
    Udp6Inuse "UDP6" "inuse" udp6_inuse "IPv6 UDP sockets in use.";
    Udplite6Inuse "UDPLITE6" "inuse" udplite6_inuse "IPv6 UDP-Lite sockets in use.";
    Raw6Inuse "RAW6" "inuse" raw6_inuse "IPv6 raw sockets in use.";
    Frag6Inuse "FRAG6" "inuse" frag6_inuse "IPv6 reassembly queues in use.";
    Frag6Memory "FRAG6" "memory" frag6_memory_bytes "bytes held by IPv6 reassembly.";
}

/// The parsed `/proc/net/sockstat` or `/proc/net/sockstat6`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sockstat<'a> {
    body: &'a [u8],
    figures: Figures<u64, { COUNTERS.len() }>,
}

/// Parses the bytes of `/proc/net/sockstat`; errors name the file `net/sockstat` and the field as
/// `"PROTOCOL key"` (`"TCP inuse"`).
pub fn parse(buf: &[u8]) -> Result<Sockstat<'_>> {
    parse_file(buf, "net/sockstat", Counter::SocketsUsed)
}

/// Parses the bytes of `/proc/net/sockstat6`; errors name the file `net/sockstat6`.
pub fn parse6(buf: &[u8]) -> Result<Sockstat<'_>> {
    parse_file(buf, "net/sockstat6", Counter::Tcp6Inuse)
}

fn parse_file<'a>(buf: &'a [u8], file: &'static str, required: Counter) -> Result<Sockstat<'a>> {
    let body = text::body(buf, file)?;
    let mut stat = Sockstat {
        body,
        figures: Figures::new(),
    };
    for (proto, key, value) in stat.iter() {
        let known = COUNTERS
            .iter()
            .find(|(_, p, k, _)| *p == proto && *k == key);
        let Some(&(counter, _, _, name)) = known else {
            continue;
        };
        if !u64_dec(value).is_some_and(|parsed| stat.figures.set(counter as usize, parsed)) {
            return Err(Error::parse(file, name));
        }
    }
    if stat.get_counter(required).is_none() {
        let name = COUNTERS.get(required as usize).map_or("", |c| c.3);
        return Err(Error::parse(file, name));
    }
    Ok(stat)
}

impl<'a> Sockstat<'a> {
    fn get_counter(&self, counter: Counter) -> Option<u64> {
        self.figures.get(counter as usize)
    }

    /// `TCP: mem` in bytes, given `sysconf(_SC_PAGESIZE)`; saturates at `u64::MAX`.
    pub fn tcp_mem_bytes(&self, page_size: u64) -> Option<u64> {
        self.tcp_mem_pages().map(|p| p.saturating_mul(page_size))
    }

    /// `UDP: mem` in bytes, given `sysconf(_SC_PAGESIZE)`; saturates at `u64::MAX`.
    pub fn udp_mem_bytes(&self, page_size: u64) -> Option<u64> {
        self.udp_mem_pages().map(|p| p.saturating_mul(page_size))
    }

    /// The value of `protocol`'s `key` (`get(b"TCP", b"tw")`), known or not; `None` if absent or
    /// not a decimal number. A linear scan.
    pub fn get(&self, protocol: &[u8], key: &[u8]) -> Option<u64> {
        self.iter()
            .find(|&(p, k, _)| p == protocol && k == key)
            .and_then(|(_, _, v)| u64_dec(v))
    }

    /// Every `(protocol, key, value)` triple in file order: `(b"TCP", b"inuse", b"1")`. A key
    /// without a value is yielded with an empty value.
    pub fn iter(&self) -> Triples<'a> {
        Triples {
            lines: text::lines(self.body),
            proto: b"",
            words: text::words(b""),
        }
    }
}

/// Iterator over the `(protocol, key, value)` triples of a [`Sockstat`].
#[derive(Clone, Debug)]
pub struct Triples<'a> {
    lines: text::Lines<'a>,
    proto: &'a [u8],
    words: text::Words<'a>,
}

impl<'a> Iterator for Triples<'a> {
    type Item = (&'a [u8], &'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(key) = self.words.next() {
                return Some((self.proto, key, self.words.next().unwrap_or_default()));
            }
            // Lines without a colon are skipped.
            if let Some((proto, pairs)) = text::split_once(self.lines.next()?, b':') {
                self.proto = proto;
                self.words = text::words(pairs);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testing::assert_errors;
    use proptest::prelude::*;

    /// This machine's `/proc/net/sockstat` and `/proc/net/sockstat6`.
    const REAL: &[u8] = b"sockets: used 14
TCP: inuse 1 orphan 0 tw 0 alloc 1 mem 201
UDP: inuse 0 mem 0
UDPLITE: inuse 0
RAW: inuse 0
FRAG: inuse 0 memory 0
";
    const REAL6: &[u8] = b"TCP6: inuse 0
UDP6: inuse 0
UDPLITE6: inuse 0
RAW6: inuse 0
FRAG6: inuse 0 memory 0
";

    #[test]
    fn real_files() {
        let s = parse(REAL).unwrap();
        assert_eq!(
            (s.sockets_used(), s.tcp_inuse(), s.tcp_orphan(), s.tcp_tw()),
            (Some(14), Some(1), Some(0), Some(0))
        );
        assert_eq!(
            (
                s.tcp_alloc(),
                s.tcp_mem_pages(),
                s.udp_inuse(),
                s.udp_mem_pages()
            ),
            (Some(1), Some(201), Some(0), Some(0))
        );
        assert_eq!(
            (
                s.udplite_inuse(),
                s.raw_inuse(),
                s.frag_inuse(),
                s.frag_memory_bytes()
            ),
            (Some(0), Some(0), Some(0), Some(0))
        );
        assert_eq!((s.tcp6_inuse(), s.frag6_memory_bytes()), (None, None));
        assert_eq!(s.get(b"TCP", b"mem"), Some(201));
        assert_eq!(s.iter().count(), 12);
        let s6 = parse6(REAL6).unwrap();
        assert_eq!(
            (s6.tcp6_inuse(), s6.udp6_inuse(), s6.udplite6_inuse()),
            (Some(0), Some(0), Some(0))
        );
        assert_eq!(
            (s6.raw6_inuse(), s6.frag6_inuse(), s6.frag6_memory_bytes()),
            (Some(0), Some(0), Some(0))
        );
        assert_eq!((s6.sockets_used(), s6.tcp_inuse()), (None, None));
        assert_eq!(
            s6.iter().nth(5),
            Some((&b"FRAG6"[..], &b"memory"[..], &b"0"[..]))
        );
    }

    #[test]
    fn unknown_protocols_and_keys_are_kept_but_not_parsed() {
        let text = b"sockets: used 3\nTCP: inuse 2 future x mem 9\nno colon\nMPTCP: inuse 4\n";
        let s = parse(text).unwrap();
        assert_eq!(
            (s.tcp_inuse(), s.tcp_mem_bytes(4096), s.udp_inuse()),
            (Some(2), Some(9 * 4096), None)
        );
        assert_eq!(s.get(b"MPTCP", b"inuse"), Some(4));
        assert_eq!(s.get(b"TCP", b"future"), None);
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(parse(b""), Err(Error::parse("net/sockstat", "empty")));
        assert_eq!(
            parse6(b"TCP6: inuse 0"),
            Err(Error::parse("net/sockstat6", "newline"))
        );
        assert_eq!(
            parse(REAL6),
            Err(Error::parse("net/sockstat", "sockets used"))
        );
        assert_eq!(
            parse6(REAL),
            Err(Error::parse("net/sockstat6", "TCP6 inuse"))
        );
        assert_errors(
            parse,
            "net/sockstat",
            &[
                ("sockets: used 1\nTCP: inuse 1 orphan -1\n", "TCP orphan"),
                ("sockets: used 1\nUDP: inuse 1 mem\n", "UDP mem"),
                ("sockets: used 99999999999999999999\n", "sockets used"),
            ],
        );
        assert_eq!(
            parse6(b"TCP6: inuse 0\nFRAG6: inuse 0 memory 1.5\n"),
            Err(Error::parse("net/sockstat6", "FRAG6 memory"))
        );
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse(&bytes);
            let _ = parse6(&bytes);
        }
    }
}
