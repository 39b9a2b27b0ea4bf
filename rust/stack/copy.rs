//! The copier behind preserve and in-place collection: moves every object reachable from a set of roots out of a
//! source address range into a destination bump region, leaving forwarding words behind so that shared objects are
//! copied once and stay shared.

use crate::noun::{Noun, Oom, ATOM_HEADER_WORDS, CELL_WORDS, FORWARDED};

/// A set of noun slots that the copier may rewrite.
pub trait Roots {
    fn for_each_root(&mut self, f: &mut dyn FnMut(&mut Noun));
}

impl Roots for Noun {
    fn for_each_root(&mut self, f: &mut dyn FnMut(&mut Noun)) {
        f(self)
    }
}

impl Roots for [Noun] {
    fn for_each_root(&mut self, f: &mut dyn FnMut(&mut Noun)) {
        for n in self.iter_mut() {
            f(n)
        }
    }
}

impl<const N: usize> Roots for [Noun; N] {
    fn for_each_root(&mut self, f: &mut dyn FnMut(&mut Noun)) {
        self.as_mut_slice().for_each_root(f)
    }
}

impl Roots for Vec<Noun> {
    fn for_each_root(&mut self, f: &mut dyn FnMut(&mut Noun)) {
        self.as_mut_slice().for_each_root(f)
    }
}

impl Roots for () {
    fn for_each_root(&mut self, _f: &mut dyn FnMut(&mut Noun)) {}
}

impl<T: Roots + ?Sized> Roots for &mut T {
    fn for_each_root(&mut self, f: &mut dyn FnMut(&mut Noun)) {
        (**self).for_each_root(f)
    }
}

impl<T: Roots> Roots for Option<T> {
    fn for_each_root(&mut self, f: &mut dyn FnMut(&mut Noun)) {
        if let Some(t) = self {
            t.for_each_root(f)
        }
    }
}

impl<A: Roots, B: Roots> Roots for (A, B) {
    fn for_each_root(&mut self, f: &mut dyn FnMut(&mut Noun)) {
        self.0.for_each_root(f);
        self.1.for_each_root(f);
    }
}

impl<A: Roots, B: Roots, C: Roots> Roots for (A, B, C) {
    fn for_each_root(&mut self, f: &mut dyn FnMut(&mut Noun)) {
        self.0.for_each_root(f);
        self.1.for_each_root(f);
        self.2.for_each_root(f);
    }
}

/// A bump region being filled, growing down (`ap` decreases) or up, never past `limit`.
pub(super) struct Dest {
    pub ap: *mut u64,
    pub limit: *mut u64,
    pub down: bool,
}

impl Dest {
    #[inline(always)]
    fn alloc(&mut self, words: usize) -> Result<*mut u64, Oom> {
        let avail = if self.down {
            (self.ap as usize).wrapping_sub(self.limit as usize) / 8
        } else {
            (self.limit as usize).wrapping_sub(self.ap as usize) / 8
        };
        if (self.down && self.ap < self.limit)
            || (!self.down && self.ap > self.limit)
            || avail < words
        {
            return Err(Oom);
        }
        // SAFETY: the block [ap - words, ap) (or [ap, ap + words)) was checked to lie before `limit`, inside the
        // region the caller handed us.
        unsafe {
            if self.down {
                self.ap = self.ap.sub(words);
                Ok(self.ap)
            } else {
                let p = self.ap;
                self.ap = self.ap.add(words);
                Ok(p)
            }
        }
    }
}

/// Copy everything reachable from `roots` that lies in `[lo, hi)` into `dest`, rewriting the roots.
pub(super) fn copy_roots<R: Roots + ?Sized>(
    lo: u64,
    hi: u64,
    dest: &mut Dest,
    roots: &mut R,
    pending: &mut Vec<*mut Noun>,
) -> Result<(), Oom> {
    pending.clear();
    let mut result = Ok(());
    roots.for_each_root(&mut |slot| {
        if result.is_ok() {
            result = copy_slot(lo, hi, dest, slot, pending);
        }
    });
    result?;
    while let Some(slot) = pending.pop() {
        // SAFETY: every pending slot is a field of an object this copier just wrote into `dest`.
        copy_slot(lo, hi, dest, unsafe { &mut *slot }, pending)?;
    }
    Ok(())
}

#[inline(always)]
fn copy_slot(
    lo: u64,
    hi: u64,
    dest: &mut Dest,
    slot: &mut Noun,
    pending: &mut Vec<*mut Noun>,
) -> Result<(), Oom> {
    let n = *slot;
    if !n.is_allocated() {
        return Ok(());
    }
    let addr = n.addr();
    if addr < lo || addr >= hi {
        return Ok(());
    }
    let src = addr as *mut u64;
    // SAFETY: `src` is an object in the source range (live until the copy completes); `dest` blocks are fresh and
    // sized for the object; forwarding words are written only into source objects, which are being abandoned.
    unsafe {
        let meta = *src;
        if meta & FORWARDED != 0 {
            *slot = n.with_addr(meta & !FORWARDED);
            return Ok(());
        }
        let words = if n.is_cell() {
            CELL_WORDS
        } else {
            ATOM_HEADER_WORDS + *src.add(1) as usize
        };
        let p = dest.alloc(words)?;
        std::ptr::copy_nonoverlapping(src, p, words);
        *src = FORWARDED | p as u64;
        *slot = n.with_addr(p as u64);
        if n.is_cell() {
            pending.push(p.add(1) as *mut Noun);
            pending.push(p.add(2) as *mut Noun);
        }
    }
    Ok(())
}
