//! Writs (king → serf) and pleas (serf → king) of protocol P1 (king-protocol.md §3.1).

use crate::noun::{list_iter, tas, Alloc, Atom, Noun, Oom, T};

/// A request from the king.
#[derive(Copy, Clone, Debug)]
pub enum Writ {
    Live(Live),
    /// `[%peek mil sam]`
    Peek {
        mil: u64,
        sam: Noun,
    },
    /// `[%play eve lit]`: `lit` is a non-empty list.
    Play {
        eve: u64,
        lit: Noun,
    },
    /// `[%work mil job]`: `job` is `[now ovum]`.
    Work {
        mil: u64,
        job: Noun,
    },
}

/// The `%live` family.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Live {
    Save(u64),
    Cram(u64),
    Exit(u8),
    Meld,
    Pack,
}

pub const LIVE: Noun = tas("live");
pub const PEEK: Noun = tas("peek");
pub const PLAY: Noun = tas("play");
pub const WORK: Noun = tas("work");
pub const RIPE: Noun = tas("ripe");
pub const SLOG: Noun = tas("slog");
pub const FLOG: Noun = tas("flog");
pub const DONE: Noun = tas("done");
pub const BAIL: Noun = tas("bail");
pub const SWAP: Noun = tas("swap");
pub const SAVE: Noun = tas("save");
pub const CRAM: Noun = tas("cram");
pub const EXIT: Noun = tas("exit");
pub const MELD: Noun = tas("meld");
pub const PACK: Noun = tas("pack");
pub const CRUD: Noun = tas("crud");
pub const ARVO: Noun = tas("arvo");

/// Render a noun tag for error messages: a term if it is printable text, else the number.
pub fn show_tag(n: Noun) -> String {
    match n.as_atom() {
        Some(a) => {
            let b = a.to_bytes();
            if !b.is_empty() && b.iter().all(|c| c.is_ascii_graphic()) && b.len() <= 32 {
                format!("%{}", String::from_utf8_lossy(&b))
            } else if let Some(v) = a.as_u64() {
                format!("{v}")
            } else {
                format!("a {}-bit atom", a.bit_len())
            }
        }
        None => "a cell".into(),
    }
}

fn u64_field(what: &str, n: Noun) -> Result<u64, String> {
    n.as_u64()
        .ok_or_else(|| format!("{what} is not an atom of at most 64 bits"))
}

fn pair(what: &str, n: Noun) -> Result<(Noun, Noun), String> {
    let c = n
        .as_cell()
        .ok_or_else(|| format!("{what}: expected a cell, got an atom"))?;
    Ok((c.head(), c.tail()))
}

/// Parse a writ, or say precisely why it is not one.
pub fn parse(n: Noun) -> Result<Writ, String> {
    let (tag, rest) = pair("writ", n)?;
    match tag {
        t if t == LIVE => {
            let (sub, arg) = pair("%live writ", rest)?;
            let live = match sub {
                s if s == SAVE => Live::Save(u64_field("%live %save event", arg)?),
                s if s == CRAM => Live::Cram(u64_field("%live %cram event", arg)?),
                s if s == EXIT => {
                    let c = u64_field("%live %exit code", arg)?;
                    Live::Exit(
                        u8::try_from(c)
                            .map_err(|_| format!("%live %exit code {c} is not a byte"))?,
                    )
                }
                s if s == MELD => Live::Meld,
                s if s == PACK => Live::Pack,
                other => return Err(format!("unknown %live writ {}", show_tag(other))),
            };
            Ok(Writ::Live(live))
        }
        t if t == PEEK => {
            let (mil, sam) = pair("%peek writ", rest)?;
            Ok(Writ::Peek {
                mil: u64_field("%peek timeout", mil)?,
                sam,
            })
        }
        t if t == PLAY => {
            let (eve, lit) = pair("%play writ", rest)?;
            let eve = u64_field("%play event number", eve)?;
            if lit.is_atom() {
                return Err("%play with an empty event list".into());
            }
            if list_iter(lit).any(|r| r.is_err()) {
                return Err("%play event list is not null-terminated".into());
            }
            Ok(Writ::Play { eve, lit })
        }
        t if t == WORK => {
            let (mil, job) = pair("%work writ", rest)?;
            let mil = u64_field("%work timeout", mil)?;
            let (_now, ovum) = pair("%work job [now ovum]", job)?;
            if ovum.is_atom() {
                return Err("%work ovum is an atom, not [wire card]".into());
            }
            Ok(Writ::Work { mil, job })
        }
        other => Err(format!("unknown writ tag {}", show_tag(other))),
    }
}

