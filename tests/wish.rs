//! End to end: `mars wish` on the ivory pill evaluates Hoon with the kernel's +wish, jets on, and slams gates.

use std::process::Command;

fn wish(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_mars"))
        .arg("wish")
        .args(args)
        .output()
        .expect("run mars");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).trim().to_string(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn ivory() -> Option<String> {
    let p = mars::test_support::pills_dir().join("ivory.pill");
    mars::test_support::read_shared(&p)?;
    Some(p.to_str().unwrap().to_string())
}

#[test]
fn evaluates_hoon_expressions() {
    let Some(pill) = ivory() else { return };
    let cases = [
        ("(add 2 2)", "4"),
        (
            "(mul 12.345.678.987 98.765.432.123)",
            "1219326320002895899401",
        ),
        (
            "(turn (gulf 1 10) |=(a=@ (mul a a)))",
            "[1 4 9 16 25 36 49 64 81 100 0]",
        ),
        (
            "(shax 'abc')",
            "78287233127892744762064256752147977895291281102938609026632374073081434896570",
        ),
        ("(jam [1 2 3])", "3426417"),
        ("(cue 0x1231)", "[1 2]"),
        ("(scot %p ~zod)", "1685027454"),
        ("(crip \"hello\")", "478560413032"),
        ("~(tap in (silt \"mississippi\"))", "[105 115 112 109 0]"),
        ("(mug [1 2])", "1781973465"),
    ];
    for (hoon, want) in cases {
        let (code, out, err) = wish(&["--pill", &pill, hoon]);
        assert_eq!((code, out.as_str()), (0, want), "{hoon}: {err}");
    }
}

#[test]
fn slams_gates_and_checks_jets() {
    let Some(pill) = ivory() else { return };
    let (code, out, err) = wish(&["--pill", &pill, "cut", "--slam", "[3 [1 2] 0x11.2233]"]);
    assert_eq!((code, out.as_str()), (0, "4386"), "{err}");
    // the same through jet checking: every jet call is compared with the kernel's own Nock
    let (code, out, err) = wish(&[
        "--pill",
        &pill,
        "--jet-check",
        "--stats",
        "(turn (gulf 1 20) |=(a=@ (add a (mul a a))))",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("[2 6 12 20"), "{out}");
    assert!(err.contains("0 mismatches"), "{err}");
}

/// `--batch`: one kernel load, one output line per non-blank input line, a bail is a line too (and exit status 1).
#[test]
fn batch_mode_prints_one_line_per_expression() {
    use std::io::Write;
    use std::process::Stdio;
    let Some(pill) = ivory() else { return };
    let run = |input: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mars"))
            .args(["wish", "--pill", &pill, "--batch", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run mars");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write");
        let o = child.wait_with_output().expect("wait");
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let (code, out) = run("(add 2 2)\n\n(mule |.((sub 0 1)))\n  \n(jam [1 2 3])\n");
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out,
        "4\n[1 [1717658988 115 117 98 116 114 97 99 116 45 117 110 100 101 114 102 108 111 119 0] 0]\n3426417\n"
    );
    let (code, out) = run("(add 1 1)\n?:(=(1 1) !! 5)\n(add 3 3)\n");
    assert_eq!((code, out.as_str()), (1, "2\nbail: %exit\n6\n"));
    // From a file too; a positional expression and --batch exclude each other.
    let file = std::env::temp_dir().join(format!("mars-wish-batch-{}.txt", std::process::id()));
    std::fs::write(&file, "(mul 6 7)\n").expect("write");
    let (code, out, err) = wish(&["--pill", &pill, "--batch", file.to_str().unwrap()]);
    std::fs::remove_file(&file).ok();
    assert_eq!((code, out.as_str()), (0, "42"), "{err}");
    let (code, _, err) = wish(&["--pill", &pill, "--batch", "-", "(add 2 2)"]);
    assert_eq!(code, 2, "{err}");
}

/// Hints Vere added since 1.16 (docs/interpreter.md): `%loop %jinx %spin %drop %meme` are computed (their clue) and
/// otherwise ignored, `%memo` with a cell clue (Vere's persistent and ford caches) memoises like any `%memo`; a
/// crashing clue crashes, as in Vere.
#[test]
fn newer_vere_hints_are_honoured_or_ignored() {
    let Some(pill) = ivory() else { return };
    let lines = [
        ("~>(%loop.[%foo 1] (add 2 2))", "4"),
        ("~>(%jinx.~s1 (add 2 2))", "4"),
        ("(mule |.(~>(%jinx.~s1 (add 2 2))))", "[0 4]"),
        ("~>(%spin.[%eyre ~] (add 2 2))", "4"),
        ("~>(%drop.~ (add 2 2))", "4"),
        ("~>(%meme.[0 leaf+\"m\"] (add 2 2))", "4"),
        ("~>(%meme (add 2 2))", "4"),
        ("~>(%memo.[%clay %ford ~] (mul 3 4))", "12"),
        (
            "=+  f=|=(a=@ ~>(%memo.[%clay %ford ~] (mul a a)))  [(f 3) (f 3) (f 4)]",
            "[9 9 16]",
        ),
        ("(mule |.(~>(%loop.!! 5)))", "[1 0]"),
    ];
    let file = std::env::temp_dir().join(format!("mars-wish-hints-{}.txt", std::process::id()));
    let input: String = lines.iter().map(|(e, _)| format!("{e}\n")).collect();
    std::fs::write(&file, input).expect("write");
    let (code, out, err) = wish(&["--pill", &pill, "--batch", file.to_str().unwrap()]);
    std::fs::remove_file(&file).ok();
    assert_eq!(code, 0, "{err}");
    let got: Vec<&str> = out.lines().collect();
    let want: Vec<&str> = lines.iter().map(|(_, w)| *w).collect();
    assert_eq!(got, want, "{err}");
}

#[test]
fn bad_hoon_bails() {
    let Some(pill) = ivory() else { return };
    let (code, _, err) = wish(&["--pill", &pill, "?:(=(1 1) !! 5)"]);
    assert_eq!(code, 1);
    assert!(err.ends_with("bail: %exit\n"), "{err}");
}

/// Huge atoms (docs/robustness.md): a product that cannot fit in memory bails with `%meme` at once, instead of
/// punting to Hoon that would grind through `bex`/`mul` for hours; huge widths with small products are computed.
#[test]
fn huge_atoms_bail_meme_fast() {
    let Some(pill) = ivory() else { return };
    let cases = [
        ("(met 0 (bex (bex 30)))", Ok("1073741825")),
        ("(bex (bex 64))", Err("%meme")),
        ("(bex (bex 40))", Err("%meme")),
        ("(lsh [0 (bex 60)] 1)", Err("%meme")),
        ("(cat 6 1 (bex (bex 36)))", Err("%meme")),
        ("(can 0 ~[[(bex 50) 1] [1 1]])", Err("%meme")),
        ("(mul (bex (bex 29)) (bex (bex 29)))", Err("%meme")),
        ("(end [0 (bex 60)] 42)", Ok("42")),
        ("(rsh [0 (bex 60)] 42)", Ok("0")),
        ("(rip [0 (bex 60)] 42)", Ok("[42 0]")),
    ];
    for (hoon, want) in cases {
        let t0 = std::time::Instant::now();
        let (code, out, err) = wish(&["--pill", &pill, hoon]);
        match want {
            Ok(v) => assert_eq!((code, out.as_str()), (0, v), "{hoon}: {err}"),
            Err(mote) => {
                assert_eq!(code, 1, "{hoon}: {out} {err}");
                assert!(err.ends_with(&format!("bail: {mote}\n")), "{hoon}: {err}");
            }
        }
        assert!(
            t0.elapsed().as_secs() < 30,
            "{hoon} took {:?}",
            t0.elapsed()
        );
    }
}

/// The parsing combinators and the `ut` memo jets: products equal to the kernel's own Nock (checking mode compares
/// every outermost combinator call), and each combinator jet actually ran.
#[test]
fn parser_jets_match_the_kernel() {
    let Some(pill) = ivory() else { return };
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "(scan \"a.b.c\" (more dot (stag %x alf)))",
            "[[120 97] [120 98] [120 99] 0]",
            &["qua/stag/fun", "qua/just/fun", "qua/plug", "qua/stir/fun"],
        ),
        (
            "(rash '0x1f' ;~(pfix (jest '0x') hex))",
            "31",
            &["qua/pfix", "qua/shim/fun", "qua/cook/fun"],
        ),
        (
            "(scan \"a,b\" ;~((glue com) alf alf))",
            "[97 98]",
            &["qua/glue/fun", "qua/pose"],
        ),
        (
            "(rush 'abc' (here |=([a=pint b=*] [a b]) sym))",
            "[0 [[1 1] 1 4] 6513249]",
            &["qua/here/fun", "ut/mint"],
        ),
    ];
    for (hoon, want, jets) in cases {
        let (code, out, err) = wish(&["--pill", &pill, "--jet-check", "--stats", hoon]);
        assert_eq!((code, out.as_str()), (0, *want), "{hoon}: {err}");
        assert!(err.contains(" 0 mismatches"), "{hoon}: {err}");
        for j in *jets {
            assert!(
                err.lines().any(|l| l.contains("jet ") && l.contains(j)),
                "{hoon}: jet {j} did not run: {err}"
            );
        }
    }
}

