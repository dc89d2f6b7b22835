//! Fuzzing of the schedstat parser: never a panic, and what it accepts, printed again the way
//! the kernel prints it, parses to the same counters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procfast::parse::schedstat;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = schedstat::parse(data) {
        let again = format!("{} {} {}\n", s.cpu_time_ns, s.run_delay_ns, s.timeslices);
        assert_eq!(schedstat::parse(again.as_bytes()), Ok(s));
        assert!(s.cpu_time_seconds() >= 0.0 && s.run_delay_seconds() >= 0.0);
        assert!(data.ends_with(b"\n"));
    }
});
