//! Differential fuzzing of the /proc/meminfo parser against the naive oracle: both reject, or
//! both accept with the same values. A panic anywhere is a finding too.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/parse/oracle/collector.rs"]
mod oracle;

fuzz_target!(|data: &[u8]| {
    assert_eq!(oracle::meminfo(data), oracle::meminfo_fast(data));
    if let Ok(m) = procfast::parse::meminfo::parse(data) {
        assert_eq!(
            m.iter().count(),
            data.split(|&b| b == b'\n')
                .filter(|l| l.contains(&b':'))
                .count()
        );
    }
});
