//! The `stat` fields the parse benchmarks convert, shared by `benches/parse.rs` and the paired
//! comparison in `xtask/src/main.rs`.

/// What a process exporter reads from `stat` (the Prometheus Go client's process collector and
/// procfast's own): CPU ticks, start time, memory, threads, and the parent for a process tree.
pub fn exporter_fields(st: &procfast::parse::stat::Stat<'_>) -> [u64; 7] {
    let (threads, ppid) = (st.num_threads() as u64, st.ppid() as u64);
    [
        st.utime(),
        st.stime(),
        st.starttime(),
        st.vsize(),
        st.rss(),
        threads,
        ppid,
    ]
}

/// Every numeric field converted, folded so that none can be skipped.
pub fn all_fields(st: &procfast::parse::stat::Stat<'_>) -> u64 {
    let required = [
        st.ppid() as u64,
        st.pgrp() as u64,
        st.session() as u64,
        st.tty_nr() as u64,
        st.tpgid() as u64,
        u64::from(st.flags()),
        st.minflt(),
        st.cminflt(),
        st.majflt(),
        st.cmajflt(),
        st.utime(),
        st.stime(),
        st.cutime() as u64,
        st.cstime() as u64,
        st.priority() as u64,
        st.nice() as u64,
        st.num_threads() as u64,
        st.itrealvalue() as u64,
        st.starttime(),
        st.vsize(),
        st.rss(),
        st.rsslim(),
        st.startcode(),
        st.endcode(),
        st.startstack(),
        st.kstkesp(),
        st.kstkeip(),
        st.signal(),
        st.blocked(),
        st.sigignore(),
        st.sigcatch(),
        st.wchan(),
        st.nswap(),
        st.cnswap(),
    ];
    let optional = [
        st.exit_signal().map(|v| v as u64),
        st.processor().map(u64::from),
        st.rt_priority().map(u64::from),
        st.policy().map(u64::from),
        st.delayacct_blkio_ticks(),
        st.guest_time(),
        st.cguest_time().map(|v| v as u64),
        st.start_data(),
        st.end_data(),
        st.start_brk(),
        st.arg_start(),
        st.arg_end(),
        st.env_start(),
        st.env_end(),
        st.exit_code().map(|v| v as u64),
    ];
    let optional = optional.into_iter().map(|v| v.unwrap());
    required
        .into_iter()
        .chain(optional)
        .fold(0, u64::wrapping_add)
}
