//! List logic: `flop lent levy lien murn reap reel roll scag skid skim skip slag snag sort turn weld welp zing`.
//!
//! A list that does not end in `~` crashes where the Hoon would look at the bad tail. Gates are slammed through the
//! interpreter (`slam`), in the same order and the same number of times as the Hoon does, so gates with effects
//! (`%slog`) or crashes behave identically.

use super::util::*;
use super::JetErr;
use crate::interpreter::Context;
use crate::noun::{list_iter, Noun, D};

/// `[a b]` sample.
fn two(core: Noun) -> Result<(Noun, Noun), JetErr> {
    let s = cell(sam(core)?)?;
    Ok((s.head(), s.tail()))
}

pub fn flop(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let mut l = sam(core)?;
    let mut acc = D(0);
    loop {
        match l.as_cell() {
            Some(c) => {
                acc = cons(&mut ctx.stack, c.head(), acc)?;
                l = c.tail();
            }
            None if l.raw() == 0 => return Ok(acc),
            None => return Err(EXIT),
        }
    }
}

pub fn lent(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let mut l = sam(core)?;
    let mut n = 0u64;
    loop {
        match l.as_cell() {
            Some(c) => {
                n += 1;
                l = c.tail();
            }
            None if l.raw() == 0 => return num(&mut ctx.stack, n),
            None => return Err(EXIT),
        }
    }
}

pub fn levy(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (mut a, b) = two(core)?;
    loop {
        match a.as_cell() {
            None if a.raw() == 0 => return Ok(flag(true)),
            None => return Err(EXIT),
            Some(c) => {
                if !loob(slam(ctx, b, c.head())?)? {
                    return Ok(flag(false));
                }
                a = c.tail();
            }
        }
    }
}

pub fn lien(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (mut a, b) = two(core)?;
    loop {
        match a.as_cell() {
            None if a.raw() == 0 => return Ok(flag(false)),
            None => return Err(EXIT),
            Some(c) => {
                if loob(slam(ctx, b, c.head())?)? {
                    return Ok(flag(true));
                }
                a = c.tail();
            }
        }
    }
}

pub fn murn(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = two(core)?;
    let mut out = Vec::new();
    for item in list_iter(a) {
        let u = slam(ctx, b, item.map_err(|()| EXIT)?)?;
        match u.as_cell() {
            Some(uc) => out.push(uc.tail()),
            None if u.raw() == 0 => {}
            None => return Err(EXIT),
        }
    }
    build_list(&mut ctx.stack, &out, D(0))
}

pub fn turn(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = two(core)?;
    let mut out = Vec::new();
    for item in list_iter(a) {
        out.push(slam(ctx, b, item.map_err(|()| EXIT)?)?);
    }
    build_list(&mut ctx.stack, &out, D(0))
}

pub fn reap(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = two(core)?;
    let n = small(a)?;
    if n > 1 << 32 {
        return Err(JetErr::Punt);
    }
    let mut acc = D(0);
    for _ in 0..n {
        acc = cons(&mut ctx.stack, b, acc)?;
    }
    Ok(acc)
}

/// The default accumulator of a fold gate: `+<+.b`.
fn fold_start(b: Noun) -> Result<Noun, JetErr> {
    at(b, 13)
}

pub fn reel(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, mut b) = two(core)?;
    let mut items = list_items(a)?;
    let mut acc = fold_start(b)?;
    for i in (0..items.len()).rev() {
        let s = cons(&mut ctx.stack, items[i], acc)?;
        acc = slam(ctx, b, s)?;
        // As in `roll`: the superseded accumulator is garbage in this frame.
        ctx.collect_in_jet(&mut (&mut items, (&mut acc, &mut b)))?;
    }
    Ok(acc)
}

pub fn roll(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, mut b) = two(core)?;
    let mut acc = fold_start(b)?;
    let mut l = a;
    loop {
        match l.as_cell() {
            None if l.raw() == 0 => return Ok(acc),
            None => return Err(EXIT),
            Some(c) => {
                let s = cons(&mut ctx.stack, c.head(), acc)?;
                acc = slam(ctx, b, s)?;
                l = c.tail();
                // Each step's product was copied into this frame and the one before it is garbage: a fold over
                // big values (Arvo installing its vanes) would keep them all until the jet returned.
                ctx.collect_in_jet(&mut (&mut l, (&mut acc, &mut b)))?;
            }
        }
    }
}

