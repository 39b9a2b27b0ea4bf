//! Helpers shared by the jets: sample access, atoms as big integers, bit slicing.

use super::JetErr;
use crate::interpreter::{Context, Mote};
use crate::noun::{
    atom_from_ubig, atom_to_ubig, slot, Alloc, Atom, Cell, IndirectBuilder, Noun, Oom, D,
};
use crate::stack::NockStack;
use ibig::UBig;

/// The deterministic crash.
pub const EXIT: JetErr = JetErr::Fail(Mote::Exit);

/// Crash with `%exit` and the error text `text` as the innermost trace entry, `[%mean text]` (a cord, which `+mook`
/// renders as a `%leaf`): Vere's `u3m_error`, which some of its jets call where their Hoon would crash with its own
/// trace (docs/jets.md lists them). The one-entry trace is allocated on the NockStack in the current frame, where the
/// interpreter's unwinding puts the hints around the call after it.
pub fn error(ctx: &mut Context, text: &str) -> JetErr {
    let entry = (|| {
        let msg = crate::noun::cord(&mut ctx.stack, text)?;
        let mean = Cell::new(&mut ctx.stack, crate::noun::tas("mean"), msg)?.as_noun();
        Ok::<Noun, Oom>(Cell::new(&mut ctx.stack, mean, D(0))?.as_noun())
    })();
    match entry {
        Ok(trace) => JetErr::Traced(Mote::Exit, trace),
        Err(Oom) => JetErr::Fail(Mote::Meme),
    }
}

/// Subtree at a small axis, or crash.
#[inline]
pub fn at(n: Noun, axis: u64) -> Result<Noun, JetErr> {
    slot(n, Atom::direct(axis).ok_or(EXIT)?).ok_or(EXIT)
}

/// The sample of a gate (axis 6).
#[inline]
pub fn sam(core: Noun) -> Result<Noun, JetErr> {
    at(core, 6)
}

/// `n` as an atom, or crash.
#[inline]
pub fn atom(n: Noun) -> Result<Atom, JetErr> {
    n.as_atom().ok_or(EXIT)
}

/// `n` as a cell, or crash.
#[inline]
pub fn cell(n: Noun) -> Result<Cell, JetErr> {
    n.as_cell().ok_or(EXIT)
}

/// An atom used as a count or size: crash on cells, punt if it is too large for the machine (the Nock would run out
/// of memory or time anyway).
#[inline]
pub fn small(n: Noun) -> Result<usize, JetErr> {
    let a = atom(n)?;
    match a.as_u64() {
        Some(v) if v < (1 << 48) => Ok(v as usize),
        _ => Err(JetErr::Punt),
    }
}

/// A bloq size: punt beyond 2^63-bit bloqs (nothing real uses them).
#[inline]
pub fn bloq(n: Noun) -> Result<u32, JetErr> {
    let a = atom(n)?;
    match a.as_u64() {
        Some(v) if v < 64 => Ok(v as u32),
        _ => Err(JetErr::Punt),
    }
}

/// A `bite`: a bloq, or `[bloq step]` (an atom alone means one block). Returns the bit width `2^bloq * step`.
pub fn bite_bits(n: Noun) -> Result<usize, JetErr> {
    let (b, step) = match n.as_cell() {
        None => (bloq(n)?, 1usize),
        Some(c) => (bloq(c.head())?, small(c.tail())?),
    };
    bloq_bits(b, step)
}

/// `2^bloq * count` bits, punting on absurd sizes.
#[inline]
pub fn bloq_bits(b: u32, count: usize) -> Result<usize, JetErr> {
    if b >= 48 {
        return if count == 0 { Ok(0) } else { Err(JetErr::Punt) };
    }
    (count as u128)
        .checked_shl(b)
        .filter(|v| *v < (1u128 << 48))
        .map(|v| v as usize)
        .ok_or(JetErr::Punt)
}

/// A loobean.
#[inline]
pub fn flag(b: bool) -> Noun {
    Noun::flag(b)
}

/// Allocate the atom `v`.
#[inline]
pub fn num(stack: &mut NockStack, v: u64) -> Result<Noun, JetErr> {
    Ok(Atom::new(stack, v)?.as_noun())
}

pub fn big(a: Atom) -> UBig {
    atom_to_ubig(a)
}

pub fn from_big(stack: &mut NockStack, v: &UBig) -> Result<Noun, JetErr> {
    Ok(atom_from_ubig(stack, v)?.as_noun())
}

