//! [`Task`]: which process or thread a row is of, and [`PidPath`]: the path of one of its files
//! below /proc, formatted on the stack.

use crate::error::{Error, Result};
use core::ffi::CStr;
use rustix::path::DecInt;

/// A process (`tid == pid`) or one thread of it. Ordered as /proc lists them: by process, then
/// by thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Task {
    pub(super) pid: i32,
    pub(super) tid: i32,
    pub(super) thread: bool,
}

impl Task {
    pub(super) fn process(pid: i32) -> Task {
        Task {
            pid,
            tid: pid,
            thread: false,
        }
    }

    pub(super) fn thread(pid: i32, tid: i32) -> Task {
        Task {
            pid,
            tid,
            thread: true,
        }
    }
}

/// `"<pid><suffix>"`, or `"<pid>/task/<tid><suffix>"` for a thread, formatted on the stack;
/// `suffix` ends in NUL.
pub(super) struct PidPath {
    bytes: [u8; 48],
    len: usize,
}

impl PidPath {
    pub(super) fn new(task: Task, suffix: &'static [u8]) -> PidPath {
        let mut path = PidPath {
            bytes: [0; 48],
            len: 0,
        };
        // At most 11 characters a number, 6 for "/task/" and 8 for our longest suffix.
        path.push(DecInt::new(task.pid).as_bytes());
        if task.thread {
            path.push(b"/task/");
            path.push(DecInt::new(task.tid).as_bytes());
        }
        path.push(suffix);
        path
    }

    fn push(&mut self, part: &[u8]) {
        let end = self.len + part.len();
        self.bytes[self.len..end].copy_from_slice(part);
        self.len = end;
    }

    pub(super) fn as_c_str(&self) -> Result<&CStr> {
        CStr::from_bytes_with_nul(&self.bytes[..self.len]).map_err(|_| Error::parse("/proc", "pid"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_paths() {
        let path = |task, suffix| PidPath::new(task, suffix).as_c_str().unwrap().to_owned();
        assert_eq!(
            path(Task::process(1234), b"/stat\0"),
            c"1234/stat".to_owned()
        );
        assert_eq!(
            path(Task::thread(i32::MAX, i32::MIN), b"/status\0"),
            c"2147483647/task/-2147483648/status".to_owned()
        );
    }
}
