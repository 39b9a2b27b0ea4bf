//! Deterministic corrupt-file mutation tests (R7, R9): flipped bits, truncations and zeroed
//! regions in the superblocks, the WAL and the image must give a precise error or an exact
//! recovery, never a crash. Two starting states: a clean arena (WAL retired) and an arena whose
//! last commit stopped after its commit point (WAL valid, to be replayed).
mod pma_util;

use mars::pma::{Pma, PmaErrorKind};
use pma_util::*;
use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::Path;

const PAGE: u64 = 16384;

#[test]
fn corrupt_child() {
    simple_child();
}

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = mix(self.0);
        self.0 % n
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Region {
    SlotNewest,
    SlotOlder,
    WalHeader,
    WalIndex,
    WalPayload,
    ImageData,
    TruncImage,
    TruncWal,
    ZeroSlotNewest,
}

fn flip(path: &Path, off: u64, bit: u8) {
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut b = [0u8];
    f.read_exact_at(&mut b, off).unwrap();
    b[0] ^= 1 << bit;
    f.write_all_at(&b, off).unwrap();
}

/// Run `cases` mutations of the prepared directory `src`; `g` is its generation, `wal_valid`
/// whether a WAL for g+1 is pending.
fn mutate_all(src: &Path, base: (u64, u64), g: u64, wal_valid: bool, cases: u64, seed: u64) -> u64 {
    let work = Scratch::new("corrupt-case");
    let img_len = std::fs::metadata(src.join("pma.img")).unwrap().len();
    let wal_len = std::fs::metadata(src.join("pma.wal")).unwrap().len();
    let wal_pages = if wal_valid {
        Pma::inspect(src).unwrap().wal_pages
    } else {
        0
    };
    let newest_slot = (g + 1) % 2;
    let older_slot = 1 - newest_slot;
    let mut r = Rng(seed);
    let regions = [
        Region::SlotNewest,
        Region::SlotOlder,
        Region::WalHeader,
        Region::WalIndex,
        Region::WalPayload,
        Region::ImageData,
        Region::TruncImage,
        Region::TruncWal,
        Region::ZeroSlotNewest,
    ];
    let mut done = 0;
    for i in 0..cases {
        let region = regions[(i % regions.len() as u64) as usize];
        copy_dir(src, work.path());
        let img = work.path().join("pma.img");
        let wal = work.path().join("pma.wal");
        let bit = r.below(8) as u8;
        match region {
            Region::SlotNewest => flip(&img, newest_slot * PAGE + r.below(512), bit),
            Region::SlotOlder => flip(&img, older_slot * PAGE + r.below(512), bit),
            Region::WalHeader => flip(&wal, r.below(4096), bit),
            Region::WalIndex => {
                if wal_pages == 0 {
                    continue;
                }
                flip(&wal, PAGE + r.below(wal_pages * 16), bit)
            }
            Region::WalPayload => {
                if wal_pages == 0 {
                    continue;
                }
                let idx_pad = (wal_pages * 16).div_ceil(PAGE) * PAGE;
                flip(&wal, PAGE + idx_pad + r.below(wal_pages * PAGE), bit)
            }
            Region::ImageData => flip(&img, 2 * PAGE + r.below(img_len - 2 * PAGE), bit),
            Region::TruncImage => {
                let f = OpenOptions::new().write(true).open(&img).unwrap();
                f.set_len(r.below(img_len)).unwrap();
            }
            Region::TruncWal => {
                let f = OpenOptions::new().write(true).open(&wal).unwrap();
                f.set_len(r.below(wal_len.max(1))).unwrap();
            }
            Region::ZeroSlotNewest => {
                let f = OpenOptions::new().write(true).open(&img).unwrap();
                f.write_all_at(&[0u8; 512], newest_slot * PAGE).unwrap();
            }
        }
        done += 1;
        let res = open_with(work.path(), &opts(base));
        let ctx = format!("case {i} region {region:?} wal_valid {wal_valid}");
        match (region, wal_valid) {
            // Clean arena: a damaged superblock leaves the other slot as newest valid and the
            // damaged one as "other corrupt", with no WAL: refuse.
            (Region::SlotNewest | Region::SlotOlder, false) => {
                let e = res.err().unwrap_or_else(|| panic!("{ctx}: must refuse"));
                assert!(
                    matches!(e.kind, PmaErrorKind::Corrupt | PmaErrorKind::Version),
                    "{ctx}: {e}"
                );
            }
            // A zeroed newest slot when generation > 2 was reached: refuse, never fall back
            // to the older slot (the image already holds newer pages).
            (Region::ZeroSlotNewest, false) => {
                let e = res.err().unwrap_or_else(|| panic!("{ctx}: must refuse"));
                assert_eq!(e.kind, PmaErrorKind::Corrupt, "{ctx}: {e}");
            }
            // Pending WAL for g+1: damaging the newest slot makes the WAL two generations
            // ahead -> refuse; damaging the older slot still replays.
            (Region::SlotNewest | Region::ZeroSlotNewest, true) => {
                let e = res.err().unwrap_or_else(|| panic!("{ctx}: must refuse"));
                assert!(
                    matches!(e.kind, PmaErrorKind::Corrupt | PmaErrorKind::Version),
                    "{ctx}: {e}"
                );
            }
            (Region::SlotOlder, true) => {
                let mut p = res.unwrap_or_else(|e| panic!("{ctx}: {e}"));
                assert_eq!(p.meta().generation, g + 1, "{ctx}");
                assert_eq!(simple_verify(&mut p), g, "{ctx}");
            }
            // Damaged WAL header/index or truncated WAL: not replayed; open at G.
            (Region::WalHeader | Region::WalIndex | Region::TruncWal, _) => {
                let mut p = res.unwrap_or_else(|e| panic!("{ctx}: {e}"));
                let want = if wal_valid && region == Region::TruncWal {
                    // truncation may leave the WAL intact (cut beyond its end)
                    p.meta().generation.max(g)
                } else {
                    g
                };
                assert_eq!(p.meta().generation, want, "{ctx}");
                simple_verify(&mut p);
            }
            // Valid header, damaged payload: media damage, precise refusal.
            (Region::WalPayload, _) => {
                let e = res.err().unwrap_or_else(|| panic!("{ctx}: must refuse"));
                assert_eq!(e.kind, PmaErrorKind::Corrupt, "{ctx}: {e}");
                assert!(e.message.contains("fails its checksum"), "{ctx}: {e}");
            }
            // Image data pages carry no checksum (the WAL and headers do): opening must not
            // crash, and pma_check must run to completion on whatever it finds.
            (Region::ImageData, _) => {
                if let Ok(mut p) = res {
                    let _ = p.check();
                }
            }
            (Region::TruncImage, _) => match res {
                Err(e) => assert!(
                    matches!(e.kind, PmaErrorKind::Corrupt | PmaErrorKind::Version),
                    "{ctx}: {e}"
                ),
                Ok(mut p) => {
                    // only possible when the WAL replay rewrote what was cut, or the cut was
                    // beyond arena_bytes
                    simple_verify(&mut p);
                }
            },
        }
    }
    done
}

