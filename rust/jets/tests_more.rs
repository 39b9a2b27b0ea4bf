//! Tests of the container arms `int dif bif apt all any urn jab key run`, of `mule`/`mole`, and of the Ed25519 and
//! AES-SIV jets (RFC 8032 and RFC 5297 vectors).

use super::util::EXIT;
use super::*;
use crate::interpreter::Context;
use crate::noun::T;
use crate::stack::NockStack;
use crate::text::{parse_noun, Print};

fn ctx() -> Context {
    Context::new(NockStack::new(64 << 20).expect("stack"), 1000)
}

fn n(ctx: &mut Context, text: &str) -> Noun {
    parse_noun(&mut ctx.stack, text).expect("noun text")
}

fn show(x: Noun) -> String {
    Print(x).to_string()
}

/// A gate `[0 sample door]` whose door is `[0 door-sample 0]`: the sample at 6, the door's sample at 30.
fn gate(ctx: &mut Context, sample: Noun, door_sample: Noun) -> Noun {
    let door = T(&mut ctx.stack, &[D(0), door_sample, D(0)]).expect("door");
    T(&mut ctx.stack, &[D(0), sample, door]).expect("gate")
}

/// A set or map built by repeated `put` (the `gas` jet on an empty tree).
fn gas(ctx: &mut Context, items: &str, map: bool) -> Noun {
    let l = n(ctx, items);
    let g = gate(ctx, l, D(0));
    if map {
        sets::by_gas(ctx, g).expect("gas")
    } else {
        sets::in_gas(ctx, g).expect("gas")
    }
}

fn run(ctx: &mut Context, f: JetFn, tree: Noun, sample: Noun) -> Result<Noun, JetErr> {
    let g = gate(ctx, sample, tree);
    f(ctx, g)
}

fn same(a: Noun, b: Noun) {
    assert_eq!(show(a), show(b));
}

#[test]
fn jets_sets_int_dif() {
    let c = &mut ctx();
    let a = gas(c, "[1 2 3 4 5 6 7 8 9 10 0]", false);
    let b = gas(c, "[5 6 7 8 9 10 11 12 13 14 15 0]", false);
    let both = gas(c, "[5 6 7 8 9 10 0]", false);
    let only_a = gas(c, "[1 2 3 4 0]", false);
    // A set's treap shape depends only on its members, so the products equal the sets built directly.
    same(run(c, sets::in_int, a, b).unwrap(), both);
    same(run(c, sets::in_int, b, a).unwrap(), both);
    same(run(c, sets::in_dif, a, b).unwrap(), only_a);
    same(run(c, sets::in_int, a, D(0)).unwrap(), D(0));
    same(run(c, sets::in_dif, a, D(0)).unwrap(), a);
    same(run(c, sets::in_dif, D(0), a).unwrap(), D(0));
    // maps: `int` keeps b's values, `dif` a's entries without b's keys
    let ma = gas(c, "[[1 10] [2 20] [3 30] [4 40] 0]", true);
    let mb = gas(c, "[[3 300] [4 400] [5 500] 0]", true);
    let want = gas(c, "[[3 300] [4 400] 0]", true);
    same(run(c, sets::by_int, ma, mb).unwrap(), want);
    let want = gas(c, "[[1 10] [2 20] 0]", true);
    same(run(c, sets::by_dif, ma, mb).unwrap(), want);
    assert_eq!(run(c, sets::in_int, D(7), a), Err(EXIT));
}

#[test]
fn jets_sets_bif_apt() {
    let c = &mut ctx();
    let a = gas(c, "[1 2 3 4 5 6 7 8 9 10 0]", false);
    // bif splits into the members ordered (by gor) before and after the key; together they are the set without it
    let s = run(c, sets::in_bif, a, D(4)).unwrap();
    let lr = s.as_cell().unwrap();
    let l = lr.head();
    let r = lr.tail();
    let without = gas(c, "[1 2 3 5 6 7 8 9 10 0]", false);
    let u = {
        let g = gate(c, r, l);
        sets::in_uni(c, g).unwrap()
    };
    same(u, without);
    let apt = |c: &mut Context, t: Noun, map: bool| {
        let door = T(&mut c.stack, &[D(0), t, D(0)]).unwrap();
        let lr = T(&mut c.stack, &[D(0), D(0)]).unwrap();
        let trap = T(&mut c.stack, &[D(0), lr, door]).unwrap();
        let f = if map { sets::by_apt } else { sets::in_apt };
        show(f(c, trap).unwrap())
    };
    assert_eq!(apt(c, a, false), "0");
    assert_eq!(apt(c, D(0), false), "0");
    let m = gas(c, "[[1 10] [2 20] [3 30] 0]", true);
    assert_eq!(apt(c, m, true), "0");
    // a child with a key out of order, or a map with a repeated key
    let bad = n(c, "[5 [3 0 0] [3 0 0]]");
    assert_eq!(apt(c, bad, false), "1");
    let bad = n(c, "[[5 1] [[5 2] 0 0] 0]");
    assert_eq!(apt(c, bad, true), "1");
}

