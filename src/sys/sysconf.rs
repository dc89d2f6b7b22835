//! The units of /proc's figures, as the kernel gives them to this process: the clock tick rate
//! and the page size (`sysconf`), and the boot time from the clocks.

/// `sysconf(_SC_CLK_TCK)`: the unit of the tick counts in /proc files (usually 100), read from
/// the auxiliary vector once per process, never assumed.
pub fn clock_ticks_per_second() -> u64 {
    rustix::param::clock_ticks_per_second()
}

/// `sysconf(_SC_PAGESIZE)`: the unit of the page counts in /proc files.
pub fn page_size() -> u64 {
    rustix::param::page_size() as u64
}

/// The boot time in whole seconds since the epoch, from `CLOCK_REALTIME - CLOCK_BOOTTIME`: what
/// the kernel prints as `btime` in `/proc/stat`, for mounts that do not show that file.
pub fn boot_time_from_clocks() -> u64 {
    use rustix::time::{clock_gettime, ClockId};
    let nanos = |t: rustix::time::Timespec| t.tv_sec as i128 * 1_000_000_000 + t.tv_nsec as i128;
    let booted = nanos(clock_gettime(ClockId::Realtime)) - nanos(clock_gettime(ClockId::Boottime));
    u64::try_from(booted.div_euclid(1_000_000_000)).unwrap_or(0)
}
