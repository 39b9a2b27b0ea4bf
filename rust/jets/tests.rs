//! Jet tests: unit vectors for each jet (called on a stand-in gate `[0 sample 0]`), the dashboard's registration and
//! matching rules, jet checking, and the `shared/jam` dec programs.

use super::util::EXIT;
use super::*;
use crate::interpreter::{nock, Context};
use crate::noun::{tas, Cell, T};
use crate::stack::NockStack;
use crate::text::{parse_noun, Print};

fn ctx() -> Context {
    Context::new(NockStack::new(256 << 20).expect("stack"), 1000)
}

fn n(ctx: &mut Context, text: &str) -> Noun {
    parse_noun(&mut ctx.stack, text).expect("noun text")
}

fn show(x: Noun) -> String {
    Print(x).to_string()
}

/// Run a jet on `[0 sample 0]`.
fn call(ctx: &mut Context, f: JetFn, sample: &str) -> Result<String, JetErr> {
    let s = n(ctx, sample);
    let core = T(&mut ctx.stack, &[D(0), s, D(0)]).expect("core");
    f(ctx, core).map(show)
}

/// Assert that the jet gives `want` (noun text) on `sample`.
fn check(ctx: &mut Context, f: JetFn, sample: &str, want: &str) {
    let w = n(ctx, want);
    assert_eq!(call(ctx, f, sample), Ok(show(w)), "sample {sample}");
}

fn crashes(ctx: &mut Context, f: JetFn, sample: &str) {
    assert_eq!(call(ctx, f, sample), Err(EXIT), "sample {sample}");
}

/// Assert that the jet crashes with `%exit` and Vere's error text as its only trace entry, `[%mean 'text']`.
fn crashes_with(ctx: &mut Context, f: JetFn, sample: &str, text: &str) {
    match call(ctx, f, sample) {
        Err(JetErr::Traced(Mote::Exit, trace)) => {
            let want = format!("[[%mean '{text}'] ~]");
            let w = n(ctx, &want);
            assert_eq!(show(trace), show(w), "sample {sample}");
        }
        other => panic!("sample {sample}: {other:?}"),
    }
}

#[test]
fn jets_math() {
    let c = &mut ctx();
    check(c, math::add, "[2 3]", "5");
    check(
        c,
        math::add,
        "[0x7fff.ffff.ffff.ffff 1]",
        "0x8000.0000.0000.0000",
    );
    check(
        c,
        math::add,
        "[0xffff.ffff.ffff.ffff.ffff.ffff 1]",
        "0x1.0000.0000.0000.0000.0000.0000",
    );
    crashes(c, math::add, "[[1 2] 3]");
    check(c, math::dec, "1", "0");
    check(
        c,
        math::dec,
        "0x1.0000.0000.0000.0000",
        "0xffff.ffff.ffff.ffff",
    );
    crashes_with(c, math::dec, "0", "decrement-underflow");
    check(c, math::sub, "[10 3]", "7");
    check(
        c,
        math::sub,
        "[0x1.0000.0000.0000.0000 1]",
        "0xffff.ffff.ffff.ffff",
    );
    crashes_with(c, math::sub, "[3 10]", "subtract-underflow");
    crashes_with(
        c,
        math::sub,
        "[3 0x1.0000.0000.0000.0000]",
        "subtract-underflow",
    );
    // `(sub a 0)` is `a` before any cast, as in the Hoon and Vere
    check(c, math::sub, "[[1 2] 0]", "[1 2]");
    crashes(c, math::sub, "[[1 2] 1]");
    check(
        c,
        math::mul,
        "[12.345.678.987 98.765.432.123]",
        "1219326320002895899401",
    );
    check(c, math::mul, "[0 0x1.0000.0000.0000.0000]", "0");
    check(c, math::div, "[17 5]", "3");
    check(
        c,
        math::div,
        "[0x1.0000.0000.0000.0000 0x1.0000.0000]",
        "0x1.0000.0000",
    );
    crashes_with(c, math::div, "[1 0]", "divide-by-zero");
    check(c, math::modulo, "[17 5]", "2");
    crashes(c, math::modulo, "[17 0]");
    check(c, math::dvr, "[17 5]", "[3 2]");
    crashes_with(c, math::dvr, "[17 0]", "divide-by-zero");
    check(c, math::lth, "[1 2]", "0");
    check(c, math::lth, "[2 2]", "1");
    check(c, math::lte, "[2 2]", "0");
    check(c, math::gth, "[0x1.0000.0000.0000.0000 2]", "0");
    check(c, math::gte, "[2 0x1.0000.0000.0000.0000]", "1");
    check(c, math::max, "[2 9]", "9");
    check(c, math::min, "[2 9]", "2");
}

#[test]
fn jets_tree() {
    let c = &mut ctx();
    check(c, tree::cap, "2", "2");
    check(c, tree::cap, "3", "3");
    check(c, tree::cap, "12", "3");
    check(c, tree::cap, "9", "2");
    crashes(c, tree::cap, "1");
    crashes(c, tree::cap, "0");
    check(c, tree::mas, "2", "1");
    check(c, tree::mas, "6", "2");
    check(c, tree::mas, "13", "5");
    check(
        c,
        tree::mas,
        "0x3.0000.0000.0000.0000",
        "0x1.0000.0000.0000.0000",
    );
    crashes(c, tree::mas, "1");
    check(c, tree::peg, "[2 3]", "5");
    check(c, tree::peg, "[7 6]", "30");
    check(c, tree::peg, "[5 1]", "5");
    check(
        c,
        tree::peg,
        "[0x8000.0000.0000.0000 2]",
        "0x1.0000.0000.0000.0000",
    );
    crashes(c, tree::peg, "[0 2]");
    crashes(c, tree::peg, "[2 0]");
}

