//! Differential fuzzing of the cgroup identity reader against the naive oracle: never a panic,
//! the same pod UID, container ID and systemd unit for any path, and for a whole
//! `/proc/<pid>/cgroup` that parses, the v2 path's fields completed by the `name=systemd` one's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procfast::parse::{cgroup, cgroup_identity};

#[path = "../../tests/parse/oracle/cgroup_identity.rs"]
mod oracle;

fuzz_target!(|data: &[u8]| {
    oracle::assert_agrees(data);
    if let Ok(cgroups) = cgroup::parse(data) {
        let v2 = cgroups.v2_path().map(oracle::fields).unwrap_or_default();
        let v1 = cgroups
            .v1_path(b"name=systemd")
            .map(oracle::fields)
            .unwrap_or_default();
        let id = cgroup_identity::from_cgroups(&cgroups);
        let ours: oracle::Fields = (
            id.pod_uid.map(|u| u.as_bytes().to_vec()),
            id.container_id.map(<[u8]>::to_vec),
            id.systemd_unit.map(<[u8]>::to_vec),
        );
        assert_eq!(ours, (v2.0.or(v1.0), v2.1.or(v1.1), v2.2.or(v1.2)));
    }
});
