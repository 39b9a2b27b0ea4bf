//! Pairs of distinct references already found equal, so that comparing them again costs one lookup instead of a
//! walk.
//!
//! The memo trie's lookups compare each probe key with a stored one. The keys of the type checker's memoised arms
//! are built afresh for every kick, but from the same nouns: the door's subject type, the hoon being checked. When
//! that type is structurally equal to the stored key's but lives at another address (it was rebuilt, or the two were
//! copied apart), neither copy may be rewritten to the other if both sit below the top frame, and every hit walks
//! the whole type again (1.4 million hits walked 165 million cell pairs in the compile of hoon.hoon). This cache
//! remembers such pairs of subtrees by address.
//!
//! An entry is trusted only while neither address can have been reused: on the NockStack, while the younger of the
//! two frames holding them has been neither collected, popped nor restored ([`NockStack::ptr_stamp_valid`]; an older
//! frame cannot change while a younger one lives); outside it (the persistent arena, the loom of a snapshot), for the
//! rest of the current computation ([`KnownPairs::new_computation`]: a store moves its memory only between
//! computations).

use crate::noun::Noun;
use crate::stack::NockStack;
use std::cell::Cell;

/// Entries (a power of two).
const SLOTS: usize = 1 << 12;

/// `depth` of an entry whose two addresses are both outside the NockStack.
const FAR: u32 = u32::MAX;

#[derive(Copy, Clone, Default)]
struct Slot {
    /// The two nouns' raw words, in the order they were compared (`a == 0`: empty).
    a: u64,
    b: u64,
    /// The depth of the younger frame holding one of them, or [`FAR`].
    depth: u32,
    /// The computation the entry was made in.
    epoch: u64,
    /// The stack clock when the entry was made.
    t: u64,
}

pub struct KnownPairs {
    slots: Box<[Cell<Slot>]>,
    epoch: Cell<u64>,
}

impl Default for KnownPairs {
    fn default() -> KnownPairs {
        KnownPairs {
            slots: (0..SLOTS).map(|_| Cell::new(Slot::default())).collect(),
            epoch: Cell::new(1),
        }
    }
}

#[inline(always)]
fn index(a: u64, b: u64) -> usize {
    let h = (a >> 3).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (b >> 3);
    (h.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 52) as usize & (SLOTS - 1)
}

impl KnownPairs {
    /// Is the pair `(a, b)` of allocated nouns known equal?
    #[inline]
    pub fn get(&self, stack: &NockStack, a: Noun, b: Noun) -> bool {
        let s = self.slots[index(a.raw(), b.raw())].get();
        if s.a != a.raw() || s.b != b.raw() || s.epoch != self.epoch.get() {
            return false;
        }
        s.depth == FAR || stack.ptr_stamp_valid(s.depth as usize, s.t)
    }

    /// Remember that the allocated nouns `a` and `b` are equal.
    pub fn put(&self, stack: &NockStack, a: Noun, b: Noun) {
        // The stamp of the younger frame holding one of them: the older one cannot change while it lives.
        let depth = |n: Noun| {
            stack
                .in_stack(n.addr())
                .then(|| stack.ptr_stamp_of(n.addr()).0)
        };
        let younger = match (depth(a), depth(b)) {
            (None, None) => FAR,
            (Some(d), None) | (None, Some(d)) => d as u32,
            (Some(da), Some(db)) => da.max(db) as u32,
        };
        let (_, t) = stack.ptr_stamp();
        self.slots[index(a.raw(), b.raw())].set(Slot {
            a: a.raw(),
            b: b.raw(),
            depth: younger,
            epoch: self.epoch.get(),
            t,
        });
    }

    /// A new computation starts: entries for memory outside the NockStack may be stale from now on (the store may
    /// have collected or moved it since), and the stack's are of no further use.
    pub fn new_computation(&self) {
        self.epoch.set(self.epoch.get() + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noun::{HeapAlloc, D, T};

    #[test]
    fn entries_die_with_the_memory_they_describe() {
        let mut stack = NockStack::new(1 << 20).unwrap();
        let known = KnownPairs::default();
        let old = T(&mut stack, &[D(1), D(2)]).unwrap();
        stack.push_frame().unwrap();
        let young = T(&mut stack, &[D(1), D(2)]).unwrap();
        let mut heap = HeapAlloc::new();
        let far = T(&mut heap, &[D(1), D(2)]).unwrap();
        known.put(&stack, old, young);
        known.put(&stack, far, old);
        assert!(known.get(&stack, old, young));
        assert!(!known.get(&stack, young, old), "pairs are ordered");
        // Popping the younger frame kills the pair that has a noun in it, not the one below it.
        stack.pop_frame();
        assert!(!known.get(&stack, old, young));
        assert!(known.get(&stack, far, old));
        // A frame pushed at the same depth again does not revive it.
        stack.push_frame().unwrap();
        assert!(!known.get(&stack, old, young));
        stack.pop_frame();
        // Collecting the frame that holds `old` kills the rest.
        stack.collect_top(&mut ()).unwrap();
        assert!(!known.get(&stack, far, old));
        // Pairs of nouns outside the stack live until the computation ends.
        let far2 = T(&mut heap, &[D(1), D(2)]).unwrap();
        known.put(&stack, far, far2);
        assert!(known.get(&stack, far, far2));
        known.new_computation();
        assert!(!known.get(&stack, far, far2));
    }
}
