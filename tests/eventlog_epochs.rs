//! Integration tests of the P2 (epoch) event log: Vere 4.5's fixture, write/read round trips, rollover, the
//! background writer, migration of Vere 1.16's P1 fixture, the pier lock, damaged logs, and `mars log`.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use heed::types::Bytes;
use mars::eventlog::migrate::{migrate, Migration};
use mars::eventlog::{
    log_dir, verify_data_file, Event, EventLog, Layout, LogError, LogWriter, Meta, OpenOptions,
    PierLock, PierLog,
};
use mars::test_support::{vere45_zod_fixture, vere_zod_fixture};

const VERE: &str = "mars-test";

/// Options for logs made by the tests: a small map, so many can be open.
fn small() -> OpenOptions {
    OpenOptions {
        map_size: 1 << 30,
        ..OpenOptions::default()
    }
}

fn writable() -> OpenOptions {
    OpenOptions {
        writable: true,
        ..small()
    }
}

/// Read-only in place, without LMDB's lock file (the fixtures are read-only).
fn in_place() -> OpenOptions {
    OpenOptions {
        no_lock: true,
        ..OpenOptions::default()
    }
}

fn mugs(dir: &Path) -> Vec<(u64, u32)> {
    fs::read_to_string(dir.join("mugs.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut it = l.split_whitespace();
            let n = it.next().unwrap().parse().unwrap();
            let m = u32::from_str_radix(it.next().unwrap(), 16).unwrap();
            (n, m)
        })
        .collect()
}

/// Every file under `dir` with its bytes and modification time.
fn tree(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, std::time::SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let m = fs::metadata(&p).unwrap();
                out.insert(p.clone(), (fs::read(&p).unwrap(), m.modified().unwrap()));
            }
        }
    }
    out
}

/// The raw `META` entries of the environment in `dir`, read with heed directly.
fn raw_meta(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut opts = heed::EnvOpenOptions::new();
    opts.map_size(1 << 30).max_dbs(2);
    // SAFETY: read-only without a lock file, on a log nothing writes meanwhile.
    unsafe {
        opts.flags(heed::EnvFlags::READ_ONLY | heed::EnvFlags::NO_LOCK);
    }
    // SAFETY: as above; the file was checked by the caller's open before.
    let env = unsafe { opts.open(dir) }.unwrap();
    let r = env.read_txn().unwrap();
    let db: heed::Database<Bytes, Bytes> = env
        .database_options()
        .types()
        .name("META")
        .open(&r)
        .unwrap()
        .unwrap();
    let out = db
        .iter(&r)
        .unwrap()
        .map(|kv| {
            let (k, v) = kv.unwrap();
            (String::from_utf8(k.to_vec()).unwrap(), v.to_vec())
        })
        .collect();
    drop(r);
    let _closing = env.prepare_for_closing();
    out
}

/// The named databases of a `data.mdb`: (name, flags, entries).
fn named_dbs(data: &Path) -> Vec<(String, u16, u64)> {
    verify_data_file(data)
        .unwrap()
        .named_dbs
        .into_iter()
        .map(|d| (d.name, d.flags, d.entries))
        .collect()
}

/// The map size recorded in the newest meta page of a `data.mdb`.
fn recorded_map_size(data: &Path) -> u64 {
    let b = fs::read(data).unwrap();
    let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
    let page = u32::from_le_bytes(b[16 + 24..16 + 28].try_into().unwrap()) as usize;
    // meta body at 16: magic, version, address, mapsize (offset 16), ..., txnid at 128
    let (m0, m1) = (16, page + 16);
    let newest = if u64_at(m1 + 128) > u64_at(m0 + 128) {
        m1
    } else {
        m0
    };
    u64_at(newest + 16)
}

/// Copy a pier's `.urb/log` (read-only in shared/) into a fresh temp pier, writable, without lock files.
fn copy_log(src: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let from = log_dir(src);
    let to = log_dir(tmp.path());
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        fs::create_dir_all(to.join(&rel)).unwrap();
        for e in fs::read_dir(from.join(&rel)).unwrap() {
            let e = e.unwrap();
            let rel = rel.join(e.file_name());
            if e.path().is_dir() {
                stack.push(rel);
            } else if e.file_name() != "lock.mdb" {
                fs::copy(e.path(), to.join(&rel)).unwrap();
                fs::set_permissions(to.join(&rel), fs::Permissions::from_mode(0o644)).unwrap();
            }
        }
    }
    tmp
}

fn jam_for(n: u64) -> Vec<u8> {
    let len = match n % 50 {
        0 => 9000 + n as usize, // overflow pages
        _ => 1 + (n as usize * 7) % 300,
    };
    (0..len).map(|i| (i as u64 ^ n) as u8 | 1).collect()
}

fn event(n: u64) -> Event {
    Event {
        number: n,
        mug: (n as u32).wrapping_mul(0x9e37_79b9),
        jam: jam_for(n),
    }
}

fn append_events(log: &mut PierLog, from: u64, to: u64) {
    let evs: Vec<Event> = (from..=to).map(event).collect();
    log.append_batch(evs.iter().map(|e| (e.number, e.mug, e.jam.as_slice())))
        .unwrap();
}

fn snapshot_dir(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        fs::write(d.path().join(name), bytes).unwrap();
    }
    d
}

