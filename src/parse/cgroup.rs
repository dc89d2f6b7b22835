//! `/proc/<pid>/cgroup`: the control groups a process belongs to, one line per hierarchy.
//!
//! ```text
//! 4:memory:/process_api/19a27bd548d19e3bbf321afd1eeea42c   ← cgroup v1: id, controllers, path
//! 1:cpu,cpuacct:/                                         ← controllers share a hierarchy
//! 9:name=systemd:/                                        ← a named hierarchy, no controller
//! 0::/system.slice/sshd.service                           ← cgroup v2: id 0, no controllers
//! ```
//!
//! Each line is `hierarchy-ID:controller-list:cgroup-path`. A host on the unified hierarchy
//! (cgroup v2 only) has the single line `0::/path`; a hybrid host lists its v1 hierarchies and
//! that line too. The path is relative to the hierarchy's mount (and to the reader's cgroup
//! namespace, so it may start with `/..`), and may itself contain `:`, so a line is split at
//! its first two colons only.
//!
//! [`parse`] checks every line once and returns a view that keeps the first line split (on a
//! v2-only host, the only one); its iterators split the others again as they go, borrowing the
//! input and allocating nothing.
//!
//! ```
//! let text = b"2:cpu,cpuacct:/a\n1:name=systemd:/user.slice\n0::/user.slice/x:y\n";
//! let cgroups = procfast::parse::cgroup::parse(text)?;
//! assert_eq!(cgroups.v2_path(), Some(&b"/user.slice/x:y"[..]));
//! assert_eq!(cgroups.v1_path(b"cpuacct"), Some(&b"/a"[..]));
//! let first = cgroups.iter().next().unwrap();
//! assert_eq!(first.hierarchy_id, 2);
//! assert_eq!(first.controllers().collect::<Vec<_>>(), [&b"cpu"[..], b"cpuacct"]);
//! assert_eq!(cgroups.iter().count(), 3);
//! # Ok::<(), procfast::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::parse::{num, text};

const FILE: &str = "cgroup";

/// The parsed `/proc/<pid>/cgroup`, borrowing the input; every line was checked by [`parse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cgroups<'a> {
    /// The first line, kept split: on a cgroup v2 host it is the only one, which iterating then
    /// need not split again.
    first: Cgroup<'a>,
    /// The lines after it, each ending in `\n`.
    rest: &'a [u8],
}

/// One line of `/proc/<pid>/cgroup`: a hierarchy and the process's cgroup in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cgroup<'a> {
    /// The hierarchy's id, as in `/proc/cgroups` for v1; 0 for the v2 unified hierarchy.
    pub hierarchy_id: u32,
    /// The comma-separated controllers bound to the hierarchy, as written (`cpu,cpuacct`,
    /// `name=systemd`); empty for v2. See [`Cgroup::controllers`].
    pub controller_list: &'a [u8],
    /// The cgroup's path in the hierarchy, as written (it may contain `:`).
    pub path: &'a [u8],
}

/// Splits one line (without its newline) at its first two colons; `Err` names the field that
/// is malformed.
#[inline]
fn split_line(line: &[u8]) -> core::result::Result<Cgroup<'_>, &'static str> {
    // `find` and slicing here rather than `split_once`: an index comes back in a register, a
    // pair of slices through memory, and reading that back stalls.
    let id_end = text::find(line, b':').ok_or("hierarchy-ID")?;
    let hierarchy_id = line
        .get(..id_end)
        .and_then(num::u32_dec)
        .ok_or("hierarchy-ID")?;
    let rest = line.get(id_end + 1..).unwrap_or_default();
    let list_end = text::find(rest, b':').ok_or("controller-list")?;
    Ok(Cgroup {
        hierarchy_id,
        controller_list: rest.get(..list_end).unwrap_or_default(),
        path: rest.get(list_end + 1..).unwrap_or_default(),
    })
}

/// Parses `/proc/<pid>/cgroup`: at least one line, each with a decimal hierarchy id and two
/// colons. Controllers and paths are kept as written.
pub fn parse(buf: &[u8]) -> Result<Cgroups<'_>> {
    text::body(buf, FILE)?;
    let mut lines = Lines {
        first: None,
        rest: buf,
    };
    let err = |field| Error::parse(FILE, field);
    let first = split_line(lines.line().ok_or(err("newline"))?).map_err(err)?;
    let rest = lines.rest;
    while let Some(line) = lines.line() {
        split_line(line).map_err(err)?;
    }
    Ok(Cgroups { first, rest })
}

