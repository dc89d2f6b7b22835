//! TCP connections by state: [`TcpCensus`], by `NETLINK_SOCK_DIAG` where the kernel allows it,
//! by `/proc/net/tcp{,6}` where it does not.

use crate::budget::{Budget, Stop};
use crate::error::{errno_error, Error, Result};
use crate::parse::inet_diag::{self, Message, AF_INET, AF_INET6};
use crate::parse::net_tcp;
use crate::parse::tcp_state::StateCounts;
use crate::proc::{Proc, ProcFs};
use crate::sys::{self, Beneath, Errno};
use core::ops::ControlFlow;
use rustix::fd::{AsFd, OwnedFd};

/// How a [`TcpCensus`] took its count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TcpMethod {
    /// A `NETLINK_SOCK_DIAG` dump of IPv4 and IPv6 TCP sockets: binary records, no text.
    Netlink,
    /// `/proc/net/tcp` and `/proc/net/tcp6`, parsed without allocation: where netlink is refused
    /// (a seccomp profile, an SELinux policy) or asked for.
    Proc,
}

impl TcpMethod {
    /// `"netlink"` or `"proc"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TcpMethod::Netlink => "netlink",
            TcpMethod::Proc => "proc",
        }
    }
}

/// What a census counted: sockets per state, how, and whether it saw them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpCount {
    /// Sockets per state (IPv4 and IPv6 together).
    pub states: StateCounts,
    /// How they were counted.
    pub method: TcpMethod,
    /// `None` if the census saw every socket; otherwise why it stopped (the counts are then
    /// lower bounds).
    pub stopped: Option<Stop>,
}

impl TcpCount {
    /// No socket counted yet, by `method`: where a census starts.
    fn nothing_yet(method: TcpMethod) -> Self {
        TcpCount {
            states: StateCounts::default(),
            method,
            stopped: None,
        }
    }

    /// True if every socket was counted.
    pub fn is_complete(&self) -> bool {
        self.stopped.is_none()
    }
}

/// One socket as a census visits it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TcpSocket {
    /// The kernel's state number (see [`TcpState`](crate::parse::tcp_state::TcpState)).
    pub state: u8,
    /// The socket's inode, as in `socket:[inode]` of `/proc/<pid>/fd`; 0 for TIME_WAIT sockets
    /// and connection requests, which belong to no fd.
    pub inode: u32,
    /// The local port.
    pub local_port: u16,
    /// The remote port (0 for a listener).
    pub remote_port: u16,
}

/// The size of the reused receive buffer: a dump's datagrams are at most 32 KiB, and a read of
/// `/proc/net/tcp` returns at most a page.
const BUF: usize = 64 * 1024;

/// Counts the TCP connections of the caller's network namespace by state, fast and bounded.
///
/// One census is built once and asked again each scrape: a `NETLINK_SOCK_DIAG` socket (opened
/// in the thread that builds it, so in that thread's network namespace) and one receive buffer,
/// reused; a count allocates nothing. One dump (`TCPDIAG_GETSOCK`) covers IPv4 and IPv6 in a
/// single walk of the kernel's socket hash, where `ss` walks it once per family. Where the kernel refuses netlink, the census reads
/// `/proc/net/tcp` and `/proc/net/tcp6` instead, and [`TcpCount::method`] says so. For the O(1)
/// counters the kernel keeps (established, TIME_WAIT, orphans), read
/// [`System::sockstat`](crate::system::System::sockstat) and
/// [`System::snmp`](crate::system::System::snmp).
///
/// ```
/// use procfast::parse::tcp_state::TcpState;
/// use procfast::{Budget, TcpCensus};
///
/// let _listener = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let mut census = TcpCensus::open()?;
/// let count = census.count(&Budget::UNLIMITED)?;
/// assert!(count.is_complete() && count.states.get(TcpState::Listen) >= 1);
/// println!("{} by {}", count.states.total(), count.method.as_str());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TcpCensus {
    root: OwnedFd,
    /// The netlink socket; `None` once refused (then `refused` is set), or after a stopped dump
    /// (reopened on the next count).
    netlink: Option<OwnedFd>,
    refused: bool,
    buf: Vec<u8>,
    seq: u32,
    /// Socket inodes of one process, reused by [`TcpCensus::count_of`].
    inodes: Vec<u32>,
    /// Dump each family on its own (the kernel refused `TCPDIAG_GETSOCK`, or asked to).
    per_family: bool,
}

impl TcpCensus {
    /// A census of the caller's network namespace, falling back to `/proc/net/tcp{,6}` of
    /// `/proc` where netlink is refused.
    pub fn open() -> Result<TcpCensus> {
        TcpCensus::in_procfs(ProcFs::global()?)
    }

