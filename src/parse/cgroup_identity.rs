//! Who a process belongs to, read from its cgroup path: the Kubernetes pod, the container and
//! the systemd unit.
//!
//! [`from_path`] reads one path of `/proc/<pid>/cgroup`; [`from_paths`] and [`from_cgroups`]
//! read every path of a file, each field from the longest path that has it (on a v1 or hybrid
//! host, the `name=systemd` hierarchy's or the v2 one's). Everything borrows the path except
//! the pod UID, which the systemd driver writes with `_` for `-` and which therefore comes back
//! rewritten in a fixed 36-byte value ([`PodUid`]). Nothing allocates and no input panics.
//!
//! # The layouts recognised
//!
//! | layout | path |
//! |---|---|
//! | kubelet, systemd driver | `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0a1b_…_.slice/cri-containerd-<id>.scope` |
//! | | `kubepods-besteffort…`, and guaranteed pods as `/kubepods.slice/kubepods-pod<uid>.slice/…` |
//! | kubelet, cgroupfs driver | `/kubepods/burstable/pod0a1b-…/<id>`, `/kubepods/besteffort/pod<uid>/<id>`, `/kubepods/pod<uid>/<id>` |
//! | Docker | `/system.slice/docker-<id>.scope` (systemd driver), `/docker/<id>` (cgroupfs) |
//! | containerd, CRI-O, Podman, nerdctl | `cri-containerd-<id>.scope`, `crio-<id>.scope`, `crio-<id>`, `libpod-<id>.scope`, `nerdctl-<id>.scope`, `/<namespace>/<id>` |
//! | systemd | `/system.slice/nginx.service`, `/user.slice/user-1000.slice/session-3.scope` |
//!
//! * **Pod UID**: the first component that is a kubelet pod cgroup. In the systemd driver's
//!   form it is a slice whose name, split at `-`, has a word `kubepods` and ends in the word
//!   `pod<uid>` (kubelet forbids `_` in its names and writes each `-` of a name as `_`, so
//!   `_` is turned back into `-`). In the cgroupfs form it is a component `pod<uid>` below a
//!   component `kubepods`. A prefix before `kubepods` (kind's `kubelet-kubepods.slice`) is
//!   allowed. The UID is 1 to 36 hex digits and dashes (an API server's UUID, or the 32 hex
//!   digits kubelet gives a static pod).
//! * **Container ID**: the first component (in practice one below the pod's) that is 64
//!   lowercase hex digits, alone or as `<prefix>-<id>`, either optionally ending in `.scope`
//!   (the names runc's systemd and cgroupfs drivers give a container's cgroup). A prefix whose
//!   last word is `conmon` (CRI-O's `crio-conmon-<id>.scope`, Podman's `libpod-conmon-<id>.scope`)
//!   is the runtime's monitor of the container, not the container: it gives no container ID,
//!   though the pod UID of its slice is still given. The ID is borrowed from the path.
//! * **systemd unit**: the last component naming a unit that owns a cgroup: `*.service`,
//!   `*.scope`, `*.socket`, `*.mount` or `*.swap` (slices hold no processes of their own).
//!   It is the name as written in the path, with systemd's cgroup escape undone: systemd
//!   prefixes a name with `_` where it could clash with a kernel file (`_cpu.service` for
//!   `cpu.service`) or itself begins with `_`, and one leading `_` is dropped, as its
//!   `cg_unescape` does. The unit name's own escapes (`\x2d` and the like, from
//!   `systemd-escape`) are part of the name and are kept. A container's scope
//!   (`docker-<id>.scope`) is a unit too, and so is `/init.scope`, the cgroup of PID 1 on a
//!   cgroup v2 host; the root `/`, and paths of slices only, give none.
//!
//! ```
//! use procfast::parse::cgroup_identity::from_path;
//! let id = from_path(
//!     b"/kubepods.slice/kubepods-burstable.slice/\
//!       kubepods-burstable-pod0a1b2c3d_4e5f_6789_abcd_ef0123456789.slice/\
//!       cri-containerd-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope",
//! );
//! assert_eq!(
//!     id.pod_uid.as_ref().map(|u| u.as_bytes()),
//!     Some(&b"0a1b2c3d-4e5f-6789-abcd-ef0123456789"[..])
//! );
//! assert_eq!(
//!     id.container_id,
//!     Some(&b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"[..])
//! );
//! assert_eq!(
//!     id.systemd_unit,
//!     Some(&b"cri-containerd-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope"[..])
//! );
//! assert_eq!(from_path(b"/system.slice/nginx.service").systemd_unit, Some(&b"nginx.service"[..]));
//! assert_eq!(from_path(b"/"), Default::default());
//! ```

use crate::parse::cgroup::Cgroups;

