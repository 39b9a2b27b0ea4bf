//! Nouns as tagged 64-bit words (see docs/noun-layout.md).
//!
//! A [`Noun`] is `Copy` and carries no lifetime: it is valid as long as the memory it points into is live (its
//! NockStack frame, the home arena or the persistent arena). The interpreter and the serf keep that discipline by
//! copying nouns out of a frame (preserve) before the frame is popped.

mod bigint;
mod rebuild;

pub use bigint::{atom_from_ubig, atom_to_ubig};
pub use rebuild::{copy_selected, rebuild};

use std::fmt;
use std::ptr::NonNull;

const TAG_MASK: u64 = 0b11 << 62;
const INDIRECT_TAG: u64 = 0b10 << 62;
const CELL_TAG: u64 = 0b11 << 62;
const ADDR_MASK: u64 = !TAG_MASK;
/// Bit set in an object's meta word once it has been forwarded by a copy.
pub const FORWARDED: u64 = 1 << 63;
const MUG_MASK: u64 = 0x7fff_ffff;

/// The largest direct atom.
pub const DIRECT_MAX: u64 = (1 << 63) - 1;

/// Allocation failed: the arena is exhausted. Becomes a `%meme` bail.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Oom;

impl fmt::Display for Oom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("out of memory")
    }
}

impl std::error::Error for Oom {}

/// Anything nouns can be allocated in: the NockStack, the home arena, the persistent arena.
pub trait Alloc {
    /// Allocate `words` uninitialised, 8-byte aligned words.
    fn alloc_words(&mut self, words: usize) -> Result<NonNull<u64>, Oom>;
}

/// A noun: a direct atom, or a reference to an indirect atom or a cell.
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Noun(u64);

/// A noun known to be an atom.
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Atom(u64);

/// A noun known to be a cell.
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Cell(u64);

/// Memory of a cell object.
#[repr(C)]
pub struct CellMem {
    pub meta: u64,
    pub head: Noun,
    pub tail: Noun,
}

/// Header of an indirect atom object; `len` little-endian words follow.
#[repr(C)]
pub struct AtomMem {
    pub meta: u64,
    pub len: u64,
}

/// Words taken by a cell object.
pub const CELL_WORDS: usize = 3;
/// Words of header before an indirect atom's data.
pub const ATOM_HEADER_WORDS: usize = 2;

/// The direct atom `v`, which must be below 2^63 (for constants: panics at compile time otherwise).
#[allow(non_snake_case)]
pub const fn D(v: u64) -> Noun {
    assert!(v <= DIRECT_MAX);
    Noun(v)
}

impl Noun {
    pub const ZERO: Noun = Noun(0);
    /// Loobean yes (`%.y`).
    pub const YES: Noun = Noun(0);
    /// Loobean no (`%.n`).
    pub const NO: Noun = Noun(1);

    #[inline(always)]
    pub const fn raw(self) -> u64 {
        self.0
    }

    /// # Safety
    /// `raw` must be a direct atom or the tagged address of a live object of the tagged kind.
    #[inline(always)]
    pub const unsafe fn from_raw(raw: u64) -> Noun {
        Noun(raw)
    }

    /// A loobean.
    #[inline(always)]
    pub const fn flag(b: bool) -> Noun {
        if b {
            Noun::YES
        } else {
            Noun::NO
        }
    }

    #[inline(always)]
    pub const fn is_direct(self) -> bool {
        self.0 & (1 << 63) == 0
    }

    #[inline(always)]
    pub const fn is_indirect(self) -> bool {
        self.0 & TAG_MASK == INDIRECT_TAG
    }

    #[inline(always)]
    pub const fn is_cell(self) -> bool {
        self.0 & TAG_MASK == CELL_TAG
    }

    #[inline(always)]
    pub const fn is_atom(self) -> bool {
        !self.is_cell()
    }

    /// True if the noun refers to an object in memory (indirect atom or cell).
    #[inline(always)]
    pub const fn is_allocated(self) -> bool {
        !self.is_direct()
    }

    /// Address of the object, for allocated nouns.
    #[inline(always)]
    pub const fn addr(self) -> u64 {
        self.0 & ADDR_MASK
    }

    #[inline(always)]
    pub fn as_cell(self) -> Option<Cell> {
        if self.is_cell() {
            Some(Cell(self.0))
        } else {
            None
        }
    }

    #[inline(always)]
    pub fn as_atom(self) -> Option<Atom> {
        if self.is_cell() {
            None
        } else {
            Some(Atom(self.0))
        }
    }

