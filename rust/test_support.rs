//! Locating the shared reference material (`../shared`) in tests.

use std::path::{Path, PathBuf};

/// `$MARS_SHARED`, or the `shared` directory beside the crate.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("MARS_SHARED") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("shared"),
    }
}

/// `$MARS_PILLS`, or `shared/pills`.
pub fn pills_dir() -> PathBuf {
    match std::env::var_os("MARS_PILLS") {
        Some(p) => PathBuf::from(p),
        None => shared_dir().join("pills"),
    }
}

/// Read a reference file; if it is absent, print why the test is skipped and return `None`, unless
/// `MARS_REQUIRE_PILLS=1`, in which case a missing file fails the test.
pub fn read_shared(path: &Path) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(b) => Some(b),
        Err(e) => {
            if std::env::var("MARS_REQUIRE_PILLS").as_deref() == Ok("1") {
                panic!("required reference file {} is missing: {e}", path.display());
            }
            eprintln!(
                "skipped: {} is not available ({e}); set MARS_PILLS/MARS_SHARED to run this test",
                path.display()
            );
            None
        }
    }
}
