//! Differential fuzzing of the /proc/net/dev parser against the naive oracle: both reject, or
//! both accept with the same values. A panic anywhere is a finding too.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/parse/oracle/collector.rs"]
mod oracle;

fuzz_target!(|data: &[u8]| {
    assert_eq!(oracle::net_dev(data), oracle::net_dev_fast(data));
});