#[test]
fn jets_bits() {
    let c = &mut ctx();
    check(c, bits::bex, "0", "1");
    check(c, bits::bex, "64", "0x1.0000.0000.0000.0000");
    check(c, bits::xeb, "0", "0");
    check(c, bits::xeb, "255", "8");
    check(c, bits::met_jet, "[3 0]", "0");
    check(c, bits::met_jet, "[3 256]", "2");
    check(c, bits::met_jet, "[0 0x1.0000.0000.0000.0000]", "65");
    check(
        c,
        bits::met_jet,
        "[7 0x1.0000.0000.0000.0000.0000.0000.0000.0000]",
        "2",
    );
    check(c, bits::end, "[3 0x1234]", "0x34");
    check(c, bits::end, "[[3 2] 0x12.3456]", "0x3456");
    check(c, bits::end, "[[0 100] 5]", "5");
    check(c, bits::rsh, "[3 0x1234]", "0x12");
    check(c, bits::rsh, "[[3 9] 0x1234]", "0");
    check(c, bits::rsh, "[[6 1] 0xaa.0000.0000.0000.0001]", "0xaa");
    check(c, bits::lsh, "[3 0x12]", "0x1200");
    check(c, bits::lsh, "[[6 1] 1]", "0x1.0000.0000.0000.0000");
    check(c, bits::lsh, "[3 0]", "0");
    check(c, bits::cat, "[3 0x12 0x34]", "0x3412");
    check(c, bits::cat, "[3 0 0x34]", "0x34");
    check(c, bits::cat, "[0 1 1]", "3");
    check(c, bits::cut, "[3 [1 1] 0x12.3456]", "0x34");
    check(c, bits::cut, "[0 [1 3] 10]", "5");
    check(c, bits::cut, "[3 [100 1] 0x12.3456]", "0");
    check(c, bits::mix, "[12 10]", "6");
    check(c, bits::con, "[12 10]", "14");
    check(c, bits::dis, "[12 10]", "8");
    check(
        c,
        bits::mix,
        "[0xffff.ffff.ffff.ffff.ffff 0xffff.ffff.ffff.ffff.ffff]",
        "0",
    );
    check(c, bits::can, "[3 [1 0x12] [2 0x3456] ~]", "0x34.5612");
    check(c, bits::can, "[3 ~]", "0");
    crashes(c, bits::can, "[3 [1 2] 5]");
    check(c, bits::rap, "[3 0x12 0 0x3456 ~]", "0x34.5612");
    check(c, bits::rep, "[3 0x12 0x3456 0x78 ~]", "0x78.5612");
    check(c, bits::rep, "[[3 2] 0x12 0x3456 ~]", "0x3456.0012");
    check(c, bits::rip, "[3 0x12.3456]", "[0x56 0x34 0x12 ~]");
    check(c, bits::rip, "[[3 2] 0x12.3456]", "[0x3456 0x12 ~]");
    check(c, bits::rip, "[3 0]", "~");
    check(c, bits::rip, "[6 0x1.0000.0000.0000.0002]", "[2 1 ~]");
    check(c, bits::swp, "[3 0x12.3456]", "0x56.3412");
    check(c, bits::rev, "[3 4 0x12.3456]", "0x5634.1200");
    check(c, bits::rev, "[3 2 0x12.3456]", "0x5634");
    check(c, bits::rev, "[0 3 6]", "3");
}

/// A gate whose battery is `body`, with sample and context 0.
fn gate(c: &mut Context, body: &str) -> String {
    let b = n(c, body);
    let g = T(&mut c.stack, &[b, D(0), D(0)]).expect("gate");
    show(g)
}

/// A gate whose battery is `body`, with sample `[0 0]` (fold gates read their start at `+<+`).
fn gate2(c: &mut Context, body: &str) -> String {
    let b = n(c, body);
    let s = T(&mut c.stack, &[D(0), D(0)]).expect("sample");
    let g = T(&mut c.stack, &[b, s, D(0)]).expect("gate");
    show(g)
}

