//! Bit streams, least-significant bit first, over 64-bit words.

/// Appends bits to a growing word buffer.
#[derive(Default)]
pub struct BitWriter {
    words: Vec<u64>,
    pos: u64,
}

impl BitWriter {
    pub fn new() -> BitWriter {
        BitWriter {
            words: Vec::with_capacity(64),
            pos: 0,
        }
    }

    /// Bits written so far.
    #[inline(always)]
    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// Append the low `n` bits of `v` (`n <= 64`; bits of `v` above `n` must be zero).
    #[inline(always)]
    pub fn write(&mut self, v: u64, n: u32) {
        debug_assert!(n == 64 || v >> n == 0);
        if n == 0 {
            return;
        }
        let off = (self.pos % 64) as u32;
        let idx = (self.pos / 64) as usize;
        if idx >= self.words.len() {
            self.words.push(0);
        }
        self.words[idx] |= v << off;
        if off + n > 64 {
            self.words.push(v >> (64 - off));
        }
        self.pos += n as u64;
    }

    /// Append `n` zero bits.
    pub fn zeros(&mut self, n: u64) {
        self.pos += n;
        let need = self.pos.div_ceil(64) as usize;
        if need > self.words.len() {
            self.words.resize(need, 0);
        }
    }

    /// Append the low `n` bits of the little-endian word slice `src`.
    pub fn write_words(&mut self, src: &[u64], n: u64) {
        let full = (n / 64) as usize;
        for &w in &src[..full] {
            self.write(w, 64);
        }
        let rest = (n % 64) as u32;
        if rest > 0 {
            self.write(src[full] & ((1u64 << rest) - 1), rest);
        }
    }

    /// The bits as little-endian words (high words may be zero only if the stream ends in zeros).
    pub fn into_words(self) -> Vec<u64> {
        self.words
    }
}

/// Reads bits from an atom's little-endian words; bits at or past `len` read as zero.
pub struct BitReader<'a> {
    words: &'a [u64],
    /// Number of meaningful bits (`met 0` of the input).
    pub len: u64,
}

impl<'a> BitReader<'a> {
    pub fn new(words: &'a [u64]) -> BitReader<'a> {
        let mut n = words.len();
        while n > 0 && words[n - 1] == 0 {
            n -= 1;
        }
        let len = if n == 0 {
            0
        } else {
            (n as u64 - 1) * 64 + (64 - words[n - 1].leading_zeros() as u64)
        };
        BitReader {
            words: &words[..n],
            len,
        }
    }

    /// Bit at `pos`, or `None` past the end.
    #[inline(always)]
    pub fn bit(&self, pos: u64) -> Option<bool> {
        if pos >= self.len {
            return None;
        }
        Some((self.words[(pos / 64) as usize] >> (pos % 64)) & 1 == 1)
    }

    /// `n <= 64` bits from `pos`, zero past the end.
    #[inline(always)]
    pub fn bits(&self, pos: u64, n: u32) -> u64 {
        if n == 0 || pos >= self.len {
            return 0;
        }
        let idx = (pos / 64) as usize;
        let off = (pos % 64) as u32;
        let mut v = self.words[idx] >> off;
        if off > 0 && off + n > 64 && idx + 1 < self.words.len() {
            v |= self.words[idx + 1] << (64 - off);
        }
        if n < 64 {
            v &= (1u64 << n) - 1;
        }
        v
    }

    /// Number of zero bits from `pos` up to the next one bit, or `None` if no one bit follows.
    #[inline]
    pub fn zeros_from(&self, pos: u64) -> Option<u64> {
        if pos >= self.len {
            return None;
        }
        let mut idx = (pos / 64) as usize;
        let off = pos % 64;
        let first = self.words[idx] >> off;
        if first != 0 {
            return Some(first.trailing_zeros() as u64);
        }
        let mut count = 64 - off;
        idx += 1;
        while idx < self.words.len() {
            let w = self.words[idx];
            if w != 0 {
                return Some(count + w.trailing_zeros() as u64);
            }
            count += 64;
            idx += 1;
        }
        None
    }

    /// True if any bit in `[from, to)` is one (bits past the end are zero).
    pub fn any_one(&self, from: u64, to: u64) -> bool {
        let to = to.min(self.len);
        if from >= to {
            return false;
        }
        let (first, last) = ((from / 64) as usize, ((to - 1) / 64) as usize);
        (first..=last).any(|i| {
            let mut w = self.words[i];
            if i == first {
                w &= u64::MAX << (from % 64);
            }
            if i == last && !to.is_multiple_of(64) {
                w &= (1u64 << (to % 64)) - 1;
            }
            w != 0
        })
    }

    /// Copy `n` bits starting at `pos` into `out` (which must hold `ceil(n/64)` words), zero past the end.
    pub fn copy_bits(&self, pos: u64, n: u64, out: &mut [u64]) {
        let words = n.div_ceil(64) as usize;
        for (i, o) in out.iter_mut().enumerate().take(words) {
            let take = (n - i as u64 * 64).min(64) as u32;
            *o = self.bits(pos + i as u64 * 64, take);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_read() {
        let mut w = BitWriter::new();
        w.write(0b101, 3);
        w.write(u64::MAX, 64);
        w.zeros(70);
        w.write(1, 1);
        let words = w.into_words();
        let r = BitReader::new(&words);
        assert_eq!(r.len, 3 + 64 + 70 + 1);
        assert_eq!(r.bits(0, 3), 0b101);
        assert_eq!(r.bits(3, 64), u64::MAX);
        assert_eq!(r.zeros_from(67), Some(70));
        assert_eq!(r.bit(137), Some(true));
        assert_eq!(r.bit(138), None);
        assert_eq!(r.bits(136, 10), 0b10);
    }

    #[test]
    fn any_one_is_bounded() {
        let words = [0, 1 << 5, 0, 1 << 63];
        let r = BitReader::new(&words);
        assert!(!r.any_one(0, 69));
        assert!(r.any_one(0, 70));
        assert!(r.any_one(69, 70));
        assert!(!r.any_one(70, 255));
        assert!(r.any_one(70, 256));
        assert!(r.any_one(255, u64::MAX));
        assert!(!r.any_one(256, u64::MAX));
        assert!(!r.any_one(80, 80));
    }
}
