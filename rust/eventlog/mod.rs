//! The P1 event log: an LMDB environment at `<pier>/.urb/log`, as Vere writes it.
//!
//! Layout (see `docs/eventlog.md` and king-protocol §7.1):
//!
//! * database `META` (no flags): ASCII keys `version`, `who`, `fake`, `life`
//!   (no terminator), each value an atom as its minimal little-endian bytes,
//!   zero being the empty value;
//! * database `EVENTS` (`MDB_INTEGERKEY`): 8-byte native-endian event numbers
//!   from 1, contiguous, each value a 4-byte little-endian mug followed by the
//!   jam bytes of the event noun.
//!
//! This module is noun-agnostic: it moves jam bytes in and out and never cues
//! them. Bad input yields a [`LogError`], never a panic.

mod error;
mod header;

pub use error::LogError;
pub use header::{verify_data_file, FileReport, NamedDb};

use std::path::{Path, PathBuf};

use heed::types::Bytes;
use heed::{Database, DatabaseFlags, Env, EnvFlags, EnvOpenOptions, PutFlags, RoTxn};

/// Map size Vere uses for the log: 1 TiB.
pub const MAP_SIZE: usize = 0x100_0000_0000;
/// Named databases in the environment (`META` and `EVENTS`).
pub const MAX_DBS: u32 = 2;
/// The only log format version of the P1 layout.
pub const LOG_VERSION: u64 = 1;

const META_DB: &str = "META";
const EVENTS_DB: &str = "EVENTS";

type Db = Database<Bytes, Bytes>;

/// The `META` database of a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Log format version; 1 for the P1 layout.
    pub version: u64,
    /// The ship, as an integer (`@p`); ~zod is 0.
    pub who: u128,
    /// Whether the ship is fake (`-F`). Stored inverted, as the loobean `%.y` = 0.
    pub fake: bool,
    /// Length of the boot sequence (events `1..=life` are raw boot nouns).
    pub life: u64,
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Event number, from 1.
    pub number: u64,
    /// Kernel mug after this event, 0 for events written before computation.
    pub mug: u32,
    /// The jam bytes of the event noun.
    pub jam: Vec<u8>,
}

/// An open event log.
pub struct EventLog {
    env: OwnedEnv,
    meta_db: Db,
    events: Db,
    dir: PathBuf,
    meta: Meta,
    writable: bool,
}

impl std::fmt::Debug for EventLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLog")
            .field("dir", &self.dir)
            .field("meta", &self.meta)
            .field("writable", &self.writable)
            .finish()
    }
}

/// An LMDB environment handle that closes the environment when dropped.
///
/// heed keeps every opened environment in a process-wide table until told to
/// close it; without this an environment would stay open (and a later open
/// with other flags would fail) for the life of the process, including after
/// an open that failed half-way. LMDB closes the environment when the last
/// handle goes.
struct OwnedEnv(Env);

impl std::ops::Deref for OwnedEnv {
    type Target = Env;
    fn deref(&self) -> &Env {
        &self.0
    }
}

impl Drop for OwnedEnv {
    fn drop(&mut self) {
        let _closing = self.0.clone().prepare_for_closing();
    }
}

/// How to open an existing log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOptions {
    /// Open for appending (otherwise read-only, `MDB_RDONLY`).
    pub writable: bool,
    /// Walk every B-tree page in Rust before LMDB reads any (see
    /// [`verify_data_file`]). LMDB trusts its page pointers, so a garbled
    /// page can crash the process (SIGSEGV/SIGBUS) instead of returning an
    /// error; the walk turns that into [`LogError::Damaged`]. It reads all
    /// tree pages plus the first page of each overflow run: about 1 ms for
    /// 10^4 events, linear in the log. Default: on.
    pub verify: bool,
    /// Read-only without LMDB's lock file (`MDB_NOLOCK`): nothing is written
    /// anywhere, so a log on a read-only medium (or a shared fixture) can be
    /// read in place. Only for logs no process is writing: without the lock
    /// file no reader slot protects the pages being read. Refused together
    /// with `writable`. Default: off.
    pub no_lock: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            writable: false,
            verify: true,
            no_lock: false,
        }
    }
}