/// The arms whose interface or rule changed after Hoon 140 (docs/jets.md, "Kernels").
#[test]
fn jets_sets_kernel_specific_bif_apt() {
    let c = &mut ctx();
    let apt = |c: &mut Context, f: JetFn, t: Noun| {
        let door = T(&mut c.stack, &[D(0), t, D(0)]).unwrap();
        let lr = T(&mut c.stack, &[D(0), D(0)]).unwrap();
        let trap = T(&mut c.stack, &[D(0), lr, door]).unwrap();
        show(f(c, trap).unwrap())
    };
    // a member repeated as its own left child: Hoon 140's apt:in accepts it (gor and mor are reflexive), Hoon 139+
    // (and Vere's u3wdi_apt) refuse it; a well-formed set passes both
    let dup = n(c, "[5 [5 0 0] 0]");
    assert_eq!(apt(c, sets::in_apt, dup), "0");
    assert_eq!(apt(c, sets::in_apt_distinct, dup), "1");
    let dup = n(c, "[5 0 [5 0 0]]");
    assert_eq!(apt(c, sets::in_apt_distinct, dup), "1");
    let good = gas(c, "[1 2 3 4 5 6 7 8 9 10 0]", false);
    assert_eq!(apt(c, sets::in_apt, good), "0");
    assert_eq!(apt(c, sets::in_apt_distinct, good), "0");
    assert_eq!(apt(c, sets::in_apt_distinct, D(0)), "0");
    // bif:by: Hoon 140 samples `[key value]`, Hoon 138+ the key alone; both split the same way
    let m = gas(c, "[[1 10] [2 20] [3 30] [4 40] [5 50] 0]", true);
    let old_sample = n(c, "[3 99]");
    let old = run(c, sets::by_bif, m, old_sample).unwrap();
    let new = run(c, sets::by_bif_key, m, D(3)).unwrap();
    same(old, new);
    let halves = new.as_cell().unwrap();
    let u = {
        let g = gate(c, halves.tail(), halves.head());
        sets::by_uni(c, g).unwrap()
    };
    let without = gas(c, "[[1 10] [2 20] [4 40] [5 50] 0]", true);
    same(u, without);
    // a cell key is a key, not `[key value]`
    let ck = gas(c, "[[[1 2] 10] [[3 4] 20] 0]", true);
    let key = n(c, "[1 2]");
    let split = run(c, sets::by_bif_key, ck, key).unwrap();
    let expect = {
        let pair = n(c, "[[1 2] 0]");
        run(c, sets::by_bif, ck, pair).unwrap()
    };
    same(split, expect);
}

#[test]
fn jets_sets_gates() {
    let c = &mut ctx();
    // the gate `|=(a=* a)` and a gate that crashes: `[battery sample context]`
    let id = n(c, "[[0 6] 0 0]");
    let inc = n(c, "[[4 0 6] 0 0]");
    let m = gas(c, "[[1 10] [2 20] [3 30] 0]", true);
    let s = gas(c, "[1 2 3 0]", false);
    // all/any with `|=(a=* =(a a))` (yes) and `|=(a=* =(a 0))`
    let yes = n(c, "[[5 [0 6] 0 6] 0 0]");
    let zero = n(c, "[[5 [0 6] 1 0] 0 0]");
    assert_eq!(show(run(c, sets::by_all, m, yes).unwrap()), "0");
    assert_eq!(show(run(c, sets::by_any, m, zero).unwrap()), "1");
    assert_eq!(show(run(c, sets::in_all, s, zero).unwrap()), "1");
    assert_eq!(show(run(c, sets::in_any, s, yes).unwrap()), "0");
    assert_eq!(show(run(c, sets::in_all, D(0), zero).unwrap()), "0");
    // all: a product that is not a loobean crashes
    assert_eq!(run(c, sets::in_all, s, inc), Err(EXIT));
    // the identity gives each member back
    let want = gas(c, "[1 2 3 0]", false);
    same(run(c, sets::in_run, s, id).unwrap(), want);
    // run:in maps members into a new set
    let want = gas(c, "[2 3 4 0]", false);
    same(run(c, sets::in_run, s, inc).unwrap(), want);
    // urn:by gives the gate [key value]; jab:by changes one value, crashing on an absent key
    let tail = n(c, "[[0 13] 0 0]");
    let want = gas(c, "[[1 10] [2 20] [3 30] 0]", true);
    same(run(c, sets::by_urn, m, tail).unwrap(), want);
    let s13 = n(c, "[2 [4 0 6] 0 0]");
    let want = gas(c, "[[1 10] [2 21] [3 30] 0]", true);
    same(run(c, sets::by_jab, m, s13).unwrap(), want);
    let s99 = n(c, "[9 [4 0 6] 0 0]");
    assert_eq!(run(c, sets::by_jab, m, s99), Err(EXIT));
    // key:by: the trap is [battery start door]
    let door = T(&mut c.stack, &[D(0), m, D(0)]).unwrap();
    let trap = T(&mut c.stack, &[D(0), D(0), door]).unwrap();
    same(sets::by_key(c, trap).unwrap(), s);
}