    /// The value of a direct atom.
    #[inline(always)]
    pub fn as_direct(self) -> Option<u64> {
        if self.is_direct() {
            Some(self.0)
        } else {
            None
        }
    }

    /// An atom that fits in 64 bits.
    #[inline]
    pub fn as_u64(self) -> Option<u64> {
        self.as_atom().and_then(Atom::as_u64)
    }

    /// Same noun with the kind tag of `self` but pointing at `addr`.
    #[inline(always)]
    pub(crate) fn with_addr(self, addr: u64) -> Noun {
        Noun((self.0 & TAG_MASK) | addr)
    }

    /// Pointer to the meta word of an allocated noun.
    #[inline(always)]
    pub(crate) fn meta_ptr(self) -> *mut u64 {
        self.addr() as *mut u64
    }

    /// The cached mug, if this is an allocated noun whose mug was computed; direct atoms have none cached.
    #[inline]
    pub fn cached_mug(self) -> Option<u32> {
        if self.is_direct() {
            return None;
        }
        // SAFETY: an allocated noun points at a live object whose first word is its meta word.
        let meta = unsafe { *self.meta_ptr() };
        let m = (meta & MUG_MASK) as u32;
        if m == 0 || meta & FORWARDED != 0 {
            None
        } else {
            Some(m)
        }
    }

    /// Store the mug of an allocated noun in its header.
    #[inline]
    pub fn set_cached_mug(self, mug: u32) {
        debug_assert!(self.is_allocated());
        // SAFETY: an allocated noun points at a live, writable object (callers never mug nouns in read-only
        // memory without a cached mug: arena nouns are mugged before entry).
        unsafe {
            let p = self.meta_ptr();
            *p = (*p & !MUG_MASK) | (mug as u64 & MUG_MASK);
        }
    }

    /// Head of a cell, `None` for atoms.
    #[inline(always)]
    pub fn head(self) -> Option<Noun> {
        self.as_cell().map(Cell::head)
    }

    #[inline(always)]
    pub fn tail(self) -> Option<Noun> {
        self.as_cell().map(Cell::tail)
    }

    /// Pointer equality (cheap; equal pointers imply equal nouns).
    #[inline(always)]
    pub fn same(self, other: Noun) -> bool {
        self.0 == other.0
    }
}

impl From<Atom> for Noun {
    #[inline(always)]
    fn from(a: Atom) -> Noun {
        Noun(a.0)
    }
}

impl From<Cell> for Noun {
    #[inline(always)]
    fn from(c: Cell) -> Noun {
        Noun(c.0)
    }
}

impl Cell {
    #[inline(always)]
    fn mem(self) -> *mut CellMem {
        (self.0 & ADDR_MASK) as *mut CellMem
    }

    #[inline(always)]
    pub fn head(self) -> Noun {
        // SAFETY: a Cell always points at a live cell object.
        unsafe { (*self.mem()).head }
    }

    #[inline(always)]
    pub fn tail(self) -> Noun {
        // SAFETY: as in `head`.
        unsafe { (*self.mem()).tail }
    }

    #[inline(always)]
    pub fn as_noun(self) -> Noun {
        Noun(self.0)
    }

    /// Raw pointer to the cell's memory, for code that rewrites fields in place (unifying equality, copying).
    #[inline(always)]
    pub fn mem_ptr(self) -> *mut CellMem {
        self.mem()
    }

    /// Allocate the cell `[head tail]`.
    #[inline]
    pub fn new<A: Alloc + ?Sized>(a: &mut A, head: Noun, tail: Noun) -> Result<Cell, Oom> {
        let p = a.alloc_words(CELL_WORDS)?.as_ptr() as *mut CellMem;
        // SAFETY: `p` is a fresh allocation of CELL_WORDS aligned words.
        unsafe {
            p.write(CellMem {
                meta: 0,
                head,
                tail,
            });
        }
        Ok(Cell(CELL_TAG | p as u64))
    }
}

impl Atom {
    pub const ZERO: Atom = Atom(0);

    /// The direct atom `v` if it fits, else allocate an indirect one.
    #[inline]
    pub fn new<A: Alloc + ?Sized>(a: &mut A, v: u64) -> Result<Atom, Oom> {
        if v <= DIRECT_MAX {
            Ok(Atom(v))
        } else {
            Atom::from_words(a, &[v])
        }
    }

    /// An atom from 128 bits.
    pub fn from_u128<A: Alloc + ?Sized>(a: &mut A, v: u128) -> Result<Atom, Oom> {
        Atom::from_words(a, &[v as u64, (v >> 64) as u64])
    }

