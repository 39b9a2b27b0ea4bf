//! Containers: the `by` (map) and `in` (set) arms `get has put gas del tap wyt uni rep` and `run:by`.
//!
//! The gates are arms of the door, so the tree is the door's sample: axis 30 of the gate (axis 6 of the door at 7).
//! Trees are `[n l r]` (maps: `n=[p=key q=value]`), ordered by `gor` on keys and balanced by `mor`.

use super::sort::{gor_of, mor_of};
use super::util::*;
use super::JetErr;
use crate::equality::noun_eq;
use crate::interpreter::Context;
use crate::noun::{Noun, D};

/// The door's tree.
fn tree(core: Noun) -> Result<Noun, JetErr> {
    at(core, 30)
}

/// `[n l r]` of a non-empty tree, crashing on a malformed one.
fn node(a: Noun) -> Result<(Noun, Noun, Noun), JetErr> {
    let c = cell(a)?;
    let lr = cell(c.tail())?;
    Ok((c.head(), lr.head(), lr.tail()))
}

/// Find key `b` in a map (`key_of` gives a node's key); the node found.
fn find(mut a: Noun, b: Noun, map: bool) -> Result<Option<Noun>, JetErr> {
    loop {
        if a.raw() == 0 {
            return Ok(None);
        }
        let (n, l, r) = node(a)?;
        let k = if map { cell(n)?.head() } else { n };
        if noun_eq(b, k) {
            return Ok(Some(n));
        }
        a = if gor_of(b, k) { l } else { r };
    }
}

pub fn by_get(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let b = sam(core)?;
    match find(tree(core)?, b, true)? {
        None => Ok(D(0)),
        Some(n) => cons(&mut ctx.stack, D(0), cell(n)?.tail()),
    }
}

pub fn by_has(_ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let b = sam(core)?;
    Ok(flag(find(tree(core)?, b, true)?.is_some()))
}

pub fn in_has(_ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let b = sam(core)?;
    Ok(flag(find(tree(core)?, b, false)?.is_some()))
}

/// Insert `item` (a map entry `[key value]` or a set member) into tree `a`, as the Hoon `put` does.
fn put(ctx: &mut Context, a: Noun, item: Noun, map: bool) -> Result<Noun, JetErr> {
    let key = |n: Noun| -> Result<Noun, JetErr> {
        if map {
            Ok(cell(n)?.head())
        } else {
            Ok(n)
        }
    };
    let b = key(item)?;
    // Descend, remembering the path.
    let mut path: Vec<(Noun, Noun, Noun, bool)> = Vec::new();
    let mut cur = a;
    let mut res = loop {
        if cur.raw() == 0 {
            let leaf = crate::noun::T(&mut ctx.stack, &[item, D(0), D(0)])?;
            break leaf;
        }
        let (n, l, r) = node(cur)?;
        let k = key(n)?;
        if noun_eq(b, k) {
            if !map || noun_eq(cell(item)?.tail(), cell(n)?.tail()) {
                break cur;
            }
            break crate::noun::T(&mut ctx.stack, &[item, l, r])?;
        }
        let left = gor_of(b, k);
        path.push((n, l, r, left));
        cur = if left { l } else { r };
    };
    // Rebuild upwards, rotating as the Hoon does.
    while let Some((n, l, r, left)) = path.pop() {
        let (dn, dl, dr) = node(res)?;
        res = if left {
            if mor_of(key(n)?, key(dn)?) {
                crate::noun::T(&mut ctx.stack, &[n, res, r])?
            } else {
                let a2 = crate::noun::T(&mut ctx.stack, &[n, dr, r])?;
                crate::noun::T(&mut ctx.stack, &[dn, dl, a2])?
            }
        } else if mor_of(key(n)?, key(dn)?) {
            crate::noun::T(&mut ctx.stack, &[n, l, res])?
        } else {
            let a2 = crate::noun::T(&mut ctx.stack, &[n, l, dl])?;
            crate::noun::T(&mut ctx.stack, &[dn, a2, dr])?
        };
    }
    Ok(res)
}

pub fn by_put(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = cell(sam(core)?)?;
    let a = tree(core)?;
    let item = cons(&mut ctx.stack, s.head(), s.tail())?;
    put(ctx, a, item, true)
}

