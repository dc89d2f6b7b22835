//! The config process-exporter builds from its command line instead of a file: `-procnames`
//! and `-namemapping`, as `cmd/process-exporter/main.go` reads them.
//!
//! * `-procnames a,b`: a process whose comm is one of these is tracked, in a group named by
//!   its comm. Empty items are skipped.
//! * `-namemapping comm,regex,...`: pairs of a comm and a Go regex over the command line
//!   (argv joined by spaces). A process with that comm is tracked only if the regex matches
//!   and one of its groups took part with a non-empty text: the group is `comm:TEXT`, from the
//!   first such group. Its comms need not be in `-procnames`; listed there too, the mapping
//!   rules them (a process whose command line it does not match is not tracked). A comm mapped
//!   twice keeps its last regex.
//! * Every other process is not tracked (but for `-children`, which the tracker applies).

use super::matcher::{join_args, COMM_MAX};
use super::regex::Budget;
use super::regex::GoRegex;
use super::{Config, ProcInfo};
use std::collections::HashMap;

/// The comms `-procnames` and `-namemapping` name, each with the regex that names its groups
/// (`None`: the comm alone).
#[derive(Debug, Clone)]
pub(super) struct CommNames {
    by_comm: HashMap<String, Option<GoRegex>>,
}

impl CommNames {
    /// The group of process `p`, if it is tracked.
    pub(super) fn name(&self, p: &ProcInfo) -> Option<String> {
        let comm = String::from_utf8_lossy(p.comm);
        let regex = self.by_comm.get(comm.as_ref())?;
        let Some(regex) = regex else {
            return Some(comm.into_owned());
        };
        let line = join_args(p.cmdline);
        let captures = regex.captures(&line)?;
        let text = captures
            .iter()
            .skip(1)
            .flatten()
            .map(|m| m.as_str())
            .find(|t| !t.is_empty())?;
        Some(format!("{comm}:{text}"))
    }

    /// Whether a regex needs the command line.
    pub(super) fn uses_argv(&self) -> bool {
        self.by_comm.values().any(Option::is_some)
    }
}

impl Config {
    /// The config of process-exporter's `-procnames` and `-namemapping`, given as written on
    /// the command line; `None` when both are empty (neither was given). The error is one line,
    /// worded as process-exporter's.
    pub fn from_names(procnames: &str, namemapping: &str) -> Result<Option<Config>, String> {
        if procnames.is_empty() && namemapping.is_empty() {
            return Ok(None);
        }
        let mut by_comm = HashMap::new();
        if !namemapping.is_empty() {
            let tokens: Vec<&str> = namemapping.split(',').collect();
            if tokens.len() % 2 == 1 {
                return Err("bad namemapper: odd number of tokens".to_string());
            }
            let mut regexes = Budget::default();
            for (i, token) in tokens.iter().enumerate() {
                if token.is_empty() {
                    return Err(format!("bad namemapper: token {i} is empty"));
                }
                if i % 2 == 1 {
                    let regex = regexes
                        .compile(token)
                        .map_err(|e| format!("error compiling regexp '{token}': {e}"))?;
                    by_comm.insert(tokens[i - 1].to_string(), Some(regex));
                }
            }
        }
        for comm in procnames.split(',').filter(|c| !c.is_empty()) {
            by_comm.entry(comm.to_string()).or_insert(None);
        }
        let mut warnings = Vec::new();
        for comm in by_comm.keys().filter(|c| c.len() > COMM_MAX) {
            warnings.push(format!(
                "-procnames/-namemapping: comm `{comm}` is {} bytes, but the kernel keeps at \
                 most {}, so it never matches",
                comm.len(),
                COMM_MAX
            ));
        }
        Ok(Some(Config {
            matchers: Vec::new(),
            warnings,
            comm_names: Some(CommNames { by_comm }),
            top_processes: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::assert_name;
    use super::*;

    fn names(procnames: &str, namemapping: &str) -> Config {
        Config::from_names(procnames, namemapping)
            .unwrap_or_else(|e| panic!("{e}"))
            .expect("a config")
    }

    #[test]
    fn procnames_group_by_comm() {
        let c = names("bash,,sleep", "");
        assert_name(&c, "bash", &["/bin/bash"], Some("bash"));
        assert_name(&c, "sleep", &[], Some("sleep"));
        assert_name(&c, "sh", &["bash"], None);
        assert!(!c.needs_cmdline());
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn namemapping_names_by_the_first_group_that_took_text() {
        let c = names("", r"python3,([^/ ]+)\.py,java,(x)?-jar\s+([^/ ]+)\.jar");
        assert!(c.needs_cmdline());
        assert_name(
            &c,
            "python3",
            &["python3", "/srv/app.py"],
            Some("python3:app"),
        );
        // The first group took no part: the second names it.
        assert_name(&c, "java", &["java", "-jar", "svc.jar"], Some("java:svc"));
        // A mapped comm whose command line the regex does not match is not tracked.
        assert_name(&c, "python3", &["python3", "-c", "1"], None);
        assert_name(&c, "bash", &["bash"], None);
    }

    #[test]
    fn a_mapping_rules_a_comm_procnames_also_lists() {
        let c = names("java,bash", "java,-jar\\s+(\\S+)");
        assert_name(&c, "java", &["java", "-version"], None);
        assert_name(&c, "java", &["java", "-jar", "a.jar"], Some("java:a.jar"));
        assert_name(&c, "bash", &["bash"], Some("bash"));
    }

    #[test]
    fn a_regex_without_a_group_or_with_empty_groups_tracks_nothing() {
        let c = names("", "sleep,600,cat,(x*)");
        assert_name(&c, "sleep", &["sleep", "600"], None);
        assert_name(&c, "cat", &["cat"], None);
    }

    #[test]
    fn the_last_mapping_of_a_comm_counts() {
        let c = names("", "sleep,(1),sleep,(6)");
        assert_name(&c, "sleep", &["sleep", "16"], Some("sleep:6"));
    }

    #[test]
    fn neither_given_is_no_config() {
        assert!(Config::from_names("", "").unwrap().is_none());
        // Only empty items: a config that tracks nothing, as process-exporter's.
        let c = names(",", "");
        assert_name(&c, "bash", &["bash"], None);
    }

    #[test]
    fn bad_mappings_are_refused_as_process_exporter_refuses_them() {
        let e = |m: &str| Config::from_names("", m).unwrap_err();
        assert_eq!(e("a,b,c"), "bad namemapper: odd number of tokens");
        assert_eq!(e("a,,c,d"), "bad namemapper: token 1 is empty");
        assert!(
            e("a,(").starts_with("error compiling regexp '(': "),
            "{}",
            e("a,(")
        );
    }

    #[test]
    fn a_comm_longer_than_the_kernel_keeps_warns() {
        let c = names("chromium-browser", "");
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    }
}
