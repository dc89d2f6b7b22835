//! Differential fuzzing of the NETLINK_SOCK_DIAG reply decoder against the naive oracle: the
//! same messages and the same error, and `count_states` agreeing with the oracle's count (up to
//! NLMSG_DONE, or the first error). A panic anywhere is a finding too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procfast::parse::inet_diag;

#[path = "../../tests/parse/oracle/tcp.rs"]
mod tcp_oracle;

fuzz_target!(|data: &[u8]| {
    assert_eq!(
        tcp_oracle::inet_diag(data),
        tcp_oracle::inet_diag_fast(data)
    );
    match (
        inet_diag::count_states(data),
        tcp_oracle::inet_diag_count(data),
    ) {
        (Ok(part), Ok((tally, done))) => {
            assert_eq!(part.done, done);
            assert!(tcp_oracle::counts_match(&part.states, &tally));
        }
        (fast, naive) => assert_eq!(fast.map(|_| ()), naive.map(|_| ())),
    }
});
