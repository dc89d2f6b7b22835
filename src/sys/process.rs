//! The calling process's pid, and the resource limits of a process: `getrlimit` for the caller's
//! own, `prlimit` (through `libc`, to read without setting) for another's.

use super::errno::last_errno;
use rustix::io::Errno;

/// `getpid()`.
pub fn getpid() -> i32 {
    rustix::process::getpid().as_raw_nonzero().get()
}

/// The resource limits procfast reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rlimit {
    /// `RLIMIT_NOFILE`: one more than the highest fd number that can be opened.
    Nofile,
    /// `RLIMIT_AS`: the address space, in bytes.
    As,
}

/// `getrlimit(resource)` for the calling process: the soft limit, `None` for unlimited.
pub fn getrlimit_soft(resource: Rlimit) -> Option<u64> {
    let resource = match resource {
        Rlimit::Nofile => rustix::process::Resource::Nofile,
        Rlimit::As => rustix::process::Resource::As,
    };
    rustix::process::getrlimit(resource).current
}

/// `prlimit(pid, resource, NULL, &old)`: another process's soft limit without changing it,
/// `None` for unlimited. Needs the caller to match the target's uids or `CAP_SYS_RESOURCE`
/// (else `EPERM`). rustix's `prlimit` always sets a new limit, hence libc here.
#[allow(unsafe_code)]
pub fn prlimit_soft(pid: i32, resource: Rlimit) -> Result<Option<u64>, Errno> {
    let resource = match resource {
        Rlimit::Nofile => libc::RLIMIT_NOFILE,
        Rlimit::As => libc::RLIMIT_AS,
    };
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY:
    // - A null `new_limit` makes prlimit read only; it never writes through it.
    // - `old` is a valid, exclusively borrowed `rlimit` the kernel fills for the call's duration.
    let ret = unsafe { libc::prlimit(pid, resource, core::ptr::null(), &mut old) };
    if ret != 0 {
        return Err(last_errno());
    }
    Ok((old.rlim_cur != libc::RLIM_INFINITY).then_some(old.rlim_cur))
}
