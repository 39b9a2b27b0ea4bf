//! Inputs that crashed the `pma_open` fuzz target (kept in `fuzz/regressions/pma_open/`), replayed against the same
//! template arena: each mutated arena must be refused at open, or open and pass `pma_check`.

use mars::pma::{Pma, PmaOptions};
use std::path::Path;

fn opts() -> PmaOptions {
    PmaOptions {
        // An address range of its own, so that other test binaries' arenas never collide with it.
        base: 0x3a00_0000_0000,
        reserve: 1 << 30,
        ..Default::default()
    }
}

/// The fuzz target's template: 64 blocks, 16 roots, two commits.
fn template(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let mut p = Pma::open(dir, &opts()).unwrap();
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
    (img, wal)
}

/// The fuzz target's mutation: 6-byte records (file, offset LE u32, xor byte; bit 1 of the file byte truncates).
fn mutate(img: &[u8], wal: &[u8], data: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let (mut img, mut wal) = (img.to_vec(), wal.to_vec());
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
    (img, wal)
}

#[test]
fn pma_open_fuzz_crashers_are_refused_or_clean() {
    let root = std::env::temp_dir().join(format!("mars-pma-fuzz-reg-{}", std::process::id()));
    let (img, wal) = template(&root.join("template"));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/pma_open");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let (img, wal) = mutate(&img, &wal, &data);
        let d = root.join("case");
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("pma.img"), &img).unwrap();
        if !wal.is_empty() {
            std::fs::write(d.join("pma.wal"), &wal).unwrap();
        }
        match Pma::open(&d, &opts()) {
            Ok(mut p) => {
                let r = p.check();
                assert!(
                    r.is_clean(),
                    "{}: opened but fails its check: {}",
                    path.display(),
                    r.first_error
                );
            }
            Err(e) => assert!(
                e.to_string().contains("pma.img"),
                "{}: the refusal names the file: {e}",
                path.display()
            ),
        }
        n += 1;
    }
    assert!(n >= 1, "no regression inputs in {}", dir.display());
    let _ = std::fs::remove_dir_all(&root);
}