// ---------------------------------------------------------------------------------------------------------------
// Vere 4.5's log

#[test]
fn vere45_fixture_reads_in_place() {
    let Some(src) = vere45_zod_fixture() else {
        return;
    };
    let before = tree(&src);
    let log = PierLog::open(&src, in_place()).unwrap();
    assert_eq!(log.layout(), Layout::Epochs);
    assert_eq!(
        *log.meta(),
        Meta {
            version: 3,
            who: 0,
            fake: true,
            life: 5
        }
    );
    assert_eq!(log.epochs().len(), 1);
    let e0 = &log.epochs()[0];
    assert_eq!(e0.number(), 0);
    assert_eq!(e0.format(), Some(2));
    assert_eq!(e0.vere(), Some("4.5"));
    assert!(e0.snapshot_files().unwrap().is_empty());
    assert!(log.ignored_epochs().is_empty());
    assert_eq!(log.first().unwrap(), Some(1));
    assert_eq!(log.last().unwrap(), 25);
    assert_eq!(log.check_contiguous().unwrap(), Some((1, 25)));
    assert_eq!(log.epoch_span(0).unwrap(), Some((1, 25)));
    let expected = mugs(&src);
    assert_eq!(expected.len(), 25);
    let events: Vec<Event> = log.iter().unwrap().map(|e| e.unwrap()).collect();
    assert_eq!(
        events.iter().map(|e| (e.number, e.mug)).collect::<Vec<_>>(),
        expected
    );
    for e in &events {
        assert!(!e.jam.is_empty());
        assert_ne!(
            e.jam[e.jam.len() - 1],
            0,
            "event {} is not a minimal atom",
            e.number
        );
        assert_eq!(log.get(e.number).unwrap().as_ref(), Some(e));
    }
    // Events after the boot sequence are [@da ovum] cells, as in P1.
    for e in &events[5..] {
        assert_eq!(&e.jam[..2], &[0x01, 0x08], "event {}", e.number);
    }
    let tail: Vec<u64> = log
        .range(20, 99)
        .unwrap()
        .map(|e| e.unwrap().number)
        .collect();
    assert_eq!(tail, (20..=25).collect::<Vec<_>>());
    assert_eq!(log.get(26).unwrap(), None);
    assert!(log.vere_differs(VERE));
    assert!(!log.vere_differs("4.5"));
    drop(log);
    assert!(before == tree(&src), "reading changed the fixture");
}

#[test]
fn what_we_create_matches_vere45_byte_for_byte() {
    let Some(src) = vere45_zod_fixture() else {
        return;
    };
    let pier = tempfile::tempdir().unwrap();
    let vere_meta = Meta::epochs(0, true, 5);
    let mut log = PierLog::create(
        pier.path(),
        &vere_meta,
        "4.5",
        OpenOptions {
            writable: true,
            ..OpenOptions::default()
        },
    )
    .unwrap();
    let fixture = PierLog::open(&src, in_place()).unwrap();
    for e in fixture.iter().unwrap() {
        let e = e.unwrap();
        log.append(e.number, e.mug, &e.jam).unwrap();
    }
    drop(log);
    let theirs_events: Vec<Event> = fixture.iter().unwrap().map(|e| e.unwrap()).collect();
    drop(fixture);
    let (ours, theirs) = (log_dir(pier.path()), log_dir(&src));
    for sub in ["", "0i0"] {
        assert_eq!(
            raw_meta(&ours.join(sub)),
            raw_meta(&theirs.join(sub)),
            "META of {sub:?}"
        );
        let (a, b) = (
            ours.join(sub).join("data.mdb"),
            theirs.join(sub).join("data.mdb"),
        );
        assert_eq!(named_dbs(&a), named_dbs(&b), "databases of {sub:?}");
        assert_eq!(
            recorded_map_size(&a),
            recorded_map_size(&b),
            "map size of {sub:?}"
        );
    }
    assert_eq!(
        raw_meta(&theirs),
        vec![
            ("fake".to_string(), vec![]),
            ("life".to_string(), vec![5]),
            ("version".to_string(), vec![3]),
            ("who".to_string(), vec![]),
        ]
    );
    assert_eq!(
        named_dbs(&theirs.join("data.mdb")),
        vec![("META".into(), 0, 4)]
    );
    assert_eq!(
        named_dbs(&theirs.join("0i0/data.mdb")),
        vec![("EVENTS".into(), 0x08, 25), ("META".into(), 0, 4)]
    );
    assert_eq!(recorded_map_size(&theirs.join("data.mdb")), 1 << 40);
    for f in ["epoc.txt", "vere.txt"] {
        assert_eq!(
            fs::read(ours.join("0i0").join(f)).unwrap(),
            fs::read(theirs.join("0i0").join(f)).unwrap(),
            "{f}"
        );
    }
    // The same events, byte for byte (LMDB's page layout may differ).
    let a = PierLog::open(pier.path(), small()).unwrap();
    let ours: Vec<Event> = a.iter().unwrap().map(|e| e.unwrap()).collect();
    assert_eq!(ours, theirs_events);
}

