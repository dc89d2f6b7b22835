//! How a command fails: a usage mistake (exit 2), the work failing (exit 1), or stdout's reader
//! gone (exit 0), each said in one line on stderr.

use procfast::Error;
use std::io::{self, Write};

/// Why the command stopped early. Every message is one line.
pub enum Failure {
    /// A mistake in the command line (exit 2).
    Usage(String),
    /// The work itself failed (exit 1).
    Work(String),
    /// stdout's reader has gone (`procfast top | head -1`): end quietly, with success.
    ClosedPipe,
}

impl From<lexopt::Error> for Failure {
    fn from(e: lexopt::Error) -> Failure {
        Failure::Usage(e.to_string())
    }
}

/// `?` converts only the errors of writing to stdout: other I/O errors are given their context
/// with `map_err`.
impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        match e.kind() {
            io::ErrorKind::BrokenPipe => Failure::ClosedPipe,
            _ => failure(format!("writing to stdout: {e}")),
        }
    }
}

pub fn usage_error(message: impl Into<String>) -> Failure {
    Failure::Usage(message.into())
}

pub fn failure(message: impl Into<String>) -> Failure {
    Failure::Work(message.into())
}

/// Writes a one-line message to stderr. Unlike `eprintln!` it does not panic if stderr is gone:
/// then there is no one left to tell.
pub fn say(message: &str) {
    let _ = writeln!(io::stderr(), "procfast: {message}");
}

/// Explains a library error about process `pid` in words.
pub fn explain(pid: i32, e: Error) -> Failure {
    match e {
        Error::Gone => failure(format!(
            "process {pid} not found: it has exited or never existed"
        )),
        Error::Denied { file } if holds_cap_sys_ptrace() => failure(format!(
            "process {pid}: permission denied reading {file}, although this process holds \
             CAP_SYS_PTRACE: a security module (Yama, AppArmor, SELinux) or a procfs mounted \
             with hidepid refuses it"
        )),
        e => failure(format!("process {pid}: {e}")),
    }
}

/// CAP_SYS_PTRACE's bit in the capability sets.
const CAP_SYS_PTRACE: u32 = 19;

/// True if this process's effective capabilities hold CAP_SYS_PTRACE, which lets it read what
/// the owner of any process could; false if that cannot be told.
fn holds_cap_sys_ptrace() -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << CAP_SYS_PTRACE) != 0)
}
