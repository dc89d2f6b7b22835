//! This machine's /proc files (kernel 6.18, x86_64), captured into `tests/fixtures`, embedded
//! once for every test and bench that parses them; and how procfs-core is told to read them.
//!
//! The fuzz targets seed their corpus from the same directory (`fuzz/smoke.sh`).

/// `/proc/<pid>/stat` of a bash process: every field present, real addresses (333 bytes).
pub const STAT: &[u8] = include_bytes!("../fixtures/stat");
/// `/proc/1/stat` as root sees it: addresses hidden as 0 (184 bytes).
pub const STAT_PID1: &[u8] = include_bytes!("../fixtures/stat_pid1");
/// `/proc/<pid>/statm`.
pub const STATM: &[u8] = include_bytes!("../fixtures/statm");
/// `/proc/<pid>/status` (13 threads; `NSpid:\t1`).
pub const STATUS: &[u8] = include_bytes!("../fixtures/status");
/// `/proc/<pid>/limits`.
pub const LIMITS: &[u8] = include_bytes!("../fixtures/limits");
/// `/proc/<pid>/io`.
pub const IO: &[u8] = include_bytes!("../fixtures/io");
/// `/proc/<pid>/net/dev`.
pub const NET_DEV: &[u8] = include_bytes!("../fixtures/net_dev");
/// `/proc/stat`.
pub const PROC_STAT: &[u8] = include_bytes!("../fixtures/proc_stat");
/// `/proc/meminfo`.
pub const MEMINFO: &[u8] = include_bytes!("../fixtures/meminfo");
/// `/proc/loadavg`.
pub const LOADAVG: &[u8] = include_bytes!("../fixtures/loadavg");
/// `/proc/net/sockstat`.
pub const SOCKSTAT: &[u8] = include_bytes!("../fixtures/sockstat");
/// `/proc/net/sockstat6`.
pub const SOCKSTAT6: &[u8] = include_bytes!("../fixtures/sockstat6");
/// `/proc/sys/fs/file-nr`.
pub const FILE_NR: &[u8] = include_bytes!("../fixtures/file_nr");
/// `/proc/vmstat`.
pub const VMSTAT: &[u8] = include_bytes!("../fixtures/vmstat");
/// `/proc/diskstats`.
pub const DISKSTATS: &[u8] = include_bytes!("../fixtures/diskstats");
/// `/proc/pressure/cpu`.
pub const PRESSURE_CPU: &[u8] = include_bytes!("../fixtures/pressure_cpu");
/// `/proc/pressure/memory`.
pub const PRESSURE_MEMORY: &[u8] = include_bytes!("../fixtures/pressure_memory");
/// `/proc/pressure/io`.
pub const PRESSURE_IO: &[u8] = include_bytes!("../fixtures/pressure_io");
/// `/proc/uptime`.
pub const UPTIME: &[u8] = include_bytes!("../fixtures/uptime");
pub const SWAPS: &[u8] = include_bytes!("../fixtures/swaps");
/// `/proc/net/snmp`.
pub const SNMP: &[u8] = include_bytes!("../fixtures/snmp");
/// `/proc/net/netstat`.
pub const NETSTAT: &[u8] = include_bytes!("../fixtures/netstat");
/// `/proc/<pid>/schedstat`.
pub const SCHEDSTAT: &[u8] = include_bytes!("../fixtures/schedstat");
/// `/proc/<pid>/cgroup` of a hybrid host: nine v1 hierarchies and the v2 line (133 bytes).
pub const CGROUP: &[u8] = include_bytes!("../fixtures/cgroup");
/// `/proc/1/cgroup`.
pub const CGROUP_PID1: &[u8] = include_bytes!("../fixtures/cgroup_pid1");
/// `/proc/<pid>/oom_score_adj`.
pub const OOM_SCORE_ADJ: &[u8] = include_bytes!("../fixtures/oom_score_adj");
/// `/proc/<pid>/cmdline`.
pub const CMDLINE: &[u8] = include_bytes!("../fixtures/cmdline");
/// `/proc/net/tcp` (see the `tcp` parse tests for how the TCP fixtures were captured).
pub const NET_TCP: &[u8] = include_bytes!("../fixtures/net_tcp");
/// `/proc/net/tcp6`.
pub const NET_TCP6: &[u8] = include_bytes!("../fixtures/net_tcp6");
/// The reply datagrams of a `NETLINK_SOCK_DIAG` dump of IPv4 TCP sockets.
pub const INET_DIAG_TCP4: &[u8] = include_bytes!("../fixtures/inet_diag_tcp4");
/// The same for IPv6.
pub const INET_DIAG_TCP6: &[u8] = include_bytes!("../fixtures/inet_diag_tcp6");
/// The request sent for [`INET_DIAG_TCP4`], packed independently with Python's `struct`.
pub const INET_DIAG_TCP4_REQUEST: &[u8] = include_bytes!("../fixtures/inet_diag_tcp4_request");
/// The request sent for [`INET_DIAG_TCP6`].
pub const INET_DIAG_TCP6_REQUEST: &[u8] = include_bytes!("../fixtures/inet_diag_tcp6_request");
/// `ss -tan -4` at the moment of [`INET_DIAG_TCP4`].
pub const INET_DIAG_TCP4_SS: &str = include_str!("../fixtures/inet_diag_tcp4_ss");
/// `ss -tan -6` at the moment of [`INET_DIAG_TCP6`].
pub const INET_DIAG_TCP6_SS: &str = include_str!("../fixtures/inet_diag_tcp6_ss");

/// The path of the [`CGROUP`] fixture, from the package root (the tests' working directory):
/// a file for a test to hold open.
pub const CGROUP_PATH: &str = "tests/fixtures/cgroup";

/// The system procfs-core's parsers are told they run on: fixed, so that they read the same
/// bytes the same way everywhere.
pub fn procfs_system_info() -> procfs::ExplicitSystemInfo {
    procfs::ExplicitSystemInfo {
        boot_time_secs: 0,
        ticks_per_second: 100,
        page_size: 4096,
        is_little_endian: cfg!(target_endian = "little"),
    }
}
