//! The NockStack: one memory region holding two stacks that grow toward each other.
//!
//! Every frame has a *stack area* (work items, saved registers) and an *allocation area*, at opposite ends of the
//! free gap its parent left. A child frame is placed inside its parent's gap with the opposite orientation: its stack
//! starts where the parent's allocations end, and its allocations start where the parent's stack ends.
//!
//! ```text
//!  west frame:  [ stack → ........ free gap ........ ← allocations ]
//!  east child:  [ parent stack | child allocs → ... ← child stack | parent allocs ]
//! ```
//!
//! Popping a frame frees all its allocations at once; nouns that must survive are first copied into the parent's
//! allocation area by [`NockStack::pop_preserving`] (forwarding pointers keep shared structure shared). The top frame
//! can also be *collected* in place ([`NockStack::collect_top`]), which lets a long-running frame (a tail-call loop)
//! run in constant space. Exhaustion is an error ([`Oom`]), never an abort.

mod bits;
mod compact;
mod copy;
mod extract;

pub(crate) use bits::Bits;
pub use copy::Roots;
pub use extract::{extract, ExtractStats};

use crate::noun::{Alloc, Noun, Oom};
use std::ptr::NonNull;

/// Words of saved parent registers at the base of every frame's stack area.
const FRAME_HEADER_WORDS: usize = 4;

/// Default size of the NockStack in bytes.
pub const DEFAULT_STACK_BYTES: usize = 4 << 30;

/// The registers describing the current frame; also what a checkpoint restores.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Base of the stack area (west: lowest word; east: one past the highest word).
    fp: *mut u64,
    /// Stack pointer (west: next free word; east: lowest used word).
    sp: *mut u64,
    /// Allocation pointer (west: lowest allocated word; east: next free word).
    ap: *mut u64,
    /// Where the allocation area starts (west: one past its highest word; east: its lowest word).
    alloc_base: *mut u64,
    west: bool,
    depth: usize,
}

/// The two-stack arena in which events are computed.
pub struct NockStack {
    start: *mut u64,
    words: usize,
    f: Checkpoint,
    /// Scratch space for the copier's pending slots, kept to avoid allocating on every pop.
    scratch: Vec<*mut Noun>,
    /// Deepest the free gap has been, in words (for `--stats`).
    low_water: usize,
    /// The root frame's allocation pointer while frames are pushed above it (the root frame allocates only when it is
    /// the top frame, so this is fixed for the duration of a computation).
    root_ap: *mut u64,
    /// The pinned root: a noun (the jets' memo trie) that every preserving pop and in-place collection keeps as a root,
    /// whatever the caller's own roots are. A pop or restore that discards the memory it lives in drops it (to 0):
    /// pinned data can be lost, never left dangling.
    pinned: Noun,
    /// Per frame depth: the clock reading when that frame was created or last had its memory moved or freed
    /// (collection, restore, clearing). See [`NockStack::ptr_stamp`].
    stamps: Vec<u64>,
    /// A counter ticked at every such event.
    clock: u64,
    /// The lowest and highest addresses of the free gap that may hold touched pages: the gap's ends have been at most
    /// this far into it since its pages were last given back ([`NockStack::release_free_pages`]).
    touched_lo: u64,
    touched_hi: u64,
    /// Words copied by collections and preserving pops so far (for statistics).
    pub copied_words: u64,
}

/// Bytes at each end of the free gap kept mapped when its pages are given back: where the next allocations and work
/// items go.
const RELEASE_MARGIN_BYTES: u64 = 1 << 20;
/// Touched bytes in the free gap beyond the margins that make a large pop give pages back.
const RELEASE_AFTER_POP_BYTES: u64 = 32 << 20;

impl Drop for NockStack {
    fn drop(&mut self) {
        // SAFETY: `start` and `words` describe the mapping made in `new`, unmapped exactly once here.
        unsafe {
            libc::munmap(self.start as *mut libc::c_void, self.words * 8);
        }
    }
}

