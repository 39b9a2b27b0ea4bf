//! Hashing: `mug muk shax shay shas shal sha1`.
//!
//! SHA inputs are the low `len` bytes of an atom, least significant first (zero-padded past the atom's end); the
//! digest bytes become an atom in the same order. `shax a` hashes exactly `met 3 a` bytes.

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

/// `(shas sal ruz)`: `(shax (mix sal (shax ruz)))`.
pub fn shas(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = cell(sam(core)?)?;
    let sal = atom(s.head())?;
    let ruz = atom(s.tail())?;
    let inner = ruz.with_bytes(sha256);
    let mut mixed = sal.to_bytes();
    if mixed.len() < 32 {
        mixed.resize(32, 0);
    }
    for (m, i) in mixed.iter_mut().zip(inner.iter()) {
        *m ^= i;
    }
    while mixed.last() == Some(&0) {
        mixed.pop();
    }
    let d = sha256(&mixed);
    digest_atom(ctx, &d)
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
