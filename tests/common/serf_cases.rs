// End-to-end tests of `mars serf`, driven through the test king over real pipes. Included by `tests/serf_pma.rs` and
// `tests/serf_jam.rs`, which set `STORE`, so both snapshot stores pass the same tests.

use mars::king::{
    parse_pill, test_pill, BootOptions, Chatter, King, PeekReply, PlayReply, SerfProcess,
    SpawnOptions, WorkReply,
};
use mars::noun::{list_iter, tas, HeapAlloc, Noun, D, T};
use mars::protocol::newt::frame;
use mars::protocol::p1::Plea;
use mars::test_support::{pills_dir, read_shared};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mars"))
}

fn pier(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mars-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn opts(pier: &Path) -> SpawnOptions {
    let mut o = SpawnOptions::new(&bin(), pier);
    o.capture_stderr = true;
    o.snapshot = Some(STORE.to_string());
    o
}

fn boot_own(king: &mut King) -> u32 {
    // The pill's nouns go into the log, so they must live in the king's heap.
    let pill = parse_pill(&mut king.heap, &test_pill::pill_bytes()).unwrap();
    match king.boot(&pill, &BootOptions::new(0)).unwrap() {
        PlayReply::Done { mug } => mug,
        PlayReply::Bail { goof, .. } => panic!("boot failed: {}", goof.mote_name()),
    }
}

/// An ovum `[/mars/test [tag ~]]`.
fn ovum(king: &mut King, tag: &str) -> Noun {
    let wire = T(&mut king.heap, &[tas("mars"), tas("test"), D(0)]).unwrap();
    let t = mars::noun::cord(&mut king.heap, tag).unwrap();
    T(&mut king.heap, &[wire, t, D(0)]).unwrap()
}

/// The peek sample `[~ %.y /<what>]`.
fn peek_sam(king: &mut King, what: &str) -> Noun {
    let t = mars::noun::cord(&mut king.heap, what).unwrap();
    T(&mut king.heap, &[D(0), D(0), t, D(0)]).unwrap()
}

fn peek_count(king: &mut King) -> u64 {
    let sam = peek_sam(king, "count");
    match king.peek(0, sam).unwrap() {
        PeekReply::Done(r) => {
            // [~ %noun counter]
            let c = r.as_cell().expect("(unit cask)");
            assert_eq!(c.head(), D(0));
            let cask = c.tail().as_cell().unwrap();
            assert_eq!(cask.head(), tas("noun"));
            cask.tail().as_u64().unwrap()
        }
        PeekReply::Bail(g) => panic!("peek bailed: {}", g.mote_name()),
    }
}

fn work_done(king: &mut King, tag: &str) -> (u64, u32) {
    let o = ovum(king, tag);
    match king.work(0, o).unwrap() {
        WorkReply::Done { eve, mug, effects } => {
            assert_eq!(list_iter(effects).count(), 1);
            (eve, mug)
        }
        other => panic!("%{tag}: expected %done, got {other:?}"),
    }
}

#[test]
fn own_pill_full_cycle() {
    let p = pier("own");
    let mut king = King::start(opts(&p), Chatter::Collect).unwrap();
    let boot_mug = boot_own(&mut king);
    assert_eq!(king.event(), 8, "2 boot formulas + 4 wisps + %boot + 1 use");
    assert_ne!(boot_mug, 0);
    // The larval driver slogged while booting.
    assert!(!king.serf().unwrap().slogs.is_empty());
    // The kernel counted the 6 [now ovum] events of the boot sequence.
    assert_eq!(peek_count(&mut king), 6);

    let mut mugs = Vec::new();
    for i in 0..110 {
        let (eve, mug) = work_done(&mut king, if i % 10 == 3 { "slog" } else { "noop" });
        assert_eq!(eve, 9 + i);
        mugs.push(mug);
    }
    assert_eq!(peek_count(&mut king), 116);
    let slogs = king.serf().unwrap().slogs.len();
    assert!(slogs >= 12, "slogs seen: {slogs}");

    // A crashing event is replaced by its %crud: %swap, logged in its place.
    let o = ovum(&mut king, "crash");
    let (eve, crud) = match king.work(0, o).unwrap() {
        WorkReply::Swap { eve, job, .. } => {
            // job = [now+1 //arvo [%crud [%exit tang] ovum]]
            let card = mars::noun::slot(job, mars::noun::Atom::direct(7).unwrap()).unwrap();
            assert_eq!(card.head(), Some(tas("crud")));
            let goof = card.tail().unwrap().head().unwrap();
            assert_eq!(goof.head(), Some(tas("exit")));
            // The trace (a %mean hint) was rendered by the kernel's +mook, obtained through +wish.
            let tang = goof.tail().unwrap();
            let tank = tang.head().unwrap();
            assert_eq!(mars::king::driver::render_tank(tank), "mars-test: mook");
            assert_eq!(tang.tail(), Some(D(0)));
            (eve, job)
        }
        other => panic!("expected %swap, got {other:?}"),
    };
    assert_eq!(eve, 119);
    assert!(mars::equality::noun_eq(*king.log.last().unwrap(), crud));
    // An event whose %crud fails too: %bail with two goofs, state unchanged.
    let o = ovum(&mut king, "bail");
    match king.work(0, o).unwrap() {
        WorkReply::Bail { goofs } => {
            assert_eq!(goofs.len(), 2);
            assert_eq!(goofs[0].mote, tas("exit"));
        }
        other => panic!("expected %bail, got {other:?}"),
    }
    assert_eq!(king.event(), 119);
    assert_eq!(peek_count(&mut king), 117);
    // A crashing peek.
    let sam = peek_sam(&mut king, "crash");
    assert!(matches!(king.peek(0, sam).unwrap(), PeekReply::Bail(_)));

    // Save, then more events that are not saved.
    king.save().unwrap();
    let (saved_eve, saved_mug) = (king.event(), king.serf().unwrap().mug);
    let mut unsaved = Vec::new();
    for _ in 0..30 {
        unsaved.push(work_done(&mut king, "noop"));
    }
    let o = ovum(&mut king, "crash");
    match king.work(0, o).unwrap() {
        WorkReply::Swap { eve, mug, .. } => unsaved.push((eve, mug)),
        other => panic!("expected %swap, got {other:?}"),
    }
    assert_eq!(king.log.len() as u64, king.event());

    // Kill the serf; restart on the same pier.
    let (eve, mug) = king.restart().unwrap();
    assert_eq!((eve, mug), (saved_eve, saved_mug));
    // Replay the unsaved events one by one: identical mugs.
    for (want_eve, want_mug) in unsaved {
        let ev = king.log[(want_eve - 1) as usize];
        let serf = king.serf.as_mut().unwrap();
        match serf.play(&mut king.heap, &[ev]).unwrap() {
            PlayReply::Done { mug } => assert_eq!(mug, want_mug, "event {want_eve}"),
            PlayReply::Bail { goof, .. } => panic!("replay bailed: {}", goof.mote_name()),
        }
        assert_eq!(serf.event, want_eve);
    }
    assert_eq!(peek_count(&mut king), 148);
    let status = king.shutdown().unwrap();
    assert!(status.success());
    // And a full replay from scratch in batches reproduces the final state.
    let final_mug = {
        let (e, m) = king.restart().unwrap();
        assert_eq!(e, king.log.len() as u64);
        m
    };
    // The restarted serf's state holds the %crud events it computed, wholly its own (never pointing into the
    // memory of the process that computed them): the log, newest first, has the last crud's //arvo wire.
    let sam = peek_sam(&mut king, "log");
    let logged = match king.peek(0, sam).unwrap() {
        PeekReply::Done(r) => mars::noun::slot(r, mars::noun::Atom::direct(7).unwrap()).unwrap(),
        PeekReply::Bail(g) => panic!("peek /log bailed: {}", g.mote_name()),
    };
    let crud_ovum = list_iter(logged)
        .flatten()
        .find(|o| o.tail().and_then(|c| c.head()) == Some(tas("crud")))
        .expect("a %crud in the log");
    let arvo = T(&mut king.heap, &[D(0), tas("arvo"), D(0)]).unwrap();
    assert!(mars::equality::noun_eq(crud_ovum.head().unwrap(), arvo));
    let p2 = pier("own-replay");
    let mut k2 = King::start(opts(&p2), Chatter::Collect).unwrap();
    // The nouns live in king.heap, which outlives this use.
    k2.log = king.log.clone();
    let m = k2.replay().unwrap();
    assert_eq!(m, Some(final_mug));
    drop(k2);
    drop(king);
    let _ = std::fs::remove_dir_all(&p);
    let _ = std::fs::remove_dir_all(&p2);
}

#[test]
fn baby_pill_boots_with_vere_mug() {
    let Some(bytes) = read_shared(&pills_dir().join("baby.pill")) else {
        return;
    };
    let p = pier("baby");
    let mut king = King::start(opts(&p), Chatter::Collect).unwrap();
    let pill = parse_pill(&mut king.heap, &bytes).unwrap();
    assert_eq!(pill.name, "baby");
    match king.boot(&pill, &BootOptions::new(0)).unwrap() {
        PlayReply::Done { mug } => assert_eq!(mug, 0x57d6b64f),
        PlayReply::Bail { goof, .. } => panic!("boot failed: {}", goof.mote_name()),
    }
    assert_eq!(king.event(), 7);
    for i in 0..100 {
        let o = ovum(&mut king, "noop");
        match king.work(0, o).unwrap() {
            WorkReply::Done { eve, .. } => assert_eq!(eve, 8 + i),
            other => panic!("expected %done, got {other:?}"),
        }
    }
    let sam = peek_sam(&mut king, "count");
    let _ = king.peek(0, sam).unwrap();
    king.save().unwrap();
    let (eve, mug) = king.restart().unwrap();
    assert_eq!(eve, 107);
    assert_eq!(mug, 0x57d6b64f);
    assert!(king.shutdown().unwrap().success());
    let _ = std::fs::remove_dir_all(&p);
}

/// Boot the own pill into a fresh pier and save; returns (pier, event, mug).
fn saved_pier(name: &str) -> (PathBuf, u64, u32) {
    let p = pier(name);
    let mut king = King::start(opts(&p), Chatter::Collect).unwrap();
    boot_own(&mut king);
    work_done(&mut king, "noop");
    let r = (p.clone(), king.event(), king.serf().unwrap().mug);
    king.shutdown().unwrap();
    r
}

fn expect_exit_1(serf: SerfProcess, what: &str, needle: &str) {
    let (status, stderr) = serf.wait_with_stderr().unwrap();
    assert_eq!(
        status.code(),
        Some(1),
        "{what}: status {status}, stderr {stderr:?}"
    );
    assert!(
        stderr.contains(needle),
        "{what}: stderr {stderr:?} lacks {needle:?}"
    );
    assert!(
        stderr.ends_with("\r\n"),
        "{what}: stderr lines end in CR LF"
    );
}

#[test]
fn bad_writs_exit_1_and_keep_the_snapshot() {
    let (p, eve, mug) = saved_pier("bad");
    let mut h = HeapAlloc::new();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "unknown tag",
            frame(&mars::serial::jam_to_bytes(
                T(&mut h, &[tas("hello"), D(0)]).unwrap(),
            ))
            .unwrap(),
            "unknown writ tag %hello",
        ),
        (
            "wrong event number",
            frame(&mars::serial::jam_to_bytes(
                T(&mut h, &[tas("live"), tas("save"), D(eve + 5)]).unwrap(),
            ))
            .unwrap(),
            "asked to save at event",
        ),
        (
            "wrong %play event",
            {
                let l = T(&mut h, &[D(0), D(0)]).unwrap();
                frame(&mars::serial::jam_to_bytes(
                    T(&mut h, &[tas("play"), D(eve + 2), l]).unwrap(),
                ))
                .unwrap()
            },
            "%play starts at event",
        ),
        (
            "malformed noun",
            frame(&[0x00, 0x00, 0x00]).unwrap(),
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
        let mut serf = SerfProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
        assert_eq!((serf.event, serf.mug), (eve, mug), "{what}: ripe");
        serf.send_raw(&bytes).unwrap();
        expect_exit_1(serf, what, needle);
    }
    // The snapshot is intact.
    let serf = SerfProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
    assert_eq!((serf.event, serf.mug), (eve, mug));
    serf.kill();
    let _ = std::fs::remove_dir_all(&p);
}

