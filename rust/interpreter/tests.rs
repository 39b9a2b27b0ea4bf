use super::*;
use crate::noun::{list_iter, T};
use crate::text::{parse_noun, Print};
use std::cell::RefCell;
use std::rc::Rc;

fn ctx() -> Context {
    Context::new(NockStack::new(256 << 20).unwrap(), 1000)
}

fn parse(ctx: &mut Context, s: &str) -> Noun {
    parse_noun(&mut ctx.stack, s).unwrap()
}

/// Evaluate noun texts; the product as canonical text, or the mote.
fn run_in(ctx: &mut Context, sub: &str, fol: &str) -> Result<String, Mote> {
    let s = parse(ctx, sub);
    let f = parse(ctx, fol);
    nock(ctx, s, f)
        .map(|p| format!("{}", Print(p)))
        .map_err(|e| e.mote)
}

fn run(sub: &str, fol: &str) -> Result<String, Mote> {
    run_in(&mut ctx(), sub, fol)
}

fn ok(sub: &str, fol: &str, want: &str) {
    assert_eq!(run(sub, fol), Ok(want.to_string()), "*[{sub} {fol}]");
}

fn crash(sub: &str, fol: &str) {
    assert_eq!(
        run(sub, fol),
        Err(Mote::Exit),
        "*[{sub} {fol}] should crash"
    );
}

#[test]
fn op0_slot() {
    ok("[[4 5] 6 14 15]", "[0 1]", "[[4 5] 6 14 15]");
    ok("[[4 5] 6 14 15]", "[0 2]", "[4 5]");
    ok("[[4 5] 6 14 15]", "[0 7]", "[14 15]");
    ok("[[4 5] 6 14 15]", "[0 14]", "14");
    crash("[1 2]", "[0 0]");
    crash("[1 2]", "[0 4]");
    crash("[1 2]", "[0 [1 1]]");
    crash("7", "[0 2]");
    // a huge axis into a small noun
    crash("[1 2]", "[0 0x1.0000.0000.0000.0000.0000]");
}

#[test]
fn op1_to_op4() {
    ok("42", "[1 [1 2]]", "[1 2]");
    ok("[1 2]", "[2 [0 1] [1 0 3]]", "2");
    ok("0", "[3 [1 1]]", "1");
    ok("0", "[3 [1 [1 1]]]", "0");
    ok("41", "[4 0 1]", "42");
    ok("0", "[4 1 0x7fff.ffff.ffff.ffff]", "9223372036854775808");
    ok("0", "[4 1 0xffff.ffff.ffff.ffff]", "18446744073709551616");
    crash("[1 2]", "[4 0 1]");
    crash("0", "[2 [1 0] 1 [0 0]]");
}

#[test]
fn op5_equality() {
    ok("[1 1]", "[5 [0 2] 0 3]", "0");
    ok("[1 2]", "[5 [0 2] 0 3]", "1");
    ok("[[1 2] [1 2]]", "[5 [0 2] 0 3]", "0");
    ok("[[1 2] [1 3]]", "[5 [0 2] 0 3]", "1");
    ok(
        "0",
        "[5 [1 0x1.0000.0000.0000.0000] 1 0x1.0000.0000.0000.0000]",
        "0",
    );
}

#[test]
fn op6_branch() {
    ok("0", "[6 [1 0] [1 11] 1 22]", "11");
    ok("0", "[6 [1 1] [1 11] 1 22]", "22");
    crash("0", "[6 [1 2] [1 11] 1 22]");
    crash("0", "[6 [1 [0 0]] [1 11] 1 22]");
    // the branch not taken is never evaluated
    ok("0", "[6 [1 0] [1 11] 0 0]", "11");
}

#[test]
fn op7_to_op10() {
    ok("42", "[7 [4 0 1] 4 0 1]", "44");
    ok("42", "[8 [4 0 1] 0 1]", "[43 42]");
    // a core [battery payload] whose arm at axis 2 is [0 3]
    ok("[[0 3] 99]", "[9 2 0 1]", "99");
    crash("[[0 3] 99]", "[9 [1 1] 0 1]");
    ok("[1 2 3]", "[10 [2 1 7] 0 1]", "[7 2 3]");
    ok("[1 2 3]", "[10 [7 1 9] 0 1]", "[1 2 9]");
    ok("[1 2 3]", "[10 [1 1 9] 0 1]", "9");
    crash("[1 2 3]", "[10 [0 1 9] 0 1]");
    crash("[1 2 3]", "[10 [12 1 9] 0 1]");
    crash("5", "[10 [2 1 9] 0 1]");
}

