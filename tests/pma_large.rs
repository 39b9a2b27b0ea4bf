//! R1: no limit on dirty pages. One generation allocates and writes 256 MiB (1 GiB in the
//! ignored variant) of contiguous and scattered blocks, commits, reopens and compares; then a
//! second generation overwrites scattered pages of it in place (WAL path) and does the same.
mod pma_util;

use pma_util::*;

fn pattern_fill(p: *mut u64, words: usize, tag: u64) {
    for i in 0..words {
        // SAFETY: callers pass blocks of at least `words` writable words.
        unsafe { p.add(i).write(tag ^ (i as u64).wrapping_mul(0x9E37_79B9)) };
    }
}

fn pattern_ok(p: *const u64, words: usize, tag: u64) -> bool {
    // SAFETY: callers pass live blocks of at least `words` words.
    (0..words).all(|i| unsafe { p.add(i).read() } == tag ^ (i as u64).wrapping_mul(0x9E37_79B9))
}

fn large(total: usize) {
    let s = Scratch::new("large");
    let base = (unique_base().0, 64 << 30);
    let mut blocks = vec![];
    let mut p = open(s.path(), base);
    let mut used = 0usize;
    let mut i = 0u64;
    while used < total {
        // 3 of 4 bytes in 1 MiB contiguous blocks, the rest in 1..8 KiB scattered blocks
        let size = if i % 64 < 3 {
            1 << 20
        } else {
            1024 + (mix(i) % 7168) as usize
        };
        let b = p.alloc(size).unwrap().as_ptr();
        pattern_fill(b, size / 8, i);
        blocks.push((b, size, i));
        used += size;
        i += 1;
    }
    let cs = p.commit(1, 0, 0).unwrap();
    assert!(cs.fresh_pages * 16384 >= total as u64 * 9 / 10, "{cs:?}");
    drop(p);
    let mut p = open(s.path(), base);
    assert!(blocks.iter().all(|&(b, sz, t)| pattern_ok(b, sz / 8, t)));
    let r = p.check();
    assert!(r.is_clean(), "{}", r.first_error);
    // Overwrite every 3rd block in place: these pages go through the WAL.
    for (b, sz, t) in blocks.iter_mut().step_by(3) {
        p.dirty(*b as *const u8, *sz).unwrap();
        *t += 1_000_000;
        pattern_fill(*b, *sz / 8, *t);
    }
    let cs = p.commit(2, 0, 0).unwrap();
    assert!(cs.wal_pages > 0, "{cs:?}");
    drop(p);
    let mut p = open(s.path(), base);
    assert_eq!(p.meta().generation, 3);
    assert!(blocks.iter().all(|&(b, sz, t)| pattern_ok(b, sz / 8, t)));
    let r = p.check();
    assert!(r.is_clean(), "{}", r.first_error);
}

#[test]
fn large_generation_256mib() {
    large(256 << 20);
}

#[test]
#[ignore]
fn large_generation_1gib() {
    large(1 << 30);
}
