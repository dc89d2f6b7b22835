//! The child processes a benchmark starts (exporters, helpers, sleepers), which must not outlive
//! it, whichever way it ends.

use std::process::Child;

/// A child process killed and reaped on drop.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
