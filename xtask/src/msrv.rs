//! `cargo xtask msrv`: the library's and the command's normal dependencies (every feature on,
//! transitively) must not declare a `rust-version` newer than their dependent's own. One stable
//! toolchain is installed here, so this and clippy's `incompatible_msrv` (std APIs) are what
//! checks the MSRV; language features newer than it would still need an old toolchain to catch.
//! An optional dependency named in `[package.metadata.msrv-by-feature]` is held to the Rust
//! version given there instead. CI (`.ci/run`) runs it.

use crate::report::workspace_root;
use serde_json::Value;
use std::collections::BTreeSet;

/// A version `a.b[.c]` as numbers, for comparing `rust-version`s.
fn version_key(version: &str) -> [u64; 3] {
    // "1.85" and "1.85.0" are the same Rust: missing parts count as 0.
    let mut key = [0; 3];
    for (part, text) in key.iter_mut().zip(version.split('.')) {
        *part = text.parse().unwrap_or(0);
    }
    key
}

/// The normal dependencies reached from `start` (transitively), not through `skip`.
fn reached(start: &str, nodes: &[Value], packages: &[Value], skip: &[&str]) -> BTreeSet<String> {
    let name_of = |id: &str| {
        packages
            .iter()
            .find(|p| p["id"] == id)
            .and_then(|p| p["name"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    let mut todo = vec![start.to_string()];
    let mut seen = BTreeSet::new();
    while let Some(id) = todo.pop() {
        let Some(node) = nodes.iter().find(|n| n["id"] == id.as_str()) else {
            continue;
        };
        for dep in node["deps"].as_array().into_iter().flatten() {
            let normal = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k["kind"].is_null());
            let dep_id = dep["pkg"].as_str().unwrap_or_default().to_string();
            if normal && !skip.contains(&name_of(&dep_id).as_str()) && seen.insert(dep_id.clone()) {
                todo.push(dep_id);
            }
        }
    }
    seen
}

/// Prints the `rust-version` of every normal dependency of `root`, transitively, and returns how
/// many declare a newer one than allowed: `root`'s own. An optional
/// dependency named in `[package.metadata.msrv-by-feature]` (feature → Rust version) is held,
/// with what only it brings in, to that version instead: the feature's documented MSRV.
fn check_rust_versions(root: &Value, packages: &[Value], nodes: &[Value]) -> usize {
    let package = |id: &str| packages.iter().find(|p| p["id"] == id);
    let ours = root["rust_version"].as_str().unwrap_or("0").to_string();
    let by_feature: Vec<(String, String)> = root["metadata"]["msrv-by-feature"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(dep, v)| (dep.clone(), v.as_str().unwrap_or("0").to_string()))
        .collect();
    let skip: Vec<&str> = by_feature.iter().map(|(d, _)| d.as_str()).collect();
    let root_id = root["id"].as_str().unwrap_or_default();
    let always = reached(root_id, nodes, packages, &skip);
    let mut checks: Vec<(String, String, String)> = always
        .iter()
        .map(|id| (id.clone(), ours.clone(), String::new()))
        .collect();
    for (dep, version) in &by_feature {
        let Some(dep_id) = packages
            .iter()
            .find(|p| p["name"] == dep.as_str())
            .and_then(|p| p["id"].as_str())
        else {
            continue;
        };
        let mut only = reached(dep_id, nodes, packages, &[]);
        only.insert(dep_id.to_string());
        for id in only.into_iter().filter(|id| !always.contains(id)) {
            checks.push((id, version.clone(), format!(" (feature {dep}: {version})")));
        }
    }
    let mut too_new = 0;
    println!(
        "{}'s rust-version: {ours}",
        root["name"].as_str().unwrap_or("?")
    );
    for (id, allowed, why) in &checks {
        let Some(p) = package(id) else { continue };
        let (name, version) = (&p["name"], &p["version"]);
        let theirs = p["rust_version"].as_str();
        let verdict = match theirs {
            Some(v) if version_key(v) > version_key(allowed) => {
                too_new += 1;
                "NEWER"
            }
            Some(_) => "ok",
            None => "ok (none declared)",
        };
        println!(
            "  {} {}: {} {verdict}{why}",
            name.as_str().unwrap_or("?"),
            version.as_str().unwrap_or("?"),
            theirs.unwrap_or("-")
        );
    }
    too_new
}

/// Checks `procfast` and `procfast-cli`; an error says what failed or how many are too new.
pub fn run() -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--all-features",
            "--locked",
        ])
        .current_dir(workspace_root())
        .output();
    let metadata: Value = output
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| serde_json::from_slice(&o.stdout).ok())
        .ok_or("cargo metadata failed")?;
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    let nodes = metadata["resolve"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut too_new = 0;
    for name in ["procfast", "procfast-cli"] {
        let root = packages
            .iter()
            .find(|p| p["name"] == name)
            .ok_or(format!("no package {name}"))?;
        too_new += check_rust_versions(root, &packages, &nodes);
    }
    if too_new > 0 {
        return Err(format!(
            "{too_new} dependencies need a newer Rust than their dependent declares"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::version_key;

    #[test]
    fn versions_compare_by_number_with_missing_parts_as_zero() {
        assert_eq!(version_key("1.85"), version_key("1.85.0"));
        assert!(version_key("1.85.1") > version_key("1.85"));
        assert!(version_key("1.100") > version_key("1.85.0"));
    }
}