#[test]
fn work_before_boot_is_fatal() {
    let p = pier("noboot");
    let mut serf = SerfProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
    assert_eq!((serf.event, serf.mug), (0, 0));
    let mut h = HeapAlloc::new();
    let job = T(&mut h, &[D(1), D(0), tas("x"), D(0)]).unwrap();
    let w = T(&mut h, &[tas("work"), D(0), job]).unwrap();
    serf.send(w).unwrap();
    expect_exit_1(serf, "work before boot", "before the boot sequence");
    let _ = std::fs::remove_dir_all(&p);
}

#[test]
fn corrupt_snapshot_is_a_precise_error() {
    let (p, eve, _) = saved_pier("corrupt");
    if STORE == "jam" {
        // Two saves happened (boot + shutdown), so both slots exist; corrupt both.
        for i in 0..2 {
            let f = p.join(format!(".urb/chk/mars-{i}.jam"));
            if f.exists() {
                let mut b = std::fs::read(&f).unwrap();
                let n = b.len();
                b[n - 1] ^= 0xff;
                std::fs::write(&f, b).unwrap();
            }
        }
    } else {
        // Flip a byte inside both superblock slots of the arena image (offsets 0 and 16 KiB).
        let f = p.join(".urb/chk/mars/pma.img");
        let mut b = std::fs::read(&f).unwrap();
        b[100] ^= 0xff;
        b[16384 + 100] ^= 0xff;
        std::fs::write(&f, b).unwrap();
    }
    let o = opts(&p);
    let out = std::process::Command::new(&o.bin)
        .env("MARS_SNAPSHOT", STORE)
        .args([
            "serf",
            p.to_str().unwrap(),
            "0:0:0:0",
            "128",
            "1000",
            "31",
            "0",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "no %ripe over a corrupt pier");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no valid snapshot") && err.to_lowercase().contains(if STORE == "jam" { "checksum" } else { "corrupt" }),
        "{err}"
    );
    let _ = eve;
    let _ = std::fs::remove_dir_all(&p);
}

