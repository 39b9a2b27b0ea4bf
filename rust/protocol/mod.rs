//! The king ↔ serf wire protocol (king-protocol.md §2, §3): newt framing, and the messages of each protocol generation
//! as typed enums that encode to nouns and decode from them.
//!
//! [`p1`] is the generation of Vere 1.16 (writs `%live %peek %play %work`, pleas `%ripe %live %slog %flog %peek %play
//! %work`); [`p2`] is Vere 4.x's (§3.12: `%poke %peek %sync %live %quiz %exit`, `[%ripe [2 wynn] ...]`, and the
//! `[%boot pill vent more]` frame), with its own `Writ` and `Plea`. What every generation shares lives here: the framing ([`newt`]), goofs ([`Goof`]), the
//! decoding error ([`DecodeError`]) and the field readers the decoders are built from.

mod error;
mod goof;
pub mod newt;
pub mod p1;
pub mod p2;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_p2;

pub use error::DecodeError;
pub use goof::Goof;

use crate::noun::{list_iter, Noun};

/// Render a noun tag for messages: `%term` if it is printable text, else the number, else what it is.
pub fn show_tag(n: Noun) -> String {
    match n.as_atom() {
        Some(a) => {
            let b = a.to_bytes();
            if !b.is_empty() && b.iter().all(|c| c.is_ascii_graphic()) && b.len() <= 32 {
                format!("%{}", String::from_utf8_lossy(&b))
            } else if let Some(v) = a.as_u64() {
                format!("{v}")
            } else {
                format!("a {}-bit atom", a.bit_len())
            }
        }
        None => "a cell".into(),
    }
}

/// `[head tail]` of a cell, or why `what` is not one.
fn cell(what: &'static str, n: Noun) -> Result<(Noun, Noun), DecodeError> {
    let c = n.as_cell().ok_or(DecodeError::NotCell { what })?;
    Ok((c.head(), c.tail()))
}

/// The value of an atom of at most `bits` bits (at most 64).
fn atom(what: &'static str, n: Noun, bits: u32) -> Result<u64, DecodeError> {
    n.as_u64()
        .filter(|&v| bits >= 64 || v >> bits == 0)
        .ok_or(DecodeError::NotAtom { what, bits })
}

/// A mug: an atom of at most 31 bits.
fn mug(what: &'static str, n: Noun) -> Result<u32, DecodeError> {
    Ok(atom(what, n, 31)? as u32)
}

/// The items of a null-terminated list.
fn items(what: &'static str, n: Noun) -> Result<Vec<Noun>, DecodeError> {
    list_iter(n)
        .collect::<Result<Vec<_>, ()>>()
        .map_err(|_| DecodeError::NotList { what })
}

/// `~`, or why `what` is not.
fn null(what: &'static str, n: Noun) -> Result<(), DecodeError> {
    if n == Noun::ZERO {
        Ok(())
    } else {
        Err(DecodeError::NotNull { what })
    }
}

/// Split a right-nested tuple into exactly `N` items (the last takes the rest).
fn tuple<const N: usize>(what: &'static str, n: Noun) -> Result<[Noun; N], DecodeError> {
    let mut out = [Noun::ZERO; N];
    let mut cur = n;
    for (i, slot) in out.iter_mut().enumerate() {
        if i == N - 1 {
            *slot = cur;
        } else {
            let (h, t) = cell(what, cur)?;
            *slot = h;
            cur = t;
        }
    }
    Ok(out)
}
