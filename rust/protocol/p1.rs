//! Protocol P1, Vere 1.16's (king-protocol.md §3.1): writs (king → serf) and pleas (serf → king).
//!
//! Decoding checks the schema's shapes and field sizes and says which field is wrong; what the values must be
//! relative to the serf's state (event numbers, the order of replies) is the serf's and the king's business.

use super::{atom, cell, items, mug, null, show_tag, tuple, DecodeError, Goof};
use crate::noun::{list, tas, Alloc, Atom, Noun, Oom, D, T};

/// The protocol number in `%ripe`.
pub const VERSION: u64 = 1;

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

/// A request from the king.
#[derive(Copy, Clone, Debug)]
pub enum Writ {
    Live(Live),
    /// `[%peek mil sam]`
    Peek {
        mil: u64,
        sam: Noun,
    },
    /// `[%play eve lit]`: `lit` is a non-empty, null-terminated list of events.
    Play {
        eve: u64,
        lit: Noun,
    },
    /// `[%work mil job]`: `job` is `[now ovum]`, `ovum` a cell `[wire card]`.
    Work {
        mil: u64,
        job: Noun,
    },
}

/// The `%live` family.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Live {
    /// `[%live %save eve]`
    Save(u64),
    /// `[%live %cram eve]`
    Cram(u64),
    /// `[%live %exit cod]`
    Exit(u8),
    /// `[%live %meld ~]` (the argument is not checked, as Vere's serf does not)
    Meld,
    /// `[%live %pack ~]` (likewise)
    Pack,
}

/// A message from the serf.
#[derive(Clone, Debug)]
pub enum Plea {
    /// `[%ripe [1 hon nok] eve mug]`: ready, with the Hoon and Nock kelvins and the loaded state's event and mug.
    Ripe {
        hon: u8,
        nok: u8,
        eve: u64,
        mug: u32,
    },
    /// `[%live ~]`: acknowledges any `%live` writ but `%exit`.
    Live,
    /// `[%slog pri tank]`: a `%slog` hint, out of band.
    Slog {
        pri: u32,
        tank: Noun,
    },
    /// `[%flog cord]`: the runtime's own text, out of band.
    Flog(Noun),
    Peek(PeekReply),
    Play(PlayReply),
    Work(WorkReply),
}

/// `[%peek %done (unit (cask))]` or `[%peek %bail goof]`.
#[derive(Copy, Clone, Debug)]
pub enum PeekReply {
    Done(Noun),
    Bail(Goof),
}

/// `[%play %done mug]` or `[%play %bail eve mug goof]` (`eve` and `mug` of the last event that succeeded).
#[derive(Copy, Clone, Debug)]
pub enum PlayReply {
    Done { mug: u32 },
    Bail { eve: u64, mug: u32, goof: Goof },
}

/// `[%work %done eve mug fec]`, `[%work %swap eve mug job fec]` or `[%work %bail lud]` (`fec` the effects, a list of
/// `[wire card]`; `lud` the goofs).
#[derive(Clone, Debug)]
pub enum WorkReply {
    Done {
        eve: u64,
        mug: u32,
        effects: Noun,
    },
    /// The event failed and its `%crud` `job` was computed in its place.
    Swap {
        eve: u64,
        mug: u32,
        job: Noun,
        effects: Noun,
    },
    Bail {
        goofs: Vec<Goof>,
    },
}

fn num<A: Alloc + ?Sized>(a: &mut A, v: u64) -> Result<Noun, Oom> {
    Ok(Atom::new(a, v)?.as_noun())
}

/// `fec`: a list of `[wire card]`.
fn effects(what: &'static str, n: Noun) -> Result<Noun, DecodeError> {
    for e in items(what, n)? {
        cell("an effect [wire card]", e)?;
    }
    Ok(n)
}

/// `job`: `[now ovum]` with `ovum` a cell.
fn job(what: &'static str, n: Noun) -> Result<Noun, DecodeError> {
    let (_now, ovum) = cell(what, n)?;
    cell("the ovum [wire card] of a job", ovum)?;
    Ok(n)
}