#[test]
fn jets_lists() {
    let c = &mut ctx();
    let inc = gate(c, "[4 0 6]");
    let is2 = gate(c, "[5 [1 2] 0 6]");
    let unit_odd = gate(c, "[6 [5 [1 1] 0 6] [1 0 7] 1 0]");
    let plus = gate2(c, "[4 0 12]");
    let pair = gate2(c, "[[0 12] 0 13]");
    check(c, lists::flop, "[1 2 3 ~]", "[3 2 1 ~]");
    check(c, lists::flop, "~", "~");
    crashes(c, lists::flop, "[1 2 3]");
    check(c, lists::lent, "[1 2 3 ~]", "3");
    check(c, lists::lent, "~", "0");
    crashes(c, lists::lent, "[1 2 3]");
    check(c, lists::turn, &format!("[[1 2 3 ~] {inc}]"), "[2 3 4 ~]");
    check(c, lists::turn, &format!("[~ {inc}]"), "~");
    check(c, lists::levy, &format!("[[2 2 ~] {is2}]"), "0");
    check(c, lists::levy, &format!("[[2 3 ~] {is2}]"), "1");
    check(c, lists::levy, &format!("[~ {is2}]"), "0");
    check(c, lists::lien, &format!("[[1 2 ~] {is2}]"), "0");
    check(c, lists::lien, &format!("[~ {is2}]"), "1");
    check(
        c,
        lists::murn,
        &format!("[[1 2 1 ~] {unit_odd}]"),
        "[7 7 ~]",
    );
    check(c, lists::skim, &format!("[[1 2 3 2 ~] {is2}]"), "[2 2 ~]");
    check(c, lists::skip, &format!("[[1 2 3 2 ~] {is2}]"), "[1 3 ~]");
    check(
        c,
        lists::skid,
        &format!("[[1 2 3 2 ~] {is2}]"),
        "[[2 2 ~] 1 3 ~]",
    );
    check(c, lists::reap, "[3 7]", "[7 7 7 ~]");
    check(c, lists::reap, "[0 7]", "~");
    // folds: the accumulator starts at +<+ of the gate (0 here)
    check(c, lists::roll, &format!("[[1 2 3 ~] {plus}]"), "4");
    check(c, lists::reel, &format!("[[1 2 3 ~] {pair}]"), "[1 2 3 0]");
    check(c, lists::roll, &format!("[[1 2 3 ~] {pair}]"), "[3 2 1 0]");
    check(c, lists::scag, "[2 [1 2 3 ~]]", "[1 2 ~]");
    check(c, lists::scag, "[9 [1 2 3 ~]]", "[1 2 3 ~]");
    check(c, lists::scag, "[0 5]", "~");
    crashes(c, lists::scag, "[9 [1 2 3]]");
    check(c, lists::slag, "[2 [1 2 3 ~]]", "[3 ~]");
    check(c, lists::slag, "[9 [1 2 3 ~]]", "~");
    check(c, lists::slag, "[0 5]", "5");
    check(c, lists::snag, "[2 [1 2 3 ~]]", "3");
    crashes(c, lists::snag, "[3 [1 2 3 ~]]");
    check(c, lists::weld, "[[1 2 ~] [3 ~]]", "[1 2 3 ~]");
    check(c, lists::weld, "[~ [3 ~]]", "[3 ~]");
    crashes(c, lists::weld, "[[1 2] [3 ~]]");
    check(c, lists::zing, "[[1 2 ~] ~ [3 ~] ~]", "[1 2 3 ~]");
    check(c, lists::zing, "~", "~");
    // sort: items the gate puts before the pivot (here: zeros) come first, the rest keep the quicksort's order
    let zero_first = gate(c, "[5 [1 0] 0 12]");
    check(
        c,
        lists::sort,
        &format!("[[3 0 1 0 2 ~] {zero_first}]"),
        "[0 0 3 1 2 ~]",
    );
    check(c, lists::sort, &format!("[~ {zero_first}]"), "~");
}

#[test]
fn jets_hash_and_order() {
    let c = &mut ctx();
    let abc = "0xad15.00f2.61ff.10b4.9c7a.1796.a361.03b0.2322.ae5d.de40.4141.eacf.018f.bf16.78ba";
    check(c, hash::shax, "'abc'", abc);
    check(c, hash::shay, "[3 'abc']", abc);
    // the empty string
    check(
        c,
        hash::shay,
        "[0 0]",
        "0x55b8.5278.1b99.95a4.4c93.9b64.e441.ae27.24b9.6f99.c8f4.fb9a.141c.fc98.42c4.b0e3",
    );
    check(
        c,
        hash::sha1,
        "[3 0x61.6263]",
        "0xa999.3e36.4706.816a.ba3e.2571.7850.c26c.9cd0.d89d",
    );
    // `'abc'` is the bytes "cba" most significant first
    check(
        c,
        hash::sha1,
        "[3 'abc']",
        "0xd9f0.509f.b7e8.bd7d.4c4b.627d.fec7.0c0c.0e01.fb34",
    );
    check(
        c,
        hash::shal,
        "[3 'abc']",
        "0x9fa4.4ca5.4fc9.9a2a.0ee8.3c64.2344.4d45.bdeb.fea3.233c.ba36.a8c1.4f27.2a99.9221.9ad3.554b.e6ee.9e0a.a27e.a989.4efa.e612.3141.20ae.4973.41cc.ba7a.6193.a135.afdd",
    );
    crashes(c, hash::shax, "[1 2]");
    let m = crate::mug::mug(D(1)) as u64;
    check(c, hash::mug_jet, "1", &m.to_string());
    let h = crate::mug::murmur3(b"abc", 0xcafe_babe) as u64;
    check(c, hash::muk, "[0xcafe.babe 3 'abc']", &h.to_string());
    let h = crate::mug::murmur3(b"ab\0\0", 7) as u64;
    check(c, hash::muk, "[7 4 'ab']", &h.to_string());
    crashes(c, hash::muk, "[7 1 'ab']");
    check(c, sort::dor, "[1 2]", "0");
    check(c, sort::dor, "[2 1]", "1");
    check(c, sort::dor, "[1 [1 2]]", "0");
    check(c, sort::dor, "[[1 2] 1]", "1");
    check(c, sort::dor, "[[1 3] [1 2]]", "1");
    check(c, sort::dor, "[[1 2] [1 2]]", "0");
    let (a, b) = (D(1), D(2));
    let want = if crate::mug::mug(a) < crate::mug::mug(b) {
        "0"
    } else {
        "1"
    };
    check(c, sort::gor, "[1 2]", want);
    let mm = |x: Noun| crate::mug::mug_u64(crate::mug::mug(x) as u64);
    let want = if mm(a) < mm(b) { "0" } else { "1" };
    check(c, sort::mor, "[1 2]", want);
}

#[test]
fn jets_serial() {
    let c = &mut ctx();
    check(c, serial::jam, "[1 2]", "0x1231");
    check(c, serial::jam, "0", "2");
    check(c, serial::cue, "0x1231", "[1 2]");
    check(c, serial::cue, "0x4.9c8c.5", "[[1 2] 1 2]");
    crashes(c, serial::cue, "0");
    // mat/rub: the atom encoding inside jam
    check(c, serial::mat, "0", "[1 1]");
    check(c, serial::mat, "1", "[3 6]");
    check(c, serial::mat, "19", "[11 0x4d8]");
    check(c, serial::rub, "[0 1]", "[1 0]");
    check(c, serial::rub, "[0 6]", "[3 1]");
    check(c, serial::rub, "[0 0x4d8]", "[11 19]");
    check(c, serial::rub, "[1 0x9b0]", "[11 19]");
    crashes(c, serial::rub, "[0 0]");
}

