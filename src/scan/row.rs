//! [`Row`]: the figures a scan read of one process or thread, on the stack.

use super::task::Task;

/// The longest command name a [`Row`] keeps; longer names (some kernel threads) are cut here.
pub const COMM_CAP: usize = 64;

/// The longest `wchan` symbol a [`Row`] keeps; longer ones are cut here.
pub const WCHAN_CAP: usize = 64;

/// One process's (or thread's) figures, reused from row to row: figures not asked for, or
/// denied, are `None`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Row {
    /// The process id; in a [`threads`](super::Scanner::threads) scan, the thread id.
    pub pid: i32,
    /// The process the row belongs to: equal to `pid` for a process row, the owning process of a
    /// thread row.
    pub tgid: i32,
    comm: [u8; COMM_CAP],
    comm_len: u8,
    wchan: [u8; WCHAN_CAP],
    wchan_len: u8,
    /// The state letter (`R`, `S`, `D`, `Z`, …).
    pub state: Option<u8>,
    /// The parent's pid.
    pub ppid: Option<i32>,
    /// The effective uid (the owner of `/proc/<pid>`).
    pub uid: Option<u32>,
    /// Open fds.
    pub fds: Option<u64>,
    /// Threads.
    pub threads: Option<u64>,
    /// Resident set size, bytes.
    pub rss_bytes: Option<u64>,
    /// User + system CPU time, seconds.
    pub cpu_seconds: Option<f64>,
    /// User CPU time, seconds.
    pub cpu_user_seconds: Option<f64>,
    /// System CPU time, seconds.
    pub cpu_system_seconds: Option<f64>,
    /// Minor page faults (no disk read).
    pub minor_faults: Option<u64>,
    /// Major page faults (a page read from disk).
    pub major_faults: Option<u64>,
    /// Virtual memory size, bytes.
    pub vsize_bytes: Option<u64>,
    /// Swapped-out memory, bytes (`VmSwap`; `None` for kernel threads, which have no memory).
    pub swap_bytes: Option<u64>,
    /// Voluntary context switches of the main thread.
    pub voluntary_ctxt_switches: Option<u64>,
    /// Involuntary context switches of the main thread.
    pub nonvoluntary_ctxt_switches: Option<u64>,
    /// The soft `RLIMIT_NOFILE`; `u64::MAX` when unlimited.
    pub fd_limit: Option<u64>,
    /// Start time, seconds after boot.
    pub start_time_seconds: Option<f64>,
    /// Start time, clock ticks after boot, exact: with the pid, it names one process across
    /// scans (a reused pid has a later start time).
    pub start_time_ticks: Option<u64>,
    /// Bytes fetched from storage (`read_bytes` of `io`).
    pub io_read_bytes: Option<u64>,
    /// Bytes sent to storage (`write_bytes` of `io`).
    pub io_write_bytes: Option<u64>,
    /// True if some figure asked for was denied; the others are still filled.
    pub denied: bool,
    /// True if read through handles held since an earlier scan: the same process as that
    /// scan's row of this pid (see [`Scanner::scan_choosing`](super::Scanner::scan_choosing)).
    pub kept: bool,
}

impl Row {
    pub(super) fn new(task: Task) -> Row {
        Row {
            pid: task.tid,
            tgid: task.pid,
            comm: [0; COMM_CAP],
            comm_len: 0,
            wchan: [0; WCHAN_CAP],
            wchan_len: 0,
            state: None,
            ppid: None,
            uid: None,
            fds: None,
            threads: None,
            rss_bytes: None,
            cpu_seconds: None,
            cpu_user_seconds: None,
            cpu_system_seconds: None,
            minor_faults: None,
            major_faults: None,
            vsize_bytes: None,
            swap_bytes: None,
            voluntary_ctxt_switches: None,
            nonvoluntary_ctxt_switches: None,
            fd_limit: None,
            start_time_seconds: None,
            start_time_ticks: None,
            io_read_bytes: None,
            io_write_bytes: None,
            denied: false,
            kept: false,
        }
    }

    /// The command name as the kernel wrote it (raw bytes, cut at [`COMM_CAP`]); empty if not
    /// asked for.
    pub fn comm(&self) -> &[u8] {
        self.comm
            .get(..usize::from(self.comm_len))
            .unwrap_or_default()
    }

    pub(super) fn set_comm(&mut self, comm: &[u8]) {
        let len = comm.len().min(COMM_CAP);
        self.comm[..len].copy_from_slice(&comm[..len]);
        self.comm_len = len as u8;
    }

    /// The kernel function the task sleeps in (`wchan`, cut at [`WCHAN_CAP`]); empty if it is
    /// running, if the kernel hides it from the caller (another user's task, without
    /// `CAP_SYS_PTRACE`), or if not asked for.
    pub fn wchan(&self) -> &[u8] {
        &self.wchan[..usize::from(self.wchan_len).min(WCHAN_CAP)]
    }

    pub(super) fn set_wchan(&mut self, wchan: &[u8]) {
        let len = wchan.len().min(WCHAN_CAP);
        self.wchan[..len].copy_from_slice(&wchan[..len]);
        self.wchan_len = len as u8;
    }
}
