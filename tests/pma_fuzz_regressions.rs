//! Inputs that crashed the `pma_open` fuzz target (kept in `fuzz/regressions/pma_open/`), replayed against the same
//! template arena: each mutated arena must be refused at open, or open and pass `pma_check`.

use mars::pma::fuzz::{mutate, template};
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

#[test]
fn pma_open_fuzz_crashers_are_refused_or_clean() {
    let root = std::env::temp_dir().join(format!("mars-pma-fuzz-reg-{}", std::process::id()));
    let (img, wal) = template(&root.join("template"), &opts()).unwrap();
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
