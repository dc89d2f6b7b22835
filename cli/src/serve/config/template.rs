//! Name templates: the Go templates of `name:`, of which process-exporter's fields only, and
//! three of serve's own read from the cgroup paths.

use super::{go_base, ProcInfo};
use procfast::parse::cgroup_identity;
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// The name template of an entry without `name`, as process-exporter's.
pub(super) const DEFAULT_NAME: &str = "{{.ExeBase}}";

/// A piece of a parsed name template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Part {
    Text(String),
    Comm,
    ExeBase,
    ExeFull,
    Username,
    Pid,
    StartTime,
    Cgroups,
    PodUid,
    ContainerId,
    SystemdUnit,
    Capture(String),
}

impl Part {
    /// Whether the part prints from the process's cgroup paths.
    pub(super) fn reads_cgroups(&self) -> bool {
        matches!(
            self,
            Part::Cgroups | Part::PodUid | Part::ContainerId | Part::SystemdUnit
        )
    }
}

/// The group name of a process: the template with its fields and `captures` filled in.
pub(super) fn render(parts: &[Part], p: &ProcInfo, captures: &[(&str, &str)]) -> String {
    let lossy = |out: &mut String, bytes: &[u8]| out.push_str(&String::from_utf8_lossy(bytes));
    let mut out = String::new();
    // Read from the paths once, by the first part that needs it.
    let mut identity = None;
    let mut identity =
        || *identity.get_or_insert_with(|| cgroup_identity::from_paths(p.cgroups.iter().copied()));
    for part in parts {
        match part {
            Part::Text(text) => out.push_str(text),
            Part::Comm => lossy(&mut out, p.comm),
            Part::ExeBase => lossy(&mut out, p.cmdline.first().map_or(p.comm, |a| go_base(a))),
            Part::ExeFull => lossy(&mut out, p.cmdline.first().copied().unwrap_or(p.comm)),
            Part::Username => out.push_str(p.username),
            Part::Pid => {
                let _ = write!(out, "{}", p.pid);
            }
            Part::StartTime => go_time(&mut out, p.start_time),
            Part::Cgroups => {
                // fmt's %v of a []string.
                out.push('[');
                for (i, path) in p.cgroups.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    lossy(&mut out, path);
                }
                out.push(']');
            }
            Part::PodUid => {
                if let Some(uid) = identity().pod_uid {
                    lossy(&mut out, uid.as_bytes());
                }
            }
            Part::ContainerId => lossy(&mut out, identity().container_id.unwrap_or_default()),
            Part::SystemdUnit => lossy(&mut out, identity().systemd_unit.unwrap_or_default()),
            Part::Capture(group) => {
                let value = captures.iter().find(|(n, _)| n == group);
                out.push_str(value.map_or("", |(_, v)| v));
            }
        }
    }
    out
}

/// Go's `time.Time.String()` of a UTC time without a monotonic reading (as process-exporter's
/// start times are): `2006-01-02 15:04:05.999999999 +0000 UTC`, the fraction without trailing
/// zeros, and without its dot when it is zero. Times before 1970 print as 1970.
fn go_time(out: &mut String, t: SystemTime) {
    let t = jiff::Timestamp::try_from(t.max(UNIX_EPOCH)).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let _ = write!(out, "{}", t.strftime("%Y-%m-%d %H:%M:%S%.f +0000 UTC"));
}

/// Parses a name template into parts. Only what process-exporter's fields need is taken:
/// text, `{{.Field}}` and `{{.Matches.NAME}}`, with spaces inside the braces and Go's trim
/// markers (`{{- ` and ` -}}` drop the white space beside them); anything else is an error.
pub(super) fn parse_template(src: &str) -> Result<Vec<Part>, String> {
    // Go's text/template white space, for trim markers and inside actions.
    let space = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
    let mut parts = Vec::new();
    let mut rest = src;
    let mut trim_next = false;
    loop {
        let (mut text, action) = match rest.find("{{") {
            None => (rest, None),
            Some(i) => (&rest[..i], Some(&rest[i + 2..])),
        };
        if trim_next {
            text = text.trim_start_matches(space);
        }
        let Some(after) = action else {
            push_text(&mut parts, text);
            return Ok(parts);
        };
        let Some(end) = after.find("}}") else {
            return Err(format!("unclosed action in the name template `{src}`"));
        };
        let mut inner = &after[..end];
        if inner.len() > 1 && inner.starts_with('-') && inner[1..].starts_with(space) {
            text = text.trim_end_matches(space);
            inner = &inner[1..];
        }
        trim_next =
            inner.len() > 1 && inner.ends_with('-') && inner[..inner.len() - 1].ends_with(space);
        if trim_next {
            inner = &inner[..inner.len() - 1];
        }
        push_text(&mut parts, text);
        parts.push(parse_field(inner.trim_matches(space))?);
        rest = &after[end + 2..];
    }
}

