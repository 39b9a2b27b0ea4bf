//! Hashing: `mug muk shax shay shas shal sha1`.
//!
//! SHA inputs are the low `len` bytes of an atom, least significant first (zero-padded past the atom's end); the
//! digest bytes become an atom in the same order. `shax a` hashes exactly `met 3 a` bytes; `shas` follows Vere, not its
//! Hoon (see [`shas`]).

use super::util::*;
use super::JetErr;
use crate::interpreter::Context;
use crate::noun::{Atom, Noun};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

pub fn mug_jet(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let a = sam(core)?;
    num(&mut ctx.stack, crate::mug::mug(a) as u64)
}

/// `(muk syd len key)`: murmur3 (x86, 32-bit) of the low `len` bytes of `key` with seed `syd`.
pub fn muk(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = sam(core)?;
    let syd = atom(at(s, 2)?)?;
    let len = atom(at(s, 6)?)?;
    let key = atom(at(s, 7)?)?;
    let Some(seed) = syd.as_u64().filter(|v| *v <= u32::MAX as u64) else {
        return Err(JetErr::Punt);
    };
    let Some(len) = len.as_u64().filter(|v| *v < 1 << 31) else {
        return Err(JetErr::Punt);
    };
    let len = len as usize;
    if key.byte_len() > len {
        return Err(EXIT);
    }
    let h = if key.byte_len() == len {
        key.with_bytes(|b| crate::mug::murmur3(b, seed as u32))
    } else {
        let mut bytes = key.to_bytes();
        bytes.resize(len, 0);
        crate::mug::murmur3(&bytes, seed as u32)
    };
    num(&mut ctx.stack, h as u64)
}

/// The low `len` bytes of `a`, zero-padded.
fn bytes_of(a: Atom, len: usize) -> Vec<u8> {
    let mut b = a.to_bytes();
    b.resize(len, 0);
    b
}

fn digest_atom(ctx: &mut Context, d: &[u8]) -> Result<Noun, JetErr> {
    Ok(Atom::from_bytes(&mut ctx.stack, d)?.as_noun())
}

/// `[len=@ dat=@]` sample.
fn len_dat(core: Noun) -> Result<(usize, Atom), JetErr> {
    let s = cell(sam(core)?)?;
    let len = small(s.head())?;
    if len > 1 << 32 {
        return Err(JetErr::Punt);
    }
    Ok((len, atom(s.tail())?))
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

pub fn shax(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let a = atom(sam(core)?)?;
    let d = a.with_bytes(sha256);
    digest_atom(ctx, &d)
}

pub fn shay(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (len, dat) = len_dat(core)?;
    let d = sha256(&bytes_of(dat, len));
    digest_atom(ctx, &d)
}

/// `(shas sal ruz)`: the Hoon says `(shax (mix sal (shax ruz)))`, which hashes `met 3` of the mixed atom. Vere's jet
/// (`urcrypt_shas`) hashes all 32 bytes of the mix when the salt has at most 32 bytes, high zero bytes included, so
/// one salt in about 256 gives another digest than the Hoon; a longer salt is hashed at its own length, as in the
/// Hoon. This jet follows Vere (docs/jets.md, "Jets that follow Vere rather than the Hoon").
pub fn shas(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = cell(sam(core)?)?;
    let sal = atom(s.head())?;
    let ruz = atom(s.tail())?;
    let d = salted_sha256(&sal.to_bytes(), &ruz.with_bytes(sha256));
    digest_atom(ctx, &d)
}

/// Vere's salted hash of a message whose SHA-256 is `inner`, with the salt's `met 3` bytes.
fn salted_sha256(salt: &[u8], inner: &[u8; 32]) -> [u8; 32] {
    if salt.len() > 32 {
        let mut mixed = salt.to_vec();
        for (m, i) in mixed.iter_mut().zip(inner) {
            *m ^= i;
        }
        sha256(&mixed)
    } else {
        let mut mixed = *inner;
        for (m, s) in mixed.iter_mut().zip(salt) {
            *m ^= s;
        }
        sha256(&mixed)
    }
}

pub fn shal(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (len, dat) = len_dat(core)?;
    let d: [u8; 64] = Sha512::digest(bytes_of(dat, len)).into();
    digest_atom(ctx, &d)
}

/// `(sha-1l:sha wid dat)`: unlike `shay`, the Hoon reads `dat` most significant byte first (`(rev 3 wid dat)`) and
/// produces the digest as a big-endian number, as Vere's `urcrypt_sha1` (which reverses input and output) does.
pub fn sha1(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let (len, dat) = len_dat(core)?;
    let mut b = bytes_of(dat, len);
    b.reverse();
    let mut d: [u8; 20] = Sha1::digest(b).into();
    d.reverse();
    digest_atom(ctx, &d)
}

#[cfg(test)]
mod tests {
    use super::{salted_sha256, sha256};

    /// The Hoon's rule: `(shax (mix sal inner))`, hashing the mix's `met 3` bytes.
    fn hoon_shas(salt: &[u8], inner: &[u8; 32]) -> [u8; 32] {
        let mut mixed = salt.to_vec();
        mixed.resize(mixed.len().max(32), 0);
        for (m, i) in mixed.iter_mut().zip(inner) {
            *m ^= i;
        }
        while mixed.last() == Some(&0) {
            mixed.pop();
        }
        sha256(&mixed)
    }

    #[test]
    fn salted_hash_keeps_high_zero_bytes_of_a_short_mix() {
        let inner = sha256(b"ruz");
        // A salt that cancels the digest's top byte: the Hoon hashes 31 bytes, Vere 32.
        let mut salt = vec![0u8; 32];
        salt[31] = inner[31];
        let mut mixed = inner;
        mixed[31] = 0;
        assert_eq!(salted_sha256(&salt, &inner), sha256(&mixed));
        assert_ne!(salted_sha256(&salt, &inner), hoon_shas(&salt, &inner));
        // Without a zero top byte both rules agree.
        assert_eq!(salted_sha256(b"salt", &inner), hoon_shas(b"salt", &inner));
    }

    #[test]
    fn long_salts_are_hashed_at_their_own_length() {
        let inner = sha256(b"message");
        let salt: Vec<u8> = (1..=40).collect();
        let mut mixed = salt.clone();
        for (m, i) in mixed.iter_mut().zip(&inner) {
            *m ^= i;
        }
        assert_eq!(salted_sha256(&salt, &inner), sha256(&mixed));
        assert_eq!(salted_sha256(&salt, &inner), hoon_shas(&salt, &inner));
    }
}
