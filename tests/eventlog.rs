//! Integration tests of the event log: Vere's fixture, round trips, damage.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use mars::test_support::vere_zod_fixture;

use mars::eventlog::{
    encode_value, log_dir, verify_data_file, Event, EventLog, LogError, Meta, OpenOptions,
};

/// Copy a fixture pier's `data.mdb` (read-only in shared/) into a fresh temp
/// pier, writable, without its lock file: LMDB makes its own.
fn copy_pier(src: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join(".urb/log");
    fs::create_dir_all(&log).unwrap();
    let dst = log.join("data.mdb");
    fs::copy(src.join(".urb/log/data.mdb"), &dst).unwrap();
    fs::set_permissions(&dst, fs::Permissions::from_mode(0o644)).unwrap();
    tmp
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

/// Jam byte lengths of events 1..=25 of the vere-zod fixture.
const FIXTURE_JAM_LENGTHS: [usize; 25] = [
    54, 309, 522896, 422340, 54699, 91, 31, 97, 32, 477090, 2520673, 41, 3356302, 92, 97, 32, 38,
    34, 29, 52, 51, 43, 40, 45, 53,
];

#[test]
fn vere_fixture_meta_and_events() {
    let Some(src) = vere_zod_fixture() else {
        return;
    };
    let pier = copy_pier(&src);
    let log = EventLog::open(pier.path()).unwrap();
    assert_eq!(
        *log.meta(),
        Meta {
            version: 1,
            who: 0,
            fake: true,
            life: 5
        }
    );
    assert_eq!(log.first().unwrap(), Some(1));
    assert_eq!(log.last().unwrap(), Some(25));
    assert_eq!(log.len().unwrap(), 25);
    assert_eq!(log.check_contiguous().unwrap(), Some((1, 25)));

    let expected = mugs(&src);
    assert_eq!(expected.len(), 25);
    let events: Vec<Event> = log.iter().unwrap().map(|e| e.unwrap()).collect();
    assert_eq!(events.len(), 25);
    let mut lens = Vec::new();
    for (ev, (n, mug)) in events.iter().zip(&expected) {
        assert_eq!(ev.number, *n);
        assert_eq!(ev.mug, *mug, "mug of event {n}");
        // Every value is a jam: a non-empty atom in minimal bytes, so its last
        // byte is not 0. (Its first byte may be 0: events 4 and 5 are atoms
        // whose jam starts with the atom tag bit 0 and a long unary length.)
        assert!(!ev.jam.is_empty(), "event {n} is empty");
        assert_ne!(
            ev.jam[ev.jam.len() - 1],
            0,
            "event {n} is not a minimal atom"
        );
        assert_eq!(log.get(*n).unwrap().as_ref(), Some(ev));
        lens.push((ev.number, ev.jam.len()));
    }
    println!("vere-zod jam lengths: {lens:?}");
    assert_eq!(
        lens.iter().map(|(_, l)| *l).collect::<Vec<_>>(),
        FIXTURE_JAM_LENGTHS
    );
    // Event 1 starts a jam of a cell: first byte non-zero, tag bits `1 0`.
    let first = &events[0].jam;
    assert_ne!(first[0], 0);
    assert_eq!(first[0] & 0b11, 0b01);
    // Events after the boot sequence are `[@da ovum]` cells: tag bits `1 0`,
    // then the atom tag 0 and the 128-bit date's length prefix.
    for ev in &events[5..] {
        assert_eq!(&ev.jam[..2], &[0x01, 0x08], "event {}", ev.number);
    }
    assert_eq!(log.get(26).unwrap(), None);
}

#[test]
fn vere_fixture_structure_walk() {
    let Some(src) = vere_zod_fixture() else {
        return;
    };
    let report = verify_data_file(&src.join(".urb/log/data.mdb")).unwrap();
    println!("vere-zod structure: {report:?}");
    assert_eq!(report.page_size, 4096);
    assert_eq!(report.pages_in_use, 1811);
    let dbs: Vec<(&str, u16, u64)> = report
        .named_dbs
        .iter()
        .map(|d| (d.name.as_str(), d.flags, d.entries))
        .collect();
    // EVENTS has MDB_INTEGERKEY (0x08), META no flags, exactly as §7.1 says.
    assert_eq!(dbs, vec![("EVENTS", 0x08, 25), ("META", 0, 4)]);
}

/// The raw key and value bytes Vere wrote, read with heed directly.
#[test]
fn vere_fixture_raw_encoding() {
    use heed::types::Bytes;
    use heed::{DatabaseFlags, EnvFlags, EnvOpenOptions};
    let Some(src) = vere_zod_fixture() else {
        return;
    };
    let pier = copy_pier(&src);
    let dir = pier.path().join(".urb/log");
    let mut opts = EnvOpenOptions::new();
    opts.map_size(0x100_0000_0000).max_dbs(2);
    // SAFETY: read-only open of a private copy; MDB_RDONLY is not one of the
    // flags heed calls unsafe.
    unsafe {
        opts.flags(EnvFlags::READ_ONLY);
    }
    // SAFETY: a private temp copy nothing else writes.
    let env = unsafe { opts.open(&dir) }.unwrap();
    {
        let rtxn = env.read_txn().unwrap();
        let meta = env
            .database_options()
            .types::<Bytes, Bytes>()
            .name("META")
            .open(&rtxn)
            .unwrap()
            .unwrap();
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = meta
            .iter(&rtxn)
            .unwrap()
            .map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())).unwrap())
            .collect();
        let expect: Vec<(Vec<u8>, Vec<u8>)> = vec![
            (b"fake".to_vec(), vec![]),
            (b"life".to_vec(), vec![5]),
            (b"version".to_vec(), vec![1]),
            (b"who".to_vec(), vec![]),
        ];
        assert_eq!(pairs, expect);
        let events = env
            .database_options()
            .types::<Bytes, Bytes>()
            .name("EVENTS")
            .flags(DatabaseFlags::INTEGER_KEY)
            .open(&rtxn)
            .unwrap()
            .unwrap();
        let keys: Vec<Vec<u8>> = events
            .iter(&rtxn)
            .unwrap()
            .map(|r| r.unwrap().0.to_vec())
            .collect();
        assert_eq!(keys.len(), 25);
        for (i, k) in keys.iter().enumerate() {
            // 8-byte little-endian (native on x86-64) event numbers from 1.
            assert_eq!(k.len(), 8);
            assert_eq!(k, &(i as u64 + 1).to_le_bytes());
        }
        let v14 = events.get(&rtxn, &14u64.to_ne_bytes()).unwrap().unwrap();
        assert_eq!(&v14[..4], &[0xce, 0x1e, 0xfe, 0x3d]); // mug 0x3dfe1ece, LE
    }
    let _closing = env.prepare_for_closing();
}

