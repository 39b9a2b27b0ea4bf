//! One test per row of the open/recovery decision table (design 4.7), plus version checks.
//! Files are produced by real commits stopped at numbered crash points (in a child process)
//! and by editing bytes of the superblocks and the WAL.
mod pma_util;

use mars::pma::{xxh64, Pma, PmaErrorKind};
use pma_util::*;
use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::Path;

const PAGE: u64 = 16384;

#[test]
fn dec_child() {
    simple_child();
}

/// Arena with `n` commits (generation n+1), then one more commit stopped at crash point `k`.
fn prepare(name: &str, n: u64, k: u32) -> (Scratch, (u64, u64)) {
    let s = Scratch::new(name);
    let base = unique_base();
    if n > 0 {
        assert_eq!(simple_in_child("dec_child", s.path(), base, n, 0), Some(0));
    }
    if k != 0 {
        assert_eq!(simple_in_child("dec_child", s.path(), base, 1, k), Some(77));
    }
    (s, base)
}

fn slot_gen(dir: &Path, slot: usize) -> (String, u64) {
    let r = Pma::inspect(dir).unwrap();
    (r.slots[slot].state.to_string(), r.slots[slot].generation)
}

fn wal(dir: &Path) -> (String, u64) {
    let r = Pma::inspect(dir).unwrap();
    (r.wal_state.to_string(), r.wal_generation)
}

fn rd(path: &Path, off: u64, len: usize) -> Vec<u8> {
    let f = OpenOptions::new().read(true).open(path).unwrap();
    let mut b = vec![0; len];
    f.read_exact_at(&mut b, off).unwrap();
    b
}

fn wr(path: &Path, off: u64, b: &[u8]) {
    let f = OpenOptions::new().write(true).open(path).unwrap();
    f.write_all_at(b, off).unwrap();
}

/// Rewrite a superblock field and reseal its checksum.
fn edit_slot(dir: &Path, slot: u64, off: usize, bytes: &[u8]) {
    let img = dir.join("pma.img");
    let mut sb = rd(&img, slot * PAGE, 512);
    sb[off..off + bytes.len()].copy_from_slice(bytes);
    let sum = xxh64(&sb[..504], 0);
    sb[504..].copy_from_slice(&sum.to_le_bytes());
    wr(&img, slot * PAGE, &sb);
}

fn open_err(dir: &Path, base: (u64, u64)) -> mars::pma::PmaError {
    match open_with(dir, &opts(base)) {
        Ok(_) => panic!("open of {} should fail", dir.display()),
        Err(e) => e,
    }
}

// Row 1: WAL valid at G+1 with base G -> replay, open at G+1 (other slot valid).
#[test]
fn row1_replay_other_valid() {
    let (s, base) = prepare("row1a", 3, 9);
    assert_eq!(wal(s.path()), ("valid".into(), 5));
    let mut p = open(s.path(), base);
    let m = p.meta();
    assert_eq!((m.generation, m.replayed), (5, 1));
    assert_eq!(simple_verify(&mut p), 4);
    drop(p);
    assert_eq!(wal(s.path()).0, "absent");
}

// Row 1 with the other slot zero (first commit after creation).
#[test]
fn row1_replay_other_zero() {
    let (s, base) = prepare("row1b", 0, 6);
    assert_eq!(slot_gen(s.path(), 1).0, "zero");
    assert_eq!(wal(s.path()), ("valid".into(), 2));
    let mut p = open(s.path(), base);
    assert_eq!(p.meta().generation, 2);
    assert_eq!(simple_verify(&mut p), 1);
}

// Row 1 with the other slot corrupt (torn superblock write, crash point 10).
#[test]
fn row1_replay_other_corrupt() {
    let (s, base) = prepare("row1c", 2, 10);
    // generation 3 lives in slot A; the torn write went to slot B (generation 4).
    assert_eq!(slot_gen(s.path(), 1).0, "corrupt");
    let mut p = open(s.path(), base);
    assert_eq!(p.meta().generation, 4);
    assert_eq!(simple_verify(&mut p), 3);
}

// Row 2: WAL valid but generation <= G (stale) -> retire, open at G.
#[test]
fn row2_stale_wal() {
    // Crash point 12: superblock durable, WAL not retired: WAL generation == G.
    let (s, base) = prepare("row2", 2, 12);
    assert_eq!(wal(s.path()), ("valid".into(), 4));
    let saved = std::fs::read(s.path().join("pma.wal")).unwrap();
    let mut p = open(s.path(), base);
    assert_eq!((p.meta().generation, p.meta().replayed), (4, 0));
    assert_eq!(simple_verify(&mut p), 3);
    simple_commits(&mut p, 2);
    drop(p);
    assert_eq!(wal(s.path()).0, "absent");
    // An older WAL (generation 4 < 6) put back is stale too.
    std::fs::write(s.path().join("pma.wal"), &saved).unwrap();
    assert_eq!(wal(s.path()), ("valid".into(), 4));
    let mut p = open(s.path(), base);
    assert_eq!((p.meta().generation, p.meta().replayed), (6, 0));
    assert_eq!(simple_verify(&mut p), 5);
    drop(p);
    assert_eq!(wal(s.path()).0, "absent");
}