#[test]
fn jets_maps_and_sets() {
    let c = &mut ctx();
    // build a set by putting 1..6 with the jet, then check membership and tap against the Hoon-ordered walk
    let mut set = D(0);
    for i in 1..=6u64 {
        let door = T(&mut c.stack, &[D(0), set, D(0)]).unwrap();
        let g = T(&mut c.stack, &[D(0), D(i), door]).unwrap();
        set = sets::in_put(c, g).unwrap();
    }
    let has = |c: &mut Context, set: Noun, x: u64| {
        let door = T(&mut c.stack, &[D(0), set, D(0)]).unwrap();
        let g = T(&mut c.stack, &[D(0), D(x), door]).unwrap();
        sets::in_has(c, g).unwrap()
    };
    for i in 1..=6 {
        assert_eq!(has(c, set, i), Noun::YES);
    }
    assert_eq!(has(c, set, 7), Noun::NO);
    // tap lists every member once
    let door = T(&mut c.stack, &[D(0), set, D(0)]).unwrap();
    let trap = T(&mut c.stack, &[D(0), D(0), door]).unwrap();
    let l = sets::tap(c, trap).unwrap();
    let mut items: Vec<u64> = crate::noun::list_iter(l)
        .map(|x| x.unwrap().as_u64().unwrap())
        .collect();
    items.sort();
    assert_eq!(items, vec![1, 2, 3, 4, 5, 6]);
    // the tree is ordered by gor and balanced by mor (the +apt:in invariants)
    fn apt(t: Noun, lo: Option<Noun>, hi: Option<Noun>) -> bool {
        let Some(c) = t.as_cell() else {
            return t == D(0);
        };
        let n = c.head();
        let (l, r) = (c.tail().head().unwrap(), c.tail().tail().unwrap());
        lo.is_none_or(|u| sort::gor_of(n, u))
            && hi.is_none_or(|u| sort::gor_of(u, n))
            && l.head().is_none_or(|ln| sort::mor_of(n, ln))
            && r.head().is_none_or(|rn| sort::mor_of(n, rn))
            && apt(l, Some(n), hi)
            && apt(r, lo, Some(n))
    }
    assert!(apt(set, None, None));
    // a map
    let mut map = D(0);
    for i in 1..=5u64 {
        let door = T(&mut c.stack, &[D(0), map, D(0)]).unwrap();
        let kv = T(&mut c.stack, &[D(i), D(i * 10)]).unwrap();
        let g = T(&mut c.stack, &[D(0), kv, door]).unwrap();
        map = sets::by_put(c, g).unwrap();
    }
    let door = T(&mut c.stack, &[D(0), map, D(0)]).unwrap();
    let g = T(&mut c.stack, &[D(0), D(3), door]).unwrap();
    assert_eq!(show(sets::by_get(c, g).unwrap()), "[0 30]");
    assert_eq!(sets::by_has(c, g).unwrap(), Noun::YES);
    let g = T(&mut c.stack, &[D(0), D(9), door]).unwrap();
    assert_eq!(show(sets::by_get(c, g).unwrap()), "0");
    // gas builds the same map as repeated put; del removes one key and keeps the invariants
    let kvs = n(c, "[[1 10] [2 20] [3 30] [4 40] [5 50] ~]");
    let empty = T(&mut c.stack, &[D(0), D(0), D(0)]).unwrap();
    let g = T(&mut c.stack, &[D(0), kvs, empty]).unwrap();
    let gassed = sets::by_gas(c, g).unwrap();
    assert!(crate::equality::noun_eq(gassed, map));
    let mut s2 = set;
    for x in [3u64, 1, 6, 42] {
        let door = T(&mut c.stack, &[D(0), s2, D(0)]).unwrap();
        let g = T(&mut c.stack, &[D(0), D(x), door]).unwrap();
        s2 = sets::in_del(c, g).unwrap();
        assert_eq!(has(c, s2, x), Noun::NO);
        assert!(apt(s2, None, None));
    }
    for x in [2u64, 4, 5] {
        assert_eq!(has(c, s2, x), Noun::YES);
    }
    let door = T(&mut c.stack, &[D(0), map, D(0)]).unwrap();
    let g = T(&mut c.stack, &[D(0), D(3), door]).unwrap();
    let m2 = sets::by_del(c, g).unwrap();
    let door = T(&mut c.stack, &[D(0), m2, D(0)]).unwrap();
    let g = T(&mut c.stack, &[D(0), D(3), door]).unwrap();
    assert_eq!(sets::by_has(c, g).unwrap(), Noun::NO);
    let g = T(&mut c.stack, &[D(0), D(4), door]).unwrap();
    assert_eq!(show(sets::by_get(c, g).unwrap()), "[0 40]");
    // wyt counts nodes (the trap is [battery door]); uni of the set with its remainder after del is the set again
    let door = T(&mut c.stack, &[D(0), set, D(0)]).unwrap();
    let trap = T(&mut c.stack, &[D(0), door]).unwrap();
    assert_eq!(sets::wyt(c, trap).unwrap(), D(6));
    let door = T(&mut c.stack, &[D(0), s2, D(0)]).unwrap();
    let g = T(&mut c.stack, &[D(0), set, door]).unwrap();
    let u = sets::in_uni(c, g).unwrap();
    assert!(apt(u, None, None));
    for x in 1..=6 {
        assert_eq!(has(c, u, x), Noun::YES);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Dashboard: registration, matching, checking.

/// The `dec` gate body of `shared/jam/decfast.jam` (Hoon's `dec`, compiled): crash on 0, else count up.
const DEC_BODY: &str =
    "[6 [5 [1 0] 0 6] [0 0] 8 [1 0] 8 [1 6 [5 [0 30] 4 0 6] [0 6] 9 2 10 [6 4 0 6] 0 1] 9 2 0 1]";

fn term(s: &str) -> u64 {
    s.bytes().rev().fold(0u64, |acc, b| (acc << 8) | b as u64)
}

/// A program in the shape of `decfast.jam`: a root core named `root` (payload `payload`) whose one arm builds a gate
/// with battery `body`, registered as `name` with its parent at axis 7, then slams it with `sample`.
fn program(root: &str, payload: u64, name: &str, body: &str, sample: &str) -> String {
    let fast = term("fast");
    let root_clue = if root.len() <= 7 {
        term(root).to_string()
    } else {
        unreachable!()
    };
    let gate_clue = term(name);
    format!(
        "[7 [1 {payload}] 7 [8 [1 7 [8 [1 0] [1 {body}] 0 1] 11 [{fast} 1 {gate_clue} [0 7] 0] 0 1] \
         11 [{fast} 1 {root_clue} [1 0] 0] 0 1] 8 [9 2 0 1] 9 2 10 [6 7 [0 3] 1 {sample}] 0 2]"
    )
}

fn run(c: &mut Context, fol: &str) -> Result<String, crate::interpreter::Error> {
    let f = n(c, fol);
    nock(c, D(0), f).map(show)
}

#[test]
fn jets_decfast_program_uses_the_dec_jet() {
    let c = &mut ctx();
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/jam/decfast.jam"
    ));
    let Ok(bytes) = bytes else {
        eprintln!("shared/jam/decfast.jam not present; skipped");
        return;
    };
    let pair = crate::serial::cue_bytes(&mut c.stack, &bytes).unwrap();
    let pc = pair.as_cell().unwrap();
    let t0 = std::time::Instant::now();
    let r = nock(c, pc.head(), pc.tail()).unwrap();
    assert!(
        t0.elapsed().as_secs() < 2,
        "the dec jet must make this instant"
    );
    assert_eq!(show(r), "1999999999");
    assert_eq!(c.jets.jet_stats("a50/dec").unwrap().calls, 1);
    assert_eq!(c.jets.registered(), 2);
    // the same program without jets agrees on a small sample (the slow dec counts up)
    let small = program("a50", 3159393, "dec", DEC_BODY, "5000");
    let mut slow = ctx();
    slow.jets.disabled = true;
    assert_eq!(run(&mut slow, &small).unwrap(), "4999");
    assert_eq!(run(c, &small).unwrap(), "4999");
    // and the decslow program (same gate, an unjetted name) agrees with the jet on that sample
    let decslow = program("a50", 3159393, "decslow", DEC_BODY, "5000");
    let mut s2 = ctx();
    assert_eq!(run(&mut s2, &decslow).unwrap(), "4999");
    assert_eq!(s2.stats.jet_hits, 0);
}