impl Writ {
    /// Parse a writ, or say precisely why it is not one.
    pub fn decode(n: Noun) -> Result<Writ, DecodeError> {
        let (tag, rest) = cell("writ", n)?;
        match tag {
            t if t == LIVE => {
                let (sub, arg) = cell("%live writ", rest)?;
                let live = match sub {
                    s if s == SAVE => Live::Save(atom("%live %save event", arg, 64)?),
                    s if s == CRAM => Live::Cram(atom("%live %cram event", arg, 64)?),
                    s if s == EXIT => Live::Exit(atom("%live %exit code", arg, 8)? as u8),
                    s if s == MELD => Live::Meld,
                    s if s == PACK => Live::Pack,
                    other => {
                        return Err(DecodeError::UnknownTag {
                            what: "%live writ",
                            tag: show_tag(other),
                        })
                    }
                };
                Ok(Writ::Live(live))
            }
            t if t == PEEK => {
                let (mil, sam) = cell("%peek writ", rest)?;
                let mil = atom("%peek timeout", mil, 64)?;
                Ok(Writ::Peek { mil, sam })
            }
            t if t == PLAY => {
                let (eve, lit) = cell("%play writ", rest)?;
                let eve = atom("%play event number", eve, 64)?;
                if items("%play event list", lit)?.is_empty() {
                    return Err(DecodeError::EmptyList {
                        what: "%play event list",
                    });
                }
                Ok(Writ::Play { eve, lit })
            }
            t if t == WORK => {
                let (mil, j) = cell("%work writ", rest)?;
                let mil = atom("%work timeout", mil, 64)?;
                let job = job("%work job [now ovum]", j)?;
                Ok(Writ::Work { mil, job })
            }
            other => Err(DecodeError::UnknownTag {
                what: "writ tag",
                tag: show_tag(other),
            }),
        }
    }

    pub fn encode<A: Alloc + ?Sized>(&self, a: &mut A) -> Result<Noun, Oom> {
        match *self {
            Writ::Live(l) => {
                let (sub, arg) = match l {
                    Live::Save(eve) => (SAVE, num(a, eve)?),
                    Live::Cram(eve) => (CRAM, num(a, eve)?),
                    Live::Exit(cod) => (EXIT, D(cod as u64)),
                    Live::Meld => (MELD, D(0)),
                    Live::Pack => (PACK, D(0)),
                };
                T(a, &[LIVE, sub, arg])
            }
            Writ::Peek { mil, sam } => {
                let mil = num(a, mil)?;
                T(a, &[PEEK, mil, sam])
            }
            Writ::Play { eve, lit } => {
                let eve = num(a, eve)?;
                T(a, &[PLAY, eve, lit])
            }
            Writ::Work { mil, job } => {
                let mil = num(a, mil)?;
                T(a, &[WORK, mil, job])
            }
        }
    }
}

