//! A pier's event log in either layout: [`PierLog`].
//!
//! Reading works on both layouts (P1, a P1 log Vere was migrating, and
//! epochs); events are numbered across epochs and read as one sequence.
//! Writing (appending, rolling over to a new epoch, creating a log) is for
//! the epoch layout only, and needs the pier lock held by the caller
//! ([`super::PierLock`]): nothing here takes it.
//!
//! How Vere 4.x finds its way in a pier (`u3_disk_load`, `_disk_epoc_load`):
//! it reads the top-level `META`; version 1 or 2 means a P1 log to migrate;
//! version 3 means epochs, the latest being the `0i<N>` with the largest `N`.
//! That epoch's `epoc.txt` must say 1 or 2, and its `data.mdb` holds events
//! `N+1..` (none right after a rollover: the log then ends at `N`). A latest
//! epoch without `epoc.txt`, or without events and `META`, is what an
//! interrupted Vere rollover leaves; Vere deletes it and uses the previous
//! one. Here a read-only open ignores such an epoch (listing it in
//! [`PierLog::ignored_epochs`]) and a writable one removes it, as Vere does,
//! but only if it holds no event.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use super::env::Expect;
use super::epoch::{self, EpochBuild};
use super::{
    log_dir, Event, EventIter, EventLog, LogError, Meta, OpenOptions, LOG_VERSION,
    LOG_VERSION_EPOCHS, LOG_VERSION_MIGRATING,
};

/// Which layout a pier's log is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One LMDB environment at `.urb/log` (`META.version` 1, Vere 1.x).
    P1,
    /// A P1 log whose migration Vere 4.x began (`META.version` 2): the events
    /// are still all in `.urb/log/data.mdb`.
    P1Migrating,
    /// The epoch layout (`META.version` 3, Vere 4.x).
    Epochs,
}

impl Layout {
    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Layout::P1 => "P1",
            Layout::P1Migrating => "P1 (migration to epochs begun)",
            Layout::Epochs => "epochs",
        }
    }
}

/// The top level of either layout: versions 1 to 3, `EVENTS` optional.
const EXPECT_TOP: Expect = Expect {
    versions: (LOG_VERSION, LOG_VERSION_EPOCHS),
    events_required: false,
    supported: "1 to 3",
};

/// An epoch's environment. A migrated `0i0` is the old P1 file (version 1,
/// or 2 if Vere migrated it); new epochs say 3. `EVENTS` may be absent right
/// after a Vere rollover.
pub(crate) const EXPECT_EPOCH: Expect = Expect {
    versions: (LOG_VERSION, LOG_VERSION_EPOCHS),
    events_required: false,
    supported: "1 to 3",
};

/// Map size for sealed epochs opened read-only: LMDB raises it to the space
/// the file uses, so this only avoids reserving a full map per old epoch.
const SEALED_MAP_SIZE: usize = 1 << 16;

/// One epoch of the log (for P1, the whole log as "epoch 0").
#[derive(Debug)]
pub struct Epoch {
    number: u64,
    dir: PathBuf,
    format: Option<u32>,
    vere: Option<String>,
    log: OnceLock<EventLog>,
}

impl Epoch {
    /// `N`: the epoch holds events from `N + 1` (0 for a P1 log).
    pub fn number(&self) -> u64 {
        self.number
    }

    /// Its directory (for P1, `.urb/log` itself).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The epoch format from `epoc.txt` (`None` for P1).
    pub fn format(&self) -> Option<u32> {
        self.format
    }

    /// The runtime version from `vere.txt`, if readable (`None` for P1).
    pub fn vere(&self) -> Option<&str> {
        self.vere.as_deref()
    }

    /// The snapshot files copied into the epoch directory (empty for P1).
    pub fn snapshot_files(&self) -> Result<Vec<PathBuf>, LogError> {
        if self.format.is_none() {
            return Ok(Vec::new());
        }
        epoch::snapshot_files(&self.dir)
    }
}