pub fn in_put(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let b = sam(core)?;
    let a = tree(core)?;
    put(ctx, a, b, false)
}

/// `~(tap by a)` / `~(tap in a)`: the trap's accumulator (axis 6) with the nodes consed on in order, so the list
/// reads right to left.
pub fn tap(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let mut acc = at(core, 6)?;
    let a = tree(core)?;
    // in-order walk with an explicit stack
    let mut stack: Vec<(Noun, Noun)> = Vec::new();
    let mut cur = a;
    loop {
        while cur.raw() != 0 {
            let (n, l, r) = node(cur)?;
            stack.push((n, r));
            cur = l;
        }
        match stack.pop() {
            None => return Ok(acc),
            Some((n, r)) => {
                acc = cons(&mut ctx.stack, n, acc)?;
                cur = r;
            }
        }
    }
}

/// `(gas b)`: put every item of the list `b`, first to last.
fn gas(ctx: &mut Context, core: Noun, map: bool) -> Result<Noun, JetErr> {
    let mut a = tree(core)?;
    let mut l = sam(core)?;
    loop {
        match l.as_cell() {
            None if l.raw() == 0 => return Ok(a),
            None => return Err(EXIT),
            Some(c) => {
                let item = c.head();
                if map {
                    // the Hoon rebuilds the pair from p.i.b and q.i.b
                    let kv = cell(item)?;
                    let item = cons(&mut ctx.stack, kv.head(), kv.tail())?;
                    a = put(ctx, a, item, true)?;
                } else {
                    a = put(ctx, a, item, false)?;
                }
                l = c.tail();
            }
        }
    }
}

pub fn by_gas(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    gas(ctx, core, true)
}

pub fn in_gas(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    gas(ctx, core, false)
}

/// `(del b)`: remove key `b`, merging the removed node's subtrees by `mor` as the Hoon does.
fn del(ctx: &mut Context, core: Noun, map: bool) -> Result<Noun, JetErr> {
    let b = sam(core)?;
    let key = |n: Noun| -> Result<Noun, JetErr> {
        if map {
            Ok(cell(n)?.head())
        } else {
            Ok(n)
        }
    };
    let mut path: Vec<(Noun, Noun, Noun, bool)> = Vec::new();
    let mut cur = tree(core)?;
    let mut res = loop {
        if cur.raw() == 0 {
            break D(0);
        }
        let (n, l, r) = node(cur)?;
        if noun_eq(b, key(n)?) {
            break merge(ctx, l, r, &key)?;
        }
        let left = gor_of(b, key(n)?);
        path.push((n, l, r, left));
        cur = if left { l } else { r };
    };
    while let Some((n, l, r, left)) = path.pop() {
        res = if left {
            crate::noun::T(&mut ctx.stack, &[n, res, r])?
        } else {
            crate::noun::T(&mut ctx.stack, &[n, l, res])?
        };
    }
    Ok(res)
}

/// Join two trees whose keys are all ordered left before right: the root with the higher `mor` priority wins.
fn merge(
    ctx: &mut Context,
    l: Noun,
    r: Noun,
    key: &dyn Fn(Noun) -> Result<Noun, JetErr>,
) -> Result<Noun, JetErr> {
    if l.raw() == 0 {
        return Ok(r);
    }
    if r.raw() == 0 {
        return Ok(l);
    }
    let (ln, ll, lr) = node(l)?;
    let (rn, rl, rr) = node(r)?;
    if mor_of(key(ln)?, key(rn)?) {
        let m = merge(ctx, lr, r, key)?;
        crate::noun::T(&mut ctx.stack, &[ln, ll, m]).map_err(JetErr::from)
    } else {
        let m = merge(ctx, l, rl, key)?;
        crate::noun::T(&mut ctx.stack, &[rn, m, rr]).map_err(JetErr::from)
    }
}

pub fn by_del(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    del(ctx, core, true)
}

pub fn in_del(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    del(ctx, core, false)
}

