//! A child's first line of output: how the helpers and servers the tests start say they are
//! ready, and where they listen. Std only, so the command's tests include it too.

use std::io::{BufRead, BufReader};
use std::process::Child;

/// The first line `child` writes to its piped stdout, newline included (empty if it closed
/// stdout first). Takes the pipe: the child's later output goes unread.
pub fn first_line(child: &mut Child) -> String {
    let stdout = child.stdout.take().expect("the child's stdout is piped");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the child's stdout reads");
    line
}

/// The `host:port` of the first URL in `line` (`127.0.0.1:9256` of
/// `listening on http://127.0.0.1:9256/metrics`), how a server says where it listens.
pub fn address_in(line: &str) -> Option<&str> {
    line.split("://").nth(1)?.split('/').next()
}
