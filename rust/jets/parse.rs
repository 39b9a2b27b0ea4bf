//! Parsing combinators (hoon.hoon chapter 4e–4f): `bend cold cook comp easy glue here just mask pfix plug pose sfix
//! shim stag stew stir`.
//!
//! A parser (`rule`) is a gate from a `nail` `[p=hair q=tape]` (position `[line column]` and remaining text) to an
//! `edge` `[p=hair q=(unit [p=result q=nail])]`: the furthest position reached, and the result with the rest of the
//! input on success. Most combinators are wet gates producing an inner gate registered as `fun`, so the jet is on
//! `<name>/fun` and reads the outer gate's sample from the inner gate's context; `pfix plug pose sfix` are the
//! glue of `;~` and take `[vex=edge sab=rule]` directly.
//!
//! Every rule passed in is slammed through the interpreter, in the same order as the Hoon does it. Anything that is
//! not the shape the Hoon expects (a hair that is not two atoms, a character that is a cell) punts, so the Nock
//! decides what happens.

use super::math::cmp;
use super::util::*;
use super::JetErr;
use crate::interpreter::Context;
use crate::noun::{Atom, Noun, T};
use std::cmp::Ordering;

/// The pieces of an edge: `p` (the hair) and `q` (`~`, or `[~ [result nail]]`).
struct Edge {
    hair: Noun,
    /// `Some((result, rest))` on success.
    ok: Option<(Noun, Noun)>,
}

fn edge(vex: Noun) -> Result<Edge, JetErr> {
    let c = cell(vex)?;
    let q = c.tail();
    let ok = match q.as_cell() {
        None => None,
        Some(u) => {
            let pq = cell(u.tail())?;
            Some((pq.head(), pq.tail()))
        }
    };
    Ok(Edge { hair: c.head(), ok })
}

/// A hair's line and column, or punt.
fn hair(h: Noun) -> Result<(Atom, Atom), JetErr> {
    let c = h.as_cell().ok_or(JetErr::Punt)?;
    match (c.head().as_atom(), c.tail().as_atom()) {
        (Some(p), Some(q)) => Ok((p, q)),
        _ => Err(JetErr::Punt),
    }
}

/// `+last`: the further of two hairs (`naz` when equal).
fn last(zyc: Noun, naz: Noun) -> Result<Noun, JetErr> {
    let (pz, qz) = hair(zyc)?;
    let (pn, qn) = hair(naz)?;
    let further = match cmp(pz, pn) {
        Ordering::Equal => cmp(qz, qn) == Ordering::Greater,
        o => o == Ordering::Greater,
    };
    Ok(if further { zyc } else { naz })
}

/// Increment an atom.
fn inc(ctx: &mut Context, a: Atom) -> Result<Noun, JetErr> {
    match a.as_direct() {
        Some(v) => num(&mut ctx.stack, v + 1),
        None => {
            let v = big(a) + ibig::UBig::from(1u8);
            from_big(&mut ctx.stack, &v)
        }
    }
}

/// `+lust`: the hair after reading character `weq` at `naz`.
fn lust(ctx: &mut Context, weq: Noun, naz: Noun) -> Result<Noun, JetErr> {
    let (p, q) = hair(naz)?;
    if weq.as_direct() == Some(10) {
        let line = inc(ctx, p)?;
        cons(&mut ctx.stack, line, D1)
    } else {
        let col = inc(ctx, q)?;
        cons(&mut ctx.stack, p.as_noun(), col)
    }
}

const D1: Noun = crate::noun::D(1);

/// `+fail`: no parse at the nail's position.
fn fail(ctx: &mut Context, tub: Noun) -> Result<Noun, JetErr> {
    let p = cell(tub)?.head();
    cons(&mut ctx.stack, p, NUL)
}

/// `+next`: consume one character.
fn next(ctx: &mut Context, tub: Noun) -> Result<Noun, JetErr> {
    let t = cell(tub)?;
    let Some(text) = t.tail().as_cell() else {
        return fail(ctx, tub);
    };
    let zac = lust(ctx, text.head(), t.head())?;
    Ok(T(
        &mut ctx.stack,
        &[zac, NUL, text.head(), zac, text.tail()],
    )?)
}

