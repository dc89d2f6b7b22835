//! Differential fuzzing of the getdents64 buffers (the dirent walker) parser against the naive oracle: both reject, or
//! both accept with the same values. A panic anywhere is a finding too.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/parse/oracle/collector.rs"]
mod oracle;

fuzz_target!(|data: &[u8]| {
    assert_eq!(oracle::dirents(data), oracle::dirents_fast(data));
    // Every yielded entry borrows a name inside the buffer, and iteration ends.
    assert!(procfast::parse::dirent::dirents(data).count() <= data.len() / 20 + 1);
});