    /// As [`open`](TcpCensus::open), with the fallback read from the given procfs mount.
    pub fn in_procfs(procfs: &ProcFs) -> Result<TcpCensus> {
        let root = sys::reopen_dir(procfs.root()).map_err(|e| errno_error(e, "/proc"))?;
        let mut census = TcpCensus {
            root,
            netlink: None,
            refused: false,
            buf: vec![0; BUF],
            seq: 0,
            inodes: Vec::new(),
            per_family: false,
        };
        census.netlink = census.open_netlink()?;
        Ok(census)
    }

    /// This census, counting from `/proc/net/tcp{,6}` whether or not netlink is allowed.
    pub fn proc_only(mut self) -> TcpCensus {
        self.netlink = None;
        self.refused = true;
        self
    }

    /// This census, dumping IPv4 and IPv6 with a request each (`SOCK_DIAG_BY_FAMILY`, as `ss`
    /// does) rather than one `TCPDIAG_GETSOCK` for both; a kernel without the older request is
    /// asked this way anyway.
    pub fn per_family(mut self) -> TcpCensus {
        self.per_family = true;
        self
    }

    /// How the next count will be taken.
    pub fn method(&self) -> TcpMethod {
        if self.refused {
            TcpMethod::Proc
        } else {
            TcpMethod::Netlink
        }
    }

    /// A netlink socket, or `None` (and `refused` set) where the kernel will not give one.
    fn open_netlink(&mut self) -> Result<Option<OwnedFd>> {
        match sys::sock_diag_socket() {
            Ok(fd) => Ok(Some(fd)),
            Err(e) if refuses_netlink(e) => {
                self.refused = true;
                Ok(None)
            }
            Err(e) => Err(errno_error(e, "netlink")),
        }
    }

    /// Counts every TCP socket by state, within `budget` (`max_entries` counts sockets).
    pub fn count(&mut self, budget: &Budget) -> Result<TcpCount> {
        self.for_each(budget, |_| ControlFlow::Continue(()))
    }

    /// Visits every TCP socket (IPv4, then IPv6) until the end, the `budget` or the visitor's
    /// `Break`, and counts them by state.
    pub fn for_each(
        &mut self,
        budget: &Budget,
        mut visit: impl FnMut(&TcpSocket) -> ControlFlow<()>,
    ) -> Result<TcpCount> {
        let budget = budget.start();
        if !self.refused {
            match self.by_netlink(&budget, &mut visit) {
                // Allowed to open, refused to answer (an LSM hooks sendmsg): use /proc.
                Err(Error::Denied { file: "netlink" }) => {
                    self.netlink = None;
                    self.refused = true;
                }
                other => return other,
            }
        }
        self.by_proc(&budget, &mut visit)
    }

    /// The TCP sockets of one process by state: the socket inodes of its fd census joined with
    /// the dump. Costs a `readlinkat` per fd of the process on top of the dump; the inodes are
    /// kept in a buffer the census reuses. The budget bounds both walks.
    pub fn count_of(&mut self, proc: &mut Proc, budget: &Budget) -> Result<TcpCount> {
        let budget = budget.start();
        let mut inodes = core::mem::take(&mut self.inodes);
        inodes.clear();
        let walk = proc.for_each_fd_target(&budget, |_, target| {
            if let Some(inode) = crate::parse::fd_target::socket_inode(target) {
                // A dump carries the low 32 bits of an inode (socket inodes fit in them).
                inodes.push(inode as u32);
            }
            ControlFlow::Continue(())
        });
        let walk = match walk {
            Ok(walk) => walk,
            Err(e) => {
                self.inodes = inodes;
                return Err(e);
            }
        };
        inodes.sort_unstable();
        let mut mine = StateCounts::default();
        let counted = self.for_each(&budget, |socket| {
            if socket.inode != 0 && inodes.binary_search(&socket.inode).is_ok() {
                mine.record(socket.state);
            }
            ControlFlow::Continue(())
        });
        self.inodes = inodes;
        let counted = counted?;
        Ok(TcpCount {
            states: mine,
            method: counted.method,
            stopped: walk.stopped.or(counted.stopped),
        })
    }