pub fn scag(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = two(core)?;
    let a = atom(a)?;
    let mut n = a.as_u64().unwrap_or(u64::MAX);
    let mut out = Vec::new();
    let mut l = b;
    loop {
        if l.raw() == 0 || n == 0 {
            break;
        }
        let c = cell(l)?;
        out.push(c.head());
        l = c.tail();
        n -= 1;
    }
    build_list(&mut ctx.stack, &out, D(0))
}

pub fn slag(_ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = two(core)?;
    let a = atom(a)?;
    let mut n = a.as_u64().unwrap_or(u64::MAX);
    let mut l = b;
    loop {
        if n == 0 {
            return Ok(l);
        }
        if l.raw() == 0 {
            return Ok(D(0));
        }
        l = cell(l)?.tail();
        n -= 1;
    }
}

pub fn snag(_ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = two(core)?;
    let a = atom(a)?;
    let mut n = a.as_u64().unwrap_or(u64::MAX);
    let mut l = b;
    loop {
        if l.raw() == 0 {
            return Err(EXIT);
        }
        let c = cell(l)?;
        if n == 0 {
            return Ok(c.head());
        }
        l = c.tail();
        n -= 1;
    }
}

/// Keep (`keep == true`) or drop the items for which the gate says yes.
fn filter(ctx: &mut Context, core: Noun, keep: bool) -> Result<Noun, JetErr> {
    let (a, b) = two(core)?;
    let mut out = Vec::new();
    for item in list_iter(a) {
        let i = item.map_err(|()| EXIT)?;
        if loob(slam(ctx, b, i)?)? == keep {
            out.push(i);
        }
    }
    build_list(&mut ctx.stack, &out, D(0))
}

pub fn skim(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    filter(ctx, core, true)
}

pub fn skip(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    filter(ctx, core, false)
}

/// `(skid a b)`: `[p q]`, the items the gate accepts and the rest. The Hoon recurses to the end of the list before
/// testing, so the gate sees the items last to first.
pub fn skid(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = two(core)?;
    let items = list_items(a)?;
    let mut p = D(0);
    let mut q = D(0);
    for i in items.into_iter().rev() {
        if loob(slam(ctx, b, i)?)? {
            p = cons(&mut ctx.stack, i, p)?;
        } else {
            q = cons(&mut ctx.stack, i, q)?;
        }
    }
    cons(&mut ctx.stack, p, q)
}

pub fn weld(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = two(core)?;
    let items = list_items(a)?;
    build_list(&mut ctx.stack, &items, b)
}

pub fn zing(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let lists = list_items(sam(core)?)?;
    // (welp i $(+< t)): the last list ends the result as it is
    let mut acc = D(0);
    for l in lists.into_iter().rev() {
        let items = list_items(l)?;
        acc = build_list(&mut ctx.stack, &items, acc)?;
    }
    Ok(acc)
}

/// `(sort a b)`: the Hoon's quicksort, reproduced exactly (pivot first, `skid` of the rest by `(b c pivot)`), so the
/// order of equal or inconsistently-ordered items, and the sequence of comparator calls, are the same.
pub fn sort(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (a, b) = two(core)?;
    let items = list_items(a)?;
    let mut out = Vec::with_capacity(items.len());
    sort_into(ctx, b, items, &mut out)?;
    build_list(&mut ctx.stack, &out, D(0))
}

fn sort_into(
    ctx: &mut Context,
    b: Noun,
    items: Vec<Noun>,
    out: &mut Vec<Noun>,
) -> Result<(), JetErr> {
    // Work: either sort a sublist, or emit a pivot.
    enum Work {
        Sort(Vec<Noun>),
        Emit(Noun),
    }
    let mut work = vec![Work::Sort(items)];
    while let Some(w) = work.pop() {
        match w {
            Work::Emit(n) => out.push(n),
            Work::Sort(v) => {
                let Some((&pivot, rest)) = v.split_first() else {
                    continue;
                };
                // skid tests the items last to first
                let mut p = Vec::new();
                let mut q = Vec::new();
                for &c in rest.iter().rev() {
                    let s = cons(&mut ctx.stack, c, pivot)?;
                    if loob(slam(ctx, b, s)?)? {
                        p.push(c);
                    } else {
                        q.push(c);
                    }
                }
                p.reverse();
                q.reverse();
                // Hoon evaluates $(a p.s) before $(a q.s)
                work.push(Work::Sort(q));
                work.push(Work::Emit(pivot));
                work.push(Work::Sort(p));
            }
        }
    }
    Ok(())
}

/// `(need a)`: the value of a unit, crashing on `~` (the Hoon's `%mean` 'need' trace entry is not produced, as in
/// Vere) or on an atom that is not a unit.
pub fn need(_ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let a = sam(core)?;
    Ok(cell(a)?.tail())
}