/// A pier's event log (see the module docs).
#[derive(Debug)]
pub struct PierLog {
    pier: PathBuf,
    dir: PathBuf,
    layout: Layout,
    meta: Meta,
    epochs: Vec<Epoch>,
    ignored: Vec<(u64, String)>,
    options: OpenOptions,
    /// Serialises the lazy opening of epochs (see `epoch_log`).
    opening: Mutex<()>,
}

/// A sealed epoch (not the latest) is never written again.
fn sealed_options(options: &OpenOptions) -> OpenOptions {
    OpenOptions {
        writable: false,
        map_size: SEALED_MAP_SIZE,
        ..*options
    }
}

impl PierLog {
    /// Open the log of `pier` read-only (`options.writable` false), or for
    /// appending to its latest epoch (`options.writable` true: epoch layout
    /// only; a P1 log gives [`LogError::NeedsMigration`]). A writable open
    /// also removes what interrupted rollovers left (`0i<N>.tmp`, an
    /// unfinished latest epoch without events).
    pub fn open(pier: &Path, options: OpenOptions) -> Result<PierLog, LogError> {
        let dir = log_dir(pier);
        let top = EventLog::open_expecting(
            &dir,
            OpenOptions {
                writable: false,
                ..options
            },
            EXPECT_TOP,
        )?;
        let meta = *top.meta();
        let layout = match meta.version {
            LOG_VERSION => Layout::P1,
            LOG_VERSION_MIGRATING => Layout::P1Migrating,
            _ => Layout::Epochs,
        };
        if layout != Layout::Epochs {
            if options.writable {
                return Err(LogError::NeedsMigration {
                    path: dir,
                    version: meta.version,
                });
            }
            if !top.has_events_db() {
                return Err(LogError::MissingEventsDb { path: dir });
            }
            let slot = Epoch {
                number: 0,
                dir: dir.clone(),
                format: None,
                vere: None,
                log: OnceLock::from(top),
            };
            return Ok(PierLog {
                pier: pier.to_path_buf(),
                dir,
                layout,
                meta,
                epochs: vec![slot],
                ignored: Vec::new(),
                options,
                opening: Mutex::new(()),
            });
        }
        drop(top);
        if options.writable {
            epoch::remove_stale_builds(&dir)?;
        }
        let mut numbers = epoch::list_epochs(&dir)?;
        let mut ignored = Vec::new();
        let mut epochs = Vec::with_capacity(numbers.len());
        let mut latest_log = None;
        while let Some(&latest) = numbers.last() {
            let edir = dir.join(epoch::epoch_name(latest));
            match check_latest(&edir, options) {
                Ok((files, log)) => {
                    epochs.push((latest, edir, files));
                    latest_log = Some(log);
                    numbers.pop();
                    break;
                }
                Err(LatestProblem::Unfinished(why)) if numbers.len() > 1 && ignored.is_empty() => {
                    // Vere falls back one epoch, once ("multiple bad epochs").
                    if options.writable {
                        fs::remove_dir_all(&edir).map_err(|source| LogError::Io {
                            path: edir.clone(),
                            source,
                        })?;
                    }
                    ignored.push((latest, why));
                    numbers.pop();
                }
                Err(LatestProblem::Unfinished(why)) => {
                    return Err(LogError::BadEpochFile {
                        path: edir,
                        detail: why,
                    })
                }
                Err(LatestProblem::Fatal(e)) => return Err(e),
            }
        }
        if epochs.is_empty() {
            return Err(LogError::NoEpochs { path: dir });
        }
        for n in numbers.into_iter().rev() {
            let edir = dir.join(epoch::epoch_name(n));
            let files = epoch::read_epoch_files(&edir)?;
            epochs.push((n, edir, files));
        }
        epochs.reverse();
        let mut epochs: Vec<Epoch> = epochs
            .into_iter()
            .map(|(number, dir, files)| Epoch {
                number,
                dir,
                format: Some(files.format),
                vere: files.vere,
                log: OnceLock::new(),
            })
            .collect();
        if let (Some(slot), Some(log)) = (epochs.last_mut(), latest_log) {
            slot.log = OnceLock::from(log);
        }
        let log = PierLog {
            pier: pier.to_path_buf(),
            dir,
            layout,
            meta,
            epochs,
            ignored,
            options,
            opening: Mutex::new(()),
        };
        // The latest epoch is open (check_latest): its META is what a serf
        // reports, so it must name the top level's ship.
        check_same_ship(&log.meta, log.epoch_log(log.epochs.len() - 1)?)?;
        Ok(log)
    }

