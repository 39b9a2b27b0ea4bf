//! End to end: `mars boot --pier` writes a P1 event log, `mars play` replays it and checks every mug.

use mars::eventlog::EventLog;
use std::path::Path;
use std::process::{Command, Output};

fn mars(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mars"))
        .args(args)
        .output()
        .expect("run mars")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Boot `pill` (or the own pill) into `pier` and send `n` events.
fn boot_with_events(pier: &Path, pill: Option<&Path>, n: usize) {
    let events = pier.with_extension("events");
    let mut lines = String::new();
    for i in 0..n {
        // every 50th event crashes the own pill's +poke, so the log also holds %crud replacements
        if i % 50 == 25 {
            lines += "[[%mars 0] %crash 0]\n";
        } else {
            lines += &format!("[[%mars %test 0] %note {i}]\n");
        }
    }
    std::fs::write(&events, lines).unwrap();
    let mut args = vec!["boot"];
    let pill_s;
    if let Some(p) = pill {
        pill_s = p.to_str().unwrap().to_string();
        args.push(&pill_s);
    }
    let pier_s = pier.to_str().unwrap().to_string();
    let ev_s = events.to_str().unwrap().to_string();
    args.extend(["--pier", &pier_s, "--events", &ev_s]);
    let o = mars(&args);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn replay_reproduces_every_mug_of_a_mars_pier() {
    let dir = tempfile::tempdir().unwrap();
    let pier = dir.path().join("zod");
    boot_with_events(&pier, None, 200);
    let log = EventLog::open(&pier).unwrap();
    let last = log.last().unwrap().unwrap();
    assert!(last >= 200 + 8, "{last}");
    let o = mars(&[
        "play",
        pier.to_str().unwrap(),
        "--from-scratch",
        "--snapshot",
        "none",
    ]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains(&format!("mugs checked {}, mismatches 0", last - 8)),
        "{out}"
    );
}

#[test]
fn an_altered_event_is_caught_exactly_there() {
    let dir = tempfile::tempdir().unwrap();
    let pier = dir.path().join("zod");
    boot_with_events(&pier, None, 60);
    // Copy the log into a second pier, changing the card of event 30.
    let src = EventLog::open(&pier).unwrap();
    let meta = *src.meta();
    let copy = dir.path().join("altered");
    let mut dst = EventLog::create(&copy, &meta).unwrap();
    let altered = {
        let mut h = mars::noun::HeapAlloc::new();
        let job = mars::text::parse_noun(
            &mut h,
            "[0x8000.000d.33f1.fe80.8000.0000.0000.0000 [%mars %test 0] %note 999]",
        )
        .unwrap();
        mars::serial::jam_to_bytes(job)
    };
    for e in src.iter().unwrap() {
        let e = e.unwrap();
        let jam = if e.number == 30 {
            altered.clone()
        } else {
            e.jam
        };
        dst.append(e.number, e.mug, &jam).unwrap();
    }
    drop(dst);
    let o = mars(&[
        "play",
        copy.to_str().unwrap(),
        "--from-scratch",
        "--snapshot",
        "none",
    ]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("mug mismatch at event 30:"), "{out}");
    // with --soft-mugs it keeps going and counts the divergence (every later event differs too)
    let o = mars(&[
        "play",
        copy.to_str().unwrap(),
        "--from-scratch",
        "--snapshot",
        "none",
        "--soft-mugs",
    ]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(!out.contains("mismatches 0"), "{out}");
}

#[test]
fn snapshot_then_resume_replays_only_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let pier = dir.path().join("zod");
    boot_with_events(&pier, None, 30);
    let last = EventLog::open(&pier).unwrap().last().unwrap().unwrap();
    // The serf saved a snapshot of the last event in the persistent arena (the default store), which never goes back:
    // replaying to an earlier event from scratch must be refused before anything runs.
    let o = mars(&[
        "play",
        pier.to_str().unwrap(),
        "--from-scratch",
        "--to",
        "20",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("never goes back"), "{}", text(&o));
    // The jam store can hold an earlier event: the newer slot wins.
    for args in [
        &["--from-scratch", "--to", "20", "--snapshot", "jam"][..],
        &["--snapshot", "jam"][..],
    ] {
        let o = mars(&[&["play", pier.to_str().unwrap()][..], args].concat());
        assert!(o.status.success(), "{}", text(&o));
        if args.len() == 2 {
            let out = text(&o);
            assert!(out.contains("snapshot at event 20"), "{out}");
            assert!(out.contains("mismatches 0"), "{out}");
        }
    }
    // With the default store: from the serf's snapshot, nothing to replay; from scratch to the end, a new one.
    let o = mars(&["play", pier.to_str().unwrap()]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains(&format!("snapshot at event {last}")), "{out}");
    assert!(
        out.contains(&format!("replayed 0 events to event {last}")),
        "{out}"
    );
    let o = mars(&["play", pier.to_str().unwrap(), "--from-scratch"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains(&format!("ignoring the snapshot at event {last}")),
        "{out}"
    );
    assert!(out.contains("mismatches 0"), "{out}");
    // --dump-at writes the kernel's jam
    let dump = dir.path().join("k.jam");
    let o = mars(&[
        "play",
        pier.to_str().unwrap(),
        "--from-scratch",
        "--snapshot",
        "none",
        "--dump-at",
        "12",
        dump.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = mars(&["cue", dump.to_str().unwrap(), "--summary"]);
    assert!(o.status.success());
    // --trace writes Chrome-trace JSON: one complete event per replayed event
    let trace = dir.path().join("t.json");
    let o = mars(&[
        "play",
        pier.to_str().unwrap(),
        "--from-scratch",
        "--snapshot",
        "none",
        "--trace",
        trace.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let json = std::fs::read_to_string(&trace).unwrap();
    assert!(
        json.trim_start().starts_with('[') && json.trim_end().ends_with(']'),
        "{json}"
    );
    // one span for the lifecycle (the boot formulas), then one per event after it
    let log = EventLog::open(&pier).unwrap();
    let (last, life) = (log.last().unwrap().unwrap(), log.meta().life);
    assert_eq!(
        json.matches("\"ph\":\"X\"").count() as u64,
        1 + (last - life),
        "{json}"
    );
}

#[test]
fn damaged_or_missing_logs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    // missing
    let o = mars(&["play", dir.path().join("nothing").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains(".urb/log"), "{}", text(&o));
    // wrong META version
    let bad = dir.path().join("v2");
    {
        let log_dir = bad.join(".urb/log");
        std::fs::create_dir_all(&log_dir).unwrap();
        let mut opts = heed::EnvOpenOptions::new();
        opts.map_size(1 << 30).max_dbs(2);
        // SAFETY: a fresh temporary directory that nothing else opens.
        let env = unsafe { opts.open(&log_dir) }.unwrap();
        let mut w = env.write_txn().unwrap();
        let meta = env
            .database_options()
            .types::<heed::types::Bytes, heed::types::Bytes>()
            .name("META")
            .create(&mut w)
            .unwrap();
        for (k, v) in [
            ("version", &[2u8][..]),
            ("who", &[]),
            ("fake", &[]),
            ("life", &[1]),
        ] {
            meta.put(&mut w, k.as_bytes(), v).unwrap();
        }
        w.commit().unwrap();
        let _closing = env.prepare_for_closing();
    }
    let o = mars(&["play", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).to_lowercase().contains("version"), "{}", text(&o));
    // garbage data.mdb
    let junk = dir.path().join("junk");
    std::fs::create_dir_all(junk.join(".urb/log")).unwrap();
    std::fs::write(junk.join(".urb/log/data.mdb"), vec![0x5a; 20000]).unwrap();
    let o = mars(&["play", junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!text(&o).contains("panicked"));
}

#[test]
fn baby_pill_pier_replays() {
    let pill = mars::test_support::pills_dir().join("baby.pill");
    if mars::test_support::read_shared(&pill).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pier = dir.path().join("baby");
    let o = mars(&[
        "boot",
        pill.to_str().unwrap(),
        "--pier",
        pier.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = mars(&[
        "play",
        pier.to_str().unwrap(),
        "--from-scratch",
        "--snapshot",
        "none",
    ]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("kernel mug 57d6b64f"), "{out}");
}