#[test]
fn jets_dec_crash_matches_nock() {
    let c = &mut ctx();
    let p = program("a50", 3159393, "dec", DEC_BODY, "0");
    let e = run(c, &p).unwrap_err();
    assert_eq!(e.mote, Mote::Exit);
    assert_eq!(c.jets.jet_stats("a50/dec").unwrap().calls, 1);
}

#[test]
fn jets_only_registered_batteries_with_matching_parents_are_jetted() {
    // A gate that increments, registered as `dec` under a root the hot table does not know: not jetted.
    let c = &mut ctx();
    let p = program("zz9", 1, "dec", "[4 0 6]", "5");
    assert_eq!(run(c, &p).unwrap(), "6");
    assert_eq!(c.stats.jet_hits, 0);
    assert_eq!(c.jets.registered(), 2);

    // Register the real dec, then kick a core with a different battery under the same registered root, and a core
    // with dec's battery under a different root core: neither is a registered location.
    let c = &mut ctx();
    let p = program("a50", 3159393, "dec", DEC_BODY, "5");
    assert_eq!(run(c, &p).unwrap(), "4");
    assert_eq!(c.stats.jet_hits, 1);
    let fast = term("fast");
    let a50 = term("a50");
    // root core registered, then a gate with another battery (increment) built under it but not registered
    let other = format!(
        "[7 [1 3159393] 7 [8 [1 7 [8 [1 0] [1 [4 0 6]] 0 1] 0 1] 11 [{fast} 1 {a50} [1 0] 0] 0 1] \
         8 [9 2 0 1] 9 2 10 [6 7 [0 3] 1 5] 0 2]"
    );
    assert_eq!(run(c, &other).unwrap(), "6");
    assert_eq!(c.stats.jet_hits, 1);
    // dec's battery with a context that is not the registered root (payload 99 instead of the a50 version atom)
    let foreign = format!(
        "[7 [1 99] 7 [8 [1 7 [8 [1 0] [1 {DEC_BODY}] 0 1] 0 1] 11 [{fast} 1 {a50} [1 0] 0] 0 1] \
         8 [9 2 0 1] 9 2 10 [6 7 [0 3] 1 5] 0 2]"
    );
    // the second root core has the same battery and name but another payload: a new root location, its gate is not
    // registered, so the dec battery under it must run as Nock
    assert_eq!(run(c, &foreign).unwrap(), "4");
    assert_eq!(c.stats.jet_hits, 1);
}

#[test]
fn jets_check_mode_agrees_on_a_correct_jet() {
    let c = &mut ctx();
    c.jets.jet_check = true;
    let p = program("a50", 3159393, "dec", DEC_BODY, "300");
    assert_eq!(run(c, &p).unwrap(), "299");
    assert_eq!(c.jets.mismatches, 0);
    assert_eq!(c.jets.jet_stats("a50/dec").unwrap().calls, 1);
    // crash agrees with crash
    let p = program("a50", 3159393, "dec", DEC_BODY, "0");
    assert_eq!(run(c, &p).unwrap_err().mote, Mote::Exit);
    assert_eq!(c.jets.mismatches, 0);
}