    /// Open the log of `pier` read-only with the default options.
    pub fn open_read_only(pier: &Path) -> Result<PierLog, LogError> {
        Self::open(pier, OpenOptions::default())
    }

    /// Create the epoch-layout log of a new pier, as a P2 `boot` does: epoch
    /// `0i0` (`epoc.txt` = 2, `vere.txt` = `vere`, `data.mdb` with `META` and
    /// an empty `EVENTS`), then the top-level `data.mdb` with `META` only,
    /// and open it for appending. `meta.version` must be 3 (see
    /// [`Meta::epochs`]); `options.map_size` is used for both environments.
    /// Refuses a pier that already has a log (a top-level `data.mdb` or any
    /// epoch directory). The caller holds the pier lock.
    pub fn create(
        pier: &Path,
        meta: &Meta,
        vere: &str,
        options: OpenOptions,
    ) -> Result<PierLog, LogError> {
        let dir = log_dir(pier);
        if meta.version != LOG_VERSION_EPOCHS {
            return Err(LogError::WrongVersion {
                path: dir,
                found: meta.version,
                supported: "version 3 (a new log is created in the epoch layout)",
            });
        }
        fs::create_dir_all(&dir).map_err(|source| LogError::Io {
            path: dir.clone(),
            source,
        })?;
        if dir.join(epoch::DATA_FILE).exists() || !epoch::list_epochs(&dir)?.is_empty() {
            return Err(LogError::AlreadyExists { path: dir });
        }
        let what = EpochBuild {
            meta,
            vere,
            snapshot: None,
            link_data: None,
            map_size: options.map_size,
        };
        epoch::build_epoch(&dir, 0, &what)?;
        // The top level goes last: its META is what marks the log as there.
        drop(EventLog::create_with(&dir, meta, options.map_size, false)?);
        epoch::sync_dir(&dir)?;
        Self::open(
            pier,
            OpenOptions {
                writable: true,
                ..options
            },
        )
    }

    /// The pier directory.
    pub fn pier(&self) -> &Path {
        &self.pier
    }

    /// The log directory `<pier>/.urb/log`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Which layout the log is in.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The top-level `META` (for P1, the log's `META`).
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// Whether the log was opened for appending.
    pub fn is_writable(&self) -> bool {
        self.options.writable
    }

    /// The epochs, oldest first (for P1, one entry for the whole log).
    pub fn epochs(&self) -> &[Epoch] {
        &self.epochs
    }

    /// The latest epoch, the one written to.
    pub fn latest(&self) -> &Epoch {
        &self.epochs[self.epochs.len() - 1]
    }

    /// Latest epochs passed over because they were unfinished (number, why):
    /// what an interrupted Vere rollover leaves. A writable open deleted them.
    pub fn ignored_epochs(&self) -> &[(u64, String)] {
        &self.ignored
    }

    /// Whether the latest epoch was created by another runtime version than
    /// `vere` (or its `vere.txt` is unreadable): Vere 4.x rolls over to a new
    /// epoch on start when this holds and its snapshot is current.
    pub fn vere_differs(&self, vere: &str) -> bool {
        self.latest().vere() != Some(vere)
    }

    /// The environment of epoch `i`, opened on first use.
    fn epoch_log(&self, i: usize) -> Result<&EventLog, LogError> {
        let slot = &self.epochs[i];
        if let Some(log) = slot.log.get() {
            return Ok(log);
        }
        let _guard = self.opening.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(log) = slot.log.get() {
            return Ok(log);
        }
        let latest = i + 1 == self.epochs.len();
        let options = if latest {
            self.options
        } else {
            sealed_options(&self.options)
        };
        let log = EventLog::open_expecting(&slot.dir, options, EXPECT_EPOCH)?;
        check_same_ship(&self.meta, &log)?;
        Ok(slot.log.get_or_init(|| log))
    }

