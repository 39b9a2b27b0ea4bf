//! The king's event log, in both layouts Vere writes (see `docs/eventlog.md`, king-protocol §7.1–7.2).
//!
//! * P1 (Vere 1.x): one LMDB environment at `<pier>/.urb/log` ([`EventLog`]).
//! * P2 (Vere 4.x, the epoch layout): a META-only environment at
//!   `<pier>/.urb/log/data.mdb` and one environment per epoch `0i<N>/`
//!   holding events `N+1..` ([`PierLog`], which also reads P1).
//!
//! Every environment has database `META` (no flags): ASCII keys `version`,
//! `who`, `fake`, `life` (no terminator), each value an atom as its minimal
//! little-endian bytes, zero being the empty value; and, except the P2 top
//! level, database `EVENTS` (`MDB_INTEGERKEY`): 8-byte native-endian event
//! numbers, contiguous, each value a 4-byte little-endian mug followed by the
//! jam bytes of the event noun.
//!
//! This module is noun-agnostic: it moves jam bytes in and out and never cues
//! them. Bad input yields a [`LogError`], never a panic.

mod env;
pub mod epoch;
mod error;
mod header;
pub mod lock;
pub mod migrate;
mod pier;
pub mod writer;

pub use env::{EventIter, EventLog, OpenOptions};
pub use error::LogError;
pub use header::{verify_data_file, FileReport, NamedDb};
pub use lock::PierLock;
pub use pier::{Epoch, Layout, PierIter, PierLog};
pub use writer::{Durability, LogWriter};

use std::path::{Path, PathBuf};

/// Map size Vere uses for the log: 1 TiB.
pub const MAP_SIZE: usize = 0x100_0000_0000;
/// Named databases in the environment (`META` and `EVENTS`).
pub const MAX_DBS: u32 = 2;
/// `META.version` of the P1 layout.
pub const LOG_VERSION: u64 = 1;
/// `META.version` Vere 4.x writes into a P1 log while migrating it to epochs
/// (the events are still in the top-level environment).
pub const LOG_VERSION_MIGRATING: u64 = 2;
/// `META.version` of the epoch layout (top level and every epoch it creates).
pub const LOG_VERSION_EPOCHS: u64 = 3;

const META_DB: &str = "META";
const EVENTS_DB: &str = "EVENTS";

/// The `META` database of a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Log format version: 1 for the P1 layout, 3 for the epoch layout
    /// (2 while Vere migrates a P1 log).
    pub version: u64,
    /// The ship, as an integer (`@p`); ~zod is 0.
    pub who: u128,
    /// Whether the ship is fake (`-F`). Stored inverted, as the loobean `%.y` = 0.
    pub fake: bool,
    /// Length of the boot sequence (events `1..=life` are raw boot nouns).
    pub life: u64,
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Event number, from 1.
    pub number: u64,
    /// Kernel mug after this event, 0 for events written before computation.
    pub mug: u32,
    /// The jam bytes of the event noun.
    pub jam: Vec<u8>,
}

impl Meta {
    /// The `META` of an epoch-layout log (version 3) for this ship.
    pub fn epochs(who: u128, fake: bool, life: u64) -> Meta {
        Meta {
            version: LOG_VERSION_EPOCHS,
            who,
            fake,
            life,
        }
    }

    /// Whether two `META`s name the same ship and boot sequence (versions aside).
    pub fn same_ship(&self, other: &Meta) -> bool {
        (self.who, self.fake, self.life) == (other.who, other.fake, other.life)
    }
}

/// The log directory of a pier: `<pier>/.urb/log`.
pub fn log_dir(pier: &Path) -> PathBuf {
    pier.join(".urb").join("log")
}

/// Minimal little-endian bytes of an atom: zero is the empty value.
pub fn atom_bytes(value: u128) -> Vec<u8> {
    let bytes = value.to_le_bytes();
    let len = 16 - (value.leading_zeros() as usize) / 8;
    bytes[..len].to_vec()
}

/// Read little-endian bytes into an integer of at most `max` bytes.
/// Trailing zero bytes are tolerated (the value is the same atom).
fn le_value(bytes: &[u8], max: usize) -> Option<u128> {
    let significant = bytes.len() - bytes.iter().rev().take_while(|b| **b == 0).count();
    if significant > max {
        return None;
    }
    let mut out = 0u128;
    for (i, b) in bytes[..significant].iter().enumerate() {
        out |= u128::from(*b) << (8 * i);
    }
    Some(out)
}

/// Decode a stored event value (4-byte LE mug ++ jam).
fn decode_value(dir: &Path, number: u64, value: &[u8]) -> Result<Event, LogError> {
    if value.len() < 4 {
        return Err(LogError::Truncated {
            path: dir.to_path_buf(),
            number,
            len: value.len(),
        });
    }
    let mug = u32::from_le_bytes([value[0], value[1], value[2], value[3]]);
    Ok(Event {
        number,
        mug,
        jam: value[4..].to_vec(),
    })
}

/// Decode an `EVENTS` key (8-byte native u64).
fn decode_key(dir: &Path, key: &[u8]) -> Result<u64, LogError> {
    let arr: [u8; 8] = key.try_into().map_err(|_| LogError::BadKey {
        path: dir.to_path_buf(),
        len: key.len(),
    })?;
    Ok(u64::from_ne_bytes(arr))
}

/// Encode an event value: 4-byte LE mug ++ jam.
pub fn encode_value(mug: u32, jam: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(4 + jam.len());
    v.extend_from_slice(&mug.to_le_bytes());
    v.extend_from_slice(jam);
    v
}

#[cfg(test)]
mod tests;
