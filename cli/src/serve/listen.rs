//! Where serve listens: `[HOST]:PORT` as Go's `net.Listen` takes it (process-exporter's
//! `-web.listen-address`), and the bind.
//!
//! An empty host (`:9256`) is every interface: one IPv6 socket that also accepts IPv4
//! (`IPV6_V6ONLY` off, as Go sets it, whatever `net.ipv6.bindv6only` says), or IPv4's
//! `0.0.0.0` alone where the host has no IPv6. A host name is resolved, and the first of its
//! addresses that binds is used.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, ToSocketAddrs};
use std::str::FromStr;

/// A listen address: a host (empty for every interface) and a port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenAddress {
    /// An IP address or a name; empty for every interface.
    host: String,
    port: u16,
}

impl ListenAddress {
    /// Every interface, at `port`.
    pub fn any(port: u16) -> ListenAddress {
        ListenAddress {
            host: String::new(),
            port,
        }
    }
}

impl FromStr for ListenAddress {
    type Err = String;

    /// `HOST:PORT`, `:PORT` or `[IPV6]:PORT`; the port in digits.
    fn from_str(text: &str) -> Result<ListenAddress, String> {
        let expected = "expected [HOST]:PORT, like :9256, 127.0.0.1:9256 or [::1]:9256";
        let missing_port = || format!("missing port; {expected}");
        let (host, port) = match text.strip_prefix('[') {
            Some(bracketed) => {
                let (inner, after) = bracketed
                    .split_once(']')
                    .ok_or_else(|| format!("no ']' after '['; {expected}"))?;
                if inner.parse::<Ipv6Addr>().is_err() {
                    return Err(format!("{inner:?} is not an IPv6 address"));
                }
                (inner, after.strip_prefix(':').ok_or_else(missing_port)?)
            }
            None => {
                let (host, port) = text.rsplit_once(':').ok_or_else(missing_port)?;
                // Unbracketed, a colon would be a part of an IPv6 address: ambiguous, as in Go.
                if host.contains(':') {
                    return Err(format!("too many colons; {expected} (IPv6 in brackets)"));
                }
                (host, port)
            }
        };
        if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("port {port:?} is not a number; {expected}"));
        }
        let port = port
            .parse()
            .map_err(|_| format!("port {port} is out of range (0..=65535)"))?;
        Ok(ListenAddress {
            host: host.to_string(),
            port,
        })
    }
}

impl fmt::Display for ListenAddress {
    /// As it would be written on the command line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Binds `address` (non-blocking, for the runtime); the error is one line naming it.
pub fn bind(address: &ListenAddress) -> Result<TcpListener, String> {
    let bound = if address.host.is_empty() {
        bind_every_interface(address.port)
    } else {
        bind_host(address)
    };
    let listener = bound.map_err(|e| bind_error(address, &e))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("cannot listen on {address}: {e}"))?;
    Ok(listener)
}

/// Every interface: IPv6 and IPv4 on one socket, or IPv4 alone where IPv6 is missing or
/// disabled.
fn bind_every_interface(port: u16) -> std::io::Result<TcpListener> {
    let both = SocketAddr::from((Ipv6Addr::UNSPECIFIED, port));
    match bind_socket(both, true) {
        // A port in use is in use for IPv4 too: say so rather than half-listen.
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Err(e),
        Err(_) => bind_socket(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)), false),
        bound => bound,
    }
}

/// A host name or address: the first of its addresses that binds.
fn bind_host(address: &ListenAddress) -> std::io::Result<TcpListener> {
    let ips: Vec<SocketAddr> = match address.host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, address.port)],
        Err(_) => (address.host.as_str(), address.port)
            .to_socket_addrs()?
            .collect(),
    };
    let mut last = std::io::Error::new(
        std::io::ErrorKind::AddrNotAvailable,
        "the name has no address",
    );
    for ip in ips {
        match bind_socket(ip, false) {
            Ok(listener) => return Ok(listener),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// A listening TCP socket at `at`; with `dual_stack`, an IPv6 one that takes IPv4 too.
fn bind_socket(at: SocketAddr, dual_stack: bool) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(at), Type::STREAM, None)?;
    if dual_stack {
        socket.set_only_v6(false)?;
    }
    // A restarted serve can bind while connections of the last one linger in TIME_WAIT, as
    // Go's listeners and tokio's can.
    socket.set_reuse_address(true)?;
    socket.bind(&at.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

/// Why binding failed, in words that cannot be read as success.
fn bind_error(address: &ListenAddress, e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "cannot listen on {address}: the port is in use (another exporter running?); \
             choose another with --listen"
        ),
        std::io::ErrorKind::AddrNotAvailable => {
            format!("cannot listen on {address}: no such address on this host")
        }
        _ => format!("cannot listen on {address}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> (String, u16) {
        let a: ListenAddress = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(a.to_string(), text, "written back");
        (a.host, a.port)
    }

    #[test]
    fn go_listen_addresses() {
        assert_eq!(parsed(":9256"), (String::new(), 9256));
        assert_eq!(parsed("127.0.0.1:0"), ("127.0.0.1".into(), 0));
        assert_eq!(parsed("[::1]:9256"), ("::1".into(), 9256));
        assert_eq!(parsed("[::]:65535"), ("::".into(), 65535));
        assert_eq!(parsed("localhost:9256"), ("localhost".into(), 9256));
    }

    #[test]
    fn what_is_not_an_address_says_why() {
        for (text, why) in [
            ("9256", "missing port"),
            ("localhost", "missing port"),
            (":", "is not a number"),
            (":http", "is not a number"),
            (":-1", "is not a number"),
            (":65536", "out of range"),
            ("::1:9256", "too many colons"),
            ("[::1]", "missing port"),
            ("[::1]9256", "missing port"),
            ("[1.2.3.4]:80", "is not an IPv6 address"),
            ("[::1:80", "no ']'"),
        ] {
            let e = text.parse::<ListenAddress>().unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
        }
    }

    #[test]
    fn every_interface_binds_and_takes_ipv4() {
        let listener = bind(&ListenAddress::any(0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        // Whether the socket is IPv6 with IPv4 mapped or IPv4 alone, IPv4 loopback reaches it.
        std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    }

    #[test]
    fn a_port_in_use_is_refused_by_name() {
        let taken = bind(&ListenAddress::any(0)).unwrap();
        let port = taken.local_addr().unwrap().port();
        let e = bind(&ListenAddress::any(port)).unwrap_err();
        assert!(e.contains("the port is in use"), "{e}");
        assert!(e.starts_with(&format!("cannot listen on :{port}:")), "{e}");
    }
}
