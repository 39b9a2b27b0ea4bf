//! The byte examples of king-protocol.md §3, bad messages, and round trips: every message encodes to a noun that
//! decodes to the same message (`encode ∘ decode ∘ encode = encode`; encoding is injective, so the decoded message is
//! the original), and on nouns built from the protocol's own tags, whatever decodes re-encodes to the same noun.

use super::p1::*;
use super::{DecodeError, Goof};
use crate::equality::noun_eq;
use crate::noun::{list, tas, Atom, Cell, HeapAlloc, Noun, D, T};
use crate::serial::{cue_bytes, jam_to_bytes};
use proptest::collection::vec;
use proptest::prelude::*;

#[test]
fn ripe_and_save_bytes_from_the_spec() {
    let mut h = HeapAlloc::new();
    let ripe = |h: &mut HeapAlloc, eve, mug| {
        Plea::Ripe {
            hon: 141,
            nok: 4,
            eve,
            mug,
        }
        .encode(h)
        .unwrap()
    };
    assert_eq!(
        jam_to_bytes(ripe(&mut h, 0, 0)),
        [0x01, 0x5f, 0x2e, 0x0d, 0xae, 0x5c, 0x1c, 0x88, 0x46, 0xcc, 0x14]
    );
    assert_eq!(
        jam_to_bytes(ripe(&mut h, 13, 0x2a5b1c3d)),
        [
            0x01, 0x5f, 0x2e, 0x0d, 0xae, 0x5c, 0x1c, 0x88, 0x46, 0xcc, 0x20, 0x0d, 0xf4, 0x1e,
            0x8e, 0x2d, 0x15
        ]
    );
    let save = cue_bytes(
        &mut h,
        &[
            0x01, 0x9f, 0x2d, 0xcd, 0xae, 0x1c, 0xf0, 0xe7, 0xc2, 0xec, 0xca, 0x90, 0x06,
        ],
    )
    .unwrap();
    assert!(matches!(Writ::decode(save), Ok(Writ::Live(Live::Save(13)))));
    let exit = cue_bytes(
        &mut h,
        &[
            0x01, 0x9f, 0x2d, 0xcd, 0xae, 0x1c, 0xf0, 0xcb, 0xf0, 0xd2, 0xe8, 0x02,
        ],
    )
    .unwrap();
    assert!(matches!(Writ::decode(exit), Ok(Writ::Live(Live::Exit(0)))));
    let live = Plea::Live.encode(&mut h).unwrap();
    assert_eq!(jam_to_bytes(live), [0x01, 0x9f, 0x2d, 0xcd, 0xae, 0x2c]);
    let hi = crate::noun::cord(&mut h, "hi").unwrap();
    let flog = Plea::Flog(hi).encode(&mut h).unwrap();
    assert_eq!(
        jam_to_bytes(flog),
        [0x01, 0xdf, 0x8c, 0xed, 0xed, 0x0c, 0x1e, 0x2d, 0x0d]
    );
}