impl NockStack {
    /// Reserve a stack of `bytes` (rounded down to whole words). Memory is committed lazily by the OS.
    pub fn new(bytes: usize) -> std::io::Result<NockStack> {
        let words = (bytes / 8).max(1024);
        // SAFETY: an anonymous private mapping with no fixed address; the result is checked for MAP_FAILED.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                words * 8,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        let start = p as *mut u64;
        // SAFETY: `start + words` is one past the end of the mapping.
        let end = unsafe { start.add(words) };
        let mut stack = NockStack {
            start,
            words,
            f: Checkpoint {
                fp: start,
                sp: start,
                ap: end,
                alloc_base: end,
                west: true,
                depth: 0,
            },
            scratch: Vec::with_capacity(1024),
            low_water: words,
            root_ap: end,
            pinned: Noun::ZERO,
            stamps: vec![0],
            clock: 0,
            touched_lo: start as u64,
            touched_hi: end as u64,
            copied_words: 0,
        };
        // The root frame's header holds null registers: popping the root frame is refused.
        // SAFETY: the mapping is at least 1024 words, so the header fits.
        unsafe {
            for i in 0..FRAME_HEADER_WORDS {
                *start.add(i) = 0;
            }
            stack.f.sp = start.add(FRAME_HEADER_WORDS);
        }
        Ok(stack)
    }

    /// Total size in bytes.
    pub fn size_bytes(&self) -> usize {
        self.words * 8
    }

    /// Number of frames above the root frame.
    pub fn depth(&self) -> usize {
        self.f.depth
    }

    /// Free words between the current frame's stack and its allocations.
    #[inline(always)]
    pub fn free_words(&self) -> usize {
        if self.f.west {
            (self.f.ap as usize - self.f.sp as usize) / 8
        } else {
            (self.f.sp as usize - self.f.ap as usize) / 8
        }
    }

    /// Peak use so far, in bytes (size minus the smallest free gap seen at frame pushes and collections).
    pub fn peak_bytes(&self) -> usize {
        (self.words - self.low_water.min(self.free_words())) * 8
    }

    fn note_low_water(&mut self) {
        let free = self.free_words();
        if free < self.low_water {
            self.low_water = free;
        }
        let (lo, hi) = self.gap();
        self.touched_lo = self.touched_lo.max(lo);
        self.touched_hi = self.touched_hi.min(hi);
    }

    /// The free gap between the current frame's stack and its allocations, as an address range.
    #[inline]
    fn gap(&self) -> (u64, u64) {
        let (a, b) = (self.f.sp as u64, self.f.ap as u64);
        (a.min(b), a.max(b))
    }

    /// Bytes of the stack's memory that are resident (for memory reports; asks the kernel about every page).
    pub fn resident_bytes(&self) -> u64 {
        const PAGE: usize = 4096;
        let pages = (self.words * 8).div_ceil(PAGE);
        let mut v = vec![0u8; pages];
        // SAFETY: `start` is page-aligned (mmap) and the range is our own mapping; `v` has one byte per page.
        let r = unsafe {
            libc::mincore(
                self.start as *mut libc::c_void,
                self.words * 8,
                v.as_mut_ptr(),
            )
        };
        if r != 0 {
            return 0;
        }
        v.iter().filter(|&&b| b & 1 == 1).count() as u64 * PAGE as u64
    }

    /// Bytes of the free gap that may be resident although nothing uses them (beyond the margins).
    pub fn releasable_bytes(&self) -> u64 {
        let (lo, hi) = self.gap();
        let west = self.touched_lo.saturating_sub(lo + RELEASE_MARGIN_BYTES);
        let east = (hi.saturating_sub(RELEASE_MARGIN_BYTES)).saturating_sub(self.touched_hi);
        west + east
    }

    /// Give the free gap's pages back to the OS, all but a margin at each end, so that resident memory falls to what
    /// is in use after a large pop or a major collection (the pages come back zeroed when touched again).
    pub fn release_free_pages(&mut self) {
        self.note_low_water();
        let (lo, hi) = self.gap();
        const PAGE: u64 = 4096;
        let west_from = (lo + RELEASE_MARGIN_BYTES).next_multiple_of(PAGE);
        let east_to = hi.saturating_sub(RELEASE_MARGIN_BYTES) & !(PAGE - 1);
        if west_from >= east_to {
            return;
        }
        let advise = |from: u64, to: u64| {
            // madvise wants a page-aligned start; the end may be anywhere (the last page is included).
            let from = from.next_multiple_of(PAGE);
            if to > from {
                // SAFETY: [from, to) lies inside the free gap of our own mapping (between the current frame's stack
                // and allocation pointers, minus margins): no live noun or work item is in it, so discarding its
                // contents is harmless; the mapping stays valid and reads back as zero.
                let r = unsafe {
                    libc::madvise(
                        from as *mut libc::c_void,
                        (to - from) as usize,
                        libc::MADV_DONTNEED,
                    )
                };
                debug_assert_eq!(r, 0, "madvise: {}", std::io::Error::last_os_error());
            }
        };
        advise(west_from, self.touched_lo.min(east_to));
        advise(self.touched_hi.max(west_from), east_to);
        self.touched_lo = west_from;
        self.touched_hi = east_to;
    }

