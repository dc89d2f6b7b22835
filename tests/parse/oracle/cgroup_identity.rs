//! The naive oracle of `procfast::parse::cgroup_identity`: the same rules written with `Vec`s,
//! `String`s and `split`, comparing the whole component list at once, for the property tests and
//! the fuzz target.

use procfast::parse::cgroup_identity::{from_path, from_paths, Identity, PodUid};

/// Pod UID, container ID and systemd unit as owned bytes.
pub type Fields = (Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<u8>>);

fn is_uid(uid: &[u8], sep: u8) -> bool {
    (1..=36).contains(&uid.len()) && uid.iter().all(|&b| b.is_ascii_hexdigit() || b == sep)
}

fn is_id(id: &[u8]) -> bool {
    id.len() == 64 && id.iter().all(|b| b"0123456789abcdef".contains(b))
}

/// Where the pod component is in `parts`, and its UID with dashes.
fn pod(parts: &[&[u8]]) -> Option<(usize, Vec<u8>)> {
    for (i, part) in parts.iter().enumerate() {
        let text = part.to_vec();
        if text.ends_with(b".slice") {
            let stem = &text[..text.len() - 6];
            let words: Vec<&[u8]> = stem.split(|&b| b == b'-').collect();
            if words.len() >= 2 {
                let last = words[words.len() - 1];
                if words[..words.len() - 1].contains(&&b"kubepods"[..])
                    && last.starts_with(b"pod")
                    && is_uid(&last[3..], b'_')
                {
                    let uid = last[3..]
                        .iter()
                        .map(|&b| if b == b'_' { b'-' } else { b })
                        .collect();
                    return Some((i, uid));
                }
            }
        } else if parts[..i].contains(&&b"kubepods"[..])
            && text.starts_with(b"pod")
            && is_uid(&text[3..], b'-')
        {
            return Some((i, text[3..].to_vec()));
        }
    }
    None
}

fn container(part: &[u8]) -> Option<Vec<u8>> {
    let name = part.strip_suffix(b".scope").unwrap_or(part);
    if is_id(name) {
        return Some(name.to_vec());
    }
    let words: Vec<&[u8]> = name.split(|&b| b == b'-').collect();
    let (id, prefix) = words.split_last()?;
    if is_id(id) && !prefix.is_empty() && prefix.last() != Some(&&b"conmon"[..]) {
        // A prefix of empty words only (`-<id>`, `--<id>`) is no prefix.
        if prefix.iter().any(|w| !w.is_empty()) || prefix.len() > 1 {
            return Some(id.to_vec());
        }
    }
    None
}

fn unit(part: &[u8]) -> Option<Vec<u8>> {
    let name = if part.first() == Some(&b'_') {
        &part[1..]
    } else {
        part
    };
    for suffix in ["service", "scope", "socket", "mount", "swap"] {
        let dot = format!(".{suffix}");
        if name.ends_with(dot.as_bytes()) && name.len() > dot.len() {
            return Some(name.to_vec());
        }
    }
    None
}

/// The oracle's three fields of `path`.
pub fn fields(path: &[u8]) -> Fields {
    let parts: Vec<&[u8]> = path.split(|&b| b == b'/').collect();
    let pod = pod(&parts);
    let container_id = parts
        .iter()
        .enumerate()
        .filter(|(i, _)| pod.as_ref().map_or(true, |(at, _)| at != i))
        .find_map(|(_, p)| container(p));
    let systemd_unit = parts.iter().rev().find_map(|p| unit(p));
    (pod.map(|(_, uid)| uid), container_id, systemd_unit)
}

/// The oracle's fields of a whole `/proc/<pid>/cgroup`'s paths, in file order: each field
/// from the longest path that has it, of two as long the later.
pub fn of_paths(paths: &[&[u8]]) -> Fields {
    let each: Vec<Fields> = paths.iter().map(|p| fields(p)).collect();
    // (path length, position, value) of every path that has the field; the greatest wins.
    let pick = |field: fn(&Fields) -> &Option<Vec<u8>>| {
        let mut found: Vec<(usize, usize, Vec<u8>)> = each
            .iter()
            .enumerate()
            .filter_map(|(i, f)| field(f).clone().map(|v| (paths[i].len(), i, v)))
            .collect();
        found.sort();
        found.pop().map(|(_, _, v)| v)
    };
    (pick(|f| &f.0), pick(|f| &f.1), pick(|f| &f.2))
}

/// The parser's fields of a whole file's paths, owned.
pub fn ours_of_paths(paths: &[&[u8]]) -> Fields {
    owned(from_paths(paths.iter().copied()))
}

/// The parser's three fields of `path`, owned.
pub fn ours(path: &[u8]) -> Fields {
    owned(from_path(path))
}

fn owned(id: Identity<'_>) -> Fields {
    (
        id.pod_uid
            .as_ref()
            .map(PodUid::as_bytes)
            .map(<[u8]>::to_vec),
        id.container_id.map(<[u8]>::to_vec),
        id.systemd_unit.map(<[u8]>::to_vec),
    )
}

/// Asserts that the parser and the oracle agree on `path`.
pub fn assert_agrees(path: &[u8]) {
    assert_eq!(
        ours(path),
        fields(path),
        "{:?}",
        String::from_utf8_lossy(path)
    );
}