/// With `no_lock` the fixture is read in place and nothing in it changes.
#[test]
fn vere_fixture_read_in_place_without_lock() {
    let Some(src) = vere_zod_fixture() else {
        return;
    };
    let dir = log_dir(&src);
    let snapshot = || {
        let mut files: Vec<(String, Vec<u8>, std::time::SystemTime)> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let m = e.metadata().unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    fs::read(e.path()).unwrap(),
                    m.modified().unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    };
    let before = snapshot();
    let options = OpenOptions {
        no_lock: true,
        ..OpenOptions::default()
    };
    let log = EventLog::open_dir(&dir, options).unwrap();
    assert_eq!(log.meta().life, 5);
    assert_eq!(log.iter().unwrap().filter(|e| e.is_ok()).count(), 25);
    drop(log);
    assert!(before == snapshot(), "the fixture changed");
    let bad = OpenOptions {
        writable: true,
        no_lock: true,
        ..OpenOptions::default()
    };
    assert!(matches!(
        EventLog::open_dir(&dir, bad),
        Err(LogError::InvalidOptions { .. })
    ));
}

#[test]
fn vere_fixture_can_be_extended() {
    let Some(src) = vere_zod_fixture() else {
        return;
    };
    let pier = copy_pier(&src);
    let mut log = EventLog::open_rw(pier.path()).unwrap();
    assert!(matches!(
        log.append(25, 0, b"\x01"),
        Err(LogError::AlreadyWritten { number: 25, .. })
    ));
    log.append(26, 0x1234_5678, b"\x31\x12").unwrap();
    drop(log);
    let log = EventLog::open(pier.path()).unwrap();
    assert_eq!(log.last().unwrap(), Some(26));
    assert_eq!(log.get(26).unwrap().unwrap().mug, 0x1234_5678);
    assert_eq!(log.check_contiguous().unwrap(), Some((1, 26)));
    verify_data_file(&pier.path().join(".urb/log/data.mdb")).unwrap();
}

