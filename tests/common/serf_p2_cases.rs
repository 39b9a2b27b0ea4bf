// End-to-end tests of the P2 serf (`mars boot --snap-dir`, `mars work --snap-dir`; king-protocol.md §1.3, §3.12,
// §4.3, §7.2), driven through the test king's P2 side (`mars::king::p2`) over real pipes, with the project's own
// pill (and baby.pill when the shared pills are there). Included by `tests/serf_p2_pma.rs` and `tests/serf_p2_jam.rs`,
// which set `STORE`, so both snapshot stores pass the same tests.

use mars::eventlog::{Layout, PierLog};
use mars::king::p2::{boot, boot_frame, boot_with, run_work, P2Options, WorkProcess};
use mars::king::{test_pill, Chatter};
use mars::noun::{list_iter, tas, HeapAlloc, Noun, D, T};
use mars::protocol::newt::frame;
use mars::protocol::p2::{PeekReply, Plea, PokeReply};
use mars::serial::{cue_bytes, jam_to_bytes};
use mars::test_support::{pills_dir, read_shared};
use std::path::{Path, PathBuf};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mars"))
}

fn pier(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mars-p2-{STORE}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn opts(pier: &Path) -> P2Options {
    let mut o = P2Options::new(&bin(), pier);
    o.capture_stderr = true;
    o.loom_bits = 28;
    o.snapshot = Some(STORE.to_string());
    o
}

/// `[/mars/test [tag ~]]`
fn ovum(h: &mut HeapAlloc, tag: &str) -> Noun {
    let wire = T(h, &[tas("mars"), tas("test"), D(0)]).unwrap();
    let t = mars::noun::cord(h, tag).unwrap();
    T(h, &[wire, t, D(0)]).unwrap()
}

fn peek_count(w: &mut WorkProcess, h: &mut HeapAlloc) -> u64 {
    let t = mars::noun::cord(h, "count").unwrap();
    let sam = T(h, &[D(0), D(0), t, D(0)]).unwrap();
    match w.peek(h, 0, sam).unwrap() {
        PeekReply::Done(r) => mars::noun::slot(r, mars::noun::Atom::direct(7).unwrap())
            .unwrap()
            .as_u64()
            .unwrap(),
        PeekReply::Bail(g) => panic!("peek bailed: {}", g.mote_name()),
    }
}

fn noop(w: &mut WorkProcess, h: &mut HeapAlloc) {
    let o = ovum(h, "noop");
    match w.poke(h, 0, o).unwrap() {
        PokeReply::Done(fx) => assert_eq!(list_iter(fx).count(), 1),
        other => panic!("expected %.y, got {other:?}"),
    }
}

/// The log's last event: (number, mug, noun).
fn last_logged(p: &Path, h: &mut HeapAlloc) -> (u64, u32, Noun) {
    let log = PierLog::open_read_only(p).unwrap();
    let last = log.last().unwrap();
    let e = log.get(last).unwrap().unwrap();
    (last, e.mug, cue_bytes(h, &e.jam).unwrap())
}

fn boot_own(p: &Path) {
    let b = boot(&opts(p), &test_pill::pill_bytes(), 0, Chatter::Collect).unwrap();
    assert!(b.status.success());
    assert!(!b.chat.slogs.is_empty(), "the larval driver slogs");
}

#[test]
fn p2_own_pill_boot_events_crud_sync_kill_restart() {
    let p = pier("own");
    boot_own(&p);
    // The serf wrote the epoch layout: 2 formulas, %wyrd %verb %whom %wack, %boot, 1 use event.
    let log = PierLog::open_read_only(&p).unwrap();
    assert_eq!(log.layout(), Layout::Epochs);
    assert_eq!(
        (log.meta().version, log.meta().life, log.meta().fake),
        (3, 2, true)
    );
    assert_eq!(log.last().unwrap(), 8);
    assert!(log.iter().unwrap().all(|e| e.unwrap().mug == 0));
    drop(log);
    assert!(p.join(".urb/log/0i0/epoc.txt").exists());

    let mut h = HeapAlloc::new();
    let mut w = WorkProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
    assert_eq!((w.event, w.who, w.fake), (8, 0, true));
    assert_eq!(peek_count(&mut w, &mut h), 6);
    // The pier lock is the serf's.
    let lock = std::fs::read_to_string(p.join(".vere.lock")).unwrap();
    assert_eq!(lock.trim(), w.pid().to_string());
    for _ in 0..20 {
        noop(&mut w, &mut h);
    }
    assert_eq!(w.event, 28);
    // A crash: the serf computes the %crud instead, logs it, and says %.y.
    let o = ovum(&mut h, "crash");
    assert!(matches!(w.poke(&mut h, 0, o).unwrap(), PokeReply::Done(_)));
    // A crash whose %crud fails too: nothing logged, the goofs in Vere 4's order (the event's first).
    let o = ovum(&mut h, "bail");
    match w.poke(&mut h, 0, o).unwrap() {
        PokeReply::Bail(goofs) => {
            assert_eq!(goofs.len(), 2);
            assert_eq!(goofs[0].mote, tas("exit"));
            // The event's own trace (its %mean hint, through +mook) is on the first goof.
            let tank = goofs[0].tang.head().unwrap();
            assert_eq!(mars::king::driver::render_tank(tank), "mars-test: mook");
        }
        other => panic!("expected %.n, got {other:?}"),
    }
    assert_eq!(w.event, 29);
    let (eve, mug) = w.sync(&mut h).unwrap();
    assert_eq!(eve, 29);
    // The crud is in the log in place of the crash, dated as the crash was (no +1 in P2), with the state's mug.
    let (n, logged_mug, crud) = last_logged(&p, &mut h);
    assert_eq!((n, logged_mug), (29, mug));
    let card = mars::noun::slot(crud, mars::noun::Atom::direct(7).unwrap()).unwrap();
    assert_eq!(card.head(), Some(tas("crud")));
    let wire = mars::noun::slot(crud, mars::noun::Atom::direct(6).unwrap()).unwrap();
    let arvo = T(&mut h, &[D(0), tas("arvo"), D(0)]).unwrap();
    assert!(mars::equality::noun_eq(wire, arvo));
    // The memory reports.
    let report = w.quac(&mut h).unwrap();
    assert!(list_iter(report).count() >= 2);
    let (open, _idle) = w.quic(&mut h).unwrap();
    assert!(open > 0);
    w.pack(&mut h).unwrap();
    w.meld(&mut h).unwrap();
    assert_eq!(peek_count(&mut w, &mut h), 27);

    // Acknowledged events after the snapshot, then SIGKILL: none is lost.
    for _ in 0..15 {
        noop(&mut w, &mut h);
    }
    let acked = w.event;
    w.kill();
    let (n, logged_mug, _) = last_logged(&p, &mut h);
    assert_eq!(n, acked, "every acknowledged event is in the log");
    let mut w = WorkProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
    assert_eq!(
        (w.event, w.mug),
        (acked, logged_mug),
        "replayed from the snapshot to the log's end"
    );
    // That replay ran in epoch 0, so the log rolled over (as Vere does) to a new epoch holding the snapshot.
    {
        let log = PierLog::open_read_only(&p).unwrap();
        assert_eq!(log.epochs().len(), 2);
        assert_eq!(log.latest().number(), acked);
        assert!(!log.latest().snapshot_files().unwrap().is_empty());
    }
    assert_eq!(peek_count(&mut w, &mut h), 42);
    noop(&mut w, &mut h);
    let final_eve = w.event;
    assert!(w.exit(&mut h).unwrap().success());
    let (_, final_mug, _) = last_logged(&p, &mut h);

    // %exit saved a snapshot: the next start replays nothing.
    let mut o = opts(&p);
    o.flags = 16; // verbose
    let w = WorkProcess::spawn(&o, Chatter::Collect).unwrap();
    assert_eq!((w.event, w.mug), (final_eve, final_mug));
    let (status, stderr) = w.wait_with_stderr().unwrap();
    assert_eq!(status.code(), Some(1), "end of input: {stderr}");
    assert!(!stderr.contains("play: events"), "{stderr}");

    // Without the snapshot, from scratch: the lifecycle on events 1..2, then every event poked, every mug checked.
    std::fs::remove_dir_all(p.join(".urb/chk")).unwrap();
    let w = WorkProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
    assert_eq!((w.event, w.mug), (final_eve, final_mug));
    let (_, stderr) = w.wait_with_stderr().unwrap();
    assert!(
        stderr.contains(&format!("play: events 3-{final_eve}")),
        "{stderr}"
    );
    assert!(stderr.contains(" 0 mismatches"), "{stderr}");
    // Read across both epochs; this replay was not in epoch 0, so no new epoch.
    assert_eq!(PierLog::open_read_only(&p).unwrap().epochs().len(), 2);
    // And the latest epoch takes new events.
    let mut w = WorkProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
    noop(&mut w, &mut h);
    assert!(w.exit(&mut h).unwrap().success());
    assert_eq!(last_logged(&p, &mut h).0, final_eve + 1);
    let _ = std::fs::remove_dir_all(&p);
}

#[test]
fn p2_pipelined_tasks_are_answered_in_order() {
    let p = pier("pipe");
    boot_own(&p);
    let mut h = HeapAlloc::new();
    let mut w = WorkProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
    let start = w.event;
    let mut bytes = Vec::new();
    for i in 0..10 {
        let o = ovum(&mut h, if i == 4 { "bail" } else { "noop" });
        let t = T(&mut h, &[tas("poke"), D(0), o]).unwrap();
        bytes.extend(frame(&jam_to_bytes(t)).unwrap());
    }
    let t = mars::noun::cord(&mut h, "count").unwrap();
    let sam = T(&mut h, &[D(0), D(0), t, D(0)]).unwrap();
    let pk = T(&mut h, &[tas("peek"), D(0), sam]).unwrap();
    bytes.extend(frame(&jam_to_bytes(pk)).unwrap());
    let sync = T(&mut h, &[tas("sync"), tas("save"), D(0)]).unwrap();
    bytes.extend(frame(&jam_to_bytes(sync)).unwrap());
    w.send_raw(&bytes).unwrap();
    for i in 0..10 {
        match w.recv_poke(&mut h).unwrap() {
            PokeReply::Done(_) => assert_ne!(i, 4),
            PokeReply::Bail(_) => assert_eq!(i, 4),
        }
        // A %poke is answered only once its event is committed.
        let logged = PierLog::open_read_only(&p).unwrap().last().unwrap();
        assert!(logged >= w.event, "reply for event {} before the log had it ({logged})", w.event);
    }
    match w.recv(&mut h).unwrap() {
        Plea::Peek(PeekReply::Done(r)) => {
            let c = mars::noun::slot(r, mars::noun::Atom::direct(7).unwrap()).unwrap();
            assert_eq!(c.as_u64(), Some(6 + 9));
        }
        other => panic!("expected the %peek, got {other:?}"),
    }
    match w.recv(&mut h).unwrap() {
        Plea::Sync { eve, .. } => assert_eq!(eve, start + 9),
        other => panic!("expected the %sync, got {other:?}"),
    }
    assert!(w.exit(&mut h).unwrap().success());
    let _ = std::fs::remove_dir_all(&p);
}

#[test]
fn p2_bad_frames_exit_1_with_a_reason_and_keep_the_pier() {
    let p = pier("bad");
    boot_own(&p);
    let mut h = HeapAlloc::new();
    let (eve, mug) = {
        let mut w = WorkProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
        noop(&mut w, &mut h);
        let r = w.sync(&mut h).unwrap();
        assert!(w.exit(&mut h).unwrap().success());
        r
    };
    let improper = T(&mut h, &[D(1), D(2)]).unwrap();
    let body = |n: Noun| frame(&jam_to_bytes(n)).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "unknown tag",
            body(T(&mut h, &[tas("work"), D(0), D(0)]).unwrap()),
            "unknown writ tag %work",
        ),
        (
            "P1 save",
            body(T(&mut h, &[tas("live"), tas("save"), D(3)]).unwrap()),
            "unknown %live writ %save",
        ),
        (
            "atom ovum",
            body(T(&mut h, &[tas("poke"), D(0), D(5)]).unwrap()),
            "%poke ovum",
        ),
        (
            "bad sync",
            body(T(&mut h, &[tas("sync"), tas("save"), improper]).unwrap()),
            "%sync %save argument",
        ),
        (
            "bad exit",
            body(T(&mut h, &[tas("exit"), D(1)]).unwrap()),
            "%exit argument",
        ),
        (
            "malformed noun",
            frame(&[0, 0, 0]).unwrap(),
            "cannot decode",
        ),
        (
            "truncated frame",
            vec![0, 10, 0, 0, 0, 1, 2],
            "truncated frame",
        ),
        ("zero length", vec![0, 0, 0, 0, 0], "length is 0"),
        ("bad tag byte", vec![7, 1, 0, 0, 0, 1], "version tag"),
        ("eof", vec![], "end of input"),
    ];
    for (what, bytes, needle) in cases {
        let mut w = WorkProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
        assert_eq!((w.event, w.mug), (eve, mug), "{what}: ripe");
        w.send_raw(&bytes).unwrap();
        let (status, stderr) = w.wait_with_stderr().unwrap();
        assert_eq!(status.code(), Some(1), "{what}: {status} {stderr:?}");
        assert!(
            stderr.contains(needle),
            "{what}: {stderr:?} lacks {needle:?}"
        );
        assert!(!stderr.contains("panic"), "{what}: {stderr:?}");
        assert!(stderr.ends_with("\r\n"), "{what}: {stderr:?}");
    }
    // Nothing was lost or changed.
    let w = WorkProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
    assert_eq!((w.event, w.mug), (eve, mug));
    w.kill();
    let _ = std::fs::remove_dir_all(&p);
}

