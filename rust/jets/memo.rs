//! Memoising jets: the type system's hot arms (`ut`: `crop fish fuse mint mull rest`, and `nest`'s inner `dext`)
//! run their own Nock, but each product is cached under a key made of the arm's name, the `ut` core's `vet` flag,
//! battery and subject type `sut`, and the arm's sample, exactly as Vere keys them, so a type is never computed twice
//! in one computation.
//!
//! The cache is a hash trie built of nouns on the NockStack and kept as the stack's pinned root: every preserving pop
//! and in-place collection moves it along with the computation's own roots, so entries made deep inside nested
//! interpreter entries survive until the computation ends (and are dropped with its memory). Keys are compared with
//! unifying equality, so a type that hits once is pointer-equal to the cached one from then on where it may be
//! rewritten, and otherwise (both copies below the top frame) remembered as a known-equal pair.
//!
//! Trie encoding: `0` is empty; `[0 mug bucket]` is a leaf holding the entries whose keys have this 31-bit mug (a
//! list of `[key product]`); `[1 left right]` branches on the next bit of the mug, lowest bit first.

use super::util::*;
use super::JetErr;
use crate::equality::{unify_known, KnownPairs};
use crate::interpreter::Context;
use crate::mug::mug;
use crate::noun::{Noun, D, T};
use crate::stack::NockStack;

const LEAF: Noun = D(0);
const BRANCH: Noun = D(1);

/// Look `key` up in the trie `root`.
fn trie_get(stack: &NockStack, known: &KnownPairs, root: Noun, key: Noun) -> Option<Noun> {
    let m = mug(key);
    let mut node = root;
    let mut bit = 0;
    loop {
        let c = node.as_cell()?;
        let body = c.tail().as_cell()?;
        if c.head() == LEAF {
            if body.head().as_direct()? != m as u64 {
                return None;
            }
            let mut bucket = body.tail();
            while let Some(b) = bucket.as_cell() {
                let entry = b.head().as_cell()?;
                let mut stored = entry.head();
                let mut probe = key;
                if unify_known(stack, &mut stored, &mut probe, known) {
                    return Some(entry.tail());
                }
                bucket = b.tail();
            }
            return None;
        }
        node = if (m >> bit) & 1 == 0 {
            body.head()
        } else {
            body.tail()
        };
        bit += 1;
    }
}

/// The trie `root` with `key → value` added (the key is known to be absent).
fn trie_put(stack: &mut NockStack, root: Noun, key: Noun, value: Noun) -> Result<Noun, JetErr> {
    let m = mug(key);
    // Walk down, remembering each branch and the side taken.
    let mut path: Vec<(Noun, bool)> = Vec::new();
    let mut node = root;
    let mut bit = 0u32;
    let entry = T(stack, &[key, value])?;
    let leaf = loop {
        let Some(c) = node.as_cell() else {
            let bucket = T(stack, &[entry, D(0)])?;
            break T(stack, &[LEAF, D(m as u64), bucket])?;
        };
        let body = cell(c.tail())?;
        if c.head() == LEAF {
            let other = body.head().as_direct().ok_or(EXIT)? as u32;
            if other == m {
                let bucket = T(stack, &[entry, body.tail()])?;
                break T(stack, &[LEAF, D(m as u64), bucket])?;
            }
            // Split: branch until the two mugs differ, the old leaf on one side, the new one on the other.
            let bucket = T(stack, &[entry, D(0)])?;
            let fresh = T(stack, &[LEAF, D(m as u64), bucket])?;
            let mut b = bit;
            while (m >> b) & 1 == (other >> b) & 1 {
                path.push((Noun::ZERO, (m >> b) & 1 == 1));
                b += 1;
            }
            let (l, r) = if (m >> b) & 1 == 0 {
                (fresh, node)
            } else {
                (node, fresh)
            };
            break T(stack, &[BRANCH, l, r])?;
        }
        let right = (m >> bit) & 1 == 1;
        path.push((node, right));
        node = if right { body.tail() } else { body.head() };
        bit += 1;
    };
    // Rebuild the path bottom-up; the empty placeholders are the new branches of a split.
    let mut acc = leaf;
    for (branch, right) in path.into_iter().rev() {
        let (l, r) = match branch.as_cell() {
            None => (Noun::ZERO, Noun::ZERO),
            Some(c) => {
                let body = cell(c.tail())?;
                (body.head(), body.tail())
            }
        };
        acc = if right {
            T(stack, &[BRANCH, l, acc])?
        } else {
            T(stack, &[BRANCH, acc, r])?
        };
    }
    Ok(acc)
}

