//! Mug: Urbit's 31-bit Murmur3-based noun hash, bit-exact with Vere (king-protocol.md §6.2).
//!
//! Mugs of indirect atoms and cells are cached in the object's meta word. Cells are mugged iteratively with an
//! explicit stack, children first, so arbitrarily deep nouns never overflow the native stack.

use crate::noun::{Atom, Noun};
use std::io::Cursor;

const ATOM_SEED: u32 = 0xcafe_babe;
const ATOM_FALLBACK: u32 = 0x7fff;
const CELL_SEED: u32 = 0xdead_beef;
const CELL_FALLBACK: u32 = 0xfffe;

/// Standard MurmurHash3 x86_32.
#[inline]
pub fn murmur3(bytes: &[u8], seed: u32) -> u32 {
    // Reading from an in-memory cursor cannot fail.
    murmur3::murmur3_32(&mut Cursor::new(bytes), seed).unwrap_or(0)
}

/// Vere's `mum`: hash with up to eight seeds, folding to 31 bits, until the fold is non-zero.
#[inline]
fn mum(seed: u32, fallback: u32, key: &[u8]) -> u32 {
    let mut seed = seed;
    for _ in 0..8 {
        let h = murmur3(key, seed);
        let m = (h >> 31) ^ (h & 0x7fff_ffff);
        if m != 0 {
            return m;
        }
        seed = seed.wrapping_add(1);
    }
    fallback
}

/// Mug of an atom's significant little-endian bytes.
#[inline]
pub fn mug_bytes(bytes: &[u8]) -> u32 {
    mum(ATOM_SEED, ATOM_FALLBACK, bytes)
}

/// Mug of a direct atom value.
#[inline]
pub fn mug_u64(v: u64) -> u32 {
    let b = v.to_le_bytes();
    let n = (64 - v.leading_zeros() as usize).div_ceil(8);
    mug_bytes(&b[..n])
}

/// Combine the mugs of a cell's head and tail.
#[inline]
pub fn mug_both(head: u32, tail: u32) -> u32 {
    let key = (head as u64) | ((tail as u64) << 32);
    let b = key.to_le_bytes();
    let n = (64 - key.leading_zeros() as usize).div_ceil(8);
    mum(CELL_SEED, CELL_FALLBACK, &b[..n])
}

/// Mug of an atom, cached for indirect atoms.
#[inline]
pub fn mug_atom(a: Atom) -> u32 {
    if let Some(v) = a.as_direct() {
        return mug_u64(v);
    }
    let n = a.as_noun();
    if let Some(m) = n.cached_mug() {
        return m;
    }
    let m = a.with_bytes(mug_bytes);
    n.set_cached_mug(m);
    m
}

/// Mug of any noun; caches the mug of every allocated object it visits.
pub fn mug(n: Noun) -> u32 {
    if let Some(a) = n.as_atom() {
        return mug_atom(a);
    }
    if let Some(m) = n.cached_mug() {
        return m;
    }
    // Fast path: both children already known.
    let c = n.as_cell().expect("not an atom, so a cell");
    if let (Some(h), Some(t)) = (known_mug(c.head()), known_mug(c.tail())) {
        let m = mug_both(h, t);
        n.set_cached_mug(m);
        return m;
    }
    mug_deep(n)
}

/// The mug if it can be had without recursion.
#[inline]
fn known_mug(n: Noun) -> Option<u32> {
    match n.as_atom() {
        Some(a) => Some(mug_atom(a)),
        None => n.cached_mug(),
    }
}

#[cold]
fn mug_deep(root: Noun) -> u32 {
    // Each entry is a cell whose children are being mugged; a cell is finished when both children are known.
    let mut todo: Vec<Noun> = vec![root];
    while let Some(&top) = todo.last() {
        let c = top.as_cell().expect("only cells are pushed");
        if top.cached_mug().is_some() {
            todo.pop();
            continue;
        }
        let h = known_mug(c.head());
        let t = known_mug(c.tail());
        match (h, t) {
            (Some(h), Some(t)) => {
                top.set_cached_mug(mug_both(h, t));
                todo.pop();
            }
            _ => {
                if h.is_none() {
                    todo.push(c.head());
                }
                if t.is_none() {
                    todo.push(c.tail());
                }
            }
        }
    }
    root.cached_mug().expect("mugged above")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noun::{cord, list, HeapAlloc, D, T};

    #[test]
    fn murmur_vectors() {
        assert_eq!(murmur3(b"", 1), 0x514e28b7);
        assert_eq!(murmur3(b"hello", 0), 0x248bfa47);
    }

    #[test]
    fn protocol_vectors() {
        let mut h = HeapAlloc::new();
        assert_eq!(mug(D(0)), 0x79ff04e8);
        assert_eq!(mug(D(97)), 0x36b6f52a);
        assert_eq!(mug(D(1)), 0x715c2a60);
        assert_eq!(mug(D(2)), 0x718b9468);
        assert_eq!(mug(T(&mut h, &[D(1), D(2)]).unwrap()), 0x6a36c1d9);
        assert_eq!(mug(T(&mut h, &[D(0), D(0)]).unwrap()), 0x192f5588);
        let live = cord(&mut h, "live").unwrap();
        assert_eq!(mug(T(&mut h, &[live, D(0)]).unwrap()), 0x6c732703);
    }

    #[test]
    fn hoon_doc_vectors() {
        let mut h = HeapAlloc::new();
        assert_eq!(mug(D(1)), 1_901_865_568);
        assert_eq!(mug(D(10_000)), 795_713_195);
        assert_eq!(mug(D(10_001)), 420_521_697);
        assert_eq!(mug(T(&mut h, &[D(0), D(10)]).unwrap()), 750_200_080);
        let l = list(&mut h, &[D(1), D(2), D(3), D(4), D(5)]).unwrap();
        assert_eq!(mug(l), 1_565_443_491);
    }

    #[test]
    fn indirect_atoms_match_direct_bytes() {
        let mut h = HeapAlloc::new();
        let a = crate::noun::Atom::new(&mut h, u64::MAX).unwrap();
        assert_eq!(mug_atom(a), mug_bytes(&[0xff; 8]));
        assert_eq!(a.as_noun().cached_mug(), Some(mug_bytes(&[0xff; 8])));
    }

    #[test]
    fn deep_nouns_do_not_overflow() {
        let mut h = HeapAlloc::new();
        let mut n = D(0);
        for i in 0..1_000_000 {
            n = T(&mut h, &[n, D(i)]).unwrap();
        }
        let m = mug(n);
        assert!(m > 0 && m <= 0x7fff_ffff);
        assert_eq!(mug(n), m);
    }
}
