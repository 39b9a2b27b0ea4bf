//! `fitz`: aura compatibility, used by the type system whenever one atom type is cast to another.
//!
//! This jet deliberately differs from its Hoon. Hoon 140's `+fitz` compares `p` (the size letters, already checked)
//! where it means `q` (the aura text), so its Nock says `@H` does not nest in `@I` and refuses any two auras that
//! both carry a size. Vere's jet implements the intended rule, and the kernel depends on it: zuse does not compile
//! without it (`nest-fail`, `need.@I have.@H`). A serf bit-exact with Vere must run the same rule:
//!
//! - if both auras end in a size letter (`A`..`Z`), the one being cast (`wix`) may not be larger;
//! - then, byte by byte over the shorter text, both must agree, except that reaching either aura's size letter
//!   ends the comparison with a yes.

use super::util::*;
use super::JetErr;
use crate::interpreter::Context;
use crate::noun::Noun;

/// The size letter an aura text ends in, if any.
fn size_letter(text: &[u8]) -> Option<u8> {
    text.last().copied().filter(u8::is_ascii_uppercase)
}

/// Does an atom of aura `wix` nest in aura `yaz`?
pub fn aura_nests(yaz: &[u8], wix: &[u8]) -> bool {
    if let (Some(y), Some(w)) = (size_letter(yaz), size_letter(wix)) {
        if w > y {
            return false;
        }
    }
    for (i, (&y, &w)) in yaz.iter().zip(wix.iter()).enumerate() {
        if i + 1 == yaz.len() && y.is_ascii_uppercase() {
            return true;
        }
        if i + 1 == wix.len() && w.is_ascii_uppercase() {
            return true;
        }
        if y != w {
            return false;
        }
    }
    true
}

/// `(fitz yaz wix)`.
pub fn fitz(_ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = sam(core)?;
    let yaz = atom(at(s, 2)?)?;
    let wix = atom(at(s, 3)?)?;
    Ok(flag(aura_nests(&yaz.to_bytes(), &wix.to_bytes())))
}

#[cfg(test)]
mod tests {
    use super::aura_nests;

    #[test]
    fn sized_auras_nest_in_larger_sizes_only() {
        assert!(aura_nests(b"I", b"H"));
        assert!(!aura_nests(b"H", b"I"));
        assert!(aura_nests(b"uvI", b"uvH"));
        assert!(aura_nests(b"uvI", b"uv"));
        assert!(aura_nests(b"uv", b"uvJ"));
    }

    #[test]
    fn aura_text_must_agree_up_to_the_shorter_one() {
        assert!(aura_nests(b"", b"ux"));
        assert!(aura_nests(b"u", b"ux"));
        assert!(aura_nests(b"ux", b"u"));
        assert!(!aura_nests(b"ux", b"uv"));
        assert!(aura_nests(b"ta", b"tas"));
        assert!(!aura_nests(b"p", b"q"));
        assert!(aura_nests(b"da", b"da"));
    }
}