#[test]
fn vere45_copy_continues_and_rolls_over() {
    let Some(src) = vere45_zod_fixture() else {
        return;
    };
    let pier = copy_log(&src);
    let mut log = PierLog::open(pier.path(), writable()).unwrap();
    assert_eq!(log.last().unwrap(), 25);
    log.append(26, 0xabcd, b"\x01\x02").unwrap();
    let snap = snapshot_dir(&[("image.bin", b"snapshot at 26")]);
    assert_eq!(log.roll(snap.path(), VERE).unwrap(), 26);
    log.append(27, 0xef01, b"\x03").unwrap();
    drop(log);
    let log = PierLog::open(pier.path(), small()).unwrap();
    assert_eq!(log.epochs().len(), 2);
    assert_eq!(log.check_contiguous().unwrap(), Some((1, 27)));
    assert_eq!(log.epochs()[1].vere(), Some(VERE));
    assert_eq!(
        log.epochs()[1].snapshot_files().unwrap(),
        vec![PathBuf::from("image.bin")]
    );
    let mugs: Vec<(u64, u32)> = log
        .range(25, 27)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.number, e.mug)
        })
        .collect();
    assert_eq!(mugs, vec![(25, 0x44e5_ccc0), (26, 0xabcd), (27, 0xef01)]);
}

// ---------------------------------------------------------------------------------------------------------------
// Writing and reading back

#[test]
fn create_append_reopen_round_trip() {
    let pier = tempfile::tempdir().unwrap();
    let meta = Meta::epochs(0x1234_5678_9abc, false, 7);
    let mut log = PierLog::create(pier.path(), &meta, VERE, writable()).unwrap();
    assert_eq!(log.layout(), Layout::Epochs);
    assert_eq!(log.last().unwrap(), 0);
    assert_eq!(log.first().unwrap(), None);
    assert_eq!(log.iter().unwrap().count(), 0);
    append_events(&mut log, 1, 7);
    for n in 8..=300 {
        let e = event(n);
        log.append(n, e.mug, &e.jam).unwrap();
    }
    drop(log);
    let log = PierLog::open(pier.path(), small()).unwrap();
    assert_eq!(*log.meta(), meta);
    let read: Vec<Event> = log.iter().unwrap().map(|e| e.unwrap()).collect();
    assert_eq!(read, (1..=300).map(event).collect::<Vec<_>>());
    assert_eq!(log.check_contiguous().unwrap(), Some((1, 300)));
    drop(log);
    // META, as Vere writes it: trailing zero bytes stripped.
    let raw = raw_meta(&log_dir(pier.path()));
    assert_eq!(
        raw,
        vec![
            ("fake".to_string(), vec![1]),
            ("life".to_string(), vec![7]),
            ("version".to_string(), vec![3]),
            ("who".to_string(), vec![0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12]),
        ]
    );
    assert_eq!(raw_meta(&log_dir(pier.path()).join("0i0")), raw);
}

#[test]
fn appends_must_continue_the_log() {
    let pier = tempfile::tempdir().unwrap();
    let mut log =
        PierLog::create(pier.path(), &Meta::epochs(0, true, 1), VERE, writable()).unwrap();
    assert!(matches!(
        log.append(2, 0, b"x"),
        Err(LogError::NotContiguous {
            expected: 1,
            got: 2,
            ..
        })
    ));
    log.append(1, 0, b"a").unwrap();
    assert!(matches!(
        log.append(1, 0, b"a"),
        Err(LogError::AlreadyWritten { number: 1, .. })
    ));
    let snap = snapshot_dir(&[("s", b"1")]);
    log.roll(snap.path(), VERE).unwrap();
    // The new epoch is empty: the next event is still 2.
    assert!(matches!(
        log.append(1, 0, b"b"),
        Err(LogError::NotContiguous {
            expected: 2,
            got: 1,
            ..
        })
    ));
    assert!(matches!(
        log.roll(snap.path(), VERE),
        Err(LogError::NothingToRoll { epoch: 1, .. })
    ));
    log.append(2, 0, b"b").unwrap();
    drop(log);
    let ro = PierLog::open(pier.path(), small()).unwrap();
    let mut ro = ro;
    assert!(matches!(
        ro.append(3, 0, b"c"),
        Err(LogError::ReadOnly { .. })
    ));
    let snap = snapshot_dir(&[]);
    assert!(matches!(
        ro.roll(snap.path(), VERE),
        Err(LogError::ReadOnly { .. })
    ));
    drop(ro);
    // create refuses an existing log
    let err =
        PierLog::create(pier.path(), &Meta::epochs(0, true, 1), VERE, writable()).unwrap_err();
    assert!(matches!(err, LogError::AlreadyExists { .. }), "{err}");
    let err = PierLog::create(
        tempfile::tempdir().unwrap().path(),
        &Meta {
            version: 1,
            who: 0,
            fake: true,
            life: 1,
        },
        VERE,
        writable(),
    )
    .unwrap_err();
    assert!(
        matches!(err, LogError::WrongVersion { found: 1, .. }),
        "{err}"
    );
}