#[test]
fn op11_hints_and_autocons() {
    ok("[1 2]", "[[0 3] 0 2]", "[2 1]");
    ok("7", "[11 1 4 0 1]", "8");
    ok("7", "[11 [1 1 0] 4 0 1]", "8");
    // a crashing dynamic clue crashes the whole expression
    crash("7", "[11 [1 0 0] 4 0 1]");
    crash("0", "[13 0 1]");
    crash("0", "[0 0 1]");
    crash("0", "5");
    crash("0", "[[0 1] 5]");
}

#[test]
fn memo_caches_products() {
    let mut c = ctx();
    // ~+ on an increment: the second evaluation of the same [subject formula] is a hit
    let fol = "[11 [%memo 1 0] 4 0 1]";
    assert_eq!(run_in(&mut c, "41", fol), Ok("42".into()));
    assert_eq!(run_in(&mut c, "41", fol), Ok("42".into()));
    assert_eq!(c.cache.hits, 1);
    assert_eq!(c.cache.len(), 1);
    assert_eq!(run_in(&mut c, "1", fol), Ok("2".into()));
    assert_eq!(c.cache.len(), 2);
}

struct Capture(Rc<RefCell<Vec<(u64, String)>>>);

impl SlogSink for Capture {
    fn slog(&mut self, _stack: &mut NockStack, pri: u64, tank: Noun) {
        self.0.borrow_mut().push((pri, format!("{}", Print(tank))));
    }
}

#[test]
fn slog_hands_the_clue_to_the_sink() {
    let mut c = ctx();
    let got = Rc::new(RefCell::new(Vec::new()));
    c.slog = Box::new(Capture(got.clone()));
    assert_eq!(
        run_in(&mut c, "5", "[11 [%slog 1 2 %leaf 104 105 0] 4 0 1]"),
        Ok("6".into())
    );
    // a crash inside the clue only loses the slog
    assert_eq!(
        run_in(&mut c, "5", "[11 [%slog 0 0] 4 0 1]"),
        Ok("6".into())
    );
    // %bout reports a timing through the same sink
    assert_eq!(
        run_in(&mut c, "5", "[11 [%bout 1 0] 4 0 1]"),
        Ok("6".into())
    );
    let got = got.borrow();
    assert_eq!(got[0], (2, format!("[{} 104 105 0]", tas("leaf").raw())));
    assert_eq!(got.len(), 2);
    assert!(got[1].1.starts_with(&format!("[{} ", tas("leaf").raw())));
}

#[test]
fn crash_carries_the_trace() {
    let mut c = ctx();
    let s = parse(&mut c, "0");
    // ~_ %spot [spot-data] around a crash, nested in a %mean
    let f = parse(&mut c, "[11 [%mean 1 %outer] 11 [%spot 1 [1 2] 3] 0 0]");
    let e = nock(&mut c, s, f).unwrap_err();
    assert_eq!(e.mote, Mote::Exit);
    let entries: Vec<String> = list_iter(e.trace)
        .map(|x| format!("{}", Print(x.unwrap())))
        .collect();
    assert_eq!(
        entries,
        vec![
            format!("[{} [1 2] 3]", tas("spot").raw()),
            format!("[{} {}]", tas("mean").raw(), tas("outer").raw())
        ]
    );
    // the trace entry is popped when its body completes normally
    let f = parse(&mut c, "[7 [11 [%spot 1 9] 1 5] 0 0]");
    let e = nock(&mut c, s, f).unwrap_err();
    assert_eq!(e.trace, Noun::ZERO);
}

#[test]
fn mink_virtualises() {
    let mut c = ctx();
    let gate = parse(&mut c, "0");
    let s = parse(&mut c, "[1 2]");
    let f = parse(&mut c, "[0 3]");
    let r = mink(&mut c, s, f, gate).unwrap();
    assert_eq!(format!("{}", Print(r)), "[0 2]");
    let f = parse(&mut c, "[11 [%spot 1 7] 0 7]");
    let r = mink(&mut c, s, f, gate).unwrap();
    assert_eq!(
        format!("{}", Print(r)),
        format!("[2 [{} 7] 0]", tas("spot").raw())
    );
    // the caller's state is intact afterwards
    let f = parse(&mut c, "[4 0 2]");
    assert_eq!(
        format!("{}", Print(mink(&mut c, s, f, gate).unwrap())),
        "[0 2]"
    );
}

