//! Differential fuzzing of the /proc/uptime parser against the naive oracle of
//! `tests/parse/oracle/host.rs`: both reject, or both accept with the same two values. A panic
//! anywhere is a finding too.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/parse/oracle/host.rs"]
mod oracle;

fuzz_target!(|data: &[u8]| {
    assert_eq!(oracle::uptime(data), oracle::uptime_fast(data));
});