#[test]
fn events_read_across_many_epochs() {
    let pier = tempfile::tempdir().unwrap();
    let mut log =
        PierLog::create(pier.path(), &Meta::epochs(0, true, 3), VERE, writable()).unwrap();
    let cuts = [10u64, 11, 50, 51, 52, 120];
    let mut next = 1;
    for (k, cut) in cuts.iter().enumerate() {
        append_events(&mut log, next, *cut);
        let snap = snapshot_dir(&[("image.bin", format!("at {cut}").as_bytes())]);
        assert_eq!(log.roll(snap.path(), &format!("v{k}")).unwrap(), *cut);
        next = cut + 1;
    }
    append_events(&mut log, next, 130);
    // While writable, the log reads across epochs too.
    assert_eq!(log.check_contiguous().unwrap(), Some((1, 130)));
    drop(log);
    let log = PierLog::open(pier.path(), small()).unwrap();
    let numbers: Vec<u64> = log.epochs().iter().map(|e| e.number()).collect();
    assert_eq!(numbers, vec![0, 10, 11, 50, 51, 52, 120]);
    assert_eq!(log.epoch_span(1).unwrap(), Some((11, 11)));
    assert_eq!(log.epoch_span(6).unwrap(), Some((121, 130)));
    assert_eq!(log.last().unwrap(), 130);
    assert_eq!(log.check_contiguous().unwrap(), Some((1, 130)));
    let all: Vec<Event> = log.iter().unwrap().map(|e| e.unwrap()).collect();
    assert_eq!(all, (1..=130).map(event).collect::<Vec<_>>());
    for (from, to) in [
        (1, 1),
        (10, 12),
        (11, 11),
        (49, 53),
        (52, 52),
        (100, 125),
        (125, 500),
        (131, 200),
    ] {
        let got: Vec<u64> = log
            .range(from, to)
            .unwrap()
            .map(|e| e.unwrap().number)
            .collect();
        let want: Vec<u64> = (from..=to.min(130)).collect();
        assert_eq!(got, want, "range {from}..={to}");
    }
    for n in [1, 10, 11, 12, 51, 52, 53, 120, 121, 130] {
        assert_eq!(log.get(n).unwrap(), Some(event(n)), "get {n}");
    }
    assert_eq!(log.get(131).unwrap(), None);
    assert_eq!(
        fs::read(log.epochs()[3].dir().join("image.bin")).unwrap(),
        b"at 50"
    );
    assert_eq!(log.epochs()[3].vere(), Some("v2"));
}

// ---------------------------------------------------------------------------------------------------------------
// The background writer

#[test]
fn writer_commits_in_the_background_and_reports_durability() {
    let pier = tempfile::tempdir().unwrap();
    let log = PierLog::create(pier.path(), &Meta::epochs(0, true, 2), VERE, writable()).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = Arc::clone(&seen);
    let mut w = LogWriter::spawn_with(log, move |n| seen2.lock().unwrap().push(n)).unwrap();
    assert_eq!((w.planned(), w.durable()), (0, 0));
    let durability = w.durability();
    let watcher = std::thread::spawn(move || durability.wait_durable(500));
    for n in 1..=1000 {
        let e = event(n);
        w.append(n, e.mug, e.jam).unwrap();
    }
    assert!(matches!(
        w.append(1002, 0, vec![1]),
        Err(LogError::NotContiguous {
            expected: 1001,
            got: 1002,
            ..
        })
    ));
    assert!(watcher.join().unwrap().unwrap() >= 500);
    assert_eq!(w.wait_durable(1000).unwrap(), 1000);
    assert_eq!(w.sync().unwrap(), 1000);
    assert!(
        w.wait_durable(1001).is_err(),
        "waiting for an event never appended"
    );
    let d = w.durability();
    assert_eq!(
        d.wait_durable_timeout(1000, Duration::from_millis(1))
            .unwrap(),
        Some(1000)
    );
    let snap = snapshot_dir(&[("image.bin", b"x")]);
    assert_eq!(w.roll(snap.path(), VERE).unwrap(), 1000);
    for n in 1001..=1010 {
        let e = event(n);
        w.append(n, e.mug, e.jam).unwrap();
    }
    let log = w.finish().unwrap();
    assert_eq!(log.last().unwrap(), 1010);
    let calls = seen.lock().unwrap().clone();
    assert!(
        !calls.is_empty() && calls.windows(2).all(|p| p[0] < p[1]),
        "{calls:?}"
    );
    assert_eq!(calls.last(), Some(&1010));
    assert!(calls.len() <= 1010);
    println!("1010 events in {} commits", calls.len());
    assert_eq!(d.durable(), 1010);
    assert!(d.wait_durable(1011).is_err(), "the writer stopped");
    drop(log);
    let log = PierLog::open(pier.path(), small()).unwrap();
    assert_eq!(log.epochs().len(), 2);
    let all: Vec<Event> = log.iter().unwrap().map(|e| e.unwrap()).collect();
    assert_eq!(all, (1..=1010).map(event).collect::<Vec<_>>());
}