    /// After a pop: give pages back if the popped frames had touched much more than what is now in use.
    fn release_after_pop(&mut self) {
        if self.releasable_bytes() > RELEASE_AFTER_POP_BYTES {
            self.release_free_pages();
        }
    }

    /// Words allocated in the current frame.
    #[inline]
    pub fn frame_alloc_words(&self) -> usize {
        if self.f.west {
            (self.f.alloc_base as usize - self.f.ap as usize) / 8
        } else {
            (self.f.ap as usize - self.f.alloc_base as usize) / 8
        }
    }

    /// True if `addr` lies in the current frame's allocation area.
    #[inline(always)]
    pub fn in_frame(&self, addr: u64) -> bool {
        let (lo, hi) = self.frame_alloc_range();
        addr >= lo && addr < hi
    }

    /// The index of the word at `addr` in the stack's memory, if it lies there (for maps with a bit per word).
    #[inline(always)]
    pub fn word_index(&self, addr: u64) -> Option<usize> {
        self.in_stack(addr)
            .then(|| ((addr - self.start as u64) / 8) as usize)
    }

    /// True if `addr` lies anywhere in the stack's memory.
    #[inline(always)]
    pub fn in_stack(&self, addr: u64) -> bool {
        let lo = self.start as u64;
        addr >= lo && addr < lo + (self.words as u64) * 8
    }

    #[inline(always)]
    fn frame_alloc_range(&self) -> (u64, u64) {
        if self.f.west {
            (self.f.ap as u64, self.f.alloc_base as u64)
        } else {
            (self.f.alloc_base as u64, self.f.ap as u64)
        }
    }

    /// Save the current registers so that a failed computation can be abandoned with [`NockStack::restore`].
    pub fn checkpoint(&self) -> Checkpoint {
        self.f
    }

    /// Return to a checkpoint taken in this frame or an enclosing one, dropping everything pushed or allocated since.
    /// Used after a bail: whatever the failed computation left (frames, half-copied nouns) is simply forgotten.
    pub fn restore(&mut self, cp: Checkpoint) {
        self.note_low_water();
        self.f = cp;
        self.disturb_top();
        self.drop_pinned_if_dead();
    }

    /// A stamp for an address seen now: (current depth, clock). While [`NockStack::ptr_stamp_valid`] holds for it,
    /// every object that was allocated at that address when the stamp was taken (in the current frame or below) is
    /// still there, unmoved. This lets caches keyed by stack address (the jet dashboard's) avoid structural
    /// comparisons without ever trusting a stale address.
    pub fn ptr_stamp(&self) -> (usize, u64) {
        (self.f.depth, self.clock)
    }

    /// A stamp for the object at `addr`: the depth of the frame whose allocations hold it (so that popping frames
    /// above it does not invalidate the stamp), or the current depth if it is in no frame's allocations.
    pub fn ptr_stamp_of(&self, addr: u64) -> (usize, u64) {
        (
            self.frame_depth_of(addr).unwrap_or(self.f.depth),
            self.clock,
        )
    }

    /// The depth of the frame whose allocation area holds `addr` (`None` if no live frame's allocations do).
    pub fn frame_depth_of(&self, addr: u64) -> Option<usize> {
        let mut f = self.f;
        loop {
            let (lo, hi) = if f.west {
                (f.ap as u64, f.alloc_base as u64)
            } else {
                (f.alloc_base as u64, f.ap as u64)
            };
            if addr >= lo && addr < hi {
                return Some(f.depth);
            }
            if f.depth == 0 {
                return None;
            }
            f = self.registers_above(f);
        }
    }

    /// Is a stamp from [`NockStack::ptr_stamp`] still good? A frame at or below its depth being popped, collected,
    /// restored or cleared since, invalidates it (popping any frame below it pops it too, and its replacement gets a
    /// newer creation stamp).
    pub fn ptr_stamp_valid(&self, depth: usize, t: u64) -> bool {
        depth <= self.f.depth && self.stamps[depth] <= t
    }

