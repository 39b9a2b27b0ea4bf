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
    let mut b = sam(core)?;
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
        // A fold: the superseded accumulator is garbage in this frame (see `Context::collect_in_jet`).
        ctx.collect_in_jet(&mut (&mut todo, (&mut acc, &mut b)))?;
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

/// A node's key: the node itself in a set, its head in a map.
fn key_of(n: Noun, map: bool) -> Result<Noun, JetErr> {
    if map {
        Ok(cell(n)?.head())
    } else {
        Ok(n)
    }
}

fn tri(ctx: &mut Context, n: Noun, l: Noun, r: Noun) -> Result<Noun, JetErr> {
    Ok(crate::noun::T(&mut ctx.stack, &[n, l, r])?)
}

/// The union `uni(a a) b` as called from `int` (for sets, `uni` first returns `a` if `a` and `b` are equal; the
/// product is the same either way).
fn uni_of(ctx: &mut Context, a: Noun, b: Noun, map: bool) -> Result<Noun, JetErr> {
    if !map && noun_eq(a, b) {
        return Ok(a);
    }
    uni(ctx, a, b, map)
}

/// `b` with its right (`right`) or left subtree emptied.
fn cut_side(ctx: &mut Context, b: Noun, right: bool) -> Result<Noun, JetErr> {
    let (n, l, r) = node(b)?;
    if right {
        tri(ctx, n, l, D(0))
    } else {
        tri(ctx, n, D(0), r)
    }
}

/// `~(int in a)` with `b`: the set's algorithm swaps the trees so that `a`'s root has the higher `mor` priority, and
/// keeps `a`'s node on equal keys.
fn int_set(ctx: &mut Context, a: Noun, b: Noun) -> Result<Noun, JetErr> {
    if b.raw() == 0 || a.raw() == 0 {
        return Ok(D(0));
    }
    let (na, nb) = (at(a, 2)?, at(b, 2)?);
    if !mor_of(na, nb) {
        return int_set(ctx, b, a);
    }
    let (_, la, ra) = node(a)?;
    let (_, lb, rb) = node(b)?;
    if noun_eq(nb, na) {
        let l = int_set(ctx, la, lb)?;
        let r = int_set(ctx, ra, rb)?;
        return tri(ctx, na, l, r);
    }
    if gor_of(nb, na) {
        let b2 = cut_side(ctx, b, true)?;
        let x = int_set(ctx, la, b2)?;
        let y = int_set(ctx, a, rb)?;
        uni_of(ctx, x, y, false)
    } else {
        let b2 = cut_side(ctx, b, false)?;
        let x = int_set(ctx, ra, b2)?;
        let y = int_set(ctx, a, lb)?;
        uni_of(ctx, x, y, false)
    }
}

/// `~(int by a)` with `b`: keeps `b`'s node (and value) on equal keys.
fn int_map(ctx: &mut Context, a: Noun, b: Noun) -> Result<Noun, JetErr> {
    if b.raw() == 0 || a.raw() == 0 {
        return Ok(D(0));
    }
    let (na, la, ra) = node(a)?;
    let (nb, lb, rb) = node(b)?;
    let (ka, kb) = (cell(na)?.head(), cell(nb)?.head());
    if mor_of(ka, kb) {
        if noun_eq(kb, ka) {
            let l = int_map(ctx, la, lb)?;
            let r = int_map(ctx, ra, rb)?;
            return tri(ctx, nb, l, r);
        }
        if gor_of(kb, ka) {
            let b2 = cut_side(ctx, b, true)?;
            let x = int_map(ctx, la, b2)?;
            let y = int_map(ctx, a, rb)?;
            uni_of(ctx, x, y, true)
        } else {
            let b2 = cut_side(ctx, b, false)?;
            let x = int_map(ctx, ra, b2)?;
            let y = int_map(ctx, a, lb)?;
            uni_of(ctx, x, y, true)
        }
    } else {
        if noun_eq(ka, kb) {
            let l = int_map(ctx, la, lb)?;
            let r = int_map(ctx, ra, rb)?;
            return tri(ctx, nb, l, r);
        }
        if gor_of(ka, kb) {
            let a2 = cut_side(ctx, a, true)?;
            let x = int_map(ctx, a2, lb)?;
            let y = int_map(ctx, ra, b)?;
            uni_of(ctx, x, y, true)
        } else {
            let a2 = cut_side(ctx, a, false)?;
            let x = int_map(ctx, a2, rb)?;
            let y = int_map(ctx, la, b)?;
            uni_of(ctx, x, y, true)
        }
    }
}

pub fn in_int(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let b = sam(core)?;
    let a = tree(core)?;
    int_set(ctx, a, b)
}

pub fn by_int(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let b = sam(core)?;
    let a = tree(core)?;
    int_map(ctx, a, b)
}

