//! Protocol P2, Vere 4.x's (king-protocol.md §3.12, §4.3): tasks (king → serf, called writs here as in P1), gifts
//! (serf → king, pleas), and the one-shot `[%boot pill vent more]` frame of the `boot` subcommand.
//!
//! As in [`super::p1`], decoding checks shapes and field sizes and names the wrong field; what the values must be
//! relative to the serf's state is the serf's business. `%slog` and `%flog` have the same shape as in P1.

use super::{atom, cell, items, mug, null, show_tag, tuple, DecodeError, Goof};
use crate::noun::{list, tas, Alloc, Atom, Noun, Oom, D, T};

/// The protocol number in `%ripe`.
pub const VERSION: u64 = 2;

pub const POKE: Noun = tas("poke");
pub const PEEK: Noun = tas("peek");
pub const SYNC: Noun = tas("sync");
pub const LIVE: Noun = tas("live");
pub const QUIZ: Noun = tas("quiz");
pub const EXIT: Noun = tas("exit");
pub const RIPE: Noun = tas("ripe");
pub const SLOG: Noun = tas("slog");
pub const FLOG: Noun = tas("flog");
pub const SAVE: Noun = tas("save");
pub const MELD: Noun = tas("meld");
pub const PACK: Noun = tas("pack");
pub const QUAC: Noun = tas("quac");
pub const QUIC: Noun = tas("quic");
pub const OPEN: Noun = tas("open");
pub const IDLE: Noun = tas("idle");
pub const BOOT: Noun = tas("boot");
pub const FAKE: Noun = tas("fake");
pub const DAWN: Noun = tas("dawn");
pub const PROP: Noun = tas("prop");
pub const FORE: Noun = tas("fore");
pub const HIND: Noun = tas("hind");