/// `mars wish` prints a failure as `urbit eval` prints a goof: the kernel's `+mook` rendering of the trace, each tank
/// through the kernel's `+wash`, then the mote; a parse error is the one line `syntax error at [LINE COL]`; never a raw
/// formula, and bounded.
#[test]
fn failures_print_rendered_traces() {
    let Some(pill) = ivory() else { return };
    let (code, out, err) = wish(&["--pill", &pill, "(add 2"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (1, "", "syntax error at [1 7]\nbail: %exit\n")
    );
    let (code, _, err) = wish(&["--pill", &pill, "(div 1 0)"]);
    assert_eq!((code, err.as_str()), (1, "divide-by-zero\nbail: %exit\n"));
    // With spot hints (`!:`) the source positions print as Hoon prints a spot.
    let (code, _, err) = wish(&["--pill", &pill, "!:  =/  a  0  (div 1 a)"]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "/:<[1 5].[1 24]>\n/:<[1 15].[1 24]>\ndivide-by-zero\nbail: %exit\n"
    );
    // A %mean of a whole vase and a deep recursion: rendered lines, bounded in number and width.
    for hoon in [
        "~_  (sell !>(..zuse))  !!",
        "!:  =/  n  3.000  |-  ?:  =(0 n)  !!  +($(n (dec n)))",
    ] {
        let (code, _, err) = wish(&["--pill", &pill, hoon]);
        assert_eq!(code, 1, "{hoon}");
        assert!(err.ends_with("bail: %exit\n"), "{hoon}: {err}");
        let lines: Vec<&str> = err.lines().collect();
        assert!(lines.len() <= 202, "{hoon}: {} lines", lines.len());
        assert!(
            lines.iter().all(|l| l.len() <= 4100),
            "{hoon}: a line of {} bytes",
            lines.iter().map(|l| l.len()).max().unwrap_or(0)
        );
        assert!(!err.contains("[8 [9 "), "{hoon}: a raw formula: {err}");
    }
}

/// `mars wish -` reads the expression from stdin (as `urbit eval` does), instead of evaluating the Hoon limb `-`.
#[test]
fn dash_reads_the_expression_from_stdin() {
    use std::io::Write;
    use std::process::Stdio;
    let Some(pill) = ivory() else { return };
    let mut child = Command::new(env!("CARGO_BIN_EXE_mars"))
        .args(["wish", "--pill", &pill, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run mars");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"(add 2 2)\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        (o.status.code(), String::from_utf8_lossy(&o.stdout).as_ref()),
        (Some(0), "4\n"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A product that prints huge (the wish subject itself, a whole kernel) is cut at `--max-bytes` (1 MiB by default),
/// with a note and exit status 1: a mistyped expression never prints gigabytes.
#[test]
fn huge_products_are_cut() {
    let Some(pill) = ivory() else { return };
    let o = Command::new(env!("CARGO_BIN_EXE_mars"))
        .args(["wish", "--pill", &pill, "."])
        .output()
        .expect("run mars");
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.len() <= (1 << 20) + 8, "{} bytes", o.stdout.len());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--max-bytes 0"));
    let (code, out, _) = wish(&["--pill", &pill, ".", "--max-bytes", "8"]);
    assert_eq!((code, out.len()), (1, 11), "{out}");
    let (code, out, _) = wish(&["--pill", &pill, "(add 2 2)", "--max-bytes", "8"]);
    assert_eq!((code, out.as_str()), (0, "4"));
}