    /// Record that the top frame's memory moved or was freed.
    fn disturb_top(&mut self) {
        self.clock += 1;
        let d = self.f.depth;
        if self.stamps.len() <= d {
            self.stamps.resize(d + 1, 0);
        }
        self.stamps[d] = self.clock;
    }

    /// The pinned root (0 if none).
    pub fn pinned(&self) -> Noun {
        self.pinned
    }

    /// Set the pinned root. It must be a noun in a live frame (or outside the stack); from now on it is kept by every
    /// preserving pop and collection.
    pub fn set_pinned(&mut self, n: Noun) {
        self.pinned = n;
    }

    /// Forget the pinned root if its memory is no longer allocated in any frame (after a pop that did not preserve it,
    /// a restore, or clearing a frame). Nouns a pinned root reaches were all allocated before it in bump order, so the
    /// root's own object being live means they are too.
    fn drop_pinned_if_dead(&mut self) {
        let addr = match self.pinned.as_cell() {
            Some(c) => c.as_noun().addr(),
            None => match self.pinned.as_atom().filter(|a| a.as_direct().is_none()) {
                Some(a) => a.as_noun().addr(),
                None => return,
            },
        };
        if !self.in_stack(addr) || self.frame_depth_of(addr).is_some() {
            return;
        }
        self.pinned = Noun::ZERO;
    }

    /// Free everything allocated in the current frame (the caller guarantees nothing still refers to it, e.g. after
    /// the state was extracted into the persistent arena).
    pub fn clear_frame_allocations(&mut self) {
        self.note_low_water();
        self.f.ap = self.f.alloc_base;
        self.disturb_top();
        self.drop_pinned_if_dead();
        self.release_after_pop();
    }

    /// Push a word onto the current frame's stack area.
    #[inline(always)]
    pub fn push(&mut self, w: u64) -> Result<(), Oom> {
        // SAFETY: bounds are checked against the allocation pointer before writing; the region is our mapping.
        unsafe {
            if self.f.west {
                if self.f.sp >= self.f.ap {
                    return Err(Oom);
                }
                *self.f.sp = w;
                self.f.sp = self.f.sp.add(1);
            } else {
                if self.f.sp <= self.f.ap {
                    return Err(Oom);
                }
                self.f.sp = self.f.sp.sub(1);
                *self.f.sp = w;
            }
        }
        Ok(())
    }

    /// Push several words with one bounds check (the last word ends up on top).
    #[inline(always)]
    pub fn push_all<const N: usize>(&mut self, words: [u64; N]) -> Result<(), Oom> {
        // SAFETY: the free gap is checked to hold N words before any is written.
        unsafe {
            if self.f.west {
                if (self.f.ap as usize - self.f.sp as usize) / 8 < N {
                    return Err(Oom);
                }
                for (i, w) in words.into_iter().enumerate() {
                    *self.f.sp.add(i) = w;
                }
                self.f.sp = self.f.sp.add(N);
            } else {
                if (self.f.sp as usize - self.f.ap as usize) / 8 < N {
                    return Err(Oom);
                }
                self.f.sp = self.f.sp.sub(N);
                for (i, w) in words.into_iter().enumerate() {
                    *self.f.sp.add(N - 1 - i) = w;
                }
            }
        }
        Ok(())
    }

    /// Pop `N` words (returned bottom first, so `pop_all::<2>()` of `push_all([a, b])` gives `[a, b]`).
    #[inline(always)]
    pub fn pop_all<const N: usize>(&mut self) -> [u64; N] {
        debug_assert!(self.stack_len() >= N);
        let mut out = [0u64; N];
        // SAFETY: the caller pushed at least N words in this frame.
        unsafe {
            if self.f.west {
                self.f.sp = self.f.sp.sub(N);
                for (i, o) in out.iter_mut().enumerate() {
                    *o = *self.f.sp.add(i);
                }
            } else {
                for (i, o) in out.iter_mut().enumerate() {
                    *o = *self.f.sp.add(N - 1 - i);
                }
                self.f.sp = self.f.sp.add(N);
            }
        }
        out
    }

    /// Number of words pushed on the current frame's stack area (excluding the frame header).
    #[inline(always)]
    pub fn stack_len(&self) -> usize {
        let n = if self.f.west {
            (self.f.sp as usize - self.f.fp as usize) / 8
        } else {
            (self.f.fp as usize - self.f.sp as usize) / 8
        };
        n - FRAME_HEADER_WORDS
    }

