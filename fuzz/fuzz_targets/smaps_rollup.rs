//! Fuzzing of the smaps_rollup parser: never a panic, and every figure it accepts is a whole
//! number of kB, converted to bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = procfast::parse::smaps_rollup::parse(data) {
        for v in [s.rss_bytes, s.pss_bytes]
            .into_iter()
            .chain([s.pss_anon_bytes, s.swap_bytes, s.swap_pss_bytes].into_iter().flatten())
        {
            assert_eq!(v % 1024, 0);
        }
    }
});