    /// A direct atom; `None` if `v` is too big.
    #[inline(always)]
    pub fn direct(v: u64) -> Option<Atom> {
        if v <= DIRECT_MAX {
            Some(Atom(v))
        } else {
            None
        }
    }

    #[inline(always)]
    pub fn as_noun(self) -> Noun {
        Noun(self.0)
    }

    #[inline(always)]
    pub fn is_direct(self) -> bool {
        self.0 & (1 << 63) == 0
    }

    #[inline(always)]
    pub fn as_direct(self) -> Option<u64> {
        self.as_noun().as_direct()
    }

    #[inline(always)]
    fn mem(self) -> *mut AtomMem {
        (self.0 & ADDR_MASK) as *mut AtomMem
    }

    /// The value if it fits in 64 bits.
    #[inline]
    pub fn as_u64(self) -> Option<u64> {
        if self.is_direct() {
            Some(self.0)
        } else {
            let w = self.words();
            if w.len() == 1 {
                Some(w[0])
            } else {
                None
            }
        }
    }

    /// The value if it fits in a usize (for counts, axes, bloq sizes).
    #[inline]
    pub fn as_usize(self) -> Option<usize> {
        self.as_u64().and_then(|v| usize::try_from(v).ok())
    }

    /// Little-endian words. A direct atom gives one word (so 0 gives `[0]`); an indirect atom gives exactly its
    /// normalised words. The slice borrows `self` (for direct atoms) or the atom's memory.
    #[inline]
    pub fn words(&self) -> &[u64] {
        if self.is_direct() {
            std::slice::from_ref(&self.0)
        } else {
            // SAFETY: an indirect atom points at a live object: meta, len, then `len` data words.
            unsafe {
                let m = self.mem();
                std::slice::from_raw_parts(
                    (m as *const u64).add(ATOM_HEADER_WORDS),
                    (*m).len as usize,
                )
            }
        }
    }

    /// Number of significant bits (`met 0`).
    #[inline]
    pub fn bit_len(self) -> usize {
        let w = self.words();
        let top = w[w.len() - 1];
        (w.len() - 1) * 64 + (64 - top.leading_zeros() as usize)
    }

    /// Number of significant bytes (`met 3`).
    #[inline]
    pub fn byte_len(self) -> usize {
        self.bit_len().div_ceil(8)
    }

    /// Bit `i` (LSB = 0).
    #[inline]
    pub fn bit(self, i: usize) -> bool {
        let w = self.words();
        let wi = i / 64;
        wi < w.len() && (w[wi] >> (i % 64)) & 1 == 1
    }

    /// The significant little-endian bytes (empty for 0).
    pub fn to_bytes(self) -> Vec<u8> {
        let n = self.byte_len();
        let mut out = Vec::with_capacity(n);
        for w in self.words() {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.truncate(n);
        out
    }

    /// Call `f` with the significant little-endian bytes, without allocating for atoms of up to 8 bytes.
    #[inline]
    pub fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        if let Some(v) = self.as_direct() {
            let b = v.to_le_bytes();
            let n = (64 - v.leading_zeros() as usize).div_ceil(8);
            f(&b[..n])
        } else {
            let w = self.words();
            let n = self.byte_len();
            // SAFETY: the words are live memory of at least n bytes; u8 has no alignment requirement.
            let bytes = unsafe { std::slice::from_raw_parts(w.as_ptr() as *const u8, n) };
            f(bytes)
        }
    }

    /// An atom from little-endian words (any number of high zero words), normalised.
    pub fn from_words<A: Alloc + ?Sized>(a: &mut A, words: &[u64]) -> Result<Atom, Oom> {
        let mut n = words.len();
        while n > 0 && words[n - 1] == 0 {
            n -= 1;
        }
        if n == 0 {
            return Ok(Atom(0));
        }
        if n == 1 && words[0] <= DIRECT_MAX {
            return Ok(Atom(words[0]));
        }
        let (atom, data) = IndirectBuilder::alloc(a, n)?;
        data.copy_from_slice(&words[..n]);
        Ok(atom.finish())
    }

    /// An atom from little-endian bytes.
    pub fn from_bytes<A: Alloc + ?Sized>(a: &mut A, bytes: &[u8]) -> Result<Atom, Oom> {
        let mut n = bytes.len();
        while n > 0 && bytes[n - 1] == 0 {
            n -= 1;
        }
        if n <= 8 {
            let mut b = [0u8; 8];
            b[..n].copy_from_slice(&bytes[..n]);
            return Atom::new(a, u64::from_le_bytes(b));
        }
        let (atom, data) = IndirectBuilder::alloc(a, n.div_ceil(8))?;
        data.fill(0);
        for (i, chunk) in bytes[..n].chunks(8).enumerate() {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            data[i] = u64::from_le_bytes(b);
        }
        Ok(atom.finish())
    }

