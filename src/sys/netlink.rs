//! Netlink `sock_diag` sockets: asking the kernel for dumps of sockets, and reading its replies.

use rustix::fd::{BorrowedFd, OwnedFd};
use rustix::io::Errno;

/// `socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)`: a socket to ask the
/// kernel for socket dumps, in the calling thread's network namespace.
pub fn sock_diag_socket() -> Result<OwnedFd, Errno> {
    use rustix::net::{netlink, AddressFamily, SocketFlags, SocketType};
    rustix::net::socket_with(
        AddressFamily::NETLINK,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC,
        Some(netlink::SOCK_DIAG),
    )
}

/// `sendto(fd, request, 0, {AF_NETLINK, pid 0})`: a netlink request to the kernel.
pub fn netlink_send(fd: BorrowedFd<'_>, request: &[u8]) -> Result<(), Errno> {
    use rustix::net::{netlink::SocketAddrNetlink, SendFlags};
    let kernel = SocketAddrNetlink::new(0, 0);
    loop {
        match rustix::net::sendto(fd, request, SendFlags::empty(), &kernel) {
            Err(Errno::INTR) => continue,
            Ok(sent) if sent == request.len() => return Ok(()),
            Ok(_) => return Err(Errno::MSGSIZE),
            Err(e) => return Err(e),
        }
    }
}

/// `recv(fd, buf, MSG_TRUNC)`: the next datagram of a netlink reply. A datagram longer than
/// `buf` is `EMSGSIZE` (its tail would be lost), never a silently cut one.
pub fn netlink_recv<'b>(fd: BorrowedFd<'_>, buf: &'b mut [u8]) -> Result<&'b [u8], Errno> {
    use rustix::net::RecvFlags;
    loop {
        match rustix::net::recv(fd, &mut *buf, RecvFlags::TRUNC) {
            Err(Errno::INTR) => continue,
            Ok((_, whole)) if whole > buf.len() => return Err(Errno::MSGSIZE),
            Ok((got, _)) => return Ok(buf.get(..got).unwrap_or_default()),
            Err(e) => return Err(e),
        }
    }
}
