//! Differential fuzzing of the NETLINK_SOCK_DIAG reply decoder against the naive oracle: the
//! same messages and the same error, and `count_states` agreeing with the oracle's count (up to
//! NLMSG_DONE, or the first error). A panic anywhere is a finding too.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/parse/oracle/tcp.rs"]
mod tcp_oracle;

fuzz_target!(|data: &[u8]| tcp_oracle::assert_inet_diag_agrees(data));