/// An atom noun from a u64 (indirect if it does not fit a direct atom).
pub fn num<A: Alloc + ?Sized>(a: &mut A, v: u64) -> Result<Noun, Oom> {
    Ok(Atom::new(a, v)?.as_noun())
}

/// `[%ripe [1 hon nok] eve mug]`
pub fn ripe<A: Alloc + ?Sized>(a: &mut A, eve: u64, mug: u32) -> Result<Noun, Oom> {
    let ver = T(
        a,
        &[
            crate::noun::D(1),
            crate::noun::D(super::HOON_KELVIN),
            crate::noun::D(super::NOCK_KELVIN),
        ],
    )?;
    let eve = num(a, eve)?;
    T(a, &[RIPE, ver, eve, crate::noun::D(mug as u64)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noun::{HeapAlloc, D};
    use crate::serial::{cue_bytes, jam_to_bytes};

    #[test]
    fn doc_bytes() {
        let mut h = HeapAlloc::new();
        let r = ripe(&mut h, 0, 0).unwrap();
        assert_eq!(
            jam_to_bytes(r),
            [0x01, 0x5f, 0x2e, 0x0d, 0xae, 0x5c, 0x1c, 0x88, 0x46, 0xcc, 0x14]
        );
        let r = ripe(&mut h, 13, 0x2a5b1c3d).unwrap();
        assert_eq!(
            jam_to_bytes(r),
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
        assert!(matches!(parse(save), Ok(Writ::Live(Live::Save(13)))));
    }

    #[test]
    fn doc_work_and_live() {
        let mut h = HeapAlloc::new();
        // [%work 0 [~2023.11.14..22.13.20..8000 [/b/behn [%wake ~]]]] (king-protocol.md §3.7; the byte dump given
        // there decodes to a different noun, so the writ is built here and round-tripped through jam).
        let now = Atom::from_u128(&mut h, 0x8000_000d_33f1_fe80_8000_0000_0000_0000).unwrap();
        let wire = T(&mut h, &[tas("b"), tas("behn"), D(0)]).unwrap();
        let w = T(
            &mut h,
            &[WORK, D(0), now.as_noun(), wire, tas("wake"), D(0)],
        )
        .unwrap();
        let n = cue_bytes(&mut h, &jam_to_bytes(w)).unwrap();
        match parse(n).unwrap() {
            Writ::Work { mil, job } => {
                assert_eq!(mil, 0);
                let now = job.head().unwrap().as_atom().unwrap();
                assert_eq!(now.words(), &[0x8000_0000_0000_0000, 0x8000_000d_33f1_fe80]);
                let card = job.tail().unwrap().tail().unwrap();
                assert_eq!(card.head(), Some(tas("wake")));
            }
            other => panic!("{other:?}"),
        }
        let live = T(&mut h, &[LIVE, D(0)]).unwrap();
        assert_eq!(jam_to_bytes(live), [0x01, 0x9f, 0x2d, 0xcd, 0xae, 0x2c]);
        let exit = cue_bytes(
            &mut h,
            &[
                0x01, 0x9f, 0x2d, 0xcd, 0xae, 0x1c, 0xf0, 0xcb, 0xf0, 0xd2, 0xe8, 0x02,
            ],
        )
        .unwrap();
        assert!(matches!(parse(exit), Ok(Writ::Live(Live::Exit(0)))));
    }

    #[test]
    fn bad_writs() {
        let mut h = HeapAlloc::new();
        let unknown = T(&mut h, &[tas("hello"), D(1)]).unwrap();
        assert!(parse(unknown).unwrap_err().contains("%hello"));
        assert!(parse(D(5)).is_err());
        let empty_play = T(&mut h, &[PLAY, D(1), D(0)]).unwrap();
        assert!(parse(empty_play).is_err());
        let work_atom_job = T(&mut h, &[WORK, D(0), D(7)]).unwrap();
        assert!(parse(work_atom_job).is_err());
        let exit_big = T(&mut h, &[LIVE, EXIT, D(300)]).unwrap();
        assert!(parse(exit_big).is_err());
    }
}
