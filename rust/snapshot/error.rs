//! What went wrong with a snapshot store.

use crate::pma::{PmaError, PmaErrorKind};
use std::fmt;
use std::path::PathBuf;

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
            SnapshotError::Arena { dir, error } => {
                if Self::arena_unreadable(error) {
                    f.write_str(REFUSING)?;
                }
                write!(f, "{}: {error}", dir.display())
            }
            SnapshotError::Corrupt { reasons } => {
                write!(f, "{REFUSING}{}", reasons.join("; "))
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