    /// Raw pointer to the atom object (indirect atoms only).
    #[inline]
    pub fn mem_ptr(self) -> *mut AtomMem {
        self.mem()
    }
}

/// An indirect atom being written: allocate, fill the data words, then `finish` to normalise.
pub struct IndirectBuilder {
    mem: *mut AtomMem,
}

impl IndirectBuilder {
    /// Allocate an atom of `len` (>= 1) data words; the words are uninitialised garbage until written.
    pub fn alloc<'a, A: Alloc + ?Sized>(
        a: &mut A,
        len: usize,
    ) -> Result<(IndirectBuilder, &'a mut [u64]), Oom> {
        let len = len.max(1);
        let p = a.alloc_words(ATOM_HEADER_WORDS + len)?.as_ptr();
        // SAFETY: `p` is a fresh allocation of ATOM_HEADER_WORDS + len words; the returned slice covers exactly the
        // data words and lives as long as the allocation (the caller writes it before the atom is used).
        unsafe {
            let m = p as *mut AtomMem;
            m.write(AtomMem {
                meta: 0,
                len: len as u64,
            });
            let data = std::slice::from_raw_parts_mut(p.add(ATOM_HEADER_WORDS), len);
            Ok((IndirectBuilder { mem: m }, data))
        }
    }

    /// Allocate a zero-filled atom of `len` words.
    pub fn zeroed<'a, A: Alloc + ?Sized>(
        a: &mut A,
        len: usize,
    ) -> Result<(IndirectBuilder, &'a mut [u64]), Oom> {
        let (b, d) = IndirectBuilder::alloc(a, len)?;
        d.fill(0);
        Ok((b, d))
    }

    /// Normalise (drop high zero words, demote to a direct atom if it fits).
    pub fn finish(self) -> Atom {
        // SAFETY: `mem` is the object allocated in `alloc`, whose data words the caller has written.
        unsafe {
            let data = (self.mem as *mut u64).add(ATOM_HEADER_WORDS);
            let mut n = (*self.mem).len as usize;
            while n > 0 && *data.add(n - 1) == 0 {
                n -= 1;
            }
            if n == 0 {
                return Atom(0);
            }
            if n == 1 && *data <= DIRECT_MAX {
                return Atom(*data);
            }
            (*self.mem).len = n as u64;
            Atom(INDIRECT_TAG | self.mem as u64)
        }
    }
}

/// Build a right-nested tuple `[a b c ...]` (at least one element).
#[allow(non_snake_case)]
pub fn T<A: Alloc + ?Sized>(a: &mut A, items: &[Noun]) -> Result<Noun, Oom> {
    let (last, rest) = items.split_last().expect("T needs at least one noun");
    let mut acc = *last;
    for n in rest.iter().rev() {
        acc = Cell::new(a, *n, acc)?.as_noun();
    }
    Ok(acc)
}

/// Build a null-terminated list.
pub fn list<A: Alloc + ?Sized>(a: &mut A, items: &[Noun]) -> Result<Noun, Oom> {
    let mut acc = Noun::ZERO;
    for n in items.iter().rev() {
        acc = Cell::new(a, *n, acc)?.as_noun();
    }
    Ok(acc)
}

/// The atom whose bytes spell `s` (a term or cord).
pub fn cord<A: Alloc + ?Sized>(a: &mut A, s: &str) -> Result<Noun, Oom> {
    Ok(Atom::from_bytes(a, s.as_bytes())?.as_noun())
}

/// A term that fits in a direct atom (at most 7 bytes), computed at compile time.
pub const fn tas(s: &str) -> Noun {
    let b = s.as_bytes();
    assert!(b.len() <= 7);
    let mut v = 0u64;
    let mut i = 0;
    while i < b.len() {
        v |= (b[i] as u64) << (8 * i);
        i += 1;
    }
    Noun(v)
}

/// Iterate over a null-terminated list; yields `Err(())` at the end if the list is not null-terminated.
pub fn list_iter(mut n: Noun) -> impl Iterator<Item = Result<Noun, ()>> {
    std::iter::from_fn(move || match n.as_cell() {
        Some(c) => {
            n = c.tail();
            Some(Ok(c.head()))
        }
        None if n.raw() == 0 => None,
        None => {
            n = Noun::ZERO;
            Some(Err(()))
        }
    })
}

