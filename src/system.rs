//! [`System`]: host-wide /proc files, held open and re-read.

use crate::error::{errno_error, Error, Result};
use crate::held::{FileSpec, HeldFiles};
use crate::parse;
use crate::proc::{held_reads, ProcFs};
use crate::sys::{self, Beneath, ReadBuf};
use rustix::fd::{AsFd, OwnedFd};

/// The host-wide files below /proc, opened once relative to the mount and re-read with `pread`
/// at offset 0. Like [`Proc`](crate::proc::Proc), every read returns a view borrowing the handle's
/// buffer and allocates nothing once the buffer has grown to fit.
///
/// The `net/*` files describe the network namespace of the thread that first reads them. A file
/// the mount does not show (a `subset=pid` mount shows none of them) is
/// [`Error::NotInMount`]; one hidden by a mount of anything but procfs
/// (lxcfs's FUSE files, a tmpfs) is [`Error::CrossedMount`].
///
/// ```
/// let mut system = procfast::System::open()?;
/// let boot_time = system.stat()?.btime;
/// assert!(boot_time > 0);
/// assert!(system.meminfo()?.mem_total_bytes() > 0);
/// # Ok::<(), procfast::Error>(())
/// ```
#[derive(Debug)]
pub struct System {
    root: OwnedFd,
    files: HeldFiles<15>,
}

impl System {
    /// Opens the host files of `/proc` (lazily: each is opened on first read).
    pub fn open() -> Result<System> {
        System::in_procfs(ProcFs::global()?)
    }

    /// Opens the host files of the given procfs mount.
    pub fn in_procfs(procfs: &ProcFs) -> Result<System> {
        let root = sys::reopen_dir(procfs.root()).map_err(|e| errno_error(e, "/proc"))?;
        Ok(System {
            root,
            // Host files may sit on another procfs mount (`/proc/sys` bound read-only over
            // itself, as container runtimes do) but on nothing else.
            files: HeldFiles::new(Beneath::Procfs),
        })
    }

    /// Replaces the read buffer (to change its cap) and returns the previous one.
    pub fn replace_read_buf(&mut self, buf: ReadBuf) -> ReadBuf {
        self.files.replace_buf(buf)
    }

    held_reads! { root;
        /// `/proc/stat`: CPU times, context switches, boot time, process counts.
        stat: STAT => parse::proc_stat::parse => parse::proc_stat::ProcStat<'_>;
        /// `/proc/meminfo`, values in bytes.
        meminfo: MEMINFO => parse::meminfo::parse => parse::meminfo::Meminfo<'_>;
        /// `/proc/loadavg`.
        loadavg: LOADAVG => parse::loadavg::parse => parse::loadavg::Loadavg;
        /// `/proc/net/sockstat`: IPv4 socket counts.
        sockstat: SOCKSTAT => parse::sockstat::parse => parse::sockstat::Sockstat<'_>;
        /// `/proc/net/sockstat6`: IPv6 socket counts.
        sockstat6: SOCKSTAT6 => parse::sockstat::parse6 => parse::sockstat::Sockstat<'_>;
        /// `/proc/sys/fs/file-nr`: allocated and maximum file handles, host-wide.
        file_nr: FILE_NR => parse::file_nr::parse => parse::file_nr::FileNr;
        /// `/proc/net/dev`: per-interface traffic.
        net_dev: NET_DEV => parse::net_dev::parse => parse::net_dev::NetDev<'_>;
        /// `/proc/vmstat`: paging, swapping, reclaim and OOM counters.
        vmstat: VMSTAT => parse::vmstat::parse => parse::vmstat::Vmstat<'_>;
        /// `/proc/diskstats`: I/O counters per block device.
        diskstats: DISKSTATS => parse::diskstats::parse => parse::diskstats::Diskstats<'_>;
    }

    /// `/proc/pressure/cpu`, `memory` or `io`: pressure stall information, host-wide.
    ///
    /// A kernel without PSI (older than 4.20, built without `CONFIG_PSI`, or booted with
    /// `psi=0`) has no such file: [`Error::NotInMount`] naming it.
    pub fn pressure(
        &mut self,
        resource: parse::pressure::Pressure,
    ) -> Result<parse::pressure::Psi> {
        use parse::pressure::Pressure;
        let file = match resource {
            Pressure::Cpu => PRESSURE_CPU,
            Pressure::Memory => PRESSURE_MEMORY,
            Pressure::Io => PRESSURE_IO,
        };
        let bytes = self
            .files
            .read(self.root.as_fd(), file)
            .map_err(|e| match e {
                // Kernels that create the files with PSI disabled refuse to open them.
                Error::Io { errno, .. } if errno == libc::EOPNOTSUPP => {
                    Error::NotInMount { file: file.name }
                }
                e => e,
            })?;
        parse::pressure::parse_file(bytes, file.name)
    }

    held_reads! { root;
        /// `/proc/uptime`: seconds since boot, and idle seconds summed over the CPUs.
        uptime: UPTIME => parse::uptime::parse => parse::uptime::Uptime;
        /// `/proc/net/snmp`: the IP, ICMP, TCP and UDP counters (MIB-II).
        snmp: SNMP => parse::snmp::parse => parse::snmp::Snmp<'_>;
        /// `/proc/net/netstat`: the Linux extensions of the TCP and IP counters (`TcpExt`,
        /// `IpExt`).
        netstat: NETSTAT => parse::snmp::parse_netstat => parse::snmp::Snmp<'_>;
    }
}