#[test]
fn bad_argv_exits_1() {
    for args in [
        vec!["serf"],
        vec!["serf", "/tmp/x", "0:0:0:0", "128", "1000", "31"],
        vec!["serf", "/tmp/x", "nokey", "128", "1000", "31", "0"],
        vec!["serf", "/tmp/x", "0:0:0:0", "128", "1000", "99", "0"],
    ] {
        let out = std::process::Command::new(bin())
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn timeouts_signals_and_oom_keep_the_serf_running() {
    let p = pier("signals");
    let mut o = opts(&p);
    o.loom_bits = 27;
    let mut king = King::start(o, Chatter::Collect).unwrap();
    boot_own(&mut king);
    let mote_of_swap = |r: WorkReply| -> Noun {
        match r {
            WorkReply::Swap { job, .. } => {
                let card = mars::noun::slot(job, mars::noun::Atom::direct(7).unwrap()).unwrap();
                card.tail().unwrap().head().unwrap().head().unwrap()
            }
            other => panic!("expected %swap, got {other:?}"),
        }
    };
    // mil timeout → %alrm, then the crud path.
    let o = ovum(&mut king, "loop");
    let r = king.work(200, o).unwrap();
    assert_eq!(mote_of_swap(r), tas("alrm"));
    work_done(&mut king, "noop");

    // SIGINT while idle is ignored.
    king.serf().unwrap().signal(libc::SIGINT);
    std::thread::sleep(Duration::from_millis(100));
    work_done(&mut king, "noop");

    // SIGINT and SIGTERM during a computation → %intr / %term. The signal is repeated until the reply arrives (a
    // signal that lands while the serf is idle is ignored), and a 20 s CPU limit keeps a lost signal from hanging.
    for (sig, mote) in [(libc::SIGINT, "intr"), (libc::SIGTERM, "term")] {
        let pid = king.serf().unwrap().pid();
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let d = done.clone();
        let t = std::thread::spawn(move || {
            while !d.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                if !d.load(std::sync::atomic::Ordering::Relaxed) {
                    // SAFETY: signalling our own child process, which the king has not reaped.
                    unsafe { libc::kill(pid as libc::pid_t, sig) };
                }
            }
        });
        let o = ovum(&mut king, "loop");
        let r = king.work(20_000, o).unwrap();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        t.join().unwrap();
        match r {
            // Almost always: the loop was interrupted and its %crud succeeded.
            WorkReply::Swap { .. } => assert_eq!(mote_of_swap(r), tas(mote)),
            // If a repeat landed during the (microseconds-long) %crud, both failed; the original goof is last.
            WorkReply::Bail { goofs } => assert_eq!(goofs.last().unwrap().mote, tas(mote)),
            other => panic!("expected %swap, got {other:?}"),
        }
        work_done(&mut king, "noop");
    }

    // Out of memory → %meme, and the serf carries on.
    let o = ovum(&mut king, "meme");
    let r = king.work(0, o).unwrap();
    assert_eq!(mote_of_swap(r), tas("meme"));
    let before = peek_count(&mut king);
    work_done(&mut king, "noop");
    assert_eq!(peek_count(&mut king), before + 1);
    assert!(king.shutdown().unwrap().success());
    let _ = std::fs::remove_dir_all(&p);
}

#[test]
fn cram_writes_a_loadable_rock_and_pack_keeps_state() {
    let p = pier("cram");
    let mut king = King::start(opts(&p), Chatter::Collect).unwrap();
    boot_own(&mut king);
    for _ in 0..5 {
        work_done(&mut king, "noop");
    }
    let (eve, mug) = (king.event(), king.serf().unwrap().mug);
    {
        let serf = king.serf.as_mut().unwrap();
        serf.pack(&mut king.heap).unwrap();
        serf.meld(&mut king.heap).unwrap();
        serf.cram(&mut king.heap).unwrap();
    }
    assert!(p.join(format!(".urb/roc/{eve}.jam")).exists());
    assert_eq!(peek_count(&mut king), 11);
    king.kill();
    let mut o = opts(&p);
    o.at_event = eve;
    let serf = SerfProcess::spawn(&o, Chatter::Collect).unwrap();
    assert_eq!((serf.event, serf.mug), (eve, mug));
    serf.kill();
    let _ = std::fs::remove_dir_all(&p);
}

#[test]
fn quiet_flag_drops_slogs_and_verbose_flogs() {
    let p = pier("quiet");
    let mut o = opts(&p);
    o.flags = 128 | 64 | 16 | 32 | 256; // quiet, verbose, dry run, trace
    let mut king = King::start(o, Chatter::Collect).unwrap();
    boot_own(&mut king);
    work_done(&mut king, "slog");
    let serf = king.serf().unwrap();
    assert!(serf.slogs.is_empty());
    assert!(!serf.flogs.is_empty());
    assert!(serf.flogs.iter().all(|f| f.ends_with("\r\n")));
    king.save().unwrap();
    // Dry run: nothing was written.
    assert!(!p.join(".urb/chk/mars-0.jam").exists());
    // Trace: one record per computation.
    let pid = king.serf().unwrap().pid();
    let trace = std::fs::read_to_string(p.join(format!(".urb/put/trace/mars-{pid}.json"))).unwrap();
    assert!(trace.starts_with("[\n"));
    assert!(trace.contains("\"name\":\"boot\"") && trace.contains("\"name\":\"work\""));
    let _ = std::fs::remove_dir_all(&p);
}

#[test]
fn pipelined_writs_are_answered_in_order() {
    let p = pier("pipe");
    let mut king = King::start(opts(&p), Chatter::Collect).unwrap();
    boot_own(&mut king);
    let start = king.event();
    let o = ovum(&mut king, "noop");
    let mut h = HeapAlloc::new();
    let mut bytes = Vec::new();
    for i in 0..10u64 {
        let job = T(&mut h, &[D(0x1000_0000 + i), o]).unwrap();
        let w = T(&mut h, &[tas("work"), D(0), job]).unwrap();
        bytes.extend(frame(&mars::serial::jam_to_bytes(w)).unwrap());
    }
    let sam = peek_sam(&mut king, "count");
    let w = T(&mut h, &[tas("peek"), D(0), sam]).unwrap();
    bytes.extend(frame(&mars::serial::jam_to_bytes(w)).unwrap());
    let serf = king.serf.as_mut().unwrap();
    // All eleven writs in one write.
    serf.send_raw(&bytes).unwrap();
    for i in 0..10u64 {
        match serf.recv(&mut h).unwrap() {
            Plea::Work(WorkReply::Done { eve, .. }) => assert_eq!(eve, start + 1 + i),
            other => panic!("expected %work %done, got {other:?}"),
        }
    }
    match serf.recv(&mut h).unwrap() {
        // [~ %noun count]
        Plea::Peek(PeekReply::Done(r)) => {
            let count = mars::noun::slot(r, mars::noun::Atom::direct(7).unwrap()).unwrap();
            assert_eq!(count.as_u64(), Some(16));
        }
        other => panic!("expected %peek %done, got {other:?}"),
    }
    let _ = std::fs::remove_dir_all(&p);
}

#[test]
fn committed_pill_matches_the_generator() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("pills/mars-test.pill");
    let on_disk = std::fs::read(&path).expect("pills/mars-test.pill is committed");
    assert_eq!(
        on_disk,
        test_pill::pill_bytes(),
        "regenerate with `mars make-pill`"
    );
}