/// Walk the axis `axis` into `n` (Nock `/`): `None` for axis 0 or an axis into an atom.
#[inline]
pub fn slot(mut n: Noun, axis: Atom) -> Option<Noun> {
    if let Some(a) = axis.as_direct() {
        if a == 0 {
            return None;
        }
        let depth = 63 - a.leading_zeros();
        for i in (0..depth).rev() {
            let c = n.as_cell()?;
            n = if (a >> i) & 1 == 0 {
                c.head()
            } else {
                c.tail()
            };
        }
        Some(n)
    } else {
        let bits = axis.bit_len();
        for i in (0..bits - 1).rev() {
            let c = n.as_cell()?;
            n = if axis.bit(i) { c.tail() } else { c.head() };
        }
        Some(n)
    }
}

impl fmt::Debug for Noun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", crate::text::Print(*self))
    }
}

impl fmt::Display for Noun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", crate::text::Print(*self))
    }
}

impl fmt::Debug for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", crate::text::Print(self.as_noun()))
    }
}

impl fmt::Debug for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", crate::text::Print(self.as_noun()))
    }
}

/// A growable, heap-backed allocator for tests and tools that need nouns outside any NockStack. It never frees
/// until dropped.
#[derive(Default)]
pub struct HeapAlloc {
    chunks: Vec<Box<[u64]>>,
    used: usize,
    /// Lowest and highest address of any chunk (a quick test before the per-chunk one).
    lo: u64,
    hi: u64,
}

impl HeapAlloc {
    pub fn new() -> HeapAlloc {
        HeapAlloc::default()
    }

    /// Bytes of memory this allocator holds.
    pub fn bytes(&self) -> usize {
        self.chunks.iter().map(|c| c.len() * 8).sum()
    }

    /// Does `addr` lie in memory this allocator handed out?
    pub fn contains(&self, addr: u64) -> bool {
        if addr < self.lo || addr >= self.hi {
            return false;
        }
        self.chunks.iter().any(|c| {
            let lo = c.as_ptr() as u64;
            addr >= lo && addr < lo + 8 * c.len() as u64
        })
    }
}

impl Alloc for HeapAlloc {
    fn alloc_words(&mut self, words: usize) -> Result<NonNull<u64>, Oom> {
        let need_new = match self.chunks.last() {
            Some(c) => self.used + words > c.len(),
            None => true,
        };
        if need_new {
            let size = words.max(1 << 16);
            let chunk = vec![0u64; size].into_boxed_slice();
            let lo = chunk.as_ptr() as u64;
            if self.chunks.is_empty() {
                self.lo = lo;
                self.hi = lo + 8 * size as u64;
            } else {
                self.lo = self.lo.min(lo);
                self.hi = self.hi.max(lo + 8 * size as u64);
            }
            self.chunks.push(chunk);
            self.used = 0;
        }
        let chunk = self.chunks.last_mut().ok_or(Oom)?;
        let p = chunk[self.used..].as_mut_ptr();
        self.used += words;
        NonNull::new(p).ok_or(Oom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_normalisation() {
        let mut h = HeapAlloc::new();
        assert!(D(5).is_direct());
        let big = Atom::new(&mut h, u64::MAX).unwrap();
        assert!(!big.is_direct());
        assert_eq!(big.as_u64(), Some(u64::MAX));
        let small = Atom::from_words(&mut h, &[7, 0, 0]).unwrap();
        assert_eq!(small.as_direct(), Some(7));
        let two = Atom::from_words(&mut h, &[1, 2, 0]).unwrap();
        assert_eq!(two.words(), &[1, 2]);
        assert_eq!(two.bit_len(), 66);
        let c = Cell::new(&mut h, D(1), two.as_noun()).unwrap();
        assert!(c.as_noun().is_cell());
        assert_eq!(c.head(), D(1));
        assert_eq!(
            Atom::from_bytes(&mut h, b"live").unwrap().as_direct(),
            Some(0x6576696c)
        );
        assert_eq!(tas("live"), D(0x6576696c));
    }

    #[test]
    fn slots() {
        let mut h = HeapAlloc::new();
        let n = T(&mut h, &[D(1), D(2), D(3)]).unwrap();
        assert_eq!(slot(n, Atom::ZERO), None);
        assert_eq!(slot(n, Atom(1)), Some(n));
        assert_eq!(slot(n, Atom(2)), Some(D(1)));
        assert_eq!(slot(n, Atom(6)), Some(D(2)));
        assert_eq!(slot(n, Atom(7)), Some(D(3)));
        assert_eq!(slot(n, Atom(4)), None);
        let huge = Atom::from_words(&mut h, &[2, 0, 1]).unwrap();
        assert_eq!(slot(n, huge), None);
    }
}
