//! One LMDB environment holding `META` and (usually) `EVENTS`: the whole P1 log, one epoch of the P2 log, or
//! (without `EVENTS`) the P2 log's top-level `data.mdb`.

use std::path::{Path, PathBuf};

use heed::types::Bytes;
use heed::{Database, DatabaseFlags, Env, EnvFlags, EnvOpenOptions, PutFlags, RoTxn, RwTxn};

use super::{
    atom_bytes, decode_key, decode_value, header, le_value, Event, FileReport, LogError, Meta,
    EVENTS_DB, LOG_VERSION, MAP_SIZE, MAX_DBS, META_DB,
};

type Db = Database<Bytes, Bytes>;

/// `MDB_INTEGERKEY`, as stored in a database record.
const MDB_INTEGERKEY: u16 = 0x08;

/// An open LMDB event-log environment (see the module docs of [`super`]).
pub struct EventLog {
    pub(super) env: OwnedEnv,
    pub(super) meta_db: Db,
    /// `None` while the environment has no `EVENTS` database yet (a P2 epoch
    /// Vere rolled to but wrote nothing into, or the META-only top level).
    pub(super) events: Option<Db>,
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
pub(super) struct OwnedEnv(Env);

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
    /// [`super::verify_data_file`]). LMDB trusts its page pointers, so a garbled
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
    /// LMDB map size (the most the file may grow to), a multiple of the OS
    /// page size. Vere's default is [`MAP_SIZE`] (1 TiB); a P2 king passes
    /// its own as `--lmdb-map-size`. LMDB records it in the meta page on
    /// every commit; a smaller value than the file's use is raised by LMDB.
    pub map_size: usize,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            writable: false,
            verify: true,
            no_lock: false,
            map_size: MAP_SIZE,
        }
    }
}

/// What an opener requires of an environment's `META` and `EVENTS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Expect {
    /// Accepted `META.version` values, inclusive.
    pub versions: (u64, u64),
    /// Whether a missing `EVENTS` database is an error (`MissingEventsDb`)
    /// rather than an empty log.
    pub events_required: bool,
    /// The accepted versions, for error messages.
    pub supported: &'static str,
}

/// The P1 log: version 1, `EVENTS` present.
pub(crate) const EXPECT_P1: Expect = Expect {
    versions: (LOG_VERSION, LOG_VERSION),
    events_required: true,
    supported: "version 1 (the P1 layout; version 3 is the epoch layout, read by PierLog)",
};

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

