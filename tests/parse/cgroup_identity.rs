//! `procfast::parse::cgroup_identity`: the pod UID, container ID and systemd unit of a cgroup
//! path.
//!
//! - **Fixtures**: a `/proc/<pid>/cgroup` of each layout (kubelet with the systemd and cgroupfs
//!   drivers, containerd, CRI-O and its monitor, Docker both ways, a service, a session, PID 1),
//!   each with the fields it must give, through the file's parser.
//! - **Round trips**: random pod UIDs, container IDs, QoS classes, runtimes and units rendered
//!   in each layout and read back.
//! - **Oracle**: the naive rules of `oracle::cgroup_identity` agree on mutated fixtures and
//!   arbitrary paths, which never panic.
//! - **No allocation** over every fixture and odd paths.

use crate::oracle::cgroup_identity::{
    assert_agrees, fields, of_paths, ours, ours_of_paths, Fields,
};
use crate::support::alloc::assert_runs_allocate_nothing;
use crate::support::mutations::{config, edits, mutate, noise};
use procfast::parse::cgroup;
use procfast::parse::cgroup_identity::{from_cgroups, from_path, from_paths, PodUid};
use proptest::prelude::*;

const ID: &str = "4f3c2b1a09e8d7c6b5a4938271605f4e3d2c1b0a99887766554433221100ffee";
const ID2: &str = "9e8d7c6b5a4938271605f4e3d2c1b0a99887766554433221100ffee4f3c2b1a0";
const UID: &str = "7d1e4c2a-93b5-4f60-8a2e-1c5b9d3f6e07";

/// Each fixture and the pod UID, container ID and systemd unit it gives ("" for none).
const FIXTURES: &[(&str, &[u8], [&str; 3])] = &[
    (
        "cgroup_kubepods_systemd",
        include_bytes!("../fixtures/cgroup_kubepods_systemd"),
        [
            UID,
            ID,
            concat!(
                "cri-containerd-",
                "4f3c2b1a09e8d7c6b5a4938271605f4e3d2c1b0a99887766554433221100ffee",
                ".scope"
            ),
        ],
    ),
    (
        "cgroup_kubepods_besteffort_crio",
        include_bytes!("../fixtures/cgroup_kubepods_besteffort_crio"),
        [
            UID,
            ID,
            concat!(
                "crio-",
                "4f3c2b1a09e8d7c6b5a4938271605f4e3d2c1b0a99887766554433221100ffee",
                ".scope"
            ),
        ],
    ),
    (
        "cgroup_kubepods_guaranteed",
        include_bytes!("../fixtures/cgroup_kubepods_guaranteed"),
        [
            UID,
            ID2,
            concat!(
                "cri-containerd-",
                "9e8d7c6b5a4938271605f4e3d2c1b0a99887766554433221100ffee4f3c2b1a0",
                ".scope"
            ),
        ],
    ),
    (
        // CRI-O's monitor sits in the pod's slice but is not the container.
        "cgroup_kubepods_crio_conmon",
        include_bytes!("../fixtures/cgroup_kubepods_crio_conmon"),
        [
            UID,
            "",
            concat!(
                "crio-conmon-",
                "4f3c2b1a09e8d7c6b5a4938271605f4e3d2c1b0a99887766554433221100ffee",
                ".scope"
            ),
        ],
    ),
    (
        // A hybrid host: the v2 line is `/`, the name=systemd line has the layout.
        "cgroup_kubepods_cgroupfs",
        include_bytes!("../fixtures/cgroup_kubepods_cgroupfs"),
        [UID, ID, ""],
    ),
    (
        // A v1 host without the v2 line.
        "cgroup_docker_cgroupfs",
        include_bytes!("../fixtures/cgroup_docker_cgroupfs"),
        ["", ID, ""],
    ),
    (
        "cgroup_docker_systemd",
        include_bytes!("../fixtures/cgroup_docker_systemd"),
        [
            "",
            ID,
            concat!(
                "docker-",
                "4f3c2b1a09e8d7c6b5a4938271605f4e3d2c1b0a99887766554433221100ffee",
                ".scope"
            ),
        ],
    ),
    (
        "cgroup_service",
        include_bytes!("../fixtures/cgroup_service"),
        ["", "", "nginx.service"],
    ),
    (
        "cgroup_session",
        include_bytes!("../fixtures/cgroup_session"),
        ["", "", "session-3.scope"],
    ),
    (
        "cgroup_init",
        include_bytes!("../fixtures/cgroup_init"),
        ["", "", "init.scope"],
    ),
    (
        "cgroup_pid1",
        include_bytes!("../fixtures/cgroup_pid1"),
        ["", "", ""],
    ),
];

