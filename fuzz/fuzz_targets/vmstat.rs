//! Differential fuzzing of the /proc/vmstat parser against the naive oracle of
//! `tests/parse/oracle/host.rs`: both reject, or both accept with the same values (every known
//! field, every line, and `get` of each name). A panic anywhere is a finding too.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/parse/oracle/host.rs"]
mod oracle;

fuzz_target!(|data: &[u8]| {
    assert_eq!(oracle::vmstat(data), oracle::vmstat_fast(data));
});
