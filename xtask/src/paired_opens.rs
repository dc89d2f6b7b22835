//! `cargo xtask paired-opens`: what the mount checks cost when a file below /proc is opened,
//! timed in the same moments (a few seconds). Per round, each contender runs `CALLS` times on a
//! live helper's entries, in rotating order; medians of the rounds. The pairs are the unchecked
//! syscall and the checked one: `openat` against `openat2` with `RESOLVE_NO_XDEV |
//! RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH` (the pid directory of `Proc::open`, the `stat` a cold
//! scan reads), and `fstatat` against `statx` with the mount id (the `fd` count of a cold scan).

use crate::format::fmt_ns;
use crate::helper;
use crate::report::{Report, Table};
use crate::timing::{median_of, rotated_rounds};
use procfast::Proc;

pub fn run(report: &Report) -> Result<(), String> {
    report.publish("paired-opens", &measure()?)
}

fn measure() -> Result<String, String> {
    use rustix::fs::{AtFlags, Mode, OFlags, ResolveFlags, StatxFlags};
    const ROUNDS: usize = 41;
    const CALLS: usize = 200;
    let helper = helper::Helper::holding_fds(10);
    let root = rustix::fs::open("/proc", OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty())
        .map_err(|e| format!("opening /proc: {e}"))?;
    let path = |suffix: &str| std::ffi::CString::new(format!("{}{suffix}", helper.pid)).ok();
    let (Some(pid_dir), Some(stat), Some(fd_dir)) = (path(""), path("/stat"), path("/fd")) else {
        return Err("a helper's path holds a NUL".into());
    };
    let resolve = ResolveFlags::NO_XDEV | ResolveFlags::NO_MAGICLINKS | ResolveFlags::BENEATH;
    let dir_flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
    let file_flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
    let (mut buf, mut buf2) = ([0u8; 4096], [0u8; 4096]);
    type Contender<'a> = (&'static str, Box<dyn FnMut() -> bool + 'a>);
    let contenders: [Contender; 7] = [
        (
            "`openat` of a pid directory + close",
            Box::new(|| rustix::fs::openat(&root, &pid_dir, dir_flags, Mode::empty()).is_ok()),
        ),
        (
            "`openat2` (`NO_XDEV \\| NO_MAGICLINKS \\| BENEATH`) + close",
            Box::new(|| {
                rustix::fs::openat2(&root, &pid_dir, dir_flags, Mode::empty(), resolve).is_ok()
            }),
        ),
        (
            "`Proc::open` (that `openat2`, and the handle)",
            Box::new(|| Proc::open(helper.pid).is_ok()),
        ),
        (
            "`openat` + read + close of `stat` (a cold scan's read)",
            Box::new(|| {
                let fd = rustix::fs::openat(&root, &stat, file_flags, Mode::empty());
                fd.is_ok_and(|fd| rustix::io::read(&fd, &mut buf).is_ok_and(|n| n > 0))
            }),
        ),
        (
            "the same with `openat2`",
            Box::new(|| {
                let fd = rustix::fs::openat2(&root, &stat, file_flags, Mode::empty(), resolve);
                fd.is_ok_and(|fd| rustix::io::read(&fd, &mut buf2).is_ok_and(|n| n > 0))
            }),
        ),
        (
            "`fstatat` of `<pid>/fd` (a cold scan's count)",
            Box::new(|| {
                rustix::fs::statat(&root, &fd_dir, AtFlags::empty())
                    .is_ok_and(|st| st.st_size == 10)
            }),
        ),
        (
            "`statx` of it with the mount id",
            Box::new(|| {
                let mask = StatxFlags::SIZE | StatxFlags::MNT_ID;
                let st = rustix::fs::statx(&root, &fd_dir, AtFlags::SYMLINK_NOFOLLOW, mask);
                st.is_ok_and(|st| st.stx_size == 10 && st.stx_mnt_id != 0)
            }),
        ),
    ];
    let mut contenders = contenders;
    let times = rotated_rounds(ROUNDS, contenders.len(), |which| {
        for _ in 0..CALLS {
            assert!((contenders[which].1)(), "{} failed", contenders[which].0);
        }
        CALLS
    });
    let mut table = Table::new(&["operation", "median", "÷ the unchecked one"], "lrr");
    let medians: Vec<f64> = times.iter().map(|t| median_of(t)).collect();
    for (k, (name, _)) in contenders.iter().enumerate() {
        let reference = match k {
            1 | 2 => Some(medians[0]),
            4 => Some(medians[3]),
            6 => Some(medians[5]),
            _ => None,
        };
        let ratio = reference.map_or("–".to_string(), |r| format!("{:.2}×", medians[k] / r));
        table.row([name.to_string(), fmt_ns(medians[k]), ratio]);
    }
    Ok(format!(
        "Opens below /proc with and without the mount checks, in the same moments (each round \
         runs every contender {CALLS} times, in rotating order; medians of {ROUNDS} rounds):\n\n{}",
        table.finish()
    ))
}