#[test]
fn root_frame_collection_over_many_events() {
    // A 4 MiB stack: the root frame is collected every few hundred events, including in the middle of %play
    // batches (where the rest of the batch must survive).
    let p = pier("gc");
    let mut o = opts(&p);
    o.loom_bits = 22;
    o.flags = 128 | 16;
    let mut king = King::start(o.clone(), Chatter::Collect).unwrap();
    boot_own(&mut king);
    let mut last = 0;
    for _ in 0..3000 {
        last = work_done(&mut king, "noop").1;
    }
    assert_eq!(peek_count(&mut king), 3006);
    let collections = king
        .serf()
        .unwrap()
        .flogs
        .iter()
        .filter(|f| f.contains("collected the root frame"))
        .count();
    assert!(collections >= 3, "only {collections} collections");
    assert!(king.shutdown().unwrap().success());
    let (eve, mug) = king.restart().unwrap();
    assert_eq!((eve, mug), (3008, last));
    king.kill();
    // Replay everything from scratch on the same small stack: lifecycle over the first 500, then batches.
    let p2 = pier("gc-replay");
    let mut o2 = o;
    o2.pier = p2.clone();
    let mut k2 = King::start(o2, Chatter::Collect).unwrap();
    k2.log = king.log.clone();
    assert_eq!(k2.replay().unwrap(), Some(last));
    let mid_batch = k2
        .serf()
        .unwrap()
        .flogs
        .iter()
        .filter(|f| f.contains("collected the root frame"))
        .count();
    assert!(mid_batch >= 1, "no collection during the replay batches");
    assert_eq!(peek_count(&mut k2), 3006);
    drop(k2);
    drop(king);
    let _ = std::fs::remove_dir_all(&p);
    let _ = std::fs::remove_dir_all(&p2);
}

