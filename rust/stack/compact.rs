//! In-place compaction of a frame's allocations (mark, then slide): what a major collection uses, because it needs
//! no second copy of what is live. Copying collection (preserve, minor collections) needs room for a copy of
//! everything it keeps, which for a frame holding a whole kernel under construction doubled the memory in use at
//! every major collection.
//!
//! 1. Mark: every object reachable from the roots within the range gets a bit at its first word in `starts`, and in
//!    `cells` if it is a cell.
//! 2. Objects slide toward the frame's allocation base, keeping their order, so an object's new address is the base
//!    plus (or minus) the words of the live objects between it and the base: a prefix count per 64-word block, plus
//!    the objects that start earlier in its own block (three words per cell, a popcount; atoms read their length).
//! 3. Pointers are rewritten (roots, then the fields of live cells, in place), then objects are moved in order, each
//!    to where the previous one ended, which never overwrites one that has not moved yet.
//!
//! The side tables are what the compaction costs in memory at its peak (it runs when a frame is at its largest):
//! two bits per word, and a 32-bit prefix per 64-word block with a 64-bit one per 2^22 words (an earlier layout with a
//! bit per live word and 64-bit prefixes took four bits per word, 12 MB when a boot compacted its 190 MB frame).

use super::bits::Bits;
use super::Roots;
use crate::noun::{Noun, ATOM_HEADER_WORDS, CELL_WORDS};

/// Blocks (of 64 words) per super block, whose prefix is kept in 64 bits; within it, 32 bits suffice.
const SUPER_BLOCKS: usize = 1 << 16;

/// Where each live object goes: compaction toward the low end (`lo`) or toward the high end (`hi`).
struct Plan<'a> {
    lo: u64,
    hi: u64,
    toward_hi: bool,
    starts: &'a Bits,
    cells: &'a Bits,
    /// Live words of the objects that start before each super block.
    before_super: Vec<u64>,
    /// Live words of the objects that start before each 64-word block, from the start of its super block.
    before_block: Vec<u32>,
    total: u64,
}