#[test]
fn writer_failure_is_final_and_loses_nothing_committed() {
    let pier = tempfile::tempdir().unwrap();
    // A 1 MiB map fills up after a few big events: LMDB's MDB_MAP_FULL.
    let tight = OpenOptions {
        writable: true,
        map_size: 1 << 20,
        ..OpenOptions::default()
    };
    let mut log = PierLog::create(pier.path(), &Meta::epochs(0, true, 1), VERE, tight).unwrap();
    log.append(1, 7, b"boot").unwrap();
    let mut w = LogWriter::spawn(log).unwrap();
    assert_eq!(w.durable(), 1);
    w.append(2, 8, vec![3; 100]).unwrap();
    w.sync().unwrap();
    let mut failed = None;
    for n in 3..100 {
        if let Err(e) = w.append(n, 0, vec![5; 200_000]) {
            failed = Some(e);
            break;
        }
        if let Err(e) = w.wait_durable(n) {
            failed = Some(e);
            break;
        }
    }
    let err = failed.expect("a 1 MiB map cannot hold 20 MB");
    assert!(matches!(err, LogError::WriterFailed { .. }), "{err}");
    assert!(err.to_string().contains("commit failed"), "{err}");
    let durable = w.durable();
    assert!(matches!(
        w.append(durable + 100, 0, vec![]),
        Err(LogError::WriterFailed { .. })
    ));
    let err = w.finish().unwrap_err();
    println!("writer error: {err}; durable {durable}");
    let log = PierLog::open(pier.path(), small()).unwrap();
    assert_eq!(log.last().unwrap(), durable);
    assert_eq!(log.get(2).unwrap().unwrap().jam, vec![3; 100]);
    assert_eq!(log.check_contiguous().unwrap(), Some((1, durable)));
}

#[test]
fn writer_needs_a_writable_log() {
    let pier = tempfile::tempdir().unwrap();
    drop(PierLog::create(pier.path(), &Meta::epochs(0, true, 1), VERE, writable()).unwrap());
    let ro = PierLog::open(pier.path(), small()).unwrap();
    assert!(matches!(
        LogWriter::spawn(ro),
        Err(LogError::ReadOnly { .. })
    ));
}

// ---------------------------------------------------------------------------------------------------------------
// Migration of Vere 1.16's P1 log

#[test]
fn vere_zod_migrates_without_losing_a_byte() {
    let Some(src) = vere_zod_fixture() else {
        return;
    };
    let pier = copy_log(&src);
    let original: Vec<Event> = {
        let p1 = EventLog::open_dir(&log_dir(&src), in_place()).unwrap();
        p1.iter().unwrap().map(|e| e.unwrap()).collect()
    };
    assert_eq!(original.len(), 25);
    let original_file = fs::read(log_dir(&src).join("data.mdb")).unwrap();
    let before = PierLog::open(pier.path(), small()).unwrap();
    assert_eq!(before.layout(), Layout::P1);
    assert!(matches!(
        PierLog::open(pier.path(), writable()),
        Err(LogError::NeedsMigration { version: 1, .. })
    ));
    drop(before);
    assert_eq!(
        migrate(pier.path(), VERE, small()).unwrap(),
        Migration::Migrated {
            span: Some((1, 25))
        }
    );
    let dir = log_dir(pier.path());
    // 0i0/data.mdb is the P1 file itself, unchanged.
    assert_eq!(fs::read(dir.join("0i0/data.mdb")).unwrap(), original_file);
    let log = PierLog::open(pier.path(), small()).unwrap();
    assert_eq!(log.layout(), Layout::Epochs);
    assert_eq!(*log.meta(), Meta::epochs(0, true, 5));
    let migrated: Vec<Event> = log.iter().unwrap().map(|e| e.unwrap()).collect();
    assert_eq!(migrated, original);
    let expected = mugs(&src);
    assert_eq!(
        migrated
            .iter()
            .map(|e| (e.number, e.mug))
            .collect::<Vec<_>>(),
        expected
    );
    // The top level as Vere 4.5 has it.
    if let Some(v45) = vere45_zod_fixture() {
        assert_eq!(raw_meta(&dir), raw_meta(&log_dir(&v45)));
        assert_eq!(
            named_dbs(&dir.join("data.mdb")),
            named_dbs(&log_dir(&v45).join("data.mdb"))
        );
    }
    drop(log);
    assert_eq!(
        migrate(pier.path(), VERE, small()).unwrap(),
        Migration::NotNeeded
    );
    // A P2 serf continues it: events, then the roll after replaying epoch 0.
    let mut log = PierLog::open(pier.path(), writable()).unwrap();
    assert_eq!(log.latest().number(), 0);
    let snap = snapshot_dir(&[("image.bin", b"mars state at 25")]);
    assert_eq!(log.roll(snap.path(), VERE).unwrap(), 25);
    log.append(26, 1, b"\x01").unwrap();
    assert_eq!(log.check_contiguous().unwrap(), Some((1, 26)));
}

// ---------------------------------------------------------------------------------------------------------------
// Damaged and unfinished logs: clear errors, no panic

/// A log with epochs 0i0 (events 1..=10) and 0i10 (events 11..=15).
fn two_epochs() -> tempfile::TempDir {
    let pier = tempfile::tempdir().unwrap();
    let mut log =
        PierLog::create(pier.path(), &Meta::epochs(0, true, 2), VERE, writable()).unwrap();
    append_events(&mut log, 1, 10);
    let snap = snapshot_dir(&[("image.bin", b"10")]);
    log.roll(snap.path(), VERE).unwrap();
    append_events(&mut log, 11, 15);
    pier
}

