//! Noun ordering: `dor gor mor`.

use super::math::cmp;
use super::util::*;
use super::JetErr;
use crate::equality::noun_eq;
use crate::interpreter::Context;
use crate::mug::{mug, mug_u64};
use crate::noun::Noun;
use std::cmp::Ordering;

/// Depth order: atoms before cells, atoms by value, cells by head then tail.
pub fn dor_of(mut a: Noun, mut b: Noun) -> bool {
    loop {
        if noun_eq(a, b) {
            return true;
        }
        match (a.as_cell(), b.as_cell()) {
            (Some(ca), Some(cb)) => {
                if noun_eq(ca.head(), cb.head()) {
                    a = ca.tail();
                    b = cb.tail();
                } else {
                    a = ca.head();
                    b = cb.head();
                }
            }
            (Some(_), None) => return false,
            (None, Some(_)) => return true,
            (None, None) => {
                let (x, y) = (a.as_atom().expect("atom"), b.as_atom().expect("atom"));
                return cmp(x, y) == Ordering::Less;
            }
        }
    }
}

/// Mug order, falling back to depth order.
pub fn gor_of(a: Noun, b: Noun) -> bool {
    let (c, d) = (mug(a), mug(b));
    if c == d {
        dor_of(a, b)
    } else {
        c < d
    }
}

/// Double-mug order, falling back to depth order.
pub fn mor_of(a: Noun, b: Noun) -> bool {
    let (c, d) = (mug_u64(mug(a) as u64), mug_u64(mug(b) as u64));
    if c == d {
        dor_of(a, b)
    } else {
        c < d
    }
}

fn two(core: Noun) -> Result<(Noun, Noun), JetErr> {
    let s = cell(sam(core)?)?;
    Ok((s.head(), s.tail()))
}

pub fn dor(_ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = two(core)?;
    Ok(flag(dor_of(a, b)))
}

pub fn gor(_ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = two(core)?;
    Ok(flag(gor_of(a, b)))
}

pub fn mor(_ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = two(core)?;
    Ok(flag(mor_of(a, b)))
}
