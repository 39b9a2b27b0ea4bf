//! Newt frames and writ decoding: any byte stream gives frames or a framing error, and any frame body gives a writ or
//! a decoding error — never a panic, never an allocation of a claimed length before the bytes arrive.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mars::protocol::newt::NewtReader;
use mars::serial::cue_bytes;
use mars::stack::NockStack;

fuzz_target!(|data: &[u8]| {
    let mut stack = NockStack::new(64 << 20).expect("stack");
    let base = stack.checkpoint();
    let mut r = NewtReader::new(std::io::Cursor::new(data.to_vec()));
    while let Ok(body) = r.read_frame() {
        stack.restore(base);
        if let Ok(n) = cue_bytes(&mut stack, &body) {
            let _ = mars::protocol::p1::Writ::decode(n);
        }
    }
});
