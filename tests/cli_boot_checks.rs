//! End to end: `mars boot` and `mars bench serf` check what they are given before spawning a serf, leave no
//! temporary pier behind, and do not boot a pill over a pier that already holds a ship.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn mars(tmp: &Path, args: &[&str]) -> (i32, String, Duration) {
    let t = Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_mars"))
        .args(args)
        .env("TMPDIR", tmp)
        .output()
        .expect("run mars");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        t.elapsed(),
    )
}

/// A pill whose boot formula crashes: `[%pill %bad [[0 0] ~] ~ ~]`.
fn failing_pill(dir: &Path) -> String {
    let mut h = mars::noun::HeapAlloc::new();
    let n = mars::text::parse_noun(&mut h, "[%pill %bad [[0 0] 0] 0 0]").unwrap();
    let path = dir.join("bad.pill");
    std::fs::write(&path, mars::serial::jam_to_bytes(n)).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn bad_options_are_refused_before_a_serf_is_spawned() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let events = t.join("events.txt");
    std::fs::write(&events, "[[%mars ~] %crash ~]\n[1 2\n").unwrap();
    let not_a_pill = t.join("not-a.pill");
    std::fs::write(&not_a_pill, b"root:x:0:0:root:/root:/bin/sh\n").unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["boot", "--events", "/nonexistent"],
            "--events /nonexistent",
        ),
        (&["boot", "--events", events.to_str().unwrap()], ":2: "),
        (&["boot", "--peek", "zz"], "--peek zz"),
        (&["boot", "--ship", "~nec"], "--ship"),
        (&["boot", "--loom", "99"], "--loom 99"),
        (&["boot", "/nonexistent.pill"], "/nonexistent.pill"),
        (&["boot", not_a_pill.to_str().unwrap()], "not-a.pill"),
    ];
    for (args, want) in cases {
        let (code, err, took) = mars(t, args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("spawn:"), "{args:?} spawned a serf: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(took < Duration::from_secs(10), "{args:?} took {took:?}");
    }
    assert_eq!(
        std::fs::read_dir(t).unwrap().count(),
        2,
        "left behind files"
    );
}

#[test]
fn the_temporary_pier_is_removed_on_success_and_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("tmp");
    std::fs::create_dir(&work).unwrap();
    let (code, err, _) = mars(&work, &["boot"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("exit: saved"), "{err}");
    let pill = failing_pill(tmp.path());
    let (code, err, _) = mars(&work, &["boot", &pill]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("boot failed"), "{err}");
    // The same through the P2 serf.
    let (code, err, _) = mars(&work, &["boot", "--protocol", "2"]);
    assert_eq!(code, 0, "{err}");
    let left: Vec<_> = std::fs::read_dir(&work).unwrap().flatten().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_pill_over_an_existing_pier_needs_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let pier = tmp.path().join("pier");
    let p = pier.to_str().unwrap();
    let (code, err, _) = mars(tmp.path(), &["boot", "--pier", p]);
    assert_eq!(code, 0, "{err}");
    let pill = failing_pill(tmp.path());
    let (code, err, _) = mars(tmp.path(), &["boot", &pill, "--pier", p]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("already holds a ship") && err.contains("--resume"),
        "{err}"
    );
    assert!(!err.contains("spawn:"), "{err}");
    // Without a pill, or with --resume, the ship continues.
    let (code, err, _) = mars(tmp.path(), &["boot", &pill, "--pier", p, "--resume"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("replay: at event"), "{err}");
    let (code, err, _) = mars(tmp.path(), &["boot", "--pier", p]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn bench_with_nothing_to_time_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        &["bench", "serf", "--events", "0"][..],
        &["bench", "serf", "--depth", "0"][..],
    ] {
        let (code, err, _) = mars(tmp.path(), args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.starts_with("mars: --"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// toddler.pill registers dozens of cores whose parent its kernel never registers: the serf says so once (each only
/// under its verbose flag), not once per core.
#[test]
fn unregistered_jet_parents_are_reported_once() {
    let pill = mars::test_support::pills_dir().join("toddler.pill");
    if mars::test_support::read_shared(&pill).is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (code, err, _) = mars(tmp.path(), &["boot", pill.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let jets: Vec<&str> = err.lines().filter(|l| l.starts_with("jets:")).collect();
    assert_eq!(jets.len(), 2, "{jets:#?}");
    assert!(
        jets[0].contains("parent") && jets[0].contains("not found"),
        "{jets:?}"
    );
    assert!(jets[1].contains("verbose flag"), "{jets:?}");
}

/// A failed event's goofs print as the king prints them: the mote, then each goof's rendered tang (the own pill's
/// stand-in `+mook` renders every trace as one leaf); a `%slog` prints its rendered tank.
#[test]
fn failed_events_print_their_rendered_tangs() {
    let tmp = tempfile::tempdir().unwrap();
    let events = tmp.path().join("events.txt");
    std::fs::write(&events, "[[%mars ~] %bail ~]\n[[%mars ~] %slog ~]\n").unwrap();
    let (code, err, _) = mars(tmp.path(), &["boot", "--events", events.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let at = err.find("event: bail %exit %exit").expect("the bail line");
    let after: Vec<&str> = err[at..].lines().skip(1).take(3).collect();
    assert_eq!(
        after,
        [
            "  mars-test: mook",
            "  mars-test: mook",
            "[slog 0] mars-test: slog"
        ]
    );
}

/// Ctrl-C during a long event (SIGINT to the process group, as a terminal sends it): the serf turns it into `%intr`,
/// `mars boot` stops before the next event, and the temporary pier is gone.
#[test]
fn an_interrupted_boot_leaves_nothing_behind() {
    use std::os::unix::process::CommandExt;
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("tmp");
    std::fs::create_dir(&work).unwrap();
    let events = tmp.path().join("events.txt");
    std::fs::write(&events, "[[%mars ~] %loop ~]\n[[%mars ~] %noop ~]\n").unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_mars"))
        .args(["boot", "--events", events.to_str().unwrap()])
        .env("TMPDIR", &work)
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    // The pier exists once the serf is spawned; give the boot and the start events time to finish.
    let t = Instant::now();
    while std::fs::read_dir(&work).unwrap().count() == 0 {
        assert!(t.elapsed() < Duration::from_secs(30), "no pier appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_secs(2));
    let pgid = child.id() as i32;
    // SAFETY: kill(2) with a negative pid signals the process group of the child spawned above.
    assert_eq!(unsafe { libc::kill(-pgid, libc::SIGINT) }, 0);
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("mars: interrupted"), "{err}");
    let left: Vec<_> = std::fs::read_dir(&work).unwrap().flatten().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