/// The first character of a nail's text, if any.
fn first_char(tub: Noun) -> Result<Option<Noun>, JetErr> {
    Ok(cell(tub)?.tail().as_cell().map(|c| c.head()))
}

/// A successful edge `[hair [~ [result rest]]]`.
fn success(ctx: &mut Context, hair: Noun, result: Noun, rest: Noun) -> Result<Noun, JetErr> {
    Ok(T(&mut ctx.stack, &[hair, NUL, result, rest])?)
}

/// The outer gate's sample, seen from an inner `fun` gate (axis 6 of its context).
fn outer_sample(core: Noun) -> Result<Noun, JetErr> {
    at(core, 30)
}

/// `(bend raq)`: like `comp`, but `raq` may refuse the pair (`~`), leaving the first parse.
pub fn bend_fun(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let raq = outer_sample(core)?;
    let (vex, sab) = (at(core, 12)?, at(core, 13)?);
    let v = edge(vex)?;
    let Some((pv, qv)) = v.ok else {
        return Ok(vex);
    };
    let yit = edge(slam(ctx, sab, qv)?)?;
    let yur = last(v.hair, yit.hair)?;
    let q_vex = at(vex, 3)?;
    let Some((py, qy)) = yit.ok else {
        return cons(&mut ctx.stack, yur, q_vex);
    };
    let pair = cons(&mut ctx.stack, pv, py)?;
    let vux = slam(ctx, raq, pair)?;
    match vux.as_cell() {
        None if vux.raw() == 0 => cons(&mut ctx.stack, yur, q_vex),
        None => Err(EXIT),
        Some(u) => success(ctx, yur, u.tail(), qy),
    }
}

/// `(cold cus sef)`: parse with `sef`, produce `cus`.
pub fn cold_fun(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let tub = sam(core)?;
    let os = outer_sample(core)?;
    let (cus, sef) = (at(os, 2)?, at(os, 3)?);
    let vex = slam(ctx, sef, tub)?;
    let v = edge(vex)?;
    match v.ok {
        None => Ok(vex),
        Some((_, rest)) => success(ctx, v.hair, cus, rest),
    }
}

/// `(cook poq sef)`: parse with `sef`, transform the result with `poq`.
pub fn cook_fun(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let tub = sam(core)?;
    let os = outer_sample(core)?;
    let (poq, sef) = (at(os, 2)?, at(os, 3)?);
    let vex = slam(ctx, sef, tub)?;
    let v = edge(vex)?;
    match v.ok {
        None => Ok(vex),
        Some((res, rest)) => {
            let wag = slam(ctx, poq, res)?;
            success(ctx, v.hair, wag, rest)
        }
    }
}

/// `(comp raq)`: sequence two parses and combine their results with `raq`.
pub fn comp_fun(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let raq = outer_sample(core)?;
    let (vex, sab) = (at(core, 12)?, at(core, 13)?);
    sequence(ctx, vex, sab, |ctx, pv, py| {
        let pair = cons(&mut ctx.stack, pv, py)?;
        slam(ctx, raq, pair)
    })
}

/// After a successful `vex`, parse `sab` from where it stopped and, if that succeeds too, combine the two results;
/// the hair is the further of the two (`plug`, and `comp` with its `raq`).
fn sequence(
    ctx: &mut Context,
    vex: Noun,
    sab: Noun,
    combine: impl FnOnce(&mut Context, Noun, Noun) -> Result<Noun, JetErr>,
) -> Result<Noun, JetErr> {
    let v = edge(vex)?;
    let Some((pv, qv)) = v.ok else {
        return Ok(vex);
    };
    let yit_n = slam(ctx, sab, qv)?;
    let yit = edge(yit_n)?;
    let yur = last(v.hair, yit.hair)?;
    match yit.ok {
        None => cons(&mut ctx.stack, yur, at(yit_n, 3)?),
        Some((py, qy)) => {
            let res = combine(ctx, pv, py)?;
            success(ctx, yur, res, qy)
        }
    }
}

/// `(easy huf)`: succeed without consuming input, producing `huf`.
pub fn easy_fun(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let tub = sam(core)?;
    let huf = outer_sample(core)?;
    let p = cell(tub)?.head();
    success(ctx, p, huf, tub)
}

