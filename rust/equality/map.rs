//! A hash map keyed by nouns under structural equality (hashed by mug). Lives in Rust memory; the nouns it holds must
//! outlive it.

use super::noun_eq;
use crate::mug::mug;
use crate::noun::Noun;

/// Open-addressing map from nouns (by value) to `V`.
pub struct NounMap<V> {
    slots: Vec<Option<(u32, Noun, V)>>,
    len: usize,
}

impl<V> Default for NounMap<V> {
    fn default() -> Self {
        NounMap::new()
    }
}

impl<V> NounMap<V> {
    pub fn new() -> NounMap<V> {
        NounMap::with_capacity(16)
    }

    pub fn with_capacity(n: usize) -> NounMap<V> {
        let cap = (n * 2).next_power_of_two().max(16);
        let mut slots = Vec::with_capacity(cap);
        slots.resize_with(cap, || None);
        NounMap { slots, len: 0 }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn index(&self, m: u32) -> usize {
        // Spread the 31-bit mug over the table with a multiplicative hash.
        ((m as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 20) as usize & (self.slots.len() - 1)
    }

    /// The value stored for a noun equal to `key`.
    pub fn get(&self, key: Noun) -> Option<&V> {
        self.get_with_mug(key, mug(key))
    }

    pub fn get_with_mug(&self, key: Noun, m: u32) -> Option<&V> {
        let mask = self.slots.len() - 1;
        let mut i = self.index(m);
        loop {
            match &self.slots[i] {
                None => return None,
                Some((sm, k, v)) => {
                    if *sm == m && noun_eq(*k, key) {
                        return Some(v);
                    }
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Insert or replace; returns the previous value.
    pub fn insert(&mut self, key: Noun, value: V) -> Option<V> {
        let m = mug(key);
        self.insert_with_mug(key, m, value)
    }

    pub fn insert_with_mug(&mut self, key: Noun, m: u32, value: V) -> Option<V> {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = self.index(m);
        loop {
            match &mut self.slots[i] {
                None => {
                    self.slots[i] = Some((m, key, value));
                    self.len += 1;
                    return None;
                }
                Some((sm, k, v)) => {
                    if *sm == m && noun_eq(*k, key) {
                        return Some(std::mem::replace(v, value));
                    }
                }
            }
            i = (i + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let cap = self.slots.len() * 2;
        let mut old = Vec::with_capacity(cap);
        old.resize_with(cap, || None);
        std::mem::swap(&mut old, &mut self.slots);
        let mask = cap - 1;
        for (m, k, v) in old.into_iter().flatten() {
            let mut i = self.index(m);
            while self.slots[i].is_some() {
                i = (i + 1) & mask;
            }
            self.slots[i] = Some((m, k, v));
        }
    }

    pub fn clear(&mut self) {
        for s in self.slots.iter_mut() {
            *s = None;
        }
        self.len = 0;
    }

    /// All entries, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (Noun, &V)> {
        self.slots.iter().flatten().map(|(_, k, v)| (*k, v))
    }

    /// Mutable access to every key and value (for collectors that move nouns).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&mut Noun, &mut V)> {
        self.slots.iter_mut().flatten().map(|(_, k, v)| (k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noun::{HeapAlloc, D, T};

    #[test]
    fn structural_keys() {
        let mut h = HeapAlloc::new();
        let mut m = NounMap::new();
        for i in 0..1000 {
            let k = T(&mut h, &[D(i), D(i + 1)]).unwrap();
            assert!(m.insert(k, i).is_none());
        }
        for i in 0..1000 {
            let k = T(&mut h, &[D(i), D(i + 1)]).unwrap();
            assert_eq!(m.get(k), Some(&i));
        }
        assert_eq!(m.get(D(5)), None);
        assert_eq!(m.len(), 1000);
    }
}