fn open_env(
    dir: &Path,
    read_only: bool,
    no_lock: bool,
    map_size: usize,
) -> Result<OwnedEnv, LogError> {
    let mut opts = EnvOpenOptions::new();
    opts.map_size(map_size).max_dbs(MAX_DBS);
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

/// The fixed-width little-endian fields Vere 4.x writes `META` from, with the
/// trailing zero bytes stripped (`_disk_save_meta`): `version` and `life` are
/// 4-byte words, `who` two 8-byte words, `fake` a loobean (`%.y` = 0 = fake).
/// This is the atom's minimal little-endian bytes, as Vere 1.16 wrote them.
fn meta_fields(meta: &Meta) -> [(&'static str, Vec<u8>); 4] {
    [
        ("version", atom_bytes(u128::from(meta.version))),
        ("who", atom_bytes(meta.who)),
        ("fake", if meta.fake { Vec::new() } else { vec![1] }),
        ("life", atom_bytes(u128::from(meta.life))),
    ]
}

impl EventLog {
    /// Open the P1 log of `pier` read-only, after a structural check of the file.
    pub fn open(pier: &Path) -> Result<EventLog, LogError> {
        Self::open_dir(&super::log_dir(pier), OpenOptions::default())
    }

    /// Open the existing P1 log of `pier` for appending, after a structural check.
    pub fn open_rw(pier: &Path) -> Result<EventLog, LogError> {
        Self::open_dir(
            &super::log_dir(pier),
            OpenOptions {
                writable: true,
                ..OpenOptions::default()
            },
        )
    }

    /// Open a P1 log directory (the one holding `data.mdb`) directly.
    pub fn open_dir(dir: &Path, options: OpenOptions) -> Result<EventLog, LogError> {
        Self::open_expecting(dir, options, EXPECT_P1)
    }

    /// Open an environment directory with the given expectations of `META`.
    pub(crate) fn open_expecting(
        dir: &Path,
        options: OpenOptions,
        expect: Expect,
    ) -> Result<EventLog, LogError> {
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
        let env = open_env(dir, !writable, options.no_lock, options.map_size)?;
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
        let meta = read_meta(dir, &rtxn, &meta_db, &expect)?;
        let events = match stored_db_flags(dir, &rtxn, &main, EVENTS_DB)? {
            None if expect.events_required => {
                return Err(LogError::MissingEventsDb {
                    path: dir.to_path_buf(),
                })
            }
            None => None,
            Some(flags) => {
                check_db_flags(dir, EVENTS_DB, flags, MDB_INTEGERKEY)?;
                let db: Db = env
                    .database_options()
                    .types::<Bytes, Bytes>()
                    .name(EVENTS_DB)
                    .flags(DatabaseFlags::INTEGER_KEY)
                    .open(&rtxn)
                    .map_err(|e| LogError::from_heed(dir, e))?
                    .ok_or_else(|| LogError::MissingEventsDb {
                        path: dir.to_path_buf(),
                    })?;
                Some(db)
            }
        };
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

    /// Create a new P1 log for `pier` with `meta` (version 1), writable. The
    /// directory `<pier>/.urb/log` is created if missing. Refuses an existing log.
    pub fn create(pier: &Path, meta: &Meta) -> Result<EventLog, LogError> {
        Self::create_dir(&super::log_dir(pier), meta)
    }

    /// Create a new P1 log in a log directory directly.
    pub fn create_dir(dir: &Path, meta: &Meta) -> Result<EventLog, LogError> {
        if meta.version != LOG_VERSION {
            return Err(LogError::WrongVersion {
                path: dir.to_path_buf(),
                found: meta.version,
                supported: EXPECT_P1.supported,
            });
        }
        Self::create_with(dir, meta, MAP_SIZE, true)
    }

    /// Create an environment in `dir` holding `META` = `meta` (any version)
    /// and, if `with_events`, an empty `EVENTS` (`MDB_INTEGERKEY`), all in one
    /// transaction. Refuses an environment that already has `META`.
    pub(crate) fn create_with(
        dir: &Path,
        meta: &Meta,
        map_size: usize,
        with_events: bool,
    ) -> Result<EventLog, LogError> {
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
        let env = open_env(dir, false, false, map_size)?;
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
        let events = if with_events {
            Some(create_events_db(&env, dir, &mut wtxn)?)
        } else {
            None
        };
        for (key, value) in &meta_fields(meta) {
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

    /// Whether the environment has an `EVENTS` database (a fresh P2 epoch
    /// Vere rolled to may not have one until its first event).
    pub fn has_events_db(&self) -> bool {
        self.events.is_some()
    }

    /// Re-read `META` from the file (it never changes after creation).
    pub fn read_meta(&self) -> Result<Meta, LogError> {
        let rtxn = self.rtxn()?;
        let any = Expect {
            versions: (1, super::LOG_VERSION_EPOCHS),
            events_required: false,
            supported: "1 to 3",
        };
        read_meta(&self.dir, &rtxn, &self.meta_db, &any)
    }

    /// Overwrite `META.version` (one transaction). Only for tests that build
    /// logs in the states an interrupted migration leaves.
    #[cfg(test)]
    pub(crate) fn set_version_for_tests(&mut self, version: u64) -> Result<(), LogError> {
        self.need_writable()?;
        let mut wtxn = self.env.write_txn().map_err(|e| self.heed_err(e))?;
        self.meta_db
            .put(&mut wtxn, b"version", &atom_bytes(u128::from(version)))
            .map_err(|e| self.heed_err(e))?;
        wtxn.commit().map_err(|e| self.heed_err(e))?;
        self.meta.version = version;
        Ok(())
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
        let Some(events) = self.events else {
            return Ok(None);
        };
        let rtxn = self.rtxn()?;
        match events.first(&rtxn).map_err(|e| self.heed_err(e))? {
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
        let Some(events) = self.events else {
            return Ok(None);
        };
        match events.last(rtxn).map_err(|e| self.heed_err(e))? {
            Some((k, _)) => Ok(Some(decode_key(&self.dir, k)?)),
            None => Ok(None),
        }
    }

    /// Number of stored events (LMDB's entry count).
    pub fn len(&self) -> Result<u64, LogError> {
        let Some(events) = self.events else {
            return Ok(0);
        };
        let rtxn = self.rtxn()?;
        events.len(&rtxn).map_err(|e| self.heed_err(e))
    }

    /// Whether the log holds no event.
    pub fn is_empty(&self) -> Result<bool, LogError> {
        Ok(self.len()? == 0)
    }

    /// Read event `number`; `None` if it is not stored.
    pub fn get(&self, number: u64) -> Result<Option<Event>, LogError> {
        let Some(events) = self.events else {
            return Ok(None);
        };
        let rtxn = self.rtxn()?;
        match events
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
            done: from > to || self.events.is_none(),
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
        let Some(events) = self.events else {
            return Ok(None);
        };
        let rtxn = self.rtxn()?;
        let keys = events.remap_data_type::<heed::types::DecodeIgnore>();
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
        self.append_batch_after(0, events)
    }

    /// [`Self::append_batch`] for a log whose events start after `base`: an
    /// empty log takes `base + 1` first (a P2 epoch `0i<base>`).
    pub(crate) fn append_batch_after<'a, I>(
        &mut self,
        base: u64,
        events: I,
    ) -> Result<usize, LogError>
    where
        I: IntoIterator<Item = (u64, u32, &'a [u8])>,
    {
        self.need_writable()?;
        let mut wtxn = self.env.write_txn().map_err(|e| self.heed_err(e))?;
        let (db, created) = match self.events {
            Some(db) => (db, false),
            None => (create_events_db(&self.env, &self.dir, &mut wtxn)?, true),
        };
        let stored_last = match db.last(&wtxn).map_err(|e| self.heed_err(e))? {
            Some((k, _)) => Some(decode_key(&self.dir, k)?),
            None => None,
        };
        let mut expected = stored_last.unwrap_or(base).checked_add(1);
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
                let stored = db
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
            match db.put_with_flags(
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
        if created {
            self.events = Some(db);
        }
        Ok(count)
    }

    /// Write a raw `EVENTS` entry with no contiguity check (still
    /// `MDB_NOOVERWRITE`). Only for tests that need to build damaged logs.
    #[cfg(test)]
    pub(crate) fn put_raw_for_tests(&mut self, key: &[u8], value: &[u8]) -> Result<(), LogError> {
        self.need_writable()?;
        let mut wtxn = self.env.write_txn().map_err(|e| self.heed_err(e))?;
        let db = match self.events {
            Some(db) => db,
            None => create_events_db(&self.env, &self.dir, &mut wtxn)?,
        };
        db.put_with_flags(&mut wtxn, PutFlags::NO_OVERWRITE, key, value)
            .map_err(|e| self.heed_err(e))?;
        wtxn.commit().map_err(|e| self.heed_err(e))?;
        self.events = Some(db);
        Ok(())
    }

    /// Walk every B-tree page of the file (see [`super::verify_data_file`]) as of a
    /// fresh read transaction: a structural check done in Rust, not LMDB.
    pub fn verify(&self) -> Result<FileReport, LogError> {
        let data = self.dir.join("data.mdb");
        verified_txn(&self.env, &self.dir, &data).map(|(_, report)| report)
    }
}

/// Create `EVENTS` with Vere's flags (`MDB_CREATE | MDB_INTEGERKEY`).
fn create_events_db(env: &Env, dir: &Path, wtxn: &mut RwTxn) -> Result<Db, LogError> {
    env.database_options()
        .types::<Bytes, Bytes>()
        .name(EVENTS_DB)
        .flags(DatabaseFlags::INTEGER_KEY)
        .create(wtxn)
        .map_err(|e| LogError::from_heed(dir, e))
}

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

fn read_meta(dir: &Path, rtxn: &RoTxn, db: &Db, expect: &Expect) -> Result<Meta, LogError> {
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
    if version < expect.versions.0 || version > expect.versions.1 {
        return Err(LogError::WrongVersion {
            path: dir.to_path_buf(),
            found: version,
            supported: expect.supported,
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
        let events = log.events?;
        let want = self.next;
        let found = events.get_greater_than_or_equal_to(&self.rtxn, &want.to_ne_bytes());
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