/// `(glue bus)`: sequence two parses separated by `bus`, producing the pair of results.
pub fn glue_fun(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let bus = outer_sample(core)?;
    let (vex, sab) = (at(core, 12)?, at(core, 13)?);
    let v = edge(vex)?;
    let Some((pv, qv)) = v.ok else {
        return Ok(vex);
    };
    // `(plug vex ;~(pfix bus sab))`: the separator, then `sab`; the furthest hair of all three.
    let yit_n = slam(ctx, bus, qv)?;
    let yit = edge(yit_n)?;
    let Some((_, qy)) = yit.ok else {
        let yur = last(v.hair, yit.hair)?;
        return cons(&mut ctx.stack, yur, at(yit_n, 3)?);
    };
    let wam_n = slam(ctx, sab, qy)?;
    let wam = edge(wam_n)?;
    let inner = last(wam.hair, yit.hair)?;
    let goy = last(v.hair, inner)?;
    match wam.ok {
        None => cons(&mut ctx.stack, goy, at(wam_n, 3)?),
        Some((pw, qw)) => {
            let pair = cons(&mut ctx.stack, pv, pw)?;
            success(ctx, goy, pair, qw)
        }
    }
}

/// `(here hez sef)`: parse with `sef`, then give `hez` the span parsed and the result.
pub fn here_fun(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let tub = sam(core)?;
    let os = outer_sample(core)?;
    let (hez, sef) = (at(os, 2)?, at(os, 3)?);
    let vex = slam(ctx, sef, tub)?;
    let v = edge(vex)?;
    match v.ok {
        None => Ok(vex),
        Some((res, rest)) => {
            let start = cell(tub)?.head();
            let end = cell(rest)?.head();
            let span = cons(&mut ctx.stack, start, end)?;
            let arg = cons(&mut ctx.stack, span, res)?;
            let wag = slam(ctx, hez, arg)?;
            success(ctx, v.hair, wag, rest)
        }
    }
}

/// `(just daf)`: the character `daf`.
pub fn just_fun(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let tub = sam(core)?;
    let daf = outer_sample(core)?;
    match first_char(tub)? {
        Some(c) if crate::equality::noun_eq(c, daf) => next(ctx, tub),
        _ => fail(ctx, tub),
    }
}

/// `(mask bud)`: any character in the list `bud`.
pub fn mask_fun(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let tub = sam(core)?;
    let bud = outer_sample(core)?;
    let Some(c) = first_char(tub)? else {
        return fail(ctx, tub);
    };
    for item in crate::noun::list_iter(bud) {
        let item = item.map_err(|()| EXIT)?;
        if crate::equality::noun_eq(item, c) {
            return next(ctx, tub);
        }
    }
    fail(ctx, tub)
}

/// `(shim p q)`: a character in the range `p..=q`.
pub fn shim_fun(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let tub = sam(core)?;
    let zep = cell(outer_sample(core)?)?;
    let Some(c) = first_char(tub)? else {
        return fail(ctx, tub);
    };
    let (Some(c), Some(lo), Some(hi)) = (c.as_atom(), zep.head().as_atom(), zep.tail().as_atom())
    else {
        return Err(JetErr::Punt);
    };
    if cmp(c, lo) != Ordering::Less && cmp(c, hi) != Ordering::Greater {
        next(ctx, tub)
    } else {
        fail(ctx, tub)
    }
}

/// `(stag gob sef)`: parse with `sef` and tag the result: `[gob result]`.
pub fn stag_fun(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let tub = sam(core)?;
    let os = outer_sample(core)?;
    let (gob, sef) = (at(os, 2)?, at(os, 3)?);
    let vex = slam(ctx, sef, tub)?;
    let v = edge(vex)?;
    match v.ok {
        None => Ok(vex),
        Some((res, rest)) => {
            let tagged = cons(&mut ctx.stack, gob, res)?;
            success(ctx, v.hair, tagged, rest)
        }
    }
}

