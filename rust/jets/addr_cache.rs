//! A direct-mapped cache from noun addresses to small values (a battery's or a core's location index), for the jet
//! dashboard's hot path: a kick whose battery or parent core was matched before skips the structural comparison and
//! the walk up the parent chain.
//!
//! An address is only trusted while the memory behind it is known not to have changed: on the NockStack, while the
//! frame that holds it has been neither collected, popped nor restored since the entry was made
//! ([`NockStack::ptr_stamp_of`]); elsewhere (the persistent arena), until the owner calls [`AddrCache::forget_far`],
//! which it must do whenever such memory is collected or moved.

use crate::stack::NockStack;
use std::cell::Cell;

/// Entries (a power of two).
const SLOTS: usize = 1 << 13;

/// `depth` of an entry for an address outside the NockStack.
const FAR: u32 = u32::MAX;

#[derive(Copy, Clone, Default)]
struct Slot {
    /// The noun's raw word (0: empty).
    raw: u64,
    value: u32,
    /// The depth of the frame holding the noun, or [`FAR`].
    depth: u32,
    /// The stack clock when the entry was made, or the far epoch for far entries.
    t: u64,
}

pub struct AddrCache {
    slots: Box<[Cell<Slot>]>,
    far_epoch: Cell<u64>,
}

impl Default for AddrCache {
    fn default() -> AddrCache {
        AddrCache {
            slots: (0..SLOTS).map(|_| Cell::new(Slot::default())).collect(),
            far_epoch: Cell::new(1),
        }
    }
}

#[inline(always)]
fn index(raw: u64) -> usize {
    (((raw >> 3) ^ (raw >> 16)) as usize) & (SLOTS - 1)
}

impl AddrCache {
    /// The value remembered for the noun `raw`, if its memory is known unchanged since.
    #[inline]
    pub fn get(&self, stack: &NockStack, raw: u64) -> Option<u32> {
        let s = self.slots[index(raw)].get();
        if s.raw != raw || raw == 0 {
            return None;
        }
        let valid = if s.depth == FAR {
            s.t == self.far_epoch.get()
        } else {
            stack.ptr_stamp_valid(s.depth as usize, s.t)
        };
        valid.then_some(s.value)
    }

    /// Remember `value` for the noun `raw` (an allocated noun), replacing whatever shared its slot.
    pub fn put(&self, stack: &NockStack, raw: u64, value: u32) {
        let addr = raw & !(0b11 << 62);
        let (depth, t) = if stack.in_stack(addr) {
            let (d, t) = stack.ptr_stamp_of(addr);
            (d as u32, t)
        } else {
            (FAR, self.far_epoch.get())
        };
        self.slots[index(raw)].set(Slot {
            raw,
            value,
            depth,
            t,
        });
    }

    /// Forget every entry for an address outside the NockStack (that memory was collected or moved).
    pub fn forget_far(&self) {
        self.far_epoch.set(self.far_epoch.get() + 1);
    }

    /// Forget everything.
    pub fn clear(&self) {
        for s in self.slots.iter() {
            s.set(Slot::default());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noun::{D, T};

    #[test]
    fn entries_die_with_the_memory_they_describe() {
        let mut stack = NockStack::new(1 << 20).unwrap();
        let cache = AddrCache::default();
        let root = T(&mut stack, &[D(1), D(2)]).unwrap();
        stack.push_frame().unwrap();
        let young = T(&mut stack, &[D(3), D(4)]).unwrap();
        cache.put(&stack, root.raw(), 7);
        cache.put(&stack, young.raw(), 8);
        assert_eq!(cache.get(&stack, root.raw()), Some(7));
        assert_eq!(cache.get(&stack, young.raw()), Some(8));
        // Popping the frame kills the young entry, not the root-frame one.
        stack.pop_frame();
        assert_eq!(cache.get(&stack, young.raw()), None);
        assert_eq!(cache.get(&stack, root.raw()), Some(7));
        // Collecting the root frame kills the rest.
        stack.collect_top(&mut ()).unwrap();
        assert_eq!(cache.get(&stack, root.raw()), None);
        // Far entries live until forgotten.
        let mut heap = crate::noun::HeapAlloc::new();
        let far = T(&mut heap, &[D(5), D(6)]).unwrap();
        cache.put(&stack, far.raw(), 9);
        assert_eq!(cache.get(&stack, far.raw()), Some(9));
        cache.forget_far();
        assert_eq!(cache.get(&stack, far.raw()), None);
    }
}
