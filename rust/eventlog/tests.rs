//! Unit tests of the event-log module.

use super::*;

fn zod() -> Meta {
    Meta {
        version: 1,
        who: 0,
        fake: true,
        life: 5,
    }
}

#[test]
fn atom_bytes_are_minimal_little_endian() {
    assert_eq!(atom_bytes(0), Vec::<u8>::new());
    assert_eq!(atom_bytes(1), vec![1]);
    assert_eq!(atom_bytes(0x100), vec![0, 1]);
    assert_eq!(atom_bytes(0x0102_0304), vec![4, 3, 2, 1]);
    assert_eq!(atom_bytes(u128::MAX), vec![0xff; 16]);
}

#[test]
fn le_value_reads_and_bounds() {
    assert_eq!(le_value(&[], 8), Some(0));
    assert_eq!(le_value(&[5], 8), Some(5));
    assert_eq!(le_value(&[0, 1], 8), Some(256));
    // trailing zero bytes are the same atom
    assert_eq!(le_value(&[7, 0, 0, 0, 0, 0, 0, 0, 0, 0], 8), Some(7));
    assert_eq!(le_value(&[1; 9], 8), None);
    assert_eq!(le_value(&[0xff; 16], 16), Some(u128::MAX));
    assert_eq!(le_value(&[0xff; 17], 16), None);
}

#[test]
fn event_value_encoding_matches_spec_example() {
    // king-protocol §7.1: mug 0x6a36c1d9, noun [1 2] (jam 0x1231).
    let v = encode_value(0x6a36_c1d9, &[0x31, 0x12]);
    assert_eq!(v, vec![0xd9, 0xc1, 0x36, 0x6a, 0x31, 0x12]);
    let e = decode_value(Path::new("x"), 9, &v).unwrap();
    assert_eq!(e.mug, 0x6a36_c1d9);
    assert_eq!(e.jam, vec![0x31, 0x12]);
    assert_eq!(e.number, 9);
}

#[test]
fn short_values_and_keys_are_errors() {
    for len in 0..4 {
        let err = decode_value(Path::new("p"), 3, &vec![1; len]).unwrap_err();
        assert!(matches!(err, LogError::Truncated { number: 3, len: l, .. } if l == len));
    }
    assert!(matches!(
        decode_key(Path::new("p"), &[1, 2, 3]),
        Err(LogError::BadKey { len: 3, .. })
    ));
    assert_eq!(decode_key(Path::new("p"), &7u64.to_ne_bytes()).unwrap(), 7);
}

#[test]
fn meta_round_trip_and_raw_encoding() {
    let tmp = tempfile::tempdir().unwrap();
    let meta = Meta {
        version: 1,
        who: 0x1234_5678_9abc_def0_0102,
        fake: false,
        life: 5,
    };
    drop(EventLog::create(tmp.path(), &meta).unwrap());
    let log = EventLog::open(tmp.path()).unwrap();
    assert_eq!(*log.meta(), meta);
    assert_eq!(log.read_meta().unwrap(), meta);
    // The raw bytes as §7.1 describes them.
    let rtxn = log.env.read_txn().unwrap();
    let raw = |k: &str| {
        log.meta_db
            .get(&rtxn, k.as_bytes())
            .unwrap()
            .unwrap()
            .to_vec()
    };
    assert_eq!(raw("version"), vec![1]);
    assert_eq!(raw("fake"), vec![1]);
    assert_eq!(raw("life"), vec![5]);
    assert_eq!(
        raw("who"),
        vec![0x02, 0x01, 0xf0, 0xde, 0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12]
    );
}

#[test]
fn fake_zod_meta_is_all_empty_but_version_and_life() {
    let tmp = tempfile::tempdir().unwrap();
    drop(EventLog::create(tmp.path(), &zod()).unwrap());
    let log = EventLog::open(tmp.path()).unwrap();
    let rtxn = log.env.read_txn().unwrap();
    assert_eq!(log.meta_db.get(&rtxn, b"who").unwrap(), Some(&[][..]));
    assert_eq!(log.meta_db.get(&rtxn, b"fake").unwrap(), Some(&[][..]));
    assert_eq!(*log.meta(), zod());
}

