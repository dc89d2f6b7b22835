//! Reading option values: numbers, pids and users, each refused with a message that says what
//! was expected.

use crate::failure::{failure, usage_error, Failure};
use lexopt::prelude::*;
use procfast::ProcFs;
use std::ffi::OsString;
use std::fmt::Display;
use std::ops::RangeInclusive;

/// Parses a number argument: ASCII digits only (`str::parse` would also take a leading `+`),
/// within `range`. `what` names the argument in the message.
pub fn parse_number<T>(what: &str, text: &str, range: RangeInclusive<T>) -> Result<T, Failure>
where
    T: std::str::FromStr + PartialOrd + Display,
{
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_a_number(what, text));
    }
    // Digits only, so parsing fails only when the number does not fit in `T`.
    match text.parse::<T>() {
        Ok(v) if range.contains(&v) => Ok(v),
        _ => Err(usage_error(format!(
            "{what} {text} is out of range ({}..={})",
            range.start(),
            range.end()
        ))),
    }
}

pub fn not_a_number(what: &str, text: &str) -> Failure {
    usage_error(format!("invalid {what} {text:?}: expected digits only"))
}

/// The value of option `what`, as a number (see [`parse_number`]).
pub fn number_value<T>(
    args: &mut lexopt::Parser,
    what: &str,
    range: RangeInclusive<T>,
) -> Result<T, Failure>
where
    T: std::str::FromStr + PartialOrd + Display,
{
    parse_number(what, &args.value()?.string()?, range)
}

pub fn parse_pid(text: &str) -> Result<i32, Failure> {
    parse_number("pid", text, 1..=i32::MAX)
}

/// A pid written with a minus sign: lexopt reads `-5` as option `-5`, so rebuild the text to say
/// what is wrong with it.
pub fn negative_pid(args: &mut lexopt::Parser, first: char) -> Failure {
    let rest = args.optional_value().unwrap_or_default();
    not_a_number("pid", &format!("-{first}{}", rest.to_string_lossy()))
}

/// A uid in digits, or a user name looked up in the user database.
pub fn parse_user(text: &str) -> Result<u32, Failure> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return parse_number("--user", text, 0..=u32::MAX);
    }
    uzers::get_user_by_name(text)
        .map(|user| user.uid())
        .ok_or_else(|| usage_error(format!("unknown user {text:?}")))
}

/// The procfs a command reads: `--procfs DIR` (a host's /proc mounted elsewhere, say), or
/// /proc. Errors name the directory given.
pub fn open_procfs(dir: Option<&OsString>) -> Result<&'static ProcFs, Failure> {
    match dir {
        Some(dir) => ProcFs::open(dir)
            // A command opens one procfs and reads it until it exits.
            .map(|procfs| &*Box::leak(Box::new(procfs)))
            .map_err(|e| {
                let why = match e {
                    // The library names the file /proc; the directory given is what to fix.
                    procfast::Error::Io { errno, .. } => {
                        std::io::Error::from_raw_os_error(errno).to_string()
                    }
                    e => e.to_string(),
                };
                failure(format!("--procfs {}: {why}", dir.to_string_lossy()))
            }),
        None => ProcFs::global().map_err(|e| failure(format!("/proc: {e}"))),
    }
}

/// How errors name a procfs: the directory given, or /proc.
pub fn procfs_name(dir: Option<&OsString>) -> String {
    dir.map_or("/proc".to_string(), |d| d.to_string_lossy().into_owned())
}