#[test]
fn jets_virt_mule_mole() {
    let c = &mut ctx();
    // a trap is [battery payload]; kicking arm 2 runs the battery on the trap
    let ok = n(c, "[[1 42] 0]");
    let bad = n(c, "[[0 99] 0]");
    let core = |c: &mut Context, taq: Noun| T(&mut c.stack, &[D(0), taq, D(0)]).unwrap();
    let k = core(c, ok);
    assert_eq!(show(virt::mule(c, k).unwrap()), "[0 42]");
    let k = core(c, ok);
    assert_eq!(show(virt::mole(c, k).unwrap()), "[0 42]");
    let k = core(c, bad);
    assert_eq!(virt::mule(c, k), Err(JetErr::Punt));
    let k = core(c, bad);
    assert_eq!(show(virt::mole(c, k).unwrap()), "0");
    // not a core at all
    let k = core(c, D(5));
    assert_eq!(show(virt::mole(c, k).unwrap()), "0");
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The atom whose little-endian bytes are the hex string's bytes.
fn le(c: &mut Context, s: &str) -> Noun {
    crate::noun::Atom::from_bytes(&mut c.stack, &hex(s))
        .unwrap()
        .as_noun()
}

/// The atom read from the hex string as a big-endian number (as Hoon writes `0x...`).
fn be(c: &mut Context, s: &str) -> Noun {
    let mut b = hex(s);
    b.reverse();
    crate::noun::Atom::from_bytes(&mut c.stack, &b)
        .unwrap()
        .as_noun()
}

fn eq(a: Noun, b: Noun) -> bool {
    crate::equality::noun_eq(a, b)
}

/// RFC 8032 section 7.1, tests 1-3: secret key, public key, message, signature.
const ED: [(&str, &str, &str, &str); 3] = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
];

#[test]
fn jets_ed25519_rfc8032() {
    let c = &mut ctx();
    for (sk, pk, msg, sig) in ED {
        let seed = le(c, sk);
        let core = T(&mut c.stack, &[D(0), seed, D(0)]).unwrap();
        let want = le(c, pk);
        assert!(eq(crypto::puck(c, core).unwrap(), want), "puck {sk}");
        let m = le(c, msg);
        let s = T(&mut c.stack, &[m, seed]).unwrap();
        let core = T(&mut c.stack, &[D(0), s, D(0)]).unwrap();
        let want_sig = le(c, sig);
        assert!(eq(crypto::sign(c, core).unwrap(), want_sig), "sign {sk}");
        let pub_key = le(c, pk);
        let s = T(&mut c.stack, &[want_sig, m, pub_key]).unwrap();
        let core = T(&mut c.stack, &[D(0), s, D(0)]).unwrap();
        assert_eq!(show(crypto::veri(c, core).unwrap()), "0", "veri {sk}");
        // a different message does not verify
        let other = D(0x1234);
        let s = T(&mut c.stack, &[want_sig, other, pub_key]).unwrap();
        let core = T(&mut c.stack, &[D(0), s, D(0)]).unwrap();
        assert_eq!(show(crypto::veri(c, core).unwrap()), "1");
    }
    // oversized seed crashes; oversized signature or key is simply invalid
    let big = be(
        c,
        "01000000000000000000000000000000000000000000000000000000000000000000",
    );
    let core = T(&mut c.stack, &[D(0), big, D(0)]).unwrap();
    assert_eq!(crypto::puck(c, core), Err(EXIT));
    let s = T(&mut c.stack, &[D(1), D(2), big]).unwrap();
    let core = T(&mut c.stack, &[D(0), s, D(0)]).unwrap();
    assert_eq!(show(crypto::veri(c, core).unwrap()), "1");
}

#[test]
fn jets_ed25519_shar() {
    let c = &mut ctx();
    let (sa, pa) = (le(c, ED[0].0), le(c, ED[0].1));
    let (sb, pb) = (le(c, ED[1].0), le(c, ED[1].1));
    let shared = |c: &mut Context, p: Noun, s: Noun| {
        let smp = T(&mut c.stack, &[p, s]).unwrap();
        let core = T(&mut c.stack, &[D(0), smp, D(0)]).unwrap();
        crypto::shar(c, core).unwrap()
    };
    let ab = shared(c, pb, sa);
    let ba = shared(c, pa, sb);
    assert!(eq(ab, ba), "both sides agree");
    assert!(ab.as_atom().unwrap().byte_len() > 16);
}

