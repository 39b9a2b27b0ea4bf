//! Tree addressing: `cap`, `mas`, `peg`.

use super::util::*;
use super::JetErr;
use crate::interpreter::Context;
use crate::noun::{Noun, D};

/// `(cap a)`: 2 if axis `a` is in the head, 3 if in the tail; crashes for 0 and 1.
pub fn cap(_ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let a = atom(sam(core)?)?;
    let n = met0(a);
    if n < 2 {
        return Err(EXIT);
    }
    Ok(D(if a.bit(n - 2) { 3 } else { 2 }))
}

/// `(mas a)`: the axis of `a` within the head or tail; crashes for 0 and 1.
pub fn mas(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let a = atom(sam(core)?)?;
    let n = met0(a);
    if n < 2 {
        return Err(EXIT);
    }
    // drop the top bit and set the one below it
    if let Some(v) = a.as_direct() {
        let r = (v & ((1u64 << (n - 2)) - 1)) | (1u64 << (n - 2));
        return num(&mut ctx.stack, r);
    }
    let words = a.words();
    let r = build_atom(&mut ctx.stack, n - 1, |d| {
        copy_bits(words, 0, d, 0, n - 2);
        d[(n - 2) / 64] |= 1u64 << ((n - 2) % 64);
    })?;
    Ok(r.as_noun())
}

/// `(peg a b)`: the axis of `b` within axis `a`; crashes if either is 0.
pub fn peg(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = cell(sam(core)?)?;
    let b = atom(s.tail())?;
    if b.as_direct() == Some(1) {
        // `?-  b  %1  a` comes before anything looks at `a` but `?<  =(0 a)`
        if s.head() == D(0) {
            return Err(EXIT);
        }
        return Ok(s.head());
    }
    let a = atom(s.head())?;
    if a.as_direct() == Some(0) || b.as_direct() == Some(0) {
        return Err(EXIT);
    }
    let c = met0(b) - 1;
    let d = met0(a);
    if c + d < 64 {
        let (x, y) = (a.as_u64().expect("small"), b.as_u64().expect("small"));
        return num(&mut ctx.stack, (x << c) | (y & ((1u64 << c) - 1)));
    }
    let (aw, bw) = (a.words(), b.words());
    let r = build_atom(&mut ctx.stack, c + d, |out| {
        copy_bits(bw, 0, out, 0, c);
        copy_bits(aw, 0, out, c, d);
    })?;
    Ok(r.as_noun())
}