/// The length of a pod UID in its UUID form, the longest accepted.
pub const POD_UID_MAX: usize = 36;

/// The length of a container ID: a SHA-256 in hex, as Docker, containerd and CRI-O name them.
pub const CONTAINER_ID_LEN: usize = 64;

/// A pod UID, held by value (at most [`POD_UID_MAX`] bytes) because the systemd driver's form
/// has to be rewritten (`_` back to `-`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PodUid {
    bytes: [u8; POD_UID_MAX],
    len: u8,
}

impl PodUid {
    /// The UID as text: hex digits and dashes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// The UID from its form in a path, `_` read as `-`; `None` unless it is 1 to 36 hex digits
    /// and dashes (or underscores, when `underscores` is set).
    fn new(written: &[u8], underscores: bool) -> Option<PodUid> {
        if written.is_empty() || written.len() > POD_UID_MAX {
            return None;
        }
        let mut uid = PodUid {
            bytes: [0; POD_UID_MAX],
            len: written.len() as u8,
        };
        for (slot, &b) in uid.bytes.iter_mut().zip(written) {
            *slot = match b {
                b'_' if underscores => b'-',
                b'-' if !underscores => b'-',
                b if b.is_ascii_hexdigit() => b,
                _ => return None,
            };
        }
        Some(uid)
    }
}

impl core::fmt::Debug for PodUid {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Only hex digits and dashes are ever kept, so the bytes are ASCII.
        let text = core::str::from_utf8(self.as_bytes()).unwrap_or_default();
        write!(f, "PodUid({text:?})")
    }
}

/// What a cgroup path says of the process's pod, container and systemd unit; each `None` where
/// the path has none. See the [module docs](self) for the layouts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Identity<'a> {
    /// The Kubernetes pod's UID, with dashes.
    pub pod_uid: Option<PodUid>,
    /// The container's ID, 64 hex digits, borrowed from the path.
    pub container_id: Option<&'a [u8]>,
    /// The innermost systemd unit, borrowed from the path (one leading `_` of systemd's cgroup
    /// escape dropped).
    pub systemd_unit: Option<&'a [u8]>,
}

impl<'a> Identity<'a> {
    /// Each field of `self`, or where it is `None`, that of `other`.
    pub fn or(self, other: Identity<'a>) -> Identity<'a> {
        Identity {
            pod_uid: self.pod_uid.or(other.pod_uid),
            container_id: self.container_id.or(other.container_id),
            systemd_unit: self.systemd_unit.or(other.systemd_unit),
        }
    }

    /// True when every field is `None`.
    pub fn is_empty(&self) -> bool {
        *self == Identity::default()
    }
}

/// The pod, container and systemd unit of one cgroup path.
pub fn from_path(path: &[u8]) -> Identity<'_> {
    let mut id = Identity::default();
    let mut below_kubepods = false;
    for component in path.split(|&b| b == b'/') {
        if id.pod_uid.is_none() {
            if let Some(uid) = pod_uid(component, below_kubepods) {
                id.pod_uid = Some(uid);
                continue;
            }
            below_kubepods |= component == b"kubepods";
        }
        if id.container_id.is_none() {
            id.container_id = container_id(component);
        }
        if let Some(unit) = systemd_unit(component) {
            id.systemd_unit = Some(unit);
        }
    }
    id
}

/// The identity of a parsed `/proc/<pid>/cgroup`: [`from_paths`] of its lines' paths.
pub fn from_cgroups<'a>(cgroups: &Cgroups<'a>) -> Identity<'a> {
    from_paths(cgroups.iter().map(|line| line.path))
}

/// The identity of a process from the paths of its `/proc/<pid>/cgroup`, in file order: each
/// field from the longest path that has it, the later of two as long.
///
/// systemd keeps its tree in the v2 hierarchy and in v1's `name=systemd`, and creates a unit's
/// cgroup in a v1 controller's hierarchy only as deep as the unit needs, so a controller's path
/// is a prefix of the systemd one (`/user.slice/user-1000.slice/user@1000.service` where the
/// process is in its `app.slice/x.scope`); runc puts a container at the same path in every
/// hierarchy. The longest path is then the systemd one, on a v2, hybrid or v1 host alike; of
/// equals, the kernel lists the v2 line last.
pub fn from_paths<'a>(paths: impl IntoIterator<Item = &'a [u8]>) -> Identity<'a> {
    let mut best = Identity::default();
    // The length of the path each field of `best` came from.
    let mut from = [0usize; 3];
    for path in paths {
        let id = from_path(path);
        let mut take = |slot: usize, has: bool| {
            let longer = has && path.len() >= from[slot];
            if longer {
                from[slot] = path.len();
            }
            longer
        };
        if take(0, id.pod_uid.is_some()) {
            best.pod_uid = id.pod_uid;
        }
        if take(1, id.container_id.is_some()) {
            best.container_id = id.container_id;
        }
        if take(2, id.systemd_unit.is_some()) {
            best.systemd_unit = id.systemd_unit;
        }
    }
    best
}

