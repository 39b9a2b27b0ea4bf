//! Conversions between atoms and `ibig::UBig` for arithmetic on large atoms.
//!
//! Atoms are read through a borrowed byte view (no intermediate copy); results are written once into the allocator.

use super::{Alloc, Atom, Oom};
use ibig::UBig;

/// The atom as a `UBig`.
pub fn atom_to_ubig(a: Atom) -> UBig {
    if let Some(v) = a.as_direct() {
        UBig::from(v)
    } else {
        a.with_bytes(UBig::from_le_bytes)
    }
}

/// Allocate the atom holding `v`.
pub fn atom_from_ubig<A: Alloc + ?Sized>(alloc: &mut A, v: &UBig) -> Result<Atom, Oom> {
    if let Ok(small) = u64::try_from(v) {
        return Atom::new(alloc, small);
    }
    Atom::from_bytes(alloc, &v.to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noun::HeapAlloc;

    #[test]
    fn round_trip() {
        let mut h = HeapAlloc::new();
        for v in [
            UBig::from(0u8),
            UBig::from(u64::MAX),
            UBig::from(1u8) << 200,
            (UBig::from(3u8) << 100) + 7u8,
        ] {
            let a = atom_from_ubig(&mut h, &v).unwrap();
            assert_eq!(atom_to_ubig(a), v);
        }
    }
}
