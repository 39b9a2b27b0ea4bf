//! Fault handling of `mars serf` end to end (docs/robustness.md): memory exhaustion inside events (Ares's
//! `oom.pill`), the toddler pill's wisps, and the other resource faults that only a real serf process shows.

use mars::king::{parse_pill, BootOptions, Chatter, King, PlayReply, SpawnOptions, WorkReply};
use mars::noun::{slot, tas, Atom, Noun, D, T};
use std::path::PathBuf;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mars"))
}

fn pier(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mars-faults-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn opts(pier: &std::path::Path, store: &str, loom_bits: u8) -> SpawnOptions {
    let mut o = SpawnOptions::new(&bin(), pier);
    o.capture_stderr = true;
    o.snapshot = Some(store.to_string());
    o.loom_bits = loom_bits;
    o
}

fn pill(name: &str) -> Option<Vec<u8>> {
    mars::test_support::read_shared(&mars::test_support::pills_dir().join(name))
}

/// Boot `bytes` (a pill) with the king's boot sequence; panics unless the lifecycle succeeds.
fn boot(king: &mut King, bytes: &[u8], name: &str) -> u32 {
    let p = parse_pill(&mut king.heap, bytes).unwrap();
    assert_eq!(p.name, name);
    match king.boot(&p, &BootOptions::new(0)).unwrap() {
        PlayReply::Done { mug } => mug,
        PlayReply::Bail { goof, .. } => panic!("{name}: boot failed: {}", goof.mote_name()),
    }
}

/// An ovum `[/mars/test [tag ~]]`.
fn ovum(king: &mut King, tag: &str) -> Noun {
    let wire = T(&mut king.heap, &[tas("mars"), tas("test"), D(0)]).unwrap();
    T(&mut king.heap, &[wire, tas(tag), D(0)]).unwrap()
}

/// The wisp `[//arvo [%wack eny]]`: a normal event the pills' kernels handle without allocating much.
fn wack(king: &mut King, eny: u64) -> Noun {
    let wire = T(&mut king.heap, &[D(0), tas("arvo"), D(0)]).unwrap();
    T(&mut king.heap, &[wire, tas("wack"), D(eny)]).unwrap()
}

/// The mote of the goof inside a `%crud` job `[now //arvo [%crud [mote tang] ovum]]`.
fn crud_mote(job: Noun) -> Noun {
    let card = slot(job, Atom::direct(7).unwrap()).unwrap();
    assert_eq!(card.head(), Some(tas("crud")));
    card.tail().unwrap().head().unwrap().head().unwrap()
}

fn slog_texts(king: &mut King) -> Vec<String> {
    let serf = king.serf().unwrap();
    serf.slogs
        .iter()
        .map(|(_, t)| mars::king::driver::render_tank(*t))
        .collect()
}

/// Ares's `oom.pill`: after its counter reaches 20, every non-wasp event builds a list of 2^32 atoms. The serf must
/// answer each of those with `%meme` through the crud path (a `%swap` whose `%crud` carries the `%meme` goof, as
/// Vere's serf does), stay alive, and compute the next events normally; the state survives save and restart.
#[test]
fn oom_pill_meme_bails_through_crud_and_the_serf_lives_on() {
    let Some(bytes) = pill("oom.pill") else {
        return;
    };
    for store in ["jam", "pma"] {
        let p = pier(&format!("oom-{store}"));
        // A 32 MiB loom: the 2^32-element list exhausts it in a fraction of a second.
        let mut king = King::start(opts(&p, store, 25), Chatter::Collect).unwrap();
        boot(&mut king, &bytes, "toddler");
        let mut swaps = 0;
        let mut normal = 0;
        while swaps == 0 {
            let o = ovum(&mut king, "noop");
            let t0 = std::time::Instant::now();
            match king.work(0, o).unwrap() {
                WorkReply::Done { eve, .. } => {
                    normal += 1;
                    assert_eq!(eve, king.event());
                    assert!(normal <= 20, "{store}: no %meme after {normal} events");
                }
                WorkReply::Swap { eve, job, .. } => {
                    assert_eq!(crud_mote(job), tas("meme"), "{store}");
                    assert_eq!(eve, king.event());
                    assert!(
                        t0.elapsed().as_secs() < 60,
                        "{store}: %meme took {:?}",
                        t0.elapsed()
                    );
                    swaps += 1;
                }
                WorkReply::Bail { goofs } => panic!(
                    "{store}: expected %swap, got %bail {:?}",
                    goofs.iter().map(|g| g.mote_name()).collect::<Vec<_>>()
                ),
            }
        }
        assert!(normal >= 10, "{store}: only {normal} events before %meme");
        // The wisps were slogged by the kernel.
        let slogs = slog_texts(&mut king);
        assert!(
            slogs.iter().any(|s| s == "%wack / %wyrd"),
            "{store}: slogs {slogs:?}"
        );
        // The serf is alive: a wisp is handled normally, and the next memory-exhausting event bails the same way.
        for round in 0..2 {
            let w = wack(&mut king, 42 + round);
            match king.work(0, w).unwrap() {
                WorkReply::Done { eve, .. } => assert_eq!(eve, king.event()),
                other => panic!("{store}: %wack after %meme: {other:?}"),
            }
            let o = ovum(&mut king, "noop");
            match king.work(0, o).unwrap() {
                WorkReply::Swap { job, .. } => assert_eq!(crud_mote(job), tas("meme")),
                other => panic!("{store}: second %meme: {other:?}"),
            }
        }
        let (eve, mug) = (king.event(), king.serf().unwrap().mug);
        king.save().unwrap();
        assert_eq!(king.restart().unwrap(), (eve, mug), "{store}");
        let w = wack(&mut king, 7);
        assert!(matches!(king.work(0, w).unwrap(), WorkReply::Done { .. }));
        assert!(king.shutdown().unwrap().success());
        drop(king);
        let _ = std::fs::remove_dir_all(&p);
    }
}

/// Ares's `toddler.pill` clams its wisps as `$wasp`: it boots only if `%wyrd` has Vere's shape `[%wyrd [non rev] kel]`.
#[test]
fn toddler_pill_boots_and_works() {
    let Some(bytes) = pill("toddler.pill") else {
        return;
    };
    let p = pier("toddler");
    let mut king = King::start(opts(&p, "jam", 28), Chatter::Collect).unwrap();
    let boot_mug = boot(&mut king, &bytes, "toddler");
    assert_ne!(boot_mug, 0);
    assert_eq!(king.event(), 7, "2 formulas + 4 wisps + %boot");
    let w = wack(&mut king, 1);
    assert!(matches!(
        king.work(0, w).unwrap(),
        WorkReply::Done { eve: 8, .. }
    ));
    assert!(king.shutdown().unwrap().success());
    drop(king);
    let _ = std::fs::remove_dir_all(&p);
}

/// Boot the project's own test pill (its kernel conses every event onto a log, so the state grows with each event).
fn boot_own(king: &mut King) {
    let p = parse_pill(&mut king.heap, &mars::king::test_pill::pill_bytes()).unwrap();
    match king.boot(&p, &BootOptions::new(0)).unwrap() {
        PlayReply::Done { .. } => {}
        PlayReply::Bail { goof, .. } => panic!("boot failed: {}", goof.mote_name()),
    }
}

fn work_done(king: &mut King) {
    let o = ovum(king, "noop");
    match king.work(0, o).unwrap() {
        WorkReply::Done { eve, .. } => assert_eq!(eve, king.event()),
        other => panic!("expected %done, got {other:?}"),
    }
}

/// The size of the largest file under `dir`.
fn largest_file(dir: &std::path::Path) -> u64 {
    let mut max = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let m = e.metadata().unwrap();
        max = max.max(if m.is_dir() {
            largest_file(&e.path())
        } else {
            m.len()
        });
    }
    max
}

