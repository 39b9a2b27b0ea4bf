//! The `%memo` cache: products keyed by `[subject formula]`, kept in its own arena so entries survive frame pops,
//! collections and events. Bounded by an entry count (the king's cache-size argument) and by the bytes of its arena
//! ([`MemoCache::MAX_BYTES`]); when either is reached it starts over.

use crate::equality::NounMap;
use crate::noun::{copy_selected, Alloc, HeapAlloc, Noun, Oom};
use crate::stack::NockStack;
use std::collections::HashMap;

pub struct MemoCache {
    map: NounMap<Noun>,
    arena: HeapAlloc,
    limit: usize,
    /// Copy root-frame nouns too (when the root frame is cleared after every event, as with the persistent arena).
    pub copy_root_frame: bool,
    pub hits: u64,
    pub misses: u64,
}

impl MemoCache {
    /// Bytes the cache's arena may hold before the cache starts over.
    pub const MAX_BYTES: usize = 32 << 20;

    pub fn new(limit: usize) -> MemoCache {
        MemoCache {
            map: NounMap::new(),
            arena: HeapAlloc::new(),
            limit,
            copy_root_frame: false,
            hits: 0,
            misses: 0,
        }
    }

    /// Change the entry bound (P2's `--persistent-cache-size`); 0 keeps nothing. Takes effect at the next insert.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Bytes of the cache's own arena.
    pub fn bytes(&self) -> usize {
        self.arena.bytes()
    }

    /// Forget everything (also required whenever memory the entries point into is collected).
    pub fn clear(&mut self) {
        self.map = NounMap::new();
        self.arena = HeapAlloc::new();
    }

    /// The product cached for `key`, copied onto `stack`: a computation never holds a reference into the cache's
    /// own memory, which is freed whenever the cache starts over (possibly in the middle of the computation) and is
    /// not where a store looks for the state's nouns.
    pub fn get(&mut self, stack: &mut NockStack, key: Noun) -> Result<Option<Noun>, Oom> {
        let Some(&v) = self.map.get(key) else {
            self.misses += 1;
            return Ok(None);
        };
        self.hits += 1;
        let arena = &self.arena;
        let copy = copy_selected(stack, v, &mut HashMap::new(), |a| arena.contains(a))?;
        Ok(Some(copy))
    }

    /// Store `value` for `key`, copying both out of the NockStack. Entries whose key or value has a large volatile
    /// part are not kept: copying them (and comparing against the copies) would cost as much as the computation;
    /// the per-computation cache on the stack ([`crate::jets::memo`]) serves those.
    pub fn insert(&mut self, stack: &NockStack, key: Noun, value: Noun) -> Result<(), Oom> {
        if self.limit == 0
            || !small_to_copy(stack, key, COPY_BUDGET, self.copy_root_frame)
            || !small_to_copy(stack, value, COPY_BUDGET, self.copy_root_frame)
        {
            return Ok(());
        }
        if self.map.len() >= self.limit || self.arena.bytes() >= Self::MAX_BYTES {
            self.clear();
        }
        let mut seen = HashMap::new();
        let all = self.copy_root_frame;
        let k = copy_out(stack, &mut self.arena, key, &mut seen, all)?;
        let v = copy_out(stack, &mut self.arena, value, &mut seen, all)?;
        self.map.insert(k, v);
        Ok(())
    }
}

/// Volatile words an entry may have to be kept across computations.
const COPY_BUDGET: usize = 1024;

/// Does `n` have at most `budget` words of cells and atoms that [`copy_out`] would copy (volatile ones, and with
/// `root_frame_too` everything on the stack), shared objects counted once per path? Big atoms count by size: a memo
/// key holding a source text, or a subject holding the kernel, must not be copied per entry.
fn small_to_copy(stack: &NockStack, n: Noun, mut budget: usize, root_frame_too: bool) -> bool {
    let mut todo = vec![n];
    while let Some(n) = todo.pop() {
        if !n.is_allocated() {
            continue;
        }
        let copied = if root_frame_too {
            stack.in_stack(n.addr())
        } else {
            stack.is_volatile(n.addr())
        };
        if !copied {
            continue;
        }
        let words = match n.as_cell() {
            Some(c) => {
                todo.push(c.head());
                todo.push(c.tail());
                3
            }
            None => n.as_atom().map_or(1, |a| a.words().len() + 1),
        };
        if words > budget {
            return false;
        }
        budget -= words;
    }
    true
}

/// Deep-copy the parts of `n` that are volatile (on the NockStack above the root frame) into `dest`, leaving the stack
/// untouched (sharing is kept through the `seen` table rather than forwarding pointers, because the stack nouns are
/// still in use). Nouns in the root frame (unless `root_frame_too`) or outside the stack are referenced, not copied:
/// whoever collects those must clear the cache.
pub fn copy_out<A: Alloc + ?Sized>(
    stack: &NockStack,
    dest: &mut A,
    n: Noun,
    seen: &mut HashMap<u64, Noun>,
    root_frame_too: bool,
) -> Result<Noun, Oom> {
    let volatile = |a: u64| {
        if root_frame_too {
            stack.in_stack(a)
        } else {
            stack.is_volatile(a)
        }
    };
    copy_selected(dest, n, seen, volatile)
}

#[cfg(test)]
mod tests {
    use super::MemoCache;
    use crate::noun::{D, T};
    use crate::stack::NockStack;

    #[test]
    fn the_entry_bound_starts_the_cache_over() {
        let mut stack = NockStack::new(1 << 20).unwrap();
        let mut cache = MemoCache::new(50);
        cache.set_limit(2);
        for i in 0..3 {
            let key = T(&mut stack, &[D(i), D(i + 1)]).unwrap();
            cache.insert(&stack, key, D(i)).unwrap();
            assert!(cache.len() <= 2, "{}", cache.len());
        }
        let key = T(&mut stack, &[D(2), D(3)]).unwrap();
        assert_eq!(cache.get(&mut stack, key).unwrap(), Some(D(2)));
        cache.set_limit(0);
        let key = T(&mut stack, &[D(9), D(9)]).unwrap();
        cache.insert(&stack, key, D(9)).unwrap();
        assert_eq!(cache.get(&mut stack, key).unwrap(), None);
    }
}