/// Begin a read transaction and walk the file as of that transaction, which
/// holds LMDB's reader slot so no writer can reuse the pages being walked.
fn verified_txn<'e>(
    env: &'e Env,
    dir: &Path,
    data: &Path,
) -> Result<(RoTxn<'e>, FileReport), LogError> {
    for _ in 0..8 {
        let before = env.info().last_txn_id;
        let rtxn = env.read_txn().map_err(|e| LogError::from_heed(dir, e))?;
        let after = env.info().last_txn_id;
        if before != after {
            continue; // a commit raced the begin: the snapshot id is unknown
        }
        if let Some(report) = header::verify_txn(data, before as u64)? {
            return Ok((rtxn, report));
        }
    }
    Err(LogError::Damaged {
        path: data.to_path_buf(),
        detail: "could not check a stable snapshot: the log kept changing, or its meta pages \
                 do not match the transaction LMDB reports"
            .into(),
    })
}

/// The log directory of a pier: `<pier>/.urb/log`.
pub fn log_dir(pier: &Path) -> PathBuf {
    pier.join(".urb").join("log")
}

/// Minimal little-endian bytes of an atom: zero is the empty value.
pub fn atom_bytes(value: u128) -> Vec<u8> {
    let bytes = value.to_le_bytes();
    let len = 16 - (value.leading_zeros() as usize) / 8;
    bytes[..len].to_vec()
}

/// Read little-endian bytes into an integer of at most `max` bytes.
/// Trailing zero bytes are tolerated (the value is the same atom).
fn le_value(bytes: &[u8], max: usize) -> Option<u128> {
    let significant = bytes.len() - bytes.iter().rev().take_while(|b| **b == 0).count();
    if significant > max {
        return None;
    }
    let mut out = 0u128;
    for (i, b) in bytes[..significant].iter().enumerate() {
        out |= u128::from(*b) << (8 * i);
    }
    Some(out)
}

impl Meta {
    /// The `fake` value as stored: loobean, `%.y` (fake) is 0 = empty.
    fn fake_bytes(&self) -> Vec<u8> {
        if self.fake {
            Vec::new()
        } else {
            vec![1]
        }
    }
}

/// Decode a stored event value (4-byte LE mug ++ jam).
fn decode_value(dir: &Path, number: u64, value: &[u8]) -> Result<Event, LogError> {
    if value.len() < 4 {
        return Err(LogError::Truncated {
            path: dir.to_path_buf(),
            number,
            len: value.len(),
        });
    }
    let mug = u32::from_le_bytes([value[0], value[1], value[2], value[3]]);
    Ok(Event {
        number,
        mug,
        jam: value[4..].to_vec(),
    })
}

/// Decode an `EVENTS` key (8-byte native u64).
fn decode_key(dir: &Path, key: &[u8]) -> Result<u64, LogError> {
    let arr: [u8; 8] = key.try_into().map_err(|_| LogError::BadKey {
        path: dir.to_path_buf(),
        len: key.len(),
    })?;
    Ok(u64::from_ne_bytes(arr))
}

/// Encode an event value: 4-byte LE mug ++ jam.
pub fn encode_value(mug: u32, jam: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(4 + jam.len());
    v.extend_from_slice(&mug.to_le_bytes());
    v.extend_from_slice(jam);
    v
}