/// A full disk during `%save`, emulated with `RLIMIT_FSIZE` (writes past the limit fail with `EFBIG`, as they fail
/// with `ENOSPC` on a full file system): the serf reports the error on stderr and exits 1 without acknowledging the
/// save (Vere's serf aborts on a failed snapshot write; the king treats either as fatal), the previous snapshot
/// stays loadable, and the king's log replays every acknowledged event on top of it to the same state.
#[test]
fn disk_full_during_save_keeps_the_previous_snapshot() {
    for store in ["jam", "pma"] {
        let p = pier(&format!("full-{store}"));
        let mut king = King::start(opts(&p, store, 26), Chatter::Collect).unwrap();
        boot_own(&mut king);
        for _ in 0..5 {
            work_done(&mut king);
        }
        king.save().unwrap();
        work_done(&mut king);
        king.save().unwrap();
        let mut saved = (king.event(), king.serf().unwrap().mug);
        // From now on no file may grow past the current size of the largest jam slot, or of the arena's write-ahead
        // log (the arena image is larger and preallocated: its pages are written through the mapping, and it may not
        // grow either).
        let limit = if store == "jam" {
            largest_file(&p.join(".urb"))
        } else {
            std::fs::metadata(p.join(".urb/chk/mars/pma.wal"))
                .unwrap()
                .len()
        };
        king.kill();
        king.opts.file_size_limit = Some(limit);
        assert_eq!(
            king.restart().unwrap(),
            saved,
            "{store}: restart under the limit"
        );
        let mut failure = None;
        for _ in 0..30 {
            for _ in 0..100 {
                work_done(&mut king);
            }
            let now = (king.event(), king.serf().unwrap().mug);
            match king.save() {
                Ok(()) => saved = now,
                Err(e) => {
                    failure = Some((e, now));
                    break;
                }
            }
        }
        let (err, last) =
            failure.unwrap_or_else(|| panic!("{store}: no save failed past {limit} bytes"));
        let serf = king.serf.take().unwrap();
        let (status, stderr) = serf.wait_with_stderr().unwrap();
        assert_eq!(status.code(), Some(1), "{store}: {err}; stderr {stderr:?}");
        assert!(
            stderr.contains("File too large") && !stderr.contains("panic"),
            "{store}: stderr {stderr:?}"
        );
        // The previous snapshot loads; the log brings back everything acknowledged since.
        king.opts.file_size_limit = None;
        assert_eq!(
            king.restart().unwrap(),
            saved,
            "{store}: the last good snapshot"
        );
        assert_eq!(
            king.replay().unwrap(),
            Some(last.1),
            "{store}: replayed state"
        );
        assert_eq!(king.event(), last.0);
        assert!(king.shutdown().unwrap().success());
        drop(king);
        let _ = std::fs::remove_dir_all(&p);
    }
}