#[test]
fn missing_pieces_are_clear_errors() {
    // no log at all
    let empty = tempfile::tempdir().unwrap();
    let err = PierLog::open(empty.path(), small()).unwrap_err();
    assert!(matches!(err, LogError::MissingLogDir { .. }), "{err}");
    // no top-level data.mdb
    let pier = two_epochs();
    let dir = log_dir(pier.path());
    fs::remove_file(dir.join("data.mdb")).unwrap();
    let err = PierLog::open(pier.path(), small()).unwrap_err();
    assert!(matches!(err, LogError::MissingDataFile { .. }), "{err}");
    // version 3 but no epoch
    let pier = two_epochs();
    let dir = log_dir(pier.path());
    fs::remove_dir_all(dir.join("0i0")).unwrap();
    fs::remove_dir_all(dir.join("0i10")).unwrap();
    let err = PierLog::open(pier.path(), small()).unwrap_err();
    assert!(matches!(err, LogError::NoEpochs { .. }), "{err}");
    assert!(err.to_string().contains("no 0i<N> epoch"), "{err}");
    // a chopped log (oldest epoch deleted) still reads from the first kept one
    let pier = two_epochs();
    fs::remove_dir_all(log_dir(pier.path()).join("0i0")).unwrap();
    let log = PierLog::open(pier.path(), small()).unwrap();
    assert_eq!(log.first().unwrap(), Some(11));
    assert_eq!(log.check_contiguous().unwrap(), Some((11, 15)));
    let err = log.range(1, 20).unwrap().next().unwrap().unwrap_err();
    assert!(matches!(err, LogError::Gap { missing: 1, .. }), "{err}");
    assert_eq!(log.iter().unwrap().count(), 5);
}

#[test]
fn bad_epoch_files_are_clear_errors() {
    for (file, bytes, latest) in [
        ("epoc.txt", &b"two"[..], true),
        ("epoc.txt", b"two", false),
        ("epoc.txt", b"", false),
        ("epoc.txt", b"3", true),
        ("epoc.txt", b"99999999", false),
    ] {
        let pier = two_epochs();
        let epoch = if latest { "0i10" } else { "0i0" };
        let path = log_dir(pier.path()).join(epoch).join(file);
        fs::write(&path, bytes).unwrap();
        let err = PierLog::open(pier.path(), small()).unwrap_err();
        match bytes {
            b"3" => assert!(
                matches!(err, LogError::UnknownEpochFormat { found: 3, .. }),
                "{err}"
            ),
            _ => assert!(
                matches!(err, LogError::BadEpochFile { .. }),
                "{bytes:?}: {err}"
            ),
        }
        assert!(err.to_string().contains(epoch), "{err}");
    }
    // A missing vere.txt only means "unknown version".
    let pier = two_epochs();
    fs::remove_file(log_dir(pier.path()).join("0i10/vere.txt")).unwrap();
    let log = PierLog::open(pier.path(), small()).unwrap();
    assert_eq!(log.latest().vere(), None);
    assert!(log.vere_differs(VERE));
}

#[test]
fn an_unfinished_latest_epoch_is_passed_over_as_vere_does() {
    // What an interrupted Vere rollover leaves: 0i15 without epoc.txt or META.
    for missing in ["epoc.txt", "data.mdb"] {
        let pier = two_epochs();
        let dir = log_dir(pier.path());
        let snap = snapshot_dir(&[("image.bin", b"15")]);
        {
            let mut log = PierLog::open(pier.path(), writable()).unwrap();
            log.roll(snap.path(), VERE).unwrap();
        }
        fs::remove_file(dir.join("0i15").join(missing)).unwrap();
        let ro = PierLog::open(pier.path(), small()).unwrap();
        assert_eq!(ro.latest().number(), 10);
        assert_eq!(ro.ignored_epochs().len(), 1);
        assert_eq!(ro.ignored_epochs()[0].0, 15);
        assert_eq!(ro.last().unwrap(), 15);
        drop(ro);
        assert!(
            dir.join("0i15").exists(),
            "a read-only open deletes nothing"
        );
        let mut rw = PierLog::open(pier.path(), writable()).unwrap();
        assert!(
            !dir.join("0i15").exists(),
            "a writable open removes it, as Vere does"
        );
        append_events(&mut rw, 16, 16);
        assert_eq!(rw.check_contiguous().unwrap(), Some((1, 16)));
    }
    // The only epoch unfinished: an error.
    let pier = tempfile::tempdir().unwrap();
    drop(PierLog::create(pier.path(), &Meta::epochs(0, true, 1), VERE, writable()).unwrap());
    fs::remove_file(log_dir(pier.path()).join("0i0/epoc.txt")).unwrap();
    let err = PierLog::open(pier.path(), small()).unwrap_err();
    assert!(matches!(err, LogError::BadEpochFile { .. }), "{err}");
    // An epoch without epoc.txt that holds events is not discarded.
    let pier = two_epochs();
    let dir = log_dir(pier.path());
    fs::remove_file(dir.join("0i10/epoc.txt")).unwrap();
    let err = PierLog::open(pier.path(), writable()).unwrap_err();
    assert!(matches!(err, LogError::EpochMismatch { .. }), "{err}");
    assert!(err.to_string().contains("holds events"), "{err}");
    assert!(dir.join("0i10/data.mdb").exists());
}

