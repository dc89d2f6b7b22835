//! Differential fuzzing of the /proc/net/sockstat and sockstat6 parser against the naive oracle: both reject, or
//! both accept with the same values. A panic anywhere is a finding too.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/parse/oracle/collector.rs"]
mod oracle;

fuzz_target!(|data: &[u8]| {
    for six in [false, true] {
        let fast = oracle::sockstat_fast(data, six);
        assert_eq!(oracle::sockstat(data, six), fast);
        if fast.is_some() {
            assert_eq!(
                oracle::sockstat_triples_fast(data, six),
                oracle::sockstat_triples(data)
            );
        }
    }
});