#[test]
fn jets_check_mode_reports_a_lying_core() {
    // A core registered as a50/dec whose Nock increments: the jet (decrement) disagrees. Checking reports the
    // mismatch and the Nock's product is used.
    let c = &mut ctx();
    c.jets.jet_check = true;
    let p = program("a50", 3159393, "dec", "[4 0 6]", "7");
    assert_eq!(run(c, &p).unwrap(), "8");
    assert_eq!(c.jets.mismatches, 1);
    assert_eq!(c.jets.jet_stats("a50/dec").unwrap().mismatches, 1);
    // crash vs product is a mismatch too
    let p = program("a50", 3159393, "dec", "[4 0 6]", "0");
    assert_eq!(run(c, &p).unwrap(), "1");
    assert_eq!(c.jets.mismatches, 2);
    // without checking, the (lying) registration is trusted
    let c = &mut ctx();
    let p = program("a50", 3159393, "dec", "[4 0 6]", "7");
    assert_eq!(run(c, &p).unwrap(), "6");
}

#[test]
fn jets_cold_state_round_trips() {
    let c = &mut ctx();
    let p = program("a50", 3159393, "dec", DEC_BODY, "5");
    run(c, &p).unwrap();
    let cold = c.jets.cold_noun(&mut c.stack).unwrap();
    assert_eq!(crate::noun::list_iter(cold).count(), 2);
    let d = Dashboard::from_cold_noun(&c.stack, cold);
    assert_eq!(d.registered(), 2);
    assert_eq!(d.label_of(1), "a50/dec");
    // a fresh context with the restored dashboard jets the gate without re-registering... the program re-registers
    // anyway (spot finds the location), so the location count stays 2
    let mut c2 = ctx();
    c2.jets = Dashboard::from_cold_noun(&c2.stack, cold);
    assert_eq!(run(&mut c2, &p).unwrap(), "4");
    assert_eq!(c2.jets.registered(), 2);
    assert_eq!(c2.stats.jet_hits, 1);
}

#[test]
fn jets_report_lists_used_jets() {
    let c = &mut ctx();
    c.jets.timing = true;
    let p = program("a50", 3159393, "dec", DEC_BODY, "5");
    run(c, &p).unwrap();
    let r = c.jets.report();
    assert!(r
        .iter()
        .any(|l| l.contains("a50/dec") && l.contains("calls")));
    assert!(r[0].contains("2 registered cores"));
}

#[test]
fn jets_clue_parsing() {
    let c = &mut ctx();
    let ok = n(c, "[%dec [0 7] ~]");
    assert_eq!(parse_clue(ok).map(|k| k.axis), Some(7));
    let root = n(c, "[[%k 136] [1 0] ~]");
    let k = parse_clue(root).unwrap();
    assert_eq!(k.axis, 0);
    assert_eq!(chum_text(k.name), "k136");
    let hinted = n(c, "[%one [11 %spot 0 3] ~]");
    assert_eq!(parse_clue(hinted).map(|k| k.axis), Some(3));
    let hooks = n(c, "[%ut [0 7] [%ar 9 2 0 1] [%fan 0 28] ~]");
    assert!(parse_clue(hooks).is_some());
    for bad in [
        "%dec",
        "[%dec [2 7] ~]",
        "[%dec [0 7] [5 ~]]",
        "[[1 [2 3]] [0 7] ~]",
    ] {
        let b = n(c, bad);
        assert!(parse_clue(b).is_none(), "{bad}");
    }
    assert_eq!(tas("dec").raw(), term("dec"));
}

/// Boot the ivory kernel (`shared/pills/ivory.pill`, if present) with jets on: its cores register, the kernel's
/// location paths match the hot table, and the registered locations survive a cold-state round trip.
#[test]
fn jets_ivory_kernel_registers() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/pills/ivory.pill");
    let Ok(bytes) = std::fs::read(path) else {
        eprintln!("ivory.pill not present; skipped");
        return;
    };
    let mut c = Context::new(NockStack::new(2 << 30).expect("stack"), 1000);
    c.jets.timing = true;
    let pill = crate::serial::cue_bytes(&mut c.stack, &bytes).unwrap();
    let events = pill.tail().unwrap();
    let fol = n(&mut c, "[2 [0 3] [0 2]]");
    let t0 = std::time::Instant::now();
    let product = nock(&mut c, events, fol).expect("lifecycle");
    let kernel = slot(product, Atom::direct(7).unwrap()).unwrap();
    assert!(kernel.is_cell());
    eprintln!(
        "ivory lifecycle {:?}, {} cores",
        t0.elapsed(),
        c.jets.registered()
    );
    let labels: Vec<String> = (0..c.jets.registered() as u32)
        .map(|i| c.jets.label_of(i))
        .collect();
    for l in labels.iter().take(400) {
        eprintln!("  {l}");
    }
    for line in c.jets.report() {
        eprintln!("{line}");
    }
    assert!(labels
        .iter()
        .any(|l| hot::key_of(&l.split('/').map(String::from).collect::<Vec<_>>()) == "k/one/add"));
}

