//! Serialisation: `jam` and `cue`, bit-exact with Hoon (king-protocol.md §6.4–6.6).

mod bits;
mod cue;
mod jam;

pub use bits::{BitReader, BitWriter};
pub use cue::{cue, cue_bytes, cue_bytes_end, cue_words, cue_words_end, CueError};
pub use jam::{jam, jam_to_bytes, jam_to_words};

/// Number of significant bits of a u64.
#[inline(always)]
pub(crate) fn bit_len(v: u64) -> u32 {
    64 - v.leading_zeros()
}

#[cfg(test)]
mod tests;