fn open_env(dir: &Path, read_only: bool, no_lock: bool) -> Result<OwnedEnv, LogError> {
    let mut opts = EnvOpenOptions::new();
    opts.map_size(MAP_SIZE).max_dbs(MAX_DBS);
    if read_only {
        // SAFETY: MDB_RDONLY is not one of the flags heed calls unsafe (NO_SYNC,
        // NO_META_SYNC, NO_LOCK); it only forbids write transactions.
        unsafe {
            opts.flags(EnvFlags::READ_ONLY);
        }
    }
    if no_lock {
        debug_assert!(read_only);
        // SAFETY: MDB_NOLOCK makes LMDB skip its lock file, so it no longer
        // coordinates readers with writers. It is only set on a read-only
        // environment (no writer in this process), and `OpenOptions::no_lock`
        // documents that no other process may write the log meanwhile. Each
        // `EventLog` uses its read transactions from one thread at a time
        // (iterators borrow it), which is all MDB_NOLOCK asks of us.
        unsafe {
            opts.flags(EnvFlags::NO_LOCK);
        }
    }
    // SAFETY: the environment is memory-mapped; heed requires that the file is
    // not modified behind LMDB's back. We keep LMDB's lock file (no MDB_NOLOCK),
    // so concurrent LMDB users in other processes are coordinated by LMDB, and
    // this module never writes data.mdb except through LMDB. Opening reads only
    // the two meta pages, which `header::check_header` has already checked
    // (magic, format, and that the file holds every page they claim: a short
    // file would otherwise fault with SIGBUS). The B-tree pages LMDB reads later
    // are checked by the walk in `verified_txn` before any of them is read.
    unsafe { opts.open(dir) }
        .map(OwnedEnv)
        .map_err(|e| LogError::from_heed(dir, e))
}

impl EventLog {
    /// Open the log of `pier` read-only, after a structural check of the file.
    pub fn open(pier: &Path) -> Result<EventLog, LogError> {
        Self::open_dir(&log_dir(pier), OpenOptions::default())
    }

    /// Open the existing log of `pier` for appending, after a structural check.
    pub fn open_rw(pier: &Path) -> Result<EventLog, LogError> {
        Self::open_dir(
            &log_dir(pier),
            OpenOptions {
                writable: true,
                ..OpenOptions::default()
            },
        )
    }

    /// Open a log directory (the one holding `data.mdb`) directly.
    pub fn open_dir(dir: &Path, options: OpenOptions) -> Result<EventLog, LogError> {
        let writable = options.writable;
        if writable && options.no_lock {
            return Err(LogError::InvalidOptions {
                path: dir.to_path_buf(),
                detail: "no_lock is for read-only opens only",
            });
        }
        if !dir.is_dir() {
            return Err(LogError::MissingLogDir {
                path: dir.to_path_buf(),
            });
        }
        let data = dir.join("data.mdb");
        if !data.is_file() {
            return Err(LogError::MissingDataFile {
                path: dir.to_path_buf(),
            });
        }
        header::check_header(&data)?;
        // LMDB reads only the two meta pages when opening and beginning a
        // transaction; everything after that walks B-tree pages it trusts.
        let env = open_env(dir, !writable, options.no_lock)?;
        let rtxn = if options.verify {
            verified_txn(&env, dir, &data)?.0
        } else {
            env.read_txn().map_err(|e| LogError::from_heed(dir, e))?
        };
        // LMDB keeps the flags a database was created with and ignores the
        // ones passed when opening it, so check them: an EVENTS without
        // MDB_INTEGERKEY would sort its keys as bytes, not as numbers.
        let main: Db = env
            .database_options()
            .types::<Bytes, Bytes>()
            .open(&rtxn)
            .map_err(|e| LogError::from_heed(dir, e))?
            .ok_or_else(|| LogError::MissingMetaDb {
                path: dir.to_path_buf(),
            })?;
        let meta_flags = stored_db_flags(dir, &rtxn, &main, META_DB)?.ok_or_else(|| {
            LogError::MissingMetaDb {
                path: dir.to_path_buf(),
            }
        })?;
        check_db_flags(dir, META_DB, meta_flags, 0)?;
        let meta_db: Db = env
            .database_options()
            .types::<Bytes, Bytes>()
            .name(META_DB)
            .open(&rtxn)
            .map_err(|e| LogError::from_heed(dir, e))?
            .ok_or_else(|| LogError::MissingMetaDb {
                path: dir.to_path_buf(),
            })?;
        let meta = read_meta(dir, &rtxn, &meta_db)?;
        let events_flags = stored_db_flags(dir, &rtxn, &main, EVENTS_DB)?.ok_or_else(|| {
            LogError::MissingEventsDb {
                path: dir.to_path_buf(),
            }
        })?;
        check_db_flags(dir, EVENTS_DB, events_flags, MDB_INTEGERKEY)?;
        let events: Db = env
            .database_options()
            .types::<Bytes, Bytes>()
            .name(EVENTS_DB)
            .flags(DatabaseFlags::INTEGER_KEY)
            .open(&rtxn)
            .map_err(|e| LogError::from_heed(dir, e))?
            .ok_or_else(|| LogError::MissingEventsDb {
                path: dir.to_path_buf(),
            })?;
        // Committing a read transaction keeps the database handles for later ones.
        rtxn.commit().map_err(|e| LogError::from_heed(dir, e))?;
        Ok(EventLog {
            env,
            meta_db,
            events,
            dir: dir.to_path_buf(),
            meta,
            writable,
        })
    }

