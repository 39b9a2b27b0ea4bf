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
        Err(e) => skip_or_fail(path, &e.to_string()),
    }
}

/// Vere's event log of a brass fake ~zod (`shared/fixtures/vere-zod`, with `mugs.txt`), or `None` after saying why
/// it is absent; with `MARS_REQUIRE_PILLS=1` an absent fixture fails the test.
pub fn vere_zod_fixture() -> Option<PathBuf> {
    fixture("vere-zod", &[".urb/log/data.mdb", "mugs.txt"])
}

/// Vere 4.5's event log (epoch layout) of a brass fake ~zod (`shared/fixtures/vere45-zod`, with `mugs.txt`), or
/// `None` after saying why it is absent, as for [`vere_zod_fixture`].
pub fn vere45_zod_fixture() -> Option<PathBuf> {
    fixture(
        "vere45-zod",
        &[".urb/log/data.mdb", ".urb/log/0i0/data.mdb", "mugs.txt"],
    )
}

fn fixture(name: &str, needed: &[&str]) -> Option<PathBuf> {
    let dir = shared_dir().join("fixtures").join(name);
    for needed in needed {
        let needed = dir.join(needed);
        if !needed.is_file() {
            return skip_or_fail(&needed, "not found");
        }
    }
    Some(dir)
}

fn skip_or_fail<T>(path: &Path, why: &str) -> Option<T> {
    if std::env::var("MARS_REQUIRE_PILLS").as_deref() == Ok("1") {
        panic!(
            "required reference file {} is missing: {why}",
            path.display()
        );
    }
    eprintln!(
        "skipped: {} is not available ({why}); set MARS_PILLS/MARS_SHARED to run this test",
        path.display()
    );
    None
}
