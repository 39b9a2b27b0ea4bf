//! Virtualisation: `mink` on the interpreter's native `mink`.

use super::util::*;
use super::JetErr;
use crate::interpreter::Context;
use crate::noun::Noun;

/// `(mink [subject formula] scry)`: the tone `[%0 product]`, `[%1 block]` or `[%2 trace]`. Only deterministic crashes
/// are caught; `%meme`, `%intr` and the like propagate, as in Vere.
pub fn mink(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = sam(core)?;
    let sub = at(s, 4)?;
    let fol = at(s, 5)?;
    let scry = at(s, 3)?;
    Ok(crate::interpreter::mink(ctx, sub, fol, scry)?)
}