/// RFC 5297 appendix A.1 (deterministic AES-SIV, AES-128), in Hoon's hex notation.
#[test]
fn jets_aes_siva_rfc5297() {
    let c = &mut ctx();
    let key = be(
        c,
        "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
    );
    let ad = be(c, "101112131415161718191a1b1c1d1e1f2021222324252627");
    let txt = be(c, "112233445566778899aabbccddee");
    let ads = T(&mut c.stack, &[ad, D(0)]).unwrap();
    let door_sample = T(&mut c.stack, &[key, ads]).unwrap();
    let g = gate(c, txt, door_sample);
    let out = crypto::siva_en(c, g).unwrap();
    let iv = be(c, "85632d07c6e8f37f950acd320a2ecc93");
    let ct = be(c, "40c02b9690c4dc04daef7f6afe5c");
    let want = T(&mut c.stack, &[iv, D(14), ct]).unwrap();
    assert!(eq(out, want), "en: {}", show(out));
    // and back
    let g = gate(c, want, door_sample);
    let back = crypto::siva_de(c, g).unwrap();
    let want = T(&mut c.stack, &[D(0), txt]).unwrap();
    assert!(eq(back, want));
    // a tampered IV: Vere's %evil
    let iv2 = be(c, "85632d07c6e8f37f950acd320a2ecc94");
    let s = T(&mut c.stack, &[iv2, D(14), ct]).unwrap();
    let g = gate(c, s, door_sample);
    assert_eq!(
        crypto::siva_de(c, g),
        Err(JetErr::Fail(crate::interpreter::Mote::Evil))
    );
}

#[test]
fn jets_aes_sivb_sivc_round_trip() {
    let c = &mut ctx();
    type F = fn(&mut Context, Noun) -> Result<Noun, JetErr>;
    let pairs: [(F, F, usize); 3] = [
        (crypto::siva_en, crypto::siva_de, 32),
        (crypto::sivb_en, crypto::sivb_de, 48),
        (crypto::sivc_en, crypto::sivc_de, 64),
    ];
    for (en, de, klen) in pairs {
        let key = le(c, &"a5".repeat(klen));
        let ads = n(c, "[0x1234 0xdead.beef 0]");
        let door_sample = T(&mut c.stack, &[key, ads]).unwrap();
        let txt = n(c, "0x1.0000.0000.0000.0000.0000.0000.0000.0000.00ff");
        let g = gate(c, txt, door_sample);
        let out = en(c, g).unwrap();
        let g = gate(c, out, door_sample);
        let back = de(c, g).unwrap();
        assert_eq!(show(back), show(T(&mut c.stack, &[D(0), txt]).unwrap()));
        // a key longer than the variant's punts
        let long = le(c, &"a5".repeat(klen + 1));
        let door_sample = T(&mut c.stack, &[long, ads]).unwrap();
        let g = gate(c, txt, door_sample);
        assert_eq!(en(c, g), Err(JetErr::Punt));
    }
    // the three variants differ on the same (short) key
    let key = D(7);
    let door_sample = T(&mut c.stack, &[key, D(0)]).unwrap();
    let g = gate(c, D(99), door_sample);
    let a = crypto::siva_en(c, g).unwrap();
    let b = crypto::sivb_en(c, g).unwrap();
    let cc = crypto::sivc_en(c, g).unwrap();
    assert!(!eq(a, b) && !eq(b, cc) && !eq(a, cc));
}

#[test]
fn jets_need() {
    let c = &mut ctx();
    let u = n(c, "[0 42]");
    let core = T(&mut c.stack, &[D(0), u, D(0)]).unwrap();
    assert_eq!(show(lists::need(c, core).unwrap()), "42");
    for bad in [D(0), D(7)] {
        let core = T(&mut c.stack, &[D(0), bad, D(0)]).unwrap();
        assert_eq!(lists::need(c, core), Err(EXIT));
    }
}

#[test]
fn jets_trip() {
    let c = &mut ctx();
    let cord = n(c, "'abc'");
    let core = T(&mut c.stack, &[D(0), cord, D(0)]).unwrap();
    assert_eq!(show(serial::trip(c, core).unwrap()), "[97 98 99 0]");
    let core = T(&mut c.stack, &[D(0), D(0), D(0)]).unwrap();
    assert_eq!(show(serial::trip(c, core).unwrap()), "0");
    let cell = n(c, "[1 2]");
    let core = T(&mut c.stack, &[D(0), cell, D(0)]).unwrap();
    assert_eq!(serial::trip(c, core), Err(EXIT));
}
