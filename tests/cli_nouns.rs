//! End-to-end tests of `mars mug`, `mars jam` and `mars cue`: they run the built binary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The outcome of one run of the binary.
struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

fn run_with_stdin(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mars"));
    cmd.args(args)
        // a panic would print a backtrace with this set; user input must never cause one
        .env("RUST_BACKTRACE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let mut child = cmd.spawn().expect("spawn mars");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        pipe.write_all(input).expect("write stdin");
    }
    let out: Output = child.wait_with_output().expect("wait for mars");
    Run {
        status: out.status.code().expect("mars exited by a signal"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn run(args: &[&str]) -> Run {
    run_with_stdin(args, None)
}

/// Runs that must succeed with exactly one line on stdout; returns that line.
fn ok(args: &[&str]) -> String {
    ok_with_stdin(args, None)
}

fn ok_with_stdin(args: &[&str], stdin: Option<&[u8]>) -> String {
    let r = run_with_stdin(args, stdin);
    assert_eq!(r.status, 0, "mars {args:?} failed: {}", r.stderr);
    assert!(r.stdout.ends_with('\n'), "mars {args:?}: no final newline");
    let line = r.stdout.trim_end_matches('\n');
    assert!(!line.contains('\n'), "mars {args:?}: more than one line");
    line.to_string()
}

/// Runs that must fail as bad input: status 2, a message on stderr, nothing on stdout, no panic.
fn bad(args: &[&str], stdin: Option<&[u8]>) -> String {
    let r = run_with_stdin(args, stdin);
    assert_eq!(
        r.status, 2,
        "mars {args:?}: status {} ({})",
        r.status, r.stderr
    );
    assert!(!r.stderr.trim().is_empty(), "mars {args:?}: no message");
    assert!(r.stdout.is_empty(), "mars {args:?}: printed {:?}", r.stdout);
    for sign in ["panicked", "backtrace", "RUST_BACKTRACE"] {
        assert!(!r.stderr.contains(sign), "mars {args:?}: {}", r.stderr);
    }
    r.stderr
}

/// A scratch file that is removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> TempFile {
        let path = std::env::temp_dir().join(format!("mars-cli-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).expect("write temp file");
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}

fn require_pills() -> bool {
    std::env::var("MARS_REQUIRE_PILLS").as_deref() == Ok("1")
}

/// A file the test needs from shared/: `None` (with a printed reason) if it is absent, unless
/// `MARS_REQUIRE_PILLS=1`, in which case its absence fails the test.
fn needed(path: &Path) -> Option<PathBuf> {
    if path.exists() {
        return Some(path.to_path_buf());
    }
    assert!(
        !require_pills(),
        "MARS_REQUIRE_PILLS=1 but {} is absent",
        path.display()
    );
    println!("skipped: {} is absent", path.display());
    None
}

fn pills_dir() -> PathBuf {
    std::env::var_os("MARS_PILLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/pills"))
}

fn shared_dir() -> PathBuf {
    std::env::var_os("MARS_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

// ---------------------------------------------------------------------------------------------------------------

#[test]
fn mug_prints_protocol_vectors_in_decimal() {
    let cases = [
        ("0", 0x79ff04e8u32),
        ("97", 0x36b6f52a),
        ("'a'", 0x36b6f52a),
        ("1", 1_901_865_568),
        ("2", 0x718b9468),
        ("[1 2]", 0x6a36c1d9),
        ("[0 0]", 0x192f5588),
        ("[~ ~]", 0x192f5588),
        ("[%live ~]", 0x6c732703),
        ("10.000", 795_713_195),
        ("10001", 420_521_697),
        ("[~ 10]", 750_200_080),
        ("[1 2 3 4 5 ~]", 1_565_443_491),
        ("[1 [2 [3 [4 [5 0]]]]]", 1_565_443_491),
    ];
    for (noun, want) in cases {
        assert_eq!(ok(&["mug", noun]), want.to_string(), "mug {noun}");
    }
}

#[test]
fn mug_reads_every_input_form() {
    let want = ok(&["mug", "[1 2]"]);
    assert_eq!(ok(&["mug", "--hex", "3112"]), want);
    assert_eq!(ok(&["mug", "--hex", "0x3112"]), want);
    assert_eq!(ok_with_stdin(&["mug", "-"], Some(b"  [1\n 2]\n")), want);
    let f = TempFile::new("mug.jam", &[0x31, 0x12]);
    assert_eq!(ok(&["mug", "--jam", f.path()]), want);
}

#[test]
fn jam_prints_protocol_vectors_as_hex_bytes() {
    let cases = [
        ("0", "02"),
        ("1", "0c"),
        ("19", "b009"),
        ("[1 2]", "3112"),
        ("[[1 2] [1 2]]", "c5c849"),
        ("[12.345 12.345]", "81ce812701"),
        ("[%live ~]", "019f2dcdae2c"),
        ("['live' 0]", "019f2dcdae2c"),
        ("[0x6576.696c %.y]", "019f2dcdae2c"),
        (
            "[%play %done 0x123.4567]",
            "011f8e2d2c1ff0c9dedccac03c2b1a09",
        ),
        ("[%peek %done ~]", "011faeac6c1df0c9dedcca02"),
        (
            "[%work %bail [[%evil ~] ~]]",
            "01ffee4d6e1df0c5c2d2d805fc32bb34b602",
        ),
    ];
    for (noun, want) in cases {
        assert_eq!(ok(&["jam", noun]), want, "jam {noun}");
    }
}

#[test]
fn jam_reads_every_input_form() {
    assert_eq!(ok(&["jam", "--hex", "c5c849"]), "c5c849");
    assert_eq!(
        ok_with_stdin(&["jam", "-"], Some(b"[12345 12345]")),
        "81ce812701"
    );
    let f = TempFile::new("jam.jam", &unhex("019f2dcdae2c"));
    assert_eq!(ok(&["jam", "--jam", f.path()]), "019f2dcdae2c");
    // trailing zero bytes in a jam file do not change the atom
    let g = TempFile::new("padded.jam", &unhex("3112000000"));
    assert_eq!(ok(&["jam", "--jam", g.path()]), "3112");
}

#[test]
fn big_atoms_round_trip_through_text_and_jam() {
    let big = "340282366920938463463374607431768211457"; // 2^128 + 1
    let j = ok(&["jam", big]);
    assert_eq!(ok(&["cue", "--hex", &j]), big);
    assert_eq!(
        ok(&["jam", "0x1.0000.0000.0000.0000.0000.0000.0000.0001"]),
        j
    );
    assert_eq!(ok(&["mug", big]), ok(&["mug", "--hex", &j]));
    // the largest direct atom and the smallest indirect one
    for v in [
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551615",
    ] {
        assert_eq!(ok(&["cue", "--hex", &ok(&["jam", v])]), v);
    }
}

#[test]
fn cue_prints_canonical_text() {
    assert_eq!(ok(&["cue", "--hex", "3112"]), "[1 2]");
    assert_eq!(ok(&["cue", "--hex", "c5c849"]), "[[1 2] 1 2]");
    assert_eq!(ok(&["cue", "--hex", "019f2dcdae2c"]), "[1702259052 0]");
    let j = ok(&["jam", "[[1 2] 3 [4 5] ~]"]);
    assert_eq!(ok(&["cue", "--hex", &j]), "[[1 2] 3 [4 5] 0]");
}

#[test]
fn cue_reads_a_file_stdin_and_hex() {
    let bytes = unhex("81ce812701");
    let f = TempFile::new("cue.jam", &bytes);
    assert_eq!(ok(&["cue", f.path()]), "[12345 12345]");
    assert_eq!(ok_with_stdin(&["cue", "-"], Some(&bytes)), "[12345 12345]");
    assert_eq!(ok(&["cue", "--hex", "81ce812701"]), "[12345 12345]");
}

#[test]
fn cue_summary_counts_distinct_cells() {
    let line = ok(&["cue", "--hex", "c5c849", "--summary"]);
    // [[1 2] [1 2]] shares its inner cell: 2 cells, 2 atom occurrences, 3 bytes
    let mug: u32 = ok(&["mug", "[[1 2] 1 2]"]).parse().unwrap();
    assert_eq!(line, format!("cells 2 atoms 2 bytes 3 mug 0x{mug:08x}"));
    let f = TempFile::new("summary.jam", &unhex("3112"));
    let mug: u32 = ok(&["mug", "[1 2]"]).parse().unwrap();
    assert_eq!(
        ok(&["cue", f.path(), "--summary"]),
        format!("cells 1 atoms 2 bytes 2 mug 0x{mug:08x}")
    );
}

#[test]
fn bad_input_exits_2_with_a_message_and_no_panic() {
    let missing = std::env::temp_dir().join("mars-cli-no-such-file.jam");
    let missing = missing.to_str().unwrap();
    let garbage = TempFile::new("garbage.jam", &[0x03]);
    let empty = TempFile::new("empty.jam", &[]);
    // (arguments, standard input, what the message must mention)
    type Case<'a> = (Vec<&'a str>, Option<&'a [u8]>, &'a str);
    let cases: Vec<Case> = vec![
        (vec![], None, "Usage"),
        (vec!["frobnicate"], None, "frobnicate"),
        (vec!["mug"], None, "give a noun"),
        (vec!["jam"], None, "give a noun"),
        (vec!["cue"], None, "FILE"),
        (vec!["mug", "[1"], None, "unclosed"),
        (vec!["mug", "[]"], None, "empty brackets"),
        (vec!["mug", "1.00"], None, "digit groups"),
        (vec!["mug", "%Foo"], None, "term"),
        (vec!["jam", "'open"], None, "unterminated"),
        (vec!["jam", "1 2"], None, "after the noun"),
        (vec!["mug", "1", "2"], None, "unexpected argument"),
        (vec!["mug", "-"], Some(b"[1 2"), "unclosed"),
        (vec!["mug", "-"], Some(&[0xff, 0xfe]), "stdin"),
        (vec!["mug", "--hex", "123"], None, "even"),
        (vec!["mug", "--hex", "zz"], None, "bad hex"),
        (vec!["mug", "--hex", "3112", "5"], None, "cannot be used"),
        (vec!["jam", "--jam", missing], None, missing),
        (vec!["jam", "--jam", garbage.path()], None, "malformed jam"),
        (vec!["cue", missing], None, missing),
        (vec!["cue", garbage.path()], None, "malformed jam"),
        (vec!["cue", empty.path()], None, "malformed jam"),
        (vec!["cue", "--hex", "00"], None, "malformed jam"),
        (vec!["cue", "--hex", "03"], None, "length prefix"),
        (vec!["cue", "--hex", "07"], None, "back-reference"),
        (vec!["cue", "-"], Some(&[0x01]), "malformed jam"),
        (
            vec!["cue", "--hex", "3112", "x.jam"],
            None,
            "cannot be used",
        ),
    ];
    for (args, stdin, says) in cases {
        let err = bad(&args, stdin);
        assert!(
            err.contains(says),
            "mars {args:?} said {err:?}, not {says:?}"
        );
    }
}

#[test]
fn help_and_version_exit_0() {
    for args in [&["--help"][..], &["--version"], &["cue", "--help"]] {
        let r = run(args);
        assert_eq!(r.status, 0, "mars {args:?}");
        assert!(!r.stdout.is_empty());
    }
}

#[test]
fn cue_summary_of_pills() {
    for name in ["brass.pill", "ivory.pill"] {
        let Some(path) = needed(&pills_dir().join(name)) else {
            continue;
        };
        let path = path.to_str().unwrap();
        let size = std::fs::metadata(path).unwrap().len();
        let line = ok(&["cue", path, "--summary"]);
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields.len(), 8, "{line}");
        assert_eq!(
            (fields[0], fields[2], fields[4], fields[6]),
            ("cells", "atoms", "bytes", "mug")
        );
        let cells: u64 = fields[1].parse().unwrap();
        let atoms: u64 = fields[3].parse().unwrap();
        assert!(cells > 100_000 && atoms > 50_000, "{name}: {line}");
        assert_eq!(fields[5], size.to_string());
        let mug: u32 = ok(&["mug", "--jam", path]).parse().unwrap();
        assert_eq!(fields[7], format!("0x{mug:08x}"), "{name}");
    }
}

#[test]
fn shared_jams_round_trip_through_cue_and_jam() {
    let Some(dir) = needed(&shared_dir().join("jam")) else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jam"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .jam files in {}", dir.display());
    for f in files {
        let path = f.to_str().unwrap();
        let mut bytes = std::fs::read(&f).unwrap();
        while bytes.last() == Some(&0) {
            bytes.pop();
        }
        let text = ok(&["cue", path]);
        let again = ok_with_stdin(&["jam", "-"], Some(text.as_bytes()));
        assert_eq!(again, hex(&bytes), "{path}");
        assert_eq!(ok(&["jam", "--jam", path]), hex(&bytes), "{path}");
    }
}
