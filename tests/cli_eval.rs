//! End to end: `mars eval` through the real binary.

use std::process::{Command, Stdio};
use std::time::Duration;

fn mars() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mars"))
}

fn eval(args: &[&str]) -> (i32, String, String) {
    let out = mars().arg("eval").args(args).output().expect("run mars");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn products_print_canonically() {
    assert_eq!(
        eval(&["[1 2 3]", "[0 3]"]),
        (0, "[2 3]\n".into(), String::new())
    );
    assert_eq!(
        eval(&["42", "[[4 0 1] [1 %foo] 0 1]"]).1,
        format!("[43 {} 42]\n", u64::from_le_bytes(*b"foo\0\0\0\0\0"))
    );
}

#[test]
fn crashes_report_mote_and_trace() {
    // As Vere prints a goof: the trace, outermost first, then the mote.
    let (code, out, err) = eval(&["0", "[11 [%spot 1 [1 2] 3] 0 2]"]);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert_eq!(err, "%spot [[1 2] 3]\nbail: %exit\n");
    // A spot as Hoon prints one, a %mean tank as its text, and a %mean trap run and its tank rendered.
    let spot = "[11 [%spot 1 [%eval 0] [1 1] 1 9] 0 2]";
    let (code, _, err) = eval(&["0", spot]);
    assert_eq!(
        (code, err.as_str()),
        (1, "/eval:<[1 1].[1 9]>\nbail: %exit\n")
    );
    let nested = "[11 [%spot 1 [%eval 0] [1 1] 1 9] 11 [%mean 1 %leaf 104 105 0] 0 2]";
    let (_, _, err) = eval(&["0", nested]);
    assert_eq!(err, "/eval:<[1 1].[1 9]>\nhi\nbail: %exit\n");
    let trap = "[11 [%mean [1 [1 %leaf 104 111 0] 0]] 0 2]";
    let (_, _, err) = eval(&["0", trap]);
    assert_eq!(err, "ho\nbail: %exit\n");
}

/// A trace thousands of entries deep prints at most a bounded number of lines.
#[test]
fn deep_traces_are_bounded() {
    // A crash under 1,000 nested %mean hints.
    let mut fol = String::from("[0 2]");
    for _ in 0..1000 {
        fol = format!("[11 [%mean 1 %leaf 104 105 0] {fol}]");
    }
    let (code, _, err) = eval(&["0", &fol]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines.len() <= 201, "{} lines", lines.len());
    assert_eq!(lines.last(), Some(&"bail: %exit"));
    assert!(lines.iter().any(|l| l.contains("more lines")), "{err}");
}

#[test]
fn bad_input_is_a_usage_error() {
    let (code, _, err) = eval(&["[1 2", "[0 1]"]);
    assert_eq!(code, 2);
    assert!(err.contains("bad noun"), "{err}");
    assert!(!err.contains("panicked"));
    let (code, _, err) = eval(&["--jam", "/nonexistent/file.jam"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/file.jam"));
}

#[test]
fn jam_files_from_shared() {
    let dir = mars::test_support::shared_dir().join("jam");
    if mars::test_support::read_shared(&dir.join("decrement.jam")).is_none() {
        return;
    }
    let path = dir.join("decrement.jam");
    let (code, out, err) = eval(&["--stats", "--jam", path.to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (0, "9999\n"), "{err}");
    assert!(err.starts_with("ops "), "{err}");
}

#[test]
fn sigint_mid_loop_gives_intr() {
    // an infinite tail loop: [[9 2 0 1] 0] with formula [9 2 0 1]
    let child = mars()
        .args(["eval", "[[9 2 0 1] 0]", "[9 2 0 1]"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().next(), Some("bail: %intr"));
}

/// A product is printed at most `--max-bytes` long (1 MiB by default); a cut product ends in `...`, exit status 1.
#[test]
fn huge_products_are_cut() {
    // [1 1] doubled 40 times over by Nock 8 pushes and cell construction: 2^40 leaves, a few cells.
    let mut fol = String::from("[1 1]");
    for _ in 0..40 {
        fol = format!("[8 {fol} [0 2] 0 2]");
    }
    let o = mars().args(["eval", "0", &fol]).output().expect("run mars");
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.len() <= (1 << 20) + 8, "{} bytes", o.stdout.len());
    assert!(o.stdout.ends_with(b"...\n"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--max-bytes 0"));
    assert_eq!(
        eval(&["[1 2]", "[0 1]", "--max-bytes", "5"]),
        (0, "[1 2]\n".into(), String::new())
    );
}