fn prepare(name: &str, wal_valid: bool) -> (Scratch, (u64, u64), u64) {
    let s = Scratch::new(name);
    let base = unique_base();
    assert_eq!(
        simple_in_child("corrupt_child", s.path(), base, 4, 0),
        Some(0)
    );
    if wal_valid {
        assert_eq!(
            simple_in_child("corrupt_child", s.path(), base, 1, 9),
            Some(77)
        );
    }
    (s, base, 5)
}

fn cases() -> u64 {
    std::env::var("PMA_CORRUPT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500)
}

#[test]
fn corrupt_clean_arena() {
    let (s, base, g) = prepare("corrupt-clean", false);
    let n = mutate_all(s.path(), base, g, false, cases(), 0x1234);
    assert!(n >= cases() * 7 / 9);
}

#[test]
fn corrupt_pending_wal() {
    let (s, base, g) = prepare("corrupt-wal", true);
    assert_eq!(Pma::inspect(s.path()).unwrap().wal_state, "valid");
    let n = mutate_all(s.path(), base, g, true, cases(), 0x5678);
    assert!(n >= cases() * 8 / 9);
}

#[test]
#[ignore]
fn corrupt_long() {
    let (s, base, g) = prepare("corrupt-long-clean", false);
    mutate_all(s.path(), base, g, false, 5000, 0x9999);
    let (s, base, g) = prepare("corrupt-long-wal", true);
    mutate_all(s.path(), base, g, true, 5000, 0x7777);
}
