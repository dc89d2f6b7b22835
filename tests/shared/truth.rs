//! The truth of a process's figures, from `/proc` text parsed here and from syscalls, never
//! through procfast: what the collector tests check the collectors against (included with
//! `#[path = "shared/truth.rs"] mod truth;`).

#![allow(dead_code)] // Each test file uses the part it needs.

/// The fields of `/proc/<pid>/stat` the collectors report.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stat {
    pub cpu_ticks: u64,
    pub threads: u64,
    pub start_ticks: u64,
    pub vsize: u64,
    pub rss_pages: u64,
}

/// The `stat` fields of process `pid` (or `"self"`), parsed from its text.
pub fn stat(pid: &str) -> Stat {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which ends at the last ')': the state is field 3.
    let rest = &text[text.rfind(')').unwrap() + 2..];
    let field = |n: usize| -> u64 { rest.split(' ').nth(n - 3).unwrap().parse().unwrap() };
    Stat {
        cpu_ticks: field(14) + field(15),
        threads: field(20),
        start_ticks: field(22),
        vsize: field(23),
        rss_pages: field(24),
    }
}

/// `sysconf(_SC_CLK_TCK)`.
pub fn clk_tck() -> u64 {
    rustix::param::clock_ticks_per_second()
}

/// Burns CPU until this process's CPU time is not a whole number of seconds, so that a
/// truncation to whole seconds shows.
pub fn burn_until_fractional_cpu() {
    let tck = clk_tck();
    let mut sum = 0u64;
    while stat("self").cpu_ticks % tck == 0 {
        for i in 0..200_000u64 {
            sum = sum.wrapping_add(std::hint::black_box(i));
        }
    }
    std::hint::black_box(sum);
}
