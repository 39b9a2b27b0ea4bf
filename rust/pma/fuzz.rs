//! The arena-mutation scheme of the `pma_open` fuzz target, shared with its regression test so that a kept crashing
//! input replays against exactly the arena and mutations the fuzzer used.

use super::{Pma, PmaOptions};
use std::path::Path;

/// Make the template arena in `dir` (64 blocks, 16 roots, two commits) and return its image and WAL bytes.
pub fn template(dir: &Path, opts: &PmaOptions) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let mut p = Pma::open(dir, opts).map_err(std::io::Error::other)?;
    for i in 0..64u64 {
        let b = p
            .alloc(24 + (i as usize % 5) * 40)
            .map_err(std::io::Error::other)?
            .as_ptr();
        // SAFETY: a fresh block of at least 24 bytes, so its first word is writable.
        unsafe { *b = i };
        p.root_set((i % 16) as usize, b as u64);
    }
    p.commit(1, 0, 7).map_err(std::io::Error::other)?;
    p.commit(2, 0, 9).map_err(std::io::Error::other)?;
    drop(p);
    let img = std::fs::read(dir.join("pma.img"))?;
    let wal = std::fs::read(dir.join("pma.wal")).unwrap_or_default();
    Ok((img, wal))
}

/// Apply a fuzz input to copies of the files: 6-byte records (file, offset as LE u32, xor byte); bit 0 of the file
/// byte picks the WAL, bit 1 truncates at the offset instead of flipping.
pub fn mutate(img: &[u8], wal: &[u8], data: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let (mut img, mut wal) = (img.to_vec(), wal.to_vec());
    for m in data.chunks_exact(6) {
        let off = u32::from_le_bytes([m[1], m[2], m[3], m[4]]) as usize;
        let target = if m[0] & 1 == 0 { &mut img } else { &mut wal };
        if m[0] & 2 != 0 && off < target.len() {
            target.truncate(off);
        } else if !target.is_empty() {
            let i = off % target.len();
            target[i] ^= m[5];
        }
    }
    (img, wal)
}
