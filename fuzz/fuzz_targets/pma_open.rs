//! Opening a mutated persistent arena: a small valid arena is made once; each input is a list of (file, offset, byte)
//! mutations and truncations applied to a copy. Open must refuse with an error or recover, and a successful open must
//! pass `pma_check` — never crash or hang.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mars::pma::fuzz;
use mars::pma::{Pma, PmaOptions};
use std::path::PathBuf;
use std::sync::OnceLock;

fn cached_template() -> &'static (Vec<u8>, Vec<u8>) {
    static T: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    T.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("mars-fuzz-pma-template-{}", std::process::id()));
        let files = fuzz::template(&dir, &PmaOptions::default()).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        files
    })
}

fuzz_target!(|data: &[u8]| {
    let (img, wal) = cached_template();
    let (img, wal) = fuzz::mutate(img, wal, data);
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
