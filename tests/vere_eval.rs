//! End to end: every expression of `shared/fixtures/vere-eval/vere-eval.tsv` evaluated by `mars wish --batch` on the
//! ivory pill gives the atom Vere 1.16's `urbit eval` printed for `(jam EXPR)`: mars's products, crash traces
//! included, are Vere's (docs/jets.md lists where that means following Vere rather than the Hoon).
//!
//! One `mars wish` process evaluates all of them (the kernel is loaded once). Without the fixture or the pill the test
//! says so and passes, unless `MARS_REQUIRE_PILLS=1`.

use std::io::Write;
use std::process::{Command, Stdio};

#[test]
fn mars_wish_agrees_with_vere_on_every_fixture_expression() {
    let shared = mars::test_support::shared_dir();
    let Some(tsv) =
        mars::test_support::read_shared(&shared.join("fixtures/vere-eval/vere-eval.tsv"))
    else {
        return;
    };
    let pill = mars::test_support::pills_dir().join("ivory.pill");
    if mars::test_support::read_shared(&pill).is_none() {
        return;
    }
    let tsv = String::from_utf8(tsv).expect("the fixture is UTF-8");
    let cases: Vec<(&str, &str)> = tsv
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split_once('\t').expect("EXPR<TAB>ATOM"))
        .collect();
    assert!(cases.len() >= 600, "{} cases", cases.len());
    let input: String = cases.iter().map(|(e, _)| format!("(jam {e})\n")).collect();

    let mut child = Command::new(env!("CARGO_BIN_EXE_mars"))
        .args([
            "wish",
            "--pill",
            pill.to_str().expect("path"),
            "--batch",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run mars wish");
    // Written from a thread: the output pipe could fill while stdin is still being written.
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("mars wish finishes");
    writer.join().expect("writer").expect("write stdin");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let got: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        got.len(),
        cases.len(),
        "one output line per expression; stderr: {stderr}"
    );

    let failures: Vec<String> = cases
        .iter()
        .zip(&got)
        .filter(|((_, want), got)| want.trim() != got.trim())
        .map(|((expr, want), got)| format!("{expr}\n  vere {want}\n  mars {got}"))
        .collect();
    eprintln!(
        "vere-eval: {} of {} expressions agree",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} expressions differ from Vere:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
}