    /// The index of the epoch holding event `n` (the last one starting before it).
    fn epoch_index(&self, n: u64) -> Option<usize> {
        let after = self.epochs.partition_point(|e| e.number < n);
        after.checked_sub(1)
    }

    /// The first and last event stored in epoch `i` (`None` if it has none).
    pub fn epoch_span(&self, i: usize) -> Result<Option<(u64, u64)>, LogError> {
        let log = self.epoch_log(i)?;
        Ok(match (log.first()?, log.last()?) {
            (Some(a), Some(b)) => Some((a, b)),
            _ => None,
        })
    }

    /// The first stored event (`None` if no epoch holds one).
    pub fn first(&self) -> Result<Option<u64>, LogError> {
        for i in 0..self.epochs.len() {
            if let Some((a, _)) = self.epoch_span(i)? {
                return Ok(Some(a));
            }
        }
        Ok(None)
    }

    /// The last event the log accounts for: the latest epoch's last event,
    /// or its `N` if it holds none yet (0 for a fresh log). This is Vere's
    /// `dun_d`, the event a serf has to reach.
    pub fn last(&self) -> Result<u64, LogError> {
        let i = self.epochs.len() - 1;
        Ok(self.epoch_log(i)?.last()?.unwrap_or(self.epochs[i].number))
    }

    /// Read event `n`; `None` if it is not stored.
    pub fn get(&self, n: u64) -> Result<Option<Event>, LogError> {
        match self.epoch_index(n) {
            Some(i) => self.epoch_log(i)?.get(n),
            None => Ok(None),
        }
    }

