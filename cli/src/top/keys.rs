//! `--watch`: waiting for the next frame, or for a key that quits.

use crate::failure::{failure, Failure};
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::io::Errno;
use rustix::termios::{self, LocalModes, OptionalActions, SpecialCodeIndex, Termios};
use std::time::{Duration, Instant};

/// Sleeps until `deadline`, or, with keys, until then or a quitting key. True if one came.
pub fn wait_until(deadline: Instant, keys: Option<&KeyMode>) -> Result<bool, Failure> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(false);
        }
        match keys {
            None => std::thread::sleep(left),
            Some(keys) => {
                if keys.wait(left)? {
                    return Ok(true);
                }
            }
        }
    }
}

/// A terminal on stdin switched to reading single keys, unechoed, with Ctrl-C read as a key
/// (ISIG off) so that quitting goes through [`Drop`], which puts the terminal back as it was
/// on every way out: a key, an error, a closed pipe.
pub struct KeyMode {
    pub saved: Termios,
}

impl KeyMode {
    /// `None` when stdin is not a terminal (or will not be switched): then frames just sleep,
    /// and SIGINT ends the process.
    pub fn enter() -> Option<KeyMode> {
        let stdin = rustix::stdio::stdin();
        if !termios::isatty(stdin) {
            return None;
        }
        let saved = termios::tcgetattr(stdin).ok()?;
        let mut keys = saved.clone();
        keys.local_modes
            .remove(LocalModes::ICANON | LocalModes::ECHO | LocalModes::ISIG);
        // A read returns as soon as one byte is there.
        keys.special_codes[SpecialCodeIndex::VMIN] = 1;
        keys.special_codes[SpecialCodeIndex::VTIME] = 0;
        termios::tcsetattr(stdin, OptionalActions::Now, &keys).ok()?;
        Some(KeyMode { saved })
    }

    /// Waits up to `timeout` for keys; true if one of them is `q`, `Q` or Ctrl-C, or the
    /// terminal has gone.
    pub fn wait(&self, timeout: Duration) -> Result<bool, Failure> {
        let stdin = rustix::stdio::stdin();
        let mut fds = [PollFd::new(&stdin, PollFlags::IN)];
        // At most MAX_INTERVAL, which always fits a Timespec.
        let timeout = Timespec::try_from(timeout)
            .map_err(|_| failure(format!("cannot wait {timeout:?} for a key")))?;
        match rustix::event::poll(&mut fds, Some(&timeout)) {
            Ok(0) | Err(Errno::INTR) => return Ok(false),
            Ok(_) => {}
            Err(e) => return Err(failure(format!("waiting for a key on stdin: {e}"))),
        }
        let mut keys = [0u8; 64];
        match rustix::io::read(stdin, &mut keys) {
            // End of input: no key will ever come.
            Ok(0) => Ok(true),
            Ok(n) => Ok(keys[..n].iter().any(|k| matches!(k, b'q' | b'Q' | 0x03))),
            Err(Errno::INTR | Errno::AGAIN) => Ok(false),
            Err(e) => Err(failure(format!("reading a key from stdin: {e}"))),
        }
    }
}

impl Drop for KeyMode {
    fn drop(&mut self) {
        // Nothing more can be done if the terminal refuses.
        let _ = termios::tcsetattr(rustix::stdio::stdin(), OptionalActions::Now, &self.saved);
    }
}
