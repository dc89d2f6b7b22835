//! [`System`]: host-wide /proc files, held open and re-read.

use crate::parse;
use crate::proc::{errno_error, open_once, ProcFs};
use crate::sys::{self, Generated, ReadBuf};
use crate::Result;
use core::ffi::CStr;
use rustix::fd::{AsFd, OwnedFd};

/// The host-wide files below /proc, opened once relative to the mount and re-read with `pread`
/// at offset 0. Like [`Proc`](crate::Proc), every read returns a view borrowing the handle's
/// buffer and allocates nothing once the buffer has grown to fit.
///
/// The `net/*` files describe the network namespace of the thread that first reads them.
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
    files: [Option<OwnedFd>; SystemFile::COUNT],
    read_buf: ReadBuf,
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
            files: Default::default(),
            read_buf: ReadBuf::new(),
        })
    }

    /// Replaces the read buffer (to change its cap) and returns the previous one.
    pub fn replace_read_buf(&mut self, buf: ReadBuf) -> ReadBuf {
        core::mem::replace(&mut self.read_buf, buf)
    }

    fn read(&mut self, file: SystemFile) -> Result<&[u8]> {
        let slot = &mut self.files[file as usize];
        let fd = open_once(self.root.as_fd(), slot, file.c_path(), file.name())?;
        self.read_buf
            .pread_all(fd.as_fd(), file.name(), file.generated())
    }

    /// `/proc/stat`: CPU times, context switches, boot time, process counts.
    pub fn stat(&mut self) -> Result<parse::proc_stat::ProcStat<'_>> {
        parse::proc_stat::parse(self.read(SystemFile::Stat)?)
    }

    /// `/proc/meminfo`, values in bytes.
    pub fn meminfo(&mut self) -> Result<parse::meminfo::Meminfo<'_>> {
        parse::meminfo::parse(self.read(SystemFile::Meminfo)?)
    }

    /// `/proc/loadavg`.
    pub fn loadavg(&mut self) -> Result<parse::loadavg::Loadavg> {
        parse::loadavg::parse(self.read(SystemFile::Loadavg)?)
    }

    /// `/proc/net/sockstat`: IPv4 socket counts.
    pub fn sockstat(&mut self) -> Result<parse::sockstat::Sockstat<'_>> {
        parse::sockstat::parse(self.read(SystemFile::Sockstat)?)
    }

    /// `/proc/net/sockstat6`: IPv6 socket counts.
    pub fn sockstat6(&mut self) -> Result<parse::sockstat::Sockstat<'_>> {
        parse::sockstat::parse6(self.read(SystemFile::Sockstat6)?)
    }

    /// `/proc/sys/fs/file-nr`: allocated and maximum file handles, host-wide.
    pub fn file_nr(&mut self) -> Result<parse::file_nr::FileNr> {
        parse::file_nr::parse(self.read(SystemFile::FileNr)?)
    }

    /// `/proc/net/dev`: per-interface traffic.
    pub fn net_dev(&mut self) -> Result<parse::net_dev::NetDev<'_>> {
        parse::net_dev::parse(self.read(SystemFile::NetDev)?)
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

#[derive(Clone, Copy, Debug)]
enum SystemFile {
    Stat,
    Meminfo,
    Loadavg,
    Sockstat,
    Sockstat6,
    FileNr,
    NetDev,
}

impl SystemFile {
    const COUNT: usize = 7;

    fn c_path(self) -> &'static CStr {
        match self {
            SystemFile::Stat => c"stat",
            SystemFile::Meminfo => c"meminfo",
            SystemFile::Loadavg => c"loadavg",
            SystemFile::Sockstat => c"net/sockstat",
            SystemFile::Sockstat6 => c"net/sockstat6",
            SystemFile::FileNr => c"sys/fs/file-nr",
            SystemFile::NetDev => c"net/dev",
        }
    }

    fn generated(self) -> Generated {
        match self {
            SystemFile::NetDev => Generated::Records,
            _ => Generated::Whole,
        }
    }

    fn name(self) -> &'static str {
        match self {
            SystemFile::Stat => "/proc/stat",
            SystemFile::Meminfo => "meminfo",
            SystemFile::Loadavg => "loadavg",
            SystemFile::Sockstat => "net/sockstat",
            SystemFile::Sockstat6 => "net/sockstat6",
            SystemFile::FileNr => "sys/fs/file-nr",
            SystemFile::NetDev => "net/dev",
        }
    }
}