fn jam_for(n: u64) -> Vec<u8> {
    // Varied lengths, some large enough to need LMDB overflow pages.
    let len = match n % 50 {
        0 => 9000 + n as usize,
        k => (k as usize) * 7 + 1,
    };
    (0..len).map(|i| (n as usize * 31 + i) as u8 | 1).collect()
}

#[test]
fn round_trip_200_events() {
    let tmp = tempfile::tempdir().unwrap();
    let meta = Meta {
        version: 1,
        who: 0x100,
        fake: false,
        life: 5,
    };
    let mut log = EventLog::create(tmp.path(), &meta).unwrap();
    for n in 1..=100u64 {
        log.append(n, n as u32 * 3, &jam_for(n)).unwrap();
    }
    let rest: Vec<(u64, Vec<u8>)> = (101..=200u64).map(|n| (n, jam_for(n))).collect();
    let written = log
        .append_batch(rest.iter().map(|(n, j)| (*n, *n as u32 * 3, j.as_slice())))
        .unwrap();
    assert_eq!(written, 100);
    drop(log);

    let log = EventLog::open(tmp.path()).unwrap();
    assert_eq!(*log.meta(), meta);
    assert_eq!(log.first().unwrap(), Some(1));
    assert_eq!(log.last().unwrap(), Some(200));
    let mut count = 0;
    for (i, ev) in log.iter().unwrap().enumerate() {
        let ev = ev.unwrap();
        let n = i as u64 + 1;
        assert_eq!(ev.number, n);
        assert_eq!(ev.mug, n as u32 * 3);
        assert_eq!(ev.jam, jam_for(n));
        count += 1;
    }
    assert_eq!(count, 200);
    let mid: Vec<u64> = log
        .range(50, 60)
        .unwrap()
        .map(|e| e.unwrap().number)
        .collect();
    assert_eq!(mid, (50..=60).collect::<Vec<_>>());
    verify_data_file(&tmp.path().join(".urb/log/data.mdb")).unwrap();
}

#[test]
fn no_overwrite_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let meta = Meta {
        version: 1,
        who: 0,
        fake: true,
        life: 1,
    };
    let mut log = EventLog::create(tmp.path(), &meta).unwrap();
    log.append(1, 7, b"one").unwrap();
    let err = log.append(1, 8, b"uno").unwrap_err();
    assert!(matches!(err, LogError::AlreadyWritten { number: 1, .. }));
    assert!(err.to_string().contains("event 1 is already written"));
    assert_eq!(log.get(1).unwrap().unwrap().jam, b"one".to_vec());
    assert_eq!(log.get(1).unwrap().unwrap().mug, 7);
}

/// Write a log with a gap using heed directly (not the module's writer), with
/// the same layout, and check that iteration names the missing number.
#[test]
fn gap_written_by_raw_lmdb_is_detected() {
    use heed::types::Bytes;
    use heed::{DatabaseFlags, EnvOpenOptions};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(".urb/log");
    fs::create_dir_all(&dir).unwrap();
    {
        let mut opts = EnvOpenOptions::new();
        opts.map_size(1 << 30).max_dbs(2);
        // SAFETY: a fresh temp directory that nothing else touches.
        let env = unsafe { opts.open(&dir) }.unwrap();
        let mut w = env.write_txn().unwrap();
        let meta = env
            .database_options()
            .types::<Bytes, Bytes>()
            .name("META")
            .create(&mut w)
            .unwrap();
        let evs = env
            .database_options()
            .types::<Bytes, Bytes>()
            .name("EVENTS")
            .flags(DatabaseFlags::INTEGER_KEY)
            .create(&mut w)
            .unwrap();
        for (k, v) in [
            ("version", &[1u8][..]),
            ("who", &[]),
            ("fake", &[]),
            ("life", &[2]),
        ] {
            meta.put(&mut w, k.as_bytes(), v).unwrap();
        }
        for n in [1u64, 2, 3, 4, 6, 7] {
            evs.put(
                &mut w,
                &n.to_ne_bytes(),
                &encode_value(n as u32, &[1, 2, 3]),
            )
            .unwrap();
        }
        w.commit().unwrap();
        let _closing = env.prepare_for_closing();
    }
    let log = EventLog::open(tmp.path()).unwrap();
    assert_eq!(log.last().unwrap(), Some(7));
    let results: Vec<_> = log.iter().unwrap().collect();
    let numbers: Vec<u64> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().map(|e| e.number))
        .collect();
    assert_eq!(numbers, vec![1, 2, 3, 4]);
    let err = results.last().unwrap().as_ref().unwrap_err();
    assert!(matches!(err, LogError::Gap { missing: 5, .. }), "{err}");
    assert!(err.to_string().contains("event 5 is missing"));
    assert!(err.to_string().contains(".urb/log"));
    assert!(matches!(
        log.check_contiguous(),
        Err(LogError::Gap { missing: 5, .. })
    ));
    // A range starting past the gap reads fine.
    assert_eq!(log.range(6, 7).unwrap().filter(|r| r.is_ok()).count(), 2);
}

