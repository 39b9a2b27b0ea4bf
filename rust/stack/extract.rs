//! Extraction: copy every noun reachable from a set of roots that still lives on the NockStack into a long-lived arena
//! (the persistent arena, or any other `Alloc`), so the stack can be reset.
//!
//! Invariants kept for the arena (docs/pma-design.md §4.2): no arena object points into the stack (I1), every copied
//! object carries its mug (I2: mugs are computed on the stack copies before they are copied, so `mug()` never writes
//! into the arena), and forwarding words are written only into the abandoned stack copies (I3). Nouns already outside
//! the stack are referenced where they are, so an event costs in proportion to the new data it made.

use super::{NockStack, Roots};
use crate::mug::mug;
use crate::noun::{Alloc, Noun, Oom, ATOM_HEADER_WORDS, CELL_WORDS, FORWARDED};

/// What one extraction did.
#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtractStats {
    pub cells: u64,
    pub atoms: u64,
    pub words: u64,
}

/// Copy everything reachable from `roots` that lives on `stack` into `arena`, rewriting the roots. The stack copies
/// are left forwarded: the caller must reset the stack (or pop the frames) afterwards and never read them again.
pub fn extract<A: Alloc + ?Sized, R: Roots + ?Sized>(
    stack: &NockStack,
    arena: &mut A,
    roots: &mut R,
) -> Result<ExtractStats, Oom> {
    let mut stats = ExtractStats::default();
    let mut pending: Vec<*mut Noun> = Vec::new();
    let mut result = Ok(());
    roots.for_each_root(&mut |slot| {
        if result.is_ok() {
            // Mug the whole root first (iteratively, caching in the stack copies), so every copy carries its mug.
            if slot.is_allocated() && stack.in_stack(slot.addr()) {
                mug(*slot);
            }
            result = copy_slot(stack, arena, slot, &mut pending, &mut stats);
        }
    });
    result?;
    while let Some(slot) = pending.pop() {
        // SAFETY: every pending slot is a field of a cell this function just wrote into the arena.
        copy_slot(
            stack,
            arena,
            unsafe { &mut *slot },
            &mut pending,
            &mut stats,
        )?;
    }
    Ok(stats)
}

fn copy_slot<A: Alloc + ?Sized>(
    stack: &NockStack,
    arena: &mut A,
    slot: &mut Noun,
    pending: &mut Vec<*mut Noun>,
    stats: &mut ExtractStats,
) -> Result<(), Oom> {
    let n = *slot;
    if !n.is_allocated() || !stack.in_stack(n.addr()) {
        return Ok(());
    }
    let src = n.addr() as *mut u64;
    // SAFETY: `src` is a live stack object (or one this extraction already forwarded); the arena block is fresh and
    // sized for the object; the forwarding word goes into the stack copy only.
    unsafe {
        let meta = *src;
        if meta & FORWARDED != 0 {
            *slot = n.with_addr(meta & !FORWARDED);
            return Ok(());
        }
        if meta & 0x7fff_ffff == 0 {
            // A child reached through a shared subtree mugged before: make sure it has its own mug too.
            mug(n);
        }
        let words = if n.is_cell() {
            CELL_WORDS
        } else {
            ATOM_HEADER_WORDS + *src.add(1) as usize
        };
        let p = arena.alloc_words(words)?.as_ptr();
        std::ptr::copy_nonoverlapping(src, p, words);
        *src = FORWARDED | p as u64;
        *slot = n.with_addr(p as u64);
        stats.words += words as u64;
        if n.is_cell() {
            stats.cells += 1;
            pending.push(p.add(1) as *mut Noun);
            pending.push(p.add(2) as *mut Noun);
        } else {
            stats.atoms += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::equality::noun_eq;
    use crate::noun::{Atom, HeapAlloc, D, T};

    #[test]
    fn extracts_new_nouns_and_keeps_old_ones() {
        let mut arena = HeapAlloc::new();
        let mut s = NockStack::new(1 << 22).unwrap();
        let old = T(&mut arena, &[D(1), D(2)]).unwrap();
        crate::mug::mug(old);
        s.push_frame().unwrap();
        let big = Atom::from_words(&mut s, &[1, 2, 3]).unwrap().as_noun();
        let shared = T(&mut s, &[big, D(9)]).unwrap();
        let root = T(&mut s, &[shared, shared, old]).unwrap();
        let want = crate::text::parse_noun(&mut arena, "[[0x3.0000.0000.0000.0002.0000.0000.0000.0001 9] [0x3.0000.0000.0000.0002.0000.0000.0000.0001 9] 1 2]").unwrap();
        let mut r = root;
        let stats = extract(&s, &mut arena, &mut r).unwrap();
        s.pop_frame();
        assert!(!s.in_stack(r.addr()));
        assert!(noun_eq(r, want));
        // shared structure stays shared and old nouns are not copied
        let c = r.as_cell().unwrap();
        assert!(c.head().same(c.tail().head().unwrap()));
        assert!(c.tail().tail().unwrap().same(old));
        assert_eq!(
            stats,
            ExtractStats {
                cells: 3,
                atoms: 1,
                words: 3 * 3 + 5
            }
        );
        // every extracted object carries its mug
        for n in [r, c.head(), c.head().head().unwrap(), c.tail()] {
            assert!(n.cached_mug().is_some(), "{n}");
        }
    }
}
