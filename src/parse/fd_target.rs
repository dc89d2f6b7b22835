//! What an open fd is, from the target of its `/proc/<pid>/fd/N` link.
//!
//! The kernel writes a path for a file (`/dev/null`, `/var/log/app.log (deleted)`), and
//! `type:[inode]` or `anon_inode:name` for what has no path:
//!
//! ```
//! use procfast::parse::fd_target::{classify, socket_inode, AnonKind, FdKind};
//!
//! assert_eq!(classify(b"socket:[34391894]"), FdKind::Socket);
//! assert_eq!(socket_inode(b"socket:[34391894]"), Some(34391894));
//! assert_eq!(classify(b"pipe:[34391893]"), FdKind::Pipe);
//! assert_eq!(classify(b"anon_inode:[eventpoll]"), FdKind::AnonInode(AnonKind::Eventpoll));
//! assert_eq!(classify(b"anon_inode:inotify"), FdKind::AnonInode(AnonKind::Inotify));
//! assert_eq!(classify(b"/dev/null"), FdKind::File);
//! assert_eq!(classify(b"net:[4026531840]"), FdKind::Other);
//! ```

/// The kind of an open fd.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FdKind {
    /// A socket (`socket:[inode]`): TCP, UDP, Unix, netlink, …
    Socket,
    /// A pipe or FIFO end (`pipe:[inode]`).
    Pipe,
    /// An inode without a file of its own (`anon_inode:…`): epoll, eventfd, timerfd, …
    AnonInode(AnonKind),
    /// A file, directory or device, named by its path.
    File,
    /// Anything else (a namespace file `net:[…]`, a target the kernel cut short).
    Other,
}

/// The kinds of `anon_inode` fds, by the name the kernel gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AnonKind {
    /// `[eventpoll]`: an epoll instance.
    Eventpoll,
    /// `[eventfd]`.
    Eventfd,
    /// `[timerfd]`.
    Timerfd,
    /// `[signalfd]`.
    Signalfd,
    /// `inotify`.
    Inotify,
    /// `[fanotify]`.
    Fanotify,
    /// `[pidfd]`.
    Pidfd,
    /// `[io_uring]`.
    IoUring,
    /// `[userfaultfd]`.
    Userfaultfd,
    /// `[perf_event]`.
    PerfEvent,
    /// `bpf-map`, `bpf-prog`, `bpf_link` and the other BPF objects.
    Bpf,
    /// A name not listed here.
    Other,
}

impl AnonKind {
    /// Every kind, in the order of [`FdKinds::anon`].
    pub const ALL: [AnonKind; 12] = [
        AnonKind::Eventpoll,
        AnonKind::Eventfd,
        AnonKind::Timerfd,
        AnonKind::Signalfd,
        AnonKind::Inotify,
        AnonKind::Fanotify,
        AnonKind::Pidfd,
        AnonKind::IoUring,
        AnonKind::Userfaultfd,
        AnonKind::PerfEvent,
        AnonKind::Bpf,
        AnonKind::Other,
    ];

    /// The name for output: `eventpoll`, `eventfd`, … `other`.
    pub const fn name(self) -> &'static str {
        match self {
            AnonKind::Eventpoll => "eventpoll",
            AnonKind::Eventfd => "eventfd",
            AnonKind::Timerfd => "timerfd",
            AnonKind::Signalfd => "signalfd",
            AnonKind::Inotify => "inotify",
            AnonKind::Fanotify => "fanotify",
            AnonKind::Pidfd => "pidfd",
            AnonKind::IoUring => "io_uring",
            AnonKind::Userfaultfd => "userfaultfd",
            AnonKind::PerfEvent => "perf_event",
            AnonKind::Bpf => "bpf",
            AnonKind::Other => "other",
        }
    }

    fn of(name: &[u8]) -> AnonKind {
        // Most kinds are bracketed (`[eventfd]`); a few are not (`inotify`, `bpf-map`).
        let bare = name
            .strip_prefix(b"[")
            .and_then(|n| n.strip_suffix(b"]"))
            .unwrap_or(name);
        match bare {
            b"eventpoll" => AnonKind::Eventpoll,
            b"eventfd" => AnonKind::Eventfd,
            b"timerfd" => AnonKind::Timerfd,
            b"signalfd" => AnonKind::Signalfd,
            b"inotify" => AnonKind::Inotify,
            b"fanotify" => AnonKind::Fanotify,
            b"pidfd" => AnonKind::Pidfd,
            b"io_uring" => AnonKind::IoUring,
            b"userfaultfd" => AnonKind::Userfaultfd,
            b"perf_event" => AnonKind::PerfEvent,
            n if n.starts_with(b"bpf") => AnonKind::Bpf,
            _ => AnonKind::Other,
        }
    }
}

/// The kind of the fd whose link target is `target`.
pub fn classify(target: &[u8]) -> FdKind {
    if target.first() == Some(&b'/') {
        return FdKind::File;
    }
    if let Some(name) = target.strip_prefix(b"anon_inode:") {
        return FdKind::AnonInode(AnonKind::of(name));
    }
    match bracketed(target) {
        Some((b"socket", _)) => FdKind::Socket,
        Some((b"pipe", _)) => FdKind::Pipe,
        _ => FdKind::Other,
    }
}

