//! Differential fuzzing of the pressure (PSI) parser against the naive oracle of
//! `tests/parse/oracle/host.rs`: both reject, or both accept with the same `some` and `full`
//! lines. A panic anywhere is a finding too.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/parse/oracle/host.rs"]
mod oracle;

fuzz_target!(|data: &[u8]| {
    assert_eq!(oracle::pressure(data), oracle::pressure_fast(data));
});
