//! The boot sequence as the P2 `boot` process assembles it from `[%boot pill vent more]` (king-protocol.md §4.3;
//! checked against Vere 4.5's log in `shared/fixtures/vere45-zod`, events 1–13):
//!
//! * the pill's `bot` formulas, undated;
//! * then, dated `t + k·2^48` for k = 1, 2, …: the wisps `%wyrd %verb %whom %wack` on `//arvo`, the pill's `mod`,
//!   the `%fore` props' ova, `[/d/term/1 [%boot %.n vent]]`, the pill's `use` (its first `%into` or `%park %base`
//!   replaced by the frame's ovum if it has one), and the `%hind` props' ova.
//!
//! A `%cash` pill's cache of precomputed `%memo` results is a pure optimisation and is not used.

use crate::noun::{cord, list, list_iter, tas, Alloc, Atom, Noun, Oom, D, T};
use crate::protocol::p2::{Boot, DAWN, FAKE, FORE};
use crate::serial::cue_bytes;

/// The `%wyrd` nonce Vere 4.x sends (a fixed string).
const WYRD_NONCE: &str = "0v1s.vu178";
/// The release channel and version in `%wyrd`'s `/vere/<pace>/~.<version>`: Vere 4.5's, which the kernels this
/// runtime boots were released against.
const WYRD_PACE: &str = "live";
const WYRD_VERSION: &str = "4.5";
/// The kelvins Vere 4.5 puts in `%wyrd`.
const WYRD_KELVINS: [(&str, u64); 5] = [
    ("zuse", 408),
    ("lull", 320),
    ("arvo", 234),
    ("hoon", 135),
    ("nock", 4),
];

/// The assembled sequence and what goes into the log's `META`.
pub struct Sequence {
    pub events: Vec<Noun>,
    pub who: u128,
    pub fake: bool,
    pub life: u64,
}

fn oom(_: Oom) -> String {
    "out of memory assembling the boot sequence".into()
}

fn items(what: &str, n: Noun) -> Result<Vec<Noun>, String> {
    list_iter(n)
        .collect::<Result<Vec<_>, ()>>()
        .map_err(|_| format!("{what} is not a list"))
}

/// An atom of at most 128 bits, as `u128`.
fn ship(n: Noun) -> Option<u128> {
    let a = n.as_atom()?;
    if a.bit_len() > 128 {
        return None;
    }
    let w = a.words();
    Some(w.first().copied().unwrap_or(0) as u128 | (w.get(1).copied().unwrap_or(0) as u128) << 64)
}

/// `[%wyrd [nonce /vere/<pace>/~.<version>] kelvins]`.
fn wyrd<A: Alloc + ?Sized>(a: &mut A) -> Result<Noun, Oom> {
    let sen = cord(a, WYRD_NONCE)?;
    let pace = cord(a, WYRD_PACE)?;
    let ver = cord(a, &format!("~.{WYRD_VERSION}"))?;
    let rev = list(a, &[tas("vere"), pace, ver])?;
    let mut kel = Vec::new();
    for (name, k) in WYRD_KELVINS {
        kel.push(T(a, &[tas(name), D(k)])?);
    }
    let kel = list(a, &kel)?;
    let vere = T(a, &[sen, rev])?;
    T(a, &[tas("wyrd"), vere, kel])
}

