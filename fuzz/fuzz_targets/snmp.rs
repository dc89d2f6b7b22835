//! Differential fuzzing of the /proc/net/snmp and /proc/net/netstat parser against the naive
//! oracle of `tests/parse/oracle/host.rs`: both reject, or both accept with the same triples,
//! `get` and typed accessors. A panic anywhere is a finding too.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/parse/oracle/host.rs"]
mod oracle;

fuzz_target!(|data: &[u8]| {
    for netstat in [false, true] {
        assert_eq!(
            oracle::snmp(data, netstat),
            oracle::snmp_fast(data, netstat)
        );
    }
});
