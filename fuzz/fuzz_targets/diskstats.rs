//! Differential fuzzing of the /proc/diskstats parser against the naive oracle of
//! `tests/parse/oracle/host.rs`: both reject, or both accept with the same devices and counters. A
//! panic anywhere is a finding too.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/parse/oracle/host.rs"]
mod oracle;

fuzz_target!(|data: &[u8]| {
    assert_eq!(oracle::diskstats(data), oracle::diskstats_fast(data));
});