    /// Create a new log for `pier` with `meta`, writable. The directory
    /// `<pier>/.urb/log` is created if missing. Refuses an existing log.
    pub fn create(pier: &Path, meta: &Meta) -> Result<EventLog, LogError> {
        Self::create_dir(&log_dir(pier), meta)
    }

    /// Create a new log in a log directory directly.
    pub fn create_dir(dir: &Path, meta: &Meta) -> Result<EventLog, LogError> {
        if meta.version != LOG_VERSION {
            return Err(LogError::WrongVersion {
                path: dir.to_path_buf(),
                found: meta.version,
            });
        }
        std::fs::create_dir_all(dir).map_err(|source| LogError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let data = dir.join("data.mdb");
        if data.is_file() {
            let len = std::fs::metadata(&data)
                .map_err(|source| LogError::Io {
                    path: data.clone(),
                    source,
                })?
                .len();
            if len > 0 {
                // An existing environment (say, without META yet): LMDB will
                // search its main tree, so walk it first.
                header::verify_data_file(&data)?;
            }
        }
        let env = open_env(dir, false, false)?;
        let mut wtxn = env.write_txn().map_err(|e| LogError::from_heed(dir, e))?;
        let existing = env
            .database_options()
            .types::<Bytes, Bytes>()
            .name(META_DB)
            .open(&wtxn)
            .map_err(|e| LogError::from_heed(dir, e))?;
        if existing.is_some() {
            return Err(LogError::AlreadyExists {
                path: dir.to_path_buf(),
            });
        }
        let meta_db: Db = env
            .database_options()
            .types::<Bytes, Bytes>()
            .name(META_DB)
            .create(&mut wtxn)
            .map_err(|e| LogError::from_heed(dir, e))?;
        let events: Db = env
            .database_options()
            .types::<Bytes, Bytes>()
            .name(EVENTS_DB)
            .flags(DatabaseFlags::INTEGER_KEY)
            .create(&mut wtxn)
            .map_err(|e| LogError::from_heed(dir, e))?;
        let fields: [(&str, Vec<u8>); 4] = [
            ("version", atom_bytes(u128::from(meta.version))),
            ("who", atom_bytes(meta.who)),
            ("fake", meta.fake_bytes()),
            ("life", atom_bytes(u128::from(meta.life))),
        ];
        for (key, value) in &fields {
            meta_db
                .put(&mut wtxn, key.as_bytes(), value)
                .map_err(|e| LogError::from_heed(dir, e))?;
        }
        wtxn.commit().map_err(|e| LogError::from_heed(dir, e))?;
        Ok(EventLog {
            env,
            meta_db,
            events,
            dir: dir.to_path_buf(),
            meta: *meta,
            writable: true,
        })
    }

    /// The log directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The `META` values read at open (or written at create).
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// Whether the log was opened for writing.
    pub fn is_writable(&self) -> bool {
        self.writable
    }

    /// Re-read `META` from the file (it never changes after creation).
    pub fn read_meta(&self) -> Result<Meta, LogError> {
        let rtxn = self.rtxn()?;
        read_meta(&self.dir, &rtxn, &self.meta_db)
    }

    fn rtxn(&self) -> Result<RoTxn<'_>, LogError> {
        self.env
            .read_txn()
            .map_err(|e| LogError::from_heed(&self.dir, e))
    }

