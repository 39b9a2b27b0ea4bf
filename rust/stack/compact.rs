//! In-place compaction of a frame's allocations (mark, then slide): what a major collection uses, because it needs
//! no second copy of what is live. Copying collection (preserve, minor collections) needs room for a copy of
//! everything it keeps, which for a frame holding a whole kernel under construction doubled the memory in use at
//! every major collection.
//!
//! 1. Mark: every object reachable from the roots within the range gets a bit at its first word in `starts` (and in
//!    `cells` if it is a cell), and every word it occupies a bit in `live`.
//! 2. Objects slide toward the frame's allocation base, keeping their order, so an object's new address is the base
//!    plus (or minus) the live words between it and the base: a prefix count per 64-word block plus a popcount.
//! 3. Pointers are rewritten (roots, then the fields of live cells, in place), then objects are moved in the order
//!    that never overwrites one that has not moved yet.

use super::Roots;
use crate::noun::{Noun, ATOM_HEADER_WORDS, CELL_WORDS};

/// One bit per word of the range.
struct Bits(Vec<u64>);

impl Bits {
    fn new(words: usize) -> Bits {
        Bits(vec![0; words.div_ceil(64)])
    }

    #[inline(always)]
    fn get(&self, i: usize) -> bool {
        self.0[i / 64] >> (i % 64) & 1 == 1
    }

    #[inline(always)]
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    /// Set bits `i .. i + n`.
    fn set_run(&mut self, i: usize, n: usize) {
        let (mut i, end) = (i, i + n);
        while i < end {
            let bit = i % 64;
            let take = (64 - bit).min(end - i);
            let mask = if take == 64 {
                u64::MAX
            } else {
                ((1u64 << take) - 1) << bit
            };
            self.0[i / 64] |= mask;
            i += take;
        }
    }
}

/// Where each live object goes: compaction toward the low end (`lo`) or toward the high end (`hi`).
struct Plan {
    lo: u64,
    hi: u64,
    toward_hi: bool,
    live: Bits,
    /// Live words in the blocks before each 64-word block.
    before: Vec<u64>,
    total: u64,
}

impl Plan {
    /// Live words before word `i` of the range.
    #[inline(always)]
    fn live_before(&self, i: usize) -> u64 {
        let block = self.live.0[i / 64] & ((1u64 << (i % 64)) - 1);
        self.before[i / 64] + block.count_ones() as u64
    }

    /// The new address of the live object that starts at `addr`.
    #[inline(always)]
    fn new_addr(&self, addr: u64) -> u64 {
        let i = ((addr - self.lo) / 8) as usize;
        if self.toward_hi {
            self.hi - 8 * (self.total - self.live_before(i))
        } else {
            self.lo + 8 * self.live_before(i)
        }
    }

    /// `slot`'s new value if it points into the range.
    #[inline(always)]
    fn update(&self, slot: &mut Noun) {
        let n = *slot;
        if n.is_allocated() && n.addr() >= self.lo && n.addr() < self.hi {
            *slot = n.with_addr(self.new_addr(n.addr()));
        }
    }
}

/// The words an object takes (its header read in place).
///
/// # Safety
/// `n` is an allocated noun pointing at a live object.
#[inline(always)]
unsafe fn object_words(n: Noun) -> usize {
    if n.is_cell() {
        CELL_WORDS
    } else {
        ATOM_HEADER_WORDS + *(n.addr() as *const u64).add(1) as usize
    }
}

/// Compact the objects in `[lo, hi)` reachable from `roots`, sliding them toward `hi` (`toward_hi`) or `lo`, and
/// rewrite the roots. Returns the new boundary of the occupied part: its lowest address when compacting toward
/// `hi`, one past its highest when compacting toward `lo`; and the live words kept.
///
/// Objects in the range must be well formed (a reachable object's words all lie in the range) and nothing outside
/// the range may point into it except through `roots` (the NockStack's frame discipline: older memory never points
/// at a younger frame's).
pub(super) fn compact<R: Roots + ?Sized>(
    lo: u64,
    hi: u64,
    toward_hi: bool,
    roots: &mut R,
    work: &mut Vec<Noun>,
) -> (u64, u64) {
    let words = ((hi - lo) / 8) as usize;
    let mut starts = Bits::new(words);
    let mut cells = Bits::new(words);
    let mut live = Bits::new(words);
    let in_range = |n: Noun| n.is_allocated() && n.addr() >= lo && n.addr() < hi;
    // 1. Mark.
    work.clear();
    let mut mark = |n: Noun, work: &mut Vec<Noun>| {
        if !in_range(n) {
            return;
        }
        let i = ((n.addr() - lo) / 8) as usize;
        if starts.get(i) {
            return;
        }
        starts.set(i);
        // SAFETY: a reachable noun in the range points at a live object.
        live.set_run(i, unsafe { object_words(n) });
        if n.is_cell() {
            cells.set(i);
            work.push(n);
        }
    };
    roots.for_each_root(&mut |slot| mark(*slot, work));
    while let Some(n) = work.pop() {
        let c = n.as_cell().expect("marked cells are cells");
        mark(c.head(), work);
        mark(c.tail(), work);
    }
    // 2. Plan.
    let mut before = Vec::with_capacity(live.0.len());
    let mut total = 0u64;
    for w in &live.0 {
        before.push(total);
        total += w.count_ones() as u64;
    }
    let plan = Plan {
        lo,
        hi,
        toward_hi,
        live,
        before,
        total,
    };
    // 3. Rewrite the roots, then the fields of every live cell (still at its old address).
    roots.for_each_root(&mut |slot| plan.update(slot));
    for (b, &w) in cells.0.iter().enumerate() {
        let mut w = w;
        while w != 0 {
            let i = b * 64 + w.trailing_zeros() as usize;
            w &= w - 1;
            let p = (lo + 8 * i as u64) as *mut Noun;
            // SAFETY: a cell object of three words starts at word `i` (marked above); its fields are words 1 and 2.
            unsafe {
                plan.update(&mut *p.add(1));
                plan.update(&mut *p.add(2));
            }
        }
    }
    // 4. Move, in the order in which no object lands on one that has not moved yet.
    let move_object = |i: usize| {
        let from = lo + 8 * i as u64;
        let to = plan.new_addr(from);
        let n = if cells.get(i) {
            CELL_WORDS
        } else {
            // SAFETY: an atom object starts at word `i`; its length word has not been overwritten (everything moved
            // so far went to addresses on the other side of it).
            ATOM_HEADER_WORDS + unsafe { *((from + 8) as *const u64) } as usize
        };
        if to != from {
            // SAFETY: both ranges lie in `[lo, hi)`; `copy` handles the overlap of a short slide.
            unsafe { std::ptr::copy(from as *const u64, to as *mut u64, n) };
        }
    };
    if toward_hi {
        for (b, &w) in starts.0.iter().enumerate().rev() {
            let mut w = w;
            while w != 0 {
                let top = 63 - w.leading_zeros() as usize;
                w &= !(1u64 << top);
                move_object(b * 64 + top);
            }
        }
        (hi - 8 * plan.total, plan.total)
    } else {
        for (b, &w) in starts.0.iter().enumerate() {
            let mut w = w;
            while w != 0 {
                let i = w.trailing_zeros() as usize;
                w &= w - 1;
                move_object(b * 64 + i);
            }
        }
        (lo + 8 * plan.total, plan.total)
    }
}
