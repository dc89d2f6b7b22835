//! The group the config gives a process first seen: what its entries match on (command line,
//! cgroups, user name, start time) read only if the config uses it.

use super::config::{self, Config, ProcInfo};
use procfast::{ProcFs, Row};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use uzers::Users as _;

/// The config, and what it takes to give it a process's figures.
pub(super) struct Matcher {
    procfs: &'static ProcFs,
    config: Config,
    /// Seconds since the epoch at boot, to date start times.
    boot_time: f64,
    users: uzers::UsersCache,
}

impl Matcher {
    /// A matcher of the processes of `procfs` by `config`; `boot_time` in seconds since the
    /// epoch.
    pub(super) fn new(procfs: &'static ProcFs, config: Config, boot_time: f64) -> Matcher {
        Matcher {
            procfs,
            config,
            boot_time,
            users: uzers::UsersCache::new(),
        }
    }

    /// The group the config gives a process, reading its command line, cgroups and user name
    /// only if the config uses them.
    pub(super) fn group_of(&mut self, row: &Row) -> Option<Arc<str>> {
        let username = match (self.config.needs_username(), row.uid) {
            (true, Some(uid)) => self
                .users
                .get_user_by_uid(uid)
                .map(|u| u.name().to_string_lossy().into_owned())
                .unwrap_or_else(|| uid.to_string()),
            _ => String::new(),
        };
        let (mut args, mut cgroups) = (Vec::new(), Vec::new());
        if self.config.needs_cmdline() || self.config.needs_cgroups() {
            // Through a handle, checked to be the process of the row (same start time).
            if let Ok(mut proc) = self.procfs.open_pid(row.pid) {
                let same = proc
                    .stat()
                    .is_ok_and(|st| Some(st.starttime()) == row.start_time_ticks);
                if same && self.config.needs_cmdline() {
                    // Split as process-exporter splits it (every trailing NUL dropped).
                    if let Ok(cmdline) = proc.cmdline() {
                        args = config::split_cmdline(cmdline.as_bytes())
                            .into_iter()
                            .map(<[u8]>::to_vec)
                            .collect();
                    }
                }
                if same && self.config.needs_cgroups() {
                    if let Ok(raw) = proc.read_file(c"cgroup") {
                        cgroups = config::cgroup_paths(raw)
                            .into_iter()
                            .map(<[u8]>::to_vec)
                            .collect();
                    }
                }
            }
        }
        let argv: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        let cgroup_paths: Vec<&[u8]> = cgroups.iter().map(Vec::as_slice).collect();
        let start_ticks = row.start_time_ticks.unwrap_or(0);
        let start_time = SystemTime::UNIX_EPOCH
            + Duration::from_secs(self.boot_time as u64)
            + Duration::from_secs_f64(
                start_ticks as f64 / procfast::clock_ticks_per_second() as f64,
            );
        let info = ProcInfo {
            pid: row.pid,
            comm: row.comm(),
            cmdline: &argv,
            username: &username,
            start_time,
            cgroups: &cgroup_paths,
        };
        self.config.group_name(&info).map(Arc::from)
    }
}