    /// Pop a word from the current frame's stack area. The caller must not pop more than it pushed.
    #[inline(always)]
    pub fn pop(&mut self) -> u64 {
        debug_assert!(self.stack_len() > 0);
        // SAFETY: the caller pushed this word in the current frame, so it is inside the frame's stack area.
        unsafe {
            if self.f.west {
                self.f.sp = self.f.sp.sub(1);
                *self.f.sp
            } else {
                let w = *self.f.sp;
                self.f.sp = self.f.sp.add(1);
                w
            }
        }
    }

    /// The `i`-th word from the top of the current frame's stack (0 = top).
    #[inline(always)]
    pub fn peek(&self, i: usize) -> u64 {
        debug_assert!(i < self.stack_len());
        // SAFETY: `i` is below the number of pushed words, so the address is inside the frame's stack area.
        unsafe {
            if self.f.west {
                *self.f.sp.sub(i + 1)
            } else {
                *self.f.sp.add(i)
            }
        }
    }

    /// Mutable access to the `i`-th word from the top.
    #[inline(always)]
    pub fn peek_mut(&mut self, i: usize) -> &mut u64 {
        debug_assert!(i < self.stack_len());
        // SAFETY: as in `peek`; the borrow of `self` keeps the frame from changing while the reference lives.
        unsafe {
            if self.f.west {
                &mut *self.f.sp.sub(i + 1)
            } else {
                &mut *self.f.sp.add(i)
            }
        }
    }

    /// Drop `n` words from the top of the current frame's stack.
    #[inline(always)]
    pub fn drop_words(&mut self, n: usize) {
        debug_assert!(n <= self.stack_len());
        // SAFETY: at most `stack_len` words are dropped, so sp stays inside the stack area.
        unsafe {
            if self.f.west {
                self.f.sp = self.f.sp.sub(n);
            } else {
                self.f.sp = self.f.sp.add(n);
            }
        }
    }

    /// The words pushed in the current frame (bottom first for west frames, top first for east frames), for root
    /// scanning.
    fn frame_stack_words(&mut self) -> &mut [u64] {
        // SAFETY: the range between the header and sp holds exactly the pushed words of the current frame.
        unsafe {
            if self.f.west {
                let base = self.f.fp.add(FRAME_HEADER_WORDS);
                std::slice::from_raw_parts_mut(base, self.f.sp.offset_from(base) as usize)
            } else {
                let top = self.f.fp.sub(FRAME_HEADER_WORDS);
                std::slice::from_raw_parts_mut(self.f.sp, top.offset_from(self.f.sp) as usize)
            }
        }
    }

    /// True if `addr` is on the stack above the root frame: memory of the running computation, which moves or
    /// disappears when frames are collected or popped. Nouns in the root frame (the serf's state between events) and
    /// nouns outside the stack are stable for the duration of a computation.
    #[inline]
    pub fn is_volatile(&self, addr: u64) -> bool {
        let root_ap = if self.f.depth == 0 {
            self.f.ap
        } else {
            self.root_ap
        };
        self.in_stack(addr) && addr < root_ap as u64
    }

    /// Push a new frame in the current frame's free gap.
    pub fn push_frame(&mut self) -> Result<(), Oom> {
        if self.free_words() < FRAME_HEADER_WORDS + 16 {
            return Err(Oom);
        }
        let parent = self.f;
        if parent.depth == 0 {
            self.root_ap = parent.ap;
        }
        // SAFETY: the header is written inside the parent's free gap, which was checked to be large enough.
        unsafe {
            let header = if parent.west {
                // east child: stack grows down from the parent's allocation pointer
                parent.ap.sub(FRAME_HEADER_WORDS)
            } else {
                parent.ap
            };
            *header = parent.fp as u64;
            *header.add(1) = parent.sp as u64;
            *header.add(2) = parent.ap as u64;
            *header.add(3) = parent.alloc_base as u64 | parent.west as u64;
            self.f = Checkpoint {
                fp: parent.ap,
                sp: if parent.west {
                    header
                } else {
                    header.add(FRAME_HEADER_WORDS)
                },
                ap: parent.sp,
                alloc_base: parent.sp,
                west: !parent.west,
                depth: parent.depth + 1,
            };
        }
        self.disturb_top();
        self.note_low_water();
        Ok(())
    }

