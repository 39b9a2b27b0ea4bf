//! Protocol P2 (king-protocol.md §3.12): message shapes as Vere 4.x builds them, bad messages, and round trips
//! (every message survives encode, jam, cue, decode; and whatever noun decodes re-encodes to itself).

use super::p2::*;
use super::{DecodeError, Goof};
use crate::equality::noun_eq;
use crate::noun::{list, tas, Atom, Cell, HeapAlloc, Noun, D, T};
use crate::serial::{cue_bytes, jam_to_bytes};
use proptest::collection::vec;
use proptest::prelude::*;

#[test]
fn ripe_has_vere_4s_shape() {
    let mut h = HeapAlloc::new();
    let ripe = Plea::Ripe {
        wynn: vec![],
        who: 0,
        fake: true,
        eve: 25,
        mug: 0x44e5ccc0,
    }
    .encode(&mut h)
    .unwrap();
    // [%ripe [2 ~] [0 %.y] 25 mug]
    let ver = T(&mut h, &[D(2), D(0)]).unwrap();
    let id = T(&mut h, &[D(0), D(0)]).unwrap();
    let want = T(&mut h, &[RIPE, ver, id, D(25), D(0x44e5ccc0)]).unwrap();
    assert!(noun_eq(ripe, want));
    match Plea::decode(ripe).unwrap() {
        Plea::Ripe {
            wynn,
            who,
            fake,
            eve,
            mug,
        } => {
            assert!(wynn.is_empty());
            assert_eq!((who, fake, eve, mug), (0, true, 25, 0x44e5ccc0));
        }
        other => panic!("{other:?}"),
    }
    // A P1 %ripe is refused by version.
    let v1 = T(&mut h, &[D(1), D(141), D(4)]).unwrap();
    let p1 = T(&mut h, &[RIPE, v1, D(0), D(0)]).unwrap();
    assert!(Plea::decode(p1).is_err());
}

#[test]
fn writs_decode_as_vere_sends_them() {
    let mut h = HeapAlloc::new();
    let wire = T(&mut h, &[tas("b"), tas("behn"), D(0)]).unwrap();
    let ovum = T(&mut h, &[wire, tas("wake"), D(0)]).unwrap();
    let poke = T(&mut h, &[POKE, D(0), ovum]).unwrap();
    let poke = cue_bytes(&mut h, &jam_to_bytes(poke)).unwrap();
    assert!(matches!(Writ::decode(poke), Ok(Writ::Poke { mil: 0, .. })));
    let sync = T(&mut h, &[SYNC, SAVE, D(0)]).unwrap();
    assert!(matches!(Writ::decode(sync), Ok(Writ::Sync)));
    let exit = T(&mut h, &[EXIT, D(0)]).unwrap();
    assert!(matches!(Writ::decode(exit), Ok(Writ::Exit)));
    let meld = T(&mut h, &[LIVE, MELD, D(0)]).unwrap();
    assert!(matches!(
        Writ::decode(meld),
        Ok(Writ::Live(Live::Meld(None)))
    ));
    let meld2 = T(&mut h, &[LIVE, MELD, D(0), D(1)]).unwrap();
    assert!(matches!(
        Writ::decode(meld2),
        Ok(Writ::Live(Live::Meld(Some((true, false)))))
    ));
    let quac = T(&mut h, &[QUIZ, QUAC, D(0)]).unwrap();
    assert!(matches!(Writ::decode(quac), Ok(Writ::Quiz(Quiz::Quac))));
    // The ames double-boot check: [%peek 0 [[~ ~] %.n %once %ax %$ /boot]].
    let gang = T(&mut h, &[D(0), D(0)]).unwrap();
    let path = T(&mut h, &[tas("boot"), D(0)]).unwrap();
    let sam = T(&mut h, &[gang, D(1), tas("once"), tas("ax"), D(0), path]).unwrap();
    let peek = T(&mut h, &[PEEK, D(0), sam]).unwrap();
    assert!(matches!(Writ::decode(peek), Ok(Writ::Peek { mil: 0, .. })));
}

