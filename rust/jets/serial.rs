//! Serialisation: `jam cue mat rub`, on top of `crate::serial`.

use super::util::*;
use super::JetErr;
use crate::interpreter::Context;
use crate::noun::{Noun, D};

pub fn jam(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let a = sam(core)?;
    Ok(crate::serial::jam(&mut ctx.stack, a)?.as_noun())
}

pub fn cue(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let a = atom(sam(core)?)?;
    match crate::serial::cue(&mut ctx.stack, a) {
        Ok(n) => Ok(n),
        Err(crate::serial::CueError::Oom) => Err(JetErr::from(crate::noun::Oom)),
        Err(_) => Err(EXIT),
    }
}

/// `(mat a)`: `[p q]`, the length in bits and the bits of the length-prefixed encoding of `a`.
pub fn mat(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let a = atom(sam(core)?)?;
    let b = met0(a);
    if b == 0 {
        return cons(&mut ctx.stack, D(1), D(1));
    }
    let c = (usize::BITS - b.leading_zeros()) as usize;
    let p = 2 * c + b;
    let words = a.words();
    let q = build_atom(&mut ctx.stack, p, |d| {
        // c zeros, a one, the low c-1 bits of b, then a
        d[c / 64] |= 1u64 << (c % 64);
        let blen = [b as u64];
        copy_bits(&blen, 0, d, c + 1, c - 1);
        copy_bits(words, 0, d, 2 * c, b);
    })?;
    let p = num(&mut ctx.stack, p as u64)?;
    cons(&mut ctx.stack, p, q.as_noun())
}

/// `(rub a b)`: decode the length-prefixed atom at bit `a` of `b`: `[p q]`, the bits consumed and the atom.
pub fn rub(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = cell(sam(core)?)?;
    let a = small(s.head())?;
    let b = atom(s.tail())?;
    let m = met0(b);
    let mut c = 0usize;
    loop {
        if c > m {
            return Err(EXIT);
        }
        if b.bit(a + c) {
            break;
        }
        c += 1;
    }
    if c == 0 {
        return cons(&mut ctx.stack, D(1), D(0));
    }
    let d = a + c + 1;
    let low = slice(&mut ctx.stack, b, d, c - 1)?;
    let e = if c - 1 < 63 {
        (1usize << (c - 1)) + low.as_u64().unwrap_or(0) as usize
    } else {
        return Err(JetErr::Punt);
    };
    let q = slice(&mut ctx.stack, b, d + c - 1, e)?;
    let p = num(&mut ctx.stack, (2 * c + e) as u64)?;
    cons(&mut ctx.stack, p, q.as_noun())
}

/// `(trip a)`: the bytes of a cord as a tape, least significant first (`met 3` of them: no trailing NULs).
pub fn trip(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let a = atom(sam(core)?)?;
    let bytes = a.to_bytes();
    let mut tape = D(0);
    for b in bytes.iter().rev() {
        tape = cons(&mut ctx.stack, D(*b as u64), tape)?;
    }
    Ok(tape)
}