#[test]
fn epochs_that_do_not_fit_together_are_reported() {
    // A gap: the second epoch starts after 12, the first ends at 10.
    let pier = two_epochs();
    let dir = log_dir(pier.path());
    fs::rename(dir.join("0i10"), dir.join("0i12")).unwrap();
    let log = PierLog::open(pier.path(), small()).unwrap();
    let err = log.check_contiguous().unwrap_err();
    assert!(matches!(err, LogError::Gap { missing: 11, .. }), "{err}");
    let got: Vec<_> = log.range(1, 20).unwrap().collect();
    assert_eq!(got.len(), 11);
    assert!(matches!(got[10], Err(LogError::Gap { missing: 11, .. })));
    drop(log);
    // An overlap: the second epoch starts after 8, the first holds up to 10.
    fs::rename(dir.join("0i12"), dir.join("0i8")).unwrap();
    let log = PierLog::open(pier.path(), small()).unwrap();
    let err = log.check_contiguous().unwrap_err();
    assert!(matches!(err, LogError::EpochMismatch { .. }), "{err}");
    assert!(err.to_string().contains("past the next epoch"), "{err}");
    drop(log);
    // An epoch of another ship.
    let pier = two_epochs();
    let other = tempfile::tempdir().unwrap();
    drop(PierLog::create(other.path(), &Meta::epochs(1, true, 2), VERE, writable()).unwrap());
    let dir = log_dir(pier.path());
    fs::copy(
        log_dir(other.path()).join("0i0/data.mdb"),
        dir.join("0i10/data.mdb"),
    )
    .unwrap();
    let err = PierLog::open(pier.path(), small()).unwrap_err();
    assert!(matches!(err, LogError::EpochMismatch { .. }), "{err}");
    assert!(err.to_string().contains("another ship"), "{err}");
}

#[test]
fn damaged_epoch_files_are_errors_not_crashes() {
    for (epoch, cut) in [("0i0", 4096usize), ("0i10", 100), ("0i0", 0)] {
        let pier = two_epochs();
        let data = log_dir(pier.path()).join(epoch).join("data.mdb");
        let bytes = fs::read(&data).unwrap();
        fs::write(&data, &bytes[..cut.min(bytes.len())]).unwrap();
        let result = PierLog::open(pier.path(), small()).and_then(|log| {
            log.check_contiguous()?;
            log.iter()?.try_for_each(|e| e.map(drop))
        });
        let err = result.unwrap_err();
        assert!(
            matches!(err, LogError::NotAnEnv { .. } | LogError::Damaged { .. }),
            "{epoch} cut to {cut}: {err}"
        );
        assert!(err.to_string().contains(epoch), "{err}");
    }
    // A garbled tree page of a sealed epoch is caught by the walk.
    let pier = two_epochs();
    let data = log_dir(pier.path()).join("0i0/data.mdb");
    let mut bytes = fs::read(&data).unwrap();
    let pages = bytes.len() / 4096;
    for p in 2..pages {
        for b in &mut bytes[p * 4096..p * 4096 + 16] {
            *b = 0xa5;
        }
    }
    fs::write(&data, &bytes).unwrap();
    let log = PierLog::open(pier.path(), small()).unwrap();
    let err = log.get(3).unwrap_err();
    assert!(matches!(err, LogError::Damaged { .. }), "{err}");
}