impl<'a> Plan<'a> {
    /// Count the live words before every block. Atom headers must still be in place.
    fn new(lo: u64, hi: u64, toward_hi: bool, starts: &'a Bits, cells: &'a Bits) -> Plan<'a> {
        let blocks = starts.words().len();
        let mut before_super = Vec::with_capacity(blocks.div_ceil(SUPER_BLOCKS));
        let mut before_block = Vec::with_capacity(blocks);
        let mut total = 0u64;
        for b in 0..blocks {
            if b % SUPER_BLOCKS == 0 {
                before_super.push(total);
            }
            before_block.push((total - before_super[b / SUPER_BLOCKS]) as u32);
            total += block_words(lo, starts, cells, b, u64::MAX);
        }
        Plan {
            lo,
            hi,
            toward_hi,
            starts,
            cells,
            before_super,
            before_block,
            total,
        }
    }

    /// Live words before word `i` of the range (the start of a live object).
    #[inline(always)]
    fn live_before(&self, i: usize) -> u64 {
        let b = i / 64;
        self.before_super[b / SUPER_BLOCKS]
            + self.before_block[b] as u64
            + block_words(self.lo, self.starts, self.cells, b, (1u64 << (i % 64)) - 1)
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

/// The words of the live atom that starts at word `i` of the range at `lo`, from its header.
///
/// # Safety
/// A live atom starts at word `i`, and its length word (its second) has not been overwritten.
#[inline(always)]
unsafe fn atom_words_at(lo: u64, i: usize) -> usize {
    ATOM_HEADER_WORDS + *((lo + 8 * i as u64 + 8) as *const u64) as usize
}

/// The words of the live object that starts at word `i` of the range at `lo`: a cell's, or an atom's from its header.
///
/// # Safety
/// As for [`atom_words_at`] when the object at word `i` is an atom.
#[inline(always)]
unsafe fn object_words_at(lo: u64, cells: &Bits, i: usize) -> usize {
    if cells.get(i) {
        CELL_WORDS
    } else {
        atom_words_at(lo, i)
    }
}

/// Words of the live objects that start in block `b` at the words selected by `mask`. Atom headers must be in place.
#[inline(always)]
fn block_words(lo: u64, starts: &Bits, cells: &Bits, b: usize, mask: u64) -> u64 {
    let cell_bits = cells.words()[b] & mask;
    let mut atoms = starts.words()[b] & !cells.words()[b] & mask;
    let mut words = CELL_WORDS as u64 * cell_bits.count_ones() as u64;
    while atoms != 0 {
        let i = b * 64 + atoms.trailing_zeros() as usize;
        atoms &= atoms - 1;
        // SAFETY: a live atom starts at word `i` (marked in `starts`), and the plan is made before anything moves.
        words += unsafe { atom_words_at(lo, i) } as u64;
    }
    words
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
    let in_range = |n: Noun| n.is_allocated() && n.addr() >= lo && n.addr() < hi;
    // 1. Mark. A cell's tail is pushed before its head, so a list waits on one entry while its items are marked.
    work.clear();
    let mut mark = |n: Noun, work: &mut Vec<Noun>| {
        if !in_range(n) {
            return;
        }
        let i = ((n.addr() - lo) / 8) as usize;
        if !starts.insert(i) {
            return;
        }
        if n.is_cell() {
            cells.set(i);
            work.push(n);
        }
    };
    roots.for_each_root(&mut |slot| mark(*slot, work));
    while let Some(n) = work.pop() {
        let c = n.as_cell().expect("marked cells are cells");
        mark(c.tail(), work);
        mark(c.head(), work);
    }
    // 2. Plan.
    let plan = Plan::new(lo, hi, toward_hi, &starts, &cells);
    // 3. Rewrite the roots, then the fields of every live cell (still at its old address).
    roots.for_each_root(&mut |slot| plan.update(slot));
    for (b, &w) in cells.words().iter().enumerate() {
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
    let total = plan.total;
    drop(plan);
    // 4. Move, in order, each object to where the one before it (in the direction of the slide) ended.
    // SAFETY: a live object starts at word `i`; an atom's length word has not been overwritten (everything moved so
    // far went to addresses on the other side of it).
    let size = |i: usize| unsafe { object_words_at(lo, &cells, i) };
    let move_object = |i: usize, to: u64, n: usize| {
        let from = lo + 8 * i as u64;
        if to != from {
            // SAFETY: both ranges lie in `[lo, hi)`; `copy` handles the overlap of a short slide.
            unsafe { std::ptr::copy(from as *const u64, to as *mut u64, n) };
        }
    };
    if toward_hi {
        let mut cursor = hi;
        for (b, &w) in starts.words().iter().enumerate().rev() {
            let mut w = w;
            while w != 0 {
                let top = 63 - w.leading_zeros() as usize;
                w &= !(1u64 << top);
                let i = b * 64 + top;
                let n = size(i);
                cursor -= 8 * n as u64;
                move_object(i, cursor, n);
            }
        }
        debug_assert_eq!(cursor, hi - 8 * total);
        (cursor, total)
    } else {
        let mut cursor = lo;
        for (b, &w) in starts.words().iter().enumerate() {
            let mut w = w;
            while w != 0 {
                let i = b * 64 + w.trailing_zeros() as usize;
                w &= w - 1;
                let n = size(i);
                move_object(i, cursor, n);
                cursor += 8 * n as u64;
            }
        }
        debug_assert_eq!(cursor, lo + 8 * total);
        (cursor, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Prefix counts past a super block's end (2^22 words): the plan of a sparse range of cells only (which the plan
    /// never reads from memory) agrees with counting the cells before each start.
    #[test]
    fn live_words_are_counted_across_super_blocks() {
        let words = SUPER_BLOCKS * 64 * 2 + 640;
        let (mut starts, mut cells) = (Bits::new(words), Bits::new(words));
        let marked: Vec<usize> = (0..words - 3).step_by(4099).collect();
        for &i in &marked {
            starts.set(i);
            cells.set(i);
        }
        let lo = 0x1000_0000u64;
        let hi = lo + 8 * words as u64;
        for toward_hi in [false, true] {
            let plan = Plan::new(lo, hi, toward_hi, &starts, &cells);
            assert_eq!(plan.total, 3 * marked.len() as u64);
            for (k, &i) in marked.iter().enumerate() {
                assert_eq!(plan.live_before(i), 3 * k as u64, "word {i}");
                let expect = if toward_hi {
                    hi - 8 * (plan.total - 3 * k as u64)
                } else {
                    lo + 8 * 3 * k as u64
                };
                assert_eq!(plan.new_addr(lo + 8 * i as u64), expect);
            }
        }
    }
}
