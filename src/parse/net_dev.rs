//! `/proc/net/dev` (and `/proc/<pid>/net/dev`): traffic counters per network interface.
//!
//! ```text
//! Inter-|   Receive                                                |  Transmit
//!  face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
//!     lo:    3193      29    0    0    0     0          0         0     3193      29    0    0    0     0       0          0
//!   eth0: 57604033    2951    0    0    0     0          0         0   228931    2020    0    0    0     0       0          0
//! ```
//!
//! Two header lines, then one line per interface of a network namespace: for `/proc/<pid>/net/dev`
//! that of process `pid`, for `/proc/net/dev` that of the reader (`net` links to `self/net`),
//! which is why the two can differ. On each line the name right-aligned before a colon,
//! then 8 receive and 8 transmit counters. Names cannot contain `:` or blanks, so the line splits
//! at its first colon; old kernels printed no space after the colon once a counter outgrew its
//! column (`eth0:123456789012`), which this parser accepts too. Counters a future kernel appends
//! are ignored.
//!
//! [`parse`] validates every line up front, so iterating over [`NetDev::interfaces`] cannot fail;
//! it re-reads each line from the borrowed bytes instead of storing rows anywhere.
//!
//! ```
//! use procfast::parse::net_dev;
//!
//! # let text = include_bytes!("../../tests/fixtures/net_dev");
//! let dev = net_dev::parse(text)?;
//! let eth0 = dev.get(b"eth0").expect("eth0 is there");
//! assert_eq!((eth0.rx_bytes, eth0.tx_packets), (57604033, 2020));
//! assert_eq!(dev.interfaces().map(|i| i.name).collect::<Vec<_>>(), [&b"lo"[..], b"ifb0", b"ifb1", b"eth0"]);
//! # Ok::<(), procfast::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::parse::text;

const FILE: &str = "net/dev";

/// The counters of one interface, as the kernel's `rtnl_link_stats64` reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Interface<'a> {
    /// The interface name (`lo`, `eth0`, …), without padding or colon.
    pub name: &'a [u8],
    /// Bytes received.
    pub rx_bytes: u64,
    /// Packets received.
    pub rx_packets: u64,
    /// Receive errors (of all kinds).
    pub rx_errs: u64,
    /// Received packets dropped (no buffer space, unknown protocol, …).
    pub rx_drop: u64,
    /// Receive FIFO overruns.
    pub rx_fifo: u64,
    /// Frame alignment, length and CRC errors.
    pub rx_frame: u64,
    /// Compressed packets received.
    pub rx_compressed: u64,
    /// Multicast packets received.
    pub rx_multicast: u64,
    /// Bytes transmitted.
    pub tx_bytes: u64,
    /// Packets transmitted.
    pub tx_packets: u64,
    /// Transmit errors.
    pub tx_errs: u64,
    /// Packets dropped on transmit.
    pub tx_drop: u64,
    /// Transmit FIFO underruns.
    pub tx_fifo: u64,
    /// Collisions.
    pub tx_colls: u64,
    /// Carrier, aborted, window and heartbeat errors.
    pub tx_carrier: u64,
    /// Compressed packets transmitted.
    pub tx_compressed: u64,
}

impl Interface<'_> {
    /// The sixteen counters in the file's column order: `rx_bytes` … `rx_multicast`, then
    /// `tx_bytes` … `tx_compressed`.
    pub fn counters(&self) -> [u64; 16] {
        [
            self.rx_bytes,
            self.rx_packets,
            self.rx_errs,
            self.rx_drop,
            self.rx_fifo,
            self.rx_frame,
            self.rx_compressed,
            self.rx_multicast,
            self.tx_bytes,
            self.tx_packets,
            self.tx_errs,
            self.tx_drop,
            self.tx_fifo,
            self.tx_colls,
            self.tx_carrier,
            self.tx_compressed,
        ]
    }
}

const COUNTERS: [&str; 16] = [
    "rx_bytes",
    "rx_packets",
    "rx_errs",
    "rx_drop",
    "rx_fifo",
    "rx_frame",
    "rx_compressed",
    "rx_multicast",
    "tx_bytes",
    "tx_packets",
    "tx_errs",
    "tx_drop",
    "tx_fifo",
    "tx_colls",
    "tx_carrier",
    "tx_compressed",
];

fn interface(line: &[u8]) -> Result<Interface<'_>> {
    let (name, counters) = text::split_once(text::trim_start(line), b':')
        .filter(|(name, _)| !name.is_empty())
        .ok_or(Error::parse(FILE, "face"))?;
    let mut rest = counters;
    let mut v = [0u64; 16];
    for (slot, field) in v.iter_mut().zip(COUNTERS) {
        *slot = text::next_u64(&mut rest)
            .ok()
            .flatten()
            .ok_or(Error::parse(FILE, field))?;
    }
    let [rx_bytes, rx_packets, rx_errs, rx_drop, rx_fifo, rx_frame, rx_compressed, rx_multicast, tx_bytes, tx_packets, tx_errs, tx_drop, tx_fifo, tx_colls, tx_carrier, tx_compressed] =
        v;
    Ok(Interface {
        name,
        rx_bytes,
        rx_packets,
        rx_errs,
        rx_drop,
        rx_fifo,
        rx_frame,
        rx_compressed,
        rx_multicast,
        tx_bytes,
        tx_packets,
        tx_errs,
        tx_drop,
        tx_fifo,
        tx_colls,
        tx_carrier,
        tx_compressed,
    })
}