impl Plea {
    /// The plea's tag, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Plea::Ripe { .. } => "%ripe",
            Plea::Live => "%live",
            Plea::Slog { .. } => "%slog",
            Plea::Flog(_) => "%flog",
            Plea::Peek(_) => "%peek",
            Plea::Play(_) => "%play",
            Plea::Work(_) => "%work",
        }
    }

    /// True for the out-of-band pleas (`%slog`, `%flog`), which answer no writ.
    pub fn is_chatter(&self) -> bool {
        matches!(self, Plea::Slog { .. } | Plea::Flog(_))
    }

    /// Parse a plea, or say precisely why it is not one.
    pub fn decode(n: Noun) -> Result<Plea, DecodeError> {
        let (tag, rest) = cell("plea", n)?;
        match tag {
            t if t == RIPE => {
                let [ver, eve, m] = tuple::<3>("%ripe", rest)?;
                // The version first: a later generation's %ripe differs after it.
                let (pro, kelvins) = cell("%ripe version [pro hon nok]", ver)?;
                if pro != D(VERSION) {
                    return Err(DecodeError::Version {
                        expected: VERSION,
                        got: show_tag(pro),
                    });
                }
                let (hon, nok) = cell("%ripe kelvins [hon nok]", kelvins)?;
                Ok(Plea::Ripe {
                    hon: atom("%ripe hoon kelvin", hon, 8)? as u8,
                    nok: atom("%ripe nock kelvin", nok, 8)? as u8,
                    eve: atom("%ripe event", eve, 64)?,
                    mug: mug("%ripe mug", m)?,
                })
            }
            t if t == LIVE => {
                null("%live reply", rest)?;
                Ok(Plea::Live)
            }
            t if t == SLOG => {
                let (pri, tank) = cell("%slog", rest)?;
                Ok(Plea::Slog {
                    pri: atom("%slog priority", pri, 32)? as u32,
                    tank,
                })
            }
            t if t == FLOG => {
                if !rest.is_atom() {
                    return Err(DecodeError::NotAnAtom {
                        what: "%flog payload",
                    });
                }
                Ok(Plea::Flog(rest))
            }
            t if t == PEEK => {
                let (kind, res) = cell("%peek reply", rest)?;
                match kind {
                    k if k == DONE => Ok(Plea::Peek(PeekReply::Done(res))),
                    k if k == BAIL => Ok(Plea::Peek(PeekReply::Bail(Goof::decode(res)?))),
                    k => Err(DecodeError::UnknownTag {
                        what: "%peek reply",
                        tag: show_tag(k),
                    }),
                }
            }
            t if t == PLAY => {
                let (kind, res) = cell("%play reply", rest)?;
                match kind {
                    k if k == DONE => Ok(Plea::Play(PlayReply::Done {
                        mug: mug("%play %done mug", res)?,
                    })),
                    k if k == BAIL => {
                        let [eve, m, goof] = tuple::<3>("%play %bail", res)?;
                        Ok(Plea::Play(PlayReply::Bail {
                            eve: atom("%play %bail event", eve, 64)?,
                            mug: mug("%play %bail mug", m)?,
                            goof: Goof::decode(goof)?,
                        }))
                    }
                    k => Err(DecodeError::UnknownTag {
                        what: "%play reply",
                        tag: show_tag(k),
                    }),
                }
            }
            t if t == WORK => {
                let (kind, res) = cell("%work reply", rest)?;
                match kind {
                    k if k == DONE => {
                        let [eve, m, fec] = tuple::<3>("%work %done", res)?;
                        Ok(Plea::Work(WorkReply::Done {
                            eve: atom("%work %done event", eve, 64)?,
                            mug: mug("%work %done mug", m)?,
                            effects: effects("%work %done effects", fec)?,
                        }))
                    }
                    k if k == SWAP => {
                        let [eve, m, j, fec] = tuple::<4>("%work %swap", res)?;
                        Ok(Plea::Work(WorkReply::Swap {
                            eve: atom("%work %swap event", eve, 64)?,
                            mug: mug("%work %swap mug", m)?,
                            job: job("%work %swap job [now ovum]", j)?,
                            effects: effects("%work %swap effects", fec)?,
                        }))
                    }
                    k if k == BAIL => {
                        let goofs = items("%work %bail goofs", res)?
                            .into_iter()
                            .map(Goof::decode)
                            .collect::<Result<_, _>>()?;
                        Ok(Plea::Work(WorkReply::Bail { goofs }))
                    }
                    k => Err(DecodeError::UnknownTag {
                        what: "%work reply",
                        tag: show_tag(k),
                    }),
                }
            }
            other => Err(DecodeError::UnknownTag {
                what: "plea tag",
                tag: show_tag(other),
            }),
        }
    }

    pub fn encode<A: Alloc + ?Sized>(&self, a: &mut A) -> Result<Noun, Oom> {
        match self {
            Plea::Ripe { hon, nok, eve, mug } => {
                let ver = T(a, &[D(VERSION), D(*hon as u64), D(*nok as u64)])?;
                let eve = num(a, *eve)?;
                T(a, &[RIPE, ver, eve, D(*mug as u64)])
            }
            Plea::Live => T(a, &[LIVE, D(0)]),
            Plea::Slog { pri, tank } => T(a, &[SLOG, D(*pri as u64), *tank]),
            Plea::Flog(text) => T(a, &[FLOG, *text]),
            Plea::Peek(PeekReply::Done(res)) => T(a, &[PEEK, DONE, *res]),
            Plea::Peek(PeekReply::Bail(goof)) => {
                let g = goof.encode(a)?;
                T(a, &[PEEK, BAIL, g])
            }
            Plea::Play(PlayReply::Done { mug }) => T(a, &[PLAY, DONE, D(*mug as u64)]),
            Plea::Play(PlayReply::Bail { eve, mug, goof }) => {
                let eve = num(a, *eve)?;
                let g = goof.encode(a)?;
                T(a, &[PLAY, BAIL, eve, D(*mug as u64), g])
            }
            Plea::Work(WorkReply::Done { eve, mug, effects }) => {
                let eve = num(a, *eve)?;
                T(a, &[WORK, DONE, eve, D(*mug as u64), *effects])
            }
            Plea::Work(WorkReply::Swap {
                eve,
                mug,
                job,
                effects,
            }) => {
                let eve = num(a, *eve)?;
                T(a, &[WORK, SWAP, eve, D(*mug as u64), *job, *effects])
            }
            Plea::Work(WorkReply::Bail { goofs }) => {
                let goofs = goofs
                    .iter()
                    .map(|g| g.encode(a))
                    .collect::<Result<Vec<_>, _>>()?;
                let lud = list(a, &goofs)?;
                T(a, &[WORK, BAIL, lud])
            }
        }
    }
}