#[test]
fn garbage_and_misshapen_writs_exit_1_without_panicking() {
    let (p, eve, mug) = saved_pier("garbage");
    let mut h = HeapAlloc::new();
    let mut bodies: Vec<Vec<u8>> = Vec::new();
    // Misshapen writs with known tags.
    let improper = T(&mut h, &[D(1), D(2)]).unwrap();
    for n in [
        T(&mut h, &[tas("play"), D(eve + 1), improper]).unwrap(),
        T(&mut h, &[tas("work"), D(0), D(5)]).unwrap(),
        T(&mut h, &[tas("work"), improper, improper]).unwrap(),
        T(&mut h, &[tas("peek"), improper, D(0)]).unwrap(),
        T(&mut h, &[tas("live"), tas("save"), improper]).unwrap(),
        T(&mut h, &[tas("live"), tas("nope"), D(0)]).unwrap(),
        T(&mut h, &[tas("live"), tas("exit"), D(256)]).unwrap(),
        tas("live"),
    ] {
        bodies.push(mars::serial::jam_to_bytes(n));
    }
    // Pseudo-random bytes.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for len in [1usize, 2, 3, 5, 8, 13, 40, 100, 1000] {
        let mut b = Vec::with_capacity(len);
        for _ in 0..len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b.push(x as u8);
        }
        bodies.push(b);
    }
    for body in bodies {
        let mut serf = SerfProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
        serf.send_raw(&frame(&body).unwrap()).unwrap();
        let (status, stderr) = serf.wait_with_stderr().unwrap();
        assert_eq!(
            status.code(),
            Some(1),
            "body {body:02x?}: {status} {stderr:?}"
        );
        assert!(stderr.starts_with("mars: "), "{stderr:?}");
        assert!(!stderr.contains("panic"), "{stderr:?}");
    }
    let serf = SerfProcess::spawn(&opts(&p), Chatter::Collect).unwrap();
    assert_eq!((serf.event, serf.mug), (eve, mug));
    serf.kill();
    let _ = std::fs::remove_dir_all(&p);
}
