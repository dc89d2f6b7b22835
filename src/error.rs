//! The one error type of procfast.

use core::fmt;

/// Everything that can go wrong reading /proc, small enough to return by value.
///
/// `Error` is `Copy` and holds no heap data: file and field names are `&'static str` naming the
/// /proc file (`"stat"`, `"fd"`, …) or syscall that failed. Its [`Display`](fmt::Display) says
/// what happened and what a caller can do about it.
///
/// A stopped walk (a [`Budget`](crate::budget::Budget) ran out, or a visitor broke) is *not* an
/// error: it is reported in the result, as a lower bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The process has exited (or never existed): `ENOENT` or `ESRCH`.
    ///
    /// This is the normal end of every process. A handle never silently moves to a new process
    /// that reuses the pid; it reports `Gone` instead.
    Gone,
    /// Permission denied (`EACCES` or `EPERM`) reading `file`: typically another user's process,
    /// or /proc mounted with `hidepid`.
    Denied {
        /// The /proc file or directory that was denied.
        file: &'static str,
    },
    /// The directory given as /proc is not a procfs mount (its statfs magic is not
    /// `PROC_SUPER_MAGIC`).
    NotProcfs,
    /// A mount is stacked over `file` below the procfs root (`mount --bind FILE
    /// /proc/<pid>/stat`, a tmpfs over `/proc/<pid>/fd`, a directory over `/proc/<pid>`): what it
    /// shows is not the kernel's, so procfast refuses to read it. Host files may sit on another
    /// procfs mount (container runtimes bind `/proc/sys` over itself) but on nothing else.
    CrossedMount {
        /// The /proc file or directory that a mount hides.
        file: &'static str,
    },
    /// The host file `file` is not in this procfs mount: a `subset=pid` mount shows only
    /// processes, and some kernels leave files out. Not a process exit.
    NotInMount {
        /// The host file, below the mount's root.
        file: &'static str,
    },
    /// The running kernel does not report fd counts in `st_size` of `/proc/<pid>/fd` (it is older
    /// than Linux 6.2), so [`Method::Stat`](crate::count::Method::Stat) cannot answer.
    Unsupported,
    /// Any other errno from a syscall on `file`.
    Io {
        /// The /proc file or directory the syscall was made on.
        file: &'static str,
        /// The raw errno value (see `errno(3)`).
        errno: i32,
    },
    /// `file` was read but its `field` could not be parsed: the text was truncated, missing the
    /// field, non-numeric or overflowing.
    Parse {
        /// The /proc file that held the malformed text.
        file: &'static str,
        /// The field that could not be parsed.
        field: &'static str,
    },
    /// `file` is larger than the read buffer's cap, `cap` bytes. Nothing was truncated silently:
    /// raise the cap if the file is legitimately that large.
    TooLarge {
        /// The /proc file that did not fit.
        file: &'static str,
        /// The cap in bytes that was reached.
        cap: usize,
    },
}

/// `Result<T, procfast::Error>`.
pub type Result<T> = core::result::Result<T, Error>;

/// Classifies an errno from a syscall on `file` (see [`Error::from_errno`]).
pub(crate) fn errno_error(errno: rustix::io::Errno, file: &'static str) -> Error {
    Error::from_errno(errno.raw_os_error(), file)
}

impl Error {
    /// Classifies a raw errno from a syscall on `file`.
    pub fn from_errno(errno: i32, file: &'static str) -> Error {
        match errno {
            libc::ENOENT | libc::ESRCH => Error::Gone,
            libc::EACCES | libc::EPERM => Error::Denied { file },
            // Only `openat2`'s RESOLVE_NO_XDEV (or procfast's own check) returns it below /proc.
            libc::EXDEV => Error::CrossedMount { file },
            errno => Error::Io { file, errno },
        }
    }