#[test]
fn scry_under_mink() {
    let mut c = ctx();
    // scry gate: |=([ref=* path=*] ?:(=(path 0) ~ [~ ~ +(path)]))  — as a gate core [battery sample context]
    //   battery: [6 [5 [1 0] 0 13] [1 0] [1 0] [1 0] 4 0 13]
    let gate = parse(
        &mut c,
        "[[6 [5 [1 0] 0 13] [1 0] [1 0] [1 0] 4 0 13] [0 0] 0]",
    );
    let s = parse(&mut c, "0");
    let f = parse(&mut c, "[12 [1 %ref] 1 41]");
    assert_eq!(
        format!("{}", Print(mink(&mut c, s, f, gate).unwrap())),
        "[0 42]"
    );
    // ~ from the gate blocks: [%1 path]
    let f = parse(&mut c, "[12 [1 %ref] 1 0]");
    assert_eq!(
        format!("{}", Print(mink(&mut c, s, f, gate).unwrap())),
        "[1 0]"
    );
    // [~ ~] is a crash with a %hunk trace entry
    let gate2 = parse(&mut c, "[[1 0 0] [0 0] 0]");
    let f = parse(&mut c, "[12 [1 7] 1 8]");
    let r = mink(&mut c, s, f, gate2).unwrap();
    assert_eq!(
        format!("{}", Print(r)),
        format!("[2 [{} 7 8] 0]", tas("hunk").raw())
    );
    // nock 12 with no gate installed crashes
    assert_eq!(run("0", "[12 [1 1] 1 1]"), Err(Mote::Exit));
    // a crashing scry gate is not caught by the mink that installed it
    let bad = parse(&mut c, "[[0 0] [0 0] 0]");
    let f = parse(&mut c, "[12 [1 7] 1 8]");
    assert_eq!(mink(&mut c, s, f, bad).unwrap_err().mote, Mote::Exit);
}

#[test]
fn nested_mink_catches_only_exit_at_its_level() {
    let mut c = ctx();
    let gate = parse(&mut c, "0");
    // inner crash is caught by the inner mink; the outer sees a normal product
    let s = parse(&mut c, "[1 2]");
    let f = parse(&mut c, "[0 0]");
    let inner = mink(&mut c, s, f, gate).unwrap();
    assert_eq!(format!("{}", Print(inner)), "[2 0]");
    // %intr is not caught by mink
    c.stop.set(signals::INTR);
    let looping = parse(&mut c, "[[9 2 0 1] 0]");
    let f = parse(&mut c, "[9 2 0 1]");
    assert_eq!(mink(&mut c, looping, f, gate).unwrap_err().mote, Mote::Intr);
    // and the interpreter is usable afterwards
    assert_eq!(run_in(&mut c, "1", "[4 0 1]"), Ok("2".into()));
}

/// A decrement loop of `n` iterations written with tail calls (Nock 9 in tail position).
fn decrement_loop(n: u64) -> (String, String) {
    // subject: [battery [n 0] ~]: arm 2: if =(+(counter) n) counter else recur with counter+1
    let battery = "[6 [5 [4 0 13] 0 12] [0 13] 9 2 10 [13 4 0 13] 0 1]";
    (format!("[{battery} [{n} 0] 0]"), "[9 2 0 1]".to_string())
}

#[test]
fn tail_loop_runs_in_constant_space() {
    let mut c = ctx();
    let (s, f) = decrement_loop(3_000_000);
    assert_eq!(run_in(&mut c, &s, &f), Ok("2999999".into()));
    // the loop allocated far more than this but was collected as it went
    assert!(
        c.stack.peak_bytes() < 120 << 20,
        "peak {}",
        c.stack.peak_bytes()
    );
}

#[test]
#[ignore = "10^8 iterations: run with --ignored in release"]
fn tail_loop_of_1e8_runs_in_constant_space() {
    let mut c = ctx();
    let (s, f) = decrement_loop(100_000_000);
    assert_eq!(run_in(&mut c, &s, &f), Ok("99999999".into()));
    assert!(c.stack.peak_bytes() < 120 << 20);
}

