//! Bit arithmetic and bit logic: `bex can cat cut end lsh met mix con dis rap rep rev rip rsh swp xeb`.
//!
//! Sizes follow the current Hoon: `end lsh rsh rip rep` take a `bite` (a bloq, or `[bloq step]`); `cat cut can met
//! rap rev swp` take a bloq. A cell where an atom is expected crashes. A product too large for memory (2^48 bits or
//! more, or more than the NockStack has free) bails with `%meme` at once: punting would run the Nock, which grinds
//! for hours through `bex`/`mul` before exhausting the loom. (Vere bails with `%fail` on atoms of 2^34 bits or more
//! and `%meme` when the loom is full.) A huge width whose product is small (`end`, `rsh`, `rip` by 2^60 bits) is
//! computed.

use super::util::*;
use super::JetErr;
use crate::interpreter::{Context, Mote};
use crate::noun::{Atom, Noun, D};

/// Out of memory: the product cannot exist.
const MEME: JetErr = JetErr::Fail(Mote::Meme);

/// `%meme` unless `bits` bits fit in the NockStack's free space (checked before anything is allocated or zeroed).
fn fits(ctx: &Context, bits: usize) -> Result<(), JetErr> {
    if bits.div_ceil(64) > ctx.stack.free_words() {
        return Err(MEME);
    }
    Ok(())
}

pub fn bex(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let a = match small(sam(core)?) {
        Ok(a) => a,
        // an exponent of 2^48 or more: 2^a has more bits than any memory
        Err(JetErr::Punt) => return Err(MEME),
        Err(e) => return Err(e),
    };
    if a < 63 {
        return Ok(D(1 << a));
    }
    fits(ctx, a + 1)?;
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

/// `[a=bite b=@]` → (bit width, b); the width is `None` when it is 2^48 bits or more (`bite_bits` punts only on
/// sizes: a bloq of 64 or more, or a width of 2^48 bits or more; a step of 0 is width 0).
fn bite_sample(core: Noun) -> Result<(Option<usize>, Atom), JetErr> {
    let s = cell(sam(core)?)?;
    let b = atom(s.tail())?;
    let w = match bite_bits(s.head()) {
        Ok(w) => Some(w),
        Err(JetErr::Punt) => match s.head().as_cell() {
            Some(c) if c.tail().as_direct() == Some(0) => Some(0),
            _ => None,
        },
        Err(e) => return Err(e),
    };
    Ok((w, b))
}

pub fn end(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (w, b) = bite_sample(core)?;
    let Some(w) = w else {
        // wider than any atom: all of b
        return Ok(b.as_noun());
    };
    Ok(slice(&mut ctx.stack, b, 0, w)?.as_noun())
}

pub fn rsh(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (w, b) = bite_sample(core)?;
    let Some(w) = w else {
        return Ok(D(0));
    };
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
    fits(ctx, len + w)?;
    let words = b.words();
    let r = build_atom(&mut ctx.stack, len + w, |d| copy_bits(words, 0, d, w, len))?;
    Ok(r.as_noun())
}

pub fn lsh(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (w, b) = bite_sample(core)?;
    match w {
        Some(w) => shl(ctx, b, w),
        None if met0(b) == 0 => Ok(D(0)),
        None => Err(MEME),
    }
}

pub fn cat(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = sam(core)?;
    let a = match bloq(at(s, 2)?) {
        Ok(a) => Some(a),
        Err(JetErr::Punt) => None,
        Err(e) => return Err(e),
    };
    let b = atom(at(s, 6)?)?;
    let c = atom(at(s, 7)?)?;
    let (nb, nc) = (met0(b), met0(c));
    if nc == 0 {
        return Ok(b.as_noun());
    }
    if nb == 0 {
        return Ok(c.as_noun());
    }
    // c shifted past b's last block: 2^48 bits or more is out of memory
    let lb = a.map_or(Err(MEME), |a| bloq_bits(a, met(a, b)).map_err(|_| MEME))?;
    if lb + nc <= 63 {
        let (x, y) = (b.as_direct().expect("small"), c.as_direct().expect("small"));
        return Ok(D(x | (y << lb)));
    }
    fits(ctx, lb + nc)?;
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
        off = off.checked_add(n).ok_or(MEME)?;
        if off >= 1 << 48 {
            return Err(MEME);
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
        off = off.checked_add(n).ok_or(MEME)?;
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
        off = off.checked_add(w).ok_or(MEME)?;
        if off >= 1 << 48 {
            return Err(MEME);
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
    let Some(w) = w else {
        // one block wider than b: [b ~]
        return cons(&mut ctx.stack, b.as_noun(), D(0));
    };
    if w == 0 {
        // `(rip [a 0] b)` never ends for non-zero b: its list of zeros exhausts memory
        return Err(MEME);
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
