//! cue: decode a jammed noun, following Hoon's `+cue` exactly.
//!
//! Bits past the end of the input that belong to a length or a value read as zero (as `cut` does in Hoon); a tag bit
//! or the zero run of a length prefix past the end is an error, as is a back-reference to an offset where no atom or
//! finished cell started. Decoding is iterative, and an atom claiming more bits than remain takes only the bits that
//! exist, so no input makes it allocate more than the input's own size or recurse.

use super::BitReader;
use crate::noun::{Alloc, Atom, Cell, IndirectBuilder, Noun, Oom};
use std::collections::HashMap;
use std::fmt;

/// Why a cue failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CueError {
    /// A tag bit at this offset is past the end of the input.
    TruncatedTag(u64),
    /// The length prefix starting at this offset never ends (no one bit before the end).
    TruncatedLength(u64),
    /// A back-reference at this offset names an offset where no atom or finished cell starts.
    BadBackref { at: u64, target: u64 },
    /// Ran out of memory while building the noun.
    Oom,
}

impl fmt::Display for CueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CueError::TruncatedTag(p) => write!(
                f,
                "malformed jam: tag bit at offset {p} is past the end of the input"
            ),
            CueError::TruncatedLength(p) => {
                write!(
                    f,
                    "malformed jam: length prefix at offset {p} runs past the end of the input"
                )
            }
            CueError::BadBackref { at, target } => {
                write!(f, "malformed jam: back-reference at offset {at} to offset {target}, where no noun starts")
            }
            CueError::Oom => f.write_str("out of memory while decoding jam"),
        }
    }
}

impl std::error::Error for CueError {}

impl From<Oom> for CueError {
    fn from(_: Oom) -> CueError {
        CueError::Oom
    }
}

type OffsetMap = rustc_hash::FxHashMap<u64, Noun>;

/// A `rub`: the value's bit length `b` (saturated) and the number of bits the length prefix and value take.
struct Rub {
    start: u64,
    len: u64,
    /// Total bits consumed, saturated at u64::MAX for absurd lengths.
    consumed: u64,
}

/// Read a length prefix at `pos`.
#[inline]
fn rub_len(r: &BitReader, pos: u64) -> Result<Rub, CueError> {
    let c = r.zeros_from(pos).ok_or(CueError::TruncatedLength(pos))?;
    if c == 0 {
        return Ok(Rub {
            start: pos + 1,
            len: 0,
            consumed: 1,
        });
    }
    let len_at = pos + c + 1;
    let len = if c > 64 {
        // At least 2^64 bits: more than any input holds; the value is whatever bits remain.
        u64::MAX
    } else {
        let low = r.bits(len_at, (c - 1) as u32);
        (1u64 << (c - 1)).saturating_add(low)
    };
    let start = len_at + (c - 1);
    let consumed = (2 * c).saturating_add(len);
    Ok(Rub {
        start,
        len,
        consumed,
    })
}

/// Read the atom of a rub, taking only bits that exist.
fn rub_atom<A: Alloc + ?Sized>(alloc: &mut A, r: &BitReader, rub: &Rub) -> Result<Atom, CueError> {
    if rub.len <= 64 {
        return Ok(Atom::new(alloc, r.bits(rub.start, rub.len as u32))?);
    }
    let avail = r.len.saturating_sub(rub.start).min(rub.len);
    if avail == 0 {
        return Ok(Atom::ZERO);
    }
    let words = avail.div_ceil(64) as usize;
    let (b, data) = IndirectBuilder::alloc(alloc, words)?;
    r.copy_bits(rub.start, avail, data);
    Ok(b.finish())
}

/// The offset a back-reference names. A length over 64 bits is legal if the high value bits (present or past the
/// end) are zero, as Hoon reads the value as an atom; a value that does not fit in 64 bits names no offset and is
/// reported as `u64::MAX`.
fn rub_offset(r: &BitReader, rub: &Rub) -> u64 {
    if rub.len <= 64 {
        return r.bits(rub.start, rub.len as u32);
    }
    let high = rub.start.saturating_add(64);
    if r.any_one(high, rub.start.saturating_add(rub.len)) {
        u64::MAX
    } else {
        r.bits(rub.start, 64)
    }
}

