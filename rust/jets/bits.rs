//! Bit arithmetic and bit logic: `bex can cat cut end lsh met mix con dis rap rep rev rip rsh swp xeb`.
//!
//! Sizes follow the current Hoon: `end lsh rsh rip rep` take a `bite` (a bloq, or `[bloq step]`); `cat cut can met
//! rap rev swp` take a bloq. A cell where an atom is expected crashes; sizes too large to compute punt (the Nock would
//! exhaust memory).

use super::util::*;
use super::JetErr;
use crate::interpreter::Context;
use crate::noun::{Atom, Noun, D};

pub fn bex(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let a = small(sam(core)?)?;
    if a < 63 {
        return Ok(D(1 << a));
    }
    if a >= 1 << 40 {
        return Err(JetErr::Punt);
    }
    let r = build_atom(&mut ctx.stack, a + 1, |d| d[a / 64] = 1u64 << (a % 64))?;
    Ok(r.as_noun())
}

pub fn xeb(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let a = atom(sam(core)?)?;
    num(&mut ctx.stack, met0(a) as u64)
}

pub fn met_jet(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = cell(sam(core)?)?;
    let a = atom(s.head())?;
    let b = atom(s.tail())?;
    let m = match a.as_u64() {
        Some(x) if x < 64 => met(x as u32, b),
        // a block wider than any atom: one block if non-zero
        _ => usize::from(met0(b) > 0),
    };
    num(&mut ctx.stack, m as u64)
}

/// `[a=bite b=@]` → (bit width, b).
fn bite_sample(core: Noun) -> Result<(usize, Atom), JetErr> {
    let s = cell(sam(core)?)?;
    let b = atom(s.tail())?;
    Ok((bite_bits(s.head())?, b))
}

pub fn end(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (w, b) = bite_sample(core)?;
    Ok(slice(&mut ctx.stack, b, 0, w)?.as_noun())
}

pub fn rsh(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (w, b) = bite_sample(core)?;
    let len = met0(b);
    Ok(slice(&mut ctx.stack, b, w, len.saturating_sub(w))?.as_noun())
}

/// `b << w`.
fn shl(ctx: &mut Context, b: Atom, w: usize) -> Result<Noun, JetErr> {
    let len = met0(b);
    if len == 0 {
        return Ok(D(0));
    }
    if len + w <= 63 {
        return Ok(D(b.as_direct().expect("small") << w));
    }
    let words = b.words();
    let r = build_atom(&mut ctx.stack, len + w, |d| copy_bits(words, 0, d, w, len))?;
    Ok(r.as_noun())
}

pub fn lsh(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (w, b) = bite_sample(core)?;
    shl(ctx, b, w)
}

pub fn cat(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = sam(core)?;
    let a = bloq(at(s, 2)?)?;
    let b = atom(at(s, 6)?)?;
    let c = atom(at(s, 7)?)?;
    let lb = bloq_bits(a, met(a, b))?;
    let (nb, nc) = (met0(b), met0(c));
    if nc == 0 {
        return Ok(b.as_noun());
    }
    if lb + nc <= 63 {
        let (x, y) = (b.as_direct().expect("small"), c.as_direct().expect("small"));
        return Ok(D(x | (y << lb)));
    }
    let (bw, cw) = (b.words(), c.words());
    let r = build_atom(&mut ctx.stack, lb + nc, |d| {
        copy_bits(bw, 0, d, 0, nb);
        copy_bits(cw, 0, d, lb, nc);
    })?;
    Ok(r.as_noun())
}

pub fn cut(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = sam(core)?;
    let a = bloq(at(s, 2)?)?;
    let b = small(at(s, 12)?)?;
    let c = small(at(s, 13)?)?;
    let d = atom(at(s, 7)?)?;
    let from = match bloq_bits(a, b) {
        Ok(f) => f,
        // starting beyond any representable atom: nothing is left
        Err(JetErr::Punt) => return Ok(D(0)),
        Err(e) => return Err(e),
    };
    let n = bloq_bits(a, c)?;
    Ok(slice(&mut ctx.stack, d, from, n)?.as_noun())
}

/// Bitwise combination of two atoms.
fn bitwise(ctx: &mut Context, core: Noun, op: fn(u64, u64) -> u64) -> Result<Noun, JetErr> {
    let s = cell(sam(core)?)?;
    let a = atom(s.head())?;
    let b = atom(s.tail())?;
    if let (Some(x), Some(y)) = (a.as_direct(), b.as_direct()) {
        return Ok(D(op(x, y)));
    }
    let (aw, bw) = (a.words(), b.words());
    let n = aw.len().max(bw.len());
    let r = build_atom(&mut ctx.stack, n * 64, |d| {
        for (i, out) in d.iter_mut().enumerate() {
            let x = aw.get(i).copied().unwrap_or(0);
            let y = bw.get(i).copied().unwrap_or(0);
            *out = op(x, y);
        }
    })?;
    Ok(r.as_noun())
}

