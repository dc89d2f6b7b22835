//! Differential fuzzing of the cgroup identity reader against the naive oracle: never a panic,
//! the same pod UID, container ID and systemd unit for any path, and for a whole
//! `/proc/<pid>/cgroup` that parses, each field from the longest of its paths that has it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procfast::parse::{cgroup, cgroup_identity};

#[path = "../../tests/parse/oracle/cgroup_identity.rs"]
mod oracle;

fuzz_target!(|data: &[u8]| {
    oracle::assert_agrees(data);
    if let Ok(cgroups) = cgroup::parse(data) {
        let paths: Vec<&[u8]> = cgroups.iter().map(|line| line.path).collect();
        let whole = cgroup_identity::from_cgroups(&cgroups);
        assert_eq!(whole, cgroup_identity::from_paths(paths.iter().copied()));
        assert_eq!(oracle::ours_of_paths(&paths), oracle::of_paths(&paths));
    }
});
