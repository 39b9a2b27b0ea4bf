//! One bit per word of a range of the NockStack: the marks of a compaction and of the memory report's walk.
//! Allocated zeroed (so a large, sparsely used map costs only the pages it touches).

pub(crate) struct Bits(Vec<u64>);

impl Bits {
    pub(crate) fn new(words: usize) -> Bits {
        Bits(vec![0; words.div_ceil(64)])
    }

    #[inline(always)]
    pub(crate) fn get(&self, i: usize) -> bool {
        self.0[i / 64] >> (i % 64) & 1 == 1
    }

    #[inline(always)]
    pub(crate) fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    /// Set bit `i`; whether it was clear before.
    #[inline(always)]
    pub(crate) fn insert(&mut self, i: usize) -> bool {
        let was = self.get(i);
        self.set(i);
        !was
    }

    /// The map a word (64 bits) at a time, for scans that skip empty stretches.
    pub(crate) fn words(&self) -> &[u64] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::Bits;

    #[test]
    fn bits_are_set_one_at_a_time() {
        let mut b = Bits::new(300);
        assert!(b.insert(64));
        assert!(!b.insert(64));
        assert!(b.get(64) && !b.get(63) && !b.get(65));
        b.set(299);
        assert!(b.get(299));
        assert_eq!(b.words().len(), 5);
        assert_eq!(b.words()[1], 1);
    }
}
