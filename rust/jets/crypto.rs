//! Cryptography from zuse (`hex` under `pen`): Ed25519 (`coed/ed`: `puck sign veri shar`) and AES-SIV
//! (`aes/siva`, `aes/sivb`, `aes/sivc`: `en de`).
//!
//! Byte order follows Vere (its `urcrypt` calls):
//!
//! - Ed25519 takes an atom's little-endian bytes as they are: the seed is the low 32 bytes of the atom, the message
//!   its `met 3` bytes, and the public key and signature come back as atoms of those bytes. A seed or public key of
//!   more than 32 bytes crashes (`puck`, `sign`, `shar`); `veri` answers `%.n` for a signature over 64 bytes or a key
//!   over 32.
//! - AES-SIV reverses every byte string: the key (32, 48 or 64 bytes, zero-padded), the plaintext (`met 3` bytes),
//!   each associated-data atom (`met 3` bytes), the ciphertext (`len` bytes) and the IV (16 bytes) are read as
//!   big-endian, and the IV and ciphertext it produces are reversed back into atoms. `siva` is AES-SIV with AES-128
//!   (a 256-bit key), `sivb` with AES-192, `sivc` with AES-256 (RFC 5297's CMAC-SIV).
//!
//! A decryption that fails authentication bails with `%evil`, as Vere's jet does (the Hoon itself would produce
//! `~`): the event carrying a bad packet is rejected rather than processed.

use super::util::*;
use super::JetErr;
use crate::interpreter::{Context, Mote};
use crate::noun::{Atom, Noun, D, T};
use aes_siv::aead::generic_array::GenericArray;
use aes_siv::siv::{Aes128Siv, Aes256Siv, CmacSiv};
use aes_siv::KeyInit;
use curve25519_dalek::edwards::CompressedEdwardsY;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha512};

/// The low `N` little-endian bytes of an atom, or `None` if it has more.
fn fit<const N: usize>(a: Atom) -> Option<[u8; N]> {
    a.with_bytes(|b| {
        if b.len() > N {
            return None;
        }
        let mut out = [0u8; N];
        out[..b.len()].copy_from_slice(b);
        Some(out)
    })
}

fn bytes_atom(ctx: &mut Context, b: &[u8]) -> Result<Noun, JetErr> {
    Ok(Atom::from_bytes(&mut ctx.stack, b)?.as_noun())
}

/// `(puck sed)`: the public key of a 32-byte seed.
pub fn puck(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let sed = fit::<32>(atom(sam(core)?)?).ok_or(EXIT)?;
    let pub_key = SigningKey::from_bytes(&sed).verifying_key().to_bytes();
    bytes_atom(ctx, &pub_key)
}

/// `(sign msg sed)`: the 64-byte signature of the message's `met 3` bytes.
pub fn sign(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = sam(core)?;
    let msg = atom(at(s, 2)?)?;
    let sed = fit::<32>(atom(at(s, 3)?)?).ok_or(EXIT)?;
    let key = SigningKey::from_bytes(&sed);
    let sig = msg.with_bytes(|m| key.sign(m)).to_bytes();
    bytes_atom(ctx, &sig)
}

/// `(veri sig msg pub)`: does `sig` sign the message's `met 3` bytes under `pub`? As Vere's (orlp) verifier: the
/// scalar half of the signature must have its top three bits clear (it need not be reduced), the key must decode to
/// a curve point, and `[s]B - [k]A` must encode to the signature's first half.
pub fn veri(_ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = sam(core)?;
    let sig = atom(at(s, 2)?)?;
    let msg = atom(at(s, 6)?)?;
    let pk = atom(at(s, 7)?)?;
    let (Some(sig), Some(pk)) = (fit::<64>(sig), fit::<32>(pk)) else {
        return Ok(flag(false));
    };
    let Ok(key) = VerifyingKey::from_bytes(&pk) else {
        return Ok(flag(false));
    };
    let sig = Signature::from_bytes(&sig);
    Ok(flag(msg.with_bytes(|m| key.verify(m, &sig)).is_ok()))
}

/// `(shar pub sed)`: the X25519 shared secret of our seed and their Ed25519 public key (converted to its Montgomery
/// form). A key that is not a curve point punts: Vere's arithmetic carries on with it where this crate cannot.
pub fn shar(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    let s = sam(core)?;
    let pk = fit::<32>(atom(at(s, 2)?)?).ok_or(EXIT)?;
    let sed = fit::<32>(atom(at(s, 3)?)?).ok_or(EXIT)?;
    let point = CompressedEdwardsY(pk).decompress().ok_or(JetErr::Punt)?;
    let h = Sha512::digest(sed);
    let mut scalar = [0u8; 32];
    scalar.copy_from_slice(&h[..32]);
    let shared = point.to_montgomery().mul_clamped(scalar).to_bytes();
    bytes_atom(ctx, &shared)
}

/// AES-SIV key sizes.
#[derive(Copy, Clone)]
enum Siv {
    A,
    B,
    C,
}

