//! Fuzzing of the environ view: never a panic; each variable is an argument split at its first
//! `=`, and every argument with a `=` gives one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procfast::parse::cmdline::Cmdline;

fuzz_target!(|data: &[u8]| {
    let environ = Cmdline::new(data);
    let with_equals: Vec<&[u8]> = environ.args().filter(|a| a.contains(&b'=')).collect();
    let vars: Vec<(&[u8], &[u8])> = environ.vars().collect();
    assert_eq!(vars.len(), with_equals.len());
    for ((name, value), arg) in vars.into_iter().zip(with_equals) {
        assert!(!name.contains(&b'=') && !name.contains(&0) && !value.contains(&0));
        assert_eq!([name, value].join(&b'='), arg);
    }
});