/// The UID of a kubelet pod cgroup `component`: `…kubepods…-pod<uid_with_underscores>.slice`,
/// or `pod<uid>` when `below_kubepods`.
fn pod_uid(component: &[u8], below_kubepods: bool) -> Option<PodUid> {
    if let Some(stem) = component.strip_suffix(b".slice") {
        let dash = memchr::memrchr(b'-', stem)?;
        let (parent, last) = (stem.get(..dash)?, stem.get(dash + 1..)?);
        if !parent.split(|&b| b == b'-').any(|word| word == b"kubepods") {
            return None;
        }
        return PodUid::new(last.strip_prefix(b"pod")?, true);
    }
    if below_kubepods {
        return PodUid::new(component.strip_prefix(b"pod")?, false);
    }
    None
}

/// The container ID a component names: `<id>`, `<prefix>-<id>`, either with `.scope`, where the
/// prefix's last word is not `conmon`.
fn container_id(component: &[u8]) -> Option<&[u8]> {
    let name = component.strip_suffix(b".scope").unwrap_or(component);
    let start = name.len().checked_sub(CONTAINER_ID_LEN)?;
    let id = name.get(start..)?;
    if !id.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    if start == 0 {
        return Some(id);
    }
    let prefix = name.get(..start)?.strip_suffix(b"-")?;
    let last_word = prefix.rsplit(|&b| b == b'-').next().unwrap_or_default();
    (!prefix.is_empty() && last_word != b"conmon").then_some(id)
}

/// The unit types that own cgroups of their own, as the suffixes of their names.
const UNIT_SUFFIXES: [&[u8]; 5] = [b".service", b".scope", b".socket", b".mount", b".swap"];

