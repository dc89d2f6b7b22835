//! Groups named from cgroups: helpers moved into cgroups laid out as kubelet and containerd lay
//! out a pod's container (systemd driver) and as systemd lays out a service, on the cgroup v2
//! hierarchy of this host, then grouped by `{{.PodUID}}/{{.ContainerID}}` and
//! `{{.SystemdUnit}}`. Needs root (to create cgroups and move processes); skips otherwise.

use super::common::{succeeded, Running};
use super::{group, own, sample, samples, scrape, scratch, serve, write_config};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the cgroup v2 hierarchy is mounted, from `/proc/self/mountinfo` (`… - cgroup2 …`).
fn cgroup2_mount() -> Option<PathBuf> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    mountinfo.lines().find_map(|line| {
        let (mount, fs) = line.split_once(" - ")?;
        if fs.split(' ').next() != Some("cgroup2") {
            return None;
        }
        // ID PARENT MAJOR:MINOR ROOT MOUNT-POINT …; a root other than `/` is a bind of a part.
        let fields: Vec<&str> = mount.split(' ').collect();
        match fields.get(3) {
            Some(&"/") => fields.get(4).map(PathBuf::from),
            _ => None,
        }
    })
}

/// `n` hex digits that differ from run to run.
fn random_hex(n: usize, salt: u64) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut state = nanos ^ (u64::from(std::process::id()) << 32) ^ salt;
    let mut out = String::new();
    while out.len() < n {
        // splitmix64
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out += &format!("{:016x}", z ^ (z >> 31));
    }
    out.truncate(n);
    out
}

/// The cgroups this test made, removed (deepest first) when dropped; the processes in them
/// must have been stopped before.
struct Cgroups(Vec<PathBuf>);

impl Cgroups {
    /// Makes `path` below `root`, each missing directory on the way recorded for removal.
    fn make(&mut self, root: &Path, path: &str) -> PathBuf {
        let mut at = root.to_path_buf();
        for part in path.split('/') {
            at.push(part);
            if !at.exists() {
                std::fs::create_dir(&at).unwrap_or_else(|e| panic!("mkdir {}: {e}", at.display()));
                self.0.push(at.clone());
            }
        }
        at
    }
}

impl Drop for Cgroups {
    fn drop(&mut self) {
        for dir in self.0.iter().rev() {
            // A process just reaped may leave its cgroup populated for a moment.
            for _ in 0..200 {
                if std::fs::remove_dir(dir).is_ok() || !dir.exists() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            if dir.exists() {
                eprintln!("could not remove the cgroup {}", dir.display());
            }
        }
    }
}

/// Moves every one of `members` into the cgroup `dir`.
fn move_into(dir: &Path, members: &[Running]) {
    for member in members {
        std::fs::write(dir.join("cgroup.procs"), member.0.id().to_string())
            .unwrap_or_else(|e| panic!("move {} into {}: {e}", member.0.id(), dir.display()));
        let cgroup = std::fs::read_to_string(format!("/proc/{}/cgroup", member.0.id())).unwrap();
        assert!(cgroup
            .lines()
            .any(|l| l.starts_with("0::/") && dir.ends_with(l.trim_start_matches("0::/"))));
    }
}

#[test]
fn groups_by_pod_container_and_systemd_unit() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: creating cgroups and moving processes into them needs root");
        return;
    }
    let Some(root) = cgroup2_mount() else {
        eprintln!("skipped: no cgroup v2 hierarchy is mounted");
        return;
    };
    let dir = scratch("cgroups");
    let (pod_comm, unit_comm) = (own("pfcgpod"), own("pfcgunit"));
    let uid = {
        let h = random_hex(32, 1);
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    };
    let id = random_hex(64, 2);
    let unit = format!("demo-{}.service", random_hex(12, 3));
    let under = uid.replace('-', "_");

    let mut cgroups = Cgroups(Vec::new());
    let container = cgroups.make(
        &root,
        &format!(
            "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{under}.slice/\
             cri-containerd-{id}.scope"
        ),
    );
    let service = cgroups.make(&root, &format!("system.slice/{unit}"));
    let in_pod = group(&dir, &pod_comm, 2);
    let in_unit = group(&dir, &unit_comm, 3);
    move_into(&container, &in_pod);
    move_into(&service, &in_unit);

    let config = write_config(
        &dir,
        &format!(
            "process_names:\n\
             \x20 - name: \"{{{{.PodUID}}}}/{{{{.ContainerID}}}}\"\n    comm: [{pod_comm}]\n\
             \x20 - name: \"{{{{.SystemdUnit}}}}\"\n    comm: [{unit_comm}]\n"
        ),
    );
    let (serve, address) = serve(&["--config", config.to_str().unwrap()]);
    let got = samples(&scrape(&address, Some("10")));
    drop(serve);
    // `top --cgroup` places each the same, in full in JSON and shortened in its column.
    let (pod_pid, unit_pid) = (in_pod[0].0.id().to_string(), in_unit[0].0.id().to_string());
    let top = |json: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_procfast"));
        command.args([
            "top", "--cgroup", "--by", "pid", "--pid", &pod_pid, "--pid", &unit_pid,
        ]);
        if json {
            command.arg("--json");
        }
        String::from_utf8(succeeded(&mut command).stdout).unwrap()
    };
    let frame: serde_json::Value = serde_json::from_str(&top(true)).unwrap();
    let placed = |pid: u32| {
        let rows = frame["rows"].as_array().unwrap();
        let row = rows.iter().find(|r| r["pid"] == pid).unwrap();
        [&row["pod_uid"], &row["container_id"], &row["systemd_unit"]].map(Clone::clone)
    };
    let (pod_placed, unit_placed) = (placed(in_pod[0].0.id()), placed(in_unit[0].0.id()));
    let table = top(false);
    // The helpers stop (killed and reaped) before their cgroups are removed.
    drop((in_pod, in_unit));
    drop(cgroups);
    let _ = std::fs::remove_dir_all(&dir);

    let scope = format!("cri-containerd-{id}.scope");
    let none = serde_json::Value::Null;
    assert_eq!(
        pod_placed,
        [uid.as_str(), &id, &scope].map(serde_json::Value::from),
        "{frame}"
    );
    assert_eq!(
        unit_placed,
        [none.clone(), none, unit.as_str().into()],
        "{frame}"
    );
    assert!(
        table.contains(&format!("{}/{}", &uid[..8], &id[..12])),
        "{table}"
    );
    assert!(table.contains(&unit[..unit.len().min(23)]), "{table}");
    let procs = |group: &str| sample(&got, "namedprocess_namegroup_num_procs", group, "");
    assert_eq!(procs(&format!("{uid}/{id}")), Some(2.0), "{got:?}");
    assert_eq!(procs(&unit), Some(3.0), "{got:?}");
    assert_eq!(got.get("procfast_scrape_complete"), Some(&1.0));
}
