//! Helper processes written in Python, for what a Rust helper would need many crates for
//! (sockets in every TCP state, epolls, eventfds): `python3 -c SCRIPT ARGS…`, ready once it has
//! printed its first line, killed and reaped on drop.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running `python3 -c` helper.
pub struct Python {
    child: Child,
    /// The first line it printed, with its newline: its way of saying it is ready.
    pub ready_line: String,
}

impl Python {
    /// Runs `script` with `args` and waits for its first line of output. `None` where there is
    /// no `python3`, or it ended before printing a line.
    pub fn start(script: &str, args: &[String]) -> Option<Python> {
        let mut child = Command::new("python3")
            .args(["-c", script])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .ok()?;
        let mut ready_line = String::new();
        BufReader::new(child.stdout.as_mut()?)
            .read_line(&mut ready_line)
            .ok()?;
        Some(Python { child, ready_line })
    }

    /// Its pid.
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }
}

impl Drop for Python {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
