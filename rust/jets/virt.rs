//! Virtualisation: `mink`, `mule` and `mole` on the interpreter's native `mink`.

use super::util::*;
use super::JetErr;
use crate::interpreter::Context;
use crate::noun::{Noun, D, T};

/// `(mink [subject formula] scry)`: the tone `[%0 product]`, `[%1 block]` or `[%2 trace]`. Only deterministic crashes
/// are caught; `%meme`, `%intr` and the like propagate, as in Vere.
pub fn mink(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = sam(core)?;
    let sub = at(s, 4)?;
    let fol = at(s, 5)?;
    let scry = at(s, 3)?;
    Ok(crate::interpreter::mink(ctx, sub, fol, scry)?)
}

/// The scry gate of `+mute`/`+mure`, `|=(a=^ ``.*(a [%12 [%0 2] %0 3]))`: a scry inside the virtualised trap is
/// passed on to the enclosing scry handler. As a core: battery `[[1 0] [1 0] 12 [0 12] 0 13]` (`[~ ~ .^]` of the
/// sample at axis 6), sample `[0 0]`, context `0`.
fn forward_scry(ctx: &mut Context) -> Result<Noun, JetErr> {
    let st = &mut ctx.stack;
    let ref_ = T(st, &[D(0), D(12)])?;
    let path = T(st, &[D(0), D(13)])?;
    let twelve = T(st, &[D(12), ref_, path])?;
    let k0 = T(st, &[D(1), D(0)])?;
    let battery = T(st, &[k0, k0, twelve])?;
    Ok(T(st, &[battery, D(0), D(0), D(0)])?)
}

/// Run the trap `taq` (kick its arm 2) under `mink`, scries forwarded outwards: the tone.
fn kick_virtual(ctx: &mut Context, taq: Noun) -> Result<Noun, JetErr> {
    let gate = forward_scry(ctx)?;
    let fol = T(&mut ctx.stack, &[D(9), D(2), D(0), D(1)])?;
    Ok(crate::interpreter::mink(ctx, taq, fol, gate)?)
}

/// `(mule taq)`: `[%& product]` if the trap succeeds. On a crash or a blocked scry the Hoon renders the trace into
/// a tang with `+mook` (`%spot`, `%mean` traps, `@p` of mugs, ...); that is left to the Nock: the jet punts.
pub fn mule(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let taq = sam(core)?;
    let tone = kick_virtual(ctx, taq)?;
    let t = cell(tone)?;
    if t.head().raw() == 0 {
        Ok(tone)
    } else {
        Err(JetErr::Punt)
    }
}

/// `(mole tap)`: `[~ product]` if the trap succeeds, `~` if it crashes or a scry blocks (`+mure`).
pub fn mole(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let tap = sam(core)?;
    let tone = kick_virtual(ctx, tap)?;
    let t = cell(tone)?;
    if t.head().raw() == 0 {
        Ok(tone)
    } else {
        Ok(D(0))
    }
}
