//! The I/O layer: every syscall procfast makes, and every `unsafe` block.
//!
//! Functions are named after the syscall they wrap and return raw [`Errno`]s; the layers above
//! attach the file name and classify them into [`Error`](crate::error::Error). Most wrappers are
//! thin calls into rustix's safe API; `getdents64` (which rustix does not expose raw) and
//! `prlimit` of another process go through `libc` in `unsafe` blocks. A file per syscall family:
//!
//! - `open`: /proc and the files below it, refusing stacked mounts (`openat2`, `statx` by path)
//! - `stat`: `fstat`, `statx` and `fstatfs` of held fds, and the procfs check
//! - `link`: `readlinkat`
//! - `dirents`: `getdents64`, `lseek`; `dirbuf`: the buffer it fills
//! - `read`: `pread`, `read`; `readbuf`: the buffer held files are re-read into
//! - `netlink`: `sock_diag` sockets
//! - `process`: `getpid`, `getrlimit`, `prlimit`
//! - `sysconf`: the tick rate, the page size, the boot time
//! - `errno`: the `errno` of calls made through `libc`

mod dirbuf;
mod dirents;
mod errno;
mod link;
mod netlink;
mod open;
mod process;
mod read;
mod readbuf;
mod stat;
mod sysconf;

pub use dirbuf::DirBuf;
pub use dirents::{reopen_dir, rewind};
pub use link::{is_symlink, readlinkat};
pub use netlink::{netlink_recv, netlink_send, sock_diag_socket};
pub use open::{
    open_dir_path, openat_dir, openat_file, openat_link, openat_path_dir, statx_on, Beneath,
};
pub use process::{getpid, getrlimit_soft, prlimit_soft, Rlimit};
pub use read::{pread, read};
pub use readbuf::{Generated, ReadBuf};
pub use rustix::io::Errno;
pub use stat::{fstat, fstatfs_is_procfs, is_procfs_root, mount_of, stat_identity, MountOf};
pub use sysconf::{boot_time_from_clocks, clock_ticks_per_second, page_size};
