//! The interpreter on arbitrary [subject formula] pairs (decoded from jam), under a 20 ms CPU budget: a product or a
//! bail, never a panic or a crash; afterwards the context still evaluates a trivial formula.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mars::interpreter::{nock, signals, Context};
use mars::serial::cue_bytes;
use mars::stack::NockStack;

fuzz_target!(|data: &[u8]| {
    let mut ctx = Context::new(NockStack::new(64 << 20).expect("stack"), 16);
    let Ok(pair) = cue_bytes(&mut ctx.stack, data) else { return };
    let Some(c) = pair.as_cell() else { return };
    if signals::arm_cpu_timer(20).is_ok() {
        ctx.timer_armed = true;
    }
    let _ = nock(&mut ctx, c.head(), c.tail());
    let _ = signals::arm_cpu_timer(0);
    ctx.timer_armed = false;
    let one = mars::noun::D(1);
    let inc = mars::text::parse_noun(&mut ctx.stack, "[4 0 1]").expect("formula");
    assert_eq!(nock(&mut ctx, one, inc).expect("still works"), mars::noun::D(2));
});