/// `~(wyt by a)` / `~(wyt in a)`: the number of nodes. The trap is `[battery door]`, so the tree is at axis 14.
pub fn wyt(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let mut todo = vec![at(core, 14)?];
    let mut count = 0u64;
    while let Some(t) = todo.pop() {
        if t.raw() == 0 {
            continue;
        }
        let (_, l, r) = node(t)?;
        count += 1;
        todo.push(r);
        todo.push(l);
    }
    num(&mut ctx.stack, count)
}

/// Union of two trees as the Hoon `uni` does it (`b`'s node wins on equal keys).
fn uni(ctx: &mut Context, a: Noun, b: Noun, map: bool) -> Result<Noun, JetErr> {
    if b.raw() == 0 {
        return Ok(a);
    }
    if a.raw() == 0 {
        return Ok(b);
    }
    let key = |n: Noun| -> Result<Noun, JetErr> {
        if map {
            Ok(cell(n)?.head())
        } else {
            Ok(n)
        }
    };
    let (na, la, ra) = node(a)?;
    let (nb, lb, rb) = node(b)?;
    let (ka, kb) = (key(na)?, key(nb)?);
    let t = |ctx: &mut Context, n: Noun, l: Noun, r: Noun| -> Result<Noun, JetErr> {
        Ok(crate::noun::T(&mut ctx.stack, &[n, l, r])?)
    };
    if noun_eq(kb, ka) {
        let l = uni(ctx, la, lb, map)?;
        let r = uni(ctx, ra, rb, map)?;
        return t(ctx, nb, l, r);
    }
    if mor_of(ka, kb) {
        if gor_of(kb, ka) {
            let b2 = t(ctx, nb, lb, D(0))?;
            let l = uni(ctx, la, b2, map)?;
            let a2 = t(ctx, na, l, ra)?;
            uni(ctx, a2, rb, map)
        } else {
            let b2 = t(ctx, nb, D(0), rb)?;
            let r = uni(ctx, ra, b2, map)?;
            let a2 = t(ctx, na, la, r)?;
            uni(ctx, a2, lb, map)
        }
    } else if gor_of(ka, kb) {
        let a2 = t(ctx, na, la, D(0))?;
        let l = uni(ctx, a2, lb, map)?;
        let b2 = t(ctx, nb, l, rb)?;
        uni(ctx, ra, b2, map)
    } else {
        let a2 = t(ctx, na, D(0), ra)?;
        let r = uni(ctx, a2, rb, map)?;
        let b2 = t(ctx, nb, lb, r)?;
        uni(ctx, la, b2, map)
    }
}

pub fn by_uni(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let b = sam(core)?;
    let a = tree(core)?;
    uni(ctx, a, b, true)
}

pub fn in_uni(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let b = sam(core)?;
    let a = tree(core)?;
    if noun_eq(a, b) {
        return Ok(a);
    }
    uni(ctx, a, b, false)
}

/// `(~(rep by a) b)` / `(~(rep in a) b)`: fold the gate over the nodes, node then left then right, starting from
/// the gate's default accumulator `+<+.b`.
pub fn rep(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let b = sam(core)?;
    let mut acc = at(b, 13)?;
    let mut todo = vec![tree(core)?];
    while let Some(t) = todo.pop() {
        if t.raw() == 0 {
            continue;
        }
        let (n, l, r) = node(t)?;
        let s = cons(&mut ctx.stack, n, acc)?;
        acc = slam(ctx, b, s)?;
        todo.push(r);
        todo.push(l);
    }
    Ok(acc)
}

/// `(~(run by a) b)`: the map with the gate applied to every value (node, then left, then right).
pub fn by_run(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let b = sam(core)?;
    let a = tree(core)?;
    run_map(ctx, a, b)
}

fn run_map(ctx: &mut Context, a: Noun, b: Noun) -> Result<Noun, JetErr> {
    if a.raw() == 0 {
        return Ok(a);
    }
    let (n, l, r) = node(a)?;
    let kv = cell(n)?;
    let v = slam(ctx, b, kv.tail())?;
    let n2 = cons(&mut ctx.stack, kv.head(), v)?;
    let l2 = run_map(ctx, l, b)?;
    let r2 = run_map(ctx, r, b)?;
    Ok(crate::noun::T(&mut ctx.stack, &[n2, l2, r2])?)
}