    /// Shorthand for a [`Error::Parse`] naming `file` and `field`.
    pub const fn parse(file: &'static str, field: &'static str) -> Error {
        Error::Parse { file, field }
    }

    /// True if the process has exited: the usual reason to drop a handle.
    pub fn is_gone(&self) -> bool {
        matches!(self, Error::Gone)
    }

    /// True if the caller lacks permission for this figure; others may still be readable.
    pub fn is_denied(&self) -> bool {
        matches!(self, Error::Denied { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Gone => {
                f.write_str("the process has exited (or never existed); drop the handle")
            }
            Error::Denied { file } => write!(
                f,
                "permission denied reading {file}: the process belongs to another user \
                 (run as that user or with CAP_SYS_PTRACE) or /proc is mounted with hidepid"
            ),
            Error::NotProcfs => f.write_str(
                "the given /proc directory is not the root of a procfs mount (a sub-directory \
                 such as /proc/1 or /proc/sys, or another filesystem)",
            ),
            Error::CrossedMount { file } => write!(
                f,
                "a mount is stacked over {file} below /proc, hiding what the kernel reports; \
                 procfast refuses to read it (see `findmnt` for what is mounted there)"
            ),
            Error::NotInMount { file } => write!(
                f,
                "{file} is not in this procfs mount (mounted with subset=pid, or left out by \
                 this kernel)"
            ),
            Error::Unsupported => f.write_str(
                "this kernel (older than 6.2) does not count fds in st_size of /proc/<pid>/fd; \
                 use Method::Auto or Method::Walk",
            ),
            Error::Io { file, errno } => write!(
                f,
                "I/O error on {file}: {}",
                rustix::io::Errno::from_raw_os_error(errno)
            ),
            Error::Parse { file, field } => write!(
                f,
                "could not parse field {field} of {file}: the kernel's format is not what \
                 procfast expects; please report it with the file's contents"
            ),
            Error::TooLarge { file, cap } => write!(
                f,
                "{file} is larger than the read buffer cap of {cap} bytes; raise the cap"
            ),
        }
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> std::io::Error {
        let kind = match e {
            Error::Gone => std::io::ErrorKind::NotFound,
            Error::Denied { .. } => std::io::ErrorKind::PermissionDenied,
            Error::Parse { .. } | Error::NotProcfs | Error::CrossedMount { .. } => {
                std::io::ErrorKind::InvalidData
            }
            Error::NotInMount { .. } => std::io::ErrorKind::NotFound,
            Error::Unsupported => std::io::ErrorKind::Unsupported,
            Error::TooLarge { .. } => std::io::ErrorKind::OutOfMemory,
            Error::Io { errno, .. } => return std::io::Error::from_raw_os_error(errno),
        };
        std::io::Error::new(kind, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_classes() {
        assert_eq!(Error::from_errno(libc::ENOENT, "fd"), Error::Gone);
        assert_eq!(Error::from_errno(libc::ESRCH, "fd"), Error::Gone);
        assert_eq!(
            Error::from_errno(libc::EACCES, "fd"),
            Error::Denied { file: "fd" }
        );
        assert_eq!(
            Error::from_errno(libc::EPERM, "fd"),
            Error::Denied { file: "fd" }
        );
        assert_eq!(
            Error::from_errno(libc::EXDEV, "stat"),
            Error::CrossedMount { file: "stat" }
        );
        assert_eq!(
            Error::from_errno(libc::EIO, "stat"),
            Error::Io {
                file: "stat",
                errno: libc::EIO
            }
        );
    }

    #[test]
    fn small_and_descriptive() {
        assert!(core::mem::size_of::<Error>() <= 40);
        let text = Error::parse("stat", "utime").to_string();
        assert!(text.contains("utime") && text.contains("stat"), "{text}");
        let text = Error::TooLarge {
            file: "status",
            cap: 4096,
        }
        .to_string();
        assert!(text.contains("4096") && text.contains("status"), "{text}");
    }
}
