//! The I/O layer: every syscall procfast makes, and every `unsafe` block.
//!
//! Functions are named after the syscall they wrap and return raw [`Errno`]s; the layers above
//! attach the file name and classify them into [`Error`](crate::Error). Most wrappers are thin
//! calls into rustix's safe API; `getdents64` (which rustix does not expose raw) and `prlimit` of
//! another process go through `libc` in `unsafe` blocks.

use core::ffi::CStr;
use core::sync::atomic::{AtomicU8, Ordering::Relaxed};
use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, Mode, OFlags, ResolveFlags, StatxFlags};
pub use rustix::io::Errno;
use std::path::Path;

mod dirbuf;
mod readbuf;
pub use dirbuf::DirBuf;
pub use readbuf::{Generated, ReadBuf};

/// `PROC_SUPER_MAGIC` from `linux/magic.h`: the `f_type` statfs reports for procfs.
const PROC_SUPER_MAGIC: u64 = 0x9fa0;

/// `open(path, O_RDONLY|O_DIRECTORY|O_CLOEXEC)`: a directory to list and to `openat` below.
pub fn open_dir_path(path: &Path) -> Result<OwnedFd, Errno> {
    rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// `openat(dirfd, ".", O_RDONLY|O_DIRECTORY|O_CLOEXEC)`: a second open file description of a
/// directory, with its own position, so that two walks of it do not disturb each other.
pub fn reopen_dir(dirfd: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
    rustix::fs::openat(
        dirfd,
        c".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

// Every path below a procfs root is opened with `openat2` and these flags, so a mount stacked
// over an entry (`mount --bind FILE /proc/<pid>/stat`, a tmpfs over `/proc/<pid>/fd`) is refused
// with `EXDEV` rather than read as the kernel's own: no mount is crossed, no magic link (`fd/N`,
// `exe`) is followed, nothing outside `dirfd` is reached. runc opens /proc the same way since
// CVE-2019-16884 and CVE-2019-19921. Checked at open time only: held fds stay one syscall a read.
const BENEATH_STRICT: ResolveFlags = ResolveFlags::NO_XDEV
    .union(ResolveFlags::NO_MAGICLINKS)
    .union(ResolveFlags::BENEATH);

/// Whether this kernel has `openat2` (Linux ≥ 5.6): 0 unknown, 1 yes, 2 no.
static OPENAT2: AtomicU8 = AtomicU8::new(0);

/// Which check an open below a procfs root makes of what it reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Beneath {
    /// Nothing but the procfs mount of `dirfd` itself: any crossed mount is refused. For the
    /// entries of a process, where no mount belongs.
    SameMount,
    /// Any mount of procfs: one crossed into another procfs mount is accepted, anything else
    /// (tmpfs, a FUSE file such as lxcfs's, a bind of `/dev/null`) refused. For host files, since
    /// container runtimes bind `/proc/sys` read-only over itself.
    Procfs,
}

/// Opens `path` below `dirfd` under the [`Beneath`] rule, by `openat2` where the kernel has it
/// and by `openat` plus a check of what was opened where it does not. A refused mount is
/// `EXDEV`.
fn open_beneath(
    dirfd: BorrowedFd<'_>,
    path: &CStr,
    flags: OFlags,
    rule: Beneath,
) -> Result<OwnedFd, Errno> {
    let flags = flags | OFlags::CLOEXEC | OFlags::NOFOLLOW;
    if OPENAT2.load(Relaxed) != 2 {
        let resolve = match rule {
            Beneath::SameMount => BENEATH_STRICT,
            Beneath::Procfs => BENEATH_STRICT.difference(ResolveFlags::NO_XDEV),
        };
        match rustix::fs::openat2(dirfd, path, flags, Mode::empty(), resolve) {
            Err(Errno::NOSYS) => OPENAT2.store(2, Relaxed),
            // Seccomp filters older than openat2 (as some container runtimes shipped) refuse
            // it with EPERM: if the fallback then succeeds, it was openat2 that was refused.
            Err(Errno::PERM) => {
                let opened = open_checked(dirfd, path, flags, rule);
                if opened.is_ok() {
                    OPENAT2.store(2, Relaxed);
                }
                return opened;
            }
            Ok(fd) if rule == Beneath::Procfs && !fstatfs_is_procfs(fd.as_fd())? => {
                return Err(Errno::XDEV)
            }
            other => {
                OPENAT2.store(1, Relaxed);
                return other;
            }
        }
    }
    open_checked(dirfd, path, flags, rule)
}

/// The fallback of [`open_beneath`] for kernels before 5.6: `openat`, then a check that the
/// result is on `dirfd`'s mount (its mount id where `statx` reports one, Linux ≥ 5.8; else its
/// device) or, for [`Beneath::Procfs`], on procfs.
fn open_checked(
    dirfd: BorrowedFd<'_>,
    path: &CStr,
    flags: OFlags,
    rule: Beneath,
) -> Result<OwnedFd, Errno> {
    let fd = rustix::fs::openat(dirfd, path, flags, Mode::empty())?;
    let accepted = match rule {
        Beneath::SameMount => mount_of(fd.as_fd())? == mount_of(dirfd)?,
        Beneath::Procfs => fstatfs_is_procfs(fd.as_fd())?,
    };
    if accepted {
        Ok(fd)
    } else {
        Err(Errno::XDEV)
    }
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

fn mount_of_statx(st: &rustix::fs::Statx) -> MountOf {
    if StatxFlags::from_bits_retain(st.stx_mask).contains(StatxFlags::MNT_ID) {
        MountOf::Id(st.stx_mnt_id)
    } else {
        MountOf::Dev(st.stx_dev_major, st.stx_dev_minor)
    }
}

/// `readlinkat(dirfd, name)` into `buf`: the bytes of a symlink's target (cut at `buf`'s length).
/// With an empty `name`, the link that `dirfd` itself is (from [`openat_link`]).
pub fn readlinkat<'b>(
    dirfd: BorrowedFd<'_>,
    name: &CStr,
    buf: &'b mut [u8],
) -> Result<&'b [u8], Errno> {
    let len = rustix::fs::readlinkat_raw(dirfd, name, &mut *buf)?;
    Ok(buf.get(..len).unwrap_or_default())
}

/// `fstat(fd)`: is `fd` (an `O_PATH` handle from [`openat_link`]) a symbolic link? Tells a link
/// that names nothing (`readlinkat` fails with `ENOENT`) from a file that is no link at all
/// (which `readlinkat` with an empty path reports as `ENOENT` too).
pub fn is_symlink(fd: BorrowedFd<'_>) -> Result<bool, Errno> {
    let st = rustix::fs::fstat(fd)?;
    Ok(rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Symlink)
}

/// `fstatat(dirfd, path, 0)`, following links (such as the namespace links of `ns/`): the device
/// and inode the path names, which for `ns/pid` identify a pid namespace.
pub fn stat_identity(dirfd: BorrowedFd<'_>, path: &CStr) -> Result<(u64, u64), Errno> {
    let st = rustix::fs::statat(dirfd, path, AtFlags::empty())?;
    #[allow(clippy::useless_conversion, clippy::unnecessary_cast)]
    Ok((st.st_dev as u64, st.st_ino as u64))
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

/// `openat2(dirfd, name, O_RDONLY|O_DIRECTORY)` below a procfs root, on its own mount only: a
/// directory that can be listed.
pub fn openat_dir(dirfd: BorrowedFd<'_>, name: &CStr) -> Result<OwnedFd, Errno> {
    open_beneath(
        dirfd,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY,
        Beneath::SameMount,
    )
}

/// `openat2(dirfd, name, O_PATH|O_DIRECTORY)` below a procfs root, on its own mount only: a
/// directory handle good for `fstat` and as an `openat` base, which needs only search permission
/// on the parent (so it succeeds where listing is denied).
pub fn openat_path_dir(dirfd: BorrowedFd<'_>, name: &CStr) -> Result<OwnedFd, Errno> {
    open_beneath(
        dirfd,
        name,
        OFlags::PATH | OFlags::DIRECTORY,
        Beneath::SameMount,
    )
}

/// `openat2(dirfd, name, O_PATH|O_NOFOLLOW)` below a procfs root, on its own mount only: a
/// handle on the symbolic link `name` itself (`exe`, `cwd`, `fd/3`), not on what it names, for
/// [`readlinkat`] with an empty path. `openat2` returns such a handle on a magic link even under
/// `RESOLVE_NO_MAGICLINKS`, since it follows nothing.
pub fn openat_link(dirfd: BorrowedFd<'_>, name: &CStr) -> Result<OwnedFd, Errno> {
    open_beneath(dirfd, name, OFlags::PATH, Beneath::SameMount)
}

/// `openat2(dirfd, name, O_RDONLY)` below a procfs root under `rule`: a file to re-read with
/// [`pread`].
pub fn openat_file(dirfd: BorrowedFd<'_>, name: &CStr, rule: Beneath) -> Result<OwnedFd, Errno> {
    open_beneath(dirfd, name, OFlags::RDONLY, rule)
}

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

/// `statx(dirfd, path, AT_SYMLINK_NOFOLLOW, STATX_SIZE|STATX_NLINK|STATX_UID|STATX_MNT_ID)`: an
/// entry below a procfs root by path, with no fd held, refused with `EXDEV` unless it lies on
/// the `root` mount (see [`mount_of`]). Where `statx` reports no mount id (before Linux 5.8) it
/// opens the entry with [`openat_path_dir`] and `fstat`s that instead.
pub fn statx_on(dirfd: BorrowedFd<'_>, path: &CStr, root: MountOf) -> Result<StatSize, Errno> {
    let mask = StatxFlags::SIZE | StatxFlags::NLINK | StatxFlags::UID | StatxFlags::MNT_ID;
    let st = rustix::fs::statx(dirfd, path, AtFlags::SYMLINK_NOFOLLOW, mask)?;
    match (mount_of_statx(&st), root) {
        (MountOf::Id(id), MountOf::Id(root)) if id == root => Ok(StatSize {
            size: st.stx_size,
            nlink: u64::from(st.stx_nlink),
            uid: st.stx_uid,
        }),
        (MountOf::Id(_), MountOf::Id(_)) => Err(Errno::XDEV),
        _ => fstat(openat_path_dir(dirfd, path)?.as_fd()),
    }
}

/// `fstatfs(fd)` and a check of the magic number: is `fd` on a procfs mount?
pub fn fstatfs_is_procfs(fd: BorrowedFd<'_>) -> Result<bool, Errno> {
    let st = rustix::fs::fstatfs(fd)?;
    // f_type's integer type differs between architectures; compare as u64.
    #[allow(clippy::useless_conversion, clippy::unnecessary_cast)]
    let magic = st.f_type as u64;
    Ok(magic == PROC_SUPER_MAGIC)
}

/// `lseek(fd, 0, SEEK_SET)`: rewinds a directory so the next `getdents64` starts again.
pub fn rewind(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    rustix::fs::seek(fd, rustix::fs::SeekFrom::Start(0)).map(drop)
}

/// `getdents64(fd, buf)`: fills `buf` with `linux_dirent64` records, returning the number of bytes
/// written; 0 at the end of the directory. `EINVAL` means one record does not fit `buf`.
#[allow(unsafe_code)]
pub fn getdents64(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY:
    // - `buf` is a valid, exclusively borrowed, initialized byte slice for the whole call, and we
    //   pass its true length, so the kernel writes only inside it.
    // - `fd` is a live descriptor borrowed for the call; the kernel validates it.
    // - The kernel treats the buffer as bytes; no alignment or type invariant is assumed here
    //   (records are decoded later with `from_ne_bytes` in `parse::dirent`).
    let ret = unsafe {
        libc::syscall(
            libc::SYS_getdents64,
            fd.as_raw_fd(),
            buf.as_mut_ptr(),
            buf.len(),
        )
    };
    if ret < 0 {
        return Err(Errno::from_raw_os_error(libc_errno()));
    }
    // The kernel never returns more than the length passed in; clamp anyway rather than trust it.
    Ok(usize::try_from(ret).unwrap_or(0).min(buf.len()))
}

fn libc_errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// `pread(fd, buf, offset)`, retrying `EINTR`. On a held /proc file, offset 0 makes the kernel
/// generate fresh contents on every call, without a `close`/`open` pair.
pub fn pread(fd: BorrowedFd<'_>, buf: &mut [u8], offset: u64) -> Result<usize, Errno> {
    loop {
        match rustix::io::pread(fd, &mut *buf, offset) {
            Err(Errno::INTR) => continue,
            other => return other,
        }
    }
}

/// `read(fd, buf)`, retrying `EINTR`: the next piece of a file read from start to end (a
/// /proc file too long to read whole, generated a page of whole records per call).
pub fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    loop {
        match rustix::io::read(fd, &mut *buf) {
            Err(Errno::INTR) => continue,
            other => return other,
        }
    }
}

/// `socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)`: a socket to ask the
/// kernel for socket dumps, in the calling thread's network namespace.
pub fn sock_diag_socket() -> Result<OwnedFd, Errno> {
    use rustix::net::{netlink, AddressFamily, SocketFlags, SocketType};
    rustix::net::socket_with(
        AddressFamily::NETLINK,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC,
        Some(netlink::SOCK_DIAG),
    )
}

/// `sendto(fd, request, 0, {AF_NETLINK, pid 0})`: a netlink request to the kernel.
pub fn netlink_send(fd: BorrowedFd<'_>, request: &[u8]) -> Result<(), Errno> {
    use rustix::net::{netlink::SocketAddrNetlink, SendFlags};
    let kernel = SocketAddrNetlink::new(0, 0);
    loop {
        match rustix::net::sendto(fd, request, SendFlags::empty(), &kernel) {
            Err(Errno::INTR) => continue,
            Ok(sent) if sent == request.len() => return Ok(()),
            Ok(_) => return Err(Errno::MSGSIZE),
            Err(e) => return Err(e),
        }
    }
}

/// `recv(fd, buf, MSG_TRUNC)`: the next datagram of a netlink reply. A datagram longer than
/// `buf` is `EMSGSIZE` (its tail would be lost), never a silently cut one.
pub fn netlink_recv<'b>(fd: BorrowedFd<'_>, buf: &'b mut [u8]) -> Result<&'b [u8], Errno> {
    use rustix::net::RecvFlags;
    loop {
        match rustix::net::recv(fd, &mut *buf, RecvFlags::TRUNC) {
            Err(Errno::INTR) => continue,
            Ok((_, whole)) if whole > buf.len() => return Err(Errno::MSGSIZE),
            Ok((got, _)) => return Ok(buf.get(..got).unwrap_or_default()),
            Err(e) => return Err(e),
        }
    }
}

/// `getpid()`.
pub fn getpid() -> i32 {
    rustix::process::getpid().as_raw_nonzero().get()
}

/// `sysconf(_SC_CLK_TCK)`: the unit of the tick counts in /proc files (usually 100), read from
/// the auxiliary vector once per process, never assumed.
pub fn clock_ticks_per_second() -> u64 {
    rustix::param::clock_ticks_per_second()
}

/// `sysconf(_SC_PAGESIZE)`: the unit of the page counts in /proc files.
pub fn page_size() -> u64 {
    rustix::param::page_size() as u64
}

/// The boot time in whole seconds since the epoch, from `CLOCK_REALTIME - CLOCK_BOOTTIME`: what
/// the kernel prints as `btime` in `/proc/stat`, for mounts that do not show that file.
pub fn boot_time_from_clocks() -> u64 {
    use rustix::time::{clock_gettime, ClockId};
    let nanos = |t: rustix::time::Timespec| t.tv_sec as i128 * 1_000_000_000 + t.tv_nsec as i128;
    let booted = nanos(clock_gettime(ClockId::Realtime)) - nanos(clock_gettime(ClockId::Boottime));
    u64::try_from(booted.div_euclid(1_000_000_000)).unwrap_or(0)
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
        return Err(Errno::from_raw_os_error(libc_errno()));
    }
    Ok((old.rlim_cur != libc::RLIM_INFINITY).then_some(old.rlim_cur))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// Runs the ignored test `name` of this binary in a private mount namespace (so its mounts
    /// vanish with it) and checks that it passed and printed `marker`; skips when not root.
    fn in_private_mount_namespace(name: &str, marker: &str) {
        if !rustix::process::geteuid().is_root() {
            eprintln!("skipped: {name} needs root to mount");
            return;
        }
        let exe = std::env::current_exe().expect("current_exe");
        let out = Command::new("unshare")
            .args(["--mount", "--propagation", "private"])
            .arg(exe)
            .args([
                "--exact",
                name,
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .output()
            .expect("run unshare");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains(marker),
            "{name}: {}\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn mount(args: &[&str]) {
        let status = Command::new("mount")
            .args(args)
            .status()
            .expect("run mount");
        assert!(status.success(), "mount {args:?}");
    }

    #[test]
    fn opens_below_proc_refuse_stacked_mounts() {
        in_private_mount_namespace(
            "sys::tests::stacked_mounts_in_a_private_namespace",
            "stacked mounts refused",
        );
    }

    #[test]
    #[ignore = "mounts: run by opens_below_proc_refuse_stacked_mounts"]
    fn stacked_mounts_in_a_private_namespace() {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let pid = child.id();
        let forged = std::env::temp_dir().join(format!("procfast-forged-{pid}"));
        std::fs::write(&forged, "1 (forged) R 0 0 0 0 -1 0\n").unwrap();
        mount(&[
            "--bind",
            forged.to_str().unwrap(),
            &format!("/proc/{pid}/stat"),
        ]);
        mount(&["-t", "tmpfs", "none", &format!("/proc/{pid}/fd")]);
        mount(&["--bind", "-o", "ro", "/proc/sys", "/proc/sys"]);

        let root = open_dir_path(Path::new("/proc")).unwrap();
        let (root, path) = (root.as_fd(), |s: &str| std::ffi::CString::new(s).unwrap());
        let (stat, statm) = (path(&format!("{pid}/stat")), path(&format!("{pid}/statm")));
        let fd = path(&format!("{pid}/fd"));
        let file_nr = path("sys/fs/file-nr");
        let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
        for rule in [Beneath::SameMount, Beneath::Procfs] {
            // Both the openat2 path and the fallback refuse a file that is not procfs's.
            assert_eq!(
                open_beneath(root, &stat, flags, rule).unwrap_err(),
                Errno::XDEV
            );
            assert_eq!(
                open_checked(root, &stat, flags, rule).unwrap_err(),
                Errno::XDEV
            );
            assert!(open_beneath(root, &statm, flags, rule).is_ok());
            assert!(open_checked(root, &statm, flags, rule).is_ok());
        }
        assert_eq!(openat_dir(root, &fd).unwrap_err(), Errno::XDEV);
        assert_eq!(openat_path_dir(root, &fd).unwrap_err(), Errno::XDEV);
        let mount = mount_of(root).unwrap();
        assert_eq!(statx_on(root, &fd, mount).unwrap_err(), Errno::XDEV);
        assert!(statx_on(root, &path(&format!("{pid}/task")), mount).is_ok());
        // /proc/sys bound over itself, as container runtimes do: procfs, but another mount.
        let on_procfs = open_beneath(root, &file_nr, flags, Beneath::Procfs);
        assert!(on_procfs.is_ok());
        assert!(open_checked(root, &file_nr, flags, Beneath::Procfs).is_ok());
        assert_eq!(
            open_beneath(root, &file_nr, flags, Beneath::SameMount).unwrap_err(),
            Errno::XDEV
        );
        assert_eq!(
            open_checked(root, &file_nr, flags, Beneath::SameMount).unwrap_err(),
            Errno::XDEV
        );
        let _ = child.kill();
        let _ = child.wait();
        let _ = std::fs::remove_file(&forged);
        println!("stacked mounts refused");
    }

    #[test]
    fn a_seccomp_filter_that_refuses_openat2_falls_back_to_checked_opens() {
        let exe = std::env::current_exe().expect("current_exe");
        let out = Command::new(exe)
            .args(["--exact", "sys::tests::under_a_filter_refusing_openat2"])
            .args(["--ignored", "--nocapture", "--test-threads=1"])
            .output()
            .expect("run the test binary");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("fell back"),
            "{}\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Makes `openat2` fail with EPERM for this thread, as seccomp profiles older than it did.
    #[allow(unsafe_code)]
    fn refuse_openat2() {
        const LD_NR: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
        const JEQ: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
        const RET: u16 = 0x06; // BPF_RET | BPF_K
        let nr = libc::SYS_openat2 as u32;
        let mut filter = [
            libc::sock_filter {
                code: LD_NR,
                jt: 0,
                jf: 0,
                k: 0,
            }, // seccomp_data.nr
            libc::sock_filter {
                code: JEQ,
                jt: 0,
                jf: 1,
                k: nr,
            },
            libc::sock_filter {
                code: RET,
                jt: 0,
                jf: 0,
                k: libc::SECCOMP_RET_ERRNO | libc::EPERM as u32,
            },
            libc::sock_filter {
                code: RET,
                jt: 0,
                jf: 0,
                k: libc::SECCOMP_RET_ALLOW,
            },
        ];
        let program = libc::sock_fprog {
            len: filter.len() as u16,
            filter: filter.as_mut_ptr(),
        };
        // SAFETY:
        // - `program` points at `filter`, both alive for the call; the kernel copies the filter.
        // - The filter only turns one syscall into EPERM for this test thread.
        let ret = unsafe {
            libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
            libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER,
                &program as *const libc::sock_fprog,
            )
        };
        assert_eq!(ret, 0, "install the seccomp filter");
    }

    #[test]
    #[ignore = "installs a seccomp filter: run by a_seccomp_filter_that_refuses_openat2_falls_back_to_checked_opens"]
    fn under_a_filter_refusing_openat2() {
        refuse_openat2();
        let root = open_dir_path(Path::new("/proc")).unwrap();
        let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
        let raw = rustix::fs::openat2(
            root.as_fd(),
            c"self/stat",
            flags,
            Mode::empty(),
            BENEATH_STRICT,
        );
        assert_eq!(raw.unwrap_err(), Errno::PERM, "the filter is in place");
        let opened = open_beneath(root.as_fd(), c"self/stat", flags, Beneath::SameMount);
        assert!(opened.is_ok(), "{opened:?}");
        assert_eq!(
            OPENAT2.load(Relaxed),
            2,
            "remembered that openat2 is refused"
        );
        println!("fell back");
    }

    #[test]
    fn the_procfs_root_is_told_from_its_subdirectories() {
        let is_root = |p: &str| is_procfs_root(open_dir_path(Path::new(p)).unwrap().as_fd());
        assert_eq!(is_root("/proc"), Ok(true));
        assert_eq!(is_root("/proc/1"), Ok(false));
        assert_eq!(is_root("/proc/sys"), Ok(false));
        assert_eq!(is_root("/proc/self/task"), Ok(false));
    }
}
