//! Differential fuzzing of the /proc/net/tcp and tcp6 parser against the naive oracle: both
//! reject with the same field, or both accept with the same sockets, and `count_states` counts
//! exactly those sockets. A panic anywhere is a finding too.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/parse/oracle/tcp.rs"]
mod tcp_oracle;

fuzz_target!(|data: &[u8]| tcp_oracle::assert_net_tcp_agrees(data));