/// A task from the king to `work`.
#[derive(Copy, Clone, Debug)]
pub enum Writ {
    /// `[%poke mil ovum]`: compute a new event from a bare `[wire card]` (the serf dates it).
    Poke { mil: u64, ovum: Noun },
    /// `[%peek mil sam]`
    Peek { mil: u64, sam: Noun },
    /// `[%sync %save ~]`: snapshot once the log has caught up; answered `[%sync eve mug]`.
    Sync,
    /// `[%live %meld arg]` / `[%live %pack ~]`: memory maintenance, answered `[%live ~]`.
    Live(Live),
    /// `[%quiz %quac ~]` / `[%quiz %quic ~]`: memory reports.
    Quiz(Quiz),
    /// `[%exit ~]`: commit the log, save a snapshot, exit 0. No reply.
    Exit,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Live {
    /// `[%live %meld arg]`, `arg` is `~` or a pair of loobeans selecting extra passes (`None` for `~`).
    Meld(Option<(bool, bool)>),
    /// `[%live %pack ~]`
    Pack,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Quiz {
    /// `[%quiz %quac ~]`: the memory report.
    Quac,
    /// `[%quiz %quic ~]`: open and idle bytes.
    Quic,
}

/// A gift from the serf.
#[derive(Clone, Debug)]
pub enum Plea {
    /// `[%ripe [2 wynn] [who fake] eve mug]`: ready after replay, with the log's identity and the state's event.
    Ripe {
        /// `(list [@tas @ud])`; Vere sends `~`.
        wynn: Vec<(Noun, u64)>,
        who: u128,
        fake: bool,
        eve: u64,
        mug: u32,
    },
    /// `[%live ~]`
    Live,
    /// `[%slog pri tank]`, out of band.
    Slog { pri: u32, tank: Noun },
    /// `[%flog cord]`, out of band.
    Flog(Noun),
    /// `[%peek %.y (unit (cask))]` or `[%peek %.n goof]`.
    Peek(PeekReply),
    /// `[%poke %.y fec]` or `[%poke %.n lud]`.
    Poke(PokeReply),
    /// `[%sync eve mug]`: the snapshot of `[%sync %save ~]` is durable.
    Sync { eve: u64, mug: u32 },
    /// `[%quiz %quac report]`: the report is a list of `[name=@t size=@ud sub=(list report)]`.
    Quac(Noun),
    /// `[%quiz %quic [%open n] [%idle n] ~]` in bytes.
    Quic { open: u64, idle: u64 },
}

#[derive(Copy, Clone, Debug)]
pub enum PeekReply {
    Done(Noun),
    Bail(Goof),
}

#[derive(Clone, Debug)]
pub enum PokeReply {
    /// The event (or its `%crud`) is committed; the effects.
    Done(Noun),
    /// Nothing was committed: the event's goof first, then its `%crud`'s if one was tried.
    Bail(Vec<Goof>),
}

/// What `[%boot pill vent more]` asks the `boot` process to do (§4.3).
#[derive(Copy, Clone, Debug)]
pub struct Boot {
    /// The pill file's bytes as an atom (`p` of `pill=[p=@ q=(unit ovum)]`).
    pub pill: Noun,
    /// `q`: an ovum replacing the pill's first `%into` (or `%park %base`) userspace event.
    pub arvo: Option<Noun>,
    /// `[%fake ship]` or `[%dawn dawn-event]`.
    pub vent: Noun,
    /// `(list prop)`, `prop = [%prop meta=@tas tier=?(%fore %hind) ova=(list ovum)]`.
    pub more: Noun,
}

impl Boot {
    pub fn decode(n: Noun) -> Result<Boot, DecodeError> {
        let (tag, rest) = cell("boot frame", n)?;
        if tag != BOOT {
            return Err(DecodeError::UnknownTag {
                what: "boot frame tag",
                tag: show_tag(tag),
            });
        }
        let [pill, vent, more] = tuple::<3>("[%boot pill vent more]", rest)?;
        let (p, q) = cell("boot pill [p=@ q=(unit ovum)]", pill)?;
        if !p.is_atom() {
            return Err(DecodeError::NotAnAtom {
                what: "boot pill bytes",
            });
        }
        let arvo = if q == Noun::ZERO {
            None
        } else {
            let (nul, ovum) = cell("boot pill replacement (unit ovum)", q)?;
            null("boot pill replacement unit", nul)?;
            cell("boot pill replacement ovum [wire card]", ovum)?;
            Some(ovum)
        };
        let (kind, _) = cell("boot vent", vent)?;
        if kind != FAKE && kind != DAWN {
            return Err(DecodeError::UnknownTag {
                what: "boot vent",
                tag: show_tag(kind),
            });
        }
        for prop in items("boot props", more)? {
            let [tag, _meta, tier, ova] = tuple::<4>("boot prop [%prop meta tier ova]", prop)?;
            if tag != PROP {
                return Err(DecodeError::UnknownTag {
                    what: "boot prop",
                    tag: show_tag(tag),
                });
            }
            if tier != FORE && tier != HIND {
                return Err(DecodeError::UnknownTag {
                    what: "boot prop tier",
                    tag: show_tag(tier),
                });
            }
            for ovum in items("boot prop ova", ova)? {
                cell("boot prop ovum [wire card]", ovum)?;
            }
        }
        Ok(Boot {
            pill: p,
            arvo,
            vent,
            more,
        })
    }

    pub fn encode<A: Alloc + ?Sized>(&self, a: &mut A) -> Result<Noun, Oom> {
        let q = match self.arvo {
            None => D(0),
            Some(o) => T(a, &[D(0), o])?,
        };
        let pill = T(a, &[self.pill, q])?;
        T(a, &[BOOT, pill, self.vent, self.more])
    }
}

fn num<A: Alloc + ?Sized>(a: &mut A, v: u64) -> Result<Noun, Oom> {
    Ok(Atom::new(a, v)?.as_noun())
}

/// A loobean: `%.y` = 0, `%.n` = 1.
fn loobean(what: &'static str, n: Noun) -> Result<bool, DecodeError> {
    match atom(what, n, 1)? {
        0 => Ok(true),
        _ => Ok(false),
    }
}

/// An atom of at most 128 bits.
fn atom128(what: &'static str, n: Noun) -> Result<u128, DecodeError> {
    let bad = DecodeError::NotAtom { what, bits: 128 };
    let a = n.as_atom().ok_or(bad.clone())?;
    if a.bit_len() > 128 {
        return Err(bad);
    }
    let w = a.words();
    Ok(w.first().copied().unwrap_or(0) as u128 | (w.get(1).copied().unwrap_or(0) as u128) << 64)
}

/// `fec`: a list of `[wire card]`.
fn effects(what: &'static str, n: Noun) -> Result<Noun, DecodeError> {
    for e in items(what, n)? {
        cell("an effect [wire card]", e)?;
    }
    Ok(n)
}

impl Writ {
    /// Parse a task, or say precisely why it is not one.
    pub fn decode(n: Noun) -> Result<Writ, DecodeError> {
        let (tag, rest) = cell("writ", n)?;
        match tag {
            t if t == POKE => {
                let (mil, ovum) = cell("%poke writ", rest)?;
                let mil = atom("%poke timeout", mil, 32)?;
                cell("%poke ovum [wire card]", ovum)?;
                Ok(Writ::Poke { mil, ovum })
            }
            t if t == PEEK => {
                let (mil, sam) = cell("%peek writ", rest)?;
                let mil = atom("%peek timeout", mil, 32)?;
                Ok(Writ::Peek { mil, sam })
            }
            t if t == SYNC => {
                let (sub, nul) = cell("%sync writ", rest)?;
                if sub != SAVE {
                    return Err(DecodeError::UnknownTag {
                        what: "%sync writ",
                        tag: show_tag(sub),
                    });
                }
                null("%sync %save argument", nul)?;
                Ok(Writ::Sync)
            }
            t if t == LIVE => {
                let (sub, arg) = cell("%live writ", rest)?;
                match sub {
                    s if s == MELD => {
                        if arg == Noun::ZERO {
                            return Ok(Writ::Live(Live::Meld(None)));
                        }
                        let (x, y) = cell("%live %meld argument", arg)?;
                        Ok(Writ::Live(Live::Meld(Some((
                            loobean("%live %meld first pass flag", x)?,
                            loobean("%live %meld second pass flag", y)?,
                        )))))
                    }
                    s if s == PACK => {
                        null("%live %pack argument", arg)?;
                        Ok(Writ::Live(Live::Pack))
                    }
                    other => Err(DecodeError::UnknownTag {
                        what: "%live writ",
                        tag: show_tag(other),
                    }),
                }
            }
            t if t == QUIZ => {
                let (sub, nul) = cell("%quiz writ", rest)?;
                let quiz = match sub {
                    s if s == QUAC => Quiz::Quac,
                    s if s == QUIC => Quiz::Quic,
                    other => {
                        return Err(DecodeError::UnknownTag {
                            what: "%quiz writ",
                            tag: show_tag(other),
                        })
                    }
                };
                null("%quiz argument", nul)?;
                Ok(Writ::Quiz(quiz))
            }
            t if t == EXIT => {
                null("%exit argument", rest)?;
                Ok(Writ::Exit)
            }
            other => Err(DecodeError::UnknownTag {
                what: "writ tag",
                tag: show_tag(other),
            }),
        }
    }

    pub fn encode<A: Alloc + ?Sized>(&self, a: &mut A) -> Result<Noun, Oom> {
        match *self {
            Writ::Poke { mil, ovum } => {
                let mil = num(a, mil)?;
                T(a, &[POKE, mil, ovum])
            }
            Writ::Peek { mil, sam } => {
                let mil = num(a, mil)?;
                T(a, &[PEEK, mil, sam])
            }
            Writ::Sync => T(a, &[SYNC, SAVE, D(0)]),
            Writ::Live(Live::Meld(None)) => T(a, &[LIVE, MELD, D(0)]),
            Writ::Live(Live::Meld(Some((x, y)))) => {
                T(a, &[LIVE, MELD, Noun::flag(x), Noun::flag(y)])
            }
            Writ::Live(Live::Pack) => T(a, &[LIVE, PACK, D(0)]),
            Writ::Quiz(Quiz::Quac) => T(a, &[QUIZ, QUAC, D(0)]),
            Writ::Quiz(Quiz::Quic) => T(a, &[QUIZ, QUIC, D(0)]),
            Writ::Exit => T(a, &[EXIT, D(0)]),
        }
    }
}

impl Plea {
    /// The gift's tag, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Plea::Ripe { .. } => "%ripe",
            Plea::Live => "%live",
            Plea::Slog { .. } => "%slog",
            Plea::Flog(_) => "%flog",
            Plea::Peek(_) => "%peek",
            Plea::Poke(_) => "%poke",
            Plea::Sync { .. } => "%sync",
            Plea::Quac(_) => "%quiz %quac",
            Plea::Quic { .. } => "%quiz %quic",
        }
    }