/// Build a log whose META says `version`, through heed directly.
fn log_with_meta(dir: &Path, entries: &[(&str, &[u8])]) {
    use heed::types::Bytes;
    use heed::EnvOpenOptions;
    fs::create_dir_all(dir).unwrap();
    let mut opts = EnvOpenOptions::new();
    opts.map_size(1 << 30).max_dbs(2);
    // SAFETY: a fresh temp directory that nothing else touches.
    let env = unsafe { opts.open(dir) }.unwrap();
    let mut w = env.write_txn().unwrap();
    let meta = env
        .database_options()
        .types::<Bytes, Bytes>()
        .name("META")
        .create(&mut w)
        .unwrap();
    for (k, v) in entries {
        meta.put(&mut w, k.as_bytes(), v).unwrap();
    }
    w.commit().unwrap();
    let _closing = env.prepare_for_closing();
}

#[test]
fn wrong_version_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(".urb/log");
    log_with_meta(
        &dir,
        &[
            ("version", &[3]),
            ("who", &[]),
            ("fake", &[]),
            ("life", &[5]),
        ],
    );
    let err = EventLog::open(tmp.path()).unwrap_err();
    assert!(
        matches!(err, LogError::WrongVersion { found: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("version is 3"));
    let meta = Meta {
        version: 2,
        who: 0,
        fake: true,
        life: 1,
    };
    let tmp2 = tempfile::tempdir().unwrap();
    assert!(matches!(
        EventLog::create(tmp2.path(), &meta),
        Err(LogError::WrongVersion { found: 2, .. })
    ));
}

#[test]
fn missing_meta_key_and_events_db() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(".urb/log");
    log_with_meta(&dir, &[("version", &[1]), ("who", &[]), ("fake", &[])]);
    let err = EventLog::open(tmp.path()).unwrap_err();
    assert!(
        matches!(err, LogError::MissingMetaKey { key: "life", .. }),
        "{err}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(".urb/log");
    log_with_meta(
        &dir,
        &[
            ("version", &[1]),
            ("who", &[]),
            ("fake", &[]),
            ("life", &[5]),
        ],
    );
    let err = EventLog::open(tmp.path()).unwrap_err();
    assert!(matches!(err, LogError::MissingEventsDb { .. }), "{err}");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(".urb/log");
    log_with_meta(
        &dir,
        &[
            ("version", &[1]),
            ("who", &[1; 17]),
            ("fake", &[]),
            ("life", &[5]),
        ],
    );
    let err = EventLog::open(tmp.path()).unwrap_err();
    assert!(
        matches!(
            err,
            LogError::BadMetaValue {
                key: "who",
                len: 17,
                ..
            }
        ),
        "{err}"
    );
}

/// A log of a few hundred events with overflow pages, to damage.
fn sample_log() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let meta = Meta {
        version: 1,
        who: 0,
        fake: true,
        life: 5,
    };
    let mut log = EventLog::create(tmp.path(), &meta).unwrap();
    let jams: Vec<Vec<u8>> = (1..=300u64).map(jam_for).collect();
    log.append_batch(
        jams.iter()
            .enumerate()
            .map(|(i, j)| (i as u64 + 1, 0, j.as_slice())),
    )
    .unwrap();
    tmp
}

/// Open and read everything; any error is fine, a panic or crash is not.
fn read_all(pier: &Path) -> Result<u64, LogError> {
    let log = EventLog::open(pier)?;
    let mut n = 0;
    for e in log.iter()? {
        e?;
        n += 1;
    }
    Ok(n)
}

#[test]
fn truncated_file_is_an_error() {
    let tmp = sample_log();
    let data = tmp.path().join(".urb/log/data.mdb");
    let len = fs::metadata(&data).unwrap().len();
    for cut in [len - 4096, len / 2, 4096 + 100, 4096, 100, 0] {
        let f = fs::OpenOptions::new().write(true).open(&data).unwrap();
        f.set_len(cut).unwrap();
        drop(f);
        let err = read_all(tmp.path()).unwrap_err();
        assert!(
            matches!(err, LogError::Damaged { .. } | LogError::NotAnEnv { .. }),
            "cut at {cut}: {err}"
        );
    }
}

