//! The one error type of the event-log module.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while opening, reading or writing an event log.
///
/// Every variant carries the path of the log directory (`<pier>/.urb/log`) or
/// of the file concerned, so that a message shown to a person says where to look.
#[derive(Debug)]
pub enum LogError {
    /// `<pier>/.urb/log` does not exist (or is not a directory).
    MissingLogDir { path: PathBuf },
    /// The log directory exists but holds no `data.mdb`.
    MissingDataFile { path: PathBuf },
    /// `data.mdb` is not an LMDB environment of the 0.9 format (bad magic,
    /// wrong format version, too short to hold the two meta pages).
    NotAnEnv { path: PathBuf, detail: String },
    /// `data.mdb` looks like LMDB but its structure is broken (truncated,
    /// page numbers out of range, LMDB reported corruption).
    Damaged { path: PathBuf, detail: String },
    /// The `META` database is absent.
    MissingMetaDb { path: PathBuf },
    /// A key of `META` is absent.
    MissingMetaKey { path: PathBuf, key: &'static str },
    /// A `META` value is longer than its field allows.
    BadMetaValue {
        path: PathBuf,
        key: &'static str,
        len: usize,
    },
    /// `META.version` is not one the opener supports (`supported` says which).
    WrongVersion {
        path: PathBuf,
        found: u64,
        supported: &'static str,
    },
    /// The `EVENTS` database is absent.
    MissingEventsDb { path: PathBuf },
    /// A database was created with other flags than Vere's (`META`: none,
    /// `EVENTS`: `MDB_INTEGERKEY` = 0x08).
    WrongDbFlags {
        path: PathBuf,
        db: &'static str,
        flags: u16,
        expected: u16,
    },
    /// Event numbers are not contiguous: `missing` is the first absent number.
    Gap { path: PathBuf, missing: u64 },
    /// An `EVENTS` value is shorter than the 4-byte mug.
    Truncated {
        path: PathBuf,
        number: u64,
        len: usize,
    },
    /// An `EVENTS` key is not 8 bytes long.
    BadKey { path: PathBuf, len: usize },
    /// An append was not for the next event number.
    NotContiguous {
        path: PathBuf,
        expected: u64,
        got: u64,
    },
    /// An append tried to overwrite an existing event (refused by `MDB_NOOVERWRITE`).
    AlreadyWritten { path: PathBuf, number: u64 },
    /// `create` found a log that already has a `META` database.
    AlreadyExists { path: PathBuf },
    /// A write was attempted on a log opened read-only.
    ReadOnly { path: PathBuf },
    /// Event number 0 was given; events start at 1.
    ZeroEvent { path: PathBuf },
    /// The log is already open in this process with other options
    /// (read-only against writable); close the other handle first.
    AlreadyOpen { path: PathBuf },
    /// Contradictory open options.
    InvalidOptions { path: PathBuf, detail: &'static str },
    /// The top-level `META` says version 3 (the epoch layout) but
    /// `<pier>/.urb/log` holds no `0i<N>` epoch directory.
    NoEpochs { path: PathBuf },
    /// An epoch's `epoc.txt` is missing, too long or not a number.
    BadEpochFile { path: PathBuf, detail: String },
    /// An epoch's `epoc.txt` names a format this module does not know
    /// (Vere 4.x writes 2; 1 is the older epoch format).
    UnknownEpochFormat { path: PathBuf, found: u32 },
    /// The epochs do not fit together: an epoch's `META` names another ship
    /// than the top level, or its events overlap the next epoch's.
    EpochMismatch { path: PathBuf, detail: String },
    /// A writable open found a P1 log (`META.version` 1, or 2 for a
    /// migration Vere started): migrate it first (`eventlog::migrate`).
    NeedsMigration { path: PathBuf, version: u64 },
    /// A rollover's epoch directory already exists.
    EpochExists { path: PathBuf },
    /// A rollover was asked for at the event the latest epoch starts after:
    /// that epoch holds no event yet.
    NothingToRoll { path: PathBuf, epoch: u64 },
    /// Another process holds the pier lock `.vere.lock` (`pid` as it wrote it).
    PierLocked { path: PathBuf, pid: Option<u32> },
    /// A migration found files in its way that it did not put there.
    MigrationConflict { path: PathBuf, detail: String },
    /// The background writer failed to commit; nothing after `durable` is written.
    WriterFailed {
        path: PathBuf,
        durable: u64,
        detail: String,
    },
    /// Any other LMDB error, passed through.
    Lmdb { path: PathBuf, source: heed::Error },
    /// An I/O error outside LMDB.
    Io { path: PathBuf, source: io::Error },
}

impl LogError {
    /// The path (log directory or file) the error is about.
    pub fn path(&self) -> &PathBuf {
        match self {
            LogError::MissingLogDir { path }
            | LogError::MissingDataFile { path }
            | LogError::NotAnEnv { path, .. }
            | LogError::Damaged { path, .. }
            | LogError::MissingMetaDb { path }
            | LogError::MissingMetaKey { path, .. }
            | LogError::BadMetaValue { path, .. }
            | LogError::WrongVersion { path, .. }
            | LogError::MissingEventsDb { path }
            | LogError::WrongDbFlags { path, .. }
            | LogError::Gap { path, .. }
            | LogError::Truncated { path, .. }
            | LogError::BadKey { path, .. }
            | LogError::NotContiguous { path, .. }
            | LogError::AlreadyWritten { path, .. }
            | LogError::AlreadyExists { path }
            | LogError::ReadOnly { path }
            | LogError::ZeroEvent { path }
            | LogError::AlreadyOpen { path }
            | LogError::InvalidOptions { path, .. }
            | LogError::NoEpochs { path }
            | LogError::BadEpochFile { path, .. }
            | LogError::UnknownEpochFormat { path, .. }
            | LogError::EpochMismatch { path, .. }
            | LogError::NeedsMigration { path, .. }
            | LogError::EpochExists { path }
            | LogError::NothingToRoll { path, .. }
            | LogError::PierLocked { path, .. }
            | LogError::MigrationConflict { path, .. }
            | LogError::WriterFailed { path, .. }
            | LogError::Lmdb { path, .. }
            | LogError::Io { path, .. } => path,
        }
    }

    /// Map an error coming out of heed/LMDB to the matching variant.
    pub(crate) fn from_heed(path: &std::path::Path, err: heed::Error) -> LogError {
        use heed::MdbError;
        let path = path.to_path_buf();
        match err {
            heed::Error::Mdb(MdbError::Invalid) => LogError::NotAnEnv {
                path,
                detail: "LMDB says the file is not an LMDB environment (MDB_INVALID)".into(),
            },
            heed::Error::Mdb(MdbError::VersionMismatch) => LogError::NotAnEnv {
                path,
                detail: "LMDB format version mismatch (MDB_VERSION_MISMATCH)".into(),
            },
            heed::Error::Mdb(
                e @ (MdbError::Corrupted | MdbError::PageNotFound | MdbError::Panic),
            ) => LogError::Damaged {
                path,
                detail: format!("LMDB reported: {e}"),
            },
            heed::Error::Io(source) => LogError::Io { path, source },
            heed::Error::BadOpenOptions { .. } | heed::Error::DatabaseClosing => {
                LogError::AlreadyOpen { path }
            }
            other => LogError::Lmdb {
                path,
                source: other,
            },
        }
    }
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogError::MissingLogDir { path } => {
                write!(f, "event log directory {} does not exist", path.display())
            }
            LogError::MissingDataFile { path } => {
                write!(f, "event log {}: no data.mdb in it", path.display())
            }
            LogError::NotAnEnv { path, detail } => {
                write!(
                    f,
                    "{} is not an LMDB 0.9 event log: {detail}",
                    path.display()
                )
            }
            LogError::Damaged { path, detail } => {
                write!(f, "event log {} is damaged: {detail}", path.display())
            }
            LogError::MissingMetaDb { path } => {
                write!(f, "event log {}: no META database", path.display())
            }
            LogError::MissingMetaKey { path, key } => {
                write!(f, "event log {}: META has no `{key}` key", path.display())
            }
            LogError::BadMetaValue { path, key, len } => write!(
                f,
                "event log {}: META `{key}` value is {len} bytes, too long for its field",
                path.display()
            ),
            LogError::WrongVersion {
                path,
                found,
                supported,
            } => write!(
                f,
                "event log {}: META version is {found}, expected {supported}",
                path.display()
            ),
            LogError::MissingEventsDb { path } => {
                write!(f, "event log {}: no EVENTS database", path.display())
            }
            LogError::WrongDbFlags {
                path,
                db,
                flags,
                expected,
            } => write!(
                f,
                "event log {}: database {db} has flags {flags:#x}, expected {expected:#x}",
                path.display()
            ),
            LogError::Gap { path, missing } => write!(
                f,
                "event log {}: gap in event numbers, event {missing} is missing",
                path.display()
            ),
            LogError::Truncated { path, number, len } => write!(
                f,
                "event log {}: event {number} value is {len} bytes, shorter than the 4-byte mug",
                path.display()
            ),
            LogError::BadKey { path, len } => write!(
                f,
                "event log {}: EVENTS key of {len} bytes, expected 8",
                path.display()
            ),
            LogError::NotContiguous {
                path,
                expected,
                got,
            } => write!(
                f,
                "event log {}: cannot append event {got}, the next event must be {expected}",
                path.display()
            ),
            LogError::AlreadyWritten { path, number } => write!(
                f,
                "event log {}: event {number} is already written (no overwrite)",
                path.display()
            ),
            LogError::AlreadyExists { path } => write!(
                f,
                "event log {} already exists (it has a META database)",
                path.display()
            ),
            LogError::ReadOnly { path } => {
                write!(f, "event log {} is open read-only", path.display())
            }
            LogError::ZeroEvent { path } => write!(
                f,
                "event log {}: event number 0 is invalid, events start at 1",
                path.display()
            ),
            LogError::AlreadyOpen { path } => write!(
                f,
                "event log {} is already open in this process (read-only vs writable, or closing)",
                path.display()
            ),
            LogError::InvalidOptions { path, detail } => {
                write!(
                    f,
                    "event log {}: invalid open options: {detail}",
                    path.display()
                )
            }
            LogError::NoEpochs { path } => write!(
                f,
                "event log {}: META says version 3 (epochs) but there is no 0i<N> epoch directory",
                path.display()
            ),
            LogError::BadEpochFile { path, detail } => {
                write!(f, "epoch {}: {detail}", path.display())
            }
            LogError::UnknownEpochFormat { path, found } => write!(
                f,
                "epoch {}: epoc.txt says format {found}, only formats 1 and 2 are known \
                 (a newer runtime wrote it)",
                path.display()
            ),
            LogError::EpochMismatch { path, detail } => {
                write!(f, "event log {}: {detail}", path.display())
            }
            LogError::NeedsMigration { path, version } => write!(
                f,
                "event log {}: META version {version} is the P1 layout; migrate it to epochs first",
                path.display()
            ),
            LogError::EpochExists { path } => {
                write!(f, "epoch {} already exists", path.display())
            }
            LogError::NothingToRoll { path, epoch } => write!(
                f,
                "event log {}: the latest epoch 0i{epoch} holds no event yet, nothing to roll over",
                path.display()
            ),
            LogError::PierLocked { path, pid } => match pid {
                Some(pid) => write!(f, "pier lock {}: held by PID {pid}", path.display()),
                None => write!(f, "pier lock {}: held by another process", path.display()),
            },
            LogError::MigrationConflict { path, detail } => {
                write!(f, "cannot migrate {} to epochs: {detail}", path.display())
            }
            LogError::WriterFailed {
                path,
                durable,
                detail,
            } => write!(
                f,
                "event log {}: commit failed after event {durable}: {detail}",
                path.display()
            ),
            LogError::Lmdb { path, source } => {
                write!(f, "event log {}: LMDB error: {source}", path.display())
            }
            LogError::Io { path, source } => {
                write!(f, "event log {}: I/O error: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for LogError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LogError::Lmdb { source, .. } => Some(source),
            LogError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
