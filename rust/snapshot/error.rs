//! What went wrong with a snapshot store.

use crate::pma::{PmaError, PmaErrorKind};
use std::fmt;
use std::path::{Path, PathBuf};

/// Where memory ran out.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Space {
    /// The NockStack (the loom): the state, or what a collection of the root frame must keep, does not fit.
    Stack,
    /// The persistent arena cannot grow (its address reservation or the disk).
    Arena,
    /// Process memory (a jam of the state).
    Heap,
}

/// Why a snapshot could not be loaded, kept or written.
#[derive(Debug)]
pub enum SnapshotError {
    /// A file operation failed.
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The persistent arena in `dir` refused: open, commit or collection failed (corruption, a lock, a full disk).
    Arena { dir: PathBuf, error: PmaError },
    /// Snapshot files exist but none is valid: the state cannot be recovered from them.
    Corrupt { reasons: Vec<String> },
    /// Memory ran out.
    OutOfMemory(Space),
}

impl SnapshotError {
    /// The arena refused to open because what it found is not a valid arena (as opposed to a lock or an I/O error).
    fn arena_unreadable(error: &PmaError) -> bool {
        matches!(error.kind, PmaErrorKind::Corrupt | PmaErrorKind::Version)
    }
}

/// Prefix of every error that means "the snapshot exists and is bad".
const REFUSING: &str = "no valid snapshot (refusing to boot fresh over it): ";

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            SnapshotError::Arena { dir, error } if error.kind == PmaErrorKind::Locked => {
                let img = dir.join("pma.img");
                match lock_holder(&img) {
                    Some(pid) => {
                        write!(f, "{}: the arena is locked by process {pid}", img.display())
                    }
                    None => write!(
                        f,
                        "{}: the arena is locked by another process",
                        img.display()
                    ),
                }
            }
            SnapshotError::Arena { dir, error } => {
                if Self::arena_unreadable(error) {
                    f.write_str(REFUSING)?;
                }
                write!(f, "{}: {error}", dir.display())?;
                if Self::arena_unreadable(error) {
                    f.write_str(RECOVER)?;
                }
                Ok(())
            }
            SnapshotError::Corrupt { reasons } => {
                write!(f, "{REFUSING}{}{RECOVER}", reasons.join("; "))
            }
            SnapshotError::OutOfMemory(Space::Stack) => write!(
                f,
                "out of memory: the state no longer fits the NockStack (give a larger loom)"
            ),
            SnapshotError::OutOfMemory(Space::Arena) => {
                write!(f, "out of memory: the persistent arena cannot grow")
            }
            SnapshotError::OutOfMemory(Space::Heap) => {
                write!(f, "out of memory: process memory is exhausted")
            }
        }
    }
}

impl std::error::Error for SnapshotError {}

/// How to recover from a bad snapshot: the snapshot is only a cache of the event log, which it never runs ahead of.
const RECOVER: &str = " (the event log is not affected: move the snapshot aside, `PIER/.urb/chk/mars/` or \
                       `PIER/.urb/chk/mars-*.jam`, and rebuild it from the log with `mars play PIER`)";

/// The process holding the `flock` on `file`, from `/proc/locks` (Linux), if it can be found.
fn lock_holder(file: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let md = std::fs::metadata(file).ok()?;
    let dev = format!(
        "{:02x}:{:02x}:{}",
        libc::major(md.dev()),
        libc::minor(md.dev()),
        md.ino()
    );
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    // `1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234 0 EOF`; waiting requests carry `->` and are skipped.
    locks
        .lines()
        .filter(|l| !l.contains("->"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|w| w.len() >= 6 && w[1] == "FLOCK" && w[5] == dev)
        .and_then(|w| w[4].parse().ok())
}