    fn heed_err(&self, e: heed::Error) -> LogError {
        LogError::from_heed(&self.dir, e)
    }

    /// The first event number, or `None` for an empty log.
    pub fn first(&self) -> Result<Option<u64>, LogError> {
        let rtxn = self.rtxn()?;
        match self.events.first(&rtxn).map_err(|e| self.heed_err(e))? {
            Some((k, _)) => Ok(Some(decode_key(&self.dir, k)?)),
            None => Ok(None),
        }
    }

    /// The last event number, or `None` for an empty log.
    pub fn last(&self) -> Result<Option<u64>, LogError> {
        let rtxn = self.rtxn()?;
        self.last_in(&rtxn)
    }

    fn last_in(&self, rtxn: &RoTxn) -> Result<Option<u64>, LogError> {
        match self.events.last(rtxn).map_err(|e| self.heed_err(e))? {
            Some((k, _)) => Ok(Some(decode_key(&self.dir, k)?)),
            None => Ok(None),
        }
    }

    /// Number of stored events (LMDB's entry count).
    pub fn len(&self) -> Result<u64, LogError> {
        let rtxn = self.rtxn()?;
        self.events.len(&rtxn).map_err(|e| self.heed_err(e))
    }

    /// Whether the log holds no event.
    pub fn is_empty(&self) -> Result<bool, LogError> {
        Ok(self.len()? == 0)
    }

    /// Read event `number`; `None` if it is not stored.
    pub fn get(&self, number: u64) -> Result<Option<Event>, LogError> {
        let rtxn = self.rtxn()?;
        match self
            .events
            .get(&rtxn, &number.to_ne_bytes())
            .map_err(|e| self.heed_err(e))?
        {
            Some(v) => Ok(Some(decode_value(&self.dir, number, v)?)),
            None => Ok(None),
        }
    }

