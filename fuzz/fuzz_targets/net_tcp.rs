//! Differential fuzzing of the /proc/net/tcp and tcp6 parser against the naive oracle: both
//! reject with the same field, or both accept with the same sockets, and `count_states` counts
//! exactly those sockets. A panic anywhere is a finding too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procfast::parse::net_tcp;

#[path = "../../tests/parse/oracle/tcp.rs"]
mod tcp_oracle;

fuzz_target!(|data: &[u8]| {
    let naive = tcp_oracle::net_tcp(data);
    assert_eq!(naive, tcp_oracle::net_tcp_fast(data));
    match (net_tcp::count_states(data), naive) {
        (Ok(counts), Ok(lines)) => assert!(tcp_oracle::counts_match(
            &counts,
            &tcp_oracle::tally(lines.iter().map(|l| l.state))
        )),
        (Err(e), Err(field)) => assert_eq!(e, procfast::Error::parse("net/tcp", field)),
        (fast, naive) => panic!("count_states {fast:?}, oracle {naive:?}"),
    }
});
