//! Why a noun is not a message of the protocol.

use std::fmt;

/// A decoding failure, naming the field (`what`) that is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// A cell was expected.
    NotCell { what: &'static str },
    /// An atom was expected.
    NotAnAtom { what: &'static str },
    /// An atom of at most `bits` bits was expected (a cell, or a larger atom, was found).
    NotAtom { what: &'static str, bits: u32 },
    /// `~` was expected.
    NotNull { what: &'static str },
    /// A null-terminated list was expected.
    NotList { what: &'static str },
    /// The list must not be empty.
    EmptyList { what: &'static str },
    /// A tag that no message of this generation has (`tag` as [`super::show_tag`] renders it).
    UnknownTag { what: &'static str, tag: String },
    /// `%ripe` announced another protocol version.
    Version { expected: u64, got: String },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::NotCell { what } => write!(f, "{what}: expected a cell, got an atom"),
            DecodeError::NotAnAtom { what } => write!(f, "{what}: expected an atom, got a cell"),
            DecodeError::NotAtom { what, bits } => {
                write!(f, "{what} is not an atom of at most {bits} bits")
            }
            DecodeError::NotNull { what } => write!(f, "{what} is not ~"),
            DecodeError::NotList { what } => write!(f, "{what} is not a null-terminated list"),
            DecodeError::EmptyList { what } => write!(f, "{what} is empty"),
            DecodeError::UnknownTag { what, tag } => write!(f, "unknown {what} {tag}"),
            DecodeError::Version { expected, got } => {
                write!(f, "the serf speaks protocol {got}, not {expected}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}
