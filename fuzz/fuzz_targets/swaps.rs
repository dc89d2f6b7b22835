//! Differential fuzzing of the /proc/swaps parser against the naive oracle of
//! `tests/parse/oracle/host.rs`: both reject, or both accept with the same areas. A panic
//! anywhere is a finding too.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/parse/oracle/host.rs"]
mod oracle;

fuzz_target!(|data: &[u8]| {
    assert_eq!(oracle::swaps(data), oracle::swaps_fast(data));
});
