//! Differential fuzzing of the /proc/<pid>/stat parser against the naive oracle: both reject, or
//! both accept with the same values. A panic anywhere is a finding too.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/parse/oracle/collector.rs"]
mod oracle;

fuzz_target!(|data: &[u8]| {
    assert_eq!(oracle::stat(data), oracle::stat_fast(data));
    if let Ok(st) = procfast::parse::stat::parse(data) {
        // Accessors never panic either, whatever the tick rate or page size.
        let _ = (st.comm_str(), st.utime_seconds(0), st.rss_bytes(u64::MAX));
    }
});