#[test]
fn garbled_meta_pages_are_an_error() {
    let tmp = sample_log();
    let data = tmp.path().join(".urb/log/data.mdb");
    let orig = fs::read(&data).unwrap();
    for (off, what) in [
        (16usize, "magic 0"),
        (4096 + 20, "version 1"),
        (40, "psize"),
    ] {
        let mut b = orig.clone();
        b[off] ^= 0x55;
        fs::write(&data, &b).unwrap();
        let err = read_all(tmp.path()).unwrap_err();
        assert!(
            matches!(err, LogError::Damaged { .. } | LogError::NotAnEnv { .. }),
            "{what}: {err}"
        );
    }
}

/// Garble B-tree pages one at a time; the structural walk (done in Rust,
/// before LMDB reads anything) must catch what would mislead LMDB.
#[test]
fn garbled_tree_pages_are_caught_by_verify() {
    let tmp = sample_log();
    let data = tmp.path().join(".urb/log/data.mdb");
    let orig = fs::read(&data).unwrap();
    let pages = orig.len() / 4096;
    let mut caught = 0;
    for pg in 2..pages {
        let page = &orig[pg * 4096..(pg + 1) * 4096];
        let flags = u16::from_le_bytes([page[10], page[11]]);
        if flags & 0x03 == 0 {
            continue; // only branch and leaf pages
        }
        // Point the first node somewhere absurd, and break the page number.
        for (off, val) in [(16usize, 0xfff0u16), (12, 0xffff)] {
            let mut b = orig.clone();
            let at = pg * 4096 + off;
            b[at..at + 2].copy_from_slice(&val.to_le_bytes());
            fs::write(&data, &b).unwrap();
            match verify_data_file(&data) {
                Err(LogError::Damaged { .. }) => {
                    caught += 1;
                    // The default open runs the same walk before LMDB reads
                    // any tree page (LMDB alone may crash on such a page).
                    let err = EventLog::open(tmp.path()).unwrap_err();
                    assert!(matches!(err, LogError::Damaged { .. }), "{err}");
                }
                Ok(r) => {
                    // A page not reachable from any tree (free) is harmless.
                    assert!(r.leaf_pages > 0);
                }
                Err(e) => panic!("page {pg}: unexpected {e}"),
            }
        }
    }
    assert!(caught > 0);
    fs::write(&data, &orig).unwrap();
    assert_eq!(read_all(tmp.path()).unwrap(), 300);
}

/// The walk done by `verify` (and by every open) runs under a read
/// transaction, so a writer appending at the same time cannot make it see
/// reused pages: it must never report damage on a healthy, growing log.
#[test]
fn verify_while_another_handle_appends() {
    let tmp = tempfile::tempdir().unwrap();
    let meta = Meta {
        version: 1,
        who: 0,
        fake: true,
        life: 1,
    };
    drop(EventLog::create(tmp.path(), &meta).unwrap());
    // Two writable handles with the same options share one LMDB environment.
    let mut writer = EventLog::open_rw(tmp.path()).unwrap();
    let reader = EventLog::open_rw(tmp.path()).unwrap();
    let handle = std::thread::spawn(move || {
        let jams: Vec<Vec<u8>> = (1..=3000u64).map(jam_for).collect();
        for chunk in (1..=3000u64).collect::<Vec<_>>().chunks(25) {
            writer
                .append_batch(
                    chunk
                        .iter()
                        .map(|&n| (n, 0, jams[n as usize - 1].as_slice())),
                )
                .unwrap();
        }
    });
    let mut walks = 0;
    while !handle.is_finished() {
        let report = reader.verify().unwrap();
        assert!(report.named_dbs.len() == 2);
        walks += 1;
    }
    handle.join().unwrap();
    println!("{walks} structural walks during the appends");
    assert_eq!(reader.check_contiguous().unwrap(), Some((1, 3000)));
    reader.verify().unwrap();
}