#[test]
fn p1_and_migrating_layouts_read_but_do_not_write() {
    let pier = tempfile::tempdir().unwrap();
    let meta = Meta {
        version: 1,
        who: 0,
        fake: true,
        life: 1,
    };
    let mut p1 = EventLog::create(pier.path(), &meta).unwrap();
    p1.append_batch((1..=5u64).map(|n| (n, n as u32, &b"\x01"[..])))
        .unwrap();
    drop(p1);
    let log = PierLog::open(pier.path(), small()).unwrap();
    assert_eq!(log.layout(), Layout::P1);
    assert_eq!(log.epochs().len(), 1);
    assert_eq!(log.epochs()[0].format(), None);
    assert_eq!(log.last().unwrap(), 5);
    assert_eq!(log.check_contiguous().unwrap(), Some((1, 5)));
    drop(log);
    let err = PierLog::open(pier.path(), writable()).unwrap_err();
    assert!(
        matches!(err, LogError::NeedsMigration { version: 1, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("migrate"), "{err}");
}

// ---------------------------------------------------------------------------------------------------------------
// The pier lock, across processes

/// The child side of `the_pier_lock_excludes_another_process`: hold the lock until stdin closes.
#[test]
fn lock_holder_child() {
    let Ok(pier) = std::env::var("MARS_TEST_LOCK_PIER") else {
        return;
    };
    let lock = PierLock::acquire(Path::new(&pier)).unwrap();
    println!("locked");
    use std::io::Read;
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(lock);
}

#[test]
fn the_pier_lock_excludes_another_process() {
    let pier = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "lock_holder_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("MARS_TEST_LOCK_PIER", pier.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("locked") {
        use std::io::Read;
        let mut buf = [0u8; 256];
        let n = out.read(&mut buf).unwrap();
        assert!(n > 0, "the child died: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    let err = PierLock::acquire(pier.path()).unwrap_err();
    match &err {
        LogError::PierLocked { pid, .. } => assert_eq!(*pid, Some(child.id())),
        other => panic!("expected PierLocked, got {other}"),
    }
    assert!(err.to_string().contains(&child.id().to_string()), "{err}");
    assert_eq!(PierLock::holder(pier.path()), Some(child.id()));
    // Killed, the holder leaves its file behind; the lock goes with it.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(pier.path().join(".vere.lock").exists());
    let lock = PierLock::acquire(pier.path()).unwrap();
    assert_eq!(
        fs::read_to_string(lock.path()).unwrap(),
        format!("{}\n", std::process::id())
    );
}

// ---------------------------------------------------------------------------------------------------------------
// mars log

fn mars_log(pier: &Path, extra: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mars"))
        .arg("log")
        .arg(pier)
        .args(extra)
        .output()
        .expect("run mars");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn mars_log_lists_the_vere45_fixture() {
    let Some(src) = vere45_zod_fixture() else {
        return;
    };
    let (code, out, err) = mars_log(&src, &[]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].contains("layout epochs, version 3 who 0 fake yes life 5 events 1..25"),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1],
        "epoch 0i0: events 1..25, format 2, vere 4.5, snapshot none"
    );
    assert_eq!(lines.len(), 27);
    for (line, (n, mug)) in lines[2..].iter().zip(mugs(&src)) {
        assert!(line.trim_start().starts_with(&n.to_string()), "{line}");
        assert!(line.contains(&format!("mug {mug:08x}")), "{line}");
    }
    assert!(lines[26].contains("%live"), "{}", lines[26]);
    let (_, out, _) = mars_log(&src, &["--from", "24"]);
    assert_eq!(out.lines().count(), 4);
}

#[test]
fn mars_log_names_each_epoch() {
    let pier = two_epochs();
    let (code, out, err) = mars_log(pier.path(), &["--from", "9", "--to", "12"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].contains("layout epochs") && lines[0].contains("events 1..15"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("epoch 0i0: events 1..10, format 2, vere mars-test, snapshot none"),
        "{out}"
    );
    assert!(lines[2].trim_start().starts_with("9 mug"), "{out}");
    assert!(lines[3].trim_start().starts_with("10 mug"), "{out}");
    assert!(
        lines[4]
            .starts_with("epoch 0i10: events 11..15, format 2, vere mars-test, snapshot image.bin"),
        "{out}"
    );
    assert!(lines[5].trim_start().starts_with("11 mug"), "{out}");
    assert!(lines[6].trim_start().starts_with("12 mug"), "{out}");
    assert_eq!(lines.len(), 7, "{out}");
    // A damaged log is an error message and exit status 2, not a crash.
    fs::write(log_dir(pier.path()).join("0i10/epoc.txt"), b"x").unwrap();
    let (code, _, err) = mars_log(pier.path(), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("epoc.txt"), "{err}");
}

// ---------------------------------------------------------------------------------------------------------------
// A model: any sequence of appends and rollovers reads back as the events in order

mod model {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        /// Append this many events (one transaction).
        Append(u64),
        /// Roll over (skipped by the model when the latest epoch is empty).
        Roll,
        /// Close and reopen for writing.
        Reopen,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (1u64..40).prop_map(Op::Append),
            2 => Just(Op::Roll),
            1 => Just(Op::Reopen),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn reads_match_the_model(ops in proptest::collection::vec(op(), 1..12), probes in proptest::collection::vec((1u64..400, 0u64..60), 8)) {
            let pier = tempfile::tempdir().unwrap();
            let snap = snapshot_dir(&[("image.bin", b"s")]);
            let mut log = PierLog::create(pier.path(), &Meta::epochs(0, true, 1), VERE, writable()).unwrap();
            let mut last = 0u64;
            let mut starts = vec![0u64];
            for op in &ops {
                match op {
                    Op::Append(k) => {
                        append_events(&mut log, last + 1, last + k);
                        last += k;
                    }
                    Op::Roll => {
                        let r = log.roll(snap.path(), VERE);
                        if *starts.last().unwrap() == last {
                            let nothing = matches!(r, Err(LogError::NothingToRoll { .. }));
                            prop_assert!(nothing, "{:?}", r);
                        } else {
                            prop_assert_eq!(r.unwrap(), last);
                            starts.push(last);
                        }
                    }
                    Op::Reopen => {
                        drop(log);
                        log = PierLog::open(pier.path(), writable()).unwrap();
                    }
                }
                prop_assert_eq!(log.last().unwrap(), last);
            }
            drop(log);
            let log = PierLog::open(pier.path(), small()).unwrap();
            let numbers: Vec<u64> = log.epochs().iter().map(|e| e.number()).collect();
            prop_assert_eq!(&numbers, &starts);
            prop_assert_eq!(log.last().unwrap(), last);
            let span = (last > 0).then_some((1, last));
            prop_assert_eq!(log.check_contiguous().unwrap(), span);
            let all: Vec<Event> = log.iter().unwrap().map(|e| e.unwrap()).collect();
            prop_assert_eq!(all, (1..=last).map(event).collect::<Vec<_>>());
            for (from, len) in probes {
                let to = from + len;
                let got: Vec<u64> = log.range(from, to).unwrap().map(|e| e.unwrap().number).collect();
                let want: Vec<u64> = (from..=to.min(last)).collect();
                prop_assert_eq!(got, want);
                prop_assert_eq!(log.get(from).unwrap(), (from <= last).then(|| event(from)));
            }
        }
    }
}