fn text(bytes: Option<&[u8]>) -> String {
    String::from_utf8_lossy(bytes.unwrap_or_default()).into_owned()
}

#[test]
fn every_layout_fixture_gives_its_fields() {
    assert_eq!(ID.len(), 64);
    for (name, file, want) in FIXTURES {
        let cgroups = cgroup::parse(file).unwrap_or_else(|e| panic!("{name}: {e}"));
        let id = from_cgroups(&cgroups);
        let got = [
            text(id.pod_uid.as_ref().map(PodUid::as_bytes)),
            text(id.container_id),
            text(id.systemd_unit),
        ];
        assert_eq!(got, want.map(String::from), "{name}");
        // Each path agrees with the oracle too.
        for line in cgroups.iter() {
            assert_agrees(line.path);
        }
    }
}

#[test]
fn on_a_v1_host_each_field_comes_from_the_longest_path_that_has_it() {
    // A controller holds the user's manager only as deep as it needs; name=systemd has the
    // scope the process is in. The kernel lists name=systemd first here.
    let file = b"1:name=systemd:/user.slice/user-1000.slice/user@1000.service/app.slice/x.scope\n\
                 5:cpu,cpuacct:/user.slice/user-1000.slice/user@1000.service\n\
                 0::/user.slice/user-1000.slice/user@1000.service\n";
    let cgroups = cgroup::parse(file).unwrap();
    assert_eq!(from_cgroups(&cgroups).systemd_unit, Some(&b"x.scope"[..]));
    // Of two as long, the later: the v2 line, which the kernel lists last.
    let id = from_paths([&b"/system.slice/a.service"[..], b"/system.slice/b.service"]);
    assert_eq!(id.systemd_unit, Some(&b"b.service"[..]));
    assert!(from_paths([]).is_empty());
}