/// `bif`: rotate key `b` to the root of `a` (inserting `item` there if absent) and return `[l r]`, its subtrees.
fn bif(ctx: &mut Context, a: Noun, b: Noun, map: bool) -> Result<(Noun, Noun), JetErr> {
    let mut path: Vec<(Noun, Noun, Noun, bool)> = Vec::new();
    let mut cur = a;
    let (mut l, mut r) = loop {
        if cur.raw() == 0 {
            break (D(0), D(0));
        }
        let (n, l, r) = node(cur)?;
        let k = key_of(n, map)?;
        if noun_eq(b, k) {
            break (l, r);
        }
        let left = gor_of(b, k);
        path.push((n, l, r, left));
        cur = if left { l } else { r };
    };
    // Rotate the found (or new) node up past each ancestor: `c(r a(l r.c))` from the left, `c(l a(r l.c))` from the
    // right.
    while let Some((n, al, ar, left)) = path.pop() {
        if left {
            r = tri(ctx, n, r, ar)?;
        } else {
            l = tri(ctx, n, al, l)?;
        }
    }
    Ok((l, r))
}

pub fn in_bif(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let b = sam(core)?;
    let (l, r) = bif(ctx, tree(core)?, b, false)?;
    cons(&mut ctx.stack, l, r)
}

/// `(~(bif by a) b c)` of Hoon 140: split at key `b` (the value `c` only fills the root, which is dropped).
pub fn by_bif(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = cell(sam(core)?)?;
    let (l, r) = bif(ctx, tree(core)?, s.head(), true)?;
    cons(&mut ctx.stack, l, r)
}

/// `(~(bif by a) b)` since Hoon 138: the sample is the key itself (Vere's `u3wdb_bif`).
pub fn by_bif_key(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let b = sam(core)?;
    let (l, r) = bif(ctx, tree(core)?, b, true)?;
    cons(&mut ctx.stack, l, r)
}

/// `dif`: `a` without the keys of `b`, splitting `a` at each of `b`'s keys with `bif` and merging the halves.
fn dif(ctx: &mut Context, a: Noun, b: Noun, map: bool) -> Result<Noun, JetErr> {
    if b.raw() == 0 {
        return Ok(a);
    }
    let (nb, lb, rb) = node(b)?;
    let (lc, rc) = bif(ctx, a, key_of(nb, map)?, map)?;
    let d = dif(ctx, lc, lb, map)?;
    let e = dif(ctx, rc, rb, map)?;
    merge(ctx, d, e, &|n| key_of(n, map))
}

pub fn in_dif(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let b = sam(core)?;
    dif(ctx, tree(core)?, b, false)
}

pub fn by_dif(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let b = sam(core)?;
    dif(ctx, tree(core)?, b, true)
}