/// `(stew leh)`: dispatch on the first character through a search tree of `[char-or-range rule]`.
pub fn stew_fun(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let tub = sam(core)?;
    let mut hel = at(core, 14)?;
    let Some(c) = first_char(tub)? else {
        return fail(ctx, tub);
    };
    let c = c.as_atom().ok_or(JetErr::Punt)?;
    loop {
        let Some(node) = hel.as_cell() else {
            return fail(ctx, tub);
        };
        let n = cell(node.head())?;
        let key = n.head();
        let (hit, pivot) = match key.as_cell() {
            None => {
                let k = key.as_atom().ok_or(JetErr::Punt)?;
                (cmp(k, c) == Ordering::Equal, k)
            }
            Some(range) => {
                let lo = range.head().as_atom().ok_or(JetErr::Punt)?;
                let hi = range.tail().as_atom().ok_or(JetErr::Punt)?;
                let inside = cmp(c, lo) != Ordering::Less && cmp(c, hi) != Ordering::Greater;
                (inside, lo)
            }
        };
        if hit {
            return slam(ctx, n.tail(), tub);
        }
        let branches = cell(node.tail())?;
        hel = if cmp(c, pivot) == Ordering::Less {
            branches.head()
        } else {
            branches.tail()
        };
    }
}

/// `(stir rud raq fel)`: parse `fel` as many times as it succeeds, then fold the results from the right with `raq`,
/// starting from `rud`. Iterative (the Hoon recurses once per repetition).
pub fn stir_fun(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let mut tub = sam(core)?;
    let os = outer_sample(core)?;
    let (rud, raq, fel) = (at(os, 2)?, at(os, 6)?, at(os, 7)?);
    // (hair, result) of every successful repetition, first first.
    let mut steps: Vec<(Noun, Noun)> = Vec::new();
    let end_hair = loop {
        let v = edge(slam(ctx, fel, tub)?)?;
        match v.ok {
            None => break v.hair,
            Some((res, rest)) => {
                steps.push((v.hair, res));
                tub = rest;
            }
        }
    };
    let mut hair = end_hair;
    let mut acc = rud;
    for (h, res) in steps.into_iter().rev() {
        hair = last(h, hair)?;
        let pair = cons(&mut ctx.stack, res, acc)?;
        acc = slam(ctx, raq, pair)?;
    }
    success(ctx, hair, acc, tub)
}

/// The `[vex=edge sab=rule]` sample of the `;~` glue gates.
fn glue_sample(core: Noun) -> Result<(Noun, Noun), JetErr> {
    let s = cell(sam(core)?)?;
    Ok((s.head(), s.tail()))
}

/// `pfix`: after a successful `vex`, parse `sab` and keep only its result.
pub fn pfix(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (vex, sab) = glue_sample(core)?;
    let v = edge(vex)?;
    let Some((_, qv)) = v.ok else {
        return Ok(vex);
    };
    let yit_n = slam(ctx, sab, qv)?;
    let yit = cell(yit_n)?;
    let h = last(yit.head(), v.hair)?;
    cons(&mut ctx.stack, h, yit.tail())
}

/// `plug`: after a successful `vex`, parse `sab` and pair the results.
pub fn plug(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (vex, sab) = glue_sample(core)?;
    sequence(ctx, vex, sab, |ctx, pv, py| cons(&mut ctx.stack, pv, py))
}

/// `pose`: `vex` if it succeeded, else the alternative `sab` (already given its nail by `;~`, so it is kicked).
pub fn pose(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (vex, sab) = glue_sample(core)?;
    let v = edge(vex)?;
    if v.ok.is_some() {
        return Ok(vex);
    }
    let roq = cell(kick(ctx, sab)?)?;
    let h = last(v.hair, roq.head())?;
    cons(&mut ctx.stack, h, roq.tail())
}

/// `sfix`: after a successful `vex`, parse `sab` and keep only `vex`'s result.
pub fn sfix(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (vex, sab) = glue_sample(core)?;
    let v = edge(vex)?;
    let Some((pv, qv)) = v.ok else {
        return Ok(vex);
    };
    let yit = edge(slam(ctx, sab, qv)?)?;
    let h = last(v.hair, yit.hair)?;
    match yit.ok {
        None => cons(&mut ctx.stack, h, NUL),
        Some((_, qy)) => success(ctx, h, pv, qy),
    }
}
