//! Goofs: how a failed computation is reported, `[mote=@tas tang]` (king-protocol.md §3.9), in every generation.

use super::{cell, show_tag, DecodeError};
use crate::noun::{Alloc, Noun, Oom, T};

/// A goof `[mote tang]`: the failure's term and its rendered trace (`~` is always acceptable).
#[derive(Copy, Clone, Debug)]
pub struct Goof {
    pub mote: Noun,
    pub tang: Noun,
}

impl Goof {
    pub fn decode(n: Noun) -> Result<Goof, DecodeError> {
        let (mote, tang) = cell("goof [mote tang]", n)?;
        if !mote.is_atom() {
            return Err(DecodeError::NotAnAtom { what: "goof mote" });
        }
        Ok(Goof { mote, tang })
    }

    pub fn encode<A: Alloc + ?Sized>(&self, a: &mut A) -> Result<Noun, Oom> {
        T(a, &[self.mote, self.tang])
    }

    /// The mote as text (`%exit`).
    pub fn mote_name(&self) -> String {
        show_tag(self.mote)
    }
}
