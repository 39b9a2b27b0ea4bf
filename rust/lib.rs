//! mars: a Nock runtime that runs as Urbit's serf.
//!
//! The module layout follows the architecture (docs/architecture.md): nouns and the memory they live in at the bottom,
//! serialisation and hashing over them, the interpreter and jets above, and the serf, snapshots and tools on top.

pub mod equality;
pub mod mug;
pub mod noun;
pub mod serial;
pub mod stack;
pub mod text;

pub mod interpreter;
pub mod jets;

pub mod eventlog;
pub mod pma;
pub mod protocol;
pub mod snapshot;

pub mod kernel;

pub mod king;
pub mod serf;

pub mod cli;
#[doc(hidden)]
pub mod test_support;