/// Evaluate Hoon with the ivory kernel's `+wish` (arm 10) in jet-checking mode: every outermost jet call is compared
/// with the kernel's own Nock, and the products are checked. `MARS_WISH_EXPRS='a;b'` evaluates other expressions
/// (printing their products), `MARS_WISH_NO_CHECK` / `MARS_WISH_NO_JETS` switch checking or jets off.
#[test]
fn jets_ivory_wish_in_check_mode() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/pills/ivory.pill");
    let Ok(bytes) = std::fs::read(path) else {
        eprintln!("ivory.pill not present; skipped");
        return;
    };
    let mut c = Context::new(NockStack::new(4 << 30).expect("stack"), 1000);
    c.jets.timing = true;
    c.jets.jet_check = std::env::var("MARS_WISH_NO_CHECK").is_err();
    c.jets.disabled = std::env::var("MARS_WISH_NO_JETS").is_ok();
    let pill = crate::serial::cue_bytes(&mut c.stack, &bytes).unwrap();
    let events = pill.tail().unwrap();
    let fol = n(&mut c, "[2 [0 3] [0 2]]");
    let product = nock(&mut c, events, fol).expect("lifecycle");
    let kernel = slot(product, Atom::direct(7).unwrap()).unwrap();
    let wish_fol = n(&mut c, "[9 10 0 1]");
    let default: &[(&str, &str)] = &[
        ("(add 2 2)", "4"),
        ("(mul 12.345 98.765)", "1219253925"),
        ("(turn (gulf 1 5) |=(a=@ (mul a a)))", "[1 4 9 16 25 0]"),
        (
            "(shax (crip \"abc\"))",
            "78287233127892744762064256752147977895291281102938609026632374073081434896570",
        ),
        ("(jam [1 2 3])", "3426417"),
        ("(cue 0x1231)", "[1 2]"),
        ("(crip \"hello\")", "478560413032"),
        ("~(tap in (silt \"mississippi\"))", "[105 115 112 109 0]"),
        ("(mug [1 2])", "1781973465"),
        ("(cut 3 [1 2] 0x11.2233.4455)", "13124"),
        ("(rip 3 0x11.2233)", "[51 34 17 0]"),
        ("(rev 3 4 0x1234)", "873594880"),
        ("(can 3 ~[[1 0x11] [2 0x2233]])", "2241297"),
        ("(mat 19)", "[11 1240]"),
        ("(rub 1 0x9b0)", "[11 19]"),
        ("(scag 2 (limo ~[1 2 3]))", "[1 2 0]"),
        ("(snag 1 (limo ~[1 2 3]))", "2"),
        ("(roll (limo ~[1 2 3]) add)", "6"),
        ("(levy (limo ~[1 2]) |=(a=@ (gth a 0)))", "0"),
        ("(peg 7 6)", "30"),
        ("(dvr 17 5)", "[3 2]"),
        ("(bex 70)", "1180591620717411303424"),
        ("(end [3 2] 0x11.2233)", "8755"),
        ("~(wyt in (silt (limo ~[1 2 3 4 5])))", "5"),
        ("(~(rep in (silt (limo ~[1 2 3]))) add)", "6"),
    ];
    let custom = std::env::var("MARS_WISH_EXPRS").ok();
    let exprs: Vec<(String, Option<String>)> = match &custom {
        Some(list) => list.split(';').map(|e| (e.to_string(), None)).collect(),
        None => default
            .iter()
            .map(|(e, w)| (e.to_string(), Some(w.to_string())))
            .collect(),
    };
    for (expr, want) in exprs {
        let t0 = std::time::Instant::now();
        let gate = nock(&mut c, kernel, wish_fol).expect("wish gate");
        let txt = crate::noun::cord(&mut c.stack, &expr).unwrap();
        let r = crate::interpreter::slam(&mut c, gate, txt)
            .map(show)
            .map_err(|e| e.mote);
        eprintln!("wish {expr}: {r:?} in {:?}", t0.elapsed());
        if let Some(w) = want {
            assert_eq!(r, Ok(w), "{expr}");
        }
    }
    for line in c.jets.report().iter().take(80) {
        eprintln!("{line}");
    }
    eprintln!("{} jet calls checked", c.jets.checks);
    assert_eq!(c.jets.mismatches, 0);
}

/// A core registered from a frame above the root whose battery shares a subtree with the root frame: the
/// registration refers to the core's own nouns (no copy), is preserved with the frame, and follows the battery when
/// the root frame's collection moves it (a stale pointer once gave `parent not found` while booting brass).
#[test]
fn registration_follows_its_battery_through_pops_and_collections() {
    let c = &mut ctx();
    let shared = n(c, "[[0 6] [4 0 6] [1 7] [0 1]]");
    c.stack.push_frame().unwrap();
    let battery = Cell::new(&mut c.stack, shared, D(0)).unwrap().as_noun();
    let mut core = Cell::new(&mut c.stack, battery, D(140)).unwrap().as_noun();
    let clue = n(c, "[%k140 [1 0] 0]");
    c.jets.register(&c.stack, core, clue);
    c.pop_preserving(&mut core).unwrap();
    assert_eq!(c.jets.registered(), 1);
    // The registered battery is the core's own (moved) battery: found by pointer.
    assert_eq!(c.jets.spot(&c.stack, core), Some(0));
    // Collect the root frame keeping the core, then reuse the freed memory.
    c.collect_top(&mut core).unwrap();
    for i in 0..1000 {
        Cell::new(&mut c.stack, D(i), D(i + 1)).unwrap();
    }
    assert_eq!(c.jets.spot(&c.stack, core), Some(0));
    let same = n(c, "[[[0 6] [4 0 6] [1 7] [0 1]] 0]");
    let copy = Cell::new(&mut c.stack, same, D(140)).unwrap().as_noun();
    assert_eq!(c.jets.spot(&c.stack, copy), Some(0));
    // Collect the root frame keeping nothing: the registration alone keeps its nouns.
    c.collect_top(&mut ()).unwrap();
    let again = n(c, "[[[0 6] [4 0 6] [1 7] [0 1]] 0]");
    let copy = Cell::new(&mut c.stack, again, D(140)).unwrap().as_noun();
    assert_eq!(c.jets.spot(&c.stack, copy), Some(0));
}

