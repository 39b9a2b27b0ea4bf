//! Opening a mutated persistent arena: a small valid arena is made once; each input is a list of (file, offset, byte)
//! mutations and truncations applied to a copy. Open must refuse with an error or recover, and a successful open must
//! pass `pma_check` — never crash or hang.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mars::pma::{Pma, PmaOptions};
use std::path::PathBuf;
use std::sync::OnceLock;

fn template() -> &'static (Vec<u8>, Vec<u8>) {
    static T: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    T.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("mars-fuzz-pma-template-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut p = Pma::open(&dir, &PmaOptions::default()).unwrap();
        for i in 0..64u64 {
            let b = p.alloc(24 + (i as usize % 5) * 40).unwrap().as_ptr();
            // SAFETY: a fresh block of at least 24 bytes.
            unsafe { *b = i };
            p.root_set((i % 16) as usize, b as u64);
        }
        p.commit(1, 0, 7).unwrap();
        p.commit(2, 0, 9).unwrap();
        drop(p);
        let img = std::fs::read(dir.join("pma.img")).unwrap();
        let wal = std::fs::read(dir.join("pma.wal")).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        (img, wal)
    })
}

fuzz_target!(|data: &[u8]| {
    let (img, wal) = template();
    let (mut img, mut wal) = (img.clone(), wal.clone());
    for m in data.chunks(6) {
        if m.len() < 6 {
            break;
        }
        let off = u32::from_le_bytes([m[1], m[2], m[3], m[4]]) as usize;
        let target = if m[0] & 1 == 0 { &mut img } else { &mut wal };
        if m[0] & 2 != 0 && off < target.len() {
            target.truncate(off);
        } else if !target.is_empty() {
            let i = off % target.len();
            target[i] ^= m[5];
        }
    }
    let dir: PathBuf = std::env::temp_dir().join(format!("mars-fuzz-pma-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("pma.img"), &img).unwrap();
    if !wal.is_empty() {
        std::fs::write(dir.join("pma.wal"), &wal).unwrap();
    }
    if let Ok(mut p) = Pma::open(&dir, &PmaOptions::default()) {
        let r = p.check();
        assert!(r.is_clean(), "opened an arena that fails its check: {}", r.first_error);
    }
    let _ = std::fs::remove_dir_all(&dir);
});