fn push_text(parts: &mut Vec<Part>, text: &str) {
    if !text.is_empty() {
        parts.push(Part::Text(text.to_string()));
    }
}

fn parse_field(action: &str) -> Result<Part, String> {
    const FIELDS: &str =
        ".Comm, .ExeBase, .ExeFull, .Username, .PID, .StartTime, .Cgroups, .PodUID, \
         .ContainerID, .SystemdUnit and .Matches.NAME";
    let part = match action {
        ".Comm" => Part::Comm,
        ".ExeBase" => Part::ExeBase,
        ".ExeFull" => Part::ExeFull,
        ".Username" => Part::Username,
        ".PID" => Part::Pid,
        ".StartTime" => Part::StartTime,
        ".Cgroups" => Part::Cgroups,
        ".PodUID" => Part::PodUid,
        ".ContainerID" => Part::ContainerId,
        ".SystemdUnit" => Part::SystemdUnit,
        ".Matches" => {
            return Err(
                "`{{.Matches}}` prints the whole map; name one capture: {{.Matches.NAME}}".into(),
            )
        }
        _ => match action.strip_prefix(".Matches.") {
            Some(group)
                if !group.is_empty() && group.chars().all(|c| c.is_alphanumeric() || c == '_') =>
            {
                Part::Capture(group.to_string())
            }
            _ if action.starts_with('.')
                && action.len() > 1
                && action[1..].chars().all(|c| c.is_alphanumeric() || c == '_') =>
            {
                return Err(format!(
                    "unknown template field `{action}`; the fields are {FIELDS}"
                ))
            }
            _ => {
                return Err(format!(
                    "unsupported template action `{{{{{action}}}}}`; only the fields {FIELDS} \
                     are supported, each alone in its braces"
                ))
            }
        },
    };
    Ok(part)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_name, load, proc, reject};
    use super::*;
    use std::time::Duration;

    #[test]
    fn go_time_format() {
        let at = |secs: u64, nanos: u32| {
            let mut s = String::new();
            go_time(&mut s, UNIX_EPOCH + Duration::new(secs, nanos));
            s
        };
        assert_eq!(at(1_714_557_600, 0), "2024-05-01 10:00:00 +0000 UTC");
        assert_eq!(
            at(1_714_557_600, 500_000_000),
            "2024-05-01 10:00:00.5 +0000 UTC"
        );
        assert_eq!(
            at(951_782_400, 10_000_000),
            "2000-02-29 00:00:00.01 +0000 UTC"
        );
        assert_eq!(
            at(4_102_444_799, 1),
            "2099-12-31 23:59:59.000000001 +0000 UTC"
        );
        assert_eq!(at(0, 0), "1970-01-01 00:00:00 +0000 UTC");
        let mut s = String::new();
        go_time(&mut s, UNIX_EPOCH - Duration::from_secs(5));
        assert_eq!(s, "1970-01-01 00:00:00 +0000 UTC");
    }

    #[test]
    fn template_spaces_and_trim_markers() {
        let c = load(
            "process_names:\n  - name: \"{{ .Comm }}:{{\t.PID\t}} [ {{- .Comm -}} ] {{.Comm}}\"\n    comm: [a]\n",
        );
        assert_name(&c, "a", &[], Some("a:4242 [a] a"));
        assert_eq!(
            parse_template("x }} y"),
            Ok(vec![Part::Text("x }} y".into())])
        );
    }

    #[test]
    fn bad_templates_are_rejected_with_their_line() {
        let at_line_3 = |template: &str, says: &str| {
            let e = reject(&format!(
                "process_names:\n  - comm: [a]\n    name: '{template}'\n    cmdline: ['(?P<Got>.)']\n"
            ));
            assert_eq!(e.line(), Some(3), "{e}");
            assert!(e.message().contains(says), "{template}: {e}");
        };
        at_line_3("{{.Foo}}", "unknown template field `.Foo`");
        at_line_3("x{{.comm}}", "unknown template field `.comm`");
        at_line_3("{{.Matches.Nope}}", "(?P<Nope>");
        at_line_3("{{.Matches}}", "whole map");
        at_line_3("{{.Comm", "unclosed action");
        at_line_3("{{printf \"%s\" .Comm}}", "unsupported template action");
        at_line_3("{{.Comm | upper}}", "unsupported template action");
        at_line_3("{{}}", "unsupported template action");
        at_line_3("{{.Matches.Got.X}}", "unsupported template action");
        // A capture is fine where its group exists.
        load("process_names:\n  - name: '{{.Matches.Got}}'\n    cmdline: ['(?P<Got>.)']\n");
    }

    #[test]
    fn cgroup_identity_fields() {
        let c = load(
            "process_names:\n  - name: '{{.PodUID}}/{{.ContainerID}} {{.SystemdUnit}}'\n    comm: [svc]\n",
        );
        let id = "4f3c2b1a09e8d7c6b5a4938271605f4e3d2c1b0a99887766554433221100ffee";
        let uid = "7d1e4c2a-93b5-4f60-8a2e-1c5b9d3f6e07";
        let name = |paths: &[&str]| {
            let paths: Vec<&[u8]> = paths.iter().map(|p| p.as_bytes()).collect();
            let mut p = proc("svc", &[]);
            p.cgroups = &paths;
            c.group_name(&p).unwrap()
        };
        let systemd = format!(
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{}.slice/\
             cri-containerd-{id}.scope",
            uid.replace('-', "_")
        );
        assert_eq!(
            name(&[&systemd]),
            format!("{uid}/{id} cri-containerd-{id}.scope")
        );
        // A hybrid host: the v2 line (last) is the root; the systemd hierarchy has the layout.
        let cgroupfs = format!("/kubepods/besteffort/pod{uid}/{id}");
        assert_eq!(name(&[&cgroupfs, &cgroupfs, "/"]), format!("{uid}/{id} "));
        // Of paths as long, the later (the v2 line is last); else the longest: a v1
        // controller's path is a prefix of the systemd one.
        assert_eq!(
            name(&["/system.slice/b.service", "/system.slice/a.service"]),
            "/ a.service"
        );
        let session = "/user.slice/user-1000.slice/user@1000.service/app.slice/x.scope";
        assert_eq!(
            name(&[
                session,
                "/user.slice/user-1000.slice/user@1000.service",
                "/"
            ]),
            "/ x.scope"
        );
        assert_eq!(name(&["/"]), "/ ");
        assert_eq!(name(&[]), "/ ");
    }

    #[test]
    fn every_template_field() {
        let c = load(
            "process_names:\n  - name: 'c={{.Comm}} b={{.ExeBase}} f={{.ExeFull}} u={{.Username}} \
             p={{.PID}} t={{.StartTime}} g={{.Cgroups}}'\n    comm: [svc]\n",
        );
        let argv: [&[u8]; 2] = [b"/usr/sbin/svc-real", b"-f"];
        let cgroups: [&[u8]; 2] = [b"/system.slice/svc.service", b"/"];
        let mut p = proc("svc", &argv);
        p.cgroups = &cgroups;
        p.start_time = UNIX_EPOCH + Duration::from_millis(1_714_557_600_370);
        assert_eq!(
            c.group_name(&p).as_deref(),
            Some(
                "c=svc b=svc-real f=/usr/sbin/svc-real u=alice p=4242 \
                 t=2024-05-01 10:00:00.37 +0000 UTC g=[/system.slice/svc.service /]"
            )
        );
        // Without argv, ExeBase and ExeFull are the comm; no cgroups print as [].
        p.cmdline = &[];
        p.cgroups = &[];
        assert_eq!(
            c.group_name(&p).as_deref(),
            Some("c=svc b=svc f=svc u=alice p=4242 t=2024-05-01 10:00:00.37 +0000 UTC g=[]")
        );
    }
}