// Row 3: WAL valid with generation > G+1 -> refuse (names both slots and the WAL).
#[test]
fn row3_wal_from_the_future() {
    let (s, base) = prepare("row3", 2, 0); // generation 3
    let old = Scratch::new("row3-old");
    copy_dir(s.path(), old.path());
    assert_eq!(simple_in_child("dec_child", s.path(), base, 1, 0), Some(0)); // generation 4
    assert_eq!(simple_in_child("dec_child", s.path(), base, 1, 6), Some(77)); // WAL 5
    assert_eq!(wal(s.path()), ("valid".into(), 5));
    std::fs::copy(old.path().join("pma.img"), s.path().join("pma.img")).unwrap();
    let e = open_err(s.path(), base);
    assert_eq!(e.kind, PmaErrorKind::Corrupt, "{e}");
    assert!(e.message.contains("pma.wal holds generation 5"), "{e}");
    assert!(e.message.contains("slot"), "{e}");
}

// Row 4: other slot valid or zero, WAL absent or invalid -> open at G.
#[test]
fn row4_wal_absent_or_invalid() {
    // Crash before the commit point (WAL body written, no header).
    let (s, base) = prepare("row4a", 2, 4);
    let mut p = open(s.path(), base);
    assert_eq!(p.meta().generation, 3);
    assert_eq!(simple_verify(&mut p), 2);
    drop(p);
    // Torn WAL header (crash point 5): invalid.
    assert_eq!(simple_in_child("dec_child", s.path(), base, 1, 5), Some(77));
    assert_eq!(wal(s.path()).0, "invalid");
    let mut p = open(s.path(), base);
    assert_eq!(p.meta().generation, 3);
    assert_eq!(simple_verify(&mut p), 2);
    drop(p);
    // A WAL from another image (wrong UUID) is invalid, not replayed.
    let (other, obase) = prepare("row4-other", 1, 9);
    let _ = obase;
    std::fs::copy(other.path().join("pma.wal"), s.path().join("pma.wal")).unwrap();
    assert_eq!(wal(s.path()).0, "invalid");
    let mut p = open(s.path(), base);
    assert_eq!(p.meta().generation, 3);
    assert_eq!(simple_verify(&mut p), 2);
    drop(p);
    // Other slot zero (fresh image), WAL absent.
    let (z, zbase) = prepare("row4z", 0, 0);
    std::fs::remove_file(z.path().join("pma.wal")).ok();
    let p = open(z.path(), zbase);
    assert_eq!(p.meta().generation, 1);
}

// Row 5: other slot corrupt, WAL absent or invalid -> refuse.
#[test]
fn row5_other_slot_corrupt_refuses() {
    let (s, base) = prepare("row5", 3, 0); // generation 4 in slot B, 3 in slot A
                                           // Damage the older slot A: refuse to guess.
    let img = s.path().join("pma.img");
    let mut b = rd(&img, 100, 1);
    b[0] ^= 0x10;
    wr(&img, 100, &b);
    let e = open_err(s.path(), base);
    assert_eq!(e.kind, PmaErrorKind::Corrupt, "{e}");
    assert!(e.message.contains("slot A is corrupt"), "{e}");
    b[0] ^= 0x10;
    wr(&img, 100, &b);
    // Damage the newest slot B: newest valid is A (3), B corrupt -> refuse.
    let mut c = rd(&img, PAGE + 60, 1);
    c[0] ^= 1;
    wr(&img, PAGE + 60, &c);
    let e = open_err(s.path(), base);
    assert_eq!(e.kind, PmaErrorKind::Corrupt, "{e}");
    assert!(e.message.contains("slot B is corrupt"), "{e}");
    c[0] ^= 1;
    wr(&img, PAGE + 60, &c);
    let mut p = open(s.path(), base);
    assert_eq!(simple_verify(&mut p), 3);
}

#[test]
fn version_and_feature_bits() {
    let (s, base) = prepare("version", 1, 0); // generation 2 in slot B
    let keep = Scratch::new("version-keep");
    copy_dir(s.path(), keep.path());
    // Newer major version in the newest slot.
    edit_slot(s.path(), 1, 8, &2u16.to_le_bytes());
    let e = open_err(s.path(), base);
    assert_eq!(e.kind, PmaErrorKind::Version, "{e}");
    // Unknown incompatible feature bit.
    copy_dir(keep.path(), s.path());
    edit_slot(s.path(), 1, 16, &1u32.to_le_bytes());
    let e = open_err(s.path(), base);
    assert_eq!(e.kind, PmaErrorKind::Version, "{e}");
    // Unknown compatible bits are ignored.
    copy_dir(keep.path(), s.path());
    edit_slot(s.path(), 1, 20, &0x8000_0000u32.to_le_bytes());
    let mut p = open(s.path(), base);
    assert_eq!(simple_verify(&mut p), 1);
    drop(p);
    // Both slots bad: no valid superblock.
    copy_dir(keep.path(), s.path());
    wr(&s.path().join("pma.img"), 0, b"xxxxxxxx");
    wr(&s.path().join("pma.img"), PAGE, b"xxxxxxxx");
    let e = open_err(s.path(), base);
    assert_eq!(e.kind, PmaErrorKind::Corrupt, "{e}");
    assert!(e.message.contains("no valid superblock"), "{e}");
}

#[test]
fn creation_crash_leaves_no_image() {
    let s = Scratch::new("create");
    let base = unique_base();
    assert_eq!(
        simple_in_child("dec_child", s.path(), base, 1, 18),
        Some(77)
    );
    assert!(s.path().join("pma.img.tmp").exists());
    assert!(!s.path().join("pma.img").exists());
    let mut p = open(s.path(), base);
    assert_eq!(p.meta().generation, 1);
    assert_eq!(simple_verify(&mut p), 0);
    drop(p);
    assert!(!s.path().join("pma.img.tmp").exists());
}