#[test]
fn a_work_writ_decodes_its_date_and_card() {
    let mut h = HeapAlloc::new();
    // [%work 0 [~2023.11.14..22.13.20..8000 [/b/behn [%wake ~]]]] (king-protocol.md §3.7), through jam and cue.
    let now = Atom::from_u128(&mut h, 0x8000_000d_33f1_fe80_8000_0000_0000_0000).unwrap();
    let wire = T(&mut h, &[tas("b"), tas("behn"), D(0)]).unwrap();
    let w = T(
        &mut h,
        &[WORK, D(0), now.as_noun(), wire, tas("wake"), D(0)],
    )
    .unwrap();
    let n = cue_bytes(&mut h, &jam_to_bytes(w)).unwrap();
    match Writ::decode(n).unwrap() {
        Writ::Work { mil, job } => {
            assert_eq!(mil, 0);
            let now = job.head().unwrap().as_atom().unwrap();
            assert_eq!(now.words(), &[0x8000_0000_0000_0000, 0x8000_000d_33f1_fe80]);
            let card = job.tail().unwrap().tail().unwrap();
            assert_eq!(card.head(), Some(tas("wake")));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_writs_say_what_is_wrong() {
    let mut h = HeapAlloc::new();
    let unknown = T(&mut h, &[tas("hello"), D(1)]).unwrap();
    assert_eq!(
        Writ::decode(unknown).unwrap_err().to_string(),
        "unknown writ tag %hello"
    );
    assert_eq!(
        Writ::decode(D(5)).unwrap_err(),
        DecodeError::NotCell { what: "writ" }
    );
    let empty_play = T(&mut h, &[PLAY, D(1), D(0)]).unwrap();
    assert_eq!(
        Writ::decode(empty_play).unwrap_err(),
        DecodeError::EmptyList {
            what: "%play event list"
        }
    );
    let improper = T(&mut h, &[D(1), D(2)]).unwrap();
    let improper_play = T(&mut h, &[PLAY, D(1), improper]).unwrap();
    assert!(matches!(
        Writ::decode(improper_play),
        Err(DecodeError::NotList { .. })
    ));
    let work_atom_job = T(&mut h, &[WORK, D(0), D(7)]).unwrap();
    assert!(matches!(
        Writ::decode(work_atom_job),
        Err(DecodeError::NotCell { .. })
    ));
    let work_atom_ovum = T(&mut h, &[WORK, D(0), D(7), D(8)]).unwrap();
    assert!(Writ::decode(work_atom_ovum)
        .unwrap_err()
        .to_string()
        .contains("ovum"));
    let exit_big = T(&mut h, &[LIVE, EXIT, D(300)]).unwrap();
    assert_eq!(
        Writ::decode(exit_big).unwrap_err(),
        DecodeError::NotAtom {
            what: "%live %exit code",
            bits: 8
        }
    );
    let big = Atom::from_u128(&mut h, 1 << 70).unwrap().as_noun();
    let save_big = T(&mut h, &[LIVE, SAVE, big]).unwrap();
    assert!(matches!(
        Writ::decode(save_big),
        Err(DecodeError::NotAtom { bits: 64, .. })
    ));
}

#[test]
fn bad_pleas_say_what_is_wrong() {
    let mut h = HeapAlloc::new();
    let ver = T(&mut h, &[D(2), D(0)]).unwrap();
    let p2_ripe = T(&mut h, &[RIPE, ver, D(0), D(0)]).unwrap();
    assert_eq!(
        Plea::decode(p2_ripe).unwrap_err().to_string(),
        "the serf speaks protocol 2, not 1"
    );
    let ver = T(&mut h, &[D(1), D(300), D(4)]).unwrap();
    let big_kelvin = T(&mut h, &[RIPE, ver, D(0), D(0)]).unwrap();
    assert!(Plea::decode(big_kelvin).is_err());
    let big_mug = T(&mut h, &[PLAY, DONE, D(1 << 31)]).unwrap();
    assert_eq!(
        Plea::decode(big_mug).unwrap_err(),
        DecodeError::NotAtom {
            what: "%play %done mug",
            bits: 31
        }
    );
    let live_junk = T(&mut h, &[LIVE, D(1)]).unwrap();
    assert!(Plea::decode(live_junk).is_err());
    let cell_mote = T(&mut h, &[D(1), D(2)]).unwrap();
    let bad_goof = T(&mut h, &[PEEK, BAIL, cell_mote, D(0)]).unwrap();
    assert!(Plea::decode(bad_goof).is_err());
    let atom_effect = T(&mut h, &[D(5), D(0)]).unwrap();
    let bad_fec = T(&mut h, &[WORK, DONE, D(9), D(1), atom_effect]).unwrap();
    assert!(Plea::decode(bad_fec)
        .unwrap_err()
        .to_string()
        .contains("effect"));
}

// ---------------------------------------------------------------------------------------------------------------
// Round trips.

/// A noun described on the Rust side, so proptest can print and shrink it. Atoms are often protocol tags, so that
/// random nouns are often well-formed messages.
#[derive(Clone, Debug)]
enum N {
    Small(u64),
    Big(u128),
    Tag(usize),
    C(Box<N>, Box<N>),
}

const TAGS: [Noun; 15] = [
    LIVE, PEEK, PLAY, WORK, RIPE, SLOG, FLOG, DONE, BAIL, SWAP, SAVE, CRAM, EXIT, MELD, PACK,
];

fn noun_desc() -> impl Strategy<Value = N> {
    let leaf = prop_oneof![
        (0u64..5).prop_map(N::Small),
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

/// The `[now [wire card]]` job of two random nouns.
fn build_job(h: &mut HeapAlloc, now: u128, wire: &N, card: &N) -> Noun {
    let now = Atom::from_u128(h, now).unwrap().as_noun();
    let (w, c) = (build(h, wire), build(h, card));
    T(h, &[now, w, c]).unwrap()
}

fn build_list(h: &mut HeapAlloc, items: &[N]) -> Noun {
    let ns: Vec<Noun> = items.iter().map(|n| build(h, n)).collect();
    list(h, &ns).unwrap()
}

/// A writ of kind `k` from the random parts.
fn writ(h: &mut HeapAlloc, k: u8, x: u64, now: u128, ns: &[N]) -> Writ {
    match k % 9 {
        0 => Writ::Live(Live::Save(x)),
        1 => Writ::Live(Live::Cram(x)),
        2 => Writ::Live(Live::Exit(x as u8)),
        3 => Writ::Live(Live::Meld),
        4 => Writ::Live(Live::Pack),
        5 => Writ::Peek {
            mil: x,
            sam: build(h, &ns[0]),
        },
        6 => Writ::Play {
            eve: x,
            lit: build_list(h, ns),
        },
        _ => Writ::Work {
            mil: x,
            job: build_job(h, now, &ns[0], &ns[1]),
        },
    }
}

fn goof(h: &mut HeapAlloc, mote: u64, tang: &N) -> Goof {
    Goof {
        mote: Atom::new(h, mote).unwrap().as_noun(),
        tang: build(h, tang),
    }
}

/// A plea of kind `k` from the random parts (`ns` has at least two items).
fn plea(h: &mut HeapAlloc, k: u8, x: u64, now: u128, ns: &[N]) -> Plea {
    let mug = (x >> 33) as u32;
    match k % 11 {
        0 => Plea::Ripe {
            hon: x as u8,
            nok: (x >> 8) as u8,
            eve: x,
            mug,
        },
        1 => Plea::Live,
        2 => Plea::Slog {
            pri: x as u32,
            tank: build(h, &ns[0]),
        },
        3 => Plea::Flog(Atom::from_u128(h, now).unwrap().as_noun()),
        4 => Plea::Peek(PeekReply::Done(build(h, &ns[0]))),
        5 => Plea::Peek(PeekReply::Bail(goof(h, x, &ns[0]))),
        6 => Plea::Play(PlayReply::Done { mug }),
        7 => Plea::Play(PlayReply::Bail {
            eve: x,
            mug,
            goof: goof(h, x >> 3, &ns[0]),
        }),
        8 => {
            let effects = effects(h, ns);
            Plea::Work(WorkReply::Done {
                eve: x,
                mug,
                effects,
            })
        }
        9 => {
            let job = build_job(h, now, &ns[0], &ns[1]);
            let effects = effects(h, &ns[1..]);
            Plea::Work(WorkReply::Swap {
                eve: x,
                mug,
                job,
                effects,
            })
        }
        _ => Plea::Work(WorkReply::Bail {
            goofs: ns.iter().map(|n| goof(h, x, n)).collect(),
        }),
    }
}

/// A list of effects `[wire card]`, one per noun (split into wire and card, or paired with itself if an atom).
fn effects(h: &mut HeapAlloc, ns: &[N]) -> Noun {
    let fx: Vec<Noun> = ns
        .iter()
        .map(|n| {
            let x = build(h, n);
            if x.is_cell() {
                x
            } else {
                T(h, &[x, x]).unwrap()
            }
        })
        .collect();
    list(h, &fx).unwrap()
}

proptest! {
    #[test]
    fn writs_round_trip(k in any::<u8>(), x in any::<u64>(), now in any::<u128>(), ns in vec(noun_desc(), 2..6)) {
        let mut h = HeapAlloc::new();
        let w = writ(&mut h, k, x, now, &ns);
        let n = w.encode(&mut h).unwrap();
        // through the wire too
        let n = cue_bytes(&mut h, &jam_to_bytes(n)).unwrap();
        let back = Writ::decode(n).unwrap_or_else(|e| panic!("{w:?}: {e}"));
        prop_assert!(noun_eq(back.encode(&mut h).unwrap(), n), "{w:?} came back as {back:?}");
    }

    #[test]
    fn pleas_round_trip(k in any::<u8>(), x in any::<u64>(), now in any::<u128>(), ns in vec(noun_desc(), 2..6)) {
        let mut h = HeapAlloc::new();
        let p = plea(&mut h, k, x, now, &ns);
        let n = p.encode(&mut h).unwrap();
        let n = cue_bytes(&mut h, &jam_to_bytes(n)).unwrap();
        let back = Plea::decode(n).unwrap_or_else(|e| panic!("{p:?}: {e}"));
        prop_assert_eq!(back.is_chatter(), p.is_chatter());
        prop_assert!(noun_eq(back.encode(&mut h).unwrap(), n), "{p:?} came back as {back:?}");
    }

    /// Any noun that decodes as a plea is exactly that plea's encoding (nothing is dropped or defaulted); writs
    /// likewise, except that `%meld` and `%pack` ignore their argument.
    #[test]
    fn decoding_drops_nothing(tag in 0..TAGS.len(), sub in 0..TAGS.len(), rest in noun_desc()) {
        let mut h = HeapAlloc::new();
        let rest = build(&mut h, &rest);
        for n in [T(&mut h, &[TAGS[tag], rest]).unwrap(), T(&mut h, &[TAGS[tag], TAGS[sub], rest]).unwrap()] {
            if let Ok(p) = Plea::decode(n) {
                prop_assert!(noun_eq(p.encode(&mut h).unwrap(), n), "{p:?}");
            }
            match Writ::decode(n) {
                Ok(w @ Writ::Live(Live::Meld | Live::Pack)) => {
                    let c = n.tail().and_then(|t| t.head());
                    prop_assert_eq!(c, w.encode(&mut h).unwrap().tail().and_then(|t| t.head()));
                }
                Ok(w) => prop_assert!(noun_eq(w.encode(&mut h).unwrap(), n), "{w:?}"),
                Err(_) => {}
            }
        }
    }
}