#[test]
fn append_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let mut log = EventLog::create(tmp.path(), &zod()).unwrap();
    assert_eq!(log.first().unwrap(), None);
    assert_eq!(log.last().unwrap(), None);
    assert_eq!(log.next_number().unwrap(), 1);
    assert!(matches!(
        log.append(2, 0, b"x"),
        Err(LogError::NotContiguous {
            expected: 1,
            got: 2,
            ..
        })
    ));
    assert!(matches!(
        log.append(0, 0, b"x"),
        Err(LogError::ZeroEvent { .. })
    ));
    log.append(1, 0, b"a").unwrap();
    log.append(2, 0xdead_beef, b"bc").unwrap();
    assert!(matches!(
        log.append(2, 0, b"z"),
        Err(LogError::AlreadyWritten { number: 2, .. })
    ));
    assert!(matches!(
        log.append(4, 0, b"z"),
        Err(LogError::NotContiguous {
            expected: 3,
            got: 4,
            ..
        })
    ));
    // A failing batch writes nothing.
    let batch: Vec<(u64, u32, &[u8])> = vec![(3, 1, b"c"), (5, 1, b"e")];
    assert!(log.append_batch(batch).is_err());
    assert_eq!(log.last().unwrap(), Some(2));
    let e = log.get(2).unwrap().unwrap();
    assert_eq!(
        e,
        Event {
            number: 2,
            mug: 0xdead_beef,
            jam: b"bc".to_vec()
        }
    );
    assert_eq!(log.get(3).unwrap(), None);
    // Even the raw writer (no contiguity check) cannot overwrite.
    let err = log
        .put_raw_for_tests(&2u64.to_ne_bytes(), &encode_value(9, b"x"))
        .unwrap_err();
    assert!(matches!(err, LogError::Lmdb { .. }), "{err}");
    assert_eq!(log.get(2).unwrap().unwrap().mug, 0xdead_beef);
}

#[test]
fn read_only_log_refuses_writes() {
    let tmp = tempfile::tempdir().unwrap();
    drop(EventLog::create(tmp.path(), &zod()).unwrap());
    let mut log = EventLog::open(tmp.path()).unwrap();
    assert!(!log.is_writable());
    assert!(matches!(
        log.append(1, 0, b"a"),
        Err(LogError::ReadOnly { .. })
    ));
}

#[test]
fn create_refuses_existing_log() {
    let tmp = tempfile::tempdir().unwrap();
    drop(EventLog::create(tmp.path(), &zod()).unwrap());
    let err = EventLog::create(tmp.path(), &zod()).unwrap_err();
    assert!(matches!(err, LogError::AlreadyExists { .. }), "{err}");
    // The failed create closed its environment: a read-only open works.
    let ro = EventLog::open(tmp.path()).unwrap();
    // While it is open, a writable open in the same process is refused clearly.
    let err = EventLog::open_rw(tmp.path()).unwrap_err();
    assert!(matches!(err, LogError::AlreadyOpen { .. }), "{err}");
    drop(ro);
    let rw = EventLog::open_rw(tmp.path()).unwrap();
    assert!(rw.is_writable());
}

#[test]
fn gap_is_reported_by_range_and_check() {
    let tmp = tempfile::tempdir().unwrap();
    let mut log = EventLog::create(tmp.path(), &zod()).unwrap();
    for n in 1..=3u64 {
        log.append(n, 0, &[n as u8]).unwrap();
    }
    log.put_raw_for_tests(&5u64.to_ne_bytes(), &encode_value(0, &[5]))
        .unwrap();
    let got: Vec<_> = log.range(1, 10).unwrap().collect();
    assert_eq!(got.len(), 4);
    assert!(got[..3].iter().all(|r| r.is_ok()));
    match &got[3] {
        Err(LogError::Gap { missing: 4, .. }) => {}
        other => panic!("expected gap at 4, got {other:?}"),
    }
    let msg = got[3].as_ref().unwrap_err().to_string();
    assert!(msg.contains("event 4 is missing"), "{msg}");
    assert!(matches!(
        log.check_contiguous(),
        Err(LogError::Gap { missing: 4, .. })
    ));
    // A range entirely before the gap is fine.
    assert_eq!(log.range(1, 3).unwrap().count(), 3);
}