#[test]
fn p2_bad_boot_frames_and_argv() {
    let p = pier("badboot");
    let mut h = HeapAlloc::new();
    let bad_vent = {
        let pill = mars::noun::Atom::from_bytes(&mut h, &test_pill::pill_bytes())
            .unwrap()
            .as_noun();
        let q = T(&mut h, &[pill, D(0)]).unwrap();
        let vent = T(&mut h, &[tas("real"), D(0)]).unwrap();
        T(&mut h, &[tas("boot"), q, vent, D(0)]).unwrap()
    };
    let ivory = {
        let iv = T(&mut h, &[tas("ivory"), D(0)]).unwrap();
        boot_frame(&mut h, &jam_to_bytes(iv), 0).unwrap()
    };
    for (frame, needle) in [
        (T(&mut h, &[tas("boot"), D(1)]).unwrap(), "bad boot frame"),
        (bad_vent, "unknown boot vent %real"),
        (ivory, "ivory"),
        (tas("hello"), "bad boot frame"),
    ] {
        let b = boot_with(&opts(&p), frame, Chatter::Collect).unwrap();
        assert_eq!(b.status.code(), Some(1), "{}", b.stderr);
        assert!(b.stderr.contains(needle), "{:?} lacks {needle:?}", b.stderr);
        assert!(
            !p.join(".urb/log/data.mdb").exists(),
            "no log from a failed boot"
        );
    }
    // `work` on a pier that was never booted.
    let out = run_work(&opts(&p)).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no event log"));
    // Booting twice is refused.
    boot_own(&p);
    let mut h = HeapAlloc::new();
    let f = boot_frame(&mut h, &test_pill::pill_bytes(), 0).unwrap();
    let b = boot_with(&opts(&p), f, Chatter::Collect).unwrap();
    assert_eq!(b.status.code(), Some(1));
    assert!(
        b.stderr.contains("already has an event log"),
        "{}",
        b.stderr
    );
    // Unknown options: exit 2 and say which, with the usage line; nothing on stdout.
    for (args, needle) in [
        (
            vec![
                "work",
                "--snap-dir",
                p.to_str().unwrap(),
                "--frobnicate",
                "1",
            ],
            "unknown option \"--frobnicate\"",
        ),
        (
            vec![
                "boot",
                "--snap-dir",
                p.to_str().unwrap(),
                "--snap-time",
                "1",
            ],
            "for `mars boot`",
        ),
        (vec!["work", "--snap-dir"], "needs a value"),
        (vec!["work", "--snap-dir", "x", "--loom", "7"], "--loom"),
    ] {
        let out = std::process::Command::new(bin())
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(
            e.contains(needle) && e.contains("usage: mars"),
            "{args:?}: {e}"
        );
    }
    // A second `work` on a pier whose lock is held is refused.
    let w = WorkProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
    let out = run_work(&opts(&p)).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("lock"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    w.kill();
    let _ = std::fs::remove_dir_all(&p);
}

#[test]
fn p2_play_until_stops_replay_and_exits_0() {
    let p = pier("until");
    boot_own(&p);
    let mut h = HeapAlloc::new();
    let mut w = WorkProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
    for _ in 0..10 {
        noop(&mut w, &mut h);
    }
    w.kill();
    std::fs::remove_dir_all(p.join(".urb/chk")).unwrap();
    let mut o = opts(&p);
    o.play_until = Some(12);
    let out = run_work(&o).unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    // Replay may slog, but there is no %ripe.
    let mut r = mars::protocol::newt::NewtReader::new(&out.stdout[..]);
    while let Ok(body) = r.read_frame() {
        let n = cue_bytes(&mut h, &body).unwrap();
        let plea = Plea::decode(n).unwrap();
        assert!(
            matches!(plea, Plea::Slog { .. } | Plea::Flog(_)),
            "{}",
            plea.kind()
        );
    }
    assert!(err.contains("stopped replay at event 12 of 18"), "{err}");
    // The snapshot is at 12; a normal start replays the rest.
    let w = WorkProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
    assert_eq!(w.event, 18);
    let (_, err) = w.wait_with_stderr().unwrap();
    assert!(err.contains("play: events 13-18"), "{err}");
    let _ = std::fs::remove_dir_all(&p);
}

/// A P1 pier (version-1 LMDB log written by the P1 test king and `mars serf`) becomes the epoch layout on its first
/// `mars work`, keeping every event; replayed from scratch it reproduces every stored mug.
#[test]
fn p1_pier_is_migrated_on_first_work() {
    let p = pier("migrate");
    let out = std::process::Command::new(bin())
        .env("MARS_SNAPSHOT", STORE)
        .args(["boot", "--pier", p.to_str().unwrap(), "--loom", "28"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before: Vec<_> = {
        let log = PierLog::open_read_only(&p).unwrap();
        assert_eq!(log.layout(), Layout::P1);
        log.iter().unwrap().map(|e| e.unwrap()).collect()
    };
    assert!(before.len() > 8, "the P1 boot sent the start events too");
    // As for a pier Vere 1.x ran: no snapshot of ours.
    std::fs::remove_dir_all(p.join(".urb/chk")).unwrap();
    let mut h = HeapAlloc::new();
    let w = WorkProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
    let last = before.last().unwrap();
    assert_eq!((w.event, w.mug), (last.number, last.mug));
    let (_, err) = w.wait_with_stderr().unwrap();
    assert!(err.contains("migrated the P1 event log"), "{err}");
    assert!(err.contains(" 0 mismatches"), "{err}");
    let log = PierLog::open_read_only(&p).unwrap();
    assert_eq!(log.layout(), Layout::Epochs);
    let after: Vec<_> = log.iter().unwrap().map(|e| e.unwrap()).collect();
    assert_eq!(before, after, "no event lost or changed");
    drop(log);
    // It runs on in the new layout.
    let mut w = WorkProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
    noop(&mut w, &mut h);
    assert!(w.exit(&mut h).unwrap().success());
    assert_eq!(last_logged(&p, &mut h).0, last.number + 1);
    let _ = std::fs::remove_dir_all(&p);
}

#[test]
fn p2_baby_pill_boots_and_restarts() {
    let Some(bytes) = read_shared(&pills_dir().join("baby.pill")) else {
        return;
    };
    let p = pier("baby");
    let b = boot(&opts(&p), &bytes, 0, Chatter::Collect).unwrap();
    assert!(b.status.success());
    let mut h = HeapAlloc::new();
    let mut w = WorkProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
    assert_eq!(w.event, 7, "2 formulas, 4 wisps, %boot");
    for _ in 0..20 {
        let o = ovum(&mut h, "noop");
        assert!(matches!(w.poke(&mut h, 0, o).unwrap(), PokeReply::Done(_)));
    }
    let (eve, mug) = w.sync(&mut h).unwrap();
    w.kill();
    let w = WorkProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
    assert_eq!((w.event, w.mug), (eve, mug));
    w.kill();
    let _ = std::fs::remove_dir_all(&p);
}

/// `--snap-time`: an idle serf saves on its timer, so a SIGKILL afterwards replays nothing.
#[test]
fn p2_snap_time_saves_while_idle() {
    let p = pier("timer");
    boot_own(&p);
    let mut o = opts(&p);
    o.snap_time = 1;
    let mut h = HeapAlloc::new();
    let mut w = WorkProcess::spawn(&o, Chatter::Collect).unwrap();
    for _ in 0..5 {
        noop(&mut w, &mut h);
    }
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let eve = w.event;
    w.kill();
    let mut o = opts(&p);
    o.flags = 16; // verbose: says where the snapshot is
    let w = WorkProcess::spawn(&o, Chatter::Collect).unwrap();
    assert_eq!(w.event, eve);
    let (_, err) = w.wait_with_stderr().unwrap();
    assert!(err.contains(&format!("snapshot at event {eve}")), "{err}");
    assert!(!err.contains("play: events"), "{err}");
    let _ = std::fs::remove_dir_all(&p);
}

/// toddler.pill (Ares' test pill: a real larval Arvo) through the P2 boot sequence, a `%wack`, and a replay from
/// scratch reproducing the mug.
#[test]
fn p2_toddler_pill_boots_works_and_replays() {
    let Some(bytes) = read_shared(&pills_dir().join("toddler.pill")) else {
        return;
    };
    let p = pier("toddler");
    boot(&opts(&p), &bytes, 0, Chatter::Collect).unwrap();
    let mut h = HeapAlloc::new();
    let mut w = WorkProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
    assert_eq!(w.event, 7, "2 formulas, 4 wisps, %boot");
    let wire = T(&mut h, &[D(0), tas("arvo"), D(0)]).unwrap();
    let wack = T(&mut h, &[wire, tas("wack"), D(1)]).unwrap();
    assert!(matches!(w.poke(&mut h, 0, wack).unwrap(), PokeReply::Done(_)));
    let (eve, mug) = w.sync(&mut h).unwrap();
    assert_eq!(eve, 8);
    w.kill();
    std::fs::remove_dir_all(p.join(".urb/chk")).unwrap();
    let w = WorkProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
    assert_eq!((w.event, w.mug), (eve, mug));
    w.kill();
    let _ = std::fs::remove_dir_all(&p);
}

/// A full disk under the log: the commit fails, the serf exits 1 saying so, and no event it acknowledged is lost.
#[test]
fn p2_full_disk_under_the_log_loses_no_acknowledged_event() {
    let p = pier("full");
    boot_own(&p);
    let mut h = HeapAlloc::new();
    {
        let mut w = WorkProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
        noop(&mut w, &mut h);
        assert!(w.exit(&mut h).unwrap().success());
    }
    // No file may grow past the log's current size from now on.
    let limit = std::fs::metadata(p.join(".urb/log/0i0/data.mdb")).unwrap().len();
    let mut o = opts(&p);
    o.file_size_limit = Some(limit);
    let mut w = WorkProcess::spawn(&o, Chatter::Collect).unwrap();
    let mut acked = w.event;
    let mut failed = false;
    for _ in 0..20_000 {
        let ov = ovum(&mut h, "noop");
        match w.poke(&mut h, 0, ov) {
            Ok(PokeReply::Done(_)) => acked = w.event,
            Ok(other) => panic!("{other:?}"),
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    assert!(failed, "the log never outgrew {limit} bytes");
    let (status, stderr) = w.wait_with_stderr().unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("event log") && !stderr.contains("panic"), "{stderr}");
    let w = WorkProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
    let (last, mug, _) = last_logged(&p, &mut h);
    assert!(last >= acked, "acknowledged {acked}, logged {last}");
    assert_eq!((w.event, w.mug), (last, mug));
    w.kill();
    let _ = std::fs::remove_dir_all(&p);
}

/// `mars boot --protocol 2`: the king-side driver plays Vere 4.x's king (boot frame, `work`, start events, exit),
/// and a second run continues the pier from the serf's own log and snapshot.
#[test]
fn mars_boot_protocol_2_drives_the_p2_serf() {
    let p = pier("cli");
    let run = |extra: &[&str]| {
        let out = std::process::Command::new(bin())
            .env("MARS_SNAPSHOT", STORE)
            .args(["boot", "--protocol", "2", "--pier", p.to_str().unwrap(), "--loom", "28"])
            .args(extra)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{err}");
        err
    };
    let err = run(&[]);
    assert!(err.contains("booted by `mars boot --snap-dir`") && err.contains("ripe at event 8"), "{err}");
    let first = PierLog::open_read_only(&p).unwrap().last().unwrap();
    assert!(first > 8, "the start events were logged");
    let err = run(&["--no-start"]);
    assert!(err.contains(&format!("ripe at event {first}")), "{err}");
    let _ = std::fs::remove_dir_all(&p);
}
