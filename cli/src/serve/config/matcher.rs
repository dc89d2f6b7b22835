//! The `process_names` entries: what a process must match (comm, exe, cmdline, in that order,
//! as process-exporter's `config.go` tries them) and the name it then gets.

use super::regex::{Budget, GoRegex};
use super::template::{parse_template, render, Part, DEFAULT_NAME};
use super::yaml::{keys, strings, Node, Value};
use super::{go_base, ConfigError, ProcInfo};

/// The longest comm the kernel keeps: TASK_COMM_LEN is 16 bytes with the NUL.
pub(super) const COMM_MAX: usize = 15;

/// One `process_names` entry: what a process must match, and the template of its group name.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// `comm:`, if given: the process's comm must equal one of these.
    comm: Option<Vec<String>>,
    /// `exe:`, if given: argv\[0\] (an entry with `/`) or its basename must equal one of these.
    exe: Option<Vec<String>>,
    /// `cmdline:`: every one must match argv joined by spaces. Empty when not given.
    cmdline: Vec<GoRegex>,
    /// The `name:` template, parsed once.
    name: Vec<Part>,
    /// Whether `name` uses `.Matches`: only then are regex captures worth their cost.
    wants_captures: bool,
}

impl Matcher {
    /// Whether matching or naming reads argv (`exe`, `cmdline`, `.ExeBase`, `.ExeFull`).
    pub(super) fn uses_argv(&self) -> bool {
        self.exe.is_some()
            || !self.cmdline.is_empty()
            || self
                .name
                .iter()
                .any(|p| matches!(p, Part::ExeBase | Part::ExeFull))
    }

    /// Whether the name template has `part`.
    pub(super) fn names_with(&self, part: &Part) -> bool {
        self.name.contains(part)
    }

    /// Whether the name template prints from the cgroup paths.
    pub(super) fn names_with_cgroups(&self) -> bool {
        self.name.iter().any(Part::reads_cgroups)
    }

    pub(super) fn name_if_matched(
        &self,
        p: &ProcInfo,
        line: &mut Option<String>,
    ) -> Option<String> {
        // Cheapest first, as process-exporter does: comm, exe, then the regexes.
        if let Some(comms) = &self.comm {
            if !comms.iter().any(|c| c.as_bytes() == p.comm) {
                return None;
            }
        }
        if let Some(exes) = &self.exe {
            let argv0 = p.cmdline.first()?;
            let base = go_base(argv0);
            let hit = |e: &String| {
                let want = if e.contains('/') { *argv0 } else { base };
                e.as_bytes() == want
            };
            if !exes.iter().any(hit) {
                return None;
            }
        }
        let mut captures: Vec<(&str, &str)> = Vec::new();
        if !self.cmdline.is_empty() {
            let line: &str = line.get_or_insert_with(|| join_args(p.cmdline));
            for re in &self.cmdline {
                if !self.wants_captures {
                    if !re.is_match(line) {
                        return None;
                    }
                    continue;
                }
                let caps = re.captures(line)?;
                for (i, name) in re.named_groups() {
                    let value = caps.get(i).map_or("", |m| m.as_str());
                    match captures.iter_mut().find(|(n, _)| *n == name) {
                        Some(slot) => slot.1 = value,
                        None => captures.push((name, value)),
                    }
                }
            }
        }
        Some(render(&self.name, p, &captures))
    }

