//! Bails: why a computation stopped, as values.

use crate::noun::{tas, Noun, Oom};
use std::fmt;

/// The kind of failure, as a Hoon term (`%exit`, `%meme`, ...).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Mote {
    /// Deterministic Nock crash. The only mote `mink` catches.
    Exit,
    /// Out of memory (NockStack or arena exhausted).
    Meme,
    /// Interrupted by SIGINT.
    Intr,
    /// The `mil` timeout elapsed.
    Alrm,
    /// Terminated by SIGTERM.
    Term,
    /// Native stack limit reached.
    Over,
    /// Decryption failure in a crypto jet (bad packet).
    Evil,
    /// Runtime failure that should not happen.
    Fail,
    /// Any other mote a jet raises.
    Other(u64),
}

impl Mote {
    /// The mote as a term noun.
    pub fn to_noun(self) -> Noun {
        match self {
            Mote::Exit => tas("exit"),
            Mote::Meme => tas("meme"),
            Mote::Intr => tas("intr"),
            Mote::Alrm => tas("alrm"),
            Mote::Term => tas("term"),
            Mote::Over => tas("over"),
            Mote::Evil => tas("evil"),
            Mote::Fail => tas("fail"),
            Mote::Other(v) => crate::noun::D(v & crate::noun::DIRECT_MAX),
        }
    }

    /// The mote's name.
    pub fn name(self) -> String {
        let n = self.to_noun().raw();
        String::from_utf8_lossy(&n.to_le_bytes())
            .trim_end_matches('\0')
            .to_string()
    }
}

impl fmt::Display for Mote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}", self.name())
    }
}

/// A failed computation: the mote and the trace (a list of `[tag data]`, innermost first) that was active at the
/// crash. The trace lives in the caller's frame.
#[derive(Copy, Clone, Debug)]
pub struct Error {
    pub mote: Mote,
    pub trace: Noun,
}

impl From<Oom> for Error {
    fn from(_: Oom) -> Error {
        Error {
            mote: Mote::Meme,
            trace: Noun::ZERO,
        }
    }
}

/// How a computation stopped, internally: a crash with a mote, or a blocked scry (`[%1 path]` under `mink`).
#[derive(Copy, Clone, Debug)]
pub(crate) enum Halt {
    Crash(Mote),
    /// A crash inside a jet's own nested computation, with the trace entries it had collected (innermost first).
    Traced(Mote, Noun),
    Block(Noun),
}

impl From<Oom> for Halt {
    fn from(_: Oom) -> Halt {
        Halt::Crash(Mote::Meme)
    }
}

impl From<Mote> for Halt {
    fn from(m: Mote) -> Halt {
        Halt::Crash(m)
    }
}