    /// The parent's registers, read from the current frame's header.
    fn parent_registers(&self) -> Checkpoint {
        self.registers_above(self.f)
    }

    /// The registers of the frame below frame `f` (its parent), read from `f`'s header.
    fn registers_above(&self, f: Checkpoint) -> Checkpoint {
        assert!(f.depth > 0, "the root frame has no parent");
        // SAFETY: every non-root frame has a header written by `push_frame` at its stack base.
        unsafe {
            let header = if f.west {
                f.fp
            } else {
                f.fp.sub(FRAME_HEADER_WORDS)
            };
            let base_and_west = *header.add(3);
            Checkpoint {
                fp: *header as *mut u64,
                sp: *header.add(1) as *mut u64,
                ap: *header.add(2) as *mut u64,
                alloc_base: (base_and_west & !1) as *mut u64,
                west: base_and_west & 1 == 1,
                depth: f.depth - 1,
            }
        }
    }

    /// Per frame, top first: (depth, words allocated, words on its stack area).
    pub fn frame_usage(&self) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        let mut f = self.f;
        loop {
            let (alloc, stack) = if f.west {
                (
                    (f.alloc_base as usize - f.ap as usize) / 8,
                    (f.sp as usize - f.fp as usize) / 8,
                )
            } else {
                (
                    (f.ap as usize - f.alloc_base as usize) / 8,
                    (f.fp as usize - f.sp as usize) / 8,
                )
            };
            out.push((f.depth, alloc, stack));
            if f.depth == 0 {
                return out;
            }
            f = self.registers_above(f);
        }
    }

    /// Pop the current frame, discarding everything allocated in it.
    pub fn pop_frame(&mut self) {
        self.note_low_water();
        self.f = self.parent_registers();
        self.drop_pinned_if_dead();
        self.release_after_pop();
    }

    /// Pop the current frame, first copying every noun reachable from `roots` that lives in it into the parent
    /// frame; the roots are rewritten to the copies. On `Err(Oom)` the stack is inconsistent: restore a checkpoint.
    pub fn pop_preserving<R: Roots + ?Sized>(&mut self, roots: &mut R) -> Result<(), Oom> {
        self.note_low_water();
        let parent = self.parent_registers();
        let (lo, hi) = self.frame_alloc_range();
        // The parent's allocations grow toward the child's allocations; they must not meet.
        let limit = self.f.ap;
        let mut dest = copy::Dest {
            ap: parent.ap,
            limit,
            down: parent.west,
        };
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut pinned = self.pinned;
        let result = copy::copy_roots(lo, hi, &mut dest, &mut (roots, &mut pinned), &mut scratch);
        self.scratch = scratch;
        result?;
        self.pinned = pinned;
        self.copied_words += (dest.ap as u64).abs_diff(parent.ap as u64) / 8;
        self.f = parent;
        self.f.ap = dest.ap;
        self.note_low_water();
        self.release_after_pop();
        Ok(())
    }

    /// Collect the current frame in place: keep only what is reachable from the frame's own stack words and from
    /// `extra` roots, and free the rest. The live objects are compacted where they are (mark, then slide toward the
    /// start of the allocation area), so no memory beyond the frame's own is needed. Returns the number of words still
    /// allocated in the frame.
    pub fn collect_top<R: Roots + ?Sized>(&mut self, extra: &mut R) -> Result<usize, Oom> {
        self.note_low_water();
        let (lo, hi) = self.frame_alloc_range();
        let mut stack_words = FrameWords(self.frame_stack_words() as *mut [u64]);
        let mut pinned = self.pinned;
        let mut work = Vec::new();
        let (edge, kept) = compact::compact(
            lo,
            hi,
            self.f.west,
            &mut (&mut stack_words, &mut *extra, &mut pinned),
            &mut work,
        );
        self.pinned = pinned;
        self.copied_words += kept;
        self.f.ap = edge as *mut u64;
        self.disturb_top();
        self.note_low_water();
        Ok(self.frame_alloc_words())
    }

    /// A minor collection of the current frame: the first `old_words` words of its allocations (what survived its last
    /// collection) stay where they are, unscanned, and only what was allocated after them is collected. This is
    /// sound because nouns are immutable and allocated in order, so an older object can never point at a younger
    /// one (unifying equality keeps that rule too: it only ever points a reference at the older of two equal
    /// objects). Returns the number of words still allocated in the frame.
    pub fn collect_young<R: Roots + ?Sized>(
        &mut self,
        old_words: usize,
        extra: &mut R,
    ) -> Result<usize, Oom> {
        self.note_low_water();
        let old_words = old_words.min(self.frame_alloc_words());
        // The young part of the allocation area, and where it starts (next to the old part).
        // SAFETY: `old_words` is at most the frame's allocated words, so the boundary lies inside its allocation area.
        let (lo, hi, young_base) = unsafe {
            if self.f.west {
                let b = self.f.alloc_base.sub(old_words);
                (self.f.ap as u64, b as u64, b)
            } else {
                let b = self.f.alloc_base.add(old_words);
                (b as u64, self.f.ap as u64, b)
            }
        };
        let mut scratch = std::mem::take(&mut self.scratch);
        // 1. Copy live objects into the gap, next to the stack area.
        let mut tmp = copy::Dest {
            ap: self.f.sp,
            limit: self.f.ap,
            down: !self.f.west,
        };
        let mut stack_words = FrameWords(self.frame_stack_words() as *mut [u64]);
        let mut pinned = self.pinned;
        let r = copy::copy_roots(
            lo,
            hi,
            &mut tmp,
            &mut (&mut stack_words, &mut *extra, &mut pinned),
            &mut scratch,
        );
        if let Err(e) = r {
            self.scratch = scratch;
            return Err(e);
        }
        let (tlo, thi) = if self.f.west {
            (self.f.sp as u64, tmp.ap as u64)
        } else {
            (tmp.ap as u64, self.f.sp as u64)
        };
        self.copied_words += (thi - tlo) / 8;
        // The copies touched the gap's pages on the stack's side.
        if self.f.west {
            self.touched_lo = self.touched_lo.max(thi);
        } else {
            self.touched_hi = self.touched_hi.min(tlo);
        }
        // 2. Copy them back, right after the old part of the allocation area.
        let mut back = copy::Dest {
            ap: young_base,
            limit: tmp.ap,
            down: self.f.west,
        };
        let r = copy::copy_roots(
            tlo,
            thi,
            &mut back,
            &mut (&mut stack_words, extra, &mut pinned),
            &mut scratch,
        );
        self.scratch = scratch;
        r?;
        self.pinned = pinned;
        self.f.ap = back.ap;
        self.disturb_top();
        self.note_low_water();
        Ok(self.frame_alloc_words())
    }

    /// For two objects allocated in the current frame: was `a` allocated before `b`? (After a collection the
    /// survivors' order among themselves is arbitrary, but every survivor is still older than anything allocated
    /// since.)
    #[inline]
    pub fn allocated_before_in_top(&self, a: u64, b: u64) -> bool {
        if self.f.west {
            a > b
        } else {
            a < b
        }
    }
}