    /// Iterate events `from..=to` across epochs, in order. As for
    /// [`EventLog::range`]: it stops quietly after the last stored event, and
    /// reports the first missing number before that as [`LogError::Gap`]
    /// (including numbers an epoch should hold up to the next epoch's start).
    pub fn range(&self, from: u64, to: u64) -> Result<PierIter<'_>, LogError> {
        let from = from.max(1);
        Ok(PierIter {
            log: self,
            current: None,
            next: from,
            to,
            done: from > to,
        })
    }

    /// Iterate every stored event, first to last.
    pub fn iter(&self) -> Result<PierIter<'_>, LogError> {
        let first = self.first()?.unwrap_or(1);
        self.range(first, u64::MAX)
    }

    /// Check the whole log, reading keys only: every epoch's events are
    /// contiguous, each epoch but the latest holds exactly events `N+1` up to
    /// the next epoch's `N`, the latest starts at `N+1`. Returns the first
    /// and last stored event, or `None` if none is stored.
    pub fn check_contiguous(&self) -> Result<Option<(u64, u64)>, LogError> {
        let mut span: Option<(u64, u64)> = None;
        for i in 0..self.epochs.len() {
            let e = &self.epochs[i];
            let here = self.epoch_log(i)?.check_contiguous()?;
            let next_start = self.epochs.get(i + 1).map(|n| n.number);
            match (here, next_start) {
                (None, None) => {}
                (None, Some(next)) => {
                    return Err(LogError::EpochMismatch {
                        path: e.dir.clone(),
                        detail: format!(
                            "epoch 0i{} holds no event, but the next epoch starts after {next}",
                            e.number
                        ),
                    })
                }
                (Some((a, b)), next) => {
                    if a != e.number + 1 {
                        return Err(if a > e.number + 1 {
                            LogError::Gap {
                                path: e.dir.clone(),
                                missing: e.number + 1,
                            }
                        } else {
                            LogError::EpochMismatch {
                                path: e.dir.clone(),
                                detail: format!(
                                    "epoch 0i{} holds event {a}, from before its start",
                                    e.number
                                ),
                            }
                        });
                    }
                    if let Some(next) = next {
                        if b < next {
                            return Err(LogError::Gap {
                                path: e.dir.clone(),
                                missing: b + 1,
                            });
                        }
                        if b > next {
                            return Err(LogError::EpochMismatch {
                                path: e.dir.clone(),
                                detail: format!(
                                    "epoch 0i{} holds events up to {b}, past the next epoch's \
                                     start after {next}",
                                    e.number
                                ),
                            });
                        }
                    }
                    span = Some((span.map_or(a, |s| s.0), b));
                }
            }
        }
        Ok(span)
    }

    fn need_epoch_writer(&self) -> Result<(), LogError> {
        if !self.options.writable {
            return Err(LogError::ReadOnly {
                path: self.dir.clone(),
            });
        }
        Ok(())
    }

    fn latest_mut(&mut self) -> Result<(u64, &mut EventLog), LogError> {
        self.need_epoch_writer()?;
        let i = self.epochs.len() - 1;
        self.epoch_log(i)?;
        let slot = &mut self.epochs[i];
        let log = slot.log.get_mut().ok_or_else(|| LogError::ReadOnly {
            path: slot.dir.clone(),
        })?;
        Ok((slot.number, log))
    }

    /// Append event `number` (`last() + 1`) to the latest epoch, committed
    /// (fsync'd) when this returns.
    pub fn append(&mut self, number: u64, mug: u32, jam: &[u8]) -> Result<(), LogError> {
        self.append_batch(std::iter::once((number, mug, jam)))
            .map(|_| ())
    }

    /// Append contiguous events from `last() + 1` to the latest epoch in one
    /// transaction: all or nothing, durable when this returns.
    pub fn append_batch<'a, I>(&mut self, events: I) -> Result<usize, LogError>
    where
        I: IntoIterator<Item = (u64, u32, &'a [u8])>,
    {
        let (base, log) = self.latest_mut()?;
        log.append_batch_after(base, events)
    }

    /// Roll over to a new epoch `0i<last()>` as Vere does after a replay in
    /// epoch 0, or on a new runtime version: the directory gets `epoc.txt`,
    /// `vere.txt` = `vere`, a copy of every file under `snapshot_dir` (the
    /// serf's snapshot, which must be at event `last()`), and a `data.mdb`
    /// with `META` (version 3) and no event. Later appends go there. The
    /// directory appears complete or not at all. Returns the new epoch's number.
    pub fn roll(&mut self, snapshot_dir: &Path, vere: &str) -> Result<u64, LogError> {
        self.need_epoch_writer()?;
        let n = self.last()?;
        if n == self.latest().number {
            return Err(LogError::NothingToRoll {
                path: self.dir.clone(),
                epoch: n,
            });
        }
        let meta = Meta::epochs(self.meta.who, self.meta.fake, self.meta.life);
        let what = EpochBuild {
            meta: &meta,
            vere,
            snapshot: Some(snapshot_dir),
            link_data: None,
            map_size: self.options.map_size,
        };
        let dir = epoch::build_epoch(&self.dir, n, &what)?;
        let log = EventLog::open_expecting(&dir, self.options, EXPECT_EPOCH)?;
        self.epochs.push(Epoch {
            number: n,
            dir,
            format: Some(epoch::EPOCH_FORMAT),
            vere: Some(vere.to_string()),
            log: OnceLock::from(log),
        });
        Ok(n)
    }
}

/// Why the latest epoch cannot be used.
enum LatestProblem {
    /// Unfinished as an interrupted Vere rollover leaves it, with no event
    /// in it: Vere discards it and falls back to the previous epoch.
    Unfinished(String),
    /// Anything else: an error.
    Fatal(LogError),
}

/// Check that an epoch's `META` names the top level's ship and boot.
fn check_same_ship(top: &Meta, log: &EventLog) -> Result<(), LogError> {
    if log.meta().same_ship(top) {
        return Ok(());
    }
    Err(LogError::EpochMismatch {
        path: log.dir().to_path_buf(),
        detail: format!(
            "the epoch's META ({:?}) names another ship or boot than the top level ({top:?})",
            log.meta()
        ),
    })
}