/// The unit a component names, its one leading `_` (systemd's cgroup escape) dropped.
fn systemd_unit(component: &[u8]) -> Option<&[u8]> {
    let name = component.strip_prefix(b"_").unwrap_or(component);
    UNIT_SUFFIXES
        .iter()
        .any(|suffix| name.len() > suffix.len() && name.ends_with(suffix))
        .then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const UID: &str = "0a1b2c3d-4e5f-6789-abcd-ef0123456789";
    const UID_: &str = "0a1b2c3d_4e5f_6789_abcd_ef0123456789";

    /// The three fields as text, "" for none.
    fn fields(path: &str) -> (String, String, String) {
        let id = from_path(path.as_bytes());
        let text = |b: Option<&[u8]>| String::from_utf8_lossy(b.unwrap_or_default()).into_owned();
        (
            text(id.pod_uid.as_ref().map(PodUid::as_bytes)),
            text(id.container_id),
            text(id.systemd_unit),
        )
    }

    fn want(pod: &str, container: &str, unit: &str) -> (String, String, String) {
        (pod.into(), container.into(), unit.into())
    }

    #[test]
    fn kubelet_systemd_driver() {
        for qos in ["burstable", "besteffort"] {
            let path = format!(
                "/kubepods.slice/kubepods-{qos}.slice/kubepods-{qos}-pod{UID_}.slice/cri-containerd-{ID}.scope"
            );
            assert_eq!(
                fields(&path),
                want(UID, ID, &format!("cri-containerd-{ID}.scope"))
            );
        }
        let guaranteed = format!("/kubepods.slice/kubepods-pod{UID_}.slice/crio-{ID}.scope");
        assert_eq!(
            fields(&guaranteed),
            want(UID, ID, &format!("crio-{ID}.scope"))
        );
        // kind's kubelet under its own root slice.
        let kind = format!(
            "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod{UID_}.slice/docker-{ID}.scope"
        );
        assert_eq!(fields(&kind), want(UID, ID, &format!("docker-{ID}.scope")));
        // The pod's own slice (the pause process's cgroup on some runtimes) and CRI-O's monitor.
        let pod_only = format!("/kubepods.slice/kubepods-pod{UID_}.slice");
        assert_eq!(fields(&pod_only), want(UID, "", ""));
        let conmon = format!("/kubepods.slice/kubepods-pod{UID_}.slice/crio-conmon-{ID}.scope");
        assert_eq!(
            fields(&conmon),
            want(UID, "", &format!("crio-conmon-{ID}.scope"))
        );
        // A static pod's UID: 32 hex digits.
        let static_pod =
            "/kubepods.slice/kubepods-podf3b6b1d4a6b0a3d2e1f3b6b1d4a6b0a3.slice/x.scope";
        assert_eq!(
            fields(static_pod),
            want("f3b6b1d4a6b0a3d2e1f3b6b1d4a6b0a3", "", "x.scope")
        );
    }

    #[test]
    fn kubelet_cgroupfs_driver() {
        for parent in ["/kubepods/burstable", "/kubepods/besteffort", "/kubepods"] {
            let path = format!("{parent}/pod{UID}/{ID}");
            assert_eq!(fields(&path), want(UID, ID, ""));
        }
        let crio = format!("/kubepods/pod{UID}/crio-{ID}");
        assert_eq!(fields(&crio), want(UID, ID, ""));
        // `pod…` outside kubepods is not a pod.
        assert_eq!(fields(&format!("/pods/pod{UID}/{ID}")), want("", ID, ""));
    }

    #[test]
    fn docker_and_other_runtimes() {
        assert_eq!(fields(&format!("/docker/{ID}")), want("", ID, ""));
        assert_eq!(
            fields(&format!("/system.slice/docker-{ID}.scope")),
            want("", ID, &format!("docker-{ID}.scope"))
        );
        assert_eq!(fields(&format!("/default/{ID}")), want("", ID, ""));
        assert_eq!(
            fields(&format!("/machine.slice/libpod-conmon-{ID}.scope")),
            want("", "", &format!("libpod-conmon-{ID}.scope"))
        );
        // Docker in Docker: the outer container is the one the host knows.
        let other = ID.replace('0', "f");
        assert_eq!(
            fields(&format!("/docker/{ID}/docker/{other}")),
            want("", ID, "")
        );
    }

    #[test]
    fn systemd_units() {
        assert_eq!(
            fields("/system.slice/nginx.service"),
            want("", "", "nginx.service")
        );
        assert_eq!(
            fields("/user.slice/user-1000.slice/session-3.scope"),
            want("", "", "session-3.scope")
        );
        assert_eq!(
            fields("/user.slice/user-1000.slice/user@1000.service/app.slice/app-x.scope"),
            want("", "", "app-x.scope")
        );
        // A delegated subtree below the unit still belongs to it.
        assert_eq!(
            fields("/system.slice/runner.service/payload"),
            want("", "", "runner.service")
        );
        assert_eq!(fields("/init.scope"), want("", "", "init.scope"));
        // systemd's cgroup escape is undone; the unit name's own escapes are kept.
        assert_eq!(
            fields("/system.slice/_cpu.service"),
            want("", "", "cpu.service")
        );
        assert_eq!(
            fields(r"/system.slice/system-fsck.slice/fsck@dev-disk-by\x2duuid-1.service"),
            want("", "", r"fsck@dev-disk-by\x2duuid-1.service")
        );
        for none in [
            "/",
            "",
            "/user.slice",
            "/.service",
            "/x.slice/.scope",
            "/../..",
        ] {
            assert_eq!(fields(none), want("", "", ""), "{none}");
        }
    }

    #[test]
    fn near_misses() {
        // Wrong length, uppercase, bad UID characters, dashes in the systemd form.
        let short = &ID[1..];
        assert_eq!(fields(&format!("/docker/{short}")), want("", "", ""));
        let upper = ID.to_uppercase();
        assert_eq!(fields(&format!("/docker/{upper}")), want("", "", ""));
        assert_eq!(fields(&format!("/docker/-{ID}")), want("", "", ""));
        assert_eq!(fields("/kubepods/podxyz/a"), want("", "", ""));
        assert_eq!(
            fields(&format!("/kubepods.slice/kubepods-pod{UID}.slice")),
            want("", "", "")
        );
        let long = format!("/kubepods/pod{UID}0/x");
        assert_eq!(fields(&long), want("", "", ""));
        assert_eq!(fields("/kubepods/pod/x"), want("", "", ""));
    }

    #[test]
    fn from_cgroups_takes_each_field_from_the_longest_path_that_has_it() {
        let text = format!(
            "3:memory:/docker/{ID}\n1:name=systemd:/kubepods/pod{UID}/{ID}\n0::/system.slice/a.service\n"
        );
        let c = crate::parse::cgroup::parse(text.as_bytes()).unwrap();
        let id = from_cgroups(&c);
        assert_eq!(id.systemd_unit, Some(&b"a.service"[..]));
        assert_eq!(id.pod_uid.map(|u| u.as_bytes().to_vec()), Some(UID.into()));
        assert_eq!(id.container_id, Some(ID.as_bytes()));
        let v1_only =
            crate::parse::cgroup::parse(b"2:memory:/docker/x\n1:cpu:/b.service\n").unwrap();
        let id = from_cgroups(&v1_only);
        assert_eq!(id.systemd_unit, Some(&b"b.service"[..]));
        assert_eq!((id.pod_uid, id.container_id), (None, None));
    }
}