/// `apt`: is the tree ordered by `gor` within the bounds `l`/`r` (units of a key) and heap-ordered by `mor`? The
/// checks run in the Hoon's order and stop at the first failure (so a malformed tree past a failing check does not
/// crash). With `distinct` (maps, and sets since Hoon 139) every comparison also requires the keys to differ.
fn apt(
    ctx: &mut Context,
    a: Noun,
    l: Noun,
    r: Noun,
    map: bool,
    distinct: bool,
) -> Result<bool, JetErr> {
    if a.raw() == 0 {
        return Ok(true);
    }
    let k = key_of(at(a, 2)?, map)?;
    let differ = |x: Noun, y: Noun| !distinct || !noun_eq(x, y);
    if l.raw() != 0 {
        let u = at(l, 3)?;
        if !(gor_of(k, u) && differ(k, u)) {
            return Ok(false);
        }
    }
    if r.raw() != 0 {
        let u = at(r, 3)?;
        if !(gor_of(u, k) && differ(u, k)) {
            return Ok(false);
        }
    }
    let la = at(a, 6)?;
    if la.raw() != 0 {
        let kl = key_of(at(la, 2)?, map)?;
        if !(mor_of(k, kl) && differ(k, kl)) {
            return Ok(false);
        }
        let uk = cons(&mut ctx.stack, D(0), k)?;
        if !apt(ctx, la, uk, r, map, distinct)? {
            return Ok(false);
        }
    }
    let ra = at(a, 7)?;
    if ra.raw() != 0 {
        let kr = key_of(at(ra, 2)?, map)?;
        if !(mor_of(k, kr) && differ(k, kr)) {
            return Ok(false);
        }
        let uk = cons(&mut ctx.stack, D(0), k)?;
        if !apt(ctx, ra, l, uk, map, distinct)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `~(apt in a)` / `~(apt by a)`: the trap is `[battery [l r] door]`, the bounds at 12 and 13 (normally `~`).
/// Hoon 140's `apt:in`: members ordered, equal members allowed (Vere's `u3wdi_apt_140`).
pub fn in_apt(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (l, r, a) = (at(core, 12)?, at(core, 13)?, tree(core)?);
    Ok(flag(apt(ctx, a, l, r, false, false)?))
}

/// `apt:in` since Hoon 139: a member equal to a bound or to a child's member fails too (Vere's `u3wdi_apt`).
pub fn in_apt_distinct(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (l, r, a) = (at(core, 12)?, at(core, 13)?, tree(core)?);
    Ok(flag(apt(ctx, a, l, r, false, true)?))
}

pub fn by_apt(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (l, r, a) = (at(core, 12)?, at(core, 13)?, tree(core)?);
    Ok(flag(apt(ctx, a, l, r, true, true)?))
}

/// `all`/`any`: the gate on every node's item (a set's member, a map's value), node then left then right, stopping
/// at the first product that decides.
fn all_any(ctx: &mut Context, core: Noun, map: bool, all: bool) -> Result<Noun, JetErr> {
    let b = sam(core)?;
    let mut todo = vec![tree(core)?];
    while let Some(t) = todo.pop() {
        if t.raw() == 0 {
            continue;
        }
        let n = at(t, 2)?;
        let item = if map { at(n, 3)? } else { n };
        let v = loob(slam(ctx, b, item)?)?;
        if v != all {
            return Ok(flag(!all));
        }
        todo.push(at(t, 7)?);
        todo.push(at(t, 6)?);
    }
    Ok(flag(all))
}

pub fn in_all(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    all_any(ctx, core, false, true)
}

pub fn in_any(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    all_any(ctx, core, false, false)
}

pub fn by_all(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    all_any(ctx, core, true, true)
}

pub fn by_any(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    all_any(ctx, core, true, false)
}

/// `(~(urn by a) b)`: each value replaced by `(b key value)`.
pub fn by_urn(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let b = sam(core)?;
    let a = tree(core)?;
    urn(ctx, a, b)
}

fn urn(ctx: &mut Context, a: Noun, b: Noun) -> Result<Noun, JetErr> {
    if a.raw() == 0 {
        return Ok(D(0));
    }
    let n = cell(at(a, 2)?)?;
    let v = slam(ctx, b, n.as_noun())?;
    let n2 = cons(&mut ctx.stack, n.head(), v)?;
    let l = urn(ctx, at(a, 6)?, b)?;
    let r = urn(ctx, at(a, 7)?, b)?;
    tri(ctx, n2, l, r)
}

/// `(~(jab by a) key fun)`: the value at `key` replaced by `(fun value)`; crash if the key is absent.
pub fn by_jab(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = sam(core)?;
    let (key, fun) = (at(s, 2)?, at(s, 3)?);
    let mut path: Vec<(Noun, Noun, Noun, bool)> = Vec::new();
    let mut cur = tree(core)?;
    let mut res = loop {
        if cur.raw() == 0 {
            return Err(EXIT);
        }
        let (n, l, r) = node(cur)?;
        let nc = cell(n)?;
        if noun_eq(key, nc.head()) {
            let v = slam(ctx, fun, nc.tail())?;
            let n2 = cons(&mut ctx.stack, nc.head(), v)?;
            break tri(ctx, n2, l, r)?;
        }
        let left = gor_of(key, nc.head());
        path.push((n, l, r, left));
        cur = if left { l } else { r };
    };
    while let Some((n, l, r, left)) = path.pop() {
        res = if left {
            tri(ctx, n, res, r)?
        } else {
            tri(ctx, n, l, res)?
        };
    }
    Ok(res)
}

/// `~(key by a)`: the set of keys, put into the trap's starting set (axis 6, normally `~`) node first, then the left
/// subtree, then the right.
pub fn by_key(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let mut b = at(core, 6)?;
    let mut todo = vec![tree(core)?];
    while let Some(t) = todo.pop() {
        if t.raw() == 0 {
            continue;
        }
        let k = cell(at(t, 2)?)?.head();
        b = put(ctx, b, k, false)?;
        todo.push(at(t, 7)?);
        todo.push(at(t, 6)?);
    }
    Ok(b)
}

/// `(~(run in a) b)`: the set of `(b item)`, put node first, then the left subtree, then the right.
pub fn in_run(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let b = sam(core)?;
    let mut c = D(0);
    let mut todo = vec![tree(core)?];
    while let Some(t) = todo.pop() {
        if t.raw() == 0 {
            continue;
        }
        let v = slam(ctx, b, at(t, 2)?)?;
        c = put(ctx, c, v, false)?;
        todo.push(at(t, 7)?);
        todo.push(at(t, 6)?);
    }
    Ok(c)
}