/// Check and open the latest epoch as Vere's `_disk_epoc_load` does:
/// `epoc.txt` present ("gone" otherwise) and readable, and not "void" (no
/// event and no `META`).
fn check_latest(
    dir: &Path,
    options: OpenOptions,
) -> Result<(epoch::EpochFiles, EventLog), LatestProblem> {
    let unfinished = |why: String| {
        if holds_events(dir) {
            LatestProblem::Fatal(LogError::EpochMismatch {
                path: dir.to_path_buf(),
                detail: format!("{why}, yet its data.mdb holds events"),
            })
        } else {
            LatestProblem::Unfinished(why)
        }
    };
    if !dir.join(epoch::EPOC_FILE).exists() {
        return Err(unfinished(format!(
            "epoch {} has no {} (the rollover that made it was interrupted)",
            dir.display(),
            epoch::EPOC_FILE
        )));
    }
    let files = epoch::read_epoch_files(dir).map_err(LatestProblem::Fatal)?;
    match EventLog::open_expecting(dir, options, EXPECT_EPOCH) {
        Ok(log) => Ok((files, log)),
        Err(LogError::MissingDataFile { .. } | LogError::MissingMetaDb { .. }) => {
            Err(unfinished(format!(
                "epoch {} has no META (the rollover that made it was interrupted)",
                dir.display()
            )))
        }
        Err(e) => Err(LatestProblem::Fatal(e)),
    }
}

/// Whether the epoch directory's `data.mdb` may hold an event, by a walk in
/// Rust (no LMDB: the file may be half-made).
fn holds_events(dir: &Path) -> bool {
    let data = dir.join(epoch::DATA_FILE);
    if !data.is_file() {
        return false;
    }
    match super::verify_data_file(&data) {
        Ok(report) => report
            .named_dbs
            .iter()
            .any(|d| d.name == super::EVENTS_DB && d.entries > 0),
        // A file we cannot even walk may hold events: do not discard it.
        Err(_) => std::fs::metadata(&data).is_ok_and(|m| m.len() > 0),
    }
}

/// Iterator over events across epochs; see [`PierLog::range`].
pub struct PierIter<'a> {
    log: &'a PierLog,
    /// The epoch being read and its iterator, up to that epoch's last event.
    current: Option<(usize, u64, EventIter<'a>)>,
    next: u64,
    to: u64,
    done: bool,
}

impl Iterator for PierIter<'_> {
    type Item = Result<Event, LogError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done {
                return None;
            }
            if self.current.is_none() {
                let Some(i) = self.log.epoch_index(self.next) else {
                    // Before the first epoch: not in this log.
                    self.done = true;
                    return Some(Err(LogError::Gap {
                        path: self.log.dir.clone(),
                        missing: self.next,
                    }));
                };
                let end = match self.log.epochs.get(i + 1) {
                    Some(e) => e.number.min(self.to),
                    None => self.to,
                };
                let started = self.log.epoch_log(i).and_then(|l| l.range(self.next, end));
                match started {
                    Ok(it) => self.current = Some((i, end, it)),
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
            }
            let (i, end, it) = self.current.as_mut().expect("set above");
            match it.next() {
                Some(Ok(ev)) => {
                    if ev.number >= self.to {
                        self.done = true;
                    } else {
                        self.next = ev.number + 1;
                    }
                    return Some(Ok(ev));
                }
                Some(Err(e)) => {
                    self.done = true;
                    return Some(Err(e));
                }
                None => {
                    let (i, end) = (*i, *end);
                    self.current = None;
                    if i + 1 == self.log.epochs.len() {
                        self.done = true;
                        return None;
                    }
                    if self.next <= end {
                        // The epoch ends before the next one starts.
                        self.done = true;
                        return Some(Err(LogError::Gap {
                            path: self.log.epochs[i].dir.clone(),
                            missing: self.next,
                        }));
                    }
                    if end >= self.to {
                        self.done = true;
                        return None;
                    }
                }
            }
        }
    }
}
