//! The noun text parser never panics, and what it parses prints canonically and parses back to the same noun.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mars::noun::HeapAlloc;
use mars::text::{parse_noun, Print};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let mut h = HeapAlloc::new();
    if let Ok(n) = parse_noun(&mut h, s) {
        let printed = format!("{}", Print(n));
        let again = parse_noun(&mut h, &printed).expect("canonical text parses");
        assert!(mars::equality::noun_eq(n, again));
    }
});
