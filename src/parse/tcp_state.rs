//! TCP connection states as the kernel numbers them, and counts of sockets per state.
//!
//! Shared by the two ways of listing TCP sockets: the text of `/proc/net/tcp{,6}`
//! ([`net_tcp`](crate::parse::net_tcp), whose `st` column is the state in hex) and the binary
//! replies of a `NETLINK_SOCK_DIAG` dump ([`inet_diag`](crate::parse::inet_diag), whose
//! `idiag_state` byte is the same number).
//!
//! The numbers are those of the kernel's `include/net/tcp_states.h`, 1 to 11. Two more exist
//! inside the kernel but never reach userspace through either interface: `TCP_NEW_SYN_RECV` (12)
//! is printed and dumped as `SYN_RECV` (both `get_openreq4` and `tcp_req_diag_fill` write
//! `TCP_SYN_RECV`), and the inet_diag pseudo-state `TCP_BOUND_INACTIVE` (13) only selects
//! bound-only sockets in a request's state mask; they are reported as `CLOSE`. A number outside
//! 1..=11 is therefore not a [`TcpState`]; [`StateCounts`] counts such sockets apart, in
//! [`StateCounts::other`].
//!
//! ```
//! use procfast::parse::tcp_state::{StateCounts, TcpState};
//!
//! assert_eq!(TcpState::from_kernel(0x0A), Some(TcpState::Listen));
//! assert_eq!(TcpState::TimeWait.name(), "TIME_WAIT");
//! assert_eq!(TcpState::from_kernel(12), None);
//!
//! let mut counts = StateCounts::new();
//! for st in [1, 1, 10, 6] {
//!     counts.record(st);
//! }
//! let mut more = StateCounts::new();
//! more.record(1);
//! counts.add(more);
//! assert_eq!((counts.get(TcpState::Established), counts.total()), (3, 5));
//! let nonzero: Vec<_> = counts.iter().filter(|&(_, n)| n > 0).map(|(s, _)| s.name()).collect();
//! assert_eq!(nonzero, ["ESTABLISHED", "TIME_WAIT", "LISTEN"]);
//! ```

use core::fmt;

/// A TCP connection state, numbered as in the kernel's `tcp_states.h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum TcpState {
    /// `TCP_ESTABLISHED` (1): the connection is open.
    Established = 1,
    /// `TCP_SYN_SENT` (2): `connect` sent a SYN and waits for the answer.
    SynSent = 2,
    /// `TCP_SYN_RECV` (3): a SYN was received and answered (a connection request of a listener).
    SynRecv = 3,
    /// `TCP_FIN_WAIT1` (4): this side closed first and waits for the FIN to be acknowledged.
    FinWait1 = 4,
    /// `TCP_FIN_WAIT2` (5): this side's FIN was acknowledged; waiting for the peer's FIN.
    FinWait2 = 5,
    /// `TCP_TIME_WAIT` (6): closed, waiting for stray segments to expire (2 × MSL).
    TimeWait = 6,
    /// `TCP_CLOSE` (7): closed, or bound but not yet listening or connecting.
    Close = 7,
    /// `TCP_CLOSE_WAIT` (8): the peer closed; this side has not closed yet.
    CloseWait = 8,
    /// `TCP_LAST_ACK` (9): both closed, the peer closing first; waiting for the last ACK.
    LastAck = 9,
    /// `TCP_LISTEN` (10): a listening socket.
    Listen = 10,
    /// `TCP_CLOSING` (11): both sides closed at once; waiting for the ACK of this side's FIN.
    Closing = 11,
}

impl TcpState {
    /// Every state, in kernel order (1 to 11).
    pub const ALL: [TcpState; 11] = [
        TcpState::Established,
        TcpState::SynSent,
        TcpState::SynRecv,
        TcpState::FinWait1,
        TcpState::FinWait2,
        TcpState::TimeWait,
        TcpState::Close,
        TcpState::CloseWait,
        TcpState::LastAck,
        TcpState::Listen,
        TcpState::Closing,
    ];

    /// The inet_diag state mask (`idiag_states`, bit `1 << state`) selecting every state of
    /// [`TcpState::ALL`]: `0xFFE`.
    pub const ALL_MASK: u32 = 0xFFE;

    /// The state the kernel numbers `state`; `None` outside 1..=11.
    #[inline]
    pub const fn from_kernel(state: u8) -> Option<TcpState> {
        match state {
            1 => Some(TcpState::Established),
            2 => Some(TcpState::SynSent),
            3 => Some(TcpState::SynRecv),
            4 => Some(TcpState::FinWait1),
            5 => Some(TcpState::FinWait2),
            6 => Some(TcpState::TimeWait),
            7 => Some(TcpState::Close),
            8 => Some(TcpState::CloseWait),
            9 => Some(TcpState::LastAck),
            10 => Some(TcpState::Listen),
            11 => Some(TcpState::Closing),
            _ => None,
        }
    }

    /// The kernel's number of this state (`TcpState::Listen.kernel() == 10`).
    #[inline]
    pub const fn kernel(self) -> u8 {
        self as u8
    }

    /// This state's bit in an inet_diag state mask: `1 << state`.
    #[inline]
    pub const fn mask(self) -> u32 {
        1 << self as u32
    }