/// Garble a log at many deterministic spots and read each copy in a child
/// process (this test binary, re-run on this test alone): the reader must
/// always return, with an error or not. A SIGSEGV/SIGBUS/SIGABRT inside LMDB
/// would show up as a child killed by a signal.
#[test]
fn garbled_logs_never_crash_the_reader() {
    const CHILD: &str = "MARS_EVENTLOG_CHILD_PIER";
    if let Some(pier) = std::env::var_os(CHILD) {
        let _ = read_all(Path::new(&pier));
        return;
    }
    let tmp = sample_log();
    let orig = fs::read(tmp.path().join(".urb/log/data.mdb")).unwrap();
    let tree_pages: Vec<usize> = (2..orig.len() / 4096)
        .filter(|pg| u16::from_le_bytes([orig[pg * 4096 + 10], orig[pg * 4096 + 11]]) & 0x03 != 0)
        .collect();
    let exe = std::env::current_exe().unwrap();
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let (mut errors, mut clean) = (0, 0);
    for run in 0..120 {
        let mut bytes = orig.clone();
        let pg = tree_pages[next() as usize % tree_pages.len()];
        let at = pg * 4096 + next() as usize % 4096;
        let span = [1usize, 2, 8, 64, 512][run % 5];
        for i in at..(at + span).min(bytes.len()) {
            bytes[i] = next() as u8;
        }
        let pier = tempfile::tempdir().unwrap();
        let dir = pier.path().join(".urb/log");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("data.mdb"), &bytes).unwrap();
        let out = std::process::Command::new(&exe)
            .args([
                "garbled_logs_never_crash_the_reader",
                "--exact",
                "--nocapture",
            ])
            .env(CHILD, pier.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "run {run}: page {pg}, {span} bytes at {}: child {:?}\n{}",
            at - pg * 4096,
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        match read_all(pier.path()) {
            Ok(_) => clean += 1,
            Err(_) => errors += 1,
        }
    }
    println!("120 garbled copies: {errors} errors, {clean} read cleanly, no crash");
    assert!(errors > 0);
}

/// An `EVENTS` database without `MDB_INTEGERKEY` is not Vere's layout.
#[test]
fn events_without_integer_key_is_refused() {
    use heed::types::Bytes;
    use heed::EnvOpenOptions;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(".urb/log");
    fs::create_dir_all(&dir).unwrap();
    {
        let mut opts = EnvOpenOptions::new();
        opts.map_size(1 << 30).max_dbs(2);
        // SAFETY: a fresh temp directory that nothing else touches.
        let env = unsafe { opts.open(&dir) }.unwrap();
        let mut w = env.write_txn().unwrap();
        let meta = env
            .database_options()
            .types::<Bytes, Bytes>()
            .name("META")
            .create(&mut w)
            .unwrap();
        for (k, v) in [
            ("version", &[1u8][..]),
            ("who", &[]),
            ("fake", &[]),
            ("life", &[1]),
        ] {
            meta.put(&mut w, k.as_bytes(), v).unwrap();
        }
        let evs = env
            .database_options()
            .types::<Bytes, Bytes>()
            .name("EVENTS")
            .create(&mut w)
            .unwrap();
        evs.put(&mut w, &1u64.to_ne_bytes(), &encode_value(0, &[1]))
            .unwrap();
        w.commit().unwrap();
        let _closing = env.prepare_for_closing();
    }
    let err = EventLog::open(tmp.path()).unwrap_err();
    assert!(
        matches!(
            err,
            LogError::WrongDbFlags {
                db: "EVENTS",
                flags: 0,
                expected: 0x08,
                ..
            }
        ),
        "{err}"
    );
    assert!(err
        .to_string()
        .contains("EVENTS has flags 0x0, expected 0x8"));
}

#[test]
fn missing_meta_db_is_refused() {
    use heed::types::Bytes;
    use heed::{DatabaseFlags, EnvOpenOptions};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(".urb/log");
    fs::create_dir_all(&dir).unwrap();
    {
        let mut opts = EnvOpenOptions::new();
        opts.map_size(1 << 30).max_dbs(2);
        // SAFETY: a fresh temp directory that nothing else touches.
        let env = unsafe { opts.open(&dir) }.unwrap();
        let mut w = env.write_txn().unwrap();
        env.database_options()
            .types::<Bytes, Bytes>()
            .name("EVENTS")
            .flags(DatabaseFlags::INTEGER_KEY)
            .create(&mut w)
            .unwrap();
        w.commit().unwrap();
        let _closing = env.prepare_for_closing();
    }
    let err = EventLog::open(tmp.path()).unwrap_err();
    assert!(matches!(err, LogError::MissingMetaDb { .. }), "{err}");
    assert!(err.to_string().contains("no META database"));
}
