//! Differential fuzzing of the /proc/net/snmp and /proc/net/netstat parser against the naive
//! oracle of `tests/parse_host.rs`: both reject, or both accept with the same triples, `get` and
//! typed accessors. A panic anywhere is a finding too.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/parse_host.rs"]
mod host;

fuzz_target!(|data: &[u8]| {
    for netstat in [false, true] {
        assert_eq!(
            host::oracle::snmp(data, netstat),
            host::oracle::snmp_fast(data, netstat)
        );
    }
});
