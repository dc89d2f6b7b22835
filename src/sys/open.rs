//! Opening /proc and what lies below it, refusing what a mount stacked over an entry shows:
//! `openat2` with `RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS` where the kernel
//! has it, `openat` and a check of the mount where it does not; and `statx` of an entry by path
//! under the same check.

use super::stat::{fstat, fstatfs_is_procfs, mount_of, mount_of_statx, MountOf, StatSize};
use core::ffi::CStr;
use core::sync::atomic::{AtomicU8, Ordering::Relaxed};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, Mode, OFlags, ResolveFlags, StatxFlags};
use rustix::io::Errno;
use std::path::Path;

/// What every open here returns: the new fd, or the errno (`EXDEV` for a refused mount).
pub type Opened = Result<OwnedFd, Errno>;

/// `open(path, O_RDONLY|O_DIRECTORY|O_CLOEXEC)`: a directory to list and to `openat` below.
pub fn open_dir_path(path: &Path) -> Opened {
    rustix::fs::open(
        path,
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
fn open_beneath(dirfd: BorrowedFd<'_>, path: &CStr, flags: OFlags, rule: Beneath) -> Opened {
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
fn open_checked(dirfd: BorrowedFd<'_>, path: &CStr, flags: OFlags, rule: Beneath) -> Opened {
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

/// `openat2(dirfd, name, O_RDONLY|O_DIRECTORY)` below a procfs root, on its own mount only: a
/// directory that can be listed.
pub fn openat_dir(dirfd: BorrowedFd<'_>, name: &CStr) -> Opened {
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
pub fn openat_path_dir(dirfd: BorrowedFd<'_>, name: &CStr) -> Opened {
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
pub fn openat_link(dirfd: BorrowedFd<'_>, name: &CStr) -> Opened {
    open_beneath(dirfd, name, OFlags::PATH, Beneath::SameMount)
}

/// `openat2(dirfd, name, O_RDONLY)` below a procfs root under `rule`: a file to re-read with
/// [`pread`].
pub fn openat_file(dirfd: BorrowedFd<'_>, name: &CStr, rule: Beneath) -> Opened {
    open_beneath(dirfd, name, OFlags::RDONLY, rule)
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

// The integration tests' runner and filters, shared rather than copied.
#[cfg(test)]
#[path = "../../tests/support/rerun.rs"]
#[allow(dead_code, unused_macros)]
mod rerun;
#[cfg(test)]
#[path = "../../tests/support/seccomp.rs"]
#[allow(dead_code)]
mod seccomp;

#[cfg(test)]
mod tests {
    use super::*;
    use rerun::mount;
    use std::process::Command;

    #[test]
    fn opens_below_proc_refuse_stacked_mounts() {
        rerun::assert_passes_in_private_mount_namespace(
            "sys::open::tests::stacked_mounts_in_a_private_namespace",
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
        rerun::assert_passes_alone(
            "sys::open::tests::under_a_filter_refusing_openat2",
            &[],
            "fell back",
        );
    }

    #[test]
    #[ignore = "installs a seccomp filter: run by a_seccomp_filter_that_refuses_openat2_falls_back_to_checked_opens"]
    fn under_a_filter_refusing_openat2() {
        seccomp::refuse_openat2();
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
}