/// The inode of a socket's target `socket:[inode]`, which names it in a `sock_diag` dump and
/// in `/proc/net/tcp`.
pub fn socket_inode(target: &[u8]) -> Option<u64> {
    match bracketed(target)? {
        (b"socket", inode) => crate::parse::num::u64_dec(inode),
        _ => None,
    }
}

/// `(type, inside)` of a `type:[inside]` target.
fn bracketed(target: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = memchr::memchr(b':', target)?;
    let (kind, rest) = (target.get(..colon)?, target.get(colon + 1..)?);
    let inside = rest.strip_prefix(b"[")?.strip_suffix(b"]")?;
    Some((kind, inside))
}

/// Counts of a process's fds by kind: what [`Proc::fd_kinds`](crate::proc::Proc::fd_kinds)
/// returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FdKinds {
    /// Sockets.
    pub socket: u64,
    /// Pipe and FIFO ends.
    pub pipe: u64,
    /// `anon_inode` fds of every kind (the sum of [`anon`](FdKinds::anon)).
    pub anon_inode: u64,
    /// `anon_inode` fds by kind, in the order of [`AnonKind::ALL`].
    pub anon: [u64; 12],
    /// Files, directories and devices.
    pub file: u64,
    /// Anything else.
    pub other: u64,
}

impl FdKinds {
    /// Counts one more fd of `kind`.
    pub fn add(&mut self, kind: FdKind) {
        match kind {
            FdKind::Socket => self.socket += 1,
            FdKind::Pipe => self.pipe += 1,
            FdKind::AnonInode(anon) => {
                self.anon_inode += 1;
                if let Some(n) = self.anon.get_mut(anon as usize) {
                    *n += 1;
                }
            }
            FdKind::File => self.file += 1,
            FdKind::Other => self.other += 1,
        }
    }

    /// The `anon_inode` fds of `kind`.
    pub fn anon(&self, kind: AnonKind) -> u64 {
        self.anon.get(kind as usize).copied().unwrap_or(0)
    }

    /// Every fd counted.
    pub fn total(&self) -> u64 {
        self.socket + self.pipe + self.anon_inode + self.file + self.other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_the_kernel_writes() {
        let cases: &[(&[u8], FdKind)] = &[
            (b"/dev/pts/0", FdKind::File),
            (b"/tmp/x (deleted)", FdKind::File),
            (b"/memfd:seal (deleted)", FdKind::File),
            (b"socket:[1]", FdKind::Socket),
            (b"pipe:[2]", FdKind::Pipe),
            (
                b"anon_inode:[eventfd]",
                FdKind::AnonInode(AnonKind::Eventfd),
            ),
            (
                b"anon_inode:[timerfd]",
                FdKind::AnonInode(AnonKind::Timerfd),
            ),
            (
                b"anon_inode:[signalfd]",
                FdKind::AnonInode(AnonKind::Signalfd),
            ),
            (b"anon_inode:[pidfd]", FdKind::AnonInode(AnonKind::Pidfd)),
            (
                b"anon_inode:[io_uring]",
                FdKind::AnonInode(AnonKind::IoUring),
            ),
            (b"anon_inode:bpf-map", FdKind::AnonInode(AnonKind::Bpf)),
            (b"anon_inode:[dmabuf]", FdKind::AnonInode(AnonKind::Other)),
            (b"anon_inode:", FdKind::AnonInode(AnonKind::Other)),
            (b"mnt:[4026531841]", FdKind::Other),
            (b"socket:[", FdKind::Other),
            (b"", FdKind::Other),
        ];
        for (target, kind) in cases {
            assert_eq!(
                classify(target),
                *kind,
                "{}",
                String::from_utf8_lossy(target)
            );
        }
        assert_eq!(
            socket_inode(b"socket:[18446744073709551615]"),
            Some(u64::MAX)
        );
        assert_eq!(socket_inode(b"socket:[18446744073709551616]"), None);
        assert_eq!(socket_inode(b"pipe:[7]"), None);
        assert_eq!(socket_inode(b"socket:[]"), None);
        for (i, kind) in AnonKind::ALL.iter().enumerate() {
            assert_eq!(*kind as usize, i, "ALL is in declaration order");
        }
    }

    #[test]
    fn counts_add_up() {
        let mut kinds = FdKinds::default();
        for target in [&b"socket:[1]"[..], b"anon_inode:[eventpoll]", b"/x", b"?"] {
            kinds.add(classify(target));
        }
        assert_eq!(
            (kinds.socket, kinds.anon_inode, kinds.file, kinds.other),
            (1, 1, 1, 1)
        );
        assert_eq!((kinds.anon(AnonKind::Eventpoll), kinds.total()), (1, 4));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(target in proptest::collection::vec(proptest::num::u8::ANY, 0..80)) {
            let _ = classify(&target);
            let _ = socket_inode(&target);
        }
    }
}
