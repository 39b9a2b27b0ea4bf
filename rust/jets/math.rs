//! Layer one: unsigned arithmetic (`add dec div dvr gte gth lte lth max min mod mul sub`).
//!
//! Every gate takes atoms; a cell where an atom is expected crashes, as the Hoon does. `dec 0`, division by zero and
//! subtraction below zero crash with `%exit`; as in Vere, `dec`, `sub`, `div` and `dvr` then put their own error text
//! on the trace (`decrement-underflow`, `subtract-underflow`, `divide-by-zero`), where the Hoon's trace would hold its
//! `~_` hints and the nested `dec`'s, and `mod` puts none (Vere 1.16's `u3qa_mod` bails without a message).

use super::util::*;
use super::JetErr;
use crate::interpreter::Context;
use crate::noun::{Atom, Noun, D};
use std::cmp::Ordering;

/// The two atoms of a `[a=@ b=@]` sample.
#[inline]
fn pair(core: Noun) -> Result<(Atom, Atom), JetErr> {
    let s = cell(sam(core)?)?;
    Ok((atom(s.head())?, atom(s.tail())?))
}

/// Compare two atoms.
pub fn cmp(a: Atom, b: Atom) -> Ordering {
    match (a.as_direct(), b.as_direct()) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => {
            let (x, y) = (a.words(), b.words());
            x.len()
                .cmp(&y.len())
                .then_with(|| x.iter().rev().cmp(y.iter().rev()))
        }
    }
}

pub fn add(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = pair(core)?;
    if let (Some(x), Some(y)) = (a.as_direct(), b.as_direct()) {
        return num(&mut ctx.stack, x + y);
    }
    from_big(&mut ctx.stack, &(big(a) + big(b)))
}

pub fn dec(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let a = atom(sam(core)?)?;
    match a.as_direct() {
        Some(0) => Err(error(ctx, "decrement-underflow")),
        Some(x) => num(&mut ctx.stack, x - 1),
        None => from_big(&mut ctx.stack, &(big(a) - 1u8)),
    }
}

pub fn sub(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = cell(sam(core)?)?;
    // `?:  =(0 b)  a` comes first in the Hoon, so `a` may be any noun then (Vere's `u3wa_sub` agrees).
    if s.tail() == D(0) {
        return Ok(s.head());
    }
    let (a, b) = (atom(s.head())?, atom(s.tail())?);
    if cmp(a, b) == Ordering::Less {
        return Err(error(ctx, "subtract-underflow"));
    }
    if let (Some(x), Some(y)) = (a.as_direct(), b.as_direct()) {
        return num(&mut ctx.stack, x - y);
    }
    from_big(&mut ctx.stack, &(big(a) - big(b)))
}

/// The largest product `mul` computes, in bits (see [`mul`]).
pub const MUL_MAX_BITS: usize = 1 << 30;

pub fn mul(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = pair(core)?;
    if let (Some(x), Some(y)) = (a.as_direct(), b.as_direct()) {
        let p = x as u128 * y as u128;
        return Ok(Atom::from_u128(&mut ctx.stack, p)?.as_noun());
    }
    // The product has up to met(a)+met(b) bits. The multiplication runs on the process heap, with copies of both
    // operands and scratch space several times their size, and takes minutes beyond 2^30 bits: bail with %meme if
    // the product is larger than that (MUL_MAX_BITS, 128 MiB; Vere's 2 GiB loom is exhausted by the operands,
    // product and GMP scratch of products not much larger) or cannot fit the NockStack.
    let bits = met0(a) + met0(b);
    if bits > MUL_MAX_BITS || bits.div_ceil(64) > ctx.stack.free_words() {
        return Err(JetErr::Fail(crate::interpreter::Mote::Meme));
    }
    from_big(&mut ctx.stack, &(big(a) * big(b)))
}

pub fn div(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = pair(core)?;
    if b.as_direct() == Some(0) {
        return Err(error(ctx, "divide-by-zero"));
    }
    if let (Some(x), Some(y)) = (a.as_direct(), b.as_direct()) {
        return num(&mut ctx.stack, x / y);
    }
    from_big(&mut ctx.stack, &(big(a) / big(b)))
}

pub fn modulo(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = pair(core)?;
    if b.as_direct() == Some(0) {
        return Err(EXIT);
    }
    if let (Some(x), Some(y)) = (a.as_direct(), b.as_direct()) {
        return num(&mut ctx.stack, x % y);
    }
    from_big(&mut ctx.stack, &(big(a) % big(b)))
}

pub fn dvr(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = pair(core)?;
    if b.as_direct() == Some(0) {
        return Err(error(ctx, "divide-by-zero"));
    }
    let (q, r) = if let (Some(x), Some(y)) = (a.as_direct(), b.as_direct()) {
        (num(&mut ctx.stack, x / y)?, num(&mut ctx.stack, x % y)?)
    } else {
        let (x, y) = (big(a), big(b));
        (
            from_big(&mut ctx.stack, &(&x / &y))?,
            from_big(&mut ctx.stack, &(&x % &y))?,
        )
    };
    cons(&mut ctx.stack, q, r)
}

pub fn lth(_ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = pair(core)?;
    Ok(flag(cmp(a, b) == Ordering::Less))
}

pub fn lte(_ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = pair(core)?;
    Ok(flag(cmp(a, b) != Ordering::Greater))
}

pub fn gth(_ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = pair(core)?;
    Ok(flag(cmp(a, b) == Ordering::Greater))
}

pub fn gte(_ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = pair(core)?;
    Ok(flag(cmp(a, b) != Ordering::Less))
}

pub fn max(_ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = pair(core)?;
    Ok(if cmp(a, b) == Ordering::Greater { a } else { b }.as_noun())
}

pub fn min(_ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = pair(core)?;
    Ok(if cmp(a, b) == Ordering::Less { a } else { b }.as_noun())
}