/// A cell.
#[inline]
pub fn cons(stack: &mut NockStack, h: Noun, t: Noun) -> Result<Noun, JetErr> {
    Ok(Cell::new(stack, h, t)?.as_noun())
}

/// Bit length of an atom.
#[inline]
pub fn met0(a: Atom) -> usize {
    if let Some(v) = a.as_direct() {
        (64 - v.leading_zeros()) as usize
    } else {
        a.bit_len()
    }
}

/// Number of `2^b`-bit blocks needed for `a`.
#[inline]
pub fn met(b: u32, a: Atom) -> usize {
    let bits = met0(a);
    if b >= 64 {
        return usize::from(bits > 0);
    }
    let width = 1u128 << b;
    ((bits as u128).div_ceil(width)) as usize
}

/// Copy `n` bits of `src` starting at bit `from` into `dst` starting at bit `to` (dst must be zeroed there).
pub fn copy_bits(src: &[u64], from: usize, dst: &mut [u64], to: usize, n: usize) {
    let total_src = src.len() * 64;
    let mut done = 0;
    while done < n {
        let s = from + done;
        let d = to + done;
        // bits available in this step: up to the next word boundary of both
        let take = (64 - d % 64).min(n - done).min(64 - s % 64);
        let v = if s >= total_src {
            0
        } else {
            (src[s / 64] >> (s % 64)) & mask(take)
        };
        dst[d / 64] |= v << (d % 64);
        done += take;
    }
}

#[inline]
fn mask(n: usize) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

/// A fresh zeroed atom of `bits` bits, written by `f`, normalised.
pub fn build_atom<A: Alloc + ?Sized>(
    alloc: &mut A,
    bits: usize,
    f: impl FnOnce(&mut [u64]),
) -> Result<Atom, Oom> {
    if bits == 0 {
        return Ok(Atom::ZERO);
    }
    let (b, data) = IndirectBuilder::zeroed(alloc, bits.div_ceil(64))?;
    f(data);
    Ok(b.finish())
}

/// Bits `[from, from+n)` of `a` as an atom.
pub fn slice(stack: &mut NockStack, a: Atom, from: usize, n: usize) -> Result<Atom, Oom> {
    let len = met0(a);
    if from >= len || n == 0 {
        return Ok(Atom::ZERO);
    }
    let n = n.min(len - from);
    if n <= 63 {
        if let Some(v) = a.as_direct() {
            return Ok(Atom::direct((v >> from) & mask(n)).expect("fits"));
        }
    }
    let words = a.words();
    build_atom(stack, n, |d| copy_bits(words, from, d, 0, n))
}

/// Walk a null-terminated list, crashing on an improper end.
pub fn list_items(mut l: Noun) -> Result<Vec<Noun>, JetErr> {
    let mut out = Vec::new();
    loop {
        match l.as_cell() {
            Some(c) => {
                out.push(c.head());
                l = c.tail();
            }
            None if l.raw() == 0 => return Ok(out),
            None => return Err(EXIT),
        }
    }
}

/// Build a list from items (ending in `end`).
pub fn build_list(stack: &mut NockStack, items: &[Noun], end: Noun) -> Result<Noun, JetErr> {
    let mut acc = end;
    for n in items.iter().rev() {
        acc = Cell::new(stack, *n, acc)?.as_noun();
    }
    Ok(acc)
}

/// Slam a gate from inside a jet.
#[inline]
pub fn slam(ctx: &mut Context, gate: Noun, sample: Noun) -> Result<Noun, JetErr> {
    Ok(crate::interpreter::slam(ctx, gate, sample)?)
}

/// Kick a core's `$` arm (axis 2) with its sample as it is, as Hoon's `(gate)`.
pub fn kick(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let zero_one = Cell::new(&mut ctx.stack, D(0), D(1))?.as_noun();
    let fol = crate::noun::T(&mut ctx.stack, &[D(9), D(2), zero_one])?;
    Ok(crate::interpreter::nock(ctx, core, fol)?)
}

/// A loobean product as a bool (crash on anything else).
#[inline]
pub fn loob(n: Noun) -> Result<bool, JetErr> {
    match n.as_direct() {
        Some(0) => Ok(true),
        Some(1) => Ok(false),
        _ => Err(EXIT),
    }
}

pub const NUL: Noun = D(0);
