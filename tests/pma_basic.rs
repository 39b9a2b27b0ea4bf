//! Basic behaviour of the PMA: hashing, allocation, commit, reopen, locking, GC, trim.
mod pma_util;

use mars::pma::{xxh64, Pma, PmaErrorKind};
use pma_util::*;

#[test]
fn xxh64_published_vectors() {
    assert_eq!(xxh64(b"", 0), 0xEF46_DB37_51D8_E999);
    assert_eq!(xxh64(b"a", 0), 0xD24E_C4F1_A98C_6E5B);
    assert_eq!(xxh64(b"abc", 0), 0x44BC_2CF5_AD77_0999);
    assert_eq!(
        xxh64(b"Nobody inspects the spammish repetition", 0),
        0xFBCE_A83C_8A37_8BF1
    );
    let kib: Vec<u8> = (0..1024).map(|i| (i % 256) as u8).collect();
    assert_eq!(xxh64(&kib, 0), 0x6F39_14F1_8FE4_DF57);
    assert_eq!(xxh64(b"", 0x9E37_79B1), 0xAC75_FDA2_929B_17EF);
    assert_eq!(xxh64(b"abc", 0x9E37_79B1), 0x1318_DF30_094A_85FD);
    assert_eq!(xxh64(&kib, 0x9E37_79B1), 0xB05A_F54D_5F68_BFF7);
}

#[test]
fn create_commit_reopen() {
    let s = Scratch::new("basic");
    let base = unique_base();
    let sizes = [
        8usize,
        16,
        24,
        100,
        1000,
        4096,
        8192,
        8193,
        20000,
        100_000,
        1 << 20,
    ];
    let mut blocks = vec![];
    {
        let mut p = open(s.path(), base);
        assert_eq!(p.meta().generation, 1);
        for (i, &sz) in sizes.iter().enumerate() {
            for j in 0..5 {
                let b = p.alloc(sz).unwrap();
                assert!(p.block_size(b.as_ptr()) >= sz);
                assert_eq!(b.as_ptr() as usize % 8, 0);
                let tag = (i * 100 + j) as u64;
                // SAFETY: fresh block of at least sz bytes.
                unsafe { fill(b.as_ptr(), sz / 8, tag) };
                blocks.push((b.as_ptr() as u64, sz, tag));
            }
        }
        p.root_set(0, blocks[0].0);
        p.root_set(15, 0xdead_beef);
        let cs = p.commit(7, 1, 0x1234).unwrap();
        assert_eq!(cs.generation, 2);
        let r = p.check();
        assert!(r.is_clean(), "{}", r.first_error);
        p.close().unwrap();
    }
    let mut p = open(s.path(), base);
    let m = p.meta();
    assert_eq!(
        (m.generation, m.event, m.epoch, m.kernel_mug),
        (2, 7, 1, 0x1234)
    );
    assert_eq!(p.roots()[0], blocks[0].0);
    assert_eq!(p.roots()[15], 0xdead_beef);
    for &(a, sz, tag) in &blocks {
        // SAFETY: committed block, mapped read-only.
        assert_eq!(unsafe { verify(a as *const u64, sz / 8, tag) }, None);
        assert!(p.block_size(a as *const u64) >= sz);
    }
    let r = p.check();
    assert!(r.is_clean(), "{}", r.first_error);
    // In-place rewrite with dirty, commit, reopen.
    let (a, sz, _) = blocks[3];
    p.dirty(a as *const u8, sz).unwrap();
    // SAFETY: dirtied block.
    unsafe { fill(a as *mut u64, sz / 8, 999) };
    p.commit(8, 1, 0).unwrap();
    drop(p);
    let mut p = open(s.path(), base);
    assert_eq!(p.meta().generation, 3);
    // SAFETY: committed block.
    assert_eq!(unsafe { verify(a as *const u64, sz / 8, 999) }, None);
    // Nothing dirty: no-op commit keeps the generation.
    let g = p.meta().generation;
    let cs = p.commit(8, 1, 0).unwrap();
    assert_eq!(cs.barriers, 0);
    assert_eq!(p.meta().generation, g);
    assert!(p.check().is_clean());
}