#[test]
fn deep_recursion_completes_or_bails_cleanly() {
    // non-tail recursion: f(n) = ?:(=(n 0) 0 +(f(n-1))) written as counting up to a bound, 10^6 deep
    let battery = "[6 [5 [0 12] 0 13] [1 0] 4 9 2 10 [12 4 0 12] 0 1]";
    let s = format!("[{battery} [0 1000000] 0]");
    let mut c = ctx();
    assert_eq!(run_in(&mut c, &s, "[9 2 0 1]"), Ok("1000000".into()));
    // with a tiny stack the same computation is a clean %meme, and the context still works
    let mut small = Context::new(NockStack::new(2 << 20).unwrap(), 0);
    assert_eq!(run_in(&mut small, &s, "[9 2 0 1]"), Err(Mote::Meme));
    assert_eq!(run_in(&mut small, "1", "[4 0 1]"), Ok("2".into()));
}

#[test]
fn interrupt_flag_gives_intr() {
    let mut c = ctx();
    c.stop.set(signals::INTR);
    assert_eq!(
        run_in(&mut c, "[[9 2 0 1] 0]", "[9 2 0 1]"),
        Err(Mote::Intr)
    );
    c.stop.set(signals::TERM);
    assert_eq!(
        run_in(&mut c, "[[9 2 0 1] 0]", "[9 2 0 1]"),
        Err(Mote::Term)
    );
    assert_eq!(run_in(&mut c, "1", "[4 0 1]"), Ok("2".into()));
}

#[test]
fn slam_replaces_the_sample() {
    let mut c = ctx();
    // gate: [battery=[4 0 6] sample=0 context=0]
    let gate = parse(&mut c, "[[4 0 6] 0 0]");
    let r = slam(&mut c, gate, D(41)).unwrap();
    assert_eq!(r, D(42));
}

#[test]
fn shared_jam_programs() {
    let dir = crate::test_support::shared_dir().join("jam");
    let cases = [
        ("decrement.jam", "9999"),
        ("decrement2.jam", "99"),
        ("hurray.jam", "133459438892392"),
        ("repeat5_10.jam", "[5 5 5 5 5 5 5 5 5 5 0]"),
        ("repeat5_10_tc.jam", "[5 5 5 5 5 5 5 5 5 5 0]"),
    ];
    for (file, want) in cases {
        let Some(bytes) = crate::test_support::read_shared(&dir.join(file)) else {
            return;
        };
        let mut c = ctx();
        let pair = crate::serial::cue_bytes(&mut c.stack, &bytes).unwrap();
        let p = pair.as_cell().unwrap();
        let r = nock(&mut c, p.head(), p.tail()).unwrap();
        assert_eq!(format!("{}", Print(r)), want, "{file}");
    }
    for (file, n) in [
        ("repeat5_100.jam", 100),
        ("repeat5_1000.jam", 1000),
        ("repeat5_1000_tc.jam", 1000),
    ] {
        let Some(bytes) = crate::test_support::read_shared(&dir.join(file)) else {
            return;
        };
        let mut c = ctx();
        let pair = crate::serial::cue_bytes(&mut c.stack, &bytes).unwrap();
        let p = pair.as_cell().unwrap();
        let r = nock(&mut c, p.head(), p.tail()).unwrap();
        let items: Vec<Noun> = list_iter(r).map(|x| x.unwrap()).collect();
        assert_eq!(items.len(), n, "{file}");
        assert!(items.iter().all(|x| *x == D(5)));
    }
}

mod reference {
    //! A deliberately simple tree-walking Nock evaluator, used as the model in the property test.
    use ibig::UBig;
    use std::rc::Rc;

    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum R {
        A(UBig),
        C(Rc<R>, Rc<R>),
    }

    pub fn a(v: u64) -> R {
        R::A(UBig::from(v))
    }

    pub fn c(h: R, t: R) -> R {
        R::C(Rc::new(h), Rc::new(t))
    }

