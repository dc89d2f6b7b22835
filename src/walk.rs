//! The bounded walk of a /proc directory whose entries are numbers (`fd`, `task`, /proc itself),
//! shared by the fd and thread counts, [`Proc`](crate::proc::Proc)'s walks and the scanner.

use crate::budget::{Budget, Stop, Walk};
use crate::error::{errno_error, Result};
use crate::parse::{dirent, num};
use crate::sys::{self, DirBuf};
use core::ops::ControlFlow;
use rustix::fd::{BorrowedFd, RawFd};

/// Walks a /proc directory whose entries are numbers (`fd`, `task`, `/proc` itself), visiting
/// each number; `.`, `..` and other names are skipped, never counted. Rewinds it first, so a
/// held directory is walked whole each time.
pub(crate) fn walk_numbered(
    dir: BorrowedFd<'_>,
    file: &'static str,
    buf: &mut DirBuf,
    budget: &Budget,
    visit: impl FnMut(RawFd) -> ControlFlow<()>,
) -> Result<Walk> {
    sys::rewind(dir).map_err(|e| errno_error(e, file))?;
    walk_opened(dir, file, buf, budget, visit)
}

/// [`walk_numbered`] of a directory just opened, whose position is its start: no rewind.
pub(crate) fn walk_opened(
    dir: BorrowedFd<'_>,
    file: &'static str,
    buf: &mut DirBuf,
    budget: &Budget,
    mut visit: impl FnMut(RawFd) -> ControlFlow<()>,
) -> Result<Walk> {
    let budget = &budget.start();
    let mut count = 0u64;
    loop {
        let filled = buf.getdents64(dir).map_err(|e| errno_error(e, file))?;
        if filled.is_empty() {
            return Ok(Walk {
                count,
                stopped: None,
            });
        }
        for entry in dirent::dirents(filled) {
            let Some(number) = num::u32_dec(entry?.name).and_then(|n| RawFd::try_from(n).ok())
            else {
                continue;
            };
            if budget.entries_exhausted(count) {
                return Ok(Walk {
                    count,
                    stopped: Some(Stop::Entries),
                });
            }
            count += 1;
            if visit(number).is_break() {
                return Ok(Walk {
                    count,
                    stopped: Some(Stop::Visitor),
                });
            }
        }
        if budget.deadline_passed() {
            return Ok(Walk {
                count,
                stopped: Some(Stop::Deadline),
            });
        }
    }
}