    /// Iterate events `from..=to` in order, in one read transaction (a
    /// consistent view). Iteration stops quietly after the last stored event;
    /// any number missing before that is reported as [`LogError::Gap`] when
    /// reached, after which the iterator ends.
    pub fn range(&self, from: u64, to: u64) -> Result<EventIter<'_>, LogError> {
        let rtxn = self.rtxn()?;
        Ok(EventIter {
            log: self,
            rtxn,
            next: from.max(1),
            to,
            done: from > to,
        })
    }

    /// Iterate every event from the first to the last, checking contiguity.
    pub fn iter(&self) -> Result<EventIter<'_>, LogError> {
        let first = self.first()?.unwrap_or(1);
        self.range(first, u64::MAX)
    }

    /// Check that events `first..=last` are all present, reading keys only.
    /// Returns `(first, last)` or `None` for an empty log.
    pub fn check_contiguous(&self) -> Result<Option<(u64, u64)>, LogError> {
        let rtxn = self.rtxn()?;
        let keys = self.events.remap_data_type::<heed::types::DecodeIgnore>();
        let mut span: Option<(u64, u64)> = None;
        for item in keys.iter(&rtxn).map_err(|e| self.heed_err(e))? {
            let (k, ()) = item.map_err(|e| self.heed_err(e))?;
            let k = decode_key(&self.dir, k)?;
            span = match span {
                None => Some((k, k)),
                Some((first, last)) if Some(k) == last.checked_add(1) => Some((first, k)),
                Some((_, last)) => {
                    return Err(LogError::Gap {
                        path: self.dir.clone(),
                        missing: last.saturating_add(1),
                    })
                }
            };
        }
        Ok(span)
    }

    fn need_writable(&self) -> Result<(), LogError> {
        if self.writable {
            Ok(())
        } else {
            Err(LogError::ReadOnly {
                path: self.dir.clone(),
            })
        }
    }

    /// The number the next appended event must have.
    pub fn next_number(&self) -> Result<u64, LogError> {
        Ok(self.last()?.map_or(1, |l| l + 1))
    }

    /// Append event `number` with its mug and jam bytes. `number` must be
    /// `last + 1` (or 1 for an empty log); writes with `MDB_NOOVERWRITE`.
    pub fn append(&mut self, number: u64, mug: u32, jam: &[u8]) -> Result<(), LogError> {
        self.append_batch(std::iter::once((number, mug, jam)))
            .map(|_| ())
    }

    /// Append several contiguous events in one transaction: all or nothing.
    /// Returns how many were written.
    pub fn append_batch<'a, I>(&mut self, events: I) -> Result<usize, LogError>
    where
        I: IntoIterator<Item = (u64, u32, &'a [u8])>,
    {
        self.need_writable()?;
        let mut wtxn = self.env.write_txn().map_err(|e| self.heed_err(e))?;
        let mut expected = self.last_in(&wtxn)?.map_or(Some(1), |l| l.checked_add(1));
        let mut count = 0usize;
        let mut value = Vec::new();
        for (number, mug, jam) in events {
            if number == 0 {
                return Err(LogError::ZeroEvent {
                    path: self.dir.clone(),
                });
            }
            if expected != Some(number) {
                // An already stored number is reported as such, anything else
                // as a contiguity violation. The transaction is aborted on drop.
                let stored = self
                    .events
                    .get(&wtxn, &number.to_ne_bytes())
                    .map_err(|e| self.heed_err(e))?
                    .is_some();
                return Err(if stored {
                    LogError::AlreadyWritten {
                        path: self.dir.clone(),
                        number,
                    }
                } else {
                    LogError::NotContiguous {
                        path: self.dir.clone(),
                        expected: expected.unwrap_or(u64::MAX),
                        got: number,
                    }
                });
            }
            value.clear();
            value.extend_from_slice(&mug.to_le_bytes());
            value.extend_from_slice(jam);
            match self.events.put_with_flags(
                &mut wtxn,
                PutFlags::NO_OVERWRITE,
                &number.to_ne_bytes(),
                &value,
            ) {
                Ok(()) => {}
                Err(heed::Error::Mdb(heed::MdbError::KeyExist)) => {
                    return Err(LogError::AlreadyWritten {
                        path: self.dir.clone(),
                        number,
                    })
                }
                Err(e) => return Err(self.heed_err(e)),
            }
            expected = number.checked_add(1);
            count += 1;
        }
        wtxn.commit().map_err(|e| self.heed_err(e))?;
        Ok(count)
    }

    /// Write a raw `EVENTS` entry with no contiguity check (still
    /// `MDB_NOOVERWRITE`). Only for tests that need to build damaged logs.
    #[cfg(test)]
    pub(crate) fn put_raw_for_tests(&mut self, key: &[u8], value: &[u8]) -> Result<(), LogError> {
        self.need_writable()?;
        let mut wtxn = self.env.write_txn().map_err(|e| self.heed_err(e))?;
        self.events
            .put_with_flags(&mut wtxn, PutFlags::NO_OVERWRITE, key, value)
            .map_err(|e| self.heed_err(e))?;
        wtxn.commit().map_err(|e| self.heed_err(e))
    }

    /// Walk every B-tree page of the file (see [`verify_data_file`]) as of a
    /// fresh read transaction: a structural check done in Rust, not LMDB.
    pub fn verify(&self) -> Result<FileReport, LogError> {
        let data = self.dir.join("data.mdb");
        verified_txn(&self.env, &self.dir, &data).map(|(_, report)| report)
    }
}