pub fn mix(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    bitwise(ctx, core, |x, y| x ^ y)
}

pub fn con(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    bitwise(ctx, core, |x, y| x | y)
}

pub fn dis(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    bitwise(ctx, core, |x, y| x & y)
}

/// Lay out `(offset, atom, bits)` pieces into one atom of `total` bits.
fn assemble(
    ctx: &mut Context,
    pieces: &[(usize, Atom, usize)],
    total: usize,
) -> Result<Noun, JetErr> {
    if total <= 63 {
        let mut v = 0u64;
        for &(off, a, n) in pieces {
            if n > 0 {
                let x = a.as_u64().unwrap_or(a.words()[0]);
                let m = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
                v |= (x & m) << off;
            }
        }
        return Ok(D(v));
    }
    let r = build_atom(&mut ctx.stack, total, |d| {
        for &(off, a, n) in pieces {
            let n = n.min(met0(a));
            if n > 0 {
                copy_bits(a.words(), 0, d, off, n);
            }
        }
    })?;
    Ok(r.as_noun())
}

pub fn can(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = cell(sam(core)?)?;
    let a = bloq(s.head())?;
    let mut pieces = Vec::new();
    let mut off = 0usize;
    for item in list_items(s.tail())? {
        let c = cell(item)?;
        let p = small(c.head())?;
        let q = atom(c.tail())?;
        let n = bloq_bits(a, p)?;
        pieces.push((off, q, n));
        off = off.checked_add(n).ok_or(JetErr::Punt)?;
        if off >= 1 << 48 {
            return Err(JetErr::Punt);
        }
    }
    assemble(ctx, &pieces, off)
}

pub fn rap(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = cell(sam(core)?)?;
    let a = bloq(s.head())?;
    let mut pieces = Vec::new();
    let mut off = 0usize;
    for item in list_items(s.tail())? {
        let q = atom(item)?;
        let n = bloq_bits(a, met(a, q))?;
        pieces.push((off, q, n));
        off = off.checked_add(n).ok_or(JetErr::Punt)?;
    }
    assemble(ctx, &pieces, off)
}

pub fn rep(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = cell(sam(core)?)?;
    let w = bite_bits(s.head())?;
    let mut pieces = Vec::new();
    let mut off = 0usize;
    for item in list_items(s.tail())? {
        let q = atom(item)?;
        pieces.push((off, q, w));
        off = off.checked_add(w).ok_or(JetErr::Punt)?;
        if off >= 1 << 48 {
            return Err(JetErr::Punt);
        }
    }
    assemble(ctx, &pieces, off)
}

pub fn rip(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (w, b) = bite_sample(core)?;
    let len = met0(b);
    if len == 0 {
        return Ok(D(0));
    }
    if w == 0 {
        // `(rip [a 0] b)` never ends for non-zero b
        return Err(JetErr::Punt);
    }
    let count = len.div_ceil(w);
    let mut items = Vec::with_capacity(count);
    for i in 0..count {
        items.push(slice(&mut ctx.stack, b, i * w, w)?.as_noun());
    }
    build_list(&mut ctx.stack, &items, D(0))
}

/// Reverse the order of the `n` `2^a`-bit blocks of `b` (only its low `n` blocks are used).
fn reverse_blocks(ctx: &mut Context, a: u32, n: usize, b: Atom) -> Result<Noun, JetErr> {
    let bw = bloq_bits(a, 1)?;
    let total = bloq_bits(a, n)?;
    let words = b.words();
    let len = met0(b);
    let r = build_atom(&mut ctx.stack, total, |d| {
        for i in 0..n {
            let from = i * bw;
            if from >= len {
                break;
            }
            copy_bits(words, from, d, (n - 1 - i) * bw, bw.min(len - from));
        }
    })?;
    Ok(r.as_noun())
}

pub fn swp(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = cell(sam(core)?)?;
    let a = bloq(s.head())?;
    let b = atom(s.tail())?;
    let n = met(a, b);
    reverse_blocks(ctx, a, n, b)
}

pub fn rev(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = sam(core)?;
    let boz = bloq(at(s, 2)?)?;
    let len = small(at(s, 6)?)?;
    let dat = atom(at(s, 7)?)?;
    reverse_blocks(ctx, boz, len, dat)
}

/// `(trip a)`: the bytes of a cord as a tape, lowest first (`rip 3`, without slicing the atom per byte).
pub fn trip(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let a = atom(sam(core)?)?;
    let bytes = met(3, a);
    let mut tape = D(0);
    if let Some(v) = a.as_direct() {
        for i in (0..bytes).rev() {
            tape = cons(&mut ctx.stack, D((v >> (8 * i)) & 0xff), tape)?;
        }
        return Ok(tape);
    }
    let words = a.words();
    for i in (0..bytes).rev() {
        let byte = (words[i / 8] >> (8 * (i % 8))) & 0xff;
        tape = cons(&mut ctx.stack, D(byte), tape)?;
    }
    Ok(tape)
}