impl System {
    /// CPU times copied out of `/proc/stat`, so that they outlive the read (a view borrows the
    /// handle's one buffer until the next read): the total over CPUs, and as many of the
    /// per-CPU lines as `per_cpu` holds, as `(cpu number, times)`. Returns the total and the
    /// number of CPUs the file listed (more than were copied if `per_cpu` is short).
    ///
    /// Utilisation is a difference of two such copies:
    ///
    /// ```
    /// use procfast::parse::proc_stat::CpuTime;
    ///
    /// let mut system = procfast::System::open()?;
    /// let mut before = [(0, CpuTime::default()); 256];
    /// let (total_before, cpus) = system.cpu_times(&mut before)?;
    /// // … later: the views of other files can be read in between.
    /// let _available = system.meminfo()?.mem_available_bytes();
    /// let (total_after, _) = system.cpu_times(&mut [])?;
    /// let busy = |t: &CpuTime| t.user + t.nice + t.system;
    /// assert!(busy(&total_after) >= busy(&total_before) && cpus >= 1);
    /// # Ok::<(), procfast::Error>(())
    /// ```
    pub fn cpu_times(
        &mut self,
        per_cpu: &mut [(u32, parse::proc_stat::CpuTime)],
    ) -> Result<(parse::proc_stat::CpuTime, usize)> {
        let stat = self.stat()?;
        let cpus = stat.cpus();
        let listed = cpus.len();
        for (slot, cpu) in per_cpu.iter_mut().zip(cpus) {
            *slot = cpu;
        }
        Ok((stat.total, listed))
    }

    /// A file of one number below `/proc/sys` (`fs/file-max`, `kernel/pid_max`,
    /// `net/core/somaxconn`, …), opened for this read only (on a procfs mount, as every host
    /// file: a bind mount of anything else over `/proc/sys` is refused). A name the kernel does
    /// not have is [`Error::NotInMount`].
    ///
    /// ```
    /// let mut system = procfast::System::open()?;
    /// assert!(system.sys_u64(c"kernel/pid_max")? >= 301);
    /// # Ok::<(), procfast::Error>(())
    /// ```
    pub fn sys_u64(&mut self, name: &core::ffi::CStr) -> Result<u64> {
        parse::value::u64(self.read_sys(name)?, "/proc/sys/…")
    }

    /// As [`sys_u64`](System::sys_u64), for a signed number (`kernel/perf_event_paranoid`).
    pub fn sys_i64(&mut self, name: &core::ffi::CStr) -> Result<i64> {
        parse::value::i64(self.read_sys(name)?, "/proc/sys/…")
    }

    fn read_sys(&mut self, name: &core::ffi::CStr) -> Result<&[u8]> {
        const FILE: &str = "/proc/sys/…";
        let mut path = [0u8; 256];
        let name = name.to_bytes_with_nul();
        let full = path
            .get_mut(..4 + name.len())
            .ok_or(Error::parse(FILE, "name"))?;
        full[..4].copy_from_slice(b"sys/");
        full[4..].copy_from_slice(name);
        let path =
            core::ffi::CStr::from_bytes_with_nul(full).map_err(|_| Error::parse(FILE, "name"))?;
        let fd =
            sys::openat_file(self.root.as_fd(), path, Beneath::Procfs).map_err(|e| match e {
                // No such file on this kernel (or this mount): as for every host file.
                rustix::io::Errno::NOENT => Error::NotInMount { file: FILE },
                e => errno_error(e, FILE),
            })?;
        self.files.read_fd(fd.as_fd(), FILE)
    }
}

/// Clock ticks per second, the unit of the tick counts in /proc (`sysconf(_SC_CLK_TCK)`, read
/// from the auxiliary vector, never assumed to be 100).
pub fn clock_ticks_per_second() -> u64 {
    sys::clock_ticks_per_second()
}

/// The page size in bytes, the unit of page counts in /proc (`sysconf(_SC_PAGESIZE)`).
pub fn page_size() -> u64 {
    sys::page_size()
}

// The host files a `System` holds open: all but `net/dev`, `vmstat` and `diskstats` are
// generated whole.
const STAT: FileSpec = FileSpec::whole(0, c"stat", "/proc/stat");
const MEMINFO: FileSpec = FileSpec::whole(1, c"meminfo", "meminfo");
const LOADAVG: FileSpec = FileSpec::whole(2, c"loadavg", "loadavg");
const SOCKSTAT: FileSpec = FileSpec::whole(3, c"net/sockstat", "net/sockstat");
const SOCKSTAT6: FileSpec = FileSpec::whole(4, c"net/sockstat6", "net/sockstat6");
const FILE_NR: FileSpec = FileSpec::whole(5, c"sys/fs/file-nr", "sys/fs/file-nr");
const NET_DEV: FileSpec = FileSpec::records(6, c"net/dev", "net/dev");
const VMSTAT: FileSpec = FileSpec::records(7, c"vmstat", "vmstat");
const DISKSTATS: FileSpec = FileSpec::records(8, c"diskstats", "diskstats");
const PRESSURE_CPU: FileSpec = FileSpec::whole(9, c"pressure/cpu", "pressure/cpu");
const PRESSURE_MEMORY: FileSpec = FileSpec::whole(10, c"pressure/memory", "pressure/memory");
const PRESSURE_IO: FileSpec = FileSpec::whole(11, c"pressure/io", "pressure/io");
const UPTIME: FileSpec = FileSpec::whole(12, c"uptime", "uptime");
const SNMP: FileSpec = FileSpec::whole(13, c"net/snmp", "net/snmp");
const NETSTAT: FileSpec = FileSpec::whole(14, c"net/netstat", "net/netstat");