#[test]
fn lock_and_address_in_use() {
    let s = Scratch::new("lock");
    let s2 = Scratch::new("lock2");
    let base = unique_base();
    let p = open(s.path(), base);
    let e = Pma::open(s.path(), &opts(unique_base()))
        .err()
        .expect("second open must fail");
    assert_eq!(e.kind, PmaErrorKind::Locked, "{e}");
    let e = Pma::open(s2.path(), &opts(base))
        .err()
        .expect("same base must fail");
    assert_eq!(e.kind, PmaErrorKind::AddrInUse, "{e}");
    drop(p);
    let p = open(s.path(), base);
    drop(p);
}

#[test]
fn free_and_reuse_and_badarg() {
    let s = Scratch::new("free");
    let mut p = open(s.path(), unique_base());
    let a = p.alloc(64).unwrap();
    p.free(a.as_ptr()).unwrap();
    assert_eq!(p.free(a.as_ptr()).unwrap_err().kind, PmaErrorKind::BadArg);
    let b = p.alloc(64).unwrap();
    assert_eq!(a, b, "freed slot is reused immediately");
    let big = p.alloc(200_000).unwrap();
    // SAFETY: interior pointer is never dereferenced.
    let interior = unsafe { big.as_ptr().add(1) };
    assert_eq!(p.free(interior).unwrap_err().kind, PmaErrorKind::BadArg);
    p.free(big.as_ptr()).unwrap();
    let big2 = p.alloc(200_000).unwrap();
    assert_eq!(big, big2);
    assert!(p.check().is_clean(), "{}", p.check().first_error);
    assert!(p.dirty(std::ptr::null(), 8).is_err());
}

#[test]
fn gc_reclaims_unmarked_and_keeps_marked() {
    let s = Scratch::new("gc");
    let base = unique_base();
    let mut p = open(s.path(), base);
    let mut live = vec![];
    let mut dead = 0usize;
    for i in 0..20_000u64 {
        let sz = [16usize, 24, 48, 200, 3000, 9000, 70_000][(i % 7) as usize];
        if i % 7 == 6 && i % 3 != 0 {
            continue;
        }
        let b = p.alloc(sz).unwrap();
        // SAFETY: fresh block.
        unsafe { fill(b.as_ptr(), sz / 8, i) };
        if i % 3 == 0 {
            live.push((b.as_ptr(), sz, i));
        } else {
            dead += 1;
        }
    }
    p.commit(1, 0, 0).unwrap();
    let before = p.stats();
    let st = p
        .gc(|m| {
            for &(b, _, _) in &live {
                assert!(m.mark(b as *const u8));
            }
            assert!(!m.mark(live[0].0 as *const u8));
        })
        .unwrap();
    assert_eq!(st.blocks_freed as usize, dead);
    assert_eq!(st.blocks_live as usize, live.len());
    let after = p.stats();
    assert!(after.bytes_in_use < before.bytes_in_use);
    assert_eq!(after.blocks_in_use as usize, live.len());
    let r = p.check();
    assert!(r.is_clean(), "{}", r.first_error);
    p.commit(2, 0, 0).unwrap();
    // A GC that frees nothing dirties (almost) nothing.
    let st = p
        .gc(|m| {
            for &(b, _, _) in &live {
                m.mark(b as *const u8);
            }
        })
        .unwrap();
    assert_eq!(st.blocks_freed, 0);
    assert!(st.side_pages_dirtied <= 1, "{}", st.side_pages_dirtied);
    p.commit(3, 0, 0).unwrap();
    p.trim().unwrap();
    p.commit(4, 0, 0).unwrap();
    drop(p);
    let mut p = open(s.path(), base);
    for &(b, sz, tag) in &live {
        // SAFETY: committed live block.
        assert_eq!(unsafe { verify(b, sz / 8, tag) }, None);
    }
    let r = p.check();
    assert!(r.is_clean(), "{}", r.first_error);
    // Freed space is reused.
    for _ in 0..1000 {
        p.alloc(24).unwrap();
    }
    assert!(p.check().is_clean());
}

#[test]
fn inspect_reports_slots_and_wal() {
    let s = Scratch::new("inspect");
    let mut p = open(s.path(), unique_base());
    p.alloc(100).unwrap();
    p.commit(5, 0, 0xabc).unwrap();
    let r = p.inspect_live().unwrap();
    let text = r.to_string();
    assert!(text.contains("slot A: valid generation 1"), "{text}");
    assert!(
        text.contains("slot B: valid generation 2 event 5"),
        "{text}"
    );
    assert!(text.contains("pma.wal: absent"), "{text}");
    assert!(text.contains("live: frontier"), "{text}");
}