    /// Builds an entry from its YAML mapping, checking everything a process will not.
    pub(super) fn from_node(
        node: Node,
        warnings: &mut Vec<String>,
        regexes: &mut Budget,
    ) -> Result<Matcher, ConfigError> {
        let pos = node.pos;
        let Value::Map(pairs) = node.value else {
            return Err(ConfigError::at(
                pos,
                "a process_names entry must be a mapping with comm, exe and/or cmdline",
            ));
        };
        let (mut name, mut comm, mut exe, mut cmdline) = (None, None, None, None);
        let known = ["name", "comm", "exe", "cmdline"];
        for (key, value) in keys(pairs, &known, "in a process_names entry")? {
            match key.as_str() {
                "name" => name = Some(value),
                "comm" => comm = strings("comm", value)?,
                "exe" => exe = strings("exe", value)?,
                _ => cmdline = strings("cmdline", value)?,
            }
        }
        if comm.is_none() && exe.is_none() && cmdline.is_none() {
            return Err(ConfigError::at(
                pos,
                "this process_names entry has no matcher: give comm, exe or cmdline",
            ));
        }
        for (c, at) in comm.iter().flatten() {
            if c.len() > COMM_MAX {
                warnings.push(format!(
                    "line {}: comm `{c}` is {} bytes, but the kernel keeps at most {COMM_MAX}, \
                     so it never matches",
                    at.line,
                    c.len()
                ));
            }
        }
        let mut compiled = Vec::new();
        for (pattern, at) in cmdline.into_iter().flatten() {
            compiled.push(
                regexes
                    .compile(&pattern)
                    .map_err(|e| ConfigError::at(at, e))?,
            );
        }
        let (template, at) = match name {
            None => (DEFAULT_NAME.to_string(), pos),
            Some(node) => match node.value {
                Value::Null => (DEFAULT_NAME.to_string(), node.pos),
                Value::Str(s) if s.is_empty() => (DEFAULT_NAME.to_string(), node.pos),
                Value::Str(s) => (s, node.pos),
                _ => return Err(ConfigError::at(node.pos, "`name` must be a string")),
            },
        };
        let parts = parse_template(&template).map_err(|e| ConfigError::at(at, e))?;
        for part in &parts {
            if let Part::Capture(group) = part {
                let defined = compiled.iter().any(|re| re.has_group(group));
                if !defined {
                    return Err(ConfigError::at(
                        at,
                        format!(
                            "`{{{{.Matches.{group}}}}}` in the name, but no cmdline regex of \
                             this entry has a group (?P<{group}>...)"
                        ),
                    ));
                }
            }
        }
        Ok(Matcher {
            comm: comm.map(|v| v.into_iter().map(|(s, _)| s).collect()),
            exe: exe.map(|v| v.into_iter().map(|(s, _)| s).collect()),
            wants_captures: parts.iter().any(|p| matches!(p, Part::Capture(_))),
            cmdline: compiled,
            name: parts,
        })
    }
}