/// The computation's memo cache, kept as the NockStack's pinned root: `0`, or `[current count previous]`, two tries
/// of at most half the entry limit each. Entries go into `current`; when it is full it becomes `previous` and a new
/// `current` starts; a hit in `previous` is copied into `current`. So the cache holds at most the limit (the king's
/// cache-size argument, as Vere bounds its memo caches), keeps what is still used, and lets go of the rest. Under
/// memory pressure the collector drops `previous` ([`drop_memo_generation`]) or everything.
fn generations(stack: &NockStack) -> (Noun, u64, Noun) {
    let root = stack.pinned();
    let parts = root.as_cell().and_then(|c| {
        let rest = c.tail().as_cell()?;
        Some((c.head(), rest.head().as_direct()?, rest.tail()))
    });
    parts.unwrap_or((Noun::ZERO, 0, Noun::ZERO))
}

fn set_generations(
    stack: &mut NockStack,
    current: Noun,
    count: u64,
    previous: Noun,
) -> Result<(), crate::noun::Oom> {
    let root = if current.is_atom() && previous.is_atom() {
        Noun::ZERO
    } else {
        T(stack, &[current, D(count), previous])?
    };
    stack.set_pinned(root);
    Ok(())
}

/// The product cached for `key` in this computation (a `%memo` hint's `[%memo subject formula]`, or a memoising
/// jet's key), if any.
pub fn memo_hint_get(ctx: &mut Context, key: Noun) -> Option<Noun> {
    let (current, _, previous) = generations(&ctx.stack);
    if let Some(v) = trie_get(&ctx.stack, &ctx.known_pairs, current, key) {
        return Some(v);
    }
    let v = trie_get(&ctx.stack, &ctx.known_pairs, previous, key)?;
    // Still in use: keep it through the next rotation. Out of memory only loses the promotion.
    let _ = memo_hint_put(ctx, key, v);
    Some(v)
}

/// Cache a product for this computation.
pub fn memo_hint_put(ctx: &mut Context, key: Noun, product: Noun) -> Result<(), crate::noun::Oom> {
    let (current, count, previous) = generations(&ctx.stack);
    let current = trie_put(&mut ctx.stack, current, key, product).map_err(|_| crate::noun::Oom)?;
    let half = (ctx.memo_entries as u64 / 2).max(1);
    if count + 1 >= half {
        set_generations(&mut ctx.stack, Noun::ZERO, 0, current)
    } else {
        set_generations(&mut ctx.stack, current, count + 1, previous)
    }
}

/// Memory pressure: forget the older half of the computation's memo cache. Returns false if there was none (the
/// caller may then drop the whole cache).
pub fn drop_memo_generation(stack: &mut NockStack) -> bool {
    let (current, count, previous) = generations(stack);
    if previous.is_atom() {
        return false;
    }
    set_generations(stack, current, count, Noun::ZERO).is_ok()
}

/// The cached product for `key`, if any.
fn cached(ctx: &mut Context, key: Noun) -> Option<Noun> {
    let hit = memo_hint_get(ctx, key);
    if hit.is_some() {
        ctx.stats.memo_jet_hits += 1;
    }
    hit
}

