//! jam: pre-order traversal with back-references to repeated subtrees.

use super::{bit_len, BitWriter};
use crate::equality::NounMap;
use crate::mug::mug;
use crate::noun::{Alloc, Atom, Noun, Oom};

/// Write `mat(a)` for an atom given as words with `b` significant bits.
fn mat(w: &mut BitWriter, words: &[u64], b: u64) {
    if b == 0 {
        w.write(1, 1);
        return;
    }
    let c = bit_len(b) as u64;
    w.zeros(c);
    w.write(1, 1);
    // the low c-1 bits of b; its top bit is implicit
    w.write(b & ((1u64 << (c - 1)) - 1), (c - 1) as u32);
    w.write_words(words, b);
}

#[inline]
fn mat_u64(w: &mut BitWriter, v: u64) {
    mat(w, std::slice::from_ref(&v), bit_len(v) as u64);
}

/// The jam of `n` as a bit stream.
fn jam_bits(n: Noun) -> BitWriter {
    let mut w = BitWriter::new();
    let mut seen: NounMap<u64> = NounMap::with_capacity(1024);
    let mut todo: Vec<Noun> = vec![n];
    while let Some(x) = todo.pop() {
        let here = w.pos();
        let m = mug(x);
        match x.as_atom() {
            Some(a) => {
                let b = a.bit_len() as u64;
                match seen.get_with_mug(x, m) {
                    Some(&i) if b > bit_len(i) as u64 => {
                        w.write(0b11, 2);
                        mat_u64(&mut w, i);
                    }
                    found => {
                        if found.is_none() {
                            seen.insert_with_mug(x, m, here);
                        }
                        w.write(0, 1);
                        mat(&mut w, a.words(), b);
                    }
                }
            }
            None => {
                if let Some(&i) = seen.get_with_mug(x, m) {
                    w.write(0b11, 2);
                    mat_u64(&mut w, i);
                } else {
                    seen.insert_with_mug(x, m, here);
                    w.write(0b01, 2);
                    let c = x.as_cell().expect("cell");
                    todo.push(c.tail());
                    todo.push(c.head());
                }
            }
        }
    }
    w
}

/// The jam of `n` as little-endian words (no high zero words).
pub fn jam_to_words(n: Noun) -> Vec<u64> {
    let mut words = jam_bits(n).into_words();
    while words.last() == Some(&0) {
        words.pop();
    }
    words
}

/// The jam of `n` as the little-endian bytes of the jam atom (exactly `met 3` bytes), as in a `.jam` file.
pub fn jam_to_bytes(n: Noun) -> Vec<u8> {
    let bits = jam_bits(n);
    let nbytes = bits.pos().div_ceil(8) as usize;
    let mut out = Vec::with_capacity(nbytes + 8);
    for w in bits.into_words() {
        out.extend_from_slice(&w.to_le_bytes());
    }
    out.truncate(nbytes);
    out
}

/// The jam of `n` as an atom.
pub fn jam<A: Alloc + ?Sized>(alloc: &mut A, n: Noun) -> Result<Atom, Oom> {
    let words = jam_to_words(n);
    Atom::from_words(alloc, &words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noun::{cord, HeapAlloc, D, T};

    fn hex(n: Noun) -> String {
        let w = jam_to_words(n);
        let mut s = String::new();
        for x in w.iter().rev() {
            if s.is_empty() {
                s = format!("{x:x}");
            } else {
                s += &format!("{x:016x}");
            }
        }
        s
    }

    #[test]
    fn protocol_vectors() {
        let mut h = HeapAlloc::new();
        assert_eq!(hex(D(0)), "2");
        assert_eq!(hex(D(1)), "c");
        assert_eq!(hex(D(19)), "9b0");
        let one_two = T(&mut h, &[D(1), D(2)]).unwrap();
        assert_eq!(hex(one_two), "1231");
        let a = T(&mut h, &[D(1), D(2)]).unwrap();
        let b = T(&mut h, &[D(1), D(2)]).unwrap();
        assert_eq!(hex(T(&mut h, &[a, b]).unwrap()), "49c8c5");
        assert_eq!(hex(T(&mut h, &[D(12345), D(12345)]).unwrap()), "12781ce81");
        let live = cord(&mut h, "live").unwrap();
        assert_eq!(hex(T(&mut h, &[live, D(0)]).unwrap()), "2caecd2d9f01");
    }

    #[test]
    fn atom_backref_tie_writes_in_full() {
        // [2 2]: atom 2 at offset 2; the repeat at offset 9 has bitlen(2) = 2, not > bitlen(2) = 2, so it is full.
        let mut h = HeapAlloc::new();
        let n = T(&mut h, &[D(2), D(2)]).unwrap();
        let w = jam_to_words(n);
        // 10 | 0 001 0 01 | 0 001 0 01: 16 bits with ones at 0, 5, 8, 12 and 15
        assert_eq!(w, vec![0x9121]);
    }
}