/// `MDB_INTEGERKEY`, as stored in a database record.
const MDB_INTEGERKEY: u16 = 0x08;

/// The persistent flags of named database `name`, read from its record in the
/// main database (an `MDB_db`: `pad: u32, flags: u16, ...`, 48 bytes).
fn stored_db_flags(
    dir: &Path,
    rtxn: &RoTxn,
    main: &Db,
    name: &str,
) -> Result<Option<u16>, LogError> {
    match main
        .get(rtxn, name.as_bytes())
        .map_err(|e| LogError::from_heed(dir, e))?
    {
        None => Ok(None),
        Some(rec) if rec.len() == 48 => Ok(Some(u16::from_ne_bytes([rec[4], rec[5]]))),
        Some(rec) => Err(LogError::Damaged {
            path: dir.to_path_buf(),
            detail: format!(
                "main database entry {name} is {} bytes, not a database record",
                rec.len()
            ),
        }),
    }
}

fn check_db_flags(dir: &Path, db: &'static str, flags: u16, expected: u16) -> Result<(), LogError> {
    if flags == expected {
        Ok(())
    } else {
        Err(LogError::WrongDbFlags {
            path: dir.to_path_buf(),
            db,
            flags,
            expected,
        })
    }
}

fn read_meta(dir: &Path, rtxn: &RoTxn, db: &Db) -> Result<Meta, LogError> {
    let field = |key: &'static str, max: usize| -> Result<u128, LogError> {
        let v = db
            .get(rtxn, key.as_bytes())
            .map_err(|e| LogError::from_heed(dir, e))?
            .ok_or_else(|| LogError::MissingMetaKey {
                path: dir.to_path_buf(),
                key,
            })?;
        le_value(v, max).ok_or_else(|| LogError::BadMetaValue {
            path: dir.to_path_buf(),
            key,
            len: v.len(),
        })
    };
    let version = field("version", 8)? as u64;
    if version != LOG_VERSION {
        return Err(LogError::WrongVersion {
            path: dir.to_path_buf(),
            found: version,
        });
    }
    let who = field("who", 16)?;
    // Loobean: %.y (0, empty) = fake; only the low bit counts, like Vere.
    let fake_bytes = db
        .get(rtxn, b"fake")
        .map_err(|e| LogError::from_heed(dir, e))?
        .ok_or_else(|| LogError::MissingMetaKey {
            path: dir.to_path_buf(),
            key: "fake",
        })?;
    let fake = fake_bytes.first().is_none_or(|b| b & 1 == 0);
    let life = field("life", 8)? as u64;
    Ok(Meta {
        version,
        who,
        fake,
        life,
    })
}

/// Iterator over a range of events; see [`EventLog::range`].
pub struct EventIter<'a> {
    log: &'a EventLog,
    rtxn: RoTxn<'a>,
    next: u64,
    to: u64,
    done: bool,
}

impl Iterator for EventIter<'_> {
    type Item = Result<Event, LogError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let log = self.log;
        let want = self.next;
        let found = log
            .events
            .get_greater_than_or_equal_to(&self.rtxn, &want.to_ne_bytes());
        let step = match found {
            Err(e) => Err(log.heed_err(e)),
            Ok(None) => {
                self.done = true;
                return None;
            }
            Ok(Some((k, v))) => match decode_key(&log.dir, k) {
                Err(e) => Err(e),
                Ok(k) if k == want => decode_value(&log.dir, k, v),
                Ok(_) => Err(LogError::Gap {
                    path: log.dir.clone(),
                    missing: want,
                }),
            },
        };
        match want.checked_add(1) {
            Some(n) if n <= self.to && step.is_ok() => self.next = n,
            _ => self.done = true,
        }
        Some(step)
    }
}

#[cfg(test)]
mod tests;