/// A container's cgroup name as each runtime writes it, systemd driver or not.
fn container_component(runtime: usize, id: &str) -> String {
    match runtime {
        0 => format!("cri-containerd-{id}.scope"),
        1 => format!("crio-{id}.scope"),
        2 => format!("docker-{id}.scope"),
        3 => format!("crio-{id}"),
        _ => id.to_string(),
    }
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn kubelet_layouts_round_trip(
        uid in "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}",
        id in "[0-9a-f]{64}",
        qos in 0usize..3,
        runtime in 0usize..5,
        systemd_driver in any::<bool>(),
    ) {
        let qos = ["", "burstable", "besteffort"][qos];
        let container = container_component(runtime, &id);
        let path = if systemd_driver {
            let under = uid.replace('-', "_");
            match qos {
                "" => format!("/kubepods.slice/kubepods-pod{under}.slice/{container}"),
                q => format!("/kubepods.slice/kubepods-{q}.slice/kubepods-{q}-pod{under}.slice/{container}"),
            }
        } else {
            match qos {
                "" => format!("/kubepods/pod{uid}/{container}"),
                q => format!("/kubepods/{q}/pod{uid}/{container}"),
            }
        };
        let unit = container.ends_with(".scope").then(|| container.clone().into_bytes());
        let want: Fields = (Some(uid.into_bytes()), Some(id.into_bytes()), unit);
        prop_assert_eq!(&ours(path.as_bytes()), &want);
        prop_assert_eq!(&fields(path.as_bytes()), &want);
    }

    #[test]
    fn systemd_units_round_trip(
        slices in prop::collection::vec("[a-z][a-z0-9-]{0,8}", 0..4),
        name in "[a-zA-Z0-9:_.@-]{0,12}[a-zA-Z0-9:.@-]",
        kind in prop::sample::select(vec!["service", "scope", "socket", "mount", "swap"]),
        below in prop::option::of("[a-z]{1,8}"),
    ) {
        let mut path: String = slices.iter().map(|s| format!("/{s}.slice")).collect();
        path += &format!("/{name}.{kind}");
        if let Some(below) = &below {
            path += &format!("/{below}");
        }
        let unit = ours(path.as_bytes()).2;
        // One leading `_` is systemd's escape and dropped.
        let want = format!("{name}.{kind}");
        let want = want.strip_prefix('_').unwrap_or(&want);
        prop_assert_eq!(unit, Some(want.as_bytes().to_vec()), "{}", path);
        assert_agrees(path.as_bytes());
    }

    #[test]
    fn mutated_fixtures_agree_with_the_oracle(
        fixture in prop::sample::select((0..FIXTURES.len()).collect::<Vec<_>>()),
        edits in edits(b"0123456789abcdef_-./podkubes"),
    ) {
        let path = mutate(FIXTURES[fixture].1, &edits);
        assert_agrees(&path);
    }

    #[test]
    fn arbitrary_paths_agree_with_the_oracle(path in noise(b"0123456789abcdef_-./podkubesrvice", 200)) {
        assert_agrees(&path);
    }

    #[test]
    fn whole_files_take_each_field_from_its_longest_path_as_the_oracle_does(
        picks in prop::collection::vec((any::<prop::sample::Index>(), 0..3usize), 0..5),
    ) {
        // Paths of the fixtures, some without their last components, as a v1 controller holds
        // a prefix of the systemd path.
        let pool: Vec<&[u8]> = FIXTURES
            .iter()
            .flat_map(|(_, file, _)| cgroup::parse(file).unwrap().iter().map(|l| l.path).collect::<Vec<_>>())
            .collect();
        let paths: Vec<&[u8]> = picks
            .iter()
            .map(|(at, drop)| {
                let mut p = pool[at.index(pool.len())];
                for _ in 0..*drop {
                    p = &p[..p.iter().rposition(|&b| b == b'/').unwrap_or(0)];
                }
                p
            })
            .collect();
        prop_assert_eq!(ours_of_paths(&paths), of_paths(&paths));
    }

    #[test]
    fn arbitrary_bytes_never_panic(path in prop::collection::vec(any::<u8>(), 0..300)) {
        assert_agrees(&path);
    }
}

/// Reads every field of `path`'s identity; a sum of what it gave.
fn exercise(path: &[u8]) -> u64 {
    let id = from_path(path);
    let mut sum = id.pod_uid.map_or(0, |u| u.as_bytes().len() as u64);
    sum += id.container_id.map_or(0, |c| c.len() as u64);
    sum += id.systemd_unit.map_or(0, |u| u.len() as u64);
    if let Ok(cgroups) = cgroup::parse(path) {
        sum += u64::from(!from_cgroups(&cgroups).is_empty());
    }
    sum
}

#[test]
fn identities_never_allocate() {
    let mut inputs: Vec<&[u8]> = FIXTURES.iter().map(|(_, file, _)| *file).collect();
    inputs.extend([
        &b""[..],
        b"/",
        b"/kubepods/pod/x",
        b"/kubepods.slice/kubepods-pod.slice",
        b"/_.service//x.scope",
        b"\xff/\xfe.service",
    ]);
    for (_, file, _) in FIXTURES {
        let cgroups = cgroup::parse(file).unwrap();
        inputs.extend(cgroups.iter().map(|line| line.path));
    }
    assert_runs_allocate_nothing(&inputs, exercise);
}