/// A registration made in frames that a bail then frees is forgotten (its nouns are gone), together with the
/// registrations that depend on it; registrations whose nouns survive are kept.
#[test]
fn registrations_in_discarded_frames_are_forgotten() {
    let c = &mut ctx();
    let kept = n(c, "[[[0 6] [1 7]] 141]");
    let clue = n(c, "[%k141 [1 0] 0]");
    c.jets.register(&c.stack, kept, clue);
    let cp = c.stack.checkpoint();
    c.stack.push_frame().unwrap();
    let root = n(c, "[[[0 6] [4 0 6]] 140]");
    let clue = n(c, "[%k140 [1 0] 0]");
    c.jets.register(&c.stack, root, clue);
    let gate = n(c, "[[4 0 6] 0]");
    let gate = T(&mut c.stack, &[gate.head().unwrap(), D(0), root]).unwrap();
    let clue = n(c, "[%dec [0 7] 0]");
    c.jets.register(&c.stack, gate, clue);
    assert_eq!(c.jets.registered(), 3);
    c.restore(cp);
    assert_eq!(c.jets.registered(), 1);
    assert_eq!(c.jets.spot(&c.stack, kept), Some(0));
}

/// Cores registered with `%fast` clues shaped like Hoon 135's (as Vere 4.5's k135 tree lists them): the root
/// `[%k 135]`, `one two tri qua` each at axis 3 of the next, `mule` in a core `vi` whose parent `qua` is at its axis 7,
/// and `apt` under the `in` door under `two`. The 135 kernel's cores find the jets written for its layout; the same
/// shapes under a 140 root find the Hoon 140 jets (or none, for `vi`), and a kernel Vere 4.5 does not know gets none.
#[test]
fn jets_register_hoon_135_layout() {
    fn layout(c: &mut Context, kelvin: u64) -> (Noun, Noun) {
        // distinct batteries: [1 tag] formulas
        let core = |c: &mut Context, tag: u64, payload: Noun| {
            let bat = n(c, &format!("[1 {tag}]"));
            T(&mut c.stack, &[bat, payload]).unwrap()
        };
        let reg = |c: &mut Context, core: Noun, clue: &str| {
            let clue = n(c, clue);
            c.jets.register(&c.stack, core, clue);
        };
        let root = core(c, 100, D(kelvin));
        reg(c, root, &format!("[[%k {kelvin}] [1 0] ~]"));
        let one = core(c, 101, root);
        reg(c, one, "[%one [0 3] ~]");
        let two = core(c, 102, one);
        reg(c, two, "[%two [0 3] ~]");
        let tri = core(c, 103, two);
        reg(c, tri, "[%tri [0 3] ~]");
        let qua = core(c, 104, tri);
        reg(c, qua, "[%qua [0 3] ~]");
        let vi_pay = T(&mut c.stack, &[D(0), qua]).unwrap();
        let vi = core(c, 105, vi_pay);
        reg(c, vi, "[%vi [0 7] ~]");
        let mule_pay = T(&mut c.stack, &[D(0), vi]).unwrap();
        let mule = core(c, 106, mule_pay);
        reg(c, mule, "[%mule [0 7] ~]");
        let in_pay = T(&mut c.stack, &[D(0), two]).unwrap();
        let door = core(c, 107, in_pay);
        reg(c, door, "[%in [0 7] ~]");
        let bounds = n(c, "[0 0]");
        let apt_pay = T(&mut c.stack, &[bounds, door]).unwrap();
        let apt = core(c, 108, apt_pay);
        reg(c, apt, "[%apt [0 7] ~]");
        (mule, apt)
    }
    let path = |c: &Context, core: Noun| {
        c.jets
            .find(&c.stack, core, D(2))
            .map(|j| (hot::HOT[j.hot as usize].path, j.hot))
    };

    let c = &mut ctx();
    let (mule, apt) = layout(c, 135);
    assert_eq!(c.jets.registered(), 9);
    assert_eq!(c.jets.label_of(6), "k135/one/two/tri/qua/vi/mule");
    let (p, h) = path(c, mule).expect("vi/mule jetted on 135");
    assert_eq!(p, "k/one/two/tri/qua/vi/mule");
    assert!(std::ptr::fn_addr_eq(
        hot::HOT[h as usize].fun,
        virt::mule as JetFn
    ));
    let (p, h) = path(c, apt).expect("apt jetted on 135");
    assert_eq!(p, "k/one/two/in/apt");
    assert!(std::ptr::fn_addr_eq(
        hot::HOT[h as usize].fun,
        sets::in_apt_distinct as JetFn
    ));

    let c = &mut ctx();
    let (mule, apt) = layout(c, 140);
    assert_eq!(c.jets.registered(), 9);
    assert!(path(c, mule).is_none(), "no vi on 140");
    let (_, h) = path(c, apt).expect("apt jetted on 140");
    assert!(std::ptr::fn_addr_eq(
        hot::HOT[h as usize].fun,
        sets::in_apt as JetFn
    ));

    let c = &mut ctx();
    let (mule, apt) = layout(c, 134);
    assert_eq!(c.jets.registered(), 9);
    assert!(path(c, mule).is_none() && path(c, apt).is_none());
}

/// A child whose parent is not registered is refused, and the message says whether the parent's battery is known.
#[test]
fn jets_register_explains_a_missing_parent() {
    let c = &mut ctx();
    let bat = n(c, "[1 100]");
    let root = T(&mut c.stack, &[bat, D(135)]).unwrap();
    let clue = n(c, "[[%k 135] [1 0] ~]");
    c.jets.register(&c.stack, root, clue);
    // the same battery with another payload: located nowhere, but its battery is known
    let other = T(&mut c.stack, &[bat, D(136)]).unwrap();
    assert!(c.jets.why_unlocated(&c.stack, other).contains("k135"));
    let bat2 = n(c, "[1 101]");
    let child = T(&mut c.stack, &[bat2, other]).unwrap();
    let clue = n(c, "[%one [0 3] ~]");
    c.jets.register(&c.stack, child, clue);
    assert_eq!(c.jets.registered(), 1);
    let stranger = n(c, "[[1 7] 0]");
    assert_eq!(
        c.jets.why_unlocated(&c.stack, stranger),
        "its battery is not registered"
    );
}