    /// Parse a gift, or say precisely why it is not one.
    pub fn decode(n: Noun) -> Result<Plea, DecodeError> {
        let (tag, rest) = cell("plea", n)?;
        match tag {
            t if t == RIPE => {
                let [ver, id, eve, m] = tuple::<4>("%ripe", rest)?;
                let (pro, wynn) = cell("%ripe version [pro wynn]", ver)?;
                if pro != D(VERSION) {
                    return Err(DecodeError::Version {
                        expected: VERSION,
                        got: show_tag(pro),
                    });
                }
                let mut kelvins = Vec::new();
                for weft in items("%ripe wynn", wynn)? {
                    let (lal, k) = cell("%ripe wynn kelvin [@tas @ud]", weft)?;
                    if !lal.is_atom() {
                        return Err(DecodeError::NotAnAtom {
                            what: "%ripe wynn kelvin name",
                        });
                    }
                    kelvins.push((lal, atom("%ripe wynn kelvin number", k, 64)?));
                }
                let (who, fake) = cell("%ripe identity [who fake]", id)?;
                Ok(Plea::Ripe {
                    wynn: kelvins,
                    who: atom128("%ripe ship", who)?,
                    fake: loobean("%ripe fake flag", fake)?,
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
                let (ok, res) = cell("%peek reply", rest)?;
                if loobean("%peek reply flag", ok)? {
                    Ok(Plea::Peek(PeekReply::Done(res)))
                } else {
                    Ok(Plea::Peek(PeekReply::Bail(Goof::decode(res)?)))
                }
            }
            t if t == POKE => {
                let (ok, res) = cell("%poke reply", rest)?;
                if loobean("%poke reply flag", ok)? {
                    Ok(Plea::Poke(PokeReply::Done(effects("%poke effects", res)?)))
                } else {
                    let goofs = items("%poke goofs", res)?
                        .into_iter()
                        .map(Goof::decode)
                        .collect::<Result<Vec<_>, _>>()?;
                    if goofs.is_empty() {
                        return Err(DecodeError::EmptyList {
                            what: "%poke goofs",
                        });
                    }
                    Ok(Plea::Poke(PokeReply::Bail(goofs)))
                }
            }
            t if t == SYNC => {
                let (eve, m) = cell("%sync reply", rest)?;
                Ok(Plea::Sync {
                    eve: atom("%sync event", eve, 64)?,
                    mug: mug("%sync mug", m)?,
                })
            }
            t if t == QUIZ => {
                let (sub, res) = cell("%quiz reply", rest)?;
                match sub {
                    s if s == QUAC => {
                        items("%quiz %quac report", res)?;
                        Ok(Plea::Quac(res))
                    }
                    s if s == QUIC => {
                        let [open, idle, nul] = tuple::<3>("%quiz %quic", res)?;
                        let (o, on) = cell("%quiz %quic [%open n]", open)?;
                        let (i, id) = cell("%quiz %quic [%idle n]", idle)?;
                        if o != OPEN || i != IDLE {
                            return Err(DecodeError::UnknownTag {
                                what: "%quiz %quic field",
                                tag: show_tag(if o != OPEN { o } else { i }),
                            });
                        }
                        null("%quiz %quic end", nul)?;
                        Ok(Plea::Quic {
                            open: atom("%quiz %quic open", on, 64)?,
                            idle: atom("%quiz %quic idle", id, 64)?,
                        })
                    }
                    other => Err(DecodeError::UnknownTag {
                        what: "%quiz reply",
                        tag: show_tag(other),
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
            Plea::Ripe {
                wynn,
                who,
                fake,
                eve,
                mug,
            } => {
                let mut wefts = Vec::with_capacity(wynn.len());
                for (lal, k) in wynn {
                    let k = num(a, *k)?;
                    wefts.push(T(a, &[*lal, k])?);
                }
                let wynn = list(a, &wefts)?;
                let ver = T(a, &[D(VERSION), wynn])?;
                let who = Atom::from_u128(a, *who)?.as_noun();
                let id = T(a, &[who, Noun::flag(*fake)])?;
                let eve = num(a, *eve)?;
                T(a, &[RIPE, ver, id, eve, D(*mug as u64)])
            }
            Plea::Live => T(a, &[LIVE, D(0)]),
            Plea::Slog { pri, tank } => T(a, &[SLOG, D(*pri as u64), *tank]),
            Plea::Flog(text) => T(a, &[FLOG, *text]),
            Plea::Peek(PeekReply::Done(res)) => T(a, &[PEEK, Noun::YES, *res]),
            Plea::Peek(PeekReply::Bail(goof)) => {
                let g = goof.encode(a)?;
                T(a, &[PEEK, Noun::NO, g])
            }
            Plea::Poke(PokeReply::Done(fec)) => T(a, &[POKE, Noun::YES, *fec]),
            Plea::Poke(PokeReply::Bail(goofs)) => {
                let goofs = goofs
                    .iter()
                    .map(|g| g.encode(a))
                    .collect::<Result<Vec<_>, _>>()?;
                let lud = list(a, &goofs)?;
                T(a, &[POKE, Noun::NO, lud])
            }
            Plea::Sync { eve, mug } => {
                let eve = num(a, *eve)?;
                T(a, &[SYNC, eve, D(*mug as u64)])
            }
            Plea::Quac(report) => T(a, &[QUIZ, QUAC, *report]),
            Plea::Quic { open, idle } => {
                let open = num(a, *open)?;
                let idle = num(a, *idle)?;
                let o = T(a, &[OPEN, open])?;
                let i = T(a, &[IDLE, idle])?;
                T(a, &[QUIZ, QUIC, o, i, D(0)])
            }
        }
    }
}