/// argv joined by single spaces, as Go's `strings.Join(cmdline, " ")`, made UTF-8.
pub(super) fn join_args(args: &[&[u8]]) -> String {
    let mut bytes = Vec::with_capacity(args.iter().map(|a| a.len() + 1).sum());
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            bytes.push(b' ');
        }
        bytes.extend_from_slice(arg);
    }
    // Valid UTF-8, the usual case, is kept without a copy.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_name, assert_refused_at, load, name, proc, reject};

    #[test]
    fn comm_is_exact() {
        let c = load("process_names:\n  - comm: [bash, 'kworker/0:1']\n");
        assert_name(&c, "bash", &[], Some("bash"));
        assert_name(&c, "kworker/0:1", &[], Some("kworker/0:1"));
        assert_name(&c, "bas", &["bash"], None);
        assert_name(&c, "bashx", &["bash"], None);
        assert_name(&c, "Bash", &["bash"], None);
        // The comm, not argv, is matched.
        assert_name(&c, "sh", &["bash"], None);
    }

    #[test]
    fn long_comm_warns_but_loads() {
        let c = load("process_names:\n  - comm: [chromium-browser, chromium-browse]\n");
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].contains("chromium-browser") && c.warnings[0].starts_with("line 2"));
        assert_name(&c, "chromium-browse", &[], Some("chromium-browse"));
    }

    #[test]
    fn exe_matches_argv0_or_its_basename() {
        let c = load(
            "process_names:\n  - exe: [bash]\n  - exe: [/usr/bin/python3, /usr/local/bin/python3]\n",
        );
        assert_name(&c, "bash", &["/bin/bash"], Some("bash"));
        assert_name(&c, "bash", &["bash", "-c", "x"], Some("bash"));
        // A login shell's argv[0] is "-bash": not "bash".
        assert_name(&c, "bash", &["-bash"], None);
        // No argv (a kernel thread) matches no exe, whatever the comm.
        assert_name(&c, "bash", &[], None);
        // Both full paths count (Go would keep only the later of the same basename).
        assert_name(&c, "python3", &["/usr/bin/python3"], Some("python3"));
        assert_name(&c, "python3", &["/usr/local/bin/python3"], Some("python3"));
        assert_name(&c, "python3", &["python3"], None);
        // argv[0] is what counts, whatever the binary: the trailing slash is dropped by Base.
        assert_name(&c, "x", &["/weird/bash/"], Some("bash"));
    }

    #[test]
    fn cmdline_regexes_all_match_the_joined_line() {
        let c = load("process_names:\n  - name: both\n    cmdline: ['-jar', 'app\\.jar --port']\n");
        // Unanchored, and across arguments: argv is joined by single spaces.
        assert_name(
            &c,
            "java",
            &["java", "-jar", "app.jar", "--port", "80"],
            Some("both"),
        );
        assert_name(&c, "java", &["java", "-jar", "other.jar"], None);
        assert_name(&c, "java", &["java", "app.jar", "--port"], None);
    }

    #[test]
    fn kinds_in_one_entry_must_all_match() {
        let c = load(
            "process_names:\n  - comm: [postgres]\n    exe: [postgres]\n    cmdline: ['-D']\n",
        );
        assert_name(&c, "postgres", &["postgres", "-D", "/d"], Some("postgres"));
        assert_name(&c, "postmaster", &["postgres", "-D", "/d"], None);
        assert_name(&c, "postgres", &["/usr/bin/pg", "-D", "/d"], None);
        assert_name(&c, "postgres", &["postgres"], None);
    }

    #[test]
    fn first_matching_entry_wins() {
        let c = load(
            "process_names:\n\
             \x20 - {name: first, comm: [nginx], cmdline: ['master']}\n\
             \x20 - {name: second, comm: [nginx]}\n\
             \x20 - {name: third, cmdline: ['.']}\n",
        );
        assert_name(&c, "nginx", &["nginx: master process"], Some("first"));
        assert_name(&c, "nginx", &["nginx: worker process"], Some("second"));
        assert_name(&c, "cat", &["cat"], Some("third"));
        assert_name(&c, "kthreadd", &[], None);
    }

    #[test]
    fn named_captures_feed_the_name() {
        let c = load(
            "process_names:\n\
             \x20 - name: '{{.Matches.Svc}}/{{.Matches.Env}}|{{.Matches.Opt}}'\n\
             \x20   cmdline:\n\
             \x20   - '--svc=(?P<Svc>\\w+)'\n\
             \x20   - '--env=(?P<Env>\\w+)(?P<Opt>-x)?'\n\
             \x20   - '(?P<Svc>api)'\n",
        );
        // The later regex's Svc wins (it is "api" both ways here); Opt took no part.
        assert_name(
            &c,
            "srv",
            &["srv", "--svc=api", "--env=prod"],
            Some("api/prod|"),
        );
        assert_name(
            &c,
            "srv",
            &["srv", "--svc=api", "--env=dev-x"],
            Some("api/dev|-x"),
        );
        // The third regex must match too.
        assert_name(&c, "srv", &["srv", "--svc=web", "--env=prod"], None);
        let later = load(
            "process_names:\n  - name: '{{.Matches.A}}'\n    cmdline: ['(?P<A>x+)', '(?P<A>y+)']\n",
        );
        assert_name(&later, "p", &["xx yyy"], Some("yyy"));
    }

    #[test]
    fn default_name_is_exebase() {
        for yaml in [
            "process_names:\n  - comm: [sshd]\n",
            "process_names:\n  - comm: [sshd]\n    name: ''\n",
            "process_names:\n  - comm: [sshd]\n    name:\n",
        ] {
            let c = load(yaml);
            assert_name(&c, "sshd", &["/usr/sbin/sshd", "-D"], Some("sshd"));
            // Go's filepath.Base of a rewritten argv[0]: what follows the last slash.
            assert_name(&c, "sshd", &["sshd: alice@pts/0"], Some("0"));
            assert_name(&c, "sshd", &[], Some("sshd"));
            assert_name(&c, "sshd", &[""], Some("."));
        }
    }

    #[test]
    fn bad_regex_is_named() {
        let e = reject("process_names:\n  - cmdline:\n    - 'ok'\n    - 'a(b'\n");
        assert_eq!(e.line(), Some(4), "{e}");
        assert!(e.message().contains("bad cmdline regex `a(b`"), "{e}");
        assert!(!e.to_string().contains('\n'), "one line: {e}");
        // Go's RE2 has no look-around; neither has regex.
        let e = reject("process_names:\n  - cmdline: ['(?=x)']\n");
        assert!(e.message().contains("(?=x)"), "{e}");
    }

    #[test]
    fn entries_need_a_matcher() {
        for yaml in [
            "process_names:\n  - name: lonely\n",
            "process_names:\n  - comm:\n    name: x\n",
            "process_names:\n  - {}\n",
        ] {
            // At the entry's first key (or its brace).
            assert_refused_at(yaml, (2, 5), "no matcher");
        }
    }

    #[test]
    fn non_utf8_does_not_panic() {
        let c = load(
            "process_names:\n  - name: '{{.Comm}}|{{.ExeBase}}|{{.Matches.A}}'\n    cmdline: ['(?P<A>o.)']\n",
        );
        let argv: [&[u8]; 2] = [b"/bin/\xffx", b"fo\xfe"];
        let mut p = proc("", &argv);
        p.comm = b"c\xc3";
        // The regexes see U+FFFD where a byte is not UTF-8, and `.` matches it, as in Go.
        assert_eq!(
            c.group_name(&p).as_deref(),
            Some("c\u{fffd}|\u{fffd}x|o\u{fffd}")
        );
        let comm = load("process_names:\n  - comm: [a]\n");
        p.comm = b"\xff\xfe";
        assert_eq!(comm.group_name(&p), None);
    }

    #[test]
    fn hostile_processes() {
        let c = load(
            "process_names:\n  - name: '{{.Matches.T}}'\n    cmdline: ['(?P<T>z+)$']\n  - name: '{{.Comm}}'\n    cmdline: ['.*']\n",
        );
        // A huge argument and a huge argv.
        let big = vec![b'z'; 4 << 20];
        let argv: [&[u8]; 2] = [b"x", &big];
        assert_eq!(
            c.group_name(&proc("x", &argv)).map(|n| n.len()),
            Some(4 << 20)
        );
        let many: Vec<&[u8]> = vec![b"a".as_slice(); 200_000];
        assert_eq!(c.group_name(&proc("many", &many)).as_deref(), Some("many"));
        // Empty argv, and an empty comm.
        assert_eq!(c.group_name(&proc("", &[])).as_deref(), Some(""));
        // A comm with a newline (a program may set any comm with prctl) is kept as it is.
        assert_eq!(c.group_name(&proc("a\nb", &[])).as_deref(), Some("a\nb"));
        let nl = load("process_names:\n  - comm: [\"a\\nb\"]\n");
        assert_eq!(name(&nl, "a\nb", &[]).as_deref(), Some("a\nb"));
        assert_eq!(name(&nl, "a", &[]), None);
        // Odd argv[0]s for Base.
        let base = load("process_names:\n  - comm: [x]\n");
        for (argv0, want) in [
            ("/", "/"),
            ("///", "/"),
            ("a//", "a"),
            ("", "."),
            ("/a/b", "b"),
        ] {
            assert_eq!(
                name(&base, "x", &[argv0]).as_deref(),
                Some(want),
                "{argv0:?}"
            );
        }
    }
}