/// Which products of a memoising jet may be cached.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Keep {
    /// Every product.
    Always,
    /// `nest-dext`: a yes (`0`) only if it was reached without `reg` assumptions, a no (`1`) only without `seg`
    /// ones; these two flags say whether those sets were empty.
    Dext { reg_empty: bool, seg_empty: bool },
}

impl Keep {
    /// May `product` be cached?
    pub fn allows(self, product: Noun) -> bool {
        match self {
            Keep::Always => true,
            Keep::Dext {
                reg_empty,
                seg_empty,
            } => (product == D(0) && reg_empty) || (product == D(1) && seg_empty),
        }
    }

    /// As a small atom, for a work item.
    pub fn to_word(self) -> u64 {
        match self {
            Keep::Always => 0,
            Keep::Dext {
                reg_empty,
                seg_empty,
            } => 1 | (reg_empty as u64) << 1 | (seg_empty as u64) << 2,
        }
    }

    pub fn from_word(w: u64) -> Keep {
        if w & 1 == 0 {
            Keep::Always
        } else {
            Keep::Dext {
                reg_empty: w & 2 != 0,
                seg_empty: w & 4 != 0,
            }
        }
    }
}

/// A memoising jet's cache key for a kick of `core`, and what of its product may be kept.
pub type MemoKeyFn = fn(&mut Context, Noun) -> Result<(Noun, Keep), JetErr>;

/// Run the gate's own Nock (its battery, the `$` arm), not through a `9`, so this jet is not kicked again.
fn run_arm(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let arm = at(core, 2)?;
    Ok(crate::interpreter::nock(ctx, core, arm)?)
}

/// A memoising jet called natively: look up, else run the arm's Nock and cache.
fn memoised(ctx: &mut Context, core: Noun, key: MemoKeyFn) -> Result<Noun, JetErr> {
    let (key, keep) = key(ctx, core)?;
    if let Some(p) = cached(ctx, key) {
        return Ok(p);
    }
    let product = run_arm(ctx, core)?;
    if keep.allows(product) {
        memo_hint_put(ctx, key, product)?;
    }
    Ok(product)
}

/// The `ut` core's `vet` flag (axis 59 in Hoon 140: the payload is `[sut [fan rib vet] context]`), or 0 where the
/// core has no such axis.
fn vet(van: Noun) -> Noun {
    at(van, 59).unwrap_or(D(0))
}

/// The key of a `ut` arm gate `core` whose sample is the whole key material: `[tag vet sut sample battery]`.
fn ut_key(ctx: &mut Context, core: Noun, tag: &str) -> Result<(Noun, Keep), JetErr> {
    let van = at(core, 7)?;
    let sut = at(van, 6)?;
    let bat = at(van, 2)?;
    let sample = at(core, 6)?;
    let key = T(
        &mut ctx.stack,
        &[crate::noun::tas(tag), vet(van), sut, sample, bat],
    )?;
    Ok((key, Keep::Always))
}

macro_rules! ut_memo_jet {
    ($jet:ident, $key:ident, $tag:literal) => {
        pub fn $key(ctx: &mut Context, core: Noun) -> Result<(Noun, Keep), JetErr> {
            ut_key(ctx, core, $tag)
        }

        pub fn $jet(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
            memoised(ctx, core, $key)
        }
    };
}

ut_memo_jet!(ut_crop, ut_crop_key, "crop");
ut_memo_jet!(ut_fish, ut_fish_key, "fish");
ut_memo_jet!(ut_fuse, ut_fuse_key, "fuse");
ut_memo_jet!(ut_mint, ut_mint_key, "mint");
ut_memo_jet!(ut_mull, ut_mull_key, "mull");
ut_memo_jet!(ut_rest, ut_rest_key, "rest");