    fn slot(n: &R, axis: &R) -> Option<R> {
        let R::A(ax) = axis else { return None };
        if *ax == UBig::from(0u8) {
            return None;
        }
        let bits = ax.bit_len();
        let mut cur = n.clone();
        for i in (0..bits - 1).rev() {
            let R::C(h, t) = cur else { return None };
            cur = if ax.bit(i) {
                (*t).clone()
            } else {
                (*h).clone()
            };
        }
        Some(cur)
    }

    fn edit(axis: &UBig, depth: usize, val: R, target: &R) -> Option<R> {
        if depth == 0 {
            return Some(val);
        }
        let R::C(h, t) = target else { return None };
        if axis.bit(depth - 1) {
            Some(c((**h).clone(), edit(axis, depth - 1, val, t)?))
        } else {
            Some(c(edit(axis, depth - 1, val, h)?, (**t).clone()))
        }
    }

    /// `None` = crash (or budget exhausted, reported separately through `fuel`).
    pub fn nock(s: &R, f: &R, fuel: &mut u64) -> Option<R> {
        if *fuel == 0 {
            return None;
        }
        *fuel -= 1;
        let R::C(op, arg) = f else { return None };
        if let R::C(_, _) = **op {
            return Some(c(nock(s, op, fuel)?, nock(s, arg, fuel)?));
        }
        let R::A(code) = &**op else { unreachable!() };
        let code = u64::try_from(code).ok()?;
        let two = |x: &R| -> Option<(R, R)> {
            match x {
                R::C(h, t) => Some(((**h).clone(), (**t).clone())),
                _ => None,
            }
        };
        match code {
            0 => slot(s, arg),
            1 => Some((**arg).clone()),
            2 => {
                let (b, cc) = two(arg)?;
                let sub = nock(s, &b, fuel)?;
                let fol = nock(s, &cc, fuel)?;
                nock(&sub, &fol, fuel)
            }
            3 => Some(match nock(s, arg, fuel)? {
                R::C(..) => a(0),
                R::A(_) => a(1),
            }),
            4 => match nock(s, arg, fuel)? {
                R::A(v) => Some(R::A(v + UBig::from(1u8))),
                _ => None,
            },
            5 => {
                let (b, cc) = two(arg)?;
                let x = nock(s, &b, fuel)?;
                let y = nock(s, &cc, fuel)?;
                Some(a(if x == y { 0 } else { 1 }))
            }
            6 => {
                let (b, rest) = two(arg)?;
                let (cc, d) = two(&rest)?;
                match nock(s, &b, fuel)? {
                    R::A(v) if v == UBig::from(0u8) => nock(s, &cc, fuel),
                    R::A(v) if v == UBig::from(1u8) => nock(s, &d, fuel),
                    _ => None,
                }
            }
            7 => {
                let (b, cc) = two(arg)?;
                let x = nock(s, &b, fuel)?;
                nock(&x, &cc, fuel)
            }
            8 => {
                let (b, cc) = two(arg)?;
                let x = nock(s, &b, fuel)?;
                nock(&c(x, s.clone()), &cc, fuel)
            }
            9 => {
                let (b, cc) = two(arg)?;
                let core = nock(s, &cc, fuel)?;
                let arm = slot(&core, &b)?;
                nock(&core, &arm, fuel)
            }
            10 => {
                let (spec, d) = two(arg)?;
                let (b, cc) = two(&spec)?;
                let R::A(ax) = b else { return None };
                if ax == UBig::from(0u8) {
                    return None;
                }
                let val = nock(s, &cc, fuel)?;
                let target = nock(s, &d, fuel)?;
                edit(&ax, ax.bit_len() - 1, val, &target)
            }
            11 => {
                let (b, d) = two(arg)?;
                if let R::C(_, clue) = &b {
                    nock(s, clue, fuel)?;
                }
                nock(s, &d, fuel)
            }
            _ => None,
        }
    }
}

mod property {
    use super::reference::{self, R};
    use super::*;
    use proptest::prelude::*;

    fn to_noun(ctx: &mut Context, r: &R) -> Noun {
        match r {
            R::A(v) => crate::noun::atom_from_ubig(&mut ctx.stack, v)
                .unwrap()
                .as_noun(),
            R::C(h, t) => {
                let h = to_noun(ctx, h);
                let t = to_noun(ctx, t);
                Cell::new(&mut ctx.stack, h, t).unwrap().as_noun()
            }
        }
    }

