//! Migrating a P1 log to the epoch layout, as Vere 4.x does on its first start on an old pier.
//!
//! Vere's `_disk_migrate_epoc` keeps the old `data.mdb` as epoch `0i0`
//! through a hard link, then replaces the top-level `data.mdb` by a new
//! META-only one (built in `log/tmp/`, then renamed over the old name). No
//! event is copied: `0i0/data.mdb` *is* the old file. This does the same, in
//! steps that are each atomic or idempotent:
//!
//! 1. check the P1 log (`META.version` 1, or 2 if Vere began migrating it;
//!    contiguous events);
//! 2. build `0i0/` under `0i0.tmp/` (`epoc.txt`, `vere.txt`, `data.mdb` hard
//!    link) and rename it into place, or, if `0i0/` is there from an
//!    interrupted run, check its `data.mdb` is the same file (and repair what
//!    an interrupted Vere migration left out);
//! 3. write the new top-level environment (`META` version 3, no `EVENTS`)
//!    in `log/tmp/`;
//! 4. rename `log/tmp/data.mdb` over `log/data.mdb`: the commit point;
//! 5. remove `log/tmp/` and the old LMDB lock file.
//!
//! Interrupted before step 4, the P1 log is untouched, byte for byte (Vere
//! 1.16 and the P1 reader still read it; the new directories are inert);
//! after it, the epoch layout is complete. Running `migrate` again finishes
//! either. Two differences from Vere: Vere first writes `META.version` = 2
//! into the old log (so that old runtimes refuse a half-migrated pier, and to
//! remember that it migrated its loom snapshot); here the old log is not
//! written at all, so `0i0`'s `META` keeps version 1 (Vere 4.x reads epochs
//! of any version up to 3). And Vere hard-links the old `lock.mdb` into `0i0`
//! as well, so two environments share one lock file; here each gets its own.
//!
//! Vere then rolls over to epoch `0i<last>` with its snapshot. A serf that
//! replays instead (mars cannot read Vere's snapshot) rolls over after the
//! replay, by the rule for epoch 0 ([`super::PierLog::roll`]).
//!
//! The caller holds the pier lock ([`super::PierLock`]).

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::env::Expect;
use super::epoch::{self, EpochBuild};
use super::pier::EXPECT_EPOCH;
use super::{
    log_dir, EventLog, Layout, LogError, Meta, OpenOptions, PierLog, LOG_VERSION,
    LOG_VERSION_EPOCHS, LOG_VERSION_MIGRATING,
};

/// What [`migrate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Migration {
    /// The log was already in the epoch layout (leftovers of an interrupted
    /// migration, if any, were removed).
    NotNeeded,
    /// The P1 log is now epoch `0i0`, holding events `first..=last`
    /// (`None` for a log without events).
    Migrated { span: Option<(u64, u64)> },
}

/// The scratch directory Vere uses for the new top-level environment.
const SCRATCH: &str = "tmp";

/// Where a test stops the migration, to leave the state a crash would.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Step {
    /// After step 2 (`0i0/` in place).
    Epoch0,
    /// After step 3 (new top level written in `tmp/`).
    NewTop,
    /// After step 4 (the commit point).
    Swapped,
    /// Everything.
    Done,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> LogError + '_ {
    move |source| LogError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The top level of a log to migrate: versions 1 to 3.
const EXPECT_ANY_TOP: Expect = Expect {
    versions: (LOG_VERSION, LOG_VERSION_EPOCHS),
    events_required: false,
    supported: "1 to 3",
};

/// Migrate the log of `pier` to the epoch layout if it is a P1 log (see the
/// module docs); `vere` goes into `0i0/vere.txt`, `options.map_size` and
/// `options.verify` are used for the environments. Cheap when there is
/// nothing to do, so a serf can call it on every start.
pub fn migrate(pier: &Path, vere: &str, options: OpenOptions) -> Result<Migration, LogError> {
    migrate_until(pier, vere, options, Step::Done)
}