#[test]
fn truncated_value_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let mut log = EventLog::create(tmp.path(), &zod()).unwrap();
    log.append(1, 0, b"ok").unwrap();
    log.put_raw_for_tests(&2u64.to_ne_bytes(), &[1, 2]).unwrap();
    assert!(matches!(
        log.get(2),
        Err(LogError::Truncated {
            number: 2,
            len: 2,
            ..
        })
    ));
    let got: Vec<_> = log.iter().unwrap().collect();
    assert!(got[0].is_ok());
    assert!(matches!(got[1], Err(LogError::Truncated { number: 2, .. })));
}

#[test]
fn range_edges() {
    let tmp = tempfile::tempdir().unwrap();
    let mut log = EventLog::create(tmp.path(), &zod()).unwrap();
    assert_eq!(log.iter().unwrap().count(), 0);
    let jams: Vec<Vec<u8>> = (1..=10u8).map(|i| vec![i; i as usize]).collect();
    log.append_batch(
        jams.iter()
            .enumerate()
            .map(|(i, j)| (i as u64 + 1, i as u32, j.as_slice())),
    )
    .unwrap();
    assert_eq!(log.range(5, 4).unwrap().count(), 0);
    let nums: Vec<u64> = log
        .range(0, 3)
        .unwrap()
        .map(|e| e.unwrap().number)
        .collect();
    assert_eq!(nums, vec![1, 2, 3]);
    let nums: Vec<u64> = log
        .range(8, u64::MAX)
        .unwrap()
        .map(|e| e.unwrap().number)
        .collect();
    assert_eq!(nums, vec![8, 9, 10]);
    assert_eq!(log.range(11, 20).unwrap().count(), 0);
    assert_eq!(log.check_contiguous().unwrap(), Some((1, 10)));
    assert_eq!(log.len().unwrap(), 10);
}

#[test]
fn header_check_rejects_garbage() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(".urb/log");
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("data.mdb");
    std::fs::write(&data, b"").unwrap();
    let err = EventLog::open(tmp.path()).unwrap_err();
    assert!(matches!(err, LogError::NotAnEnv { .. }), "{err}");
    std::fs::write(&data, vec![0x5a; 20000]).unwrap();
    let err = EventLog::open(tmp.path()).unwrap_err();
    assert!(matches!(err, LogError::NotAnEnv { .. }), "{err}");
    assert!(err.to_string().contains("data.mdb"), "{err}");
}

#[test]
fn missing_directory_and_file() {
    let tmp = tempfile::tempdir().unwrap();
    let err = EventLog::open(tmp.path()).unwrap_err();
    assert!(matches!(err, LogError::MissingLogDir { .. }), "{err}");
    assert!(err.to_string().contains(".urb/log"), "{err}");
    std::fs::create_dir_all(tmp.path().join(".urb/log")).unwrap();
    let err = EventLog::open(tmp.path()).unwrap_err();
    assert!(matches!(err, LogError::MissingDataFile { .. }), "{err}");
}

#[test]
fn verify_walks_a_fresh_log() {
    let tmp = tempfile::tempdir().unwrap();
    let mut log = EventLog::create(tmp.path(), &zod()).unwrap();
    let big = vec![7u8; 20_000];
    log.append(1, 0, &big).unwrap();
    let small: Vec<[u8; 8]> = (2..=500u64).map(|n| n.to_le_bytes()).collect();
    log.append_batch(
        small
            .iter()
            .zip(2u64..)
            .map(|(j, n)| (n, n as u32, j.as_slice())),
    )
    .unwrap();
    let report = log.verify().unwrap();
    let names: Vec<&str> = report.named_dbs.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, vec!["EVENTS", "META"]);
    assert_eq!(report.named_dbs[0].flags, 0x08); // MDB_INTEGERKEY
    assert_eq!(report.named_dbs[0].entries, 500);
    assert_eq!(report.named_dbs[1].flags, 0);
    assert_eq!(report.named_dbs[1].entries, 4);
    assert!(report.overflow_pages >= 5, "{report:?}");
    assert!(report.branch_pages >= 1, "{report:?}");
}

#[test]
fn handles_and_errors_can_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<LogError>();
    send_sync::<EventLog>();
    send_sync::<Meta>();
    send_sync::<Event>();
}

#[test]
fn create_screens_an_existing_garbage_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(".urb/log");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("data.mdb"), vec![0xa5; 8192]).unwrap();
    let err = EventLog::create(tmp.path(), &zod()).unwrap_err();
    assert!(matches!(err, LogError::NotAnEnv { .. }), "{err}");
}
