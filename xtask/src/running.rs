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

/// `name` in a directory of `PATH`, if it is there.
pub fn find_in_path(name: &str) -> Option<std::path::PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// Builds the command in release mode and returns the binary's path.
pub fn release_procfast(root: &std::path::Path) -> Result<std::path::PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let built = std::process::Command::new(cargo)
        .args(["build", "--release", "--quiet", "-p", "procfast-cli"])
        .current_dir(root)
        .status()
        .map_err(|e| format!("running cargo to build procfast-cli: {e}"))?;
    if !built.success() {
        return Err("building procfast-cli failed".into());
    }
    Ok(root.join("target/release/procfast"))
}