enum Pending {
    Head { start: u64 },
    Tail { start: u64, head: Noun },
}

/// Decode the jam given as the words of an atom.
pub fn cue_words<A: Alloc + ?Sized>(alloc: &mut A, words: &[u64]) -> Result<Noun, CueError> {
    cue_words_end(alloc, words).map(|(n, _)| n)
}

/// [`cue_words`], also giving the bit offset where the jam ended: bits of the input from there on are not part of
/// it (Hoon's `+cue` ignores them; a tool can refuse them).
pub fn cue_words_end<A: Alloc + ?Sized>(
    alloc: &mut A,
    words: &[u64],
) -> Result<(Noun, u64), CueError> {
    let r = BitReader::new(words);
    let mut table: OffsetMap = HashMap::with_capacity_and_hasher(1024, Default::default());
    let mut stack: Vec<Pending> = Vec::new();
    let mut pos: u64 = 0;
    loop {
        let start = pos;
        let mut value = match r.bit(pos) {
            None => return Err(CueError::TruncatedTag(pos)),
            Some(false) => {
                let rub = rub_len(&r, pos + 1)?;
                let a = rub_atom(alloc, &r, &rub)?.as_noun();
                pos = pos.saturating_add(1).saturating_add(rub.consumed);
                table.insert(start, a);
                a
            }
            Some(true) => match r.bit(pos + 1) {
                None => return Err(CueError::TruncatedTag(pos + 1)),
                Some(false) => {
                    stack.push(Pending::Head { start });
                    pos += 2;
                    continue;
                }
                Some(true) => {
                    let rub = rub_len(&r, pos + 2)?;
                    let target = rub_offset(&r, &rub);
                    pos = pos.saturating_add(2).saturating_add(rub.consumed);
                    *table
                        .get(&target)
                        .ok_or(CueError::BadBackref { at: start, target })?
                }
            },
        };
        // Hand the finished value to the cells waiting for it.
        loop {
            match stack.pop() {
                None => return Ok((value, pos)),
                Some(Pending::Head { start }) => {
                    stack.push(Pending::Tail { start, head: value });
                    break;
                }
                Some(Pending::Tail { start, head }) => {
                    value = Cell::new(alloc, head, value)?.as_noun();
                    // A cell is recorded only once complete, so a reference from inside it to itself fails, as in Hoon.
                    table.insert(start, value);
                }
            }
        }
    }
}

/// Decode a jam atom.
pub fn cue<A: Alloc + ?Sized>(alloc: &mut A, jammed: Atom) -> Result<Noun, CueError> {
    cue_words(alloc, jammed.words())
}

/// Decode the little-endian bytes of a jam atom (the contents of a `.jam` or `.pill` file).
pub fn cue_bytes<A: Alloc + ?Sized>(alloc: &mut A, bytes: &[u8]) -> Result<Noun, CueError> {
    cue_words(alloc, &bytes_to_words(bytes))
}

/// [`cue_bytes`], also giving the bit offset where the jam ended (see [`cue_words_end`]).
pub fn cue_bytes_end<A: Alloc + ?Sized>(
    alloc: &mut A,
    bytes: &[u8],
) -> Result<(Noun, u64), CueError> {
    cue_words_end(alloc, &bytes_to_words(bytes))
}

fn bytes_to_words(bytes: &[u8]) -> Vec<u64> {
    let mut words = vec![0u64; bytes.len().div_ceil(8)];
    for (i, chunk) in bytes.chunks(8).enumerate() {
        let mut b = [0u8; 8];
        b[..chunk.len()].copy_from_slice(chunk);
        words[i] = u64::from_le_bytes(b);
    }
    words
}