    fn by_netlink(
        &mut self,
        budget: &Budget,
        visit: &mut impl FnMut(&TcpSocket) -> ControlFlow<()>,
    ) -> Result<TcpCount> {
        let mut count = TcpCount::nothing_yet(TcpMethod::Netlink);
        if self.netlink.is_none() {
            self.netlink = self.open_netlink()?;
        }
        let Some(socket) = self.netlink.take() else {
            return Err(Error::Denied { file: "netlink" });
        };
        let fd = socket.as_fd();
        // One walk of the kernel's hash for both families where the kernel takes the older
        // request; a walk per family where it does not.
        let families: &[u8] = if self.per_family {
            &[AF_INET, AF_INET6]
        } else {
            &[0]
        };
        for &family in families {
            self.seq = self.seq.wrapping_add(1);
            // Every state: bit n asks for state n.
            let sent = if family == 0 {
                let request = inet_diag::request_both_families(u32::MAX, self.seq);
                sys::netlink_send(fd, &request)
            } else {
                let request = inet_diag::request(family, u32::MAX, self.seq);
                sys::netlink_send(fd, &request)
            };
            sent.map_err(|e| errno_error(e, "netlink"))?;
            loop {
                let datagram =
                    sys::netlink_recv(fd, &mut self.buf).map_err(|e| errno_error(e, "netlink"))?;
                if datagram.is_empty() {
                    break;
                }
                let mut done = false;
                for message in inet_diag::messages(datagram) {
                    match message? {
                        Message::Socket(s) => {
                            if budget.entries_exhausted(count.states.total()) {
                                count.stopped = Some(Stop::Entries);
                                break;
                            }
                            count.states.record(s.state);
                            let socket = TcpSocket {
                                state: s.state,
                                inode: s.inode,
                                local_port: s.sport,
                                remote_port: s.dport,
                            };
                            if visit(&socket).is_break() {
                                count.stopped = Some(Stop::Visitor);
                                break;
                            }
                        }
                        Message::Done => {
                            done = true;
                            break;
                        }
                        // An address family the kernel lacks (no IPv6) has no sockets.
                        Message::Error(errno) if family == AF_INET6 && errno == libc::ENOENT => {
                            done = true;
                            break;
                        }
                        // A kernel without the older request: ask per family from now on.
                        Message::Error(_) if family == 0 && count.states.total() == 0 => {
                            self.per_family = true;
                            self.netlink = Some(socket);
                            return self.by_netlink(budget, visit);
                        }
                        Message::Error(errno) => {
                            return Err(Error::Io {
                                file: "netlink",
                                errno,
                            })
                        }
                    }
                }
                if count.stopped.is_none() && !done && budget.deadline_passed() {
                    count.stopped = Some(Stop::Deadline);
                }
                if count.stopped.is_some() {
                    // The rest of the dump is still queued on the socket: drop it with the
                    // socket, and open a fresh one next time.
                    return Ok(count);
                }
                if done {
                    break;
                }
            }
        }
        self.netlink = Some(socket);
        Ok(count)
    }

    fn by_proc(
        &mut self,
        budget: &Budget,
        visit: &mut impl FnMut(&TcpSocket) -> ControlFlow<()>,
    ) -> Result<TcpCount> {
        let mut count = TcpCount::nothing_yet(TcpMethod::Proc);
        for (path, name) in [(c"net/tcp", "net/tcp"), (c"net/tcp6", "net/tcp6")] {
            let file = match sys::openat_file(self.root.as_fd(), path, Beneath::Procfs) {
                Ok(fd) => fd,
                // No IPv6 in this kernel: no tcp6, and no sockets of it.
                Err(Errno::NOENT) if name == "net/tcp6" => continue,
                Err(Errno::NOENT) => return Err(Error::NotInMount { file: name }),
                Err(e) => return Err(errno_error(e, name)),
            };
            loop {
                let n = sys::read(file.as_fd(), &mut self.buf).map_err(|e| errno_error(e, name))?;
                let Some(piece) = self.buf.get(..n).filter(|p| !p.is_empty()) else {
                    break;
                };
                for socket in net_tcp::sockets(piece)? {
                    let s = socket?;
                    if budget.entries_exhausted(count.states.total()) {
                        count.stopped = Some(Stop::Entries);
                        return Ok(count);
                    }
                    count.states.record(s.state);
                    let socket = TcpSocket {
                        state: s.state,
                        inode: s.inode as u32,
                        local_port: s.local_port,
                        remote_port: s.remote_port,
                    };
                    if visit(&socket).is_break() {
                        count.stopped = Some(Stop::Visitor);
                        return Ok(count);
                    }
                }
                if budget.deadline_passed() {
                    count.stopped = Some(Stop::Deadline);
                    return Ok(count);
                }
            }
        }
        Ok(count)
    }
}

/// Errors by which the kernel says netlink is not for this caller: a seccomp profile or an LSM
/// (`EPERM`, `EACCES`), or a kernel without `NETLINK_SOCK_DIAG` or `inet_diag`.
fn refuses_netlink(e: Errno) -> bool {
    matches!(
        e,
        Errno::PERM | Errno::ACCESS | Errno::AFNOSUPPORT | Errno::PROTONOSUPPORT | Errno::NOENT
    )
}
