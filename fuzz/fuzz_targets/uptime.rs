//! Differential fuzzing of the /proc/uptime parser against the naive oracle of
//! `tests/parse_host.rs`: both reject, or both accept with the same two values. A panic anywhere
//! is a finding too.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/parse_host.rs"]
mod host;

fuzz_target!(|data: &[u8]| {
    assert_eq!(host::oracle::uptime(data), host::oracle::uptime_fast(data));
});