#[test]
fn bad_writs_say_what_is_wrong() {
    let mut h = HeapAlloc::new();
    let cases: Vec<(Noun, &str)> = vec![
        (
            T(&mut h, &[tas("work"), D(0), D(0)]).unwrap(),
            "unknown writ tag %work",
        ),
        (T(&mut h, &[POKE, D(0), D(5)]).unwrap(), "%poke ovum"),
        (
            T(&mut h, &[POKE, D(1 << 40), D(5), D(6)]).unwrap(),
            "%poke timeout",
        ),
        (
            T(&mut h, &[SYNC, tas("cram"), D(0)]).unwrap(),
            "unknown %sync writ %cram",
        ),
        (
            T(&mut h, &[SYNC, SAVE, D(3)]).unwrap(),
            "%sync %save argument is not ~",
        ),
        (
            T(&mut h, &[LIVE, tas("save"), D(3)]).unwrap(),
            "unknown %live writ %save",
        ),
        (
            T(&mut h, &[LIVE, PACK, D(3)]).unwrap(),
            "%live %pack argument",
        ),
        (
            T(&mut h, &[LIVE, MELD, D(2), D(0)]).unwrap(),
            "first pass flag",
        ),
        (
            T(&mut h, &[QUIZ, tas("quux"), D(0)]).unwrap(),
            "unknown %quiz writ",
        ),
        (T(&mut h, &[EXIT, D(1)]).unwrap(), "%exit argument"),
    ];
    for (n, needle) in cases {
        let e = Writ::decode(n).unwrap_err().to_string();
        assert!(e.contains(needle), "{e:?} lacks {needle:?}");
    }
    assert_eq!(
        Writ::decode(D(5)).unwrap_err(),
        DecodeError::NotCell { what: "writ" }
    );
}

#[test]
fn boot_frames_decode_and_refuse_garbage() {
    let mut h = HeapAlloc::new();
    let pill = Atom::from_bytes(&mut h, b"not really a pill")
        .unwrap()
        .as_noun();
    let vent = T(&mut h, &[FAKE, D(0)]).unwrap();
    let wire = T(&mut h, &[tas("j"), tas("seed"), D(0)]).unwrap();
    let ovum = T(&mut h, &[wire, tas("rekey"), D(0)]).unwrap();
    let ova = list(&mut h, &[ovum]).unwrap();
    let prop = T(&mut h, &[PROP, tas("keys"), HIND, ova]).unwrap();
    let more = list(&mut h, &[prop]).unwrap();
    let b = Boot {
        pill,
        arvo: None,
        vent,
        more,
    };
    let n = b.encode(&mut h).unwrap();
    let back = Boot::decode(cue_bytes(&mut h, &jam_to_bytes(n)).unwrap()).unwrap();
    assert!(noun_eq(back.encode(&mut h).unwrap(), n));
    assert!(back.arvo.is_none());
    let with_arvo = Boot {
        arvo: Some(ovum),
        ..b
    };
    let n = with_arvo.encode(&mut h).unwrap();
    assert!(Boot::decode(n).unwrap().arvo.is_some());
    let bad_vent = {
        let q = T(&mut h, &[pill, D(0)]).unwrap();
        let vent = T(&mut h, &[tas("real"), D(0)]).unwrap();
        T(&mut h, &[tas("boot"), q, vent, D(0)]).unwrap()
    };
    assert!(Boot::decode(bad_vent)
        .unwrap_err()
        .to_string()
        .contains("boot vent"));
    let bad_tier = {
        let p = T(&mut h, &[PROP, tas("x"), tas("mid"), D(0)]).unwrap();
        let more = list(&mut h, &[p]).unwrap();
        let q = T(&mut h, &[pill, D(0)]).unwrap();
        T(&mut h, &[tas("boot"), q, vent, more]).unwrap()
    };
    assert!(Boot::decode(bad_tier)
        .unwrap_err()
        .to_string()
        .contains("tier"));
    assert!(Boot::decode(T(&mut h, &[tas("work"), D(0)]).unwrap()).is_err());
}

// ---------------------------------------------------------------------------------------------------------------
// Round trips.

#[derive(Clone, Debug)]
enum N {
    Small(u64),
    Big(u128),
    Tag(usize),
    C(Box<N>, Box<N>),
}

const TAGS: [Noun; 16] = [
    POKE, PEEK, SYNC, LIVE, QUIZ, EXIT, RIPE, SLOG, FLOG, SAVE, MELD, PACK, QUAC, QUIC, OPEN, IDLE,
];

fn noun_desc() -> impl Strategy<Value = N> {
    let leaf = prop_oneof![
        (0u64..3).prop_map(N::Small),
        any::<u64>().prop_map(N::Small),
        any::<u128>().prop_map(N::Big),
        (0..TAGS.len()).prop_map(N::Tag),
    ];
    leaf.prop_recursive(6, 48, 2, |inner| {
        (inner.clone(), inner).prop_map(|(h, t)| N::C(Box::new(h), Box::new(t)))
    })
}

fn build(h: &mut HeapAlloc, n: &N) -> Noun {
    match n {
        N::Small(v) => Atom::new(h, *v).unwrap().as_noun(),
        N::Big(v) => Atom::from_u128(h, *v).unwrap().as_noun(),
        N::Tag(i) => TAGS[*i],
        N::C(a, b) => {
            let a = build(h, a);
            let b = build(h, b);
            Cell::new(h, a, b).unwrap().as_noun()
        }
    }
}

fn pair(h: &mut HeapAlloc, n: &N) -> Noun {
    let x = build(h, n);
    if x.is_cell() {
        x
    } else {
        T(h, &[x, x]).unwrap()
    }
}

