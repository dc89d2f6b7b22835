//! Records the compiler's version for `procfast_build_info{rustversion}`, as Go exporters label
//! their build info with `goversion`.

use std::process::Command;

fn main() {
    // Cargo names the compiler it builds with; a rustc that cannot say its version is reported
    // as "unknown" rather than failing the build.
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        // "rustc 1.95.0 (59807616e 2026-04-14)": the second word.
        .and_then(|line| line.split_whitespace().nth(1).map(str::to_string))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=PROCFAST_RUSTC_VERSION={version}");
    // Cargo rebuilds everything when the compiler changes; nothing else here can.
    println!("cargo:rerun-if-changed=build.rs");
}
