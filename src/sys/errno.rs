//! The `errno` of the syscalls made through `libc` rather than rustix.

use rustix::io::Errno;

/// The calling thread's `errno` after a failed `libc` call; `EIO` if the OS reports none.
pub(super) fn last_errno() -> Errno {
    let raw = std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO);
    Errno::from_raw_os_error(raw)
}
