//! Fuzzing of the single-value parsers: never a panic, the four widths agree with each other,
//! and an accepted value printed again parses to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procfast::parse::value;

fuzz_target!(|data: &[u8]| {
    let u = value::u64(data, "f").ok();
    let i = value::i64(data, "f").ok();
    assert_eq!(
        value::u32(data, "f").ok(),
        u.and_then(|v| u32::try_from(v).ok())
    );
    assert_eq!(
        value::i32(data, "f").ok(),
        i.and_then(|v| i32::try_from(v).ok())
    );
    if let Some(u) = u {
        assert_eq!(i, i64::try_from(u).ok());
        assert_eq!(value::u64(format!("{u}\n").as_bytes(), "f"), Ok(u));
    }
    if let Some(i) = i {
        assert_eq!(value::i64(format!("{i}\n").as_bytes(), "f"), Ok(i));
    }
});