impl Siv {
    fn key_len(self) -> usize {
        match self {
            Siv::A => 32,
            Siv::B => 48,
            Siv::C => 64,
        }
    }
}

/// The `n` low bytes of `a` (zero-padded, or truncated as Vere's `u3r_bytes` does), reversed.
fn rev_bytes(a: Atom, n: usize) -> Vec<u8> {
    let mut b = a.to_bytes();
    b.resize(n, 0);
    b.reverse();
    b
}

/// The key (`+>+<` of the gate: the door's sample `[key vec]`) and the associated data, each reversed. A key longer
/// than the variant's size punts (as in Vere: the Hoon does not check it).
fn siv_key_ads(core: Noun, v: Siv) -> Result<(Vec<u8>, Vec<Vec<u8>>), JetErr> {
    let key = atom(at(core, 60)?)?;
    if key.byte_len() > v.key_len() {
        return Err(JetErr::Punt);
    }
    let key = rev_bytes(key, v.key_len());
    let mut ads = Vec::new();
    for item in list_items(at(core, 61)?)? {
        let a = atom(item)?;
        ads.push(rev_bytes(a, a.byte_len()));
    }
    Ok((key, ads))
}

/// Encrypt in place; the tag (the synthetic IV).
fn siv_encrypt(v: Siv, key: &[u8], ads: &[Vec<u8>], buf: &mut [u8]) -> Result<[u8; 16], JetErr> {
    let tag = match v {
        Siv::A => Aes128Siv::new(GenericArray::from_slice(key)).encrypt_in_place_detached(ads, buf),
        Siv::B => CmacSiv::<aes::Aes192>::new(GenericArray::from_slice(key))
            .encrypt_in_place_detached(ads, buf),
        Siv::C => Aes256Siv::new(GenericArray::from_slice(key)).encrypt_in_place_detached(ads, buf),
    }
    .map_err(|_| JetErr::Punt)?;
    Ok(tag.into())
}

/// Decrypt in place, checking the tag.
fn siv_decrypt(v: Siv, key: &[u8], ads: &[Vec<u8>], buf: &mut [u8], iv: &[u8]) -> bool {
    let tag = GenericArray::from_slice(iv);
    match v {
        Siv::A => {
            Aes128Siv::new(GenericArray::from_slice(key)).decrypt_in_place_detached(ads, buf, tag)
        }
        Siv::B => CmacSiv::<aes::Aes192>::new(GenericArray::from_slice(key))
            .decrypt_in_place_detached(ads, buf, tag),
        Siv::C => {
            Aes256Siv::new(GenericArray::from_slice(key)).decrypt_in_place_detached(ads, buf, tag)
        }
    }
    .is_ok()
}

/// `(~(en siva key vec) txt)`: `[iv len cyphertext]`.
fn siv_en(ctx: &mut Context, core: Noun, v: Siv) -> Result<Noun, JetErr> {
    let txt = atom(sam(core)?)?;
    let (key, ads) = siv_key_ads(core, v)?;
    let len = txt.byte_len();
    let mut buf = rev_bytes(txt, len);
    let mut iv = siv_encrypt(v, &key, &ads, &mut buf)?;
    iv.reverse();
    buf.reverse();
    let iv = bytes_atom(ctx, &iv)?;
    let len = num(&mut ctx.stack, len as u64)?;
    let out = bytes_atom(ctx, &buf)?;
    Ok(T(&mut ctx.stack, &[iv, len, out])?)
}

/// `(~(de siva key vec) iv len txt)`: `[~ plaintext]`, or `%evil` if the IV does not authenticate.
fn siv_de(ctx: &mut Context, core: Noun, v: Siv) -> Result<Noun, JetErr> {
    let s = sam(core)?;
    let iv = atom(at(s, 2)?)?;
    let len = small(at(s, 6)?)?;
    if len > u32::MAX as usize {
        return Err(JetErr::Punt);
    }
    let txt = atom(at(s, 7)?)?;
    let (key, ads) = siv_key_ads(core, v)?;
    let iv = rev_bytes(iv, 16);
    let mut buf = rev_bytes(txt, len);
    if !siv_decrypt(v, &key, &ads, &mut buf, &iv) {
        return Err(JetErr::Fail(Mote::Evil));
    }
    buf.reverse();
    let out = bytes_atom(ctx, &buf)?;
    Ok(T(&mut ctx.stack, &[D(0), out])?)
}

pub fn siva_en(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    siv_en(ctx, core, Siv::A)
}

pub fn siva_de(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    siv_de(ctx, core, Siv::A)
}

pub fn sivb_en(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    siv_en(ctx, core, Siv::B)
}

pub fn sivb_de(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    siv_de(ctx, core, Siv::B)
}

pub fn sivc_en(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    siv_en(ctx, core, Siv::C)
}

pub fn sivc_de(ctx: &mut Context, core: Noun) -> Result<Noun, JetErr> {
    siv_de(ctx, core, Siv::C)
}