fn goof(h: &mut HeapAlloc, mote: u64, tang: &N) -> Goof {
    Goof {
        mote: Atom::new(h, mote).unwrap().as_noun(),
        tang: build(h, tang),
    }
}

fn writ(h: &mut HeapAlloc, k: u8, x: u64, ns: &[N]) -> Writ {
    match k % 10 {
        0 => Writ::Poke {
            mil: x as u32 as u64,
            ovum: pair(h, &ns[0]),
        },
        1 => Writ::Peek {
            mil: x as u32 as u64,
            sam: build(h, &ns[0]),
        },
        2 => Writ::Sync,
        3 => Writ::Live(Live::Meld(None)),
        4 => Writ::Live(Live::Meld(Some((x & 1 == 0, x & 2 == 0)))),
        5 => Writ::Live(Live::Pack),
        6 => Writ::Quiz(Quiz::Quac),
        7 => Writ::Quiz(Quiz::Quic),
        _ => Writ::Exit,
    }
}

fn plea(h: &mut HeapAlloc, k: u8, x: u64, who: u128, ns: &[N]) -> Plea {
    let mug = (x >> 33) as u32;
    match k % 11 {
        0 => Plea::Ripe {
            wynn: vec![(tas("zuse"), x), (tas("hoon"), 141)],
            who,
            fake: x & 1 == 0,
            eve: x,
            mug,
        },
        1 => Plea::Live,
        2 => Plea::Slog {
            pri: x as u32,
            tank: build(h, &ns[0]),
        },
        3 => Plea::Flog(Atom::from_u128(h, who).unwrap().as_noun()),
        4 => Plea::Peek(PeekReply::Done(build(h, &ns[0]))),
        5 => Plea::Peek(PeekReply::Bail(goof(h, x, &ns[0]))),
        6 => {
            let fx: Vec<Noun> = ns.iter().map(|n| pair(h, n)).collect();
            Plea::Poke(PokeReply::Done(list(h, &fx).unwrap()))
        }
        7 => Plea::Poke(PokeReply::Bail(ns.iter().map(|n| goof(h, x, n)).collect())),
        8 => Plea::Sync { eve: x, mug },
        9 => {
            let name = crate::noun::cord(h, "kernel").unwrap();
            let size = Atom::new(h, x).unwrap().as_noun();
            let item = T(h, &[name, size, D(0)]).unwrap();
            Plea::Quac(list(h, &[item]).unwrap())
        }
        _ => Plea::Quic {
            open: x,
            idle: x >> 7,
        },
    }
}

proptest! {
    #[test]
    fn writs_round_trip(k in any::<u8>(), x in any::<u64>(), ns in vec(noun_desc(), 1..4)) {
        let mut h = HeapAlloc::new();
        let w = writ(&mut h, k, x, &ns);
        let n = w.encode(&mut h).unwrap();
        let n = cue_bytes(&mut h, &jam_to_bytes(n)).unwrap();
        let back = Writ::decode(n).unwrap_or_else(|e| panic!("{w:?}: {e}"));
        prop_assert!(noun_eq(back.encode(&mut h).unwrap(), n), "{w:?} came back as {back:?}");
    }

    #[test]
    fn pleas_round_trip(k in any::<u8>(), x in any::<u64>(), who in any::<u128>(), ns in vec(noun_desc(), 1..4)) {
        let mut h = HeapAlloc::new();
        let p = plea(&mut h, k, x, who, &ns);
        let n = p.encode(&mut h).unwrap();
        let n = cue_bytes(&mut h, &jam_to_bytes(n)).unwrap();
        let back = Plea::decode(n).unwrap_or_else(|e| panic!("{p:?}: {e}"));
        prop_assert_eq!(back.kind(), p.kind());
        prop_assert!(noun_eq(back.encode(&mut h).unwrap(), n), "{p:?} came back as {back:?}");
    }

    /// Whatever noun decodes as a P2 writ or plea is exactly that message's encoding: nothing dropped or defaulted.
    #[test]
    fn decoding_drops_nothing(tag in 0..TAGS.len(), sub in 0..TAGS.len(), rest in noun_desc()) {
        let mut h = HeapAlloc::new();
        let rest = build(&mut h, &rest);
        for n in [T(&mut h, &[TAGS[tag], rest]).unwrap(), T(&mut h, &[TAGS[tag], TAGS[sub], rest]).unwrap()] {
            if let Ok(p) = Plea::decode(n) {
                prop_assert!(noun_eq(p.encode(&mut h).unwrap(), n), "{p:?}");
            }
            if let Ok(w) = Writ::decode(n) {
                prop_assert!(noun_eq(w.encode(&mut h).unwrap(), n), "{w:?}");
            }
        }
    }
}
