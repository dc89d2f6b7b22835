//! `fstat`, `statx` and `fstatfs` of held fds: sizes and link counts (fd and thread counts),
//! owners, the mount a file is on, and whether a directory is the root of a procfs.

use core::ffi::CStr;
use rustix::fd::BorrowedFd;
use rustix::fs::{AtFlags, StatxFlags};
use rustix::io::Errno;

/// The figures procfast takes from `fstat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatSize {
    /// `st_size`: for `/proc/<pid>/fd` on Linux ≥ 6.2, the number of open fds.
    pub size: u64,
    /// `st_nlink`: for `/proc/<pid>/task`, 2 + the number of threads.
    pub nlink: u64,
    /// `st_uid`: for `/proc/<pid>` itself, the process's effective uid (for its entries, root
    /// where the process is not dumpable).
    pub uid: u32,
}

/// `fstat(fd)`, keeping `st_size`, `st_nlink` and `st_uid`.
pub fn fstat(fd: BorrowedFd<'_>) -> Result<StatSize, Errno> {
    let st = rustix::fs::fstat(fd)?;
    Ok(StatSize {
        // A negative size never comes from procfs; treat it as "no count".
        size: u64::try_from(st.st_size).unwrap_or(0),
        nlink: st.st_nlink,
        uid: st.st_uid,
    })
}

/// Which mount a file is on: its mount id (Linux ≥ 5.8), else its device number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MountOf {
    /// `stx_mnt_id`.
    Id(u64),
    /// `stx_dev_major`, `stx_dev_minor`: files of one filesystem share it across bind mounts.
    Dev(u32, u32),
}

/// `statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID)`: the mount `fd` is on.
pub fn mount_of(fd: BorrowedFd<'_>) -> Result<MountOf, Errno> {
    let st = rustix::fs::statx(fd, c"", AtFlags::EMPTY_PATH, StatxFlags::MNT_ID)?;
    Ok(mount_of_statx(&st))
}

/// The mount of a file from its `statx`: its mount id where reported, else its device.
pub(super) fn mount_of_statx(st: &rustix::fs::Statx) -> MountOf {
    if StatxFlags::from_bits_retain(st.stx_mask).contains(StatxFlags::MNT_ID) {
        MountOf::Id(st.stx_mnt_id)
    } else {
        MountOf::Dev(st.stx_dev_major, st.stx_dev_minor)
    }
}

/// `fstatat(dirfd, path, 0)`, following links (such as the namespace links of `ns/`): the device
/// and inode the path names, which for `ns/pid` identify a pid namespace.
pub fn stat_identity(dirfd: BorrowedFd<'_>, path: &CStr) -> Result<(u64, u64), Errno> {
    let st = rustix::fs::statat(dirfd, path, AtFlags::empty())?;
    #[allow(clippy::useless_conversion, clippy::unnecessary_cast)]
    Ok((st.st_dev as u64, st.st_ino as u64))
}

/// `PROC_SUPER_MAGIC` from `linux/magic.h`: the `f_type` statfs reports for procfs.
const PROC_SUPER_MAGIC: u64 = 0x9fa0;

/// `fstatfs(fd)` and a check of the magic number: is `fd` on a procfs mount?
pub fn fstatfs_is_procfs(fd: BorrowedFd<'_>) -> Result<bool, Errno> {
    let st = rustix::fs::fstatfs(fd)?;
    // f_type's integer type differs between architectures; compare as u64.
    #[allow(clippy::useless_conversion, clippy::unnecessary_cast)]
    let magic = st.f_type as u64;
    Ok(magic == PROC_SUPER_MAGIC)
}

/// `PROC_ROOT_INO`: the inode number of a procfs mount's root directory.
const PROC_ROOT_INO: u64 = 1;

/// `statx(fd, "", AT_EMPTY_PATH, STATX_INO)`: is `fd` the root directory of a procfs (not a
/// sub-directory such as `/proc/1` or `/proc/sys` bind-mounted elsewhere)? Assumes `fd` is on
/// procfs ([`fstatfs_is_procfs`]).
pub fn is_procfs_root(fd: BorrowedFd<'_>) -> Result<bool, Errno> {
    let st = rustix::fs::statx(fd, c"", AtFlags::EMPTY_PATH, StatxFlags::INO)?;
    Ok(st.stx_ino == PROC_ROOT_INO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustix::fd::AsFd;

    #[test]
    fn the_procfs_root_is_told_from_its_subdirectories() {
        let is_root = |p: &str| is_procfs_root(std::fs::File::open(p).unwrap().as_fd());
        assert_eq!(is_root("/proc"), Ok(true));
        assert_eq!(is_root("/proc/1"), Ok(false));
        assert_eq!(is_root("/proc/sys"), Ok(false));
        assert_eq!(is_root("/proc/self/task"), Ok(false));
    }
}
