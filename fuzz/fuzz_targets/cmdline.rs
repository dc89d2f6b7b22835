//! Fuzzing of the NUL-separated command-line view: never a panic, and the arguments put back
//! together with their NULs give the input again (less the final NUL, which ends the last one).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cmdline = procfast::parse::cmdline::Cmdline::new(data);
    let joined = cmdline.args().collect::<Vec<_>>().join(&0u8);
    let expected = data.strip_suffix(b"\0").unwrap_or(data);
    assert_eq!(joined, expected);
    assert_eq!(cmdline.argv0(), cmdline.args().next());
});