impl<'a> Cgroups<'a> {
    /// The lines in file order.
    pub fn iter(&self) -> Lines<'a> {
        Lines {
            first: Some(self.first),
            rest: self.rest,
        }
    }

    /// The path in the v2 unified hierarchy: that of the line `0::path`, if there is one (on a
    /// v2-only host it is the only line).
    pub fn v2_path(&self) -> Option<&'a [u8]> {
        self.iter()
            .find(|c| c.hierarchy_id == 0 && c.controller_list.is_empty())
            .map(|c| c.path)
    }

    /// The path in the v1 hierarchy that `controller` is bound to (`b"memory"`,
    /// `b"name=systemd"`), if any.
    pub fn v1_path(&self, controller: &[u8]) -> Option<&'a [u8]> {
        self.iter()
            .find(|c| c.hierarchy_id != 0 && c.controllers().any(|name| name == controller))
            .map(|c| c.path)
    }
}

impl<'a> IntoIterator for Cgroups<'a> {
    type Item = Cgroup<'a>;
    type IntoIter = Lines<'a>;

    fn into_iter(self) -> Lines<'a> {
        self.iter()
    }
}

impl<'a> Cgroup<'a> {
    /// True for the line of the v2 unified hierarchy: id 0 and no controllers.
    pub fn is_v2(&self) -> bool {
        self.hierarchy_id == 0 && self.controller_list.is_empty()
    }

    /// The controllers of [`controller_list`](Cgroup::controller_list), split at its commas
    /// (empty names skipped); none for v2.
    pub fn controllers(&self) -> Controllers<'a> {
        Controllers {
            rest: self.controller_list,
        }
    }
}

/// The bytes searched for a line's end a word at a time before handing over to `memchr`.
const SHORT: usize = 16;

/// Iterator over the lines of a [`Cgroups`]; see [`Cgroups::iter`].
#[derive(Clone, Debug)]
pub struct Lines<'a> {
    /// The first line, until visited.
    first: Option<Cgroup<'a>>,
    /// The lines after it not yet visited, each ending in `\n`.
    rest: &'a [u8],
}

impl<'a> Lines<'a> {
    /// The next line without its newline. The lines of v1 hierarchies are short, so the first
    /// 16 bytes are searched a word at a time (`memchr`'s setup would cost more than the scan);
    /// a longer line (a v2 path, often 100 bytes) is left to `memchr`'s vector loop.
    #[inline]
    fn line(&mut self) -> Option<&'a [u8]> {
        let end = match (self.rest.get(..SHORT), self.rest.get(SHORT..)) {
            (Some(head), Some(tail)) => text::find(head, b'\n')
                .or_else(|| memchr::memchr(b'\n', tail).map(|at| SHORT + at))?,
            _ => text::find(self.rest, b'\n')?,
        };
        let line = self.rest.get(..end)?;
        self.rest = self.rest.get(end + 1..)?;
        Some(line)
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = Cgroup<'a>;

    #[inline]
    fn next(&mut self) -> Option<Cgroup<'a>> {
        if let Some(first) = self.first.take() {
            return Some(first);
        }
        // `parse` checked every line, so none fails here; were one to, the iteration ends.
        split_line(self.line()?).ok()
    }
}

/// Iterator over the controllers of a v1 line; see [`Cgroup::controllers`].
#[derive(Clone, Debug)]
pub struct Controllers<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Controllers<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        while !self.rest.is_empty() {
            let (name, rest) = text::split_once(self.rest, b',').unwrap_or((self.rest, b""));
            self.rest = rest;
            if !name.is_empty() {
                return Some(name);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testing::errors_name_the_field;

    /// A line's id, controllers and path.
    type Line<'a> = (u32, Vec<&'a [u8]>, &'a [u8]);

    fn lines(buf: &[u8]) -> Vec<Line<'_>> {
        parse(buf)
            .unwrap()
            .iter()
            .map(|c| (c.hierarchy_id, c.controllers().collect(), c.path))
            .collect()
    }

    #[test]
    fn v1_v2_and_odd_paths() {
        assert_eq!(lines(b"0::/\n"), [(0, vec![], &b"/"[..])]);
        assert_eq!(
            lines(b"12:cpu,,cpuacct,:/a:b::c\n3:name=systemd:/\n"),
            [
                (12, vec![&b"cpu"[..], b"cpuacct"], &b"/a:b::c"[..]),
                (3, vec![&b"name=systemd"[..]], &b"/"[..]),
            ]
        );
        let c = parse(b"1:memory:/m\n0::/../x\n").unwrap();
        assert_eq!(c.v2_path(), Some(&b"/../x"[..]));
        assert_eq!(c.v1_path(b"memory"), Some(&b"/m"[..]));
        assert_eq!(c.v1_path(b"mem"), None);
        assert_eq!(parse(b"1:cpu:/\n").unwrap().v2_path(), None);
        // An empty path is kept as it is.
        assert_eq!(lines(b"0::\n"), [(0, vec![], &b""[..])]);
    }

    errors_name_the_field! { parse, FILE, [
        ("", "empty"),
        ("0::/", "newline"),
        ("\n", "hierarchy-ID"),
        ("x::/\n", "hierarchy-ID"),
        ("-1::/\n", "hierarchy-ID"),
        ("0::/\n1:/cpu\n", "controller-list"),
        ("0::/\n\n", "hierarchy-ID"),
    ] }
}
