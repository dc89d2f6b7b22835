//! What the report tasks share: the workspace, BENCHMARKS.md's sections (each task owns the part
//! between `<!-- <task>:begin -->` and `<!-- <task>:end -->`), the plots BENCHMARKS.md shows, and
//! markdown tables.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The file the report tasks write.
pub const BENCHMARKS: &str = "BENCHMARKS.md";
/// Where the plots go, relative to the workspace root (and to BENCHMARKS.md).
const PLOTS: &str = "docs";

/// The workspace's root, where BENCHMARKS.md, the plots and `target/` live.
pub fn workspace_root() -> &'static Path {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask)
}

/// Where a report goes: BENCHMARKS.md and its plots, or, in a dry run, nowhere (the markers are
/// checked, the markdown printed, plots drawn into a temporary directory).
pub struct Report {
    root: &'static Path,
    dry_run: bool,
}

impl Report {
    pub fn new(dry_run: bool) -> Report {
        Report {
            root: workspace_root(),
            dry_run,
        }
    }

    pub fn root(&self) -> &'static Path {
        self.root
    }

    /// Prints `md` and writes it into BENCHMARKS.md between `task`'s markers.
    pub fn publish(&self, task: &str, md: &str) -> Result<(), String> {
        print!("{md}");
        let path = self.root.join(BENCHMARKS);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        let updated = replace_section(&text, task, md)
            .map_err(|e| format!("{}: {e}; not written", path.display()))?;
        let (begin, _) = markers(task);
        if self.dry_run {
            eprintln!("dry run: {} has {begin}; not written", path.display());
            return Ok(());
        }
        std::fs::write(&path, updated).map_err(|e| format!("writing {}: {e}", path.display()))?;
        eprintln!("wrote {} ({begin})", path.display());
        Ok(())
    }

    /// Where to draw the plot `name` (a dry run's go to a temporary directory), and how
    /// BENCHMARKS.md links it.
    pub fn plot(&self, name: &str) -> (PathBuf, String) {
        let dir = if self.dry_run {
            std::env::temp_dir().join(format!("xtask-dry-run-{}", std::process::id()))
        } else {
            self.root.join(PLOTS)
        };
        let _ = std::fs::create_dir_all(&dir);
        (dir.join(name), format!("{PLOTS}/{name}"))
    }
}

/// The markers a task's section lies between.
fn markers(task: &str) -> (String, String) {
    (
        format!("<!-- {task}:begin -->"),
        format!("<!-- {task}:end -->"),
    )
}

/// `text` with what lies between `task`'s markers replaced by `md`.
fn replace_section(text: &str, task: &str, md: &str) -> Result<String, String> {
    let (begin, end) = markers(task);
    let at = text.find(&begin).ok_or(format!("no {begin} marker"))?;
    let until = text[at..]
        .find(&end)
        .map(|n| at + n)
        .ok_or(format!("no {end} after {begin}"))?;
    Ok(format!(
        "{}{begin}\n{}\n{}",
        &text[..at],
        md.trim_end(),
        &text[until..]
    ))
}

/// A markdown table, written row by row.
pub struct Table {
    md: String,
}

impl Table {
    /// A table with these column headers, aligned as `align` says, one letter per column: `l`
    /// (left) or `r` (right).
    pub fn new(header: &[&str], align: &str) -> Table {
        debug_assert_eq!(header.len(), align.len(), "one alignment per column");
        let mut table = Table { md: String::new() };
        table.row(header);
        table.md.push('|');
        for a in align.chars() {
            table.md.push_str(if a == 'r' { "---:|" } else { "---|" });
        }
        table.md.push('\n');
        table
    }

    /// A row of cells (an empty cell is written `| |`).
    pub fn row(&mut self, cells: impl IntoIterator<Item = impl AsRef<str>>) {
        self.md.push('|');
        for cell in cells {
            match cell.as_ref() {
                "" => self.md.push_str(" |"),
                cell => {
                    let _ = write!(self.md, " {cell} |");
                }
            }
        }
        self.md.push('\n');
    }

    /// The table's markdown, ending in a newline.
    pub fn finish(self) -> String {
        self.md
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_is_replaced_between_its_own_markers_only() {
        let text = "# B\n<!-- a:begin -->\nold a\n<!-- a:end -->\n\
                    <!-- b:begin -->\nold b\n<!-- b:end -->\n";
        let out = replace_section(text, "b", "new b\n\n").unwrap();
        assert_eq!(
            out,
            "# B\n<!-- a:begin -->\nold a\n<!-- a:end -->\n\
             <!-- b:begin -->\nnew b\n<!-- b:end -->\n"
        );
        assert_eq!(replace_section(&out, "b", "new b").unwrap(), out);
        assert!(replace_section(text, "c", "x").is_err());
        assert!(replace_section("<!-- a:end --><!-- a:begin -->", "a", "x").is_err());
    }

    #[test]
    fn tables_align_each_column() {
        let mut t = Table::new(&["open fds", "method", ""], "rlr");
        t.row(["10", "`walk`", "1.99 µs"]);
        t.row(vec![String::from("100"), "x".into(), String::new()]);
        assert_eq!(
            t.finish(),
            "| open fds | method | |\n|---:|---|---:|\n\
             | 10 | `walk` | 1.99 µs |\n| 100 | x | |\n"
        );
    }

    #[test]
    fn benchmarks_md_has_every_report_tasks_markers() {
        let text = std::fs::read_to_string(workspace_root().join(BENCHMARKS)).unwrap();
        for task in crate::TASKS.iter().filter(|t| t.report) {
            assert!(
                replace_section(&text, task.name, "").is_ok(),
                "{BENCHMARKS} lacks {}'s markers",
                task.name
            );
        }
    }
}
