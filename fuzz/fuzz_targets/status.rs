//! Differential fuzzing of the /proc/<pid>/status parser against the naive oracle: both reject, or
//! both accept with the same values. A panic anywhere is a finding too.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/parse/oracle/collector.rs"]
mod oracle;

fuzz_target!(|data: &[u8]| {
    assert_eq!(oracle::status(data), oracle::status_fast(data));
    if let Ok(st) = procfast::parse::status::parse(data) {
        let pairs: Vec<_> = st.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
        assert_eq!(Some(pairs), oracle::status_pairs(data));
        let _ = (st.name_str(), st.get(b"SigQ"));
    }
});
