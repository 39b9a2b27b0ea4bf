//! Shared helpers for the PMA tests: unique base addresses and scratch directories.
#![allow(dead_code)]

use mars::pma::{Pma, PmaOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A distinct base address per call within this process (512 GiB apart, 256 GiB reserved),
/// so tests running in parallel threads never collide.
pub fn unique_base() -> (u64, u64) {
    let k = NEXT.fetch_add(1, Ordering::SeqCst);
    assert!(k < 190, "out of test base addresses");
    (0x1000_0000_0000 + k * (512 << 30), 256 << 30)
}

pub struct Scratch {
    pub dir: PathBuf,
}

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let k = NEXT.load(Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!(
            "mars-pma-{}-{}-{}-{}",
            name,
            std::process::id(),
            k,
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch { dir }
    }
    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn opts(base: (u64, u64)) -> PmaOptions {
    PmaOptions {
        base: base.0,
        reserve: base.1,
        strict: true,
        ..Default::default()
    }
}

pub fn open(dir: &Path, base: (u64, u64)) -> Pma {
    Pma::open(dir, &opts(base)).unwrap_or_else(|e| panic!("open {}: {e}", dir.display()))
}

/// Deterministic 64-bit mixer (splitmix64).
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Fill `words` words at `p` with a pattern derived from `tag`.
///
/// # Safety
/// `p` must be valid for `words` writes (a freshly allocated or dirtied block).
pub unsafe fn fill(p: *mut u64, words: usize, tag: u64) {
    for i in 0..words {
        // SAFETY: caller guarantees p..p+words is writable.
        unsafe {
            p.add(i)
                .write(mix(tag ^ (i as u64).wrapping_mul(0x1000_0001)))
        };
    }
}

/// Check the pattern written by `fill`; returns the first bad word index.
///
/// # Safety
/// `p` must be valid for `words` reads.
pub unsafe fn verify(p: *const u64, words: usize, tag: u64) -> Option<usize> {
    (0..words).find(|&i| {
        // SAFETY: caller guarantees p..p+words is readable.
        let v = unsafe { p.add(i).read() };
        v != mix(tag ^ (i as u64).wrapping_mul(0x1000_0001))
    })
}