/// The key of `nest-dext`, the inner loop of `+nest:ut` (does `sut` nest `ref`?). The answer depends on the sets
/// of pairs assumed so far (`seg`, `reg`), so, as in Vere, it is cached only when those sets cannot have mattered: a
/// yes reached with no `reg` assumptions, or a no reached with no `seg` assumptions.
pub fn ut_nest_dext_key(ctx: &mut Context, core: Noun) -> Result<(Noun, Keep), JetErr> {
    let nest_in = at(core, 3)?;
    let (seg, reg) = (at(nest_in, 12)?, at(nest_in, 26)?);
    let nest = at(nest_in, 7)?;
    let re = at(nest, 13)?;
    let van = at(nest, 7)?;
    let sut = at(van, 6)?;
    let bat = at(van, 2)?;
    let key = T(
        &mut ctx.stack,
        &[crate::noun::tas("dext"), vet(van), sut, re, bat],
    )?;
    let keep = Keep::Dext {
        reg_empty: reg == D(0),
        seg_empty: seg == D(0),
    };
    Ok((key, keep))
}

pub fn ut_nest_dext(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    memoised(ctx, core, ut_nest_dext_key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noun::Cell;

    #[test]
    fn trie_holds_many_keys_and_collisions() {
        let mut stack = NockStack::new(64 << 20).unwrap();
        let known = KnownPairs::default();
        let mut root = Noun::ZERO;
        let mut keys = Vec::new();
        for i in 0..2000u64 {
            let k = Cell::new(&mut stack, D(i), D(i * 7)).unwrap().as_noun();
            assert!(trie_get(&stack, &known, root, k).is_none());
            root = trie_put(&mut stack, root, k, D(i + 1)).unwrap();
            keys.push(k);
        }
        for (i, k) in keys.iter().enumerate() {
            let probe = Cell::new(&mut stack, D(i as u64), D(i as u64 * 7))
                .unwrap()
                .as_noun();
            assert_eq!(trie_get(&stack, &known, root, probe), Some(D(i as u64 + 1)));
            assert_eq!(trie_get(&stack, &known, root, *k), Some(D(i as u64 + 1)));
        }
        let absent = Cell::new(&mut stack, D(5), D(6)).unwrap().as_noun();
        assert!(trie_get(&stack, &known, root, absent).is_none());
    }

    #[test]
    fn pinned_trie_survives_frames_and_is_dropped_with_its_memory() {
        let mut stack = NockStack::new(64 << 20).unwrap();
        let known = KnownPairs::default();
        stack.push_frame().unwrap();
        stack.push_frame().unwrap();
        let k = Cell::new(&mut stack, D(1), D(2)).unwrap().as_noun();
        let root = trie_put(&mut stack, Noun::ZERO, k, D(42)).unwrap();
        stack.set_pinned(root);
        let mut nothing = Noun::ZERO;
        stack.pop_preserving(&mut nothing).unwrap();
        let probe = Cell::new(&mut stack, D(1), D(2)).unwrap().as_noun();
        assert_eq!(trie_get(&stack, &known, stack.pinned(), probe), Some(D(42)));
        stack.collect_top(&mut ()).unwrap();
        let probe = Cell::new(&mut stack, D(1), D(2)).unwrap().as_noun();
        assert_eq!(trie_get(&stack, &known, stack.pinned(), probe), Some(D(42)));
        stack.pop_frame();
        assert_eq!(stack.pinned(), Noun::ZERO);
    }

    #[test]
    fn restore_drops_a_pinned_root_allocated_after_the_checkpoint() {
        let mut stack = NockStack::new(64 << 20).unwrap();
        stack.push_frame().unwrap();
        let cp = stack.checkpoint();
        let k = Cell::new(&mut stack, D(1), D(2)).unwrap().as_noun();
        let root = trie_put(&mut stack, Noun::ZERO, k, D(1)).unwrap();
        stack.set_pinned(root);
        stack.restore(cp);
        assert_eq!(stack.pinned(), Noun::ZERO);
    }
}