/// Start a serf on `pier` directly; returns (exit code, stdout bytes, stderr).
fn start_serf(pier: &std::path::Path, store: &str) -> (Option<i32>, Vec<u8>, String) {
    let out = std::process::Command::new(bin())
        .env("MARS_SNAPSHOT", store)
        .args([
            "serf",
            pier.to_str().unwrap(),
            "0:0:0:0",
            "128",
            "1000",
            "26",
            "0",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A pier with two saves (both jam slots written) and the snapshot files of `store`.
fn saved_pier(name: &str, store: &str) -> (PathBuf, Vec<PathBuf>) {
    let p = pier(name);
    let mut king = King::start(opts(&p, store, 26), Chatter::Collect).unwrap();
    boot_own(&mut king);
    king.save().unwrap();
    work_done(&mut king);
    assert!(king.shutdown().unwrap().success());
    drop(king);
    let files = if store == "jam" {
        vec![p.join(".urb/chk/mars-0.jam"), p.join(".urb/chk/mars-1.jam")]
    } else {
        vec![p.join(".urb/chk/mars/pma.img")]
    };
    for f in &files {
        assert!(f.exists(), "{}", f.display());
    }
    (p, files)
}

/// A truncated, garbage or unreadable snapshot at start: a precise error naming the file and exit 1 — never a
/// `%ripe` for a fresh serf at event 0, which would make the king replay the whole log into a new state.
#[test]
fn corrupt_or_unreadable_snapshot_at_start_is_a_precise_error() {
    for store in ["jam", "pma"] {
        for fault in ["truncated", "garbage", "directory", "unreadable"] {
            if fault == "unreadable" && unsafe { libc::geteuid() } == 0 {
                // root reads a mode-000 file anyway; the directory case covers a read error
                continue;
            }
            let (p, files) = saved_pier(&format!("bad-{store}-{fault}"), store);
            for f in &files {
                let len = std::fs::metadata(f).unwrap().len() as usize;
                match fault {
                    "truncated" => {
                        // A third of a jam slot; an arena image cut just past its two superblocks (0 and 16 KiB),
                        // so that the committed pages are gone.
                        let keep = if store == "jam" { len / 3 } else { 24 << 10 };
                        let b = std::fs::read(f).unwrap();
                        std::fs::write(f, &b[..keep]).unwrap();
                    }
                    "garbage" => {
                        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
                        let g: Vec<u8> = (0..len)
                            .map(|_| {
                                x ^= x << 13;
                                x ^= x >> 7;
                                x ^= x << 17;
                                x as u8
                            })
                            .collect();
                        std::fs::write(f, g).unwrap();
                    }
                    "directory" => {
                        std::fs::remove_file(f).unwrap();
                        std::fs::create_dir(f).unwrap();
                    }
                    _ => {
                        use std::os::unix::fs::PermissionsExt;
                        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o000))
                            .unwrap();
                    }
                }
            }
            let (code, stdout, stderr) = start_serf(&p, store);
            assert_eq!(code, Some(1), "{store} {fault}: {stderr:?}");
            assert!(
                stdout.is_empty(),
                "{store} {fault}: no %ripe over a bad snapshot"
            );
            assert!(
                stderr.starts_with("mars") && !stderr.contains("panic"),
                "{store} {fault}: {stderr:?}"
            );
            let named = files.iter().any(|f| {
                stderr.contains(f.to_str().unwrap())
                    || stderr.contains(f.parent().unwrap().to_str().unwrap())
            });
            assert!(
                named,
                "{store} {fault}: the error names the snapshot: {stderr:?}"
            );
            let _ = std::fs::remove_dir_all(&p);
        }
    }
}

/// The king closes the serf's stdin while a long `%work` runs: the serf finishes the event (here a loop stopped by
/// its `mil` timeout, then the crud path), then reads end of input and exits 1; the snapshot is intact.
#[test]
fn stdin_closed_during_a_long_work_exits_1_with_the_snapshot_intact() {
    let (p, _) = saved_pier("stdin-closed", "jam");
    let mut serf = mars::king::SerfProcess::spawn(&opts(&p, "jam", 26), Chatter::Collect).unwrap();
    let ripe = (serf.event, serf.mug);
    assert!(ripe.0 > 0);
    let mut h = mars::noun::HeapAlloc::new();
    let wire = T(&mut h, &[tas("mars"), tas("test"), D(0)]).unwrap();
    let job = T(&mut h, &[D(1 << 62), wire, tas("loop"), D(0)]).unwrap();
    let w = T(&mut h, &[tas("work"), D(1500), job]).unwrap();
    serf.send(w).unwrap();
    let t0 = std::time::Instant::now();
    // Closes stdin at once, then waits.
    let (status, stderr) = serf.wait_with_stderr().unwrap();
    assert_eq!(status.code(), Some(1), "{stderr:?}");
    assert!(stderr.contains("end of input"), "{stderr:?}");
    assert!(
        t0.elapsed() >= std::time::Duration::from_millis(1000),
        "the event ran to its timeout first"
    );
    let serf = mars::king::SerfProcess::spawn(&opts(&p, "jam", 26), Chatter::Collect).unwrap();
    assert_eq!((serf.event, serf.mug), ripe, "snapshot intact");
    serf.kill();
    let _ = std::fs::remove_dir_all(&p);
}

/// SIGPIPE is ignored: when the king's end of the serf's stdout is closed, the serf's next reply fails with `EPIPE`,
/// which it reports before exiting 1 — it is not killed by the signal.
#[test]
fn sigpipe_is_ignored_and_a_closed_stdout_exits_1() {
    use std::io::{Read, Write};
    let p = pier("sigpipe");
    let mut child = std::process::Command::new(bin())
        .env("MARS_SNAPSHOT", "jam")
        .args([
            "serf",
            p.to_str().unwrap(),
            "0:0:0:0",
            "128",
            "1000",
            "24",
            "0",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut ripe = [0u8; 5];
    stdout.read_exact(&mut ripe).unwrap();
    assert_eq!(ripe[0], 0, "a newt frame");
    drop(stdout);
    let mut h = mars::noun::HeapAlloc::new();
    let w = T(&mut h, &[tas("live"), tas("pack"), D(0)]).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(&mars::protocol::newt::frame(&mars::serial::jam_to_bytes(w)).unwrap())
        .unwrap();
    stdin.flush().unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(
        status.code(),
        Some(1),
        "not killed by SIGPIPE: {status} {stderr:?}"
    );
    assert!(stderr.contains("Broken pipe"), "{stderr:?}");
    let _ = std::fs::remove_dir_all(&p);
}