/// A validated `/proc/net/dev`; see [`NetDev::interfaces`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetDev<'a> {
    /// The interface lines, after the two header lines (possibly none).
    rows: Option<&'a [u8]>,
    len: usize,
}

/// Parses and validates the bytes of `/proc/net/dev` or `/proc/<pid>/net/dev`.
///
/// Errors: `header` if either header line is missing (they hold a `|`), `face` for a line without
/// `name:`, else the counter that is missing or malformed (`rx_bytes` … `tx_compressed`).
pub fn parse(buf: &[u8]) -> Result<NetDev<'_>> {
    let body = text::body(buf, FILE)?;
    let header = Error::parse(FILE, "header");
    let (first, rest) = text::split_once(body, b'\n').unwrap_or((body, b""));
    let rows = match text::split_once(rest, b'\n') {
        Some((second, rows)) if memchr::memchr(b'|', second).is_some() => Some(rows),
        None if memchr::memchr(b'|', rest).is_some() => None,
        _ => return Err(header),
    };
    if memchr::memchr(b'|', first).is_none() {
        return Err(header);
    }
    let mut len = 0;
    for line in rows.map(text::lines).into_iter().flatten() {
        interface(line)?;
        len += 1;
    }
    Ok(NetDev { rows, len })
}

impl<'a> NetDev<'a> {
    /// The interfaces in file order.
    pub fn interfaces(&self) -> Interfaces<'a> {
        Interfaces {
            lines: self.rows.map(text::lines),
        }
    }

    /// The interface called `name`, if listed.
    pub fn get(&self, name: &[u8]) -> Option<Interface<'a>> {
        self.interfaces().find(|i| i.name == name)
    }

    /// Number of interfaces.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if no interface is listed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Iterator over the interfaces of a [`NetDev`].
#[derive(Clone, Debug)]
pub struct Interfaces<'a> {
    lines: Option<text::Lines<'a>>,
}

impl<'a> Iterator for Interfaces<'a> {
    type Item = Interface<'a>;

    fn next(&mut self) -> Option<Interface<'a>> {
        // Every line was validated by `parse`; should one fail anyway, iteration just ends.
        interface(self.lines.as_mut()?.next()?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// This machine's `/proc/1/net/dev`.
    const REAL: &[u8] = b"Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    3193      29    0    0    0     0          0         0     3193      29    0    0    0     0       0          0
  ifb0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  ifb1:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  eth0: 57604033    2951    0    0    0     0          0         0   228931    2020    0    0    0     0       0          0
";

    const HEADER: &str = "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n";

    #[test]
    fn real_file() {
        let dev = parse(REAL).unwrap();
        assert_eq!((dev.len(), dev.is_empty()), (4, false));
        let lo = dev.get(b"lo").unwrap();
        assert_eq!(
            (lo.rx_bytes, lo.rx_packets, lo.tx_bytes, lo.tx_packets),
            (3193, 29, 3193, 29)
        );
        let eth0 = dev.interfaces().last().unwrap();
        assert_eq!(eth0.name, b"eth0");
        assert_eq!(
            (
                eth0.rx_bytes,
                eth0.rx_packets,
                eth0.tx_bytes,
                eth0.tx_packets
            ),
            (57604033, 2951, 228931, 2020)
        );
        assert_eq!(dev.get(b"eth1"), None);
    }

    #[test]
    fn no_interfaces_glued_counters_and_extra_columns() {
        let empty = parse(HEADER.as_bytes()).unwrap();
        assert!(empty.is_empty() && empty.interfaces().next().is_none());
        // 2.6-era output: "%6s:%8llu" glues a wide counter to the colon. A future 17th column.
        let text = format!("{HEADER}veth-a1:123456789012 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 99\n");
        let dev = parse(text.as_bytes()).unwrap();
        let veth = dev.interfaces().next().unwrap();
        assert_eq!(
            (
                veth.name,
                veth.rx_bytes,
                veth.rx_packets,
                veth.tx_compressed
            ),
            (&b"veth-a1"[..], 123456789012, 1, 15)
        );
    }

    #[test]
    fn errors_name_the_field() {
        let err = |text: &str| parse(text.as_bytes()).unwrap_err();
        assert_eq!(parse(b""), Err(Error::parse(FILE, "empty")));
        assert_eq!(
            parse(&REAL[..REAL.len() - 1]),
            Err(Error::parse(FILE, "newline"))
        );
        assert_eq!(
            err("lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"),
            Error::parse(FILE, "header")
        );
        assert_eq!(err("Inter-|\n"), Error::parse(FILE, "header"));
        assert_eq!(
            err(&format!("{HEADER}lo 1 2\n")),
            Error::parse(FILE, "face")
        );
        assert_eq!(
            err(&format!("{HEADER}  : 1 2\n")),
            Error::parse(FILE, "face")
        );
        assert_eq!(
            err(&format!("{HEADER}lo: 1 2 3\n")),
            Error::parse(FILE, "rx_drop")
        );
        assert_eq!(
            err(&format!(
                "{HEADER}lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n"
            )),
            Error::parse(FILE, "tx_compressed")
        );
        assert_eq!(
            err(&format!(
                "{HEADER}lo: 1 2 3 4 5 6 7 8 x 10 11 12 13 14 15 16\n"
            )),
            Error::parse(FILE, "tx_bytes")
        );
        assert_eq!(
            err(&format!(
                "{HEADER}lo: 18446744073709551616 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
            )),
            Error::parse(FILE, "rx_bytes")
        );
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok(dev) = parse(&bytes) {
                prop_assert_eq!(dev.interfaces().count(), dev.len());
            }
        }
    }
}