    fn noun_strategy() -> impl Strategy<Value = R> {
        let leaf = prop_oneof![
            (0u64..8).prop_map(reference::a),
            any::<u64>().prop_map(reference::a)
        ];
        leaf.prop_recursive(4, 24, 2, |inner| {
            (inner.clone(), inner).prop_map(|(h, t)| reference::c(h, t))
        })
    }

    /// Well-formed formulas that always terminate: calls (2, 9) only run quoted, smaller formulas.
    fn formula_strategy() -> impl Strategy<Value = R> {
        use reference::{a, c};
        let leaf = prop_oneof![
            (1u64..16).prop_map(|ax| c(a(0), a(ax))),
            noun_strategy().prop_map(|n| c(a(1), n)),
        ];
        leaf.prop_recursive(4, 32, 3, |f| {
            prop_oneof![
                (f.clone(), f.clone()).prop_map(|(x, y)| c(x, y)),
                (f.clone(), f.clone()).prop_map(|(b, q)| c(a(2), c(b, c(a(1), q)))),
                f.clone().prop_map(|x| c(a(3), x)),
                f.clone().prop_map(|x| c(a(4), x)),
                (f.clone(), f.clone()).prop_map(|(x, y)| c(a(5), c(x, y))),
                (f.clone(), f.clone(), f.clone()).prop_map(|(x, y, z)| c(a(6), c(x, c(y, z)))),
                (f.clone(), f.clone()).prop_map(|(x, y)| c(a(7), c(x, y))),
                (f.clone(), f.clone()).prop_map(|(x, y)| c(a(8), c(x, y))),
                // [9 2 [1 [arm payload]]]: a core whose arm is a generated formula
                (f.clone(), noun_strategy())
                    .prop_map(|(arm, pay)| c(a(9), c(a(2), c(a(1), c(arm, pay))))),
                (1u64..8, f.clone(), f.clone()).prop_map(|(ax, x, y)| c(a(10), c(c(a(ax), x), y))),
                (f.clone(), f.clone()).prop_map(|(x, y)| c(a(11), c(c(a(1234), x), y))),
                (1u64..100, f.clone()).prop_map(|(t, y)| c(a(11), c(a(t), y))),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn matches_reference(sub in noun_strategy(), fol in formula_strategy()) {
            let mut fuel = 100_000u64;
            let want = reference::nock(&sub, &fol, &mut fuel);
            prop_assume!(fuel > 0);
            let mut c = Context::new(NockStack::new(64 << 20).unwrap(), 100);
            let s = to_noun(&mut c, &sub);
            let f = to_noun(&mut c, &fol);
            let got = nock(&mut c, s, f);
            match (want, got) {
                (Some(w), Ok(g)) => {
                    let w = to_noun(&mut c, &w);
                    prop_assert!(crate::equality::noun_eq(w, g), "want {} got {}", Print(w), Print(g));
                }
                (None, Err(e)) => prop_assert_eq!(e.mote, Mote::Exit),
                (w, g) => prop_assert!(false, "reference {:?} vs interpreter {:?}", w.is_some(), g.map(|_| ())),
            }
        }
    }

    #[test]
    fn tuple_helper() {
        let mut c = ctx();
        let n = T(&mut c.stack, &[D(1), D(2)]).unwrap();
        assert_eq!(format!("{}", Print(n)), "[1 2]");
    }
}

#[test]
fn sham_hint_runs_the_named_jet() {
    let mut c = ctx();
    // A gate whose arm is `~>  %sham.%dec` over a body that would crash: the product can only come from the jet.
    let gate = |sample: &str| format!("[[11 [%sham 1 %dec] 0 0] {sample} 0]");
    assert_eq!(
        run_in(&mut c, &gate("1000000000"), "[9 2 0 1]"),
        Ok("999999999".into())
    );
    // The jet's crash is the gate's crash; an unknown name or jets switched off run the body.
    assert_eq!(run_in(&mut c, &gate("0"), "[9 2 0 1]"), Err(Mote::Exit));
    let frob = "[[11 [%sham 1 %frob] 1 42] 7 0]";
    assert_eq!(run_in(&mut c, frob, "[9 2 0 1]"), Ok("42".into()));
    c.jets.disabled = true;
    assert_eq!(
        run_in(&mut c, &gate("1000000000"), "[9 2 0 1]"),
        Err(Mote::Exit)
    );
}
