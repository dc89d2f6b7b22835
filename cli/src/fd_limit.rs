//! The process's own fd limit.

/// Raises the soft `RLIMIT_NOFILE` to the hard one (always allowed) and returns the soft limit
/// now in force.
pub fn raise_fd_limit() -> usize {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    limit.current = limit.maximum;
    // If raising fails, the limit stays what it was, and so does the budget taken from it.
    let _ = setrlimit(Resource::Nofile, limit);
    let soft = getrlimit(Resource::Nofile).current.unwrap_or(1 << 20);
    usize::try_from(soft).unwrap_or(usize::MAX)
}