/// Assemble the boot sequence of `boot` in `a` (the serf's root frame), dated from `now` (`@da`), with `eny` as
/// the `%wack` entropy. `verbose` selects `%verb [~ %.n]`.
pub fn assemble<A: Alloc + ?Sized>(
    a: &mut A,
    boot: &Boot,
    now: u128,
    eny: &[u8; 64],
    verbose: bool,
) -> Result<Sequence, String> {
    let bytes = boot
        .pill
        .as_atom()
        .ok_or("the boot pill is not an atom")?
        .to_bytes();
    let pill = cue_bytes(a, &bytes).map_err(|e| format!("the pill does not decode: {e}"))?;
    let (tag, dat) = match pill.as_cell() {
        Some(c) => (c.head(), c.tail()),
        None => return Err("the pill is an atom, not [%pill ...]".into()),
    };
    let dat = if tag == tas("pill") {
        dat
    } else if tag == tas("cash") {
        dat.head().ok_or("a %cash pill without its pill")?
    } else if tag == tas("ivory") {
        return Err("an %ivory pill cannot boot a ship".into());
    } else {
        return Err(format!(
            "unrecognised pill {}",
            crate::protocol::show_tag(tag)
        ));
    };
    let parts = |n: Noun| n.as_cell().map(|c| (c.head(), c.tail()));
    let bad = || "the pill is not [%pill nam bot mod use]".to_string();
    let (_nam, rest) = parts(dat).ok_or_else(bad)?;
    let (bot, rest) = parts(rest).ok_or_else(bad)?;
    let (mod_, use_) = parts(rest).ok_or_else(bad)?;
    let bot = items("the pill's boot formulas", bot)?;
    if bot.is_empty() {
        return Err("the pill has no boot formulas".into());
    }
    let mod_ = items("the pill's kernel events", mod_)?;
    let mut use_ = items("the pill's userspace events", use_)?;

    if let Some(arvo) = boot.arvo {
        let replaceable = |o: Noun| {
            let card = o.tail();
            let tag = card.and_then(|c| c.head());
            tag == Some(tas("into"))
                || (tag == Some(tas("park"))
                    && card.and_then(|c| c.tail()).and_then(|c| c.head()) == Some(tas("base")))
        };
        let hits: Vec<usize> = (0..use_.len()).filter(|&i| replaceable(use_[i])).collect();
        if hits.len() != 1 {
            return Err(format!(
                "the pill has {} %into/%park %base events; replacing the filesystem needs exactly one",
                hits.len()
            ));
        }
        use_[hits[0]] = arvo;
    }

    let (kind, dat) = match boot.vent.as_cell() {
        Some(c) => (c.head(), c.tail()),
        None => return Err("the boot vent is not a cell".into()),
    };
    let (who_noun, fake) = if kind == FAKE {
        (dat, true)
    } else if kind == DAWN {
        // [%dawn [seed ...]]: the ship is the head of the seed's tail's head, as Vere reads it.
        let who = dat
            .head()
            .and_then(|s| s.tail())
            .and_then(|s| s.head())
            .ok_or("the %dawn event has no ship")?;
        (who, false)
    } else {
        return Err(format!(
            "unknown boot event {}",
            crate::protocol::show_tag(kind)
        ));
    };
    let who =
        ship(who_noun).ok_or("the boot identity is not a ship (an atom of at most 128 bits)")?;

    let arvo_wire = T(a, &[D(0), tas("arvo"), D(0)]).map_err(oom)?;
    let mut ova = Vec::new();
    let wyrd = wyrd(a).map_err(oom)?;
    ova.push(T(a, &[arvo_wire, wyrd]).map_err(oom)?);
    let verb = T(a, &[tas("verb"), D(0), Noun::flag(!verbose)]).map_err(oom)?;
    ova.push(T(a, &[arvo_wire, verb]).map_err(oom)?);
    let whom = T(a, &[tas("whom"), who_noun]).map_err(oom)?;
    ova.push(T(a, &[arvo_wire, whom]).map_err(oom)?);
    let eny = Atom::from_bytes(a, eny).map_err(oom)?.as_noun();
    let wack = T(a, &[tas("wack"), eny]).map_err(oom)?;
    ova.push(T(a, &[arvo_wire, wack]).map_err(oom)?);
    ova.extend_from_slice(&mod_);

    let (mut fore, mut hind) = (Vec::new(), Vec::new());
    for prop in items("the boot props", boot.more)? {
        // [%prop meta tier ova], checked by Boot::decode
        let tier = prop.tail().and_then(|t| t.tail()).and_then(|t| t.head());
        let prop_ova = prop
            .tail()
            .and_then(|t| t.tail())
            .and_then(|t| t.tail())
            .ok_or("a boot prop without ova")?;
        let into = if tier == Some(FORE) {
            &mut fore
        } else {
            &mut hind
        };
        into.extend(items("a boot prop's ova", prop_ova)?);
    }
    ova.extend(fore);
    let term_wire = T(a, &[tas("d"), tas("term"), tas("1"), D(0)]).map_err(oom)?;
    let legacy = T(a, &[tas("boot"), Noun::NO, boot.vent]).map_err(oom)?;
    ova.push(T(a, &[term_wire, legacy]).map_err(oom)?);
    ova.extend(use_);
    ova.extend(hind);

    let life = bot.len() as u64;
    let mut events = bot;
    for (k, ovum) in ova.into_iter().enumerate() {
        let t = Atom::from_u128(a, now + ((k as u128 + 1) << 48))
            .map_err(oom)?
            .as_noun();
        events.push(T(a, &[t, ovum]).map_err(oom)?);
    }
    Ok(Sequence {
        events,
        who,
        fake,
        life,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noun::HeapAlloc;
    use crate::serial::jam_to_bytes;

    fn pill(h: &mut HeapAlloc, use_: &[Noun]) -> Noun {
        let bot = list(h, &[D(1), D(2)]).unwrap();
        let use_ = list(h, use_).unwrap();
        let p = T(h, &[tas("pill"), tas("baby"), bot, D(0), use_]).unwrap();
        Atom::from_bytes(h, &jam_to_bytes(p)).unwrap().as_noun()
    }

    fn tag_of(event: Noun) -> Noun {
        event.tail().unwrap().tail().unwrap().head().unwrap()
    }

    #[test]
    fn wisps_props_and_dates_are_in_vere_4s_order() {
        let mut h = HeapAlloc::new();
        let wire = T(&mut h, &[tas("c"), tas("sync"), D(0)]).unwrap();
        let park = T(&mut h, &[wire, tas("park"), tas("base"), D(0)]).unwrap();
        let p = pill(&mut h, &[park]);
        let vent = T(&mut h, &[FAKE, D(256)]).unwrap();
        let jw = T(&mut h, &[tas("j"), tas("seed"), D(0)]).unwrap();
        let rekey = T(&mut h, &[jw, tas("rekey"), D(0)]).unwrap();
        let fore_ovum = T(&mut h, &[jw, tas("fore"), D(0)]).unwrap();
        let ova = list(&mut h, &[rekey]).unwrap();
        let fova = list(&mut h, &[fore_ovum]).unwrap();
        let hind = T(&mut h, &[tas("prop"), tas("k"), tas("hind"), ova]).unwrap();
        let fore = T(&mut h, &[tas("prop"), tas("k"), tas("fore"), fova]).unwrap();
        let more = list(&mut h, &[hind, fore]).unwrap();
        let b = Boot {
            pill: p,
            arvo: None,
            vent,
            more,
        };
        let s = assemble(&mut h, &b, 1 << 100, &[7; 64], false).unwrap();
        assert_eq!((s.who, s.fake, s.life), (256, true, 2));
        let tags: Vec<Noun> = s.events[2..].iter().map(|e| tag_of(*e)).collect();
        let want: Vec<Noun> = [
            "wyrd", "verb", "whom", "wack", "fore", "boot", "park", "rekey",
        ]
        .iter()
        .map(|t| tas(t))
        .collect();
        assert_eq!(tags, want);
        for (k, e) in s.events[2..].iter().enumerate() {
            let now = e.head().unwrap().as_atom().unwrap();
            let want = (1u128 << 100) + ((k as u128 + 1) << 48);
            assert_eq!(now.words(), &[want as u64, (want >> 64) as u64]);
        }
        // %verb [~ %.y] when not verbose; %boot lite is %.n.
        let verb = s.events[3].tail().unwrap().tail().unwrap();
        assert_eq!(verb.tail().unwrap().tail(), Some(D(0)));
        let legacy = s.events[7].tail().unwrap().tail().unwrap();
        assert_eq!(legacy.tail().unwrap().head(), Some(D(1)));
    }

    #[test]
    fn bad_pills_are_refused_with_a_reason() {
        let mut h = HeapAlloc::new();
        let vent = T(&mut h, &[FAKE, D(0)]).unwrap();
        let ivory = T(&mut h, &[tas("ivory"), D(0)]).unwrap();
        let ivory = Atom::from_bytes(&mut h, &jam_to_bytes(ivory))
            .unwrap()
            .as_noun();
        let garbage = Atom::from_bytes(&mut h, &[0, 0, 0]).unwrap().as_noun();
        let p = pill(&mut h, &[]);
        let wire = T(&mut h, &[tas("c"), D(0)]).unwrap();
        let arvo = T(&mut h, &[wire, tas("into"), D(0)]).unwrap();
        for (pill, arvo, needle) in [
            (ivory, None, "ivory"),
            (garbage, None, "does not decode"),
            (p, Some(arvo), "needs exactly one"),
        ] {
            let b = Boot {
                pill,
                arvo,
                vent,
                more: D(0),
            };
            let e = assemble(&mut h, &b, 0, &[0; 64], false).err().unwrap();
            assert!(e.contains(needle), "{e}");
        }
    }
}
