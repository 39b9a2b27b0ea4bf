//! End to end: `mars log` on Vere's reference event log.

use std::process::Command;

#[test]
fn lists_the_vere_fixture() {
    let Some(pier) = mars::test_support::vere_zod_fixture() else {
        return;
    };
    let out = Command::new(env!("CARGO_BIN_EXE_mars"))
        .arg("log")
        .arg(&pier)
        .output()
        .expect("run mars");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("version 1 who 0 fake yes life 5 events 1..25"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 26);
    assert!(lines[1].contains("boot: formula/noun"));
    assert!(lines[6].contains("//arvo %wyrd"));
    assert!(lines[12].contains("/d/term/1 %boot"));
    assert!(lines[14].contains("mug 3dfe1ece"));
    assert!(
        lines[25].contains("mug 3df8a533") && lines[25].contains("/e/http-server/0v9.nsip2 %live")
    );
    let mugs = std::fs::read_to_string(pier.join("mugs.txt")).unwrap();
    for (line, want) in lines[1..].iter().zip(mugs.lines()) {
        let mut parts = want.split_whitespace();
        let (n, mug) = (parts.next().unwrap(), parts.next().unwrap());
        assert!(line.trim_start().starts_with(n), "{line}");
        assert!(line.contains(&format!("mug {mug}")), "{line} vs {want}");
    }
    // a range
    let out = Command::new(env!("CARGO_BIN_EXE_mars"))
        .args(["log", pier.to_str().unwrap(), "--from", "14", "--to", "15"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
}

#[test]
fn missing_log_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mars"))
        .arg("log")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(".urb/log"), "{err}");
}