    /// The upper-case name with underscores, as the kernel's `TCP_*` constants without the prefix
    /// and as JSON exporters spell it: `"ESTABLISHED"`, `"SYN_SENT"`, `"SYN_RECV"`,
    /// `"FIN_WAIT1"`, `"FIN_WAIT2"`, `"TIME_WAIT"`, `"CLOSE"`, `"CLOSE_WAIT"`, `"LAST_ACK"`,
    /// `"LISTEN"`, `"CLOSING"`. (The text output of `ss` abbreviates differently: `ESTAB`,
    /// `SYN-SENT`, `UNCONN`, …)
    pub const fn name(self) -> &'static str {
        match self {
            TcpState::Established => "ESTABLISHED",
            TcpState::SynSent => "SYN_SENT",
            TcpState::SynRecv => "SYN_RECV",
            TcpState::FinWait1 => "FIN_WAIT1",
            TcpState::FinWait2 => "FIN_WAIT2",
            TcpState::TimeWait => "TIME_WAIT",
            TcpState::Close => "CLOSE",
            TcpState::CloseWait => "CLOSE_WAIT",
            TcpState::LastAck => "LAST_ACK",
            TcpState::Listen => "LISTEN",
            TcpState::Closing => "CLOSING",
        }
    }

    /// Position in [`TcpState::ALL`] and in the counts of [`StateCounts`].
    #[inline]
    const fn index(self) -> usize {
        self as usize - 1
    }
}

impl fmt::Display for TcpState {
    /// Writes [`TcpState::name`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How many sockets are in each state: a plain `Copy` array of counters, filled by
/// [`net_tcp::count_states`](crate::parse::net_tcp::count_states) and
/// [`inet_diag::count_states`](crate::parse::inet_diag::count_states) and summed over the pieces
/// of a file or the datagrams of a dump with [`StateCounts::add`].
///
/// Sockets whose state number is not a [`TcpState`] are counted in [`StateCounts::other`];
/// [`StateCounts::total`] includes them. Counters saturate at `u64::MAX` rather than wrap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StateCounts {
    counts: [u64; 11],
    other: u64,
}

impl StateCounts {
    /// All counts zero.
    pub const fn new() -> StateCounts {
        StateCounts {
            counts: [0; 11],
            other: 0,
        }
    }

    /// Counts one socket in kernel state `state` (1 to 11; anything else goes to
    /// [`StateCounts::other`]).
    #[inline]
    pub fn record(&mut self, state: u8) {
        let slot = match TcpState::from_kernel(state) {
            Some(known) => self.counts.get_mut(known.index()),
            None => None,
        };
        let slot = slot.unwrap_or(&mut self.other);
        *slot = slot.saturating_add(1);
    }

    /// The number of sockets in `state`.
    #[inline]
    pub fn get(&self, state: TcpState) -> u64 {
        self.counts.get(state.index()).copied().unwrap_or(0)
    }

    /// The number of sockets whose state number is not a [`TcpState`] (none from any kernel so
    /// far).
    #[inline]
    pub fn other(&self) -> u64 {
        self.other
    }

    /// The number of sockets counted, in any state, [`StateCounts::other`] included.
    pub fn total(&self) -> u64 {
        self.counts
            .iter()
            .fold(self.other, |sum, &n| sum.saturating_add(n))
    }

    /// Adds every count of `other` to this one: the sum of two pieces of a file, or of two
    /// datagrams of a dump.
    pub fn add(&mut self, other: StateCounts) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine = mine.saturating_add(theirs);
        }
        self.other = self.other.saturating_add(other.other);
    }

    /// `(state, count)` for every [`TcpState`] in kernel order, zero counts included.
    pub fn iter(&self) -> Iter {
        Iter {
            states: TcpState::ALL.iter(),
            counts: self.counts,
        }
    }
}

impl IntoIterator for StateCounts {
    type Item = (TcpState, u64);
    type IntoIter = Iter;

    /// The same as [`StateCounts::iter`].
    fn into_iter(self) -> Iter {
        self.iter()
    }
}

impl IntoIterator for &StateCounts {
    type Item = (TcpState, u64);
    type IntoIter = Iter;

    /// The same as [`StateCounts::iter`].
    fn into_iter(self) -> Iter {
        self.iter()
    }
}

/// Iterator over the `(state, count)` pairs of a [`StateCounts`], in kernel order.
#[derive(Clone, Debug)]
pub struct Iter {
    states: core::slice::Iter<'static, TcpState>,
    counts: [u64; 11],
}

impl Iterator for Iter {
    type Item = (TcpState, u64);

    fn next(&mut self) -> Option<(TcpState, u64)> {
        let &state = self.states.next()?;
        Some((state, self.counts.get(state.index()).copied().unwrap_or(0)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.states.size_hint()
    }
}

impl ExactSizeIterator for Iter {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbering_round_trips() {
        for (i, state) in TcpState::ALL.into_iter().enumerate() {
            assert_eq!(usize::from(state.kernel()), i + 1);
            assert_eq!(TcpState::from_kernel(state.kernel()), Some(state));
            assert_eq!(state.mask(), 1 << (i + 1));
            assert_eq!(state.to_string(), state.name());
        }
        assert_eq!(
            TcpState::ALL.iter().fold(0, |m, s| m | s.mask()),
            TcpState::ALL_MASK
        );
        for n in [0u8, 12, 13, 14, 255] {
            assert_eq!(TcpState::from_kernel(n), None);
        }
    }

    #[test]
    fn counts_add_and_saturate() {
        let mut a = StateCounts::new();
        for st in 0..=255u8 {
            a.record(st);
        }
        assert_eq!((a.total(), a.other()), (256, 245));
        assert!(a.iter().all(|(_, n)| n == 1));
        assert_eq!(a.iter().len(), 11);
        let mut b = a;
        b.add(a);
        assert_eq!((b.get(TcpState::Closing), b.total()), (2, 512));
        let mut max = StateCounts {
            counts: [u64::MAX; 11],
            other: u64::MAX,
        };
        max.record(1);
        max.add(b);
        assert_eq!(
            (max.get(TcpState::Established), max.total()),
            (u64::MAX, u64::MAX)
        );
        assert_eq!(StateCounts::default(), StateCounts::new());
    }
}
