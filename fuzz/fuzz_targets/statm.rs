//! Differential fuzzing of the /proc/<pid>/statm parser against the naive oracle: both reject, or
//! both accept with the same values. A panic anywhere is a finding too.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/parse/oracle/collector.rs"]
mod oracle;

fuzz_target!(|data: &[u8]| {
    assert_eq!(oracle::statm(data), oracle::statm_fast(data));
    if let Ok(m) = procfast::parse::statm::parse(data) {
        let _ = (m.size_bytes(u64::MAX), m.resident_bytes(4096));
    }
});
