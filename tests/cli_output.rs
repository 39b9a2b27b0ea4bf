//! End to end: what the noun tools print stays bounded, a malformed jam is an error, and a reader that goes away
//! (`| head -1`) ends any command quietly with status 0.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn mars() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mars"))
}

fn run(args: &[&str]) -> (i32, Vec<u8>, String) {
    let o = mars().args(args).output().expect("run mars");
    (
        o.status.code().unwrap_or(-1),
        o.stdout,
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Hex of the jam of a noun of 2^`depth` leaves that has `depth + 1` distinct subtrees.
fn shared_noun_hex(depth: usize) -> String {
    let mut h = mars::noun::HeapAlloc::new();
    let mut n = mars::noun::D(7);
    for _ in 0..depth {
        n = mars::noun::T(&mut h, &[n, n]).unwrap();
    }
    mars::serial::jam_to_bytes(n)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn cue_output_is_capped_with_a_pointer_to_summary() {
    let hex = shared_noun_hex(40);
    let t = Instant::now();
    let (code, out, err) = run(&["cue", "--hex", &hex]);
    assert!(t.elapsed() < Duration::from_secs(20));
    assert_eq!(code, 1, "{err}");
    assert!(out.len() <= (1 << 20) + 8, "{} bytes", out.len());
    assert!(out.ends_with(b"...\n"));
    assert!(
        err.contains("--summary") && err.contains("--max-bytes 0"),
        "{err}"
    );
    let (code, out, _) = run(&["cue", "--hex", &hex, "--max-bytes", "10"]);
    assert_eq!((code, out.as_slice()), (1, &b"[[[[[[[[[[...\n"[..]));
    let (code, out, _) = run(&["cue", "--hex", &hex, "--summary"]);
    assert_eq!(code, 0);
    assert!(String::from_utf8_lossy(&out).starts_with("cells 40 atoms 2 "));
    // Small nouns print whole, exit 0.
    assert_eq!(
        run(&["cue", "--hex", "3112"]),
        (0, b"[1 2]\n".to_vec(), String::new())
    );
}

#[test]
fn a_pill_prints_bounded() {
    let pill = mars::test_support::pills_dir().join("ivory.pill");
    if mars::test_support::read_shared(&pill).is_none() {
        return;
    }
    let t = Instant::now();
    let (code, out, err) = run(&["cue", pill.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(out.len() <= (1 << 20) + 8, "{} bytes", out.len());
    assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
}

#[test]
fn trailing_bytes_are_a_malformed_jam() {
    let tmp = tempfile::tempdir().unwrap();
    let text = tmp.path().join("passwd");
    std::fs::write(&text, b"root:x:0:0:root:/root:/bin/sh\n").unwrap();
    for args in [
        &["cue", "--hex", "3112ff"][..],
        &["cue", text.to_str().unwrap()][..],
        &["mug", "--hex", "3112ff"][..],
        &["jam", "--jam", text.to_str().unwrap()][..],
    ] {
        let (code, out, err) = run(args);
        assert_eq!((code, out.as_slice()), (2, &b""[..]), "{args:?}: {err}");
        assert!(err.contains("malformed jam"), "{args:?}: {err}");
    }
    // Zero bytes after the jam are the atom's padding, not trailing data.
    assert_eq!(run(&["cue", "--hex", "311200"]).1, b"[1 2]\n");
}

/// Spawn `args` with standard output's reader already gone; it must exit 0 without a message.
fn with_reader_gone(args: &[&str]) {
    let mut child = mars()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run mars");
    drop(child.stdout.take());
    let t = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            assert_eq!((status.code(), err.as_str()), (Some(0), ""), "{args:?}");
            return;
        }
        if t.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{args:?} kept running with its reader gone");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    // Gigabytes of output: only stopping at EPIPE ends it.
    with_reader_gone(&["cue", "--hex", &shared_noun_hex(40), "--max-bytes", "0"]);
    with_reader_gone(&["cue", "--hex", &shared_noun_hex(16)]);
    with_reader_gone(&["mug", "[1 2]"]);
    with_reader_gone(&["jam", "[1 2]"]);
    with_reader_gone(&["eval", "[1 2]", "[0 3]"]);
    let tmp = tempfile::tempdir().unwrap();
    let pier = tmp.path().join("pier");
    let p = pier.to_str().unwrap();
    let (code, _, err) = run(&["boot", "--pier", p]);
    assert_eq!(code, 0, "{err}");
    with_reader_gone(&["log", p]);
    with_reader_gone(&["pma", "inspect", p]);
    with_reader_gone(&["pma", "check", p]);
}
