//! Dirty-tracking safety net (design 4.5): clean pages are read-only; in strict mode a write
//! without `dirty` aborts; otherwise the fault handler dirties the page and counts it.
mod pma_util;

use mars::pma::{install_fault_handler, PmaOptions};
use pma_util::*;
use std::path::Path;

#[test]
fn strict_child() {
    if let Ok(dir) = std::env::var("PMA_STRICT_DIR") {
        install_fault_handler();
        let mut p = open(Path::new(&dir), unique_base());
        let b = p.alloc(64).unwrap().as_ptr();
        p.commit(1, 0, 0).unwrap();
        // A write to a clean (committed) page without dirty: must abort in strict mode.
        // SAFETY: b is a live block; the store is intentionally undeclared.
        unsafe { std::ptr::write_volatile(b, 42) };
        println!("\nSURVIVED");
    }
}

#[test]
fn strict_mode_write_without_dirty_aborts() {
    let s = Scratch::new("strict");
    let (code, out) = spawn_self(
        "strict_child",
        &[("PMA_STRICT_DIR", s.path().display().to_string())],
    );
    assert_eq!(code, None, "child must die by a signal: {out}");
    assert!(!out.contains("SURVIVED"), "{out}");
    assert!(out.contains("strict mode"), "{out}");
}

#[test]
fn lenient_mode_fault_dirties_and_counts() {
    install_fault_handler();
    let s = Scratch::new("lenient");
    let base = unique_base();
    let o = PmaOptions {
        base: base.0,
        reserve: base.1,
        strict: false,
        ..Default::default()
    };
    let mut p = open_with(s.path(), &o).unwrap();
    let b = p.alloc(64).unwrap().as_ptr();
    // SAFETY: fresh block.
    unsafe { b.write(1) };
    p.commit(1, 0, 0).unwrap();
    assert_eq!(p.stats().implicit_dirty_faults, 0);
    // SAFETY: live block; the fault handler makes the page writable and dirty.
    unsafe { std::ptr::write_volatile(b, 77) };
    assert_eq!(p.stats().implicit_dirty_faults, 1);
    // SAFETY: same page, now dirty: no further fault.
    unsafe { std::ptr::write_volatile(b.add(1), 78) };
    assert_eq!(p.stats().implicit_dirty_faults, 1);
    p.commit(2, 0, 0).unwrap();
    drop(p);
    let p = open_with(s.path(), &o).unwrap();
    // SAFETY: committed block.
    assert_eq!(unsafe { (b.read(), b.add(1).read()) }, (77, 78));
    assert_eq!(p.stats().implicit_dirty_faults, 0);
}

#[test]
fn declared_writes_produce_no_faults() {
    let s = Scratch::new("declared");
    let mut p = open(s.path(), unique_base());
    let b = p.alloc(100_000).unwrap().as_ptr();
    p.commit(1, 0, 0).unwrap();
    for i in 0..1000 {
        // SAFETY: b is a live block of 12,500 words.
        unsafe { p.write_u64(b.add(i * 12), i as u64).unwrap() };
    }
    let st = p.stats();
    assert_eq!(st.implicit_dirty_faults, 0);
    assert!(st.dirty_pages >= 5, "{}", st.dirty_pages);
    p.commit(2, 0, 0).unwrap();
    assert_eq!(p.stats().dirty_pages, 0);
}

fn arena_mappings(lo: u64, hi: u64) -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .filter(|l| {
            let r = l.split_whitespace().next().unwrap();
            let (a, b) = r.split_once('-').unwrap();
            let (a, b) = (
                u64::from_str_radix(a, 16).unwrap(),
                u64::from_str_radix(b, 16).unwrap(),
            );
            a < hi && b > lo
        })
        .count()
}

#[test]
fn open_mode_when_mapping_budget_exceeded() {
    let s = Scratch::new("openmode");
    let base = unique_base();
    let o = PmaOptions {
        base: base.0,
        reserve: base.1,
        strict: true,
        max_dirty_runs: 8,
        ..Default::default()
    };
    let mut p = open_with(s.path(), &o).unwrap();
    let words = (4 << 20) / 8;
    let b = p.alloc(words * 8).unwrap().as_ptr();
    // SAFETY: fresh block.
    unsafe { fill(b, words, 1) };
    p.commit(1, 0, 0).unwrap();
    let page_words = 16384 / 8;
    for pg in (0..256).step_by(2) {
        // SAFETY: b is a live block of 256 pages.
        unsafe {
            p.write_u64(b.add(pg * page_words), 1000 + pg as u64)
                .unwrap()
        };
    }
    assert_eq!(p.stats().open_mode, 1, "budget of 8 runs exceeded");
    // In open mode an undeclared write is still captured (pagemap at commit).
    // SAFETY: live block, writable in open mode.
    unsafe { b.add(page_words + 5).write(4242) };
    p.commit(2, 0, 0).unwrap();
    let st = p.stats();
    assert_eq!(st.open_mode, 0);
    assert!(st.open_mode_pages >= 1);
    assert!(arena_mappings(base.0, base.0 + base.1) <= 4);
    drop(p);
    let mut p = open_with(s.path(), &o).unwrap();
    for pg in (0..256).step_by(2) {
        // SAFETY: committed block.
        assert_eq!(unsafe { b.add(pg * page_words).read() }, 1000 + pg as u64);
    }
    // SAFETY: committed block.
    assert_eq!(unsafe { b.add(page_words + 5).read() }, 4242);
    assert!(p.check().is_clean());
}
