//! Differential fuzzing of the /proc/diskstats parser against the naive oracle of
//! `tests/parse_host.rs`: both reject, or both accept with the same devices and counters. A
//! panic anywhere is a finding too.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/parse_host.rs"]
mod host;

fuzz_target!(|data: &[u8]| {
    assert_eq!(
        host::oracle::diskstats(data),
        host::oracle::diskstats_fast(data)
    );
});
