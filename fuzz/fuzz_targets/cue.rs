//! cue never panics, and whatever it decodes re-encodes to a jam that decodes to the same noun.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mars::noun::HeapAlloc;
use mars::serial::{cue_bytes, jam_to_bytes};

fuzz_target!(|data: &[u8]| {
    let mut h = HeapAlloc::new();
    if let Ok(n) = cue_bytes(&mut h, data) {
        let again = cue_bytes(&mut h, &jam_to_bytes(n)).expect("a jam always cues");
        assert!(mars::equality::noun_eq(n, again));
    }
});