/// The current frame's stack words as a root set (every word that looks like an allocated noun is one).
struct FrameWords(*mut [u64]);

impl Roots for FrameWords {
    fn for_each_root(&mut self, f: &mut dyn FnMut(&mut Noun)) {
        // SAFETY: the slice is the current frame's stack area, valid for the duration of the collection; Noun is a
        // transparent u64, and words that are not allocated nouns are direct atoms, which the copier leaves alone.
        let words = unsafe { &mut *self.0 };
        for w in words.iter_mut() {
            // SAFETY: `Noun` is `repr(transparent)` over u64, so a u64 slot is a valid noun slot.
            let n = unsafe { &mut *(w as *mut u64 as *mut Noun) };
            f(n);
        }
    }
}

impl Alloc for NockStack {
    #[inline(always)]
    fn alloc_words(&mut self, words: usize) -> Result<NonNull<u64>, Oom> {
        // SAFETY: the new allocation pointer is checked against the stack pointer, so the block lies in the free gap.
        unsafe {
            if self.f.west {
                if ((self.f.ap as usize - self.f.sp as usize) / 8) < words {
                    return Err(Oom);
                }
                self.f.ap = self.f.ap.sub(words);
                Ok(NonNull::new_unchecked(self.f.ap))
            } else {
                if ((self.f.sp as usize - self.f.ap as usize) / 8) < words {
                    return Err(Oom);
                }
                let p = self.f.ap;
                self.f.ap = self.f.ap.add(words);
                Ok(NonNull::new_unchecked(p))
            }
        }
    }
}

#[cfg(test)]
mod tests;
