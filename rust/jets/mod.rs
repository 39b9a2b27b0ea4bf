//! Jets: native implementations of hot Hoon gates, and the `%fast` registration that finds them.
//!
//! The interpreter asks the [`Dashboard`] at every Nock `9` whether the core it is about to run an arm of is a
//! registered, jetted core; a jet is a pure function of the core that returns the product, punts (the Nock runs), or
//! bails with a mote.

use crate::interpreter::{Context, Mote};
use crate::noun::Noun;
use crate::stack::Roots;

/// Why a jet did not produce a product.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum JetErr {
    /// The jet does not handle this sample: run the Nock instead.
    Punt,
    /// The computation fails with this mote, exactly as the Nock would.
    Fail(Mote),
}

impl From<crate::noun::Oom> for JetErr {
    fn from(_: crate::noun::Oom) -> JetErr {
        JetErr::Fail(Mote::Meme)
    }
}

impl From<crate::interpreter::Error> for JetErr {
    fn from(e: crate::interpreter::Error) -> JetErr {
        JetErr::Fail(e.mote)
    }
}

/// A jet: computes the product of running an arm of `core`.
pub type JetFn = fn(&mut Context, Noun) -> Result<Noun, JetErr>;

/// Cold, warm and hot jet state.
#[derive(Default)]
pub struct Dashboard {
    /// Jets switched off (`--no-jets`).
    pub disabled: bool,
}

impl Dashboard {
    pub fn new() -> Dashboard {
        Dashboard::default()
    }

    /// The jet for arm `axis` of `core`, if the core is a registered, jetted core.
    #[inline]
    pub fn find(&self, _core: Noun, _axis: Noun) -> Option<JetFn> {
        None
    }

    /// Handle a `%fast` hint: `clue` names `core`.
    pub fn register(&mut self, _ctx_stack: &crate::stack::NockStack, _core: Noun, _clue: Noun) {}
}

impl Roots for Dashboard {
    fn for_each_root(&mut self, _f: &mut dyn FnMut(&mut Noun)) {}
}