pub(crate) fn migrate_until(
    pier: &Path,
    vere: &str,
    options: OpenOptions,
    stop: Step,
) -> Result<Migration, LogError> {
    let dir = log_dir(pier);
    let read = OpenOptions {
        writable: false,
        no_lock: false,
        ..options
    };
    // 1. What is there.
    let (meta, span) = {
        let top = EventLog::open_expecting(&dir, read, EXPECT_ANY_TOP)?;
        let meta = *top.meta();
        if meta.version == LOG_VERSION_EPOCHS {
            drop(top);
            remove_scratch(&dir)?;
            return Ok(Migration::NotNeeded);
        }
        debug_assert!(meta.version == LOG_VERSION || meta.version == LOG_VERSION_MIGRATING);
        if !top.has_events_db() {
            return Err(LogError::MissingEventsDb { path: dir });
        }
        (meta, top.check_contiguous()?)
    };
    let old_data = dir.join(epoch::DATA_FILE);

    // 2. Epoch 0i0 holding the old file.
    let epoch0 = dir.join(epoch::epoch_name(0));
    if epoch0.exists() {
        repair_epoch0(&epoch0, &old_data, vere)?;
    } else {
        let what = EpochBuild {
            meta: &meta,
            vere,
            snapshot: None,
            link_data: Some(&old_data),
            map_size: options.map_size,
        };
        epoch::build_epoch(&dir, 0, &what)?;
    }
    // The epoch opens, and says what the old log said.
    {
        let e0 = EventLog::open_expecting(&epoch0, read, EXPECT_EPOCH)?;
        if !e0.meta().same_ship(&meta) || e0.check_contiguous()? != span {
            return Err(LogError::MigrationConflict {
                path: epoch0,
                detail: "0i0/data.mdb does not read as the P1 log it should be".into(),
            });
        }
    }
    if stop == Step::Epoch0 {
        return Ok(Migration::Migrated { span });
    }

    // 3. The new top level, in the scratch directory.
    let scratch = dir.join(SCRATCH);
    if scratch.exists() {
        fs::remove_dir_all(&scratch).map_err(io_err(&scratch))?;
    }
    fs::create_dir(&scratch).map_err(io_err(&scratch))?;
    let top_meta = Meta::epochs(meta.who, meta.fake, meta.life);
    drop(EventLog::create_with(
        &scratch,
        &top_meta,
        options.map_size,
        false,
    )?);
    epoch::sync_dir(&scratch)?;
    if stop == Step::NewTop {
        return Ok(Migration::Migrated { span });
    }

    // 4. The commit point.
    let new_data = scratch.join(epoch::DATA_FILE);
    fs::rename(&new_data, &old_data).map_err(io_err(&old_data))?;
    epoch::sync_dir(&dir)?;
    if stop == Step::Swapped {
        return Ok(Migration::Migrated { span });
    }

    // 5. Tidy up. The old lock file belonged to the old environment (now
    //    0i0): a fresh one is made for the new top level.
    remove_scratch(&dir)?;
    remove_if_present(&dir.join(epoch::LOCK_FILE))?;

    // Read it back as an epoch log.
    let log = PierLog::open(pier, read)?;
    if log.layout() != Layout::Epochs || log.check_contiguous()? != span {
        return Err(LogError::MigrationConflict {
            path: dir,
            detail: "the migrated log does not read back as the P1 log it was".into(),
        });
    }
    Ok(Migration::Migrated { span })
}

fn remove_if_present(path: &Path) -> Result<(), LogError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(LogError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Remove `log/tmp/` (what step 3 or 5 of an interrupted migration left).
fn remove_scratch(dir: &Path) -> Result<(), LogError> {
    let scratch = dir.join(SCRATCH);
    match fs::remove_dir_all(&scratch) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(LogError::Io {
            path: scratch,
            source,
        }),
    }
}

/// Whether two paths are the same file (device and inode).
fn same_file(a: &Path, b: &Path) -> Result<bool, LogError> {
    let ma = fs::metadata(a).map_err(io_err(a))?;
    let mb = fs::metadata(b).map_err(io_err(b))?;
    Ok(ma.dev() == mb.dev() && ma.ino() == mb.ino())
}

/// Make an existing `0i0/` what step 2 builds: its `data.mdb` must be the
/// old log's file (linked here if an interrupted Vere migration had not got
/// that far), with `epoc.txt` and `vere.txt` beside it.
fn repair_epoch0(epoch0: &Path, old_data: &Path, vere: &str) -> Result<(), LogError> {
    let data = epoch0.join(epoch::DATA_FILE);
    if data.exists() {
        if !same_file(&data, old_data)? {
            return Err(LogError::MigrationConflict {
                path: data,
                detail: "0i0/data.mdb exists and is not the P1 log's data.mdb; \
                         refusing to replace it"
                    .into(),
            });
        }
    } else {
        fs::hard_link(old_data, &data).map_err(io_err(&data))?;
    }
    // Vere links the old lock file in too; give 0i0 a lock file of its own.
    let lock = epoch0.join(epoch::LOCK_FILE);
    let old_lock = old_data.with_file_name(epoch::LOCK_FILE);
    if lock.exists() && old_lock.exists() && same_file(&lock, &old_lock)? {
        remove_if_present(&lock)?;
    }
    if epoch::read_epoch_files(epoch0).is_err() {
        epoch::write_synced(
            &epoch0.join(epoch::EPOC_FILE),
            epoch::EPOCH_FORMAT.to_string().as_bytes(),
        )?;
    }
    if !epoch0.join(epoch::VERE_FILE).exists() {
        epoch::write_synced(&epoch0.join(epoch::VERE_FILE), vere.as_bytes())?;
    }
    epoch::sync_dir(epoch0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventlog::Event;

    const VERE: &str = "mars-test";

    fn options() -> OpenOptions {
        OpenOptions {
            map_size: 1 << 30,
            ..OpenOptions::default()
        }
    }

    /// A P1 pier of `n` events (events 1..=3 with mug 0, as boot events).
    fn p1_pier(n: u64) -> (tempfile::TempDir, Vec<Event>) {
        let pier = tempfile::tempdir().unwrap();
        let meta = Meta {
            version: 1,
            who: 0x0102,
            fake: false,
            life: 3,
        };
        let mut log = EventLog::create(pier.path(), &meta).unwrap();
        let events: Vec<Event> = (1..=n)
            .map(|k| Event {
                number: k,
                mug: if k <= 3 { 0 } else { k as u32 * 0x0101_0101 },
                jam: (0..(k * 37 % 3000) + 1)
                    .map(|i| (i * k) as u8 | 1)
                    .collect(),
            })
            .collect();
        log.append_batch(events.iter().map(|e| (e.number, e.mug, e.jam.as_slice())))
            .unwrap();
        (pier, events)
    }

    fn all_events(pier: &Path) -> (Layout, Vec<Event>) {
        let log = PierLog::open(pier, options()).unwrap();
        let events = log.iter().unwrap().map(|e| e.unwrap()).collect();
        (log.layout(), events)
    }

    fn top_bytes(pier: &Path) -> Vec<u8> {
        fs::read(log_dir(pier).join("data.mdb")).unwrap()
    }

    #[test]
    fn every_interruption_leaves_a_complete_log_and_a_rerun_finishes() {
        for stop in [Step::Epoch0, Step::NewTop, Step::Swapped, Step::Done] {
            let (pier, events) = p1_pier(40);
            let before = top_bytes(pier.path());
            let got = migrate_until(pier.path(), VERE, options(), stop).unwrap();
            assert_eq!(
                got,
                Migration::Migrated {
                    span: Some((1, 40))
                }
            );
            let (layout, read) = all_events(pier.path());
            assert_eq!(read, events, "after {stop:?}");
            if stop < Step::Swapped {
                // Before the commit point the P1 log is untouched, byte for byte.
                assert_eq!(layout, Layout::P1, "after {stop:?}");
                assert_eq!(top_bytes(pier.path()), before, "after {stop:?}");
            } else {
                assert_eq!(layout, Layout::Epochs, "after {stop:?}");
            }
            let again = migrate(pier.path(), VERE, options()).unwrap();
            let expected = if stop < Step::Swapped {
                Migration::Migrated {
                    span: Some((1, 40)),
                }
            } else {
                Migration::NotNeeded
            };
            assert_eq!(again, expected, "rerun after {stop:?}");
            let (layout, read) = all_events(pier.path());
            assert_eq!(layout, Layout::Epochs);
            assert_eq!(read, events);
            let dir = log_dir(pier.path());
            assert!(!dir.join(SCRATCH).exists());
            assert!(!dir.join("0i0.tmp").exists());
            assert_eq!(
                migrate(pier.path(), VERE, options()).unwrap(),
                Migration::NotNeeded
            );
        }
    }

    #[test]
    fn migrated_log_has_vere_layout_and_old_file_as_epoch_zero() {
        let (pier, _) = p1_pier(10);
        let dir = log_dir(pier.path());
        let old = fs::metadata(dir.join("data.mdb")).unwrap();
        migrate(pier.path(), VERE, options()).unwrap();
        let e0 = fs::metadata(dir.join("0i0/data.mdb")).unwrap();
        assert_eq!((old.dev(), old.ino()), (e0.dev(), e0.ino()));
        assert_eq!(fs::read(dir.join("0i0/epoc.txt")).unwrap(), b"2");
        assert_eq!(fs::read(dir.join("0i0/vere.txt")).unwrap(), VERE.as_bytes());
        let top = crate::eventlog::verify_data_file(&dir.join("data.mdb")).unwrap();
        let dbs: Vec<_> = top
            .named_dbs
            .iter()
            .map(|d| (d.name.as_str(), d.flags, d.entries))
            .collect();
        assert_eq!(dbs, vec![("META", 0, 4)]);
        let log = PierLog::open(pier.path(), options()).unwrap();
        assert_eq!(*log.meta(), Meta::epochs(0x0102, false, 3));
        assert_eq!(log.epochs().len(), 1);
        assert_eq!(log.last().unwrap(), 10);
    }

    #[test]
    fn finishes_a_migration_vere_began() {
        // Vere set version 2, made 0i0 in place and linked data.mdb and
        // lock.mdb into it, then died before writing epoc.txt and log/tmp.
        let (pier, events) = p1_pier(12);
        let dir = log_dir(pier.path());
        {
            let mut log = EventLog::open_rw(pier.path()).unwrap();
            log.set_version_for_tests(2).unwrap();
        }
        assert_eq!(all_events(pier.path()).0, Layout::P1Migrating);
        fs::create_dir(dir.join("0i0")).unwrap();
        fs::hard_link(dir.join("data.mdb"), dir.join("0i0/data.mdb")).unwrap();
        fs::hard_link(dir.join("lock.mdb"), dir.join("0i0/lock.mdb")).unwrap();
        fs::create_dir(dir.join("tmp")).unwrap();
        fs::write(dir.join("tmp/data.mdb"), b"half a file").unwrap();
        assert_eq!(
            migrate(pier.path(), VERE, options()).unwrap(),
            Migration::Migrated {
                span: Some((1, 12))
            }
        );
        let (layout, read) = all_events(pier.path());
        assert_eq!(layout, Layout::Epochs);
        assert_eq!(read, events);
        assert_eq!(fs::read(dir.join("0i0/epoc.txt")).unwrap(), b"2");
        // 0i0 keeps Vere's version 2 in its META; the top level says 3.
        let log = PierLog::open(pier.path(), options()).unwrap();
        assert_eq!(log.meta().version, 3);
    }

    #[test]
    fn refuses_an_epoch_zero_it_did_not_make() {
        let (pier, events) = p1_pier(5);
        let dir = log_dir(pier.path());
        let before = top_bytes(pier.path());
        let (other, _) = p1_pier(2);
        fs::create_dir(dir.join("0i0")).unwrap();
        fs::copy(
            log_dir(other.path()).join("data.mdb"),
            dir.join("0i0/data.mdb"),
        )
        .unwrap();
        let err = migrate(pier.path(), VERE, options()).unwrap_err();
        assert!(matches!(err, LogError::MigrationConflict { .. }), "{err}");
        assert!(err.to_string().contains("0i0"), "{err}");
        assert_eq!(top_bytes(pier.path()), before);
        assert_eq!(all_events(pier.path()), (Layout::P1, events));
    }

    #[test]
    fn a_damaged_p1_log_is_not_migrated() {
        let (pier, _) = p1_pier(6);
        {
            let mut log = EventLog::open_rw(pier.path()).unwrap();
            log.put_raw_for_tests(&9u64.to_ne_bytes(), &[0, 0, 0, 0, 1])
                .unwrap();
        }
        let before = top_bytes(pier.path());
        let err = migrate(pier.path(), VERE, options()).unwrap_err();
        assert!(matches!(err, LogError::Gap { missing: 7, .. }), "{err}");
        assert_eq!(top_bytes(pier.path()), before);
        assert!(!log_dir(pier.path()).join("0i0").exists());
        let missing = tempfile::tempdir().unwrap();
        assert!(matches!(
            migrate(missing.path(), VERE, options()),
            Err(LogError::MissingLogDir { .. })
        ));
    }
}
